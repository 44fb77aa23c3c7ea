//! The settings file: TOML or JSON with exactly the keys of the *SAP Cloud ALM Integration* screen.

use std::path::Path;

use serde::Deserialize;

use super::{InputError, tree};
use crate::model::Settings;

const KEYS: [&str; 3] = ["enable_integration_monitoring", "enable_business_process_monitoring", "destination_name"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    enable_integration_monitoring: bool,
    enable_business_process_monitoring: bool,
    #[serde(default)]
    destination_name: Option<String>,
}

/// One of the keys of the settings screen.
pub fn is_settings_key(key: &str) -> bool {
    KEYS.contains(&key)
}

pub fn load(path: &Path) -> Result<Settings, InputError> {
    let shown = path.display().to_string();
    let text = super::read_utf8_text(path, &shown, "settings file")?;
    parse(&text, &shown, path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")))
}

/// Settings from text: JSON when `json` or when it starts with `{`, TOML otherwise.
pub fn parse(text: &str, shown: &str, json: bool) -> Result<Settings, InputError> {
    let shown = shown.to_owned();
    let is_json = json || text.trim_start().starts_with('{');
    let (raw, lines) = if is_json { from_json(text, &shown)? } else { from_toml(text, &shown)? };
    Ok(Settings {
        path: shown,
        enable_integration_monitoring: raw.enable_integration_monitoring,
        enable_business_process_monitoring: raw.enable_business_process_monitoring,
        destination_name: raw.destination_name,
        lines,
    })
}

type Lines = Vec<(&'static str, u32)>;

fn from_toml(text: &str, shown: &str) -> Result<(RawSettings, Lines), InputError> {
    let index = super::LineIndex::new(text);
    let raw: RawSettings = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| index.line(s.start));
        InputError::new(shown, line, format!("invalid settings: {}", e.message()))
    })?;
    // Keys are bare at the start of a line in any settings file this loader accepts.
    let mut lines = Vec::new();
    for key in KEYS {
        if let Some(offset) = text
            .match_indices(key)
            .map(|(i, _)| i)
            .find(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n' || text[..i].ends_with(char::is_whitespace))
        {
            lines.push((key, index.line(offset)));
        }
    }
    Ok((raw, lines))
}

fn from_json(text: &str, shown: &str) -> Result<(RawSettings, Lines), InputError> {
    // Parse once through the tree for duplicate keys and lines, then through serde for types.
    let node = tree::parse_json(text).map_err(|e| InputError::new(shown, e.line, e.message))?;
    let raw: RawSettings = serde_json::from_str(text).map_err(|e| {
        let line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
        let message = e.to_string();
        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m).to_owned();
        InputError::new(shown, line, format!("invalid settings: {message}"))
    })?;
    let lines = KEYS.iter().filter_map(|k| node.key_line(k).map(|l| (*k, l))).collect();
    Ok((raw, lines))
}
