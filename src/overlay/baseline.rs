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
    let shown = crate::model::shown::path(path);
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
                path: text(r, "/location/path").into(),
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
                path: text(r, "/locations/0/physicalLocation/artifactLocation/uri").into(),
                line: r
                    .pointer("/locations/0/physicalLocation/region/startLine")
                    .and_then(Value::as_u64)
                    .and_then(|l| u32::try_from(l).ok())
                    .unwrap_or(1),
            },
        })
        .collect()
}

/// What comparing with the baseline found, beyond each result's state.
pub struct Applied {
    /// The baseline's failures that are gone.
    pub absent: Vec<AbsentFinding>,
    /// Results matched by the identity they had before their source was part of it (a baseline
    /// written by an earlier version), where that identity named one result only.
    pub migrated: usize,
    /// Baseline failures whose earlier identity now names several results (the same name in two
    /// files): not matched, so those results count as new.
    pub ambiguous: usize,
}

/// Marks each failure new or unchanged. A baseline failure matches by its fingerprint; one
/// written before sources were part of the identity matches the one result that has its
/// earlier identity, and none when several do.
pub fn apply(findings: &mut [Finding], baseline: &Baseline) -> Applied {
    let before: HashSet<&str> = baseline.failures.iter().map(|f| f.fingerprint.as_str()).collect();
    let mut now: Vec<(usize, String)> = Vec::new();
    for (i, f) in findings.iter_mut().enumerate().filter(|(_, f)| f.status == Status::Fail) {
        let fp = fingerprint(f);
        f.baseline = Some(if before.contains(fp.as_str()) { BaselineState::Unchanged } else { BaselineState::New });
        now.push((i, fp));
    }
    let current: HashSet<&str> = now.iter().map(|(_, fp)| fp.as_str()).collect();
    let unmatched: Vec<&AbsentFinding> = baseline.failures.iter().filter(|b| !current.contains(b.fingerprint.as_str())).collect();
    // Earlier identities of the results not yet matched: which results carry each.
    let mut legacy: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
    if !unmatched.is_empty() {
        for (i, _) in &now {
            if findings[*i].baseline == Some(BaselineState::New) {
                legacy.entry(crate::report::legacy_fingerprint(&findings[*i])).or_default().push(*i);
            }
        }
    }
    let (mut migrated, mut ambiguous) = (0, 0);
    let mut absent = Vec::new();
    let mut seen = HashSet::new();
    for b in unmatched {
        match legacy.get(&b.fingerprint).map(Vec::as_slice) {
            Some([only]) => {
                findings[*only].baseline = Some(BaselineState::Unchanged);
                migrated += 1;
            }
            Some(_) => ambiguous += 1,
            None => {
                if seen.insert(b.fingerprint.clone()) {
                    absent.push(b.clone());
                }
            }
        }
    }
    Applied { absent, migrated, ambiguous }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ObjectKind, ObjectRef, Severity};
    use crate::report::legacy_fingerprint;

    fn failure(name: &str, qualified_name: &str) -> Finding {
        Finding {
            code: "CALM010",
            rule: "r",
            status: Status::Fail,
            severity: Severity::Error,
            object: ObjectRef { kind: ObjectKind::Destination, name: name.into(), qualified_name: qualified_name.into(), level: None }
                .into(),
            property: Some("tokenServiceURLType".into()),
            message: String::new(),
            location: Location { path: "f".into(), line: 1 },
            target: None,
            waived: None,
            baseline: None,
            profile: None,
        }
    }

    fn baseline_of(findings: &[Finding], print: fn(&Finding) -> String) -> Baseline {
        let failures = findings
            .iter()
            .map(|f| AbsentFinding {
                fingerprint: print(f),
                code: f.code.into(),
                object: f.object.name.clone(),
                message: String::new(),
                location: f.location.clone(),
            })
            .collect();
        Baseline { path: "baseline.json".into(), failures }
    }

    #[test]
    fn the_same_name_in_another_file_is_another_result() {
        let before = [failure("CALM_X", "dev/dest.json:3")];
        let mut now = vec![failure("CALM_X", "dev/dest.json:9"), failure("CALM_X", "prod/dest.json:3")];
        let applied = apply(&mut now, &baseline_of(&before, fingerprint));
        assert_eq!(now[0].baseline, Some(BaselineState::Unchanged), "another line is the same result");
        assert_eq!(now[1].baseline, Some(BaselineState::New), "prod/ is not dev/");
        assert!(applied.absent.is_empty() && applied.migrated == 0);
    }

    #[test]
    fn a_baseline_from_before_sources_matches_where_unambiguous() {
        let before = [failure("CALM_ONE", "a.json:3"), failure("CALM_TWICE", "dev/b.json:3"), failure("CALM_GONE", "c.json:1")];
        let mut now = vec![failure("CALM_ONE", "a.json:4"), failure("CALM_TWICE", "dev/b.json:3"), failure("CALM_TWICE", "prod/b.json:3")];
        let applied = apply(&mut now, &baseline_of(&before, legacy_fingerprint));
        assert_eq!(now[0].baseline, Some(BaselineState::Unchanged));
        assert_eq!((now[1].baseline, now[2].baseline), (Some(BaselineState::New), Some(BaselineState::New)), "ambiguous: not matched");
        assert_eq!((applied.migrated, applied.ambiguous), (1, 1));
        assert_eq!(applied.absent.iter().map(|a| a.object.as_str()).collect::<Vec<_>>(), ["CALM_GONE"]);
    }
}
