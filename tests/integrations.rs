//! The CI integrations, run as far as this machine allows: the pre-commit hook through the real
//! `pre-commit` (`try-repo` on a scratch repository), the composite GitHub Action's own scripts
//! run with bash as a runner would run them, the Action and every GitHub workflow of the docs
//! linted by actionlint (with shellcheck), and every snippet of `docs/ci.md` and the README
//! parsed: its YAML, and each `calm-audit` command line by calm-audit's own parser.
//!
//! pre-commit, actionlint and shellcheck come from PyPI through `.ci/install-tools` (pinned
//! versions, into `~/.cache/calm-audit/ci-tools`) unless they are on PATH. When they cannot be
//! installed the tests that need them say so loudly and pass, except with `CI=true`.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use calm_audit::cli::Cli;
use clap::Parser;
use support::process::{on_path, run_bounded};
use support::skip::unavailable;
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The folder of the calm-audit binary under test, first on PATH.
fn path_with_calm_audit(extra: Option<&Path>) -> std::ffi::OsString {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_calm-audit"));
    let mut dirs: Vec<PathBuf> = bin.parent().map(Path::to_path_buf).into_iter().collect();
    dirs.extend(extra.map(Path::to_path_buf));
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).expect("PATH")
}

static INSTALL: Mutex<()> = Mutex::new(());

/// A tool of `.ci/install-tools`: from PATH, else from its virtual environment, installed on
/// first use. `Err` says why it cannot be had.
fn ci_tool(name: &str) -> Result<PathBuf, String> {
    if let Some(found) = on_path(name) {
        return Ok(found);
    }
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut install = Command::new("bash");
    install.arg(root().join(".ci/install-tools"));
    let (ok, stdout, stderr) = run_bounded(install, Duration::from_secs(600));
    if !ok {
        return Err(format!("`.ci/install-tools` could not install it from PyPI: {}", stderr.trim()));
    }
    let bin = PathBuf::from(stdout.trim()).join(name);
    if bin.is_file() { Ok(bin) } else { Err(format!("{} is not there after `.ci/install-tools`", bin.display())) }
}

/// The fenced blocks of a Markdown file: (language, text).
fn fenced(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(lang)) => current = Some((lang.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some((_, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

fn doc_blocks() -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for doc in ["docs/ci.md", "README.md"] {
        all.extend(fenced(&read(doc)).into_iter().map(|(lang, text)| (doc.to_owned(), lang, text)));
    }
    all
}

/// A GitHub workflow of the docs, with this repository's Action (`your-org/calm-audit@...`)
/// taken from the folder actionlint checks, so its inputs are checked against `action.yml`.
fn workflows() -> Vec<(String, String)> {
    doc_blocks()
        .into_iter()
        .filter(|(_, lang, text)| lang == "yaml" && text.contains("\njobs:") && text.contains("runs-on:"))
        .map(|(doc, _, text)| {
            let local: Vec<String> = text
                .lines()
                .map(|l| match l.split_once("uses: your-org/calm-audit@") {
                    Some((head, _)) => format!("{head}uses: ./"),
                    None => l.to_owned(),
                })
                .collect();
            (doc, local.join("\n") + "\n")
        })
        .collect()
}

/// Words of a shell command line as the shell would pass them, for the simple lines of the
/// docs: quotes removed, an array expansion (`"${baseline[@]}"`) dropped, stopped at a
/// redirection, a pipe or a command separator.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut had = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                had = true;
            }
            // A comment to the end of the line.
            (None, '#') if word.is_empty() && !had => break,
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() || had {
                    words.push(std::mem::take(&mut word));
                }
                had = false;
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() || had {
        words.push(word);
    }
    words.into_iter().take_while(|w| !matches!(w.as_str(), ">" | ">>" | "|" | "||" | "&&" | ";")).filter(|w| !w.contains("[@]")).collect()
}

/// Every `calm-audit` command line of the docs' shell, YAML and Groovy snippets, continuation
/// lines joined.
fn command_lines() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (doc, lang, text) in doc_blocks() {
        if !matches!(lang.as_str(), "sh" | "yaml" | "groovy") {
            continue;
        }
        let joined = text.replace("\\\n", " ");
        for line in joined.lines() {
            // `cargo run -- check ...` (the README's first command) is calm-audit too.
            let line = line.replace("cargo run -- ", "calm-audit ");
            let Some(at) = line.find("calm-audit ") else { continue };
            let command = line[at..].trim_end_matches(['\'', '"']).to_owned();
            // Names of things, not invocations: the repository, a job, a comment.
            let second = command.split_whitespace().nth(1).unwrap_or_default();
            if matches!(second, "check" | "snapshot" | "fix" | "rules" | "explain" | "profiles" | "init" | "completions" | "man") {
                out.push((doc.clone(), command));
            }
        }
    }
    out
}

