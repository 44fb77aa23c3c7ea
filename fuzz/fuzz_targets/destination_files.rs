//! Every destination file shape (properties, JSON, YAML, snapshots, by name), then the whole
//! rule catalog over what loaded: neither loading nor any rule may panic, and loading as
//! `check` does (only the names of destinations out of scope) must not change a finding.
#![no_main]

use calm_audit::model::Finding;
use calm_audit::rules::{Catalog, Inputs, audit};
use calm_audit::source::files::{Limits, Loaded, load_bytes, load_bytes_slim};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 4] = ["export.properties", "destinations.json", "destinations.yaml", "export"];

fn findings(loaded: &Loaded) -> Vec<Finding> {
    let inputs = Inputs {
        destinations: &loaded.destinations,
        destinations_given: true,
        settings: None,
        key: None,
        live: loaded.live,
        probe: loaded.probe,
        incomplete: None,
        ..Default::default()
    };
    audit(Catalog::builtin(), &inputs)
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, content)) = data.split_first() else { return };
    let name = NAMES[usize::from(*selector) % NAMES.len()];
    if let Ok(whole) = load_bytes(name, content, &Limits::default()) {
        let all = findings(&whole);
        for f in &all {
            assert!(f.location.line >= 1);
        }
        let slim = load_bytes_slim(name, content, &Limits::default(), Some(None)).expect("loads whole, so loads slim");
        assert_eq!(format!("{all:?}"), format!("{:?}", findings(&slim)));
    }
});
