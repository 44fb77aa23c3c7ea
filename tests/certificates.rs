//! The certificate audit from the command line (SPEC §3b): every format shows each
//! certificate's date and days left; keystores made by OpenSSL and keytool are read; hostile
//! keystores are refused with a reason in bounded time; snapshots keep the dates and never the
//! content; Terraform uploads and X.509 keys are judged; the horizon is configurable.
//! Every certificate is made at test time, dated relative to the run's date, which is fixed with
//! `CALM_AUDIT_TODAY` (or taken from the clock when a tool dates the certificate itself).
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use calm_audit::clock::{DAY, parse_date};
use calm_audit::model::Secret;
use calm_audit::model::certificate::{Opened, Password, Problem};
use calm_audit::source::certs;
use support::certs as made;

const TODAY: &str = "2026-05-01";
const KEYSTORE_PASSWORD: &str = "canary-keystore-pass-4e1b";

fn today() -> i64 {
    parse_date(TODAY).unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn calm(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    cmd.current_dir(dir).env_remove("CALM_AUDIT_TODAY").env_remove("SOURCE_DATE_EPOCH").env_remove("COLUMNS").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run calm-audit");
    let run = Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    };
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    assert!(!run.stdout.contains(KEYSTORE_PASSWORD) && !run.stderr.contains(KEYSTORE_PASSWORD), "the keystore password leaked");
    run
}

fn at_today(dir: &Path, args: &[&str]) -> Run {
    calm(dir, args, &[("CALM_AUDIT_TODAY", TODAY)])
}

/// An mTLS push destination as SAP's setup page would have it, naming `keystore`.
fn mtls_destination(name: &str, keystore: &str, password: Option<&str>) -> serde_json::Value {
    let mut d = serde_json::json!({
        "Name": name,
        "Type": "HTTP",
        "ProxyType": "Internet",
        "URL": "https://acme.eu10.alm.cloud.sap/",
        "Authentication": "OAuth2ClientCredentials",
        "clientId": "sb-calm-acme!b12|calm-api!b3",
        "tokenServiceURLType": "Dedicated",
        "tokenServiceURL": "https://acme.authentication.cert.eu10.hana.ondemand.com/oauth/token",
        "tokenService.KeyStoreLocation": keystore,
    });
    if let Some(p) = password {
        d["tokenService.KeyStorePassword"] = p.into();
    }
    d
}

