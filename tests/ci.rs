//! What CI pipelines and periodic audits rely on: the configuration file and its precedence,
//! targets, selection, severity overrides, waivers, baselines, JUnit, Markdown and several
//! reports from one run.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

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

/// Runs in `dir`, with no CALM_AUDIT_* variables but those given.
fn calm_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    // Fixed run times, so two runs of the same inputs give the same bytes (a test may set its own).
    cmd.current_dir(dir).args(args).env_remove("VCAP_SERVICES").env("SOURCE_DATE_EPOCH", "1767225600");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CALM_AUDIT_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
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

/// A scratch folder holding a copy of the fixtures and a `calm-audit.toml`.
fn workspace(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/fixtures"), &dir.path().join("fixtures"));
    std::fs::write(dir.path().join("calm-audit.toml"), config).unwrap();
    dir
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

fn results<'a>(doc: &'a Value, code: &str) -> Vec<&'a Value> {
    doc["results"].as_array().unwrap().iter().filter(|r| r["code"] == code).collect()
}

#[test]
fn flags_beat_environment_beat_the_file() {
    // The warnings fixture only fails at warning level.
    let dir = workspace("paths = [\"fixtures/warnings\"]\nfail_on = \"never\"\n");
    let d = dir.path();
    assert_eq!(calm_in(d, &["check"], &[]).code, 0, "file: never");
    assert_eq!(calm_in(d, &["check"], &[("CALM_AUDIT_FAIL_ON", "warning")]).code, 1, "environment over file");
    assert_eq!(calm_in(d, &["check", "--fail-on", "never"], &[("CALM_AUDIT_FAIL_ON", "warning")]).code, 0, "flag over environment");
    let shown = calm_in(d, &["check", "--show-config", "--format", "json"], &[("CALM_AUDIT_FAIL_ON", "warning")]);
    assert_eq!(shown.code, 0);
    let line = |key: &str| shown.stdout.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap_or_default().to_owned();
    assert!(line("format").ends_with("# command line"), "{}", shown.stdout);
    assert!(line("fail_on").ends_with("# environment CALM_AUDIT_FAIL_ON"), "{}", shown.stdout);
    assert!(line("paths").contains("calm-audit.toml"), "{}", shown.stdout);
    assert!(line("timeout").ends_with("# default"), "{}", shown.stdout);
    let bad_env = calm_in(d, &["check"], &[("CALM_AUDIT_FAIL_ON", "sometimes")]);
    assert_eq!(bad_env.code, 2);
    assert!(bad_env.stderr.contains("CALM_AUDIT_FAIL_ON"), "{}", bad_env.stderr);
}

#[test]
fn configuration_errors_name_the_line() {
    for (config, line, text) in [
        ("paths = [\"fixtures/warnings\"]\nfail_on = \"never\"\nformat = \"json\"\ncolour = true\n", 4, "unknown field `colour`"),
        ("paths = [\"fixtures/warnings\"]\n\nfail_on = \"sometimes\"\n", 3, "fail_on"),
        ("timeout = \"soon\"\n", 1, "invalid configuration"),
        ("select = [\"CALM001\",\n  \"CALM999\"]\n", 2, "no rule \"CALM999\""),
        ("[severity]\nCALM031 = \"fatal\"\n", 2, "severity.CALM031"),
        ("[[waiver]]\nrule = \"CALM404\"\nreason = \"x\"\nexpires = \"2027-01-01\"\n", 1, "waiver names no rule \"CALM404\""),
        ("[[waiver]]\nrule = \"CALM010\"\nexpires = \"2027-01-01\"\n", 1, "missing field `reason`"),
        ("[[waiver]]\nrule = \"CALM010\"\nreason = \"x\"\n", 1, "missing field `expires`"),
        ("[[waiver]]\nrule = \"CALM010\"\nreason = \"x\"\nexpires = \"31.03.2027\"\n", 1, "not a date YYYY-MM-DD"),
        ("[[target]]\nname = \"a\"\npaths = [\"x\"]\n[[target]]\nname = \"a\"\npaths = [\"y\"]\n", 4, "used twice"),
    ] {
        let dir = workspace(config);
        let run = calm_in(dir.path(), &["check"], &[]);
        assert_eq!(run.code, 2, "{config}\n{}", run.stderr);
        assert!(run.stderr.contains(&format!("calm-audit.toml:{line}:")), "{config}\nexpected line {line}: {}", run.stderr);
        assert!(run.stderr.contains(text), "{config}\nexpected {text:?}: {}", run.stderr);
    }
}

