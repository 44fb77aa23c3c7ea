//! The live source end to end: the built binary against the fake Destination Service on
//! loopback (`tests/support/fake_service.rs`), with its faults.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::{Value, json};
use support::fake_service::{FakeConfig, FakeService, Fault, FaultKind, FindToken, Target, start_tls};

const DEST_SECRET: &str = "calm-dest-secret-4d1e";
const KEY_SECRET: &str = "calm-key-secret-4d1e";

/// The Cloud ALM destination exactly as SAP's page asks, matching `calm_key()`.
fn calm_destination(name: &str) -> Value {
    json!({
        "Name": name,
        "Type": "HTTP",
        "URL": "https://acme.eu10.alm.cloud.sap/",
        "ProxyType": "Internet",
        "Authentication": "OAuth2ClientCredentials",
        "clientId": "sb-calm-acme!b12|calm-api!b3",
        "clientSecret": DEST_SECRET,
        "tokenServiceURLType": "Dedicated",
        "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    })
}

fn unrelated(prefix: &str, n: usize) -> Vec<Value> {
    (1..=n)
        .map(|i| json!({"Name": format!("{prefix}{i:05}"), "Type": "HTTP", "URL": format!("https://backend{i}.example.com/"), "Authentication": "BasicAuthentication", "User": "u", "Password": format!("pw-{prefix}-{i}")}))
        .collect()
}

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().unwrap() }
    }
    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
    fn key(&self, fake: &FakeService) -> PathBuf {
        self.write("dest-key.json", &fake.destination_key_json().to_string())
    }
    fn calm_key(&self) -> PathBuf {
        self.write(
            "calm-key.json",
            &json!({"endpoints": {"Api": "https://acme.eu10.alm.cloud.sap/api"}, "uaa": {"clientid": "sb-calm-acme!b12|calm-api!b3", "clientsecret": KEY_SECRET, "url": "https://acme.authentication.eu10.hana.ondemand.com", "identityzone": "acme", "credential-type": "binding-secret"}}).to_string(),
        )
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn calm(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calm-audit"));
    cmd.args(args).env_remove("VCAP_SERVICES").env_remove("CALM_AUDIT_DESTINATION_KEY");
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.timeout(Duration::from_secs(120));
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        elapsed: started.elapsed(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn json_report(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr))
}

fn results<'a>(doc: &'a Value, code: &str) -> Vec<&'a Value> {
    doc["results"].as_array().unwrap().iter().filter(|r| r["code"] == code).collect()
}

/// Writes a SARIF report where CI validates it with `check-sarif` (see .ci/run).
fn keep_sarif(name: &str, text: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-checks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn every_page_of_both_levels_is_read() {
    let mut subaccount = unrelated("SUB", 2600);
    subaccount.push(calm_destination("CALM_LAST_PAGE"));
    let fake = FakeService::start(FakeConfig { subaccount, instance: unrelated("INST", 1200), ..FakeConfig::default() });
    let s = Scratch::new();
    let run = calm(
        &["check", "--destination-key", p(&s.key(&fake)), "--calm-key", p(&s.calm_key()), "--format", "json", "--fail-on", "never"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = json_report(&run);
    assert_eq!(doc["coverage"]["destinations_found"], 3801);
    assert_eq!(doc["coverage"]["destinations_in_scope"], 1);
    assert_eq!(doc["complete"], true);
    let url = results(&doc, "CALM012");
    assert_eq!(url.len(), 1);
    assert_eq!(url[0]["status"], "pass");
    assert_eq!(url[0]["object"]["level"], "subaccount");
    assert_eq!(url[0]["location"]["path"], "btp/subaccount/11111111-2222-4333-8444-555555555555/destinations/CALM_LAST_PAGE");
    // Both levels, every page, 1000 at a time, each page once.
    let mut pages: Vec<(String, String)> = fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| {
            assert_eq!(r.query().get("$pageSize").map(String::as_str), Some("1000"), "{}", r.path_and_query);
            assert_eq!(r.query().get("$pageCount").map(String::as_str), Some("true"));
            (r.path().rsplit('/').next().unwrap().to_owned(), r.query()["$page"].clone())
        })
        .collect();
    pages.sort();
    let expected: Vec<(String, String)> = [
        ("instanceDestinations", 1),
        ("instanceDestinations", 2),
        ("subaccountDestinations", 1),
        ("subaccountDestinations", 2),
        ("subaccountDestinations", 3),
    ]
    .iter()
    .map(|(l, n)| ((*l).to_owned(), n.to_string()))
    .collect();
    assert_eq!(pages, expected);
}

#[test]
fn only_the_token_post_and_gets_go_on_the_wire() {
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![calm_destination("CALM_BPMON")],
        instance: unrelated("I", 3),
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--probe", "--format", "json"], &[]);
    assert!(run.code <= 1, "{}", run.stderr);
    let requests = fake.requests();
    let posts: Vec<_> = requests.iter().filter(|r| r.method != "GET").collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].method, "POST");
    assert_eq!(posts[0].path(), "/oauth/token");
    assert!(posts[0].content_type.as_deref().unwrap_or("").starts_with("application/x-www-form-urlencoded"));
    let finds: Vec<_> = requests.iter().filter(|r| r.path().contains("/destinations/")).collect();
    assert_eq!(finds.len(), 1, "one find call per in-scope destination");
    for r in requests.iter().filter(|r| r.method == "GET") {
        assert_eq!(r.authorization.as_deref(), Some(format!("Bearer {}", fake.access_token()).as_str()));
    }
}

#[test]
fn without_probe_the_find_call_is_never_made_and_calm016_is_not_applicable() {
    let fake = FakeService::start(FakeConfig { subaccount: vec![calm_destination("CALM_BPMON")], ..FakeConfig::default() });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json"], &[]);
    assert!(!fake.requests().iter().any(|r| r.path().contains("/destinations/")));
    let doc = json_report(&run);
    assert!(results(&doc, "CALM016").iter().all(|r| r["status"] == "not_applicable"));
}

#[test]
fn probe_judges_token_retrieval() {
    let mut find_tokens = std::collections::HashMap::new();
    find_tokens.insert("CALM_BAD".to_owned(), FindToken::Error("Retrieval of OAuthToken failed due to: 401 Bad credentials".to_owned()));
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![calm_destination("CALM_GOOD"), calm_destination("CALM_BAD")],
        find_tokens,
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--probe", "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = json_report(&run);
    for r in results(&doc, "CALM016") {
        match r["object"]["name"].as_str().unwrap() {
            "CALM_GOOD" => assert_eq!(r["status"], "pass", "{r}"),
            "CALM_BAD" => {
                assert_eq!(r["status"], "fail", "{r}");
                assert!(r["message"].as_str().unwrap().contains("401 Bad credentials"));
            }
            other => panic!("unexpected {other}"),
        }
    }
}

#[test]
fn retries_429_and_503_then_succeeds() {
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![calm_destination("CALM_BPMON")],
        instance: unrelated("I", 5),
        faults: vec![
            Fault::times(
                Target::Subaccount,
                1,
                FaultKind::Status { status: 429, retry_after: Some("1".into()), body: "Too Many Requests".into() },
            ),
            Fault::times(Target::Instance, 2, FaultKind::Status { status: 503, retry_after: None, body: "Service Unavailable".into() }),
        ],
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json", "-v"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = json_report(&run);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["coverage"]["destinations_found"], 6);
    let gets = |level: &str| fake.requests().iter().filter(|r| r.path().ends_with(level)).count();
    assert_eq!(gets("subaccountDestinations"), 2);
    assert_eq!(gets("instanceDestinations"), 3);
    assert!(run.elapsed >= Duration::from_secs(1), "Retry-After: 1 was honoured");
    assert!(run.stderr.contains("-> 429"), "verbose log shows the retry: {}", run.stderr);
}

