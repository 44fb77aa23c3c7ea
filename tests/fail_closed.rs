//! Fail closed, and say everything at once (SPEC §8): no input ever ends as a pass by mistake,
//! and every problem of a run is reported in that run. One test per way a CI gate could be
//! misled, each run as a user runs the binary.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::{Value, json};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn calm_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    cmd.current_dir(dir).args(args).env_remove("CALM_AUDIT_DESTINATION_KEY").env_remove("VCAP_SERVICES").timeout(Duration::from_secs(60));
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().expect("run calm-audit");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn calm(dir: &Path, args: &[&str]) -> Run {
    calm_in(dir, args, None)
}

const KEY: &str = r#"{"endpoints": {"Api": "https://acme.eu10.alm.cloud.sap/api"}, "uaa": {"clientid": "sb-calm-acme!b12|calm-api!b3", "clientsecret": "fixture-secret", "url": "https://acme.authentication.eu10.hana.ondemand.com", "identityzone": "acme", "credential-type": "binding-secret"}}"#;

/// The destination SAP's page asks for, matching [`KEY`].
fn good(name: &str) -> Value {
    json!({
        "Name": name, "Type": "HTTP", "URL": "https://acme.eu10.alm.cloud.sap/", "ProxyType": "Internet",
        "Authentication": "OAuth2ClientCredentials", "clientId": "sb-calm-acme!b12|calm-api!b3",
        "clientSecret": "fixture-secret", "tokenServiceURLType": "Dedicated",
        "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    })
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {} / {}", run.stdout, run.stderr))
}

#[test]
fn nothing_read_is_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("empty")).unwrap();
    write(d, "docs/README.md", "# exports go here\n");
    write(d, "docs/diagram.png", "\u{89}PNG not really");
    write(d, "empty.json", "[]");
    for (args, named, says) in [
        (vec!["check", "empty"], "empty", "no destination file in this folder"),
        (vec!["check", "build/exprots"], "build/exprots", "no such file or folder"),
        (vec!["check", "docs"], "docs", "no destination file in this folder (2 other file(s) skipped"),
        (vec!["check", "empty.json"], "empty.json", "no destination in this file"),
    ] {
        let r = calm(d, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("error: {named}: {says}")), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "nothing audited, no report: {}", r.stdout);
    }
    // Each path must yield something: a good folder does not cover for an empty one.
    write(d, "exports/CALM_A.json", &good("CALM_A").to_string());
    let r = calm(d, &["check", "exports", "empty"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("empty: no destination file"), "{}", r.stderr);
}

#[test]
fn every_unreadable_named_file_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 1..=3 {
        write(d, &format!("broken{i}.json"), "[{\"Name\": \"CALM_X\", \"URL\": ");
    }
    write(d, "bad-settings.toml", "enable_integration_monitoring = maybe\n");
    let r = calm(d, &["check", "broken1.json", "broken2.json", "missing.json", "broken3.json", "--settings", "bad-settings.toml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for named in ["broken1.json:1:", "broken2.json:1:", "broken3.json:1:", "missing.json: no such file", "bad-settings.toml:1:"] {
        assert!(r.stderr.contains(named), "{named} not named in {}", r.stderr);
    }
    assert_eq!(r.stderr.lines().filter(|l| l.starts_with("calm-audit: error: ")).count(), 5, "{}", r.stderr);
}

#[test]
fn walked_files_that_fail_are_failed_sources_and_the_rest_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "exports/CALM_GOOD.json", &good("CALM_GOOD").to_string());
    write(d, "exports/CALM_BROKEN.json", "{\"Name\": \"CALM_BROKEN\", \"URL\": ");
    write(d, "exports/CALM_LATIN.properties", "Name=CALM_LATIN\nURL=https\\://acme.eu10.alm.cloud.sap/\nclientId=\\u12G\n");
    let r = calm(d, &["check", "exports", "--calm-key", "key.json", "--format", "json"]);
    assert_eq!(r.code, 2, "the key file is missing: {}", r.stderr);
    write(d, "key.json", KEY);
    let r = calm(d, &["check", "exports", "--calm-key", "key.json", "--format", "json"]);
    assert_eq!(r.code, 3, "incomplete: {}", r.stderr);
    assert!(r.stderr.contains("incomplete: exports/CALM_BROKEN.json:1:"), "{}", r.stderr);
    assert!(r.stderr.contains("incomplete: exports/CALM_LATIN.properties:3:"), "{}", r.stderr);
    let doc = json_of(&r);
    assert_eq!(doc["complete"], false);
    let failed: Vec<&str> = doc["source_failures"].as_array().unwrap().iter().map(|f| f["source"].as_str().unwrap()).collect();
    assert_eq!(failed, ["exports/CALM_BROKEN.json:1", "exports/CALM_LATIN.properties:3"]);
    // The good file was audited: its results are there, and none of the failed files' are.
    let names: Vec<&str> = doc["results"].as_array().unwrap().iter().filter_map(|r| r["object"]["name"].as_str()).collect();
    assert!(names.contains(&"CALM_GOOD"));
    assert!(!names.iter().any(|n| n.contains("BROKEN") || n.contains("LATIN")), "{names:?}");
    // SARIF says the run was not successful, one notification per failed source.
    let sarif = calm(d, &["check", "exports", "--calm-key", "key.json", "--format", "sarif"]);
    let sarif = json_of(&sarif);
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    // (The warning that the audit is partial, without settings, is a notification of its own.)
    let errors = invocation["toolExecutionNotifications"].as_array().map(|n| n.iter().filter(|n| n["level"] == "error").count());
    assert_eq!(errors, Some(2), "{invocation}");
}

