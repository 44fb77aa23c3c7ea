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
    Ok(Output { stdout, stderr: Vec::new(), exit: Exit::Clean, stream: None })
}

pub fn man(args: &ManArgs) -> Result<Output, CliError> {
    let cmd = Cli::command();
    if let Some(dir) = &args.dir {
        let fail = |e: std::io::Error| CliError::Write { path: dir.display().to_string(), message: e.to_string() };
        std::fs::create_dir_all(dir).map_err(fail)?;
        clap_mangen::generate_to(cmd, dir).map_err(fail)?;
        return Ok(Output {
            stdout: String::new(),
            stderr: vec![format!("wrote manual pages to {}", dir.display())],
            exit: Exit::Clean,
            stream: None,
        });
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page).map_err(|e| CliError::Usage(format!("manual page: {e}")))?;
    let stdout = String::from_utf8(page).map_err(|e| CliError::Usage(format!("manual page: {e}")))?;
    Ok(Output { stdout, stderr: Vec::new(), exit: Exit::Clean, stream: None })
}

/// One synopsis line (wrapped) per command, built from the clap definitions: the usage block of
/// the README, kept equal to `--help` by `tests/generated.rs`.
pub fn synopsis(width: usize) -> String {
    let cmd = Cli::command();
    let mut out = String::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let head = format!("calm-audit {}", sub.get_name());
        let mut items: Vec<String> = Vec::new();
        let args = sub.get_arguments().filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"));
        let (positionals, options): (Vec<&clap::Arg>, Vec<&clap::Arg>) = args.partition(|a| a.is_positional());
        for arg in positionals {
            let name =
                arg.get_value_names().and_then(|v| v.first()).map_or_else(|| arg.get_id().as_str().to_uppercase(), |v| v.to_string());
            let values = possible_values(arg).unwrap_or(name);
            let many = matches!(arg.get_action(), clap::ArgAction::Append);
            items.push(match (arg.is_required_set(), many) {
                (true, false) => format!("<{values}>"),
                (true, true) => format!("<{values}>..."),
                (false, false) => format!("[{values}]"),
                (false, true) => format!("[{values}...]"),
            });
        }
        for arg in options {
            let Some(long) = arg.get_long() else { continue };
            let item = match arg.get_action() {
                clap::ArgAction::SetTrue | clap::ArgAction::SetFalse | clap::ArgAction::Count => format!("[--{long}]"),
                action => {
                    let value = possible_values(arg).unwrap_or_else(|| {
                        arg.get_value_names().and_then(|v| v.first()).map_or_else(|| long.to_uppercase(), |v| v.to_string())
                    });
                    let many = if matches!(action, clap::ArgAction::Append) { "..." } else { "" };
                    format!("[--{long} {value}]{many}")
                }
            };
            items.push(item);
        }
        let indent = " ".repeat(head.len());
        let mut line = head;
        let mut filled = false;
        for item in items {
            if filled && line.len() + 1 + item.len() > width {
                out.push_str(&line);
                out.push('\n');
                line.clone_from(&indent);
            }
            line.push(' ');
            line.push_str(&item);
            filled = true;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn possible_values(arg: &clap::Arg) -> Option<String> {
    let values: Vec<String> = arg.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name().to_owned()).collect();
    (!values.is_empty()).then(|| values.join("|"))
}
