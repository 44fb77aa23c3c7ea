//! `calm-audit fix` (SPEC §5a): corrected destination files in the cockpit's import format and
//! SUMMARY.md. Round trips for each input kind read as data (cockpit export, JSON, YAML, a
//! snapshot, a live read through the fake Destination Service): `fix`, then `check` of the
//! written files with the same key, shows no failure but of the secret rules. A seeded random
//! loop does the same for random failing destinations. The folder rules: never a non-empty DIR
//! without --force, never an input, exit 3 on a partial read with what could be written.
#![allow(clippy::disallowed_methods)] // tests write their fixtures and speak directly

mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};
use support::fake_service::{FakeConfig, FakeService};

const KEY_SECRET: &str = "FIXTEST-key-secret-5d1c9a";
const DEST_SECRET: &str = "FIXTEST-destination-secret-77e2";
const BASE: &str = "https://acme.eu10.alm.cloud.sap/";
const TOKEN_URL: &str = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token";
const CLIENT_ID: &str = "sb-calm-acme!b12|calm-api!b3";
/// The rules about the secret, which a corrected file never settles: it holds no secret.
const SECRET_RULES: [&str; 2] = ["CALM009", "CALM014"];

fn key() -> Value {
    json!({"endpoints": {"Api": "https://acme.eu10.alm.cloud.sap/api"},
           "uaa": {"clientid": CLIENT_ID, "clientsecret": KEY_SECRET,
                   "url": "https://acme.authentication.eu10.hana.ondemand.com", "identityzone": "acme",
                   "credential-type": "binding-secret"}})
}

fn calm_audit(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env_remove("CALM_AUDIT_TODAY")
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run calm-audit")
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn scene() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    std::fs::write(dir.path().join("key.json"), key().to_string()).unwrap();
    dir
}

