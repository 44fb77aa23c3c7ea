//! The terminal report: results grouped by target, then by object; a line for every audited
//! destination; the destinations not audited, by name and reason; then a summary that states
//! coverage.
//!
//! It is laid out for `Options::width` columns. From [`TABLE_MIN_WIDTH`] on, and when every
//! column then fits without cutting a word, each object's results are a table; otherwise they
//! are a list, one block per result. Either way a rule code, a rule name or a URL is cut only
//! when that word alone is wider than the line.

use std::io::{self, Write};

use comfy_table::{Cell, Color, ColumnConstraint, Table, Width, presets};

use super::group::{ObjectGroup, TargetGroup};
use super::text::{GLUE, TABLE_MIN_WIDTH, indented_line, inert_cell, longest_token, one_line, widest_line, width, wrap};
use super::{Report, partial_text};
use crate::model::{BaselineState, Finding, NotAudited, ObjectKind, Status};
use crate::rules::context::OUT_OF_SCOPE;

/// Not-audited destinations named one by one without `--verbose`.
const NOT_AUDITED_SHOWN: usize = 10;

/// Narrowest message column a table is drawn with; below it the list reads better.
const MESSAGE_MIN: usize = 30;

fn status_color(status: Status) -> Color {
    match status {
        Status::Fail => Color::Red,
        Status::Error => Color::Magenta,
        Status::Manual => Color::Yellow,
        Status::NotApplicable => Color::DarkGrey,
        Status::Pass => Color::Green,
    }
}

fn paint(report: &Report, status: Status, text: &str) -> String {
    if !report.options.color {
        return text.to_owned();
    }
    let code = match status {
        Status::Fail => "31",
        Status::Error => "35",
        Status::Manual => "33",
        Status::NotApplicable => "90",
        Status::Pass => "32",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn object_heading(f: &Finding) -> String {
    match f.object.kind {
        ObjectKind::Landscape => "landscape (all inputs together)".to_owned(),
        ObjectKind::Settings => format!("settings: {}", f.object.qualified_name),
        ObjectKind::CloudAlmKey => format!("Cloud ALM key: {}", f.object.qualified_name),
        ObjectKind::DestinationKey => format!("destination service key: {}", f.object.qualified_name),
        ObjectKind::Destination => match &f.profile {
            // "profile" and its name stay on one line.
            Some(p) => format!("destination {}: {} · profile{GLUE}{} ({})", f.object.name, f.object.qualified_name, p.name, p.reason),
            None => format!("destination {}: {}", f.object.name, f.object.qualified_name),
        },
    }
}

/// The status cell: the status, then the waiver and the baseline state on lines of their own.
fn status_label(f: &Finding) -> String {
    let mut label = f.status.as_str().to_owned();
    if let Some(w) = &f.waived {
        label.push_str(&format!("\nwaived until\n{}", w.expires));
    }
    if f.baseline == Some(BaselineState::New) {
        label.push_str("\nnew");
    }
    label
}

/// Where a result points, under its object's heading: the line, or `file:line` when the value
/// is written in another file than the object's (a Terraform variable default or `*.tfvars`
/// value, an MTA extension descriptor) or the object names no file (the landscape).
fn line_label(f: &Finding) -> String {
    let path = &*f.location.path;
    let own = f.object.qualified_name.strip_prefix(path).is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ']));
    if own { f.location.line.to_string() } else { format!("{path}:{}", f.location.line) }
}

fn severity_label(f: &Finding) -> &'static str {
    if f.status == Status::Fail { f.severity.as_str() } else { "" }
}

/// Column widths (content only) of the results table, or `None` when a table would have to cut
/// a word at this width.
struct Columns {
    status: usize,
    severity: usize,
    rule: usize,
    line: usize,
    message: usize,
}

/// Left and right border, four separators, one space of padding on each side of five columns.
const TABLE_CHROME: usize = 2 + 4 + 10;

fn columns(rows: &[&Finding], total: usize) -> Option<Columns> {
    if total < TABLE_MIN_WIDTH {
        return None;
    }
    let max = |f: &dyn Fn(&Finding) -> usize, header: &str| rows.iter().map(|r| f(r)).max().unwrap_or(0).max(width(header));
    let status = max(&|f| widest_line(&status_label(f)), "Status");
    let severity = max(&|f| width(severity_label(f)), "Severity");
    let line = max(&|f| width(&inert_cell(&line_label(f))), "Line");
    let rule_wide = max(&|f| width(f.code) + 1 + width(f.rule), "Rule");
    let rule_narrow = max(&|f| width(f.code).max(width(f.rule)), "Rule");
    // Measured as shown: a tab is `\u{9}`, six columns; the fix is a line of its own.
    let message_needs =
        max(&|f| message_parts(f).iter().map(|p| longest_token(&inert_cell(p))).max().unwrap_or(0), "Message").max(MESSAGE_MIN);
    let message_wants = max(&|f| message_parts(f).iter().map(|p| widest_line(&inert_cell(p))).max().unwrap_or(0), "Message");
    for rule in [rule_wide, rule_narrow] {
        let left = total.checked_sub(TABLE_CHROME + status + severity + rule + line)?;
        if left >= message_needs {
            return Some(Columns { status, severity, rule, line, message: left.min(message_wants.max(MESSAGE_MIN)) });
        }
    }
    None
}

fn results_table(report: &Report, rows: &[&Finding], c: &Columns) -> String {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED).force_no_tty();
    if report.options.color {
        table.enforce_styling();
    }
    table.set_header(vec!["Status", "Severity", "Rule", "Line", "Message"]);
    for f in rows {
        let mut status = Cell::new(status_label(f));
        if report.options.color {
            status = status.fg(status_color(f.status));
        }
        table.add_row(vec![
            status,
            Cell::new(severity_label(f)),
            Cell::new(format!("{} {}", f.code, f.rule)),
            Cell::new(laid_out(&line_label(f), c.line)),
            Cell::new(message_parts(f).iter().map(|p| laid_out(p, c.message)).collect::<Vec<_>>().join("\n")),
        ]);
    }
    for (column, w) in table.column_iter_mut().zip([c.status, c.severity, c.rule, c.line, c.message]) {
        let w = u16::try_from(w + 2).unwrap_or(u16::MAX);
        column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w)));
    }
    format!("{table}\n")
}

