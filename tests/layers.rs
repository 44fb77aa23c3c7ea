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

/// Part of the shape: the files and folders of one folder of `src/` never name each other in a
/// circle (`a.rs` uses `b.rs` and `b.rs` uses `a.rs`, or longer). A folder's own module file
/// (`mod.rs`, or `x.rs` beside `x/`) holds its children together and is not one of them; a
/// file's `#[cfg(test)]` module is left out, as it is not part of the program.
#[test]
fn no_two_files_of_a_folder_depend_on_each_other() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // Module path of each file, and the paths its code names.
    let mut named: Vec<(Vec<String>, BTreeSet<Vec<String>>)> = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let mut module: Vec<String> = relative.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
        match module.last().map(String::as_str) {
            Some("main") if module.len() == 1 => continue,
            Some("lib") if module.len() == 1 => module.clear(),
            Some("mod") => {
                module.pop();
            }
            _ => {}
        }
        let paths = module_paths(&module, &without_tests(&code(file)));
        named.push((module, paths));
    }
    let mut cycles = Vec::new();
    let mut folders: BTreeSet<Vec<String>> = named.iter().filter(|(m, _)| !m.is_empty()).map(|(m, _)| m[..m.len() - 1].to_vec()).collect();
    folders.insert(Vec::new());
    for folder in folders {
        // The folder's units: each module directly in it, with everything under it.
        let units: BTreeSet<&str> =
            named.iter().filter(|(m, _)| m.len() > folder.len() && m.starts_with(&folder)).map(|(m, _)| m[folder.len()].as_str()).collect();
        let mut graph: BTreeMap<&str, BTreeSet<&str>> = units.iter().map(|u| (*u, BTreeSet::new())).collect();
        for (module, paths) in &named {
            let Some(from) = (module.len() > folder.len() && module.starts_with(&folder)).then(|| module[folder.len()].as_str()) else {
                continue;
            };
            for path in paths {
                if path.len() > folder.len() && path.starts_with(&folder) {
                    let to = path[folder.len()].as_str();
                    if to != from && units.contains(to) {
                        graph.entry(from).or_default().insert(to);
                    }
                }
            }
        }
        for cycle in circles(&graph) {
            let shown: Vec<String> = cycle
                .iter()
                .map(|u| format!("src/{}", folder.iter().map(String::as_str).chain([*u]).collect::<Vec<_>>().join("/")))
                .collect();
            cycles.push(format!("{} depend on each other", shown.join(", ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "files of one folder in a circle; move what both use so that one depends on the other:\n{}",
        cycles.join("\n")
    );
}

/// The module paths `code` names through `crate::`, `super::` and `self::` (use trees
/// expanded), absolute from the crate root, for a file whose module is `module`.
fn module_paths(module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("::") {
        // The word before `::` starts a path only when it is the first segment.
        let start = code[..at].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        if start > 0 && (code[..start].ends_with("::") || bytes[start - 1] == b'$') {
            continue;
        }
        let base = match &code[start..at] {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            _ => continue,
        };
        use_tree(&code[at + 2..], base, &mut out);
    }
    out
}

/// Reads one use tree (or path) at the start of `rest`, under `base`, into `out`; returns what
/// follows it.
fn use_tree<'a>(rest: &'a str, mut base: Vec<String>, out: &mut BTreeSet<Vec<String>>) -> &'a str {
    let mut rest = rest.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            rest = group;
            loop {
                rest = use_tree(rest, base.clone(), out).trim_start();
                match rest.as_bytes().first() {
                    Some(b',') => rest = rest[1..].trim_start(),
                    Some(b'}') => return &rest[1..],
                    _ => return rest,
                }
                if let Some(after) = rest.strip_prefix('}') {
                    return after;
                }
            }
        }
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let word = &rest[..len];
        rest = &rest[len..];
        match word {
            "" | "self" => {}
            "super" => {
                base.pop();
            }
            _ => base.push(word.to_owned()),
        }
        match rest.strip_prefix("::") {
            Some(after) => rest = after.trim_start(),
            None => {
                out.insert(base);
                return rest;
            }
        }
    }
}

/// `code` without its `#[cfg(test)]` items.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at its `;` or at the brace that closes its first `{`.
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The circles of a graph: each strongly connected part of more than one node, sorted.
fn circles<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    let reach = |from: &'a str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            for next in graph.get(n).into_iter().flatten() {
                if seen.insert(*next) {
                    stack.push(next);
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&str, BTreeSet<&str>> = graph.keys().map(|n| (*n, reach(n))).collect();
    let mut out: Vec<Vec<&str>> = Vec::new();
    for n in graph.keys() {
        let part: Vec<&str> = graph.keys().copied().filter(|m| m == n || (reached[n].contains(m) && reached[m].contains(n))).collect();
        if part.len() > 1 && !out.contains(&part) {
            out.push(part);
        }
    }
    out
}

/// Point 13 of issue 29: the tests find the shared folder (the SARIF validator) only through
/// `tests/support/shared.rs`, never by a path of one machine.
#[test]
fn only_the_shared_helper_finds_the_shared_folder() {
    let mut files = Vec::new();
    rust_files(&root().join("tests"), &mut files);
    let helper = root().join("tests/support/shared.rs");
    let mut problems = Vec::new();
    for file in files.iter().filter(|f| **f != helper) {
        let code = code(file);
        // Spelt in parts, so that this file does not name them itself.
        for needle in [["shared", "/sarif"].concat(), ["/work", "/"].concat()] {
            if code.contains(&needle) {
                problems.push(format!("{} names {needle}: use support::shared", file.strip_prefix(root()).unwrap_or(file).display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_paths_a_file_names_are_read_through_use_trees() {
    let module: Vec<String> = ["rules", "certificates"].iter().map(|s| (*s).to_owned()).collect();
    let code = "use super::{context::{Inputs, Outcome}, profiles};\nuse crate::model::{self, Destination};\nlet c = super::super::clock::now();\n#[cfg(test)]\nmod tests {\n    use super::engine::x;\n}\n";
    let paths = module_paths(&module, &without_tests(code));
    let shown: BTreeSet<String> = paths.iter().map(|p| p.join("::")).collect();
    let expected = ["rules::context::Inputs", "rules::context::Outcome", "rules::profiles", "model", "model::Destination", "clock::now"];
    assert_eq!(shown, expected.iter().map(|s| (*s).to_owned()).collect(), "{shown:?}");
}
