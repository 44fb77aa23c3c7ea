//! `completions`, and the synopsis the README and the manual pages show: generated from the
//! clap definitions, so they can never disagree with `--help`.

use clap::{Args, CommandFactory};

use super::{Cli, CliError, Exit, Output};

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// Shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(args: &CompletionsArgs) -> Result<Output, CliError> {
    let stdout = completion_script(args.shell).map_err(|e| CliError::Usage(format!("completion script: {e}")))?;
    Ok(Output { stdout, stderr: Vec::new(), exit: Exit::Clean, stream: None })
}

/// The binary's name, as the shell sees it.
const BIN: &str = "calm-audit";

/// The name bash's script is generated for: clap_complete spells the case labels of a name
/// with a hyphen differently from the state it compares them with, so no label ever matches
/// and only command names complete (clap-rs/clap#6421, in every release up to 4.6.12). A
/// name without one is spelt the same both ways; the script is then registered for the real name.
const BASH_NAME: &str = "calm_audit";

/// The completion script for `shell`.
pub fn completion_script(shell: clap_complete::Shell) -> Result<String, String> {
    let mut cmd = completion_command();
    let name = if shell == clap_complete::Shell::Bash { BASH_NAME } else { BIN };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut script);
    let script = String::from_utf8(script).map_err(|e| e.to_string())?;
    match shell {
        clap_complete::Shell::Bash => bash_registered_for_bin(&script),
        clap_complete::Shell::Fish => fish_with_positional_values(script, &cmd),
        _ => Ok(script),
    }
}

/// clap_complete's fish script completes the values of options, never those of a positional
/// argument (`explain <RULE>`, `completions <SHELL>`): they are added here, in its own form.
fn fish_with_positional_values(mut script: String, cmd: &clap::Command) -> Result<String, String> {
    let condition = "__fish_calm_audit_using_subcommand";
    if !script.contains(&format!("function {condition}")) {
        return Err(format!("clap_complete's fish script no longer defines {condition}"));
    }
    let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'").replace('"', "\\\"").replace('$', "\\$");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        for arg in sub.get_positionals() {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| format!("{}\\t'{}'", quote(v.get_name()), quote(&v.get_help().map(ToString::to_string).unwrap_or_default())))
                .collect();
            if !values.is_empty() {
                script.push_str(&format!("complete -c {BIN} -n \"{condition} {}\" -f -a \"{}\"\n", sub.get_name(), values.join(" ")));
            }
        }
    }
    Ok(script)
}

/// The bash script generated for [`BASH_NAME`], registered for the binary's real name.
fn bash_registered_for_bin(script: &str) -> Result<String, String> {
    // `complete -F _calm_audit ... calm_audit`: the function keeps its name, the command is ours.
    let mut registered = 0;
    let lines: Vec<String> = script
        .lines()
        .map(|line| match line.trim_start().strip_prefix("complete -F ").and_then(|_| line.strip_suffix(&format!(" {BASH_NAME}"))) {
            Some(head) => {
                registered += 1;
                format!("{head} {BIN}")
            }
            None => line.to_owned(),
        })
        .collect();
    if registered == 0 {
        return Err("clap_complete's bash script no longer has the `complete -F` line this build rewrites".to_owned());
    }
    Ok(lines.join("\n") + "\n")
}

/// The command line as the completion scripts see it: the clap definitions, plus as candidates
/// the values that are data rather than flags (profile names; rule codes and names), which the
/// parser itself leaves to `check` so that a mistyped one gets calm-audit's did-you-mean.
fn completion_command() -> clap::Command {
    use clap::builder::{PossibleValue, PossibleValuesParser};
    let profiles = || {
        PossibleValuesParser::new(
            crate::rules::Profiles::builtin().profiles.iter().map(|p| PossibleValue::new(p.name.as_str()).help(p.title.as_str())),
        )
    };
    let rules = || {
        let catalog = crate::rules::Catalog::builtin();
        PossibleValuesParser::new(
            catalog
                .rules
                .iter()
                .map(|r| PossibleValue::new(r.code.as_str()).help(r.name.as_str()))
                .chain(catalog.rules.iter().map(|r| PossibleValue::new(r.name.as_str()).help(r.code.as_str()))),
        )
    };
    Cli::command()
        .mut_subcommand("check", |c| {
            c.mut_arg("profile", |a| a.value_parser(profiles()))
                .mut_arg("select", |a| a.value_parser(rules()))
                .mut_arg("ignore", |a| a.value_parser(rules()))
        })
        .mut_subcommand("rules", |c| c.mut_arg("profile", |a| a.value_parser(profiles())))
        .mut_subcommand("explain", |c| c.mut_arg("rule", |a| a.value_parser(rules())))
}

/// One word of a command's synopsis: an option with the value it takes, or a positional
/// argument, as `--help` defines them.
pub struct SynopsisItem {
    /// `--format`, or empty for a positional argument.
    pub flag: String,
    /// `table|json|...`, `FILE`, or the positional's name; `None` for a switch.
    pub value: Option<String>,
    pub required: bool,
    pub repeated: bool,
}

impl std::fmt::Display for SynopsisItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let many = if self.repeated { "..." } else { "" };
        match (&self.value, self.flag.is_empty()) {
            (Some(v), true) if self.required => write!(f, "<{v}>{many}"),
            (Some(v), true) => write!(f, "[{v}{many}]"),
            (Some(v), false) => write!(f, "[{} {v}]{many}", self.flag),
            (None, _) => write!(f, "[{}]", self.flag),
        }
    }
}

/// The synopsis of one command: its positional arguments, then its options, each with the
/// values it takes (hidden ones and `--help`/`--version` left out).
pub fn synopsis_items(sub: &clap::Command) -> Vec<SynopsisItem> {
    let mut items = Vec::new();
    let args = sub.get_arguments().filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"));
    let (positionals, options): (Vec<&clap::Arg>, Vec<&clap::Arg>) = args.partition(|a| a.is_positional());
    for arg in positionals {
        let name = arg.get_value_names().and_then(|v| v.first()).map_or_else(|| arg.get_id().as_str().to_uppercase(), |v| v.to_string());
        items.push(SynopsisItem {
            flag: String::new(),
            value: Some(possible_values(arg).unwrap_or(name)),
            required: arg.is_required_set(),
            repeated: matches!(arg.get_action(), clap::ArgAction::Append),
        });
    }
    for arg in options {
        let Some(long) = arg.get_long() else { continue };
        let value =
            match arg.get_action() {
                clap::ArgAction::SetTrue | clap::ArgAction::SetFalse | clap::ArgAction::Count => None,
                _ => Some(possible_values(arg).unwrap_or_else(|| {
                    arg.get_value_names().and_then(|v| v.first()).map_or_else(|| long.to_uppercase(), |v| v.to_string())
                })),
            };
        items.push(SynopsisItem {
            flag: format!("--{long}"),
            repeated: value.is_some() && matches!(arg.get_action(), clap::ArgAction::Append),
            value,
            required: false,
        });
    }
    items
}

/// One synopsis line (wrapped) per command, built from the clap definitions: the usage block of
/// the README, kept equal to `--help` by `tests/generated.rs`.
pub fn synopsis(width: usize) -> String {
    let cmd = Cli::command();
    let mut out = String::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let head = format!("calm-audit {}", sub.get_name());
        let items: Vec<String> = synopsis_items(sub).iter().map(ToString::to_string).collect();
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
