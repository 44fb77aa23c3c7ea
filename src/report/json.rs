//! The JSON report. Its schema is a contract, documented in `docs/json-report.md`;
//! any incompatible change bumps [`SCHEMA_VERSION`].

use serde::Serialize;

use super::{BaselineSummary, Coverage, Report, SourceFailure, TargetSummary, WaiverNote};
use crate::model::{Finding, NotAudited, Status};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    schema_version: u32,
    tool: Tool,
    complete: bool,
    fail_on: &'static str,
    summary: Summary,
    coverage: &'a Coverage,
    source_failures: &'a [SourceFailure],
    /// Per target, when the run had several.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    targets: &'a [TargetSummary],
    /// Expired waivers and waivers that matched nothing.
    waiver_notes: &'a [WaiverNote],
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a BaselineSummary>,
    results: Vec<JsonResult<'a>>,
    /// Every destination read and not audited, with the reason: out of scope, or recognised
    /// as a purpose that is not audited (SPEC §3a).
    not_audited: &'a [NotAudited],
    /// The certificates in use, soonest to expire first (SPEC §3b).
    certificates: &'a [crate::model::certificate::CertificateRow],
}

#[derive(Serialize)]
struct JsonResult<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// Stable identity of the result: rule, object, level and property.
    fingerprint: String,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    pass: usize,
    fail: usize,
    manual: usize,
    not_applicable: usize,
    error: usize,
    /// Failures at or above `fail_on`: what the exit code is based on.
    failing: usize,
}

pub fn render(report: &Report) -> String {
    let doc = Document {
        schema: "calm-audit-report",
        schema_version: SCHEMA_VERSION,
        tool: Tool { name: "calm-audit", version: env!("CARGO_PKG_VERSION") },
        complete: report.complete(),
        fail_on: report.options.fail_on.map_or("never", |s| s.as_str()),
        summary: Summary {
            pass: report.count(Status::Pass),
            fail: report.count(Status::Fail),
            manual: report.count(Status::Manual),
            not_applicable: report.count(Status::NotApplicable),
            error: report.count(Status::Error),
            failing: report.failing(),
        },
        coverage: &report.coverage,
        source_failures: &report.failures,
        targets: &report.targets,
        waiver_notes: &report.waiver_notes,
        baseline: report.baseline.as_ref(),
        results: report.findings.iter().map(|finding| JsonResult { finding, fingerprint: super::fingerprint(finding) }).collect(),
        not_audited: &report.not_audited,
        certificates: &report.certificates,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
