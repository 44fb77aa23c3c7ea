//! Secrets are masked before layout (SPEC §8): no width, wrap, escape or line-break opportunity
//! of any format can split a secret into pieces the output's last writer would not recognise,
//! and a message never quotes a value that holds a secret, however short.
//!
//! The property test places random secrets (1 to 200 characters of every printable class) in
//! the secret fields of random destinations and pasted into their other fields, renders every
//! format at random widths from 20 to 200 with and without `--all-results`, saves a snapshot,
//! and looks for any 6-character piece of any secret in every byte written.
#![allow(clippy::disallowed_methods)] // tests write their fixtures and speak directly

use std::path::Path;

use assert_cmd::Command;
use serde_json::json;

const FORMATS: [&str; 6] = ["table", "json", "sarif", "junit", "markdown", "html"];

/// A realistic Cloud ALM key secret: a UUID, `$`, and 51 characters of base64 (88 in all).
const LONG_SECRET: &str = "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f$Xk9pQ2vR7tY4wZ8mN3bL6cF1hJ5gD0sAuE_iO9qW2eR4tY7uI1oP3=";

fn key(client_secret: &str) -> serde_json::Value {
    json!({
        "endpoints": { "Api": "https://acme.eu10.alm.cloud.sap/api" },
        "uaa": {
            "clientid": "sb-calm-acme!b12|calm-api!b3",
            "clientsecret": client_secret,
            "url": "https://acme.authentication.eu10.hana.ondemand.com",
            "identityzone": "acme",
            "credential-type": "binding-secret"
        }
    })
}

fn destination(name: &str, client_id: &str, client_secret: &str) -> serde_json::Value {
    json!({
        "Name": name,
        "Type": "HTTP",
        "URL": "https://acme.eu10.alm.cloud.sap/api",
        "Authentication": "OAuth2ClientCredentials",
        "ProxyType": "Internet",
        "tokenServiceURLType": "Dedicated",
        "clientId": client_id,
        "clientSecret": client_secret,
        "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    })
}

/// Runs calm-audit in `dir` with `COLUMNS` set; returns what it wrote to both streams and every
/// file under `dir/out`.
fn run(dir: &Path, args: &[&str], columns: usize) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .args(args)
        .env("COLUMNS", columns.to_string())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(code <= 3 && !stderr.contains("panicked"), "{args:?} at {columns}: exit {code}: {stderr}");
    let mut texts = vec![
        (format!("stdout of {args:?} at {columns} columns"), String::from_utf8_lossy(&out.stdout).into_owned()),
        (format!("stderr of {args:?} at {columns} columns"), stderr),
    ];
    for entry in std::fs::read_dir(dir.join("out")).into_iter().flatten().flatten() {
        texts.push((entry.path().display().to_string(), String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned()));
    }
    texts
}

/// Every piece of `secret` of `piece` characters (the whole secret when it is shorter).
fn pieces(secret: &str, piece: usize) -> Vec<String> {
    let chars: Vec<char> = secret.trim().chars().collect();
    if chars.len() <= piece {
        return vec![chars.iter().collect()];
    }
    // A piece of mostly white space (`"      "`) is ordinary text of any pretty-printed report.
    chars.windows(piece).filter(|w| w.iter().filter(|c| !c.is_whitespace()).count() >= 4).map(|w| w.iter().collect()).collect()
}

/// Asserts that no piece of `piece` characters of any secret is in any text.
fn assert_no_piece(texts: &[(String, String)], secrets: &[String], piece: usize) {
    for secret in secrets {
        for p in pieces(secret, piece) {
            for (what, text) in texts {
                if let Some(at) = text.find(&p) {
                    let from = text[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
                    let context: String = text[from..].chars().take(160).collect();
                    panic!("{what} holds {p:?}, a piece of the secret {secret:?}:\n{context}");
                }
            }
        }
    }
}

#[test]
fn a_key_secret_pasted_into_client_id_is_masked_at_every_width() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("out")).unwrap();
    let client_id = "sb-calm-acme!b12|calm-api!b3";
    let destinations = json!([
        destination("CALM_GLUED", &format!("{client_id}{LONG_SECRET}"), LONG_SECRET),
        destination("CALM_SPACED", &format!("{client_id} {LONG_SECRET}"), LONG_SECRET),
    ]);
    std::fs::write(d.join("dest.json"), destinations.to_string()).unwrap();
    std::fs::write(d.join("key.txt"), key(LONG_SECRET).to_string()).unwrap();
    for columns in [20, 40, 60, 80, 100, 120, 200] {
        for format in FORMATS {
            for all in [false, true] {
                let mut args = vec!["check", "dest.json", "--calm-key", "key.txt", "--format", format];
                if all {
                    args.push("--all-results");
                }
                let texts = run(d, &args, columns);
                assert_no_piece(&texts, &[LONG_SECRET.to_owned()], 6);
                if format == "table" && !all && columns >= 100 {
                    // The finding is still there, saying what is wrong without the value.
                    let table = texts[0].1.split_whitespace().collect::<Vec<_>>().join(" ");
                    assert!(table.contains("CALM013"), "{table}");
                    assert!(table.contains("clientId contains the key's"), "{table}");
                }
            }
        }
    }
}

