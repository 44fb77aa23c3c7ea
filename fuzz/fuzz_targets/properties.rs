//! The Java-properties parser on arbitrary bytes: decode, then parse.
#![no_main]

use calm_audit::source::properties;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = properties::decode(data)
        && let Ok(parsed) = properties::parse(&text)
    {
        // Every entry's line is within the text; `\n`, `\r\n` and a lone `\r` each end a line.
        let terminators = text.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r')).count();
        let lines = u32::try_from(terminators + 1).unwrap_or(u32::MAX);
        for e in &parsed.entries {
            assert!(e.line >= 1 && e.line <= lines.max(1));
        }
    }
});
