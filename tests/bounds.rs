//! Bounds are errors (SPEC 2.1, issue 27): whatever a bound of the as-code readers cuts short is
//! a failed source (exit 3) naming the bound, never a pass, `manual`, `not_applicable` or scope
//! unknown; a remote module given Cloud ALM values is a failed source; a module source is shown
//! redacted. Run as a user runs the binary, and, for random bounds forced low in every reader,
//! through the library that takes them.
#![allow(clippy::disallowed_methods)] // tests write their fixtures and speak directly

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use calm_audit::source::code::bound::Bounds;
use calm_audit::source::files::{self, Limits, Walk};
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn calm(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .env_remove("VCAP_SERVICES")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run calm-audit");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {} / {}", run.stdout, run.stderr))
}

/// The JSON report's failed sources, each as `source: message`.
fn failures(report: &Value) -> Vec<String> {
    report["source_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}: {}", f["source"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect()
}

/// `n` destinations in a list, each found again per instance by scanning the list: the idiom of
/// issue 27, point 5. Every URL ends in `/api`, which CALM004's trailing slash rule fails.
fn scanned_per_instance(n: usize) -> String {
    let mut text = String::from("variable \"dests\" {\n  default = [\n");
    for i in 0..n {
        text.push_str(&format!("    {{ name = \"CALM_{i}\", url = \"https://t{i}.eu10.alm.cloud.sap/api\" }},\n"));
    }
    text.push_str(concat!(
        "  ]\n}\n",
        "resource \"btp_subaccount_destination\" \"calm\" {\n",
        "  for_each = toset([for d in var.dests : d.name])\n",
        "  name     = each.key\n",
        "  url      = [for d in var.dests : d.url if d.name == each.key][0]\n",
        "}\n",
    ));
    text
}

#[test]
fn a_scan_per_instance_over_3000_destinations_is_judged_whole() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", &scanned_per_instance(3_000));
    let run = calm(dir.path(), &["check", ".", "--format", "json", "--all-results"]);
    let report = json(&run);
    assert_eq!(run.code, 1, "judged, and the URLs fail: {}", run.stderr);
    assert_eq!(report["complete"], true, "{:?}", failures(&report));
    let results = report["results"].as_array().unwrap();
    let judged: std::collections::HashSet<&str> =
        results.iter().filter_map(|r| r["object"]["name"].as_str()).filter(|n| n.starts_with("CALM_")).collect();
    assert_eq!(judged.len(), 3_000, "every destination judged");
    assert!(!results.iter().any(|r| r["code"] == "CALM034"), "none is scope unknown");
}

#[test]
fn a_spent_evaluation_budget_is_a_failed_source_naming_the_bound_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "good/main.tf",
        "resource \"btp_subaccount_destination\" \"ok\" {\n  name = \"CALM_OK\"\n  url  = \"https://acme.eu10.alm.cloud.sap/\"\n}\n",
    );
    // Before issue 27 the budget made this URL unknown: not judged, and the run passed.
    write(
        d,
        "costly/main.tf",
        concat!(
            "locals {\n",
            "  grid = [for i in range(100000) : [for j in range(100000) : \"https://acme.eu10.alm.cloud.sap/api\"]]\n",
            "}\n",
            "resource \"btp_subaccount_destination\" \"calm\" {\n",
            "  name = \"CALM_COSTLY\"\n",
            "  url  = local.grid[0][0]\n",
            "}\n",
        ),
    );
    for args in [&["check", ".", "--format", "json"][..], &["check", "costly/main.tf", "good", "--format", "json"][..]] {
        let run = calm(d, args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        let report = json(&run);
        assert_eq!(report["complete"], false);
        let failed = failures(&report);
        assert!(failed.iter().any(|f| f.contains("costly/main.tf:2") && f.contains("budget")), "{failed:?}");
        assert!(run.stderr.contains("costly/main.tf:2") && run.stderr.contains("budget"), "{}", run.stderr);
        let results = report["results"].as_array().unwrap();
        assert!(!results.iter().any(|r| r["object"]["name"] == "CALM_COSTLY"), "nothing the bound cut is judged");
        assert!(results.iter().any(|r| r["object"]["name"] == "CALM_OK"), "the rest is audited");
    }
}

