//! Inert output (issue 27, points 12 and 13; SPEC §8): whatever a file or destination name
//! holds (backtick runs, pipes, HTML, line breaks of every kind, terminal escapes, a line that
//! reads like calm-audit's own), no report format and no line on standard error lets it out of
//! its place.
#![allow(clippy::disallowed_methods)] // tests write their fixtures and read the reports directly

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn calm(dir: &Path, args: &[&str], columns: usize) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .args(args)
        .env("COLUMNS", columns.to_string())
        .env("SOURCE_DATE_EPOCH", "1764000000")
        .env_remove("NO_COLOR")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// A small seeded generator (xorshift64*): the same cases on every run, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        usize::try_from(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33).unwrap_or_default() % n.max(1)
    }
}

/// What a name may hold to break out of its place.
const PIECES: &[&str] = &[
    "`",
    "``",
    "```",
    " ",
    "|",
    "\\",
    "\\|",
    "<img src=x onerror=alert(1)>",
    "\n",
    "\r",
    "\r\n",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{b}",
    "\x1b[2J",
    "\x1b[31m",
    "\t",
    "*",
    "_",
    "~~",
    "$x$",
    "@team",
    "[a](https:t.example)",
    "&lt;",
    "\nVerdict: PASSED (exit code 0)\n",
    "\u{202e}",
    "ä",
    "a",
];

fn hostile(rng: &mut Rng) -> String {
    (0..1 + rng.below(6)).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

/// A destination file cut short: a failed source, named on standard error and in every report.
const BROKEN: &str = "{\"Name\": \"CALM_BROKEN\", \"URL\": ";

fn destination(name: &str, url: &str) -> serde_json::Value {
    serde_json::json!({
        "Name": name, "Type": "HTTP", "URL": url, "ProxyType": "Internet",
        "Authentication": "OAuth2ClientCredentials", "clientId": "sb-calm!b1|calm-api!b2",
        "clientSecret": "not-a-real-secret-at-all-1234", "tokenServiceURLType": "Dedicated",
        "tokenServiceURL": "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    })
}

/// No line reads like the verdict but calm-audit's own: the table's last, with the lines it
/// wraps onto (indented) after it.
fn assert_no_forged_line(what: &str, text: &str, own_verdict: bool) {
    let verdicts: Vec<(usize, &str)> = text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with("Verdict:")).collect();
    if own_verdict {
        let last = verdicts.first().is_some_and(|(at, _)| text.lines().skip(at + 1).all(|l| l.starts_with("  ")));
        assert!(verdicts.len() == 1 && last, "{what}: a line reads like the verdict: {verdicts:?}\n{text}");
    } else {
        assert!(verdicts.is_empty(), "{what}: a line reads like the verdict: {verdicts:?}\n{text}");
    }
}

/// No raw control character (but the line feed) and no line or paragraph separator or
/// bidirectional override.
fn assert_no_raw_control(what: &str, text: &str) {
    let raw = text.chars().find(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}'));
    assert!(raw.is_none(), "{what}: raw {raw:?} in\n{text}");
}

/// The cells of a row as GitHub's table extension reads them: a backslash and the ASCII
/// punctuation after it are one character, any other `|` ends a cell; the backslash before each
/// `|` is then dropped.
fn cells(row: &str) -> Vec<String> {
    let b: Vec<char> = row.chars().collect();
    let (mut cells, mut cell, mut i) = (Vec::new(), String::new(), 0);
    while i < b.len() {
        if b[i] == '\\' && b.get(i + 1).is_some_and(char::is_ascii_punctuation) {
            cell.extend([b[i], b[i + 1]]);
            i += 2;
        } else if b[i] == '|' {
            cells.push(std::mem::take(&mut cell).replace("\\|", "|"));
            i += 1;
        } else {
            cell.push(b[i]);
            i += 1;
        }
    }
    cells.push(cell);
    cells
}

/// The characters of a line outside its code spans, read as CommonMark reads them: `None` for an
/// escaped one, `Some(c)` for one a renderer may act on. A backtick run that no run of the same
/// length closes stays outside, as text.
fn outside_spans(line: &str) -> Vec<Option<char>> {
    let b: Vec<char> = line.chars().collect();
    let run = |at: usize| b[at..].iter().take_while(|c| **c == '`').count();
    let (mut outside, mut i) = (Vec::new(), 0);
    while i < b.len() {
        if b[i] == '\\' && b.get(i + 1).is_some_and(char::is_ascii_punctuation) {
            outside.push(None);
            i += 2;
        } else if b[i] == '`' {
            let n = run(i);
            let mut j = i + n;
            let mut closed = None;
            while j < b.len() {
                if b[j] == '`' {
                    let m = run(j);
                    if m == n {
                        closed = Some(j + n);
                        break;
                    }
                    j += m;
                } else {
                    j += 1;
                }
            }
            match closed {
                Some(end) => i = end,
                None => {
                    outside.extend(std::iter::repeat_n(Some('`'), n));
                    i += n;
                }
            }
        } else {
            outside.push(Some(b[i]));
            i += 1;
        }
    }
    outside
}

/// Markdown that holds its values: every row of the results table has the header's cells, and
/// outside code spans no backtick is left open and no HTML (but the report's own `<br>`),
/// link or image starts.
fn assert_markdown_holds(md: &str) {
    let mut columns = None;
    for line in md.lines() {
        let parts: Vec<String> = if line.starts_with("| ") { cells(line) } else { vec![line.to_owned()] };
        if line.starts_with("| Status") {
            columns = Some(parts.len());
        } else if line.starts_with("| ") {
            assert_eq!(Some(parts.len()), columns, "a row with other cells than the header: {line:?}\n{md}");
        }
        for part in &parts {
            let part = part.replace("<br>", " ");
            let outside = outside_spans(&part);
            for c in ['`', '<', '[', ']'] {
                assert!(!outside.contains(&Some(c)), "{c:?} outside a code span, unescaped: {line:?}");
            }
        }
    }
}

/// Regression (issue 27, point 13): a line feed in a file or destination name wrote a line
/// reading `Verdict: PASSED (exit code 0)` on standard error, and in the table.
#[test]
fn a_line_feed_in_a_name_writes_no_line_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("dest")).unwrap();
    let forged = "\nVerdict: PASSED (exit code 0)";
    let list = serde_json::json!([destination(&format!("CALM_A{forged}"), "https://acme.eu10.alm.cloud.sap/api")]);
    std::fs::write(d.join(format!("dest/a{forged}.json")), list.to_string()).unwrap();
    std::fs::write(d.join(format!("dest/b{forged}.json")), BROKEN).unwrap();
    let run = calm(d, &["check", "dest", "-v"], 100);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("incomplete: dest/b\\u{a}Verdict: PASSED (exit code 0).json"), "{}", run.stderr);
    assert!(run.stderr.lines().all(|l| l.starts_with("calm-audit: ")), "{}", run.stderr);
    assert!(run.stdout.contains("CALM_A\\u{a}Verdict: PASSED (exit code 0)"), "{}", run.stdout);
    assert_no_forged_line("table", &run.stdout, true);
    assert_no_forged_line("standard error", &run.stderr, false);
}

