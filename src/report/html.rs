//! The HTML report: one self-contained page for a support ticket, a CI artifact or a periodic
//! audit, readable on a laptop, a phone and paper.
//!
//! Order is what a reader needs: the verdict with the exit code's meaning, source failures,
//! coverage; then each target and object with its profile, results that need attention first
//! (with the rule's remediation steps and SAP link from the catalog), passes and not-applicable
//! results folded away; then the destinations not audited, waivers and the baseline.
//!
//! Safety: the page is rendered by minijinja with HTML auto-escaping of every value, made inert
//! first by one formatter (control characters shown `\u{1b}`, [`inert_formatter`]); only the
//! built-in style sheet and filter script (constants of this crate) are inserted verbatim, and a
//! Content-Security-Policy in the page allows exactly those two by their SHA-256 hashes and
//! nothing else (no network, no other script, no form submission).

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::group::{ObjectGroup, TargetGroup};
use super::{InputKind, Report, WaiverProblem, partial_text};
use crate::model::{BaselineState, Finding, NotAudited, ObjectKind, ProfileChoice, SourceFailure, Status, Waived};

const TEMPLATE: &str = include_str!("html/report.html");
const CSS: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/filter.js");

/// The page's Content-Security-Policy: nothing may load, only the built-in style and script run.
pub fn content_security_policy() -> String {
    let hash = |s: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src data:; base-uri 'none'; form-action 'none'",
        hash(CSS),
        hash(SCRIPT)
    )
}

/// A piece of catalog text: plain, or a `code span` (the catalog marks them with backticks).
#[derive(Serialize)]
struct Segment<'a> {
    text: &'a str,
    code: bool,
}

fn segments(s: &str) -> Vec<Segment<'_>> {
    // An unpaired backtick is kept as text rather than opening a code span that never ends.
    let paired = s.matches('`').count().is_multiple_of(2);
    if !paired {
        return vec![Segment { text: s, code: false }];
    }
    s.split('`').enumerate().filter(|(_, t)| !t.is_empty()).map(|(i, text)| Segment { text, code: i % 2 == 1 }).collect()
}

/// Characters after which a long value (a URL, a path, a destination name) may wrap: the
/// separators of URLs and paths, and the underscore and hyphen of names.
fn breaks_after(c: char) -> bool {
    matches!(c, '/' | '.' | '_' | '-' | '?' | '&' | '=' | '#' | ':' | ',' | ';' | '|' | '@' | '!' | '+')
}

/// Words shorter than this fit any cell of the page, on a phone too (tables stack there):
/// they never get a break opportunity.
const LONG_WORD: usize = 12;

/// A value as HTML text that wraps only between words or after a separator (`<wbr>`), never in
/// the middle of a word: a phone shows "examples/" and "settings.toml" on two lines, not
/// "examples/settings.to" and "ml". Escapes what HTML needs escaped, so the result is safe, and
/// shows every control character and line break escaped (`\u{1b}`, `\u{a}`) as every format
/// does ([`crate::output::inert_line`]).
fn breakable(value: &str, masker: &crate::output::Masker) -> minijinja::Value {
    // Masked first: once `<wbr>` is inside a secret, the masking writer could no longer find it.
    let value = if masker.is_empty() { std::borrow::Cow::Borrowed(value) } else { masker.mask(value) };
    let value = crate::output::inert_line(&value);
    let mut out = String::with_capacity(value.len() + value.len() / 8);
    for word in value.split_inclusive(char::is_whitespace) {
        // A long word gets a chance after each run of separators it goes on after ("https://"
        // stays whole, and so does a word that ends in one).
        let long = word.trim_end().chars().count() >= LONG_WORD;
        let mut after_separator = false;
        for (i, c) in word.char_indices() {
            if long && after_separator && !c.is_whitespace() && !breaks_after(c) && i >= 3 {
                out.push_str("<wbr>");
            }
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#x27;"),
                c => out.push(c),
            }
            after_separator = breaks_after(c);
        }
    }
    minijinja::Value::from_safe_string(out)
}

/// A message as HTML, ready to insert: its `code spans` as `<code>`, every part [`breakable`].
/// A filter rather than a template macro, which costs a call per result in a report of tens of
/// thousands; written as the page is, never kept for every result.
fn rich(text: &str, masker: &crate::output::Masker) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for s in segments(text) {
        let html = breakable(s.text, masker).to_string();
        if s.code {
            out.push_str("<code>");
            out.push_str(&html);
            out.push_str("</code>");
        } else {
            out.push_str(&html);
        }
    }
    out
}

#[derive(Serialize)]
struct Verdict {
    /// `passed`, `failed` or `incomplete`: also the CSS class.
    state: &'static str,
    word: &'static str,
    title: String,
    exit_code: u8,
    meaning: String,
    failing: usize,
    /// Failures that do not count for the exit code, said so a reader is not misled by a pass.
    below: Option<String>,
    /// Nothing in scope: a pass of nothing must not read like a clean audit.
    nothing_in_scope: bool,
    /// The inputs the rules needed and did not get, said plainly (SPEC §5).
    partial: Option<String>,
}

