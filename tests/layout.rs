//! The human outputs at any width: the table report, `rules` and `explain` fit the terminal
//! (its width, `COLUMNS`, a default when piped or when a terminal reports zero columns) and never
//! cut a rule code, a rule name or a URL that fits the line; every audited destination is named.
//! Also the conventions around them: did-you-mean, completions, the manual page.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

use std::path::PathBuf;
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const BIN: &str = env!("CARGO_BIN_EXE_calm-audit");

const EXAMPLES: [&str; 6] =
    ["check", "examples/destinations", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"];

/// Standard output of a piped run with `COLUMNS` set (or unset for `None`).
fn piped(args: &[&str], columns: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(root()).env("NO_COLOR", "1").env_remove("COLUMNS").env("SOURCE_DATE_EPOCH", "1767225600").args(args);
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let out = cmd.output().expect("run calm-audit");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().expect("exit code"), String::from_utf8(out.stdout).expect("utf-8"), stderr)
}

fn columns_of(line: &str) -> usize {
    line.chars().count()
}

/// Words of the messages that must never be cut: URLs (quoted as the messages quote them).
fn urls(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] != "pass" && r["status"] != "not_applicable")
        .flat_map(|r| r["message"].as_str().unwrap_or_default().split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|w| w.contains("https://"))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_example_report_fits_every_width_with_codes_names_and_urls_whole() {
    let (_, json, _) = piped(&[&EXAMPLES[..], &["--format", "json"]].concat(), None);
    let doc: Value = serde_json::from_str(&json).expect("json");
    let urls = urls(&doc);
    assert!(urls.len() >= 4, "the example has URLs in its messages: {urls:?}");
    // (COLUMNS, width laid out for): zero, junk and nothing fall back to 100; tiny is floored at 40.
    let cases = [
        (None, 100),
        (Some("0"), 100),
        (Some("wide"), 100),
        (Some("10"), 40),
        (Some("60"), 60),
        (Some("80"), 80),
        (Some("99"), 99),
        (Some("120"), 120),
        (Some("160"), 160),
        (Some("200"), 200),
    ];
    for (columns, width) in cases {
        let (code, text, _) = piped(&EXAMPLES, columns);
        assert_eq!(code, 1);
        for line in text.lines() {
            assert!(columns_of(line) <= width, "COLUMNS={columns:?}: {} > {width}: {line}", columns_of(line));
        }
        for r in doc["results"].as_array().expect("results").iter().filter(|r| r["status"] == "fail" || r["status"] == "manual") {
            let (code, rule) = (r["code"].as_str().unwrap_or_default(), r["rule"].as_str().unwrap_or_default());
            // The list indents the code and name by two.
            assert!(
                rule.len() + 2 > width || (text.contains(code) && text.contains(rule)),
                "COLUMNS={columns:?}: {code} {rule} cut:\n{text}"
            );
        }
        // A URL is whole when it fits the line beside the list's indent of four.
        for url in urls.iter().filter(|u| columns_of(u) + 4 <= width) {
            assert!(text.contains(url.as_str()), "COLUMNS={columns:?}: {url} cut:\n{text}");
        }
        // Below 100 columns a list; at 200 the example's table fits (from about 150 it does).
        if !(100..200).contains(&width) {
            assert_eq!(text.contains('┌'), width >= 200, "COLUMNS={columns:?}:\n{text}");
        }
        // Every audited destination is named, the passing CALM_BPMON too.
        let audited = text.split("Destinations audited (8):\n").nth(1).unwrap_or_else(|| panic!("no destinations section:\n{text}"));
        for name in [
            "BPMON_PUSH",
            "CALM_BPMON",
            "CALM_MTLS",
            "CALM_TEST",
            "calm_legacy",
            "sap_process_automation_cloud_alm",
            "CALM_OPPS",
            "CloudALM",
        ] {
            assert!(audited.contains(&format!("  {name}: ")), "COLUMNS={columns:?}: {name} not listed:\n{text}");
        }
        // And the ones not audited, by name with their reason.
        let skipped = text.split("Not audited (3):\n").nth(1).unwrap_or_else(|| panic!("no not-audited section:\n{text}"));
        assert!(skipped.contains("  TransportManagementService: SAP"), "{text}");
        assert!(skipped.contains("  SAP_Business_Notifications_Mail:"), "{text}");
        assert!(skipped.contains("  S4_BACKEND: out of scope"), "{text}");
    }
}

