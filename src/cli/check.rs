use super::args::CheckArgs;
use super::resolve::{Resolved, RunSpec, resolve};
use super::sources::{Gathered, gather};
use super::{CliError, Exit, Output, write_atomically_with};
use crate::model::certificate::CertificateRow;
use crate::model::{BaselineState, Finding, NotAudited, SourceFailure};
use crate::overlay::{self, baseline, waivers};
use crate::report::{BaselineSummary, Coverage, Options, Report, TargetSummary, WaiverProblem};
use crate::rules::{Catalog, Choices, Inputs, audit};
use crate::source::snapshot;

/// What one target's audit produced.
struct TargetOutcome {
    name: Option<String>,
    findings: Vec<Finding>,
    coverage: Coverage,
    failures: Vec<SourceFailure>,
    notes: Vec<String>,
    not_audited: Vec<NotAudited>,
    certificates: Vec<CertificateRow>,
}

pub fn run(args: CheckArgs) -> Result<Output, CliError> {
    let r = resolve(&args)?;
    if args.show_config {
        return Ok(Output { stdout: r.describe(), stderr: Vec::new(), exit: Exit::Clean, stream: None });
    }
    // Read the baseline first: a bad one is an input error before any network call.
    let baseline = r.baseline.as_deref().map(baseline::load).transpose()?;
    // The run's date (waivers) and instant (certificates), fixed by CALM_AUDIT_TODAY or
    // SOURCE_DATE_EPOCH for tests and reproducible reports.
    let today = crate::clock::date(r.clock.now);

    let outcomes = run_targets(&r)?;
    let several = r.runs.len() > 1 || r.runs.iter().any(|s| s.name.is_some());
    let catalog = Catalog::builtin();
    let mut findings = Vec::new();
    let mut failures = Vec::new();
    let mut targets = Vec::new();
    let mut stderr = Vec::new();
    let mut coverage = Coverage::default();
    let mut not_audited = Vec::new();
    let mut certificates = Vec::new();
    for o in outcomes {
        certificates.extend(o.certificates);
        stderr.extend(o.notes);
        let prefix = o.name.as_ref().map(|n| format!("{n}: ")).unwrap_or_default();
        failures.extend(o.failures.iter().map(|f| SourceFailure { source: format!("{prefix}{}", f.source), message: f.message.clone() }));
        add_coverage(&mut coverage, &o.coverage, several);
        if let Some(name) = &o.name {
            targets.push(TargetSummary { name: name.clone(), complete: o.failures.is_empty(), coverage: o.coverage });
        }
        // The first target's lists (the only one's, in the usual run) are taken, not copied.
        if findings.is_empty() {
            findings = o.findings;
        } else {
            findings.extend(o.findings);
        }
        if not_audited.is_empty() {
            not_audited = o.not_audited;
        } else {
            not_audited.extend(o.not_audited);
        }
    }

    overlay::select(&mut findings, &r.select, &r.ignore);
    overlay::override_severity(&mut findings, &r.severity);
    let waiver_notes = waivers::apply(&mut findings, &r.waivers, &today);
    let mut baseline_notes = Vec::new();
    let baseline = baseline.map(|b| {
        let applied = baseline::apply(&mut findings, &b);
        if applied.migrated > 0 {
            baseline_notes.push(format!(
                "baseline {}: {} result(s) matched by the identity they had before their source file or target was part of it; save a new baseline to record the new identity",
                b.path, applied.migrated
            ));
        }
        if applied.ambiguous > 0 {
            baseline_notes.push(format!(
                "baseline {}: {} failure(s) of the baseline name a destination found in several places now and could not be matched; their results count as new: save a new baseline",
                b.path, applied.ambiguous
            ));
        }
        BaselineSummary { path: b.path, absent: applied.absent }
    });

    let to_terminal = r.output.is_none() && crate::output::stdout_is_terminal();
    let color = use_color(to_terminal, std::env::var_os("NO_COLOR"));
    let options = Options {
        all_results: r.all_results,
        color,
        fail_on: r.fail_on.threshold(),
        sarif_waived: r.sarif_waived,
        width: super::output_width(to_terminal),
        verbose: r.runs.iter().any(|s| s.sources.verbose),
        expiry_days: r.clock.expiry_days,
    };
    certificates.sort_by(|a: &CertificateRow, b| a.order_key().cmp(&b.order_key()));
    let mut report = Report { catalog, findings, coverage, failures, options, targets, waiver_notes, baseline, not_audited, certificates };

    for failure in &report.failures {
        stderr.push(format!("incomplete: {}: {}", failure.source, failure.message));
    }
    for note in &report.waiver_notes {
        let what = format!("waiver at {} ({} {})", note.defined_at, note.rule, note.destination.as_deref().unwrap_or("*"));
        stderr.push(match note.problem {
            WaiverProblem::Expired => format!("{what} expired on {}: it no longer applies", note.expires),
            WaiverProblem::Unmatched => format!("{what} matched no result"),
        });
    }
    stderr.extend(baseline_notes);
    if let Some(b) = &report.baseline {
        let count = |state| report.findings.iter().filter(|f| f.baseline == Some(state)).count();
        stderr.push(format!(
            "baseline {}: {} new, {} unchanged, {} gone",
            b.path,
            count(BaselineState::New),
            count(BaselineState::Unchanged),
            b.absent.len()
        ));
    }

    // Files have no colour; each report is written as it is produced, never held whole.
    let color = std::mem::replace(&mut report.options.color, false);
    // Every report is attempted; any that cannot be written makes the run exit 2, naming each.
    let mut unwritten = Vec::new();
    let files = r.reports.iter().map(|(format, path)| (*format, path)).chain(r.output.as_ref().map(|path| (r.format, path)));
    for (format, path) in files {
        match write_atomically_with(path, |out| report.render_to(format, out)) {
            Ok(()) => stderr.push(format!("wrote {}", path.display())),
            Err(e) => unwritten.push(e.to_string()),
        }
    }
    if !unwritten.is_empty() {
        return Err(CliError::Usage(unwritten.join("\n")));
    }
    let exit = exit_for(&report);
    report.options.color = color;
    // Standard output gets the report after the notes, written by the caller as it is produced.
    let format = r.format;
    let stream: Option<super::Stream> = if r.output.is_none() {
        Some(Box::new(move |out: &mut dyn std::io::Write| {
            let written = report.render_to(format, out);
            super::release(report);
            written
        }))
    } else {
        super::release(report);
        None
    };
    Ok(Output { stdout: String::new(), stderr, exit, stream })
}