#[test]
fn folder_walks_suit_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A git work tree: its .gitignore applies (outside one, a .gitignore is just a file).
    std::fs::create_dir_all(d.join("repo/.git")).unwrap();
    write(d, "repo/.gitignore", "build/\n*.local.json\n");
    write(d, "repo/destinations/CALM_BPMON.json", &good("CALM_BPMON").to_string());
    write(d, "repo/build/CALM_OLD.json", &good("CALM_OLD").to_string());
    write(d, "repo/destinations/CALM_DEV.local.json", &good("CALM_DEV").to_string());
    write(d, "repo/.hidden/CALM_HIDDEN.json", &good("CALM_HIDDEN").to_string());
    write(d, "repo/legacy/CALM_LEGACY.json", &good("CALM_LEGACY").to_string());
    write(d, "repo/package.json", r#"{"name": "app", "version": "1.0.0", "dependencies": {}}"#);
    write(d, "repo/app/xs-app.json", r#"{"welcomeFile": "index.html", "routes": [{"source": "^/api/(.*)$", "destination": "backend"}]}"#);
    write(d, "repo/notes.txt", "Remember to rotate the Cloud ALM key in May.\n");
    write(d, "repo/calm-service-key.txt", &format!("Getting key calm for service instance calm-api...\n\n{KEY}\n"));
    write(d, "repo/em-settings.toml", "enable_integration_monitoring = true\nenable_business_process_monitoring = true\n");
    let r = calm(d, &["check", "repo", "--exclude", "legacy/**", "--format", "json", "-v"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = json_of(&r);
    let names: std::collections::BTreeSet<&str> =
        doc["results"].as_array().unwrap().iter().filter_map(|r| r["object"]["name"].as_str()).filter(|n| n.starts_with("CALM_")).collect();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["CALM_BPMON"], "ignored, hidden and excluded files are not read");
    assert_eq!(doc["coverage"]["files_read"], 1);
    assert_eq!(doc["coverage"]["files_skipped"].as_array().map(Vec::len), Some(5), "{}", doc["coverage"]);
    assert!(r.stderr.contains("repo/calm-service-key.txt looks like a SAP Cloud ALM service key: give it with --calm-key"), "{}", r.stderr);
    assert!(r.stderr.contains("repo/em-settings.toml looks like Entitlement Management settings: give it with --settings"), "{}", r.stderr);
    assert!(r.stderr.contains("skipped repo/package.json: not a destination"), "{}", r.stderr);
    assert!(r.stderr.contains("skipped repo/notes.txt: not a destination"), "{}", r.stderr);
    // Without -v the skipped files are counted, not listed.
    let quiet = calm(d, &["check", "repo", "--exclude", "legacy/**"]);
    assert!(quiet.stderr.contains("5 file(s) in the folders read are not destination files"), "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("skipped repo/package.json"), "{}", quiet.stderr);
    // `exclude` in calm-audit.toml does the same as the flag.
    write(d, "calm-audit.toml", "paths = [\"repo\"]\nexclude = [\"legacy/\"]\nformat = \"json\"\n");
    let configured = json_of(&calm(d, &["check"]));
    assert!(!configured["results"].as_array().unwrap().iter().any(|r| r["object"]["name"] == "CALM_LEGACY"));
    std::fs::remove_file(d.join("calm-audit.toml")).unwrap();
    let unexcluded = json_of(&calm(d, &["check", "repo", "--format", "json"]));
    assert!(unexcluded["results"].as_array().unwrap().iter().any(|r| r["object"]["name"] == "CALM_LEGACY"));
    // A bad glob is a usage error naming it.
    let bad = calm(d, &["check", "repo", "--exclude", "a[b"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--exclude \"a[b\""), "{}", bad.stderr);
}

#[cfg(unix)]
#[test]
fn pipes_sockets_and_devices_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let _socket = std::os::unix::net::UnixListener::bind(d.join("calm.sock")).unwrap();
    for (path, kind) in [("pipe.json", "a named pipe"), ("calm.sock", "a socket"), ("/dev/null", "a device")] {
        let started = Instant::now();
        let r = calm(d, &["check", path]);
        assert_eq!(r.code, 2, "{path}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("{path}: is {kind}, not a file")), "{}", r.stderr);
        assert!(r.stderr.contains("calm-audit check -"), "the hint names standard input: {}", r.stderr);
        assert!(started.elapsed() < Duration::from_secs(10), "{path} was not opened");
    }
    // In a walk, such entries are skipped, never opened.
    std::fs::remove_file(d.join("calm.sock")).unwrap();
    write(d, "CALM_A.json", &good("CALM_A").to_string());
    let r = calm(d, &["check", ".", "-v"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("pipe.json: a named pipe, not a file"), "{}", r.stderr);
}

#[test]
fn standard_input_is_read_with_a_dash_and_recognised_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "key.json", KEY);
    let mut bad = good("CALM_STDIN");
    bad["URL"] = json!("https://acme.eu10.alm.cloud.sap");
    let json_doc = serde_json::to_string_pretty(&json!([bad])).unwrap();
    let yaml_doc = "- Name: CALM_STDIN\n  Type: HTTP\n  URL: https://acme.eu10.alm.cloud.sap\n";
    let properties_doc = "#Mon May 19 15:34:09 UTC 2025\nName=CALM_STDIN\nType=HTTP\nURL=https\\://acme.eu10.alm.cloud.sap\n";
    for doc in [json_doc.as_str(), yaml_doc, properties_doc] {
        let line = doc.lines().position(|l| l.contains("URL")).unwrap() + 1;
        let r = calm_in(d, &["check", "-", "--calm-key", "key.json", "--format", "json"], Some(doc));
        assert_eq!(r.code, 1, "{}", r.stderr);
        let report = json_of(&r);
        let slash = report["results"].as_array().unwrap().iter().find(|r| r["code"] == "CALM004").expect("CALM004");
        assert_eq!(slash["status"], "fail");
        assert_eq!(slash["location"]["path"], "<stdin>");
        assert_eq!(slash["location"]["line"], line, "{doc}");
    }
    let empty = calm_in(d, &["check", "-"], Some(""));
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("<stdin>: empty file"), "{}", empty.stderr);
    let twice = calm_in(d, &["check", "-", "-"], Some(&json_doc));
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("named more than once"), "{}", twice.stderr);
}

