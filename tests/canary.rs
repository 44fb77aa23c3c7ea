//! The secret canary: every secret-bearing field holds a unique value, every command and format
//! runs (errors, the most verbose logging, --probe, snapshots, written reports included), and no
//! canary may appear in standard output, standard error or any file written.

mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::json;
use support::fake_service::{FakeConfig, FakeService, unsigned_jwt};

const CANARIES: [&str; 15] = [
    "CANARY-dest-clientSecret-1a",
    "CANARY-dest-Password-2b",
    "CANARY-dest-tokenServicePassword-3c",
    "CANARY-dest-KeyStorePassword-4d",
    "CANARY-file-clientSecret-5e",
    "CANARY-calm-key-clientsecret-6f",
    "CANARY-destination-service-clientsecret-7a",
    "CANARY-yaml-Password-8b",
    "CANARY-props-clientSecret-9c",
    // Secrets in URLs and call extras: query values, credentials before the host, header values.
    "CANARY-url-query-value-10",
    "CANARY-token-url-query-11",
    "CANARY-url-userinfo-12",
    "CANARY-header-value-13",
    "CANARY-query-property-14",
    "CANARY-dest-key-uri-15",
];

fn destination(name: &str) -> serde_json::Value {
    json!({
        "Name": name,
        "Type": "HTTP",
        "URL": format!("https://calm:{}@acme.eu10.alm.cloud.sap/?token={}&x=1", CANARIES[11], CANARIES[9]),
        "Authentication": "OAuth2ClientCredentials",
        "clientId": "sb-calm-acme!b12|calm-api!b3",
        "clientSecret": CANARIES[0],
        "URL.headers.Authorization": format!("Bearer {}", CANARIES[12]),
        "URL.queries.token": CANARIES[13],
        "Password": CANARIES[1],
        "tokenServicePassword": CANARIES[2],
        "tokenService.KeyStorePassword": CANARIES[3],
        "tokenServiceURL": format!("https://acme.authentication.eu10.hana.ondemand.com/oauth/token?client_secret={}", CANARIES[10])
    })
}

struct Scene {
    dir: tempfile::TempDir,
    fake: FakeService,
}

impl Scene {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn scene() -> Scene {
    let fake = FakeService::start(FakeConfig {
        client_secret: CANARIES[6].to_owned(),
        subaccount: vec![destination("CALM_SUB")],
        instance: vec![destination("CALM_INST")],
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("files")).unwrap();
    let mut file_dest = destination("CALM_FILE");
    file_dest["clientSecret"] = json!(CANARIES[4]);
    std::fs::write(d.join("files/dest.json"), serde_json::to_string_pretty(&json!([file_dest])).unwrap()).unwrap();
    std::fs::write(d.join("files/other.yaml"), format!("- Name: S4\n  URL: https://s4.example.com/\n  Password: {}\n", CANARIES[7]))
        .unwrap();
    std::fs::write(
        d.join("files/CALM_PROPS.properties"),
        format!("Name=CALM_PROPS\nURL=https\\://acme.eu10.alm.cloud.sap/\nclientSecret={} \n", CANARIES[8]),
    )
    .unwrap();
    std::fs::write(
        d.join("calm-key.json"),
        json!({"endpoints": {"Api": "https://acme.eu10.alm.cloud.sap/api"}, "uaa": {"clientid": "sb-calm-acme!b12|calm-api!b3", "clientsecret": CANARIES[5], "url": "https://acme.authentication.eu10.hana.ondemand.com", "identityzone": "acme"}}).to_string(),
    )
    .unwrap();
    std::fs::write(
        d.join("settings.toml"),
        "enable_integration_monitoring = true\nenable_business_process_monitoring = true\ndestination_name = \"CALM_SUB\"\n",
    )
    .unwrap();
    std::fs::write(d.join("dest-key.json"), fake.destination_key_json().to_string()).unwrap();
    Scene { dir, fake }
}

/// Every text a run left behind: stdout, stderr and the files in the scene folder.
fn run(scene: &Scene, args: &[&str]) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(scene.dir.path())
        .args(args)
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(code <= 3, "{args:?}: exit {code}");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let mut texts =
        vec![(format!("stdout of {args:?}"), String::from_utf8_lossy(&out.stdout).into_owned()), (format!("stderr of {args:?}"), stderr)];
    collect(scene.path("out").as_path(), &mut texts);
    texts
}

/// [`run`] with `input` on standard input.
fn run_with_stdin(scene: &Scene, args: &[&str], input: &str) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(scene.dir.path())
        .args(args)
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 3), "{args:?}");
    vec![
        (format!("stdout of {args:?} <stdin"), String::from_utf8_lossy(&out.stdout).into_owned()),
        (format!("stderr of {args:?} <stdin"), String::from_utf8_lossy(&out.stderr).into_owned()),
    ]
}

fn collect(dir: &Path, texts: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        texts.push((entry.path().display().to_string(), String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned()));
    }
}