#[test]
fn every_calm_audit_command_of_the_docs_parses() {
    let lines = command_lines();
    assert!(lines.len() >= 8, "{lines:?}");
    for (doc, line) in &lines {
        let words = shell_words(line);
        if let Err(e) = Cli::try_parse_from(&words) {
            panic!("{doc}: `{line}` does not parse: {e}");
        }
    }
    // The Action's `with:` of every workflow, as the Action passes it to `calm-audit check`.
    let action: Vec<String> = workflows()
        .iter()
        .flat_map(|(_, text)| YamlLoader::load_from_str(text).expect("workflow YAML"))
        .flat_map(|doc| steps(&doc))
        .filter(|step| step["uses"].as_str() == Some("./"))
        .map(|step| {
            let with = &step["with"];
            let get = |k: &str| with[k].as_str().map(str::to_owned);
            format!(
                "calm-audit check {} --format {} --fail-on {} --report sarif={} {}",
                get("paths").unwrap_or_else(|| ".".to_owned()),
                get("format").unwrap_or_else(|| "markdown".to_owned()),
                get("fail-on").unwrap_or_else(|| "error".to_owned()),
                get("sarif-file").unwrap_or_else(|| "calm-audit.sarif".to_owned()),
                get("args").unwrap_or_default()
            )
        })
        .collect();
    assert!(action.len() >= 3, "the docs use the Action: {action:?}");
    for line in &action {
        if let Err(e) = Cli::try_parse_from(shell_words(line)) {
            panic!("the Action would run `{line}`, which does not parse: {e}");
        }
    }
}

fn steps(workflow: &Yaml) -> Vec<Yaml> {
    let Some(jobs) = workflow["jobs"].as_hash() else { return Vec::new() };
    jobs.values().filter_map(|job| job["steps"].as_vec()).flatten().cloned().collect()
}

#[test]
fn every_yaml_snippet_parses_and_the_ci_reports_are_junit() {
    let mut seen = Vec::new();
    for (doc, lang, text) in doc_blocks().into_iter().filter(|(_, lang, _)| lang == "yaml") {
        let parsed = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{doc}: a YAML snippet does not parse: {e}\n{text}"));
        assert!(!parsed.is_empty(), "{doc}: empty {lang} snippet");
        seen.push(parsed.into_iter().next().unwrap_or(Yaml::Null));
    }
    let gitlab = seen.iter().find(|d| !d["calm-audit"]["script"].is_badvalue()).expect("the GitLab snippet");
    assert_eq!(gitlab["calm-audit"]["artifacts"]["reports"]["junit"].as_str(), Some("out/calm-audit.junit.xml"));
    assert!(
        gitlab["calm-audit"]["script"]
            .as_vec()
            .is_some_and(|s| s.iter().any(|l| l.as_str().is_some_and(|l| l.contains("junit=out/calm-audit.junit.xml"))))
    );
    let azure = seen.iter().find(|d| d["pool"]["vmImage"].as_str().is_some()).expect("the Azure DevOps snippet");
    let publish = azure["steps"]
        .as_vec()
        .into_iter()
        .flatten()
        .find(|s| s["task"].as_str() == Some("PublishTestResults@2"))
        .expect("PublishTestResults");
    assert_eq!(publish["inputs"]["testResultsFormat"].as_str(), Some("JUnit"));
    assert_eq!(publish["inputs"]["testResultsFiles"].as_str(), Some("out/calm-audit.junit.xml"));
    let ci = read("docs/ci.md");
    assert!(ci.contains("junit testResults: 'out/calm-audit.junit.xml'"), "the Jenkins snippet publishes the JUnit report");
}

