//! Destinations of a synthetic landscape written as code (`bench/gen_as_code.rs`, and the
//! test that the same landscape gives the same failures as JSON, Terraform and MTA).
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

const PER_MODULE: usize = 50;

fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("$$"),
            '%' => out.push_str("%%"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("secret") || k.contains("password")
}

pub fn terraform(destinations: &[crate::landscape::Props], dir: &Path) -> std::io::Result<()> {
    for (m, chunk) in destinations.chunks(PER_MODULE).enumerate() {
        let module = dir.join(format!("module-{m:03}"));
        std::fs::create_dir_all(&module)?;
        let (mut main, mut vars, mut tfvars) = (String::new(), String::new(), String::new());
        main.push_str("locals {\n  token_url = \"https://bench-tenant.authentication.eu10.hana.ondemand.com/oauth/token\"\n}\n\n");
        vars.push_str("variable \"client_secret\" {\n  type      = string\n  sensitive = true\n}\n\n");
        for (i, d) in chunk.iter().enumerate() {
            let generic = i % 2 == 1;
            let kind = if generic { "btp_subaccount_destination_generic" } else { "btp_subaccount_destination" };
            let _ = writeln!(main, "resource \"{kind}\" \"d{i}\" {{\n  subaccount_id = var.subaccount_id");
            let mut config = String::new();
            for (k, v) in d {
                let value = if is_secret(k) {
                    "var.client_secret".to_owned()
                } else if *k == "URL" {
                    let _ = writeln!(vars, "variable \"url_{i}\" {{\n  default = {}\n}}\n", hcl_string("https://placeholder.example.com/"));
                    let _ = writeln!(tfvars, "url_{i} = {}", hcl_string(v));
                    format!("var.url_{i}")
                } else if *k == "tokenServiceURL" && v == crate::landscape::TOKEN_URL {
                    "local.token_url".to_owned()
                } else {
                    hcl_string(v)
                };
                let attribute = match *k {
                    "Name" => Some("name"),
                    "Type" => Some("type"),
                    "ProxyType" => Some("proxy_type"),
                    "URL" => Some("url"),
                    "Authentication" => Some("authentication"),
                    "Description" => Some("description"),
                    _ => None,
                };
                match attribute {
                    Some(a) if !generic => {
                        let _ = writeln!(main, "  {a} = {value}");
                    }
                    _ => {
                        let _ = writeln!(config, "    {} = {value}", hcl_string(k));
                    }
                }
            }
            let attr = if generic { "destination_configuration" } else { "additional_configuration" };
            let _ = writeln!(main, "  {attr} = jsonencode({{\n{config}  }})\n}}\n");
        }
        vars.push_str("variable \"subaccount_id\" {\n  type = string\n}\n");
        std::fs::write(module.join("main.tf"), main)?;
        std::fs::write(module.join("variables.tf"), vars)?;
        std::fs::write(module.join("terraform.tfvars"), tfvars)?;
    }
    Ok(())
}

/// The same destinations as one `btp_subaccount_destination_generic` with `for_each` over a map
/// in `terraform.tfvars` (name → properties, secrets left out): one resource block, N instances,
/// each secret from a variable without a value, merged in per instance by a conditional.
pub fn terraform_for_each(destinations: &[crate::landscape::Props], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let main = "resource \"btp_subaccount_destination_generic\" \"all\" {\n  for_each      = var.destinations\n  subaccount_id = var.subaccount_id\n  destination_configuration = jsonencode(merge(\n    each.value,\n    { Name = each.key },\n    each.value.Authentication == \"OAuth2ClientCredentials\" ? { clientSecret = var.client_secret } : {},\n  ))\n}\n\nvariable \"destinations\" {\n  type = map(map(string))\n}\n\nvariable \"client_secret\" {\n  type      = string\n  sensitive = true\n}\n\nvariable \"subaccount_id\" {\n  type = string\n}\n";
    let mut tfvars = String::from("destinations = {\n");
    let mut seen = std::collections::HashSet::new();
    for d in destinations {
        let name = d.iter().find(|(k, _)| *k == "Name").map_or("", |(_, v)| v.as_str());
        // A map has one entry per key: a landscape's repeated name is written once.
        if !seen.insert(name.to_owned()) {
            continue;
        }
        let _ = writeln!(tfvars, "  {} = {{", hcl_string(name));
        for (k, v) in d.iter().filter(|(k, _)| *k != "Name" && !is_secret(k)) {
            let _ = writeln!(tfvars, "    {} = {}", hcl_string(k), hcl_string(v));
        }
        tfvars.push_str("  }\n");
    }
    tfvars.push_str("}\n");
    std::fs::write(dir.join("main.tf"), main)?;
    std::fs::write(dir.join("terraform.tfvars"), tfvars)
}

pub fn mta(destinations: &[crate::landscape::Props], file: &Path) -> std::io::Result<()> {
    let mut out = String::from(
        "_schema-version: '3.1'\nID: bench.calm\nversion: 1.0.0\nresources:\n  - name: destinations\n    type: org.cloudfoundry.managed-service\n    parameters:\n      service: destination\n      service-plan: lite\n      config:\n        init_data:\n          subaccount:\n            existing_destinations_policy: update\n            destinations:\n",
    );
    for d in destinations {
        for (j, (k, v)) in d.iter().enumerate() {
            let value = if is_secret(k) { "${client-secret}".to_owned() } else { format!("'{}'", v.replace('\'', "''")) };
            let _ = writeln!(out, "              {} {k}: {value}", if j == 0 { "-" } else { " " });
        }
    }
    std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")))?;
    std::fs::write(file, out)
}