const WAIVED: &str = r#"paths = ["fixtures/targets/us10"]
calm_key = "fixtures/good/calm-key.txt"

[[waiver]]
rule = "destination-token-url-type-dedicated"
destination = "CALM_LEG*"
reason = "Common token URL until the tenant move, ticket OPS-4411"
expires = "2027-03-31"

[[waiver]]
rule = "CALM004"
destination = "CALM_LEGACY"
reason = "trailing slash fixed with the move"
expires = "2027-03-31"

[[waiver]]
rule = "CALM005"
destination = "CALM_LEGACY"
reason = "api suffix accepted until the move"
expires = "2027-03-31"

[[waiver]]
rule = "CALM012"
destination = "CALM_LEGACY"
reason = "URL fixed with the move"
expires = "2027-03-31"

[[waiver]]
rule = "CALM019"
destination = "CALM_OTHER*"
reason = "nothing matches this"
expires = "2027-03-31"
"#;

#[test]
fn waivers_apply_until_they_expire_and_report_what_matched_nothing() {
    let dir = workspace(WAIVED);
    let d = dir.path();
    let run = calm_in(d, &["check", "--format", "json"], &[("CALM_AUDIT_TODAY", "2026-11-25")]);
    assert_eq!(run.code, 0, "every failure is waived: {}", run.stderr);
    let doc = json(&run);
    let tuv = results(&doc, "CALM010");
    assert_eq!(tuv[0]["status"], "fail", "a waived result keeps its status");
    assert_eq!(tuv[0]["waived"]["expires"], "2027-03-31");
    let notes = doc["waiver_notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["problem"], "unmatched");
    assert_eq!(notes[0]["defined_at"], "calm-audit.toml:28");
    assert!(run.stderr.contains("waiver at calm-audit.toml:28 (CALM019 CALM_OTHER*) matched no result"), "{}", run.stderr);

    // The day after expiry the waivers stop applying and say so.
    let later = calm_in(d, &["check", "--format", "json"], &[("CALM_AUDIT_TODAY", "2027-04-01")]);
    assert_eq!(later.code, 1);
    let doc = json(&later);
    assert!(results(&doc, "CALM010")[0].get("waived").is_none());
    assert_eq!(doc["waiver_notes"].as_array().unwrap().iter().filter(|n| n["problem"] == "expired").count(), 5);
    assert!(later.stderr.contains("expired on 2027-03-31: it no longer applies"));

    // --no-waivers audits as if there were none.
    assert_eq!(calm_in(d, &["check", "--no-waivers"], &[("CALM_AUDIT_TODAY", "2026-11-25")]).code, 1);

    // Table and Markdown show the waiver; SARIF leaves waived results out unless asked.
    let table = calm_in(d, &["check"], &[("CALM_AUDIT_TODAY", "2026-11-25")]);
    assert!(table.stdout.contains("waived until 2027-03-31"), "{}", table.stdout);
    let md = calm_in(d, &["check", "--format", "markdown", "--all-results"], &[("CALM_AUDIT_TODAY", "2026-11-25")]);
    assert!(md.stdout.contains("waived until 2027-03-31"), "{}", md.stdout);
    let sarif: Value =
        serde_json::from_str(&calm_in(d, &["check", "--format", "sarif"], &[("CALM_AUDIT_TODAY", "2026-11-25")]).stdout).unwrap();
    assert!(sarif["runs"][0]["results"].as_array().unwrap().iter().all(|r| r["ruleId"] != "CALM010"));
    let with: Value =
        serde_json::from_str(&calm_in(d, &["check", "--format", "sarif", "--sarif-waived"], &[("CALM_AUDIT_TODAY", "2026-11-25")]).stdout)
            .unwrap();
    let waived = with["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "CALM010").unwrap();
    assert_eq!(waived["suppressions"][0]["kind"], "external");
    assert!(waived["suppressions"][0]["justification"].as_str().unwrap().contains("OPS-4411"));
}

#[test]
fn baseline_marks_new_and_unchanged_and_lists_absent_whatever_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exports = d.join("exports");
    std::fs::create_dir(&exports).unwrap();
    let legacy = std::fs::read_to_string(root().join("tests/fixtures/targets/us10/CALM_LEGACY.properties")).unwrap();
    std::fs::write(exports.join("a-legacy.properties"), &legacy).unwrap();
    std::fs::write(
        exports.join("b-bpmon.json"),
        std::fs::read_to_string(root().join("tests/fixtures/targets/eu10/destinations.json")).unwrap(),
    )
    .unwrap();
    let first = calm_in(d, &["check", "exports", "--format", "json", "--output", "baseline.json", "--report", "sarif=baseline.sarif"], &[]);
    assert_eq!(first.code, 1);

    // Reorder and reformat: another file first (so another order), properties shuffled (other
    // lines), one fault fixed (Common -> Dedicated) and one added (TrustAll). The files keep
    // their names: where a destination comes from is part of a result's identity.
    std::fs::remove_dir_all(&exports).unwrap();
    std::fs::create_dir(&exports).unwrap();
    let mut lines: Vec<&str> = legacy.lines().collect();
    lines.reverse();
    let changed = lines.join("\n").replace("tokenServiceURLType=Common", "tokenServiceURLType=Dedicated") + "\nTrustAll=true\n";
    std::fs::write(exports.join("a-legacy.properties"), changed).unwrap();
    std::fs::write(exports.join("0-first.properties"), "Name=S4_FIRST\nURL=https\\://s4.example.com/\n").unwrap();
    std::fs::write(
        exports.join("b-bpmon.json"),
        std::fs::read_to_string(root().join("tests/fixtures/targets/eu10/destinations.json")).unwrap(),
    )
    .unwrap();

    for baseline in ["baseline.json", "baseline.sarif"] {
        let run = calm_in(d, &["check", "exports", "--format", "json", "--baseline", baseline], &[]);
        let doc = json(&run);
        let state = |code: &str| results(&doc, code).iter().find(|r| r["status"] == "fail").map(|r| r["baseline"].clone());
        assert_eq!(state("CALM019"), Some(Value::from("new")), "{baseline}");
        assert_eq!(state("CALM004"), Some(Value::from("unchanged")), "{baseline}: reordered lines and files do not matter");
        let absent = doc["baseline"]["absent"].as_array().unwrap();
        assert_eq!(absent.len(), 1, "{baseline}: {absent:?}");
        assert_eq!(absent[0]["code"], "CALM010");
        assert_eq!(run.code, 1, "the new failure counts");
        assert!(run.stderr.contains("1 new"), "{}", run.stderr);
        let sarif: Value =
            serde_json::from_str(&calm_in(d, &["check", "exports", "--format", "sarif", "--baseline", baseline], &[]).stdout).unwrap();
        let states: Vec<&str> =
            sarif["runs"][0]["results"].as_array().unwrap().iter().filter_map(|r| r["baselineState"].as_str()).collect();
        assert!(states.contains(&"new") && states.contains(&"unchanged") && states.contains(&"absent"), "{states:?}");
    }
    // Only new failures count: with the new one waived away by --ignore, the run is clean.
    assert_eq!(calm_in(d, &["check", "exports", "--baseline", "baseline.json", "--ignore", "CALM019"], &[]).code, 0);
    // Not a calm-audit report: an input error.
    std::fs::write(d.join("other.json"), "{\"hello\": 1}").unwrap();
    let bad = calm_in(d, &["check", "exports", "--baseline", "other.json"], &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("other.json: not a calm-audit report"), "{}", bad.stderr);
}

#[test]
fn select_ignore_and_severity_overrides() {
    let dir = workspace("");
    let d = dir.path();
    let only = json(&calm_in(
        d,
        &["check", "fixtures/warnings", "--format", "json", "--select", "CALM003,destination-token-url-type-dedicated"],
        &[],
    ));
    let codes: std::collections::BTreeSet<&str> = only["results"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), vec!["CALM003", "CALM010"]);
    let ignored = json(&calm_in(d, &["check", "fixtures/warnings", "--format", "json", "--ignore", "CALM003"], &[]));
    assert!(results(&ignored, "CALM003").is_empty());
    assert!(!results(&ignored, "CALM010").is_empty());
    // The warnings fixture fails at warning level; raised to error it fails the run.
    assert_eq!(calm_in(d, &["check", "fixtures/warnings"], &[]).code, 0);
    assert_eq!(calm_in(d, &["check", "fixtures/warnings", "--severity", "CALM018=error"], &[]).code, 1);
    let bad = calm_in(d, &["check", "fixtures/warnings", "--select", "CALM999"], &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no rule \"CALM999\""));
}

