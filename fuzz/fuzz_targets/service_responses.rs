//! What the Destination Service sends back: token answers, list pages, Link headers, find answers.
#![no_main]

use calm_audit::source::live::{next_page, parse_find, parse_page, parse_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else { return };
    match selector % 4 {
        0 => {
            let _ = parse_token(body);
        }
        1 => {
            let _ = parse_page("application/json", body, 1000, "destinations");
        }
        2 => {
            if let Ok(link) = std::str::from_utf8(body) {
                let _ = next_page(link);
            }
        }
        _ => {
            let _ = parse_find(body);
        }
    }
});
