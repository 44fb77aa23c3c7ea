//! Writes a synthetic landscape for the benchmarks.
//!
//! `gen-landscape N --json FILE` writes a JSON array of N destinations;
//! `gen-landscape N --properties DIR` writes a folder of N properties exports;
//! `--wrapped FILE` writes `{"destinations": [...]}`, `--init-data FILE` a `config.json` with
//! the first half on the subaccount level and the rest on the instance level;
//! `--in-scope FILE` writes a JSON array of N Cloud ALM destinations, every one in scope.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

// A stand-alone benchmark program: it speaks on its own standard streams.
#![allow(clippy::disallowed_macros)]

#[path = "landscape.rs"]
mod landscape;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen-landscape N (--json FILE | --wrapped FILE | --init-data FILE | --properties DIR | --in-scope FILE)";
    let (Some(n), Some(flag), Some(out)) = (args.first().and_then(|a| a.parse::<usize>().ok()), args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let destinations = if flag == "--in-scope" { landscape::generate_in_scope(n) } else { landscape::generate(n) };
    let out = PathBuf::from(out);
    let written = match flag.as_str() {
        "--in-scope" => std::fs::write(&out, landscape::to_json(&destinations)),
        "--json" => std::fs::write(&out, landscape::to_json(&destinations)),
        "--wrapped" => std::fs::write(&out, landscape::to_json_wrapped(&destinations)),
        "--init-data" => std::fs::write(&out, landscape::to_init_data(&destinations)),
        "--properties" => landscape::write_properties_dir(&destinations, &out),
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
