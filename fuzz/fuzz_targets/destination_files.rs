//! Every destination file shape (properties, JSON, YAML, snapshots, by name), then the whole
//! rule catalog over what loaded: neither loading nor any rule may panic, and loading as
//! `check` does (only the names of destinations out of scope) must not change a finding, and
//! the fast JSON path (`source::flat_json`) must give exactly what the general reader gives,
//! read in one pass or by two threads from the two halves of a file.
#![no_main]

use calm_audit::model::Finding;
use calm_audit::rules::{Catalog, Inputs, audit};
use calm_audit::source::Keep;
use calm_audit::source::files::{Limits, Loaded, load_bytes, load_bytes_slim};
use calm_audit::source::flat_json;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 4] = ["export.properties", "destinations.json", "destinations.yaml", "export"];

fn name_is_json(selector: u8) -> bool {
    NAMES[usize::from(selector) % NAMES.len()].ends_with(".json")
}

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

/// The fast path over `content` in one pass and from a file split in two (whatever its size).
fn split_read_agrees(content: &[u8]) {
    let path = std::env::temp_dir().join(format!("calm-audit-fuzz-split-{}.json", std::process::id()));
    std::fs::write(&path, content).expect("scratch file");
    let file = std::fs::File::open(&path).expect("scratch file");
    for keep in [Keep::All, Keep::CloudAlm { named: None }] {
        let (mut split, mut whole) = (Vec::new(), Vec::new());
        let split_read = flat_json::destinations_from_file(&file, u64::MAX, "f.json", keep, &mut split, 0);
        let whole_read = flat_json::destinations_from(content, u64::MAX, "f.json", keep, &mut whole);
        assert_eq!(split_read, whole_read);
        assert_eq!(format!("{split:?}"), format!("{whole:?}"));
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, content)) = data.split_first() else { return };
    if name_is_json(*selector) {
        split_read_agrees(content);
    }
    let name = NAMES[usize::from(*selector) % NAMES.len()];
    let general = Limits { general_json_only: true, ..Limits::default() };
    for slim in [None, Some(None)] {
        match (load_bytes_slim(name, content, &Limits::default(), slim.clone()), load_bytes_slim(name, content, &general, slim)) {
            (Ok(fast), Ok(slow)) => {
                assert_eq!(format!("{:?}", fast.destinations), format!("{:?}", slow.destinations));
                assert_eq!(format!("{:?}", findings(&fast)), format!("{:?}", findings(&slow)));
            }
            (Err(fast), Err(slow)) => assert_eq!(fast.to_string(), slow.to_string()),
            (fast, slow) => panic!("fast path {:?}, general reader {:?}", fast.err(), slow.err()),
        }
    }
    if let Ok(whole) = load_bytes(name, content, &Limits::default()) {
        let all = findings(&whole);
        for f in &all {
            assert!(f.location.line >= 1);
        }
        let slim = load_bytes_slim(name, content, &Limits::default(), Some(None)).expect("loads whole, so loads slim");
        assert_eq!(format!("{all:?}"), format!("{:?}", findings(&slim)));
    }
});
