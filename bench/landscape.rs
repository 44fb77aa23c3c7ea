//! Synthetic landscapes for the benchmarks: `n` destinations, mostly unrelated to Cloud ALM,
//! about one in a hundred a `CALM_` push destination carrying one of the faults the rule
//! catalog looks for (or none). Deterministic: the same `n` gives the same bytes.
//!
//! Shared by the benchmark programs under `bench/` and the criterion benches under `benches/`
//! through `#[path]`, so each includer uses only part of it.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

/// One destination: its properties in the order an export writes them.
pub type Props = Vec<(&'static str, String)>;

/// The Cloud ALM tenant and key the generated `CALM_` destinations are meant to match
/// (`bench/data/settings.toml` and `bench/data/calm-service-key.txt`).
pub const TENANT_URL: &str = "https://bench-tenant.eu10.alm.cloud.sap/";
pub const TOKEN_URL: &str = "https://bench-tenant.authentication.eu10.hana.ondemand.com/oauth/token";
pub const CLIENT_ID: &str = "sb-calm-bench!b1234|calm-api!b567";
pub const CLIENT_SECRET: &str = "bench-secret-not-a-real-one";

/// The faults given to the Cloud ALM destinations in turn; index 0 is a correct one.
pub const FAULTS: [&str; 13] = [
    "none",
    "url without trailing slash (CALM004)",
    "url ending in /api (CALM005)",
    "basic authentication (CALM007)",
    "client secret missing (CALM009)",
    "token URL without /oauth/token (CALM011)",
    "on-premise proxy (CALM003)",
    "type RFC (CALM002)",
    "client id of another key (CALM013)",
    "client id with trailing blank (CALM017)",
    "TrustAll=true (CALM019)",
    "token URL type Common (CALM010)",
    "lower-case calm_ prefix (CALM001)",
];

/// Small deterministic generator (64-bit LCG, top bits), enough to vary the unrelated ones.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const SYSTEMS: [&str; 8] = ["S4H", "ARIBA", "SFSF", "C4C", "BW4", "CONCUR", "FIELDGLASS", "IBP"];
const PURPOSES: [&str; 6] = ["ORDERS", "BILLING", "MASTERDATA", "REPLICATION", "WORKFLOW", "ANALYTICS"];
const REGIONS: [&str; 5] = ["eu10", "eu20", "us10", "ap11", "jp10"];

/// The `i`-th Cloud ALM destination (counted among Cloud ALM ones), with fault `i % FAULTS.len()`.
fn cloud_alm(index: usize, i: usize) -> Props {
    let fault = i % FAULTS.len();
    let name = if fault == 12 { format!("calm_push_{index:06}") } else { format!("CALM_PUSH_{index:06}") };
    let url = match fault {
        1 => TENANT_URL.trim_end_matches('/').to_owned(),
        2 => format!("{TENANT_URL}api"),
        _ => TENANT_URL.to_owned(),
    };
    let mut p: Props = vec![
        ("Name", name),
        ("Type", if fault == 7 { "RFC" } else { "HTTP" }.to_owned()),
        ("URL", url),
        ("Authentication", if fault == 3 { "BasicAuthentication" } else { "OAuth2ClientCredentials" }.to_owned()),
        ("ProxyType", if fault == 6 { "OnPremise" } else { "Internet" }.to_owned()),
        (
            "clientId",
            match fault {
                8 => "sb-other-key!b9|calm-api!b567".to_owned(),
                9 => format!("{CLIENT_ID} "),
                _ => CLIENT_ID.to_owned(),
            },
        ),
    ];
    if fault != 4 {
        p.push(("clientSecret", CLIENT_SECRET.to_owned()));
    }
    p.push(("tokenServiceURLType", if fault == 11 { "Common" } else { "Dedicated" }.to_owned()));
    let token = if fault == 5 { TOKEN_URL.trim_end_matches("/oauth/token").to_owned() } else { TOKEN_URL.to_owned() };
    p.push(("tokenServiceURL", token));
    if fault == 10 {
        p.push(("TrustAll", "true".to_owned()));
    }
    p.push(("Description", format!("Cloud ALM push, benchmark fault: {}", FAULTS[fault])));
    p
}

/// An unrelated destination, in one of the common shapes.
fn unrelated(index: usize, rng: &mut Lcg) -> Props {
    let system = rng.pick(&SYSTEMS);
    let purpose = rng.pick(&PURPOSES);
    let region = rng.pick(&REGIONS);
    let host = format!("{}-{index:06}.{region}.example.com", system.to_ascii_lowercase());
    let mut p: Props = vec![
        ("Name", format!("{system}_{purpose}_{index:06}")),
        ("Type", "HTTP".to_owned()),
        ("URL", format!("https://{host}/sap/opu/odata/sap/API_{purpose}_SRV")),
    ];
    match rng.next() % 4 {
        0 => {
            p.push(("Authentication", "BasicAuthentication".to_owned()));
            p.push(("ProxyType", "Internet".to_owned()));
            p.push(("User", format!("TECH_{purpose}_{index}")));
            p.push(("Password", format!("pw-{index:08x}-bench")));
        }
        1 => {
            p.push(("Authentication", "OAuth2ClientCredentials".to_owned()));
            p.push(("ProxyType", "Internet".to_owned()));
            p.push(("clientId", format!("sb-{}-{index}!b42", system.to_ascii_lowercase())));
            p.push(("clientSecret", format!("secret-{index:08x}-bench")));
            p.push(("tokenServiceURL", format!("https://{host}/oauth/token")));
        }
        2 => {
            p.push(("Authentication", "PrincipalPropagation".to_owned()));
            p.push(("ProxyType", "OnPremise".to_owned()));
            p.push(("CloudConnectorLocationId", format!("LOC{}", index % 7)));
            p.push(("sap-client", format!("{:03}", 100 + index % 900)));
        }
        _ => {
            p.push(("Authentication", "NoAuthentication".to_owned()));
            p.push(("ProxyType", "Internet".to_owned()));
        }
    }
    p.push(("Description", format!("{system} {purpose} integration, landscape {region}")));
    p
}

/// `n` Cloud ALM destinations, every one in scope, with the faults in turn: the landscape that
/// costs an audit the most (every destination judged by every rule, results for each).
pub fn generate_in_scope(n: usize) -> Vec<Props> {
    (0..n).map(|index| cloud_alm(index, index)).collect()
}

/// `n` destinations: every hundredth (starting with the first) a Cloud ALM one.
pub fn generate(n: usize) -> Vec<Props> {
    let mut rng = Lcg(0x5eed_ca1a);
    (0..n).map(|index| if index % 100 == 0 { cloud_alm(index, index / 100) } else { unrelated(index, &mut rng) }).collect()
}

/// How many of `generate(n)` are Cloud ALM destinations.
pub fn cloud_alm_count(n: usize) -> usize {
    n.div_ceil(100)
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON array of flat destination objects, one property per line, as exported from the
/// Destination Service's list call and pretty-printed (two-space indentation).
pub fn to_json(destinations: &[Props]) -> String {
    let mut out = String::with_capacity(destinations.len() * 320);
    json_array(destinations, "", &mut out);
    out.push('\n');
    out
}

/// The same array wrapped as `{"destinations": [...]}`.
pub fn to_json_wrapped(destinations: &[Props]) -> String {
    let mut out = String::with_capacity(destinations.len() * 360);
    out.push_str("{\n  \"destinations\": ");
    json_array(destinations, "  ", &mut out);
    out.push_str("\n}\n");
    out
}

/// A destination service `config.json`: the first half on the subaccount level, the rest on
/// the instance level, under `init_data`.
pub fn to_init_data(destinations: &[Props]) -> String {
    let (subaccount, instance) = destinations.split_at(destinations.len() / 2);
    let mut out = String::with_capacity(destinations.len() * 400);
    out.push_str("{\n  \"HTML5Runtime_enabled\": true,\n  \"init_data\": {\n");
    for (i, (level, part)) in [("subaccount", subaccount), ("instance", instance)].into_iter().enumerate() {
        let _ = write!(out, "    \"{level}\": {{\n      \"existing_destinations_policy\": \"update\",\n      \"destinations\": ");
        json_array(part, "      ", &mut out);
        out.push_str(if i == 0 { "\n    },\n" } else { "\n    }\n" });
    }
    out.push_str("  }\n}\n");
    out
}

fn json_array(destinations: &[Props], indent: &str, out: &mut String) {
    out.push_str("[\n");
    for (i, d) in destinations.iter().enumerate() {
        out.push_str(indent);
        out.push_str("  {\n");
        for (j, (k, v)) in d.iter().enumerate() {
            out.push_str(indent);
            out.push_str("    ");
            json_string(k, out);
            out.push_str(": ");
            json_string(v, out);
            out.push_str(if j + 1 < d.len() { ",\n" } else { "\n" });
        }
        out.push_str(indent);
        out.push_str(if i + 1 < destinations.len() { "  },\n" } else { "  }\n" });
    }
    out.push_str(indent);
    out.push(']');
}

/// One destination as the cockpit's properties export writes it (`:` and `=` escaped).
pub fn to_properties(d: &Props) -> String {
    let mut out = String::from("#\n#Generated by the calm-audit benchmark\n");
    for (k, v) in d {
        out.push_str(k);
        out.push('=');
        for c in v.chars() {
            match c {
                ':' | '=' | '\\' | '#' | '!' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// A folder of properties exports, one extension-less file per destination named after it
/// (as the cockpit names its downloads).
pub fn write_properties_dir(destinations: &[Props], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for d in destinations {
        let name = &d[0].1;
        std::fs::write(dir.join(name), to_properties(d))?;
    }
    Ok(())
}
