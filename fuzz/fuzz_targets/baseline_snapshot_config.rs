//! The files calm-audit reads back: baselines (its JSON or SARIF reports), snapshots, and its
//! configuration file.
#![no_main]

use calm_audit::{config, overlay::baseline, source::snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    match selector % 3 {
        0 => {
            let _ = baseline::parse(text, "baseline.json");
        }
        1 => {
            let _ = snapshot::load(text, "snapshot.json");
        }
        _ => {
            let _ = config::parse(text, "calm-audit.toml", std::path::PathBuf::new());
        }
    }
});
