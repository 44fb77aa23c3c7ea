use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{CliError, Exit, Output, write_atomically};
use crate::model::Severity;
use crate::report::{Coverage, Format, Options, Report};
use crate::rules::{Catalog, Inputs, audit, in_scope};
use crate::source::{files, key, settings};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Destination files or folders: cockpit exports (.properties, .props, .txt, no extension),
    /// JSON or YAML, config.json with init_data, zip archives. Folders are walked recursively.
    pub paths: Vec<PathBuf>,
    /// Entitlement Management settings (TOML or JSON).
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// SAP Cloud ALM service key (JSON, often saved as .txt).
    #[arg(long, value_name = "FILE")]
    pub calm_key: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity of a failure that makes the exit code 1.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Also show pass and not_applicable results in the table and SARIF (JSON always has all).
    #[arg(long)]
    pub all_results: bool,
}

pub fn run(args: CheckArgs) -> Result<Output, CliError> {
    if args.paths.is_empty() && args.settings.is_none() && args.calm_key.is_none() {
        return Err(CliError::Usage("nothing to audit: give destination files or folders, --settings or --calm-key".into()));
    }
    let settings = args.settings.as_deref().map(settings::load).transpose()?;
    let key = args.calm_key.as_deref().map(key::load).transpose()?;
    let exclude: Vec<PathBuf> = args.settings.iter().chain(&args.calm_key).cloned().collect();
    let loaded = files::load_paths(&args.paths, &exclude)?;

    let inputs = Inputs {
        destinations: &loaded.destinations,
        destinations_given: !args.paths.is_empty(),
        settings: settings.as_ref(),
        key: key.as_ref(),
        live: false,
        probe: false,
    };
    let catalog = Catalog::builtin();
    let findings = audit(catalog, &inputs);
    let coverage = Coverage {
        files_read: loaded.files_read,
        files_skipped: loaded.skipped.clone(),
        destinations_found: loaded.destinations.len(),
        destinations_in_scope: loaded.destinations.iter().filter(|d| in_scope(d, settings.as_ref())).count(),
        settings: settings.as_ref().map(|s| s.path.clone()),
        cloud_alm_key: key.as_ref().map(|k| k.path.clone()),
    };
    let color = use_color(args.output.is_none() && std::io::stdout().is_terminal(), std::env::var_os("NO_COLOR"));
    let options = Options { all_results: args.all_results, color, fail_on: args.fail_on.threshold() };
    let report = Report { catalog, findings, coverage, failures: Vec::new(), options };

    let text = report.render(args.format);
    let mut stderr = Vec::new();
    for skipped in &report.coverage.files_skipped {
        stderr.push(format!("skipped {skipped}: not a destination file type"));
    }
    let stdout = match &args.output {
        Some(path) => {
            write_atomically(path, &text)?;
            stderr.push(format!("wrote {}", path.display()));
            String::new()
        }
        None => text,
    };
    if report.coverage.destinations_in_scope == 0 && !args.paths.is_empty() {
        stderr.push(format!("warning: none of the {} destination(s) read is a Cloud ALM destination", report.coverage.destinations_found));
    }
    Ok(Output { stdout, stderr, exit: exit_for(&report) })
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to something (no-color.org).
fn use_color(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// SPEC §5: 3 (incomplete) wins over 1 (findings at or above --fail-on).
pub fn exit_for(report: &Report) -> Exit {
    if !report.complete() {
        Exit::Incomplete
    } else if report.failing() > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Location, ObjectKind, ObjectRef, Status};
    use crate::report::SourceFailure;

    fn report(statuses: &[(Status, Severity)], failures: usize, fail_on: Option<Severity>) -> Report {
        let findings = statuses
            .iter()
            .map(|(status, severity)| Finding {
                code: "CALM004",
                rule: "destination-url-trailing-slash",
                status: *status,
                severity: *severity,
                object: ObjectRef { kind: ObjectKind::Destination, name: "CALM_A".into(), qualified_name: "a.json:1".into(), level: None },
                property: None,
                message: String::new(),
                location: Location { path: "a.json".into(), line: 1 },
            })
            .collect();
        let failures = (0..failures).map(|i| SourceFailure { source: format!("page {i}"), message: "timed out".into() }).collect();
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage::default(),
            failures,
            options: Options { all_results: false, color: false, fail_on },
        }
    }

    #[test]
    fn exit_codes_follow_the_spec() {
        use Severity::{Error as E, Note as N, Warning as W};
        use Status::{Error as Err, Fail, Manual, Pass};
        assert_eq!(exit_for(&report(&[(Pass, E)], 0, Some(E))), Exit::Clean);
        assert_eq!(exit_for(&report(&[(Fail, W)], 0, Some(E))), Exit::Clean);
        assert_eq!(exit_for(&report(&[(Fail, W)], 0, Some(W))), Exit::Findings);
        assert_eq!(exit_for(&report(&[(Fail, W)], 0, Some(N))), Exit::Findings);
        assert_eq!(exit_for(&report(&[(Fail, E)], 0, None)), Exit::Clean);
        assert_eq!(exit_for(&report(&[(Manual, E)], 0, Some(N))), Exit::Clean);
        // An incomplete audit is never a pass, and 3 wins over 1.
        assert_eq!(exit_for(&report(&[(Pass, E)], 1, Some(E))), Exit::Incomplete);
        assert_eq!(exit_for(&report(&[(Fail, E)], 1, Some(E))), Exit::Incomplete);
        assert_eq!(exit_for(&report(&[(Err, E)], 0, None)), Exit::Incomplete);
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_color(true, None));
        assert!(use_color(true, Some("".into())));
        assert!(!use_color(true, Some("1".into())));
        assert!(!use_color(false, None));
    }
}