fn verdict(report: &Report) -> Verdict {
    let failing = report.failing();
    let threshold = report.options.fail_on.map_or("never".to_owned(), |s| s.as_str().to_owned());
    let fails: Vec<&Finding> = report.findings.iter().filter(|f| f.status == Status::Fail && !report.counts(f)).collect();
    let waived = fails.iter().filter(|f| f.waived.is_some()).count();
    let unchanged = fails.iter().filter(|f| f.waived.is_none() && f.baseline == Some(BaselineState::Unchanged)).count();
    let lower = fails.len() - waived - unchanged;
    let below = (!fails.is_empty()).then(|| {
        let mut why = Vec::new();
        if lower > 0 {
            why.push(match report.options.fail_on {
                Some(_) => format!("{lower} below --fail-on {threshold}"),
                None => format!("{lower} not counted (--fail-on never)"),
            });
        }
        if waived > 0 {
            why.push(format!("{waived} waived"));
        }
        if unchanged > 0 {
            why.push(format!("{unchanged} already in the baseline"));
        }
        format!("{} other failure(s) do not count for the exit code ({}); they are listed below.", fails.len(), why.join(", "))
    });
    let nothing_in_scope = report.coverage.destinations_audited == 0;
    let partial = (!report.partial.is_empty()).then(|| {
        let names: Vec<&str> = report.partial.iter().map(|m| m.input).collect();
        format!("This is {}. --require {} refuses a partial audit.", partial_text(&report.partial), names.join(","))
    });
    let partly = if report.partial.is_empty() { "" } else { " (a partial audit)" };
    if !report.complete() {
        Verdict {
            state: "incomplete",
            word: if report.none_read() { "NOTHING AUDITED" } else { "INCOMPLETE" },
            title: if report.none_read() {
                "NOTHING AUDITED: no target could be read".to_owned()
            } else {
                format!("INCOMPLETE: the audit could not read or evaluate everything{partly}")
            },
            exit_code: report.exit_code(),
            meaning: if report.none_read() {
                "no target could be read, so nothing was audited: an input error, which is never a pass (the source failures below name each target and why).".to_owned()
            } else {
                format!(
                    "the audit is incomplete, which is never a pass (exit code 3 wins over 1). {failing} result(s) fail at or above --fail-on {threshold} among what was read."
                )
            },
            failing,
            below,
            nothing_in_scope,
            partial: partial.clone(),
        }
    } else if failing > 0 {
        Verdict {
            state: "failed",
            word: "FAILED",
            title: format!("FAILED: {failing} result(s) fail at or above {threshold}{partly}"),
            exit_code: 1,
            meaning: format!(
                "findings at or above --fail-on {threshold}: the setup must be fixed before Cloud ALM receives data reliably."
            ),
            failing,
            below,
            nothing_in_scope,
            partial: partial.clone(),
        }
    } else {
        let meaning = match report.options.fail_on {
            Some(_) => format!("nothing fails at or above --fail-on {threshold}, and every source was read in full."),
            None => "failures are not counted (--fail-on never); every source was read in full.".to_owned(),
        };
        Verdict {
            state: "passed",
            word: "PASSED",
            title: format!("PASSED: nothing fails at or above the threshold{partly}"),
            exit_code: 0,
            meaning,
            failing,
            below,
            nothing_in_scope,
            partial: partial.clone(),
        }
    }
}

fn status_label(status: Status) -> &'static str {
    // Text and a symbol, so the status never depends on colour.
    match status {
        Status::Fail => "✗ FAIL",
        Status::Error => "! ERROR",
        Status::Manual => "? MANUAL",
        Status::NotApplicable => "– N/A",
        Status::Pass => "✓ PASS",
    }
}

#[derive(Serialize)]
struct Row {
    label: &'static str,
    value: String,
    /// Kept on one line (a timestamp): never broken after its `-` or `:`.
    nowrap: bool,
}

#[derive(Serialize)]
struct StatusChoice {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct TargetRow<'a> {
    name: &'a str,
    complete: bool,
    /// "13 destination(s) found: 10 audited, ...", the parts adding up.
    destinations: String,
    /// `PASSED`, `FAILED`, `INCOMPLETE` or `NOT AUDITED`, with the failing count.
    verdict: String,
    defined_at: Option<&'a str>,
    error: Option<&'a str>,
    partial: Option<String>,
}

#[derive(Serialize)]
struct ResultView<'a> {
    code: &'static str,
    rule: &'static str,
    status: &'static str,
    label: &'static str,
    /// Failures only: the severity they were judged at.
    severity: Option<&'static str>,
    /// Shown through the `rich` filter (code spans, [`breakable`]).
    message: &'a str,
    location: String,
    property: Option<&'a str>,
    summary: Vec<Segment<'static>>,
    remediation: Vec<Vec<Segment<'static>>>,
    help_uri: Option<&'static str>,
    waived: Option<&'a Waived>,
    baseline: Option<&'static str>,
    /// Why a failure does not count for the exit code.
    not_counted: Option<String>,
    /// What to change (SPEC §5a), shown through the `rich` filter.
    fix: Option<&'a str>,
}

#[derive(Serialize)]
struct ObjectView<'a> {
    id: String,
    kind: &'static str,
    /// The kind as a heading starts it ("Cloud ALM key", not "Cloud alm key").
    heading: &'static str,
    name: &'a str,
    origin: &'a str,
    level: Option<&'static str>,
    profile: Option<ProfileView<'a>>,
    tally: String,
    /// Fail, error and manual results, the ones that count first.
    attention: Vec<ResultView<'a>>,
    /// Pass and not-applicable results, in a closed `<details>`.
    folded: Vec<ResultView<'a>>,
    folded_label: String,
}

/// [`ProfileChoice`] under its own field names (its serde names are the JSON report's).
#[derive(Serialize)]
struct ProfileView<'a> {
    name: &'a str,
    reason: &'a str,
}

impl<'a> From<&'a ProfileChoice> for ProfileView<'a> {
    fn from(p: &'a ProfileChoice) -> Self {
        ProfileView { name: &p.name, reason: &p.reason }
    }
}

/// A target's section: its heading; its objects are written one at a time after it.
#[derive(Serialize)]
struct Group<'a> {
    id: String,
    name: Option<&'a str>,
    complete: bool,
    empty: bool,
}

/// An object's row in the summary table at the top.
#[derive(Serialize)]
struct SummaryView<'a> {
    id: &'a str,
    kind: &'static str,
    name: &'a str,
    profile: Option<&'a str>,
    tally: String,
}

#[derive(Serialize)]
struct WaiverView<'a> {
    problem: &'static str,
    rule: &'a str,
    destination: Option<&'a str>,
    target: Option<&'a str>,
    date: String,
    defined_at: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct BaselineView<'a> {
    path: &'a str,
    new: usize,
    unchanged: usize,
    absent: &'a [super::AbsentFinding],
    not_compared: usize,
    /// Why failures of the baseline were not compared, with how many each.
    not_compared_reasons: Vec<(String, usize)>,
}

#[derive(Serialize)]
struct Page<'a> {
    version: &'static str,
    run: &'a super::RunInfo,
    csp: String,
    css: &'static str,
    js: &'static str,
    verdict: Verdict,
    counts: String,
    incomplete: bool,
    failures: &'a [SourceFailure],
    incomplete_targets: Vec<&'a str>,
    errors: usize,
    coverage: Vec<Row>,
    skipped: &'a [String],
    targets: Vec<TargetRow<'a>>,
    objects_total: usize,
    statuses: Vec<StatusChoice>,
    severities: [&'static str; 3],
    not_audited: &'a [NotAudited],
    out_of_scope: usize,
    waiver_notes: Vec<WaiverView<'a>>,
    baseline: Option<BaselineView<'a>>,
    certificates: Option<CertificatesView>,
}

