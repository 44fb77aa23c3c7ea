//! The baseline: an earlier JSON or SARIF report of calm-audit. Failures are matched by
//! fingerprint (rule, object, level, property, target), so file order, line numbers and
//! message wording do not matter. A failure of the baseline that this run did not look at (its
//! target or source was not read, its rule was not run or could not judge it) is "not
//! compared", never gone: "gone" reads as "fixed" (SPEC §6).

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::model::{BaselineState, Finding, Location, Status};
use crate::report::{AbsentFinding, NotCompared, fingerprint};
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
            target: r.get("target").and_then(Value::as_str).map(str::to_owned),
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
            target: r.pointer("/properties/target").and_then(Value::as_str).map(str::to_owned),
        })
        .collect()
}

/// What this run read: what tells a failure of the baseline that is gone from one this run did
/// not look at.
#[derive(Clone, Debug, Default)]
pub struct Reach {
    /// Each target of the run (`None`: the run without targets) and how it was read.
    pub targets: Vec<(Option<String>, Read)>,
    /// The rule codes `--select` kept (all when empty) and those `--ignore` left out.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

/// How a target of the run was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// In full.
    Full,
    /// In full except these files or folders (each failed part way or could not be read).
    Except(Vec<String>),
    /// Not at all, or with a failure no file accounts for (a live page, a token): why.
    Not(String),
}

/// Why a baseline failure was not compared because its file, still on disk, was not read in
/// this run; `None` when the file was read, or is gone (then its failure is gone too).
fn unread_file(read_paths: &HashSet<String>, b: &AbsentFinding) -> Option<String> {
    let path = normal(&b.location.path);
    if read_paths.contains(&path) || !std::path::Path::new(&*b.location.path).is_file() {
        return None;
    }
    Some(format!("its file {path} is there but was not read in this run (left out by --exclude or an ignore file)"))
}

impl Reach {
    /// Why this run did not look at the baseline failure `b`; `None` when it did (and `b` is gone).
    fn not_compared(&self, b: &AbsentFinding) -> Option<String> {
        if (!self.select.is_empty() && !self.select.contains(&b.code)) || self.ignore.contains(&b.code) {
            return Some(format!("rule {} was not run (--select/--ignore)", b.code));
        }
        let read = match self.targets.iter().find(|(name, _)| *name == b.target) {
            Some((_, read)) => read,
            None => {
                return Some(match &b.target {
                    Some(t) => format!("target {t} is not part of this run"),
                    None => "the baseline's run had no targets (or does not say which); this run audits targets".to_owned(),
                });
            }
        };
        match read {
            Read::Full => None,
            Read::Not(why) => Some(why.clone()),
            Read::Except(files) => {
                let path = normal(&b.location.path);
                files
                    .iter()
                    .map(|f| normal(f))
                    .find(|f| path == *f || path.strip_prefix(f.as_str()).is_some_and(|rest| rest.starts_with('/')))
                    .map(|f| match &b.target {
                        Some(t) => format!("target {t}: its source {f} could not be read in full"),
                        None => format!("its source {f} could not be read in full"),
                    })
            }
        }
    }
}

/// A path as compared: `/` separators, no leading `./`, no trailing `/`.
fn normal(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.trim_end_matches('/').to_owned()
}

/// What comparing with the baseline found, beyond each result's state.
pub struct Applied {
    /// The baseline's failures that are gone.
    pub absent: Vec<AbsentFinding>,
    /// The baseline's failures this run did not look at, with why: not gone, not compared.
    pub not_compared: Vec<NotCompared>,
    /// Results matched by the identity they had before their source was part of it (a baseline
    /// written by an earlier version), where that identity named one result only.
    pub migrated: usize,
    /// Baseline failures whose earlier identity now names several results (the same name in two
    /// files): not matched, so those results count as new.
    pub ambiguous: usize,
}