/// A value for a cell `max` columns wide, made inert and wrapped here ([`wrap`]), so the table
/// never wraps it: its wrapping would take a run of spaces at a break for one (`CALM_A  B` and
/// `CALM_A B` alike).
fn laid_out(value: &str, max: usize) -> String {
    wrap(&inert_cell(value), max).join("\n")
}

/// One block per result: status, severity, rule code and name, line; the message beneath.
fn results_list(report: &Report, rows: &[&Finding], total: usize) -> String {
    let mut out = String::new();
    for f in rows {
        let mut head = paint(report, f.status, f.status.as_str());
        if let Some(w) = &f.waived {
            head.push_str(&format!(" (waived until {})", w.expires));
        }
        if f.baseline == Some(BaselineState::New) {
            head.push_str(" (new)");
        }
        let severity = severity_label(f);
        if !severity.is_empty() {
            head.push_str(" · ");
            head.push_str(severity);
        }
        let place = line_label(f);
        let place = if place.contains(':') { place } else { format!("line{GLUE}{place}") };
        head.push_str(&format!(" · {} {} · {place}", f.code, f.rule));
        out.push_str(&indented_line(&head, total, 2, 2));
        out.push_str(&indented_line(&f.message, total, 4, 4));
        if let Some(fix) = &f.fix {
            out.push_str(&indented_line(&format!("fix: {}", fix.line()), total, 4, 6));
        }
    }
    out
}

/// The message of a result, with its `fix:` line beneath when it has one (SPEC §5a).
/// A result's message and, when it has one, its `fix:` line: each laid out on its own.
fn message_parts(f: &Finding) -> Vec<std::borrow::Cow<'_, str>> {
    let mut parts = vec![std::borrow::Cow::Borrowed(f.message.as_str())];
    if let Some(fix) = &f.fix {
        parts.push(format!("fix: {}", fix.line()).into());
    }
    parts
}

