use clap::Args;

use super::{Exit, Output};
use crate::report::catalog::CatalogFormat;
use crate::report::profiles::render;
use crate::rules::Profiles;

#[derive(Args, Debug)]
pub struct ProfilesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: CatalogFormat,
}

pub fn run(args: &ProfilesArgs) -> Output {
    Output { stdout: render(Profiles::builtin(), args.format), stderr: Vec::new(), exit: Exit::Clean }
}