#[test]
fn a_remote_module_given_cloud_alm_values_is_a_failed_source_like_a_missing_local_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        "resource \"btp_subaccount_destination\" \"ok\" {\n  name = \"CALM_OK\"\n  url  = \"https://acme.eu10.alm.cloud.sap/\"\n}\n",
    );
    write(
        d,
        "calm.tf",
        "module \"calm\" {\n  source  = \"acme/calm-destinations/btp\"\n  version = \"1.0.0\"\n  url     = \"https://acme.eu10.alm.cloud.sap/api\"\n}\n",
    );
    let run = calm(d, &["check", ".", "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["complete"], false);
    let failed = failures(&report);
    assert!(failed.iter().any(|f| f.starts_with("./calm.tf:4") && f.contains("module.calm") && f.contains("not read")), "{failed:?}");
    // Named, the same: a module not read is a failed source, not bad input.
    assert_eq!(calm(d, &["check", "calm.tf", "main.tf"]).code, 3);
    // A missing local folder says the same, walked or named, and the rest of its file is read.
    write(
        d,
        "calm.tf",
        "module \"calm\" {\n  source = \"./modules/calm\"\n  url    = \"https://acme.eu10.alm.cloud.sap/api\"\n}\nresource \"btp_subaccount_destination\" \"beside\" {\n  name = \"CALM_BESIDE\"\n  url  = \"https://acme.eu10.alm.cloud.sap/\"\n}\n",
    );
    for args in [&["check", ".", "--format", "json"][..], &["check", "calm.tf", "--format", "json"][..]] {
        let run = calm(d, args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        let report = json(&run);
        assert!(failures(&report).iter().any(|f| f.contains("calm.tf:2") && f.contains("module.calm")), "{:?}", failures(&report));
        assert!(report["results"].as_array().unwrap().iter().any(|r| r["object"]["name"] == "CALM_BESIDE"), "{args:?}");
    }
    // Excluded, the call is left out, as SPEC 2.1 allows: the rest is judged.
    write(
        d,
        "calm.tf",
        "module \"calm\" {\n  source = \"acme/calm-destinations/btp\"\n  url    = \"https://acme.eu10.alm.cloud.sap/api\"\n}\n",
    );
    let run = calm(d, &["check", ".", "--exclude", "calm.tf", "--format", "json"]);
    assert!(run.code <= 1 && json(&run)["complete"] == true, "{}", run.stderr);
    // A remote module given nothing of Cloud ALM stays a note.
    write(d, "calm.tf", "module \"net\" {\n  source = \"acme/network/btp\"\n  cidr   = \"10.0.0.0/16\"\n}\n");
    let run = calm(d, &["check", "."]);
    assert!(run.code <= 1, "{}", run.stderr);
    assert!(run.stderr.contains("module.net comes from \"acme/network/btp\", which is not read"), "{}", run.stderr);
}

#[test]
fn module_sources_never_show_their_credentials_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        "resource \"btp_subaccount_destination\" \"ok\" {\n  name = \"CALM_OK\"\n  url  = \"https://acme.eu10.alm.cloud.sap/\"\n}\n",
    );
    let secrets =
        ["glpat-Zx81KqT3vW9mN2pL4sR7", "AKIAIOSFODNN7EXAMPLE", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"];
    write(
        d,
        "modules.tf",
        &format!(
            concat!(
                "module \"git\" {{\n  source = \"git::https://oauth2:{}@gitlab.example.com/infra/calm.git//dest?ref=v1.2.0\"\n  x = \"y\"\n}}\n",
                "module \"s3\" {{\n  source = \"s3::https://bucket.s3.eu-central-1.amazonaws.com/calm.zip?X-Amz-Credential={}%2F20260101&X-Amz-Signature={}\"\n  x = \"y\"\n}}\n",
                "module \"calm\" {{\n  source = \"git::https://oauth2:{}@gitlab.example.com/infra/calm.git\"\n  name = \"CALM_EM\"\n}}\n",
            ),
            secrets[0], secrets[1], secrets[2], secrets[0]
        ),
    );
    for format in ["json", "sarif", "table", "markdown", "junit", "html"] {
        let run = calm(d, &["check", ".", "--format", format, "-v"]);
        assert_eq!(run.code, 3, "{format}: {}", run.stderr);
        for secret in secrets {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format} shows {secret}: {}\n{}",
                run.stderr,
                run.stdout
            );
        }
        assert!(run.stderr.contains("git::https://***@gitlab.example.com/infra/calm.git//dest?ref=***"), "{}", run.stderr);
        assert!(run.stderr.contains("X-Amz-Signature=***"), "{}", run.stderr);
    }
}

