//! The one way a path or value the user gave (a flag, an environment variable, the
//! configuration file) is shown in any output: errors, notes, `--show-config`, report inputs.
//!
//! A path is shown with URL redaction ([`super::url::redact_urls_in`]): a path written as a
//! URL (`https://user:pw@host/k.json?token=...`) keeps no credentials or query values. A value
//! taken from the environment or the configuration that is not the path of an existing file
//! or folder may be anything (a key's JSON pasted into `CALM_AUDIT_CALM_KEY`, a password): it
//! is registered here with [`hide_value`] and from then on shown only by where it came from and
//! its length, wherever [`path`] is asked to show it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static HIDDEN: Mutex<Option<HashMap<PathBuf, String>>> = Mutex::new(None);

/// `path` as every output shows it: its hidden form when [`hide_value`] registered it, else
/// its text with every URL-looking part redacted.
pub fn path(path: &Path) -> String {
    let hidden = HIDDEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(shown) = hidden.as_ref().and_then(|h| h.get(path)) {
        return shown.clone();
    }
    drop(hidden);
    value(&path.display().to_string())
}

/// A value the user gave as text (a path that is not a `Path` yet), URL-redacted.
pub fn value(text: &str) -> String {
    super::url::redact_urls_in(text).into_owned()
}

/// Registers `path`, given as `raw` through `origin` (`environment CALM_AUDIT_CALM_KEY`,
/// `calm-audit.toml (calm_key)`), as a value that is not an existing file: from now on it is shown
/// as `the value of ORIGIN (N characters)`, and the value (each of its lines too) is remembered
/// for the output's masker. Returns the form it is shown in.
pub fn hide_value(path: &Path, raw: &str, origin: &str) -> String {
    super::secret::remember(raw);
    for line in raw.lines() {
        super::secret::remember(line);
    }
    let shown = format!("the value of {origin} ({} characters)", raw.chars().count());
    let mut hidden = HIDDEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    hidden.get_or_insert_with(HashMap::new).insert(path.to_path_buf(), shown.clone());
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_path_keeps_no_credentials_or_query_values() {
        let shown = path(Path::new("https://user:PwShown1x@host/k.json?token=TokShown2y"));
        assert!(!shown.contains("PwShown1x") && !shown.contains("TokShown2y"), "{shown}");
        assert!(shown.contains("host/k.json"), "{shown}");
        assert_eq!(path(Path::new("keys/calm-key.json")), "keys/calm-key.json");
        // Shown in a message and redacted again on standard error: the same text, colon and all.
        let line = format!("{shown}: no such file or folder");
        assert_eq!(super::super::url::redact_urls_in(&line), line);
    }

    #[test]
    fn a_hidden_value_is_named_by_its_origin_and_length() {
        let raw = "{\"uaa\":{\"clientsecret\":\"HiddenShown3z\"}}";
        let shown = hide_value(Path::new(raw), raw, "environment X");
        assert_eq!(shown, format!("the value of environment X ({} characters)", raw.chars().count()));
        assert_eq!(path(Path::new(raw)), shown);
    }
}
