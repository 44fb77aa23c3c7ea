//! Where destinations, settings and the Cloud ALM key come from. Every loader returns
//! model types or an [`InputError`] that names the file and, when known, the line.

pub mod certs;
pub mod code;
pub mod files;
pub mod flat_json;
pub mod key;
pub mod live;
pub mod names;
pub mod properties;
pub mod settings;
pub mod shapes;
pub mod snapshot;
pub mod tree;
pub mod zip_directory;

use std::fmt;

use crate::model::{Destination, Origin, Property};

/// Which properties of a destination the loaders keep.
#[derive(Clone, Copy, Debug)]
pub enum Keep<'a> {
    All,
    /// Every property of Cloud ALM destinations ([`Destination::is_cloud_alm`] with the
    /// destination the settings name), only `Name` of the others: all an audit needs of them
    /// (names on both levels, the settings' destination), and what keeps a 100,000-destination
    /// landscape within a small multiple of its size in memory.
    CloudAlm {
        named: Option<&'a str>,
    },
}

impl<'a> Keep<'a> {
    /// `slim`: `None` keeps all; `Some(named)` is [`Keep::CloudAlm`].
    pub fn from_slim(slim: &'a Option<Option<String>>) -> Self {
        match slim {
            None => Keep::All,
            Some(named) => Keep::CloudAlm { named: named.as_deref() },
        }
    }
}

/// Builds a destination from its entries in source order, as `keep` says: an out-of-scope one
/// is judged on `Name` and `URL` alone and its other properties are never built.
pub fn build_destination<E>(
    entries: &[E],
    key_of: impl Fn(&E) -> &str,
    property: impl Fn(&E) -> Property,
    origin: Origin,
    keep: Keep,
) -> Destination {
    let mut d = match keep {
        Keep::All => Destination { properties: entries.iter().map(&property).collect(), origin, probe: None },
        Keep::CloudAlm { named } => {
            let deciding = entries.iter().filter(|e| matches!(key_of(e), "Name" | "URL")).map(&property).collect();
            let mut d = Destination { properties: deciding, origin, probe: None };
            if d.is_cloud_alm(named) {
                d.properties = entries.iter().map(&property).collect();
            } else {
                d.keep_name_only();
            }
            d
        }
    };
    d.properties.shrink_to_fit();
    d
}

/// Unreadable or malformed input: the run stops with exit code 2. One that a bound stopped
/// (`bound` set, [`InputError::cut`]) is not bad input: the file is a failed source (exit 3),
/// named or walked.
#[derive(Debug, thiserror::Error)]
pub struct InputError {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
    pub bound: Option<code::bound::Bound>,
}

impl InputError {
    /// A URL in the message is shown without credentials or query values.
    pub fn new(path: impl Into<String>, line: Option<u32>, message: impl Into<String>) -> Self {
        let message = message.into();
        let message = match crate::model::url::redact_urls_in(&message) {
            std::borrow::Cow::Borrowed(_) => message,
            std::borrow::Cow::Owned(redacted) => redacted,
        };
        InputError { path: path.into(), line, message, bound: None }
    }

    /// Reading or evaluating stopped at a bound: the message names the bound and `what` it
    /// stopped ([`code::bound::Bound::message`]).
    pub fn cut(path: impl Into<String>, line: Option<u32>, bound: code::bound::Bound, what: &str) -> Self {
        InputError { bound: Some(bound), ..InputError::new(path, line, bound.message(what)) }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Reads a small UTF-8 text input (settings, key): binary content, invalid UTF-8 and an
/// empty file are errors naming the file; a byte-order mark is dropped.
pub fn read_utf8_text(path: &std::path::Path, shown: &str, what: &str) -> Result<String, InputError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let message = if path.is_dir() { format!("{what} is a folder, not a file") } else { format!("cannot read {what}: {e}") };
        InputError::new(shown, None, message)
    })?;
    let text = unicode_text(bytes, shown, what)?;
    if text.trim().is_empty() {
        return Err(InputError::new(shown, None, format!("empty {what}")));
    }
    Ok(text)
}

/// A text file's content as Unicode: UTF-8 (a byte-order mark dropped), or UTF-16/UTF-32 with a
/// byte-order mark (what Windows PowerShell writes). Binary content and invalid UTF-8 are errors
/// naming the file.
pub fn unicode_text(bytes: Vec<u8>, shown: &str, what: &str) -> Result<String, InputError> {
    if properties::has_wide_bom(&bytes) {
        return properties::decode(&bytes).map(std::borrow::Cow::into_owned).map_err(|e| InputError::new(shown, None, e.to_string()));
    }
    properties::decode(&bytes).map_err(|e| InputError::new(shown, None, e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| InputError::new(shown, None, format!("{what} is not valid UTF-8")))?;
    Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
}

/// Maps byte offsets to 1-based line numbers in one forward pass: offsets asked in increasing
/// order (as a parser meets them) cost only the bytes between them; an earlier offset restarts
/// the count from the top.
pub struct LineCursor<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u32,
}

impl<'a> LineCursor<'a> {
    pub fn new(text: &'a str) -> Self {
        LineCursor { bytes: text.as_bytes(), offset: 0, line: 1 }
    }

    pub fn line(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.bytes.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = memchr::memchr_iter(b'\n', &self.bytes[self.offset..offset]).count();
        self.line = self.line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.offset = offset;
        self.line
    }
}

/// Maps byte offsets to 1-based line numbers, in any order.
pub struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex { newlines: text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect() }
    }

    pub fn line(&self, offset: usize) -> u32 {
        u32::try_from(self.newlines.partition_point(|&n| n < offset) + 1).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_cursor_agrees_with_the_index_in_any_order() {
        let text = "a\nbb\n\nccc\n";
        let index = LineIndex::new(text);
        let mut cursor = LineCursor::new(text);
        for offset in [0, 1, 2, 5, 6, 7, 10, 11, 3, 0, 99] {
            assert_eq!(cursor.line(offset), index.line(offset.min(text.len())), "offset {offset}");
        }
    }
}