fn write_json(path: &Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// A folder with one mTLS destination and its keystore, the leaf expiring `days` after TODAY.
fn landscape(days: i64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let chain = made::chain("calm-client", today(), -30, days, 2, Some(3650));
    std::fs::write(dir.path().join("calm-client.p12"), made::p12(&chain, KEYSTORE_PASSWORD)).unwrap();
    write_json(
        &dir.path().join("destinations.json"),
        &serde_json::json!([mtls_destination("CALM_MTLS", "calm-client.p12", Some(KEYSTORE_PASSWORD))]),
    );
    dir
}

#[test]
fn every_format_shows_each_certificate_with_its_date_and_days_left() {
    let dir = landscape(12);
    let table = calm(dir.path(), &["check", "."], &[("CALM_AUDIT_TODAY", TODAY), ("COLUMNS", "250")]);
    assert!(table.stdout.contains("Certificates in use (2, soonest to expire first)"), "{}", table.stdout);
    assert!(table.stdout.contains("2026-05-13") && table.stdout.contains("3650"), "{}", table.stdout);
    assert!(table.stdout.contains("CALM063") && table.stdout.contains("12 days left, within the 30-day horizon"), "{}", table.stdout);
    // The soonest first: the leaf (12 days) before its CA (ten years).
    let leaf = table.stdout.find("2026-05-13").unwrap();
    let ca = table.stdout.find("2036-").unwrap();
    assert!(leaf < ca, "{}", table.stdout);

    let md = at_today(dir.path(), &["check", ".", "--format", "markdown"]).stdout;
    assert!(md.contains("### Certificates in use (2, soonest to expire first)"), "{md}");
    assert!(md.contains("| `calm-client.p12 (leaf)` | file | CALM_MTLS | calm-client | calm-client CA 1 | 2026-05-13 | 12 |"), "{md}");

    // (Without the HTML report's line-break opportunities after separators, `<wbr>`.)
    let html = at_today(dir.path(), &["check", ".", "--format", "html"]).stdout.replace("<wbr>", "");
    assert!(html.contains("<h2 id=\"certificates\">Certificates in use (2, soonest to expire first)</h2>"), "{html}");
    assert!(html.contains("<tr class=\"c-soon\"><th scope=\"row\"><code>calm-client.p12 (leaf)</code></th>"), "{html}");
    assert!(html.contains("<td class=\"nw\">2026-05-13</td><td>12</td>"), "{html}");

    let json: serde_json::Value = serde_json::from_str(&at_today(dir.path(), &["check", ".", "--format", "json"]).stdout).unwrap();
    let rows = json["certificates"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "calm-client.p12");
    assert_eq!(rows[0]["used_by"], serde_json::json!(["CALM_MTLS"]));
    assert_eq!(rows[0]["subject_cn"], "calm-client");
    assert_eq!(rows[0]["not_after"], "2026-05-13T00:00:00Z");
    assert_eq!(rows[0]["days_left"], 12);
    assert_eq!(rows[0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(json["coverage"]["certificate_files"], 1);

    let sarif_text = at_today(dir.path(), &["check", ".", "--format", "sarif"]).stdout;
    let sarif: serde_json::Value = serde_json::from_str(&sarif_text).unwrap();
    let result = sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "CALM063").expect("CALM063 result");
    let location = &result["locations"][0];
    let property_line = std::fs::read_to_string(dir.path().join("destinations.json"))
        .unwrap()
        .lines()
        .position(|l| l.contains("tokenService.KeyStoreLocation"))
        .unwrap()
        + 1;
    assert_eq!(location["physicalLocation"]["region"]["startLine"], property_line, "at the line of the keystore property");
    let logical = location["logicalLocations"].as_array().unwrap();
    assert_eq!(logical[0]["name"], "CALM_MTLS");
    assert!(logical.iter().any(|l| l["kind"] == "certificate" && l["name"] == "calm-client.p12 CN=calm-client"), "{logical:?}");
    check_sarif(&sarif_text, "certificates");

    let junit = at_today(dir.path(), &["check", ".", "--format", "junit"]).stdout;
    assert!(
        junit.contains(
            "calm-client.p12 (file, used by CALM_MTLS): CN=calm-client, issued by CN=calm-client CA 1, not after 2026-05-13, days left 12"
        ),
        "{junit}"
    );
}

/// Writes a SARIF file where CI's validator checks it (`.ci/run` validates target/tmp/sarif-checks).
fn check_sarif(text: &str, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-checks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.sarif")), text).unwrap();
}

#[test]
fn the_run_date_comes_from_the_clock_or_source_date_epoch() {
    let dir = landscape(12);
    // SOURCE_DATE_EPOCH two days later: 10 days left.
    let epoch = (today() + 2 * DAY + 3600).to_string();
    let json = calm(dir.path(), &["check", ".", "--format", "json"], &[("SOURCE_DATE_EPOCH", &epoch)]).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["certificates"][0]["days_left"], 10);
    let bad = calm(dir.path(), &["check", "."], &[("SOURCE_DATE_EPOCH", "soon")]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("SOURCE_DATE_EPOCH"), "{}", bad.stderr);
}

#[test]
fn the_horizon_comes_from_the_flag_the_environment_or_the_configuration() {
    let dir = landscape(12);
    let result = |args: &[&str], env: &[(&str, &str)]| {
        let mut env = env.to_vec();
        env.push(("CALM_AUDIT_TODAY", TODAY));
        let mut all = vec!["check", ".", "--format", "json"];
        all.extend(args);
        let json: serde_json::Value = serde_json::from_str(&calm(dir.path(), &all, &env).stdout).unwrap();
        json["results"].as_array().unwrap().iter().find(|r| r["code"] == "CALM063").unwrap()["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(result(&[], &[]), "fail");
    assert_eq!(result(&["--expiry-days", "10"], &[]), "pass");
    assert_eq!(result(&[], &[("CALM_AUDIT_EXPIRY_DAYS", "10")]), "pass");
    std::fs::write(dir.path().join("calm-audit.toml"), "expiry_days = 7\n").unwrap();
    assert_eq!(result(&[], &[]), "pass");
    assert_eq!(result(&["--expiry-days", "60"], &[]), "fail", "the flag beats the file");
    let shown = at_today(dir.path(), &["check", "--show-config"]).stdout;
    assert!(shown.contains("expiry_days = 7") && shown.contains("calm-audit.toml:1"), "{shown}");
    std::fs::write(dir.path().join("calm-audit.toml"), "expiry_days = -3\n").unwrap();
    let bad = at_today(dir.path(), &["check", "."]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("calm-audit.toml:1") && bad.stderr.contains("expiry_days"), "{}", bad.stderr);
}

#[test]
fn a_cockpit_export_archive_shows_the_certificates_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let chain = made::chain("calm-client", today(), -30, 20, 1, None);
    let properties = "#tokenService.KeyStorePassword=<< Existing password/certificate removed on export >>\n#\n#Mon May 19 15:34:09 UTC 2025\n\
        Name=CALM_MTLS\nType=HTTP\nURL=https\\://acme.eu10.alm.cloud.sap/\nProxyType=Internet\nAuthentication=OAuth2ClientCredentials\n\
        clientId=sb-calm-acme\\!b12|calm-api\\!b3\ntokenServiceURLType=Dedicated\n\
        tokenServiceURL=https\\://acme.authentication.cert.eu10.hana.ondemand.com/oauth/token\ntokenService.KeyStoreLocation=calm-client.p12\n";
    let archive = dir.path().join("export.zip");
    {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("CALM_MTLS.properties", options).unwrap();
        zip.write_all(properties.as_bytes()).unwrap();
        zip.start_file("calm-client.pem", options).unwrap();
        zip.write_all(made::pem(&chain, false).as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let json: serde_json::Value = serde_json::from_str(&at_today(dir.path(), &["check", "export.zip", "--format", "json"]).stdout).unwrap();
    let status =
        |code: &str| json["results"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap()["status"].as_str().unwrap().to_owned();
    assert_eq!(status("CALM060"), "pass");
    assert_eq!(status("CALM061"), "manual", "an export keeps the certificate only");
    assert_eq!(status("CALM062"), "pass");
    assert_eq!(status("CALM063"), "fail");
    assert_eq!(json["certificates"][0]["source"], "export.zip/calm-client.pem:1");
    assert_eq!(json["certificates"][0]["days_left"], 20);
}

/// A note on the test's standard error (a tool that is missing, or that failed).
fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn keytool() -> Option<std::path::PathBuf> {
    let found = support::process::on_path("keytool");
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI needs keytool for the JKS interoperability test");
        say("skipped: keytool is not installed");
    }
    found
}

fn openssl() -> Option<std::path::PathBuf> {
    let found = support::process::on_path("openssl");
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI needs openssl for the PKCS#12 interoperability test");
        say("skipped: openssl is not installed");
    }
    found
}

fn run_tool(program: &Path, args: &[&str], dir: &Path) -> bool {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).current_dir(dir);
    let (ok, _, stderr) = support::process::run_bounded(cmd, Duration::from_secs(120));
    if !ok {
        say(&format!("{} {args:?}: {stderr}", program.display()));
    }
    ok
}

/// Keystores as the tools people use write them: OpenSSL 3's PKCS#12 (PBES2, AES), its legacy
/// one (RC2 and 3DES, as OpenSSL 1 and older Java wrote them), keytool's JKS, and keytool's
/// PKCS#12 saved as `.jks` (its default since Java 9): each opens with its password, and its
/// dates are read (they are set by the tools from today's clock).
#[test]
fn keystores_written_by_openssl_and_keytool_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut expected = Vec::new();
    if let Some(openssl) = openssl() {
        let leaf = made::certificate("openssl-client", now(), -1, 40);
        std::fs::write(d.join("cert.pem"), &leaf.cert_pem).unwrap();
        std::fs::write(d.join("key.pem"), &leaf.key_pem).unwrap();
        let pass = format!("pass:{KEYSTORE_PASSWORD}");
        assert!(run_tool(
            &openssl,
            &["pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "modern.p12", "-passout", &pass],
            d
        ));
        expected.push(("modern.p12", "openssl-client"));
        let legacy = ["pkcs12", "-export", "-legacy", "-in", "cert.pem", "-inkey", "key.pem", "-out", "legacy.pfx", "-passout", &pass];
        if run_tool(&openssl, &legacy, d) {
            expected.push(("legacy.pfx", "openssl-client"));
        }
        std::fs::remove_file(d.join("key.pem")).unwrap();
        std::fs::remove_file(d.join("cert.pem")).unwrap();
    }
    if let Some(keytool) = keytool() {
        for (file, store_type) in [("keytool.jks", "JKS"), ("keytool-p12.jks", "PKCS12")] {
            let args = [
                "-genkeypair",
                "-keystore",
                file,
                "-storetype",
                store_type,
                "-storepass",
                KEYSTORE_PASSWORD,
                "-keypass",
                KEYSTORE_PASSWORD,
                "-alias",
                "calm",
                "-dname",
                "CN=keytool-client",
                "-keyalg",
                "EC",
                "-validity",
                "40",
                "-noprompt",
            ];
            assert!(run_tool(&keytool, &args, d), "keytool {store_type}");
            expected.push((file, "keytool-client"));
        }
    }
    if expected.is_empty() {
        return;
    }
    let destinations: Vec<serde_json::Value> = expected
        .iter()
        .enumerate()
        .map(|(i, (file, _))| mtls_destination(&format!("CALM_TOOL_{i}"), file, Some(KEYSTORE_PASSWORD)))
        .collect();
    write_json(&d.join("destinations.json"), &serde_json::Value::from(destinations));
    let json: serde_json::Value = serde_json::from_str(&calm(d, &["check", ".", "--format", "json"], &[]).stdout).unwrap();
    for (i, (file, cn)) in expected.iter().enumerate() {
        let name = format!("CALM_TOOL_{i}");
        let readable = json["results"].as_array().unwrap().iter().find(|r| r["code"] == "CALM061" && r["object"]["name"] == name).unwrap();
        assert_eq!(readable["status"], "pass", "{file}: {readable}");
        let row = json["certificates"].as_array().unwrap().iter().find(|r| r["name"] == *file).unwrap_or_else(|| panic!("{file}: no row"));
        assert_eq!(row["subject_cn"], *cn, "{file}");
        let left = row["days_left"].as_i64().unwrap();
        assert!((39..=40).contains(&left), "{file}: {left} days left");
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// DER helpers for hostile keystores.
fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = header(tag, content.len());
    out.extend_from_slice(content);
    out
}

/// `depth` sequences, each holding the next, around an INTEGER: built from the inside out by
/// length, without copying the inner bytes at every level.
fn nested(depth: usize) -> Vec<u8> {
    let core = tlv(0x02, &[3]);
    let mut headers = Vec::with_capacity(depth);
    let mut len = core.len();
    for _ in 0..depth {
        let h = header(0x30, len);
        len += h.len();
        headers.push(h);
    }
    let mut out: Vec<u8> = headers.into_iter().rev().flatten().collect();
    out.extend(core);
    out
}

/// The elements of a DER sequence (short test inputs only).
fn elements(der: &[u8]) -> Vec<Vec<u8>> {
    let (start, len) = match der[1] {
        l if l < 0x80 => (2, l as usize),
        l => {
            let n = (l & 0x7f) as usize;
            (2 + n, der[2..2 + n].iter().fold(0usize, |a, b| (a << 8) | *b as usize))
        }
    };
    let mut content = &der[start..start + len];
    let mut out = Vec::new();
    while !content.is_empty() {
        let (s, l) = match content[1] {
            l if l < 0x80 => (2, l as usize),
            l => {
                let n = (l & 0x7f) as usize;
                (2 + n, content[2..2 + n].iter().fold(0usize, |a, b| (a << 8) | *b as usize))
            }
        };
        out.push(content[..s + l].to_vec());
        content = &content[s + l..];
    }
    out
}

/// `p12` with its MAC's iteration count replaced by `iterations`.
fn with_mac_iterations(p12: &[u8], iterations: u64) -> Vec<u8> {
    let pfx = elements(p12);
    let mac = elements(&pfx[2]);
    let mut count = iterations.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect::<Vec<u8>>();
    if count.first().is_none_or(|b| b & 0x80 != 0) {
        count.insert(0, 0);
    }
    let mac = tlv(0x30, &[mac[0].clone(), mac[1].clone(), tlv(0x02, &count)].concat());
    tlv(0x30, &[pfx[0].clone(), pfx[1].clone(), mac].concat())
}

fn open_timed(bytes: &[u8], password: &str) -> (Opened, Duration) {
    let started = Instant::now();
    let opened = certs::open(bytes, &Password::Given(Secret::new(password.to_owned())));
    (opened, started.elapsed())
}

fn unreadable(opened: &Opened) -> String {
    match &opened.problem {
        Some(Problem::Unreadable { reason }) => reason.clone(),
        other => panic!("expected an unreadable keystore, got {other:?} with {:?}", opened.contents),
    }
}

#[test]
fn hostile_keystores_are_refused_with_the_reason_in_bounded_time() {
    let chain = made::chain("calm-client", today(), -30, 100, 1, None);
    let good = made::p12(&chain, KEYSTORE_PASSWORD);
    let limit = Duration::from_secs(10);

    // A billion iterations of the MAC's key derivation: refused before it starts, with the number.
    let (opened, took) = open_timed(&with_mac_iterations(&good, 1_000_000_000), KEYSTORE_PASSWORD);
    let reason = unreadable(&opened);
    assert!(reason.contains("1000000000") && reason.contains("refused"), "{reason}");
    assert!(took < limit, "{took:?}");

    // Truncated, at several places.
    for cut in [1, 2, 10, good.len() / 2, good.len() - 1] {
        let (opened, took) = open_timed(&good[..cut], KEYSTORE_PASSWORD);
        assert!(opened.contents.is_none() && opened.problem.is_some(), "cut at {cut}: {opened:?}");
        assert!(took < limit);
    }
    assert!(unreadable(&open_timed(&good[..good.len() / 2], KEYSTORE_PASSWORD).0).contains("truncated"));

    // The wrong password.
    assert_eq!(open_timed(&good, "not-the-password").0.problem, Some(Problem::WrongPassword));

    // Deeply nested structures: a PKCS#12 shape 100,000 sequences deep.
    let deep = tlv(0x30, &[tlv(0x02, &[3]), nested(100_000)].concat());
    let (opened, took) = open_timed(&deep, KEYSTORE_PASSWORD);
    assert!(unreadable(&opened).contains("nest deeper"), "{opened:?}");
    assert!(took < limit);

    // Huge: refused by size before it is parsed.
    let huge = [good.clone(), vec![0u8; certs::MAX_KEYSTORE_BYTES]].concat();
    assert!(unreadable(&open_timed(&huge, KEYSTORE_PASSWORD).0).contains("larger than"));

    // A chain of thousands: refused by count, in PEM, DER and JKS alike.
    let one = &chain[0];
    let many_pem = one.cert_pem.repeat(certs::MAX_CERTIFICATES + 1);
    let (opened, took) = open_timed(many_pem.as_bytes(), KEYSTORE_PASSWORD);
    assert!(unreadable(&opened).contains("more than 1000 certificates"), "{opened:?}");
    assert!(took < limit, "{took:?}");
    let many_der = one.cert_der.repeat(certs::MAX_CERTIFICATES + 1);
    assert!(unreadable(&open_timed(&many_der, KEYSTORE_PASSWORD).0).contains("more than 1000 certificates"));
    let long_chain: Vec<made::Made> = (0..=certs::MAX_CERTIFICATES)
        .map(|_| made::Made {
            cn: one.cn.clone(),
            cert_pem: String::new(),
            cert_der: one.cert_der.clone(),
            key_pem: String::new(),
            key_der: one.key_der.clone(),
        })
        .collect();
    assert!(unreadable(&open_timed(&made::jks(&long_chain, KEYSTORE_PASSWORD), KEYSTORE_PASSWORD).0).contains("more than 1000"));

    // JKS lengths that promise more than is there: never allocated, named.
    let mut lying = made::jks(&chain, KEYSTORE_PASSWORD);
    lying[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(unreadable(&open_timed(&lying, KEYSTORE_PASSWORD).0).contains("truncated"));
    let jks = made::jks(&chain, KEYSTORE_PASSWORD);
    for cut in [4, 13, jks.len() / 2, jks.len() - 1] {
        assert!(open_timed(&jks[..cut], KEYSTORE_PASSWORD).0.contents.is_none(), "cut at {cut}");
    }
    let wrong = open_timed(&jks, "not-the-password").0;
    assert_eq!(wrong.problem, Some(Problem::WrongPassword));
    assert_eq!(wrong.contents.map(|c| c.certificates.len()), Some(1), "a JKS shows its certificates whatever the password");
}

/// The same hostile keystores through the command line: a clear result, the documented exit
/// code (3: the dates are unknown), no panic.
#[test]
fn a_hostile_keystore_makes_the_audit_incomplete_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let chain = made::chain("calm-client", today(), -30, 100, 1, None);
    std::fs::write(dir.path().join("calm-client.p12"), with_mac_iterations(&made::p12(&chain, KEYSTORE_PASSWORD), 1_000_000_000)).unwrap();
    write_json(&dir.path().join("d.json"), &serde_json::json!([mtls_destination("CALM_MTLS", "calm-client.p12", Some(KEYSTORE_PASSWORD))]));
    let r = at_today(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let result = |code: &str| json["results"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap().clone();
    assert_eq!(result("CALM061")["status"], "fail");
    assert!(result("CALM061")["message"].as_str().unwrap().contains("an iteration count of 1000000000"), "{}", result("CALM061"));
    assert_eq!(result("CALM062")["status"], "error");
    assert_eq!(result("CALM063")["status"], "error");
    assert_eq!(json["complete"], false);
}

#[test]
fn snapshots_keep_the_dates_never_the_content_and_a_later_check_judges_them() {
    let dir = landscape(12);
    let p12 = std::fs::read(dir.path().join("calm-client.p12")).unwrap();
    let snap = at_today(dir.path(), &["snapshot", ".", "--output", "snap.json"]);
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let text = std::fs::read_to_string(dir.path().join("snap.json")).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&p12);
    assert!(!text.contains(&b64[..40]) && !text.contains(KEYSTORE_PASSWORD) && !text.contains("BEGIN"), "{text}");
    assert!(text.contains("\"not_after\": \"2026-05-13T00:00:00Z\"") && text.contains("\"digest\""), "{text}");

    // Later, without the keystore: the snapshot's reading is judged on the day of the new run.
    let later = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("snap.json"), later.path().join("snap.json")).unwrap();
    let json = calm(later.path(), &["check", "snap.json", "--format", "json"], &[("CALM_AUDIT_TODAY", "2026-05-20")]).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let status =
        |code: &str| json["results"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap()["status"].as_str().unwrap().to_owned();
    assert_eq!(status("CALM061"), "pass");
    assert_eq!(status("CALM062"), "fail", "expired on 2026-05-13, judged on 2026-05-20");
    assert_eq!(json["certificates"][0]["days_left"], -7);
}

#[test]
fn terraform_uploads_are_read_from_the_file_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let chain = made::chain("calm-tf", today(), -30, 25, 1, None);
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::write(dir.path().join("certs/calm.pem"), made::pem(&chain, true)).unwrap();
    let main = r#"resource "btp_subaccount_destination" "calm" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_TF"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://acme.eu10.alm.cloud.sap/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId                        = "sb-calm-acme!b12|calm-api!b3"
    tokenServiceURL                 = "https://acme.authentication.cert.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType             = "Dedicated"
    "tokenService.KeyStoreLocation" = "calm.pem"
  })
}

resource "btp_subaccount_destination_certificate" "calm" {
  subaccount_id       = var.subaccount_id
  certificate_name    = "calm.pem"
  certificate_content = filebase64("${path.module}/certs/calm.pem")
}

resource "btp_subaccount_destination_certificate" "gone" {
  subaccount_id       = var.subaccount_id
  certificate_name    = "gone.p12"
  certificate_content = filebase64("certs/gone.p12")
}
"#;
    std::fs::write(dir.path().join("main.tf"), main).unwrap();
    let json: serde_json::Value = serde_json::from_str(&at_today(dir.path(), &["check", ".", "--format", "json"]).stdout).unwrap();
    let row = &json["certificates"][0];
    assert_eq!(row["name"], "calm.pem");
    assert_eq!(row["level"], "subaccount", "uploaded to the subaccount");
    assert_eq!(row["source"], "./main.tf:16");
    assert_eq!(row["days_left"], 25);
    let results = json["results"].as_array().unwrap();
    let readable = results.iter().find(|r| r["code"] == "CALM061").unwrap();
    assert_eq!(readable["status"], "pass", "{readable}");
    // gone.p12, and the walked certs/calm.pem itself: the upload is what the destination uses.
    assert_eq!(json["coverage"]["certificates_unused"], 2);
    let gone = json["certificates"].as_array().unwrap().iter().find(|r| r["name"] == "gone.p12");
    assert!(gone.is_none(), "an upload no destination names is counted, not listed");
}

