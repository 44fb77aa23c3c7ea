//! The clap definitions of `check`'s own flags, kept apart from what they resolve to
//! (`resolve.rs` merges them with the environment and the configuration file; `check.rs` runs
//! the result). The source flags shared with `snapshot` live in `sources.rs`.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, ValueEnum};

use super::sources::SourceArgs;
use crate::model::Severity;
use crate::report::Format;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub(super) fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

/// An input `--require` insists on (SPEC §5): without it the audit would be partial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Required {
    /// The SAP Cloud ALM service key (`--calm-key`).
    CalmKey,
    /// The Entitlement Management settings (`--settings`).
    Settings,
}

impl Required {
    pub fn name(self) -> &'static str {
        match self {
            Required::CalmKey => "calm-key",
            Required::Settings => "settings",
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Report format on standard output, or of --output's file [default: the extension of
    /// --output (.json, .sarif, .xml JUnit, .md, .html, .txt table), else table; env CALM_AUDIT_FORMAT].
    #[arg(long, value_enum, ignore_case = true)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output (its folder is created); its
    /// extension says the format when --format is not given.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity of a failure that makes the exit code 1 [default: error; env CALM_AUDIT_FAIL_ON].
    #[arg(long, value_enum, ignore_case = true)]
    pub fail_on: Option<FailOn>,
    /// Also show pass and not_applicable results in the table, Markdown and SARIF (JSON always has all).
    #[arg(long)]
    pub all_results: bool,
    /// Also save what was read as a snapshot (secrets replaced by digests) to FILE.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,
    /// Configuration file [default: ./calm-audit.toml when present; env CALM_AUDIT_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration and where each value came from, then exit.
    #[arg(long)]
    pub show_config: bool,
    /// Audit only this target of the configuration file (repeatable).
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
    /// Only these rules, by code or name (comma-separated, repeatable; env CALM_AUDIT_SELECT).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Leave out these rules, by code or name (comma-separated, repeatable; env CALM_AUDIT_IGNORE).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Severity of a rule: CALM031=error (repeatable).
    #[arg(long, value_name = "RULE=LEVEL")]
    pub severity: Vec<String>,
    /// An earlier JSON or SARIF report: results are marked new or unchanged, gone ones listed,
    /// and only new failures count for the exit code (env CALM_AUDIT_BASELINE).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Audit as if the configuration had no waivers.
    #[arg(long)]
    pub no_waivers: bool,
    /// Include waived results in SARIF, with suppressions (left out by default).
    #[arg(long)]
    pub sarif_waived: bool,
    /// Also write FORMAT to PATH (repeatable; its folder is created): --report sarif=out.sarif
    /// --report junit=out.xml. Adds to the configuration's [reports], replacing only its report
    /// of the same format.
    #[arg(long, value_name = "FORMAT=PATH")]
    pub report: Vec<String>,
    /// Judge every in-scope destination by this profile instead of recognising its purpose
    /// (`calm-audit profiles` lists them; env CALM_AUDIT_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Refuse a partial audit: exit 2 when one of these inputs is not given (comma-separated,
    /// repeatable; env CALM_AUDIT_REQUIRE).
    #[arg(long, value_enum, ignore_case = true, value_name = "INPUT", value_delimiter = ',')]
    pub require: Vec<Required>,
    /// Warn (CALM063) about certificates that expire within N days of the run's date
    /// [default: 30; env CALM_AUDIT_EXPIRY_DAYS].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub expiry_days: Option<u32>,
    /// Targets audited at once [default: 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: Option<u64>,
}

impl FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        enum_value(s)
    }
}

/// A value of a clap value enum from text (environment or configuration file), case-insensitive.
pub(super) fn enum_value<T: ValueEnum>(text: &str) -> Result<T, String> {
    T::from_str(text.trim(), true).map_err(|_| {
        let names: Vec<String> =
            T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|p| p.get_name().to_owned()).collect();
        format!("\"{text}\" is not one of {}", names.join(", "))
    })
}
