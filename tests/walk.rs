//! Fail closed on the inputs people really have (issue 20): encodings, NUL bytes, classification
//! by structure, ignore rules as git applies them, duplicate zip entries, scope on normalised
//! values, calm-audit's own reports in a walk, and a rule selection that leaves nothing to run.
#![allow(clippy::disallowed_methods)] // tests write their fixtures

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{Value, json};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn calm(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .args(args)
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .env_remove("VCAP_SERVICES")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn json_report(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--all-results"]);
    let run = calm(dir, &all);
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run.code, report, run.stderr)
}

fn destination(name: &str) -> Value {
    json!({"Name": name, "Type": "HTTP", "URL": "https://acme.eu10.alm.cloud.sap/", "Authentication": "OAuth2ClientCredentials",
           "ProxyType": "OnPremise", "clientId": "sb-x", "clientSecret": "walk-secret-value",
           "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token", "tokenServiceURLType": "Dedicated"})
}

fn audited(report: &Value) -> Vec<String> {
    let mut names: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == "CALM002")
        .map(|r| format!("{} @ {}", r["object"]["name"].as_str().unwrap(), r["location"]["path"].as_str().unwrap()))
        .collect();
    names.sort();
    names
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
}

#[test]
fn windows_powershell_exports_are_read_walked_or_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("walk")).unwrap();
    let text = serde_json::to_string_pretty(&json!([destination("CALM_PS")])).unwrap();
    std::fs::write(d.join("walk/export.json"), utf16le_with_bom(&text)).unwrap();
    std::fs::write(d.join("walk/export.properties"), utf16le_with_bom("Name=CALM_PROPS16\r\nURL=https\\://acme.eu10.alm.cloud.sap/\r\n"))
        .unwrap();
    let utf32be: Vec<u8> = [0, 0, 0xFE, 0xFF]
        .into_iter()
        .chain(text.replace("CALM_PS", "CALM_PS32").chars().flat_map(|c| u32::from(c).to_be_bytes()))
        .collect();
    std::fs::write(d.join("walk/export32.json"), utf32be).unwrap();
    let (code, report, stderr) = json_report(d, &["check", "walk"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(audited(&report), ["CALM_PROPS16 @ walk/export.properties", "CALM_PS @ walk/export.json", "CALM_PS32 @ walk/export32.json"]);
    // Named directly: the same, and lines are those of the decoded text.
    let (code, report, stderr) = json_report(d, &["check", "walk/export.json"]);
    assert_eq!(code, 1, "{stderr}");
    let url = report["results"].as_array().unwrap().iter().find(|r| r["code"] == "CALM006").unwrap();
    let expected = text.lines().position(|l| l.contains("\"URL\"")).unwrap() + 1;
    assert_eq!(url["location"]["line"], expected, "{url}");
}

#[test]
fn nul_bytes_without_a_byte_order_mark_fail_a_destination_file_and_skip_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("walk")).unwrap();
    std::fs::write(d.join("walk/good.json"), serde_json::to_string(&json!([destination("CALM_GOOD")])).unwrap()).unwrap();
    std::fs::write(d.join("walk/README"), b"binary\x00stuff").unwrap();
    let r = calm(d, &["check", "walk", "-v"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("skipped walk/README: binary content"), "{}", r.stderr);
    std::fs::write(d.join("walk/broken.yaml"), b"- Name: CALM_X\x00\n").unwrap();
    let r = calm(d, &["check", "walk"]);
    assert_eq!(r.code, 3, "a destination file that is not text is a failed source: {}", r.stderr);
    assert!(r.stderr.contains("incomplete: walk/broken.yaml: binary content"), "{}", r.stderr);
}

