//! Terraform configuration of several folders: the input is split at NUL bytes into up to six
//! files (`root/main.tf`, `root/terraform.tfvars`, `mod/main.tf`, `mod/variables.tf`,
//! `root/main_override.tf`, `mod/b/main.tf`), read together as one run: module calls in any
//! direction (cycles included), `for_each` and `count` over whatever the files make, overrides.
//! Never a panic or a hang; every value points at a line of the file it names; every error
//! names a file of the run; the instances stay within the bound.
#![no_main]

use std::path::Path;

use calm_audit::source::code::terraform::run::MAX_INSTANCES;
use calm_audit::source::code::terraform::{Input, read_all};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = ["root/main.tf", "root/terraform.tfvars", "mod/main.tf", "mod/variables.tf", "root/main_override.tf", "mod/b/main.tf"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parts: Vec<&str> = text.splitn(NAMES.len(), '\0').collect();
    let files: Vec<Input> = parts
        .iter()
        .zip(NAMES)
        .enumerate()
        .map(|(tag, (text, name))| Input {
            tag,
            shown: name.to_owned(),
            dir: Path::new("/fuzz").join(name).parent().unwrap().to_path_buf(),
            text: (*text).to_owned(),
            apply: false,
        })
        .collect();
    let lines = |path: &str| parts.iter().zip(NAMES).find(|(_, n)| *n == path).map_or(0, |(t, _)| t.lines().count().max(1));
    let outcome = read_all(files, Vec::new(), &mut |_, _| Vec::new());
    assert!(outcome.destinations.len() <= MAX_INSTANCES);
    for d in &outcome.destinations {
        for p in &d.properties {
            let line = usize::try_from(p.line.unwrap_or(1)).unwrap_or(usize::MAX);
            let path = d.path_of(&p.key);
            assert!(line >= 1 && line <= lines(path), "{path}:{line}");
        }
    }
    for (_, e) in &outcome.errors {
        assert!(NAMES.contains(&e.path.as_str()), "an error names a file of the run: {e}");
    }
});