fn add_coverage(total: &mut Coverage, part: &Coverage, several: bool) {
    total.files_read += part.files_read;
    total.files_skipped.extend(part.files_skipped.iter().cloned());
    total.var_files_not_applied.extend(part.var_files_not_applied.iter().cloned());
    for (by, n) in &part.files_ignored {
        match total.files_ignored.iter_mut().find(|(b, _)| b == by) {
            Some((_, total)) => *total += n,
            None => total.files_ignored.push((by.clone(), *n)),
        }
    }
    total.destinations_found += part.destinations_found;
    total.destinations_in_scope += part.destinations_in_scope;
    total.destinations_audited += part.destinations_audited;
    total.certificate_files += part.certificate_files;
    total.certificates_unused += part.certificates_unused;
    if !several {
        total.settings.clone_from(&part.settings);
        total.cloud_alm_key.clone_from(&part.cloud_alm_key);
        total.live_service.clone_from(&part.live_service);
        total.subaccount_id.clone_from(&part.subaccount_id);
    }
}

/// Audits every target, at most `concurrency` at once: that many workers each take the next
/// target as soon as they finish one (a slow subaccount holds up only its own worker). The first
/// input error in target order stops the run, as if the targets ran one after another: no new
/// target starts after an error, and every target before it has started, so it is the same
/// error whatever the timing.
fn run_targets(r: &Resolved) -> Result<Vec<TargetOutcome>, CliError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<Result<TargetOutcome, CliError>>>> = r.runs.iter().map(|_| Mutex::new(None)).collect();
    let workers = r.concurrency.clamp(1, r.runs.len().max(1));
    // One target (the usual run) is audited on this thread: a thread of its own would only add
    // its start and, with glibc, a memory arena that grows a page range at a time.
    if let [spec] = r.runs.as_slice() {
        return Ok(vec![audit_target(spec, r)?]);
    }
    std::thread::scope(|scope| {
        for _ in 0..workers {
            // A worker that cannot be started leaves its targets to the others (and, if none
            // starts, the run ends with "a target was not audited").
            let _ = std::thread::Builder::new().name("target".into()).spawn_scoped(scope, || {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(spec) = r.runs.get(i) else { break };
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| audit_target(spec, r)))
                        .unwrap_or_else(|_| Err(CliError::Usage("a target's audit stopped unexpectedly".into())));
                    if result.is_err() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    *slots[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
                }
            });
        }
    });
    let mut outcomes = Vec::with_capacity(r.runs.len());
    for slot in slots {
        match slot.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some(result) => outcomes.push(result?),
            // Cannot happen (a target is skipped only after an earlier one failed, which
            // returned above); fail closed rather than report a run that is short of a target.
            None => return Err(CliError::Usage("a target was not audited".into())),
        }
    }
    Ok(outcomes)
}

