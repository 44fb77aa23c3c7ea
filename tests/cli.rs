//! The binary as a user runs it: exit codes, formats, standard streams, bad input.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn calm() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    cmd.current_dir(root()).env_remove("NO_COLOR").env("SOURCE_DATE_EPOCH", "1767225600");
    cmd
}

const EXAMPLES: [&str; 6] =
    ["check", "examples/destinations", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"];

const GOOD: [&str; 6] =
    ["check", "tests/fixtures/good", "--settings", "tests/fixtures/good/settings.toml", "--calm-key", "tests/fixtures/good/calm-key.txt"];

/// Every secret written into the example and fixture inputs.
const SECRETS: [&str; 6] = [
    "FAKE-demo-secret-0001-not-a-real-key",
    "FAKE-test-secret-0002",
    "FAKE-s4-password-0003",
    "canary-key-secret-7f3a",
    "canary-dest-secret-91c2",
    "canary-s4-password-55d0",
];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = calm().args(args).output().expect("run calm-audit");
    let run = Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    };
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    for secret in SECRETS {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "secret {secret} leaked by {args:?}");
    }
    run
}

fn with(base: &[&str], extra: &[&str]) -> Vec<String> {
    base.iter().chain(extra).map(|s| (*s).to_owned()).collect()
}

fn run_owned(args: &[String]) -> Run {
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn examples_have_findings_and_exit_1() {
    let r = run(&EXAMPLES);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("destination calm_legacy: examples/destinations/calm_legacy.properties:4"));
    assert!(r.stdout.contains("CALM005 destination-url-without-api"));
    let coverage = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    // The mTLS export archive holds a destination and its certificate: both are files read.
    assert!(
        coverage.contains(
            "Coverage: 7 destination file(s) read, 1 skipped; 11 destination(s) found: 8 audited, 1 in scope not audited, 2 out of scope"
        ),
        "{coverage}"
    );
    assert!(!r.stdout.contains("\x1b["), "no colour when piped");
    // Skipped files are counted; `-v` names them with the reason.
    assert!(r.stderr.contains("1 file(s) in the folders read are not destination files and were skipped (-v lists them)"), "{}", r.stderr);
    let verbose = run_owned(&with(&EXAMPLES, &["-v"]));
    assert!(verbose.stderr.contains("skipped examples/destinations/test-tenant-exports.zip/README.md: not a destination file type"));
}

#[test]
fn fail_on_sets_the_threshold() {
    assert_eq!(run_owned(&with(&EXAMPLES, &["--fail-on", "never"])).code, 0);
    // Only warnings: clean at the default threshold, findings at warning and note.
    assert_eq!(run(&["check", "tests/fixtures/warnings"]).code, 0);
    assert_eq!(run(&["check", "tests/fixtures/warnings", "--fail-on", "warning"]).code, 1);
    assert_eq!(run(&["check", "tests/fixtures/warnings", "--fail-on", "note"]).code, 1);
}

#[test]
fn a_correct_setup_exits_0() {
    let r = run(&GOOD);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 fail, 0 error, 2 manual"), "{}", r.stdout);
}

