//! The project's shared folder (`../shared` beside the repository: the SARIF validator), found
//! the way `.ci/run` finds it: `CALM_AUDIT_SHARED` when set, else `../shared` from the
//! repository's root. A contributor's clone without it skips the checks that need it loudly;
//! with `CI=true` a missing validator fails them ([`super::skip::unavailable`]).

use std::path::{Path, PathBuf};

/// The variable that names the shared folder, in `.ci/run` and here.
pub const VARIABLE: &str = "CALM_AUDIT_SHARED";
/// The shared folder when the variable is not set, relative to the repository's root.
pub const DEFAULT: &str = "../shared";
/// The line of `.ci/run` that finds it (`tests/integrations.rs` holds the two to each other).
pub const CI_RUN_LINE: &str = r#"shared="${CALM_AUDIT_SHARED:-../shared}""#;

/// The shared folder, whether or not it exists.
pub fn folder() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os(VARIABLE).filter(|v| !v.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join(DEFAULT),
    }
}

/// `check-sarif`, the SARIF validator; `Err` says where it was looked for.
pub fn check_sarif() -> Result<PathBuf, String> {
    let tool = folder().join("sarif/check-sarif");
    if tool.is_file() {
        Ok(tool)
    } else {
        Err(format!(
            "the SARIF validator {} is not there ({VARIABLE} names the shared folder; default {DEFAULT} beside the repository)",
            tool.display()
        ))
    }
}