#[test]
fn x509_keys_are_judged_as_their_own_objects() {
    let dir = landscape(200);
    let key_cert = made::certificate("calm-x509-key", today(), -300, 5);
    let key = serde_json::json!({
        "endpoints": {"Api": "https://acme.eu10.alm.cloud.sap/api"},
        "uaa": {
            "clientid": "sb-calm-acme!b12|calm-api!b3",
            "url": "https://acme.authentication.eu10.hana.ondemand.com",
            "certurl": "https://acme.authentication.cert.eu10.hana.ondemand.com",
            "identityzone": "acme",
            "credential-type": "x509",
            "certificate": key_cert.cert_pem,
            "key": key_cert.key_pem,
        }
    });
    write_json(&dir.path().join("calm-key.txt"), &key);
    let run = at_today(dir.path(), &["check", ".", "--calm-key", "calm-key.txt", "--format", "json"]);
    assert!(!run.stdout.contains(key_cert.key_pem.lines().nth(1).unwrap()), "the key's private key leaked");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let on_key: Vec<&serde_json::Value> =
        json["results"].as_array().unwrap().iter().filter(|r| r["object"]["kind"] == "cloud_alm_key" && r["code"] == "CALM063").collect();
    assert_eq!(on_key.len(), 1);
    assert_eq!(on_key[0]["status"], "fail");
    assert_eq!(on_key[0]["property"], "uaa.certificate");
    assert!(on_key[0]["message"].as_str().unwrap().contains("expires on 2026-05-06: 5 days left"), "{}", on_key[0]);
    let row = json["certificates"].as_array().unwrap().iter().find(|r| r["level"] == "key").unwrap();
    assert_eq!(row["name"], "uaa.certificate");
    assert_eq!(row["days_left"], 5);
}