/// The results shown of one target (or of a run without targets), one section per object,
/// each object's results by status, then rule; each object written as soon as it is laid out.
fn results(report: &Report, group: &TargetGroup, layout: Option<&Columns>, out: &mut dyn Write) -> io::Result<()> {
    let total = report.options.width;
    for object in &group.objects {
        let mut rows: Vec<&Finding> = object.findings.iter().copied().filter(|f| report.shown(f)).collect();
        let Some(first) = rows.first().copied() else { continue };
        rows.sort_by_key(|f| (f.status, f.code));
        let mut section = indented_line(&object_heading(first), total, 0, 2);
        match layout {
            Some(c) => section.push_str(&results_table(report, &rows, c)),
            None => section.push_str(&results_list(report, &rows, total)),
        }
        section.push('\n');
        out.write_all(section.as_bytes())?;
    }
    Ok(())
}

/// A line per audited destination, passing or not, with its counts and profile.
fn destinations(report: &Report, group: &TargetGroup, out: &mut dyn Write) -> io::Result<()> {
    let total = report.options.width;
    // A destination whose scope is unknown (named so in the list of those not audited, and
    // judged by no profile) is listed apart, as what it is.
    let unknown_names: std::collections::HashSet<&str> =
        report.not_audited.iter().filter(|n| n.reason.starts_with(crate::rules::context::SCOPE_UNKNOWN)).map(|n| n.name.as_str()).collect();
    let (unknown, audited): (Vec<&ObjectGroup>, Vec<&ObjectGroup>) = group
        .destinations()
        .into_iter()
        .partition(|o| unknown_names.contains(o.object.name.as_str()) && o.findings.iter().all(|f| f.profile.is_none()));
    destination_lines(report, "Destinations audited", &audited, total, out)?;
    destination_lines(report, "Scope unknown, judged by CALM034 and CALM070 only", &unknown, total, out)
}

fn destination_lines(report: &Report, heading: &str, list: &[&ObjectGroup], total: usize, out: &mut dyn Write) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    out.write_all(indented_line(&format!("{heading} ({}):", list.len()), total, 0, 2).as_bytes())?;
    for object in list {
        let counts: Vec<String> = Status::ALL
            .iter()
            .filter_map(|st| {
                let n = object.count(*st);
                (n > 0).then(|| paint(report, *st, &format!("{n} {}", st.as_str())))
            })
            .collect();
        let mut line = format!("{}: {}", object.object.name, counts.join(", "));
        if let Some(p) = object.profile() {
            line.push_str(&format!("; profile{GLUE}{} ({})", p.name, p.reason));
        }
        line.push_str(&format!("; {}", object.object.qualified_name));
        out.write_all(indented_line(&line, total, 2, 4).as_bytes())?;
    }
    out.write_all(b"\n")
}

/// The destinations read and not audited, with the reason: all with `--verbose`, else the first
/// few and how many more.
fn not_audited(report: &Report, target: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let total = report.options.width;
    let mut list: Vec<&NotAudited> = report.not_audited.iter().filter(|n| n.target.as_deref() == target).collect();
    // Those recognised and left out for their purpose first: out of scope is the common case.
    list.sort_by_key(|n| n.reason == OUT_OF_SCOPE);
    if list.is_empty() {
        return Ok(());
    }
    out.write_all(format!("Not audited ({}):\n", list.len()).as_bytes())?;
    let shown = if report.options.verbose { list.len() } else { NOT_AUDITED_SHOWN.min(list.len()) };
    for n in &list[..shown] {
        out.write_all(indented_line(&format!("{}: {}", n.name, n.reason), total, 2, 4).as_bytes())?;
    }
    if shown < list.len() {
        out.write_all(format!("  ... and {} more (--verbose lists them all)\n", list.len() - shown).as_bytes())?;
    }
    out.write_all(b"\n")
}

/// Leads the coverage line naming the Terraform variables files found and not applied.
pub const NOT_APPLIED_LEAD: &str = "Not applied (Terraform loads these variables files only with -var-file; --var-file applies them):";