/// The Action's scripts by step name, from `action.yml`.
fn action_scripts() -> Vec<(String, String)> {
    let action = YamlLoader::load_from_str(&read("action.yml")).expect("action.yml parses");
    let steps = action[0]["runs"]["steps"].as_vec().expect("runs.steps").clone();
    assert_eq!(action[0]["runs"]["using"].as_str(), Some("composite"));
    for input in ["paths", "format", "fail-on", "sarif-file", "args"] {
        assert!(!action[0]["inputs"][input]["description"].is_badvalue(), "input {input} is documented");
    }
    steps.iter().filter_map(|s| Some((s["name"].as_str()?.to_owned(), s["run"].as_str()?.to_owned()))).collect()
}

struct ActionRun {
    code: i32,
    output: String,
    summary: String,
    log: String,
    dir: tempfile::TempDir,
}

/// Runs the Action's "Audit" script with bash in the repository, as the runner would: its
/// inputs in `INPUT_*`, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files, calm-audit on PATH.
fn run_audit_step(inputs: &[(&str, &str)]) -> ActionRun {
    let script = action_scripts().into_iter().find(|(name, _)| name == "Audit").expect("the Audit step").1;
    let dir = tempfile::tempdir().expect("temp dir");
    let (output, summary) = (dir.path().join("output"), dir.path().join("summary"));
    let mut bash = Command::new("bash");
    bash.args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", &script])
        .current_dir(root())
        .env("PATH", path_with_calm_audit(None))
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", dir.path())
        .env("SOURCE_DATE_EPOCH", "1767225600");
    for (name, value) in [("paths", "."), ("format", "markdown"), ("fail-on", "error"), ("sarif-file", "calm-audit.sarif"), ("args", "")] {
        let value = inputs.iter().find(|(n, _)| *n == name).map_or(value, |(_, v)| v);
        bash.env(format!("INPUT_{}", name.to_uppercase().replace('-', "_")), value);
    }
    let out = bash.output().expect("run bash");
    ActionRun {
        code: out.status.code().unwrap_or(-1),
        output: std::fs::read_to_string(&output).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        log: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        dir,
    }
}

#[test]
fn the_action_audits_writes_sarif_and_the_summary_and_fails_with_the_exit_code() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let sarif = scratch.path().join("out/calm-audit.sarif");
    let sarif_shown = sarif.display().to_string();
    // Quoted arguments reach calm-audit as one word each, and nothing in them is evaluated: a
    // folder literally named `$HOME` is where the JSON report goes.
    let json = scratch.path().join("$HOME").join("report.json");
    std::fs::create_dir_all(json.parent().unwrap_or(scratch.path())).expect("a folder named $HOME");
    let args =
        format!("--settings 'examples/settings.toml' --calm-key \"examples/calm-service-key.txt\" --report \"json={}\"", json.display());
    let run = run_audit_step(&[("paths", "examples/destinations\nexamples/as-code"), ("sarif-file", &sarif_shown), ("args", &args)]);
    assert_eq!(run.code, 1, "findings fail the step:\n{}", run.log);
    assert!(run.output.contains("exit-code=1"), "{}", run.output);
    assert!(run.summary.starts_with("## calm-audit: "), "the Markdown report is the job summary: {}", run.summary);
    assert!(run.log.contains("CALM004"), "the report is in the job log: {}", run.log);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).expect("the SARIF is written")).expect("SARIF JSON");
    let results = doc["runs"][0]["results"].as_array().map_or(0, Vec::len);
    assert!(results > 10, "{results} results");
    assert!(json.is_file(), "an argument with a $ is a path, not a variable: {}", run.log);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("json report")).expect("json");
    let inputs: Vec<&str> = report["run"]["inputs"].as_array().expect("inputs").iter().filter_map(|i| i["source"].as_str()).collect();
    assert_eq!(inputs, ["examples/destinations", "examples/as-code", "examples/settings.toml", "examples/calm-service-key.txt"]);

    let clean = run_audit_step(&[("paths", "tests/fixtures/targets/eu10"), ("sarif-file", &sarif_shown), ("format", "table")]);
    assert_eq!(clean.code, 0, "{}", clean.log);
    assert!(clean.output.contains("exit-code=0") && clean.summary.is_empty(), "only Markdown goes to the summary");
    let never = run_audit_step(&[("paths", "examples/destinations"), ("fail-on", "never"), ("sarif-file", &sarif_shown)]);
    assert_eq!(never.code, 0, "{}", never.log);
    let broken = run_audit_step(&[("paths", "no/such/folder"), ("sarif-file", &sarif_shown)]);
    assert_eq!(broken.code, 2, "{}", broken.log);
    assert!(broken.output.contains("exit-code=2"));
    drop((run.dir, clean.dir, never.dir, broken.dir));
}

