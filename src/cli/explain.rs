use clap::Args;

use super::{CliError, Exit, Output};
use crate::report::catalog::explain;
use crate::rules::Catalog;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Rule code (CALM004) or name (destination-url-trailing-slash).
    pub rule: String,
}

pub fn run(args: &ExplainArgs) -> Result<Output, CliError> {
    let catalog = Catalog::builtin();
    match catalog.find(args.rule.trim()) {
        Some(rule) => Ok(Output { stdout: explain(rule), stderr: Vec::new(), exit: Exit::Clean }),
        None => Err(CliError::Usage(format!("no rule \"{}\"; `calm-audit rules` lists them", args.rule))),
    }
}
