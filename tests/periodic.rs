//! Periodic audits over many subaccounts (issue 23): every report is dated evidence, every
//! target is reported whatever happens to the others, a partial audit says so, and `--require`
//! refuses one.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

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

/// 2026-01-01T00:00:00Z.
const EPOCH: &str = "1767225600";

/// Runs in `dir` with no `CALM_AUDIT_*` variable and no `SOURCE_DATE_EPOCH` but those given.
fn calm_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    cmd.current_dir(dir).args(args).env_remove("VCAP_SERVICES").env_remove("SOURCE_DATE_EPOCH").env_remove("COLUMNS");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CALM_AUDIT_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run calm-audit");
    let run = Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn fixed(dir: &Path, args: &[&str]) -> Run {
    calm_in(dir, args, &[("SOURCE_DATE_EPOCH", EPOCH)])
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A scratch folder with the fixtures and a `calm-audit.toml`.
fn workspace(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/fixtures"), &dir.path().join("fixtures"));
    std::fs::write(dir.path().join("calm-audit.toml"), config).unwrap();
    dir
}

const EXAMPLES: [&str; 6] =
    ["check", "examples/destinations", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"];

fn with(base: &[&'static str], extra: &[&'static str]) -> Vec<&'static str> {
    base.iter().chain(extra).copied().collect()
}

/// Regression (item 1): no report said when it was made.
#[test]
fn every_format_says_when_and_with_what_it_was_made() {
    let r = root();
    let doc = json(&fixed(&r, &with(&EXAMPLES, &["--format", "json"])));
    let run = &doc["run"];
    assert_eq!(run["started"], "2026-01-01T00:00:00Z");
    assert_eq!(run["ended"], "2026-01-01T00:00:00Z");
    assert_eq!(run["time_source"], "SOURCE_DATE_EPOCH");
    assert_eq!(run["calm_audit_version"], env!("CARGO_PKG_VERSION"));
    let catalog = run["catalog_version"].as_str().expect("catalog version");
    assert!(catalog.len() == 12 && catalog.bytes().all(|b| b.is_ascii_hexdigit()), "{catalog}");
    let inputs: Vec<(String, String)> = run["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| (i["kind"].as_str().unwrap_or_default().to_owned(), i["source"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(
        inputs,
        [
            ("destinations".to_owned(), "examples/destinations".to_owned()),
            ("settings".to_owned(), "examples/settings.toml".to_owned()),
            ("cloud_alm_key".to_owned(), "examples/calm-service-key.txt".to_owned()),
        ]
    );

    let sarif: Value = serde_json::from_str(&fixed(&r, &with(&EXAMPLES, &["--format", "sarif"])).stdout).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["startTimeUtc"], "2026-01-01T00:00:00Z");
    assert_eq!(invocation["endTimeUtc"], "2026-01-01T00:00:00Z");
    assert_eq!(invocation["properties"]["catalogVersion"], catalog);
    assert_eq!(invocation["exitCode"], 1);
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));

    let line =
        format!("2026-01-01T00:00:00Z to 2026-01-01T00:00:00Z (UTC, fixed by SOURCE_DATE_EPOCH); calm-audit {}", env!("CARGO_PKG_VERSION"));
    let table = fixed(&r, &with(&EXAMPLES, &["--format", "table"])).stdout.replace("\n  ", " ");
    assert!(table.contains(&format!("Run: {line}, catalog {catalog}")), "{table}");
    assert!(table.contains("Inputs: destinations examples/destinations; settings examples/settings.toml; Cloud ALM key"), "{table}");
    let md = fixed(&r, &with(&EXAMPLES, &["--format", "markdown"])).stdout;
    assert!(md.contains("**Run:** 2026-01-01T00:00:00Z to 2026-01-01T00:00:00Z (UTC, fixed by `SOURCE_DATE_EPOCH`)"), "{md}");
    assert!(md.contains(&format!("catalog `{catalog}`; inputs: destinations examples/destinations")), "{md}");
    let html = fixed(&r, &with(&EXAMPLES, &["--format", "html"])).stdout.replace("<wbr>", "");
    assert!(
        html.contains("<dt>Run started (UTC)</dt><dd><span class=\"nw\">2026-01-01T00:00:00Z</span></dd>")
            && html.contains("<dt>Times from</dt><dd>fixed by SOURCE_DATE_EPOCH</dd>"),
        "{html}"
    );
    assert!(html.contains(&format!("<dt>Rule catalog</dt><dd>{catalog}</dd>")), "{html}");
    let junit = fixed(&r, &with(&EXAMPLES, &["--format", "junit"])).stdout;
    assert!(junit.contains("<property name=\"run_started\" value=\"2026-01-01T00:00:00Z\"/>"), "{junit}");
    assert!(junit.contains(&format!("<property name=\"catalog_version\" value=\"{catalog}\"/>")), "{junit}");
}