/// An input that cannot be read is one error line, whatever line breaks its name holds.
#[test]
fn an_unreadable_input_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = calm(dir.path(), &["check", "x\nVerdict: PASSED (exit code 0)"], 100);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("calm-audit: error: x\\u{a}Verdict: PASSED (exit code 0)"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

/// Property (issue 27): random file and destination names and URLs, every format at random
/// widths, with and without `--all-results`: no line reads like calm-audit's own, no raw
/// control character reaches the table, Markdown or standard error, and Markdown keeps every
/// value in its code span, cell and line.
#[test]
fn hostile_names_stay_inert_in_every_format() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..32 {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("dest")).unwrap();
        std::fs::create_dir_all(d.join("out")).unwrap();
        // File names hold anything but `/` and NUL.
        let file = |rng: &mut Rng, ext: &str| format!("dest/{}{ext}", hostile(rng).replace('/', "-"));
        let list: Vec<serde_json::Value> = (0..3)
            .map(|_| {
                let name = format!("CALM_{}", hostile(&mut rng));
                let url = format!("https://acme.eu10.alm.cloud.sap/{}", hostile(&mut rng));
                destination(&name, &url)
            })
            .collect();
        std::fs::write(d.join(file(&mut rng, ".json")), serde_json::Value::from(list).to_string()).unwrap();
        // A destination file that cannot be read (a failed source, named on standard error and
        // in every report) and a file that is no destination file (skipped, named with -v).
        std::fs::write(d.join(file(&mut rng, "-broken.json")), BROKEN).unwrap();
        std::fs::write(d.join(file(&mut rng, "-notes.txt")), "not a destination\n").unwrap();
        let columns = 20 + rng.below(181);
        let mut args = vec!["check", "dest", "-v", "--format", "table"];
        for report in ["markdown=out/r.md", "json=out/r.json", "sarif=out/r.sarif", "junit=out/r.xml", "html=out/r.html"] {
            args.extend(["--report", report]);
        }
        if round % 2 == 1 {
            args.push("--all-results");
        }
        let run = calm(d, &args, columns);
        let what = format!("round {round} at {columns} columns");
        assert_eq!(run.code, 3, "{what}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.lines().all(|l| l.starts_with("calm-audit: ")), "{what}: {}", run.stderr);
        assert_no_forged_line(&what, &run.stderr, false);
        assert_no_raw_control(&what, &run.stderr);
        assert_no_forged_line(&what, &run.stdout, true);
        assert_no_raw_control(&what, &run.stdout);
        for (file, format) in [("r.md", "markdown"), ("r.json", "json"), ("r.sarif", "sarif"), ("r.xml", "junit"), ("r.html", "html")] {
            let text = std::fs::read_to_string(d.join("out").join(file)).unwrap();
            assert_no_forged_line(&format!("{what}, {format}"), &text, false);
            if format == "html" {
                assert_no_raw_control(&format!("{what}, {format}"), &text);
            }
            if format == "markdown" {
                assert_no_raw_control(&format!("{what}, {format}"), &text);
                assert_markdown_holds(&text);
            }
        }
    }
}

