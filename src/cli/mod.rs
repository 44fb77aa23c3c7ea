//! Command-line surface: clap definitions, one file per subcommand. Each subcommand returns
//! what to print and the exit code; only `main.rs` writes to the terminal.

pub mod args;
pub mod check;
pub mod explain;
pub mod fix;
pub mod init;
pub mod man;
pub mod patch;
pub mod profiles;
pub mod resolve;
pub mod rules;
pub mod shell;
pub mod snapshot;
pub mod sources;

use clap::{Parser, Subcommand};

/// Audits the BTP destination and settings that connect SAP Entitlement Management to SAP Cloud ALM.
#[derive(Parser, Debug)]
#[command(name = "calm-audit", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load destinations, settings and the Cloud ALM key, audit them, report.
    Check(Box<args::CheckArgs>),
    /// Read the destinations (live or from files) and save them with every secret replaced by a
    /// digest, to audit later with `check SNAPSHOT` or to attach to a support ticket.
    /// A snapshot keeps destinations only: give --settings and --calm-key to `check SNAPSHOT`.
    #[command(mut_arg("settings", |a| a.hide(true)), mut_arg("calm_key", |a| a.hide(true)))]
    Snapshot(Box<snapshot::SnapshotArgs>),
    /// Write what to change into a folder: a corrected destination file per destination with a
    /// fixable failure, in the cockpit's import format, fix.patch for destinations defined as code,
    /// and SUMMARY.md (docs/fix.md). Changes nothing in BTP and no input file.
    Fix(Box<fix::FixArgs>),
    /// Write a commented configuration file (calm-audit.toml).
    Init(init::InitArgs),
    /// List the rule catalog.
    Rules(rules::RulesArgs),
    /// Explain one rule: what it checks, why, how to fix it.
    Explain(explain::ExplainArgs),
    /// List the profiles: the purposes a Cloud ALM destination is recognised as, and their rules.
    Profiles(profiles::ProfilesArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command with --dir.
    Man(man::ManArgs),
}

/// Exit codes, part of the public interface (SPEC §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// Invalid invocation or unreadable input; nothing audited.
    Usage = 2,
    /// The audit is incomplete.
    Incomplete = 3,
}

/// What a command produced: the report for standard output, notes for standard error.
pub struct Output {
    pub stdout: String,
    pub stderr: Vec<String>,
    pub exit: Exit,
    /// Writes the report to standard output after `stdout`, as it is produced (the report of
    /// a large landscape is never held whole); `None` for the commands that print text.
    pub stream: Option<Stream>,
}

/// A report written as it is produced, to whatever the caller gives it (standard output).
pub type Stream = Box<dyn FnOnce(&mut dyn std::io::Write) -> std::io::Result<()> + Send>;

/// A run that could not audit anything (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Input(#[from] crate::source::InputError),
    /// Several unreadable inputs, all named (one line each).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<crate::source::InputError>),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

impl CliError {
    /// The lines standard error shows, each after `error: `: one per input that could not be
    /// read, however many line breaks its file name holds (the line shows them escaped), and
    /// one per line of a usage error, whose lines calm-audit wrote itself.
    pub fn lines(&self) -> Vec<String> {
        match self {
            CliError::Inputs(errors) => errors.iter().map(ToString::to_string).collect(),
            CliError::Usage(text) => text.lines().map(str::to_owned).collect(),
            other => vec![other.to_string()],
        }
    }
}

pub fn run(cli: Cli) -> Result<Output, CliError> {
    match cli.command {
        Command::Check(args) => check::run(*args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Fix(args) => fix::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Profiles(args) => Ok(profiles::run(&args)),
        Command::Explain(args) => explain::run(&args),
        Command::Completions(args) => shell::completions(&args),
        Command::Man(args) => man::run(&args),
    }
}

/// Set by the binary: the process ends as soon as the run's output is written, so the large
/// lists of a run (100,000 destinations, tens of thousands of results) are left to the
/// process's exit instead of being freed one by one, which costs a tenth of a large run. A
/// program that calls [`run`] itself keeps the default, and everything is freed.
static EXIT_AFTER_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The process ends right after [`run`]: see [`EXIT_AFTER_RUN`].
pub fn exit_after_run() {
    EXIT_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Done with `value`: freed now, or left to the process's exit ([`exit_after_run`]).
pub fn release<T>(value: T) {
    if EXIT_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// Columns to lay text out for (SPEC §5): for text on standard output, the width of the
/// terminal it is, else, when it is piped (`| less`, `| head`), of the terminal standard error
/// is; then a positive `COLUMNS` (bash does not export it, so it is only a fallback); then a
/// default that suits a pipe or a file. A report written to a file (`--output`) skips the
/// terminals.
pub fn output_width(to_stdout: bool) -> usize {
    let from_terminal = to_stdout.then(|| crate::output::stdout_terminal_width().or_else(crate::output::stderr_terminal_width)).flatten();
    let from_env = std::env::var("COLUMNS").ok().and_then(|v| v.trim().parse::<usize>().ok()).filter(|c| *c > 0);
    crate::report::text::effective(from_terminal.or(from_env))
}

/// Writes `text` to `path` through the masking writer, atomically ([`crate::output::write_file`]).
pub fn write_atomically(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    folder_for(path)?;
    crate::output::write_file(path, text).map_err(|e| CliError::Write { path: crate::model::shown::path(path), message: e.to_string() })
}

/// The folder a file is written to, created when it is not there (SPEC §6: `reports/DAY/` of a
/// nightly audit need not be made first).
fn folder_for(path: &std::path::Path) -> Result<(), CliError> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(folder) if !folder.is_dir() => std::fs::create_dir_all(folder).map_err(|e| CliError::Write {
            path: crate::model::shown::path(path),
            message: format!("cannot create its folder {}: {e}", crate::model::shown::path(folder)),
        }),
        _ => Ok(()),
    }
}

/// [`write_atomically`] with the content written by `write` as it is produced, masked as it
/// streams, never held whole (a snapshot of a large landscape).
pub fn write_atomically_with(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    folder_for(path)?;
    crate::output::write_file_with(path, write)
        .map_err(|e| CliError::Write { path: crate::model::shown::path(path), message: e.to_string() })
}
