//! Files found by walking a folder, and standard input: whatever they hold, a walk never stops
//! the run and never panics; a file that fails leaves nothing half-read behind; messages carry
//! no URL query value.
#![no_main]

use calm_audit::model::url::redact_urls_in;
use calm_audit::source::files::{Limits, Loaded, load_stdin_bytes, load_walked_bytes};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = ["CALM_A.json", "export.txt", "dest.yaml", "CALM_B.properties", "exports.zip", "README"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let limits = Limits { max_file_bytes: 1 << 20, max_zip_entries: 64, max_zip_total_bytes: 4 << 20, ..Limits::default() };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let walked = load_walked_bytes(name, bytes, &limits);
    if !walked.failures.is_empty() && !name.ends_with(".zip") {
        assert!(walked.destinations.is_empty(), "a failed file leaves no destination behind");
        assert_eq!(walked.files_read, 0);
    }
    let mut stdin = Loaded::default();
    let _ = load_stdin_bytes(bytes, &limits, &mut stdin);
    let text = String::from_utf8_lossy(bytes);
    let _ = redact_urls_in(&text);
});
