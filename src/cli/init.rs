use std::path::PathBuf;

use clap::Args;

use super::{CliError, Exit, Output, write_atomically};
use crate::config::{FILE_NAME, TEMPLATE};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(long, short, value_name = "FILE", default_value = FILE_NAME)]
    pub output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InitArgs) -> Result<Output, CliError> {
    if args.output.exists() && !args.force {
        return Err(CliError::Usage(format!("{} exists; --force replaces it", crate::model::shown::path(&args.output))));
    }
    write_atomically(&args.output, TEMPLATE)?;
    Ok(Output {
        stdout: String::new(),
        stderr: vec![format!("wrote {}", crate::model::shown::path(&args.output))],
        exit: Exit::Clean,
        stream: None,
    })
}
