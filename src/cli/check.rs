use std::path::Path;

use super::args::CheckArgs;
use super::resolve::{Resolved, RunSpec, resolve};
use super::sources::{Gathered, gather};
use super::{CliError, Exit, Output, write_atomically_with};
use crate::model::certificate::CertificateRow;
use crate::model::{BaselineState, Finding, Location, NotAudited, SourceFailure, Status};
use crate::overlay::{self, baseline, waivers};
use crate::report::{BaselineSummary, Coverage, InputKind, InputUsed, Missing, Options, Report, RunInfo, TargetSummary, WaiverProblem};
use crate::rules::catalog::Requirement;
use crate::rules::{Catalog, Choices, Inputs, audit};
use crate::source::snapshot;

/// What one target's audit produced.
struct TargetOutcome {
    name: Option<String>,
    defined_at: Option<String>,
    findings: Vec<Finding>,
    coverage: Coverage,
    failures: Vec<SourceFailure>,
    notes: Vec<String>,
    not_audited: Vec<NotAudited>,
    inputs: Vec<InputUsed>,
    /// Inputs the rules need that the target was not given.
    missing: Vec<Requirement>,
    /// The target could not be read at all: why (the other targets are audited all the same).
    error: Option<String>,
    certificates: Vec<CertificateRow>,
}

