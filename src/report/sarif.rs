//! SARIF 2.1.0, as SPEC §5 defines the contract: the whole catalog in `rules[]`, a physical
//! location on every result, stable fingerprints, and `executionSuccessful` false when the
//! audit is incomplete.

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix as SarifFix, Invocation, Location, LogicalLocation, Message,
    MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region, Replacement, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultKind, ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};

use super::{AbsentFinding, Report};
use crate::model::{BaselineState, Finding, ObjectKind, Severity, Status};
use crate::rules::context::OUT_OF_SCOPE;
use crate::rules::{Profiles, Rule};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note => ResultLevel::Note,
    }
}

fn kind(status: Status) -> ResultKind {
    match status {
        Status::Fail => ResultKind::Fail,
        Status::Manual => ResultKind::Review,
        Status::Error => ResultKind::Open,
        Status::Pass => ResultKind::Pass,
        Status::NotApplicable => ResultKind::NotApplicable,
    }
}

/// A path as a SARIF URI: relative paths stay relative (GitHub resolves them against the
/// repository), absolute ones become `file://` URIs; everything outside the unreserved set
/// and `/` is percent-encoded.
pub fn path_to_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if path.starts_with('/') { format!("file://{out}") } else { out }
}

/// A result's message on one line, its file named as the result's URI names it, with what to
/// change after it ("... Fix: set URL to ...").
fn message_text(f: &Finding) -> String {
    let text = super::text::one_line(&f.message);
    let path = f.location.path.replace('\\', "/");
    let message = match path.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => text.replace(&format!("{path}:"), &format!("{rest}:")),
        _ => text.into_owned(),
    };
    match &f.fix {
        Some(fix) => format!("{message} Fix: {}", super::text::one_line(fix.line())),
        None => message,
    }
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.trim()).build()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let steps: Vec<String> = rule.remediation.iter().enumerate().map(|(i, s)| format!("{}. {s}", i + 1)).collect();
    let help_text = format!("{}\n\nHow to fix:\n{}\n\nSee {}", rule.description.trim(), steps.join("\n"), rule.help_uri);
    let help_md = format!("{}\n\n**How to fix**\n\n{}\n\nSee <{}>.", rule.description.trim(), steps.join("\n"), rule.help_uri);
    let mut props = BTreeMap::new();
    props.insert("security-severity".to_owned(), serde_json::Value::from(rule.security_severity()));
    props.insert("precision".to_owned(), serde_json::Value::from("very-high"));
    // The purposes (profiles, SPEC §3a) whose destinations this rule judges.
    let profiles: Vec<&str> = Profiles::builtin().of_rule(&rule.code).iter().map(|p| p.name.as_str()).collect();
    if !profiles.is_empty() {
        props.insert("profiles".to_owned(), serde_json::Value::from(profiles));
    }
    ReportingDescriptor::builder()
        .id(rule.code.as_str())
        .name(rule.name.as_str())
        .short_description(text(&rule.summary))
        .full_description(text(&rule.description))
        .help(MultiformatMessageString::builder().text(help_text).markdown(help_md).build())
        .help_uri(rule.help_uri.as_str())
        .default_configuration(ReportingConfiguration::builder().level(serde_json::Value::from(rule.severity.as_str())).build())
        .properties(
            PropertyBag::builder().tags(vec!["sap-cloud-alm".to_owned(), "configuration".to_owned()]).additional_properties(props).build(),
        )
        .build()
}