const TARGETS: &str = r#"concurrency = 2
calm_key = "fixtures/good/calm-key.txt"

[[target]]
name = "prod-eu10"
paths = ["fixtures/targets/eu10"]

[[target]]
name = "legacy-us10"
paths = ["fixtures/targets/us10"]
"#;

#[test]
fn several_targets_in_one_run() {
    let dir = workspace(TARGETS);
    let d = dir.path();
    let run = calm_in(d, &["check", "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = json(&run);
    let targets: Vec<&str> = doc["targets"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(targets, vec!["prod-eu10", "legacy-us10"]);
    assert!(results(&doc, "CALM004").iter().all(|r| r["target"].is_string()));
    let failing_targets: std::collections::BTreeSet<&str> =
        doc["results"].as_array().unwrap().iter().filter(|r| r["status"] == "fail").map(|r| r["target"].as_str().unwrap()).collect();
    assert_eq!(failing_targets.into_iter().collect::<Vec<_>>(), vec!["legacy-us10"]);
    // One target only.
    let prod = calm_in(d, &["check", "--target", "prod-eu10"], &[]);
    assert_eq!(prod.code, 0, "{}{}", prod.stdout, prod.stderr);
    assert!(prod.stdout.contains("Target prod-eu10"));
    let unknown = calm_in(d, &["check", "--target", "nope"], &[]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no such target"));
    // Table and Markdown group by target.
    let md = calm_in(d, &["check", "--format", "markdown"], &[]);
    assert!(md.stdout.contains("legacy-us10"), "{}", md.stdout);
}

/// Regression: the table interleaved the targets' sections and its summary said "settings not
/// given" although a target had them.
#[test]
fn the_table_keeps_each_target_together_with_its_own_inputs() {
    let config = TARGETS.replace("name = \"prod-eu10\"\n", "name = \"prod-eu10\"\nsettings = \"fixtures/good/settings.toml\"\n");
    let dir = workspace(&config);
    let run = calm_in(dir.path(), &["check", "--all-results"], &[("COLUMNS", "120")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = &run.stdout;
    let prod = text.find("Target prod-eu10\n").expect("prod section");
    let legacy = text.find("Target legacy-us10\n").expect("legacy section");
    assert!(prod < legacy, "{text}");
    // The run's summary, after the targets, names every target's inputs.
    let summary = text.find("\nCoverage:").expect("summary");
    let (prod_part, legacy_part) = (&text[prod..legacy], &text[legacy..summary]);
    // Each section holds only its own files, and names its own inputs.
    assert!(prod_part.contains("fixtures/targets/eu10") && !prod_part.contains("fixtures/targets/us10"), "{text}");
    assert!(!legacy_part.contains("fixtures/targets/eu10"), "{text}");
    assert!(prod_part.contains("Inputs: settings fixtures/good/settings.toml, Cloud ALM key fixtures/good/calm-key.txt"), "{text}");
    assert!(legacy_part.contains("Inputs: settings not given, Cloud ALM key fixtures/good/calm-key.txt"), "{text}");
    assert!(prod_part.contains("Destinations audited (") && legacy_part.contains("Destinations audited ("), "{text}");
}

#[test]
fn several_reports_from_one_run_equal_the_single_runs() {
    let dir = workspace("");
    let d = dir.path();
    let args = ["check", "fixtures/mixed", "--calm-key", "fixtures/good/calm-key.txt", "--settings", "fixtures/mixed-settings.toml"];
    let mut all = args.to_vec();
    all.extend([
        "--format",
        "table",
        "--report",
        "json=out/r.json",
        "--report",
        "sarif=out/r.sarif",
        "--report",
        "junit=out/r.xml",
        "--report",
        "markdown=out/r.md",
    ]);
    std::fs::create_dir(d.join("out")).unwrap();
    let combined = calm_in(d, &all, &[]);
    assert_eq!(combined.code, 1);
    for (format, file) in [("json", "out/r.json"), ("sarif", "out/r.sarif"), ("junit", "out/r.xml"), ("markdown", "out/r.md")] {
        let mut single = args.to_vec();
        single.extend(["--format", format]);
        assert_eq!(std::fs::read_to_string(d.join(file)).unwrap(), calm_in(d, &single, &[]).stdout, "{format}");
    }
    let mut table = args.to_vec();
    table.extend(["--format", "table"]);
    assert_eq!(combined.stdout, calm_in(d, &table, &[]).stdout);
    let files: Vec<_> = std::fs::read_dir(d.join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 4, "no temporary files left: {files:?}");
    let bad = calm_in(d, &["check", "fixtures/mixed", "--report", "xml=out/x"], &[]);
    assert_eq!(bad.code, 2);
}

#[test]
fn junit_parses_back_with_failures_and_errors_apart() {
    let run = calm_in(
        &root(),
        &[
            "check",
            "examples/destinations",
            "--settings",
            "examples/settings.toml",
            "--calm-key",
            "examples/calm-service-key.txt",
            "--format",
            "junit",
        ],
        &[],
    );
    let parsed = quick_junit::Report::deserialize_from_str(&run.stdout).expect("valid JUnit");
    let fails = run.stdout.matches("<failure").count();
    assert_eq!(parsed.failures, fails);
    let json_doc = json(&calm_in(
        &root(),
        &[
            "check",
            "examples/destinations",
            "--settings",
            "examples/settings.toml",
            "--calm-key",
            "examples/calm-service-key.txt",
            "--format",
            "json",
        ],
        &[],
    ));
    assert_eq!(json_doc["summary"]["fail"].as_u64().unwrap(), u64::try_from(fails).unwrap(), "one failure per failing result");
    assert_eq!(parsed.tests, json_doc["results"].as_array().unwrap().len());
}

#[test]
fn markdown_is_compact_when_all_is_well() {
    let args = ["check", "tests/fixtures/targets/eu10", "--calm-key", "tests/fixtures/good/calm-key.txt", "--format", "markdown"];
    let run = calm_in(&root(), &args, &[]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("## calm-audit: no findings"), "{}", run.stdout);
    // Heading, the partial audit (no settings), coverage, results, the run: nine lines.
    assert!(run.stdout.lines().count() <= 9, "compact: {}", run.stdout);
    // The catalog's version changes with every rule; the snapshot is about the layout.
    insta::assert_snapshot!(run.stdout.replace(calm_audit::rules::catalog_version(), "<catalog version>"));
}

#[test]
fn init_writes_a_template_that_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(calm_in(d, &["init"], &[]).code, 0);
    let text = std::fs::read_to_string(d.join("calm-audit.toml")).unwrap();
    assert!(text.contains("[[waiver]]"));
    let again = calm_in(d, &["init"], &[]);
    assert_eq!(again.code, 2, "no silent overwrite");
    assert_eq!(calm_in(d, &["init", "--force"], &[]).code, 0);
    let shown = calm_in(d, &["check", "--show-config"], &[]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown.stdout.contains("config = \"calm-audit.toml\""));
}
