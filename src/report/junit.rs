//! JUnit XML for CI dashboards (GitLab's JUnit report, Jenkins, Azure DevOps).
//!
//! One `testsuite` per target (a single `calm-audit` suite for a run without targets), one
//! `testcase` per result, in the order of the report:
//!
//! | status | test case |
//! |---|---|
//! | `fail` | `failure`, type = the severity (a failure unchanged since the baseline: message starts with `[unchanged] `) |
//! | `fail`, waived | `skipped`: `waived until <expires>: <reason> (status fail)`, so it does not fail the dashboard |
//! | `error` | `error`, so dashboards tell it apart from a failure |
//! | `manual` | passed, the message in `system-out` after `manual check: ` |
//! | `not_applicable` | `skipped`, the reason as message |
//! | `pass` | passed |
//!
//! A destination's result carries its profile as the test case properties `profile` and
//! `profile_reason` (and in the description of a failure or error). SAP's own destinations that
//! are recognised and not audited are suite properties `not_audited` (`NAME: reason`).
//!
//! An incomplete audit adds one `calm-audit source read` error per failed source (in the
//! `calm-audit` suite, which a run with targets only has for these and for results that name
//! no target); a target that could not be read at all gets a `calm-audit target read` error in
//! its own suite, whose `verdict` property says `not_audited`.
//!
//! Every suite carries the run as properties (`run_started`, `run_ended`, `calm_audit_version`,
//! `catalog_version`, `inputs`), a target's suite also its `verdict`, `defined_at` and `partial`.
//! No durations or host names: with `SOURCE_DATE_EPOCH` the same inputs give the same bytes.

use quick_junit::{NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::text::one_line;
use super::{Coverage, Report, RunInfo, TargetSummary, partial_text};
use crate::model::{BaselineState, Finding, Status};
use crate::rules::context::OUT_OF_SCOPE;

/// Name of the report, of the suite of a run without targets, and the classname prefix.
const TOOL: &str = "calm-audit";

/// What a failure or error says besides its message: where, and in which target. A line per
/// item, each value kept on its line ([`one_line`]), so a name cannot add lines of its own.
fn description(f: &Finding) -> String {
    let mut lines =
        vec![one_line(&f.message).into_owned(), one_line(&format!("location: {}:{}", f.location.path, f.location.line)).into_owned()];
    if let Some(target) = &f.target {
        lines.push(format!("target: {}", one_line(target)));
    }
    lines.push(format!("object: {}", one_line(&f.object.qualified_name)));
    if let Some(property) = &f.property {
        lines.push(format!("property: {}", one_line(property)));
    }
    if let Some(fix) = &f.fix {
        lines.push(format!("fix: {}", one_line(fix.line())));
    }
    if let Some(profile) = &f.profile {
        lines.push(one_line(&format!("profile: {} ({})", profile.name, profile.reason)).into_owned());
    }
    match f.baseline {
        Some(BaselineState::New) => lines.push("baseline: new".to_owned()),
        Some(BaselineState::Unchanged) => lines.push("baseline: unchanged".to_owned()),
        None => {}
    }
    lines.join("\n")
}

fn test_case(f: &Finding) -> TestCase {
    let status = match (f.status, &f.waived) {
        (Status::Fail, Some(waived)) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(one_line(&format!("waived until {}: {} (status fail)", waived.expires, waived.reason)).into_owned())
                .set_type("waived")
                .set_description(description(f));
            s
        }
        (Status::Fail, None) => {
            let prefix = if f.baseline == Some(BaselineState::Unchanged) { "[unchanged] " } else { "" };
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("{prefix}{}", one_line(&f.message))).set_type(f.severity.as_str()).set_description(description(f));
            s
        }
        (Status::Error, _) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(one_line(&f.message)).set_type("not evaluated").set_description(description(f));
            s
        }
        (Status::NotApplicable, _) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(one_line(&f.message)).set_type(Status::NotApplicable.as_str());
            s
        }
        (Status::Manual | Status::Pass, _) => TestCaseStatus::success(),
    };
    let name = one_line(&f.object.name);
    let mut case = TestCase::new(format!("{} {}: {name}", f.code, f.rule), status);
    case.set_classname(format!("{TOOL}.{}.{name}", f.object.kind.as_str()));
    if f.status == Status::Manual {
        case.set_system_out(format!("manual check: {}", one_line(&f.message)));
    }
    if let Some(profile) = &f.profile {
        case.add_property(Property::new("profile", one_line(&profile.name)));
        case.add_property(Property::new("profile_reason", one_line(&profile.reason)));
    }
    case
}