/// The results of `check PATH --calm-key key.json` as JSON.
fn check(dir: &Path, path: &str) -> Vec<Value> {
    let out = calm_audit(dir, &["check", path, "--calm-key", "key.json", "--format", "json", "--fail-on", "never"]);
    assert!(out.status.code() == Some(0), "check {path}: {}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["results"].as_array().unwrap().clone()
}

/// No failure of a destination rule in `results` but of the secret rules.
fn assert_only_secret_rules_fail(results: &[Value], what: &str) {
    let failing: Vec<String> = results
        .iter()
        .filter(|r| r["status"] == "fail" || r["status"] == "error")
        .filter(|r| !SECRET_RULES.contains(&r["code"].as_str().unwrap()))
        .map(|r| format!("{} {} {}", r["code"], r["object"]["name"], r["message"]))
        .collect();
    assert!(failing.is_empty(), "{what}: the corrected files still fail:\n{}", failing.join("\n"));
}

/// Every file under `dir`, recursively, as bytes.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

fn assert_no_secret(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in [KEY_SECRET, DEST_SECRET] {
        assert!(!text.contains(secret), "a secret reached {what}");
    }
}

const EXPORT: &str = "#clientSecret=<< Existing password/certificate removed on export >>\n#\n#Mon May 19 15:34:09 UTC 2025\n\
Description=Caf\\u00E9 push\\: prod \\#1\nType=HTTP\nclientId=sb-wrong\nAuthentication=OAuth2ClientCredentials\nName=calm_export\n\
tokenServiceURL=https\\://acme.authentication.eu10.hana.ondemand.com//oauth/token\nProxyType=Internet\n\
URL=https\\://acme.eu10.alm.cloud.sap/api\ntokenServiceURLType=Common\nTrustAll=true\n";

fn broken_json() -> Value {
    json!([{"Name": "CALM_JSON", "Type": "http", "URL": "https://acme.eu10.alm.cloud.sap",
            "Authentication": "OAuth2ClientCredentials", "ProxyType": "Internet", "clientId": format!(" {CLIENT_ID}"),
            "clientSecret": DEST_SECRET, "tokenServiceURLType": "Dedicated", "tokenServiceURL": TOKEN_URL,
            "tokenServiceUser": "someone", "sap-client": "100"}])
}

const YAML: &str = "- Name: CALM_YAML\n  Type: HTTP\n  URL: https://acme.eu10.alm.cloud.sap/api/\n  Authentication: OAuth2ClientCredentials\n  \
ProxyType: internet\n  clientId: sb-calm-acme!b12\n  clientSecret: FIXTEST-destination-secret-77e2\n  tokenServiceURLType: dedicated\n  \
tokenServiceURL: https://acme.authentication.eu10.hana.ondemand.com\n";

#[test]
fn export_json_and_yaml_are_corrected_and_pass_when_audited_again() {
    let dir = scene();
    let d = dir.path();
    std::fs::write(d.join("in/calm_export.properties"), EXPORT).unwrap();
    std::fs::write(d.join("in/dest.json"), broken_json().to_string()).unwrap();
    std::fs::write(d.join("in/dest.yaml"), YAML).unwrap();
    let before = files_under(&d.join("in"));
    let failing_before = check(d, "in").iter().filter(|r| r["status"] == "fail").count();
    assert!(failing_before >= 12, "the inputs are broken");

    let out = calm_audit(d, &["fix", "in", "--calm-key", "key.json", "--output", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_no_secret("the streams of fix", text(&out).as_bytes());
    assert_eq!(files_under(&d.join("in")), before, "fix never modifies an input");

    let written = files_under(&d.join("out"));
    let names: Vec<&str> = written.iter().map(|(p, _)| p.rsplit('/').next().unwrap()).collect();
    assert_eq!(names, ["CALM_JSON.properties", "CALM_YAML.properties", "SUMMARY.md", "calm_export.properties"]);
    for (path, bytes) in &written {
        assert_no_secret(path, bytes);
        assert!(bytes.is_ascii(), "{path}: the import file is plain ASCII (Latin-1 safe, \\uXXXX beyond)");
    }
    let export = String::from_utf8(written[3].1.clone()).unwrap();
    assert!(export.starts_with("#clientSecret=<< Existing password/certificate removed on export >>\n#\n"), "{export}");
    for line in [
        "Name=CALM_export",
        "URL=https\\://acme.eu10.alm.cloud.sap/",
        "clientId=sb-calm-acme\\!b12|calm-api\\!b3",
        "tokenServiceURL=https\\://acme.authentication.eu10.hana.ondemand.com/oauth/token",
        "tokenServiceURLType=Dedicated",
        // Every other property kept, as written.
        "Description=Caf\\u00E9 push\\: prod \\#1",
        "ProxyType=Internet",
    ] {
        assert!(export.lines().any(|l| l == line), "{line} missing in\n{export}");
    }
    assert!(!export.contains("TrustAll"), "TrustAll=true is removed");
    let json_file = String::from_utf8(written[0].1.clone()).unwrap();
    assert!(json_file.contains("#clientSecret=<< Existing password/certificate removed on export >>"), "{json_file}");
    assert!(json_file.lines().any(|l| l == "sap-client=100") && !json_file.contains("tokenServiceUser"), "{json_file}");

    let summary = String::from_utf8(written[2].1.clone()).unwrap();
    assert!(summary.contains("enter the key's `uaa.clientsecret` as Client Secret"), "{summary}");
    assert!(summary.contains("calm-audit check out --calm-key key.json"), "{summary}");

    let results = check(d, "out");
    assert_only_secret_rules_fail(&results, "export, JSON and YAML");
    let audited: std::collections::BTreeSet<&str> = results.iter().filter_map(|r| r["object"]["name"].as_str()).collect();
    assert!(audited.is_superset(&["CALM_JSON", "CALM_YAML", "CALM_export"].into_iter().collect()), "{audited:?}");
}

#[test]
fn a_snapshot_and_a_live_read_are_corrected_and_pass_when_audited_again() {
    let dir = scene();
    let d = dir.path();
    std::fs::write(d.join("in/dest.json"), broken_json().to_string()).unwrap();
    let out = calm_audit(d, &["snapshot", "in/dest.json", "--output", "snap.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = calm_audit(d, &["fix", "snap.json", "--calm-key", "key.json", "--output", "from-snapshot"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(d.join("from-snapshot/CALM_JSON.properties").is_file());
    assert_only_secret_rules_fail(&check(d, "from-snapshot"), "snapshot");

    let mut live = broken_json()[0].clone();
    live["Name"] = json!("CALM_LIVE");
    live["URL"] = json!("https://acme.eu10.alm.cloud.sap/api");
    let fake = FakeService::start(FakeConfig {
        client_secret: "FIXTEST-service-secret-31".to_owned(),
        subaccount: vec![live],
        ..FakeConfig::default()
    });
    std::fs::write(d.join("dest-key.json"), fake.destination_key_json().to_string()).unwrap();
    let out = calm_audit(d, &["fix", "--destination-key", "dest-key.json", "--calm-key", "key.json", "--output", "from-live"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("FIXTEST-service-secret-31"));
    let file = std::fs::read_to_string(d.join("from-live/CALM_LIVE.properties")).unwrap();
    assert!(file.lines().any(|l| l == "URL=https\\://acme.eu10.alm.cloud.sap/"), "{file}");
    assert_only_secret_rules_fail(&check(d, "from-live"), "live");
    for (path, bytes) in files_under(d).iter().filter(|(p, _)| p.contains("/from-")) {
        assert_no_secret(path, bytes);
    }
}

#[test]
fn the_folder_is_new_or_empty_never_an_input_and_a_partial_read_exits_3() {
    let dir = scene();
    let d = dir.path();
    std::fs::write(d.join("in/dest.json"), broken_json().to_string()).unwrap();
    std::fs::create_dir(d.join("busy")).unwrap();
    std::fs::write(d.join("busy/notes.txt"), "mine").unwrap();
    std::fs::write(d.join("busy/fix.patch"), "an earlier run's patch").unwrap();
    let out = calm_audit(d, &["fix", "in", "--calm-key", "key.json", "--output", "busy"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not empty"), "{}", text(&out));
    assert_eq!(files_under(&d.join("busy")).len(), 2, "nothing written into a non-empty folder");
    let out = calm_audit(d, &["fix", "in", "--calm-key", "key.json", "--output", "busy", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(d.join("busy/CALM_JSON.properties").is_file() && d.join("busy/notes.txt").is_file());
    assert!(!d.join("busy/fix.patch").exists(), "a patch of an earlier run is never left to be applied as this one's");

    // The input folder itself, or a folder holding an input, is refused.
    for output in ["in", "."] {
        let out = calm_audit(d, &["fix", "in", "--calm-key", "key.json", "--output", output, "--force"]);
        assert_eq!(out.status.code(), Some(2), "--output {output}: {}", text(&out));
    }
    // A required --output.
    assert_eq!(calm_audit(d, &["fix", "in"]).status.code(), Some(2));

    // A walked file that cannot be parsed: the others are written, exit 3, SUMMARY says so.
    std::fs::write(d.join("in/broken.json"), "[{\"Name\": \"CALM_BROKEN\", \"URL\": ").unwrap();
    let out = calm_audit(d, &["fix", "in", "--calm-key", "key.json", "--output", "partial"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(d.join("partial/CALM_JSON.properties").is_file());
    let summary = std::fs::read_to_string(d.join("partial/SUMMARY.md")).unwrap();
    assert!(summary.contains("**Incomplete**") && summary.contains("broken.json"), "{summary}");
}

#[test]
fn a_link_in_the_folder_is_never_written_through() {
    #[cfg(unix)]
    {
        let dir = scene();
        let d = dir.path();
        std::fs::write(d.join("in/dest.json"), broken_json().to_string()).unwrap();
        std::fs::create_dir(d.join("out")).unwrap();
        std::fs::write(d.join("elsewhere.txt"), "keep").unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere.txt"), d.join("out/CALM_JSON.properties")).unwrap();
        let out = calm_audit(d, &["fix", "in/dest.json", "--calm-key", "key.json", "--output", "out", "--force"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert_eq!(std::fs::read_to_string(d.join("elsewhere.txt")).unwrap(), "keep");
    }
}

/// A small seeded generator (xorshift): the same cases on every run, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A destination with random faults, at least one of them one the run can correct.
fn random_destination(rng: &mut Rng, i: usize) -> Value {
    let mut d = serde_json::Map::new();
    let mut set = |k: &str, v: &str| {
        d.insert(k.to_owned(), json!(v));
    };
    let upper = rng.below(4) != 0;
    set("Name", &if upper { format!("CALM_R{i}") } else { format!("calm_r{i}") });
    let url = rng.pick(&[
        "https://acme.eu10.alm.cloud.sap/api",
        "https://acme.eu10.alm.cloud.sap/api/",
        "https://acme.eu10.alm.cloud.sap",
        " https://acme.eu10.alm.cloud.sap/",
        "http://acme.eu10.alm.cloud.sap/",
        "https://other.us10.alm.cloud.sap/",
        BASE,
    ]);
    set("URL", url);
    match rng.below(4) {
        0 => set("Type", "http"),
        1 => set("Type", "RFC"),
        _ => set("Type", "HTTP"),
    }
    match rng.below(4) {
        0 => set("ProxyType", "internet"),
        1 => {}
        _ => set("ProxyType", "Internet"),
    }
    if rng.below(3) == 0 {
        set("Authentication", "BasicAuthentication");
    } else {
        set("Authentication", "OAuth2ClientCredentials");
    }
    match rng.below(5) {
        0 => set("clientId", "sb-calm-acme!b12"),
        1 => set("clientId", &format!("{CLIENT_ID} ")),
        2 => set("clientId", "sb-somebody-else"),
        _ => set("clientId", CLIENT_ID),
    }
    set("clientSecret", DEST_SECRET);
    match rng.below(4) {
        0 => set("tokenServiceURLType", "Common"),
        1 => set("tokenServiceURLType", "dedicated"),
        _ => set("tokenServiceURLType", "Dedicated"),
    }
    let token = rng.pick(&[
        "https://acme.authentication.eu10.hana.ondemand.com",
        "https://acme.authentication.eu10.hana.ondemand.com//oauth/token",
        "http://acme.authentication.eu10.hana.ondemand.com/oauth/token",
        "https://other.authentication.us10.hana.ondemand.com/oauth/token",
        TOKEN_URL,
    ]);
    set("tokenServiceURL", token);
    if rng.below(4) == 0 {
        set("TrustAll", rng.pick(&["true", "TRUE"]));
    }
    if rng.below(5) == 0 {
        set("tokenServiceUser", "someone");
    }
    if rng.below(5) == 0 {
        set("tokenServiceURL.headers.X-Extra", "value");
    }
    // Text that must survive the properties syntax.
    set("Description", rng.pick(&[" lead: a=b #c !d \\e", "Caf\u{e9} \u{20ac} \u{1F600}", "tab\tand\nline", "plain"]));
    // At least one fault the run corrects.
    if upper && url == BASE && token == TOKEN_URL {
        set("URL", "https://acme.eu10.alm.cloud.sap/api");
    }
    Value::Object(d)
}

#[test]
fn random_failing_destinations_are_corrected_to_pass_every_rule_but_the_secret_ones() {
    for seed in 1..=6u64 {
        let dir = scene();
        let d = dir.path();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let destinations: Vec<Value> = (0..25).map(|i| random_destination(&mut rng, i)).collect();
        std::fs::write(d.join("in/random.json"), Value::Array(destinations.clone()).to_string()).unwrap();
        let out = calm_audit(d, &["fix", "in", "--calm-key", "key.json", "--output", "out"]);
        assert_eq!(out.status.code(), Some(0), "seed {seed}: {}", text(&out));
        let written = files_under(&d.join("out"));
        assert_eq!(written.len(), 26, "seed {seed}: a corrected file per destination and the summary");
        for (path, bytes) in &written {
            assert_no_secret(path, bytes);
        }
        let results = check(d, "out");
        assert_only_secret_rules_fail(&results, &format!("seed {seed}"));
        // Every property kept: the description of each, in its file.
        let descriptions =
            written.iter().filter(|(_, b)| String::from_utf8_lossy(b).lines().any(|l| l.starts_with("Description="))).count();
        assert_eq!(descriptions, 25, "seed {seed}: every destination keeps its Description");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn git_available() -> bool {
    std::process::Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Applies `patch` in `repo` with `git apply` (checked first), as a user would.
fn git_apply(repo: &Path, patch: &Path) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("git").current_dir(repo).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["init", "-q", "."]);
    run(&["apply", "--check", &patch.display().to_string()]);
    run(&["apply", &patch.display().to_string()]);
}

/// Failing results of the rules `codes`, as `CODE name`.
fn failing(results: &[Value], codes: &[&str]) -> Vec<String> {
    results
        .iter()
        .filter(|r| r["status"] == "fail" && codes.contains(&r["code"].as_str().unwrap()))
        .map(|r| format!("{} {} {}", r["code"], r["object"]["name"], r["message"]))
        .collect()
}

/// The patch changes only literals: each removed line becomes its added line by replacing one
/// value of `pairs` with its correction, nothing else on the line.
fn assert_only_literals(patch: &str, pairs: &[(&str, &str)]) {
    let minus: Vec<&str> = patch.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).collect();
    let plus: Vec<&str> = patch.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect();
    assert_eq!(minus.len(), plus.len(), "{patch}");
    for (m, p) in minus.iter().zip(&plus) {
        assert!(pairs.iter().any(|(old, new)| m[1..].replacen(old, new, 1) == p[1..]), "not a literal replacement:\n{m}\n{p}");
    }
}

#[test]
fn a_patch_for_mta_with_an_extension_and_terraform_with_for_each_applies_and_the_patched_rules_pass() {
    if !git_available() {
        support::skip::unavailable("the fix.patch round trip", "git is not installed");
        return;
    }
    let dir = scene();
    let d = dir.path();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    copy_tree(&examples.join("as-code"), &d.join("repo"));
    std::fs::copy(examples.join("calm-service-key.txt"), d.join("calm-key.txt")).unwrap();
    // A value the extension descriptor gives: the patch edits it there.
    let ext = d.join("repo/mta-project/prod.mtaext");
    let ext_text = std::fs::read_to_string(&ext).unwrap();
    assert!(ext_text.contains("calm-url: https://acme-demo.eu10.alm.cloud.sap/\n"));
    std::fs::write(
        &ext,
        ext_text.replace("calm-url: https://acme-demo.eu10.alm.cloud.sap/\n", "calm-url: https://acme-demo.eu10.alm.cloud.sap/api\r\n"),
    )
    .unwrap();
    let before = files_under(&d.join("repo"));

    let out = calm_audit(d, &["fix", "repo", "--calm-key", "calm-key.txt", "--output", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(files_under(&d.join("repo")), before, "fix never modifies an input");
    let patch = std::fs::read_to_string(d.join("out/fix.patch")).unwrap();
    assert!(!patch.contains("FAKE-demo-secret"), "the patch holds no secret, not even as context");
    for file in ["a/mta-project/mta.yaml", "a/mta-project/prod.mtaext", "a/terraform/main.tf", "a/terraform/terraform.tfvars"] {
        assert!(patch.contains(&format!("--- {file}\n")), "{file} is not patched:\n{patch}");
    }
    assert!(patch.contains("+  calm-url: https://acme-demo.eu10.alm.cloud.sap/\r\n"), "line ending kept:\n{patch}");
    assert_only_literals(
        &patch,
        &[
            ("https://acme-demo.eu10.alm.cloud.sap/api/", "https://acme-demo.eu10.alm.cloud.sap/"),
            ("https://acme-demo.eu10.alm.cloud.sap/api", "https://acme-demo.eu10.alm.cloud.sap/"),
        ],
    );
    let summary = std::fs::read_to_string(d.join("out/SUMMARY.md")).unwrap();
    assert!(summary.contains("Not patched, change by hand") && summary.contains("git apply"), "{summary}");

    let patched_rules = ["CALM004", "CALM005", "CALM012"];
    let results_before = check_with(d, "repo", "calm-key.txt");
    assert!(failing(&results_before, &patched_rules).len() >= 6, "the repository is broken before");
    git_apply(&d.join("repo"), &d.join("out/fix.patch"));
    let results = check_with(d, "repo", "calm-key.txt");
    assert!(failing(&results, &patched_rules).is_empty(), "after git apply:\n{}", failing(&results, &patched_rules).join("\n"));

    // `patch -p1` from the audited folder reads it too.
    if std::process::Command::new("patch").arg("--version").output().is_ok_and(|o| o.status.success()) {
        copy_tree(&examples.join("as-code"), &d.join("repo2"));
        std::fs::write(
            d.join("repo2/mta-project/prod.mtaext"),
            ext_text.replace("calm-url: https://acme-demo.eu10.alm.cloud.sap/\n", "calm-url: https://acme-demo.eu10.alm.cloud.sap/api\r\n"),
        )
        .unwrap();
        let out = std::process::Command::new("patch")
            .current_dir(d.join("repo2"))
            .args(["-p1", "--fuzz=0", "-i", &d.join("out/fix.patch").display().to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "patch -p1: {}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(
            files_under(&d.join("repo2")),
            files_under(&d.join("repo"))
                .into_iter()
                .filter(|(p, _)| !p.contains("/.git/"))
                .map(|(p, b)| (p.replace("/repo/", "/repo2/"), b))
                .collect::<Vec<_>>()
        );
    }
}

/// [`check`] with another key file.
fn check_with(dir: &Path, path: &str, key: &str) -> Vec<Value> {
    let out = calm_audit(dir, &["check", path, "--calm-key", key, "--format", "json", "--fail-on", "never"]);
    assert!(out.status.code() == Some(0), "check {path}: {}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["results"].as_array().unwrap().clone()
}

#[test]
fn sarif_fixes_replace_exactly_the_literal_and_the_validator_accepts_them() {
    let dir = scene();
    let d = dir.path();
    std::fs::write(d.join("in/calm_export.properties"), EXPORT).unwrap();
    std::fs::write(d.join("in/dest.json"), serde_json::to_string_pretty(&broken_json()).unwrap()).unwrap();
    std::fs::write(d.join("in/dest.yaml"), YAML).unwrap();
    let out = calm_audit(d, &["check", "in", "--calm-key", "key.json", "--format", "sarif", "--output", "r.sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    match support::shared::check_sarif() {
        Ok(validator) => {
            let checked = std::process::Command::new(&validator).arg(d.join("r.sarif")).output().unwrap();
            assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stdout));
        }
        Err(why) => support::skip::unavailable("the SARIF validator on the fixes", &why),
    }
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(d.join("r.sarif")).unwrap()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let Some(fixes) = r.get("fixes") else { continue };
        let change = &fixes[0]["artifactChanges"][0];
        let uri = change["artifactLocation"]["uri"].as_str().unwrap();
        let region = &change["replacements"][0]["deletedRegion"];
        let inserted = change["replacements"][0]["insertedContent"]["text"].as_str().unwrap();
        let file = std::fs::read_to_string(d.join(uri)).unwrap();
        let line = file.lines().nth(region["startLine"].as_u64().unwrap() as usize - 1).unwrap();
        let (start, end) = (region["startColumn"].as_u64().unwrap() as usize - 1, region["endColumn"].as_u64().unwrap() as usize - 1);
        let old = &line[start..end];
        // The region is the whole literal: the value after `key=`, `key: ` or `"key": `.
        let rest = line[end..].trim_end_matches(',');
        assert!(rest.is_empty(), "{}: the region ends the value: {line:?} [{start}..{end}]", r["ruleId"]);
        assert!(line[..start].trim_end().ends_with(['=', ':']), "{line:?}");
        assert_ne!(old, inserted);
        assert!(r["message"]["text"].as_str().unwrap().contains(" Fix: "), "{}", r["message"]);
        seen.insert((uri.to_owned(), old.to_owned(), inserted.to_owned()));
    }
    for expected in [
        ("in/calm_export.properties", "https\\://acme.eu10.alm.cloud.sap/api", "https\\://acme.eu10.alm.cloud.sap/"),
        ("in/calm_export.properties", "Common", "Dedicated"),
        ("in/dest.json", "\"http\"", "\"HTTP\""),
        ("in/dest.json", "\"https://acme.eu10.alm.cloud.sap\"", "\"https://acme.eu10.alm.cloud.sap/\""),
        ("in/dest.yaml", "internet", "Internet"),
        ("in/dest.yaml", "sb-calm-acme!b12", "sb-calm-acme!b12|calm-api!b3"),
    ] {
        let expected = (expected.0.to_owned(), expected.1.to_owned(), expected.2.to_owned());
        assert!(seen.contains(&expected), "no SARIF fix {expected:?} in {seen:#?}");
    }
    assert_no_secret("the SARIF report", &std::fs::read(d.join("r.sarif")).unwrap());
}

/// A random repository: Terraform destinations (literals in the resource, a variable's default,
/// a `for_each` map in `terraform.tfvars`) and MTA destinations (plain, single- and
/// double-quoted scalars), random indentation, alignment, comments and line endings, and
/// random faults in the literal values. Returns the (old, new) pairs a patch may write.
fn random_repository(rng: &mut Rng, root: &Path) {
    let eol = if rng.below(2) == 0 { "\n" } else { "\r\n" };
    let pad = |rng: &mut Rng| " ".repeat(1 + rng.below(3));
    let url = |rng: &mut Rng| {
        rng.pick(&["https://acme.eu10.alm.cloud.sap/api", "https://acme.eu10.alm.cloud.sap/api/", "https://acme.eu10.alm.cloud.sap", BASE])
            .to_owned()
    };
    let token = |rng: &mut Rng| rng.pick(&["https://acme.authentication.eu10.hana.ondemand.com//oauth/token", TOKEN_URL]).to_owned();
    let kind = |rng: &mut Rng| rng.pick(&["Common", "Dedicated"]).to_owned();
    let id = |rng: &mut Rng| rng.pick(&["sb-calm-acme!b12", CLIENT_ID]).to_owned();
    let comment = |rng: &mut Rng| if rng.below(3) == 0 { " # reviewed" } else { "" };

    std::fs::create_dir_all(root.join("tf")).unwrap();
    let mut tf = String::new();
    let indent = if rng.below(2) == 0 { "  " } else { "    " };
    for i in 0..3 {
        let lines = [
            format!("resource \"btp_subaccount_destination\" \"d{i}\" {{"),
            format!("{indent}subaccount_id{}= var.subaccount_id", pad(rng)),
            format!("{indent}name{}= \"CALM_TF{i}\"", pad(rng)),
            format!("{indent}type{}= \"HTTP\"", pad(rng)),
            format!("{indent}proxy_type{}= \"Internet\"", pad(rng)),
            format!("{indent}url{}= \"{}\"{}", pad(rng), url(rng), comment(rng)),
            format!("{indent}authentication{}= \"OAuth2ClientCredentials\"", pad(rng)),
            format!("{indent}additional_configuration = jsonencode({{"),
            format!("{indent}{indent}clientId{}= \"{}\"{}", pad(rng), id(rng), comment(rng)),
            format!("{indent}{indent}clientSecret = var.calm_client_secret"),
            format!("{indent}{indent}tokenServiceURL{}= \"{}\"", pad(rng), token(rng)),
            format!("{indent}{indent}tokenServiceURLType = \"{}\"", kind(rng)),
            format!("{indent}}})"),
            "}".to_owned(),
            String::new(),
        ];
        tf.push_str(&lines.join(eol));
    }
    let push = [
        "resource \"btp_subaccount_destination\" \"push\" {".to_owned(),
        "  for_each       = var.push".to_owned(),
        "  subaccount_id  = var.subaccount_id".to_owned(),
        "  name           = each.key".to_owned(),
        "  type           = \"HTTP\"".to_owned(),
        "  proxy_type     = \"Internet\"".to_owned(),
        "  url            = each.value".to_owned(),
        "  authentication = \"OAuth2ClientCredentials\"".to_owned(),
        "  additional_configuration = jsonencode({".to_owned(),
        format!("    clientId            = \"{CLIENT_ID}\""),
        "    clientSecret        = var.calm_client_secret".to_owned(),
        format!("    tokenServiceURL     = \"{TOKEN_URL}\""),
        "    tokenServiceURLType = \"Dedicated\"".to_owned(),
        "  })".to_owned(),
        "}".to_owned(),
        String::new(),
    ];
    tf.push_str(&push.join(eol));
    std::fs::write(root.join("tf/main.tf"), tf).unwrap();
    let variables = [
        "variable \"subaccount_id\" {".to_owned(),
        "  type = string".to_owned(),
        "}".to_owned(),
        "variable \"calm_client_secret\" {".to_owned(),
        "  type      = string".to_owned(),
        "  sensitive = true".to_owned(),
        "}".to_owned(),
        "variable \"push\" {".to_owned(),
        "  type = map(string)".to_owned(),
        "}".to_owned(),
        String::new(),
    ];
    std::fs::write(root.join("tf/variables.tf"), variables.join(eol)).unwrap();
    let tfvars = [
        "push = {".to_owned(),
        format!("  CALM_A{}= \"{}\"", pad(rng), url(rng)),
        format!("  CALM_B{}= \"{}\"{}", pad(rng), url(rng), comment(rng)),
        "}".to_owned(),
        String::new(),
    ];
    std::fs::write(root.join("tf/terraform.tfvars"), tfvars.join(eol)).unwrap();

    std::fs::create_dir_all(root.join("mta")).unwrap();
    let quote = |rng: &mut Rng, v: &str| match rng.below(3) {
        0 => v.to_owned(),
        1 => format!("'{v}'"),
        _ => format!("\"{v}\""),
    };
    let mut mta = vec![
        "_schema-version: \"3.1\"".to_owned(),
        "ID: acme.random".to_owned(),
        "version: 1.0.0".to_owned(),
        "resources:".to_owned(),
        "  - name: calm-destination".to_owned(),
        "    type: org.cloudfoundry.managed-service".to_owned(),
        "    parameters:".to_owned(),
        "      service: destination".to_owned(),
        "      service-plan: lite".to_owned(),
        "      config:".to_owned(),
        "        init_data:".to_owned(),
        "          subaccount:".to_owned(),
        "            existing_destinations_policy: update".to_owned(),
        "            destinations:".to_owned(),
    ];
    for i in 0..3 {
        let u = url(rng);
        let t = token(rng);
        let k = kind(rng);
        let c = id(rng);
        mta.extend([
            format!("              - Name: CALM_MTA{i}"),
            "                Type: HTTP".to_owned(),
            format!("                URL: {}{}", quote(rng, &u), comment(rng)),
            "                ProxyType: Internet".to_owned(),
            "                Authentication: OAuth2ClientCredentials".to_owned(),
            format!("                clientId: {}", quote(rng, &c)),
            "                clientSecret: ${calm-secret}".to_owned(),
            format!("                tokenServiceURLType: {}", quote(rng, &k)),
            format!("                tokenServiceURL: {}", quote(rng, &t)),
        ]);
    }
    mta.push(String::new());
    std::fs::write(root.join("mta/mta.yaml"), mta.join(eol)).unwrap();
}

#[test]
fn random_repositories_are_patched_in_their_literals_only_and_then_pass() {
    if !git_available() {
        support::skip::unavailable("the random fix.patch round trips", "git is not installed");
        return;
    }
    let pairs: [(&str, &str); 8] = [
        ("\"https://acme.eu10.alm.cloud.sap/api\"", "\"https://acme.eu10.alm.cloud.sap/\""),
        ("\"https://acme.eu10.alm.cloud.sap/api/\"", "\"https://acme.eu10.alm.cloud.sap/\""),
        ("\"https://acme.eu10.alm.cloud.sap\"", "\"https://acme.eu10.alm.cloud.sap/\""),
        ("https://acme.eu10.alm.cloud.sap/api/", "https://acme.eu10.alm.cloud.sap/"),
        ("https://acme.eu10.alm.cloud.sap/api", "https://acme.eu10.alm.cloud.sap/"),
        ("https://acme.eu10.alm.cloud.sap", "https://acme.eu10.alm.cloud.sap/"),
        ("https://acme.authentication.eu10.hana.ondemand.com//oauth/token", TOKEN_URL),
        ("Common", "Dedicated"),
    ];
    let patched_rules = ["CALM004", "CALM005", "CALM006", "CALM010", "CALM011", "CALM012", "CALM013", "CALM015"];
    let mut patched = 0;
    for seed in 1..=5u64 {
        let dir = scene();
        let d = dir.path();
        let mut rng = Rng(0x5851_f42d_4c95_7f2d ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        random_repository(&mut rng, &d.join("repo"));
        let before = check(d, "repo");
        let out = calm_audit(d, &["fix", "repo", "--calm-key", "key.json", "--output", "out"]);
        assert_eq!(out.status.code(), Some(0), "seed {seed}: {}", text(&out));
        if failing(&before, &patched_rules).is_empty() {
            continue;
        }
        let patch = std::fs::read_to_string(d.join("out/fix.patch")).unwrap_or_default();
        assert!(!patch.is_empty(), "seed {seed}: failures but no patch:\n{}", failing(&before, &patched_rules).join("\n"));
        let mut all_pairs: Vec<(&str, &str)> = pairs.to_vec();
        all_pairs.push(("sb-calm-acme!b12", CLIENT_ID));
        assert_only_literals(&patch, &all_pairs);
        git_apply(&d.join("repo"), &d.join("out/fix.patch"));
        let after = check(d, "repo");
        assert!(
            failing(&after, &patched_rules).is_empty(),
            "seed {seed}: after git apply:\n{}\n{patch}",
            failing(&after, &patched_rules).join("\n")
        );
        let files = patch.matches("\n--- a/").count() + usize::from(patch.starts_with("--- a/"));
        assert!(files >= 2, "seed {seed}: Terraform and MTA files patched:\n{patch}");
        patched += 1;
    }
    assert_eq!(patched, 5, "every random repository had something to patch");
}

#[test]
fn every_failing_result_says_what_to_change_in_every_format() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |format: &str| {
        let out = calm_audit(
            root,
            &[
                "check",
                "examples/destinations",
                "examples/as-code",
                "--settings",
                "examples/settings.toml",
                "--calm-key",
                "examples/calm-service-key.txt",
                "--format",
                format,
            ],
        );
        assert!(out.status.code().is_some_and(|c| c <= 1), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    let failing: Vec<&Value> =
        json["results"].as_array().unwrap().iter().filter(|r| r["status"] == "fail" || r["status"] == "error").collect();
    assert!(failing.len() > 20);
    for r in &failing {
        assert!(r["fix"]["step"].as_str().is_some_and(|s| !s.is_empty()), "no fix: {r}");
    }
    for r in json["results"].as_array().unwrap().iter().filter(|r| r["status"] == "pass" || r["status"] == "manual") {
        assert!(r.get("fix").is_none(), "a fix on a {} result: {r}", r["status"]);
    }
    let codes: std::collections::BTreeSet<&str> = failing.iter().map(|r| r["code"].as_str().unwrap()).collect();
    let table = run("table");
    assert_eq!(table.matches("\n    fix: ").count(), failing.len(), "{table}");
    let markdown = run("markdown");
    assert_eq!(markdown.matches("<br>fix: ").count(), failing.len());
    for text in [&table, &markdown] {
        let explain: String = text.lines().skip_while(|l| !l.starts_with("Steps to fix each failed rule:")).collect::<Vec<_>>().join(" ");
        for code in &codes {
            assert!(explain.contains(&format!("calm-audit explain {code}")), "{code} is not named at the end:\n{explain}");
        }
    }
    let last = markdown.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("- `calm-audit explain CALM") && markdown.contains("\nSteps to fix each failed rule:\n"),
        "Markdown ends with them: {last}"
    );
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .filter(|r| r["kind"] == "fail" || r["kind"] == "open")
            .all(|r| r["message"]["text"].as_str().unwrap().contains(" Fix: "))
    );
    assert!(results.iter().any(|r| r.get("fixes").is_some()), "literal replacements in SARIF");
    let html = run("html");
    assert_eq!(html.matches("<dt>Fix</dt>").count(), failing.len());
}

#[test]
fn without_a_key_the_fixes_the_rules_know_still_settle() {
    // Without the key only the rules' own values are known: the URL's slash and `/api`, the
    // fixed values, white space, removals. What needs the key stays a step, left by hand.
    let left_by_hand = ["CALM006", "CALM009", "CALM011", "CALM014", "CALM031", "CALM033"];
    for seed in 11..=14u64 {
        let dir = scene();
        let d = dir.path();
        let mut rng = Rng(0xd1b5_4a32_d192_ed03 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let destinations: Vec<Value> = (0..25).map(|i| random_destination(&mut rng, i)).collect();
        std::fs::write(d.join("in/random.json"), Value::Array(destinations).to_string()).unwrap();
        let out = calm_audit(d, &["fix", "in", "--output", "out"]);
        assert_eq!(out.status.code(), Some(0), "seed {seed}: {}", text(&out));
        let out = calm_audit(d, &["check", "out", "--format", "json", "--fail-on", "never"]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let failing: Vec<String> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "fail" && !left_by_hand.contains(&r["code"].as_str().unwrap()))
            .map(|r| format!("{} {} {}", r["code"], r["object"]["name"], r["message"]))
            .collect();
        assert!(failing.is_empty(), "seed {seed}:\n{}", failing.join("\n"));
    }
}
