//! The baseline: an earlier JSON or SARIF report of calm-audit. Failures are matched by
//! fingerprint (rule, object, level, property, target), so file order, line numbers and
//! message wording do not matter.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::model::{BaselineState, Finding, Location, Status};
use crate::report::{AbsentFinding, fingerprint};
use crate::source::{InputError, read_utf8_text};

pub struct Baseline {
    pub path: String,
    /// The baseline's failures.
    pub failures: Vec<AbsentFinding>,
}

pub fn load(path: &Path) -> Result<Baseline, InputError> {
    let shown = path.display().to_string();
    let text = read_utf8_text(path, &shown, "baseline")?;
    parse(&text, &shown)
}

/// A baseline from the text of a calm-audit JSON or SARIF report.
pub fn parse(text: &str, shown: &str) -> Result<Baseline, InputError> {
    let shown = shown.to_owned();
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        InputError::new(
            &shown,
            u32::try_from(e.line()).ok().filter(|l| *l > 0),
            "the baseline is not JSON: expected a calm-audit JSON or SARIF report",
        )
    })?;
    let failures = if doc.get("schema").and_then(Value::as_str) == Some("calm-audit-report") {
        from_json_report(&doc)
    } else if doc.get("runs").is_some() && doc.pointer("/runs/0/tool/driver/name").and_then(Value::as_str) == Some("calm-audit") {
        from_sarif(&doc)
    } else {
        return Err(InputError::new(&shown, None, "not a calm-audit report: expected its JSON (schema calm-audit-report) or SARIF output"));
    };
    Ok(Baseline { path: shown, failures })
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn from_json_report(doc: &Value) -> Vec<AbsentFinding> {
    let results = doc.get("results").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    results
        .iter()
        .filter(|r| r.get("status").and_then(Value::as_str) == Some("fail"))
        .map(|r| AbsentFinding {
            fingerprint: text(r, "/fingerprint"),
            code: text(r, "/code"),
            object: text(r, "/object/name"),
            message: text(r, "/message"),
            location: Location {
                path: text(r, "/location/path"),
                line: r.pointer("/location/line").and_then(Value::as_u64).and_then(|l| u32::try_from(l).ok()).unwrap_or(1),
            },
        })
        .collect()
}

fn from_sarif(doc: &Value) -> Vec<AbsentFinding> {
    let results = doc.pointer("/runs/0/results").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    results
        .iter()
        // kind defaults to fail; absent results of an earlier baseline comparison are not failures now.
        .filter(|r| r.get("kind").and_then(Value::as_str).unwrap_or("fail") == "fail")
        .filter(|r| r.get("baselineState").and_then(Value::as_str) != Some("absent"))
        .map(|r| AbsentFinding {
            fingerprint: text(r, "/partialFingerprints/calmAudit~1v1"),
            code: text(r, "/ruleId"),
            object: text(r, "/locations/0/logicalLocations/0/name"),
            message: text(r, "/message/text"),
            location: Location {
                path: text(r, "/locations/0/physicalLocation/artifactLocation/uri"),
                line: r
                    .pointer("/locations/0/physicalLocation/region/startLine")
                    .and_then(Value::as_u64)
                    .and_then(|l| u32::try_from(l).ok())
                    .unwrap_or(1),
            },
        })
        .collect()
}

/// Marks each failure new or unchanged and returns the baseline's failures that are gone.
pub fn apply(findings: &mut [Finding], baseline: &Baseline) -> Vec<AbsentFinding> {
    let before: HashSet<&str> = baseline.failures.iter().map(|f| f.fingerprint.as_str()).collect();
    let mut now = HashSet::new();
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        let fp = fingerprint(f);
        f.baseline = Some(if before.contains(fp.as_str()) { BaselineState::Unchanged } else { BaselineState::New });
        now.insert(fp);
    }
    let mut seen = HashSet::new();
    baseline.failures.iter().filter(|b| !now.contains(&b.fingerprint) && seen.insert(b.fingerprint.clone())).cloned().collect()
}
