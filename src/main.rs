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
                let _ = output::stdout(&text);
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
            // A report standard output could not take is lost: the run says so and exits 2,
            // as for a report file that cannot be written.
            let written = output::stdout(&out.stdout).and_then(|()| match out.stream {
                Some(report) => output::stdout_with(report),
                None => Ok(()),
            });
            if let Err(e) = written {
                output::stderr_line(&format!("error: cannot write to standard output: {e}"));
                return ExitCode::from(Exit::Usage as u8);
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
