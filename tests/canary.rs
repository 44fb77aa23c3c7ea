//! The secret canary: every secret-bearing field holds a unique value, every command and format
//! runs (errors, the most verbose logging, --probe, snapshots, written reports included), and no
//! canary may appear in standard output, standard error or any file written.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

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
    // `fix` writes corrected destination files and a summary next to the reports (SPEC §5a).
    texts.extend(run(
        &scene,
        &["fix", &files, "--destination-key", &key, "--calm-key", &calm, "--settings", &settings, "-v", "--force", "--output", "out"],
    ));
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
    assert!(
        texts.iter().any(|(what, t)| what.ends_with("r.html") && t.replace("<wbr>", "").contains("CALM_SUB")),
        "the HTML report was written"
    );
    assert!(texts.iter().any(|(_, t)| t.contains("GET ")), "verbose logging was on");
    assert!(texts.iter().any(|(what, _)| what.ends_with("SUMMARY.md")), "fix wrote its summary");
    assert!(texts.iter().any(|(what, _)| what.ends_with("CALM_SUB.properties")), "fix wrote a corrected live destination");
    // The URLs were shown, with their query names and without their secrets.
    for shown in ["https://***@acme.eu10.alm.cloud.sap/?token=***&x=***", "/oauth/token?client_secret=***", "<stdin>", "broken.json"] {
        assert!(texts.iter().any(|(_, t)| t.contains(shown)), "no output shows {shown}");
    }
    for (what, text) in &texts {
        // The HTML report's line-break opportunities (`<wbr>`) must not hide a secret from this check.
        let text = text.replace("<wbr>", "");
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret leaked into {what}");
        }
    }
}

/// Secrets a security review placed where the first line of defence used to miss them: malformed
/// URLs, property names off the deny-list, swapped fields, expressions in code, a key pasted
/// into the environment with `cf`'s lines first, a server that echoes the request.
const HOSTILE: [&str; 20] = [
    "HOSTILE-noscheme-pw-01",
    "HOSTILE-oneslash-pw-02",
    "HOSTILE-slashslash-pw-03",
    "HOSTILE-space pw-04",
    "HOSTILE-quote\"pw-05",
    "HOSTILE-slash/pw-06",
    "HOSTILE-query value-07",
    "HOSTILE-jco-passwd-08",
    "HOSTILE-repo-passwd-09",
    "HOSTILE-mysapsso2-10",
    "HOSTILE-refreshToken-11",
    "HOSTILE-accessToken-12",
    "HOSTILE-Authorization-13",
    "HOSTILECustomHeaderValue14x",
    "HOSTILE-calm-secret-swapped-15",
    "HOSTILE-tf-format-pw-16",
    "HOSTILE-tf-join-q-17",
    "HOSTILE-tf-coalesce-18",
    "HOSTILE-env-key-secret-19",
    "HOSTILE-cert-content-20",
];