/// The certificates in use (SPEC §3b), soonest to expire first, as suite properties
/// `certificate`: `NAME (LEVEL, used by ...): CN=..., not after YYYY-MM-DD, N days left`.
fn certificate_properties(report: &Report, suites: &mut [TestSuite], general: &mut TestSuite) {
    use super::certificates::days_label;
    for row in &report.certificates {
        let index = row.target.as_ref().and_then(|t| report.targets.iter().position(|s| &s.name == t));
        let what = match (&row.certificate, &row.error) {
            (Some(c), _) => format!(
                "CN={}, issued by CN={}, not after {}, days left {}",
                c.subject_cn.as_deref().unwrap_or("-"),
                c.issuer_cn.as_deref().unwrap_or("-"),
                crate::clock::date(c.not_after),
                row.days_left.map(days_label).unwrap_or_default()
            ),
            (None, error) => format!("dates unknown: {}", error.as_deref().unwrap_or("not read")),
        };
        let value = format!("{} ({}, used by {}): {what}", row.name, row.level, row.used_by.join(", "));
        let property = Property::new("certificate", one_line(&value));
        match index.and_then(|i| suites.get_mut(i)) {
            Some(s) => s.add_property(property),
            None => general.add_property(property),
        };
    }
}

fn suite(name: &str, coverage: Option<&Coverage>, complete: bool, fail_on: &str, run: &RunInfo) -> TestSuite {
    let mut suite = TestSuite::new(one_line(name));
    suite.add_property(Property::new("fail_on", fail_on));
    suite.add_property(Property::new("complete", if complete { "true" } else { "false" }));
    add_run(&mut suite, run);
    if let Some(c) = coverage {
        suite.add_property(Property::new("destinations_found", c.destinations_found.to_string()));
        suite.add_property(Property::new("destinations_in_scope", c.destinations_in_scope.to_string()));
        suite.add_property(Property::new("destinations_audited", c.destinations_audited.to_string()));
        suite.add_property(Property::new("destinations_in_scope_not_audited", c.destinations_in_scope_not_audited.to_string()));
        suite.add_property(Property::new("destinations_out_of_scope", c.destinations_out_of_scope.to_string()));
        suite.add_property(Property::new("destinations_scope_unknown", c.destinations_scope_unknown.to_string()));
        if let Some(service) = &c.live_service {
            suite.add_property(Property::new("live_service", one_line(service)));
        }
        if let Some(subaccount) = &c.subaccount_id {
            suite.add_property(Property::new("subaccount_id", subaccount.as_str()));
        }
    }
    suite
}

/// When and with what the report was made, as suite properties: dashboards show them beside the
/// tests, and `SOURCE_DATE_EPOCH` fixes the times for a reproducible report.
fn add_run(suite: &mut TestSuite, run: &RunInfo) {
    suite.add_property(Property::new("run_started", run.started.as_str()));
    suite.add_property(Property::new("run_ended", run.ended.as_str()));
    suite.add_property(Property::new("calm_audit_version", run.calm_audit_version));
    suite.add_property(Property::new("catalog_version", run.catalog_version));
    suite.add_property(Property::new("inputs", one_line(&run.inputs_text(true))));
}

/// What a target's suite says of the target: where it is configured, its verdict and what a
/// partial audit lacked.
fn add_target(suite: &mut TestSuite, t: &TargetSummary) {
    suite.add_property(Property::new("verdict", t.verdict));
    if let Some(at) = &t.defined_at {
        suite.add_property(Property::new("defined_at", one_line(at)));
    }
    if !t.partial.is_empty() {
        suite.add_property(Property::new("partial", partial_text(&t.partial)));
    }
}

/// The error test case of a target that could not be read at all.
fn unread_target(t: &TargetSummary) -> Option<TestCase> {
    let error = t.error.as_ref()?;
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(one_line(&format!("target {} could not be read: {error}", t.name)).into_owned()).set_type("incomplete");
    let mut case = TestCase::new(format!("{TOOL} target read"), status);
    case.set_classname(format!("{TOOL}.target.{}", t.name));
    Some(case)
}

