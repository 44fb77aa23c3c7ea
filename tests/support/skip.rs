//! A test whose tool is missing (Chromium, zsh, fish, pre-commit) says so loudly and passes,
//! except in CI (`CI=true`), where the missing tool is a failure: a green CI never hides a
//! check that did not run.

#![allow(clippy::disallowed_methods)] // a test helper speaks to the person running the tests directly

use std::io::Write;

/// `CI` is set to something other than empty, `false` or `0`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Bypasses the test harness's output capture, so a skip is seen in a plain `cargo test`.
pub fn shout(message: &str) {
    let _ = writeln!(std::io::stderr(), "\n{}\n{message}\n{}\n", "!".repeat(78), "!".repeat(78));
}

/// `what` cannot run because of `why`: a failure in CI, a loud skip elsewhere.
pub fn unavailable(what: &str, why: &str) {
    assert!(!in_ci(), "CI=true and {what} cannot run: {why}");
    shout(&format!("SKIPPED: {what} did not run: {why}.\nWith CI=true this is a failure."));
}
