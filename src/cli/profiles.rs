use clap::Args;

use super::{Exit, Output, output_width};
use crate::report::CatalogFormat;
use crate::report::profiles::render;
use crate::rules::Profiles;

#[derive(Args, Debug)]
pub struct ProfilesArgs {
    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value = "table")]
    pub format: CatalogFormat,
}

pub fn run(args: &ProfilesArgs) -> Output {
    let width = output_width(true);
    Output { stdout: render(Profiles::builtin(), args.format, width), stderr: Vec::new(), exit: Exit::Clean, stream: None }
}
