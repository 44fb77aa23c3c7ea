//! Destinations as code whose name or URL is an expression (issue 27): a Cloud ALM host in any
//! literal of the URL's expression brings the destination into scope; a remote module given a
//! name of a Cloud ALM purpose is a failed source; one name expression on both levels is
//! `manual` for CALM030, never a pass; a conditional is shown as written.
#![allow(clippy::disallowed_methods)] // tests write their fixtures

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Runs `check` in `dir` with the JSON report; the exit code, the report and standard error.
fn check(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .args(["check", ".", "--format", "json", "--all-results"])
        .args(args)
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), report, stderr)
}

fn destination(name: &str, url: &str, auth: &str) -> String {
    format!(
        "resource \"btp_subaccount_destination\" \"{}\" {{\n  subaccount_id  = \"x\"\n  name           = \"{name}\"\n  type           = \"HTTP\"\n  proxy_type     = \"Internet\"\n  url            = {url}\n  authentication = \"{auth}\"\n}}\n",
        name.to_ascii_lowercase()
    )
}

const VARIABLES: &str = "variable \"env\" { type = string }\nvariable \"t\" { type = string }\nvariable \"i\" { type = number }\n";

fn not_audited(report: &Value) -> Vec<String> {
    report["not_audited"].as_array().unwrap().iter().map(|n| format!("{}: {}", n["name"], n["reason"])).collect()
}

fn status<'a>(report: &'a Value, code: &str, name: &str) -> Vec<&'a str> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == code && r["object"]["name"] == name)
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

