//! The seams between configuration, command line, reports and install (issue 29, points 2, 3,
//! 7, 8, 9's `--show-config`, 10 and 11): what a nightly audit, a CI gate and a new user
//! following the README rely on when the pieces meet.
#![allow(clippy::disallowed_methods)] // tests write their fixtures

#[path = "support/skip.rs"]
mod skip;

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
    cmd.current_dir(dir).args(args).env_remove("VCAP_SERVICES").env("SOURCE_DATE_EPOCH", "1767225600");
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

/// A scratch folder with the bundled example (`ex/`) and this `calm-audit.toml`.
fn workspace(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples"), &dir.path().join("ex"));
    if !config.is_empty() {
        std::fs::write(dir.path().join("calm-audit.toml"), config).unwrap();
    }
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const REPORTS: &str = "settings = \"ex/settings.toml\"\ncalm_key = \"ex/calm-service-key.txt\"\npaths = [\"ex/destinations\"]\n\n\
[reports]\njunit = \"out/calm-audit.junit.xml\"\nmarkdown = \"out/calm-audit.md\"\njson = \"out/calm-audit.json\"\n";

/// Point 2: `--report` used to replace the whole `[reports]` table (the Action's SARIF left
/// the docs' JUnit and Markdown unwritten).
#[test]
fn a_report_flag_adds_to_the_configured_reports() {
    let dir = workspace(REPORTS);
    let d = dir.path();
    let run = calm(d, &["check", "--report", "sarif=out/calm-audit.sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for file in ["calm-audit.sarif", "calm-audit.junit.xml", "calm-audit.md", "calm-audit.json"] {
        assert!(d.join("out").join(file).is_file(), "{file} is written: {}", run.stderr);
    }
    // A flag of a format the file has replaces that entry only, and says so.
    let run = calm(d, &["check", "--report", "JSON=elsewhere/r.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(d.join("elsewhere/r.json").is_file(), "{}", run.stderr);
    assert!(run.stderr.contains("replaces the json report out/calm-audit.json of calm-audit.toml:8"), "{}", run.stderr);
    let shown = calm(d, &["check", "--show-config", "--report", "sarif=s.sarif"]);
    let line = |key: &str| shown.stdout.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap_or_default().to_owned();
    assert!(line("reports.sarif").ends_with("# command line"), "{}", shown.stdout);
    assert!(line("reports.junit").ends_with("# calm-audit.toml:6"), "{}", shown.stdout);
}

/// Point 2: two reports sent to one path silently overwrote each other.
#[test]
fn two_reports_to_one_path_are_refused() {
    let dir = workspace(REPORTS);
    let d = dir.path();
    for args in [
        &["check", "--output", "x.sarif", "--report", "sarif=./x.sarif"][..],
        &["check", "--report", "json=out/../out/calm-audit.json", "--report", "markdown=out/calm-audit.json"],
        &["check", "--report", "html=out/calm-audit.md"],
        &["check", "--save-snapshot", "snap.json", "--report", "json=snap.json"],
    ] {
        let run = calm(d, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("are both written to") && run.stderr.contains("give each its own path"), "{args:?}: {}", run.stderr);
        assert!(!d.join("out").exists() && !d.join("x.sarif").exists(), "{args:?}: nothing is written");
    }
}

const TARGETS: &str = "settings = \"ex/settings.toml\"\n\n[[target]]\nname = \"prod\"\npaths = [\"ex/destinations\"]\n\
calm_key = \"ex/calm-service-key.txt\"\n\n[[target]]\nname = \"test\"\npaths = [\"exports/test-us10\"]\nsettings = \"ex/settings.toml\"\n";

/// Point 3: paths on the command line audited everything as one landscape, dropped each
/// target's key and settings, and said nothing.
#[test]
fn paths_with_configured_targets_say_the_targets_are_not_used() {
    let dir = workspace(TARGETS);
    let d = dir.path();
    let run = calm(d, &["check", "ex/destinations", "--format", "json", "--report", "markdown=r.md", "--report", "table=r.txt"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the paths on the command line are audited as one target; the [[target]]s of calm-audit.toml (prod, test) are not used"
        ),
        "{}",
        run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let inputs = doc["run"]["inputs"].as_array().unwrap();
    assert!(inputs.iter().any(|i| i["kind"] == "targets_not_used" && i["source"] == "prod, test of calm-audit.toml"), "{inputs:?}");
    for file in ["r.md", "r.txt"] {
        assert!(read(&d.join(file)).contains("configured targets not used"), "{file}");
    }
    // The file's own paths beside its targets are not read, and that is said.
    std::fs::write(d.join("calm-audit.toml"), format!("paths = [\"ex/destinations\"]\n{TARGETS}")).unwrap();
    let run = calm(d, &["check", "--show-config"]);
    assert!(run.stdout.contains("# note: paths of calm-audit.toml is not used: its [[target]]s name their own sources"), "{}", run.stdout);
    std::fs::write(d.join("calm-audit.toml"), TARGETS).unwrap();
    // Without paths the targets are audited, and nothing is said about them.
    std::fs::create_dir_all(d.join("exports/test-us10")).unwrap();
    std::fs::copy(d.join("ex/destinations/CALM_BPMON.json"), d.join("exports/test-us10/CALM_BPMON.json")).unwrap();
    let run = calm(d, &["check", "--format", "json"]);
    assert!(!run.stderr.contains("not used"), "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["targets"].as_array().map(Vec::len), Some(2), "{}", run.stdout);
}

/// Points 3 and 9: `--show-config` left out the targets, their inputs, and paths that are not there.
#[test]
fn show_config_shows_each_target_with_its_inputs_and_flags_what_is_not_there() {
    let dir = workspace(TARGETS);
    let d = dir.path();
    let shown = calm(d, &["check", "--show-config"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let line = |key: &str| shown.stdout.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap_or_default().to_owned();
    assert!(line("target.prod.paths").contains("\"ex/destinations\"") && line("target.prod.paths").ends_with("# calm-audit.toml:3"));
    assert!(line("target.prod.calm_key").contains("ex/calm-service-key.txt"), "{}", shown.stdout);
    assert!(line("target.prod.settings").contains("the run's value, from calm-audit.toml (settings)"), "{}", shown.stdout);
    assert!(line("target.test.settings").ends_with("# calm-audit.toml:8"), "{}", shown.stdout);
    assert!(line("target.test.calm_key").contains("not given"), "{}", shown.stdout);
    assert!(line("target.test.paths").contains("NOT FOUND: exports/test-us10"), "{}", shown.stdout);
    assert!(!line("target.prod.paths").contains("NOT FOUND"), "{}", shown.stdout);
    assert!(shown.stderr.contains("warning: target.test.paths: exports/test-us10 does not exist"), "{}", shown.stderr);
    // With paths on the command line, the targets are listed as not used.
    let flagged = calm(d, &["check", "ex/destinations", "--show-config"]);
    assert!(flagged.stdout.contains("paths = [\"ex/destinations\"]"), "{}", flagged.stdout);
    assert!(flagged.stdout.contains("(not used: the command line names the sources)"), "{}", flagged.stdout);
    assert!(flagged.stdout.contains("# note: the paths on the command line are audited as one target"), "{}", flagged.stdout);
}

/// Point 7: a missing report folder aborted the run (exit 2, nothing audited).
#[test]
fn report_folders_are_created() {
    let dir = workspace("");
    let d = dir.path();
    let run = calm(d, &["check", "ex/destinations", "--report", "html=reports/2026-01-01/r.html", "-o", "reports/2026-01-01/deep/r.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(read(&d.join("reports/2026-01-01/r.html")).starts_with("<!DOCTYPE html>"));
    assert_eq!(json_file(&d.join("reports/2026-01-01/deep/r.json"))["schema"], "calm-audit-report");
    // A folder that cannot be made (a file is in the way) is named, exit 2.
    let run = calm(d, &["check", "ex/destinations", "--report", "json=ex/settings.toml/r.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot write ex/settings.toml/r.json"), "{}", run.stderr);
}

/// Point 7: when the only target failed, no report was written: the night left no evidence.
#[test]
fn the_only_target_failing_still_leaves_its_reports() {
    let dir = workspace(
        "[reports]\njson = \"reports/day/r.json\"\nhtml = \"reports/day/r.html\"\n\n[[target]]\nname = \"prod\"\npaths = [\"ex/destinatons\"]\n",
    );
    let d = dir.path();
    let run = calm(d, &["check", "--format", "markdown"]);
    assert_eq!(run.code, 2, "no target could be read: {}", run.stderr);
    assert!(run.stderr.contains("error: target prod (calm-audit.toml:5): ex/destinatons"), "{}", run.stderr);
    let doc = json_file(&d.join("reports/day/r.json"));
    assert_eq!(doc["verdict"], "not_audited", "nothing read is exit 2, not an incomplete audit: {doc}");
    assert_eq!(doc["complete"], false);
    assert!(doc["source_failures"].to_string().contains("ex/destinatons"), "{doc}");
    assert_eq!(doc["targets"][0]["verdict"], "not_audited", "{doc}");
    assert!(read(&d.join("reports/day/r.html")).contains("destinatons"), "the HTML names the failure");
    assert!(run.stdout.contains("**Incomplete**"), "standard output has the report too: {}", run.stdout);
}

/// Point 8: `-o report.html` wrote the text table into an `.html` file; `--format JSON` and
/// `--report x.html` were refused without a hint.
#[test]
fn the_output_file_extension_says_the_format() {
    let dir = workspace("");
    let d = dir.path();
    for (file, starts) in [
        ("r.html", "<!DOCTYPE html>"),
        ("r.json", "{"),
        ("r.sarif", "{"),
        ("r.xml", "<?xml"),
        ("r.md", "## calm-audit"),
        ("r.HTML", "<!DOCTYPE html>"),
    ] {
        let run = calm(d, &["check", "ex/destinations", "-o", file]);
        assert_eq!(run.code, 1, "{file}: {}", run.stderr);
        let text = read(&d.join(file));
        assert!(text.starts_with(starts), "{file}: {}", &text[..text.len().min(200)]);
    }
    assert!(read(&d.join("r.sarif")).contains("\"$schema\""), "SARIF, not JSON");
    let run = calm(d, &["check", "ex/destinations", "-o", "r.txt"]);
    let table = read(&d.join("r.txt"));
    assert!(run.code == 1 && table.contains("CALM004") && table.starts_with("# calm-audit table report\n"), "the table: {table}");
    // A contradicting --format wins and is named.
    let run = calm(d, &["check", "ex/destinations", "--format", "table", "-o", "t.html"]);
    assert!(run.stderr.contains("format table (command line) is written to t.html, whose extension says html"), "{}", run.stderr);
    assert!(!read(&d.join("t.html")).starts_with("<!DOCTYPE"));
    // A format of the environment gives way to the extension of --output, and is named.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    let out = cmd.current_dir(d).args(["check", "ex/destinations", "-o", "e.html"]).env("CALM_AUDIT_FORMAT", "json").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("e.html is written as html (its extension); format json (environment CALM_AUDIT_FORMAT) is not used"),
        "{stderr}"
    );
    assert!(read(&d.join("e.html")).starts_with("<!DOCTYPE html>"));
    // Format names are case-insensitive, everywhere.
    let run = calm(d, &["check", "ex/destinations", "--format", "JSON", "--fail-on", "Never"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with('{'));
    let run = calm(d, &["check", "ex/destinations", "--report", "x.html"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected FORMAT=PATH; did you mean --report html=x.html?"), "{}", run.stderr);
    let run = calm(d, &["check", "ex/destinations", "--report", "jsn=x.json"]);
    assert!(run.stderr.contains("did you mean --report json=x.json?"), "{}", run.stderr);
}

const DESTINATION_KEY: &str = r#"{
  "uri": "https://destination-configuration.cfapps.eu10.hana.ondemand.com",
  "uaa": { "clientid": "sb-clone!b1|destination-xsappname!b9", "clientsecret": "not-a-real-secret-4711", "url": "https://acme.authentication.eu10.hana.ondemand.com" }
}"#;

/// Point 11: only a key given as destinations was recognised; the other directions gave
/// "unknown key" errors per property or "no JSON object found".
#[test]
fn an_input_given_to_the_wrong_flag_is_named_with_the_flag_that_takes_it() {
    let dir = workspace("");
    let d = dir.path();
    std::fs::write(d.join("destination-key.json"), DESTINATION_KEY).unwrap();
    std::fs::write(d.join("settings.json"), "{\"enable_integration_monitoring\": true, \"enable_business_process_monitoring\": false}")
        .unwrap();
    for (args, says, flag) in [
        (&["check", "ex/destinations", "--settings", "ex/destinations/CALM_BPMON.json"][..], "a destination file", "give it as a path"),
        (&["check", "ex/destinations", "--settings", "ex/destinations/calm_legacy.properties"], "a destination file", "give it as a path"),
        (&["check", "ex/destinations", "--settings", "ex/calm-service-key.txt"], "a SAP Cloud ALM service key", "--calm-key"),
        (&["check", "ex/destinations", "--calm-key", "ex/settings.toml"], "Entitlement Management settings", "--settings"),
        (&["check", "ex/destinations", "--calm-key", "settings.json"], "Entitlement Management settings", "--settings"),
        (&["check", "ex/destinations", "--calm-key", "ex/destinations/CALM_BPMON.json"], "a destination file", "give it as a path"),
        (&["check", "ex/destinations", "--calm-key", "destination-key.json"], "a Destination service key", "--destination-key"),
        (&["check", "--config", "ex/settings.toml"], "Entitlement Management settings", "--settings"),
        (&["check", "--destination-key", "ex/calm-service-key.txt"], "a SAP Cloud ALM service key", "--calm-key"),
        (&["check", "--destination-key", "ex/settings.toml"], "Entitlement Management settings", "--settings"),
        (&["check", "--destination-key", "ex/destinations/CALM_BPMON.json"], "a destination file", "give it as a path"),
    ] {
        let run = calm(d, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("this looks like {says}")) && run.stderr.contains(flag), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.matches("error:").count(), 1, "one line, not one per property: {}", run.stderr);
        assert!(!run.stderr.contains("not-a-real-secret-4711"), "{}", run.stderr);
    }
    // Settings given as destinations were already named with their flag; they still are.
    let run = calm(d, &["check", "ex/destinations", "ex/settings.toml"]);
    assert!(run.stderr.contains("--settings"), "{}", run.stderr);
    // An unknown configuration key names the one meant.
    std::fs::write(d.join("calm-audit.toml"), "paths = [\"ex/destinations\"]\nfail-on = \"warning\"\n").unwrap();
    let run = calm(d, &["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("calm-audit.toml:2") && run.stderr.contains("did you mean `fail_on`?"), "{}", run.stderr);
    assert!(!run.stderr.contains("expected one of"), "{}", run.stderr);
}

/// Point 10: the README's completion and manual commands failed on a fresh machine (no folder,
/// no `MANPATH`). They are run here as written, with an empty home folder.
#[test]
fn the_readme_install_commands_work_with_an_empty_home() {
    let readme = read(&root().join("README.md"));
    let start = readme.find("<!-- install:").expect("README marks its install commands");
    let end = start + readme[start..].find("<!-- end of install -->").expect("end of the install commands");
    let block = &readme[start..end];
    let script = block.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    assert!(script.contains("bash-completion package"), "the package bash completion needs is named");
    let home = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_calm-audit"), bin.path().join("calm-audit")).unwrap();
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.path().display());
    let has_man = std::process::Command::new("sh").args(["-c", "command -v man"]).output().is_ok_and(|o| o.status.success());
    // The block as a user pastes it, then what the last comment says to do.
    let then = if has_man { "man -w calm-audit-check" } else { "true" };
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-c", &format!("{script}\n{then}\n")])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", &path)
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{log}");
    let h = home.path();
    for file in [
        ".local/share/bash-completion/completions/calm-audit",
        ".zfunc/_calm-audit",
        ".config/fish/completions/calm-audit.fish",
        ".local/share/man/man1/calm-audit-check.1",
    ] {
        let text = read(&h.join(file));
        assert!(text.len() > 100, "{file} is written");
    }
    assert!(read(&h.join(".zshrc")).contains("fpath=(~/.zfunc"), "zsh is told where the function is");
    if has_man {
        assert!(log.contains(".local/share/man/man1/calm-audit-check.1"), "man finds the page: {log}");
    } else {
        skip::unavailable("man -w calm-audit-check after the README's commands", "man is not installed");
    }
}

/// The Action's "Audit" step and its input defaults, from `action.yml`.
fn action() -> (String, Vec<(String, String)>) {
    use yaml_rust2::YamlLoader;
    let doc = YamlLoader::load_from_str(&read(&root().join("action.yml"))).expect("action.yml parses");
    let action = &doc[0];
    let script = action["runs"]["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .find(|s| s["name"].as_str() == Some("Audit"))
        .and_then(|s| s["run"].as_str())
        .expect("the Audit step")
        .to_owned();
    let defaults = action["inputs"]
        .as_hash()
        .expect("inputs")
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v["default"].as_str()?.to_owned())))
        .collect();
    (script, defaults)
}

/// Points 2 and 3 through the GitHub Action: its `paths` default (`.`) audited a repository with
/// a `calm-audit.toml` as one landscape, and its `--report sarif=...` dropped the file's reports.
#[test]
fn the_action_with_its_defaults_lets_the_configuration_decide() {
    let (script, defaults) = action();
    let default = |name: &str| defaults.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(default("paths"), "", "the configuration decides by default");
    let run_in = |dir: &Path| {
        let runner = tempfile::tempdir().unwrap();
        let mut bash = std::process::Command::new("bash");
        bash.args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", &script])
            .current_dir(dir)
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", Path::new(env!("CARGO_BIN_EXE_calm-audit")).parent().unwrap().display()),
            )
            .env("GITHUB_OUTPUT", runner.path().join("output"))
            .env("GITHUB_STEP_SUMMARY", runner.path().join("summary"))
            .env("RUNNER_TEMP", runner.path())
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .env_remove("VCAP_SERVICES");
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CALM_AUDIT_")) {
            bash.env_remove(k);
        }
        for (name, value) in &defaults {
            bash.env(format!("INPUT_{}", name.to_uppercase().replace('-', "_")), value);
        }
        let out = bash.output().unwrap();
        (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let config = "settings = \"ex/settings.toml\"\n\n[reports]\njunit = \"out/calm-audit.junit.xml\"\nmarkdown = \"out/calm-audit.md\"\n\n\
[[target]]\nname = \"prod\"\npaths = [\"ex/destinations\"]\ncalm_key = \"ex/calm-service-key.txt\"\n";
    let dir = workspace(config);
    let (code, log) = run_in(dir.path());
    assert_eq!(code, 1, "{log}");
    assert!(!log.contains("not used"), "the targets are audited: {log}");
    assert!(log.contains("prod"), "{log}");
    for file in ["calm-audit.sarif", "out/calm-audit.junit.xml", "out/calm-audit.md"] {
        assert!(dir.path().join(file).is_file(), "{file}: {log}");
    }
    // A repository without a configuration is still walked.
    let bare = workspace("");
    let (code, log) = run_in(bare.path());
    assert_eq!(code, 1, "{log}");
    assert!(bare.path().join("calm-audit.sarif").is_file(), "{log}");
}

/// Review of issue 29, finding 13: a report, `--output` or `--save-snapshot` written over an
/// input replaced the export, the key or the settings and said "wrote". Each is refused with
/// exit 2 before anything is read or written; an earlier report in the walked folder may be
/// replaced, as walks skip it.
#[test]
fn a_report_is_never_written_over_an_input() {
    let dir = workspace("");
    let d = dir.path();
    let export = "ex/destinations/calm_legacy.properties";
    let originals: Vec<(PathBuf, Vec<u8>)> =
        ["ex/calm-service-key.txt", "ex/settings.toml", export].iter().map(|p| (d.join(p), std::fs::read(d.join(p)).unwrap())).collect();
    let base = ["check", "ex/destinations", "--calm-key", "ex/calm-service-key.txt", "--settings", "ex/settings.toml"];
    for extra in [
        &["--report", "json=ex/destinations/calm_legacy.properties"][..],
        &["-o", "ex/calm-service-key.txt"][..],
        &["--report", "html=ex/settings.toml"][..],
        &["--save-snapshot", export][..],
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let run = calm(d, &args);
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains("is an input of the run"), "{extra:?}: {}", run.stderr);
        assert!(!run.stderr.contains("wrote"), "{extra:?}: {}", run.stderr);
        for (path, bytes) in &originals {
            assert_eq!(&std::fs::read(path).unwrap(), bytes, "{extra:?} changed {}", path.display());
        }
    }
    // A report of its own in the walked folder is written, and written again the next night.
    for _ in 0..2 {
        let args: Vec<&str> = base.iter().chain(&["-o", "ex/destinations/last-night.json"]).copied().collect();
        let run = calm(d, &args);
        assert_eq!(run.code, 1, "{}", run.stderr);
    }
}

/// Review of issue 29, finding 11: a report or snapshot that standard output could not take
/// (a full disk, `> /dev/full`) was lost with exit 0. It is exit 2, saying why; a reader that
/// stops reading (`| head`) is still no failure.
#[test]
fn a_report_standard_output_cannot_take_is_exit_2() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        skip::unavailable("writing to /dev/full", "this system has no /dev/full");
        return;
    };
    for args in [&["check", "examples/destinations", "--format", "json"][..], &["snapshot", "examples/destinations"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_calm-audit"))
            .current_dir(root())
            .args(args)
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write to standard output"), "{args:?}: {stderr}");
    }
}

/// Review of issue 29, finding 15: `--exclude` on the command line replaced the configuration's
/// `exclude`, letting back in a file it left out. Each adds: the file's, then the flag's.
#[test]
fn an_exclude_flag_leaves_out_more_than_the_configuration() {
    let dir = workspace("paths = [\"ex/destinations\"]\nexclude = [\"calm_legacy.properties\"]\n");
    let d = dir.path();
    let run = calm(d, &["check", "--exclude", "*.zip", "--format", "json", "--all-results"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    let text = report.to_string();
    assert!(!text.contains("calm_legacy.properties"), "the configuration's exclude still applies: {}", run.stderr);
    assert!(!text.contains("calm-mtls-export.zip"), "the flag's exclude applies too");
    let shown = calm(d, &["check", "--exclude", "*.zip", "--show-config"]).stdout;
    assert!(shown.contains("calm_legacy.properties") && shown.contains("*.zip"), "{shown}");
}

/// Review of issue 29, finding 2: a report path that is a link to another report's path wrote
/// both into one file. It is one path, refused like the others.
#[test]
fn a_link_to_another_report_path_is_the_same_path() {
    let dir = workspace("");
    let d = dir.path();
    std::fs::create_dir(d.join("o")).unwrap();
    std::fs::write(d.join("o/real.json"), "").unwrap();
    std::os::unix::fs::symlink("real.json", d.join("o/link.json")).unwrap();
    let run = calm(d, &["check", "ex/destinations", "-o", "o/link.json", "--report", "sarif=o/real.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("are both written to"), "{}", run.stderr);
}

/// Review of issue 29, finding 4: a file left out by `--exclude` (or an ignore file) made its
/// baseline failures "gone". Still on disk and not read, they are not compared; a file that is
/// gone from disk takes its failures with it.
#[test]
fn failures_of_a_file_left_out_are_not_compared_never_gone() {
    let dir = workspace("");
    let d = dir.path();
    let base = ["check", "ex/destinations", "--calm-key", "ex/calm-service-key.txt"];
    let saved: Vec<&str> = base.iter().chain(&["--format", "json", "-o", "base.json"]).copied().collect();
    assert_eq!(calm(d, &saved).code, 1);
    let excluded: Vec<&str> = base.iter().chain(&["--baseline", "base.json", "--exclude", "calm_legacy.properties"]).copied().collect();
    let run = calm(d, &excluded);
    assert!(run.stderr.contains(" 0 gone,") && !run.stderr.contains(" 0 not compared"), "{}", run.stderr);
    assert!(run.stderr.contains("calm_legacy.properties is there but was not read"), "{}", run.stderr);
    std::fs::remove_file(d.join("ex/destinations/calm_legacy.properties")).unwrap();
    let deleted: Vec<&str> = base.iter().chain(&["--baseline", "base.json"]).copied().collect();
    let run = calm(d, &deleted);
    assert!(!run.stderr.contains(" 0 gone,"), "a deleted file's failures are gone: {}", run.stderr);
}
