//! Rules: the catalog and the profiles (data), the context the checks read (inputs, outcome,
//! each destination's purpose), the template checks declared in the catalog and the checks
//! written in Rust, one file per kind of object, and above them the engine that runs it all.

pub mod catalog;
pub mod certificates;
pub mod context;
mod destination;
pub mod engine;
mod key;
mod landscape;
pub mod profiles;
mod settings;
mod templates;
pub use crate::model::url;

pub use catalog::{Catalog, Rule};
pub use context::{Choices, Inputs, Outcome, Purpose, in_scope};
pub use engine::{audit, has_code_check};
pub use profiles::{Profile, Profiles};

/// The version of the built-in rules every report names beside calm-audit's own: the first 12
/// hex digits of the SHA-256 of `rules/catalog.toml` and `rules/profiles.toml` as built in. It
/// changes whenever a rule's text, check or profile does, and no one has to remember to bump it.
pub fn catalog_version() -> &'static str {
    use sha2::{Digest, Sha256};
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hash = Sha256::new();
        for part in [catalog::BUILTIN, profiles::BUILTIN] {
            // The same on a checkout with Windows line ends.
            let part = part.replace("\r\n", "\n");
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hash.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
    })
}