fn result(report: &Report, f: &Finding) -> SarifResult {
    let rule_index = report.catalog.rules.iter().position(|r| r.code == f.code).unwrap_or_default();
    let logical_kind = match f.object.kind {
        ObjectKind::Destination => "destination",
        ObjectKind::Settings => "settings",
        ObjectKind::CloudAlmKey => "cloudAlmKey",
        ObjectKind::DestinationKey => "destinationKey",
        ObjectKind::Landscape => "landscape",
    };
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(path_to_uri(&f.location.path)).build())
                .region(Region::builder().start_line(i64::from(f.location.line.max(1))).build())
                .build(),
        )
        .logical_locations(
            std::iter::once(
                LogicalLocation::builder()
                    .name(f.object.name.as_str())
                    .fully_qualified_name(f.object.qualified_name.as_str())
                    .kind(logical_kind)
                    .build(),
            )
            .chain(certificate_locations(report, f))
            .collect::<Vec<_>>(),
        )
        .build();
    let fp = super::fingerprint(f);
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("primaryLocationLineHash".to_owned(), format!("{fp}:1"));
    fingerprints.insert("calmAudit/v1".to_owned(), fp);
    let result_level = if f.status == Status::Fail { level(f.severity) } else { ResultLevel::None };
    let mut result = SarifResult::builder()
        .rule_id(f.code)
        .rule_index(i64::try_from(rule_index).unwrap_or_default())
        .kind(kind(f.status))
        .level(result_level)
        // Human text a viewer shows as lines: a value in it cannot start one of its own. The file
        // is named in it as the URI names it (`mta-project/mta.yaml:61`, not `./mta-project/...`).
        .message(Message::builder().text(message_text(f)).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .build();
    result.fixes = literal_fix(f);
    let mut props = BTreeMap::new();
    if let Some(profile) = &f.profile {
        props.insert("profile".to_owned(), serde_json::Value::from(profile.name.as_str()));
        props.insert("profile_reason".to_owned(), serde_json::Value::from(profile.reason.as_str()));
    }
    // The target, so that a later run compared with this log knows which target a result is of.
    if let Some(target) = &f.target {
        props.insert("target".to_owned(), serde_json::Value::from(target.as_str()));
    }
    if !props.is_empty() {
        result.properties = Some(PropertyBag::builder().additional_properties(props).build());
    }
    if let Some(w) = &f.waived {
        let justification = format!("{} (waived until {})", w.reason, w.expires);
        result.suppressions =
            Some(vec![Suppression::builder().kind(serde_json::Value::from("external")).justification(justification).build()]);
    }
    if report.baseline.is_some() && f.status == Status::Fail {
        let state = match f.baseline {
            Some(BaselineState::Unchanged) => "unchanged",
            _ => "new",
        };
        result.baseline_state = Some(serde_json::Value::from(state));
    }
    result
}

/// The certificates a certificate rule's result is about (SPEC §3b), as logical locations after
/// the object's: the keystore a destination uses (each of its certificates named by its common
/// name), or a key's certificate.
fn certificate_locations(report: &Report, f: &Finding) -> Vec<LogicalLocation> {
    if !matches!(f.code, "CALM060" | "CALM061" | "CALM062" | "CALM063") {
        return Vec::new();
    }
    let key_source = format!("{}:{}", f.location.path, f.location.line);
    let mut out: Vec<LogicalLocation> = Vec::new();
    for row in &report.certificates {
        let ours = row.target == f.target
            && match f.object.kind {
                ObjectKind::Destination => row.level != "key" && row.used_by.contains(&f.object.name),
                ObjectKind::CloudAlmKey | ObjectKind::DestinationKey => row.level == "key" && row.source == key_source,
                _ => false,
            };
        if !ours {
            continue;
        }
        let name = match row.certificate.as_ref().and_then(|c| c.subject_cn.as_deref()) {
            Some(cn) => format!("{} CN={cn}", row.name),
            None => row.name.clone(),
        };
        if out.iter().any(|l| l.name.as_deref() == Some(name.as_str())) {
            continue;
        }
        let qualified = match &row.certificate {
            Some(c) => format!("{} (serial {}, not after {})", row.source, c.serial, crate::clock::date(c.not_after)),
            None => row.source.clone(),
        };
        out.push(LogicalLocation::builder().name(name).fully_qualified_name(qualified).kind("certificate").build());
    }
    out
}

/// A failure of the baseline that is gone, as SARIF `baselineState: absent`.
fn absent_result(report: &Report, gone: &AbsentFinding) -> SarifResult {
    let rule_index = report.catalog.rules.iter().position(|r| r.code == gone.code).unwrap_or_default();
    let severity = report.catalog.rules.get(rule_index).map_or(Severity::Error, |r| r.severity);
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(path_to_uri(&gone.location.path)).build())
                .region(Region::builder().start_line(i64::from(gone.location.line.max(1))).build())
                .build(),
        )
        .logical_locations(vec![LogicalLocation::builder().name(gone.object.as_str()).build()])
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("primaryLocationLineHash".to_owned(), format!("{}:1", gone.fingerprint));
    fingerprints.insert("calmAudit/v1".to_owned(), gone.fingerprint.clone());
    let mut result = SarifResult::builder()
        .rule_id(gone.code.as_str())
        .rule_index(i64::try_from(rule_index).unwrap_or_default())
        .kind(ResultKind::Fail)
        .level(level(severity))
        .message(Message::builder().text(format!("gone since the baseline: {}", super::text::one_line(&gone.message))).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .build();
    result.baseline_state = Some(serde_json::Value::from("absent"));
    if let Some(target) = &gone.target {
        let props = BTreeMap::from([("target".to_owned(), serde_json::Value::from(target.as_str()))]);
        result.properties = Some(PropertyBag::builder().additional_properties(props).build());
    }
    result
}

