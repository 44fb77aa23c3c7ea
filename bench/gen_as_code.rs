//! Writes a synthetic repository of destinations defined as code for the benchmarks.
//!
//! `gen-as-code N DIR` writes `DIR/terraform/module-XX/` folders of 50 resources each
//! (`btp_subaccount_destination` and `btp_subaccount_destination_generic` in turn, every value
//! that is not a secret literal, secrets from a variable without a value, URLs from variable
//! defaults and `terraform.tfvars`, token URLs from locals) and `DIR/mta/mta.yaml` with the same
//! N destinations in a destination service's `init_data`, secrets as placeholders, and
//! `DIR/terraform-for-each/` with the N destinations as the instances of one resource with
//! `for_each` over a map in `terraform.tfvars`. The destinations are those of
//! `gen-landscape N`: one in a hundred a Cloud ALM one.

// A stand-alone benchmark program: it speaks on its own standard streams.
#![allow(clippy::disallowed_macros)]

#[path = "landscape.rs"]
mod landscape;

#[path = "as_code.rs"]
mod as_code;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(dir)) = (args.first().and_then(|a| a.parse::<usize>().ok()), args.get(1)) else {
        eprintln!("usage: gen-as-code N DIR");
        return ExitCode::from(2);
    };
    let destinations = landscape::generate(n);
    let dir = Path::new(dir);
    let written = as_code::terraform(&destinations, &dir.join("terraform"))
        .and_then(|()| as_code::mta(&destinations, &dir.join("mta/mta.yaml")))
        .and_then(|()| as_code::terraform_for_each(&destinations, &dir.join("terraform-for-each")));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
