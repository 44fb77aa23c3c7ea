//! The SAP Cloud ALM service key (JSON, maybe after cf CLI lines, maybe wrapped in credentials).
#![no_main]

use calm_audit::source::key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(k) = key::parse(text, "calm-key.txt") {
        let _ = k.expected_destination_url();
        let _ = k.expected_token_url(false);
        let _ = k.expected_token_url(true);
    }
});
