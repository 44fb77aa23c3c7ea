//! Purpose-aware audits through the binary (SPEC §3a): the profile of every destination result in
//! every format, `not_audited` in the JSON report, and the explicit choices of the command line
//! and `calm-audit.toml` with their errors.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn calm(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .env_remove("CALM_AUDIT_PROFILE")
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .args(args)
        .output()
        .expect("run calm-audit");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr))
}

/// Every result on the destination `name`.
fn on<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["results"].as_array().unwrap().iter().filter(|r| r["object"]["kind"] == "destination" && r["object"]["name"] == name).collect()
}

const DESTINATION: [(&str, &str); 9] = [
    ("Name", "CALM_BPMON"),
    ("Type", "HTTP"),
    ("ProxyType", "Internet"),
    ("URL", "https://acme.eu10.alm.cloud.sap/"),
    ("Authentication", "OAuth2ClientCredentials"),
    ("clientId", "sb-calm-acme!b12|calm-api!b3"),
    ("clientSecret", "profile-test-secret-1"),
    ("tokenServiceURLType", "Dedicated"),
    ("tokenServiceURL", "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"),
];

fn destination(changes: &[(&str, Option<&str>)]) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in DESTINATION {
        map.insert(k.into(), v.into());
    }
    for (k, v) in changes {
        match v {
            Some(v) => map.insert((*k).into(), (*v).into()),
            None => map.remove(*k),
        };
    }
    Value::Object(map)
}

/// `CALM_OPPS` as SAP Omnichannel Promotion Pricing's steps said until March 2026: the key's Api
/// without `/api` and without a trailing slash, no tokenServiceURLType.
fn omnichannel_promotion_pricing() -> Value {
    destination(&[("Name", Some("CALM_OPPS")), ("URL", Some("https://acme.eu10.alm.cloud.sap")), ("tokenServiceURLType", None)])
}

/// `CloudALM` as SAP Order Management foundation's steps said until May 2026: the key's Api as is.
fn order_management_foundation() -> Value {
    destination(&[("Name", Some("CloudALM")), ("URL", Some("https://acme.eu10.alm.cloud.sap/api")), ("tokenServiceURLType", None)])
}

/// The MAIL destination Cloud ALM customers in eu11 and cn20 create in Cloud ALM's own subaccount.
fn business_notifications_mail() -> Value {
    json!({
        "Name": "SAP_Business_Notifications_Mail",
        "Type": "MAIL",
        "ProxyType": "Internet",
        "Authentication": "BasicAuthentication",
        "mail.smtp.host": "smtp.example.com",
        "mail.smtp.port": "587",
        "mail.transport.protocol": "smtp",
        "mail.user": "notifications@example.com",
        "mail.password": "profile-test-mail-password-1"
    })
}

/// A landscape holding every purpose: Entitlement Management's, Build Process Automation's,
/// Intelligent RPA's, an industry-cloud destination, Omnichannel Promotion Pricing's and Order
/// Management foundation's, SAP's four that are not audited (each wrong by the push rules) and
/// an unrelated one. Nothing in it is a failure.
fn every_purpose() -> Value {
    let page = [("ProxyType", None), ("tokenServiceURLType", None)];
    json!([
        destination(&[]),
        destination(&[("Name", Some("sap_process_automation_cloud_alm")), page[0], page[1]]),
        // Intelligent RPA's lives in another subaccount under the same name; here without a level.
        destination(&[("Name", Some("sap_process_automation_cloud_alm")), ("sap.processautomation.enabled", Some("true")), page[0], page[1]]),
        destination(&[("Name", Some("SAP Cloud ALM")), ("systemRole", Some("PROD")), page[0], page[1]]),
        destination(&[
            ("Name", Some("TransportManagementService")),
            ("URL", Some("https://acme.eu10.alm.cloud.sap/api/imp-cdm-transport-management-api/v1")),
            ("sourceSystemId", Some("ACME")),
            ("tokenServiceURLType", None),
        ]),
        destination(&[("Name", Some("CALM_FTR_CTMS_A1")), ("URL", Some("https://ctms.cfapps.eu10.hana.ondemand.com")), ("tokenServiceURLType", Some("Common"))]),
        destination(&[("Name", Some("CALM_SD_DMS_INTEGRATION")), ("URL", Some("https://api-sdm-di.cfapps.eu10.hana.ondemand.com")), ("clientSecret", None)]),
        {"Name": "S4_WORKFLOW", "Type": "HTTP", "URL": "https://s4.example.com/", "Authentication": "NoAuthentication", "sap.processautomation.enabled": "true"},
        omnichannel_promotion_pricing(),
        order_management_foundation(),
        business_notifications_mail()
    ])
}