/// The report as one text (the tests read it back).
#[cfg(test)]
fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing into memory");
    String::from_utf8(out).expect("UTF-8")
}

/// Writes the report to `out` as it is produced. quick-junit serialises the suites without their
/// test cases (attributes with every count, properties), and each test case on its own as it is
/// written; the two are joined where each suite's test cases go. The same bytes as one report
/// serialised whole, without a tree of millions of test cases or the text of all of them.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let fail_on = report.options.fail_on.map_or("never", |s| s.as_str());
    let mut suites: Vec<TestSuite> = report
        .targets
        .iter()
        .map(|t| {
            let mut s = suite(&t.name, Some(&t.coverage), t.complete, fail_on, &report.run);
            add_target(&mut s, t);
            s
        })
        .collect();
    // Results of a run without targets, results that name none of them, and failed sources.
    let mut general = suite(TOOL, report.targets.is_empty().then_some(&report.coverage), report.complete(), fail_on, &report.run);
    if !report.partial.is_empty() {
        general.add_property(Property::new("partial", partial_text(&report.partial)));
    }
    certificate_properties(report, &mut suites, &mut general);

    // SAP's own destinations recognised and not audited, named with the reason; those merely
    // out of scope are only counted (a large subaccount has thousands).
    for n in report.not_audited.iter().filter(|n| n.reason != OUT_OF_SCOPE) {
        let index = n.target.as_ref().and_then(|t| report.targets.iter().position(|s| &s.name == t));
        let property = Property::new("not_audited", one_line(&format!("{}: {}", n.name, n.reason)));
        match index.and_then(|i| suites.get_mut(i)) {
            Some(s) => s.add_property(property),
            None => general.add_property(property),
        };
    }

    // The results object by object (the grouping every renderer shares), a group per target in
    // the order of `suites` and the results of no target last, in the general suite. Each is
    // counted by quick-junit as it adds a test case; the test case is made again when written.
    let general_index = suites.len();
    let groups = report.grouped(|_| true);
    let suite_of = |g: &super::group::TargetGroup| {
        g.target.and_then(|t| report.targets.iter().position(|x| x.name == t.name)).unwrap_or(general_index)
    };
    for group in &groups {
        let s = match suite_of(group) {
            i if i < general_index => &mut suites[i],
            _ => &mut general,
        };
        for f in group.objects.iter().flat_map(|o| &o.findings) {
            s.add_test_case(test_case(f));
            s.test_cases.pop();
        }
    }
    // A target that could not be read: an error in its own suite, after its (no) results.
    let mut unread: Vec<Option<TestCase>> = Vec::with_capacity(suites.len());
    for (s, t) in suites.iter_mut().zip(&report.targets) {
        let case = unread_target(t);
        if let Some(case) = &case {
            s.add_test_case(case.clone());
            s.test_cases.pop();
        }
        unread.push(case);
    }
    // The failed sources: after the results, in the general suite.
    let mut failed_sources = Vec::new();
    if !report.complete() {
        // A target that could not be read has its error in its own suite.
        let unread_sources: Vec<String> = report
            .targets
            .iter()
            .filter(|t| t.error.is_some())
            .map(|t| TargetSummary::failure_source(&t.name, t.defined_at.as_deref()))
            .collect();
        for failure in report.failures.iter().filter(|f| !unread_sources.contains(&f.source)) {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            let (source, message) = (one_line(&failure.source), one_line(&failure.message));
            status.set_message(format!("{source}: {message}")).set_type("incomplete").set_description(format!(
                "source: {source}\nmessage: {message}\nThe audit is incomplete: this source was not read in full."
            ));
            let mut case = TestCase::new(format!("{TOOL} source read"), status);
            case.set_classname(format!("{TOOL}.source.{source}"));
            general.add_test_case(case);
            failed_sources.extend(general.test_cases.pop());
        }
    }
    let with_general = report.targets.is_empty() || general.tests > 0;
    if with_general {
        suites.push(general);
    }
    let suite_count = suites.len();

    let mut junit = JunitReport::new(TOOL);
    junit.add_test_suites(suites);
    let skeleton = junit.to_string().map_err(std::io::Error::other)?;
    let mut one = OneCase::default();
    let mut rest = skeleton.as_str();
    let mut unread = unread.into_iter();
    for i in 0..suite_count {
        // Every suite is written with a start and an end tag; its test cases go before the end.
        let end = rest.find(SUITE_END).ok_or_else(|| std::io::Error::other("a JUnit suite without its end tag"))?;
        out.write_all(&rest.as_bytes()[..end])?;
        rest = &rest[end + SUITE_END.len()..];
        for group in groups.iter().filter(|g| suite_of(g) == i) {
            for f in group.objects.iter().flat_map(|o| &o.findings) {
                one.write(test_case(f), out)?;
            }
        }
        if let Some(case) = unread.next().flatten() {
            one.write(case, out)?;
        }
        if with_general && i + 1 == suite_count {
            for case in failed_sources.drain(..) {
                one.write(case, out)?;
            }
        }
        out.write_all(SUITE_END.as_bytes())?;
    }
    out.write_all(rest.as_bytes())
}

