//! Files found by walking a folder, and standard input: whatever they hold, a walk never stops
//! the run and never panics; a file that fails leaves nothing half-read behind; messages carry
//! no URL query value. The same bytes are also tried as Windows writes them (UTF-16 and UTF-32
//! with a byte-order mark), with a NUL byte, inside a zip with two entries of one name, and as
//! the ignore files of a small tree, where no file may be dropped without being counted.
#![no_main]
#![allow(clippy::disallowed_methods)] // the tree is written to a scratch folder

use calm_audit::model::url::redact_urls_in;
use calm_audit::source::files::{Limits, Loaded, Walk, load_paths, load_stdin_bytes, load_walked_bytes};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = ["CALM_A.json", "export.txt", "dest.yaml", "CALM_B.properties", "exports.zip", "README"];

fn utf16le(text: &str) -> Vec<u8> {
    [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
}

fn utf32be(text: &str) -> Vec<u8> {
    [0, 0, 0xFE, 0xFF].into_iter().chain(text.chars().flat_map(|c| u32::from(c).to_be_bytes())).collect()
}

/// A stored zip of two entries both named `dest.json`, written by hand (local headers, central
/// directory, end record), as some exporters leave them.
fn duplicate_zip(a: &[u8], b: &[u8]) -> Vec<u8> {
    let name = b"dest.json";
    let mut out = Vec::new();
    let mut central = Vec::new();
    for data in [a, b] {
        let offset = u32::try_from(out.len()).unwrap_or(0);
        let crc = crc32(data);
        let size = u32::try_from(data.len()).unwrap_or(0);
        let header = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(0u16.to_le_bytes()); // stored
            h.extend(0u32.to_le_bytes()); // time, date
            h.extend(crc.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend(u16::try_from(name.len()).unwrap_or(0).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend([0u8; 8]); // comment, disk, internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name);
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = u32::try_from(out.len()).unwrap_or(0);
    let cd_size = u32::try_from(central.len()).unwrap_or(0);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(2u16.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn check_walked(name: &str, bytes: &[u8], limits: &Limits) {
    let walked = load_walked_bytes(name, bytes, limits);
    if !walked.failures.is_empty() && !name.ends_with(".zip") {
        assert!(walked.destinations.is_empty(), "a failed file leaves no destination behind");
        assert_eq!(walked.files_read, 0);
    }
}

/// A tree whose `.gitignore` (inside a work tree) and `.ignore` hold the input: every file is
/// read, skipped, ignored (itself or its folder) or a failed source, never silently dropped.
fn check_ignore_rules(rules: &str, limits: &Limits) {
    let dir = std::env::temp_dir().join(format!("calm-audit-fuzz-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = ["a/CALM_A.properties", "a/b/CALM_B.properties", "c/CALM_C.properties"];
    let written = std::fs::create_dir_all(dir.join(".git")).is_ok()
        && std::fs::create_dir_all(dir.join("a/b")).is_ok()
        && std::fs::create_dir_all(dir.join("c")).is_ok()
        && std::fs::write(dir.join(".gitignore"), rules).is_ok()
        && std::fs::write(dir.join("a/.ignore"), rules.lines().rev().collect::<Vec<_>>().join("\n")).is_ok()
        && files.iter().all(|f| std::fs::write(dir.join(f), "Name=CALM_X\nURL=https\\://a.eu10.alm.cloud.sap/\n").is_ok());
    if written {
        let walk = Walk::default();
        let accounted = |loaded: &Loaded, file: &str| {
            let seen = |p: &str| p.ends_with(file) || file.split('/').scan(String::new(), |acc, part| {
                acc.push_str(part);
                acc.push('/');
                Some(acc.clone())
            }).any(|folder| p.contains(&format!("{}/ (a folder)", folder.trim_end_matches('/'))));
            loaded.destinations.iter().any(|d| d.origin.path.ends_with(file))
                || loaded.skipped.iter().any(|s| seen(&s.path))
                || loaded.ignored.iter().any(|s| seen(&s.path))
                || loaded.failures.iter().any(|f| f.source.contains(file))
        };
        match load_paths(&[dir.clone()], &walk, limits, None) {
            Ok(loaded) => {
                for file in files {
                    assert!(accounted(&loaded, file), "{file} was dropped without being counted (rules {rules:?})");
                }
            }
            // Everything ignored: the folder yields nothing, which is an error naming it.
            Err(errors) => assert!(!errors.is_empty()),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let limits = Limits { max_file_bytes: 1 << 20, max_zip_entries: 64, max_zip_total_bytes: 4 << 20, ..Limits::default() };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let text = String::from_utf8_lossy(bytes);
    match pick / 8 % 6 {
        0 => check_walked(name, bytes, &limits),
        1 => check_walked(name, &utf16le(&text), &limits),
        2 => check_walked(name, &utf32be(&text), &limits),
        3 => {
            let mut with_nul = bytes.to_vec();
            with_nul.insert(with_nul.len() / 2, 0);
            check_walked(name, &with_nul, &limits);
        }
        4 => {
            let (a, b) = bytes.split_at(bytes.len() / 2);
            check_walked("exports.zip", &duplicate_zip(a, b), &limits);
        }
        _ => check_ignore_rules(&text, &limits),
    }
    let mut stdin = Loaded::default();
    let _ = load_stdin_bytes(bytes, &limits, &mut stdin);
    let _ = redact_urls_in(&text);
});
