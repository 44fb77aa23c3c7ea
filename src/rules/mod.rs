//! Rules: the catalog (data), the engine that runs it, the template checks declared in the
//! catalog and the checks written in Rust, one file per kind of object.

pub mod catalog;
mod destination;
pub mod engine;
mod key;
mod landscape;
mod settings;
mod templates;
pub use crate::model::url;

pub use catalog::{Catalog, Rule};
pub use engine::{Inputs, Outcome, audit, has_code_check, in_scope};