/// Marks each failure new or unchanged. A baseline failure matches by its fingerprint; one
/// written before sources were part of the identity matches the one result that has its
/// earlier identity, and none when several do. A baseline failure matched by no result is gone
/// only when `reach` says this run looked at it; otherwise it is not compared.
pub fn apply(findings: &mut [Finding], baseline: &Baseline, reach: &Reach) -> Applied {
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
    // Results the rules could not judge this run: the baseline's failure on them is not known gone.
    let unjudged: HashSet<String> = if unmatched.is_empty() {
        HashSet::new()
    } else {
        findings.iter().filter(|f| f.status == Status::Error).map(fingerprint).collect()
    };
    // The files this run has results for: a baseline failure of a file that is still there and
    // has none was not read (left out by --exclude or an ignore file), not fixed.
    let read_paths: HashSet<String> =
        if unmatched.is_empty() { HashSet::new() } else { findings.iter().map(|f| normal(&f.location.path)).collect() };
    let (mut migrated, mut ambiguous) = (0, 0);
    let mut absent = Vec::new();
    let mut not_compared = Vec::new();
    let mut seen = HashSet::new();
    for b in unmatched {
        match legacy.get(&b.fingerprint).map(Vec::as_slice) {
            Some([only]) => {
                findings[*only].baseline = Some(BaselineState::Unchanged);
                migrated += 1;
            }
            Some(_) => ambiguous += 1,
            None => {
                if !seen.insert(b.fingerprint.clone()) {
                    continue;
                }
                let why = if unjudged.contains(b.fingerprint.as_str()) {
                    Some("its rule could not judge it in this run (an error result)".to_owned())
                } else {
                    reach.not_compared(b).or_else(|| unread_file(&read_paths, b))
                };
                match why {
                    Some(reason) => not_compared.push(NotCompared { finding: b.clone(), reason }),
                    None => absent.push(b.clone()),
                }
            }
        }
    }
    Applied { absent, not_compared, migrated, ambiguous }
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
            fix: None,
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
                target: f.target.clone(),
            })
            .collect();
        Baseline { path: "baseline.json".into(), failures }
    }

    fn read_in_full() -> Reach {
        Reach { targets: vec![(None, Read::Full)], ..Reach::default() }
    }

    fn in_target(mut f: Finding, target: &str) -> Finding {
        f.target = Some(target.into());
        f
    }

    #[test]
    fn a_failure_of_a_target_not_read_is_not_compared_never_gone() {
        let before = [in_target(failure("CALM_P", "p.json:1"), "prod"), in_target(failure("CALM_T", "t/a.json:1"), "test")];
        let mut now = Vec::new();
        let reach = Reach {
            targets: vec![
                (Some("prod".into()), Read::Full),
                (Some("test".into()), Read::Not("target test was not read: t: no such file or folder".into())),
            ],
            ..Reach::default()
        };
        let applied = apply(&mut now, &baseline_of(&before, fingerprint), &reach);
        assert_eq!(applied.absent.iter().map(|a| a.object.as_str()).collect::<Vec<_>>(), ["CALM_P"], "prod was read: gone");
        assert_eq!(applied.not_compared.len(), 1);
        assert_eq!(applied.not_compared[0].finding.object, "CALM_T");
        assert!(applied.not_compared[0].reason.contains("not read"), "{}", applied.not_compared[0].reason);
    }

    #[test]
    fn a_failed_file_a_missing_target_an_unselected_rule_and_an_error_result_are_not_compared() {
        let mut errored = failure("CALM_E", "a.json:1");
        let before = [
            failure("CALM_IN_BAD_FILE", "./bad/x.json:1"),
            failure("CALM_OK_FILE", "good.json:1"),
            in_target(failure("CALM_OTHER_TARGET", "o.json:1"), "gone-target"),
            errored.clone(),
        ];
        let mut b = baseline_of(&before, fingerprint);
        b.failures[0].location.path = "./bad/x.json".into();
        errored.status = Status::Error;
        let mut now = vec![errored];
        let reach = Reach { targets: vec![(None, Read::Except(vec!["bad".into()]))], ..Reach::default() };
        let applied = apply(&mut now, &b, &reach);
        assert_eq!(applied.absent.iter().map(|a| a.object.as_str()).collect::<Vec<_>>(), ["CALM_OK_FILE"]);
        let reasons: Vec<(&str, &str)> = applied.not_compared.iter().map(|n| (n.finding.object.as_str(), n.reason.as_str())).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].1.contains("its source bad could not be read"), "{reasons:?}");
        assert!(reasons[1].1.contains("target gone-target is not part of this run"), "{reasons:?}");
        assert!(reasons[2].1.contains("could not judge"), "{reasons:?}");
        let unselected = Reach { select: vec!["CALM004".into()], ..read_in_full() };
        let applied = apply(&mut Vec::new(), &baseline_of(&[failure("CALM_X", "x.json:1")], fingerprint), &unselected);
        assert!(applied.absent.is_empty() && applied.not_compared[0].reason.contains("not run"));
    }

    /// Seeded random landscapes: a failure of the baseline is gone only when its target was read
    /// in full (or all but other files) and no result of this run has it; every failure of the
    /// baseline is accounted for exactly once, as matched, gone or not compared.
    #[test]
    fn a_failure_is_gone_only_where_this_run_looked() {
        let mut seed: u64 = 0x5eed_0029;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let names = ["a", "b", "c"];
        for _ in 0..300 {
            let before: Vec<Finding> = (0..next(8))
                .map(|i| {
                    let target = names[usize::try_from(next(3)).unwrap()];
                    let file = format!("{target}/f{}.json", next(3));
                    let mut f = in_target(failure(&format!("CALM_{i}"), &format!("{file}:1")), target);
                    f.location.path = file.into();
                    f
                })
                .collect();
            // Each target is part of the run, or not (a target renamed or removed since).
            let mut reads: Vec<(Option<String>, Read)> = Vec::new();
            for t in names {
                if next(5) == 0 {
                    continue;
                }
                let read = match next(3) {
                    0 => Read::Full,
                    1 => Read::Except(vec![format!("./{t}/f{}.json", next(3))]),
                    _ => Read::Not(format!("target {t} was not read")),
                };
                reads.push((Some(t.to_owned()), read));
            }
            let mut now: Vec<Finding> = before.iter().filter(|_| next(2) == 0).cloned().collect();
            let kept = now.len();
            let reach = Reach { targets: reads.clone(), ..Reach::default() };
            let applied = apply(&mut now, &baseline_of(&before, fingerprint), &reach);
            assert_eq!(kept + applied.absent.len() + applied.not_compared.len(), before.len());
            for gone in &applied.absent {
                let read = reads.iter().find(|(n, _)| *n == gone.target).map(|(_, r)| r);
                match read {
                    Some(Read::Full) => {}
                    Some(Read::Except(files)) => assert!(files.iter().all(|f| normal(f) != *gone.location.path), "{gone:?} {files:?}"),
                    other => panic!("{gone:?} called gone though its target was read as {other:?}"),
                }
            }
        }
    }

    #[test]
    fn the_target_is_read_back_from_json_and_sarif_baselines() {
        let json = r#"{"schema":"calm-audit-report","results":[{"status":"fail","code":"CALM004","fingerprint":"f","object":{"name":"A"},"target":"prod","location":{"path":"a.json","line":2}}]}"#;
        assert_eq!(parse(json, "b.json").unwrap().failures[0].target.as_deref(), Some("prod"));
        let sarif =
            r#"{"runs":[{"tool":{"driver":{"name":"calm-audit"}},"results":[{"ruleId":"CALM004","properties":{"target":"test"}}]}]}"#;
        assert_eq!(parse(sarif, "b.sarif").unwrap().failures[0].target.as_deref(), Some("test"));
    }

    #[test]
    fn the_same_name_in_another_file_is_another_result() {
        let before = [failure("CALM_X", "dev/dest.json:3")];
        let mut now = vec![failure("CALM_X", "dev/dest.json:9"), failure("CALM_X", "prod/dest.json:3")];
        let applied = apply(&mut now, &baseline_of(&before, fingerprint), &read_in_full());
        assert_eq!(now[0].baseline, Some(BaselineState::Unchanged), "another line is the same result");
        assert_eq!(now[1].baseline, Some(BaselineState::New), "prod/ is not dev/");
        assert!(applied.absent.is_empty() && applied.migrated == 0);
    }

    #[test]
    fn a_baseline_from_before_sources_matches_where_unambiguous() {
        let before = [failure("CALM_ONE", "a.json:3"), failure("CALM_TWICE", "dev/b.json:3"), failure("CALM_GONE", "c.json:1")];
        let mut now = vec![failure("CALM_ONE", "a.json:4"), failure("CALM_TWICE", "dev/b.json:3"), failure("CALM_TWICE", "prod/b.json:3")];
        let applied = apply(&mut now, &baseline_of(&before, legacy_fingerprint), &read_in_full());
        assert_eq!(now[0].baseline, Some(BaselineState::Unchanged));
        assert_eq!((now[1].baseline, now[2].baseline), (Some(BaselineState::New), Some(BaselineState::New)), "ambiguous: not matched");
        assert_eq!((applied.migrated, applied.ambiguous), (1, 1));
        assert_eq!(applied.absent.iter().map(|a| a.object.as_str()).collect::<Vec<_>>(), ["CALM_GONE"]);
    }
}
