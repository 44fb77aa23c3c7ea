//! Hostile input: each case ends in a clear error naming the file, exit code 2, within bounded
//! time, never a panic.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;

struct Run {
    code: i32,
    stderr: String,
    elapsed: Duration,
}

fn calm(dir: &Path, args: &[&str]) -> Run {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit")).current_dir(dir).args(args).timeout(Duration::from_secs(60)).output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn refused(run: &Run, file: &str, text: &str) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(file), "expected {file} in {}", run.stderr);
    assert!(run.stderr.contains(text), "expected {text:?} in {}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(30), "took {:?}", run.elapsed);
}

fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    for (name, content) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn oversized_files_are_refused_and_the_cap_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut big = b"Name=CALM_A\nDescription=".to_vec();
    big.extend(std::iter::repeat_n(b'x', 200_000));
    std::fs::write(d.join("big.properties"), &big).unwrap();
    refused(&calm(d, &["check", "big.properties", "--max-file-size", "100K"]), "big.properties", "larger than the limit of 102400 bytes");
    assert!(calm(d, &["check", "big.properties", "--max-file-size", "1M"]).code <= 1);
}

#[test]
fn very_long_lines_are_read_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut long = b"Name=CALM_A\nDescription=".to_vec();
    long.extend(std::iter::repeat_n(b'\\', 4_000_000));
    long.extend(std::iter::repeat_n(b'y', 4_000_000));
    std::fs::write(d.join("long.properties"), &long).unwrap();
    let run = calm(d, &["check", "long.properties"]);
    assert!(run.code <= 2, "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(20), "took {:?}", run.elapsed);
}

#[test]
fn deeply_nested_json_and_yaml_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("deep.json"), format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))).unwrap();
    refused(&calm(d, &["check", "deep.json"]), "deep.json", "nested deeper than 64 levels");
    std::fs::write(d.join("deep.yaml"), format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))).unwrap();
    refused(&calm(d, &["check", "deep.yaml"]), "deep.yaml", "invalid YAML: recursion limit exceeded");
}

#[test]
fn zip_bombs_and_unsafe_archives_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 100 MiB of zeros compress to about 100 KiB.
    std::fs::write(d.join("bomb.zip"), zip(&[("CALM_A.properties", vec![0u8; 100 * 1024 * 1024])])).unwrap();
    refused(&calm(d, &["check", "bomb.zip"]), "bomb.zip/CALM_A.properties", "larger than the limit");
    let many: Vec<(String, Vec<u8>)> = (0..10_001).map(|i| (format!("e{i}.md"), Vec::new())).collect();
    let refs: Vec<(&str, Vec<u8>)> = many.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
    std::fs::write(d.join("many.zip"), zip(&refs)).unwrap();
    refused(&calm(d, &["check", "many.zip"]), "many.zip", "10001 entries, more than the limit of 10000");
    std::fs::write(d.join("escape.zip"), zip(&[("../../etc/CALM_A.properties", b"Name=CALM_A\n".to_vec())])).unwrap();
    refused(&calm(d, &["check", "escape.zip"]), "escape.zip", "unsafe path");
    std::fs::write(d.join("absolute.zip"), zip(&[("/tmp/CALM_A.properties", b"Name=CALM_A\n".to_vec())])).unwrap();
    let run = calm(d, &["check", "absolute.zip"]);
    assert!(run.code == 2 && run.stderr.contains("absolute.zip"), "{}", run.stderr);
}

#[test]
fn binary_invalid_utf8_duplicates_and_empty_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("binary.txt"), [0x7f, b'E', b'L', b'F', 0, 0, 1, 2]).unwrap();
    refused(&calm(d, &["check", "binary.txt"]), "binary.txt", "binary content");
    std::fs::write(d.join("latin1.json"), b"{\"Name\": \"CALM_\xe9\"}").unwrap();
    refused(&calm(d, &["check", "latin1.json"]), "latin1.json", "not valid UTF-8");
    std::fs::write(d.join("dup.yaml"), "Name: CALM_A\nURL: a\nURL: b\n").unwrap();
    refused(&calm(d, &["check", "dup.yaml"]), "dup.yaml:3", "duplicate key \"URL\"");
    std::fs::write(d.join("empty.json"), "").unwrap();
    refused(&calm(d, &["check", "empty.json"]), "empty.json", "empty file");
}

