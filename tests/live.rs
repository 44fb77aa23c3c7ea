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
            stderr: "HTTP 500: Internal Server Error",
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
