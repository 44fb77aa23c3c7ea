use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::sources::{Gathered, SourceArgs, gather};
use super::{CliError, Exit, Output, write_atomically};
use crate::model::Severity;
use crate::report::{Coverage, Format, Options, Report};
use crate::rules::{Catalog, Inputs, audit, in_scope};
use crate::source::snapshot;

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
    #[command(flatten)]
    pub sources: SourceArgs,
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
    /// Also save what was read as a snapshot (secrets replaced by digests) to FILE.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,
}

pub fn run(args: CheckArgs) -> Result<Output, CliError> {
    let g = gather(&args.sources)?;
    let mut stderr = Vec::new();
    if let Some(path) = &args.save_snapshot {
        write_atomically(path, &snapshot_text(&g)?)?;
        stderr.push(format!("wrote snapshot {}", path.display()));
    }
    let incomplete =
        (!g.failures.is_empty()).then(|| g.failures.iter().map(|f| format!("{}: {}", f.source, f.message)).collect::<Vec<_>>().join("; "));
    let inputs = Inputs {
        destinations: &g.destinations,
        destinations_given: g.destinations_given,
        settings: g.settings.as_ref(),
        key: g.key.as_ref(),
        live: g.live,
        probe: g.probe,
        incomplete,
    };
    let catalog = Catalog::builtin();
    let findings = audit(catalog, &inputs);
    let coverage = Coverage {
        files_read: g.files_read,
        files_skipped: g.skipped.clone(),
        destinations_found: g.destinations.len(),
        destinations_in_scope: g.destinations.iter().filter(|d| in_scope(d, g.settings.as_ref())).count(),
        settings: g.settings.as_ref().map(|s| s.path.clone()),
        cloud_alm_key: g.key.as_ref().map(|k| k.path.clone()),
        live_service: g.live_service.clone(),
        subaccount_id: g.subaccount_id.clone(),
    };
    let color = use_color(args.output.is_none() && std::io::stdout().is_terminal(), std::env::var_os("NO_COLOR"));
    let options = Options { all_results: args.all_results, color, fail_on: args.fail_on.threshold(), sarif_waived: false };
    let report = Report {
        catalog,
        findings,
        coverage,
        failures: g.failures.clone(),
        options,
        targets: Vec::new(),
        waiver_notes: Vec::new(),
        baseline: None,
    };

    let text = report.render(args.format);
    for skipped in &report.coverage.files_skipped {
        stderr.push(format!("skipped {skipped}: not a destination file type"));
    }
    for failure in &report.failures {
        stderr.push(format!("incomplete: {}: {}", failure.source, failure.message));
    }
    let stdout = match &args.output {
        Some(path) => {
            write_atomically(path, &text)?;
            stderr.push(format!("wrote {}", path.display()));
            String::new()
        }
        None => text,
    };
    if report.coverage.destinations_in_scope == 0 && g.destinations_given && report.failures.is_empty() {
        stderr.push(format!("warning: none of the {} destination(s) read is a Cloud ALM destination", report.coverage.destinations_found));
    }
    Ok(Output { stdout, stderr, exit: exit_for(&report) })
}

/// The snapshot of what `g` holds.
pub fn snapshot_text(g: &Gathered) -> Result<String, CliError> {
    let contents = snapshot::Contents {
        destinations: &g.destinations,
        failures: &g.failures,
        service: g.live_service.clone(),
        subaccount_id: g.subaccount_id.clone(),
        live: g.live,
        probe: g.probe,
    };
    snapshot::render(&contents).map_err(CliError::Usage)
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
                target: None,
                waived: None,
                baseline: None,
            })
            .collect();
        let failures = (0..failures).map(|i| SourceFailure { source: format!("page {i}"), message: "timed out".into() }).collect();
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage::default(),
            failures,
            options: Options { all_results: false, color: false, fail_on, sarif_waived: false },
            targets: Vec::new(),
            waiver_notes: Vec::new(),
            baseline: None,
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