fn hostile_destinations() -> serde_json::Value {
    let base = |name: &str, url: String| {
        json!({"Name": name, "Type": "HTTP", "URL": url, "Authentication": "OAuth2ClientCredentials",
               "clientId": "sb-calm-acme!b12|calm-api!b3", "clientSecret": "not-the-key-secret",
               "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"})
    };
    let mut swapped = base("CALM_SWAPPED", "https://acme.eu10.alm.cloud.sap/".into());
    swapped["clientId"] = json!(HOSTILE[14]);
    let mut deny = base("CALM_DENY", "https://acme.eu10.alm.cloud.sap/".into());
    deny["jco.client.passwd"] = json!(HOSTILE[7]);
    deny["jco.destination.repository.passwd"] = json!(HOSTILE[8]);
    deny["mysapsso2"] = json!(HOSTILE[9]);
    deny["refreshToken"] = json!(HOSTILE[10]);
    deny["accessToken"] = json!(HOSTILE[11]);
    deny["Authorization"] = json!(format!("Bearer {}", HOSTILE[12]));
    deny["x-custom"] = json!(HOSTILE[13]);
    deny["tokenService.KeyStoreContent"] = json!(HOSTILE[19]);
    json!([
        base("CALM_NOSCHEME", format!("calm:{}@acme.eu10.alm.cloud.sap/", HOSTILE[0])),
        base("CALM_ONESLASH", format!("https:/calm:{}@acme.eu10.alm.cloud.sap/", HOSTILE[1])),
        base("CALM_SLASHSLASH", format!("//calm:{}@acme.eu10.alm.cloud.sap/", HOSTILE[2])),
        base("CALM_SPACE", format!("https://calm:{}@acme.eu10.alm.cloud.sap/", HOSTILE[3])),
        base("CALM_QUOTE", format!("https://calm:{}@acme.eu10.alm.cloud.sap/", HOSTILE[4])),
        base("CALM_SLASH", format!("https://calm:{}@acme.eu10.alm.cloud.sap/", HOSTILE[5])),
        base("CALM_QUERY", format!("https://acme.eu10.alm.cloud.sap/?token={}&x=\"1'", HOSTILE[6])),
        swapped,
        deny,
        base("CALM_\u{1b}[2J\u{1b}[1;1HESCAPED\r\u{202e}", "https://acme.eu10.alm.cloud.sap/".into()),
        base("CALM_XML_\u{fffe}_\u{1}", "https://acme.eu10.alm.cloud.sap/".into()),
    ])
}