/// A small xorshift generator: the property below is seeded, so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Below `n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A repository that uses what every reader bounds: YAML anchors, aliases and nesting; HCL
/// nesting and members; a JSON-syntax file; module calls two deep with `for_each`; locals
/// with `range`, `flatten`, `jsondecode`, `join` and templates; a scan per instance.
fn bounded_repository(d: &Path) {
    write(
        d,
        "mta/mta.yaml",
        concat!(
            "ID: calm.bounds\n_schema-version: \"3.1\"\nversion: 1.0.0\n",
            "parameters:\n  a0: &a0 [v, v, v, v, v, v, v, v, v, v]\n  a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n",
            "  a2: [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n",
            "resources:\n  - name: calm-destination\n    type: org.cloudfoundry.managed-service\n    parameters:\n",
            "      service: destination\n      service-plan: lite\n      config:\n        init_data:\n          subaccount:\n",
            "            existing_destinations_policy: update\n            destinations:\n",
            "              - &common\n                Name: CALM_MTA_A\n                Type: HTTP\n",
            "                URL: https://acme.eu10.alm.cloud.sap/\n                Authentication: OAuth2ClientCredentials\n",
            "                ProxyType: Internet\n                tokenServiceURLType: Dedicated\n",
            "              - <<: *common\n                Name: CALM_MTA_B\n",
            "              - <<: *common\n                Name: CALM_MTA_C\n                URL: https://acme.eu10.alm.cloud.sap/api\n",
        ),
    );
    let mut main = String::from("variable \"dests\" {\n  default = [\n");
    for i in 0..12 {
        main.push_str(&format!("    {{ name = \"CALM_TF_{i}\", url = \"https://t{i}.eu10.alm.cloud.sap/\" }},\n"));
    }
    main.push_str(concat!(
        "  ]\n}\n",
        "locals {\n",
        "  ports   = [for i in range(4) : 8080 + i]\n",
        "  nested  = flatten([[\"a\", [\"b\"]], [[\"c\"]]])\n",
        "  decoded = jsondecode(\"{\\\"uaa\\\": {\\\"url\\\": {\\\"x\\\": \\\"https://acme.authentication.eu10.hana.ondemand.com\\\"}}}\")\n",
        "  joined  = join(\"-\", local.nested)\n",
        "  deep    = { a = { b = { c = { d = { e = \"CALM_DEEP\" } } } } }\n",
        "}\n",
        "resource \"btp_subaccount_destination\" \"calm\" {\n",
        "  for_each    = toset([for d in var.dests : d.name])\n",
        "  name        = each.key\n",
        "  url         = [for d in var.dests : d.url if d.name == each.key][0]\n",
        "  description = \"${local.joined} ${local.ports[3]} ${local.decoded.uaa.url.x}\"\n",
        "}\n",
        "resource \"btp_subaccount_destination\" \"deep\" {\n",
        "  name = local.deep.a.b.c.d.e\n",
        "  url  = \"https://deep.eu10.alm.cloud.sap/\"\n",
        "}\n",
        "module \"em\" {\n",
        "  source   = \"../modules/em\"\n",
        "  for_each = { prod = \"https://p.eu10.alm.cloud.sap/\", test = \"https://t.eu10.alm.cloud.sap/\" }\n",
        "  name     = \"CALM_EM_${upper(each.key)}\"\n",
        "  url      = each.value\n",
        "}\n",
    ));
    // The modules are outside the path read: their folders are read as the calls reach them.
    write(d, "tf/root/main.tf", &main);
    write(d, "tf/root/terraform.tfvars", "# the default stands\n");
    write(
        d,
        "tf/root/extra.tf.json",
        "{\"resource\": {\"btp_subaccount_destination\": {\"json\": {\"name\": \"CALM_JSON\", \"url\": \"${local.decoded.uaa.url.x}\"}}}}\n",
    );
    write(
        d,
        "tf/modules/em/main.tf",
        concat!(
            "variable \"name\" {\n  type = string\n}\nvariable \"url\" {\n  type = string\n}\n",
            "resource \"btp_subaccount_destination\" \"this\" {\n  name = var.name\n  url  = var.url\n}\n",
            "module \"inner\" {\n  source = \"../inner\"\n  name   = \"${var.name}_INNER\"\n}\n",
        ),
    );
    write(
        d,
        "tf/modules/inner/main.tf",
        "variable \"name\" {\n  type = string\n}\nresource \"btp_subaccount_destination\" \"this\" {\n  name = var.name\n  url  = \"https://inner.eu10.alm.cloud.sap/\"\n}\n",
    );
}

