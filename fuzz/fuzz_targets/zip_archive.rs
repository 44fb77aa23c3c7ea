//! Zip archives of exports, with small limits so that bombs are refused quickly.
#![no_main]

use calm_audit::source::files::{Limits, load_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_file_bytes: 1 << 20, max_zip_entries: 64, max_zip_total_bytes: 4 << 20, ..Limits::default() };
    let _ = load_bytes("exports.zip", data, &limits);
});
