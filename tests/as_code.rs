//! Destinations defined as code, end to end: a repository with an MTA project, a Terraform
//! configuration, a plan and many unrelated files; exact lines; values left to deployment never
//! judged; CALM070 without the secret in any output; files named on the command line.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::path::Path;

use assert_cmd::Command;

#[path = "../bench/landscape.rs"]
mod landscape;

#[path = "../bench/as_code.rs"]
mod as_code_writer;
#[allow(dead_code)]
#[path = "support/shared.rs"]
mod shared;
#[allow(dead_code)]
#[path = "support/skip.rs"]
mod skip;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs `check` in `dir`; returns the exit code, standard output and standard error.
fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn json_report(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--all-results"]);
    let (code, out, err) = check(dir, &all);
    assert!(!err.contains("panicked"), "{err}");
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}")))
}

/// `(status, path, line, message)` of `code` on the destination `name` read from `path_part`.
fn result<'a>(report: &'a Value, code: &str, name: &str, path_part: &str) -> (&'a str, &'a str, u64, &'a str) {
    let r = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code && r["object"]["name"] == name && r["object"]["qualified_name"].as_str().unwrap().contains(path_part))
        .unwrap_or_else(|| panic!("no {code} on {name} from {path_part}"));
    (
        r["status"].as_str().unwrap(),
        r["location"]["path"].as_str().unwrap(),
        r["location"]["line"].as_u64().unwrap(),
        r["message"].as_str().unwrap(),
    )
}

const MTA: &str = "_schema-version: '3.1'
ID: acme.calm
version: 1.0.0
modules:
  - name: srv
    type: nodejs
    path: srv
  - name: calm-content
    type: com.sap.application.content
    requires:
      - name: calm-destination
        parameters:
          content-target: true
    parameters:
      content:
        instance:
          destinations:
            - Name: CALM_CONTENT
              Type: HTTP
              ProxyType: Internet
              URL: ${calm-url}
              Authentication: OAuth2ClientCredentials
              clientId: sb-calm-acme!b12|calm-api!b3
              clientSecret: ${calm-secret}
              tokenServiceURLType: Dedicated
              tokenServiceURL: https://acme.authentication.eu10.hana.ondemand.com/oauth/token
resources:
  - name: calm-destination
    type: org.cloudfoundry.managed-service
    parameters:
      service: destination
      service-plan: lite
      config:
        init_data:
          subaccount:
            destinations:
              - Name: CALM_INIT
                Type: HTTP
                ProxyType: Internet
                URL: https://acme.eu10.alm.cloud.sap
                Authentication: OAuth2ClientCredentials
                clientId: sb-calm-acme!b12|calm-api!b3
                clientSecret: CANARY-mta-literal-secret
                tokenServiceURLType: Common
                tokenServiceURL: https://acme.authentication.eu10.hana.ondemand.com/oauth/token
  - name: hana
    type: org.cloudfoundry.managed-service
    parameters:
      service: hana
";

const MAIN_TF: &str = r#"provider "btp" {
  globalaccount = "acme"
}

resource "btp_subaccount" "calm" {
  name      = "calm"
  subdomain = "acme-calm"
  region    = "eu10"
}

resource "btp_subaccount_destination" "bpmon" {
  subaccount_id  = btp_subaccount.calm.id
  name           = "CALM_TF"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = var.calm_url
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = "sb-calm-acme!b12|calm-api!b3"
    clientSecret        = var.calm_secret
    tokenServiceURL     = local.token_url
    TokenServiceURLType = "dedicated"
  })
}

locals {
  token_url = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
}
"#;

const VARIABLES_TF: &str = r#"variable "calm_url" {
  type    = string
  default = "https://acme.eu10.alm.cloud.sap/api"
}

variable "calm_secret" {
  type      = string
  sensitive = true
}
"#;

