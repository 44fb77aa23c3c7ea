//! The settings file: TOML or JSON with exactly the keys of the *SAP Cloud ALM Integration* screen.

use std::path::Path;

use super::{InputError, tree};
use crate::model::Settings;

const KEYS: [&str; 3] = ["enable_integration_monitoring", "enable_business_process_monitoring", "destination_name"];

/// One of the keys of the settings screen.
pub fn is_settings_key(key: &str) -> bool {
    KEYS.contains(&key)
}

/// An input given where another was expected, told by its structure: what it is and the flag
/// that takes it (SPEC §6: "this is a destination file / settings / key" in every direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misplaced {
    Destinations,
    Settings,
    CalmKey,
    DestinationKey,
}

impl Misplaced {
    fn what(self) -> &'static str {
        match self {
            Misplaced::Destinations => "a destination file",
            Misplaced::Settings => "Entitlement Management settings",
            Misplaced::CalmKey => "a SAP Cloud ALM service key",
            Misplaced::DestinationKey => "a Destination service key",
        }
    }

    fn how(self) -> &'static str {
        match self {
            Misplaced::Destinations => "give it as a path (calm-audit check FILE)",
            Misplaced::Settings => "give it with --settings",
            Misplaced::CalmKey => "give it with --calm-key",
            Misplaced::DestinationKey => "give it with --destination-key",
        }
    }

    /// `this looks like a destination file, not <expected>: give it as a path (...)`.
    pub fn hint(self, expected: &str) -> String {
        format!("this looks like {}, not {expected}: {}", self.what(), self.how())
    }
}

/// What `text` is when it is one of calm-audit's other inputs, by its parsed structure (never by
/// a word alone): a Cloud ALM key (`endpoints` and `uaa`), a Destination service key (`uri` and
/// `uaa`), settings (only the keys of the settings screen), destinations (objects with `Name`
/// and `URL` or `Type`, in JSON, or properties or YAML lines). `None` when it is none of them.
pub fn misplaced(text: &str) -> Option<Misplaced> {
    let body = text.trim_start_matches('\u{feff}');
    // JSON, also after the lines `cf service-key` prints and inside `credentials`.
    if let Some(start) = body.find(['{', '['])
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(&body[start..])
    {
        return misplaced_json(&value);
    }
    if let Ok(table) = toml::from_str::<toml::Table>(body)
        && !table.is_empty()
    {
        return table.keys().all(|k| is_settings_key(k)).then_some(Misplaced::Settings);
    }
    // Java properties (`Name=`, `URL=`) or YAML (`Name:`) lines of a destination.
    let mut seen = [false; 2];
    for line in body.lines().map(str::trim_start) {
        let key = line.split(['=', ':']).next().unwrap_or_default().trim().trim_start_matches("- ");
        if line.len() > key.len() {
            match key {
                "Name" => seen[0] = true,
                "URL" | "Type" => seen[1] = true,
                _ => {}
            }
        }
    }
    (seen[0] && seen[1]).then_some(Misplaced::Destinations)
}

fn misplaced_json(value: &serde_json::Value) -> Option<Misplaced> {
    use serde_json::Value;
    let is_destination = |v: &Value| v.get("Name").is_some_and(Value::is_string) && (v.get("URL").is_some() || v.get("Type").is_some());
    match value {
        Value::Array(items) => (!items.is_empty() && items.iter().all(is_destination)).then_some(Misplaced::Destinations),
        Value::Object(map) => {
            if let Some(inner @ Value::Object(_)) = map.get("credentials")
                && !map.contains_key("uaa")
            {
                return misplaced_json(inner);
            }
            let is_map = |k: &str| map.get(k).is_some_and(Value::is_object);
            if is_map("endpoints") && is_map("uaa") {
                Some(Misplaced::CalmKey)
            } else if map.get("uri").is_some_and(Value::is_string) && is_map("uaa") {
                Some(Misplaced::DestinationKey)
            } else if !map.is_empty() && map.keys().all(|k| is_settings_key(k)) {
                Some(Misplaced::Settings)
            } else if is_destination(value) || map.contains_key("destinationConfiguration") || map.contains_key("init_data") {
                Some(Misplaced::Destinations)
            } else {
                None
            }
        }
        _ => None,
    }
}