/// The certificates in use (SPEC §3b): the section's title, its rows and the count of keystores
/// no audited destination uses.
#[derive(Serialize)]
struct CertificatesView {
    title: String,
    header: Vec<&'static str>,
    rows: Vec<CertificateView>,
    unused: Option<String>,
}

#[derive(Serialize)]
struct CertificateView {
    cells: Vec<String>,
    /// `expired`, `soon` (within the CALM063 horizon), `unknown` or `ok`: the row's class.
    state: &'static str,
    /// The cell holding the not-after date, kept on one line (`2099-12-31`).
    date_at: usize,
}

fn certificates_view(report: &Report, horizon: i64) -> Option<CertificatesView> {
    use super::certificates::{HEADER, cells_in, title, unused_line};
    if report.certificates.is_empty() && report.coverage.certificates_unused == 0 {
        return None;
    }
    let target = !report.targets.is_empty();
    let mut header = HEADER.to_vec();
    if target {
        header.insert(3, "Target");
    }
    let rows = report
        .certificates
        .iter()
        .map(|row| {
            let mut cells = cells_in(&report.certificates, row).to_vec();
            if target {
                cells.insert(3, row.target.clone().unwrap_or_default());
            }
            let state = match row.days_left {
                None => "unknown",
                Some(d) if d < 0 => "expired",
                Some(d) if d < horizon => "soon",
                Some(_) => "ok",
            };
            // The not-after date is the column before the last: never broken across lines.
            let date_at = cells.len() - 2;
            CertificateView { cells, state, date_at }
        })
        .collect();
    Some(CertificatesView { title: title(report), header, rows, unused: unused_line(report) })
}

fn kind_label(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Destination => "destination",
        ObjectKind::Settings => "settings",
        ObjectKind::CloudAlmKey => "Cloud ALM key",
        ObjectKind::DestinationKey => "destination service key",
        ObjectKind::Landscape => "landscape",
    }
}

fn kind_heading(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Destination => "Destination",
        ObjectKind::Settings => "Settings",
        ObjectKind::CloudAlmKey => "Cloud ALM key",
        ObjectKind::DestinationKey => "Destination service key",
        ObjectKind::Landscape => "Landscape",
    }
}

fn result_view<'a>(report: &'a Report, f: &'a Finding) -> ResultView<'a> {
    let rule = report.catalog.find(f.code);
    let attention = matches!(f.status, Status::Fail | Status::Error | Status::Manual);
    let not_counted = (f.status == Status::Fail && !report.counts(f)).then(|| {
        if let Some(w) = &f.waived {
            format!("waived until {}", w.expires)
        } else if f.baseline == Some(BaselineState::Unchanged) {
            "already a failure in the baseline".to_owned()
        } else {
            match report.options.fail_on {
                Some(level) => format!("below --fail-on {}", level.as_str()),
                None => "--fail-on never".to_owned(),
            }
        }
    });
    ResultView {
        code: f.code,
        rule: f.rule,
        status: f.status.as_str(),
        label: status_label(f.status),
        severity: (f.status == Status::Fail).then(|| f.severity.as_str()),
        message: &f.message,
        fix: f.fix.as_deref().map(crate::model::Fix::line),
        location: format!("{}:{}", f.location.path, f.location.line),
        property: f.property.as_deref(),
        summary: rule.map(|r| segments(&r.summary)).unwrap_or_default(),
        remediation: if attention {
            rule.map(|r| r.remediation.iter().map(|s| segments(s)).collect()).unwrap_or_default()
        } else {
            Vec::new()
        },
        help_uri: rule.map(|r| r.help_uri.as_str()),
        waived: f.waived.as_deref(),
        baseline: match (report.baseline.is_some(), f.baseline) {
            (true, Some(BaselineState::New)) => Some("new since the baseline"),
            (true, Some(BaselineState::Unchanged)) => Some("unchanged: already a failure in the baseline"),
            _ => None,
        },
        not_counted,
    }
}

fn tally(findings: &[&Finding]) -> String {
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter_map(|s| {
            let n = findings.iter().filter(|f| f.status == *s).count();
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect();
    if parts.is_empty() { "no results".to_owned() } else { parts.join(" · ") }
}

fn object_view<'a>(report: &'a Report, id: &str, object: &ObjectGroup<'a>) -> Option<ObjectView<'a>> {
    let findings = &object.findings;
    let first = findings.first()?;
    let mut attention: Vec<&Finding> =
        findings.iter().copied().filter(|f| matches!(f.status, Status::Fail | Status::Error | Status::Manual)).collect();
    attention.sort_by_key(|f| (!report.counts(f), f.status, f.severity, f.code));
    let mut folded: Vec<&Finding> = findings.iter().copied().filter(|f| matches!(f.status, Status::Pass | Status::NotApplicable)).collect();
    folded.sort_by_key(|f| (f.status, f.code));
    let passes = folded.iter().filter(|f| f.status == Status::Pass).count();
    let folded_label = format!("{passes} passed, {} not applicable (folded; open to see them)", folded.len() - passes);
    Some(ObjectView {
        id: id.to_owned(),
        kind: kind_label(first.object.kind),
        heading: kind_heading(first.object.kind),
        name: object_name(object),
        origin: &first.object.qualified_name,
        level: first.object.level.map(|l| l.as_str()),
        profile: object.profile().map(ProfileView::from),
        tally: tally(findings),
        attention: attention.into_iter().map(|f| result_view(report, f)).collect(),
        folded: folded.into_iter().map(|f| result_view(report, f)).collect(),
        folded_label,
    })
}

fn object_name<'a>(object: &ObjectGroup<'a>) -> &'a str {
    if object.object.kind == ObjectKind::Landscape { "all inputs together" } else { &object.object.name }
}

fn summary_view<'a>(id: &'a str, object: &ObjectGroup<'a>) -> SummaryView<'a> {
    SummaryView {
        id,
        kind: kind_label(object.object.kind),
        name: object_name(object),
        profile: object.profile().map(|p| p.name.as_str()),
        tally: tally(&object.findings),
    }
}

