use clap::Args;

use super::{CliError, Exit, Output, output_width};
use crate::report::CatalogFormat;
use crate::report::catalog::render;
use crate::report::profiles::rules_of;
use crate::rules::{Catalog, Profiles};

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value = "table")]
    pub format: CatalogFormat,
    /// Only the rules that judge a destination of this profile (`calm-audit profiles` lists them).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

pub fn run(args: &RulesArgs) -> Result<Output, CliError> {
    let catalog = Catalog::builtin();
    let width = output_width(true);
    let stdout = match &args.profile {
        None => render(catalog, args.format, width),
        Some(name) => {
            let profiles = Profiles::builtin();
            let profile = profiles.lookup(name).map_err(|e| CliError::Usage(format!("--profile: {e}")))?;
            let only = Catalog { rules: rules_of(catalog, profiles, profile).into_iter().cloned().collect() };
            render(&only, args.format, width)
        }
    };
    Ok(Output { stdout, stderr: Vec::new(), exit: Exit::Clean, stream: None })
}
