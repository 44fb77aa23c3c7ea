//! Waivers: accepted exceptions with a reason and an expiry date. A waived result keeps its
//! status; it is marked, shown, and no longer counts for the exit code.

use crate::model::glob::glob_match;
use crate::model::{Finding, ObjectKind, Status, Waived};
use crate::report::{WaiverNote, WaiverProblem};

#[derive(Clone, Debug)]
pub struct Waiver {
    /// Rule code (resolved from a code or name when the configuration was read).
    pub rule: String,
    /// Glob over destination names; `None`: every object of the rule.
    pub destination: Option<String>,
    pub target: Option<String>,
    /// Glob over where the object came from ([`crate::report::identity_source`]: `prod/*`,
    /// `btp/subaccount/*`); `None`: from anywhere.
    pub source: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`, the last day it applies.
    pub expires: String,
    /// Where it is written, for messages: `calm-audit.toml:14`.
    pub defined_at: String,
}

impl Waiver {
    fn matches(&self, f: &Finding) -> bool {
        f.code == self.rule
            && matches!(f.status, Status::Fail | Status::Manual)
            && self.target.as_deref().is_none_or(|t| f.target.as_deref() == Some(t))
            && self.source.as_deref().is_none_or(|pattern| glob_match(pattern, &crate::report::identity_source(f)))
            && self
                .destination
                .as_deref()
                .is_none_or(|pattern| f.object.kind == ObjectKind::Destination && glob_match(pattern, &f.object.name))
    }

    fn note(&self, problem: WaiverProblem) -> WaiverNote {
        WaiverNote {
            problem,
            rule: self.rule.clone(),
            destination: self.destination.clone(),
            target: self.target.clone(),
            reason: self.reason.clone(),
            expires: self.expires.clone(),
            defined_at: self.defined_at.clone(),
        }
    }
}

/// Applies the waivers that have not expired on `today` (`YYYY-MM-DD`), and reports the expired
/// ones and those that matched nothing.
pub fn apply(findings: &mut [Finding], waivers: &[Waiver], today: &str) -> Vec<WaiverNote> {
    let mut notes = Vec::new();
    for waiver in waivers {
        if waiver.expires.as_str() < today {
            notes.push(waiver.note(WaiverProblem::Expired));
            continue;
        }
        let mut matched = 0;
        for f in findings.iter_mut().filter(|f| waiver.matches(f)) {
            matched += 1;
            f.waived.get_or_insert_with(|| Box::new(Waived { reason: waiver.reason.clone(), expires: waiver.expires.clone() }));
        }
        if matched == 0 {
            notes.push(waiver.note(WaiverProblem::Unmatched));
        }
    }
    notes
}

/// Checks `YYYY-MM-DD` with a real month and day.
pub fn valid_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    if text.len() != 10 || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, ObjectRef, Severity};

    fn finding(code: &'static str, name: &str, status: Status) -> Finding {
        Finding {
            code,
            rule: "r",
            status,
            severity: Severity::Error,
            object: ObjectRef { kind: ObjectKind::Destination, name: name.into(), qualified_name: "f:1".into(), level: None }.into(),
            property: None,
            message: String::new(),
            location: Location { path: "f".into(), line: 1 },
            target: Some("prod".into()),
            waived: None,
            baseline: None,
            profile: None,
            fix: None,
        }
    }

    fn waiver(rule: &str, destination: Option<&str>, expires: &str) -> Waiver {
        Waiver {
            rule: rule.into(),
            destination: destination.map(str::to_owned),
            target: None,
            source: None,
            reason: "ticket OPS-4411".into(),
            expires: expires.into(),
            defined_at: "calm-audit.toml:3".into(),
        }
    }

    #[test]
    fn a_waiver_with_a_source_waives_that_source_only() {
        let mut dev = finding("CALM010", "CALM_X", Status::Fail);
        std::sync::Arc::make_mut(&mut dev.object).qualified_name = "dev/dest.json:4".into();
        let mut prod = finding("CALM010", "CALM_X", Status::Fail);
        std::sync::Arc::make_mut(&mut prod.object).qualified_name = "prod/dest.json:4".into();
        let mut findings = vec![dev, prod];
        let mut w = waiver("CALM010", Some("CALM_X"), "2099-01-01");
        w.source = Some("dev/*".into());
        assert!(apply(&mut findings, &[w], "2026-01-01").is_empty());
        assert!(findings[0].waived.is_some() && findings[1].waived.is_none());
    }

    #[test]
    fn waivers_mark_expire_and_report_unmatched() {
        let mut findings = vec![finding("CALM010", "CALM_LEGACY", Status::Fail), finding("CALM010", "CALM_BPMON", Status::Pass)];
        let waivers = [
            waiver("CALM010", Some("CALM_LEGACY*"), "2027-03-31"),
            waiver("CALM010", Some("CALM_OLD*"), "2027-03-31"),
            waiver("CALM004", None, "2020-01-01"),
        ];
        let notes = apply(&mut findings, &waivers, "2026-11-25");
        assert_eq!(findings[0].waived.as_ref().map(|w| w.expires.as_str()), Some("2027-03-31"));
        assert_eq!(findings[0].status, Status::Fail, "the status stays");
        assert!(findings[1].waived.is_none(), "a pass is not waived");
        let problems: Vec<_> = notes.iter().map(|n| (n.problem, n.rule.as_str())).collect();
        assert_eq!(problems, vec![(WaiverProblem::Unmatched, "CALM010"), (WaiverProblem::Expired, "CALM004")]);
        // The expiry day itself still applies.
        let mut again = vec![finding("CALM010", "CALM_LEGACY", Status::Fail)];
        assert!(apply(&mut again, &waivers[..1], "2027-03-31").is_empty());
        assert!(again[0].waived.is_some());
    }

    #[test]
    fn dates() {
        assert!(valid_date("2027-03-31"));
        assert!(valid_date("2028-02-29"));
        assert!(!valid_date("2027-02-29"));
        assert!(!valid_date("2027-13-01"));
        assert!(!valid_date("27-03-31"));
        assert!(!valid_date("2027-3-31"));
    }
}
