//! The file names a folder walk reads, as data: [`super::files`] chooses a file's reader with
//! these lists, and the pre-commit hook's `files` filter (`.pre-commit-hooks.yaml`) is generated
//! from them ([`hook_files_pattern`], kept fresh by `tests/generated.rs`), so that a commit that
//! touches any file calm-audit reads runs the hook, and no other file does.
//!
//! Hidden entries and ignored files are left to the walk: the filter decides by name only, and
//! a hook that runs when it need not costs a second, while one that does not run lets a broken
//! file in.

/// Destination exports in the cockpit's properties form (`.txt` as the README saves them), any
/// case; a file without an extension is read this way too.
pub const PROPERTIES: [&str; 3] = ["properties", "props", "txt"];
/// Destination documents (and Terraform's `*.tf.json`, `*.tfvars.json`, service keys), any case.
pub const JSON: [&str; 1] = ["json"];
/// Destination documents and MTA descriptors (`mta.yaml`), any case.
pub const YAML: [&str; 2] = ["yaml", "yml"];
/// Archives of exports, any case.
pub const ZIP: [&str; 1] = ["zip"];
/// Opened to recognise Entitlement Management settings (which `--settings` and a configuration
/// file's `settings` name), any case.
pub const SETTINGS: [&str; 1] = ["toml"];
/// MTA extension descriptors, any case.
pub const MTA_EXTENSION: &str = "mtaext";
/// Terraform's configuration and variables files, spelt as Terraform spells them (it reads
/// `main.tf`, never `main.TF`).
pub const TERRAFORM: [&str; 2] = ["tf", "tfvars"];

/// Every extension a walk reads in any case: the lists above and the certificates and
/// keystores of [`super::certs::EXTENSIONS`].
pub fn any_case_extensions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    all.extend(PROPERTIES);
    all.extend(JSON);
    all.extend(YAML);
    all.extend(ZIP);
    all.extend(super::certs::EXTENSIONS);
    all.push(MTA_EXTENSION);
    all.extend(SETTINGS);
    all
}

/// The pre-commit `files` regular expression (Python's `re.search` over a path relative to the
/// repository): a name ending in one of [`any_case_extensions`] in any case or in one of
/// [`TERRAFORM`] as written, or a name without a dot (an export saved without an extension).
pub fn hook_files_pattern() -> String {
    format!(r"(?i:\.({}))$|\.({})$|(^|/)[^/.]+$", any_case_extensions().join("|"), TERRAFORM.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_extension_is_listed_twice_and_each_is_a_plain_word() {
        let mut all = any_case_extensions();
        all.extend(TERRAFORM);
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "an extension is listed twice: {all:?}");
        assert!(all.iter().all(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())), "{all:?}");
    }
}
