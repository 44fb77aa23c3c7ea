//! The terminal table: results grouped by object, then a summary that states coverage.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::Report;
use crate::model::{Finding, ObjectKind, Status};
use crate::rules::context::OUT_OF_SCOPE;

/// Width used when standard output is not a terminal, so piped output is stable.
const PIPE_WIDTH: u16 = 140;

fn status_color(status: Status) -> Color {
    match status {
        Status::Fail => Color::Red,
        Status::Error => Color::Magenta,
        Status::Manual => Color::Yellow,
        Status::NotApplicable => Color::DarkGrey,
        Status::Pass => Color::Green,
    }
}

fn kind_order(kind: ObjectKind) -> u8 {
    match kind {
        ObjectKind::Landscape => 0,
        ObjectKind::Settings => 1,
        ObjectKind::CloudAlmKey => 2,
        ObjectKind::Destination => 3,
    }
}

fn heading(f: &Finding) -> String {
    let object = object_heading(f);
    match &f.target {
        Some(target) => format!("[{target}] {object}"),
        None => object,
    }
}

fn object_heading(f: &Finding) -> String {
    match f.object.kind {
        ObjectKind::Landscape => "landscape (all inputs together)".to_owned(),
        ObjectKind::Settings => format!("settings: {}", f.object.qualified_name),
        ObjectKind::CloudAlmKey => format!("Cloud ALM key: {}", f.object.qualified_name),
        ObjectKind::Destination => match &f.profile {
            Some(p) => format!("destination {}: {} · profile {} ({})", f.object.name, f.object.qualified_name, p.name, p.reason),
            None => format!("destination {}: {}", f.object.name, f.object.qualified_name),
        },
    }
}

pub fn render(report: &Report) -> String {
    let mut rows: Vec<&Finding> = report.findings.iter().filter(|f| report.shown(f)).collect();
    rows.sort_by(|a, b| {
        (kind_order(a.object.kind), &a.object.qualified_name, &a.object.name, a.status, a.code).cmp(&(
            kind_order(b.object.kind),
            &b.object.qualified_name,
            &b.object.name,
            b.status,
            b.code,
        ))
    });

    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("No findings to show.\n\n");
    }
    for group in rows.chunk_by(|a, b| a.object == b.object && a.target == b.target) {
        let Some(first) = group.first() else { continue };
        out.push_str(&heading(first));
        out.push('\n');
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
        if report.options.color {
            table.enforce_styling();
        } else {
            table.force_no_tty().set_width(PIPE_WIDTH);
        }
        table.set_header(vec!["Status", "Severity", "Rule", "Line", "Message"]);
        for f in group {
            let mut label = f.status.as_str().to_owned();
            if let Some(w) = &f.waived {
                label.push_str(&format!("\nwaived until {}", w.expires));
            }
            if f.baseline == Some(crate::model::BaselineState::New) {
                label.push_str("\nnew");
            }
            let mut status = Cell::new(label);
            if report.options.color {
                status = status.fg(status_color(f.status));
            }
            let severity = if f.status == Status::Fail { f.severity.as_str() } else { "" };
            table.add_row(vec![
                status,
                Cell::new(severity),
                Cell::new(format!("{} {}", f.code, f.rule)),
                Cell::new(f.location.line),
                Cell::new(&f.message),
            ]);
        }
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    }
    out.push_str(&summary(report));
    out
}

fn summary(report: &Report) -> String {
    let c = &report.coverage;
    let mut s = format!(
        "Coverage: {} destination file(s) read, {} skipped; {} destination(s) found, {} in scope, {} not audited",
        c.files_read,
        c.files_skipped.len(),
        c.destinations_found,
        c.destinations_in_scope,
        report.not_audited.len()
    );
    for n in report.not_audited.iter().filter(|n| n.reason != OUT_OF_SCOPE) {
        let target = n.target.as_ref().map(|t| format!("[{t}] ")).unwrap_or_default();
        s.push_str(&format!("\nNot audited: {target}{}: {}", n.name, n.reason));
    }
    s.push_str(&format!(
        "\nInputs: settings {}, Cloud ALM key {}",
        c.settings.as_deref().unwrap_or("not given"),
        c.cloud_alm_key.as_deref().unwrap_or("not given")
    ));
    if let Some(service) = &c.live_service {
        s.push_str(&format!("\nLive: {service}, subaccount {}", c.subaccount_id.as_deref().unwrap_or("unknown")));
    }
    let counts: Vec<String> = Status::ALL.iter().map(|st| format!("{} {}", report.count(*st), st.as_str())).collect();
    s.push_str(&format!("\nResults: {}", counts.join(", ")));
    if !report.options.all_results {
        s.push_str(" (pass and not_applicable hidden; --all-results shows them)");
    }
    match report.options.fail_on {
        Some(level) => s.push_str(&format!("\nFailing at or above {}: {}", level.as_str(), report.failing())),
        None => s.push_str("\nFailing: not counted (--fail-on never)"),
    }
    if c.destinations_in_scope == 0 && c.destinations_found > 0 {
        s.push_str("\nNote: no destination is in scope (none named CALM_*, none with a *.alm.cloud.sap URL, none named in the settings)");
    }
    let waived = report.findings.iter().filter(|f| f.waived.is_some()).count();
    if waived > 0 || !report.waiver_notes.is_empty() {
        s.push_str(&format!("\nWaivers: {waived} result(s) waived"));
        for note in &report.waiver_notes {
            let problem = match note.problem {
                super::WaiverProblem::Expired => format!("expired on {}", note.expires),
                super::WaiverProblem::Unmatched => "matched nothing".to_owned(),
            };
            s.push_str(&format!("; {} ({} {}) {problem}", note.defined_at, note.rule, note.destination.as_deref().unwrap_or("*")));
        }
    }
    if let Some(b) = &report.baseline {
        let count = |state| report.findings.iter().filter(|f| f.baseline == Some(state)).count();
        s.push_str(&format!(
            "\nBaseline {}: {} new, {} unchanged, {} gone",
            b.path,
            count(crate::model::BaselineState::New),
            count(crate::model::BaselineState::Unchanged),
            b.absent.len()
        ));
        for gone in &b.absent {
            s.push_str(&format!("\n  gone: {} {} ({}:{})", gone.code, gone.object, gone.location.path, gone.location.line));
        }
    }
    for target in &report.targets {
        let c = &target.coverage;
        s.push_str(&format!(
            "\nTarget {}: {} destination(s), {} in scope{}",
            target.name,
            c.destinations_found,
            c.destinations_in_scope,
            if target.complete { "" } else { ", INCOMPLETE" }
        ));
    }
    for failure in &report.failures {
        s.push_str(&format!("\nINCOMPLETE: {}: {}", failure.source, failure.message));
    }
    s.push('\n');
    s
}
