//! The benchmarks' synthetic landscape (`bench/landscape.rs`) is what it claims: every fault it
//! plants fails its rule, the correct Cloud ALM destination fails none, and the JSON array and
//! the folder of properties exports of the same landscape give the same verdicts.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

#[path = "../bench/landscape.rs"]
mod landscape;

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn audit(source: &Path) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .arg("check")
        .arg(source)
        .arg("--settings")
        .arg(root.join("bench/data/settings.toml"))
        .arg("--calm-key")
        .arg(root.join("bench/data/calm-service-key.txt"))
        .args(["--format", "json", "--all-results"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (code, destination, status) of every destination result.
fn verdicts(report: &Value) -> BTreeSet<(String, String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["object"]["kind"] == "destination")
        .map(|r| {
            let s = |v: &Value| v.as_str().unwrap().to_owned();
            (s(&r["code"]), s(&r["object"]["name"]), s(&r["status"]))
        })
        .collect()
}

#[test]
fn every_planted_fault_fails_its_rule_in_both_formats() {
    let n = 100 * landscape::FAULTS.len();
    let destinations = landscape::generate(n);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("landscape.json");
    std::fs::write(&json, landscape::to_json(&destinations)).unwrap();
    let folder = dir.path().join("exports");
    landscape::write_properties_dir(&destinations, &folder).unwrap();

    let report = audit(&json);
    assert_eq!(report["coverage"]["destinations_found"], n);
    assert_eq!(report["coverage"]["destinations_in_scope"], landscape::cloud_alm_count(n));
    let verdicts_json = verdicts(&report);
    for (i, fault) in landscape::FAULTS.iter().enumerate() {
        let name = destinations[i * 100][0].1.clone();
        let failed: Vec<&str> =
            verdicts_json.iter().filter(|(_, d, s)| *d == name && s == "fail").map(|(code, _, _)| code.as_str()).collect();
        match fault.split_once("(CALM") {
            None => assert!(failed.is_empty(), "the correct destination {name} fails {failed:?}"),
            Some((_, rest)) => {
                let code = format!("CALM{}", rest.trim_end_matches(')'));
                assert!(failed.contains(&code.as_str()), "{name} ({fault}) fails {failed:?}, not {code}");
            }
        }
    }
    let folder_report = audit(&folder);
    assert_eq!(folder_report["coverage"]["files_read"], n);
    assert_eq!(verdicts(&folder_report), verdicts_json, "same landscape, same verdicts");
    // The benchmark's other shapes of the same landscape (read by the fast JSON path).
    let wrapped = dir.path().join("wrapped.json");
    std::fs::write(&wrapped, landscape::to_json_wrapped(&destinations)).unwrap();
    assert_eq!(verdicts(&audit(&wrapped)), verdicts_json, "{{\"destinations\": [...]}}: same verdicts");
    let config = dir.path().join("config.json");
    std::fs::write(&config, landscape::to_init_data(&destinations)).unwrap();
    let config_report = audit(&config);
    assert_eq!(config_report["coverage"]["destinations_found"], n);
    assert_eq!(config_report["coverage"]["destinations_in_scope"], landscape::cloud_alm_count(n));
    let verdicts_config = verdicts(&config_report);
    for (code, name, status) in &verdicts_json {
        // Levels are known from init_data, so a check across levels may judge more; every
        // destination rule judges as before.
        if !code.starts_with("CALM03") {
            assert!(verdicts_config.contains(&(code.clone(), name.clone(), status.clone())), "init_data: {code} {name} {status}");
        }
    }
}
