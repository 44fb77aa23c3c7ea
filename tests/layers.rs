//! The shape of the program (STYLE.md): data flows one way, sources → model → rules → report,
//! with the overlays after the rules; no stage reaches back, and no two renderers import each
//! other. Read from the source text, comments left out, so a new `use` that breaks the shape
//! fails here rather than in a review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (line comments and doc comments).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read source");
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The top-level modules of the crate a file refers to (`crate::report::...` → `report`).
fn uses(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(at, _)| code[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>())
        .collect()
}

#[test]
fn no_stage_reaches_back() {
    // Stage → the crate modules it must never name.
    let forbidden: [(&str, &[&str]); 4] = [
        ("model", &["source", "rules", "overlay", "report", "cli", "config"]),
        ("rules", &["overlay", "report", "cli", "config"]),
        ("overlay", &["cli", "config"]),
        ("report", &["source", "overlay", "cli", "config"]),
    ];
    let mut problems = Vec::new();
    for (stage, never) in forbidden {
        let mut files = Vec::new();
        rust_files(&root().join("src").join(stage), &mut files);
        assert!(!files.is_empty(), "no files under src/{stage}");
        for file in files {
            for used in uses(&code(&file)) {
                if never.contains(&used.as_str()) {
                    problems.push(format!("{} uses crate::{used}", file.strip_prefix(root()).unwrap_or(&file).display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "a stage reaches back:\n{}", problems.join("\n"));
}

#[test]
fn renderers_do_not_import_each_other_in_a_circle() {
    let dir = root().join("src/report");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let modules: BTreeSet<String> =
        files.iter().filter(|f| f.parent() == Some(&dir)).filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned())).collect();
    for file in files.iter().filter(|f| f.parent() == Some(&dir)) {
        let name = file.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let code = code(file);
        let mut edges = BTreeSet::new();
        for m in &modules {
            if m != &name && m != "mod" && (code.contains(&format!("super::{m}::")) || code.contains(&format!("super::{m};"))) {
                edges.insert(m.clone());
            }
        }
        graph.insert(name, edges);
    }
    let mut cycles = Vec::new();
    for (a, edges) in &graph {
        for b in edges {
            if graph.get(b).is_some_and(|back| back.contains(a)) && a < b {
                cycles.push(format!("report/{a}.rs and report/{b}.rs import each other"));
            }
        }
    }
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
}
