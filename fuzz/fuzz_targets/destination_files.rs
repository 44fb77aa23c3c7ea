//! Every destination file shape (properties, JSON, YAML, snapshots, by name), then the whole
//! rule catalog over what loaded: neither loading nor any rule may panic.
#![no_main]

use calm_audit::rules::{Catalog, Inputs, audit};
use calm_audit::source::files::{Limits, load_bytes};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 4] = ["export.properties", "destinations.json", "destinations.yaml", "export"];

fuzz_target!(|data: &[u8]| {
    let Some((selector, content)) = data.split_first() else { return };
    let name = NAMES[usize::from(*selector) % NAMES.len()];
    if let Ok(loaded) = load_bytes(name, content, &Limits::default()) {
        let inputs = Inputs {
            destinations: &loaded.destinations,
            destinations_given: true,
            settings: None,
            key: None,
            live: loaded.live,
            probe: loaded.probe,
            incomplete: None,
            scoped_cache: Default::default(),
        };
        let findings = audit(Catalog::builtin(), &inputs);
        for f in &findings {
            assert!(f.location.line >= 1);
        }
    }
});