/// The end tag of a suite in quick-junit's layout (four spaces of indent per level); values are
/// escaped, so it occurs nowhere else.
const SUITE_END: &str = "\n    </testsuite>";

/// One test case serialised by quick-junit as it would be inside a report: a report of one
/// suite and that one case, reused, of which the case's lines are kept.
struct OneCase {
    report: JunitReport,
    text: Vec<u8>,
}

impl Default for OneCase {
    fn default() -> Self {
        let mut report = JunitReport::new(TOOL);
        report.add_test_suite(TestSuite::new(TOOL));
        OneCase { report, text: Vec::new() }
    }
}

impl OneCase {
    fn write(&mut self, case: TestCase, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let cases = &mut self.report.test_suites[0].test_cases;
        cases.clear();
        cases.push(case);
        self.text.clear();
        self.report.serialize(&mut self.text).map_err(std::io::Error::other)?;
        let text = std::str::from_utf8(&self.text).map_err(std::io::Error::other)?;
        // From the line break before `<testcase` (the first one indented two levels: the suite
        // has no properties) to the suite's end tag.
        let start = text.find("\n        <").ok_or_else(|| std::io::Error::other("a JUnit test case was not written"))?;
        let end = text.rfind(SUITE_END).ok_or_else(|| std::io::Error::other("a JUnit suite without its end tag"))?;
        out.write_all(&text.as_bytes()[start..end])
    }
}

#[cfg(test)]
mod tests {
    use quick_junit::Report as Parsed;

    use super::*;
    use crate::model::{Location, ObjectKind, ObjectRef, Severity, SourceFailure, Waived};
    use crate::report::{Options, TargetSummary};
    use crate::rules::Catalog;

    fn finding(code: &'static str, rule: &'static str, status: Status, name: &str, message: &str) -> Finding {
        Finding {
            code,
            rule,
            status,
            severity: Severity::Error,
            object: ObjectRef {
                kind: ObjectKind::Destination,
                name: name.into(),
                qualified_name: format!("dest/{name}.properties:1"),
                level: None,
            }
            .into(),
            property: Some("URL".into()),
            message: message.into(),
            location: Location { path: format!("dest/{name}.properties").into(), line: 4 },
            target: None,
            waived: None,
            baseline: None,
            profile: None,
            fix: None,
        }
    }

    fn report(findings: Vec<Finding>, failures: Vec<SourceFailure>) -> Report {
        Report {
            catalog: Catalog::builtin(),
            findings,
            coverage: Coverage::default(),
            failures,
            options: Options::default(),
            targets: Vec::new(),
            waiver_notes: Vec::new(),
            baseline: None,
            not_audited: Vec::new(),
            run: crate::report::RunInfo::default(),
            partial: Vec::new(),
            certificates: Vec::new(),
        }
    }

    fn cases(parsed: &Parsed) -> Vec<&TestCase> {
        parsed.test_suites.iter().flat_map(|s| s.test_cases.iter()).collect()
    }