#[test]
fn folders_with_loops_dangling_links_and_folders_named_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("exports/sub")).unwrap();
    std::fs::write(d.join("exports/CALM_A.properties"), "Name=CALM_A\n").unwrap();
    std::os::unix::fs::symlink(d.join("exports"), d.join("exports/sub/loop")).unwrap();
    // A loop back to an ancestor holds nothing new: the walk goes on and says so with -v.
    let looped = calm(d, &["check", "exports", "-v"]);
    assert_eq!(looped.code, 1, "CALM_A is audited: {}", looped.stderr);
    assert!(looped.stderr.contains("loop: symbolic link loop"), "{}", looped.stderr);
    std::fs::remove_file(d.join("exports/sub/loop")).unwrap();
    // A dangling link where a destination file should be: the rest is audited, the run is incomplete.
    std::os::unix::fs::symlink(d.join("nowhere.properties"), d.join("exports/gone.properties")).unwrap();
    let dangling = calm(d, &["check", "exports"]);
    assert_eq!(dangling.code, 3, "{}", dangling.stderr);
    assert!(dangling.stderr.contains("gone.properties") && dangling.stderr.contains("no such file"), "{}", dangling.stderr);
    std::fs::remove_file(d.join("exports/gone.properties")).unwrap();
    refused(&calm(d, &["check", "--settings", "exports"]), "exports", "is a folder");
    refused(&calm(d, &["check", "--calm-key", "exports"]), "exports", "is a folder");
    std::fs::create_dir(d.join("folder.json")).unwrap();
    refused(&calm(d, &["check", "folder.json"]), "folder.json", "no destination file in this folder");
}

#[test]
fn hostile_files_in_a_walk_and_on_standard_input_never_stop_or_fool_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("walk")).unwrap();
    std::fs::write(d.join("walk/CALM_A.properties"), "Name=CALM_A\nURL=https\\://a.eu10.alm.cloud.sap/\n").unwrap();
    // Over the size limit, deeply nested, binary: each is passed over or a failed source, none stops the walk.
    std::fs::write(d.join("walk/huge.json"), format!("[{{\"Name\": \"CALM_HUGE\", \"URL\": \"{}\"}}]", "x".repeat(4096))).unwrap();
    std::fs::write(
        d.join("walk/deep.json"),
        format!("{{\"Name\": \"CALM_DEEP\", \"URL\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    std::fs::write(d.join("walk/binary.json"), b"\x00\x01Name URL\x00\xff").unwrap();
    std::fs::write(d.join("walk/binary.txt"), b"\x00\x01Name URL\x00\xff").unwrap();
    let r = calm(d, &["check", "walk", "--max-file-size", "2K", "-v"]);
    assert_eq!(r.code, 3, "the huge and the deep file are failed sources: {}", r.stderr);
    assert!(r.stderr.contains("incomplete: walk/huge.json: larger than the limit"), "{}", r.stderr);
    assert!(r.stderr.contains("incomplete: walk/deep.json"), "{}", r.stderr);
    // A .json file of binary content is a failed source; a .txt one may be anything and is skipped.
    assert!(r.stderr.contains("incomplete: walk/binary.json: binary content"), "{}", r.stderr);
    assert!(r.stderr.contains("skipped walk/binary.txt: binary content"), "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(30), "took {:?}", r.elapsed);
    // Standard input over the limit, and binary standard input: refused, exit 2.
    let big = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(d)
        .args(["check", "-", "--max-file-size", "1K"])
        .write_stdin(format!("[{{\"Name\": \"CALM_X\", \"URL\": \"{}\"}}]", "y".repeat(8192)))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(big.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&big.stderr).contains("<stdin>: larger than the limit"));
    let binary = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(d)
        .args(["check", "-"])
        .write_stdin(b"PK\x03\x04\x00\x00garbage".to_vec())
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(binary.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&binary.stderr).contains("panicked"));
}

