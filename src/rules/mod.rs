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