fn inputs_line(c: &super::Coverage) -> String {
    format!(
        "Inputs: settings {}, Cloud ALM key {}",
        c.settings.as_deref().unwrap_or("not given"),
        c.cloud_alm_key.as_deref().unwrap_or("not given")
    )
}

/// "No findings to show." for an empty section, unless that would hide a partial audit.
fn nothing_to_show(partial: &[super::Missing]) -> String {
    if partial.is_empty() {
        "No findings to show.\n\n".to_owned()
    } else {
        format!("No findings to show, but this is {}.\n\n", partial_text(partial))
    }
}

/// The report as one text, for the tests: [`write`] into memory. Everything else writes
/// through [`Report::render_to`], which makes the text inert.
#[cfg(test)]
fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the report to `out` a section at a time (an object's results, a destination's line),
/// never holding it whole: with `--all-results`, 100,000 destinations are millions of lines.
/// Every value is kept on its line ([`indented_line`], cells through [`inert_cell`]). Only
/// [`Report::render_to`] calls it, through the writer that makes the rest of the text inert.
pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let total = report.options.width;
    let groups = report.grouped(|_| true);
    let shown: Vec<&Finding> = report.findings.iter().filter(|f| report.shown(f)).collect();
    let layout = columns(&shown, total);
    let has_shown = |g: &TargetGroup| g.objects.iter().flat_map(|o| &o.findings).any(|f| report.shown(f));
    // The first line names the report, so that a walk of a folder holding it saved as text skips it.
    out.write_all(format!("{}\n\n", crate::model::result::TABLE_REPORT_FIRST_LINE).as_bytes())?;

    for group in &groups {
        let Some(target) = group.target else {
            // A run without targets, or results of no known target (none today): never dropped.
            if report.targets.is_empty() && !has_shown(group) {
                out.write_all(indented_line(nothing_to_show(&report.partial).trim_end(), total, 0, 2).as_bytes())?;
                out.write_all(b"\n")?;
            }
            results(report, group, layout.as_ref(), out)?;
            if report.targets.is_empty() {
                destinations(report, group, out)?;
                not_audited(report, None, out)?;
            }
            continue;
        };
        let title = one_line(&format!("Target {}", target.name)).into_owned();
        out.write_all(format!("{title}\n{}\n\n", "=".repeat(width(&title).min(total))).as_bytes())?;
        if target.error.is_none() && !has_shown(group) {
            out.write_all(indented_line(nothing_to_show(&target.partial).trim_end(), total, 0, 2).as_bytes())?;
            out.write_all(b"\n")?;
        }
        results(report, group, layout.as_ref(), out)?;
        destinations(report, group, out)?;
        not_audited(report, Some(&target.name), out)?;
        let mut closing = indented_line(&target.verdict_line(report.options.fail_on), total, 0, 2);
        if target.error.is_none() {
            let c = &target.coverage;
            let line = format!("Target {}: {} destination file(s) read; {}", target.name, c.files_read, c.destinations_text());
            closing.push_str(&indented_line(&line, total, 0, 2));
            closing.push_str(&indented_line(&inputs_line(c), total, 0, 2));
            if let Some(service) = &c.live_service {
                closing.push_str(&indented_line(
                    &format!("Live: {service}, subaccount {}", c.subaccount_id.as_deref().unwrap_or("unknown")),
                    total,
                    0,
                    2,
                ));
            }
        }
        closing.push('\n');
        out.write_all(closing.as_bytes())?;
    }
    let mut closing = certificates(report);
    for (indent, line) in summary(report) {
        closing.push_str(&indented_line(&line, total, indent, indent + 2));
    }
    out.write_all(closing.as_bytes())
}