fn audit_target(spec: &RunSpec, r: &Resolved) -> Result<TargetOutcome, CliError> {
    let g = gather(&spec.sources, r.save_snapshot.is_none())?;
    let target = spec.name.as_ref().map(|n| format!("{n}: ")).unwrap_or_default();
    let mut notes: Vec<String> = g.notes.iter().map(|n| format!("{target}{n}")).collect();
    if spec.sources.verbose {
        notes.extend(g.skipped.iter().map(|s| format!("{target}skipped {}: {}", s.path, s.reason)));
        notes.extend(g.ignored.iter().map(|s| format!("{target}{} {}", s.reason, s.path)));
    } else {
        // Values a pipeline may deploy with are worth seeing without -v.
        notes.extend(g.not_applied.iter().map(|p| format!("{target}{p}: {}", crate::source::code::NOT_APPLIED)));
        if !g.skipped.is_empty() {
            notes.push(format!(
                "{target}{} file(s) in the folders read are not destination files and were skipped (-v lists them)",
                g.skipped.len()
            ));
        }
        if !g.ignored.is_empty() {
            notes.push(format!("{target}{} (-v lists them)", crate::report::ignored_summary(&g.ignored_by())));
        }
    }
    if let Some(path) = &r.save_snapshot {
        write_snapshot(path, &g)?;
        notes.push(format!("wrote snapshot {}", path.display()));
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
        choices: Choices { run: spec.profile.clone(), by_name: r.profile_map.clone() },
        keystores: &g.keystores,
        certificate_source: g.certificate_source,
        destination_key_certificate: g.destination_key_certificate.as_ref(),
        clock: r.clock,
        ..Default::default()
    };
    // The destinations not audited are listed on a second thread while the catalog runs: both
    // only read the destinations, and a large landscape has a name to copy for each.
    let excluded = inputs.excluded();
    let list = || crate::rules::context::not_audited(&g.destinations, &excluded, g.settings.as_ref());
    let (mut findings, not_audited) = std::thread::scope(|scope| {
        let listing = std::thread::Builder::new().name("not-audited".into()).spawn_scoped(scope, list);
        let findings = audit(Catalog::builtin(), &inputs);
        // No thread to be had: listed here, after the catalog.
        (findings, listing.map_or_else(|_| Ok(list()), std::thread::ScopedJoinHandle::join))
    });
    let mut not_audited = not_audited.map_err(|_| CliError::Usage("listing the destinations not audited stopped unexpectedly".into()))?;
    for f in &mut findings {
        f.target.clone_from(&spec.name);
    }
    let (mut certificates, certificates_unused) = crate::rules::certificates::rows(&inputs);
    for c in &mut certificates {
        c.target.clone_from(&spec.name);
    }
    let coverage = Coverage {
        files_read: g.files_read,
        files_skipped: g.skipped.iter().map(|s| s.path.clone()).collect(),
        var_files_not_applied: g.not_applied.clone(),
        files_ignored: g.ignored_by(),
        destinations_found: g.destinations.len(),
        destinations_in_scope: inputs.in_scope_count(),
        destinations_audited: inputs.scoped().len(),
        settings: g.settings.as_ref().map(|s| s.path.clone()),
        cloud_alm_key: g.key.as_ref().map(|k| k.path.clone()),
        live_service: g.live_service.clone(),
        subaccount_id: g.subaccount_id.clone(),
        certificate_files: g.keystores.len(),
        certificates_unused,
    };
    drop(inputs);
    super::release(g.destinations);
    if spec.name.is_some() {
        for n in &mut not_audited {
            n.target.clone_from(&spec.name);
        }
    }
    if coverage.destinations_in_scope == 0 && g.destinations_given && g.failures.is_empty() {
        let unknown = not_audited.iter().filter(|n| n.reason.starts_with(crate::rules::context::SCOPE_UNKNOWN)).count();
        let also = match unknown {
            0 => String::new(),
            n => format!(" ({n} with a name known only at deployment: scope unknown, CALM034)"),
        };
        notes.push(format!(
            "warning: {target}none of the {} destination(s) read is known to be a Cloud ALM destination{also}",
            coverage.destinations_found
        ));
    }
    Ok(TargetOutcome { name: spec.name.clone(), findings, coverage, failures: g.failures, notes, not_audited, certificates })
}

