//! A private key in a file keystore is a secret of the run (issue 27, finding 6): a line of it
//! pasted into a destination's `Description` is masked in every output and digested in a
//! snapshot, whatever the PEM block's label.
#![allow(clippy::disallowed_methods)] // tests write their fixtures and read the outputs directly

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

/// A self-signed certificate and its PKCS#8 key, in PEM, made now (the test reads no dates).
fn certificate_and_key() -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["calm-client".to_owned()]).expect("parameters");
    let cert = params.self_signed(&key).expect("certificate");
    (cert.pem(), key.serialize_pem())
}

fn destinations(description: &str) -> String {
    serde_json::json!([{
        "Name": "CALM_M", "Type": "HTTP", "ProxyType": "Internet", "Authentication": "OAuth2ClientCredentials",
        "URL": "https://acme.eu10.alm.cloud.sap/", "tokenServiceURLType": "Dedicated",
        "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token",
        "clientId": "sb-calm!b1", "tokenService.KeyStoreLocation": "calm-client.pem",
        "tokenService.KeyStorePassword": "P12PassQ7w8", "Description": description
    }])
    .to_string()
}

/// Everything a run wrote: standard output, standard error and the files it names.
fn run(dir: &Path, args: &[&str], files: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764000000")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let mut text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("panicked"), "{text}");
    for f in files {
        text.push_str(&std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{args:?} wrote no {f} ({e}): {text}")));
    }
    text
}

#[test]
fn a_line_of_a_keystores_private_key_is_never_written() {
    let (cert, key) = certificate_and_key();
    let body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(body.len() >= 2 && body[1].len() >= 32, "{key}");
    for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"] {
        for escaped in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let relabelled = key.replace("PRIVATE KEY", label);
            let mut pem = format!("{cert}{relabelled}");
            if escaped {
                // One line with `\n` escapes, as a key's JSON carries a PEM.
                pem = pem.replace('\n', "\\n");
            }
            std::fs::write(dir.path().join("calm-client.pem"), pem).unwrap();
            std::fs::write(dir.path().join("dests.json"), destinations(&format!("key line {}", body[1]))).unwrap();
            let runs: [(&[&str], &[&str]); 4] = [
                (&["snapshot", ".", "--output", "snap.json"], &["snap.json"]),
                (&["check", ".", "--format", "json"], &[]),
                (&["check", ".", "--all-results", "--format", "markdown", "--save-snapshot", "saved.json"], &["saved.json"]),
                (&["check", ".", "--all-results", "--report", "html=r.html", "--report", "sarif=r.sarif"], &["r.html", "r.sarif"]),
            ];
            for (args, files) in runs {
                let text = run(dir.path(), args, files);
                for line in &body {
                    assert!(
                        line.len() < 6 || !text.contains(line),
                        "{label} (escaped: {escaped}) {args:?} shows the key's line {line}: {text}"
                    );
                }
                assert!(!text.contains("P12PassQ7w8"), "{args:?}: {text}");
            }
            // The snapshot digests the property that holds a line of the key, as it digests a password.
            let snapshot: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.path().join("snap.json")).unwrap()).unwrap();
            let description = snapshot["destinations"][0]["properties"]
                .as_array()
                .and_then(|p| p.iter().find(|p| p["key"] == "Description"))
                .unwrap_or_else(|| panic!("{label}: {snapshot}"));
            assert!(description["secret"]["hmac"].is_string() && description.get("value").is_none(), "{label}: {description}");
        }
    }
}
