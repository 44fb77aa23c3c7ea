//! Copies a folder of fixtures into a scratch folder, for tests that run calm-audit on a copy.
#![allow(dead_code, clippy::disallowed_methods)]

use std::path::Path;

/// Copies `from` into `to`, folders and files, creating `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
