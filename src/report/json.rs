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
    results: Results<'a>,
    /// Every destination read and not audited, with the reason: out of scope, or recognised
    /// as a purpose that is not audited (SPEC §3a).
    not_audited: &'a [NotAudited],
}

#[derive(Serialize)]
struct JsonResult<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// Stable identity of the result: rule, object, level and property.
    fingerprint: String,
}

/// Every result with its fingerprint, made one at a time as it is written (millions of results
/// in a large landscape; a list of them all would double the report's memory).
struct Results<'a>(&'a [Finding]);

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|finding| JsonResult { finding, fingerprint: super::fingerprint(finding) }))
    }
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

/// Writes the report to `out` as it is produced.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
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
        results: Results(&report.findings),
        not_audited: &report.not_audited,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}