#[test]
fn certificates_alone_are_nothing_to_audit() {
    let dir = tempfile::tempdir().unwrap();
    let chain = made::chain("calm-client", today(), -30, 100, 1, None);
    std::fs::write(dir.path().join("calm.p12"), made::p12(&chain, KEYSTORE_PASSWORD)).unwrap();
    let r = at_today(dir.path(), &["check", "calm.p12"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("only certificates or keystores"), "{}", r.stderr);
}

/// Issue 27, point 8: a keystore of a few hundred bytes asking scrypt for N=2^19, r=16, p=16
/// cost 20 s and 1 GiB per opening, once for each destination naming it with its own password,
/// on worker threads left running after the result. Now its parameters refuse it before any
/// derivation, in the clear or hidden in an encrypted part: a failed source naming the bound,
/// once, for all three destinations, in well under the time one derivation would take.
#[test]
fn a_keystore_asking_scrypt_for_a_gigabyte_is_refused_before_deriving_for_every_destination() {
    for hidden in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let keystore = made::p12_scrypt(1 << 19, 16, 16, hidden, KEYSTORE_PASSWORD);
        assert!(keystore.len() < 400, "{}", keystore.len());
        std::fs::write(dir.path().join("calm-client.p12"), &keystore).unwrap();
        let destinations: Vec<serde_json::Value> = [(1, KEYSTORE_PASSWORD), (2, "other-password-2"), (3, "other-password-3")]
            .iter()
            .map(|(i, password)| mtls_destination(&format!("CALM_MTLS_{i}"), "calm-client.p12", Some(password)))
            .collect();
        write_json(&dir.path().join("d.json"), &serde_json::json!(destinations));
        let started = Instant::now();
        let r = at_today(dir.path(), &["check", ".", "--format", "json"]);
        assert!(started.elapsed() < Duration::from_secs(3), "hidden {hidden}: took {:?}", started.elapsed());
        assert_eq!(r.code, 3, "{}", r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let failures = json["source_failures"].as_array().unwrap();
        let bound = |text: &str| text.contains("scrypt with N=524288, r=16, p=16") && text.contains("1024 MiB");
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0]["source"].as_str().unwrap().ends_with("calm-client.p12"), "{failures:?}");
        assert!(bound(failures[0]["message"].as_str().unwrap()), "{failures:?}");
        assert!(bound(&r.stderr), "{}", r.stderr);
        let readable: Vec<&serde_json::Value> = json["results"].as_array().unwrap().iter().filter(|r| r["code"] == "CALM061").collect();
        // Hidden, only the right password opens the part that hides it; the others fail there.
        let refused = readable.iter().filter(|r| bound(r["message"].as_str().unwrap())).count();
        assert_eq!(refused, if hidden { 1 } else { 3 }, "{readable:?}");
        assert!(readable.iter().all(|r| r["status"] == "fail"), "{readable:?}");
        assert_eq!(json["complete"], false);
        // The destination list is whole: the rules over all destinations still judge it.
        let landscape = json["results"].as_array().unwrap().iter().find(|r| r["code"] == "CALM031").unwrap();
        assert_eq!(landscape["status"], "pass", "{landscape}");
        // A snapshot of the same folder is incomplete for the same reason.
        let snap = at_today(dir.path(), &["snapshot", ".", "--output", "snap.json"]);
        assert_eq!(snap.code, 3, "{}", snap.stderr);
        assert!(bound(&snap.stderr), "{}", snap.stderr);
    }
}

