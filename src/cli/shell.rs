//! `completions` and `man`: generated from the clap definitions, so they can never disagree
//! with `--help`.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::{Cli, CliError, Exit, Output};

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// Shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write a page per command (calm-audit.1, calm-audit-check.1, ...) into DIR instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> Result<Output, CliError> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "calm-audit", &mut script);
    let stdout = String::from_utf8(script).map_err(|e| CliError::Usage(format!("completion script: {e}")))?;
    Ok(Output { stdout, stderr: Vec::new(), exit: Exit::Clean })
}

pub fn man(args: &ManArgs) -> Result<Output, CliError> {
    let cmd = Cli::command();
    if let Some(dir) = &args.dir {
        let fail = |e: std::io::Error| CliError::Write { path: dir.display().to_string(), message: e.to_string() };
        std::fs::create_dir_all(dir).map_err(fail)?;
        clap_mangen::generate_to(cmd, dir).map_err(fail)?;
        return Ok(Output { stdout: String::new(), stderr: vec![format!("wrote manual pages to {}", dir.display())], exit: Exit::Clean });
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page).map_err(|e| CliError::Usage(format!("manual page: {e}")))?;
    let stdout = String::from_utf8(page).map_err(|e| CliError::Usage(format!("manual page: {e}")))?;
    Ok(Output { stdout, stderr: Vec::new(), exit: Exit::Clean })
}