    fn kind_of(case: &TestCase) -> &'static str {
        match &case.status {
            TestCaseStatus::Success { .. } => "passed",
            TestCaseStatus::NonSuccess { kind: NonSuccessKind::Failure, .. } => "failure",
            TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, .. } => "error",
            TestCaseStatus::Skipped { .. } => "skipped",
        }
    }

    fn message(case: &TestCase) -> &str {
        match &case.status {
            TestCaseStatus::NonSuccess { message, .. } | TestCaseStatus::Skipped { message, .. } => {
                message.as_ref().map_or("", |m| m.as_str())
            }
            TestCaseStatus::Success { .. } => "",
        }
    }

    fn mixed() -> Report {
        let mut waived = finding("CALM003", "destination-proxy-internet", Status::Fail, "CALM_W", "ProxyType is \"OnPremise\"");
        waived.waived = Some(Box::new(Waived { reason: "migration <ticket 42> & co".into(), expires: "2027-03-31".into() }));
        let mut unchanged =
            finding("CALM010", "destination-token-url-type-dedicated", Status::Fail, "CALM_U", "tokenServiceURLType is \"Common\"");
        unchanged.baseline = Some(BaselineState::Unchanged);
        let mut manual = finding("CALM009", "destination-client-secret-set", Status::Manual, "CALM_A", "the export removed clientSecret");
        manual.severity = Severity::Error;
        let findings = vec![
            finding("CALM004", "destination-url-trailing-slash", Status::Fail, "CALM_A", "URL \"https://x/api\" does not end with /"),
            finding("CALM001", "destination-name-prefix", Status::Pass, "CALM_A", "Name starts with \"CALM_\""),
            finding("CALM012", "destination-url-matches-key", Status::NotApplicable, "CALM_A", "no Cloud ALM key given"),
            finding("CALM016", "destination-token-retrieval", Status::Error, "CALM_A", "the find call failed"),
            manual,
            waived,
            unchanged,
        ];
        let failures = vec![SourceFailure { source: "instance level, page 3".into(), message: "HTTP 503 after 4 attempt(s)".into() }];
        report(findings, failures)
    }

    #[test]
    fn statuses_map_to_junit_elements() {
        let xml = render(&mixed());
        // Crude element counts on the text, then a real parse.
        assert_eq!(xml.matches("<testcase ").count(), 8, "{xml}");
        assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
        assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
        assert_eq!(xml.matches("<skipped ").count(), 2, "{xml}");
        assert!(!xml.contains("timestamp") && !xml.contains("hostname") && !xml.contains("time="), "{xml}");

        let parsed = Parsed::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!(parsed.name.as_str(), "calm-audit");
        assert_eq!(parsed.test_suites.len(), 1);
        assert_eq!(parsed.test_suites[0].name.as_str(), "calm-audit");
        assert_eq!((parsed.tests, parsed.failures, parsed.errors), (8, 2, 2));
        let cases = cases(&parsed);
        let kinds: Vec<&str> = cases.iter().map(|c| kind_of(c)).collect();
        // Object by object (the shared grouping: CALM_A, CALM_U, CALM_W), then the failed source.
        assert_eq!(kinds, ["failure", "passed", "skipped", "error", "passed", "failure", "skipped", "error"]);

        assert_eq!(cases[0].name.as_str(), "CALM004 destination-url-trailing-slash: CALM_A");
        assert_eq!(cases[0].classname.as_ref().map(|c| c.as_str()), Some("calm-audit.destination.CALM_A"));
        assert_eq!(message(cases[0]), "URL \"https://x/api\" does not end with /");
        let TestCaseStatus::NonSuccess { ty, description, .. } = &cases[0].status else { unreachable!() };
        assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("error"));
        assert!(description.as_ref().is_some_and(|d| d.contains("location: dest/CALM_A.properties:4")), "{xml}");

        assert_eq!(message(cases[2]), "no Cloud ALM key given");
        assert_eq!(cases[4].system_out.as_ref().map(|s| s.as_str()), Some("manual check: the export removed clientSecret"));
        assert_eq!(message(cases[6]), "waived until 2027-03-31: migration <ticket 42> & co (status fail)");
        assert!(xml.contains("migration &lt;ticket 42&gt; &amp; co"), "{xml}");
        assert_eq!(message(cases[5]), "[unchanged] tokenServiceURLType is \"Common\"");
        assert_eq!(cases[7].name.as_str(), "calm-audit source read");
        assert_eq!(message(cases[7]), "instance level, page 3: HTTP 503 after 4 attempt(s)");
    }

    #[test]
    fn one_suite_per_target_and_stable_output() {
        let mut a = finding("CALM004", "destination-url-trailing-slash", Status::Fail, "CALM_A", "no slash");
        a.target = Some("prod".into());
        let mut b = finding("CALM004", "destination-url-trailing-slash", Status::Pass, "CALM_B", "ends with /");
        b.target = Some("dev".into());
        let mut r = report(vec![a, b], Vec::new());
        let summary = TargetSummary::new;
        r.targets = vec![summary("dev"), summary("prod")];
        let xml = render(&r);
        assert_eq!(xml, render(&r), "deterministic");
        let parsed = Parsed::deserialize_from_str(&xml).expect("valid JUnit XML");
        let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["dev", "prod"]);
        assert_eq!(parsed.test_suites[0].test_cases[0].name.as_str(), "CALM004 destination-url-trailing-slash: CALM_B");
        assert_eq!(parsed.test_suites[1].failures, 1);
        let TestCaseStatus::NonSuccess { description, .. } = &parsed.test_suites[1].test_cases[0].status else { unreachable!() };
        assert!(description.as_ref().is_some_and(|d| d.contains("target: prod")), "{xml}");
    }

    /// What `write` streams is byte for byte what quick-junit writes for the whole tree.
    #[test]
    fn streamed_report_is_the_whole_report() {
        let whole = |r: &Report| {
            let fail_on = r.options.fail_on.map_or("never", |s| s.as_str());
            let mut suites: Vec<TestSuite> = r
                .targets
                .iter()
                .map(|t| {
                    let mut s = suite(&t.name, Some(&t.coverage), t.complete, fail_on, &r.run);
                    add_target(&mut s, t);
                    s
                })
                .collect();
            let mut general = suite(TOOL, r.targets.is_empty().then_some(&r.coverage), r.complete(), fail_on, &r.run);
            for group in r.grouped(|_| true) {
                for f in group.objects.iter().flat_map(|o| &o.findings) {
                    match group.target.and_then(|t| r.targets.iter().position(|s| s.name == t.name)) {
                        Some(i) => suites[i].add_test_case(test_case(f)),
                        None => general.add_test_case(test_case(f)),
                    };
                }
            }
            if r.targets.is_empty() || !general.test_cases.is_empty() {
                suites.push(general);
            }
            let mut junit = JunitReport::new(TOOL);
            junit.add_test_suites(suites);
            junit.to_string().expect("serialised")
        };
        let mut r = mixed();
        r.failures.clear();
        assert_eq!(render(&r), whole(&r));
        r.targets = vec![TargetSummary::new("dev"), TargetSummary::new("prod"), TargetSummary::new("none")];
        for (i, f) in r.findings.iter_mut().enumerate() {
            f.target = [Some("prod".to_owned()), Some("dev".to_owned()), None][i % 3].clone();
        }
        assert_eq!(render(&r), whole(&r));
    }

    #[test]
    fn a_target_that_could_not_be_read_is_an_error_in_its_own_suite() {
        let mut ok = TargetSummary::new("prod");
        ok.defined_at = Some("calm-audit.toml:3".into());
        let mut unread = TargetSummary::new("dev");
        unread.defined_at = Some("calm-audit.toml:7".into());
        unread.error = Some("exports/dev: no such file or folder".into());
        unread.complete = false;
        unread.verdict = "not_audited";
        let source = TargetSummary::failure_source("dev", Some("calm-audit.toml:7"));
        let mut r = report(Vec::new(), vec![SourceFailure { source, message: "not audited: exports/dev: no such file or folder".into() }]);
        r.targets = vec![ok, unread];
        let parsed = Parsed::deserialize_from_str(&render(&r)).expect("valid JUnit XML");
        let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["prod", "dev"], "the failure is not repeated in a calm-audit suite");
        let dev = &parsed.test_suites[1];
        assert_eq!(dev.errors, 1);
        assert_eq!(message(&dev.test_cases[0]), "target dev could not be read: exports/dev: no such file or folder");
        let property = |s: &TestSuite, name: &str| s.properties.iter().find(|p| p.name.as_str() == name).map(|p| p.value.to_string());
        assert_eq!(property(dev, "verdict").as_deref(), Some("not_audited"));
        assert_eq!(property(dev, "defined_at").as_deref(), Some("calm-audit.toml:7"));
        assert!(property(&parsed.test_suites[0], "run_started").is_some() && property(dev, "catalog_version").is_some());
    }

    #[test]
    fn an_empty_complete_audit_is_one_empty_suite() {
        let xml = render(&report(Vec::new(), Vec::new()));
        let parsed = Parsed::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!(parsed.test_suites.len(), 1);
        assert_eq!(parsed.tests, 0);
    }
}
