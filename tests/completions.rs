//! Shell completion as a person gets it at the keyboard (issue 23, item 5): options and their
//! values complete in bash, zsh and fish, not only the command names. Each shell runs the
//! script `calm-audit completions SHELL` prints: bash through its programmable-completion
//! variables (`tests/completions/bash-complete.sh`), zsh in its line editor on a pseudo-terminal
//! (`tests/completions/zsh-complete.zsh`), fish with `complete -C`. A shell that is not
//! installed is skipped loudly (Debian: `apt-get install zsh fish`), and fails the test with
//! `CI=true`.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::process::{on_path, run_bounded};
use support::skip::unavailable;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(shell: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit")).args(["completions", shell]).output().expect("run calm-audit");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The command lines typed, each ending where Tab is pressed, and what must be offered (all of
/// it; more is fine).
fn cases(scratch: &Path) -> Vec<(String, Vec<String>)> {
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let settings = scratch.join("settings.toml").display().to_string();
    assert!(settings.ends_with("settings.toml"));
    vec![
        ("calm-audit ch".to_owned(), owned(&["check"])),
        // Options of a subcommand: what clap-rs/clap#6421 broke for a name with a hyphen.
        ("calm-audit check --fo".to_owned(), owned(&["--format"])),
        ("calm-audit check --fail".to_owned(), owned(&["--fail-on"])),
        ("calm-audit snapshot --ti".to_owned(), owned(&["--timeout"])),
        // Their values.
        ("calm-audit check --format ".to_owned(), owned(&["table", "json", "sarif", "junit", "markdown", "html"])),
        ("calm-audit check --fail-on ".to_owned(), owned(&["error", "warning", "note", "never"])),
        ("calm-audit check --require ".to_owned(), owned(&["calm-key", "settings"])),
        ("calm-audit check --profile intel".to_owned(), owned(&["intelligent-rpa"])),
        ("calm-audit rules --format ".to_owned(), owned(&["table", "json", "markdown"])),
        ("calm-audit explain CALM01".to_owned(), owned(&["CALM010", "CALM015", "CALM019"])),
        ("calm-audit explain destination-url-t".to_owned(), owned(&["destination-url-trailing-slash"])),
        ("calm-audit completions ".to_owned(), owned(&["bash", "zsh", "fish"])),
        // A file where the option takes one.
        // (bash and fish offer the whole path, zsh the file's name after the folder typed).
        (format!("calm-audit check --settings {}", &settings[..settings.len() - 6]), owned(&["settings.toml"])),
    ]
}

/// "LINE:<line>" then candidate lines, as both harnesses print them, to line → candidates.
fn parse(output: &str) -> BTreeMap<String, Vec<String>> {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in output.lines() {
        if let Some(typed) = line.strip_prefix("LINE:") {
            current = Some(typed.to_owned());
            seen.entry(typed.to_owned()).or_default();
        } else if let Some(typed) = &current {
            seen.entry(typed.clone()).or_default().extend(line.split_whitespace().map(str::to_owned));
        }
    }
    seen
}

fn check(shell: &str, output: &str, cases: &[(String, Vec<String>)]) {
    let seen = parse(output);
    let mut problems = Vec::new();
    for (line, expected) in cases {
        let got = seen.get(line).cloned().unwrap_or_default();
        let offered = |e: &String| got.iter().any(|g| g == e || g.ends_with(&format!("/{e}")));
        let missing: Vec<&String> = expected.iter().filter(|e| !offered(e)).collect();
        if !missing.is_empty() {
            problems.push(format!("{shell}: `{line}<Tab>` offers {got:?}, not {missing:?}"));
        }
    }
    assert!(problems.is_empty(), "{}\n--- output ---\n{output}", problems.join("\n"));
}

fn scratch_with_script(shell: &str, file: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("settings.toml"), "").expect("settings file to complete");
    let path = dir.path().join(file);
    std::fs::write(&path, script(shell)).expect("write the completion script");
    (dir, path)
}

#[test]
fn bash_completes_options_and_their_values() {
    let Some(_) = on_path("bash") else {
        unavailable("the bash completion test", "no `bash` on PATH");
        return;
    };
    let (dir, path) = scratch_with_script("bash", "calm-audit.bash");
    let cases = cases(dir.path());
    let mut bash = Command::new("bash");
    bash.arg("--noprofile").arg("--norc").arg(root().join("tests/completions/bash-complete.sh")).arg(&path);
    bash.args(cases.iter().map(|(line, _)| line));
    let (ok, stdout, stderr) = run_bounded(bash, Duration::from_secs(60));
    assert!(ok, "{stderr}\n{stdout}");
    check("bash", &stdout, &cases);
}

#[test]
fn zsh_completes_options_and_their_values() {
    let Some(_) = on_path("zsh") else {
        unavailable("the zsh completion test", "no `zsh` on PATH (Debian: apt-get install zsh)");
        return;
    };
    let (dir, _) = scratch_with_script("zsh", "_calm-audit");
    let cases = cases(dir.path());
    let mut zsh = Command::new("zsh");
    zsh.arg("-f").arg(root().join("tests/completions/zsh-complete.zsh")).arg(dir.path());
    zsh.args(cases.iter().map(|(line, _)| line)).env("TERM", "dumb");
    let (ok, stdout, stderr) = run_bounded(zsh, Duration::from_secs(60));
    assert!(ok, "{stderr}\n{stdout}");
    check("zsh", &stdout, &cases);
}

#[test]
fn fish_completes_options_and_their_values() {
    let Some(_) = on_path("fish") else {
        unavailable("the fish completion test", "no `fish` on PATH (Debian: apt-get install fish)");
        return;
    };
    let (dir, path) = scratch_with_script("fish", "calm-audit.fish");
    let cases = cases(dir.path());
    // `complete -C LINE` prints what fish offers for LINE, one candidate a line, a tab before
    // its description.
    let mut program = format!("source {}\n", fish_quote(&path.display().to_string()));
    for (line, _) in &cases {
        program.push_str(&format!(
            "echo {}\ncomplete -C {} | string replace -r '\\t.*' ''\n",
            fish_quote(&format!("LINE:{line}")),
            fish_quote(line)
        ));
    }
    program.push_str("true\n");
    let mut fish = Command::new("fish");
    fish.args(["--no-config", "-c", &program]).env("HOME", dir.path());
    let (ok, stdout, stderr) = run_bounded(fish, Duration::from_secs(60));
    assert!(ok, "{stderr}\n{stdout}");
    check("fish", &stdout, &cases);
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}
