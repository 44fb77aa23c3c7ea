//! calm-audit: a read-only auditor of the BTP destination and the Entitlement Management
//! settings that send monitoring data to SAP Cloud ALM.
//!
//! Data flows one way: [`source`] → [`model`] → [`rules`] → [`report`]; [`cli`] wires them.

pub mod cli;
pub mod clock;
pub mod config;
pub mod model;
pub mod output;
pub mod overlay;
pub mod report;
pub mod rules;
pub mod source;