#[test]
fn no_secret_leaves_on_hostile_inputs() {
    let scene = scene();
    std::fs::create_dir(scene.path("out")).unwrap();
    std::fs::create_dir(scene.path("hostile")).unwrap();
    std::fs::write(scene.path("hostile/dest.json"), serde_json::to_string_pretty(&hostile_destinations()).unwrap()).unwrap();
    std::fs::write(
        scene.path("hostile/main.tf"),
        format!(
            r#"variable "p" {{
  type = string
}}

resource "btp_subaccount_destination" "fmt" {{
  name           = "CALM_TF_FORMAT"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = format("https://calm:{}@acme.eu10.alm.cloud.sap/%s", var.p)
  authentication = "OAuth2ClientCredentials"
}}

resource "btp_subaccount_destination" "join" {{
  name           = "CALM_TF_JOIN"
  type           = "HTTP"
  url            = join("", ["https://acme.eu10.alm.cloud.sap/", var.p, "?sig={}"])
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({{
    clientSecret = coalesce(var.p, "{}")
  }})
}}
"#,
            HOSTILE[15], HOSTILE[16], HOSTILE[17]
        ),
    )
    .unwrap();
    // The Cloud ALM key whose secret the swapped destination holds in its clientId.
    let mut calm_key: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(scene.path("calm-key.json")).unwrap()).unwrap();
    calm_key["uaa"]["clientsecret"] = json!(HOSTILE[14]);
    std::fs::write(scene.path("calm-key-2.json"), calm_key.to_string()).unwrap();
    let calm = scene.s("calm-key-2.json");
    let hostile = scene.s("hostile");
    let mut texts = Vec::new();
    for format in ["table", "json", "sarif", "junit", "markdown", "html"] {
        let report = format!("{format}=out/hostile.{format}");
        texts.extend(run(
            &scene,
            &[
                "check",
                &hostile,
                "--calm-key",
                &calm,
                "--all-results",
                "-v",
                "--format",
                format,
                "--report",
                &report,
                "--save-snapshot",
                "out/hostile-snapshot.json",
            ],
        ));
    }
    texts.extend(run(&scene, &["snapshot", &hostile, "--output", "out/hostile-snap2.json"]));
    texts.extend(run(&scene, &["check", "out/hostile-snap2.json", "--calm-key", &calm, "--format", "json", "--all-results"]));

    // The table and Markdown show the escape sequences escaped; JUnit stays XML 1.0.
    let table = texts.iter().find(|(what, _)| what.ends_with("hostile.table")).map(|(_, t)| t.clone()).unwrap();
    let markdown = texts.iter().find(|(what, _)| what.ends_with("hostile.markdown")).map(|(_, t)| t.clone()).unwrap();
    for text in [&table, &markdown] {
        assert!(text.contains("CALM_\\u{1b}[2J"), "{text}");
        assert!(!text.chars().any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)), "{text}");
    }
    let junit = texts.iter().find(|(what, _)| what.ends_with("hostile.junit")).map(|(_, t)| t.clone()).unwrap();
    assert!(
        !junit.chars().any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')),
        "{junit}"
    );
    assert!(!junit.contains("&#x1;") && !junit.contains("&#1;") && !junit.to_ascii_lowercase().contains("&#xfffe;"), "{junit}");
    // Each malformed URL still fails CALM006 for its credentials.
    let json_report = texts.iter().find(|(what, _)| what.ends_with("hostile.json")).map(|(_, t)| t.clone()).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json_report).unwrap();
    let results = report["results"].as_array().unwrap();
    for name in ["CALM_NOSCHEME", "CALM_ONESLASH", "CALM_SLASHSLASH", "CALM_SPACE", "CALM_QUOTE", "CALM_SLASH"] {
        let r = results.iter().find(|r| r["code"] == "CALM006" && r["object"]["name"] == name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(r["status"], "fail", "{name}: {r}");
        assert!(r["message"].as_str().unwrap().contains("credentials"), "{name}: {r}");
    }
    // CALM013 says the fields look swapped, without the value.
    let swapped = results.iter().find(|r| r["code"] == "CALM013" && r["object"]["name"] == "CALM_SWAPPED").unwrap();
    assert!(swapped["message"].as_str().unwrap().contains("swapped"), "{swapped}");
    // CALM070 fails the literal inside coalesce(), naming the kind of expression but not the literal.
    assert!(
        results.iter().any(|r| r["code"] == "CALM070" && r["object"]["name"] == "CALM_TF_JOIN" && r["status"] == "fail"),
        "CALM070 on coalesce(var.p, literal)"
    );
    for (what, text) in &texts {
        let text = &text.replace("<wbr>", "");
        for secret in HOSTILE {
            // `snapshot` reads no Cloud ALM key, so it cannot know that a clientId holds that
            // key's secret: the clientId is kept as written there, as SAP documents it as not secret.
            if secret == HOSTILE[14] && what.ends_with("hostile-snap2.json") {
                continue;
            }
            assert!(!text.contains(secret), "{secret} leaked into {what}:\n{text}");
            let escaped = serde_json::to_string(secret).unwrap();
            assert!(!text.contains(&escaped[1..escaped.len() - 1]), "{secret} (JSON-escaped) leaked into {what}");
        }
        // The tenant is never the credentials: CALM031/CALM033 quote hosts only.
        assert!(!text.contains("calm:HOSTILE"), "{what}");
    }
}

#[test]
fn a_key_in_the_environment_is_never_echoed() {
    let scene = scene();
    let key = scene.fake.destination_key_json().to_string();
    // What `cf service-key` prints: a line first, then the JSON. It is read as the key.
    let pasted = format!("Getting key k for service instance dest as admin...\n\n{key}");
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(scene.dir.path())
        .args(["check", "--format", "json"])
        .env("CALM_AUDIT_DESTINATION_KEY", &pasted)
        .env_remove("VCAP_SERVICES")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{stderr}");
    assert!(!stderr.contains(CANARIES[6]));
    // Neither JSON nor a file: exit 2, the length said, the value never shown.
    for value in [HOSTILE[18].to_owned(), format!("Getting key k as admin...\nFAILED {}", HOSTILE[18])] {
        let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
            .current_dir(scene.dir.path())
            .args(["check"])
            .env("CALM_AUDIT_DESTINATION_KEY", &value)
            .env_remove("VCAP_SERVICES")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("CALM_AUDIT_DESTINATION_KEY") && stderr.contains("characters"), "{stderr}");
        assert!(!stderr.contains("HOSTILE") && out.stdout.is_empty(), "{stderr}");
    }
}