/// `SOURCE_DATE_EPOCH` makes reports byte-identical; without it the times are the clock's, in
/// order; a malformed value is refused rather than replaced by the clock unseen.
#[test]
fn source_date_epoch_fixes_the_time_and_a_bad_one_is_refused() {
    let r = root();
    for format in ["json", "sarif", "html", "markdown", "junit", "table"] {
        let args = with(&EXAMPLES, &["--format", format]);
        let (a, b) = (fixed(&r, &args), fixed(&r, &args));
        assert_eq!(a.stdout, b.stdout, "{format} is not byte-identical");
    }
    let clock = json(&calm_in(&r, &with(&EXAMPLES, &["--format", "json"]), &[]));
    let (started, ended) = (clock["run"]["started"].as_str().unwrap(), clock["run"]["ended"].as_str().unwrap());
    assert_eq!(clock["run"]["time_source"], "clock");
    assert!(started.len() == 20 && started.ends_with('Z') && started <= ended, "{started} {ended}");
    for bad in ["yesterday", "-5", "1.5"] {
        let run = calm_in(&r, &with(&EXAMPLES, &[]), &[("SOURCE_DATE_EPOCH", bad)]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("SOURCE_DATE_EPOCH") && run.stderr.contains(bad), "{}", run.stderr);
    }
}

const TWO_TARGETS: &str = r#"calm_key = "fixtures/good/calm-key.txt"
settings = "fixtures/good/settings.toml"

[[target]]
name = "prod-eu10"
paths = ["fixtures/targets/eu10"]

[[target]]
name = "legacy-us10"
paths = ["fixtures/targets/us1O"]
"#;

