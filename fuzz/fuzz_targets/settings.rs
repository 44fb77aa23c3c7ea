//! The settings file, as TOML and as JSON.
#![no_main]

use calm_audit::source::settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = settings::parse(text, "settings.toml", false);
    let _ = settings::parse(text, "settings.json", true);
});
