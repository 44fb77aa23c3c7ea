//! The one grouping every renderer lays out: results by target (in the run's order), then by
//! object (the landscape, the settings, the key, then the destinations by origin and name).
//! Each renderer orders the results inside an object as its readers need.

use std::collections::HashMap;

use super::{Report, TargetSummary};
use crate::model::{Finding, ObjectKind, ObjectRef, ProfileChoice, Status};

/// One target's results (or a run's, without targets), object by object.
pub struct TargetGroup<'a> {
    /// `None`: a run without targets, or the results that name no target of the run.
    pub target: Option<&'a TargetSummary>,
    pub objects: Vec<ObjectGroup<'a>>,
}

/// The results about one object, in the order of the report.
pub struct ObjectGroup<'a> {
    pub object: &'a ObjectRef,
    pub findings: Vec<&'a Finding>,
}

impl<'a> ObjectGroup<'a> {
    /// The profile the object was judged by (destinations only).
    pub fn profile(&self) -> Option<&'a ProfileChoice> {
        self.findings.iter().find_map(|f| f.profile.as_deref())
    }

    /// How many results have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }
}

impl TargetGroup<'_> {
    /// The target's name, if the group is a target's.
    pub fn name(&self) -> Option<&str> {
        self.target.map(|t| t.name.as_str())
    }

    /// Results of the group that count for the exit code.
    pub fn failing(&self, report: &Report) -> usize {
        self.objects.iter().flat_map(|o| &o.findings).filter(|f| report.counts(f)).count()
    }

    /// The audited destinations of the group, by name (any letter case), then origin.
    pub fn destinations(&self) -> Vec<&ObjectGroup<'_>> {
        let mut list: Vec<&ObjectGroup> = self.objects.iter().filter(|o| o.object.kind == ObjectKind::Destination).collect();
        list.sort_by_cached_key(|o| (o.object.name.to_lowercase(), o.object.qualified_name.clone()));
        list
    }
}

/// The order objects are shown in: what concerns everything first, then each destination.
pub fn kind_order(kind: ObjectKind) -> u8 {
    match kind {
        ObjectKind::Landscape => 0,
        ObjectKind::Settings => 1,
        ObjectKind::CloudAlmKey | ObjectKind::DestinationKey => 2,
        ObjectKind::Destination => 3,
    }
}

impl Report {
    /// The results that `keep` lets through, grouped: a group per target in the run's order
    /// (every target, even one without results, so each gets its verdict), then one for the
    /// results that name no target of the run, if any; a single group for a run without
    /// targets. One pass over the results (each object found by hashing), then a sort of the
    /// objects, not of the results: a landscape of 100,000 destinations has twenty times as
    /// many results as objects.
    pub fn grouped(&self, keep: impl Fn(&Finding) -> bool) -> Vec<TargetGroup<'_>> {
        let stray = self.targets.len();
        let mut buckets: Vec<(HashMap<&ObjectRef, usize>, Vec<ObjectGroup<'_>>)> =
            (0..=stray).map(|_| (HashMap::new(), Vec::new())).collect();
        for f in self.findings.iter().filter(|f| keep(f)) {
            let at = f.target.as_deref().and_then(|t| self.targets.iter().position(|x| x.name == t)).unwrap_or(stray);
            let (index, objects) = &mut buckets[at];
            let i = *index.entry(&f.object).or_insert_with(|| {
                objects.push(ObjectGroup { object: &f.object, findings: Vec::new() });
                objects.len() - 1
            });
            objects[i].findings.push(f);
        }
        let mut groups = Vec::with_capacity(buckets.len());
        for (i, (_, mut objects)) in buckets.into_iter().enumerate() {
            let target = self.targets.get(i);
            if target.is_none() && !self.targets.is_empty() && objects.is_empty() {
                continue;
            }
            objects.sort_by(|a, b| object_key(a.object).cmp(&object_key(b.object)));
            groups.push(TargetGroup { target, objects });
        }
        groups
    }
}

fn object_key(o: &ObjectRef) -> (u8, &str, &str, Option<crate::model::Level>) {
    (kind_order(o.kind), &o.qualified_name, &o.name, o.level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, Severity};
    use crate::report::{Coverage, Options};
    use crate::rules::Catalog;

    fn finding(kind: ObjectKind, name: &str, target: Option<&str>, status: Status) -> Finding {
        Finding {
            code: "CALM004",
            rule: "destination-url-trailing-slash",
            status,
            severity: Severity::Error,
            object: ObjectRef { kind, name: name.into(), qualified_name: format!("{name}.json:1"), level: None }.into(),
            property: None,
            message: String::new(),
            location: Location { path: format!("{name}.json").into(), line: 1 },
            target: target.map(str::to_owned),
            waived: None,
            baseline: None,
            profile: None,
            fix: None,
        }
    }

    fn report(findings: Vec<Finding>, targets: &[&str]) -> Report {
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage::default(),
            failures: Vec::new(),
            options: Options::default(),
            targets: targets.iter().map(|t| TargetSummary::new(t)).collect(),
            waiver_notes: Vec::new(),
            baseline: None,
            not_audited: Vec::new(),
            run: super::super::RunInfo::default(),
            partial: Vec::new(),
            certificates: Vec::new(),
        }
    }

    #[test]
    fn targets_in_run_order_objects_landscape_first_results_in_report_order() {
        use ObjectKind::{Destination as D, Landscape as L};
        let r = report(
            vec![
                finding(D, "CALM_B", Some("prod"), Status::Pass),
                finding(D, "CALM_A", Some("dev"), Status::Fail),
                finding(L, "landscape", Some("prod"), Status::Error),
                finding(D, "CALM_B", Some("prod"), Status::Fail),
                finding(D, "CALM_X", Some("gone"), Status::Fail),
            ],
            &["prod", "dev", "empty"],
        );
        let groups = r.grouped(|_| true);
        let names: Vec<Option<&str>> = groups.iter().map(TargetGroup::name).collect();
        assert_eq!(names, [Some("prod"), Some("dev"), Some("empty"), None], "every target, then the stray results");
        let prod: Vec<(&str, Vec<Status>)> =
            groups[0].objects.iter().map(|o| (o.object.name.as_str(), o.findings.iter().map(|f| f.status).collect())).collect();
        assert_eq!(prod, [("landscape", vec![Status::Error]), ("CALM_B", vec![Status::Pass, Status::Fail])]);
        assert!(groups[2].objects.is_empty());
        assert_eq!(groups[0].failing(&r), 1);
        assert_eq!(groups[3].objects[0].object.name, "CALM_X");
        // Without targets: one group, nothing dropped.
        let plain = report(vec![finding(D, "CALM_A", None, Status::Pass)], &[]);
        let groups = plain.grouped(|f| f.status == Status::Fail);
        assert_eq!(groups.len(), 1);
        assert!(groups[0].target.is_none() && groups[0].objects.is_empty());
    }
}