/// The run itself: when it started and ended (SPEC §5), a notification per failed source (an
/// error) and per input a partial audit lacked (a warning), and what the run read.
fn invocation(report: &Report) -> Invocation {
    let note = |level: &str, text: String| {
        let text = super::text::one_line(&text).into_owned();
        Notification::builder().level(serde_json::Value::from(level)).message(Message::builder().text(text).build()).build()
    };
    let mut notifications: Vec<Notification> =
        report.failures.iter().map(|failure| note("error", format!("{}: {}", failure.source, failure.message))).collect();
    // Failures of the baseline this run did not look at are not `absent` results: a note says
    // how many and why (SARIF has no baseline state for "not compared").
    if let Some(b) = &report.baseline {
        for (reason, n) in b.not_compared_reasons() {
            notifications.push(note("note", format!("baseline {}: {n} failure(s) not compared, not known gone: {reason}", b.path)));
        }
    }
    notifications.extend(report.partial.iter().map(|m| {
        let targets = if m.targets.is_empty() { String::new() } else { format!(" in {}", m.targets.join(", ")) };
        note("warning", format!("a partial audit: no {} ({}){targets}: {} rule(s) could not run", m.what, m.flag, m.rules))
    }));
    let run = &report.run;
    let mut props = BTreeMap::new();
    props.insert("catalogVersion".to_owned(), serde_json::Value::from(run.catalog_version));
    props.insert("timeSource".to_owned(), serde_json::Value::from(run.time_source));
    props.insert("inputs".to_owned(), serde_json::to_value(&run.inputs).unwrap_or_default());
    if let Some(b) = &report.baseline {
        let counts = serde_json::json!({
            "new": b.new, "unchanged": b.unchanged, "absent": b.absent.len(), "notCompared": b.not_compared.len()
        });
        props.insert("baseline".to_owned(), counts);
    }
    let exit_code = report.exit_code();
    let meaning = match exit_code {
        2 => "no target could be read: nothing was audited",
        3 => "the audit is incomplete",
        1 => "failures at or above --fail-on",
        _ => "nothing fails at or above --fail-on",
    };
    let mut invocation = Invocation::builder()
        .execution_successful(report.complete())
        .exit_code(i64::from(exit_code))
        .exit_code_description(meaning)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    if !run.started.is_empty() {
        invocation.start_time_utc = Some(run.started.clone());
        invocation.end_time_utc = Some(run.ended.clone());
    }
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    invocation
}

/// Writes the log to `out` as it is produced.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let driver = ToolComponent::builder()
        .name("calm-audit")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(report.catalog.rules.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let invocation = invocation(report);
    // The results are written one at a time into the log's empty `results` list (below).
    let results = report
        .findings
        .iter()
        .filter(|f| report.shown(f) && (f.waived.is_none() || report.options.sarif_waived))
        .map(|f| result(report, f))
        .chain(report.baseline.iter().flat_map(|b| b.absent.iter().map(|gone| absent_result(report, gone))));
    let mut run = Run::builder().tool(Tool::builder().driver(driver).build()).invocations(vec![invocation]).results(Vec::new()).build();
    // SAP's own destinations recognised and not audited (SPEC §3a), named with the reason as in
    // the JSON report's `not_audited`; those merely out of scope are only counted there.
    let recognised: Vec<serde_json::Value> =
        report.not_audited.iter().filter(|n| n.reason != OUT_OF_SCOPE).map(|n| serde_json::to_value(n).unwrap_or_default()).collect();
    if !recognised.is_empty() {
        let mut props = BTreeMap::new();
        props.insert("not_audited".to_owned(), serde_json::Value::from(recognised));
        run.properties = Some(PropertyBag::builder().additional_properties(props).build());
    }
    let log = Sarif::builder().schema(SCHEMA).version(serde_json::Value::from("2.1.0")).runs(vec![run]).build();
    let mut skeleton = serde_json::to_string_pretty(&log)?;
    skeleton.push('\n');
    write_with_results(&skeleton, results, out)
}