/// Destination names, values and a file name that are markup end up as text in the HTML report
/// (the browser test loads the same kind of page in Chromium).
#[test]
fn markup_in_inputs_is_escaped_in_the_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("in")).unwrap();
    let destinations = serde_json::json!([
        {"Name": "CALM_<script>alert(1)</script>", "URL": "https://acme.eu10.alm.cloud.sap/\"><img src=x onerror=alert(2)>"},
        {"Name": "CALM_\"><img src=x onerror=alert(3)>", "tokenServiceURLType": "<svg onload=alert(4)>"},
    ]);
    std::fs::write(d.join("in/x\"><img src=y onerror=alert(5)>.json"), destinations.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(d)
        .args(["check", "in", "--format", "html", "--all-results"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let html = String::from_utf8(out.stdout).unwrap();
    assert_eq!(html.matches("<script").count(), 1, "only the built-in filter script");
    for markup in ["<img", "<svg", "onerror=alert(2)>", "<script>alert"] {
        assert!(!html.contains(markup), "{markup} reached the page as markup");
    }
    for n in 1..=5 {
        assert!(html.contains(&format!("alert({n})")), "value {n} is shown as text");
    }
    // Escaped, with the line-break opportunities after separators taken out.
    assert!(html.replace("<wbr>", "").contains("CALM_&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
}

#[test]
fn hostile_descriptors_and_terraform_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good_tf =
        "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  url  = \"https://acme.eu10.alm.cloud.sap/\"\n}\n";
    // Huge: the file limit applies to descriptors and configuration too.
    let mut huge = good_tf.to_owned();
    huge.push_str(&format!("locals {{\n  pad = \"{}\"\n}}\n", "x".repeat(300_000)));
    std::fs::write(d.join("huge.tf"), &huge).unwrap();
    refused(&calm(d, &["check", "huge.tf", "--max-file-size", "100K"]), "huge.tf", "larger than the limit");
    // Deep HCL nesting and a chain of operators: the parser's bound, with the line.
    let deep = format!("locals {{\n  x = {}1{}\n}}\n", "[".repeat(10_000), "]".repeat(10_000));
    std::fs::write(d.join("deep.tf"), deep).unwrap();
    // The parser's bounds are bounds reached, not bad input: a failed source (exit 3, SPEC 2.1).
    let stopped = |r: Run, file: &str, bound: &str| {
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stderr.contains(file) && r.stderr.contains(bound), "expected {file} and {bound:?} in {}", r.stderr);
        assert!(r.elapsed < Duration::from_secs(30), "took {:?}", r.elapsed);
    };
    stopped(calm(d, &["check", "deep.tf"]), "deep.tf:2", "nesting depth (64 levels)");
    let chain = format!("locals {{\n  x = 1{}\n}}\n", " + 1".repeat(100_000));
    std::fs::write(d.join("chain.tf"), chain).unwrap();
    stopped(calm(d, &["check", "chain.tf"]), "chain.tf", "operator chain bound");
    // Locals that refer to each other: evaluation gives up, the value is left unresolved.
    let cycle =
        format!("{good_tf}locals {{\n  a = local.b\n  b = local.a\n}}\n").replace("\"https://acme.eu10.alm.cloud.sap/\"", "local.a");
    std::fs::write(d.join("cycle.tf"), cycle).unwrap();
    let r = calm(d, &["check", "cycle.tf", "--all-results"]);
    assert!(r.code <= 1 && r.elapsed < Duration::from_secs(30), "{}", r.stderr);
    // YAML alias bombs in an MTA descriptor: aliases are resolved as the deployer resolves
    // them, and a descriptor whose aliases would copy billions of values is refused.
    let mut bomb = String::from("ID: a\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
    }
    std::fs::create_dir(d.join("mta")).unwrap();
    std::fs::write(d.join("mta/mta.yaml"), bomb).unwrap();
    // A bound reached is no fault of the input: named too, the file is a failed source (exit 3).
    stopped(calm(d, &["check", "mta/mta.yaml"]), "mta/mta.yaml:6", "YAML aliases expand to more than 100000 values (an alias bomb?)");
    // Binary and non-UTF-8 configuration.
    std::fs::write(d.join("bin.tf"), b"resource \0\x01").unwrap();
    refused(&calm(d, &["check", "bin.tf"]), "bin.tf", "binary");
    std::fs::write(d.join("latin.tfvars"), b"x = \"\xe9\"\n").unwrap();
    refused(&calm(d, &["check", "latin.tfvars"]), "latin.tfvars", "UTF-8");
    // Walked, each of them is a failed source: the good configuration is still audited (exit 3).
    let walk = d.join("walk");
    std::fs::create_dir_all(walk.join("good")).unwrap();
    std::fs::create_dir_all(walk.join("bad")).unwrap();
    std::fs::write(walk.join("good/main.tf"), good_tf).unwrap();
    std::fs::copy(d.join("deep.tf"), walk.join("bad/main.tf")).unwrap();
    std::fs::copy(d.join("mta/mta.yaml"), walk.join("mta.yaml")).unwrap();
    let r = calm(d, &["check", "walk"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}
