use std::process::ExitCode;

use calm_audit::cli::{self, Cli, Exit};
use calm_audit::output;
use clap::Parser;

fn main() -> ExitCode {
    // Clap's own help, version and usage errors leave through the one writer too.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            if e.use_stderr() {
                output::stderr_text(&text);
            } else {
                output::stdout(&text);
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    cli::exit_after_run();
    match cli::run(cli) {
        Ok(out) => {
            for line in &out.stderr {
                output::stderr_line(line);
            }
            output::stdout(&out.stdout);
            if let Some(report) = out.stream {
                output::stdout_with(report);
            }
            ExitCode::from(out.exit as u8)
        }
        Err(e) => {
            for line in e.lines() {
                output::stderr_line(&format!("error: {line}"));
            }
            ExitCode::from(Exit::Usage as u8)
        }
    }
}
