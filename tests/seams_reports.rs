//! The seams of reports, baselines and walks (issue 29, points 4, 5, 6, 9's coverage and 12):
//! what a nightly audit of several targets relies on when one target is not read, when its
//! own table report lies in a walked folder, and when a reader adds up the coverage.
#![allow(clippy::disallowed_methods)] // tests write their fixtures

#[path = "support/copy.rs"]
mod copy;
use copy::copy_dir;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs in `dir` with no CALM_AUDIT_* variables and a fixed run date.
fn calm(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    cmd.current_dir(dir).args(args).env_remove("VCAP_SERVICES").env("SOURCE_DATE_EPOCH", "1767225600").env("COLUMNS", "200");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CALM_AUDIT_")) {
        cmd.env_remove(k);
    }
    let out = cmd.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Two targets, each with its own key and settings; `test_path` is the second target's folder.
fn targets(test_path: &str) -> String {
    format!(
        "[[target]]\nname = \"prod\"\npaths = [\"ex/destinations\"]\nsettings = \"ex/settings.toml\"\ncalm_key = \"ex/calm-service-key.txt\"\n\n\
         [[target]]\nname = \"test\"\npaths = [\"{test_path}\"]\nsettings = \"ex/settings.toml\"\ncalm_key = \"ex/calm-service-key.txt\"\n"
    )
}

/// A scratch folder with the bundled example (`ex/`) and the two targets.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples"), &dir.path().join("ex"));
    std::fs::write(dir.path().join("calm-audit.toml"), targets("ex/as-code/mta-project")).unwrap();
    std::fs::write(dir.path().join("mistyped.toml"), targets("ex/as-code/mta-projct")).unwrap();
    dir
}

fn reports(night: &str) -> Vec<String> {
    ["json", "sarif", "markdown", "html"]
        .iter()
        .map(|f| {
            let ext = if *f == "markdown" { "md" } else { f };
            format!("--report={f}={night}/calm-audit.{ext}")
        })
        .collect()
}