/// The run's budget is shared: keystores that are each within their own bounds are refused once
/// the run has spent what it allows, each named; the same content is opened once per password.
#[test]
fn the_run_key_derivation_budget_is_shared_and_a_keystore_past_it_is_a_failed_source() {
    use calm_audit::source::certs::kdf::Budget;
    let chain = made::chain("calm-client", today(), -30, 100, 1, None);
    let good = made::p12(&chain, KEYSTORE_PASSWORD);
    let password = Password::Given(Secret::new(KEYSTORE_PASSWORD.to_owned()));
    let mut unlimited = Budget::default();
    assert!(certs::open_within(&good, &password, &mut unlimited).unwrap().contents.is_some());
    // A budget for about one opening: the second is refused, naming the bound; nothing derived.
    let scan = certs::pkcs12::scan(&good).unwrap().work;
    let mut budget = Budget::new(scan * 2 + 10, Duration::from_secs(60));
    assert!(certs::open_within(&good, &password, &mut budget).unwrap().contents.is_some());
    let refused = certs::open_within(&good, &password, &mut budget).unwrap_err();
    assert!(refused.0.contains("units of key-derivation work calm-audit allows in one run"), "{refused}");
    // The bound on certificates is a bound too: in PEM as in PKCS#12, a failed source.
    let many = chain[0].cert_pem.repeat(certs::MAX_CERTIFICATES + 1);
    assert!(certs::open_within(many.as_bytes(), &password, &mut unlimited).unwrap_err().0.contains("more than 1000 certificates"));
    // And a run whose time is spent refuses the next keystore at once.
    let mut spent = Budget::new(u64::MAX, Duration::ZERO);
    assert!(certs::open_within(&good, &password, &mut spent).unwrap_err().0.contains("0 s"));
}

