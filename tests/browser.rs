//! The HTML report in a real browser: Debian's Chromium, headless, driven by playwright-core
//! (`tests/browser/check-report.mjs`). It loads the example report with JavaScript off and
//! checks that every failing rule code, destination name, message, location and remediation
//! step is visible text, verdict first; with JavaScript on it runs the filter under the page's
//! CSP, takes screenshots at desktop and phone widths and prints a PDF; a report of hostile
//! names must show them as text. No console error, no request beyond the file, no dialog.
//!
//! A run with a failed source must say INCOMPLETE, the failure before the coverage. The
//! screenshots and the PDF are left in `target/tmp/browser/`.
//!
//! Without a browser the test says loudly that it was skipped and why; with `CI=true` a missing
//! browser fails it. `CALM_AUDIT_CHROMIUM` names the browser when it is not `chromium` on PATH.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::process::{on_path, run_bounded};
use support::skip::unavailable;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The browser, or why there is none.
fn chromium() -> Result<PathBuf, String> {
    if let Some(named) = std::env::var_os("CALM_AUDIT_CHROMIUM") {
        let named = PathBuf::from(named);
        return if named.is_file() { Ok(named) } else { Err(format!("CALM_AUDIT_CHROMIUM={} is not a file", named.display())) };
    }
    ["chromium", "chromium-browser"].iter().find_map(|p| on_path(p)).ok_or_else(|| {
        "no `chromium` or `chromium-browser` on PATH (Debian/Ubuntu: apt-get install chromium; or set CALM_AUDIT_CHROMIUM)".to_owned()
    })
}

fn install_playwright(dir: &Path) {
    if dir.join("node_modules/playwright-core/package.json").is_file() {
        return;
    }
    assert!(on_path("npm").is_some(), "npm is not on PATH: install Node.js (20 or later) with npm to run the browser tests");
    let mut npm = Command::new("npm");
    // playwright-core carries no browser: it drives the Chromium found above.
    npm.args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(dir).current_dir(root()).env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    let (ok, stdout, stderr) = run_bounded(npm, Duration::from_secs(300));
    assert!(ok, "npm ci in tests/browser failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
}

/// Runs calm-audit, returns its standard output; exit codes 0 and 1 are both fine here.
fn calm(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(args)
        .output()
        .expect("run calm-audit");
    assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

const EXAMPLES: [&str; 6] =
    ["check", "examples/destinations", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"];

const HOSTILE_NAMES: [&str; 3] = ["CALM_<script>alert(1)</script>", "CALM_\"><img src=x onerror=alert(2)>", "CALM_'><svg onload=alert(3)>"];

/// A folder of destinations whose names, values and file name are markup.
fn hostile_inputs(dir: &Path) -> PathBuf {
    let folder = dir.join("hostile");
    std::fs::create_dir_all(&folder).unwrap();
    let destinations: Vec<serde_json::Value> = HOSTILE_NAMES
        .iter()
        .map(|name| {
            serde_json::json!({
                "Name": name,
                "Type": "HTTP",
                "URL": "https://acme.eu10.alm.cloud.sap/\"><img src=x onerror=alert(4)>",
                "Authentication": "OAuth2ClientCredentials",
                "clientId": "</code><script>alert(5)</script>",
                "tokenServiceURLType": "<b onmouseover=alert(6)>Dedicated</b>",
            })
        })
        .collect();
    std::fs::write(folder.join("x\"><img src=y onerror=alert(7)>.json"), serde_json::to_string_pretty(&destinations).unwrap()).unwrap();
    folder
}

#[test]
fn html_report_in_a_real_browser() {
    let chromium = match chromium() {
        Ok(path) => path,
        Err(why) => {
            unavailable("the HTML report browser tests", &why);
            return;
        }
    };
    assert!(on_path("node").is_some(), "node is not on PATH: install Node.js (20 or later) to run the browser tests");
    let driver = root().join("tests/browser");
    install_playwright(&driver);

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = out.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let with = |format: &'static str| {
        let mut args = EXAMPLES.to_vec();
        args.extend(["--format", format]);
        args
    };
    let report = write("examples.html", calm(&root(), &with("html")));
    let results = write("examples.json", calm(&root(), &with("json")));
    let rules = write("rules.json", calm(&root(), &["rules", "--format", "json"]));
    let hostile_dir = hostile_inputs(&out);
    let hostile = write("hostile.html", calm(&out, &["check", &hostile_dir.display().to_string(), "--format", "html", "--all-results"]));
    let broken = out.join("incomplete");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(root().join("tests/fixtures/good/CALM_BPMON.properties"), broken.join("CALM_BPMON.properties")).unwrap();
    std::fs::write(broken.join("broken.json"), "{\"Name\": \"CALM_BROKEN\", \"URL\": ").unwrap();
    let incomplete = Command::new(env!("CARGO_BIN_EXE_calm-audit"))
        .current_dir(&out)
        .args(["check", "incomplete", "--format", "html"])
        .output()
        .unwrap();
    assert_eq!(incomplete.status.code(), Some(3), "{}", String::from_utf8_lossy(&incomplete.stderr));
    let incomplete = write("incomplete.html", incomplete.stdout);
    let mut hostile_texts: Vec<&str> = HOSTILE_NAMES.to_vec();
    hostile_texts.extend(["\"><img src=y onerror=alert(7)>.json", "<b onmouseover=alert(6)>Dedicated</b>"]);

    let config = serde_json::json!({
        "chromium": chromium,
        "out": out,
        "report": report,
        "results": results,
        "rules": rules,
        "hostile": hostile,
        "hostileTexts": hostile_texts,
        "incomplete": incomplete,
    });
    let config_path = write("config.json", config.to_string().into_bytes());
    let mut node = Command::new("node");
    node.arg(driver.join("check-report.mjs")).arg(&config_path).current_dir(&driver).env_remove("NODE_OPTIONS");
    let (ok, stdout, stderr) = run_bounded(node, Duration::from_secs(240));
    assert!(ok, "the browser checks failed:\n{stderr}\n{stdout}");
    let line =
        stdout.lines().rev().find(|l| l.starts_with("{\"ok\":true")).unwrap_or_else(|| panic!("no result line:\n{stdout}\n{stderr}"));
    let summary: serde_json::Value = serde_json::from_str(line).unwrap();
    assert!(summary["visibleChecks"].as_u64().is_some_and(|n| n > 50), "{summary}");
    assert!(summary["h1"].as_str().is_some_and(|h| h.starts_with("FAILED")), "{summary}");
    for file in ["examples-desktop.png", "examples-phone.png", "examples.pdf", "hostile-desktop.png", "incomplete-desktop.png"] {
        let size = std::fs::metadata(out.join(file)).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{file} is missing or tiny ({size} bytes)");
    }
    let _ = writeln!(std::io::stderr(), "browser checks passed; screenshots and PDF in {}: {summary}", out.display());
}