#[test]
fn no_secret_reaches_any_output() {
    let scene = scene();
    std::fs::create_dir(scene.path("out")).unwrap();
    let (key, calm, settings) = (scene.s("dest-key.json"), scene.s("calm-key.json"), scene.s("settings.toml"));
    let files = scene.s("files");
    let mut texts = Vec::new();
    for format in ["table", "json", "sarif", "junit", "markdown", "html"] {
        texts.extend(run(
            &scene,
            &[
                "check",
                &files,
                "--destination-key",
                &key,
                "--calm-key",
                &calm,
                "--settings",
                &settings,
                "--probe",
                "-v",
                "--all-results",
                "--format",
                format,
                "--save-snapshot",
                "out/snapshot.json",
                "--report",
                "json=out/r.json",
                "--report",
                "sarif=out/r.sarif",
                "--report",
                "junit=out/r.xml",
                "--report",
                "markdown=out/r.md",
                "--report",
                "html=out/r.html",
                "--sarif-waived",
            ],
        ));
    }
    texts.extend(run(&scene, &["snapshot", &files, "--destination-key", &key, "--probe", "-v", "--output", "out/snap2.json"]));
    texts.extend(run(&scene, &["check", "out/snap2.json", "--calm-key", &calm, "--format", "json", "--baseline", "out/r.json"]));
    texts.extend(run(&scene, &["check", "--destination-key", &key, "--show-config", "-v"]));
    texts.extend(run(&scene, &["rules", "--format", "json"]));
    texts.extend(run(&scene, &["explain", "CALM014"]));
    // Error paths: a malformed escape next to a secret, a key file that is not JSON, a wrong
    // secret for the destination service, an unreachable service.
    std::fs::write(scene.path("bad.properties"), format!("Name=CALM_BAD\nclientSecret={}\\u12\n", CANARIES[8])).unwrap();
    texts.extend(run(&scene, &["check", &scene.s("bad.properties"), "-v"]));
    std::fs::write(scene.path("bad-key.json"), format!("{{\"uaa\": {{\"clientsecret\": \"{}\",}}}}", CANARIES[5])).unwrap();
    texts.extend(run(&scene, &["check", "--calm-key", &scene.s("bad-key.json")]));
    let mut wrong = scene.fake.destination_key_json();
    wrong["clientsecret"] = json!(format!("{}-wrong", CANARIES[6]));
    std::fs::write(scene.path("wrong-key.json"), wrong.to_string()).unwrap();
    texts.extend(run(&scene, &["check", "--destination-key", &scene.s("wrong-key.json"), "-v", "--format", "sarif"]));
    let mut unreachable = scene.fake.destination_key_json();
    unreachable["uri"] = json!("http://127.0.0.1:9");
    std::fs::write(scene.path("unreachable-key.json"), unreachable.to_string()).unwrap();
    texts.extend(run(&scene, &["check", "--destination-key", &scene.s("unreachable-key.json"), "-v", "--timeout", "2"]));
    // A service URL with credentials and a query, on a closed loopback port: its errors and logs.
    unreachable["uri"] = json!(format!("https://svc:{}@127.0.0.1:9/?sig={}", CANARIES[14], CANARIES[14]));
    std::fs::write(scene.path("secret-uri-key.json"), unreachable.to_string()).unwrap();
    texts.extend(run(&scene, &["check", "--destination-key", &scene.s("secret-uri-key.json"), "-v", "--timeout", "2"]));
    // Standard input, in every format, and a named file that cannot be parsed next to a missing one.
    let piped = serde_json::to_string(&json!([destination("CALM_STDIN")])).unwrap();
    for format in ["table", "json", "sarif", "junit", "markdown"] {
        texts.extend(run_with_stdin(&scene, &["check", "-", "--calm-key", &calm, "--all-results", "-v", "--format", format], &piped));
    }
    std::fs::write(scene.path("broken.json"), format!("[{}", serde_json::to_string(&destination("CALM_BROKEN")).unwrap())).unwrap();
    texts.extend(run(&scene, &["check", &scene.s("broken.json"), "missing.json", "-v"]));

    let access_token = scene.fake.access_token();
    let find_token = |name: &str| {
        unsigned_jwt(
            &json!({"client_id": "sb-calm-acme!b12|calm-api!b3", "cid": "sb-calm-acme!b12|calm-api!b3", "sub": "sb-calm-acme!b12|calm-api!b3", "grant_type": "client_credentials", "zid": "acme", "destination": name, "exp": 4_102_444_800u64}),
        )
    };
    let mut secrets: Vec<String> = CANARIES.iter().map(|c| (*c).to_owned()).collect();
    secrets.push(access_token);
    secrets.push(find_token("CALM_SUB"));
    secrets.push(find_token("CALM_INST"));
    assert!(texts.len() > 40, "every command ran and wrote something");
    assert!(texts.iter().any(|(_, t)| t.contains("\"hmac\"")), "the snapshot was written");
    assert!(texts.iter().any(|(what, t)| what.ends_with("r.html") && t.contains("CALM_SUB")), "the HTML report was written");
    assert!(texts.iter().any(|(_, t)| t.contains("GET ")), "verbose logging was on");
    // The URLs were shown, with their query names and without their secrets.
    for shown in ["https://***@acme.eu10.alm.cloud.sap/?token=***&x=***", "/oauth/token?client_secret=***", "<stdin>", "broken.json"] {
        assert!(texts.iter().any(|(_, t)| t.contains(shown)), "no output shows {shown}");
    }
    for (what, text) in &texts {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret leaked into {what}");
        }
    }
}