#[test]
fn walked_files_are_classified_by_structure_not_by_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("walk")).unwrap();
    let mut wordy = destination("CALM_WORDY");
    wordy["Description"] = json!("pushes to the \"endpoints\" of the \"uaa\" with \"clientid\", \"clientsecret\" and \"uri\"");
    std::fs::write(d.join("walk/dest.json"), serde_json::to_string_pretty(&json!([wordy])).unwrap()).unwrap();
    // Real keys and settings found in the walk are named with their flag, by structure.
    std::fs::write(
        d.join("walk/calm-key.txt"),
        "Getting key k for service instance calm as admin...\n\n{\"endpoints\": {\"Api\": \"https://acme.eu10.alm.cloud.sap/api\"}, \"uaa\": {\"clientid\": \"c\", \"clientsecret\": \"s3cret-value\", \"url\": \"https://acme.authentication.eu10.hana.ondemand.com\"}}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("walk/settings.json"),
        "{\"enable_integration_monitoring\": true, \"enable_business_process_monitoring\": false}",
    )
    .unwrap();
    let (code, report, stderr) = json_report(d, &["check", "walk"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(audited(&report), ["CALM_WORDY @ walk/dest.json"]);
    assert!(stderr.contains("calm-key.txt looks like a SAP Cloud ALM service key: give it with --calm-key"), "{stderr}");
    assert!(stderr.contains("settings.json looks like Entitlement Management settings"), "{stderr}");
}

#[test]
fn calm_audits_own_reports_in_the_audited_folder_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("walk")).unwrap();
    std::fs::write(d.join("walk/dest.json"), serde_json::to_string(&json!([destination("CALM_OWN")])).unwrap()).unwrap();
    let first = calm(
        d,
        &[
            "check",
            "walk",
            "--report",
            "json=walk/report.json",
            "--report",
            "sarif=walk/report.sarif.json",
            "--save-snapshot",
            "walk/snap.json",
        ],
    );
    assert_eq!(first.code, 1, "{}", first.stderr);
    let second = calm(d, &["check", "walk", "-v"]);
    assert_eq!(second.code, 1, "the next run is not incomplete: {}", second.stderr);
    for (file, why) in [
        ("report.json", "a calm-audit JSON report"),
        ("report.sarif.json", "a calm-audit SARIF report"),
        ("snap.json", "a calm-audit snapshot"),
    ] {
        assert!(second.stderr.contains(&format!("skipped walk/{file}: {why}")), "{file}: {}", second.stderr);
    }
    // A snapshot named on the command line is read as before.
    assert_eq!(calm(d, &["check", "walk/snap.json"]).code, 1);
}

fn git_init(dir: &Path) {
    let ok = std::process::Command::new("git").args(["init", "-q"]).current_dir(dir).status().is_ok_and(|s| s.success());
    assert!(ok, "git init");
}

