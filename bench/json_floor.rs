//! The floor the offline benchmark compares `check` against: read the file and parse it with
//! serde_json into `Vec<HashMap<String, String>>`, nothing else.

// A stand-alone benchmark program: it speaks on its own standard streams.
#![allow(clippy::disallowed_macros)]

use std::collections::HashMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: json-floor FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    match serde_json::from_str::<Vec<HashMap<String, String>>>(&text) {
        Ok(destinations) => {
            println!("{}", destinations.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::from(2)
        }
    }
}