/// Where the run's results go in the pretty-printed log, as serde_json writes an empty list:
/// the run's fields are indented six spaces. JSON strings hold no line break, so this occurs
/// nowhere else.
const EMPTY_RESULTS: &str = "\n      \"results\": []";

/// Writes the log `skeleton` (with an empty `results` list) with `results` in that list, each
/// serialised as it is written, so that the bytes are those of the log serialised whole.
fn write_with_results(skeleton: &str, results: impl Iterator<Item = SarifResult>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let Some(at) = skeleton.find(EMPTY_RESULTS) else {
        return Err(std::io::Error::other("the SARIF log has no results list"));
    };
    let open = at + EMPTY_RESULTS.len() - 1;
    out.write_all(&skeleton.as_bytes()[..open])?;
    let mut written = false;
    let mut one = Vec::new();
    for result in results {
        // Each item of the list on its own line, indented a level deeper than the list.
        out.write_all(if written { b",\n        " } else { b"\n        " })?;
        written = true;
        one.clear();
        serde_json::to_writer_pretty(&mut one, &result)?;
        for (i, line) in one.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                out.write_all(b"\n        ")?;
            }
            out.write_all(line)?;
        }
    }
    if written {
        out.write_all(b"\n      ")?;
    }
    out.write_all(&skeleton.as_bytes()[open..])
}

/// The SARIF `fixes` of a result whose fix is one literal replacement found in its file (SPEC
/// §5a): the exact region of the literal on the result's line and the text that replaces it.
fn literal_fix(f: &Finding) -> Option<Vec<SarifFix>> {
    let fix = f.fix.as_deref()?;
    let region = fix.region()?;
    let deleted = Region::builder()
        .start_line(i64::from(f.location.line.max(1)))
        .start_column(i64::from(region.start_column))
        .end_column(i64::from(region.end_column))
        .build();
    let replacement = Replacement::builder()
        .deleted_region(deleted)
        .inserted_content(ArtifactContent::builder().text(region.inserted.as_str()).build())
        .build();
    let change = ArtifactChange::builder()
        .artifact_location(ArtifactLocation::builder().uri(path_to_uri(&f.location.path)).build())
        .replacements(vec![replacement])
        .build();
    Some(vec![
        SarifFix::builder()
            .description(Message::builder().text(super::text::one_line(fix.line())).build())
            .artifact_changes(vec![change])
            .build(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results written into the empty list give the bytes of the log serialised whole.
    #[test]
    fn results_streamed_into_the_log_are_the_whole_log() {
        let log = |results: Vec<SarifResult>| {
            let driver = ToolComponent::builder().name("calm-audit").build();
            let run = Run::builder().tool(Tool::builder().driver(driver).build()).results(results).build();
            let mut text =
                serde_json::to_string_pretty(&Sarif::builder().version(serde_json::Value::from("2.1.0")).runs(vec![run]).build())
                    .expect("serialised");
            text.push('\n');
            text
        };
        let one = |text: &str| {
            SarifResult::builder()
                .rule_id("CALM004")
                .message(Message::builder().text(text).build())
                .locations(vec![Location::builder().logical_locations(vec![LogicalLocation::builder().name("a").build()]).build()])
                .build()
        };
        for results in [vec![], vec![one("a \"quoted\"\nline")], vec![one("a"), one("b"), one("c")]] {
            let mut streamed = Vec::new();
            write_with_results(&log(Vec::new()), results.clone().into_iter(), &mut streamed).expect("written");
            assert_eq!(String::from_utf8(streamed).expect("UTF-8"), log(results));
        }
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(path_to_uri("examples/my exports/CALM_A.properties"), "examples/my%20exports/CALM_A.properties");
        assert_eq!(path_to_uri("./a/b#c.json"), "a/b%23c.json");
        assert_eq!(path_to_uri("/tmp/x.json"), "file:///tmp/x.json");
    }
}
