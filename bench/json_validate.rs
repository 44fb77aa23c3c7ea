//! The validation-only floor the offline targets compare `check` against: read the file and
//! check that it is well-formed JSON with serde_json (`serde::de::IgnoredAny`), building
//! nothing. No program that reads the file as JSON can be faster than this by much.

// A stand-alone benchmark program: it speaks on its own standard streams.
#![allow(clippy::disallowed_macros)]

use std::process::ExitCode;

use serde::de::IgnoredAny;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: json-validate FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    match serde_json::from_str::<IgnoredAny>(&text) {
        Ok(IgnoredAny) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::from(2)
        }
    }
}
