//! What the rules produce and the reports show.

use std::sync::Arc;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Error,
    Manual,
    NotApplicable,
    Pass,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Fail, Status::Error, Status::Manual, Status::NotApplicable, Status::Pass];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Manual => "manual",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
        }
    }
}

/// Ordered from most to least severe, so `Error < Warning < Note`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Destination,
    Settings,
    CloudAlmKey,
    /// The destination service key of a live read (its X.509 certificate, SPEC §3b).
    DestinationKey,
    Landscape,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Destination => "destination",
            ObjectKind::Settings => "settings",
            ObjectKind::CloudAlmKey => "cloud_alm_key",
            ObjectKind::DestinationKey => "destination_key",
            ObjectKind::Landscape => "landscape",
        }
    }
}

/// A place in an input: the display path and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Location {
    /// Shared by the results of one file (a large landscape has millions of results).
    pub path: Arc<str>,
    pub line: u32,
}

/// The object a result is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    /// Destination `Name`, or the file name of the settings or key, or `landscape`.
    pub name: String,
    /// Where it came from: `file:line`, with the level when known.
    pub qualified_name: String,
    /// Destination level, when known (live reads, `config.json` `init_data`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<super::Level>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub rule: &'static str,
    pub status: Status,
    /// The rule's severity, lowered for some results (an absent property that defaults
    /// to the right value is a warning, not an error).
    pub severity: Severity,
    /// Shared by every result about the same object: built once per object, not per result.
    pub object: Arc<ObjectRef>,
    /// The property the result is about, if one.
    pub property: Option<String>,
    pub message: String,
    pub location: Location,
    /// The target (subaccount) of a run with several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// An accepted exception: the status stays, the result no longer counts for the exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Box<Waived>>,
    /// Compared with `--baseline`: set on failures only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
    /// Destination results: the purpose (profile, SPEC §3a) the destination was judged by, and
    /// why that profile was chosen. JSON: `profile` and `profile_reason`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Arc<ProfileChoice>>,
    /// What to change (SPEC §5a): set on every `fail` and `error` result of a destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Box<Fix>>,
}

/// What to change so that a failing result passes (SPEC §5a), decided by the same code that
/// decides the rule's expected value. Built only through [`Fix::set`], [`Fix::remove`] and
/// [`Fix::step`]: a value that holds a secret of the run, or a URL's credentials or query
/// values, never becomes a `value`; the fix is then a step that names where the value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// The property to change, when the fix is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    property: Option<String>,
    /// The exact value the property must have, when the run knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    /// The property must be removed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    remove: bool,
    /// The change in one line, as every report shows it ("set tokenServiceURLType to
    /// \"Dedicated\"", "enter the key's `uaa.clientsecret` as clientSecret").
    step: String,
    /// The value the property holds now, when it is text that holds no secret: what a literal
    /// replacement looks for in the file. Not in the JSON report.
    #[serde(skip)]
    was: Option<String>,
    /// Where the literal stands on the result's line, when `check` found it exactly once
    /// (SARIF `fixes`). Not in the JSON report.
    #[serde(skip)]
    region: Option<LiteralRegion>,
}

/// A literal on a result's line: 1-based columns in UTF-16 code units (SARIF's default), end
/// exclusive, and the text that replaces it, written as the file's syntax writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteralRegion {
    pub start_column: u32,
    pub end_column: u32,
    pub inserted: String,
}

impl Fix {
    /// `property` must be exactly `value`. A value the run must not show (a secret, a URL
    /// with credentials or query values) gives a step instead, naming `source`.
    pub fn set(property: &str, value: impl Into<String>, source: &str) -> Fix {
        let value = value.into();
        let hidden = crate::model::secret::holds_remembered(&value)
            || matches!(crate::model::url::redact_urls_in(&value), std::borrow::Cow::Owned(_))
            || value.chars().any(char::is_control);
        if hidden {
            return Fix::step(Some(property), format!("set {property} to {source} (the value is not shown here)"));
        }
        let step = format!("set {property} to \"{value}\"");
        Fix { property: Some(property.to_owned()), value: Some(value), remove: false, step, was: None, region: None }
    }