struct Landscape {
    dir: tempfile::TempDir,
}

impl Landscape {
    fn new(destinations: &Value) -> Landscape {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("destinations")).unwrap();
        std::fs::write(dir.path().join("destinations/all.json"), serde_json::to_string_pretty(destinations).unwrap()).unwrap();
        std::fs::write(
            dir.path().join("settings.toml"),
            "enable_integration_monitoring = false\nenable_business_process_monitoring = true\ndestination_name = \"CALM_BPMON\"\n",
        )
        .unwrap();
        let key = json!({"endpoints": {"Api": "https://acme.eu10.alm.cloud.sap/api"}, "uaa": {"clientid": "sb-calm-acme!b12|calm-api!b3", "clientsecret": "profile-test-secret-1", "url": "https://acme.authentication.eu10.hana.ondemand.com", "identityzone": "acme", "credential-type": "binding-secret"}});
        std::fs::write(dir.path().join("key.json"), key.to_string()).unwrap();
        Landscape { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn check(&self, extra: &[&str]) -> Run {
        let mut args = vec!["check", "destinations", "--settings", "settings.toml", "--calm-key", "key.json"];
        args.extend(extra);
        calm(self.path(), &args)
    }
}

#[test]
fn a_landscape_of_every_purpose_audits_without_a_false_failure() {
    let l = Landscape::new(&every_purpose());
    let run = l.check(&["--format", "json", "--fail-on", "note"]);
    let doc = json_of(&run);
    let fails: Vec<String> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail" || r["status"] == "error")
        .map(|r| format!("{} on {}: {}", r["code"], r["object"]["name"], r["message"]))
        .collect();
    assert!(fails.is_empty(), "{fails:#?}");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (name, line, profile, reason) in [
        ("CALM_BPMON", 2, "entitlement-management", "named by the settings"),
        ("sap_process_automation_cloud_alm", 13, "build-process-automation", "name is sap_process_automation_cloud_alm"),
        ("sap_process_automation_cloud_alm", 22, "intelligent-rpa", "property sap.processautomation.enabled present"),
        ("SAP Cloud ALM", 32, "industry-cloud-ingestion", "property systemRole present"),
        (
            "CALM_OPPS",
            81,
            "omnichannel-promotion-pricing",
            "name is CALM_OPPS; CALM004 left out: the page does not ask for the trailing slash",
        ),
        ("CloudALM", 91, "order-management-foundation", "name is CloudALM; CALM004 left out: "),
    ] {
        let at = format!("destinations/all.json:{line}");
        let results: Vec<&Value> = on(&doc, name).into_iter().filter(|r| r["object"]["qualified_name"] == at.as_str()).collect();
        assert!(!results.is_empty(), "{name} at {at} was not audited: {:?}", on(&doc, name).first().map(|r| &r["object"]));
        for r in results {
            assert_eq!(r["profile"], profile, "{name} {}", r["code"]);
            assert!(r["profile_reason"].as_str().unwrap().starts_with(reason), "{name} {}: {}", r["code"], r["profile_reason"]);
        }
    }
    // SAP's own destinations: named with the reason, never judged.
    let not_audited: Vec<(String, String)> = doc["not_audited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap().to_owned(), n["reason"].as_str().unwrap().to_owned()))
        .collect();
    for (name, why) in [
        ("TransportManagementService", "keeps /api by design (name is TransportManagementService)"),
        ("CALM_FTR_CTMS_A1", "Feature Deployment"),
        ("CALM_SD_DMS_INTEGRATION", "Document Management Service"),
        ("S4_WORKFLOW", "out of scope: "),
        // Out of scope (no Cloud ALM URL), yet named for what it is.
        ("SAP_Business_Notifications_Mail", "a MAIL destination in SAP Cloud ALM's own subaccount"),
    ] {
        assert!(on(&doc, name).is_empty(), "{name} was judged");
        assert!(not_audited.iter().any(|(n, r)| n == name && r.contains(why)), "{name}: {not_audited:?}");
    }
    assert_eq!(not_audited.len(), 5, "{not_audited:?}");
    assert_eq!(doc["coverage"]["destinations_found"], 11);
    assert_eq!(doc["coverage"]["destinations_in_scope"], 9);
    assert_eq!(doc["coverage"]["destinations_audited"], 6);
}

/// Issue 24: CALM_OPPS, CloudALM and SAP_Business_Notifications_Mail set up as their pages said
/// give no failure at `--fail-on note`, and every format shows each one's profile and why (the
/// rules its profile leaves out included), or why it is not audited.
#[test]
fn destinations_of_retired_setup_steps_pass_and_every_format_says_why() {
    let l = Landscape::new(&json!([omnichannel_promotion_pricing(), order_management_foundation(), business_notifications_mail()]));
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "destinations", "--calm-key", "key.json", "--fail-on", "note"];
        args.extend(extra);
        let run = calm(l.path(), &args);
        assert_eq!(run.code, 0, "{extra:?}: {}\n{}", run.stdout, run.stderr);
        run.stdout
    };
    let opps = ("omnichannel-promotion-pricing", "name is CALM_OPPS; CALM004 left out: the page does not ask for the trailing slash");
    let omf = (
        "order-management-foundation",
        "name is CloudALM; CALM004 left out: the URL is the key's Api endpoint as is, no trailing slash asked for; \
         CALM005 left out: the URL keeps /api; CALM012 left out: the URL is the key's Api endpoint as is, not without api",
    );
    let mail = "a MAIL destination in SAP Cloud ALM's own subaccount for notification mails in eu11 and cn20 (name is SAP_Business_Notifications_Mail)";