fn snapshot_contents(g: &Gathered) -> snapshot::Contents<'_> {
    snapshot::Contents {
        destinations: &g.destinations,
        keystores: &g.keystores,
        certificates_read: g.certificate_source,
        destination_key_certificate: g.destination_key_certificate.as_ref(),
        failures: &g.failures,
        service: g.live_service.clone(),
        subaccount_id: g.subaccount_id.clone(),
        live: g.live,
        probe: g.probe,
    }
}

/// The snapshot of what `g` holds.
pub fn snapshot_text(g: &Gathered) -> Result<String, CliError> {
    snapshot::render(&snapshot_contents(g)).map_err(CliError::Usage)
}

/// The snapshot of what `g` holds, written to `path` as it is produced.
pub fn write_snapshot(path: &std::path::Path, g: &Gathered) -> Result<(), CliError> {
    let salt = snapshot::salt().map_err(CliError::Usage)?;
    super::write_atomically_with(path, |out| snapshot::write(&snapshot_contents(g), &salt, out))
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
    use crate::model::{Finding, Location, ObjectKind, ObjectRef, Severity, Status};
    use crate::report::SourceFailure;

    fn report(statuses: &[(Status, Severity)], failures: usize, fail_on: Option<Severity>) -> Report {
        let findings = statuses
            .iter()
            .map(|(status, severity)| Finding {
                code: "CALM004",
                rule: "destination-url-trailing-slash",
                status: *status,
                severity: *severity,
                object: ObjectRef { kind: ObjectKind::Destination, name: "CALM_A".into(), qualified_name: "a.json:1".into(), level: None }
                    .into(),
                property: None,
                message: String::new(),
                location: Location { path: "a.json".into(), line: 1 },
                target: None,
                waived: None,
                baseline: None,
                profile: None,
            })
            .collect();
        let failures = (0..failures).map(|i| SourceFailure { source: format!("page {i}"), message: "timed out".into() }).collect();
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage::default(),
            failures,
            options: Options { fail_on, ..Options::default() },
            targets: Vec::new(),
            waiver_notes: Vec::new(),
            baseline: None,
            not_audited: Vec::new(),
            certificates: Vec::new(),
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
