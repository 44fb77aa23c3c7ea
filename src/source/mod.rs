//! Where destinations, settings and the Cloud ALM key come from. Every loader returns
//! model types or an [`InputError`] that names the file and, when known, the line.

pub mod files;
pub mod key;
pub mod properties;
pub mod settings;
pub mod shapes;
pub mod tree;

use std::fmt;

/// Unreadable or malformed input: the run stops with exit code 2.
#[derive(Debug, thiserror::Error)]
pub struct InputError {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
}

impl InputError {
    pub fn new(path: impl Into<String>, line: Option<u32>, message: impl Into<String>) -> Self {
        InputError { path: path.into(), line, message: message.into() }
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

/// Maps byte offsets to 1-based line numbers.
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