#[test]
fn a_server_that_echoes_the_request_shows_nothing_of_the_key() {
    use support::fake_service::{Fault, FaultKind, Target};
    let dir = tempfile::tempdir().unwrap();
    for target in [Target::Token, Target::Find] {
        let fake = FakeService::start(FakeConfig {
            client_secret: "ECHO-destination-secret-21".to_owned(),
            subaccount: vec![destination("CALM_SUB")],
            faults: vec![Fault::always(target, FaultKind::Echo(if target == Target::Token { 401 } else { 400 }))],
            ..FakeConfig::default()
        });
        let key = dir.path().join("key.json");
        std::fs::write(&key, fake.destination_key_json().to_string()).unwrap();
        let snapshot = dir.path().join("snap.json");
        let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
            .args(["check", "--destination-key"])
            .arg(&key)
            .args(["--probe", "-v", "--all-results", "--format", "json", "--save-snapshot"])
            .arg(&snapshot)
            .env_remove("VCAP_SERVICES")
            .env_remove("CALM_AUDIT_DESTINATION_KEY")
            .output()
            .unwrap();
        let mut texts = vec![String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned()];
        texts.extend(std::fs::read_to_string(&snapshot).ok());
        let all = texts.join("\n");
        assert!(all.contains("Bad request") || all.contains("HTTP 4"), "{target:?}: the answer's status or excerpt is shown: {all}");
        for secret in ["ECHO-destination-secret-21", "ECHO-destination-secret-21".replace('-', "%2D").as_str(), &fake.access_token()] {
            assert!(!all.contains(secret), "{target:?}: {secret} echoed into the output:\n{all}");
        }
        assert!(!all.contains(CANARIES[0]), "{target:?}: the destination's secret echoed");
    }
}