/// The objects of one target (from the shared grouping) with their ids, those that need
/// attention first; objects without results are left out.
fn ordered<'g, 'a>(report: &Report, objects: &'g [ObjectGroup<'a>], next_id: &mut usize) -> Vec<(String, &'g ObjectGroup<'a>)> {
    let tier = |group: &ObjectGroup| {
        if group.findings.iter().any(|f| report.counts(f)) {
            0
        } else if group.findings.iter().any(|f| matches!(f.status, Status::Fail | Status::Error)) {
            1
        } else if group.findings.iter().any(|f| f.status == Status::Manual) {
            2
        } else {
            3
        }
    };
    // Within a tier, the most that count first, then the most failures by severity (errors,
    // then warnings, then notes): 4 errors and 4 warnings come before 2 errors.
    let weight = |group: &ObjectGroup| {
        let fails = |s: crate::model::Severity| group.findings.iter().filter(|f| f.status == Status::Fail && f.severity == s).count();
        let counting = group.findings.iter().filter(|f| report.counts(f)).count();
        use crate::model::Severity::{Error, Note, Warning};
        std::cmp::Reverse((counting, fails(Error), fails(Warning), fails(Note)))
    };
    let mut ordered: Vec<&ObjectGroup> = objects.iter().collect();
    ordered.sort_by_cached_key(|g| (tier(g), weight(g))); // stable: kind and name order after that
    ordered
        .into_iter()
        .filter_map(|g| {
            *next_id += 1;
            (!g.findings.is_empty()).then(|| (format!("object-{next_id}"), g))
        })
        .collect()
}

/// The settings or key row: with targets, each source with the targets that use it (a value
/// given per target is never "not given"), else the one read.
fn input_row(report: &Report, kind: InputKind, read: Option<&str>, missing: &str) -> String {
    let given = if report.targets.is_empty() { read.map(str::to_owned) } else { report.run.sources_of(kind) };
    given.unwrap_or_else(|| missing.to_owned())
}

fn coverage_rows(report: &Report) -> Vec<Row> {
    let c = &report.coverage;
    let mut rows = vec![
        Row { label: "Destination files read", value: c.files_read.to_string(), nowrap: false },
        Row { label: "Destinations found", value: c.destinations_found.to_string(), nowrap: false },
        Row { label: "Audited", value: c.destinations_audited.to_string(), nowrap: false },
        Row {
            label: "In scope, not audited",
            value: match c.destinations_in_scope_not_audited {
                0 => "0".to_owned(),
                n => format!("{n} (a purpose that is not audited; named below with the reason)"),
            },
            nowrap: false,
        },
        Row { label: "Out of scope", value: c.destinations_out_of_scope.to_string(), nowrap: false },
        Row {
            label: "Scope unknown",
            value: format!("{} (a name known only at deployment, CALM034)", c.destinations_scope_unknown),
            nowrap: false,
        },
        Row { label: "Settings", value: input_row(report, InputKind::Settings, c.settings.as_deref(), "not given"), nowrap: false },
        Row {
            label: "Cloud ALM key",
            value: input_row(
                report,
                InputKind::CloudAlmKey,
                c.cloud_alm_key.as_deref(),
                "not given (the rules comparing with the key are not applicable)",
            ),
            nowrap: false,
        },
    ];
    if !c.var_files_not_applied.is_empty() {
        let value = format!("{} (Terraform loads them only with -var-file; --var-file applies them)", c.var_files_not_applied.join(", "));
        rows.push(Row { label: "Variables files not applied", value, nowrap: false });
    }
    if let Some(service) = &c.live_service {
        rows.push(Row { label: "Live Destination service", value: service.clone(), nowrap: false });
        rows.push(Row { label: "Subaccount", value: c.subaccount_id.clone().unwrap_or_else(|| "unknown".to_owned()), nowrap: false });
    }
    rows.push(Row {
        label: "Fail on",
        value: report.options.fail_on.map_or_else(|| "never (--fail-on never)".to_owned(), |s| format!("{} and above", s.as_str())),
        nowrap: false,
    });
    rows.extend(run_rows(report));
    rows
}

/// When and with what the report was made: its own rows, so that a reader of a ticket
/// attachment sees the date of the evidence.
fn run_rows(report: &Report) -> Vec<Row> {
    let run = &report.run;
    let source = if run.time_source == "clock" { "the clock".to_owned() } else { format!("fixed by {}", run.time_source) };
    vec![
        Row { label: "Inputs", value: run.inputs_text(report.targets.is_empty()), nowrap: false },
        Row { label: "Run started (UTC)", value: run.started.clone(), nowrap: true },
        Row { label: "Run ended (UTC)", value: run.ended.clone(), nowrap: true },
        Row { label: "Times from", value: source, nowrap: false },
        Row { label: "calm-audit", value: run.calm_audit_version.to_owned(), nowrap: false },
        Row { label: "Rule catalog", value: run.catalog_version.to_owned(), nowrap: false },
    ]
}

