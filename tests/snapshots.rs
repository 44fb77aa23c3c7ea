//! Golden reports for the edge cases of each format: mixed severities and statuses, and a
//! run with nothing in scope.

use assert_cmd::Command;

fn report(args: &[&str]) -> String {
    report_at(args, None)
}

/// Piped, with `COLUMNS` set to `columns` (or unset).
fn report_at(args: &[&str], columns: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    // The run's date of the examples' certificate (valid until 2099-12-31): 19 days left.
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("COLUMNS").env("CALM_AUDIT_TODAY", "2099-12-12").args(args);
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

const EXAMPLES: [&str; 6] =
    ["check", "examples/destinations", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"];

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
fn html_mixed() {
    insta::assert_snapshot!(report(&with(&MIXED, "html")));
}

#[test]
fn html_empty() {
    insta::assert_snapshot!(report(&with(&EMPTY, "html")));
}

#[test]
fn explain_calm014() {
    insta::assert_snapshot!(report(&["explain", "CALM014"]));
}

/// The example report at the widths people have: a narrow terminal (list layout), a wide one
/// (table), and a terminal or pipe that says nothing or zero (the default, 100).
#[test]
fn table_examples_80_columns() {
    insta::assert_snapshot!(report_at(&EXAMPLES, Some("80")));
}

#[test]
fn table_examples_200_columns() {
    insta::assert_snapshot!(report_at(&EXAMPLES, Some("200")));
}

#[test]
fn table_examples_zero_columns() {
    let zero = report_at(&EXAMPLES, Some("0"));
    assert_eq!(zero, report_at(&EXAMPLES, None), "zero columns is the same as none given");
    insta::assert_snapshot!(zero);
}

#[test]
fn table_examples_60_columns_all_results() {
    let mut args = EXAMPLES.to_vec();
    args.push("--all-results");
    insta::assert_snapshot!(report_at(&args, Some("60")));
}

#[test]
fn rules_80_columns() {
    insta::assert_snapshot!(report_at(&["rules"], Some("80")));
}

#[test]
fn rules_200_columns() {
    insta::assert_snapshot!(report_at(&["rules"], Some("200")));
}

#[test]
fn explain_calm015_72_columns() {
    insta::assert_snapshot!(report_at(&["explain", "CALM015"], Some("72")));
}
