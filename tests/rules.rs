//! Per-rule fixtures: `tests/rules/<CODE>.toml` holds cases that start from a landscape set
//! up exactly as SAP's page says (one destination, the matching key, settings naming it) and
//! change one thing. Each case states the status the rule must give.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::collections::BTreeMap;
use std::path::Path;

use calm_audit::model::Finding;
use calm_audit::rules::certificates::Clock;
use calm_audit::rules::{Catalog, Choices, Inputs, Profiles, audit, has_code_check, in_scope};
use calm_audit::source::{certs, files, key, settings};
use serde::Deserialize;

#[allow(dead_code)]
#[path = "support/certs.rs"]
mod made;

/// The run's date of every case: certificates are made relative to it, and the clock is fixed
/// to it, so no case changes its verdict on a calendar date.
const TODAY: &str = "2026-05-01";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Status every result of the rule (on `object`, when given) must have.
    expect: String,
    /// Expected effective severity of those results.
    severity: Option<String>,
    /// Text every such result's message must contain.
    contains: Option<String>,
    /// Only results on the object with this name (destination Name, `landscape`, file name).
    object: Option<String>,
    /// Destinations written as one JSON array; default: the good base destination.
    destinations: Option<Vec<DestinationSpec>>,
    /// Extra destination files, name → content, written beside the JSON array.
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// No destination source at all (not even an empty folder).
    #[serde(default)]
    no_destination_source: bool,
    /// `false`: no settings; a table: merged over the good settings.
    settings: Option<toml::Value>,
    /// `false`: no key; a table with `set`/`unset` of dotted fields (`uaa.clientid`).
    key: Option<toml::Value>,
    /// The profile chosen for the run, as `--profile` would (SPEC §3a).
    profile: Option<String>,
    /// Destination name or glob → profile, as `[profiles]` in calm-audit.toml.
    #[serde(default)]
    profiles: BTreeMap<String, String>,
    /// The profile every selected result must carry (`none`: results carry none).
    expect_profile: Option<String>,
    /// Certificate and keystore files made for the case, written beside the destinations.
    #[serde(default)]
    keystores: Vec<KeystoreSpec>,
    /// CALM063's horizon (default 30 days).
    expiry_days: Option<u32>,
    /// The Cloud ALM key becomes an X.509 key whose `uaa.certificate` expires this many days
    /// after the run's date.
    key_certificate_days: Option<i64>,
}

/// A certificate or keystore file made at test time, its dates relative to [`TODAY`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoreSpec {
    file: String,
    /// `p12`, `jks`, `pem` (certificates only, as a cockpit export keeps them), `pem-key`
    /// (with the private key), `der`, or `raw` (the `raw` text as the file).
    #[serde(default = "p12")]
    format: String,
    #[serde(default)]
    password: String,
    /// Not-after of the leaf, in days after the run's date.
    #[serde(default = "a_year")]
    days: i64,
    /// Not-before of the leaf, in days after the run's date (negative: before).
    #[serde(default = "a_month_ago")]
    not_before_days: i64,
    /// Certificates in the chain, the leaf included.
    #[serde(default = "one")]
    chain: usize,
    /// Not-after of the chain's CA certificates, in days (default: the leaf's).
    ca_days: Option<i64>,
    raw: Option<String>,
}

fn p12() -> String {
    "p12".into()
}
fn a_year() -> i64 {
    365
}
fn a_month_ago() -> i64 {
    -30
}
fn one() -> usize {
    1
}

fn today() -> i64 {
    calm_audit::clock::parse_date(TODAY).expect("TODAY is a date")
}