#[test]
fn no_destination_in_scope_is_said_out_loud() {
    let r = run(&["check", "tests/fixtures/unrelated"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("none of the 1 destination(s) read is known to be a Cloud ALM destination"));
    assert!(r.stdout.contains("no destination is in scope"));
}

#[test]
fn json_report_follows_its_schema() {
    let r = run_owned(&with(&EXAMPLES, &["--format", "json"]));
    assert_eq!(r.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON on stdout");
    assert_eq!(doc["schema"], "calm-audit-report");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["coverage"]["destinations_in_scope"], 9);
    assert_eq!(doc["coverage"]["destinations_audited"], 8);
    assert_eq!(doc["coverage"]["certificate_files"], 1);
    assert_eq!(doc["certificates"][0]["used_by"], serde_json::json!(["CALM_MTLS"]));
    let not_audited: Vec<&str> = doc["not_audited"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(not_audited, ["TransportManagementService", "SAP_Business_Notifications_Mail", "S4_BACKEND"]);
    let results = doc["results"].as_array().unwrap();
    let fails = results.iter().filter(|r| r["status"] == "fail").count();
    assert_eq!(doc["summary"]["fail"], fails);
    let legacy_slash = results.iter().find(|r| r["code"] == "CALM004" && r["object"]["name"] == "calm_legacy").expect("CALM004 result");
    assert_eq!(legacy_slash["location"]["path"], "examples/destinations/calm_legacy.properties");
    assert_eq!(legacy_slash["location"]["line"], 11);
    assert_eq!(legacy_slash["property"], "URL");
}

#[test]
fn sarif_report_carries_the_catalog_and_locations() {
    let r = run_owned(&with(&EXAMPLES, &["--format", "sarif"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("SARIF on stdout");
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "calm-audit");
    let catalog: serde_json::Value = serde_json::from_str(&run_owned(&["rules".into(), "--format".into(), "json".into()]).stdout).unwrap();
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), catalog.as_array().unwrap().len());
    for result in run["results"].as_array().unwrap() {
        let physical = &result["locations"][0]["physicalLocation"];
        assert!(physical["artifactLocation"]["uri"].is_string(), "{result}");
        assert!(physical["region"]["startLine"].as_i64().unwrap() >= 1);
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
        let kind = result["kind"].as_str().unwrap();
        assert!(["fail", "review", "open"].contains(&kind), "pass/notApplicable only on request: {kind}");
    }
    let all = run_owned(&with(&EXAMPLES, &["--format", "sarif", "--all-results"]));
    assert!(all.stdout.contains("\"kind\": \"pass\""));
}

#[test]
fn output_goes_to_a_file_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let r = run_owned(&with(&EXAMPLES, &["--format", "json", "--output", path.to_str().unwrap()]));
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("\"schema\": \"calm-audit-report\""));
    for secret in SECRETS {
        assert!(!written.contains(secret));
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
}

#[test]
fn rules_and_explain() {
    let table = run(&["rules"]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.contains("CALM001") && table.stdout.contains("CALM090"));
    let md = run(&["rules", "--format", "markdown"]);
    assert!(md.stdout.starts_with("# calm-audit rules"));
    let by_code = run(&["explain", "CALM004"]);
    let by_name = run(&["explain", "destination-url-trailing-slash"]);
    assert_eq!(by_code.code, 0);
    assert_eq!(by_code.stdout, by_name.stdout);
    assert!(by_code.stdout.contains("How to fix:"));
    let lower = run(&["explain", "calm004"]);
    assert_eq!(lower.stdout, by_code.stdout);
    let unknown = run(&["explain", "CALM999"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no rule \"CALM999\""));
}

/// Writes `content` to a scratch file and runs `check` on it.
fn check_file(name: &str, content: &[u8], extra: &[&str]) -> (Run, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let mut args = vec!["check", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    (run(&args), path, dir)
}

fn assert_input_error(r: &Run, path: &Path, line: Option<u32>, text: &str) {
    assert_eq!(r.code, 2, "stdout: {} stderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "nothing audited, nothing reported: {}", r.stdout);
    let location = match line {
        Some(l) => format!("{}:{l}:", path.display()),
        None => format!("{}:", path.display()),
    };
    assert!(r.stderr.contains(&location), "expected {location} in {}", r.stderr);
    assert!(r.stderr.contains(text), "expected {text:?} in {}", r.stderr);
}

#[test]
fn bad_destination_files_exit_2_naming_file_and_line() {
    let (r, p, _d) = check_file("d.json", b"[\n {\"Name\": \"CALM_A\",\n  \"URL\": \"https://x/\",\n }\n]", &[]);
    assert_input_error(&r, &p, Some(4), "invalid JSON");
    let (r, p, _d) = check_file("d.json", b"{\"Name\": \"CALM_A\",\n\"Name\": \"CALM_B\"}", &[]);
    assert_input_error(&r, &p, Some(2), "duplicate key \"Name\"");
    let (r, p, _d) = check_file("d.json", b"{\"Name\": \"CALM_\xe9\"}", &[]);
    assert_input_error(&r, &p, None, "not valid UTF-8");
    let (r, p, _d) = check_file("d.json", b"{\"foo\": 1}", &[]);
    assert_input_error(&r, &p, Some(1), "no destination found");
    let (r, p, _d) = check_file("d.yaml", b"- Name: CALM_A\n  URL: [1, 2]\n", &[]);
    assert_input_error(&r, &p, Some(2), "\"URL\" must be a string");
    let (r, p, _d) = check_file("d.yaml", b"- Name: CALM_A\n  URL: 'unterminated\n", &[]);
    assert_input_error(&r, &p, None, "invalid YAML");
    let (r, p, _d) = check_file("CALM_A.properties", b"Name=CALM_A\nclientSecret=abc\\u12g4\n", &[]);
    assert_input_error(&r, &p, Some(2), "malformed \\uXXXX escape");
    assert!(!r.stderr.contains("abc"), "the secret's value is not in the error");
    let (r, p, _d) = check_file("CALM_A.properties", b"Name=CALM_A\nURL=x\nURL=y\n", &[]);
    assert_input_error(&r, &p, Some(3), "duplicate key");
    let (r, p, _d) = check_file("CALM_A.properties", b"Type=HTTP\n", &[]);
    assert_input_error(&r, &p, None, "no \"Name\" property");
    let (r, p, _d) = check_file("CALM_A.properties", b"", &[]);
    assert_input_error(&r, &p, None, "empty file");
    let (r, p, _d) = check_file("CALM_A.txt", b"Name=\x00\x01\x02", &[]);
    assert_input_error(&r, &p, None, "binary");
    let (r, p, _d) = check_file("CALM_A.xml", b"<destination/>", &[]);
    assert_input_error(&r, &p, None, "unknown destination file type");
    let (r, p, _d) = check_file("exports.zip", b"PK\x03\x04 not really a zip", &[]);
    assert_input_error(&r, &p, None, "not a readable zip archive");
}

/// Regression (item 10): a Cloud ALM key given as a destination path got "no destination
/// found", where a folder walk says which flag takes it; settings the same.
#[test]
fn a_key_or_settings_given_as_destinations_is_named_with_its_flag() {
    let r = run(&["check", "examples/calm-service-key.txt"]);
    assert_input_error(
        &r,
        Path::new("examples/calm-service-key.txt"),
        None,
        "this is a SAP Cloud ALM service key, not destinations: give it with --calm-key",
    );
    let r = run(&["check", "examples/settings.toml"]);
    assert_input_error(
        &r,
        Path::new("examples/settings.toml"),
        None,
        "this is Entitlement Management settings, not destinations: give it with --settings",
    );
    let (r, p, _d) =
        check_file("settings.json", b"{\"enable_integration_monitoring\": true, \"enable_business_process_monitoring\": false}", &[]);
    assert_input_error(&r, &p, None, "give it with --settings");
}

/// Regression (item 10): `-v`'s help did not say that it lists the skipped files.
#[test]
fn verbose_says_it_lists_skipped_files() {
    let r = run(&["check", "--help"]);
    let help = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("list every file a folder walk skipped, with the reason"), "{help}");
}

#[test]
fn bad_settings_and_keys_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.toml");
    std::fs::write(
        &settings,
        "enable_integration_monitoring = true\nenable_business_process_monitoring = true\ndestination = \"CALM_A\"\n",
    )
    .unwrap();
    let r = run(&["check", "--settings", settings.to_str().unwrap()]);
    assert_input_error(&r, &settings, Some(3), "unknown key `destination`; did you mean `destination_name`?");
    std::fs::write(&settings, "enable_integration_monitoring = \"yes\"\nenable_business_process_monitoring = true\n").unwrap();
    let r = run(&["check", "--settings", settings.to_str().unwrap()]);
    assert_input_error(&r, &settings, Some(1), "invalid settings");
    std::fs::write(&settings, "enable_integration_monitoring = true\n").unwrap();
    let r = run(&["check", "--settings", settings.to_str().unwrap()]);
    assert_input_error(&r, &settings, None, "missing `enable_business_process_monitoring`");
    // Regression (item 10): an unknown key was reported, but not the missing boolean of the same file.
    std::fs::write(&settings, "enable_integration_monitoring = true\ndestination = \"CALM_A\"\nenable_bpm = 1\n").unwrap();
    let r = run(&["check", "--settings", settings.to_str().unwrap()]);
    assert_input_error(&r, &settings, Some(2), "unknown key `destination`");
    assert_input_error(&r, &settings, Some(3), "unknown key `enable_bpm`");
    assert_input_error(&r, &settings, None, "missing `enable_business_process_monitoring`");
    std::fs::write(&settings, "enable_integration_monitoring = 1\nenable_business_process_monitoring = \"yes\"\n").unwrap();
    let r = run(&["check", "--settings", settings.to_str().unwrap()]);
    assert_input_error(&r, &settings, Some(1), "enable_integration_monitoring must be true or false, not an integer");
    assert_input_error(&r, &settings, Some(2), "enable_business_process_monitoring must be true or false, not the string \"yes\"");
    assert!(!r.stderr.contains("missing"), "a key given with the wrong type is not also missing: {}", r.stderr);
    let json = dir.path().join("settings.json");
    std::fs::write(&json, "{\"enable_integration_monitoring\": true,\n \"enable_business_process_monitoring\": false,\n \"extra\": 1}")
        .unwrap();
    let r = run(&["check", "--settings", json.to_str().unwrap()]);
    assert_input_error(&r, &json, Some(3), "unknown key `extra`");

    let key = dir.path().join("key.txt");
    std::fs::write(&key, "{\"uaa\": {\"clientsecret\": \"canary-key-secret-7f3a\",\n \"clientid\": 5}}").unwrap();
    let r = run(&["check", "--calm-key", key.to_str().unwrap()]);
    assert_input_error(&r, &key, Some(2), "\"uaa.clientid\" must be a string");
    std::fs::write(&key, "Getting key...\nFAILED\n").unwrap();
    let r = run(&["check", "--calm-key", key.to_str().unwrap()]);
    assert_input_error(&r, &key, None, "not a Cloud ALM service key");

    let r = run(&["check", "--settings", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "a folder given as the settings file");
    assert!(r.stderr.contains(dir.path().to_str().unwrap()));
}

#[test]
fn invocation_errors_exit_2() {
    let r = run(&["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing to audit"));
    let r = run(&["check", "does/not/exist"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does/not/exist: no such file or folder"));
    assert_eq!(run(&["check", "examples/destinations", "--format", "xml"]).code, 2);
    assert_eq!(run(&["check", "examples/destinations", "--fail-on", "sometimes"]).code, 2);
    assert_eq!(run(&["frobnicate"]).code, 2);
    assert_eq!(run(&["--version"]).code, 0);
}

#[test]
fn latin1_exports_and_removed_secrets_are_read() {
    let r = run(&["check", "examples/destinations/calm_legacy.properties", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    let secret = results.iter().find(|r| r["code"] == "CALM009").unwrap();
    assert_eq!(secret["status"], "manual", "the removed-on-export marker is not a secret");
    assert_eq!(secret["location"]["line"], 1);
}

#[test]
fn secrets_never_reach_any_output() {
    // `run` asserts on stdout and stderr; this covers every format and the error paths.
    for format in ["table", "json", "sarif", "html"] {
        for base in [&EXAMPLES[..], &GOOD[..], &["check", "tests/fixtures/warnings", "tests/fixtures/unrelated"][..]] {
            run_owned(&with(base, &["--format", format, "--all-results"]));
        }
    }
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in entries {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn zip_archives_are_read_entry_by_entry() {
    let archive = zip_with(&[
        ("exports/CALM_A.properties", b"Name=CALM_A\nURL=https\\://a.eu10.alm.cloud.sap\n"),
        ("exports/other.json", b"[{\"Name\": \"S4\"}]"),
        ("notes.md", b"# not a destination"),
    ]);
    let (r, p, _d) = check_file("exports.zip", &archive, &["--format", "json", "-v"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["coverage"]["files_read"], 2);
    assert_eq!(doc["coverage"]["destinations_found"], 2);
    let slash = doc["results"].as_array().unwrap().iter().find(|r| r["code"] == "CALM004").unwrap();
    assert_eq!(slash["status"], "fail");
    assert_eq!(slash["location"]["path"], format!("{}/exports/CALM_A.properties", p.display()));
    assert_eq!(slash["location"]["line"], 2);
    assert!(r.stderr.contains("notes.md: not a destination file type"));
}

#[test]
fn zip_entries_escaping_the_archive_are_refused() {
    let archive = zip_with(&[("../evil.properties", b"Name=CALM_A\n")]);
    let (r, p, _d) = check_file("exports.zip", &archive, &[]);
    assert_input_error(&r, &p, None, "unsafe path");
    let archive = zip_with(&[("CALM_A.properties", b"Name=CALM_A\nURL=\\u00\n")]);
    let (r, p, _d) = check_file("exports.zip", &archive, &[]);
    assert_input_error(&r, &p.join("CALM_A.properties"), Some(2), "malformed");
}

#[test]
fn output_to_a_device_pipe_or_link_writes_through_it_and_never_replaces_it() {
    use std::os::unix::fs::FileTypeExt;
    // Renaming a finished report over `--output /dev/null` once replaced the device with a
    // regular file; a named pipe takes the same path through the code without that risk.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let base = ["check", "examples/destinations", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"];
    let piped = run_owned(&with(&base, &["--format", "json", "--output", fifo.to_str().unwrap()]));
    assert_eq!(piped.code, 1, "{}", piped.stderr);
    // Checked before joining: a replaced pipe would leave the reader waiting for ever.
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe is still a pipe");
    let received = reader.join().unwrap();
    assert!(received.contains("\"schema_version\""), "the report went through the pipe");

    let real = dir.path().join("report.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let linked = run_owned(&with(&base, &["--format", "json", "--output", link.to_str().unwrap()]));
    assert_eq!(linked.code, 1, "{}", linked.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    assert!(std::fs::read_to_string(&real).unwrap().contains("\"schema_version\""), "the linked file got the report");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3, "no temporary file left behind");
}

/// The HTML verdict tells the same story as the exit code, and a failed source comes before
/// everything but the verdict.
#[test]
fn html_verdict_matches_the_exit_code() {
    let verdict = |r: &Run| r.stdout.split("<h1 id=\"verdict\">").nth(1).and_then(|s| s.split(':').next()).unwrap_or_default().to_owned();
    let failed = run_owned(&with(&EXAMPLES, &["--format", "html"]));
    assert_eq!((failed.code, verdict(&failed).as_str()), (1, "FAILED"));
    assert!(failed.stdout.contains("<strong>Exit code 1:</strong>"));
    let passed = run_owned(&with(&GOOD, &["--format", "html"]));
    assert_eq!((passed.code, verdict(&passed).as_str()), (0, "PASSED"));
    let never = run_owned(&with(&EXAMPLES, &["--format", "html", "--fail-on", "never"]));
    assert_eq!((never.code, verdict(&never).as_str()), (0, "PASSED"));
    assert!(never.stdout.contains("not counted (--fail-on never)"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("tests/fixtures/good/CALM_BPMON.properties"), dir.path().join("CALM_BPMON.properties")).unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"Name\": \"CALM_BROKEN\", \"URL\": ").unwrap();
    let folder = dir.path().display().to_string();
    let incomplete = run(&["check", &folder, "--format", "html"]);
    assert_eq!((incomplete.code, verdict(&incomplete).as_str()), (3, "INCOMPLETE"), "{}", incomplete.stderr);
    let html = &incomplete.stdout.replace("<wbr>", "");
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} not in\n{html}"));
    assert!(at("<h1 id=\"verdict\">") < at("Source failures: the audit is incomplete"));
    assert!(at("Source failures") < at("broken.json:1") && at("broken.json:1") < at("id=\"coverage\""));
    assert!(html.contains("<strong>Exit code 3:</strong>"));
}
