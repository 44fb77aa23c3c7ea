//! Markdown for a GitHub step summary, a merge-request comment or a support ticket.
//!
//! Short when all is well (nothing counts for the exit code, no `error` or `manual` result, the
//! audit complete, no waiver to tell about) and `--all-results` is not given: a heading, the
//! coverage, the destinations not audited and the counts. Otherwise
//! the failed sources, a table of the results the table report would show (failing first), the
//! waivers worth a look, the failures gone since the baseline, then coverage and counts. It says
//! nothing the report does not hold; messages are already redacted.

use super::{Report, WaiverProblem, partial_text};
use crate::model::{BaselineState, Finding, ObjectKind, Status};
use crate::rules::context::OUT_OF_SCOPE;

/// Plain text in a table cell: `|` would end the cell and a newline the row.
fn cell(s: &str) -> String {
    s.replace('<', "&lt;").replace('|', "\\|").replace("\r\n", "<br>").replace(['\n', '\r'], "<br>")
}

/// Plain text outside a table, on one line (a `<` would start an HTML tag).
fn line(s: &str) -> String {
    s.replace('<', "&lt;").replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// A code span that survives backticks in the value; `in_table` also escapes `|`.
fn code(s: &str, in_table: bool) -> String {
    let s = s.replace("\r\n", " ").replace(['\n', '\r'], " ");
    let s = if in_table { s.replace('|', "\\|") } else { s };
    if s.is_empty() {
        String::new()
    } else if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn status_cell(report: &Report, f: &Finding) -> String {
    let mut s = f.status.as_str().to_owned();
    if let Some(waived) = &f.waived {
        s.push_str(&format!(" (waived until {})", waived.expires));
    }
    if report.baseline.is_some() {
        match f.baseline {
            Some(BaselineState::New) => s.push_str(" · new"),
            Some(BaselineState::Unchanged) => s.push_str(" · unchanged"),
            None => {}
        }
    }
    cell(&s)
}

fn object_cell(f: &Finding) -> String {
    let name = code(&f.object.name, true);
    match f.object.kind {
        ObjectKind::Destination => {
            let mut s = match f.object.level {
                Some(level) => format!("{name} ({} level)", level.as_str()),
                None => name,
            };
            if let Some(p) = &f.profile {
                s.push_str(&format!("<br>profile {} ({})", code(&p.name, true), cell(&p.reason)));
            }
            s
        }
        ObjectKind::Settings => format!("settings {name}"),
        ObjectKind::CloudAlmKey => format!("Cloud ALM key {name}"),
        ObjectKind::DestinationKey => format!("destination service key {name}"),
        ObjectKind::Landscape => "landscape".to_owned(),
    }
}

fn row(report: &Report, f: &Finding) -> String {
    let mut cells = vec![
        status_cell(report, f),
        if f.status == Status::Fail { f.severity.as_str().to_owned() } else { String::new() },
        format!("{} {}", code(f.code, true), cell(f.rule)),
    ];
    if !report.targets.is_empty() {
        cells.push(f.target.as_deref().map_or_else(String::new, |t| code(t, true)));
    }
    cells.push(object_cell(f));
    cells.push(code(&format!("{}:{}", f.location.path, f.location.line), true));
    cells.push(cell(&f.message));
    format!("| {} |", cells.join(" | "))
}

fn coverage_line(report: &Report) -> String {
    let c = &report.coverage;
    let mut s = format!("**Coverage:** {} destination file(s) read", c.files_read);
    if !c.files_skipped.is_empty() {
        s.push_str(&format!(" ({} other file(s) skipped)", c.files_skipped.len()));
    }
    if !c.files_ignored.is_empty() {
        s.push_str(&format!(" ({})", super::ignored_summary(&c.files_ignored)));
    }
    s.push_str(&format!(
        ", {} destination(s) found, {} in scope, {} audited",
        c.destinations_found, c.destinations_in_scope, c.destinations_audited
    ));
    if !c.var_files_not_applied.is_empty() {
        let files: Vec<String> = c.var_files_not_applied.iter().map(|f| code(f, false)).collect();
        s.push_str(&format!(
            "; not applied (Terraform loads these variables files only with `-var-file`; `--var-file` applies them): {}",
            files.join(", ")
        ));
    }
    if let Some(service) = &c.live_service {
        s.push_str(&format!("; live {}", code(service, false)));
        if let Some(subaccount) = &c.subaccount_id {
            s.push_str(&format!(", subaccount {}", code(subaccount, false)));
        }
    }
    s
}

/// The in-scope destinations recognised as purposes that are not audited, with the reason;
/// out-of-scope ones are only counted (a large subaccount has thousands).
fn not_audited_block(report: &Report) -> Option<String> {
    let recognised: Vec<String> = report
        .not_audited
        .iter()
        .filter(|n| n.reason != OUT_OF_SCOPE)
        .map(|n| {
            let target = n.target.as_deref().map(|t| format!(" in {}", code(t, false))).unwrap_or_default();
            format!("- {}{target}: {}", code(&n.name, false), line(&n.reason))
        })
        .collect();
    let out_of_scope = report.not_audited.len() - recognised.len();
    if recognised.is_empty() && out_of_scope == 0 {
        return None;
    }
    let mut s = format!("**Not audited:** {out_of_scope} destination(s) out of scope");
    if !recognised.is_empty() {
        s.push_str(&format!(", and\n\n{}", recognised.join("\n")));
    }
    Some(s)
}

/// The certificates in use (SPEC §3b), soonest to expire first, as a table.
fn certificates_block(report: &Report) -> Option<String> {
    use super::certificates::{HEADER, cells, title, unused_line};
    if report.certificates.is_empty() && report.coverage.certificates_unused == 0 {
        return None;
    }
    let target = !report.targets.is_empty();
    let mut header: Vec<&str> = HEADER.to_vec();
    if target {
        header.insert(3, "Target");
    }
    let mut lines = vec![format!("### {}", title(report))];
    if !report.certificates.is_empty() {
        lines.push(String::new());
        lines.push(format!("| {} |", header.join(" | ")));
        lines.push(format!("|{}", "---|".repeat(header.len())));
        for row in &report.certificates {
            let c = cells(row);
            let mut shown: Vec<String> =
                vec![code(&c[0], true), cell(&c[1]), cell(&c[2]), cell(&c[3]), cell(&c[4]), cell(&c[5]), cell(&c[6])];
            if target {
                shown.insert(3, row.target.as_deref().map_or_else(String::new, |t| code(t, true)));
            }
            lines.push(format!("| {} |", shown.join(" | ")));
        }
    }
    if let Some(unused) = unused_line(report) {
        lines.push(String::new());
        lines.push(line(&unused));
    }
    Some(lines.join("\n"))
}

/// A line per target: where it is configured, its verdict and failing count, whether it was
/// read in full, its inputs, and what a partial audit lacked.
fn targets_block(report: &Report) -> Option<String> {
    if report.targets.is_empty() {
        return None;
    }
    let threshold =
        report.options.fail_on.map_or_else(|| "(`--fail-on never`)".to_owned(), |s| format!("at or above {}", code(s.as_str(), false)));
    let items: Vec<String> = report
        .targets
        .iter()
        .map(|t| {
            let at = t.defined_at.as_deref().map(|d| format!(" ({})", code(d, false))).unwrap_or_default();
            let head = format!("- {}{at}: **{}**", code(&t.name, false), t.verdict.replace('_', " ").to_uppercase());
            if let Some(error) = &t.error {
                return format!("{head}, it could not be read: {}", line(error));
            }
            let c = &t.coverage;
            let mut s = format!(
                "{head}, {} failing {threshold}; {}; {} in scope, {} audited; settings {}, Cloud ALM key {}",
                t.failing,
                if t.complete { "read in full" } else { "not read in full" },
                c.destinations_in_scope,
                c.destinations_audited,
                c.settings.as_deref().map_or_else(|| "not given".to_owned(), |s| code(s, false)),
                c.cloud_alm_key.as_deref().map_or_else(|| "not given".to_owned(), |k| code(k, false))
            );
            if !t.partial.is_empty() {
                s.push_str(&format!("; {}", line(&partial_text(&t.partial))));
            }
            s
        })
        .collect();
    Some(format!("**Targets:**\n\n{}", items.join("\n")))
}

/// A partial audit said plainly, with the way to refuse one.
fn partial_block(report: &Report) -> Option<String> {
    if report.partial.is_empty() {
        return None;
    }
    let items: Vec<String> = report
        .partial
        .iter()
        .map(|m| {
            let targets = if m.targets.is_empty() {
                String::new()
            } else {
                format!(" in {}", m.targets.iter().map(|t| code(t, false)).collect::<Vec<_>>().join(", "))
            };
            format!("no {} ({}){targets}: {} rule(s) could not run", m.what, code(m.flag, false), m.rules)
        })
        .collect();
    let names: Vec<&str> = report.partial.iter().map(|m| m.input).collect();
    Some(format!(
        "**Partial audit:** {}. {} refuses a partial audit.",
        items.join("; "),
        code(&format!("--require {}", names.join(",")), false)
    ))
}

/// When the report was made, by what, and from which inputs.
fn run_line(report: &Report) -> String {
    let run = &report.run;
    let fixed = if run.time_source == "clock" { String::new() } else { format!(", fixed by `{}`", run.time_source) };
    format!(
        "**Run:** {} to {} (UTC{fixed}); calm-audit {}, catalog {}; inputs: {}",
        run.started,
        run.ended,
        run.calm_audit_version,
        code(run.catalog_version, false),
        line(&run.inputs_text(report.targets.is_empty()))
    )
}

fn counts_line(report: &Report) -> String {
    let counts: Vec<String> = Status::ALL.iter().map(|s| format!("{} {}", report.count(*s), s.as_str())).collect();
    let mut s = format!("**Results:** {}", counts.join(" · "));
    match report.options.fail_on {
        Some(level) => s.push_str(&format!("; failing at or above {}: {}", code(level.as_str(), false), report.failing())),
        None => s.push_str("; failing: not counted (`--fail-on never`)"),
    }
    let waived = report.findings.iter().filter(|f| f.waived.is_some()).count();
    if waived > 0 {
        s.push_str(&format!("; {waived} waived"));
    }
    s
}

fn baseline_line(report: &Report) -> Option<String> {
    let baseline = report.baseline.as_ref()?;
    let state = |st| report.findings.iter().filter(|f| f.baseline == Some(st)).count();
    Some(format!(
        "**Baseline:** {}: {} new, {} unchanged, {} gone",
        code(&baseline.path, false),
        state(BaselineState::New),
        state(BaselineState::Unchanged),
        baseline.absent.len()
    ))
}

/// The heading of a report with something to look at; every number in it is one of the counts
/// of the **Results** line below, in the same words.
fn headline(report: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(level) = report.options.fail_on {
        parts.push(format!("{} failing at or above {}", report.failing(), level.as_str()));
    }
    for status in [Status::Fail, Status::Error, Status::Manual] {
        let n = report.count(status);
        if n > 0 || status == Status::Fail {
            parts.push(format!("{n} {}", status.as_str()));
        }
    }
    format!("## calm-audit: {}", parts.join(" · "))
}

fn all_is_well(report: &Report) -> bool {
    report.failing() == 0
        && report.count(Status::Error) == 0
        && report.count(Status::Manual) == 0
        && report.complete()
        && report.waiver_notes.is_empty()
}

pub fn render(report: &Report) -> String {
    let mut blocks: Vec<String> = Vec::new();
    // `--all-results` asks for every result, each with its destination's profile: the long form.
    if all_is_well(report) && !report.options.all_results {
        let partial = if report.partial.is_empty() { "" } else { ", but a partial audit" };
        blocks.push(format!("## calm-audit: no findings{partial}"));
        blocks.extend(partial_block(report));
        blocks.push(coverage_line(report));
        blocks.extend(not_audited_block(report));
        blocks.extend(certificates_block(report));
        blocks.extend(targets_block(report));
        blocks.push(counts_line(report));
        blocks.extend(baseline_line(report));
        blocks.push(run_line(report));
        return blocks.join("\n\n") + "\n";
    }

    blocks.push(headline(report));
    blocks.extend(partial_block(report));

    if !report.complete() {
        let mut items: Vec<String> =
            report.failures.iter().map(|f| format!("- {}: {}", code(&f.source, false), line(&f.message))).collect();
        items.extend(
            report
                .targets
                .iter()
                .filter(|t| !t.complete && t.error.is_none())
                .map(|t| format!("- target {} was not read in full", code(&t.name, false))),
        );
        let errors = report.count(Status::Error);
        if errors > 0 {
            items.push(format!("- {errors} result(s) could not be evaluated (status `error` below)"));
        }
        blocks.push("**Incomplete**: not everything could be read or evaluated; this is not a pass.".to_owned());
        blocks.push(items.join("\n"));
    }

    let mut rows: Vec<&Finding> = report.findings.iter().filter(|f| report.shown(f)).collect();
    rows.sort_by_key(|f| (!report.counts(f), f.status));
    if rows.is_empty() {
        blocks.push("No results to list.".to_owned());
    } else {
        let target = if report.targets.is_empty() { "" } else { " Target |" };
        let target_rule = if report.targets.is_empty() { "" } else { "---|" };
        let mut table = vec![
            format!("| Status | Severity | Rule |{target} Object | Location | Message |"),
            format!("|---|---|---|{target_rule}---|---|---|"),
        ];
        table.extend(rows.iter().map(|f| row(report, f)));
        blocks.push(table.join("\n"));
    }

    if !report.waiver_notes.is_empty() {
        let items: Vec<String> = report
            .waiver_notes
            .iter()
            .map(|w| {
                let (problem, date) = match w.problem {
                    WaiverProblem::Expired => ("expired", format!("expired {}", w.expires)),
                    WaiverProblem::Unmatched => ("matched no result", format!("until {}", w.expires)),
                };
                let mut what = code(&w.rule, false);
                if let Some(destination) = &w.destination {
                    what.push_str(&format!(" on {}", code(destination, false)));
                }
                if let Some(target) = &w.target {
                    what.push_str(&format!(" in {}", code(target, false)));
                }
                format!("- **{problem}**: {what} ({date}, {}): {}", code(&w.defined_at, false), line(&w.reason))
            })
            .collect();
        blocks.push("### Waivers".to_owned());
        blocks.push(items.join("\n"));
    }

    if let Some(baseline) = report.baseline.as_ref().filter(|b| !b.absent.is_empty()) {
        let items: Vec<String> = baseline
            .absent
            .iter()
            .map(|a| {
                let at = format!("{}:{}", a.location.path, a.location.line);
                format!("- {} {} at {}: {}", code(&a.code, false), code(&a.object, false), code(&at, false), line(&a.message))
            })
            .collect();
        blocks.push("### Gone since the baseline".to_owned());
        blocks.push(items.join("\n"));
    }

    blocks.push(coverage_line(report));
    blocks.extend(not_audited_block(report));
    blocks.extend(certificates_block(report));
    blocks.extend(targets_block(report));
    // With targets, each names its own inputs under **Targets**.
    if report.targets.is_empty() {
        let c = &report.coverage;
        blocks.push(format!(
            "**Inputs:** settings {}, Cloud ALM key {}",
            c.settings.as_deref().map_or_else(|| "not given".to_owned(), |s| code(s, false)),
            c.cloud_alm_key.as_deref().map_or_else(|| "not given".to_owned(), |k| code(k, false))
        ));
    }
    let mut counts = counts_line(report);
    if !report.options.all_results {
        counts.push_str(" (pass and not_applicable not listed)");
    }
    blocks.push(counts);
    blocks.extend(baseline_line(report));
    blocks.push(run_line(report));
    blocks.join("\n\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, ObjectRef, Severity, SourceFailure, Waived};
    use crate::report::{AbsentFinding, BaselineSummary, Coverage, Options, TargetSummary, WaiverNote};
    use crate::rules::Catalog;

    fn finding(code: &'static str, rule: &'static str, status: Status, name: &str, message: &str) -> Finding {
        Finding {
            code,
            rule,
            status,
            severity: Severity::Error,
            object: ObjectRef {
                kind: ObjectKind::Destination,
                name: name.into(),
                qualified_name: format!("dest/{name}.properties:1"),
                level: None,
            }
            .into(),
            property: None,
            message: message.into(),
            location: Location { path: format!("dest/{name}.properties").into(), line: 4 },
            target: None,
            waived: None,
            baseline: None,
            profile: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage {
                files_read: 3,
                destinations_found: 5,
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
            run: crate::report::RunInfo {
                started: "2026-11-25T10:00:00Z".into(),
                ended: "2026-11-25T10:00:02Z".into(),
                time_source: "clock",
                calm_audit_version: "0.1.0",
                catalog_version: "0123456789ab",
                inputs: Vec::new(),
            },
            partial: Vec::new(),
            certificates: Vec::new(),
        }
    }

    #[test]
    fn all_is_well_is_short() {
        let mut warning = finding("CALM003", "destination-proxy-internet", Status::Fail, "CALM_A", "ProxyType is not set");
        warning.severity = Severity::Warning;
        let mut r = report(vec![
            finding("CALM004", "destination-url-trailing-slash", Status::Pass, "CALM_A", "URL ends with /"),
            finding("CALM012", "destination-url-matches-key", Status::NotApplicable, "CALM_A", "no key given"),
            warning,
        ]);
        r.coverage.live_service = Some("https://destination-configuration.cfapps.eu10.hana.ondemand.com".into());
        r.coverage.subaccount_id = Some("0f1e2d3c".into());
        let md = render(&r);
        assert_eq!(
            md,
            "## calm-audit: no findings\n\n\
             **Coverage:** 3 destination file(s) read, 5 destination(s) found, 2 in scope, 2 audited; \
             live `https://destination-configuration.cfapps.eu10.hana.ondemand.com`, subaccount `0f1e2d3c`\n\n\
             **Results:** 1 fail · 0 error · 0 manual · 1 not_applicable · 1 pass; failing at or above `error`: 0\n\n\
             **Run:** 2026-11-25T10:00:00Z to 2026-11-25T10:00:02Z (UTC); calm-audit 0.1.0, catalog `0123456789ab`; \
             inputs: settings not given; Cloud ALM key not given\n"
        );
        assert!(!md.contains("| Status"));
    }

    fn mixed() -> Report {
        let mut new =
            finding("CALM004", "destination-url-trailing-slash", Status::Fail, "CALM_A", "URL \"https://x/api\" does not end with /");
        new.target = Some("prod".into());
        new.baseline = Some(BaselineState::New);
        let mut unchanged =
            finding("CALM010", "destination-token-url-type-dedicated", Status::Fail, "CALM_U", "tokenServiceURLType is \"Common\"");
        unchanged.target = Some("prod".into());
        unchanged.baseline = Some(BaselineState::Unchanged);
        let mut waived = finding("CALM003", "destination-proxy-internet", Status::Fail, "CALM_W", "ProxyType is \"OnPremise\"");
        waived.target = Some("dev".into());
        waived.waived = Some(Box::new(Waived { reason: "migration".into(), expires: "2027-03-31".into() }));
        let mut manual = finding("CALM009", "destination-client-secret-set", Status::Manual, "CALM_A", "the export removed clientSecret");
        manual.target = Some("dev".into());
        let mut pass = finding("CALM001", "destination-name-prefix", Status::Pass, "CALM_A", "Name starts with CALM_");
        pass.target = Some("dev".into());
        let mut r = report(vec![manual, waived, pass, unchanged, new]);
        let summary = |name: &str, complete| {
            let mut t = TargetSummary::new(name);
            t.complete = complete;
            t.verdict = if complete { "passed" } else { "incomplete" };
            t.defined_at = Some(format!("calm-audit.toml:{}", name.len()));
            t
        };
        r.targets = vec![summary("dev", true), summary("prod", false)];
        r.failures = vec![SourceFailure { source: "prod: instance level, page 3".into(), message: "HTTP 503 after 4 attempt(s)".into() }];
        r.waiver_notes = vec![WaiverNote {
            problem: WaiverProblem::Expired,
            rule: "CALM019".into(),
            destination: Some("CALM_OLD".into()),
            target: Some("dev".into()),
            reason: "trust all during the cut-over".into(),
            expires: "2025-01-31".into(),
            defined_at: "calm-audit.toml:12".into(),
        }];
        r.baseline = Some(BaselineSummary {
            path: "baseline.json".into(),
            absent: vec![AbsentFinding {
                fingerprint: "0123456789abcdef".into(),
                code: "CALM013".into(),
                object: "CALM_B".into(),
                message: "clientId differs".into(),
                location: Location { path: "dest/CALM_B.properties".into(), line: 6 },
            }],
        });
        r
    }

    #[test]
    fn mixed_report_lists_failing_first_with_targets_and_baseline() {
        let md = render(&mixed());
        assert!(md.starts_with("## calm-audit: 1 failing at or above error · 3 fail · 1 manual\n\n**Incomplete**"), "{md}");
        assert!(md.contains("- `prod: instance level, page 3`: HTTP 503 after 4 attempt(s)\n- target `prod` was not read in full"), "{md}");
        assert!(
            md.contains("| Status | Severity | Rule | Target | Object | Location | Message |\n|---|---|---|---|---|---|---|\n"),
            "{md}"
        );
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| Status")).collect();
        assert_eq!(
            rows,
            [
                "| fail · new | error | `CALM004` destination-url-trailing-slash | `prod` | `CALM_A` | `dest/CALM_A.properties:4` | URL \"https://x/api\" does not end with / |",
                "| fail (waived until 2027-03-31) | error | `CALM003` destination-proxy-internet | `dev` | `CALM_W` | `dest/CALM_W.properties:4` | ProxyType is \"OnPremise\" |",
                "| fail · unchanged | error | `CALM010` destination-token-url-type-dedicated | `prod` | `CALM_U` | `dest/CALM_U.properties:4` | tokenServiceURLType is \"Common\" |",
                "| manual |  | `CALM009` destination-client-secret-set | `dev` | `CALM_A` | `dest/CALM_A.properties:4` | the export removed clientSecret |",
            ]
        );
        assert!(md.contains("### Waivers\n\n- **expired**: `CALM019` on `CALM_OLD` in `dev` (expired 2025-01-31, `calm-audit.toml:12`): trust all during the cut-over\n"), "{md}");
        assert!(
            md.contains("### Gone since the baseline\n\n- `CALM013` `CALM_B` at `dest/CALM_B.properties:6`: clientId differs\n"),
            "{md}"
        );
        assert!(
            md.contains(
                "**Targets:**\n\n- `dev` (`calm-audit.toml:3`): **PASSED**, 0 failing at or above `error`; read in full; \
                 0 in scope, 0 audited; settings not given, Cloud ALM key not given\n\
                 - `prod` (`calm-audit.toml:4`): **INCOMPLETE**, 0 failing at or above `error`; not read in full; \
                 0 in scope, 0 audited; settings not given, Cloud ALM key not given"
            ),
            "{md}"
        );
        assert!(!md.contains("**Inputs:**"), "targets name their own inputs: {md}");
        assert!(md.contains("**Baseline:** `baseline.json`: 1 new, 1 unchanged, 1 gone"), "{md}");
        assert!(md.contains("failing at or above `error`: 1; 1 waived"), "{md}");
        // Sections come in order.
        let at = |s: &str| md.find(s).unwrap_or(usize::MAX);
        assert!(at("**Incomplete**") < at("| Status") && at("| Status") < at("### Waivers") && at("### Waivers") < at("### Gone"));
        assert!(at("### Gone") < at("**Coverage:**"));
    }

    /// Regression: the heading said "15 failing" above counts that said "19 fail".
    #[test]
    fn headline_numbers_are_the_counts_below_them() {
        let md = render(&mixed());
        let heading = md.lines().next().unwrap_or_default().trim_start_matches("## calm-audit: ");
        let results = md.lines().find(|l| l.starts_with("**Results:**")).unwrap_or_default().replace('`', "");
        for part in heading.split(" · ") {
            let (n, what) = part.split_once(' ').unwrap_or_default();
            let below = if what.starts_with("failing") { format!("{what}: {n}") } else { format!("{n} {what}") };
            assert!(results.contains(&below), "heading {part:?} is not in {results:?}");
        }
    }

    #[test]
    fn pipes_and_newlines_do_not_break_the_table() {
        let r = report(vec![finding(
            "CALM013",
            "destination-client-id-matches-key",
            Status::Fail,
            "CALM_|X",
            "clientId is \"sb-a!b1|calm-api!b5\";\nexpected <the key's>",
        )]);
        let md = render(&r);
        let row = md.lines().find(|l| l.starts_with("| fail")).unwrap_or_default();
        assert_eq!(
            row,
            "| fail | error | `CALM013` destination-client-id-matches-key | `CALM_\\|X` | `dest/CALM_\\|X.properties:4` | \
             clientId is \"sb-a!b1\\|calm-api!b5\";<br>expected &lt;the key's> |"
        );
        // Every table line has the same number of unescaped cell separators.
        let pipes = |l: &str| l.replace("\\|", "").matches('|').count();
        let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(table.len(), 3);
        assert!(table.iter().all(|l| pipes(l) == 7), "{md}");
    }
}