fn keystore_bytes(spec: &KeystoreSpec) -> Vec<u8> {
    if spec.format == "raw" {
        return spec.raw.clone().unwrap_or_default().into_bytes();
    }
    let chain = made::chain("calm-client", today(), spec.not_before_days, spec.days, spec.chain, spec.ca_days);
    match spec.format.as_str() {
        "p12" => made::p12(&chain, &spec.password),
        "jks" => made::jks(&chain, &spec.password),
        "pem" => made::pem(&chain, false).into_bytes(),
        "pem-key" => made::pem(&chain, true).into_bytes(),
        "der" => chain[0].cert_der.clone(),
        other => panic!("keystore format {other}"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationSpec {
    #[serde(default = "yes")]
    base: bool,
    #[serde(default)]
    set: BTreeMap<String, String>,
    #[serde(default)]
    unset: Vec<String>,
}

fn yes() -> bool {
    true
}

/// The destination exactly as SAP's setup page asks, for the key below.
const BASE: [(&str, &str); 9] = [
    ("Name", "CALM_BPMON"),
    ("Type", "HTTP"),
    ("ProxyType", "Internet"),
    ("URL", "https://acme.eu10.alm.cloud.sap/"),
    ("Authentication", "OAuth2ClientCredentials"),
    ("clientId", "sb-calm-acme!b12|calm-api!b3"),
    ("clientSecret", "fixture-secret-value-1"),
    ("tokenServiceURLType", "Dedicated"),
    ("tokenServiceURL", "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"),
];

fn base_key() -> serde_json::Value {
    serde_json::json!({
        "endpoints": { "Api": "https://acme.eu10.alm.cloud.sap/api" },
        "uaa": {
            "clientid": "sb-calm-acme!b12|calm-api!b3",
            "clientsecret": "fixture-secret-value-1",
            "url": "https://acme.authentication.eu10.hana.ondemand.com",
            "identityzone": "acme",
            "credential-type": "binding-secret"
        }
    })
}

fn destination_json(spec: &DestinationSpec) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    if spec.base {
        for (k, v) in BASE {
            map.insert(k.into(), v.into());
        }
    }
    for k in &spec.unset {
        map.remove(k);
    }
    for (k, v) in &spec.set {
        map.insert(k.clone(), v.clone().into());
    }
    serde_json::Value::Object(map)
}

fn key_json(spec: Option<&toml::Value>) -> Option<serde_json::Value> {
    let mut key = base_key();
    match spec {
        Some(toml::Value::Boolean(false)) => return None,
        None => return Some(key),
        Some(toml::Value::Table(t)) => {
            for field in t.get("unset").and_then(|u| u.as_array()).into_iter().flatten() {
                let (section, name) = field.as_str().and_then(|f| f.split_once('.')).expect("unset: section.field");
                key[section].as_object_mut().expect("section").remove(name);
            }
            for (field, value) in t.get("set").and_then(|s| s.as_table()).into_iter().flatten() {
                let (section, name) = field.split_once('.').expect("set: section.field");
                key[section][name] = value.as_str().expect("string value").into();
            }
        }
        Some(other) => panic!("key must be false or a table, got {other:?}"),
    }
    Some(key)
}

fn settings_toml(spec: Option<&toml::Value>) -> Option<String> {
    let mut table = toml::Table::new();
    table.insert("enable_integration_monitoring".into(), false.into());
    table.insert("enable_business_process_monitoring".into(), true.into());
    table.insert("destination_name".into(), "CALM_BPMON".into());
    match spec {
        Some(toml::Value::Boolean(false)) => return None,
        Some(toml::Value::Table(t)) => table.extend(t.clone()),
        None => {}
        Some(other) => panic!("settings must be false or a table, got {other:?}"),
    }
    // Settings values are booleans and strings; JSON string syntax is valid TOML for both.
    let lines: Vec<String> = table
        .iter()
        .map(|(k, v)| match v {
            toml::Value::Boolean(b) => format!("{k} = {b}"),
            toml::Value::String(s) => format!("{k} = {}", serde_json::Value::from(s.as_str())),
            other => panic!("settings value {other:?}"),
        })
        .collect();
    Some(lines.join("\n"))
}

fn run_case(code: &str, case: &Case) -> Vec<Finding> {
    let dir = tempfile::tempdir().expect("tempdir");
    let dest_dir = dir.path().join("destinations");
    std::fs::create_dir(&dest_dir).expect("mkdir");
    let default_specs = vec![DestinationSpec { base: true, set: BTreeMap::new(), unset: Vec::new() }];
    let specs = case.destinations.as_ref().unwrap_or(&default_specs);
    if !specs.is_empty() {
        let array: Vec<serde_json::Value> = specs.iter().map(destination_json).collect();
        std::fs::write(dest_dir.join("destinations.json"), serde_json::to_string_pretty(&array).unwrap()).unwrap();
    }
    for (name, content) in &case.files {
        let path = dest_dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    for spec in &case.keystores {
        std::fs::write(dest_dir.join(&spec.file), keystore_bytes(spec)).unwrap();
    }
    let settings = settings_toml(case.settings.as_ref()).map(|text| {
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, text).unwrap();
        settings::load(&path).unwrap_or_else(|e| panic!("{code} {}: settings: {e}", case.name))
    });
    let key = key_json(case.key.as_ref()).map(|mut json| {
        if let Some(days) = case.key_certificate_days {
            let made = made::certificate("calm-x509-key", today(), -30, days);
            json["uaa"]["certificate"] = made.cert_pem.into();
            json["uaa"]["key"] = made.key_pem.into();
        }
        let path = dir.path().join("key.json");
        std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
        key::load(&path).unwrap_or_else(|e| panic!("{code} {}: key: {e}", case.name))
    });
    let paths = if case.no_destination_source { Vec::new() } else { vec![dest_dir.clone()] };
    // The case's JSON file named on its own is read in one streamed pass: the same destinations
    // as the general reader gives, both ways of keeping them.
    let json = dest_dir.join("destinations.json");
    if json.exists() {
        for slim in [None, Some(None)] {
            let load = |general_json_only| {
                let limits = files::Limits { general_json_only, ..files::Limits::default() };
                let loaded = files::load_paths(std::slice::from_ref(&json), &files::Walk::default(), &limits, slim.clone());
                format!("{:?}", loaded.map(|l| l.destinations).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>()))
            };
            assert_eq!(load(false), load(true), "{code} {}: the streamed JSON path changed the destinations", case.name);
        }
    }
    // Once keeping every destination whole, once as `check` loads them (out-of-scope ones
    // keep only their names): the two must give the same findings, every rule, every case.
    let named = settings.as_ref().and_then(|s| s.named_destination()).map(str::to_owned);
    // A third time through the general JSON reader only: the fast path gives the same.
    let mut runs = [(None, false), (Some(named.clone()), false), (None, true)].map(|(slim, general_json_only)| {
        // An empty destination list is what a live read of an empty subaccount gives; files
        // that hold nothing are refused by the loader (an audit never passes on nothing).
        let empty = case.destinations.as_ref().is_some_and(Vec::is_empty) && case.files.is_empty() && case.keystores.is_empty();
        let mut loaded = if empty {
            files::Loaded::default()
        } else {
            let limits = files::Limits { general_json_only, ..files::Limits::default() };
            files::load_paths(&paths, &files::Walk::default(), &limits, slim)
                .unwrap_or_else(|e| panic!("{code} {}: destinations: {e:?}", case.name))
        };
        // Keystores are opened as `check` opens them: for the in-scope destinations that name them.
        let scoped: Vec<_> = loaded.destinations.iter().filter(|d| in_scope(d, settings.as_ref())).collect();
        // No case's keystore is past a bound: every one is opened.
        let refused = certs::open_for(&mut loaded.keystores, &scoped);
        assert!(refused.is_empty(), "{code} {}: {refused:?}", case.name);
        let inputs = Inputs {
            destinations: &loaded.destinations,
            destinations_given: !case.no_destination_source,
            settings: settings.as_ref(),
            key: key.as_ref(),
            live: false,
            probe: false,
            incomplete: None,
            choices: choices(case),
            certificate_source: !loaded.keystores.is_empty(),
            keystores: &loaded.keystores,
            clock: Clock { now: today(), expiry_days: case.expiry_days.unwrap_or(30) },
            ..Default::default()
        };
        audit(Catalog::builtin(), &inputs)
    });
    assert_eq!(format!("{:?}", runs[0]), format!("{:?}", runs[1]), "{code} {}: slim loading changed the findings", case.name);
    assert_eq!(format!("{:?}", runs[0]), format!("{:?}", runs[2]), "{code} {}: the fast JSON path changed the findings", case.name);
    std::mem::take(&mut runs[0]).into_iter().filter(|f| f.code == code).collect()
}

fn choices(case: &Case) -> Choices {
    let profiles = Profiles::builtin();
    let named = |name: &str| profiles.lookup(name).unwrap_or_else(|e| panic!("case {}: {e}", case.name));
    Choices {
        run: case.profile.as_deref().map(|p| (named(p), "chosen with --profile".to_owned())),
        by_name: case.profiles.iter().map(|(glob, p)| (glob.clone(), named(p), format!("[profiles] \"{glob}\""))).collect(),
    }
}

fn check_case(code: &str, case: &Case) -> Result<(), String> {
    let all = run_case(code, case);
    let selected: Vec<&Finding> = all.iter().filter(|f| case.object.as_ref().is_none_or(|o| &f.object.name == o)).collect();
    let describe = || {
        all.iter()
            .map(|f| {
                let profile = f.profile.as_ref().map(|p| format!(" [{}]", p.name)).unwrap_or_default();
                format!("  {} on {}{profile}: {}", f.status.as_str(), f.object.name, f.message)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    // `none`: the rule does not judge the object at all (its profile leaves the rule out, or
    // the destination is recognised as a purpose that is not audited).
    if case.expect == "none" {
        return match selected.is_empty() {
            true => Ok(()),
            false => Err(format!("{code} \"{}\": expected no result; got:\n{}", case.name, describe())),
        };
    }
    if selected.is_empty() {
        return Err(format!(
            "{code} \"{}\": no result{}; got:\n{}",
            case.name,
            case.object.as_ref().map(|o| format!(" on {o}")).unwrap_or_default(),
            describe()
        ));
    }
    for f in selected {
        let profile = f.profile.as_ref().map_or("none", |p| p.name.as_str());
        let ok = f.status.as_str() == case.expect
            && case.expect_profile.as_ref().is_none_or(|p| p == profile)
            && case.severity.as_ref().is_none_or(|s| f.severity.as_str() == s)
            && case.contains.as_ref().is_none_or(|c| f.message.contains(c.as_str()));
        if !ok {
            return Err(format!(
                "{code} \"{}\": expected {}{}{}; got:\n{}",
                case.name,
                case.expect,
                case.severity.as_ref().map(|s| format!(" at {s}")).unwrap_or_default(),
                case.contains.as_ref().map(|c| format!(" containing {c:?}")).unwrap_or_default()
                    + &case.expect_profile.as_ref().map(|p| format!(" with profile {p}")).unwrap_or_default(),
                describe()
            ));
        }
    }
    Ok(())
}

fn load_cases(code: &str) -> Option<CaseFile> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules").join(format!("{code}.toml"));
    let text = std::fs::read_to_string(&path).ok()?;
    Some(toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

#[test]
fn every_rule_case_holds() {
    let mut failures = Vec::new();
    let mut count = 0;
    for rule in &Catalog::builtin().rules {
        let Some(file) = load_cases(&rule.code) else { continue };
        for case in &file.case {
            count += 1;
            if let Err(e) = check_case(&rule.code, case) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {count} rule cases failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// The catalog guards itself: codes unique and sorted (checked at load), every rule
/// documented, implemented exactly once, and with a failing and a passing case.
#[test]
fn every_rule_is_documented_implemented_and_has_fixtures() {
    let catalog = Catalog::builtin();
    assert!(catalog.rules.len() >= 32, "the catalog lost rules");
    let mut problems = Vec::new();
    for rule in &catalog.rules {
        match (&rule.check, has_code_check(&rule.code)) {
            (Some(_), true) => problems.push(format!("{}: has both a template and Rust code", rule.code)),
            (None, false) => problems.push(format!("{}: has neither a template nor Rust code", rule.code)),
            _ => {}
        }
        if rule.description.split_whitespace().count() < 20 || rule.remediation.len() < 2 || !rule.help_uri.starts_with("https://") {
            problems.push(format!("{}: thin documentation", rule.code));
        }
        let Some(file) = load_cases(&rule.code) else {
            problems.push(format!("{}: no tests/rules/{}.toml", rule.code, rule.code));
            continue;
        };
        let has = |status: &str| file.case.iter().any(|c| c.expect == status);
        let live_only = rule.requires.iter().any(|r| matches!(r, calm_audit::rules::catalog::Requirement::Live));
        // Reminders (CALM090 and up) only ever ask a person: manual when they apply.
        let reminder = rule.code.as_str() >= "CALM090";
        // CALM034 judges only destinations whose scope is unknown, and asks a person about them.
        let scope_only = rule.code == "CALM034";
        if scope_only {
            if !has("manual") || !has("none") {
                problems.push(format!("{}: needs a manual case and a case it does not judge", rule.code));
            }
        } else if live_only {
            if !has("not_applicable") {
                problems.push(format!("{}: a live rule needs a not_applicable case for offline runs", rule.code));
            }
        } else if reminder {
            if !has("manual") || !has("not_applicable") {
                problems.push(format!("{}: a reminder needs a manual and a not_applicable case", rule.code));
            }
        } else if !has("fail") || !has("pass") {
            problems.push(format!("{}: needs at least one failing and one passing case", rule.code));
        }
    }
    let codes: Vec<&str> = catalog.rules.iter().map(|r| r.code.as_str()).collect();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !codes.contains(&name.trim_end_matches(".toml")) {
            problems.push(format!("tests/rules/{name} names no rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The landscape set up exactly as SAP's page says gives no failure and no error.
#[test]
fn the_correct_setup_passes_every_rule() {
    let case = Case {
        name: "base".into(),
        expect: "pass".into(),
        severity: None,
        contains: None,
        object: None,
        destinations: None,
        files: BTreeMap::new(),
        no_destination_source: false,
        settings: None,
        key: None,
        profile: None,
        profiles: BTreeMap::new(),
        expect_profile: None,
        keystores: Vec::new(),
        expiry_days: None,
        key_certificate_days: None,
    };
    for rule in &Catalog::builtin().rules {
        for f in run_case(&rule.code, &case) {
            assert!(
                matches!(f.status.as_str(), "pass" | "not_applicable"),
                "{} on the correct setup: {} {}",
                f.code,
                f.status.as_str(),
                f.message
            );
        }
    }
}

/// The profiles guard themselves: every profile names rules of the catalog (checked at load),
/// every rule belongs to the common rules, the run's rules or at least one profile, and the
/// recognition names every profile but the fallback at least once.
#[test]
fn every_rule_belongs_to_a_profile_and_every_profile_names_existing_rules() {
    let catalog = Catalog::builtin();
    let profiles = Profiles::builtin();
    let mut problems = Vec::new();
    let listed = |code: &str| {
        profiles
            .common
            .rules
            .iter()
            .chain(&profiles.run.rules)
            .chain(&profiles.scope_unknown.rules)
            .chain(profiles.profiles.iter().flat_map(|p| &p.rules))
            .any(|c| c == code)
    };
    for rule in &catalog.rules {
        if !listed(&rule.code) {
            problems.push(format!("{} belongs to no profile (rules/profiles.toml)", rule.code));
        }
    }
    for code in profiles.common.rules.iter().chain(&profiles.run.rules).chain(profiles.profiles.iter().flat_map(|p| &p.rules)) {
        if catalog.find(code).is_none() {
            problems.push(format!("rules/profiles.toml names {code}, which the catalog does not have"));
        }
    }
    for p in &profiles.profiles {
        let recognised = profiles.recognise.iter().any(|s| s.verdict == calm_audit::rules::profiles::Verdict::Profile(p.name.clone()));
        if !recognised {
            problems.push(format!("profile {} is never recognised", p.name));
        }
    }
    // SPEC §3a names these rules for these profiles; the data must keep saying so.
    for (profile, codes) in [
        ("entitlement-management", &["CALM001", "CALM020", "CALM021", "CALM022", "CALM023", "CALM032", "CALM090"][..]),
        ("build-process-automation", &["CALM050"][..]),
        ("intelligent-rpa", &["CALM050", "CALM051"][..]),
        ("industry-cloud-ingestion", &["CALM052"][..]),
        ("omnichannel-promotion-pricing", &[][..]),
        ("order-management-foundation", &[][..]),
        ("cloud-alm-push", &[][..]),
    ] {
        let p = profiles.find(profile).unwrap_or_else(|| panic!("profile {profile} is missing"));
        assert_eq!(p.rules, codes, "{profile}");
    }
    // ... and these common rules left out, each with why.
    for (profile, codes) in
        [("omnichannel-promotion-pricing", &["CALM004"][..]), ("order-management-foundation", &["CALM004", "CALM005", "CALM012"][..])]
    {
        let p = profiles.find(profile).unwrap_or_else(|| panic!("profile {profile} is missing"));
        assert_eq!(p.leaves_out.keys().collect::<Vec<_>>(), codes, "{profile}");
    }
    for p in
        profiles.profiles.iter().filter(|p| !["omnichannel-promotion-pricing", "order-management-foundation"].contains(&p.name.as_str()))
    {
        assert!(p.leaves_out.is_empty(), "{} leaves out common rules SPEC §3a does not name", p.name);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn spec(set: &[(&str, &str)], unset: &[&str]) -> DestinationSpec {
    DestinationSpec {
        base: true,
        set: set.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        unset: unset.iter().map(|k| (*k).to_owned()).collect(),
    }
}

/// Per profile: a destination set up exactly as its service's page says gets no failure and
/// no error, and every result on it carries that profile. The pages other than Entitlement
/// Management's leave out ProxyType and tokenServiceURLType (BTP's defaults are right).
#[test]
fn a_correct_destination_of_every_profile_passes() {
    let page_defaults = ["ProxyType", "tokenServiceURLType"];
    let cases = [
        ("entitlement-management", spec(&[], &[]), true),
        ("build-process-automation", spec(&[("Name", "sap_process_automation_cloud_alm")], &page_defaults), false),
        (
            "intelligent-rpa",
            spec(&[("Name", "sap_process_automation_cloud_alm"), ("sap.processautomation.enabled", "true")], &page_defaults),
            false,
        ),
        ("industry-cloud-ingestion", spec(&[("Name", "SAP Cloud ALM"), ("systemRole", "PROD")], &page_defaults), false),
        ("omnichannel-promotion-pricing", omnichannel_page(), false),
        ("order-management-foundation", order_management_page(), false),
        ("cloud-alm-push", spec(&[("Name", "ALM_PUSH")], &page_defaults), false),
    ];
    for (profile, destination, with_settings) in cases {
        let case = Case {
            name: profile.into(),
            expect: "pass".into(),
            severity: None,
            contains: None,
            object: None,
            destinations: Some(vec![destination]),
            files: BTreeMap::new(),
            no_destination_source: false,
            settings: (!with_settings).then_some(toml::Value::Boolean(false)),
            key: None,
            profile: None,
            profiles: BTreeMap::new(),
            expect_profile: None,
            keystores: Vec::new(),
            expiry_days: None,
            key_certificate_days: None,
        };
        let mut judged = 0;
        for rule in &Catalog::builtin().rules {
            for f in run_case(&rule.code, &case) {
                assert!(
                    matches!(f.status.as_str(), "pass" | "not_applicable"),
                    "{profile}: {} {} {}",
                    f.code,
                    f.status.as_str(),
                    f.message
                );
                if f.object.kind == calm_audit::model::ObjectKind::Destination {
                    judged += 1;
                    assert_eq!(f.profile.as_ref().map(|p| p.name.as_str()), Some(profile), "{profile}: {}", f.code);
                }
            }
        }
        let p = Profiles::builtin().find(profile).unwrap();
        let expected = Catalog::builtin()
            .rules
            .iter()
            .filter(|r| {
                use calm_audit::rules::catalog::Scope;
                matches!(r.scope, Scope::Destination | Scope::Certificate) && Profiles::builtin().applies(p, &r.code)
            })
            .count();
        assert_eq!(judged, expected, "{profile}: one result per destination rule of the profile");
    }
}

/// `CALM_OPPS` as SAP Omnichannel Promotion Pricing's steps said (until March 2026): URL = the
/// key's Api without `/api` and without a trailing slash, OAuth2ClientCredentials, no
/// tokenServiceURLType.
fn omnichannel_page() -> DestinationSpec {
    spec(&[("Name", "CALM_OPPS"), ("URL", "https://acme.eu10.alm.cloud.sap")], &["tokenServiceURLType"])
}

/// `CloudALM` as SAP Order Management foundation's steps said (until May 2026): URL = the key's
/// Api as is, `/api` kept.
fn order_management_page() -> DestinationSpec {
    spec(&[("Name", "CloudALM"), ("URL", "https://acme.eu10.alm.cloud.sap/api")], &["tokenServiceURLType"])
}

fn case_of(name: &str, destinations: Vec<DestinationSpec>) -> Case {
    Case {
        name: name.into(),
        expect: "fail".into(),
        severity: None,
        contains: None,
        object: None,
        destinations: Some(destinations),
        files: BTreeMap::new(),
        no_destination_source: false,
        settings: Some(toml::Value::Boolean(false)),
        key: None,
        profile: None,
        profiles: BTreeMap::new(),
        expect_profile: None,
        keystores: Vec::new(),
        expiry_days: None,
        key_certificate_days: None,
    }
}

/// The profiles that leave common rules out judge by every rule that remains: their page's
/// destination with one thing broken fails the rule about it, and the rules they leave out
/// give no result on them whatever is broken.
#[test]
fn profiles_that_leave_rules_out_fail_the_rules_that_remain() {
    let other_tenant = |url: &str| url.replace("acme.", "acme-old.");
    let other_region = |url: &str| url.replace(".eu10.", ".us10.");
    for (profile, name, page_url) in [
        ("omnichannel-promotion-pricing", "CALM_OPPS", "https://acme.eu10.alm.cloud.sap"),
        ("order-management-foundation", "CloudALM", "https://acme.eu10.alm.cloud.sap/api"),
    ] {
        let http = page_url.replace("https:", "http:");
        // One property changed (None: removed), and the rule that must fail for it.
        let mut broken: Vec<(&str, Option<String>, &str)> = vec![
            ("Type", Some("RFC".into()), "CALM002"),
            ("ProxyType", Some("OnPremise".into()), "CALM003"),
            ("URL", Some(http), "CALM006"),
            ("Authentication", Some("BasicAuthentication".into()), "CALM007"),
            ("clientId", Some(" ".into()), "CALM008"),
            ("clientSecret", None, "CALM009"),
            ("tokenServiceURLType", Some("Common".into()), "CALM010"),
            ("tokenServiceURL", Some("https://acme.authentication.eu10.hana.ondemand.com/token".into()), "CALM011"),
            ("clientId", Some("sb-calm-other!b12|calm-api!b3".into()), "CALM013"),
            ("clientSecret", Some("another-secret-value-2".into()), "CALM014"),
            ("tokenServiceURL", Some("https://other.authentication.eu10.hana.ondemand.com/oauth/token".into()), "CALM015"),
            ("clientId", Some("sb-calm-acme!b12|calm-api!b3 ".into()), "CALM017"),
            ("tokenServiceUser", Some("someone".into()), "CALM018"),
            ("TrustAll", Some("true".into()), "CALM019"),
            ("URL", Some(other_tenant(page_url)), "CALM031"),
            ("URL", Some(other_region(page_url)), "CALM033"),
        ];
        if profile == "omnichannel-promotion-pricing" {
            // The slash is not asked for; /api left on and another tenant still fail.
            broken.push(("URL", Some(format!("{page_url}/api")), "CALM005"));
            broken.push(("URL", Some(other_tenant(page_url)), "CALM012"));
        }
        let left_out = &Profiles::builtin().find(profile).unwrap().leaves_out;
        for (property, value, code) in broken {
            let mut destination = if profile == "omnichannel-promotion-pricing" { omnichannel_page() } else { order_management_page() };
            match &value {
                Some(v) => {
                    destination.set.insert(property.to_owned(), v.clone());
                }
                None => destination.unset.push(property.to_owned()),
            }
            let change = format!("{property} = {value:?}");
            let case = case_of(&format!("{profile}: {change}"), vec![destination]);
            let results = run_case(code, &case);
            let on_it: Vec<&Finding> = results.iter().filter(|f| f.object.name == name).collect();
            assert!(
                !on_it.is_empty() && on_it.iter().all(|f| f.status.as_str() == "fail"),
                "{profile}: {change} should fail {code}: {:?}",
                on_it.iter().map(|f| (f.status.as_str(), &f.message)).collect::<Vec<_>>()
            );
            assert!(on_it.iter().all(|f| f.profile.as_ref().is_some_and(|p| p.name == profile)), "{profile} {code}");
            for gone in left_out.keys() {
                assert!(run_case(gone, &case).is_empty(), "{profile}: {gone} judged the destination though the profile leaves it out");
            }
        }
    }
}

/// SAP's own destinations near Cloud ALM are recognised and never judged, however wrong they
/// look by the push rules: `/api` kept, `Common`, no `CALM_` prefix.
#[test]
fn sap_destinations_that_are_not_audited_are_never_failed() {
    let tms = spec(
        &[
            ("Name", "TransportManagementService"),
            ("URL", "https://acme.eu10.alm.cloud.sap/api/imp-cdm-transport-management-api/v1"),
            ("sourceSystemId", "ACME"),
        ],
        &["tokenServiceURLType"],
    );
    let ftr = spec(
        &[("Name", "CALM_FTR_CTMS_A1"), ("URL", "https://ctms.cfapps.eu10.hana.ondemand.com"), ("tokenServiceURLType", "Common")],
        &[],
    );
    let dms = spec(&[("Name", "CALM_SD_DMS_INTEGRATION"), ("URL", "https://api-sdm-di.cfapps.eu10.hana.ondemand.com")], &["clientSecret"]);
    // A MAIL destination in Cloud ALM's own subaccount (eu11, cn20): no URL, no OAuth.
    let mail = DestinationSpec {
        base: false,
        set: [
            ("Name", "SAP_Business_Notifications_Mail"),
            ("Type", "MAIL"),
            ("ProxyType", "Internet"),
            ("Authentication", "BasicAuthentication"),
            ("mail.smtp.host", "smtp.example.com"),
            ("mail.smtp.port", "587"),
            ("mail.user", "notifications@example.com"),
            ("mail.password", "fixture-mail-password-1"),
            ("mail.transport.protocol", "smtp"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
        unset: Vec::new(),
    };
    // The same name on a Cloud ALM URL is in scope and still recognised as not audited.
    let mail_on_alm = spec(&[("Name", "SAP_Business_Notifications_Mail"), ("Type", "MAIL"), ("tokenServiceURLType", "Common")], &[]);
    let case = Case {
        name: "SAP's own".into(),
        expect: "pass".into(),
        severity: None,
        contains: None,
        object: None,
        destinations: Some(vec![spec(&[], &[]), tms, ftr, dms, mail, mail_on_alm]),
        files: BTreeMap::new(),
        no_destination_source: false,
        settings: None,
        key: None,
        profile: None,
        profiles: BTreeMap::new(),
        expect_profile: None,
        keystores: Vec::new(),
        expiry_days: None,
        key_certificate_days: None,
    };
    for rule in &Catalog::builtin().rules {
        for f in run_case(&rule.code, &case) {
            assert!(
                !["TransportManagementService", "CALM_FTR_CTMS_A1", "CALM_SD_DMS_INTEGRATION", "SAP_Business_Notifications_Mail"]
                    .contains(&f.object.name.as_str()),
                "{} judged {}: {} {}",
                f.code,
                f.object.name,
                f.status.as_str(),
                f.message
            );
            assert!(matches!(f.status.as_str(), "pass" | "not_applicable"), "{} on {}: {}", f.code, f.object.name, f.message);
        }
    }
}