/// Keystores and X.509 keys: every private key, keystore password and certificate content is a
/// canary, and none appears in any format, log, snapshot or report file, whichever source the
/// keystore came from (files, an export archive, the live lists, find, Terraform, the keys).
#[test]
fn no_private_key_keystore_password_or_certificate_content_leaves() {
    use support::certs as made;
    use support::fake_service::start_tls;
    let now = calm_audit::clock::parse_date("2026-05-01").unwrap();
    let today = [("CALM_AUDIT_TODAY", "2026-05-01")];
    let passwords = ["CANARY-p12-password-31", "CANARY-jks-password-32", "CANARY-live-p12-password-33"];
    let file_chain = made::chain("file-client", now, -10, 20, 2, None);
    let jks_chain = made::chain("jks-client", now, -10, 40, 1, None);
    let live_chain = made::chain("live-client", now, -10, 5, 1, None);
    let key_chain = made::chain("calm-x509-key", now, -10, 9, 1, None);
    let live_p12 = made::p12(&live_chain, passwords[2]);
    use base64::Engine;
    let live_content = base64::engine::general_purpose::STANDARD.encode(&live_p12);

    let mut live_destination = destination("CALM_LIVE_MTLS");
    live_destination["tokenService.KeyStoreLocation"] = json!("live.p12");
    live_destination["tokenService.KeyStorePassword"] = json!(passwords[2]);
    let (fake, tls) = start_tls(FakeConfig {
        subaccount: vec![live_destination],
        subaccount_certificates: vec![json!({"Name": "live.p12", "Type": "CERTIFICATE", "Content": live_content})],
        require_client_cert: true,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("files")).unwrap();
    std::fs::create_dir(d.join("out")).unwrap();
    let mut p12_destination = destination("CALM_P12");
    p12_destination["tokenService.KeyStoreLocation"] = json!("file.p12");
    p12_destination["tokenService.KeyStorePassword"] = json!(passwords[0]);
    let mut jks_destination = destination("CALM_JKS");
    jks_destination["tokenService.KeyStoreLocation"] = json!("client.jks");
    jks_destination["tokenService.KeyStorePassword"] = json!(passwords[1]);
    let mut pem_destination = destination("CALM_PEM");
    pem_destination["tokenService.KeyStoreLocation"] = json!("with-key.pem");
    std::fs::write(
        d.join("files/dest.json"),
        serde_json::to_string_pretty(&json!([p12_destination, jks_destination, pem_destination])).unwrap(),
    )
    .unwrap();
    std::fs::write(d.join("files/file.p12"), made::p12(&file_chain, passwords[0])).unwrap();
    std::fs::write(d.join("files/client.jks"), made::jks(&jks_chain, passwords[1])).unwrap();
    std::fs::write(d.join("files/with-key.pem"), made::pem(&file_chain, true)).unwrap();
    std::fs::write(
        d.join("calm-key.json"),
        json!({"endpoints": {"Api": "https://acme.eu10.alm.cloud.sap/api"}, "uaa": {"clientid": "sb-calm-acme!b12|calm-api!b3",
            "url": "https://acme.authentication.eu10.hana.ondemand.com", "certurl": "https://acme.authentication.cert.eu10.hana.ondemand.com",
            "identityzone": "acme", "credential-type": "x509", "certificate": key_chain[0].cert_pem, "key": key_chain[0].key_pem}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(d.join("dest-key.json"), fake.destination_key_json().to_string()).unwrap();
    std::fs::write(d.join("ca.pem"), &tls.ca_pem).unwrap();

    let run_here = |args: &[&str]| -> Vec<(String, String)> {
        let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
            .current_dir(d)
            .args(args)
            .envs(today)
            .env_remove("VCAP_SERVICES")
            .env_remove("CALM_AUDIT_DESTINATION_KEY")
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 3), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let mut texts = vec![
            (format!("stdout of {args:?}"), String::from_utf8_lossy(&out.stdout).into_owned()),
            (format!("stderr of {args:?}"), String::from_utf8_lossy(&out.stderr).into_owned()),
        ];
        collect(&d.join("out"), &mut texts);
        texts
    };
    let mut texts = Vec::new();
    for format in ["table", "json", "sarif", "junit", "markdown", "html"] {
        let report = format!("{format}=out/certs.{format}");
        texts.extend(run_here(&[
            "check",
            "files",
            "--destination-key",
            "dest-key.json",
            "--ca-cert",
            "ca.pem",
            "--calm-key",
            "calm-key.json",
            "--probe",
            "-v",
            "--all-results",
            "--format",
            format,
            "--report",
            &report,
            "--save-snapshot",
            "out/certs-snapshot.json",
        ]));
    }
    texts.extend(run_here(&[
        "snapshot",
        "files",
        "--destination-key",
        "dest-key.json",
        "--ca-cert",
        "ca.pem",
        "--output",
        "out/snap.json",
    ]));
    texts.extend(run_here(&["check", "out/snap.json", "--calm-key", "calm-key.json", "--format", "json", "--all-results"]));

    // The audit saw every keystore: its dates are in the reports.
    let json_report = texts.iter().find(|(what, _)| what.ends_with("certs.json")).map(|(_, t)| t.clone()).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json_report).unwrap();
    let names: Vec<&str> = report["certificates"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    for name in ["live.p12", "file.p12", "client.jks", "with-key.pem", "uaa.certificate", "certificate"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }

    let mut canaries: Vec<String> = passwords.iter().map(|p| (*p).to_owned()).collect();
    canaries.push(live_content.clone());
    canaries.push(live_content[..64].to_owned());
    // Every base64 line of every PEM: private keys and certificate contents alike.
    let pems = file_chain
        .iter()
        .chain(&jks_chain)
        .chain(&live_chain)
        .chain(&key_chain)
        .flat_map(|m| [m.cert_pem.clone(), m.key_pem.clone()])
        .chain([tls.client_cert_pem.clone(), tls.client_key_pem.clone()]);
    for pem in pems {
        canaries.extend(pem.lines().filter(|l| !l.starts_with("-----") && l.len() >= 40).map(str::to_owned));
    }
    assert!(texts.len() > 15);
    for (what, text) in &texts {
        for canary in &canaries {
            assert!(!text.contains(canary.as_str()), "a certificate content, private key or keystore password leaked into {what}");
        }
    }
}