#[test]
fn match_rules_fail_values_equal_only_after_trimming() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "key.json", KEY);
    let mut dest = good("CALM_SPACE");
    dest["clientSecret"] = json!("fixture-secret ");
    dest["URL"] = json!("https://acme.eu10.alm.cloud.sap/\t");
    write(d, "dest.json", &dest.to_string());
    let r = calm(d, &["check", "dest.json", "--calm-key", "key.json", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json_of(&r);
    for code in ["CALM012", "CALM014", "CALM017"] {
        let result = doc["results"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap();
        assert_eq!(result["status"], "fail", "{code}: {result}");
        assert!(result["message"].as_str().unwrap().contains("white space"), "{code}: {result}");
    }
    assert!(!r.stdout.contains("fixture-secret"), "the secret is never shown");
}

#[test]
fn flags_that_would_be_ignored_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "exports/CALM_A.json", &good("CALM_A").to_string());
    write(d, "settings.toml", "enable_integration_monitoring = true\nenable_business_process_monitoring = true\n");
    write(d, "key.json", KEY);
    let r = calm(d, &["check", "exports", "--target", "prod"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--target prod: no configuration file"), "{}", r.stderr);
    write(d, "calm-audit.toml", "[[target]]\nname = \"prod\"\npaths = [\"exports\"]\n");
    let r = calm(d, &["check", "exports", "--target", "prod"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot be combined with paths"), "{}", r.stderr);
    assert_eq!(calm(d, &["check", "--target", "prod"]).code, 0);
    std::fs::remove_file(d.join("calm-audit.toml")).unwrap();
    // snapshot keeps destinations only, so it refuses the files it would drop.
    let r = calm(d, &["snapshot", "exports", "--settings", "settings.toml", "--calm-key", "key.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("check SNAPSHOT --settings FILE --calm-key FILE"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    // Reports that cannot be written (their folder cannot be made: a file is in the way):
    // every one is named, exit 2. A folder that is only missing is created (tests/seams.rs).
    let r = calm(d, &["check", "exports", "--report", "json=key.json/dir/r.json", "--output", "key.json/dir/r.txt"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write key.json/dir/r.json") && r.stderr.contains("cannot write key.json/dir/r.txt"), "{}", r.stderr);
}