#[test]
fn a_short_secret_is_never_quoted_nor_kept_by_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("out")).unwrap();
    // A five-character destination secret pasted into clientId: shorter than the masker's
    // floor, so only the first line of defence keeps it out.
    let short = "Zq7#k";
    std::fs::write(d.join("dest.json"), json!([destination("CALM_SHORT", short, short)]).to_string()).unwrap();
    std::fs::write(d.join("key.txt"), key("canary-key-secret-7f3a").to_string()).unwrap();
    let mut texts = Vec::new();
    for format in FORMATS {
        texts.extend(run(d, &["check", "dest.json", "--calm-key", "key.txt", "--format", format, "--all-results"], 100));
    }
    texts.extend(run(d, &["snapshot", "dest.json", "--output", "out/snapshot.json"], 100));
    assert_no_piece(&texts, &[short.to_owned()], 6);
    let json = &texts[2].1;
    assert!(json.contains("clientId holds a value equal to a secret (not shown)"), "{json}");
    // The snapshot, audited again, still fails CALM013 without showing anything.
    let again = run(d, &["check", "out/snapshot.json", "--calm-key", "key.txt", "--format", "json"], 100);
    assert_no_piece(&again, &[short.to_owned()], 6);
    assert!(again[0].1.contains("clientId holds a secret (not shown"), "{}", again[0].1);
}

/// A small deterministic generator (xorshift64*), so a failure names its seed and repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A secret of 1 to 200 characters drawn from every printable class: letters, digits,
    /// punctuation that every format escapes (`<>&"'|\`/*_[]`), spaces, and non-ASCII.
    fn secret(&mut self) -> String {
        const CLASSES: [&str; 5] =
            ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "0123456789", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", " ", "éßøΩЖ漢字€"];
        let len = match self.below(4) {
            0 => 1 + self.below(8),
            1 => 8 + self.below(40),
            _ => 40 + self.below(161),
        };
        let mut s = String::new();
        while s.chars().count() < len {
            let class: Vec<char> = CLASSES[self.below(CLASSES.len())].chars().collect();
            s.push(class[self.below(class.len())]);
        }
        // Trimmed values are what the destination service compares: no blank secret.
        if s.trim().is_empty() { "x".repeat(len) } else { s }
    }
}

