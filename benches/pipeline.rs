//! In-process benchmarks of each stage, on synthetic landscapes from `bench/landscape.rs`:
//! loading (a JSON array, a folder of properties exports), the rule catalog, the reports, and
//! reading one page of a live list call. `cargo bench --bench pipeline`; the whole-process
//! targets are in `bench/perf.py` (docs/performance.md).
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

#[path = "../bench/landscape.rs"]
mod landscape;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use calm_audit::report::{Coverage, Format, Options, Report, RunInfo};
use calm_audit::rules::{Catalog, Inputs, audit};
use calm_audit::source::files::{Limits, Walk, load_paths};
use calm_audit::source::{key, live, settings};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const JSON_DESTINATIONS: usize = 20_000;
const FOLDER_FILES: usize = 1_000;

fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/criterion-data");
    std::fs::create_dir_all(&dir).expect("create target/bench/criterion-data");
    dir
}

fn bench_data() -> (PathBuf, PathBuf) {
    let dir = data_dir();
    let json = dir.join(format!("landscape-{JSON_DESTINATIONS}.json"));
    if !json.exists() {
        std::fs::write(&json, landscape::to_json(&landscape::generate(JSON_DESTINATIONS))).expect("write JSON landscape");
    }
    let folder = dir.join(format!("landscape-{FOLDER_FILES}-properties"));
    if !folder.exists() {
        landscape::write_properties_dir(&landscape::generate(FOLDER_FILES), &folder).expect("write properties folder");
    }
    (json, folder)
}

fn inputs_files() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    (root.join("bench/data/settings.toml"), root.join("bench/data/calm-service-key.txt"))
}

fn loading(c: &mut Criterion) {
    let (json, folder) = bench_data();
    let (settings_path, _) = inputs_files();
    let named = settings::load(&settings_path).expect("settings").named_destination().map(str::to_owned);
    let limits = Limits::default();
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.throughput(Throughput::Elements(JSON_DESTINATIONS as u64));
    group.bench_function(BenchmarkId::new("json_array", "as check loads (names only out of scope)"), |b| {
        b.iter(|| {
            load_paths(black_box(std::slice::from_ref(&json)), &Walk::default(), &limits, Some(named.clone()))
                .map_err(|e| format!("{e:?}"))
                .expect("load")
        })
    });
    group.bench_function(BenchmarkId::new("json_array", "every property kept (snapshots)"), |b| {
        b.iter(|| {
            load_paths(black_box(std::slice::from_ref(&json)), &Walk::default(), &limits, None).map_err(|e| format!("{e:?}")).expect("load")
        })
    });
    group.throughput(Throughput::Elements(FOLDER_FILES as u64));
    group.bench_function(BenchmarkId::new("properties_folder", FOLDER_FILES), |b| {
        b.iter(|| {
            load_paths(black_box(std::slice::from_ref(&folder)), &Walk::default(), &limits, Some(named.clone()))
                .map_err(|e| format!("{e:?}"))
                .expect("load")
        })
    });
    group.finish();
}

fn auditing_and_reports(c: &mut Criterion) {
    let (json, _) = bench_data();
    let (settings_path, key_path) = inputs_files();
    let settings = settings::load(&settings_path).expect("settings");
    let key = key::load(&key_path).expect("key");
    let named = settings.named_destination().map(str::to_owned);
    let loaded = load_paths(std::slice::from_ref(&json), &Walk::default(), &Limits::default(), Some(named))
        .map_err(|e| format!("{e:?}"))
        .expect("load");
    let inputs = || Inputs {
        destinations: &loaded.destinations,
        destinations_given: true,
        settings: Some(&settings),
        key: Some(&key),
        live: false,
        probe: false,
        incomplete: None,
        ..Default::default()
    };
    let mut group = c.benchmark_group("audit");
    group.throughput(Throughput::Elements(JSON_DESTINATIONS as u64));
    group.bench_function("whole_catalog", |b| b.iter(|| audit(Catalog::builtin(), black_box(&inputs()))));
    group.finish();

    let findings = audit(Catalog::builtin(), &inputs());
    let report = Report {
        catalog: Catalog::builtin(),
        findings,
        coverage: Coverage { files_read: 1, destinations_found: JSON_DESTINATIONS, ..Coverage::default() },
        failures: Vec::new(),
        options: Options { all_results: true, ..Options::default() },
        targets: Vec::new(),
        waiver_notes: Vec::new(),
        baseline: None,
        not_audited: Vec::new(),
        run: RunInfo::default(),
        partial: Vec::new(),
        certificates: Vec::new(),
    };
    let mut group = c.benchmark_group("report");
    group.sample_size(20);
    group.throughput(Throughput::Elements(report.findings.len() as u64));
    for (name, format) in [
        ("table", Format::Table),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("junit", Format::Junit),
        ("markdown", Format::Markdown),
    ] {
        group.bench_function(BenchmarkId::new("all_results", name), |b| b.iter(|| black_box(&report).render(format)));
    }
    group.finish();
}

/// One destination object of `n` keys in JSON and YAML, and the bound scan of a Terraform file
/// of `n` object members: the time per key stays flat from 25,000 to 100,000 keys when no step
/// is quadratic (docs/performance.md).
fn many_keys(c: &mut Criterion) {
    use calm_audit::source::files::load_bytes;
    let mut group = c.benchmark_group("keys");
    group.sample_size(10);
    for n in [25_000usize, 100_000] {
        let mut json = String::from("[{\"Name\": \"CALM_BIG\", \"URL\": \"https://acme.eu10.alm.cloud.sap/\"");
        let mut yaml = String::from("- Name: CALM_BIG\n  URL: https://acme.eu10.alm.cloud.sap/\n");
        let mut hcl = String::from("locals {\n  big = {\n");
        for i in 0..n {
            json.push_str(&format!(", \"k{i}\": \"v\""));
            yaml.push_str(&format!("  k{i}: v\n"));
            hcl.push_str(&format!("    k{i} = \"v\"\n"));
        }
        json.push_str("}]");
        hcl.push_str("  }\n}\n");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("json_object", n), |b| {
            b.iter(|| load_bytes("big.json", black_box(json.as_bytes()), &Limits::default()).map(|l| l.destinations.len()).expect("json"))
        });
        group.bench_function(BenchmarkId::new("yaml_mapping", n), |b| {
            b.iter(|| load_bytes("big.yaml", black_box(yaml.as_bytes()), &Limits::default()).map(|l| l.destinations.len()).expect("yaml"))
        });
        group.bench_function(BenchmarkId::new("hcl_bound_scan", n), |b| {
            b.iter(|| calm_audit::source::code::hcl_bound::oversized_object(black_box(&hcl)))
        });
    }
    group.finish();
}

fn live_page(c: &mut Criterion) {
    let page = landscape::to_json(&landscape::generate(1_000));
    let mut group = c.benchmark_group("live");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("parse_page_of_1000", |b| {
        b.iter(|| live::parse_page("application/json", black_box(page.as_bytes()), 1000, "destinations").expect("page").len())
    });
    group.finish();
}

criterion_group!(benches, loading, auditing_and_reports, many_keys, live_page);
criterion_main!(benches);
