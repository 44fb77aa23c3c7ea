#![allow(clippy::disallowed_macros)] // the one place that writes to the terminal

use std::io::Write;
use std::process::ExitCode;

use calm_audit::cli::{self, Cli, Exit};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::exit_after_run();
    match cli::run(cli) {
        Ok(output) => {
            for line in &output.stderr {
                eprintln!("calm-audit: {line}");
            }
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(output.stdout.as_bytes()).and_then(|()| stdout.flush()).is_err() {
                // A closed pipe (`| head`) is not the audit's failure; keep the audit's verdict.
            }
            ExitCode::from(output.exit as u8)
        }
        Err(e) => {
            for line in e.to_string().lines() {
                eprintln!("calm-audit: error: {line}");
            }
            ExitCode::from(Exit::Usage as u8)
        }
    }
}