/// The certificates in use (SPEC §3b), soonest to expire first: a table when it fits without
/// cutting a word, else one block per certificate.
fn certificates(report: &Report) -> String {
    use super::certificates::{HEADER, cells_in, title, unused_line};
    let total = report.options.width;
    let mut out = String::new();
    if report.certificates.is_empty() && report.coverage.certificates_unused == 0 {
        return out;
    }
    out.push_str(&indented_line(&format!("{}:", title(report)), total, 0, 2));
    let several = !report.targets.is_empty();
    let rows: Vec<Vec<String>> = report
        .certificates
        .iter()
        .map(|row| {
            let mut cells = cells_in(&report.certificates, row).to_vec();
            if several {
                cells[2] = format!("{} ({})", cells[2], row.target.as_deref().unwrap_or("-"));
            }
            cells.iter().map(|c| inert_cell(c)).collect()
        })
        .collect();
    if !rows.is_empty() {
        match super::text::grid(&HEADER, &rows, total) {
            Some(table) => out.push_str(&table),
            None => {
                for c in &rows {
                    out.push_str(&indented_line(&format!("{} · {} · used by {}", c[0], c[1], c[2]), total, 2, 4));
                    let line = if c[5] == "unknown" {
                        c[3].clone()
                    } else {
                        format!("CN {}, issued by {}; not after {}; days left {}", c[3], c[4], c[5], c[6])
                    };
                    out.push_str(&indented_line(&line, total, 4, 6));
                }
            }
        }
    }
    if let Some(line) = unused_line(report) {
        out.push_str(&indented_line(&line, total, 2, 4));
    }
    out.push('\n');
    out
}

/// The line before the `calm-audit explain CODE` commands of the failed rules (SPEC §5a).
pub(super) const EXPLAIN_LEAD: &str = "Steps to fix each failed rule:";

/// The closing lines, each with its indent.
fn summary(report: &Report) -> Vec<(usize, String)> {
    let c = &report.coverage;
    let mut s = vec![(
        0,
        format!(
            "Coverage: {} destination file(s) read, {} skipped{}; {}",
            c.files_read,
            c.files_skipped.len(),
            if c.files_ignored.is_empty() { String::new() } else { format!(", {}", super::ignored_summary(&c.files_ignored)) },
            c.destinations_text()
        ),
    )];
    if !c.var_files_not_applied.is_empty() {
        s.push((0, format!("{} {}", NOT_APPLIED_LEAD, c.var_files_not_applied.join(", "))));
    }
    // With targets, each has named its own inputs above.
    if report.targets.is_empty() {
        s.push((0, format!("Inputs: {}", report.run.inputs_text(true))));
        if let Some(service) = &c.live_service {
            s.push((0, format!("Live: {service}, subaccount {}", c.subaccount_id.as_deref().unwrap_or("unknown"))));
        }
    } else if !report.run.inputs.is_empty() {
        s.push((0, format!("Inputs: {}", report.run.inputs_text(false))));
    }
    s.push((0, report.run.line()));
    let counts: Vec<String> = Status::ALL.iter().map(|st| format!("{} {}", report.count(*st), st.as_str())).collect();
    let mut results = format!("Results: {}", counts.join(", "));
    if !report.options.all_results {
        results.push_str(" (pass and not_applicable hidden; --all-results shows them)");
    }
    s.push((0, results));
    match report.options.fail_on {
        Some(level) => s.push((0, format!("Failing at or above {}: {}", level.as_str(), report.failing()))),
        None => s.push((0, "Failing: not counted (--fail-on never)".to_owned())),
    }
    if c.destinations_in_scope == 0 && c.destinations_found > 0 {
        let unknown = report.not_audited.iter().filter(|n| n.reason.starts_with(crate::rules::context::SCOPE_UNKNOWN)).count();
        let mut note =
            "Note: no destination is in scope (none named CALM_*, none with a *.alm.cloud.sap URL, none named in the settings)".to_owned();
        if unknown > 0 {
            note.push_str(&format!("; {unknown} with a name known only at deployment may be (scope unknown, CALM034)"));
        }
        s.push((0, note));
    }
    let waived = report.findings.iter().filter(|f| f.waived.is_some()).count();
    if waived > 0 || !report.waiver_notes.is_empty() {
        let mut line = format!("Waivers: {waived} result(s) waived");
        for note in &report.waiver_notes {
            let problem = match note.problem {
                super::WaiverProblem::Expired => format!("expired on {}", note.expires),
                super::WaiverProblem::Unmatched => "matched nothing".to_owned(),
            };
            line.push_str(&format!("; {} ({} {}) {problem}", note.defined_at, note.rule, note.destination.as_deref().unwrap_or("*")));
        }
        s.push((0, line));
    }
    if let Some(b) = &report.baseline {
        s.push((0, format!("Baseline {}: {}", b.path, b.counts_text())));
        for gone in &b.absent {
            s.push((2, format!("gone: {} {} ({}:{})", gone.code, gone.object, gone.location.path, gone.location.line)));
        }
        for (reason, n) in b.not_compared_reasons() {
            s.push((2, format!("not compared ({n}), not known gone: {reason}")));
        }
    }
    for failure in &report.failures {
        s.push((0, format!("INCOMPLETE: {}: {}", failure.source, failure.message)));
    }
    // Just before the verdict, which stays the last line.
    let commands = report.explain_commands();
    if !commands.is_empty() {
        s.push((0, EXPLAIN_LEAD.to_owned()));
        s.extend(commands.into_iter().map(|c| (2, c)));
    }
    s.push((0, verdict_line(report)));
    s
}