    /// `property` must not be set at all.
    pub fn remove(property: &str) -> Fix {
        Fix { property: Some(property.to_owned()), value: None, remove: true, step: format!("remove {property}"), was: None, region: None }
    }

    /// `property` and the others of `all` must not be set; the fix is about the first.
    pub fn removing(property: &str, all: &[&str]) -> Fix {
        let mut fix = Fix::remove(property);
        if all.len() > 1 {
            fix.step = format!("remove {}", all.join(", "));
        }
        fix
    }

    /// A step whose value the run does not know or must not show.
    pub fn step(property: Option<&str>, step: impl Into<String>) -> Fix {
        Fix { property: property.map(str::to_owned), value: None, remove: false, step: step.into(), was: None, region: None }
    }

    pub fn property(&self) -> Option<&str> {
        self.property.as_deref()
    }

    /// The exact value, when known (never a secret).
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    pub fn removes(&self) -> bool {
        self.remove
    }

    /// The value the property holds now (see [`Fix::written_as`]).
    pub fn was(&self) -> Option<&str> {
        self.was.as_deref()
    }

    /// Records the value the property holds now, unless it holds a secret of the run.
    pub fn written_as(&mut self, was: &str) {
        if self.value.is_some() && !crate::model::secret::holds_remembered(was) {
            self.was = Some(was.to_owned());
        }
    }

    /// Where the literal stands, once found ([`LiteralRegion`]).
    pub fn region(&self) -> Option<&LiteralRegion> {
        self.region.as_ref()
    }

    pub fn set_region(&mut self, region: LiteralRegion) {
        if self.value.is_some() {
            self.region = Some(region);
        }
    }

    /// Masks the fix as it enters a report (SPEC §8: before any layout). `mask` gives the masked
    /// text, or `None` when nothing is hidden; a value that is masked is no longer the value, so
    /// it and its replacement are dropped and only the (masked) step stays.
    pub fn mask_with(&mut self, mask: &dyn Fn(&str) -> Option<String>) {
        if let Some(step) = mask(&self.step) {
            self.step = step;
        }
        if let Some(property) = self.property.as_deref().and_then(mask) {
            self.property = Some(property);
        }
        let hidden = self.value.as_deref().is_some_and(|v| mask(v).is_some())
            || self.was.as_deref().is_some_and(|v| mask(v).is_some())
            || self.region.as_ref().is_some_and(|r| mask(&r.inserted).is_some());
        if hidden {
            self.value = None;
            self.was = None;
            self.region = None;
        }
    }

    /// The one line every report shows.
    pub fn line(&self) -> &str {
        &self.step
    }
}

/// The profile a destination was judged by and why it was chosen ("named by the settings",
/// "name starts with CALM_", "chosen with --profile").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ProfileChoice {
    #[serde(rename = "profile")]
    pub name: String,
    #[serde(rename = "profile_reason")]
    pub reason: String,
}

/// A destination that was read and deliberately not audited: out of scope, or recognised as a
/// purpose that is not audited (SPEC §3a). JSON: `not_audited: [{"name", "reason"}]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotAudited {
    pub name: String,
    /// Borrowed for the reason shared by most of a large landscape ([`crate::rules::context::OUT_OF_SCOPE`]).
    pub reason: std::borrow::Cow<'static, str>,
    /// The target (subaccount) of a run with several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The waiver that applies to a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waived {
    pub reason: String,
    /// `YYYY-MM-DD`, the last day the waiver applies.
    pub expires: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineState {
    /// Not a failure in the baseline.
    New,
    /// Already a failure in the baseline.
    Unchanged,
}

/// A source that failed part way: the audit is incomplete (exit 3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SourceFailure {
    /// What failed: `subaccount level, page 3`, `token request`, `find CALM_BPMON`.
    pub source: String,
    pub message: String,
}

/// How the table report starts: the line by which walks know calm-audit's own table saved as
/// text (`calm-audit check > reports/DAY/calm-audit.txt`) and skip it, as they skip its JSON
/// and SARIF. A `#` line, a comment in the properties syntax cockpit exports use.
pub const TABLE_REPORT_FIRST_LINE: &str = "# calm-audit table report";

