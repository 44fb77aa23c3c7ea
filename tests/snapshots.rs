//! Golden reports for the edge cases of each format: mixed severities and statuses, and a
//! run with nothing in scope.

use assert_cmd::Command;

fn report(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit")).current_dir(env!("CARGO_MANIFEST_DIR")).args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

const MIXED: [&str; 6] =
    ["check", "tests/fixtures/mixed", "--calm-key", "tests/fixtures/good/calm-key.txt", "--settings", "tests/fixtures/mixed-settings.toml"];
const EMPTY: [&str; 2] = ["check", "tests/fixtures/unrelated"];

fn with(base: &[&'static str], format: &'static str) -> Vec<&'static str> {
    let mut v = base.to_vec();
    v.extend(["--format", format]);
    v
}

#[test]
fn table_mixed() {
    insta::assert_snapshot!(report(&with(&MIXED, "table")));
}

#[test]
fn table_empty() {
    insta::assert_snapshot!(report(&with(&EMPTY, "table")));
}

#[test]
fn json_mixed() {
    insta::assert_snapshot!(report(&with(&MIXED, "json")));
}

#[test]
fn json_empty() {
    insta::assert_snapshot!(report(&with(&EMPTY, "json")));
}

#[test]
fn sarif_mixed() {
    insta::assert_snapshot!(report(&with(&MIXED, "sarif")));
}

#[test]
fn sarif_empty() {
    insta::assert_snapshot!(report(&with(&EMPTY, "sarif")));
}

#[test]
fn explain_calm014() {
    insta::assert_snapshot!(report(&["explain", "CALM014"]));
}
