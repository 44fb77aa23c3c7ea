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
//! no target). No timestamps, durations or host names: the same report gives the same bytes.

use quick_junit::{NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::{Coverage, Report};
use crate::model::{BaselineState, Finding, Status};
use crate::rules::context::OUT_OF_SCOPE;

/// Name of the report, of the suite of a run without targets, and the classname prefix.
const TOOL: &str = "calm-audit";

/// What a failure or error says besides its message: where, and in which target.
fn description(f: &Finding) -> String {
    let mut lines = vec![f.message.clone(), format!("location: {}:{}", f.location.path, f.location.line)];
    if let Some(target) = &f.target {
        lines.push(format!("target: {target}"));
    }
    lines.push(format!("object: {}", f.object.qualified_name));
    if let Some(property) = &f.property {
        lines.push(format!("property: {property}"));
    }
    if let Some(profile) = &f.profile {
        lines.push(format!("profile: {} ({})", profile.name, profile.reason));
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
            s.set_message(format!("waived until {}: {} (status fail)", waived.expires, waived.reason))
                .set_type("waived")
                .set_description(description(f));
            s
        }
        (Status::Fail, None) => {
            let prefix = if f.baseline == Some(BaselineState::Unchanged) { "[unchanged] " } else { "" };
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("{prefix}{}", f.message)).set_type(f.severity.as_str()).set_description(description(f));
            s
        }
        (Status::Error, _) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(f.message.as_str()).set_type("not evaluated").set_description(description(f));
            s
        }
        (Status::NotApplicable, _) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(f.message.as_str()).set_type(Status::NotApplicable.as_str());
            s
        }
        (Status::Manual | Status::Pass, _) => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(format!("{} {}: {}", f.code, f.rule, f.object.name), status);
    case.set_classname(format!("{TOOL}.{}.{}", f.object.kind.as_str(), f.object.name));
    if f.status == Status::Manual {
        case.set_system_out(format!("manual check: {}", f.message));
    }
    if let Some(profile) = &f.profile {
        case.add_property(Property::new("profile", profile.name.as_str()));
        case.add_property(Property::new("profile_reason", profile.reason.as_str()));
    }
    case
}