/// Regression (issue 27, point 14): `CALM_A B`, `CALM_A  B` and `CALM_A<TAB>B` were all shown
/// as `CALM_A B` in the table (wrapping took the tab and a run of spaces for one space), and
/// JUnit dropped the tab (`CALM_AB`). Each is now shown as written, the tab as `\u{9}`, in the
/// table (as a list and as a table), Markdown and JUnit.
#[test]
fn names_that_differ_only_in_white_space_are_shown_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = ["CALM_A B", "CALM_A  B", "CALM_A\tB"];
    let shown = ["CALM_A B", "CALM_A  B", "CALM_A\\u{9}B"];
    let list: Vec<serde_json::Value> = names.iter().map(|n| destination(n, "https://acme.eu10.alm.cloud.sap")).collect();
    std::fs::write(d.join("dests.json"), serde_json::Value::from(list).to_string()).unwrap();
    for columns in [40, 60, 120, 200] {
        let run = calm(d, &["check", "dests.json", "--all-results", "--report", "markdown=r.md", "--report", "junit=r.xml"], columns);
        assert_eq!(run.code, 1, "{columns}: {}\n{}", run.stdout, run.stderr);
        assert_no_raw_control(&format!("{columns}"), &run.stdout);
        for name in shown {
            // The line of each audited destination, and the message quoting its name.
            assert!(run.stdout.contains(&format!("\n  {name}: 1 fail")), "{columns}: {name:?} missing:\n{}", run.stdout);
            if columns >= 120 {
                assert!(run.stdout.contains(&format!("Name \"{name}\" starts with")), "{columns}: {name:?}:\n{}", run.stdout);
            }
        }
    }
    let md = std::fs::read_to_string(d.join("r.md")).unwrap();
    let junit = std::fs::read_to_string(d.join("r.xml")).unwrap();
    for name in shown {
        assert!(md.contains(&format!("`{name}`")), "{name:?} missing from the Markdown:\n{md}");
        assert!(junit.contains(&format!("calm-audit.destination.{name}\"")), "{name:?} missing from JUnit:\n{junit}");
    }
    assert!(!junit.contains('\t') && !md.contains('\t'), "a raw tab");
}

/// Regression (issue 27, finding 15): a destination or file name holding ESC and BEL was written
/// raw into the HTML report (a `cat` of it in a CI log erased lines). Every value the page shows
/// is escaped (`\u{1b}`) as in the other formats.
#[test]
fn the_html_report_holds_no_raw_control_character() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("dest")).unwrap();
    let forged = "\x1b[2K\x1b[1AX\x07\u{7f}\u{9b}";
    let list = serde_json::json!([destination(&format!("CALM_{forged}"), "https://acme.eu10.alm.cloud.sap/api")]);
    std::fs::write(d.join(format!("dest/a{forged}.json")), list.to_string()).unwrap();
    std::fs::write(d.join(format!("dest/b{forged}.json")), BROKEN).unwrap();
    let run = calm(d, &["check", "dest", "-v", "--all-results", "--format", "html", "--output", "r.html"], 100);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert_no_raw_control("html", &html);
    let shown = "\\u{1b}[2K\\u{1b}[1AX\\u{7}\\u{7f}\\u{9b}";
    assert!(html.replace("<wbr>", "").contains(&format!("CALM_{shown}")), "the name is not shown escaped:\n{html}");
    assert!(html.replace("<wbr>", "").contains(&format!("dest/b{shown}.json")), "the file name is not shown escaped:\n{html}");
}
