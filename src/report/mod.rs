//! Renderers: one per format behind one closed enum. Each takes the finished [`Report`]
//! and returns the text; writing it anywhere is the caller's business.

pub mod catalog;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod profiles;
pub mod sarif;
pub mod table;
pub mod text;

pub use crate::model::SourceFailure;
use crate::model::{Finding, Severity, Status};
use crate::rules::Catalog;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
}

/// What was read, so a report can say what it covered.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Coverage {
    /// Destination files (and archive entries) read.
    pub files_read: usize,
    /// Files in walked folders that were not destination files.
    pub files_skipped: Vec<String>,
    /// Terraform variables files found and not applied: Terraform loads them only when given
    /// with `-var-file` (`--var-file` applies them). Also in `files_skipped`.
    pub var_files_not_applied: Vec<String>,
    pub destinations_found: usize,
    /// In scope (SPEC §3): named CALM_*, a Cloud ALM URL, or named by the settings.
    pub destinations_in_scope: usize,
    /// In scope and judged by a profile; the others in scope are purposes that are not
    /// audited (SPEC §3a), listed in the report's `not_audited`.
    pub destinations_audited: usize,
    pub settings: Option<String>,
    pub cloud_alm_key: Option<String>,
    /// Destination service base URL of a live read.
    pub live_service: Option<String>,
    /// Subaccount of a live read (from the token).
    pub subaccount_id: Option<String>,
}

/// How the reports should look, resolved once from the flags.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Table and SARIF also show `pass` and `not_applicable` results.
    pub all_results: bool,
    /// ANSI colour in the table.
    pub color: bool,
    /// Results at or above this severity count for the exit code (`None`: never).
    pub fail_on: Option<Severity>,
    /// SARIF carries waived results, with `suppressions` (left out by default: GitHub would
    /// open alerts for them).
    pub sarif_waived: bool,
    /// Columns the table report is laid out for (terminal, then `COLUMNS`, then
    /// [`text::DEFAULT_WIDTH`]).
    pub width: usize,
    /// The table names every destination not audited, not only the first few.
    pub verbose: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            all_results: false,
            color: false,
            fail_on: Some(Severity::Error),
            sarif_waived: false,
            width: text::DEFAULT_WIDTH,
            verbose: false,
        }
    }
}

pub struct Report {
    pub catalog: &'static Catalog,
    pub findings: Vec<Finding>,
    /// All targets together.
    pub coverage: Coverage,
    pub failures: Vec<SourceFailure>,
    pub options: Options,
    /// One entry per target of a run with several; empty otherwise.
    pub targets: Vec<TargetSummary>,
    /// Expired waivers and waivers that matched nothing.
    pub waiver_notes: Vec<WaiverNote>,
    /// The baseline compared with, and its failures that are gone.
    pub baseline: Option<BaselineSummary>,
    /// Destinations read and not audited, with the reason (out of scope, or a purpose that is
    /// not audited).
    pub not_audited: Vec<crate::model::NotAudited>,
}

/// What one target covered.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TargetSummary {
    pub name: String,
    pub complete: bool,
    pub coverage: Coverage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverProblem {
    /// Past its `expires` date: it no longer applies.
    Expired,
    /// Applied to no result of this run.
    Unmatched,
}

/// A waiver worth telling the user about.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WaiverNote {
    pub problem: WaiverProblem,
    pub rule: String,
    pub destination: Option<String>,
    pub target: Option<String>,
    pub reason: String,
    pub expires: String,
    /// Where the waiver is written: `calm-audit.toml:12`.
    pub defined_at: String,
}

/// The comparison with `--baseline`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BaselineSummary {
    pub path: String,
    /// Failures of the baseline that this run no longer has.
    pub absent: Vec<AbsentFinding>,
}

/// A failure of the baseline that is gone now.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AbsentFinding {
    pub fingerprint: String,
    pub code: String,
    pub object: String,
    pub message: String,
    pub location: crate::model::Location,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// The audit could not evaluate everything.
    pub fn complete(&self) -> bool {
        self.failures.is_empty() && self.count(Status::Error) == 0
    }

    /// Failures at or above `--fail-on` that count for the exit code: not waived and, with a
    /// baseline, new.
    pub fn failing(&self) -> usize {
        self.findings.iter().filter(|f| self.counts(f)).count()
    }

    /// Whether this result counts for the exit code.
    pub fn counts(&self, f: &Finding) -> bool {
        match self.options.fail_on {
            None => false,
            Some(threshold) => {
                f.status == Status::Fail
                    && f.severity <= threshold
                    && f.waived.is_none()
                    && f.baseline != Some(crate::model::BaselineState::Unchanged)
            }
        }
    }

    /// Whether a finding is shown in the table and SARIF.
    pub fn shown(&self, f: &Finding) -> bool {
        self.options.all_results || !matches!(f.status, Status::Pass | Status::NotApplicable)
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            // Values from the inputs are made inert where a terminal or a viewer would act on them.
            Format::Table => inert(table::render(self), self.options.color),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
            Format::Junit => xml_safe(junit::render(self)),
            Format::Markdown => inert(markdown::render(self), false),
            Format::Html => html::render(self),
        }
    }
}

fn inert(text: String, keep_colour: bool) -> String {
    match crate::output::inert(&text, keep_colour) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

fn xml_safe(text: String) -> String {
    match crate::output::xml_safe(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

/// FNV-1a, 64 bits: a stable, dependency-free hash for fingerprints (not for security).
fn fnv1a(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Identity of a result: rule, object and property; not the line, the file order or the
/// message wording, so it survives edits that do not change what is wrong.
pub fn fingerprint(f: &Finding) -> String {
    let level = f.object.qualified_name.rsplit_once(" (").map_or("", |(_, l)| l);
    fnv1a(&[f.code, f.object.kind.as_str(), &f.object.name, level, f.property.as_deref().unwrap_or("")])
}
