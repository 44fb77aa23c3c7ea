//! MTA deployment and extension descriptors: the input is split at the first NUL byte into a
//! descriptor and an extension, both read together as one run reads them. Never a panic; every
//! destination points at a line that exists in the file it names.
#![no_main]

use calm_audit::source::code::mta;
use libfuzzer_sys::fuzz_target;

/// Lines as YAML (and an editor) counts them: a line break is CR LF, a lone CR or LF.
fn yaml_lines(text: &str) -> usize {
    text.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r')).count() + 1
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (descriptor, extension) = text.split_once('\0').unwrap_or((text, ""));
    let mut files = vec![("mta.yaml", descriptor)];
    if !extension.is_empty() {
        files.push(("prod.mtaext", extension));
    }
    let lines = |path: &str| files.iter().find(|(p, _)| *p == path).map_or(0, |(_, t)| yaml_lines(t));
    match mta::read(&files) {
        Ok(destinations) => {
            for d in &destinations {
                for p in &d.properties {
                    let line = usize::try_from(p.line.unwrap_or(1)).unwrap_or(usize::MAX);
                    assert!(line >= 1 && line <= lines(d.path_of(&p.key)), "{}:{line}", d.path_of(&p.key));
                }
            }
        }
        Err(e) => assert!(files.iter().any(|(p, _)| *p == e.path), "an error names one of the files"),
    }
});