/// Regression (item 2): one mistyped target path stopped the run with exit 2, no report for the
/// good target, and a message that named neither the target nor its line.
#[test]
fn a_target_that_cannot_be_read_never_stops_the_others() {
    let dir = workspace(TWO_TARGETS);
    let d = dir.path();
    let table = fixed(d, &["check"]);
    assert_eq!(table.code, 3, "a failed target makes the run incomplete: {}", table.stderr);
    let text = table.stdout.replace("\n  ", " ");
    assert!(text.contains("Target prod-eu10 (calm-audit.toml:4): PASSED: 0 failing at or above error; read in full"), "{text}");
    assert!(
        text.contains(
            "Target legacy-us10 (calm-audit.toml:8): NOT AUDITED, it could not be read: fixtures/targets/us1O: no such file or folder"
        ),
        "{text}"
    );
    assert!(text.contains("Verdict: INCOMPLETE"), "{text}");
    assert!(table.stderr.contains("target legacy-us10 (calm-audit.toml:8): not audited: fixtures/targets/us1O"), "{}", table.stderr);

    let doc = json(&fixed(d, &["check", "--format", "json"]));
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets[0]["verdict"], "passed");
    assert_eq!(targets[0]["defined_at"], "calm-audit.toml:4");
    assert_eq!(targets[1]["verdict"], "not_audited");
    assert!(targets[1]["error"].as_str().unwrap().contains("fixtures/targets/us1O"));
    assert_eq!(doc["verdict"], "incomplete");
    assert!(doc["results"].as_array().unwrap().iter().any(|r| r["target"] == "prod-eu10"), "the good target is audited");

    let md = fixed(d, &["check", "--format", "markdown"]).stdout;
    assert!(md.contains("- `prod-eu10` (`calm-audit.toml:4`): **PASSED**, 0 failing"), "{md}");
    assert!(md.contains("- `legacy-us10` (`calm-audit.toml:8`): **NOT AUDITED**, it could not be read"), "{md}");
    let sarif: Value = serde_json::from_str(&fixed(d, &["check", "--format", "sarif"]).stdout).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(invocation["toolExecutionNotifications"].to_string().contains("target legacy-us10 (calm-audit.toml:8)"), "{invocation}");
    let html = fixed(d, &["check", "--format", "html"]).stdout.replace("<wbr>", "");
    assert!(html.contains("<strong>NOT AUDITED</strong>: could not be read: fixtures/targets/us1O"), "{html}");

    // Every target failing: nothing was audited, exit 2 naming each.
    let none = workspace(&TWO_TARGETS.replace("fixtures/targets/eu10", "fixtures/targets/eu1O"));
    let run = fixed(none.path(), &["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("target prod-eu10 (calm-audit.toml:4): fixtures/targets/eu1O"), "{}", run.stderr);
    assert!(run.stderr.contains("target legacy-us10 (calm-audit.toml:8): fixtures/targets/us1O"), "{}", run.stderr);
}

/// Each target's verdict line carries its failing count at the threshold.
#[test]
fn each_target_has_its_own_verdict_line() {
    let config = TWO_TARGETS.replace("fixtures/targets/us1O", "fixtures/targets/us10");
    let dir = workspace(&config);
    let run = fixed(dir.path(), &["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = run.stdout.replace("\n  ", " ");
    assert!(text.contains("Target prod-eu10 (calm-audit.toml:4): PASSED: 0 failing at or above error; read in full"), "{text}");
    let legacy = text.lines().find(|l| l.starts_with("Target legacy-us10 (calm-audit.toml:8): FAILED: ")).expect(&text);
    let failing: usize = legacy.split(": FAILED: ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    let doc = json(&fixed(dir.path(), &["check", "--format", "json"]));
    let counted = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == "legacy-us10" && r["status"] == "fail" && r["severity"] == "error")
        .count();
    assert_eq!(failing, counted, "{legacy}");
    assert_eq!(doc["targets"][1]["failing"], counted);
}

/// Regression (item 3): without key and settings a clean run said "No findings to show." and
/// exited 0; now it says that it is partial and `--require` refuses it.
#[test]
fn a_partial_audit_says_so_and_require_refuses_it() {
    let r = root();
    let args = ["check", "tests/fixtures/targets/eu10"];
    let run = fixed(&r, &args);
    assert_eq!(run.code, 0, "a partial audit is not a failure by itself: {}", run.stderr);
    // The table names itself on its first line (issue 29, point 5), then says it.
    let text = run.stdout.strip_prefix("# calm-audit table report\n\n").unwrap_or(&run.stdout).replace("\n  ", " ");
    assert!(
        text.starts_with("No findings to show, but this is a partial audit: no Cloud ALM service key (--calm-key), 8 rule(s) could not run; no Entitlement Management settings (--settings), 6 rule(s) could not run."),
        "{text}"
    );
    assert!(text.contains("Verdict: PASSED (exit code 0), but this is a partial audit"), "{text}");
    assert!(run.stderr.contains("--require calm-key,settings refuses a partial audit"), "{}", run.stderr);
    let doc = json(&fixed(&r, &with(&args, &["--format", "json"])));
    let partial: Vec<(&str, u64)> =
        doc["partial"].as_array().unwrap().iter().map(|m| (m["input"].as_str().unwrap(), m["rules"].as_u64().unwrap())).collect();
    assert_eq!(partial, [("calm-key", 8), ("settings", 6)]);
    let md = fixed(&r, &with(&args, &["--format", "markdown"])).stdout;
    assert!(md.starts_with("## calm-audit: no findings, but a partial audit\n\n**Partial audit:** no Cloud ALM service key (`--calm-key`): 8 rule(s) could not run"), "{md}");
    let html = fixed(&r, &with(&args, &["--format", "html"])).stdout.replace("<wbr>", "");
    assert!(html.contains("PASSED: nothing fails at or above the threshold (a partial audit)"), "{html}");
    let sarif = fixed(&r, &with(&args, &["--format", "sarif"])).stdout;
    assert!(sarif.contains("a partial audit: no Cloud ALM service key (--calm-key): 8 rule(s) could not run"), "{sarif}");
    // Only what the selected rules need counts.
    let selected = json(&fixed(&r, &with(&args, &["--format", "json", "--select", "CALM004,CALM012"])));
    assert_eq!(selected["partial"].as_array().map(Vec::len), Some(1), "{}", selected["partial"]);
    assert_eq!(selected["partial"][0]["rules"], 1);
    // A full audit is not partial.
    let full = json(&fixed(
        &r,
        &[
            "check",
            "tests/fixtures/good",
            "--settings",
            "tests/fixtures/good/settings.toml",
            "--calm-key",
            "tests/fixtures/good/calm-key.txt",
            "--format",
            "json",
        ],
    ));
    assert_eq!(full["partial"].as_array().map(Vec::len), Some(0));

    // --require, CALM_AUDIT_REQUIRE and `require = [...]`: a missing input exits 2, every gap named.
    let refused = fixed(&r, &with(&args, &["--require", "calm-key,settings"]));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("--require calm-key: no Cloud ALM service key is given"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--require settings: no Entitlement Management settings are given"), "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
    let given = fixed(&r, &with(&args, &["--require", "calm-key", "--calm-key", "tests/fixtures/good/calm-key.txt"]));
    assert_eq!(given.code, 0, "{}", given.stderr);
    let env = calm_in(&r, &args, &[("SOURCE_DATE_EPOCH", EPOCH), ("CALM_AUDIT_REQUIRE", "settings")]);
    assert_eq!(env.code, 2, "{}", env.stderr);
    let dir = workspace("require = [\"settings\"]\n\n[[target]]\nname = \"prod\"\npaths = [\"fixtures/targets/eu10\"]\n");
    let file = fixed(dir.path(), &["check"]);
    assert_eq!(file.code, 2, "{}", file.stderr);
    assert!(file.stderr.contains("for target prod (calm-audit.toml:3)"), "{}", file.stderr);
    let typo = workspace("require = [\"calm_key\"]\n");
    let bad = fixed(typo.path(), &["check", "fixtures/targets/eu10"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("calm-audit.toml:1") && bad.stderr.contains("calm-key"), "{}", bad.stderr);
}

/// Regression (item 6): a failed source was repeated in every landscape rule's message, each
/// pointing at the settings file rather than at the file that failed.
#[test]
fn a_failed_source_is_named_once_and_the_unjudged_rules_point_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("exports")).unwrap();
    std::fs::copy(root().join("tests/fixtures/good/CALM_BPMON.properties"), d.join("exports/CALM_BPMON.properties")).unwrap();
    std::fs::write(d.join("exports/broken.json"), "{\"Name\": \"CALM_BROKEN\", \"URL\": ").unwrap();
    std::fs::copy(root().join("tests/fixtures/good/settings.toml"), d.join("settings.toml")).unwrap();
    let run = fixed(d, &["check", "exports", "--settings", "settings.toml", "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let doc = json(&run);
    let unjudged: Vec<&Value> = doc["results"].as_array().unwrap().iter().filter(|r| r["status"] == "error").collect();
    assert!(unjudged.len() >= 3, "{unjudged:?}");
    let failure = doc["source_failures"][0]["message"].as_str().unwrap().to_owned();
    for r in &unjudged {
        assert_eq!(r["location"]["path"], "exports/broken.json", "{r}");
        let message = r["message"].as_str().unwrap();
        assert_eq!(message, "not judged: the destination list is incomplete (exports/broken.json:1 failed; see the source failures)");
        assert!(!message.contains(&failure), "the failure is repeated: {message}");
    }
}

/// Regression (item 7): the coverage line said found, in scope and not audited, and left the
/// reader to work out how many were audited.
#[test]
fn the_coverage_line_states_the_audited_count() {
    let text = fixed(&root(), &EXAMPLES).stdout.replace("\n  ", " ");
    let doc = json(&fixed(&root(), &with(&EXAMPLES, &["--format", "json"])));
    let c = &doc["coverage"];
    // Each part named, the parts adding up (issue 29, point 9).
    let line = format!(
        "{} destination(s) found: {} audited, {} in scope not audited, {} out of scope",
        c["destinations_found"], c["destinations_audited"], c["destinations_in_scope_not_audited"], c["destinations_out_of_scope"],
    );
    assert!(text.contains(&line), "{line} not in {text}");
    assert_eq!(
        c["destinations_found"].as_u64(),
        Some(c["destinations_audited"].as_u64().unwrap() + doc["not_audited"].as_array().unwrap().len() as u64),
        "found = audited + not audited"
    );
}
