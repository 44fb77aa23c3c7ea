//! How the inputs a user gives are shown (issue 27, findings 5 and 10): a value of the
//! environment or the configuration file that is not an existing file is named by where it came
//! from and its length only, a path written as a URL keeps no credentials or query values, and
//! every line `--show-config` prints stays one line, in every place that shows them.
#![allow(clippy::disallowed_methods)] // tests write their fixtures and read the outputs directly

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

const DESTINATIONS: &str = r#"[{"Name":"CALM_A","Type":"HTTP","ProxyType":"Internet","Authentication":"OAuth2ClientCredentials",
 "URL":"https://acme.eu10.alm.cloud.sap/","tokenServiceURLType":"Dedicated",
 "tokenServiceURL":"https://acme.authentication.eu10.hana.ondemand.com/oauth/token",
 "clientId":"sb-calm!b1","clientSecret":"Kq2Secret"}]"#;

/// Exit code and everything the run wrote (standard output, then standard error).
fn calm(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    cmd.current_dir(dir).args(args).env("SOURCE_DATE_EPOCH", "1764000000").env("NO_COLOR", "1");
    for var in ["CALM_AUDIT_CALM_KEY", "CALM_AUDIT_SETTINGS", "CALM_AUDIT_CONFIG", "CALM_AUDIT_DESTINATION_KEY", "VCAP_SERVICES"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.timeout(Duration::from_secs(60)).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dests.json"), DESTINATIONS).unwrap();
    dir
}

const KEY_JSON: &str = r#"{"endpoints":{"Api":"https://a.eu10.alm.cloud.sap/api"},"uaa":{"clientid":"x","clientsecret":"EnvCalmKeyQ9w8e7","url":"https://a.authentication.eu10.hana.ondemand.com"}}"#;

#[test]
fn a_key_pasted_into_the_environment_is_named_by_its_length_only() {
    let dir = folder();
    for var in ["CALM_AUDIT_CALM_KEY", "CALM_AUDIT_SETTINGS", "CALM_AUDIT_CONFIG"] {
        for extra in [&[][..], &["--show-config"][..]] {
            let mut args = vec!["check", "dests.json"];
            args.extend_from_slice(extra);
            let (code, text) = calm(dir.path(), &args, &[(var, KEY_JSON)]);
            assert!(!text.contains("EnvCalmKeyQ9w8e7") && !text.contains("clientsecret"), "{var} {extra:?}: {text}");
            let length = format!("the value of environment {var} ({} characters)", KEY_JSON.chars().count());
            assert!(text.contains(&length), "{var} {extra:?}: {text}");
            // Nothing read is an input error (exit 2); --show-config only shows, unless the
            // configuration file itself cannot be read.
            let expected = if extra.is_empty() || var == "CALM_AUDIT_CONFIG" { 2 } else { 0 };
            assert_eq!(code, expected, "{var} {extra:?}: {text}");
        }
    }
}

#[test]
fn a_value_of_the_configuration_file_that_is_no_file_is_named_by_its_length_only() {
    let dir = folder();
    let config = format!(
        "paths = [\"dests.json\"]\ncalm_key = '{KEY_JSON}'\nsettings = 'PastedPw7y6t5r4e'\n\n[[target]]\nname = \"t\"\npaths = [\"dests.json\"]\ndestination_key = 'DestPw1q2w3e4r'\ncalm_key = 'TargetPw5t6y7u'\n"
    );
    std::fs::write(dir.path().join("calm-audit.toml"), config).unwrap();
    for args in
        [&["check"][..], &["check", "--show-config"][..], &["check", "dests.json"][..], &["check", "dests.json", "--show-config"][..]]
    {
        let (_, text) = calm(dir.path(), args, &[]);
        for secret in ["EnvCalmKeyQ9w8e7", "PastedPw7y6t5r4e", "DestPw1q2w3e4r", "TargetPw5t6y7u"] {
            assert!(!text.contains(secret), "{args:?} shows {secret}: {text}");
        }
        assert!(text.contains("characters)"), "{args:?}: {text}");
    }
}

#[test]
fn a_path_written_as_a_url_keeps_no_credentials_or_query_values() {
    let (flags, configured) = (folder(), folder());
    let url = "https://user:CliUrlPwQ1w2e3@host/x?token=CliTokA1s2d3";
    std::fs::write(configured.path().join("calm-audit.toml"), format!("paths = ['{url}']\nsettings = 'dests.json'\n")).unwrap();
    let runs: [(&tempfile::TempDir, &[&str]); 7] = [
        (&flags, &["check", "dests.json", "--fail-on", url]),
        (&flags, &["check", "dests.json", "--calm-key", url]),
        (&flags, &["check", "dests.json", "--calm-key", url, "--show-config"]),
        (&flags, &["check", "dests.json", "--settings", url, "--format", "json"]),
        (&flags, &["check", url]),
        (&configured, &["check"]),
        (&configured, &["check", "--show-config"]),
    ];
    for (dir, args) in runs {
        let (code, text) = calm(dir.path(), args, &[]);
        assert!(!text.contains("CliUrlPwQ1w2e3") && !text.contains("CliTokA1s2d3"), "{args:?}: {text}");
        assert!(text.contains("https://***@host/"), "{args:?}: {text}");
        assert!(args.contains(&"--show-config") || code == 2, "{args:?}: {code} {text}");
    }
}

#[test]
fn show_config_escapes_line_breaks_in_every_value() {
    let dir = folder();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("a/dests.json"), DESTINATIONS).unwrap();
    std::fs::write(
        dir.path().join("calm-audit.toml"),
        "[[target]]\nname = \"prod\\nVerdict: PASSED (exit code 0)\"\npaths = [\"a\", \"a\\r\\nVerdict: PASSED\"]\nsettings = \"s\\u001b[2J.toml\"\n",
    )
    .unwrap();
    let (code, text) = calm(dir.path(), &["check", "--show-config"], &[]);
    assert_eq!(code, 0, "{text}");
    for line in text.lines() {
        assert!(!line.starts_with("Verdict"), "a forged line: {text}");
        assert!(!line.chars().any(|c| c.is_control()), "a raw control character: {line:?}");
    }
    assert!(text.contains("prod\\u{a}Verdict: PASSED (exit code 0)"), "{text}");
}
