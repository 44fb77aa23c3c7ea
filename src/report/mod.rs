//! Renderers: one per format behind one closed enum. Each takes the finished [`Report`]
//! and returns the text; writing it anywhere is the caller's business.

pub mod catalog;
pub mod json;
pub mod sarif;
pub mod table;

pub use crate::model::SourceFailure;
use crate::model::{Finding, Severity, Status};
use crate::rules::Catalog;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
}

/// What was read, so a report can say what it covered.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Coverage {
    /// Destination files (and archive entries) read.
    pub files_read: usize,
    /// Files in walked folders that were not destination files.
    pub files_skipped: Vec<String>,
    pub destinations_found: usize,
    pub destinations_in_scope: usize,
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
}

pub struct Report {
    pub catalog: &'static Catalog,
    pub findings: Vec<Finding>,
    pub coverage: Coverage,
    pub failures: Vec<SourceFailure>,
    pub options: Options,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// The audit could not evaluate everything.
    pub fn complete(&self) -> bool {
        self.failures.is_empty() && self.count(Status::Error) == 0
    }

    /// Failures at or above `--fail-on`.
    pub fn failing(&self) -> usize {
        match self.options.fail_on {
            None => 0,
            Some(threshold) => self.findings.iter().filter(|f| f.status == Status::Fail && f.severity <= threshold).count(),
        }
    }

    /// Whether a finding is shown in the table and SARIF.
    pub fn shown(&self, f: &Finding) -> bool {
        self.options.all_results || !matches!(f.status, Status::Pass | Status::NotApplicable)
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => table::render(self),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
        }
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