/// A target's section and its objects with their ids, in the order they are written.
type Section<'g, 'a> = (Group<'a>, Vec<(String, &'g ObjectGroup<'a>)>);

/// The page's sections around the objects, and the targets' sections.
fn page<'g, 'a>(report: &'a Report, grouped: &'g [TargetGroup<'a>]) -> (Page<'a>, Vec<Section<'g, 'a>>) {
    let mut next_id = 0;
    let groups: Vec<Section> = grouped
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let objects = ordered(report, &g.objects, &mut next_id);
            let empty = objects.is_empty();
            let head = match g.target {
                None if report.targets.is_empty() => Group { id: "results".to_owned(), name: None, complete: true, empty },
                None => Group { id: "all-targets".to_owned(), name: Some("(all targets)"), complete: true, empty },
                Some(t) => Group { id: format!("target-{}", i + 1), name: Some(t.name.as_str()), complete: t.complete, empty },
            };
            (head, objects)
        })
        .collect();
    let counts: Vec<String> = Status::ALL.iter().map(|s| format!("{} {}", report.count(*s), s.as_str())).collect();
    let waived = report.findings.iter().filter(|f| f.waived.is_some()).count();
    let mut counts = format!("Results: {}", counts.join(" · "));
    if waived > 0 {
        counts.push_str(&format!("; {waived} waived"));
    }
    let page = Page {
        version: env!("CARGO_PKG_VERSION"),
        run: &report.run,
        csp: content_security_policy(),
        css: CSS,
        js: SCRIPT,
        verdict: verdict(report),
        counts,
        incomplete: !report.complete(),
        failures: &report.failures,
        // A target that could not be read at all is already a source failure of its own.
        incomplete_targets: report.targets.iter().filter(|t| !t.complete && t.error.is_none()).map(|t| t.name.as_str()).collect(),
        errors: report.count(Status::Error),
        coverage: coverage_rows(report),
        skipped: &report.coverage.files_skipped,
        targets: report
            .targets
            .iter()
            .map(|t| TargetRow {
                name: &t.name,
                complete: t.complete,
                destinations: t.coverage.destinations_text(),
                verdict: match t.error {
                    Some(_) => "NOT AUDITED".to_owned(),
                    None => format!("{}, {} failing", t.verdict.to_uppercase(), t.failing),
                },
                defined_at: t.defined_at.as_deref(),
                error: t.error.as_deref(),
                partial: (!t.partial.is_empty()).then(|| partial_text(&t.partial)),
            })
            .collect(),
        objects_total: groups.iter().map(|(_, objects)| objects.len()).sum(),
        statuses: Status::ALL.iter().map(|s| StatusChoice { value: s.as_str(), label: status_label(*s) }).collect(),
        severities: ["error", "warning", "note"],
        not_audited: &report.not_audited,
        out_of_scope: report.coverage.destinations_found.saturating_sub(report.coverage.destinations_audited),
        waiver_notes: report
            .waiver_notes
            .iter()
            .map(|w| WaiverView {
                problem: match w.problem {
                    WaiverProblem::Expired => "expired",
                    WaiverProblem::Unmatched => "matched no result",
                },
                rule: &w.rule,
                destination: w.destination.as_deref(),
                target: w.target.as_deref(),
                date: match w.problem {
                    WaiverProblem::Expired => format!("expired {}", w.expires),
                    WaiverProblem::Unmatched => format!("until {}", w.expires),
                },
                defined_at: &w.defined_at,
                reason: &w.reason,
            })
            .collect(),
        certificates: certificates_view(report, i64::from(report.options.expiry_days)),
        baseline: report.baseline.as_ref().map(|b| BaselineView {
            path: &b.path,
            new: b.new,
            unchanged: b.unchanged,
            absent: &b.absent,
            not_compared: b.not_compared.len(),
            not_compared_reasons: b.not_compared_reasons(),
        }),
    };
    (page, groups)
}

/// The page as one text.
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("the built-in HTML template renders");
    String::from_utf8(out).expect("minijinja writes UTF-8")
}

/// How the page writes every value, the one way out of the template: a value from the page
/// model is made inert ([`super::text::one_line`]: control characters and line breaks shown
/// `\u{1b}`, `\u{a}`, masked first when that changes it) and then HTML-escaped; a safe string
/// (the filters' output, the macros', the built-in style sheet and script) is already escaped,
/// and only a control character but the line feed is shown escaped in it still. So no value,
/// however it reached the page, writes a raw ESC, BEL, DEL or C1 character into it.
fn inert_formatter(out: &mut minijinja::Output, state: &mut minijinja::State, value: &minijinja::Value) -> Result<(), minijinja::Error> {
    let Some(text) = value.as_str() else {
        return minijinja::escape_formatter(out, state, value);
    };
    if value.is_safe() {
        return out.write_str(&crate::output::inert(text, false)).map_err(minijinja::Error::from);
    }
    match super::text::one_line(text) {
        std::borrow::Cow::Borrowed(_) => minijinja::escape_formatter(out, state, value),
        std::borrow::Cow::Owned(inert) => minijinja::escape_formatter(out, state, &minijinja::Value::from(inert)),
    }
}