struct FaultCase {
    name: &'static str,
    faults: Vec<Fault>,
    args: Vec<&'static str>,
    stderr: &'static str,
}

#[test]
fn every_fault_ends_incomplete_with_exit_3_and_never_a_pass() {
    let status = |status: u16, body: &str| FaultKind::Status { status, retry_after: None, body: body.to_owned() };
    let cases = vec![
        FaultCase {
            name: "token 401",
            faults: vec![Fault::always(Target::Token, status(401, "{\"error\":\"unauthorized\"}"))],
            args: vec![],
            stderr: "the destination service rejected the key",
        },
        FaultCase {
            name: "list 401",
            faults: vec![Fault::always(Target::Subaccount, status(401, "Unauthorized"))],
            args: vec![],
            stderr: "rejected the key (401 Unauthorized)",
        },
        FaultCase {
            name: "list 403",
            faults: vec![Fault::always(Target::Instance, status(403, "Forbidden"))],
            args: vec![],
            stderr: "Destination Viewer or Destination Administrator",
        },
        FaultCase {
            name: "503 forever",
            faults: vec![Fault::always(Target::Subaccount, status(503, "Service Unavailable"))],
            args: vec![],
            stderr: "HTTP 503 after 4 attempt(s)",
        },
        FaultCase {
            name: "500",
            faults: vec![Fault::always(Target::Subaccount, status(500, "Internal Server Error"))],
            args: vec![],
            // A plain-text body is never shown: only its status, content type and length.
            stderr: "HTTP 500 (text/plain, 21 bytes)",
        },
        FaultCase {
            name: "truncated body",
            faults: vec![Fault::always(Target::Subaccount, FaultKind::Truncate)],
            args: vec![],
            stderr: "cut off",
        },
        FaultCase {
            name: "malformed JSON",
            faults: vec![Fault::always(Target::Instance, FaultKind::MalformedJson)],
            args: vec![],
            stderr: "not a JSON array of destinations",
        },
        FaultCase {
            name: "wrong content type",
            faults: vec![Fault::always(Target::Subaccount, FaultKind::WrongContentType)],
            args: vec![],
            stderr: "expected JSON, got content type text/html",
        },
        FaultCase {
            name: "page count changes",
            faults: vec![Fault::always(Target::Subaccount, FaultKind::PageCountChange(9)).on_page(2)],
            args: vec![],
            stderr: "Page-Count changed from 2 to 9",
        },
        FaultCase {
            name: "a Page-Count of four billion is not trusted (no four billion calls planned)",
            faults: vec![Fault::always(Target::Subaccount, FaultKind::PageCountChange(4_000_000_000)).on_page(1)],
            args: vec![],
            stderr: "announced Page-Count 4000000000, more than the 10000 pages calm-audit reads",
        },
        FaultCase {
            name: "find fails",
            faults: vec![Fault::always(Target::Find, status(500, "boom"))],
            args: vec!["--probe"],
            stderr: "find CALM_BPMON: HTTP 500",
        },
    ];
    for case in cases {
        let mut subaccount = unrelated("S", 1500);
        subaccount.push(calm_destination("CALM_BPMON"));
        let fake = FakeService::start(FakeConfig { subaccount, instance: unrelated("I", 2), faults: case.faults, ..FakeConfig::default() });
        let s = Scratch::new();
        let settings = s.write(
            "settings.toml",
            "enable_integration_monitoring = false\nenable_business_process_monitoring = true\ndestination_name = \"CALM_BPMON\"\n",
        );
        let mut args = vec!["check", "--settings", p(&settings)];
        let key = s.key(&fake);
        args.extend(["--destination-key", p(&key), "--format", "sarif", "--timeout", "5"]);
        args.extend(case.args.iter().copied());
        let run = calm(&args, &[]);
        assert_eq!(run.code, 3, "{}: {}", case.name, run.stderr);
        assert!(run.stderr.contains(case.stderr), "{}: expected {:?} in {}", case.name, case.stderr, run.stderr);
        let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
        let invocation = &sarif["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false, "{}", case.name);
        assert!(!invocation["toolExecutionNotifications"].as_array().unwrap().is_empty());
        // Rules that judge the whole list say error, never pass or fail.
        for result in sarif["runs"][0]["results"].as_array().unwrap() {
            if ["CALM022", "CALM032"].contains(&result["ruleId"].as_str().unwrap()) {
                assert_eq!(result["kind"], "open", "{}: {result}", case.name);
            }
        }
        keep_sarif(&format!("live-{}.sarif", case.name.replace(' ', "-")), &run.stdout);
    }
}

#[test]
fn timeout_bounds_a_hanging_page() {
    let fake = FakeService::start(FakeConfig {
        subaccount: unrelated("S", 1500),
        faults: vec![Fault::always(Target::Subaccount, FaultKind::Hang).on_page(2)],
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--timeout", "1"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("subaccount level, page 2: no complete answer within 1 s") || run.stderr.contains("no answer within 1 s"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < Duration::from_secs(10), "took {:?}", run.elapsed);
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    let s = Scratch::new();
    let key = json!({"clientid": "c", "clientsecret": "s", "url": "http://uaa.example.com", "uri": "https://destination.example.com"});
    let run = calm(&["check", "--destination-key", p(&s.write("k.json", &key.to_string()))], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("plain http is only allowed to loopback addresses"), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(5));
}

#[test]
fn no_secret_or_token_in_any_output_even_verbose() {
    let mut instance = vec![calm_destination("CALM_BPMON")];
    instance[0]["tokenServicePassword"] = json!("calm-token-service-pw-77");
    let fake = FakeService::start(FakeConfig { subaccount: unrelated("S", 3), instance, ..FakeConfig::default() });
    let s = Scratch::new();
    let key = s.key(&fake);
    let calm_key = s.calm_key();
    let snapshot = s.dir.path().join("snap.json");
    let mut outputs = Vec::new();
    for format in ["table", "json", "sarif"] {
        let run = calm(
            &[
                "check",
                "--destination-key",
                p(&key),
                "--calm-key",
                p(&calm_key),
                "--probe",
                "-v",
                "--all-results",
                "--format",
                format,
                "--save-snapshot",
                p(&snapshot),
            ],
            &[],
        );
        assert!(run.code <= 1, "{}", run.stderr);
        assert!(run.stderr.contains("GET "), "verbose logging is on");
        outputs.push(run.stdout);
        outputs.push(run.stderr);
        outputs.push(std::fs::read_to_string(&snapshot).unwrap());
    }
    let snap = calm(&["snapshot", "--destination-key", p(&key), "--probe", "-v"], &[]);
    outputs.push(snap.stdout);
    outputs.push(snap.stderr);
    let token = fake.access_token();
    for text in &outputs {
        for secret in ["fake-dest-secret", DEST_SECRET, KEY_SECRET, "calm-token-service-pw-77", "pw-S-1", token.as_str()] {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
    }
}

#[test]
fn snapshot_round_trip_gives_the_same_results() {
    let mut find_tokens = std::collections::HashMap::new();
    find_tokens.insert("CALM_OLD".to_owned(), FindToken::Error("401 Bad credentials".to_owned()));
    let mut old = calm_destination("CALM_OLD");
    old["clientSecret"] = json!("an-old-secret ");
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![calm_destination("CALM_BPMON"), old.clone()],
        instance: vec![old],
        find_tokens,
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let key = s.key(&fake);
    let calm_key = s.calm_key();
    let snapshot = s.dir.path().join("landscape.snapshot.json");
    let live = calm(
        &[
            "check",
            "--destination-key",
            p(&key),
            "--calm-key",
            p(&calm_key),
            "--probe",
            "--format",
            "json",
            "--save-snapshot",
            p(&snapshot),
        ],
        &[],
    );
    let requests = fake.requests().len();
    let offline = calm(&["check", p(&snapshot), "--calm-key", p(&calm_key), "--format", "json"], &[]);
    assert_eq!(fake.requests().len(), requests, "the snapshot is audited without calling SAP");
    assert_eq!(live.code, 1, "{}", live.stderr);
    assert_eq!(offline.code, live.code);
    let (a, b) = (json_report(&live), json_report(&offline));
    assert_eq!(a["results"], b["results"]);
    assert_eq!(a["summary"], b["summary"]);
    // The interesting verdicts survive: secret mismatch and white space through digests, the
    // probe failure, the name on both levels.
    let status = |code: &str, name: &str, level: &str| {
        results(&b, code).iter().find(|r| r["object"]["name"] == name && r["object"]["level"] == level).map(|r| r["status"].clone())
    };
    assert_eq!(status("CALM014", "CALM_BPMON", "subaccount"), Some(json!("fail")), "the destination secret differs from the key's");
    assert_eq!(status("CALM017", "CALM_OLD", "subaccount"), Some(json!("fail")));
    // find resolves the instance level first: the probe result belongs to that destination.
    assert_eq!(status("CALM016", "CALM_OLD", "instance"), Some(json!("fail")));
    assert_eq!(status("CALM016", "CALM_OLD", "subaccount"), Some(json!("not_applicable")));
    assert_eq!(status("CALM030", "CALM_OLD", "instance"), Some(json!("fail")));
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(!text.contains(DEST_SECRET) && !text.contains("an-old-secret"));
}

#[test]
fn keeping_only_names_of_unrelated_destinations_changes_no_result() {
    // `check` keeps only the names of destinations that are not Cloud ALM ones; with
    // `--save-snapshot` it keeps everything. Both must judge alike: names shared across the
    // levels (a Cloud ALM one hidden by an unrelated one), a destination named only by the
    // settings, one recognised by its Cloud ALM URL alone.
    let mut by_url = calm_destination("MONITORING_PUSH");
    by_url["clientSecret"] = json!("another-secret");
    let mut subaccount = unrelated("BACKEND_", 300);
    subaccount.extend([calm_destination("CALM_BPMON"), calm_destination("SHARED_NAME"), by_url]);
    let mut instance = unrelated("INSTANCE_", 300);
    instance.push(json!({"Name": "CALM_BPMON", "Type": "HTTP", "URL": "https://unrelated.example.com/"}));
    instance.push(json!({"Name": "SHARED_NAME", "Type": "HTTP", "URL": "https://unrelated.example.com/"}));
    instance.push(json!({"Name": "SETTINGS_PICK", "Type": "HTTP", "URL": "https://backend.example.com/", "clientSecret": "x"}));
    let fake = FakeService::start(FakeConfig { subaccount, instance, ..FakeConfig::default() });
    let s = Scratch::new();
    let key = s.key(&fake);
    let calm_key = s.calm_key();
    let settings = s.write(
        "settings.toml",
        "enable_integration_monitoring = true\nenable_business_process_monitoring = true\ndestination_name = \"SETTINGS_PICK\"\n",
    );
    let snapshot = s.dir.path().join("all.snapshot.json");
    let args = [
        "check",
        "--destination-key",
        p(&key),
        "--calm-key",
        p(&calm_key),
        "--settings",
        p(&settings),
        "--format",
        "json",
        "--all-results",
    ];
    let slim = calm(&args, &[]);
    let whole = calm(&[&args[..], &["--save-snapshot", p(&snapshot)]].concat(), &[]);
    assert_eq!(slim.code, 1, "{}", slim.stderr);
    assert_eq!(whole.code, slim.code);
    let (a, b) = (json_report(&slim), json_report(&whole));
    assert_eq!(a["results"], b["results"]);
    assert_eq!(a["coverage"], b["coverage"]);
    assert_eq!(a["coverage"]["destinations_found"], json!(606));
    // CALM_BPMON on both levels, SHARED_NAME and MONITORING_PUSH by URL, SETTINGS_PICK by the settings.
    assert_eq!(a["coverage"]["destinations_in_scope"], json!(5));
    let status = |code: &str, name: &str| -> Vec<String> {
        results(&a, code).iter().filter(|r| r["object"]["name"] == name).map(|r| r["status"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(status("CALM030", "CALM_BPMON"), ["fail"], "the hidden Cloud ALM destination is reported");
    assert_eq!(status("CALM030", "SHARED_NAME"), ["fail"], "hidden by an unrelated instance-level one, itself kept by name only");
    assert!(status("CALM013", "MONITORING_PUSH").contains(&"pass".to_owned()), "recognised by its URL");
    assert!(!status("CALM001", "SETTINGS_PICK").is_empty(), "the settings' destination is audited");
}

#[test]
fn an_incomplete_read_stays_incomplete_in_its_snapshot() {
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![calm_destination("CALM_BPMON")],
        faults: vec![Fault::always(Target::Instance, FaultKind::Status { status: 403, retry_after: None, body: "Forbidden".into() })],
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let snapshot = s.dir.path().join("snap.json");
    let taken = calm(&["snapshot", "--destination-key", p(&s.key(&fake)), "--output", p(&snapshot)], &[]);
    assert_eq!(taken.code, 3, "{}", taken.stderr);
    let audited = calm(&["check", p(&snapshot), "--format", "json"], &[]);
    assert_eq!(audited.code, 3);
    assert_eq!(json_report(&audited)["complete"], false);
}

#[test]
fn credentials_from_vcap_services_and_the_environment() {
    let fake = FakeService::start(FakeConfig { subaccount: vec![calm_destination("CALM_BPMON")], ..FakeConfig::default() });
    let vcap = calm(&["check", "--format", "json"], &[("VCAP_SERVICES", &fake.vcap_services())]);
    assert!(vcap.code <= 1, "{}", vcap.stderr);
    assert_eq!(json_report(&vcap)["coverage"]["destinations_found"], 1);
    let env = calm(&["check", "--format", "json"], &[("CALM_AUDIT_DESTINATION_KEY", &fake.destination_key_json().to_string())]);
    assert_eq!(json_report(&env)["coverage"]["destinations_found"], 1);
    let s = Scratch::new();
    let path = s.key(&fake);
    let by_path = calm(&["check", "--format", "json"], &[("CALM_AUDIT_DESTINATION_KEY", p(&path))]);
    assert_eq!(json_report(&by_path)["coverage"]["destinations_found"], 1);
}

#[test]
fn x509_key_gets_its_token_over_mutual_tls() {
    let (fake, tls) =
        start_tls(FakeConfig { subaccount: vec![calm_destination("CALM_BPMON")], require_client_cert: true, ..FakeConfig::default() });
    let s = Scratch::new();
    let key = s.key(&fake);
    let ca = s.write("ca.pem", &tls.ca_pem);
    let run = calm(&["check", "--destination-key", p(&key), "--ca-cert", p(&ca), "--format", "json"], &[]);
    assert!(run.code <= 1, "{}", run.stderr);
    assert_eq!(json_report(&run)["coverage"]["destinations_found"], 1);
    let token_call = fake.requests().into_iter().find(|r| r.path() == "/oauth/token").unwrap();
    assert!(!token_call.body.contains("client_secret"), "no secret in an X.509 token call");
    // Without the CA the server certificate is not trusted: TLS stays verified.
    let untrusted = calm(&["check", "--destination-key", p(&key)], &[]);
    assert_eq!(untrusted.code, 3);
    assert!(untrusted.stderr.contains("TLS failure"), "{}", untrusted.stderr);
}

#[test]
fn proxies_come_from_the_environment() {
    // The fake stands in for a forward proxy: the key points at a loopback port where nothing
    // listens, so the read only succeeds if every request goes through HTTP_PROXY.
    let proxy = FakeService::start(FakeConfig { subaccount: vec![calm_destination("CALM_BPMON")], ..FakeConfig::default() });
    let mut key = proxy.destination_key_json();
    key["url"] = json!("http://127.0.0.1:9");
    key["uri"] = json!("http://127.0.0.1:9");
    let s = Scratch::new();
    let path = s.write("k.json", &key.to_string());
    let run = calm(&["check", "--destination-key", p(&path), "--format", "json"], &[("HTTP_PROXY", &proxy.base_url()), ("NO_PROXY", "")]);
    assert!(run.code <= 1, "{}", run.stderr);
    assert_eq!(json_report(&run)["coverage"]["destinations_found"], 1);
    assert!(proxy.requests().iter().any(|r| r.path() == "/oauth/token"), "the token request went through the proxy");
}

#[test]
fn a_refused_connection_is_retried_then_reported() {
    let s = Scratch::new();
    let key = json!({"clientid": "c", "clientsecret": "s", "url": "http://127.0.0.1:9", "uri": "http://127.0.0.1:9"});
    let run = calm(&["check", "--destination-key", p(&s.write("k.json", &key.to_string())), "-v"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("token request: cannot connect"), "{}", run.stderr);
    assert!(run.stderr.contains("attempt 4/4"), "retried: {}", run.stderr);
}

#[test]
fn live_audits_carry_profiles_and_never_fail_sap_destinations_that_are_not_audited() {
    let mut tms = calm_destination("TransportManagementService");
    tms["URL"] = json!("https://acme.eu10.alm.cloud.sap/api/imp-cdm-transport-management-api/v1");
    tms["sourceSystemId"] = json!("ACME");
    let mut ftr = calm_destination("CALM_FTR_CTMS_A1");
    ftr["URL"] = json!("https://ctms.cfapps.eu10.hana.ondemand.com");
    ftr["tokenServiceURLType"] = json!("Common");
    let mut dms = calm_destination("CALM_SD_DMS_INTEGRATION");
    dms["URL"] = json!("https://api-sdm-di.cfapps.eu10.hana.ondemand.com");
    let mut bpa = calm_destination("sap_process_automation_cloud_alm");
    bpa.as_object_mut().unwrap().remove("tokenServiceURLType");
    // Issue 24: as the retired steps of Omnichannel Promotion Pricing and Order Management
    // foundation said, and Cloud ALM's own notification mail destination.
    let mut opps = calm_destination("CALM_OPPS");
    opps["URL"] = json!("https://acme.eu10.alm.cloud.sap");
    opps.as_object_mut().unwrap().remove("tokenServiceURLType");
    let mut omf = calm_destination("CloudALM");
    omf["URL"] = json!("https://acme.eu10.alm.cloud.sap/api");
    let mail = json!({"Name": "SAP_Business_Notifications_Mail", "Type": "MAIL", "ProxyType": "Internet", "Authentication": "BasicAuthentication", "mail.smtp.host": "smtp.example.com", "mail.user": "n@example.com", "mail.password": "live-mail-password-1"});
    let mut subaccount = vec![calm_destination("CALM_BPMON"), tms, ftr, bpa, opps, omf, mail];
    subaccount.extend(unrelated("SUB", 3));
    let fake = FakeService::start(FakeConfig { subaccount, instance: vec![dms], ..FakeConfig::default() });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json", "--fail-on", "note"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = json_report(&run);
    let judged: Vec<(String, String)> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["object"]["kind"] == "destination")
        .map(|r| (r["object"]["name"].as_str().unwrap().to_owned(), r["profile"].as_str().unwrap_or("none").to_owned()))
        .collect();
    assert!(judged.iter().any(|(n, p)| n == "CALM_BPMON" && p == "entitlement-management"), "{judged:?}");
    assert!(judged.iter().any(|(n, p)| n == "sap_process_automation_cloud_alm" && p == "build-process-automation"), "{judged:?}");
    assert!(judged.iter().any(|(n, p)| n == "CALM_OPPS" && p == "omnichannel-promotion-pricing"), "{judged:?}");
    assert!(judged.iter().any(|(n, p)| n == "CloudALM" && p == "order-management-foundation"), "{judged:?}");
    assert!(
        judged.iter().all(|(n, _)| ["CALM_BPMON", "sap_process_automation_cloud_alm", "CALM_OPPS", "CloudALM"].contains(&n.as_str())),
        "{judged:?}"
    );
    let not_audited: Vec<&str> = doc["not_audited"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    for name in ["TransportManagementService", "CALM_FTR_CTMS_A1", "CALM_SD_DMS_INTEGRATION", "SAP_Business_Notifications_Mail", "SUB00001"]
    {
        assert!(not_audited.contains(&name), "{name}: {not_audited:?}");
    }
    let mail = doc["not_audited"].as_array().unwrap().iter().find(|n| n["name"] == "SAP_Business_Notifications_Mail").unwrap();
    assert!(mail["reason"].as_str().unwrap().starts_with("a MAIL destination"), "{mail}");
    let sarif = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "sarif", "--all-results"], &[]);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["properties"]["profile"] == "build-process-automation"));
    keep_sarif("live-profiles.sarif", &sarif.stdout);
}

#[test]
fn a_subaccount_that_really_has_no_destinations_is_a_valid_audit() {
    // Unlike an empty folder, a live read that succeeded and found nothing is a true answer.
    let fake = FakeService::start(FakeConfig::default());
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = json_report(&run);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["coverage"]["destinations_found"], 0);
    // Its snapshot, audited later, is just as valid.
    let snapshot = s.dir.path().join("empty-snapshot.json");
    let saved = calm(&["snapshot", "--destination-key", p(&s.key(&fake)), "--output", p(&snapshot)], &[]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let again = calm(&["check", p(&snapshot)], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
}

// ---------------------------------------------------------------------------------------------
// Certificates (SPEC §3b)

const TODAY: &str = "2026-05-01";
const KEYSTORE_PASSWORD: &str = "canary-live-keystore-9c2e";

fn today() -> i64 {
    calm_audit::clock::parse_date(TODAY).unwrap()
}

/// The mTLS variant of the Cloud ALM destination, naming `keystore`.
fn mtls_destination(name: &str, keystore: &str) -> Value {
    let mut d = calm_destination(name);
    let object = d.as_object_mut().unwrap();
    object.remove("clientSecret");
    object.insert("tokenServiceURL".into(), "https://acme.authentication.cert.eu10.hana.ondemand.com/oauth/token".into());
    object.insert("tokenService.KeyStoreLocation".into(), keystore.into());
    object.insert("tokenService.KeyStorePassword".into(), KEYSTORE_PASSWORD.into());
    d
}

/// A certificate list item as the Destination Service serves it: the file in base64.
fn certificate_item(name: &str, bytes: &[u8]) -> Value {
    use base64::Engine;
    json!({"Name": name, "Type": "CERTIFICATE", "Content": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

fn keystore_expiring(cn: &str, days: i64) -> Vec<u8> {
    support::certs::p12(&support::certs::chain(cn, today(), -30, days, 1, None), KEYSTORE_PASSWORD)
}

/// Both levels' certificate lists are read page by page once a destination names a keystore,
/// each keystore is found where the service would look, and every format carries its dates.
#[test]
fn live_certificate_lists_are_read_on_both_levels_page_by_page_and_judged() {
    // 1,001 certificates on the subaccount level: two pages of 1,000.
    let mut subaccount_certificates: Vec<Value> = (0..1000).map(|i| certificate_item(&format!("other-{i:04}.pem"), b"not used")).collect();
    subaccount_certificates.push(certificate_item("sub.p12", &keystore_expiring("sub-client", 200)));
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![mtls_destination("CALM_SUB", "sub.p12"), mtls_destination("CALM_WRONG_LEVEL", "inst.p12")],
        instance: vec![mtls_destination("CALM_INST", "inst.p12")],
        subaccount_certificates,
        instance_certificates: vec![certificate_item("inst.p12", &keystore_expiring("inst-client", 12))],
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json"], &[("CALM_AUDIT_TODAY", TODAY)]);
    assert!(run.code <= 1, "{}", run.stderr);
    assert!(!run.stdout.contains(KEYSTORE_PASSWORD) && !run.stderr.contains(KEYSTORE_PASSWORD));
    let doc = json_report(&run);
    let status = |code: &str, name: &str| {
        results(&doc, code).iter().find(|r| r["object"]["name"] == name).map(|r| r["status"].as_str().unwrap().to_owned()).unwrap()
    };
    assert_eq!(status("CALM060", "CALM_SUB"), "pass");
    assert_eq!(status("CALM060", "CALM_INST"), "pass");
    // inst.p12 exists on the instance level only, where a subaccount destination does not look.
    assert_eq!(status("CALM060", "CALM_WRONG_LEVEL"), "fail");
    let wrong = results(&doc, "CALM060").into_iter().find(|r| r["object"]["name"] == "CALM_WRONG_LEVEL").unwrap();
    assert!(wrong["message"].as_str().unwrap().contains("exists on instance level only"), "{wrong}");
    assert_eq!(status("CALM063", "CALM_INST"), "fail");
    assert_eq!(status("CALM063", "CALM_SUB"), "pass");
    let rows = doc["certificates"].as_array().unwrap();
    assert_eq!(rows[0]["name"], "inst.p12");
    assert_eq!(rows[0]["level"], "instance");
    assert_eq!(rows[0]["days_left"], 12);
    assert!(rows[0]["source"].as_str().unwrap().starts_with("btp/subaccount/"), "{}", rows[0]);
    assert_eq!(rows[1]["name"], "sub.p12");
    assert_eq!(rows[1]["level"], "subaccount");
    assert_eq!(doc["coverage"]["certificates_unused"], 1000);
    let pages: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("Certificates"))
        .map(|r| format!("{} {}", r.path().rsplit('/').next().unwrap(), r.query().get("$page").cloned().unwrap_or_default()))
        .collect();
    assert!(pages.contains(&"subaccountCertificates 2".to_owned()) && pages.contains(&"instanceCertificates 1".to_owned()), "{pages:?}");
    // The table and SARIF of the same read.
    let table = calm(&["check", "--destination-key", p(&s.key(&fake))], &[("CALM_AUDIT_TODAY", TODAY), ("COLUMNS", "200")]);
    assert!(table.stdout.contains("Certificates in use (2, soonest to expire first)"), "{}", table.stdout);
    assert!(table.stdout.contains("2026-05-13"), "{}", table.stdout);
    let sarif = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "sarif"], &[("CALM_AUDIT_TODAY", TODAY)]);
    keep_sarif("live-certificates.sarif", &sarif.stdout);
    assert!(sarif.stdout.contains("\"kind\": \"certificate\""), "{}", sarif.stdout);
}

#[test]
fn the_certificate_lists_are_not_read_when_no_destination_names_a_keystore() {
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![calm_destination("CALM_BPMON")],
        subaccount_certificates: vec![certificate_item("x.p12", b"x")],
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json"], &[]);
    assert!(run.code <= 1, "{}", run.stderr);
    assert!(!fake.requests().iter().any(|r| r.path().contains("Certificates")), "{:?}", fake.requests());
    assert_eq!(json_report(&run)["certificates"], json!([]));
}

#[test]
fn a_failed_certificate_page_makes_the_audit_incomplete_and_find_still_shows_the_keystore() {
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![mtls_destination("CALM_MTLS", "calm.p12")],
        subaccount_certificates: vec![certificate_item("calm.p12", &keystore_expiring("calm-client", 100))],
        faults: vec![Fault::always(
            Target::SubaccountCertificates,
            FaultKind::Status { status: 500, retry_after: None, body: "Internal Server Error".into() },
        )],
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let key = s.key(&fake);
    let run = calm(&["check", "--destination-key", p(&key), "--format", "json"], &[("CALM_AUDIT_TODAY", TODAY)]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let doc = json_report(&run);
    assert!(doc["source_failures"].as_array().unwrap().iter().any(|f| f["source"] == "subaccount level certificates, page 1"), "{doc}");
    assert_eq!(results(&doc, "CALM060")[0]["status"], "error", "not found in an incomplete read is no verdict");
    // With --probe, find returns the destination's keystore itself.
    let probed = calm(&["check", "--destination-key", p(&key), "--probe", "--format", "json"], &[("CALM_AUDIT_TODAY", TODAY)]);
    assert_eq!(probed.code, 3, "the list still failed");
    let doc = json_report(&probed);
    assert_eq!(results(&doc, "CALM060")[0]["status"], "pass", "{doc}");
    assert_eq!(doc["certificates"][0]["days_left"], 100);
}

#[test]
fn an_x509_destination_key_has_its_certificate_judged() {
    let (fake, tls) =
        start_tls(FakeConfig { subaccount: vec![calm_destination("CALM_BPMON")], require_client_cert: true, ..FakeConfig::default() });
    let s = Scratch::new();
    let key = s.key(&fake);
    let ca = s.write("ca.pem", &tls.ca_pem);
    let run = calm(&["check", "--destination-key", p(&key), "--ca-cert", p(&ca), "--format", "json"], &[]);
    assert!(run.code <= 1, "{}", run.stderr);
    let doc = json_report(&run);
    let on_key: Vec<&Value> = results(&doc, "CALM062").into_iter().filter(|r| r["object"]["kind"] == "destination_key").collect();
    assert_eq!(on_key.len(), 1, "{doc}");
    assert_eq!(on_key[0]["status"], "pass");
    assert_eq!(on_key[0]["property"], "certificate");
    let row = doc["certificates"].as_array().unwrap().iter().find(|r| r["level"] == "key").unwrap();
    assert_eq!(row["subject_cn"], "calm-audit fake destination key");
    // Its content is never shown.
    let body = tls.client_cert_pem.lines().nth(1).unwrap();
    assert!(!run.stdout.contains(body));
    // A snapshot keeps the key certificate's dates for a later check.
    let snap = calm(&["snapshot", "--destination-key", p(&key), "--ca-cert", p(&ca)], &[]);
    assert!(snap.stdout.contains("\"destination_key_certificate\"") && !snap.stdout.contains(body), "{}", snap.stdout);
}

// ---------------------------------------------------------------------------------------------
// Issue 27: a consistent list or a failed source; bounded pages; a deadline; server answers
// never echoed.

/// A secret of no dictionary word, with `/`, `+` and `=`, so that each of its 6-character
/// pieces can only be in an output if some form of it leaked.
const ODD_SECRET: &str = "Zq8/vX+k3Wp=7Yt/Rm2Jd9";

/// Every 6-character piece of `secret`.
fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(6).map(|w| w.iter().collect()).collect()
}

/// Standard output and error of a run, and the report files it wrote.
fn everything_written(run: &Run, dir: &Path) -> String {
    let mut all = format!("{}\n{}", run.stdout, run.stderr);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e != "toml") {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    all
}

fn report_args(dir: &Path) -> Vec<String> {
    ["table", "json", "sarif", "junit", "markdown", "html"]
        .iter()
        .flat_map(|f| ["--report".to_owned(), format!("{f}={}", dir.join(format!("report.{f}")).display())])
        .collect()
}

/// Regression (issue 27, point 7): a list that changed while it was read, or whose counts the
/// items do not reach, passed with exit 0.
#[test]
fn an_inconsistent_list_is_a_failed_source() {
    let two_thousand = || {
        let mut s = unrelated("S", 1999);
        s.push(calm_destination("CALM_BPMON"));
        s
    };
    let mut repeated = unrelated("S", 1200);
    repeated.insert(3, calm_destination("CALM_BPMON"));
    repeated.push(calm_destination("CALM_BPMON"));
    let cases: Vec<(&str, Vec<Value>, Vec<Fault>, &str)> = vec![
        (
            "Entity-Count drops between pages",
            two_thousand(),
            vec![Fault::always(Target::Subaccount, FaultKind::EntityCount(1999)).on_page(2)],
            "subaccount level, page 2: Entity-Count changed from 2000 to 1999 during the read",
        ),
        (
            "fewer items than Entity-Count",
            unrelated("S", 1500),
            vec![Fault::always(Target::Subaccount, FaultKind::EntityCount(1600))],
            "announced Entity-Count 1600, but 1500 destinations were read",
        ),
        (
            "a full page with no Page-Count and no Link",
            unrelated("S", 1000),
            vec![Fault::always(Target::Subaccount, FaultKind::NoPaging)],
            "page 1 is a full page of 1000 destinations, but the service sent neither Page-Count nor a next link",
        ),
        (
            "Page-Count gone on a later page",
            two_thousand(),
            vec![Fault::always(Target::Subaccount, FaultKind::NoPaging).on_page(2)],
            "Page-Count changed from 2 to none during the read",
        ),
        (
            "Page-Count changes",
            two_thousand(),
            vec![Fault::always(Target::Subaccount, FaultKind::PageCountChange(3)).on_page(2)],
            "Page-Count changed from 2 to 3 during the read",
        ),
        ("the same name twice on one level", repeated, vec![], "the same name twice on one level: \"CALM_BPMON\" (pages 1, 2)"),
    ];
    for (name, subaccount, faults, expected) in cases {
        let fake = FakeService::start(FakeConfig { subaccount, instance: unrelated("I", 2), faults, ..FakeConfig::default() });
        let s = Scratch::new();
        let settings = s.write(
            "settings.toml",
            "enable_integration_monitoring = false\nenable_business_process_monitoring = true\ndestination_name = \"CALM_BPMON\"\n",
        );
        let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--settings", p(&settings), "--format", "json"], &[]);
        assert_eq!(run.code, 3, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{name}: expected {expected:?} in {}", run.stderr);
        let doc = json_report(&run);
        assert_eq!(doc["complete"], false, "{name}");
        assert!(
            doc["source_failures"].as_array().unwrap().iter().any(|f| f["message"].as_str().unwrap().contains(expected)
                || format!("{}: {}", f["source"].as_str().unwrap(), f["message"].as_str().unwrap()).contains(expected)),
            "{name}: {doc}"
        );
        let calm022 = results(&doc, "CALM022");
        assert!(!calm022.is_empty(), "{name}");
        for r in calm022 {
            assert_eq!(r["status"], "error", "{name}: a rule over the whole list gives no verdict: {r}");
        }
    }
}

/// A list that is read whole and consistent still passes: the checks above are no false alarm
/// on a full last page announced by Page-Count, nor on an empty subaccount.
#[test]
fn a_consistent_list_with_a_full_last_page_passes() {
    let mut subaccount = unrelated("S", 1999);
    subaccount.push(calm_destination("CALM_BPMON"));
    let fake = FakeService::start(FakeConfig { subaccount, instance: unrelated("I", 1000), ..FakeConfig::default() });
    let s = Scratch::new();
    let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json", "--fail-on", "never"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = json_report(&run);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["coverage"]["destinations_found"], 3000);
    let asked: Vec<String> = fake.requests().iter().filter(|r| r.method == "GET").map(|r| r.path_and_query.clone()).collect();
    assert!(asked.iter().all(|q| q.contains("$entityCount=true") && q.contains("$pageCount=true")), "{asked:?}");
}

/// Regression (issue 27, point 10): a page of 150,000 items for `$pageSize=1000` was read and
/// parsed whole (1.2 GB).
#[test]
fn an_oversized_page_is_refused_before_it_is_held() {
    let cases = [
        (
            FaultKind::HugePage { items: 150_000, pad: 0, chunked: false },
            "the answer holds more than 1000 destinations, the page size asked for",
        ),
        (
            FaultKind::HugePage { items: 20_000, pad: 1000, chunked: true },
            "the answer is larger than 16449536 bytes, the most calm-audit reads for a page of 1000 destinations",
        ),
        (
            FaultKind::HugePage { items: 20_000, pad: 1000, chunked: false },
            "the answer is larger than 16449536 bytes, the most calm-audit reads for a page of 1000 destinations",
        ),
    ];
    for (kind, expected) in cases {
        let fake = FakeService::start(FakeConfig {
            subaccount: vec![calm_destination("CALM_BPMON")],
            faults: vec![Fault::always(Target::Subaccount, kind.clone())],
            ..FakeConfig::default()
        });
        let s = Scratch::new();
        let run = calm(&["check", "--destination-key", p(&s.key(&fake)), "--format", "json"], &[]);
        assert_eq!(run.code, 3, "{kind:?}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("subaccount level, page 1: {expected}")), "{kind:?}: {}", run.stderr);
        assert!(!run.stderr.contains("HUGE"), "nothing of the answer is shown");
        assert_eq!(json_report(&run)["complete"], false);
        assert!(run.elapsed < Duration::from_secs(30), "{kind:?} took {:?}", run.elapsed);
    }
}

/// Regression (issue 27, point 9): `Retry-After: 60` on every page had no overall bound; 10,000
/// announced pages projected to 62 hours.
#[test]
fn the_deadline_bounds_a_live_target_retry_after_waits_included() {
    let retry = |seconds: &str| FaultKind::Status { status: 429, retry_after: Some(seconds.into()), body: "Too Many Requests".into() };
    let cases = [
        ("Retry-After 60 on every page", Fault::always(Target::Subaccount, retry("60")), vec!["--deadline", "2"]),
        ("Retry-After 1 on every page", Fault::always(Target::Instance, retry("1")), vec!["--deadline", "2"]),
        (
            "a page that never answers",
            Fault::always(Target::Subaccount, FaultKind::Hang).on_page(2),
            vec!["--deadline", "1", "--timeout", "30"],
        ),
        ("find that never answers", Fault::always(Target::Find, FaultKind::Hang), vec!["--deadline", "2", "--timeout", "30", "--probe"]),
    ];
    for (name, fault, extra) in cases {
        let mut subaccount = unrelated("S", 1500);
        subaccount.push(calm_destination("CALM_BPMON"));
        let fake = FakeService::start(FakeConfig { subaccount, instance: unrelated("I", 3), faults: vec![fault], ..FakeConfig::default() });
        let s = Scratch::new();
        let key = s.key(&fake);
        let mut args = vec!["check", "--destination-key", p(&key), "--format", "json"];
        args.extend(extra.iter().copied());
        let run = calm(&args, &[]);
        assert_eq!(run.code, 3, "{name}: {}", run.stderr);
        assert!(run.stderr.contains("s for this live target passed (--deadline, Retry-After waits included)"), "{name}: {}", run.stderr);
        assert!(run.elapsed < Duration::from_secs(8), "{name}: took {:?}", run.elapsed);
        let doc = json_report(&run);
        assert_eq!(doc["complete"], false, "{name}");
        // Said once per level (or for the find calls), not once per page cut short.
        assert!(run.stderr.matches("--deadline").count() <= 2, "{name}: {}", run.stderr);
    }
}

/// Past its deadline one target fails; the others of the run go on and are audited.
#[test]
fn a_target_past_its_deadline_fails_and_the_others_go_on() {
    let slow = FakeService::start(FakeConfig {
        subaccount: vec![calm_destination("CALM_SLOW")],
        faults: vec![Fault::always(
            Target::Subaccount,
            FaultKind::Status { status: 503, retry_after: Some("60".into()), body: "Service Unavailable".into() },
        )],
        ..FakeConfig::default()
    });
    let fine = FakeService::start(FakeConfig { subaccount: vec![calm_destination("CALM_FINE")], ..FakeConfig::default() });
    let s = Scratch::new();
    s.write("slow-key.json", &slow.destination_key_json().to_string());
    s.write("fine-key.json", &fine.destination_key_json().to_string());
    let config = s.write(
        "calm-audit.toml",
        "deadline = 2\n\n[[target]]\nname = \"slow\"\ndestination_key = \"slow-key.json\"\n\n[[target]]\nname = \"fine\"\ndestination_key = \"fine-key.json\"\n",
    );
    let shown = calm(&["check", "--config", p(&config), "--show-config"], &[]);
    assert!(shown.stdout.lines().any(|l| l.starts_with("deadline = 2") && l.contains("calm-audit.toml")), "{}", shown.stdout);
    let run = calm(&["check", "--config", p(&config), "--format", "json", "--all-results"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(8), "took {:?}", run.elapsed);
    let doc = json_report(&run);
    let judged: Vec<(&str, &str)> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["target"].as_str().unwrap_or_default(), r["object"]["name"].as_str().unwrap_or_default()))
        .collect();
    assert!(judged.contains(&("fine", "CALM_FINE")), "the other target is audited: {judged:?}");
    assert!(run.stderr.contains("--deadline"), "{}", run.stderr);
}

/// Regression (issue 27, point 3): a token service that echoed the key's secret JSON-escaped,
/// percent-encoded in lower case, over two lines, base64-encoded, with invisible characters
/// (U+200B, U+00AD, U+2060, U+200D, U+FEFF, U+034F) between its letters, in full-width letters,
/// reversed, as hex or base64 of UTF-16 or as base32 had it printed on standard error and in the
/// report. Now no 6-character piece of it is anywhere, in no form.
#[test]
fn an_echoing_token_service_shows_no_form_of_the_secret() {
    use support::fake_service::EchoForm;
    for form in EchoForm::ALL {
        let fake = FakeService::start(FakeConfig {
            client_secret: ODD_SECRET.to_owned(),
            subaccount: vec![calm_destination("CALM_BPMON")],
            faults: vec![Fault::always(Target::Token, FaultKind::EchoSecret { status: 401, form })],
            ..FakeConfig::default()
        });
        let s = Scratch::new();
        let key = s.key(&fake);
        let reports = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = ["check", "--destination-key", p(&key), "-v"].iter().map(|a| (*a).to_owned()).collect();
        args.extend(report_args(reports.path()));
        let run = calm(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        assert_eq!(run.code, 3, "{form:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("the token endpoint answered HTTP 401 (application/json,")
                && run.stderr.contains("error text withheld: it quotes a credential"),
            "{form:?}: {}",
            run.stderr
        );
        let all = everything_written(&run, reports.path());
        assert_no_form_of(&all, ODD_SECRET, &format!("{form:?}"));
    }
}

/// No 6-character piece of `secret` is in `all`, also once every character outside printable
/// ASCII is removed, full-width letters are read as ASCII, or the text is reversed.
fn assert_no_form_of(all: &str, secret: &str, case: &str) {
    let ascii: String = all
        .chars()
        .map(|c| if ('\u{ff01}'..='\u{ff5e}').contains(&c) { char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c) } else { c })
        .filter(|c| c.is_ascii())
        .collect();
    let reversed: String = ascii.chars().rev().collect();
    for piece in pieces(secret) {
        for (reading, text) in [("as written", all), ("ASCII only", ascii.as_str()), ("reversed", reversed.as_str())] {
            assert!(!text.contains(&piece), "{case}: {piece:?} of a credential is in the output ({reading}):\n{all}");
        }
    }
}

/// The same forms from the Destination service (its `ErrorMessage` quoting the bearer token on
/// the list calls) and from find's `authTokens[].error` (quoting the destination's own client
/// secret), with `--probe`; `snapshot --probe` saves the probe's error text, so the snapshot
/// holds none of it either. (The key's secret is [`ODD_SECRET`]: the default one, `fake-dest-secret`,
/// has the piece `secret`, which the fake's error text holds anyway.)
#[test]
fn no_form_of_a_credential_in_a_destination_error_or_a_probe_error() {
    use support::fake_service::EchoForm;
    let destination_secret = "Kq7/vX+k3Wp=9Yt/Rm2Jd8";
    for form in EchoForm::ALL {
        // The list calls: the Destination service's error quotes the bearer token.
        let fake = FakeService::start(FakeConfig {
            client_secret: ODD_SECRET.to_owned(),
            subaccount: vec![calm_destination("CALM_BPMON")],
            faults: vec![Fault::always(Target::Instance, FaultKind::EchoSecret { status: 400, form })],
            ..FakeConfig::default()
        });
        let s = Scratch::new();
        let key = s.key(&fake);
        let reports = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = ["check", "--destination-key", p(&key), "-v"].iter().map(|a| (*a).to_owned()).collect();
        args.extend(report_args(reports.path()));
        let run = calm(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        assert_eq!(run.code, 3, "{form:?}: {}", run.stderr);
        assert!(run.stderr.contains("instance level, page 1: HTTP 400 (application/json,"), "{form:?}: {}", run.stderr);
        assert!(run.stderr.contains("error text withheld: it quotes a credential"), "{form:?}: {}", run.stderr);
        assert_no_form_of(&everything_written(&run, reports.path()), &fake.access_token(), &format!("{form:?}"));

        // The probe: find's `authTokens[].error` quotes the destination's client secret, in the
        // same rendering of the form as the fake's error answers.
        let echoed = support::fake_service::echo_json_text(destination_secret, form);
        let echoed: String = serde_json::from_str(&format!("\"{echoed}\"")).unwrap();
        let mut destination = calm_destination("CALM_BPMON");
        destination["clientSecret"] = json!(destination_secret);
        let fake = FakeService::start(FakeConfig {
            client_secret: ODD_SECRET.to_owned(),
            subaccount: vec![destination],
            find_tokens: [("CALM_BPMON".to_owned(), FindToken::Error(echoed))].into_iter().collect(),
            ..FakeConfig::default()
        });
        let key = s.key(&fake);
        let reports = tempfile::tempdir().unwrap();
        let mut args: Vec<String> =
            ["check", "--destination-key", p(&key), "--probe", "--all-results"].iter().map(|a| (*a).to_owned()).collect();
        args.extend(report_args(reports.path()));
        let run = calm(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        let mut all = everything_written(&run, reports.path());
        assert!(
            all.contains("could not fetch a token: error text withheld: it quotes a credential"),
            "{form:?}: the probe's error is reported, withheld:\n{all}"
        );
        let run = calm(&["snapshot", "--destination-key", p(&key), "--probe"], &[]);
        assert_eq!(run.code, 0, "{form:?}: {}", run.stderr);
        assert!(run.stdout.contains("error text withheld: it quotes a credential"), "{form:?}: {}", run.stdout);
        all.push_str(&run.stdout);
        all.push_str(&run.stderr);
        assert_no_form_of(&all, destination_secret, &format!("{form:?}"));
    }
}

/// The same for the Destination service's documented error (echoing the bearer token) and for
/// find's `authTokens[].error` (echoing the destination's own client secret).
#[test]
fn no_documented_error_text_shows_a_form_of_a_credential() {
    use support::fake_service::EchoForm;
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(ODD_SECRET)
    };
    let mut destination = calm_destination("CALM_BPMON");
    destination["clientSecret"] = json!(ODD_SECRET);
    let mut find_tokens = std::collections::HashMap::new();
    find_tokens.insert("CALM_BPMON".to_owned(), FindToken::Error(format!("401 Bad credentials for client_secret {b64}")));
    let fake = FakeService::start(FakeConfig {
        subaccount: vec![destination],
        find_tokens,
        faults: vec![Fault::always(Target::Instance, FaultKind::EchoSecret { status: 400, form: EchoForm::Base64 })],
        ..FakeConfig::default()
    });
    let s = Scratch::new();
    let key = s.key(&fake);
    let reports = tempfile::tempdir().unwrap();
    let mut args: Vec<String> =
        ["check", "--destination-key", p(&key), "--probe", "--all-results"].iter().map(|a| (*a).to_owned()).collect();
    args.extend(report_args(reports.path()));
    let run = calm(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("instance level, page 1: HTTP 400 (application/json,"), "{}", run.stderr);
    let all = everything_written(&run, reports.path());
    assert!(all.contains("error text withheld: it quotes a credential"), "{all}");
    let token = fake.access_token();
    for secret in [ODD_SECRET, token.as_str()] {
        for piece in pieces(secret) {
            assert!(!all.contains(&piece), "{piece:?} of a credential is in the output:\n{all}");
        }
    }
}

/// The class behind points 7, 9 and 10, as a property over random bounds, page sizes and a
/// random count the items do not reach (a seeded loop; no new dependency): a read that hit a
/// bound or read an inconsistent list always has a failure, and a read without one has every
/// destination of both levels, each name once.
#[test]
fn random_bounds_and_page_sizes_never_end_in_a_silent_partial_read() {
    use calm_audit::source::live::{self, LiveOptions};
    use std::sync::Arc;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below.max(1)
    };
    let (mut whole, mut failed) = (0, 0);
    for round in 0..16 {
        let (n_sub, n_inst) = (next(2500) as usize, next(300) as usize);
        let page_size = 50 + next(951) as u32;
        let max_target_bytes = 100usize << next(16);
        let deadline = Duration::from_millis(50 + next(3000));
        let skewed = next(3) == 0;
        let pages = (n_sub as u64).div_ceil(u64::from(page_size)).max(1);
        let faults = if skewed {
            let page = 1 + next(pages) as u32;
            vec![Fault::always(Target::Subaccount, FaultKind::EntityCount(n_sub as u64 + 1)).on_page(page)]
        } else {
            Vec::new()
        };
        let fake = FakeService::start(FakeConfig {
            subaccount: unrelated("S", n_sub),
            instance: unrelated("I", n_inst),
            faults,
            ..FakeConfig::default()
        });
        let s = Scratch::new();
        let key = live::key::load_file(&s.key(&fake)).unwrap();
        let options = LiveOptions { page_size, max_target_bytes, deadline, ..LiveOptions::default() };
        let read = live::read(&key, options, &|_| true, Arc::new(|_: &str| {}), Arc::new(|_, _| {})).unwrap();
        let case =
            format!("round {round}: {n_sub}+{n_inst} at {page_size} a page, {max_target_bytes} bytes, {deadline:?}, skewed {skewed}");
        if skewed {
            assert!(!read.failures.is_empty(), "{case}: a count the items do not reach passed");
        }
        if max_target_bytes < 200 {
            assert!(!read.failures.is_empty(), "{case}: the byte bound was hit");
        }
        if read.failures.is_empty() {
            whole += 1;
            assert_eq!(read.destinations.len(), n_sub + n_inst, "{case}: a partial read without a failure");
            let mut names: Vec<(String, Option<calm_audit::model::Level>)> =
                read.destinations.iter().map(|d| (d.name().to_owned(), d.origin.level)).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), n_sub + n_inst, "{case}");
        } else {
            failed += 1;
            for f in &read.failures {
                assert!(!f.message.is_empty(), "{case}: {f:?}");
            }
        }
    }
    assert!(whole > 0 && failed > 0, "the rounds cover both outcomes: {whole} whole, {failed} failed");
}

#[test]
fn a_deadline_that_is_no_number_of_seconds_is_refused() {
    let s = Scratch::new();
    for bad in ["0", "-1", "nan", "inf", "86401", "ten"] {
        let run = calm(&["check", &format!("--deadline={bad}"), "--destination-key", "unused.json"], &[]);
        assert_eq!(run.code, 2, "--deadline {bad}: {}", run.stderr);
        assert!(run.stderr.contains("--deadline"), "{}", run.stderr);
    }
    let key =
        s.write("k.json", r#"{"clientid": "c", "clientsecret": "s", "url": "https://uaa.example.com", "uri": "https://d.example.com"}"#);
    let run = calm(&["check", "--destination-key", p(&key)], &[("CALM_AUDIT_DEADLINE", "soon")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("CALM_AUDIT_DEADLINE"), "{}", run.stderr);
    let config = s.write("calm-audit.toml", "destination_key = \"k.json\"\n\ndeadline = 0\n");
    let run = calm(&["check", "--config", p(&config)], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("calm-audit.toml:3") && run.stderr.contains("deadline"), "{}", run.stderr);
}

/// Point 3 as a property: random secrets of every printable class, echoed by the token endpoint
/// in each form, never have a 6-character piece in any output (a seeded loop).
#[test]
fn random_secrets_echoed_by_the_token_endpoint_never_reach_an_output() {
    use support::fake_service::EchoForm;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    for _ in 0..6 {
        let len = 8 + next(60) as usize;
        let secret: String = (0..len).map(|_| char::from(b'!' + next(94) as u8)).collect();
        for form in [EchoForm::JsonEscaped, EchoForm::LowerPercent, EchoForm::TwoLines, EchoForm::Base64] {
            let fake = FakeService::start(FakeConfig {
                client_secret: secret.clone(),
                faults: vec![Fault::always(Target::Token, FaultKind::EchoSecret { status: 401, form })],
                ..FakeConfig::default()
            });
            let s = Scratch::new();
            let key = s.key(&fake);
            let reports = tempfile::tempdir().unwrap();
            let mut args: Vec<String> = ["check", "--destination-key", p(&key), "-v"].iter().map(|a| (*a).to_owned()).collect();
            args.extend(report_args(reports.path()));
            let run = calm(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
            assert_eq!(run.code, 3, "{secret:?} {form:?}: {}", run.stderr);
            let all = everything_written(&run, reports.path());
            for piece in pieces(&secret) {
                assert!(!all.contains(&piece), "{secret:?} {form:?}: {piece:?} is in the output:\n{all}");
            }
        }
    }
}
