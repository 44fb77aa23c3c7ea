//! The as-code corpus: repositories rebuilt from the shapes of public ones (SAP's samples, SAP's
//! Terraform provider examples, users' Terraform and MTA projects), each under
//! `tests/corpus/<case>/repo/` with `tests/corpus/<case>/case.toml` saying what every run of
//! calm-audit over it must give: the exit code, and each result's rule, destination, status and
//! exact file and line. Adding a case is adding a folder; see `tests/corpus/README.md`.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case rebuilds, and from the shape of what.
    about: String,
    run: Vec<Run>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Run {
    /// Arguments after `check`, run in the case's `repo/` folder; `--format json --all-results`
    /// are added unless `raw` is set.
    args: Vec<String>,
    exit: i32,
    /// Run as given, without the JSON report (a run that stops before reporting).
    #[serde(default)]
    raw: bool,
    /// Text standard error must hold.
    #[serde(default)]
    stderr: Vec<String>,
    /// The failing results are exactly those listed with `status = "fail"`: no false alarm.
    #[serde(default)]
    exact_fails: bool,
    /// `coverage.var_files_not_applied`, exactly.
    not_applied: Option<Vec<String>>,
    #[serde(default)]
    result: Vec<Expected>,
    #[serde(default)]
    absent: Vec<Absent>,
    #[serde(default)]
    not_audited: Vec<NotAudited>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    code: String,
    /// The destination's name as reports show it (for a name known only at deployment, the
    /// expression).
    name: String,
    status: String,
    /// `path:line`, the path relative to `repo/`.
    at: String,
    /// Text of the object's qualified name (the Terraform address, the MTA object).
    object: Option<String>,
    /// Text the message must hold.
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Absent {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotAudited {
    name: String,
    reason: String,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn clean(path: &str) -> &str {
    path.strip_prefix("./").unwrap_or(path)
}

fn check_run(case: &str, repo: &Path, run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    let mut args: Vec<&str> = vec!["check"];
    args.extend(run.args.iter().map(String::as_str));
    if !run.raw {
        args.extend(["--format", "json", "--all-results"]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(repo)
        .args(&args)
        .env_remove("VCAP_SERVICES")
        .env_remove("CALM_AUDIT_DESTINATION_KEY")
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown = format!("{case} `{}`", run.args.join(" "));
    if stderr.contains("panicked") {
        return vec![format!("{shown}: panicked\n{stderr}")];
    }
    if out.status.code() != Some(run.exit) {
        problems.push(format!("{shown}: exit {:?}, expected {}\n{stderr}", out.status.code(), run.exit));
    }
    for text in &run.stderr {
        if !stderr.contains(text.as_str()) {
            problems.push(format!("{shown}: standard error lacks {text:?}:\n{stderr}"));
        }
    }
    if run.raw {
        return problems;
    }
    let report: Value = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(e) => return vec![format!("{shown}: no JSON report ({e}):\n{stdout}\n{stderr}")],
    };
    let results = report["results"].as_array().cloned().unwrap_or_default();
    let describe = |r: &Value| {
        format!(
            "{} {} on {} ({}) at {}:{}: {}",
            r["code"].as_str().unwrap_or(""),
            r["status"].as_str().unwrap_or(""),
            r["object"]["name"].as_str().unwrap_or(""),
            r["object"]["qualified_name"].as_str().unwrap_or(""),
            clean(r["location"]["path"].as_str().unwrap_or("")),
            r["location"]["line"],
            r["message"].as_str().unwrap_or("")
        )
    };
    let on = |r: &Value, code: &str, name: &str| r["code"] == code && r["object"]["name"] == name;
    for e in &run.result {
        let candidates: Vec<&Value> = results
            .iter()
            .filter(|r| on(r, &e.code, &e.name))
            .filter(|r| e.object.as_ref().is_none_or(|o| r["object"]["qualified_name"].as_str().is_some_and(|q| q.contains(o.as_str()))))
            .collect();
        let matches = |r: &&Value| {
            let at = format!("{}:{}", clean(r["location"]["path"].as_str().unwrap_or("")), r["location"]["line"]);
            r["status"] == e.status.as_str()
                && at == e.at
                && e.message.as_ref().is_none_or(|m| r["message"].as_str().is_some_and(|t| t.contains(m.as_str())))
        };
        if !candidates.iter().any(matches) {
            let got: Vec<String> = candidates.iter().map(|r| describe(r)).collect();
            problems.push(format!(
                "{shown}: expected {} {} on {} at {}{}; got:\n  {}",
                e.code,
                e.status,
                e.name,
                e.at,
                e.message.as_ref().map(|m| format!(" saying {m:?}")).unwrap_or_default(),
                if got.is_empty() { "no such result".to_owned() } else { got.join("\n  ") }
            ));
        }
    }
    for a in &run.absent {
        if let Some(r) = results.iter().find(|r| on(r, &a.code, &a.name)) {
            problems.push(format!("{shown}: expected no {} on {}; got {}", a.code, a.name, describe(r)));
        }
    }
    if run.exact_fails {
        for r in results.iter().filter(|r| r["status"] == "fail") {
            let listed = run.result.iter().any(|e| e.status == "fail" && on(r, &e.code, &e.name));
            if !listed {
                problems.push(format!("{shown}: a failure the case does not list (a false alarm?): {}", describe(r)));
            }
        }
    }
    if let Some(expected) = &run.not_applied {
        let got: Vec<&str> =
            report["coverage"]["var_files_not_applied"].as_array().into_iter().flatten().filter_map(Value::as_str).map(clean).collect();
        if got != expected.iter().map(String::as_str).collect::<Vec<_>>() {
            problems.push(format!("{shown}: variables files not applied {got:?}, expected {expected:?}"));
        }
    }
    let not_audited = report["not_audited"].as_array().cloned().unwrap_or_default();
    for n in &run.not_audited {
        let found =
            not_audited.iter().any(|x| x["name"] == n.name.as_str() && x["reason"].as_str().is_some_and(|r| r.contains(n.reason.as_str())));
        if !found {
            problems.push(format!("{shown}: {} not listed as not audited with {:?}: {not_audited:?}", n.name, n.reason));
        }
    }
    problems
}

#[test]
fn every_corpus_case_gives_its_results_at_their_lines() {
    let mut problems = Vec::new();
    let mut cases = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    entries.sort();
    for dir in entries {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(dir.join("case.toml")).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        assert!(!case.about.trim().is_empty() && !case.run.is_empty(), "{name}: say what the case is, and run it");
        let repo = dir.join("repo");
        assert!(repo.is_dir(), "{name}: no repo/ folder");
        for run in &case.run {
            problems.extend(check_run(&name, &repo, run));
        }
        cases += 1;
    }
    assert!(cases >= 10, "the corpus lost cases: {cases}");
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}