/// What a run read: every destination as it was read (properties, values, lines, origin),
/// sorted; and the failed sources.
fn read(paths: &[PathBuf], bounds: Bounds) -> (Vec<String>, Vec<String>) {
    let limits = Limits { code: bounds, ..Limits::default() };
    let loaded = match files::load_paths(paths, &Walk::default(), &limits, None) {
        Ok(loaded) => loaded,
        Err(errors) => panic!("{bounds:?}: a bound must never be an input error (exit 2): {errors:?}"),
    };
    let mut destinations: Vec<String> = loaded.destinations.iter().map(|d| format!("{d:?}")).collect();
    destinations.sort();
    (destinations, loaded.failures.iter().map(|f| format!("{}: {}", f.source, f.message)).collect())
}

/// A bound at its default, or forced low: from nothing to a little more than the repository
/// above needs, so both sides of each bound are met.
fn random_bounds(rng: &mut Rng) -> Bounds {
    let d = Bounds::default();
    let mut low = |default: u64, up_to: u64| if rng.below(3) == 0 { default } else { rng.below(up_to) };
    let as_usize = |n: u64| usize::try_from(n).unwrap();
    Bounds {
        steps: low(d.steps, 500),
        steps_per_instance: low(d.steps_per_instance, 20),
        steps_cap: low(d.steps_cap, 1_000),
        values: low(d.values, 1_500),
        depth: as_usize(low(d.depth as u64, 14)),
        text: as_usize(low(d.text as u64, 120)),
        range: as_usize(low(d.range as u64, 6)),
        instances: as_usize(low(d.instances as u64, 24)),
        module_depth: as_usize(low(d.module_depth as u64, 4)),
        folders: as_usize(low(d.folders as u64, 6)),
        members: as_usize(low(d.members as u64, 12)),
        aliases: as_usize(low(d.aliases as u64, 3_000)),
    }
}

/// The property of issue 27: with random bounds forced low in every reader, a run either reads
/// exactly what it reads within the default bounds, or names a bound in a failed source (which
/// is exit 3): a bound never ends in a pass or in findings on less than the whole.
#[test]
fn random_low_bounds_never_cut_silently() {
    let dir = tempfile::tempdir().unwrap();
    bounded_repository(dir.path());
    let paths = [dir.path().join("mta"), dir.path().join("tf/root")];
    let (whole, failed) = read(&paths, Bounds::default());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(whole.len(), 3 + 12 + 1 + 1 + 2 + 2, "{whole:#?}");
    let mut rng = Rng(0x2700_2700_2700_2701);
    let (mut cut, mut kinds) = (0, std::collections::BTreeSet::new());
    for round in 0..300 {
        let bounds = random_bounds(&mut rng);
        let (destinations, failed) = read(&paths, bounds);
        if failed.is_empty() {
            assert_eq!(destinations, whole, "round {round}, {bounds:?}: read differently, and no bound named");
            continue;
        }
        cut += 1;
        for f in &failed {
            assert!(f.contains("stopped by the "), "round {round}, {bounds:?}: a failure that names no bound: {f}");
            kinds.insert(f.split("stopped by the ").nth(1).and_then(|r| r.split(" (").next()).unwrap_or_default().to_owned());
        }
        // What was kept was read whole: each is one of the destinations of the full run.
        for d in &destinations {
            assert!(whole.contains(d), "round {round}, {bounds:?}: a destination the full run does not have: {d}");
        }
    }
    assert!(cut > 100, "the bounds were low enough to be reached: {cut} of 300");
    for kind in [
        "expression budget",
        "value budget",
        "nesting depth",
        "text bound",
        "range() bound",
        "expansion bound",
        "module nesting depth",
        "folder bound",
        "member count",
        "YAML alias expansion bound",
    ] {
        assert!(kinds.contains(kind), "{kind} was never reached: {kinds:?}");
    }
}