#[test]
fn a_cloud_alm_host_in_any_literal_of_the_url_brings_the_destination_into_scope() {
    let forms = [
        ("COND", r#"var.env == "prod" ? "https://acme.eu10.alm.cloud.sap" : "https://acme-test.eu10.alm.cloud.sap""#),
        ("FORMAT", r#"format("https://%s.eu10.alm.cloud.sap/", var.t)"#),
        ("JOIN", r#"join("", ["https://", var.t, ".eu10.alm.cloud.sap/"])"#),
        ("LOOKUP", r#"lookup({ prod = "https://acme.eu10.alm.cloud.sap/" }, var.env, "https://acme-test.eu10.alm.cloud.sap/")"#),
        ("ELEMENT", r#"element(["https://acme.eu10.alm.cloud.sap/", "https://b.eu10.alm.cloud.sap/"], var.i)"#),
        ("INDEX", r#"{ prod = "https://acme.eu10.alm.cloud.sap/" }[var.env]"#),
        ("CHOMP", r#"chomp("https://acme.eu10.alm.cloud.sap/\n")"#),
        ("SUBSTR", r#"substr("https://acme.eu10.alm.cloud.sap/xyz", 0, 32)"#),
        ("TEMPLATES", r#""${var.env}${var.t}.eu10.alm.cloud.sap/""#),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut text = VARIABLES.to_owned();
    for (name, url) in forms {
        text.push_str(&destination(name, url, "BasicAuthentication"));
    }
    // Only removing the Cloud ALM suffix shows nothing: out of scope as before, no false alarm.
    text.push_str(&destination("OTHER", r#"replace(var.t, ".alm.cloud.sap", ".example.com")"#, "BasicAuthentication"));
    write(dir.path(), "main.tf", &text);
    let (code, report, _) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{report}");
    let out: Vec<String> = not_audited(&report);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].starts_with("\"OTHER\""), "{out:?}");
    for (name, _) in forms {
        // Judged: BasicAuthentication fails the authentication rule.
        let judged: Vec<&str> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["object"]["name"] == name && r["status"] == "fail")
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert!(!judged.is_empty(), "{name} is not judged");
    }
}

#[test]
fn string_functions_of_literals_are_evaluated_as_terraform_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = VARIABLES.to_owned();
    text.push_str(
        &destination("CHOMPED", r#"chomp("https://acme.eu10.alm.cloud.sap/\n")"#, "OAuth2ClientCredentials")
            .replace("name           = \"CHOMPED\"", "name           = upper(\"calm_straße\")"),
    );
    write(dir.path(), "main.tf", &text);
    let (_, report, _) = check(dir.path(), &[]);
    let names: Vec<&str> = report["results"].as_array().unwrap().iter().filter_map(|r| r["object"]["name"].as_str()).collect();
    // Terraform's upper keeps ß (Go's strings.ToUpper); the URL is known, so no manual on it.
    assert!(names.contains(&"CALM_STRAßE"), "{names:?}");
    assert!(status(&report, "CALM001", "CALM_STRAßE").iter().all(|s| *s != "manual"), "{report}");
}

#[test]
fn a_remote_module_given_a_name_of_a_cloud_alm_purpose_is_a_failed_source() {
    for name in ["sap_process_automation_cloud_alm", "SAP_PROCESS_AUTOMATION_CLOUD_ALM", "CloudALM", "CALM_OPPS", "calm_pa"] {
        let dir = tempfile::tempdir().unwrap();
        let call = format!("module \"pa\" {{\n  source = \"acme/calm/btp\"\n  name   = \"{name}\"\n}}\n");
        write(
            dir.path(),
            "main.tf",
            &format!("{call}{}", destination("CALM_OK", "\"https://acme.eu10.alm.cloud.sap/\"", "NoAuthentication")),
        );
        let (code, report, stderr) = check(dir.path(), &[]);
        assert_eq!(code, 3, "{name}: {report}");
        assert!(stderr.contains("module.pa") && stderr.contains("argument \"name\""), "{name}: {stderr}");
    }
    // A name that shows nothing of Cloud ALM stays a note.
    let dir = tempfile::tempdir().unwrap();
    let call = "module \"pa\" {\n  source = \"acme/calm/btp\"\n  name   = \"cloudalm-docs\"\n}\n";
    write(dir.path(), "main.tf", &format!("{call}{}", destination("CALM_OK", "\"https://acme.eu10.alm.cloud.sap/\"", "NoAuthentication")));
    let (code, _, stderr) = check(dir.path(), &[]);
    assert_ne!(code, 3, "{stderr}");
}

fn two_levels(sub_name: &str, instance_name: &str) -> String {
    let one = |address: &str, name: &str, instance: &str| {
        format!(
            "resource \"btp_subaccount_destination\" \"{address}\" {{\n  subaccount_id = \"x\"\n{instance}  name = {name}\n  type = \"HTTP\"\n  proxy_type = \"Internet\"\n  url = \"https://acme.eu10.alm.cloud.sap/\"\n  authentication = \"OAuth2ClientCredentials\"\n  additional_configuration = local.cfg\n}}\n"
        )
    };
    format!(
        "variable \"env\" {{ type = string }}\nvariable \"other\" {{ type = string }}\nvariable \"s\" {{ type = string }}\nlocals {{\n  cfg = jsonencode({{\n    clientId = \"sb-calm!b1\"\n    clientSecret = var.s\n    tokenServiceURL = \"https://acme.authentication.eu10.hana.ondemand.com/oauth/token\"\n    tokenServiceURLType = \"Dedicated\"\n  }})\n}}\n{}{}",
        one("sub", sub_name, ""),
        one("inst", instance_name, "  service_instance_id = \"abc\"\n")
    )
}

fn calm030(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == "CALM030")
        .map(|r| (r["status"].as_str().unwrap().to_owned(), r["message"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn one_name_expression_on_both_levels_is_manual_for_calm030() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", &two_levels("\"CALM_${var.env}\"", "\"CALM_${var.env}\""));
    let (_, report, _) = check(dir.path(), &["--fail-on", "warning"]);
    let results = calm030(&report);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "manual", "{results:?}");
    assert!(results[0].1.contains("both levels take their name from \"CALM_${var.env}\""), "{results:?}");
    // Two different expressions are never the same name.
    write(dir.path(), "main.tf", &two_levels("\"CALM_${var.env}\"", "\"CALM_${var.other}\""));
    let (_, report, _) = check(dir.path(), &["--fail-on", "warning"]);
    let results = calm030(&report);
    assert_eq!(results.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["pass"], "{results:?}");
}

#[test]
fn a_conditional_name_is_shown_as_written_and_judged_by_what_its_branches_share() {
    let dir = tempfile::tempdir().unwrap();
    let expression = r#"var.env == "prod" ? "CALM_PROD" : "CALM_TEST""#;
    let text = format!("{VARIABLES}{}", destination("X", "\"https://example.com/\"", "NoAuthentication"))
        .replace("name           = \"X\"", &format!("name           = {expression}"));
    write(dir.path(), "main.tf", &text);
    let (_, report, stderr) = check(dir.path(), &[]);
    let whole = report.to_string();
    assert!(!whole.contains("?***") && !stderr.contains("?***"), "{whole}\n{stderr}");
    let names: Vec<&str> = report["results"].as_array().unwrap().iter().filter_map(|r| r["object"]["name"].as_str()).collect();
    assert!(names.contains(&expression), "{names:?}");
    // Both branches start with CALM_: in scope and judged, not "scope unknown".
    assert!(not_audited(&report).is_empty(), "{:?}", not_audited(&report));
    assert!(status(&report, "CALM034", expression).iter().all(|s| *s != "manual"), "{report}");
}

#[test]
fn a_remote_module_given_the_name_the_settings_select_is_a_failed_source() {
    let dir = tempfile::tempdir().unwrap();
    let call = "module \"x\" {\n  source = \"acme/calm/btp\"\n  name   = \"EM_PUSH\"\n}\n";
    write(dir.path(), "main.tf", &format!("{call}{}", destination("CALM_OK", "\"https://acme.eu10.alm.cloud.sap/\"", "NoAuthentication")));
    let settings = dir.path().join("s.toml");
    std::fs::write(
        &settings,
        "enable_integration_monitoring = false\nenable_business_process_monitoring = true\ndestination_name = \"EM_PUSH\"\n",
    )
    .unwrap();
    let (code, report, stderr) = check(dir.path(), &["--settings", settings.to_str().unwrap()]);
    assert_eq!(code, 3, "{report}");
    assert!(stderr.contains("module.x") && stderr.contains("the name the settings select"), "{stderr}");
    // Not the false claim that the destination is missing: the unread module may define it.
    let calm022: Vec<&str> =
        report["results"].as_array().unwrap().iter().filter(|r| r["code"] == "CALM022").map(|r| r["status"].as_str().unwrap()).collect();
    assert!(!calm022.is_empty() && calm022.iter().all(|s| *s == "error"), "{calm022:?}");
    // Without the settings the same call passes nothing of Cloud ALM: only a note.
    let (code, _, _) = check(dir.path(), &[]);
    assert_ne!(code, 3);
}