/// Point 4: after a complete night, a night where one target's path is mistyped called that
/// target's earlier failures "gone" (SARIF `absent`), which reads as "fixed since last night".
#[test]
fn failures_of_a_target_not_read_are_not_compared_never_gone() {
    let dir = workspace();
    let d = dir.path();
    let mut args = vec!["check".to_owned()];
    args.extend(reports("night1"));
    let first = calm(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(first.code, 1, "{}", first.stderr);
    let night1 = json_file(&d.join("night1/calm-audit.json"));
    let test_failures = night1["results"].as_array().unwrap().iter().filter(|r| r["status"] == "fail" && r["target"] == "test").count();
    assert!(test_failures > 0, "the example's MTA project fails some rules");

    for baseline in ["night1/calm-audit.json", "night1/calm-audit.sarif"] {
        let mut args: Vec<String> =
            ["check", "--config", "mistyped.toml", "--format", "table", "--baseline", baseline].map(String::from).to_vec();
        args.extend(reports("night2"));
        let second = calm(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(second.code, 3, "a target not read: incomplete\n{}", second.stderr);
        let json = json_file(&d.join("night2/calm-audit.json"));
        let b = &json["baseline"];
        assert_eq!(b["absent"].as_array().unwrap().len(), 0, "{baseline}: nothing of test was looked at: {b}");
        let not_compared = b["not_compared"].as_array().unwrap();
        assert_eq!(not_compared.len(), test_failures, "{baseline}: {b}");
        assert!(
            not_compared.iter().all(|n| n["target"] == "test" && n["reason"].as_str().unwrap().contains("target test was not read")),
            "{b}"
        );
        assert!(b["unchanged"].as_u64().unwrap() > 0, "prod's failures are unchanged: {b}");
        let counts = format!("0 gone, {test_failures} not compared");
        assert!(second.stdout.contains(&counts), "table: {}", second.stdout);
        assert!(second.stderr.contains(&counts) && second.stderr.contains("not known gone"), "{}", second.stderr);
        assert!(read(&d.join("night2/calm-audit.md")).contains(&counts));
        assert!(read(&d.join("night2/calm-audit.html")).contains(&format!("0 gone, {test_failures} not compared")));
        let sarif = json_file(&d.join("night2/calm-audit.sarif"));
        let run = &sarif["runs"][0];
        assert!(run["results"].as_array().unwrap().iter().all(|r| r["baselineState"] != "absent"), "no absent result");
        assert_eq!(run["invocations"][0]["properties"]["baseline"]["notCompared"], test_failures);
        let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
        assert!(notes.iter().any(|n| n["level"] == "note" && n["message"]["text"].as_str().unwrap().contains("not compared")), "{notes:?}");
    }
}

/// Point 5: the nightly script of docs/ci.md saves the table as `reports/DAY/calm-audit.txt`;
/// a later walk of a folder holding it ended INCOMPLETE (`empty property name`).
#[test]
fn a_walk_skips_the_table_report_saved_as_text() {
    let dir = workspace();
    let d = dir.path();
    let table = calm(d, &["check", "--format", "table"]);
    assert!(table.stdout.starts_with("# calm-audit table report\n"), "{}", table.stdout);
    std::fs::create_dir_all(d.join("ex/destinations/reports/2026-01-01")).unwrap();
    std::fs::write(d.join("ex/destinations/reports/2026-01-01/calm-audit.txt"), &table.stdout).unwrap();
    std::fs::write(d.join("ex/destinations/reports/2026-01-01/no-extension"), &table.stdout).unwrap();
    let walk = calm(d, &["check", "ex/destinations", "--calm-key", "ex/calm-service-key.txt", "--settings", "ex/settings.toml", "-v"]);
    assert_eq!(walk.code, 1, "findings, not an incomplete audit\n{}", walk.stderr);
    assert!(
        walk.stderr.contains("skipped ex/destinations/reports/2026-01-01/calm-audit.txt: a calm-audit table report"),
        "{}",
        walk.stderr
    );
    assert!(walk.stderr.contains("reports/2026-01-01/no-extension: a calm-audit table report"), "{}", walk.stderr);
    // Every text format saved under a name a walk reads (`.txt`, no extension) is skipped too.
    for format in ["markdown", "html", "junit"] {
        let report = calm(d, &["check", "ex/destinations", "--format", format]);
        std::fs::write(d.join(format!("ex/destinations/reports/2026-01-01/{format}.txt")), &report.stdout).unwrap();
        std::fs::write(d.join(format!("ex/destinations/reports/2026-01-01/{format}")), &report.stdout).unwrap();
    }
    let walk = calm(d, &["check", "ex/destinations", "--calm-key", "ex/calm-service-key.txt", "--settings", "ex/settings.toml", "-v"]);
    assert_eq!(walk.code, 1, "findings, not an incomplete audit\n{}", walk.stderr);
    for kind in ["Markdown", "HTML", "JUnit"] {
        assert_eq!(walk.stderr.matches(&format!(": a calm-audit {kind} report")).count(), 2, "{kind}: {}", walk.stderr);
    }
    // Named on the command line, it is refused with a clear error, naming the file.
    let named = calm(d, &["check", "ex/destinations/reports/2026-01-01/calm-audit.txt"]);
    assert_eq!(named.code, 2, "{}", named.stderr);
    assert!(named.stderr.contains("calm-audit.txt: this is a calm-audit table report, not destinations"), "{}", named.stderr);
    // A cockpit export whose first comment merely mentions calm-audit is still read.
    let export = "# calm-audit table report of last week\nName=CALM_X\nType=HTTP\nURL=https\\://x.eu10.alm.cloud.sap/api/\n";
    std::fs::write(d.join("ex/destinations/reports/2026-01-01/CALM_X.txt"), export).unwrap();
    let walk = calm(d, &["check", "ex/destinations/reports", "-v", "--format", "json"]);
    let json: Value = serde_json::from_str(&walk.stdout).unwrap();
    assert_eq!(json["coverage"]["destinations_found"], 1, "{}", walk.stderr);
}

/// Point 6: the multi-target HTML said "Cloud ALM key: not given" and the JSON
/// `coverage.settings: null` when every target had its key and settings; a target that could
/// not be read was listed twice under "Source failures".
#[test]
fn inputs_given_per_target_are_never_not_given() {
    let dir = workspace();
    let d = dir.path();
    let mut args: Vec<String> = ["check", "--config", "mistyped.toml"].map(String::from).to_vec();
    args.extend(reports("out"));
    let run = calm(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 3, "{}", run.stderr);
    let json = json_file(&d.join("out/calm-audit.json"));
    assert_eq!(json["coverage"]["settings"], "per target", "{}", json["coverage"]);
    assert_eq!(json["coverage"]["cloud_alm_key"], "per target", "{}", json["coverage"]);
    let html = read(&d.join("out/calm-audit.html")).replace("<wbr>", "");
    assert!(!html.contains("not given"), "every target had its key and settings");
    assert!(html.contains("calm-service-key.txt (prod, test)"), "the key row names the targets");
    let failures = &html[html.find("Source failures").unwrap()..html.find("id=\"coverage\"").unwrap_or(html.len())];
    assert_eq!(failures.matches("<li>").count(), 1, "the unread target once: {failures}");
    // Only some targets with settings: the others are named.
    std::fs::write(
        d.join("half.toml"),
        targets("ex/as-code/mta-project").replacen("settings = \"ex/settings.toml\"\ncalm_key", "calm_key", 1),
    )
    .unwrap();
    let half = calm(d, &["check", "--config", "half.toml", "--format", "json"]);
    let json: Value = serde_json::from_str(&half.stdout).unwrap();
    assert_eq!(json["coverage"]["settings"], "per target; not given in prod", "{}", json["coverage"]);
}

/// Point 9 (coverage): "11 found, 9 in scope, 8 audited, 3 not audited" did not add up.
#[test]
fn the_coverage_adds_up_and_names_each_part() {
    let dir = workspace();
    let d = dir.path();
    let run = calm(
        d,
        &[
            "check",
            "ex/destinations",
            "--calm-key",
            "ex/calm-service-key.txt",
            "--settings",
            "ex/settings.toml",
            "--report",
            "json=out.json",
        ],
    );
    let c = &json_file(&d.join("out.json"))["coverage"];
    let part = |k: &str| c[k].as_u64().unwrap();
    assert_eq!(
        part("destinations_found"),
        part("destinations_audited")
            + part("destinations_in_scope_not_audited")
            + part("destinations_out_of_scope")
            + part("destinations_scope_unknown"),
        "{c}"
    );
    assert!(part("destinations_in_scope_not_audited") > 0 && part("destinations_out_of_scope") > 0, "the example has both: {c}");
    let words = format!(
        "{} destination(s) found: {} audited, {} in scope not audited, {} out of scope",
        part("destinations_found"),
        part("destinations_audited"),
        part("destinations_in_scope_not_audited"),
        part("destinations_out_of_scope")
    );
    assert!(run.stdout.contains(&words), "{}", run.stdout);
}

/// When no target could be read the run exits 2, and the reports said "exit code 3".
#[test]
fn the_reports_name_the_exit_code_of_a_run_that_read_nothing() {
    let dir = workspace();
    let d = dir.path();
    std::fs::write(d.join("none.toml"), targets("nope").replace("ex/destinations", "nope-either")).unwrap();
    let mut args: Vec<String> = ["check", "--config", "none.toml", "--format", "table"].map(String::from).to_vec();
    args.extend(reports("out"));
    let run = calm(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.contains("(exit code 2)") && !run.stdout.contains("exit code 3"), "{}", run.stdout);
    let html = read(&d.join("out/calm-audit.html"));
    assert!(html.contains("Exit code 2:") && html.contains("NOTHING AUDITED: no target could be read"), "{html}");
    assert_eq!(json_file(&d.join("out/calm-audit.sarif"))["runs"][0]["invocations"][0]["exitCode"], 2);
}

/// A destination file of one destination with these URL and token URL.
fn destination(name: &str, url: &str, token_url: &str) -> String {
    format!(
        "{{\"Name\": \"{name}\", \"Type\": \"HTTP\", \"URL\": \"{url}\", \"Authentication\": \"OAuth2ClientCredentials\", \
         \"ProxyType\": \"Internet\", \"clientId\": \"sb-x\", \"clientSecret\": \"FAKE-value-0001\", \
         \"tokenServiceURLType\": \"Dedicated\", \"tokenServiceURL\": \"{token_url}\"}}\n"
    )
}

/// Point 12: a token URL with no path, or ending in `/oauth/token/`, was described as "has an
/// empty path segment (//)"; CALM005 spoke of "the key's Api endpoint" when no key was given.
#[test]
fn token_url_and_api_messages_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let host = "https://acme.authentication.eu10.hana.ondemand.com";
    std::fs::write(d.join("a.json"), destination("CALM_NOPATH", "https://acme.eu10.alm.cloud.sap/api", host)).unwrap();
    std::fs::write(d.join("b.json"), destination("CALM_SLASH", "https://acme.eu10.alm.cloud.sap/", &format!("{host}/oauth/token/")))
        .unwrap();
    std::fs::write(d.join("c.json"), destination("CALM_DOUBLE", "https://acme.eu10.alm.cloud.sap/", &format!("{host}//oauth/token")))
        .unwrap();
    let run = calm(d, &["check", "a.json", "b.json", "c.json", "--format", "json"]);
    let json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    let message = |code: &str, name: &str| -> String {
        json["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code && r["object"]["name"] == name)
            .map(|r| r["message"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let no_path = message("CALM011", "CALM_NOPATH");
    assert!(no_path.contains("has no path") && !no_path.contains("empty path segment"), "{no_path}");
    let slash = message("CALM011", "CALM_SLASH");
    assert!(slash.contains("ends with a slash after /oauth/token") && !slash.contains("empty path segment"), "{slash}");
    assert!(message("CALM011", "CALM_DOUBLE").contains("has an empty path segment (//)"));
    let api = message("CALM005", "CALM_NOPATH");
    assert!(api.contains("ends in \"api\"") && !api.contains("the key's"), "no key was given: {api}");
}

/// Point 12: SARIF messages named `./mta-project/mta.yaml:61` where the result's URI is
/// `mta-project/mta.yaml`.
#[test]
fn sarif_messages_name_files_as_their_uris() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/as-code"), dir.path());
    let run = calm(dir.path(), &["check", ".", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let secret = results.iter().find(|r| r["ruleId"] == "CALM070" && r["kind"] == "fail").expect("the example writes a secret");
    let text = secret["message"]["text"].as_str().unwrap();
    assert!(text.contains(" mta-project/mta.yaml:") && !text.contains("./mta-project"), "{text}");
    assert_eq!(secret["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "mta-project/mta.yaml");
}

/// Point 12: `check --help` and the `init` template did not mention MTA or Terraform inputs.
#[test]
fn help_and_template_name_destinations_as_code() {
    let dir = tempfile::tempdir().unwrap();
    let help = calm(dir.path(), &["check", "--help"]);
    assert!(help.stdout.contains("MTA descriptors (mta.yaml, *.mtaext)") && help.stdout.contains("Terraform (*.tf"), "{}", help.stdout);
    let init = calm(dir.path(), &["init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let template = read(&dir.path().join("calm-audit.toml"));
    assert!(template.contains("MTA descriptors (mta.yaml, *.mtaext)") && template.contains("Terraform (*.tf"), "{template}");
}

/// Point 12: `reports/` was rendered on a fixed future date without saying so.
#[test]
fn the_example_reports_say_their_run_date_is_fixed() {
    let readme = read(&root().join("reports/README.md"));
    assert!(readme.contains("The run date is fixed, and in the future: 2099-12-12"), "{readme}");
    assert!(read(&root().join("README.md")).contains("fixed run date far ahead (2099-12-12"));
    for report in ["reports/examples.txt", "reports/examples.md", "reports/as-code.txt"] {
        assert!(read(&root().join(report)).contains("fixed by"), "{report} says its time is fixed");
    }
}