/// `script -qc` runs the binary on a pseudo-terminal that reports zero columns (as some CI
/// runners and `docker run -t` do); that once drew one-character columns over 5,729 lines.
#[test]
fn a_terminal_of_zero_columns_gets_the_default_width() {
    let command = format!("{BIN} {} --all-results", EXAMPLES.join(" "));
    let out = Process::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` from util-linux (Debian: bsdutils) gives the test its pseudo-terminal");
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    assert!(text.contains("CALM004 destination-url-trailing-slash"), "{text}");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("calm-audit:")).collect();
    assert!(lines.iter().all(|l| columns_of(l) <= 100), "{text}");
    // About 560 lines at 100 columns (every result of eight destinations); one-character columns
    // once drew over 5,000.
    assert!(lines.len() < 700, "{} lines:\n{text}", lines.len());
    assert!(text.contains("\"https://acme-demo.authentication.eu10.hana.ondemand.com//oauth/token\""), "{text}");
}

/// Regression (item 4): piped into `less` or `head` from an 80-column terminal, the report was
/// laid out for 100 columns, because bash does not export `COLUMNS`. Standard output goes to a
/// file here, standard error stays on a pseudo-terminal of 80 columns, and `COLUMNS` is unset,
/// then set to something else: the terminal on standard error wins.
#[test]
fn piped_output_follows_the_terminal_on_standard_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.txt");
    for columns in [None, Some("200")] {
        let command = format!("stty cols 80 rows 40; {BIN} {} | cat > '{}'", EXAMPLES.join(" "), out.display());
        let mut script = Process::new("script");
        script.args(["-qec", &command, "/dev/null"]).current_dir(root()).env("NO_COLOR", "1").env_remove("COLUMNS");
        if let Some(c) = columns {
            script.env("COLUMNS", c);
        }
        let status = script.stdin(std::process::Stdio::null()).output().expect("`script` from util-linux (Debian: bsdutils)");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        let text = std::fs::read_to_string(&out).expect("the piped report");
        assert!(text.contains("CALM004 destination-url-trailing-slash"), "{text}");
        let widest = text.lines().map(columns_of).max().unwrap_or(0);
        assert!(widest <= 80 && widest > 70, "COLUMNS={columns:?}: laid out for {widest} columns, not the 80 of the terminal:\n{text}");
        assert!(!text.contains('┌'), "below 100 columns results are a list: {text}");
    }
}

/// Regression (item 10): `explain` at 80 columns cut the SAP link in the middle, so it could be
/// neither clicked nor copied. Every rule's link stands whole on its own line; everything else
/// fits the width.
#[test]
fn explain_never_cuts_the_documentation_link() {
    let (_, rules, _) = piped(&["rules", "--format", "json"], None);
    let rules: Value = serde_json::from_str(&rules).expect("rules json");
    let mut long = 0;
    for rule in rules.as_array().expect("rules") {
        let (code, link) = (rule["code"].as_str().unwrap_or_default(), rule["help_uri"].as_str().unwrap_or_default());
        for columns in ["60", "80"] {
            let (status, text, _) = piped(&["explain", code], Some(columns));
            assert_eq!(status, 0);
            assert!(text.lines().any(|l| l == link), "COLUMNS={columns}: {code}'s link {link} is not whole on a line:\n{text}");
            let width: usize = columns.parse().unwrap_or(80);
            assert!(text.lines().filter(|l| *l != link).all(|l| columns_of(l) <= width), "COLUMNS={columns}:\n{text}");
        }
        long += usize::from(columns_of(link) > 80);
    }
    assert!(long > 0, "some link is wider than 80 columns, or this test proves nothing");
}

#[test]
fn rules_profiles_and_explain_follow_the_width() {
    for (columns, width) in [("60", 60), ("80", 80), ("200", 200)] {
        let (code, rules, _) = piped(&["rules"], Some(columns));
        assert_eq!(code, 0);
        assert!(rules.lines().all(|l| columns_of(l) <= width), "COLUMNS={columns}:\n{rules}");
        assert!(rules.contains("CALM004") && rules.contains("destination-client-secret-matches-key"), "{rules}");
        assert_eq!(rules.contains('┌'), width >= 100, "COLUMNS={columns}:\n{rules}");
        let (code, profiles, _) = piped(&["profiles"], Some(columns));
        assert_eq!(code, 0);
        assert!(profiles.lines().all(|l| columns_of(l) <= width), "COLUMNS={columns}:\n{profiles}");
        assert!(profiles.contains("build-process-automation") && profiles.contains("sap_process_automation_cloud_alm"), "{profiles}");
        let (code, explain, _) = piped(&["explain", "CALM015"], Some(columns));
        assert_eq!(code, 0);
        // All but the documentation link, which is never cut (explain_never_cuts_the_documentation_link).
        assert!(explain.lines().filter(|l| !l.starts_with("https://")).all(|l| columns_of(l) <= width), "COLUMNS={columns}:\n{explain}");
        assert!(explain.contains("https://help.sap.com/"), "{explain}");
    }
}

/// Issue 27: `COLUMNS` below 40 is laid out as 40, the documented floor (README, "Width"; the
/// manual page): narrower, nearly every word would be cut. The table report, `rules` and
/// `explain` at 1, 20 and 39 columns are the same as at 40.
#[test]
fn widths_below_the_floor_are_laid_out_at_the_floor() {
    for args in [&["rules"][..], &["explain", "CALM015"][..], &EXAMPLES[..]] {
        let (code, at_floor, _) = piped(args, Some("40"));
        assert!(at_floor.lines().filter(|l| !l.starts_with("https://")).all(|l| columns_of(l) <= 40), "{args:?}:\n{at_floor}");
        for columns in ["1", "20", "39"] {
            let (narrow_code, narrow, _) = piped(args, Some(columns));
            assert_eq!((narrow_code, &narrow), (code, &at_floor), "{args:?} at COLUMNS={columns}");
        }
    }
}

/// Regression (item 10): `--select CALM04,trailng-slash` named only the first unknown rule.
#[test]
fn every_unknown_rule_of_a_list_is_named() {
    let (code, _, stderr) = piped(&["check", "examples/destinations", "--select", "CALM04,CALM001,trailng-slash"], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("select: no rule \"CALM04\""), "{stderr}");
    assert!(stderr.contains("select: no rule \"trailng-slash\"; did you mean destination-url-trailing-slash (CALM004)?"), "{stderr}");
}

#[test]
fn unknown_rules_suggest_the_closest() {
    let want = "did you mean destination-url-trailing-slash (CALM004)?";
    for args in [
        vec!["explain", "trailing-slash"],
        vec!["check", "examples/destinations", "--select", "CALM001,trailing_slash"],
        vec!["check", "examples/destinations", "--ignore", "destination-url-trailing-slahs"],
        vec!["check", "examples/destinations", "--severity", "trailing-slash=warning"],
    ] {
        let (code, stdout, stderr) = piped(&args, None);
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for config in
        ["[severity]\ntrailing-slash = \"warning\"\n", "[[waiver]]\nrule = \"trailing-slash\"\nreason = \"x\"\nexpires = \"2099-01-01\"\n"]
    {
        let path = dir.path().join("calm-audit.toml");
        std::fs::write(&path, config).expect("write config");
        let path = path.display().to_string();
        let (code, _, stderr) = piped(&["check", "examples/destinations", "--config", &path], None);
        assert_eq!(code, 2, "{config}");
        assert!(stderr.contains(want) && stderr.contains("calm-audit.toml:"), "{config}: {stderr}");
    }
    let (_, _, stderr) = piped(&["explain", "qwertyuiop"], None);
    assert!(stderr.contains("no rule \"qwertyuiop\" (`calm-audit rules` lists them)"), "{stderr}");
}

#[test]
fn completions_for_every_shell_and_bash_accepts_its_own() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script, _) = piped(&["completions", shell], None);
        assert_eq!(code, 0, "{shell}");
        assert!(script.contains("calm-audit") && script.contains("fail-on") && script.contains("explain"), "{shell}: {script}");
    }
    let (_, script, _) = piped(&["completions", "bash"], None);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("calm-audit.bash");
    std::fs::write(&file, script).expect("write completion");
    let check = Process::new("bash").arg("-n").arg(&file).output().expect("run bash -n");
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    let (code, _, stderr) = piped(&["completions", "tcsh"], None);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn manual_pages_come_from_the_same_definitions() {
    let (code, page, _) = piped(&["man"], None);
    assert_eq!(code, 0);
    assert!(page.contains(".TH calm-audit 1") && page.contains("check"), "{page}");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("man1");
    let (code, stdout, stderr) = piped(&["man", "--dir", &out.display().to_string()], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    let check = std::fs::read_to_string(out.join("calm-audit-check.1")).expect("check page");
    assert!(check.contains("fail\\-on") && check.contains("destination\\-key"), "{check}");
    manual_pages_say_what_help_cannot(&out, &check);
}

/// Regression (item 9): the pages had no exit status, no environment and no examples, and the
/// synopsis listed the options without their values.
fn manual_pages_say_what_help_cannot(dir: &std::path::Path, check: &str) {
    assert!(
        check.contains("[\\fB\\-\\-format\\fR \\fItable|json|sarif|junit|markdown|html\\fR]")
            && check.contains("[\\fB\\-\\-settings\\fR \\fIFILE\\fR]"),
        "the synopsis names the values:\n{check}"
    );
    for section in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH EXAMPLES", ".SH \"SEE ALSO\""] {
        assert!(check.contains(section), "{section} missing:\n{check}");
    }
    for code in ["0", "1", "2", "3"] {
        assert!(check.contains(&format!(".TP\n\\fB{code}\\fR\n")), "exit status {code} missing");
    }
    // Every variable the program reads is documented on the page of `check`.
    let mut names = std::collections::BTreeSet::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for (at, _) in text.match_indices("\"CALM_AUDIT_") {
                    let name: String = text[at + 1..].chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
                    names.insert(name);
                }
            }
        }
    }
    assert!(names.len() >= 15, "{names:?}");
    for name in names.iter().map(String::as_str).chain(["SOURCE_DATE_EPOCH", "NO_COLOR", "COLUMNS", "VCAP_SERVICES"]) {
        assert!(check.contains(&format!("\\fB{name}\\fR")), "{name} is not on the check page");
    }
    let main = std::fs::read_to_string(dir.join("calm-audit.1")).expect("main page");
    assert!(main.contains(".SH EXAMPLES") && main.contains(".SH \"EXIT STATUS\""), "{main}");
    // groff, where installed, reads every page without a warning.
    if let Some(groff) = on_path_here("groff") {
        for entry in std::fs::read_dir(dir).expect("pages") {
            let page = entry.expect("page").path();
            let out = Process::new(&groff).args(["-man", "-ww", "-z"]).arg(&page).output().expect("run groff");
            assert!(out.stderr.is_empty() && out.status.success(), "{}: {}", page.display(), String::from_utf8_lossy(&out.stderr));
        }
    }
}

fn on_path_here(program: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(program)).find(|p| p.is_file())
}

/// Every flag `--help` shows for a command is in the README's usage block.
#[test]
fn readme_usage_names_every_flag_of_help() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let usage = readme.split("<!-- usage:").nth(1).and_then(|s| s.split("<!-- end of usage -->").next()).expect("usage block");
    let (_, top, _) = piped(&["--help"], None);
    let commands: Vec<String> = top
        .split("Commands:\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 8 && commands.contains(&"check".to_owned()), "{top}");
    let mut checked = 0;
    for command in &commands {
        let command = command.as_str();
        let (_, help, _) = piped(&[command, "--help"], None);
        let line_of = |c: &str| usage.split("\ncalm-audit ").find(|b| b.starts_with(&format!("{c} "))).map(str::to_owned);
        let block = line_of(command).unwrap_or_else(|| panic!("README usage has no `calm-audit {command}`:\n{usage}"));
        // The options list: lines that start with `-x, --long` or `--long`, not the prose.
        let flags = help.lines().map(str::trim_start).filter(|l| l.starts_with('-')).filter_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("--"))
                .map(|w| w.trim_end_matches(',').split(['=', '[', '<']).next().unwrap_or_default())
        });
        for flag in flags {
            if flag == "--help" || flag == "--version" {
                continue;
            }
            assert!(block.contains(&format!("[{flag}")), "`{command} --help` shows {flag}; the README usage does not:\n{block}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} flags found in the --help outputs");
}