/// Which of calm-audit's own text reports a text is, by its first line and a line only that
/// report has further on: the table (its first line is [`TABLE_REPORT_FIRST_LINE`], its last its
/// verdict), Markdown (`## calm-audit: ` and its `**Run:**` line), HTML (its generator) or JUnit
/// (its `testsuites` named calm-audit). Saved under any name (`calm-audit.txt`, no extension),
/// walks skip them as they skip its JSON and SARIF. A report cut short is not recognised and
/// fails to parse as destinations as loudly as any broken file.
pub fn own_report(text: &str) -> Option<&'static str> {
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let first = lines.next()?;
    if first.starts_with(TABLE_REPORT_FIRST_LINE) {
        return lines.any(|l| l.starts_with("Verdict: ")).then_some("table");
    }
    if first.starts_with("## calm-audit: ") {
        return lines.any(|l| l.starts_with("**Run:** ")).then_some("Markdown");
    }
    if first == "<!DOCTYPE html>" {
        return lines.take(20).any(|l| l.starts_with("<meta name=\"generator\" content=\"calm-audit ")).then_some("HTML");
    }
    if first.starts_with("<?xml") {
        return lines.next().is_some_and(|l| l.starts_with("<testsuites name=\"calm-audit\"")).then_some("JUnit");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_reports_are_known_by_first_line_and_a_line_only_they_have() {
        let table = format!("{TABLE_REPORT_FIRST_LINE}\n\nsettings: s.toml\nVerdict: PASSED (exit code 0)\n");
        assert_eq!(own_report(&table), Some("table"));
        assert_eq!(own_report(&format!("\u{feff}{table}")), Some("table"));
        // Cut short, or a cockpit export whose comment merely says so: read as what it is.
        assert_eq!(own_report(&format!("{TABLE_REPORT_FIRST_LINE}\n\nsettings: s.toml\n")), None);
        assert_eq!(own_report("# calm-audit table report of last week\nName=CALM_X\nURL=https\\://x/\n"), None);
        assert_eq!(own_report("## calm-audit: no findings\n\n**Run:** 2026-01-01T00:00:00Z\n"), Some("Markdown"));
        assert_eq!(own_report("<!DOCTYPE html>\n<html>\n<meta name=\"generator\" content=\"calm-audit 0.1.0\">\n"), Some("HTML"));
        assert_eq!(own_report("<?xml version=\"1.0\"?>\n<testsuites name=\"calm-audit\" tests=\"1\">\n"), Some("JUnit"));
        assert_eq!(own_report("<!DOCTYPE html>\n<html>\n"), None);
        assert_eq!(own_report("Name=CALM_X\n"), None);
    }

    #[test]
    fn a_fix_never_holds_a_secret_or_a_url_credential_as_its_value() {
        crate::model::secret::remember_secret("FIXUNIT-secret-9f3k2q");
        let f = Fix::set("clientId", "sb-id FIXUNIT-secret-9f3k2q", "the key's uaa.clientid");
        assert_eq!((f.value(), f.line()), (None, "set clientId to the key's uaa.clientid (the value is not shown here)"));
        let f = Fix::set("URL", "https://user:pw@t.eu10.alm.cloud.sap/", "the key's endpoints.Api");
        assert!(f.value().is_none() && !f.line().contains("pw@"), "{f:?}");
        let f = Fix::set("URL", "https://t.eu10.alm.cloud.sap/\u{1b}[2J", "x");
        assert!(f.value().is_none(), "a control character never becomes a value");
        let f = Fix::set("tokenServiceURLType", "Dedicated", "the rule's value");
        assert_eq!((f.value(), f.line()), (Some("Dedicated"), "set tokenServiceURLType to \"Dedicated\""));
    }

    #[test]
    fn a_masked_value_is_dropped_and_its_step_masked() {
        let mut f = Fix::set("Description", "plain TOKEN-like-Xy7Zq9Lm2 text", "x");
        f.written_as("old");
        f.mask_with(&|t: &str| t.contains("Xy7Zq9Lm2").then(|| t.replace("TOKEN-like-Xy7Zq9Lm2", "***")));
        assert_eq!((f.value(), f.was(), f.line()), (None, None, "set Description to \"plain *** text\""));
    }
}
