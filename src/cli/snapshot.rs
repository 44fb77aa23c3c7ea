use std::path::PathBuf;

use clap::Args;

use super::check::{snapshot_text, write_snapshot};
use super::sources::{SourceArgs, gather};
use super::{CliError, Exit, Output};

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Write the snapshot to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Exit 0 for a complete read, 3 when a source failed part way (the snapshot records it).
pub fn run(args: &SnapshotArgs) -> Result<Output, CliError> {
    // Reading a file only to drop it would let a user believe the snapshot holds it.
    let dropped: Vec<&str> = [("--settings", args.sources.settings.is_some()), ("--calm-key", args.sources.calm_key.is_some())]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect();
    if !dropped.is_empty() {
        return Err(CliError::Usage(format!(
            "snapshot keeps destinations only, not {}: give them to `calm-audit check SNAPSHOT {}`",
            dropped.join(" or "),
            dropped.iter().map(|f| format!("{f} FILE")).collect::<Vec<_>>().join(" ")
        )));
    }
    let g = gather(&args.sources, false)?;
    if !g.destinations_given {
        return Err(CliError::Usage("nothing to snapshot: give --destination-key or destination files".into()));
    }
    let mut stderr: Vec<String> =
        g.failures.iter().chain(&g.keystores_refused).map(|f| format!("incomplete: {}: {}", f.source, f.message)).collect();
    let stdout = match &args.output {
        Some(path) => {
            write_snapshot(path, &g)?;
            stderr.push(format!("wrote snapshot {} ({} destinations)", crate::model::shown::path(path), g.destinations.len()));
            String::new()
        }
        None => snapshot_text(&g)?,
    };
    let exit = if g.failures.is_empty() && g.keystores_refused.is_empty() { Exit::Clean } else { Exit::Incomplete };
    super::release(g);
    Ok(Output { stdout, stderr, exit, stream: None })
}
