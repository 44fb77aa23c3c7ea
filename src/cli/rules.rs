use clap::Args;

use super::{Exit, Output};
use crate::report::catalog::{CatalogFormat, render};
use crate::rules::Catalog;

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: CatalogFormat,
}

pub fn run(args: &RulesArgs) -> Output {
    Output { stdout: render(Catalog::builtin(), args.format), stderr: Vec::new(), exit: Exit::Clean }
}
