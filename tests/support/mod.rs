//! Shared helpers of the integration tests. Each test binary uses a subset of them.
#![allow(dead_code)]

pub mod certs;
pub mod fake_service;
pub mod process;
pub mod shared;
pub mod skip;