fn suite(name: &str, coverage: Option<&Coverage>, complete: bool, fail_on: &str) -> TestSuite {
    let mut suite = TestSuite::new(name);
    suite.add_property(Property::new("fail_on", fail_on));
    suite.add_property(Property::new("complete", if complete { "true" } else { "false" }));
    if let Some(c) = coverage {
        suite.add_property(Property::new("destinations_found", c.destinations_found.to_string()));
        suite.add_property(Property::new("destinations_in_scope", c.destinations_in_scope.to_string()));
        suite.add_property(Property::new("destinations_audited", c.destinations_audited.to_string()));
        if let Some(service) = &c.live_service {
            suite.add_property(Property::new("live_service", service.as_str()));
        }
        if let Some(subaccount) = &c.subaccount_id {
            suite.add_property(Property::new("subaccount_id", subaccount.as_str()));
        }
    }
    suite
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
    let mut suites: Vec<TestSuite> = report.targets.iter().map(|t| suite(&t.name, Some(&t.coverage), t.complete, fail_on)).collect();
    // Results of a run without targets, results that name none of them, and failed sources.
    let mut general = suite(TOOL, report.targets.is_empty().then_some(&report.coverage), report.complete(), fail_on);

    // SAP's own destinations recognised and not audited, named with the reason; those merely
    // out of scope are only counted (a large subaccount has thousands).
    for n in report.not_audited.iter().filter(|n| n.reason != OUT_OF_SCOPE) {
        let index = n.target.as_ref().and_then(|t| report.targets.iter().position(|s| &s.name == t));
        let property = Property::new("not_audited", format!("{}: {}", n.name, n.reason));
        match index.and_then(|i| suites.get_mut(i)) {
            Some(s) => s.add_property(property),
            None => general.add_property(property),
        };
    }

    // Each result's suite (the general one last), counted by quick-junit as it adds a test case;
    // the test case itself is made again when it is written.
    let general_index = suites.len();
    let mut suite_of: Vec<u32> = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        let index = f.target.as_ref().and_then(|t| report.targets.iter().position(|s| &s.name == t)).filter(|i| *i < suites.len());
        let s = match index {
            Some(i) => &mut suites[i],
            None => &mut general,
        };
        s.add_test_case(test_case(f));
        s.test_cases.pop();
        suite_of.push(u32::try_from(index.unwrap_or(general_index)).unwrap_or(u32::MAX));
    }
    // The failed sources: after the results, in the general suite.
    let mut failed_sources = Vec::new();
    if !report.complete() {
        for failure in &report.failures {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(format!("{}: {}", failure.source, failure.message)).set_type("incomplete").set_description(format!(
                "source: {}\nmessage: {}\nThe audit is incomplete: this source was not read in full.",
                failure.source, failure.message
            ));
            let mut case = TestCase::new(format!("{TOOL} source read"), status);
            case.set_classname(format!("{TOOL}.source.{}", failure.source));
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
    // The results in suite order (stable: report order within a suite).
    let mut order: Vec<u32> = (0..u32::try_from(report.findings.len()).map_err(std::io::Error::other)?).collect();
    order.sort_by_key(|&i| suite_of[i as usize]);
    let mut order = order.into_iter().peekable();
    let mut one = OneCase::default();
    let mut rest = skeleton.as_str();
    for i in 0..suite_count {
        // Every suite is written with a start and an end tag; its test cases go before the end.
        let end = rest.find(SUITE_END).ok_or_else(|| std::io::Error::other("a JUnit suite without its end tag"))?;
        out.write_all(&rest.as_bytes()[..end])?;
        rest = &rest[end + SUITE_END.len()..];
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        while let Some(&r) = order.peek() {
            if suite_of[r as usize] != index {
                break;
            }
            order.next();
            one.write(test_case(&report.findings[r as usize]), out)?;
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
        assert_eq!(kinds, ["failure", "passed", "skipped", "error", "passed", "skipped", "failure", "error"]);

        assert_eq!(cases[0].name.as_str(), "CALM004 destination-url-trailing-slash: CALM_A");
        assert_eq!(cases[0].classname.as_ref().map(|c| c.as_str()), Some("calm-audit.destination.CALM_A"));
        assert_eq!(message(cases[0]), "URL \"https://x/api\" does not end with /");
        let TestCaseStatus::NonSuccess { ty, description, .. } = &cases[0].status else { unreachable!() };
        assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("error"));
        assert!(description.as_ref().is_some_and(|d| d.contains("location: dest/CALM_A.properties:4")), "{xml}");

        assert_eq!(message(cases[2]), "no Cloud ALM key given");
        assert_eq!(cases[4].system_out.as_ref().map(|s| s.as_str()), Some("manual check: the export removed clientSecret"));
        assert_eq!(message(cases[5]), "waived until 2027-03-31: migration <ticket 42> & co (status fail)");
        assert!(xml.contains("migration &lt;ticket 42&gt; &amp; co"), "{xml}");
        assert_eq!(message(cases[6]), "[unchanged] tokenServiceURLType is \"Common\"");
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
        let summary = |name: &str| TargetSummary { name: name.into(), complete: true, coverage: Coverage::default() };
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
            let mut suites: Vec<TestSuite> = r.targets.iter().map(|t| suite(&t.name, Some(&t.coverage), t.complete, fail_on)).collect();
            let mut general = suite(TOOL, r.targets.is_empty().then_some(&r.coverage), r.complete(), fail_on);
            for f in &r.findings {
                match f.target.as_ref().and_then(|t| r.targets.iter().position(|s| &s.name == t)) {
                    Some(i) => suites[i].add_test_case(test_case(f)),
                    None => general.add_test_case(test_case(f)),
                };
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
        let summary = |name: &str| TargetSummary { name: name.into(), complete: true, coverage: Coverage::default() };
        r.targets = vec![summary("dev"), summary("prod"), summary("none")];
        for (i, f) in r.findings.iter_mut().enumerate() {
            f.target = [Some("prod".to_owned()), Some("dev".to_owned()), None][i % 3].clone();
        }
        assert_eq!(render(&r), whole(&r));
    }

    #[test]
    fn an_empty_complete_audit_is_one_empty_suite() {
        let xml = render(&report(Vec::new(), Vec::new()));
        let parsed = Parsed::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!(parsed.test_suites.len(), 1);
        assert_eq!(parsed.tests, 0);
    }
}