    let doc: Value = serde_json::from_str(&check(&["--format", "json"])).unwrap();
    let statuses: Vec<&str> = doc["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == "pass" || *s == "not_applicable"), "{statuses:?}");
    for (name, (profile, reason), left_out) in
        [("CALM_OPPS", opps, &["CALM004"][..]), ("CloudALM", omf, &["CALM004", "CALM005", "CALM012"][..])]
    {
        let results = on(&doc, name);
        assert!(results.len() > 10, "{name} was not audited");
        assert!(results.iter().all(|r| r["profile"] == profile && r["profile_reason"] == reason), "{name}: {results:?}");
        assert!(results.iter().all(|r| !left_out.contains(&r["code"].as_str().unwrap())), "{name} judged by a rule left out");
        assert!(results.iter().any(|r| r["code"] == "CALM006" && r["status"] == "pass"), "{name}: CALM006 still judges the URL");
    }
    assert!(on(&doc, "CALM_OPPS").iter().any(|r| r["code"] == "CALM012" && r["status"] == "pass"));
    assert!(on(&doc, "SAP_Business_Notifications_Mail").is_empty());
    assert_eq!(doc["not_audited"], json!([{"name": "SAP_Business_Notifications_Mail", "reason": mail}]));

    let sarif: Value = serde_json::from_str(&check(&["--format", "sarif", "--all-results"])).unwrap();
    let run = &sarif["runs"][0];
    for (name, (profile, reason)) in [("CALM_OPPS", opps), ("CloudALM", omf)] {
        let results: Vec<&Value> =
            run["results"].as_array().unwrap().iter().filter(|r| r["locations"][0]["logicalLocations"][0]["name"] == name).collect();
        assert!(!results.is_empty(), "{name}");
        assert!(results.iter().all(|r| r["properties"]["profile"] == profile && r["properties"]["profile_reason"] == reason), "{name}");
    }
    assert_eq!(run["properties"]["not_audited"], json!([{"name": "SAP_Business_Notifications_Mail", "reason": mail}]));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let profiles_of = |code: &str| rules.iter().find(|r| r["id"] == code).unwrap()["properties"]["profiles"].clone();
    assert!(!profiles_of("CALM004").as_array().unwrap().iter().any(|p| p == "omnichannel-promotion-pricing"));
    assert!(profiles_of("CALM006").as_array().unwrap().iter().any(|p| p == "order-management-foundation"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-checks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("retired-setup-steps.sarif"), serde_json::to_string_pretty(&sarif).unwrap()).unwrap();

    // The table and Markdown wrap and escape; compare with the line breaks taken out.
    let flat = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let table = flat(check(&["--format", "table"]));
    let markdown = flat(check(&["--format", "markdown", "--all-results"]));
    let html = flat(check(&["--format", "html"])).replace("<wbr>", "").replace("&#x27;", "'").replace("&#x2f;", "/");
    let junit = check(&["--format", "junit"]).replace("&apos;", "'");
    for (profile, reason) in [opps, omf] {
        assert!(table.contains(&format!("profile {profile} ({reason})")), "table: {table}");
        assert!(markdown.contains(&format!("profile `{profile}` ({reason})")), "markdown: {markdown}");
        assert!(html.contains(&format!("<code>{profile}</code> ({reason})")), "html: {html}");
        assert!(junit.contains(&format!(r#"<property name="profile" value="{profile}"/>"#)), "junit: {junit}");
        assert!(junit.contains(&format!(r#"<property name="profile_reason" value="{reason}"/>"#)), "junit: {junit}");
    }
    assert!(table.contains(&format!("Not audited (1): SAP_Business_Notifications_Mail: {mail}")), "table: {table}");
    assert!(markdown.contains(&format!("- `SAP_Business_Notifications_Mail`: {mail}")), "markdown: {markdown}");
    assert!(html.contains(&format!("<code>SAP_Business_Notifications_Mail</code></th><td>{mail}</td>")), "html: {html}");
    assert!(
        junit.contains(&format!(r#"<property name="not_audited" value="SAP_Business_Notifications_Mail: {mail}"/>"#)),
        "junit: {junit}"
    );
    // The short Markdown of a clean run names the mail destination too.
    assert!(flat(check(&["--format", "markdown"])).contains(&format!("- `SAP_Business_Notifications_Mail`: {mail}")));
}

#[test]
fn every_format_shows_the_profile() {
    let broken = json!([
        destination(&[("URL", Some("https://acme.eu10.alm.cloud.sap"))]),
        destination(&[("Name", Some("SAP Cloud ALM")), ("systemRole", Some("DEV"))]),
        destination(&[("Name", Some("TransportManagementService")), ("URL", Some("https://acme.eu10.alm.cloud.sap/api/x/v1"))]),
    ]);
    let l = Landscape::new(&broken);
    let table = l.check(&["--format", "table"]);
    assert_eq!(table.code, 1, "{}", table.stderr);
    // The table wraps to its width; compare with the line breaks taken out.
    let flat = table.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("destination CALM_BPMON: destinations/all.json:2 · profile entitlement-management (named by the settings)"),
        "{}",
        table.stdout
    );
    assert!(flat.contains("profile industry-cloud-ingestion (property systemRole present)"), "{}", table.stdout);
    assert!(flat.contains("Not audited (1): TransportManagementService: SAP Cloud Transport Management"), "{}", table.stdout);

    let markdown = l.check(&["--format", "markdown"]).stdout;
    assert!(markdown.contains("profile `entitlement-management` (named by the settings)"), "{markdown}");
    assert!(markdown.contains("- `TransportManagementService`: SAP Cloud Transport Management"), "{markdown}");

    let junit = l.check(&["--format", "junit"]).stdout;
    assert!(junit.contains(r#"<property name="profile" value="industry-cloud-ingestion"/>"#), "{junit}");
    assert!(junit.contains("profile: industry-cloud-ingestion (property systemRole present)"), "{junit}");

    let sarif: Value = serde_json::from_str(&l.check(&["--format", "sarif"]).stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let calm052 = results.iter().find(|r| r["ruleId"] == "CALM052").expect("CALM052 result");
    assert_eq!(calm052["properties"]["profile"], "industry-cloud-ingestion");
    let calm004 = results.iter().find(|r| r["ruleId"] == "CALM004").expect("CALM004 result");
    assert_eq!(calm004["properties"]["profile"], "entitlement-management");
    assert!(results.iter().all(|r| r["locations"][0]["logicalLocations"][0]["name"] != "TransportManagementService"));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let rule051 = rules.iter().find(|r| r["id"] == "CALM051").unwrap();
    assert_eq!(rule051["properties"]["profiles"], json!(["intelligent-rpa"]));
    // CI validates it with check-sarif (see .ci/run).
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-checks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("profiles.sarif"), serde_json::to_string_pretty(&sarif).unwrap()).unwrap();
}

#[test]
fn the_profile_does_not_change_fingerprints() {
    // The same broken destination judged by two profiles: the shared rule's fingerprint is the
    // same, so baselines and waivers written before profiles keep matching.
    let l = Landscape::new(&json!([destination(&[("Name", Some("ALM_PUSH")), ("URL", Some("https://acme.eu10.alm.cloud.sap"))])]));
    let fingerprint = |extra: &[&str]| {
        let mut args = vec!["--format", "json"];
        args.extend(extra);
        let doc = json_of(&l.check(&args));
        let r = on(&doc, "ALM_PUSH").into_iter().find(|r| r["code"] == "CALM004").cloned().unwrap();
        (r["fingerprint"].as_str().unwrap().to_owned(), r["profile"].as_str().unwrap().to_owned())
    };
    let (recognised, p1) = fingerprint(&[]);
    let (chosen, p2) = fingerprint(&["--profile", "entitlement-management"]);
    assert_eq!((p1.as_str(), p2.as_str()), ("cloud-alm-push", "entitlement-management"));
    assert_eq!(recognised, chosen);
}

#[test]
fn explicit_choices_beat_recognition_and_the_table_beats_the_run() {
    let l = Landscape::new(&every_purpose());
    std::fs::write(
        l.path().join("calm-audit.toml"),
        "profile = \"cloud-alm-push\"\n\n[profiles]\n\"SAP Cloud*\" = \"build-process-automation\"\n\"SAP Cloud ALM\" = \"intelligent-rpa\"\n",
    )
    .unwrap();
    let doc = json_of(&l.check(&["--format", "json"]));
    for r in on(&doc, "SAP Cloud ALM") {
        assert_eq!(r["profile"], "intelligent-rpa", "an exact name beats a glob");
        assert!(
            r["profile_reason"].as_str().unwrap().contains("calm-audit.toml:5 ([profiles] \"SAP Cloud ALM\")"),
            "{}",
            r["profile_reason"]
        );
    }
    for r in on(&doc, "sap_process_automation_cloud_alm") {
        assert_eq!(r["profile"], "cloud-alm-push");
        assert!(r["profile_reason"].as_str().unwrap().starts_with("chosen in calm-audit.toml:1 (profile)"), "{}", r["profile_reason"]);
    }
    // The flag beats the file's run-wide profile; the [profiles] table still beats the flag.
    let doc = json_of(&l.check(&["--format", "json", "--profile", "industry-cloud-ingestion"]));
    let rpa = on(&doc, "sap_process_automation_cloud_alm");
    assert!(rpa.iter().all(|r| r["profile"] == "industry-cloud-ingestion" && r["profile_reason"] == "chosen with --profile"));
    assert!(on(&doc, "SAP Cloud ALM").iter().all(|r| r["profile"] == "intelligent-rpa"));
    assert!(rpa.iter().any(|r| r["code"] == "CALM052" && r["status"] == "fail"), "the chosen profile's rule judges it");
    assert!(rpa.iter().all(|r| r["code"] != "CALM051"), "the recognised profile's rule does not");
}

#[test]
fn unknown_profile_names_are_configuration_errors_with_a_suggestion() {
    let l = Landscape::new(&every_purpose());
    let run = l.check(&["--profile", "build-proces-automation"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("did you mean \"build-process-automation\""), "{}", run.stderr);

    std::fs::write(l.path().join("calm-audit.toml"), "format = \"json\"\n\n[profiles]\n\"SAP*\" = \"industry-cloud\"\n").unwrap();
    let run = l.check(&[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("calm-audit.toml") && run.stderr.contains('4'), "names the file and line: {}", run.stderr);
    assert!(run.stderr.contains("did you mean \"industry-cloud-ingestion\""), "{}", run.stderr);

    std::fs::write(l.path().join("calm-audit.toml"), "[[target]]\nname = \"t\"\npaths = [\"destinations\"]\nprofile = \"nope\"\n").unwrap();
    let run = calm(l.path(), &["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("target \"t\": profile: no profile \"nope\""), "{}", run.stderr);

    let run = calm(l.path(), &["rules", "--profile", "nope"]);
    assert_eq!(run.code, 2);
}

#[test]
fn a_target_profile_applies_to_its_destinations_only() {
    let l = Landscape::new(&json!([destination(&[("Name", Some("ALM_PUSH"))])]));
    std::fs::write(
        l.path().join("calm-audit.toml"),
        "[[target]]\nname = \"a\"\npaths = [\"destinations\"]\nprofile = \"industry-cloud-ingestion\"\n\n[[target]]\nname = \"b\"\npaths = [\"destinations\"]\n",
    )
    .unwrap();
    let doc = json_of(&calm(l.path(), &["check", "--format", "json"]));
    let of = |target: &str| -> Vec<String> {
        on(&doc, "ALM_PUSH").iter().filter(|r| r["target"] == target).map(|r| r["profile"].as_str().unwrap().to_owned()).collect()
    };
    assert!(!of("a").is_empty() && of("a").iter().all(|p| p == "industry-cloud-ingestion"), "{:?}", of("a"));
    assert!(!of("b").is_empty() && of("b").iter().all(|p| p == "cloud-alm-push"), "{:?}", of("b"));
}

#[test]
fn the_profiles_command_and_explain_are_generated_from_the_data() {
    let run = calm(&root(), &["profiles", "--format", "json"]);
    assert_eq!(run.code, 0);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = doc["profiles"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "entitlement-management",
            "build-process-automation",
            "intelligent-rpa",
            "industry-cloud-ingestion",
            "omnichannel-promotion-pricing",
            "order-management-foundation",
            "cloud-alm-push"
        ]
    );
    let omf = doc["profiles"].as_array().unwrap().iter().find(|p| p["name"] == "order-management-foundation").unwrap();
    assert_eq!(omf["leaves_out"]["CALM005"], "the URL keeps /api");
    let explain = calm(&root(), &["explain", "CALM052"]).stdout;
    assert!(explain.contains("Profiles: industry-cloud-ingestion"), "{explain}");
    let explain = calm(&root(), &["explain", "CALM006"]).stdout;
    assert!(explain.contains("Profiles: every profile (a common push rule)"), "{explain}");
    // A common rule some profiles leave out says which, and why.
    let explain = calm(&root(), &["explain", "CALM004"]).stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(explain.contains("Profiles: every profile except omnichannel-promotion-pricing and order-management-foundation"), "{explain}");
    assert!(explain.contains("Left out by omnichannel-promotion-pricing: the page does not ask for the trailing slash"), "{explain}");
    let explain = calm(&root(), &["explain", "destination-url-without-api"]).stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(explain.contains("Left out by order-management-foundation: the URL keeps /api"), "{explain}");
    let table = calm(&root(), &["profiles"]).stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("order-management-foundation leaves out CALM012: the URL is the key's Api endpoint as is"), "{table}");
    assert!(table.contains("name is CALM_OPPS => omnichannel-promotion-pricing"), "{table}");
    assert!(table.contains("name is SAP_Business_Notifications_Mail => not audited"), "{table}");
    let rules = calm(&root(), &["rules", "--profile", "order-management-foundation", "--format", "json"]).stdout;
    let codes: Vec<String> =
        serde_json::from_str::<Value>(&rules).unwrap().as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect();
    assert!(
        codes.contains(&"CALM006".to_owned()) && !codes.iter().any(|c| ["CALM004", "CALM005", "CALM012"].contains(&c.as_str())),
        "{codes:?}"
    );
    let rules = calm(&root(), &["rules", "--profile", "intelligent-rpa", "--format", "json"]).stdout;
    let codes: Vec<String> =
        serde_json::from_str::<Value>(&rules).unwrap().as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect();
    assert!(codes.contains(&"CALM051".to_owned()) && codes.contains(&"CALM004".to_owned()));
    assert!(!codes.contains(&"CALM001".to_owned()) && !codes.contains(&"CALM052".to_owned()), "{codes:?}");
}