/// A small seeded generator, so a failing case can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The class, not the instance: keystores damaged at random (bytes changed, counts and scrypt
/// parameters set to random values) never cost more than one keystore may, never take long,
/// and always end in contents or a reason.
#[test]
fn keystores_changed_at_random_never_cost_more_than_their_bound() {
    use calm_audit::source::certs::kdf::{Budget, MAX_KEYSTORE_WORK};
    let chain = made::chain("calm-client", today(), -30, 100, 1, None);
    let seeds = [
        made::p12(&chain, KEYSTORE_PASSWORD),
        made::p12_scrypt(1 << 10, 8, 1, false, KEYSTORE_PASSWORD),
        made::p12_scrypt(1 << 10, 8, 1, true, KEYSTORE_PASSWORD),
    ];
    let password = Password::Given(Secret::new(KEYSTORE_PASSWORD.to_owned()));
    let mut rng = Rng(0x2708_2026);
    for round in 0..600 {
        let mut bytes = seeds[round % seeds.len()].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len() as u64) as usize;
            // Mostly large values: where a count or a parameter is, they ask for the most.
            bytes[at] = if rng.below(3) == 0 { rng.next() as u8 } else { 0x7f };
        }
        let mut budget = Budget::default();
        let started = Instant::now();
        let opened = certs::open_within(&bytes, &password, &mut budget);
        let took = started.elapsed();
        assert!(budget.spent() <= MAX_KEYSTORE_WORK, "round {round}: {}", budget.spent());
        assert!(took < Duration::from_secs(5), "round {round}: {took:?}");
        if let Ok(opened) = opened {
            assert!(opened.contents.is_some() || opened.problem.is_some(), "round {round}");
        }
    }
}