pub fn run(args: CheckArgs) -> Result<Output, CliError> {
    let r = resolve(&args)?;
    if args.show_config {
        let stderr = r.missing().into_iter().map(|m| format!("warning: {m}")).collect();
        return Ok(Output { stdout: r.describe(), stderr, exit: Exit::Clean, stream: None });
    }
    // Nothing is read before the run knows it will not write over what it reads.
    refuse_writing_inputs(&r)?;
    // The run starts at its instant (resolve refused a malformed CALM_AUDIT_TODAY or
    // SOURCE_DATE_EPOCH), fixed for byte-identical reports when either is set.
    let (started, fixed) = (r.clock.now, crate::clock::time_source() != "clock");
    // Read the baseline first: a bad one is an input error before any network call.
    let baseline = r.baseline.as_deref().map(baseline::load).transpose()?;
    // The run's date (waivers) and instant (certificates), fixed by CALM_AUDIT_TODAY or
    // SOURCE_DATE_EPOCH for tests and reproducible reports.
    let today = crate::clock::date(r.clock.now);

    let (outcomes, none_read) = run_targets(&r)?;
    let reach = reach(&outcomes, &r);
    let several = r.runs.len() > 1 || r.runs.iter().any(|s| s.name.is_some());
    let catalog = Catalog::builtin();
    let mut findings = Vec::new();
    let mut failures = Vec::new();
    let mut targets = Vec::new();
    // How flags, environment and file were merged comes first: it says what the run is.
    let mut stderr: Vec<String> = r.notices.iter().map(|n| format!("note: {n}")).collect();
    let mut coverage = Coverage::default();
    let mut not_audited = Vec::new();
    let mut inputs = Vec::new();
    let mut missing: Vec<(Requirement, Option<String>)> = Vec::new();
    let mut certificates = Vec::new();
    for o in outcomes {
        certificates.extend(o.certificates);
        stderr.extend(o.notes);
        let prefix = o.name.as_ref().map(|n| format!("{n}: ")).unwrap_or_default();
        match &o.error {
            Some(error) => failures.push(SourceFailure {
                source: TargetSummary::failure_source(o.name.as_deref().unwrap_or_default(), o.defined_at.as_deref()),
                message: format!("not audited: {error}"),
            }),
            None => failures
                .extend(o.failures.iter().map(|f| SourceFailure { source: format!("{prefix}{}", f.source), message: f.message.clone() })),
        }
        add_coverage(&mut coverage, &o.coverage, several);
        inputs.extend(o.inputs);
        if o.error.is_none() {
            missing.extend(o.missing.iter().map(|m| (*m, o.name.clone())));
        }
        if let Some(name) = &o.name {
            let mut summary = TargetSummary::new(name);
            summary.complete = o.failures.is_empty() && o.error.is_none();
            summary.coverage = o.coverage;
            summary.defined_at = o.defined_at;
            summary.error = o.error;
            summary.partial = o.missing.iter().map(|m| missing_input(*m, &r, Vec::new())).collect();
            targets.push(summary);
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
    let partial = merge_missing(&missing, &r, several);
    if several {
        // Each target's own are in its coverage and the run's inputs; the run's say "per target",
        // never nothing, when the targets were given them (SPEC §6).
        let names: Vec<&str> = targets.iter().map(|t: &TargetSummary| t.name.as_str()).collect();
        coverage.settings = per_target(&inputs, InputKind::Settings, &names);
        coverage.cloud_alm_key = per_target(&inputs, InputKind::CloudAlmKey, &names);
        coverage.live_service = per_target(&inputs, InputKind::DestinationService, &names);
        coverage.subaccount_id = coverage.live_service.as_ref().map(|_| "per target".to_owned());
    }

    overlay::select(&mut findings, &r.select, &r.ignore);
    overlay::override_severity(&mut findings, &r.severity);
    let waiver_notes = waivers::apply(&mut findings, &r.waivers, &today);
    let mut baseline_notes = Vec::new();
    let baseline = baseline.map(|b| {
        let applied = baseline::apply(&mut findings, &b, &reach);
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
        let count = |state| findings.iter().filter(|f| f.baseline == Some(state)).count();
        let (new, unchanged) = (count(BaselineState::New), count(BaselineState::Unchanged));
        BaselineSummary { path: b.path, new, unchanged, absent: applied.absent, not_compared: applied.not_compared }
    });

    let to_terminal = r.output.is_none() && crate::output::stdout_is_terminal();
    let color = use_color(to_terminal, std::env::var_os("NO_COLOR"));
    let options = Options {
        all_results: r.all_results,
        color,
        fail_on: r.fail_on.threshold(),
        sarif_waived: r.sarif_waived,
        width: super::output_width(r.output.is_none()),
        verbose: r.runs.iter().any(|s| s.sources.verbose),
        expiry_days: r.clock.expiry_days,
    };
    // The run's start is its instant; its end the clock's, unless a variable fixed the times.
    let ended = if fixed { started } else { crate::clock::now_secs().max(started) };
    let mut run = RunInfo {
        started: crate::clock::rfc3339(started),
        ended: crate::clock::rfc3339(ended),
        time_source: crate::clock::time_source(),
        calm_audit_version: env!("CARGO_PKG_VERSION"),
        catalog_version: crate::rules::catalog_version(),
        inputs,
    };
    if let Some(not_used) = &r.targets_not_used {
        run.inputs.push(InputUsed { kind: InputKind::TargetsNotUsed, source: not_used.clone(), target: None });
    }
    certificates.sort_by(|a: &CertificateRow, b| a.order_key().cmp(&b.order_key()));
    let mut report =
        Report { catalog, findings, coverage, failures, options, targets, waiver_notes, baseline, not_audited, certificates, run, partial };
    // Every value is masked as it enters the report, before any layout (SPEC §8).
    report.mask_values();
    judge_targets(&mut report);

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
        stderr.push(format!("baseline {}: {}", b.path, b.counts_text()));
        for (reason, n) in b.not_compared_reasons() {
            stderr.push(format!("baseline {}: {n} failure(s) not compared, not known gone: {reason}", b.path));
        }
    }
    if !report.partial.is_empty() {
        let names: Vec<&str> = report.partial.iter().map(|m| m.input).collect();
        stderr.push(format!(
            "note: this is {}; --require {} refuses a partial audit",
            crate::report::partial_text(&report.partial),
            names.join(",")
        ));
    }

    // Files have no colour; each report is written as it is produced, never held whole.
    let color = std::mem::replace(&mut report.options.color, false);
    // Every report is attempted; any that cannot be written makes the run exit 2, naming each.
    let mut unwritten = Vec::new();
    let files = r.reports.iter().map(|(format, path)| (*format, path)).chain(r.output.as_ref().map(|path| (r.format, path)));
    for (format, path) in files {
        match write_atomically_with(path, |out| report.render_to(format, out)) {
            Ok(()) => stderr.push(format!("wrote {}", crate::model::shown::path(path))),
            Err(e) => unwritten.push(e.to_string()),
        }
    }
    if !unwritten.is_empty() {
        return Err(CliError::Usage(unwritten.join("\n")));
    }
    // No target could be read: the reports above say so (the night leaves its evidence), and
    // the run is still an input error (SPEC §8).
    let exit = match none_read {
        Some(why) => {
            stderr.extend(why.lines().map(|l| format!("error: {l}")));
            Exit::Usage
        }
        None => exit_for(&report),
    };
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

/// What the run read, target by target, for the baseline: a failure of the baseline in a target
/// or a file that was not read is not compared, never gone (SPEC §6).
fn reach(outcomes: &[TargetOutcome], r: &Resolved) -> baseline::Reach {
    let targets = outcomes
        .iter()
        .map(|o| {
            let which = o.name.as_deref().map_or_else(|| "this run".to_owned(), |n| format!("target {n}"));
            let read = if let Some(error) = &o.error {
                baseline::Read::Not(format!("{which} was not read: {error}"))
            } else if o.failures.is_empty() {
                baseline::Read::Full
            } else {
                let files: Option<Vec<String>> = o.failures.iter().map(|f| failed_file(f).map(|l| l.path.to_string())).collect();
                match files {
                    Some(files) => baseline::Read::Except(files),
                    None => {
                        let sources: Vec<&str> = o.failures.iter().map(|f| f.source.as_str()).collect();
                        baseline::Read::Not(format!("{which} was not read in full ({} failed)", sources.join(", ")))
                    }
                }
            };
            (o.name.clone(), read)
        })
        .collect();
    baseline::Reach {
        targets,
        select: r.select.iter().map(|c| (*c).to_owned()).collect(),
        ignore: r.ignore.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// A report, `--output` or `--save-snapshot` that would replace a file the run reads is refused
/// (exit 2) before anything is read or written: an input named on the command line or in the
/// configuration (destinations, settings, keys, variables files, the baseline), or a file a
/// folder walk reads, unless calm-audit wrote it (an earlier report or snapshot, which walks
/// skip and a later run may replace).
fn refuse_writing_inputs(r: &Resolved) -> Result<(), CliError> {
    let canonical = |p: &std::path::Path| p.canonicalize().ok();
    let mut named: Vec<std::path::PathBuf> = Vec::new();
    let mut folders: Vec<std::path::PathBuf> = Vec::new();
    for spec in &r.runs {
        let s = &spec.sources;
        for p in s.paths.iter().chain(&s.var_file).chain(&s.destination_key).chain(&s.settings).chain(&s.calm_key).chain(&s.ca_cert) {
            match canonical(p) {
                Some(c) if c.is_dir() => folders.push(c),
                Some(c) => named.push(c),
                None => {}
            }
        }
    }
    named.extend(r.baseline.as_deref().and_then(canonical));
    let mut refused = Vec::new();
    for out in r.reports.iter().map(|(_, p)| p).chain(&r.output).chain(&r.save_snapshot) {
        // A file that does not exist yet replaces nothing.
        let Some(target) = canonical(out) else { continue };
        let own = || std::fs::read(&target).is_ok_and(|b| crate::source::files::is_own_output(&String::from_utf8_lossy(&b)));
        let walked = folders.iter().any(|f| target.starts_with(f))
            && target.file_name().and_then(|n| n.to_str()).is_some_and(crate::source::files::walk_reads);
        if named.contains(&target) || (walked && !own()) {
            refused.push(format!(
                "{}: this file is an input of the run, and calm-audit never writes over what it reads: give the report another path",
                crate::model::shown::path(out)
            ));
        }
    }
    if refused.is_empty() { Ok(()) } else { Err(CliError::Usage(refused.join("\n"))) }
}

/// Each target's failing count and verdict, once the overlays have had their say: one pass over
/// the results, whatever the number of targets.
fn judge_targets(report: &mut Report) {
    if report.targets.is_empty() {
        return;
    }
    let mut failing = vec![0usize; report.targets.len()];
    let mut errors = vec![false; report.targets.len()];
    for f in &report.findings {
        let Some(i) = f.target.as_deref().and_then(|t| report.targets.iter().position(|x| x.name == t)) else { continue };
        if report.counts(f) {
            failing[i] += 1;
        }
        errors[i] |= f.status == Status::Error;
    }
    for ((t, failing), error) in report.targets.iter_mut().zip(failing).zip(errors) {
        t.failing = failing;
        t.complete &= !error;
        t.verdict = if t.error.is_some() {
            "not_audited"
        } else if !t.complete {
            "incomplete"
        } else if failing > 0 {
            "failed"
        } else {
            "passed"
        };
    }
}

/// What a missing input means for the run: the rules (of those selected) that cannot judge
/// anything without it.
fn missing_input(need: Requirement, r: &Resolved, targets: Vec<String>) -> Missing {
    let rules = Catalog::builtin()
        .rules
        .iter()
        .filter(|rule| rule.requires.contains(&need))
        .filter(|rule| (r.select.is_empty() || r.select.contains(&rule.code.as_str())) && !r.ignore.contains(&rule.code.as_str()))
        .count();
    match need {
        Requirement::Settings => Missing { input: "settings", flag: "--settings", what: "Entitlement Management settings", rules, targets },
        _ => Missing { input: "calm-key", flag: "--calm-key", what: "Cloud ALM service key", rules, targets },
    }
}

/// The run's partial inputs: each missing input once, naming the targets that lack it when
/// the run has targets. A missing input that no selected rule needs does not make the run partial.
fn merge_missing(missing: &[(Requirement, Option<String>)], r: &Resolved, several: bool) -> Vec<Missing> {
    let mut out = Vec::new();
    for need in [Requirement::CloudAlmKey, Requirement::Settings] {
        let lacking: Vec<String> = missing.iter().filter(|(m, _)| *m == need).filter_map(|(_, t)| t.clone()).collect();
        if missing.iter().any(|(m, _)| *m == need) {
            let m = missing_input(need, r, if several { lacking } else { Vec::new() });
            if m.rules > 0 {
                out.push(m);
            }
        }
    }
    out
}

/// What the run's coverage says of an input its targets are given each: `per target`, naming the
/// targets that lack it; `None` when no target has it.
fn per_target(inputs: &[InputUsed], kind: InputKind, targets: &[&str]) -> Option<String> {
    let lacking: Vec<&str> =
        targets.iter().copied().filter(|t| !inputs.iter().any(|i| i.kind == kind && i.target.as_deref() == Some(*t))).collect();
    match lacking.len() {
        0 => Some("per target".to_owned()),
        n if n == targets.len() => None,
        _ => Some(format!("per target; not given in {}", lacking.join(", "))),
    }
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
    total.destinations_in_scope_not_audited += part.destinations_in_scope_not_audited;
    total.destinations_scope_unknown += part.destinations_scope_unknown;
    total.destinations_out_of_scope += part.destinations_out_of_scope;
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
/// target as soon as they finish one (a slow subaccount holds up only its own worker). A target
/// that cannot be read (a mistyped path, a key that is not there) is reported as such and never
/// stops the others (SPEC §6); only when no target could be read at all is the run an input
/// error (exit 2), naming every target and why: that text comes with the outcomes, so that the
/// reports are written all the same.
fn run_targets(r: &Resolved) -> Result<(Vec<TargetOutcome>, Option<String>), CliError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // One run without targets (the usual one): audited on this thread, and what cannot be read
    // is the run's input error as before. A thread of its own would only add its start and,
    // with glibc, a memory arena that grows a page range at a time.
    if let [spec] = r.runs.as_slice()
        && spec.name.is_none()
    {
        return Ok((vec![audit_target(spec, r)?], None));
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<TargetOutcome>>> = r.runs.iter().map(|_| Mutex::new(None)).collect();
    let workers = r.concurrency.clamp(1, r.runs.len().max(1));
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(spec) = r.runs.get(i) else { break };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| audit_target(spec, r)))
                .unwrap_or_else(|_| Err(CliError::Usage("its audit stopped unexpectedly".into())))
                .unwrap_or_else(|e| failed_target(spec, &e));
            *slots[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
        }
    };
    std::thread::scope(|scope| {
        // This thread is one of the workers. One that cannot be started leaves its targets to
        // the others, and this thread is always there to take them.
        for _ in 1..workers {
            let _ = std::thread::Builder::new().name("target".into()).spawn_scoped(scope, work);
        }
        work();
    });
    let outcomes: Vec<TargetOutcome> = slots
        .into_iter()
        .zip(&r.runs)
        .map(|(slot, spec)| {
            slot.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .unwrap_or_else(|| failed_target(spec, &CliError::Usage("it was not audited".into())))
        })
        .collect();
    let mut none_read = None;
    if outcomes.iter().all(|o| o.error.is_some()) {
        let lines: Vec<String> = outcomes
            .iter()
            .map(|o| {
                let at = o.defined_at.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
                format!("target {}{at}: {}", o.name.as_deref().unwrap_or_default(), o.error.as_deref().unwrap_or_default())
            })
            .collect();
        none_read = Some(lines.join("\n"));
    }
    Ok((outcomes, none_read))
}

/// A target that could not be read at all: named, with where it is configured and why.
fn failed_target(spec: &RunSpec, e: &CliError) -> TargetOutcome {
    let error = e.to_string().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    TargetOutcome {
        name: spec.name.clone(),
        defined_at: spec.defined_at.clone(),
        findings: Vec::new(),
        coverage: Coverage::default(),
        failures: Vec::new(),
        notes: Vec::new(),
        not_audited: Vec::new(),
        inputs: given_inputs(spec, None, None),
        missing: Vec::new(),
        error: Some(error),
        certificates: Vec::new(),
    }
}

/// The inputs of a target as given, and the live service when one was read.
fn given_inputs(spec: &RunSpec, live_service: Option<&str>, read: Option<&Gathered>) -> Vec<InputUsed> {
    let target = spec.name.clone();
    let shown = |p: &Path| if p == Path::new("-") { "<stdin>".to_owned() } else { crate::model::shown::path(p) };
    let mut inputs: Vec<InputUsed> =
        spec.sources.paths.iter().map(|p| InputUsed { kind: InputKind::Destinations, source: shown(p), target: target.clone() }).collect();
    if let Some(service) = live_service {
        inputs.push(InputUsed { kind: InputKind::DestinationService, source: service.to_owned(), target: target.clone() });
    }
    let settings = read.map_or_else(|| spec.sources.settings.as_deref().map(shown), |g| g.settings.as_ref().map(|s| s.path.clone()));
    if let Some(source) = settings {
        inputs.push(InputUsed { kind: InputKind::Settings, source, target: target.clone() });
    }
    let key = read.map_or_else(|| spec.sources.calm_key.as_deref().map(shown), |g| g.key.as_ref().map(|k| k.path.clone()));
    if let Some(source) = key {
        inputs.push(InputUsed { kind: InputKind::CloudAlmKey, source, target });
    }
    inputs
}

/// Where a failed source is, when it is a file of the run (`path` or `path:line`; a zip
/// archive's entry `archive.zip/entry`): the place the results that could not be judged point to.
fn failed_file(failure: &SourceFailure) -> Option<Location> {
    let (path, line) = match failure.source.rsplit_once(':') {
        Some((path, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => (path, line.parse().unwrap_or(1)),
        _ => (failure.source.as_str(), 1),
    };
    let on_disk = Path::new(path).ancestors().filter(|a| !a.as_os_str().is_empty()).any(Path::is_file);
    on_disk.then(|| Location { path: path.into(), line: line.max(1) })
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
        notes.push(format!("wrote snapshot {}", crate::model::shown::path(path)));
    }
    let incomplete = match g.failures.as_slice() {
        [] => None,
        [one] => Some(format!("{} failed; see the source failures", one.source)),
        [first, rest @ ..] => Some(format!("{} sources failed, {} first; see the source failures", rest.len() + 1, first.source)),
    };
    let inputs = Inputs {
        destinations: &g.destinations,
        destinations_given: g.destinations_given,
        settings: g.settings.as_ref(),
        key: g.key.as_ref(),
        live: g.live,
        probe: g.probe,
        incomplete,
        incomplete_at: g.failures.iter().find_map(failed_file),
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
    // SARIF carries the literal replacements of the fixes: found only when it is written.
    if r.format == crate::report::Format::Sarif || r.reports.iter().any(|(format, _)| *format == crate::report::Format::Sarif) {
        super::fix::locate_literals(&mut findings);
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
        destinations_in_scope_not_audited: inputs.in_scope_count().saturating_sub(inputs.scoped().len()),
        destinations_scope_unknown: inputs.scope_unknown().count(),
        destinations_out_of_scope: g
            .destinations
            .len()
            .saturating_sub(inputs.in_scope_count())
            .saturating_sub(inputs.scope_unknown().count()),
        settings: g.settings.as_ref().map(|s| s.path.clone()),
        cloud_alm_key: g.key.as_ref().map(|k| k.path.clone()),
        live_service: g.live_service.clone(),
        subaccount_id: g.subaccount_id.clone(),
        certificate_files: g.keystores.len(),
        certificates_unused,
    };
    drop(inputs);
    let mut missing = Vec::new();
    if g.key.is_none() {
        missing.push(Requirement::CloudAlmKey);
    }
    if g.settings.is_none() {
        missing.push(Requirement::Settings);
    }
    let used = given_inputs(spec, g.live_service.as_deref(), Some(&g));
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
    Ok(TargetOutcome {
        name: spec.name.clone(),
        defined_at: spec.defined_at.clone(),
        findings,
        coverage,
        failures: g.failures.into_iter().chain(g.keystores_refused).collect(),
        notes,
        not_audited,
        inputs: used,
        missing,
        error: None,
        certificates,
    })
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
                fix: None,
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
            run: RunInfo::default(),
            partial: Vec::new(),
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