#[test]
fn ignore_rules_apply_as_git_applies_them_and_every_ignored_file_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dest = serde_json::to_string(&json!([destination("CALM_IGN")])).unwrap();
    // Outside a git work tree: a .gitignore (and a .ignore) above the walked folder apply to nothing.
    std::fs::create_dir_all(d.join("outer/walk/sub")).unwrap();
    std::fs::write(d.join("outer/.gitignore"), "*.json\n").unwrap();
    std::fs::write(d.join("outer/.ignore"), "sub/\n").unwrap();
    std::fs::write(d.join("outer/walk/a.json"), &dest).unwrap();
    std::fs::write(d.join("outer/walk/sub/b.json"), dest.replace("CALM_IGN", "CALM_IGN_B")).unwrap();
    let (code, report, stderr) = json_report(&d.join("outer"), &["check", "walk"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(audited(&report).len(), 2, "{stderr}");
    assert_eq!(report["coverage"]["files_ignored"], json!({}));
    // Inside one: .gitignore files up to the work tree's root apply, a deeper `!` re-includes,
    // a .ignore applies inside the walked folder; each file left out is counted and listed.
    std::fs::create_dir_all(d.join("repo/infra/dest/old")).unwrap();
    git_init(&d.join("repo"));
    std::fs::write(d.join("repo/.gitignore"), "infra/dest/*.json\n").unwrap();
    std::fs::write(d.join("repo/infra/dest/.gitignore"), "!keep.json\n").unwrap();
    std::fs::write(d.join("repo/infra/.ignore"), "old/\n").unwrap();
    std::fs::write(d.join("repo/infra/dest/gone.json"), &dest).unwrap();
    std::fs::write(d.join("repo/infra/dest/keep.json"), dest.replace("CALM_IGN", "CALM_KEEP")).unwrap();
    std::fs::write(d.join("repo/infra/dest/old/older.json"), dest.replace("CALM_IGN", "CALM_OLD")).unwrap();
    let (code, report, stderr) = json_report(&d.join("repo"), &["check", "infra", "-v"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(audited(&report), ["CALM_KEEP @ infra/dest/keep.json"]);
    assert_eq!(report["coverage"]["files_ignored"], json!({".gitignore": 1, ".ignore": 1}), "{stderr}");
    assert!(stderr.contains("ignored by .gitignore infra/dest/gone.json"), "{stderr}");
    assert!(stderr.contains("ignored by .ignore infra/dest/old/ (a folder)"), "{stderr}");
    let table = calm(&d.join("repo"), &["check", "infra"]);
    assert!(table.stdout.contains("1 ignored by .gitignore, 1 by .ignore"), "{}", table.stdout);
    // A file named on the command line is never ignored.
    let (_, report, _) = json_report(&d.join("repo"), &["check", "infra/dest/gone.json"]);
    assert_eq!(audited(&report), ["CALM_IGN @ infra/dest/gone.json"]);
}

/// A zip whose two entries share one name: written with distinct names of one length, then
/// renamed in place (stored, so the names are plain bytes in the headers).
fn zip_with_duplicate_names(first: &[u8], second: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("dest-1.json", options).unwrap();
    w.write_all(first).unwrap();
    w.start_file("dest-2.json", options).unwrap();
    w.write_all(second).unwrap();
    let mut bytes = w.finish().unwrap().into_inner();
    let (from, to) = (b"dest-2.json", b"dest-1.json");
    let mut i = 0;
    while let Some(at) = bytes[i..].windows(from.len()).position(|w| w == from) {
        bytes[i + at..i + at + from.len()].copy_from_slice(to);
        i += at + from.len();
    }
    bytes
}

#[test]
fn every_zip_entry_is_read_two_of_one_name_included() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let one = serde_json::to_string(&json!([destination("CALM_ZIP_ONE")])).unwrap();
    let two = serde_json::to_string(&json!([destination("CALM_ZIP_TWO")])).unwrap();
    std::fs::write(d.join("export.zip"), zip_with_duplicate_names(one.as_bytes(), two.as_bytes())).unwrap();
    let (code, report, stderr) = json_report(d, &["check", "export.zip"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(audited(&report), ["CALM_ZIP_ONE @ export.zip/dest-1.json (entry 1)", "CALM_ZIP_TWO @ export.zip/dest-1.json (entry 2)"]);
}

#[test]
fn scope_is_decided_on_normalised_values_and_the_rules_judge_what_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut spaced = destination(" CALM_SPACED");
    spaced["URL"] = json!("https://acme.eu10.alm.cloud.sap/");
    let mut dotted = destination("S4_DOTTED");
    dotted["URL"] = json!("https://ACME.eu10.alm.cloud.sap.:443/");
    std::fs::write(d.join("dest.json"), serde_json::to_string(&json!([spaced, dotted])).unwrap()).unwrap();
    let (_, report, stderr) = json_report(d, &["check", "dest.json"]);
    let results = report["results"].as_array().unwrap();
    let status = |code: &str, name: &str| {
        results.iter().find(|r| r["code"] == code && r["object"]["name"] == name).map(|r| r["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("CALM017", " CALM_SPACED").as_deref(), Some("fail"), "{stderr}");
    assert_eq!(status("CALM002", "S4_DOTTED").as_deref(), Some("pass"), "a trailing dot and a port keep the host in scope");
    assert_eq!(report["not_audited"], json!([]), "{stderr}");
}

#[test]
fn a_selection_that_leaves_no_rule_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("dest.json"), serde_json::to_string(&json!([destination("CALM_SEL")])).unwrap()).unwrap();
    let codes: Vec<String> = serde_json::from_str::<Value>(&calm(d, &["rules", "--format", "json"]).stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect();
    let all = codes.join(",");
    let r = calm(d, &["check", "dest.json", "--ignore", &all]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("leaves no rule to run"), "{}", r.stderr);
}

/// An object of a million keys in each format: read in time proportional to its size (JSON,
/// YAML), or refused at once with the reason (HCL, whose parser's cost grows with the square of
/// an object's size), never minutes of work.
#[test]
fn an_object_of_a_million_keys_costs_its_size_not_its_square() {
    const KEYS: usize = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut json = String::from("[{\"Name\": \"CALM_BIG\", \"URL\": \"https://acme.eu10.alm.cloud.sap/\"");
    let mut yaml = String::from("- Name: CALM_BIG\n  URL: https://acme.eu10.alm.cloud.sap/\n");
    let mut hcl = String::from(
        "resource \"btp_subaccount_destination_generic\" \"big\" {\n  destination_configuration = jsonencode({\n    Name = \"CALM_BIG\"\n",
    );
    for i in 0..KEYS {
        json.push_str(&format!(", \"k{i}\": \"v\""));
        yaml.push_str(&format!("  k{i}: v\n"));
        hcl.push_str(&format!("    k{i} = \"v\"\n"));
    }
    json.push_str("}]\n");
    hcl.push_str("  })\n}\n");
    std::fs::write(d.join("big.json"), json).unwrap();
    std::fs::write(d.join("big.yaml"), yaml).unwrap();
    std::fs::create_dir(d.join("tf")).unwrap();
    std::fs::write(d.join("tf/main.tf"), hcl).unwrap();
    for file in ["big.json", "big.yaml"] {
        let started = std::time::Instant::now();
        let r = calm(d, &["check", file, "--format", "json"]);
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        assert!(started.elapsed() < Duration::from_secs(60), "{file} took {:?}", started.elapsed());
    }
    let started = std::time::Instant::now();
    let r = calm(d, &["check", "tf/main.tf"]);
    // A bound reached, named or walked: a failed source naming it (SPEC 2.1).
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("tf/main.tf:2: stopped by the member count (20000 members in one object or block)"), "{}", r.stderr);
    assert!(r.stderr.contains("an object or block with more than 20000 members"), "{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    // A duplicate among them is still found, and named with both lines.
    let mut dup = String::from("- Name: CALM_DUP\n");
    for i in 0..100_000 {
        dup.push_str(&format!("  k{i}: v\n"));
    }
    dup.push_str("  k7: again\n");
    std::fs::write(d.join("dup.yaml"), dup).unwrap();
    let r = calm(d, &["check", "dup.yaml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("dup.yaml:100002: duplicate key \"k7\" (first on line 9)"), "{}", r.stderr);
}

/// A result's identity includes where its object came from: a failure new in `prod/` is new,
/// even when a destination of the same name failed the same rule in `dev/` before.
#[test]
fn a_new_failure_in_another_folder_is_new_for_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("landscape/dev")).unwrap();
    std::fs::create_dir_all(d.join("landscape/prod")).unwrap();
    let broken = serde_json::to_string(&json!([destination("CALM_SAME")])).unwrap();
    let mut fixed = destination("CALM_SAME");
    fixed["ProxyType"] = json!("Internet");
    std::fs::write(d.join("landscape/dev/dest.json"), &broken).unwrap();
    std::fs::write(d.join("landscape/prod/dest.json"), serde_json::to_string(&json!([fixed])).unwrap()).unwrap();
    let first = calm(d, &["check", "landscape", "--format", "json", "--output", "baseline.json"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    std::fs::write(d.join("landscape/prod/dest.json"), &broken).unwrap();
    let (code, report, stderr) = json_report(d, &["check", "landscape", "--baseline", "baseline.json"]);
    assert_eq!(code, 1, "the failure in prod/ is new: {stderr}");
    let states: Vec<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == "CALM003" && r["status"] == "fail")
        .map(|r| (r["location"]["path"].as_str().unwrap().to_owned(), r["baseline"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        states,
        [("landscape/dev/dest.json".to_owned(), "unchanged".to_owned()), ("landscape/prod/dest.json".to_owned(), "new".to_owned())]
    );
}

/// Issue 27, point 14: a directory that points a second entry at the first one's local header
/// read the passing destination twice and never the failing one. Named or walked, the archive
/// is now a failed source (exit 3) naming it, and nothing of it is read.
#[test]
fn a_zip_whose_directory_does_not_account_for_its_contents_is_a_failed_source() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pass = serde_json::to_string(&json!([destination("CALM_ZIP_PASS")])).unwrap();
    let mut failing = destination("CALM_ZIP_FAIL");
    failing["URL"] = json!("http://acme.eu10.alm.cloud.sap/");
    let fail = serde_json::to_string(&json!([failing])).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in [("pass.json", &pass), ("fail.json", &fail)] {
        w.start_file(name, options).unwrap();
        w.write_all(content.as_bytes()).unwrap();
    }
    let honest = w.finish().unwrap().into_inner();
    // The second directory entry pointed at the first one's local header (offset, byte 42 of
    // its record), with the first's checksum and sizes (bytes 16 to 27), so that it reads cleanly.
    let first = honest.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let name_len = |at: usize| usize::from(u16::from_le_bytes([honest[at + 28], honest[at + 29]]));
    let extra_len = |at: usize| usize::from(u16::from_le_bytes([honest[at + 30], honest[at + 31]]));
    let second = first + 46 + name_len(first) + extra_len(first);
    let mut forged = honest.clone();
    forged[second + 42..second + 46].copy_from_slice(&honest[first + 42..first + 46]);
    forged[second + 16..second + 28].copy_from_slice(&honest[first + 16..first + 28]);
    std::fs::create_dir(d.join("walked")).unwrap();
    std::fs::write(d.join("export.zip"), &forged).unwrap();
    std::fs::write(d.join("walked/export.zip"), &forged).unwrap();
    std::fs::write(d.join("walked/other.json"), &pass).unwrap();

    for args in [&["check", "export.zip"][..], &["check", "walked"]] {
        let (code, report, stderr) = json_report(d, args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        let failures = report["source_failures"].as_array().unwrap();
        assert!(
            failures.iter().any(|f| f["source"].as_str().unwrap().ends_with("export.zip")
                && f["message"].as_str().unwrap().contains("points entries \"pass.json\" and \"fail.json\" at one local header")),
            "{failures:?}"
        );
        assert!(!audited(&report).iter().any(|a| a.contains("export.zip")), "{:?}", audited(&report));
        assert_eq!(report["complete"], false);
    }
    // The archive as written is read whole, both destinations.
    std::fs::write(d.join("export.zip"), &honest).unwrap();
    let (_, report, _) = json_report(d, &["check", "export.zip"]);
    assert_eq!(audited(&report), ["CALM_ZIP_FAIL @ export.zip/fail.json", "CALM_ZIP_PASS @ export.zip/pass.json"]);
}
