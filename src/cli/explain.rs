use clap::Args;

use super::{CliError, Exit, Output, output_width};
use crate::overlay::unknown_rule;
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
        Some(rule) => {
            let width = output_width(crate::output::stdout_is_terminal());
            Ok(Output { stdout: explain(rule, width), stderr: Vec::new(), exit: Exit::Clean, stream: None })
        }
        None => Err(CliError::Usage(unknown_rule(catalog, args.rule.trim()))),
    }
}