/// Writes the page to `out` as the template produces it.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut env = minijinja::Environment::new();
    // Escape every value, whatever the template's name, and make it inert first.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_formatter(inert_formatter);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    // The template and the page model are both fixed by this crate: an error here is a bug that
    // the tests catch, not something an input can cause.
    env.add_template("report.html", TEMPLATE).expect("the built-in HTML template parses");
    let masker = crate::output::Masker::current();
    let for_rich = std::sync::Arc::clone(&masker);
    env.add_filter("breakable", move |value: String| breakable(&value, &masker));
    env.add_filter("rich", move |value: String| minijinja::Value::from_safe_string(rich(&value, &for_rich)));
    let template = env.get_template("report.html").expect("the built-in HTML template is registered");
    let grouped = report.grouped(|_| true);
    let (page, groups) = page(report, &grouped);
    // The template defines the page's pieces as macros (it writes nothing itself); they are
    // called in order and each piece written at once, so that no more than one object's
    // results are held as template values at a time.
    let mut captured = template.render_captured(minijinja::Value::from(minijinja::value::Serde(&page))).map_err(std::io::Error::other)?;
    captured.with_state_mut(|state| -> std::io::Result<()> {
        let mut piece = |name: &str, args: &[minijinja::Value]| -> std::io::Result<()> {
            let html = state.call_macro(name, args).map_err(std::io::Error::other)?;
            out.write_all(html.as_bytes())
        };
        piece("head", &[])?;
        for (group, objects) in &groups {
            for (id, object) in objects {
                let row = minijinja::Value::from(minijinja::value::Serde(summary_view(id, object)));
                piece("summary_row", &[row, minijinja::Value::from(group.name)])?;
            }
        }
        piece("middle", &[])?;
        for (group, objects) in &groups {
            piece("group_open", &[minijinja::Value::from(minijinja::value::Serde(group))])?;
            for (id, object) in objects {
                if let Some(view) = object_view(report, id, object) {
                    piece("object", &[minijinja::Value::from(minijinja::value::Serde(view))])?;
                }
            }
            piece("group_close", &[])?;
        }
        piece("tail", &[])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, ObjectRef, Severity};
    use crate::report::{Coverage, Options, TargetSummary, WaiverNote};
    use crate::rules::Catalog;

    fn finding(code: &'static str, status: Status, name: &str, message: &str) -> Finding {
        let rule = Catalog::builtin().find(code).map_or("unknown", |r| r.name.as_str());
        // The catalog lives for the whole program, so its names can be borrowed as 'static.
        let rule: &'static str = Catalog::builtin().rules.iter().find(|r| r.name == rule).map_or("unknown", |r| r.name.as_str());
        Finding {
            code,
            rule,
            status,
            severity: Severity::Error,
            object: ObjectRef {
                kind: ObjectKind::Destination,
                name: name.into(),
                qualified_name: format!("dest/{name}.json:1"),
                level: None,
            }
            .into(),
            property: Some("URL".into()),
            message: message.into(),
            location: Location { path: format!("dest/{name}.json").into(), line: 4 },
            target: None,
            waived: None,
            baseline: None,
            profile: None,
            fix: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage {
                files_read: 1,
                destinations_found: 3,
                destinations_in_scope: 2,
                destinations_audited: 2,
                ..Coverage::default()
            },
            failures: Vec::new(),
            options: Options::default(),
            targets: Vec::new(),
            waiver_notes: Vec::new(),
            baseline: None,
            not_audited: Vec::new(),
            run: crate::report::RunInfo::default(),
            partial: Vec::new(),
            certificates: Vec::new(),
        }
    }

    /// The page as a reader's text search sees it: without the line-break opportunities.
    fn plain(r: &Report) -> String {
        render(r).replace("<wbr>", "")
    }

    const SCRIPT_NAME: &str = "CALM_<script>alert(1)</script>";
    const ATTR_NAME: &str = "CALM_\"><img src=x onerror=alert(2)>";

    /// Issue 29, point 12: 2 errors were listed before 4 errors and 4 warnings.
    #[test]
    fn objects_with_more_and_graver_failures_come_first() {
        let mut findings: Vec<Finding> = (0..2).map(|_| finding("CALM004", Status::Fail, "CALM_A_TWO", "two")).collect();
        for i in 0..8 {
            let mut f = finding("CALM004", Status::Fail, "CALM_B_MANY", "many");
            if i % 2 == 1 {
                f.severity = Severity::Warning;
            }
            findings.push(f);
        }
        let html = render(&report(findings));
        assert!(html.find("CALM_B_MANY").unwrap() < html.find("CALM_A_TWO").unwrap(), "{html}");
    }

    /// Issue 27, finding 15: a name holding ESC and BEL was written raw into the page. Every
    /// value holds every C0 control, DEL, every C1 control and a bidirectional override, in
    /// every place a value is shown, filtered or not: the page holds none of them but the line
    /// feed of its own layout.
    #[test]
    fn no_value_writes_a_control_character() {
        let controls: String = ('\u{1}'..='\u{1f}').chain(['\u{7f}', '\u{202e}']).chain('\u{80}'..='\u{9f}').collect();
        let hostile = |what: &str| format!("{what}{controls}end");
        let mut f = finding("CALM004", Status::Fail, &hostile("CALM_A"), &hostile("URL `x` "));
        f.target = Some(hostile("prod"));
        f.property = Some(hostile("URL"));
        f.location = Location { path: hostile("dest/a").into(), line: 4 };
        f.profile = Some(ProfileChoice { name: hostile("p"), reason: hostile("r") }.into());
        f.waived = Some(Box::new(Waived { reason: hostile("w"), expires: hostile("2099-01-01") }));
        let mut g = finding("CALM001", Status::Pass, &hostile("CALM_B"), &hostile("fine"));
        g.target = Some(hostile("prod"));
        let mut r = report(vec![f, g]);
        r.targets = vec![TargetSummary { complete: false, ..TargetSummary::new(&hostile("prod")) }];
        r.failures = vec![SourceFailure { source: hostile("s"), message: hostile("m") }];
        r.not_audited = vec![NotAudited { name: hostile("n"), reason: hostile("why").into(), target: None }];
        r.waiver_notes = vec![WaiverNote {
            problem: WaiverProblem::Unmatched,
            rule: hostile("CALM019"),
            destination: Some(hostile("d")),
            target: Some(hostile("prod")),
            reason: hostile("because"),
            expires: hostile("2099-01-01"),
            defined_at: hostile("w.toml:1"),
        }];
        r.coverage.settings = Some(hostile("settings.toml"));
        r.coverage.cloud_alm_key = Some(hostile("key.json"));
        r.coverage.files_skipped = vec![hostile("skipped.txt")];
        let html = render(&r);
        let raw = html.char_indices().find(|(_, c)| (c.is_control() && *c != '\n') || *c == '\u{202e}');
        if let Some((at, c)) = raw {
            let before: Vec<char> = html[..at].chars().rev().take(120).collect();
            panic!("raw {c:?} after {:?}", before.into_iter().rev().collect::<String>());
        }
        assert!(html.contains("CALM_<wbr>A\\u{1}\\u{2}"), "{html}");
        assert!(html.contains("\\u{1b}\\u{1c}") && html.contains("\\u{7f}\\u{202e}\\u{80}") && html.contains("\\u{9f}end"), "{html}");
    }

    #[test]
    fn hostile_values_render_as_text_everywhere() {
        let mut f = finding("CALM004", Status::Fail, SCRIPT_NAME, "URL \"https://x/\"><img src=x onerror=alert(3)>\" does not end with /");
        f.target = Some("<i>prod</i>".into());
        f.profile = Some(ProfileChoice { name: "<u>p</u>".into(), reason: "\"><img onerror=alert(4)>".into() }.into());
        f.waived = Some(Box::new(Waived { reason: "<script>alert(5)</script>".into(), expires: "2099-01-01\"><b>".into() }));
        let mut g = finding("CALM001", Status::Pass, ATTR_NAME, "Name '><svg onload=alert(6)> is fine");
        g.target = Some("<i>prod</i>".into());
        let mut r = report(vec![f, g]);
        r.targets = vec![TargetSummary { complete: false, ..TargetSummary::new("<i>prod</i>") }];
        r.failures = vec![SourceFailure { source: "<script>alert(7)</script>".into(), message: "\"><img onerror=alert(8)>".into() }];
        r.not_audited =
            vec![NotAudited { name: "<script>alert(9)</script>".into(), reason: "'><img onerror=alert(10)>".into(), target: None }];
        r.waiver_notes = vec![WaiverNote {
            problem: WaiverProblem::Unmatched,
            rule: "<b>CALM019</b>".into(),
            destination: Some("<script>alert(11)</script>".into()),
            target: None,
            reason: "<img onerror=alert(12)>".into(),
            expires: "2099-01-01".into(),
            defined_at: "<x>:1".into(),
        }];
        // With targets, the settings row names each target's settings from the run's inputs.
        r.run.inputs = vec![crate::report::InputUsed {
            kind: InputKind::Settings,
            source: "<img src=x onerror=alert(13)>.toml".into(),
            target: Some("<i>prod</i>".into()),
        }];
        let html = render(&r).replace("<wbr>", "");
        // Only the built-in script; no tag or attribute from the inputs survives.
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        for bad in ["<img", "<svg", "<i>", "<u>", "<b>", "<x>", "onerror=alert(2)>", "\"><img"] {
            assert!(!html.contains(bad), "{bad} unescaped in\n{html}");
        }
        assert!(html.contains("CALM_&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("CALM_&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), "{html}");
        for n in 1..=13 {
            assert!(html.contains(&format!("alert({n})")), "value {n} is missing from the page");
        }
    }

    #[test]
    fn objects_are_written_one_at_a_time_each_once_under_its_target() {
        // Two targets of three objects each: the summary lists every object once with its
        // target and a link; each target's section holds exactly its objects, failing first.
        let mut findings = Vec::new();
        for (target, names) in [("dev", ["CALM_A", "CALM_B", "CALM_C"]), ("prod", ["CALM_D", "CALM_E", "CALM_F"])] {
            for name in names {
                let status = if name == "CALM_C" || name == "CALM_E" { Status::Fail } else { Status::Pass };
                let mut f = finding("CALM004", status, name, &format!("URL of {name}"));
                f.target = Some(target.into());
                findings.push(f);
            }
        }
        let mut r = report(findings);
        r.targets = vec![TargetSummary::new("dev"), TargetSummary::new("prod")];
        let html = plain(&r);
        let (summary, sections) = html.split_once("<form id=\"filter\"").expect("the filter form follows the summary");
        for name in ["CALM_A", "CALM_B", "CALM_C", "CALM_D", "CALM_E", "CALM_F"] {
            assert_eq!(summary.matches(&format!("destination {name}</a>")).count(), 1, "{name} in\n{summary}");
            assert_eq!(sections.matches(&format!("<code>{name}</code></h3>")).count(), 1, "{name} in\n{sections}");
        }
        let dev = sections.find("Target dev").expect("dev's section");
        let prod = sections.find("Target prod").expect("prod's section");
        let at = |name: &str| sections.find(&format!("<code>{name}</code></h3>")).unwrap_or_default();
        assert!(dev < at("CALM_C") && at("CALM_C") < at("CALM_A") && at("CALM_A") < at("CALM_B") && at("CALM_B") < prod, "{sections}");
        assert!(prod < at("CALM_E") && at("CALM_E") < at("CALM_D") && at("CALM_D") < at("CALM_F"), "{sections}");
        // Every link of the summary leads to a section of the page.
        for id in summary.split("<a href=\"#").skip(1).map(|s| s.split('"').next().unwrap_or_default()) {
            assert_eq!(sections.matches(&format!("<h3 id=\"{id}\">")).count(), 1, "{id}");
        }
        assert!(html.ends_with("</body>\n</html>\n"), "the page is complete");
    }

    #[test]
    fn a_failed_write_stops_the_page_with_the_error() {
        struct Fails(usize);
        impl std::io::Write for Fails {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let r = report(vec![finding("CALM004", Status::Fail, "CALM_A", "URL"), finding("CALM004", Status::Fail, "CALM_B", "URL")]);
        let whole = render(&r).len();
        for room in [0, 100, whole / 2, whole - 10] {
            let error = write(&r, &mut Fails(room)).expect_err("the writer failed");
            assert!(error.to_string().contains("disk full"), "{error}");
        }
        assert!(write(&r, &mut Fails(whole)).is_ok());
    }

    #[test]
    fn csp_allows_exactly_the_built_in_style_and_script() {
        let html = render(&report(Vec::new()));
        let between = |open: &str, close: &str| {
            let start = html.find(open).map(|i| i + open.len()).unwrap_or_default();
            html[start..].split(close).next().unwrap_or_default().to_owned()
        };
        let digest = |s: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()));
        let csp = content_security_policy();
        // In an attribute, minijinja escapes the quotes: the browser reads them back.
        let attribute = csp.replace('\'', "&#x27;").replace('/', "&#x2f;");
        assert!(html.contains(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{attribute}\">")), "{html}");
        assert!(csp.starts_with("default-src 'none'; "), "{csp}");
        assert!(csp.contains(&format!("style-src 'sha256-{}'", digest(&between("<style>", "</style>")))), "{csp}");
        assert!(csp.contains(&format!("script-src 'sha256-{}'", digest(&between("<script>", "</script>")))), "{csp}");
        // Self-contained: nothing is fetched.
        for external in ["src=\"http", "href=\"http://", "@import", "url(", "<link rel=\"stylesheet"] {
            assert!(!html.contains(external), "{external}");
        }
        assert_eq!(html.matches("<style>").count(), 1);
    }

    #[test]
    fn verdict_then_failures_then_coverage_then_results_failing_first() {
        let mut warn = finding("CALM003", Status::Fail, "CALM_B", "ProxyType is not set");
        warn.severity = Severity::Warning;
        let r = {
            let mut r = report(vec![
                finding("CALM001", Status::Pass, "CALM_A", "Name starts with CALM_"),
                warn,
                finding("CALM009", Status::Manual, "CALM_B", "the export removed clientSecret"),
                finding("CALM004", Status::Fail, "CALM_B", "URL does not end with /"),
                finding("CALM012", Status::NotApplicable, "CALM_A", "no key given"),
            ]);
            r.failures = vec![SourceFailure { source: "instance level, page 3".into(), message: "HTTP 503 after 4 attempt(s)".into() }];
            r
        };
        let html = render(&r).replace("<wbr>", "");
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} not in\n{html}"));
        assert!(at("<h1 id=\"verdict\">INCOMPLETE") < at("Source failures"));
        assert!(at("Exit code 3:") < at("Source failures"));
        assert!(at("instance level, page 3") < at("id=\"coverage\""));
        assert!(at("id=\"coverage\"") < at("<code>CALM004</code>"));
        // The destination with a counting failure comes first; in it, error before warning before manual.
        assert!(at("<code>CALM_B</code></h3>") < at("<code>CALM_A</code></h3>"));
        assert!(at("<code>CALM004</code>") < at("<code>CALM003</code>") && at("<code>CALM003</code>") < at("<code>CALM009</code>"));
        assert!(html.contains("does not count: below --fail-on error"));
        // Remediation and link come from the catalog.
        let rule = Catalog::builtin().find("CALM004").unwrap();
        assert!(html.contains(&format!("href=\"{}\"", rule.help_uri.replace('/', "&#x2f;"))));
        assert!(at("<code>CALM004</code>") < at("How to fix"));
        // Passes are folded into a closed <details>, present all the same.
        let folded = at("<details class=\"folded\">");
        assert!(folded < at("<code>CALM001</code>") && !html.contains("<details class=\"folded\" open"));
        assert!(html.contains("1 passed, 1 not applicable"));
    }

    #[test]
    fn verdict_says_the_exit_code() {
        let pass = render(&report(vec![finding("CALM001", Status::Pass, "CALM_A", "ok")]));
        assert!(pass.contains("<h1 id=\"verdict\">PASSED") && pass.contains("Exit code 0:"), "{pass}");
        assert!(!pass.contains("Source failures"));
        let fail = plain(&report(vec![finding("CALM004", Status::Fail, "CALM_A", "URL does not end with /")]));
        assert!(fail.contains("<h1 id=\"verdict\">FAILED: 1 result(s) fail at or above error") && fail.contains("Exit code 1:"), "{fail}");
        let mut never = report(vec![finding("CALM004", Status::Fail, "CALM_A", "URL does not end with /")]);
        never.options.fail_on = None;
        let never = plain(&never);
        assert!(never.contains("PASSED") && never.contains("1 not counted (--fail-on never)"), "{never}");
        let error = plain(&report(vec![finding("CALM030", Status::Error, "CALM_A", "a source failed")]));
        assert!(
            error.contains("INCOMPLETE") && error.contains("Exit code 3:") && error.contains("1 result(s) could not be evaluated"),
            "{error}"
        );
    }

    #[test]
    fn profiles_waivers_baseline_and_not_audited_are_shown() {
        let mut f = finding("CALM004", Status::Fail, "CALM_A", "URL does not end with /");
        f.profile = Some(ProfileChoice { name: "entitlement-management".into(), reason: "named by the settings".into() }.into());
        f.waived = Some(Box::new(Waived { reason: "migration to the new tenant".into(), expires: "2099-03-31".into() }));
        let mut u = finding("CALM010", Status::Fail, "CALM_A", "tokenServiceURLType is \"Common\"");
        u.baseline = Some(BaselineState::Unchanged);
        let mut r = report(vec![f, u]);
        r.baseline = Some(crate::report::BaselineSummary { path: "last.json".into(), ..Default::default() });
        r.not_audited = vec![NotAudited {
            name: "TransportManagementService".into(),
            reason: "Cloud Transport Management to the Cloud ALM API".into(),
            target: None,
        }];
        let html = render(&r).replace("<wbr>", "");
        assert!(html.contains("<strong>Profile:</strong> <code>entitlement-management</code> (named by the settings)"), "{html}");
        assert!(html.contains("until 2099-03-31: migration to the new tenant"), "{html}");
        assert!(html.contains("does not count: waived until 2099-03-31"), "{html}");
        assert!(html.contains("unchanged: already a failure in the baseline"), "{html}");
        assert!(
            html.contains("<code>TransportManagementService</code></th><td>Cloud Transport Management to the Cloud ALM API</td>"),
            "{html}"
        );
        assert!(html.contains("PASSED") && html.contains("1 waived, 1 already in the baseline"), "{html}");
    }

    /// Regression: at phone width table cells broke "Destin/ation", "S4_BACK/END" and
    /// "examples/settings.to/ml" in the middle of words; values may now wrap only after a separator.
    #[test]
    fn long_values_wrap_only_after_separators() {
        let none = crate::output::Masker::new([]);
        let shown = |s: &str| breakable(s, &none).to_string();
        assert_eq!(shown("examples/settings.toml"), "examples/<wbr>settings.<wbr>toml");
        assert_eq!(shown("S4_BACKEND_EU10"), "S4_<wbr>BACKEND_<wbr>EU10");
        assert_eq!(shown("S4_BACKEND"), "S4_BACKEND", "short enough for any cell");
        assert_eq!(
            shown("https://a.eu10.alm.cloud.sap/api?x=1&y=2"),
            "https://<wbr>a.<wbr>eu10.<wbr>alm.<wbr>cloud.<wbr>sap/<wbr>api?<wbr>x=<wbr>1&amp;<wbr>y=<wbr>2"
        );
        // Short words, a separator before a space or at the end: nothing to add.
        assert_eq!(shown("e.g. a, b. Destination"), "e.g. a, b. Destination");
        assert_eq!(shown("<b>\"'&"), "&lt;b&gt;&quot;&#x27;&amp;");
        // A secret is masked before it is cut up, or the masking writer could not find it.
        let masker = crate::output::Masker::new(["s3cr3t-value/with=separators"]);
        let masked = breakable("clientSecret=s3cr3t-value/with=separators in a message", &masker).to_string();
        assert!(!masked.replace("<wbr>", "").contains("s3cr3t"), "{masked}");
        assert!(masked.contains("***"), "{masked}");
    }

    /// Regression: the heading said "Cloud alm key" and messages showed their backticks.
    #[test]
    fn headings_keep_their_capitals_and_messages_their_code_spans() {
        let mut key = finding("CALM041", Status::Fail, "calm-service-key.txt", "endpoints.Api does not end in `/api`");
        std::sync::Arc::make_mut(&mut key.object).kind = ObjectKind::CloudAlmKey;
        let html = plain(&report(vec![key]));
        assert!(html.contains("<h3 id=\"object-1\">Cloud ALM key <code>calm-service-key.txt</code></h3>"), "{html}");
        assert!(!html.contains("Cloud alm key"), "{html}");
        assert!(html.contains("<p class=\"msg\">endpoints.Api does not end in <code>/api</code></p>"), "{html}");
    }

    #[test]
    fn catalog_code_spans_become_code_elements() {
        let s = segments("add a `/` at the end, for example `https://x/`.");
        let parts: Vec<(&str, bool)> = s.iter().map(|s| (s.text, s.code)).collect();
        assert_eq!(parts, [("add a ", false), ("/", true), (" at the end, for example ", false), ("https://x/", true), (".", false)]);
        assert_eq!(segments("a ` lone tick").len(), 1);
    }
}