#[test]
fn the_action_keys_its_cache_on_its_source() {
    let script = action_scripts().into_iter().find(|(name, _)| name == "Version of calm-audit to install").expect("the version step").1;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("output");
    let run = |action_path: &Path| {
        std::fs::write(&output, "").expect("reset output");
        let mut bash = Command::new("bash");
        bash.args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", &script])
            .env("GITHUB_ACTION_PATH", action_path)
            .env("GITHUB_OUTPUT", &output)
            .env("RUNNER_TOOL_CACHE", dir.path().join("tools"));
        let out = bash.output().expect("bash");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(&output).expect("output")
    };
    let first = run(&root());
    let hash = first.lines().find_map(|l| l.strip_prefix("hash=")).expect("hash").to_owned();
    assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");
    assert!(first.contains(&format!("root={}/tools/calm-audit/{hash}", dir.path().display())), "{first}");
    assert_eq!(first, run(&root()), "the same source, the same key");
    // A copy of the source with one rule changed gets another key.
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).expect("copy folder");
    for part in ["Cargo.toml", "Cargo.lock", "src", "rules"] {
        let status = Command::new("cp").arg("-r").arg(root().join(part)).arg(copy.join(part)).status();
        assert!(status.is_ok_and(|s| s.success()), "cp {part}");
    }
    assert_eq!(run(&copy), first, "a copy is the same source");
    let catalog = copy.join("rules/catalog.toml");
    let text = std::fs::read_to_string(&catalog).expect("catalog");
    std::fs::write(&catalog, format!("{text}\n# changed\n")).expect("change the catalog");
    assert_ne!(run(&copy), first, "a changed rule is a new build");
}