/// Random budgets forced low: whenever a bound stopped a keystore, the run has a failed source
/// naming it (exit 3), and the keystore shows the bound as why it is unreadable, never a pass.
#[test]
fn a_budget_forced_low_always_ends_in_a_failed_source_never_a_pass() {
    use calm_audit::model::certificate::{Held, Keystore};
    use calm_audit::source::certs::kdf::Budget;
    use calm_audit::source::files::{Limits, load_bytes};
    let chain = made::chain("calm-client", today(), -30, 100, 1, None);
    let names = ["a.p12", "b.p12", "c.p12"];
    let destinations: Vec<serde_json::Value> =
        names.iter().enumerate().map(|(i, k)| mtls_destination(&format!("CALM_MTLS_{i}"), k, Some(KEYSTORE_PASSWORD))).collect();
    let loaded = load_bytes("d.json", serde_json::to_string(&destinations).unwrap().as_bytes(), &Limits::default()).unwrap();
    let scoped: Vec<&calm_audit::model::Destination> = loaded.destinations.iter().collect();
    // Three keystores of distinct content (a content opened once is not charged twice).
    let bytes: Vec<Vec<u8>> = names.iter().map(|_| made::p12(&chain, KEYSTORE_PASSWORD)).collect();
    let one = certs::pkcs12::scan(&bytes[0]).unwrap().work;
    let mut rng = Rng(0x1427);
    for round in 0..40 {
        let mut keystores: Vec<Keystore> =
            names.iter().zip(&bytes).map(|(n, b)| certs::keystore(n, b.clone(), n, 1, Held::File, None)).collect();
        let work = rng.below(one * 8);
        let time = if rng.below(5) == 0 { Duration::ZERO } else { Duration::from_secs(60) };
        let failures = certs::open_within_budget(&mut keystores, &scoped, &mut Budget::new(work, time));
        for k in &keystores {
            let (_, opened) = &k.opened[0];
            let refused = matches!(&opened.problem, Some(Problem::Unreadable { reason }) if reason.contains("refused"));
            assert_eq!(
                refused,
                failures.iter().any(|f| f.source == k.path),
                "round {round} (work {work}, {time:?}): {} {opened:?} {failures:?}",
                k.name
            );
            assert!(refused || opened.contents.is_some(), "round {round}: {opened:?}");
        }
        if time.is_zero() || work < one {
            assert_eq!(failures.len(), 3, "round {round}: {failures:?}");
        }
    }
}