/// A CAP/MTA plus Terraform repository, full of files that are not destinations.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "mta.yaml", MTA);
    write(d, "package.json", r#"{"name": "acme-calm", "dependencies": {"@sap/cds": "^8"}}"#);
    write(d, "xs-security.json", r#"{"xsappname": "acme-calm", "tenant-mode": "dedicated", "scopes": []}"#);
    write(d, "app/xs-app.json", r#"{"routes": [{"source": "^/(.*)$", "destination": "srv-api"}]}"#);
    write(d, "srv/service.cds", "service CatalogService {}\n");
    write(d, "README.md", "# acme\n");
    // A git work tree: its .gitignore applies (outside one, a .gitignore is just a file).
    std::fs::create_dir_all(d.join(".git")).unwrap();
    write(d, ".gitignore", "node_modules/\n*.tfstate\n");
    write(d, "node_modules/x/mta.yaml", "this: [is ignored\n");
    write(d, ".terraform/modules/modules.json", "{\"Modules\": []}\n");
    write(d, "infra/main.tf", MAIN_TF);
    write(d, "infra/variables.tf", VARIABLES_TF);
    write(d, "infra/outputs.tf", "output \"id\" {\n  value = btp_subaccount.calm.id\n}\n");
    write(d, "infra/dev.tfvars", "calm_url = \"https://dev.example.com/\"\n");
    write(d, "infra/modules/network/main.tf", "resource \"btp_subaccount_entitlement\" \"x\" {\n  service_name = \"destination\"\n}\n");
    write(d, "infra/plan.json", &std::fs::read_to_string(root().join("tests/code/terraform/plan.json")).unwrap());
    dir
}

#[test]
fn a_repository_is_read_for_its_destinations_and_the_rest_is_skipped() {
    let repo = repository();
    let (code, report) = json_report(repo.path(), &["."]);
    assert_eq!(code, 1, "faults, and nothing failed to read: {report}");
    let names: Vec<&str> = report["results"].as_array().unwrap().iter().filter_map(|r| r["object"]["name"].as_str()).collect();
    for name in ["CALM_CONTENT", "CALM_INIT", "CALM_TF", "CALM_BPMON", "CALM_CHILD"] {
        assert!(names.contains(&name), "{name} audited");
    }
    let coverage = &report["coverage"];
    let skipped: Vec<&str> = coverage["files_skipped"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for path in ["./package.json", "./app/xs-app.json", "./xs-security.json", "./infra/dev.tfvars", "./infra/modules/network/main.tf"] {
        assert!(skipped.contains(&path), "{path} skipped: {skipped:?}");
    }
    assert!(!skipped.iter().any(|p| p.contains("node_modules") || p.contains(".terraform")), "ignored and hidden: {skipped:?}");
    assert_eq!(coverage["files_read"], 5, "mta.yaml, main.tf, variables.tf, outputs.tf, plan.json");
    assert_eq!(report["incomplete"], Value::Null, "{}", report["incomplete"]);
}

#[test]
fn each_value_is_reported_on_the_line_where_it_is_written() {
    let repo = repository();
    let (_, report) = json_report(repo.path(), &["."]);
    // MTA: the line in mta.yaml.
    let url = result(&report, "CALM004", "CALM_INIT", "mta.yaml");
    assert_eq!((url.0, url.1, url.2), ("fail", "./mta.yaml", 40));
    let token_type = result(&report, "CALM010", "CALM_INIT", "mta.yaml");
    assert_eq!((token_type.0, token_type.2), ("fail", 44));
    // Terraform: a variable default is reported in variables.tf, the case variant inside
    // jsonencode on its own line.
    let url = result(&report, "CALM005", "CALM_TF", "main.tf");
    assert_eq!((url.0, url.1, url.2), ("fail", "./infra/variables.tf", 3));
    let client_type = result(&report, "CALM010", "CALM_TF", "main.tf");
    assert_eq!((client_type.1, client_type.2), ("./infra/main.tf", 22));
    // A local is reported where it is written.
    assert_eq!(result(&report, "CALM011", "CALM_TF", "main.tf").2, 27);
    let fq = report["results"].as_array().unwrap().iter().find(|r| r["object"]["name"] == "CALM_TF").unwrap();
    assert!(fq["object"]["qualified_name"].as_str().unwrap().contains("btp_subaccount_destination.bpmon"));
    // The table names the file when it is not the destination's own, as a list and as a table.
    for columns in ["80", "200"] {
        let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
            .current_dir(repo.path())
            .args(["check", "."])
            .env_remove("VCAP_SERVICES")
            .env_remove("CALM_AUDIT_DESTINATION_KEY")
            .env("NO_COLOR", "1")
            .env("COLUMNS", columns)
            .output()
            .unwrap();
        let table = String::from_utf8_lossy(&out.stdout);
        let row = table.lines().position(|l| l.contains("CALM005")).map(|i| table.lines().skip(i).take(3).collect::<Vec<_>>().join(" "));
        assert!(row.is_some_and(|r| r.contains("./infra/variables.tf:3")), "{columns} columns:\n{table}");
    }
}

#[test]
fn values_left_to_deployment_are_never_judged_as_literal_text() {
    let repo = repository();
    let (_, report) = json_report(repo.path(), &["."]);
    for code in ["CALM004", "CALM005", "CALM006"] {
        let (status, _, line, message) = result(&report, code, "CALM_CONTENT", "mta.yaml");
        assert_eq!((status, line), ("not_applicable", 21), "{code}: {message}");
        assert!(message.contains("${calm-url}"), "{message}");
    }
    for code in ["CALM009", "CALM014"] {
        let (status, _, _, message) = result(&report, code, "CALM_CONTENT", "mta.yaml");
        assert_ne!(status, "fail", "{code}: {message}");
    }
    let (status, _, _, message) = result(&report, "CALM009", "CALM_TF", "main.tf");
    assert_eq!((status, message.contains("var.calm_secret")), ("not_applicable", true), "{message}");
    // A variable without a value is named; in a plan, a value known only after apply is too.
    let (status, _, _, message) = result(&report, "CALM070", "CALM_TF", "main.tf");
    assert_eq!(status, "pass", "{message}");
    let (status, _, _, message) = result(&report, "CALM006", "CALM_CHILD", "plan.json");
    assert_eq!((status, message.contains("known after apply")), ("not_applicable", true), "{message}");
}

#[test]
fn calm070_fails_a_written_secret_and_no_output_shows_it() {
    let repo = repository();
    let (_, report) = json_report(repo.path(), &["."]);
    let (status, path, line, message) = result(&report, "CALM070", "CALM_INIT", "mta.yaml");
    assert_eq!((status, path, line), ("fail", "./mta.yaml", 43), "{message}");
    assert_eq!(result(&report, "CALM070", "CALM_BPMON", "plan.json").0, "not_applicable");
    // The secrets of the repository: in mta.yaml, in the plan, in an extension and a tfvars
    // file named on the command line; a broken file with a secret on the faulty line.
    write(repo.path(), "secret.mtaext", "ID: acme.calm.secret\nextends: acme.calm\nparameters:\n  calm-secret: CANARY-mtaext-secret\n");
    write(repo.path(), "infra/secret.tfvars", "calm_secret = \"CANARY-tfvars-secret\"\n");
    write(
        repo.path(),
        "broken/main.tf",
        "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\" \"CANARY-broken-secret\"\n}\n",
    );
    let canaries =
        ["CANARY-mta-literal-secret", "CANARY-mtaext-secret", "CANARY-tfvars-secret", "CANARY-broken-secret", "plan-secret-value"];
    let out = tempfile::tempdir().unwrap();
    let html = out.path().join("r.html").display().to_string();
    let sarif = out.path().join("r.sarif").display().to_string();
    let snapshot = out.path().join("s.json").display().to_string();
    for format in ["table", "json", "sarif", "junit", "markdown", "html"] {
        let (code, stdout, stderr) = check(
            repo.path(),
            &[
                ".",
                "secret.mtaext",
                "infra/secret.tfvars",
                "--format",
                format,
                "--all-results",
                "-v",
                "--report",
                &format!("html={html}"),
                "--report",
                &format!("sarif={sarif}"),
                "--save-snapshot",
                &snapshot,
            ],
        );
        assert_eq!(code, 3, "the broken walked file makes the audit incomplete: {stderr}");
        let mut texts = vec![stdout, stderr];
        for f in [&html, &sarif, &snapshot] {
            texts.push(std::fs::read_to_string(f).unwrap());
        }
        for text in &texts {
            for canary in canaries {
                assert!(!text.contains(canary), "{canary} in the {format} run's output");
            }
        }
        if format == "json" {
            let report: Value = serde_json::from_str(&texts[0]).unwrap();
            let (status, path, line, _) = result(&report, "CALM070", "CALM_CONTENT", "mta.yaml");
            assert_eq!((status, path, line), ("fail", "secret.mtaext", 4), "the extension fills the placeholder with a secret");
            let (status, path, line, _) = result(&report, "CALM070", "CALM_TF", "main.tf");
            assert_eq!((status, path, line), ("fail", "infra/secret.tfvars", 1), "a tfvars file named on the command line applies");
        }
    }
}

#[test]
fn files_named_on_the_command_line() {
    let repo = repository();
    let d = repo.path();
    // A descriptor with its extension: the placeholder is filled as the deployer would.
    write(d, "prod.mtaext", "ID: acme.calm.prod\nextends: acme.calm\nparameters:\n  calm-url: https://acme.eu10.alm.cloud.sap/\n");
    let (_, report) = json_report(d, &["mta.yaml", "prod.mtaext"]);
    let (status, path, line, _) = result(&report, "CALM004", "CALM_CONTENT", "mta.yaml");
    assert_eq!((status, path, line), ("pass", "prod.mtaext", 4));
    // A plan alone.
    let (code, report) = json_report(d, &["infra/plan.json"]);
    assert_eq!(code, 1);
    assert_eq!(result(&report, "CALM010", "CALM_BPMON", "plan.json").0, "fail", "tokenServiceURLType \"dedicated\"");
    // A broken configuration named explicitly: exit 2 naming the file and line.
    write(d, "bad/main.tf", "resource \"btp_subaccount_destination\" \"x\" {\n  name = \n}\n");
    let (code, _, stderr) = check(d, &["bad/main.tf"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad/main.tf:2: invalid HCL"), "{stderr}");
    assert!(!stderr.contains("no destination in this file"), "one error per file: {stderr}");
    // Walked, the same file makes the audit incomplete; the rest is audited.
    let (code, _, stderr) = check(d, &["."]);
    assert_eq!(code, 3, "{stderr}");
    // An extension of a descriptor the run does not have.
    let (code, _, stderr) = check(d, &["prod.mtaext"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("prod.mtaext:2") && stderr.contains("acme.calm"), "{stderr}");
    // Terraform configuration with no destination resource, named: nothing to audit.
    let (code, _, stderr) = check(d, &["infra/modules/network/main.tf"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn the_as_code_example_reports_each_planted_fault_and_its_sarif_is_valid() {
    let (code, report) =
        json_report(root(), &["examples/as-code", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"]);
    assert_eq!(code, 1);
    let fails: Vec<(String, String, u64)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["location"]["path"].as_str().unwrap().to_owned(),
                r["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for (code, path, line) in [
        // The anchor merged into each MTA destination, the values written beside the merge key.
        ("CALM005", "examples/as-code/mta-project/mta.yaml", 59),
        ("CALM070", "examples/as-code/mta-project/mta.yaml", 61),
        // A for_each instance, located in terraform.tfvars; a module call's value, in the caller.
        ("CALM005", "examples/as-code/terraform/terraform.tfvars", 6),
        ("CALM005", "examples/as-code/terraform/main.tf", 89),
        ("CALM008", "examples/as-code/terraform/main.tf", 23),
        ("CALM009", "examples/as-code/terraform/main.tf", 24),
        ("CALM011", "examples/as-code/terraform/main.tf", 25),
        ("CALM010", "examples/as-code/terraform/main.tf", 26),
    ] {
        assert!(fails.contains(&(code.to_owned(), path.to_owned(), line)), "{code} at {path}:{line} in {fails:?}");
    }
    match shared::check_sarif() {
        Ok(checker) => {
            let status = std::process::Command::new(checker).arg(root().join("reports/as-code.sarif")).status().unwrap();
            assert!(status.success(), "check-sarif rejects reports/as-code.sarif");
        }
        Err(why) => skip::unavailable("the SARIF validation of reports/as-code.sarif", &why),
    }
}

#[test]
fn the_same_landscape_fails_the_same_as_json_terraform_and_mta() {
    // 1,300 destinations: 13 Cloud ALM ones, one per fault the generator plants.
    let destinations = landscape::generate(1300);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("landscape.json"), landscape::to_json(&destinations)).unwrap();
    as_code_writer::terraform(&destinations, &d.join("terraform")).unwrap();
    as_code_writer::mta(&destinations, &d.join("mta/mta.yaml")).unwrap();
    let failures = |path: &str| {
        let (code, report) = json_report(d, &[path]);
        assert_eq!(code, 1, "{path}");
        let mut fails: Vec<(String, String)> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "fail")
            .map(|r| (r["code"].as_str().unwrap().to_owned(), r["object"]["name"].as_str().unwrap().to_owned()))
            .collect();
        fails.sort();
        fails
    };
    let json = failures("landscape.json");
    assert!(json.len() >= 10, "{json:?}");
    assert_eq!(failures("terraform"), json, "Terraform");
    assert_eq!(failures("mta"), json, "MTA");
    // One resource with for_each over the same landscape: every destination its own instance,
    // the same ones in scope and audited.
    as_code_writer::terraform_for_each(&destinations, &d.join("for-each")).unwrap();
    let counts = |path: &str| {
        let (_, report) = json_report(d, &[path]);
        let c = &report["coverage"];
        (c["destinations_found"].clone(), c["destinations_in_scope"].clone(), c["destinations_audited"].clone())
    };
    let (found, in_scope, audited) = counts("for-each");
    assert_eq!((&in_scope, &audited), (&counts("landscape.json").1, &counts("landscape.json").2), "for_each");
    assert!(found.as_u64().is_some_and(|n| n > 1000), "{found}");
}

#[test]
fn variables_files_are_applied_in_terraforms_order_from_the_flag_and_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "infra/main.tf",
        "resource \"btp_subaccount_destination\" \"calm\" {\n  name = \"CALM_TF\"\n  url  = var.url\n}\nvariable \"url\" {\n  default = \"https://acme.eu10.alm.cloud.sap/\"\n}\n",
    );
    write(d, "infra/prod.tfvars", "url = \"https://acme.eu10.alm.cloud.sap/api/\"\n");
    write(d, "infra/fix.tfvars", "url = \"https://acme.eu10.alm.cloud.sap/\"\n");
    let url = |report: &Value| {
        let (status, path, line, _) = result(report, "CALM005", "CALM_TF", "main.tf");
        (status.to_owned(), path.to_owned(), line)
    };
    // Found and not applied: the default is judged, and the file is named.
    let (_, report) = json_report(d, &["infra"]);
    assert_eq!(url(&report), ("pass".to_owned(), "infra/main.tf".to_owned(), 6));
    assert_eq!(report["coverage"]["var_files_not_applied"], serde_json::json!(["infra/fix.tfvars", "infra/prod.tfvars"]));
    // Given in order, the later wins, as with -var-file.
    let (_, report) = json_report(d, &["infra", "--var-file", "infra/fix.tfvars", "--var-file", "infra/prod.tfvars"]);
    assert_eq!(url(&report), ("fail".to_owned(), "infra/prod.tfvars".to_owned(), 1));
    assert_eq!(report["coverage"]["var_files_not_applied"], serde_json::json!([]));
    let (_, report) = json_report(d, &["infra", "--var-file", "infra/prod.tfvars", "--var-file", "infra/fix.tfvars"]);
    assert_eq!(url(&report), ("pass".to_owned(), "infra/fix.tfvars".to_owned(), 1));
    // From calm-audit.toml, relative to it; the flag beats it.
    write(d, "calm-audit.toml", "paths = [\"infra\"]\nvar_files = [\"infra/prod.tfvars\"]\n");
    let (_, report) = json_report(d, &[]);
    assert_eq!(url(&report).0, "fail");
    let (_, report) = json_report(d, &["infra", "--var-file", "infra/fix.tfvars"]);
    assert_eq!(url(&report).0, "pass");
    // A variables file that cannot be read stops the run, naming it.
    let (code, _, stderr) = check(d, &["infra", "--var-file", "infra/missing.tfvars"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("infra/missing.tfvars"), "{stderr}");
}

#[test]
fn a_module_outside_the_paths_given_is_read_where_terraform_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "infra/main.tf", "module \"em\" {\n  source = \"../modules/calm\"\n  url    = \"https://acme.eu10.alm.cloud.sap/api/\"\n}\n");
    write(
        d,
        "modules/calm/main.tf",
        "variable \"url\" {\n  type = string\n}\nresource \"btp_subaccount_destination\" \"this\" {\n  name = \"CALM_MOD\"\n  url  = var.url\n}\n",
    );
    let (_, report) = json_report(d, &["infra"]);
    let (status, path, line, _) = result(&report, "CALM005", "CALM_MOD", "module.em.btp_subaccount_destination.this");
    assert_eq!((status, path, line), ("fail", "infra/main.tf", 3), "the value where the caller writes it");
    let r = report["results"].as_array().unwrap().iter().find(|r| r["object"]["name"] == "CALM_MOD").unwrap();
    assert!(r["object"]["qualified_name"].as_str().unwrap().starts_with("modules/calm/main.tf:4"), "{}", r["object"]["qualified_name"]);
    // A module file that cannot be read makes the audit incomplete, naming it.
    write(d, "modules/calm/broken.tf", "resource \"x\" {\n");
    let (code, _, stderr) = check(d, &["infra"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("modules/calm/broken.tf"), "{stderr}");
}

#[test]
fn a_generic_destination_without_destination_configuration_is_incomplete_and_says_which_attribute_it_takes() {
    // The shape of an older page of the provider's documentation: the generic resource with
    // btp_subaccount_destination's attribute. Terraform refuses it; the audit never passes it.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        "resource \"btp_subaccount_destination_generic\" \"calm\" {\n  subaccount_id = \"6aa64c2f\"\n  additional_configuration = jsonencode({\n    Name = \"CALM_GENERIC\"\n    URL  = \"https://acme.eu10.alm.cloud.sap/\"\n  })\n}\n",
    );
    let (code, _, stderr) = check(d, &["."]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("main.tf:1"), "{stderr}");
    assert!(stderr.contains("additional_configuration (line 3) belongs to btp_subaccount_destination"), "{stderr}");
    // Without either attribute the message stays short.
    write(d, "main.tf", "resource \"btp_subaccount_destination_generic\" \"calm\" {\n  subaccount_id = \"6aa64c2f\"\n}\n");
    let (code, _, stderr) = check(d, &["."]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("no destination_configuration") && !stderr.contains("belongs to"), "{stderr}");
}