#[test]
fn random_secrets_in_every_field_never_leave_in_a_piece() {
    let cases: u64 = std::env::var("CALM_AUDIT_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    for seed in 1..=cases {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x1000_0000_01b3));
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("out")).unwrap();
        let key_secret = rng.secret();
        let mut secrets = vec![key_secret.clone()];
        let mut destinations = Vec::new();
        for i in 0..1 + rng.below(3) {
            let secret = rng.secret();
            secrets.push(secret.clone());
            let password = rng.secret();
            secrets.push(password.clone());
            let pasted = [&key_secret, &secret, &password][rng.below(3)].clone();
            let mut dest = destination(&format!("CALM_R{i}"), "sb-calm-acme!b12|calm-api!b3", &secret);
            dest["Password"] = json!(password);
            // The secret pasted where it does not belong: a documented field, a free text, a
            // URL's path or query, the name itself.
            match rng.below(6) {
                0 => dest["clientId"] = json!(format!("sb-calm-acme!b12|calm-api!b3{}{pasted}", [" ", ""][rng.below(2)])),
                1 => dest["clientId"] = json!(pasted),
                2 => dest["Description"] = json!(format!("copied from the key: {pasted}")),
                3 => dest["URL"] = json!(format!("https://acme.eu10.alm.cloud.sap/{}", pasted)),
                4 => dest["Name"] = json!(format!("CALM_R{i}{pasted}")),
                _ => dest["tokenServiceURLType"] = json!(pasted),
            }
            destinations.push(dest);
        }
        std::fs::write(d.join("dest.json"), serde_json::Value::Array(destinations).to_string()).unwrap();
        std::fs::write(d.join("key.txt"), key(&key_secret).to_string()).unwrap();
        let mut texts = Vec::new();
        for format in FORMATS {
            let columns = 20 + rng.below(181);
            let mut args = vec!["check", "dest.json", "--calm-key", "key.txt", "--format", format];
            if rng.below(2) == 0 {
                args.push("--all-results");
            }
            texts.extend(run(d, &args, columns));
        }
        texts.extend(run(
            d,
            &["check", "dest.json", "--calm-key", "key.txt", "--report", "html=out/r.html", "--report", "markdown=out/r.md"],
            80,
        ));
        // Pieces of six characters: a shorter piece may be ordinary text of any report.
        let long = |secrets: &[String]| -> Vec<String> { secrets.iter().filter(|s| s.trim().chars().count() >= 6).cloned().collect() };
        let mut check = std::panic::catch_unwind(|| assert_no_piece(&texts, &long(&secrets), 6));
        if check.is_ok() {
            // A snapshot reads no Cloud ALM key: the secrets it knows are the destinations'.
            let snapshot = run(d, &["snapshot", "dest.json", "--output", "out/snapshot.json"], 80);
            check = std::panic::catch_unwind(|| assert_no_piece(&snapshot, &long(&secrets[1..]), 6));
        }
        if let Err(e) = check {
            let message = e.downcast_ref::<String>().cloned().unwrap_or_default();
            let kept = dir.keep();
            panic!("seed {seed} (inputs kept in {}): {message}", kept.display());
        }
    }
}

#[test]
fn names_of_an_html5_project_are_shown_and_its_secrets_masked_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("out")).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/mta-html5-repo-names/repo");
    std::fs::create_dir(d.join("repo")).unwrap();
    for file in ["mta.yaml", "xs-security.json"] {
        std::fs::copy(corpus.join(file), d.join("repo").join(file)).unwrap();
    }
    // Beside the project: an export with a real secret, and an undocumented property holding a
    // random token (the masker's guess must take it).
    let secret = "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f$Xk9pQ2vR7tY4wZ8mN3bL6cF1hJ5gD0sA=";
    let token = "Zt7Qm2Lx9Kp4Wv8Rb3Nc";
    let mut dest = destination("CALM_EXPORT", "sb-calm-acme!b12|calm-api!b3", secret);
    dest["x-custom-handle"] = json!(token);
    dest["Description"] = json!(format!("handle {token} of sap-btp-sapui5"));
    std::fs::write(d.join("repo/dest.json"), json!([dest]).to_string()).unwrap();
    let mut texts = Vec::new();
    for format in FORMATS {
        let out = run(d, &["check", "repo", "--format", format, "--all-results"], 120);
        let all: String = out.iter().map(|(_, t)| t.as_str()).collect();
        // SARIF and JUnit hold results only and Markdown counts the destinations out of scope.
        let names: &[&str] =
            if matches!(format, "sarif" | "junit" | "markdown") { &[] } else { &["sap-btp-sapui5_repo_host", "sap-btp-sapui5_uaa"] };
        for name in names {
            // HTML may offer line-break opportunities inside a long name.
            assert!(all.replace("<wbr>", "").contains(name), "{format}: {name} is not shown as written");
        }
        assert!(!all.contains("***_repo_host"), "{format}: the name is garbled");
        texts.extend(out);
    }
    assert_no_piece(&texts, &[secret.to_owned(), token.to_owned()], 6);
}