/// The run's verdict in words, last: what the exit code says, and that a partial audit is one.
fn verdict_line(report: &Report) -> String {
    let mut line = match report.verdict() {
        _ if report.none_read() => "Verdict: NOTHING AUDITED (exit code 2): no target could be read; this is not a pass".to_owned(),
        "incomplete" => "Verdict: INCOMPLETE (exit code 3): not everything could be read or evaluated; this is not a pass".to_owned(),
        "failed" => "Verdict: FAILED (exit code 1)".to_owned(),
        _ => "Verdict: PASSED (exit code 0)".to_owned(),
    };
    if !report.partial.is_empty() {
        let joint = if report.verdict() == "passed" { ", but" } else { "; and" };
        line.push_str(&format!("{joint} this is {}", partial_text(&report.partial)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, ObjectRef, ProfileChoice, Severity};
    use crate::report::{Coverage, Options, TargetSummary};
    use crate::rules::Catalog;

    const URL: &str = "\"https://acme-demo.authentication.eu10.hana.ondemand.com//oauth/token\"";

    fn finding(target: Option<&str>, name: &str, status: Status, message: &str) -> Finding {
        Finding {
            code: "CALM015",
            rule: "destination-token-url-matches-key",
            status,
            severity: Severity::Error,
            object: ObjectRef {
                kind: ObjectKind::Destination,
                name: name.into(),
                qualified_name: format!("{}/{name}.properties:1", target.unwrap_or("dest")),
                level: None,
            }
            .into(),
            property: None,
            message: message.into(),
            location: Location { path: format!("dest/{name}.properties").into(), line: 9 },
            target: target.map(str::to_owned),
            waived: None,
            baseline: None,
            profile: None,
            fix: None,
        }
    }

    fn report(findings: Vec<Finding>, width: usize) -> Report {
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage::default(),
            failures: Vec::new(),
            options: Options { width, ..Options::default() },
            targets: Vec::new(),
            waiver_notes: Vec::new(),
            baseline: None,
            not_audited: Vec::new(),
            run: super::super::RunInfo::default(),
            partial: Vec::new(),
            certificates: Vec::new(),
        }
    }

    fn assert_fits(text: &str, total: usize) {
        for line in text.lines() {
            assert!(width(line) <= total, "{} columns > {total}: {line:?}", width(line));
        }
    }

    #[test]
    fn a_table_from_100_columns_when_nothing_is_cut_else_a_list() {
        let message = format!("tokenServiceURL is {URL}; the key's uaa.url asks for {URL}");
        for total in [40, 80, 99, 100, 140, 160, 200] {
            let text = render(&report(vec![finding(None, "CALM_A", Status::Fail, &message)], total));
            assert_fits(&text, total);
            let table = text.contains('┌');
            // 16 of chrome, status 6, severity 8, rule 41 or 33 stacked, line 4, the URL 72.
            assert_eq!(table, total >= 139, "{total}: {text}");
            assert!(text.contains("CALM015") && text.contains("destination-token-url-matches-key"), "{total}: {text}");
            if total >= 80 {
                assert!(text.contains(URL), "{total}: URL cut: {text}");
            }
        }
    }

    /// Regression: colour escapes counted as text let the lines after a coloured one run past
    /// the width.
    #[test]
    fn a_result_written_in_another_file_names_that_file() {
        let mut own = finding(None, "CALM_A", Status::Fail, "bad");
        std::sync::Arc::make_mut(&mut own.object).qualified_name =
            "infra/main.tf:11 btp_subaccount_destination.a (subaccount level)".into();
        own.location = Location { path: "infra/main.tf".into(), line: 14 };
        let mut elsewhere = finding(None, "CALM_A", Status::Fail, "bad default");
        std::sync::Arc::make_mut(&mut elsewhere.object).qualified_name.clone_from(&own.object.qualified_name);
        elsewhere.location = Location { path: "infra/variables.tf".into(), line: 3 };
        // A path that only begins like the object's file is another file.
        let mut longer = finding(None, "CALM_A", Status::Fail, "bad value");
        std::sync::Arc::make_mut(&mut longer.object).qualified_name.clone_from(&own.object.qualified_name);
        longer.location = Location { path: "infra/main.tf.bak".into(), line: 2 };
        assert_eq!([line_label(&own), line_label(&elsewhere), line_label(&longer)], ["14", "infra/variables.tf:3", "infra/main.tf.bak:2"]);
        for width in [60, 200] {
            let text = render(&report(vec![own.clone(), elsewhere.clone()], width));
            assert!(text.contains("infra/variables.tf:3"), "{width}: {text}");
            assert!(!text.contains("infra/main.tf:14"), "{width}: {text}");
        }
    }

    #[test]
    fn colour_takes_no_room() {
        let mut findings: Vec<Finding> = (0..3).map(|i| finding(None, &format!("CALM_{i}"), Status::Fail, "bad")).collect();
        findings.extend((0..3).map(|i| finding(None, &format!("CALM_{i}"), Status::Pass, "fine")));
        let mut r = report(findings, 60);
        r.options.color = true;
        r.findings[0].profile =
            Some(ProfileChoice { name: "entitlement-management".into(), reason: "name starts with CALM_".repeat(3) }.into());
        let text = render(&r);
        assert!(text.contains("\x1b[31m"), "{text}");
        assert_fits(&text, 60);
    }

    #[test]
    fn every_audited_destination_gets_a_line_with_counts_and_profile() {
        let mut quiet = finding(None, "CALM_QUIET", Status::Pass, "fine");
        quiet.profile = Some(ProfileChoice { name: "calm-push".into(), reason: "name starts with CALM_".into() }.into());
        let text = render(&report(vec![quiet, finding(None, "CALM_LOUD", Status::Fail, "bad")], 100));
        assert!(text.contains("Destinations audited (2):"), "{text}");
        assert!(
            text.contains("  CALM_QUIET: 1 pass; profile\u{a0}calm-push (name starts with CALM_); dest/CALM_QUIET.properties:1"),
            "{text}"
        );
        assert!(text.contains("  CALM_LOUD: 1 fail; dest/CALM_LOUD.properties:1"), "{text}");
        // A destination with no profile is one whose scope is unknown: listed apart.
        let mut r = report(vec![finding(None, "var.name", Status::Manual, "the name comes from var.name")], 100);
        r.not_audited =
            vec![NotAudited { name: "var.name".into(), reason: "scope unknown: the name comes from var.name".into(), target: None }];
        let text = render(&r);
        assert!(text.contains("Scope unknown, judged by CALM034 and CALM070 only (1):\n  var.name: 1 manual"), "{text}");
        assert!(!text.contains("Destinations audited"), "{text}");
    }

    #[test]
    fn destinations_not_audited_are_named_with_their_reason() {
        let mut r = report(Vec::new(), 100);
        r.not_audited = (0..12)
            .map(|i| NotAudited { name: format!("OTHER_{i:02}"), reason: "out of scope: not a Cloud ALM destination".into(), target: None })
            .collect();
        let text = render(&r);
        assert!(text.contains("Not audited (12):\n  OTHER_00: out of scope: not a Cloud ALM destination\n"), "{text}");
        assert!(text.contains("  ... and 2 more (--verbose lists them all)"), "{text}");
        assert!(!text.contains("OTHER_11"), "{text}");
        r.options.verbose = true;
        let text = render(&r);
        assert!(text.contains("OTHER_11: out of scope") && !text.contains("more (--verbose"), "{text}");
    }

    #[test]
    fn each_target_is_one_group_with_its_own_inputs() {
        let findings = vec![
            finding(Some("prod"), "CALM_A", Status::Fail, "bad a"),
            finding(Some("dev"), "CALM_B", Status::Fail, "bad b"),
            finding(Some("prod"), "CALM_C", Status::Fail, "bad c"),
            finding(Some("dev"), "CALM_D", Status::Pass, "fine"),
        ];
        let mut r = report(findings, 100);
        let coverage = |settings: Option<&str>| Coverage { settings: settings.map(str::to_owned), ..Coverage::default() };
        let summary = |name: &str, complete: bool, settings: Option<&str>| {
            let mut t = TargetSummary::new(name);
            t.complete = complete;
            t.verdict = if complete { "failed" } else { "incomplete" };
            t.coverage = coverage(settings);
            t
        };
        r.targets = vec![summary("prod", true, Some("prod/settings.toml")), summary("dev", false, None)];
        let text = render(&r);
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s:?} missing from {text}"));
        assert!(at("Target prod\n") < at("bad a") && at("bad a") < at("bad c") && at("bad c") < at("Target dev\n"), "{text}");
        assert!(at("Target dev\n") < at("bad b"), "{text}");
        assert!(at("Inputs: settings prod/settings.toml") < at("Target dev\n"), "{text}");
        assert!(at("Target dev\n") < at("Inputs: settings not given"), "{text}");
        assert!(text.contains("Target dev: INCOMPLETE: 0 failing at or above error; not read in full"), "{text}");
        // The summary no longer claims the settings were not given for the run as a whole.
        assert_eq!(text.matches("Inputs:").count(), 2, "{text}");
    }

    /// Issue 27, point 14: the table's own wrapping took a run of spaces at a break for one
    /// space, so `CALM_A  B` and `CALM_A B` read alike; the message column, read back line by
    /// line and joined by a space, is the message as written, wherever the break falls.
    #[test]
    fn a_cell_keeps_every_run_of_spaces() {
        for lead in 0..70 {
            let message = format!("{} Name \"CALM_A  B\" and \"CALM_C\tD\" {}", "x".repeat(lead + 1), "end ".repeat(20).trim_end());
            let text = render(&report(vec![finding(None, "CALM_A", Status::Fail, &message)], 140));
            assert!(text.contains('┆'), "{lead}: not a table: {text}");
            assert_fits(&text, 140);
            let column: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with('│') && !l.contains("Message"))
                .map(|l| {
                    let cell = l.rsplit('┆').next().unwrap_or_default().trim_end_matches('│');
                    cell.strip_prefix(' ').unwrap_or(cell).trim_end()
                })
                .collect();
            assert_eq!(column.join(" "), message.replace('\t', "\\u{9}"), "{lead}: {text}");
        }
    }

    /// Counts what it is given and keeps only the size of the largest write.
    #[derive(Default)]
    struct Largest {
        total: usize,
        largest: usize,
    }

    impl std::io::Write for Largest {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.total += buf.len();
            self.largest = self.largest.max(buf.len());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Issue 27, point 11: the table is written an object at a time, never whole (1.27 GB for
    /// 100,000 in-scope destinations with `--all-results` when it was).
    #[test]
    fn the_table_is_written_an_object_at_a_time() {
        let findings: Vec<Finding> = (0..2000).map(|i| finding(None, &format!("CALM_{i:04}"), Status::Fail, "bad value")).collect();
        for width in [60, 200] {
            let r = report(findings.clone(), width);
            let mut out = Largest::default();
            write(&r, &mut out).unwrap();
            assert!(out.total > 300_000, "{width}: {}", out.total);
            assert!(out.largest < 2_000, "{width}: a write of {} bytes", out.largest);
        }
    }
}
