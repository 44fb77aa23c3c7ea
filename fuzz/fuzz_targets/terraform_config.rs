//! Terraform configuration: the input is split at the first NUL byte into `main.tf` and
//! `terraform.tfvars`, read as one module. Never a panic, whatever the HCL (deep nesting,
//! locals that refer to each other); every value points at a line of the file it names.
#![no_main]

use calm_audit::source::code::terraform::{File, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (config, vars) = text.split_once('\0').unwrap_or((text, ""));
    let config = [File { path: "main.tf", text: config }];
    let vars = [File { path: "terraform.tfvars", text: vars }];
    let lines = |path: &str| if path == "main.tf" { config[0].text } else { vars[0].text }.lines().count().max(1);
    if let Ok(destinations) = read(&config, &vars) {
        for d in &destinations {
            for p in &d.properties {
                let line = usize::try_from(p.line.unwrap_or(1)).unwrap_or(usize::MAX);
                assert!(line >= 1 && line <= lines(d.path_of(&p.key)), "{}:{line}", d.path_of(&p.key));
            }
        }
    }
});