#[test]
fn the_action_and_the_workflows_of_the_docs_pass_actionlint() {
    let (actionlint, shellcheck) = match (ci_tool("actionlint"), ci_tool("shellcheck")) {
        (Ok(a), Ok(s)) => (a, s),
        (Err(why), _) | (_, Err(why)) => {
            unavailable("actionlint over action.yml and the docs' workflows", &why);
            return;
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let git = Command::new("git").args(["init", "-q"]).current_dir(d).status().expect("git init");
    assert!(git.success());
    std::fs::copy(root().join("action.yml"), d.join("action.yml")).expect("copy action.yml");
    let found = workflows();
    let workflows = d.join(".github/workflows");
    std::fs::create_dir_all(&workflows).expect("workflows folder");
    assert!(found.len() >= 3, "{found:?}");
    for (i, (doc, text)) in found.iter().enumerate() {
        let name = format!("{}-{i}.yml", doc.replace(['/', '.'], "-"));
        std::fs::write(workflows.join(name), text).expect("write workflow");
    }
    // Every input, so a misspelt or missing one in action.yml shows.
    std::fs::write(
        workflows.join("every-input.yml"),
        "on: push\npermissions:\n  contents: read\njobs:\n  audit:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - id: audit\n        uses: ./\n        with:\n          paths: .\n          format: markdown\n          fail-on: warning\n          sarif-file: out/calm-audit.sarif\n          args: --require settings\n      - run: echo \"exit code $CODE\"\n        env:\n          CODE: ${{ steps.audit.outputs.exit-code }}\n",
    )
    .expect("write workflow");
    let path = path_with_calm_audit(shellcheck.parent());
    let mut lint = Command::new(&actionlint);
    lint.arg("-no-color").current_dir(d).env("PATH", &path);
    let (ok, stdout, stderr) = run_bounded(lint, Duration::from_secs(120));
    assert!(ok, "actionlint:\n{stdout}{stderr}");

    // actionlint reads action.yml for the inputs; its scripts are shellchecked here, the
    // expressions the runner fills in replaced by a word.
    for (name, script) in action_scripts() {
        let mut text = String::from("#!/usr/bin/env bash\n");
        let mut rest = script.as_str();
        while let Some(start) = rest.find("${{") {
            text.push_str(&rest[..start]);
            rest = rest[start..].split_once("}}").map_or("", |(_, after)| after);
            text.push_str("EXPRESSION");
        }
        text.push_str(rest);
        let file = d.join("step.sh");
        std::fs::write(&file, &text).expect("write script");
        let out = Command::new(&shellcheck).arg("--shell=bash").arg(&file).output().expect("run shellcheck");
        assert!(out.status.success(), "shellcheck on the step \"{name}\":\n{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn the_pre_commit_hook_refuses_a_bad_destination_and_passes_a_good_one() {
    let pre_commit = match ci_tool("pre-commit") {
        Ok(p) => p,
        Err(why) => {
            unavailable("the pre-commit hook test", &why);
            return;
        }
    };
    let manifest =
        Command::new(&pre_commit).arg("validate-manifest").arg(root().join(".pre-commit-hooks.yaml")).output().expect("pre-commit");
    assert!(manifest.status.success(), "{}", String::from_utf8_lossy(&manifest.stdout));
    // try-repo copies the repository's tracked files (and their changes), not untracked ones.
    let tracked =
        Command::new("git").args(["ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"]).current_dir(root()).output().expect("git");
    assert!(tracked.status.success(), "git add .pre-commit-hooks.yaml: pre-commit try-repo reads only tracked files");

    let home = tempfile::tempdir().expect("temp dir");
    let attempt = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().expect("temp dir");
        let git = |args: &[&str]| {
            let ok = Command::new("git").args(args).current_dir(dir.path()).status().is_ok_and(|s| s.success());
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        for (name, from) in files {
            std::fs::copy(root().join(from), dir.path().join(name)).expect("copy fixture");
        }
        git(&["add", "."]);
        let mut run = Command::new(&pre_commit);
        run.args(["try-repo", &root().display().to_string(), "calm-audit-system", "--verbose"])
            .current_dir(dir.path())
            .env("PATH", path_with_calm_audit(pre_commit.parent()))
            .env("PRE_COMMIT_HOME", home.path())
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .env("GIT_AUTHOR_NAME", "calm-audit tests")
            .env("GIT_AUTHOR_EMAIL", "tests@calm-audit.invalid")
            .env("GIT_COMMITTER_NAME", "calm-audit tests")
            .env("GIT_COMMITTER_EMAIL", "tests@calm-audit.invalid");
        let out = run.output().expect("pre-commit try-repo");
        (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let (code, log) = attempt(&[("CALM_LEGACY.properties", "examples/destinations/calm_legacy.properties")]);
    assert_eq!(code, 1, "a bad destination fails the hook:\n{log}");
    assert!(log.contains("Failed") && log.contains("CALM004 destination-url-trailing-slash") && log.contains("CALM019"), "{log}");
    let (code, log) = attempt(&[("CALM_BPMON.properties", "tests/fixtures/good/CALM_BPMON.properties"), ("README.md", "README.md")]);
    assert_eq!(code, 0, "a good destination passes:\n{log}");
    assert!(log.contains("Passed"), "{log}");
}

/// Each hook's `files` filter in `.pre-commit-hooks.yaml`, compiled as pre-commit compiles it.
fn hook_filters() -> Vec<(String, regex::Regex)> {
    let manifest = YamlLoader::load_from_str(&read(".pre-commit-hooks.yaml")).expect(".pre-commit-hooks.yaml parses");
    let hooks = manifest[0].as_vec().expect("a list of hooks");
    hooks
        .iter()
        .map(|hook| {
            let id = hook["id"].as_str().expect("id").to_owned();
            let files = hook["files"].as_str().unwrap_or_else(|| panic!("hook {id} has a files filter"));
            let filter = regex::Regex::new(files).unwrap_or_else(|e| panic!("hook {id}: {e}"));
            (id, filter)
        })
        .collect()
}

/// Regression (issue 29, 1): the hook's filter left out `.txt` exports, `.toml` settings, keys
/// and keystores, so a commit of a broken export was accepted unaudited. The filter runs the
/// hook for exactly the names a walk reads: every one the walk opens, and no other (the walk
/// leaves hidden and ignored entries out by itself).
#[test]
fn the_hook_runs_for_exactly_the_files_a_walk_reads() {
    use calm_audit::source::files::walk_reads;
    let filters = hook_filters();
    assert_eq!(filters.len(), 2, "{:?}", filters.iter().map(|(id, _)| id).collect::<Vec<_>>());
    // The issue's names, which the walk reads: a cockpit export saved as .txt or without an
    // extension, settings, a key, keystores, code.
    let read = [
        "CALM_LEGACY.txt",
        "CALM_BPMON",
        "settings.toml",
        "calm-audit.toml",
        "calm-service-key.txt",
        "calm-key.json",
        "client.p12",
        "CLIENT.PFX",
        "trust.jks",
        "chain.pem",
        "leaf.crt",
        "leaf.cer",
        "leaf.der",
        "exports.zip",
        "dest.properties",
        "dest.props",
        "landscape.yml",
        "mta.yaml",
        "prod.mtaext",
        "main.tf",
        "main.tf.json",
        "terraform.tfvars",
        "prod.auto.tfvars.json",
    ];
    for name in read {
        assert!(walk_reads(name), "a walk reads {name}");
    }
    let not_read = ["README.md", "main.rs", "logo.png", "main.TF", "prod.TFVARS", "notes.", "archive.tar.gz", "Cargo.lock"];
    for name in not_read {
        assert!(!walk_reads(name), "a walk does not read {name}");
    }
    // Every file name of the repository's own fixtures, and random names.
    let mut names: Vec<String> = read.iter().chain(&not_read).map(|n| (*n).to_owned()).collect();
    let mut stack = vec![root().join("examples"), root().join("tests/fixtures"), root().join("tests/corpus")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                names.push(name.to_owned());
            }
        }
    }
    let mut extensions: Vec<&str> = calm_audit::source::names::any_case_extensions();
    extensions.extend(calm_audit::source::names::TERRAFORM);
    extensions.extend(["", "md", "rs", "py", "lock", "tf.json", "tfvars.json", "auto.tfvars", "bak", "gz", "yamlx", "xtxt", "tomlx"]);
    let mut seed: u64 = 0x2929_2929_2929_2929;
    let mut next = |below: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as usize
    };
    const STEM: &[u8] = b"abcXYZ019_-.";
    for _ in 0..5000 {
        let mut name: String = (0..1 + next(8)).map(|_| STEM[next(STEM.len())] as char).collect();
        if next(4) > 0 {
            let ext = extensions[next(extensions.len())];
            // Any case: the walk reads some extensions in any case and Terraform's only as written.
            let ext: String = ext.chars().map(|c| if next(3) == 0 { c.to_ascii_uppercase() } else { c }).collect();
            name = format!("{name}.{ext}");
        }
        names.push(name);
    }
    let mut checked = 0;
    for name in names.iter().filter(|n| !n.starts_with('.')) {
        let walk = walk_reads(name);
        for folder in ["", "audit/", "infra/prod.d/"] {
            let path = format!("{folder}{name}");
            for (id, filter) in &filters {
                assert_eq!(
                    filter.is_match(&path),
                    walk,
                    "hook {id} on {path}: the walk {} it",
                    if walk { "reads" } else { "does not read" }
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20_000, "{checked}");
}

/// The tests find the shared folder (the SARIF validator) as `.ci/run` does, through one
/// helper (`tests/support/shared.rs`).
#[test]
fn ci_run_and_the_tests_find_the_shared_folder_the_same_way() {
    let run = read(".ci/run");
    assert!(run.lines().any(|l| l == support::shared::CI_RUN_LINE), ".ci/run has the line {}", support::shared::CI_RUN_LINE);
    let code: Vec<&str> = run.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
    assert!(
        code.iter().filter(|l| l.contains("../shared")).count() == 1,
        ".ci/run names ../shared only where it finds the folder:\n{}",
        code.join("\n")
    );
    assert!(
        support::shared::CI_RUN_LINE.contains(support::shared::VARIABLE) && support::shared::CI_RUN_LINE.contains(support::shared::DEFAULT)
    );
}

/// Runs the hook `calm-audit-system` (calm-audit of this build on PATH, nothing built) of this
/// repository through `pre-commit try-repo` on what is staged in `dir`.
fn run_hook(pre_commit: &Path, home: &Path, dir: &Path) -> (i32, String) {
    let mut run = Command::new(pre_commit);
    run.args(["try-repo", &root().display().to_string(), "calm-audit-system", "--verbose"])
        .current_dir(dir)
        .env("PATH", path_with_calm_audit(pre_commit.parent()))
        .env("PRE_COMMIT_HOME", home)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("GIT_AUTHOR_NAME", "calm-audit tests")
        .env("GIT_AUTHOR_EMAIL", "tests@calm-audit.invalid")
        .env("GIT_COMMITTER_NAME", "calm-audit tests")
        .env("GIT_COMMITTER_EMAIL", "tests@calm-audit.invalid");
    let out = run.output().expect("pre-commit try-repo");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // pre-commit fails when the hook fails; the hook's own exit code (1: findings, 2 and 3: bad
    // or incomplete input) is in its --verbose output.
    let hook = log.split("- exit code: ").nth(1).and_then(|rest| rest.split_whitespace().next()).and_then(|c| c.parse().ok());
    match out.status.code() {
        Some(0) => (0, log),
        _ => (hook.unwrap_or(-1), log),
    }
}

/// Regression (issue 29, 1): a broken export saved as `.txt` and a change of the settings alone
/// were "(no files to check) Skipped" and the commit went in. Through the real pre-commit: the
/// hook runs for each and refuses it.
#[test]
fn the_pre_commit_hook_refuses_a_broken_txt_export_and_a_broken_settings_change() {
    let pre_commit = match ci_tool("pre-commit") {
        Ok(p) => p,
        Err(why) => {
            unavailable("the pre-commit hook test of .txt exports and settings", &why);
            return;
        }
    };
    let home = tempfile::tempdir().expect("temp dir");
    let repo = tempfile::tempdir().expect("temp dir");
    let dir = repo.path();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "calm-audit tests")
            .env("GIT_AUTHOR_EMAIL", "tests@calm-audit.invalid")
            .env("GIT_COMMITTER_NAME", "calm-audit tests")
            .env("GIT_COMMITTER_EMAIL", "tests@calm-audit.invalid")
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q"]);
    // The repository's configuration names its settings, as docs/ci.md's does.
    std::fs::write(dir.join("calm-audit.toml"), "settings = \"audit/settings.toml\"\n").expect("write calm-audit.toml");
    std::fs::create_dir_all(dir.join("audit")).expect("audit folder");
    let good_settings = read("tests/fixtures/good/settings.toml");
    std::fs::write(dir.join("audit/settings.toml"), &good_settings).expect("write settings");
    std::fs::copy(root().join("tests/fixtures/good/CALM_BPMON.properties"), dir.join("CALM_BPMON.properties")).expect("copy");
    git(&["add", "."]);
    let (code, log) = run_hook(&pre_commit, home.path(), dir);
    assert_eq!(code, 0, "the good repository passes:\n{log}");
    assert!(log.contains("Passed"), "{log}");
    git(&["commit", "-q", "-m", "good"]);

    // Only the settings change, and now name a destination that is not there.
    std::fs::write(dir.join("audit/settings.toml"), good_settings.replace("\"CALM_BPMON\"", "\"CALM_MISSING\"")).expect("write");
    git(&["add", "audit/settings.toml"]);
    let (code, log) = run_hook(&pre_commit, home.path(), dir);
    assert!(!log.contains("no files to check"), "the hook runs for a settings change:\n{log}");
    assert_eq!(code, 1, "the settings change is refused:\n{log}");
    assert!(log.contains("Failed") && log.contains("CALM_MISSING"), "{log}");
    git(&["checkout", "-q", "HEAD", "--", "audit/settings.toml"]);

    // A cockpit export saved as .txt, as the README saves them, that fails the rules.
    std::fs::copy(root().join("examples/destinations/calm_legacy.properties"), dir.join("CALM_LEGACY.txt")).expect("copy");
    git(&["add", "CALM_LEGACY.txt"]);
    let (code, log) = run_hook(&pre_commit, home.path(), dir);
    assert!(!log.contains("no files to check"), "the hook runs for a .txt export:\n{log}");
    assert_eq!(code, 1, "the broken export is refused:\n{log}");
    assert!(log.contains("Failed") && log.contains("CALM004 destination-url-trailing-slash"), "{log}");
}