const AS_SETTINGS: &str = "Entitlement Management settings (--settings)";

/// [`misplaced`] for a file that could not be read as the input it was given as (a Latin-1
/// export is not UTF-8): its first MiB, undecodable bytes replaced.
pub fn misplaced_file(path: &Path) -> Option<Misplaced> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(1 << 20).read_to_end(&mut bytes).ok()?;
    misplaced(&String::from_utf8_lossy(&bytes))
}

/// The settings file, or its first problem: see [`load_all`].
pub fn load(path: &Path) -> Result<Settings, InputError> {
    load_all(path).map_err(first)
}

/// The settings file, or every problem in it at once (an unknown key and a missing boolean are
/// both named in the same run), each with its line where it has one.
pub fn load_all(path: &Path) -> Result<Settings, Vec<InputError>> {
    let shown = crate::model::shown::path(path);
    let text = super::read_utf8_text(path, &shown, "settings file").map_err(|e| {
        // A Latin-1 cockpit export is not UTF-8: say what it is rather than how it is encoded.
        let other = misplaced_file(path).filter(|m| *m != Misplaced::Settings);
        vec![other.map_or(e, |m| InputError::new(&shown, None, m.hint(AS_SETTINGS)))]
    })?;
    parse_all(&text, &shown, path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")))
}

/// Settings from text, or their first problem: see [`parse_all`].
pub fn parse(text: &str, shown: &str, json: bool) -> Result<Settings, InputError> {
    parse_all(text, shown, json).map_err(first)
}

fn first(mut errors: Vec<InputError>) -> InputError {
    if errors.is_empty() { InputError::new("settings", None, "invalid settings") } else { errors.swap_remove(0) }
}

/// A value as the file wrote it, for the checks of every key.
enum Written {
    Bool(bool),
    Text(String),
    /// Any other type, named as the user would ("an integer", "an array").
    Other(&'static str),
}

/// Settings from text: JSON when `json` or when it starts with `{`, TOML otherwise. Every key
/// is read into a plain list first, then checked: unknown keys, wrong types and missing
/// booleans are all reported, in file order, the missing ones last.
pub fn parse_all(text: &str, shown: &str, json: bool) -> Result<Settings, Vec<InputError>> {
    parse_settings(text, shown, json).map_err(|errors| match misplaced(text) {
        // Another input given as settings: one line that says what it is, not one per key.
        Some(other) if other != Misplaced::Settings => {
            vec![InputError::new(shown, None, other.hint(AS_SETTINGS))]
        }
        _ => errors,
    })
}

fn parse_settings(text: &str, shown: &str, json: bool) -> Result<Settings, Vec<InputError>> {
    let is_json = json || text.trim_start().starts_with('{');
    let entries = if is_json { json_entries(text, shown)? } else { toml_entries(text, shown)? };
    let mut errors = Vec::new();
    let mut bools: [Option<bool>; 2] = [None, None];
    let mut destination_name = None;
    let mut lines = Vec::new();
    for (key, line, value) in entries {
        let Some(known) = KEYS.iter().find(|k| **k == key) else {
            let close = KEYS.iter().filter(|k| strsim::jaro_winkler(k, &key) > 0.8).map(|k| format!("; did you mean `{k}`?")).next();
            errors.push(InputError::new(
                shown,
                line,
                format!("invalid settings: unknown key `{key}`{}", close.unwrap_or_else(|| format!(" (the keys are {})", KEYS.join(", ")))),
            ));
            continue;
        };
        if let Some(line) = line {
            lines.push((*known, line));
        }
        match (*known, value) {
            ("destination_name", Written::Text(t)) => destination_name = Some(t),
            ("destination_name", Written::Bool(_)) => {
                errors.push(InputError::new(shown, line, "invalid settings: destination_name must be a string, not a boolean"))
            }
            ("destination_name", Written::Other(what)) => {
                errors.push(InputError::new(shown, line, format!("invalid settings: destination_name must be a string, not {what}")))
            }
            (flag, Written::Bool(b)) => bools[usize::from(flag == KEYS[1])] = Some(b),
            (flag, Written::Text(t)) => {
                errors.push(InputError::new(shown, line, format!("invalid settings: {flag} must be true or false, not the string \"{t}\"")))
            }
            (flag, Written::Other(what)) => {
                errors.push(InputError::new(shown, line, format!("invalid settings: {flag} must be true or false, not {what}")))
            }
        }
    }
    for (i, flag) in KEYS[..2].iter().enumerate() {
        if bools[i].is_none() && !errors.iter().any(|e| e.message.contains(&format!(" {flag} must"))) {
            errors.push(InputError::new(
                shown,
                None,
                format!("invalid settings: missing `{flag}` (true or false, as the SAP Cloud ALM Integration screen shows it)"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Settings {
        path: shown.to_owned(),
        enable_integration_monitoring: bools[0].unwrap_or_default(),
        enable_business_process_monitoring: bools[1].unwrap_or_default(),
        destination_name,
        lines,
    })
}

type Entry = (String, Option<u32>, Written);

fn toml_entries(text: &str, shown: &str) -> Result<Vec<Entry>, Vec<InputError>> {
    let index = super::LineIndex::new(text);
    let table: toml::Spanned<toml::Table> = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| index.line(s.start));
        vec![InputError::new(shown, line, format!("invalid settings: {}", e.message().trim()))]
    })?;
    let keys = toml_key_lines(text, &index);
    let mut entries: Vec<Entry> = table
        .into_inner()
        .into_iter()
        .map(|(key, value)| {
            let written = match value {
                toml::Value::Boolean(b) => Written::Bool(b),
                toml::Value::String(s) => Written::Text(s),
                toml::Value::Integer(_) => Written::Other("an integer"),
                toml::Value::Float(_) => Written::Other("a number"),
                toml::Value::Datetime(_) => Written::Other("a date"),
                toml::Value::Array(_) => Written::Other("an array"),
                toml::Value::Table(_) => Written::Other("a table"),
            };
            let line = keys.iter().find(|(k, _)| *k == key).map(|(_, l)| *l);
            (key, line, written)
        })
        .collect();
    // File order, so the problems are named as the file is read.
    entries.sort_by_key(|(_, line, _)| line.unwrap_or(u32::MAX));
    Ok(entries)
}

/// The line of each top-level key: keys are bare or quoted at the start of a line before `=`.
fn toml_key_lines(text: &str, index: &super::LineIndex) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_start();
        if let Some((key, _)) = line.split_once('=')
            && !line.starts_with('#')
            && !line.starts_with('[')
        {
            let key = key.trim().trim_matches(['"', '\'']);
            out.push((key.to_owned(), index.line(offset)));
        }
        offset += raw.len();
    }
    out
}

fn json_entries(text: &str, shown: &str) -> Result<Vec<Entry>, Vec<InputError>> {
    // The tree finds duplicate keys and lines; the values are read through serde for their types.
    let node = tree::parse_json(text).map_err(|e| vec![InputError::new(shown, e.line, e.message)])?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
        vec![InputError::new(shown, line, format!("invalid settings: {e}"))]
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(vec![InputError::new(
            shown,
            Some(node.line),
            format!("invalid settings: expected an object, found {}", node.describe()),
        )]);
    };
    let mut entries: Vec<Entry> = map
        .into_iter()
        .map(|(key, value)| {
            let written = match value {
                serde_json::Value::Bool(b) => Written::Bool(b),
                serde_json::Value::String(s) => Written::Text(s),
                serde_json::Value::Null => Written::Other("null"),
                serde_json::Value::Number(_) => Written::Other("a number"),
                serde_json::Value::Array(_) => Written::Other("an array"),
                serde_json::Value::Object(_) => Written::Other("an object"),
            };
            let line = node.key_line(&key);
            (key, line, written)
        })
        .collect();
    entries.sort_by_key(|(_, line, _)| line.unwrap_or(u32::MAX));
    Ok(entries)
}
