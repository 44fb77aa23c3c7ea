//! The destination service instance key, as a file and inside VCAP_SERVICES.
#![no_main]

use calm_audit::source::live::key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = key::parse(text, "destination-key.json");
    let _ = key::resolve(None, None, Some(text.to_owned()));
});
