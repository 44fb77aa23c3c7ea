//! Renderers: one per format behind one closed enum. Each takes the finished [`Report`]
//! and returns the text; writing it anywhere is the caller's business.

pub mod catalog;
pub mod certificates;
pub mod group;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod profiles;
pub mod sarif;
pub mod table;
pub mod text;

pub use crate::model::SourceFailure;
use crate::model::{Finding, Severity, Status};
use crate::rules::Catalog;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
}

/// Formats of the catalog pages (`rules`, `profiles`). Here rather than in `catalog.rs`, so that
/// the catalog page may use the profile texts of `profiles.rs` without the two importing each
/// other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CatalogFormat {
    Table,
    Json,
    Markdown,
}

/// What was read, so a report can say what it covered.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Coverage {
    /// Destination files (and archive entries) read.
    pub files_read: usize,
    /// Files in walked folders that were not destination files.
    pub files_skipped: Vec<String>,
    /// Terraform variables files found and not applied: Terraform loads them only when given
    /// with `-var-file` (`--var-file` applies them). Also in `files_skipped`.
    pub var_files_not_applied: Vec<String>,
    /// Files and folders walks left out by an ignore rule, counted by the kind of ignore file
    /// (`.gitignore`, `.ignore`, `.git/info/exclude`); `-v` lists them.
    #[serde(serialize_with = "ignored_as_map")]
    pub files_ignored: Vec<(String, usize)>,
    pub destinations_found: usize,
    /// In scope (SPEC §3): named CALM_*, a Cloud ALM URL, or named by the settings.
    pub destinations_in_scope: usize,
    /// In scope and judged by a profile; the others in scope are purposes that are not
    /// audited (SPEC §3a), listed in the report's `not_audited`.
    pub destinations_audited: usize,
    /// In scope and recognised as a purpose that is not audited (SPEC §3a).
    pub destinations_in_scope_not_audited: usize,
    /// Defined as code with a name known only at deployment: scope unknown (SPEC 2.1, CALM034).
    pub destinations_scope_unknown: usize,
    /// Neither in scope nor of unknown scope. `destinations_found` = audited + in scope not
    /// audited + scope unknown + out of scope, always.
    pub destinations_out_of_scope: usize,
    /// The settings read; with several targets `per target` (each target's own is in its
    /// coverage and in the run's inputs), `None` when none was given.
    pub settings: Option<String>,
    pub cloud_alm_key: Option<String>,
    /// Destination service base URL of a live read.
    pub live_service: Option<String>,
    /// Subaccount of a live read (from the token).
    pub subaccount_id: Option<String>,
    /// Certificate and keystore files, live certificates and Terraform uploads read (SPEC §3b).
    pub certificate_files: usize,
    /// Of those, the ones no audited destination names: counted, not judged.
    pub certificates_unused: usize,
}

impl Coverage {
    /// "13 destination(s) found: 10 audited, 1 in scope not audited, 2 out of scope": the parts,
    /// each named, add up to the destinations found (SPEC §6); the same words in every format.
    pub fn destinations_text(&self) -> String {
        let mut s = format!(
            "{} destination(s) found: {} audited, {} in scope not audited, {} out of scope",
            self.destinations_found, self.destinations_audited, self.destinations_in_scope_not_audited, self.destinations_out_of_scope
        );
        if self.destinations_scope_unknown > 0 {
            s.push_str(&format!(", {} scope unknown (CALM034)", self.destinations_scope_unknown));
        }
        s
    }
}

/// Masks the texts of a coverage summary ([`Report::mask_values`]).
fn mask_coverage(m: &crate::output::mask::Masker, c: &mut Coverage) {
    c.files_skipped.iter_mut().for_each(|f| mask_in_place(m, f));
    c.var_files_not_applied.iter_mut().for_each(|f| mask_in_place(m, f));
    c.files_ignored.iter_mut().for_each(|(by, _)| mask_in_place(m, by));
    for text in [&mut c.settings, &mut c.cloud_alm_key, &mut c.live_service, &mut c.subaccount_id] {
        mask_option(m, text);
    }
}

fn ignored_as_map<S: serde::Serializer>(ignored: &[(String, usize)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(ignored.iter().map(|(by, n)| (by, n)))
}

/// "3 ignored by .gitignore, 1 by .ignore": what the coverage says of ignored files.
pub fn ignored_summary(ignored: &[(String, usize)]) -> String {
    let parts: Vec<String> = ignored
        .iter()
        .enumerate()
        .map(|(i, (by, n))| if i == 0 { format!("{n} ignored by {by}") } else { format!("{n} by {by}") })
        .collect();
    parts.join(", ")
}

/// How the reports should look, resolved once from the flags.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Table and SARIF also show `pass` and `not_applicable` results.
    pub all_results: bool,
    /// ANSI colour in the table.
    pub color: bool,
    /// Results at or above this severity count for the exit code (`None`: never).
    pub fail_on: Option<Severity>,
    /// SARIF carries waived results, with `suppressions` (left out by default: GitHub would
    /// open alerts for them).
    pub sarif_waived: bool,
    /// Columns the table report is laid out for (terminal, then `COLUMNS`, then
    /// [`text::DEFAULT_WIDTH`]).
    pub width: usize,
    /// The table names every destination not audited, not only the first few.
    pub verbose: bool,
    /// CALM063's horizon in days: reports mark the certificates that expire within it.
    pub expiry_days: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            all_results: false,
            color: false,
            fail_on: Some(Severity::Error),
            sarif_waived: false,
            width: text::DEFAULT_WIDTH,
            verbose: false,
            expiry_days: crate::rules::certificates::DEFAULT_EXPIRY_DAYS,
        }
    }
}

pub struct Report {
    pub catalog: &'static Catalog,
    pub findings: Vec<Finding>,
    /// All targets together.
    pub coverage: Coverage,
    pub failures: Vec<SourceFailure>,
    pub options: Options,
    /// One entry per target of a run with several; empty otherwise.
    pub targets: Vec<TargetSummary>,
    /// Expired waivers and waivers that matched nothing.
    pub waiver_notes: Vec<WaiverNote>,
    /// The baseline compared with, and its failures that are gone.
    pub baseline: Option<BaselineSummary>,
    /// Destinations read and not audited, with the reason (out of scope, or a purpose that is
    /// not audited).
    pub not_audited: Vec<crate::model::NotAudited>,
    /// When and with what the report was made.
    pub run: RunInfo,
    /// Inputs the rules need that were not given: the audit is partial (SPEC §5).
    pub partial: Vec<Missing>,
    /// The certificates in use, soonest to expire first (SPEC §3b).
    pub certificates: Vec<crate::model::certificate::CertificateRow>,
}

/// What one target covered, and how it went.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TargetSummary {
    pub name: String,
    /// Read in full and, if it could be read at all, audited.
    pub complete: bool,
    pub coverage: Coverage,
    /// Where the target is configured: `calm-audit.toml:12`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defined_at: Option<String>,
    /// Why nothing of the target could be audited (a mistyped path, a key that cannot be read):
    /// the other targets are audited all the same and the run exits 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its failures that count for the exit code.
    pub failing: usize,
    /// `passed`, `failed`, `incomplete` or `not_audited`.
    pub verdict: &'static str,
    /// Inputs the rules need that this target was not given.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub partial: Vec<Missing>,
}

impl TargetSummary {
    /// A complete target of that name with nothing in it (tests, and the start of a summary).
    pub fn new(name: &str) -> Self {
        TargetSummary {
            name: name.to_owned(),
            complete: true,
            coverage: Coverage::default(),
            defined_at: None,
            error: None,
            failing: 0,
            verdict: "passed",
            partial: Vec::new(),
        }
    }

    /// How the run's source failures name a target that could not be read at all.
    pub fn failure_source(name: &str, defined_at: Option<&str>) -> String {
        match defined_at {
            Some(at) => format!("target {name} ({at})"),
            None => format!("target {name}"),
        }
    }

    /// The target's verdict line, the same words in the table and Markdown reports: where it is
    /// configured, the verdict, the failing count at the threshold, complete or not, partial or not.
    pub fn verdict_line(&self, fail_on: Option<Severity>) -> String {
        let at = self.defined_at.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
        let threshold = fail_on.map_or_else(|| "counted: --fail-on never".to_owned(), |s| format!("at or above {}", s.as_str()));
        let mut line = match &self.error {
            Some(error) => format!("Target {}{at}: NOT AUDITED, it could not be read: {error}", self.name),
            None => {
                let state = if self.complete { "read in full" } else { "not read in full" };
                format!("Target {}{at}: {}: {} failing {threshold}; {state}", self.name, self.verdict.to_uppercase(), self.failing)
            }
        };
        if !self.partial.is_empty() {
            line.push_str(&format!("; {}", partial_text(&self.partial)));
        }
        line
    }
}

/// When and with what a report was made (SPEC §5): the same in every format.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunInfo {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub started: String,
    pub ended: String,
    /// `SOURCE_DATE_EPOCH` or `CALM_AUDIT_TODAY` (both times fixed, the report reproducible),
    /// or `clock`.
    pub time_source: &'static str,
    pub calm_audit_version: &'static str,
    /// [`crate::rules::catalog_version`].
    pub catalog_version: &'static str,
    /// Every input read, in the order given.
    pub inputs: Vec<InputUsed>,
}

impl RunInfo {
    /// One line for the table, Markdown and HTML reports.
    pub fn line(&self) -> String {
        let fixed = if self.time_source == "clock" { String::new() } else { format!(", fixed by {}", self.time_source) };
        format!(
            "Run: {} to {} (UTC{fixed}); calm-audit {}, catalog {}",
            self.started, self.ended, self.calm_audit_version, self.catalog_version
        )
    }

    /// The inputs as one phrase per kind: `destinations a, b; settings s.toml; ...`; with
    /// `say_missing`, the settings and the key are named "not given" when they were not.
    pub fn inputs_text(&self, say_missing: bool) -> String {
        let mut parts: Vec<String> = Vec::new();
        for kind in
            [InputKind::Destinations, InputKind::DestinationService, InputKind::Settings, InputKind::CloudAlmKey, InputKind::TargetsNotUsed]
        {
            if let Some(items) = self.sources_of(kind) {
                parts.push(format!("{} {items}", kind.label()));
            } else if say_missing && matches!(kind, InputKind::Settings | InputKind::CloudAlmKey) {
                parts.push(format!("{} not given", kind.label()));
            }
        }
        if parts.is_empty() { "none".to_owned() } else { parts.join("; ") }
    }

    /// The inputs of one kind, each source once with the targets that use it:
    /// `ex/settings.toml (prod, test)`; `None` when the run has none of that kind.
    pub fn sources_of(&self, kind: InputKind) -> Option<String> {
        let mut sources: Vec<(&str, Vec<&str>)> = Vec::new();
        for i in self.inputs.iter().filter(|i| i.kind == kind) {
            let at = match sources.iter().position(|(s, _)| *s == i.source) {
                Some(at) => at,
                None => {
                    sources.push((&i.source, Vec::new()));
                    sources.len() - 1
                }
            };
            sources[at].1.extend(i.target.as_deref());
        }
        let items: Vec<String> = sources
            .iter()
            .map(|(s, targets)| if targets.is_empty() { (*s).to_owned() } else { format!("{s} ({})", targets.join(", ")) })
            .collect();
        (!items.is_empty()).then(|| items.join(", "))
    }
}

/// One input of a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputUsed {
    pub kind: InputKind,
    /// The path as given (`-` is `<stdin>`), or the Destination service's URL for a live read.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Destinations,
    DestinationService,
    Settings,
    CloudAlmKey,
    /// Paths were given on the command line while the configuration names `[[target]]`s:
    /// those targets (`prod, test of calm-audit.toml`) were not used (SPEC §6).
    TargetsNotUsed,
}

impl InputKind {
    pub fn label(self) -> &'static str {
        match self {
            InputKind::Destinations => "destinations",
            InputKind::DestinationService => "live Destination service",
            InputKind::Settings => "settings",
            InputKind::CloudAlmKey => "Cloud ALM key",
            InputKind::TargetsNotUsed => "configured targets not used (paths given on the command line):",
        }
    }
}

/// An input the rules need that was not given (SPEC §5, a partial audit).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    /// The name `--require` takes: `calm-key` or `settings`.
    pub input: &'static str,
    /// The flag that gives it.
    pub flag: &'static str,
    /// What it is, for people.
    pub what: &'static str,
    /// Rules of the run that could not judge anything without it.
    pub rules: usize,
    /// With targets: those that lack it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub targets: Vec<String>,
}

/// "a partial audit: no Cloud ALM key (--calm-key), 9 rule(s) could not run; ...".
pub fn partial_text(missing: &[Missing]) -> String {
    let items: Vec<String> = missing
        .iter()
        .map(|m| {
            let targets = if m.targets.is_empty() { String::new() } else { format!(" in {}", m.targets.join(", ")) };
            format!("no {} ({}){targets}, {} rule(s) could not run", m.what, m.flag, m.rules)
        })
        .collect();
    format!("a partial audit: {}", items.join("; "))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverProblem {
    /// Past its `expires` date: it no longer applies.
    Expired,
    /// Applied to no result of this run.
    Unmatched,
}

/// A waiver worth telling the user about.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WaiverNote {
    pub problem: WaiverProblem,
    pub rule: String,
    pub destination: Option<String>,
    pub target: Option<String>,
    pub reason: String,
    pub expires: String,
    /// Where the waiver is written: `calm-audit.toml:12`.
    pub defined_at: String,
}

/// The comparison with `--baseline`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BaselineSummary {
    pub path: String,
    /// Failures of this run that the baseline did not have.
    pub new: usize,
    /// Failures of this run the baseline already had.
    pub unchanged: usize,
    /// Failures of the baseline that this run looked at and no longer has: gone.
    pub absent: Vec<AbsentFinding>,
    /// Failures of the baseline this run could not look at (their target or source was not
    /// read, or their rule could not judge them): never called gone (SPEC §6), each with why.
    pub not_compared: Vec<NotCompared>,
}

impl BaselineSummary {
    /// "3 new, 20 unchanged, 0 gone, 4 not compared": the same words in every format.
    pub fn counts_text(&self) -> String {
        format!("{} new, {} unchanged, {} gone, {} not compared", self.new, self.unchanged, self.absent.len(), self.not_compared.len())
    }

    /// Why failures of the baseline were not compared, each reason once with how many it covers.
    pub fn not_compared_reasons(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for n in &self.not_compared {
            match out.iter_mut().find(|(r, _)| *r == n.reason) {
                Some((_, count)) => *count += 1,
                None => out.push((n.reason.clone(), 1)),
            }
        }
        out
    }
}

/// A failure of the baseline that this run did not look at: it may or may not be fixed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NotCompared {
    #[serde(flatten)]
    pub finding: AbsentFinding,
    /// Why: `target test was not read: ...`, `its source a.json could not be read`.
    pub reason: String,
}

/// A failure of the baseline that is gone now.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AbsentFinding {
    pub fingerprint: String,
    pub code: String,
    pub object: String,
    pub message: String,
    pub location: crate::model::Location,
    /// The target the failure belonged to, when the baseline's run had targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Masks one text in place with `masker`; leaves it untouched (no copy) when it holds no secret.
fn mask_in_place(masker: &crate::output::mask::Masker, text: &mut String) {
    if let std::borrow::Cow::Owned(masked) = masker.mask(text) {
        *text = masked;
    }
}

fn mask_option(masker: &crate::output::mask::Masker, text: &mut Option<String>) {
    if let Some(t) = text {
        mask_in_place(masker, t);
    }
}

impl Report {
    /// Masks every text the report holds, every form of every secret the run has read, before
    /// any renderer lays it out (SPEC §8, masked before layout). A table that wraps a long word,
    /// an HTML page that adds line-break opportunities or a Markdown cell that escapes a pipe
    /// works on text that no longer holds a secret, so no layout can split one into pieces the
    /// output's masking writer (the last line of defence) would not recognise. Called once, when
    /// the run's results have entered the report and before it is rendered.
    pub fn mask_values(&mut self) {
        let masker = crate::output::mask::Masker::current();
        if masker.is_empty() {
            return;
        }
        let m = &*masker;
        // Results of one object share its `ObjectRef` (and one file its path): masked once each.
        let mut objects: std::collections::HashMap<*const crate::model::ObjectRef, std::sync::Arc<crate::model::ObjectRef>> =
            std::collections::HashMap::new();
        let mut paths: std::collections::HashMap<*const str, std::sync::Arc<str>> = std::collections::HashMap::new();
        let mut profiles: std::collections::HashMap<*const crate::model::ProfileChoice, std::sync::Arc<crate::model::ProfileChoice>> =
            std::collections::HashMap::new();
        for f in &mut self.findings {
            mask_in_place(m, &mut f.message);
            mask_option(m, &mut f.property);
            if let Some(fix) = f.fix.as_deref_mut() {
                fix.mask_with(&|text| match m.mask(text) {
                    std::borrow::Cow::Borrowed(_) => None,
                    std::borrow::Cow::Owned(masked) => Some(masked),
                });
            }
            mask_option(m, &mut f.target);
            if let Some(w) = &mut f.waived {
                mask_in_place(m, &mut w.reason);
            }
            let object = objects
                .entry(std::sync::Arc::as_ptr(&f.object))
                .or_insert_with(|| {
                    let (name, qualified) = (m.mask(&f.object.name), m.mask(&f.object.qualified_name));
                    if matches!((&name, &qualified), (std::borrow::Cow::Borrowed(_), std::borrow::Cow::Borrowed(_))) {
                        return std::sync::Arc::clone(&f.object);
                    }
                    let mut o = (*f.object).clone();
                    o.name = name.into_owned();
                    o.qualified_name = qualified.into_owned();
                    std::sync::Arc::new(o)
                })
                .clone();
            f.object = object;
            let path = paths
                .entry(std::sync::Arc::as_ptr(&f.location.path))
                .or_insert_with(|| match m.mask(&f.location.path) {
                    std::borrow::Cow::Borrowed(_) => std::sync::Arc::clone(&f.location.path),
                    std::borrow::Cow::Owned(p) => p.into(),
                })
                .clone();
            f.location.path = path;
            if let Some(p) = &f.profile {
                let p = profiles
                    .entry(std::sync::Arc::as_ptr(p))
                    .or_insert_with(|| {
                        let (name, reason) = (m.mask(&p.name), m.mask(&p.reason));
                        if matches!((&name, &reason), (std::borrow::Cow::Borrowed(_), std::borrow::Cow::Borrowed(_))) {
                            return std::sync::Arc::clone(p);
                        }
                        std::sync::Arc::new(crate::model::ProfileChoice { name: name.into_owned(), reason: reason.into_owned() })
                    })
                    .clone();
                f.profile = Some(p);
            }
        }
        mask_coverage(m, &mut self.coverage);
        for f in &mut self.failures {
            mask_in_place(m, &mut f.source);
            mask_in_place(m, &mut f.message);
        }
        for t in &mut self.targets {
            mask_in_place(m, &mut t.name);
            mask_coverage(m, &mut t.coverage);
            mask_option(m, &mut t.defined_at);
            mask_option(m, &mut t.error);
            for p in &mut t.partial {
                p.targets.iter_mut().for_each(|t| mask_in_place(m, t));
            }
        }
        for w in &mut self.waiver_notes {
            for text in [&mut w.rule, &mut w.reason, &mut w.expires, &mut w.defined_at] {
                mask_in_place(m, text);
            }
            mask_option(m, &mut w.destination);
            mask_option(m, &mut w.target);
        }
        if let Some(b) = &mut self.baseline {
            mask_in_place(m, &mut b.path);
            for n in &mut b.not_compared {
                mask_in_place(m, &mut n.reason);
            }
            for a in b.absent.iter_mut().chain(b.not_compared.iter_mut().map(|n| &mut n.finding)) {
                for text in [&mut a.code, &mut a.object, &mut a.message] {
                    mask_in_place(m, text);
                }
                mask_option(m, &mut a.target);
                if let std::borrow::Cow::Owned(p) = m.mask(&a.location.path) {
                    a.location.path = p.into();
                }
            }
        }
        for n in &mut self.not_audited {
            mask_in_place(m, &mut n.name);
            if let std::borrow::Cow::Owned(r) = m.mask(&n.reason) {
                n.reason = std::borrow::Cow::Owned(r);
            }
            mask_option(m, &mut n.target);
        }
        for i in &mut self.run.inputs {
            mask_in_place(m, &mut i.source);
            mask_option(m, &mut i.target);
        }
        for p in &mut self.partial {
            p.targets.iter_mut().for_each(|t| mask_in_place(m, t));
        }
        for c in &mut self.certificates {
            for text in [&mut c.name, &mut c.level, &mut c.source] {
                mask_in_place(m, text);
            }
            c.used_by.iter_mut().for_each(|u| mask_in_place(m, u));
            mask_option(m, &mut c.error);
            mask_option(m, &mut c.target);
            if let Some(info) = &mut c.certificate {
                mask_option(m, &mut info.subject_cn);
                mask_option(m, &mut info.issuer_cn);
                mask_in_place(m, &mut info.serial);
            }
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// `passed`, `failed` or `incomplete`: what the exit code says, in a word.
    pub fn verdict(&self) -> &'static str {
        // Nothing read is no incomplete audit: it is exit 2, named as every target's is.
        if self.none_read() {
            "not_audited"
        } else if !self.complete() {
            "incomplete"
        } else if self.failing() > 0 {
            "failed"
        } else {
            "passed"
        }
    }

    /// No target of a run with targets could be read: nothing was audited, an input error
    /// (exit 2, SPEC §8) rather than an incomplete audit.
    pub fn none_read(&self) -> bool {
        !self.targets.is_empty() && self.targets.iter().all(|t| t.error.is_some())
    }

    /// The code the run exits with, as every report names it: 2 when no target could be read,
    /// else 3 incomplete, 1 failing, 0.
    pub fn exit_code(&self) -> u8 {
        if self.none_read() {
            return 2;
        }
        match self.verdict() {
            "incomplete" => 3,
            "failed" => 1,
            _ => 0,
        }
    }

    /// The audit could not evaluate everything.
    pub fn complete(&self) -> bool {
        self.failures.is_empty() && self.count(Status::Error) == 0
    }

    /// Failures at or above `--fail-on` that count for the exit code: not waived and, with a
    /// baseline, new.
    pub fn failing(&self) -> usize {
        self.findings.iter().filter(|f| self.counts(f)).count()
    }

    /// Whether this result counts for the exit code.
    pub fn counts(&self, f: &Finding) -> bool {
        match self.options.fail_on {
            None => false,
            Some(threshold) => {
                f.status == Status::Fail
                    && f.severity <= threshold
                    && f.waived.is_none()
                    && f.baseline != Some(crate::model::BaselineState::Unchanged)
            }
        }
    }

    /// What ends the table and Markdown (SPEC §5a): `calm-audit explain CODE` for each rule with
    /// a failing result shown, in code order, one command a line so each can be copied whole.
    pub fn explain_commands(&self) -> Vec<String> {
        let codes: std::collections::BTreeSet<&str> =
            self.findings.iter().filter(|f| matches!(f.status, Status::Fail | Status::Error) && self.shown(f)).map(|f| f.code).collect();
        codes.iter().map(|c| format!("calm-audit explain {c}")).collect()
    }

    /// Whether a finding is shown in the table and SARIF.
    pub fn shown(&self, f: &Finding) -> bool {
        self.options.all_results || !matches!(f.status, Status::Pass | Status::NotApplicable)
    }

    /// The report as one text: [`Report::render_to`] into memory.
    pub fn render(&self, format: Format) -> String {
        let mut out = Vec::new();
        // Writing into memory fails only if a renderer does; the text says so rather than panic.
        if let Err(e) = self.render_to(format, &mut out) {
            return format!("the {format:?} report could not be rendered: {e}\n");
        }
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Writes the report to `out` as it is produced: no format holds the whole text, which for
    /// 100,000 audited destinations is over a gigabyte (several with `--all-results`).
    pub fn render_to(&self, format: Format, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match format {
            // Values from the inputs are made inert where a terminal or a viewer would act on them.
            Format::Table => table::write(self, &mut Inert { out, keep_colour: self.options.color }),
            Format::Json => json::write(self, out),
            Format::Sarif => sarif::write(self, out),
            Format::Junit => junit::write(self, &mut XmlSafe(out)),
            Format::Markdown => markdown::write(self, &mut Inert { out, keep_colour: false }),
            Format::Html => html::write(self, out),
        }
    }
}

/// Passes text on with the characters XML forbids escaped ([`crate::output::xml_safe`]); every
/// write must be whole UTF-8 text, as the JUnit writer's are.
struct XmlSafe<'a>(&'a mut dyn std::io::Write);

impl std::io::Write for XmlSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let text = std::str::from_utf8(buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.0.write_all(crate::output::xml_safe(text).as_bytes())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Passes text on made inert for a terminal or a Markdown viewer ([`crate::output::inert`]):
/// the last step of the table and Markdown reports, whatever a renderer let through. Every
/// write must be whole UTF-8 text and a colour sequence whole in one write, as those
/// renderers' writes are.
struct Inert<'a> {
    out: &'a mut dyn std::io::Write,
    keep_colour: bool,
}

impl std::io::Write for Inert<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let text = std::str::from_utf8(buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.out.write_all(crate::output::inert(text, self.keep_colour).as_bytes())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// FNV-1a, 64 bits: a stable, dependency-free hash for fingerprints (not for security).
fn fnv1a(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Identity of a result: rule, object, property, target and where the object came from (the
/// file relative to the working folder with the object's address in it, or the live target's
/// pseudo path with its level); not the line, the file order or the message wording, so it
/// survives edits that do not change what is wrong, and the same name failing in `prod/` and
/// in `dev/` are two results.
pub fn fingerprint(f: &Finding) -> String {
    let source = identity_source(f);
    fnv1a(&[
        f.code,
        f.object.kind.as_str(),
        &f.object.name,
        &source,
        f.property.as_deref().unwrap_or(""),
        f.target.as_deref().unwrap_or(""),
    ])
}

/// The identity results had before their source was part of it: rule, object, level and
/// property. A baseline written then still matches a result where this identity is unambiguous.
pub fn legacy_fingerprint(f: &Finding) -> String {
    let level = f.object.qualified_name.rsplit_once(" (").map_or("", |(_, l)| l);
    fnv1a(&[f.code, f.object.kind.as_str(), &f.object.name, level, f.property.as_deref().unwrap_or("")])
}

/// Where a result's object came from, without line numbers: its qualified name (`dev/a.json:3`,
/// `./infra/main.tf:11 module.em.btp_subaccount_destination.calm (subaccount level)`,
/// `btp/subaccount/<id>/destinations/X (instance level)`) with every `:<line>` removed, a
/// leading `./` dropped and an absolute path below the working folder made relative to it.
pub fn identity_source(f: &Finding) -> String {
    static WORKING: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let q = &f.object.qualified_name;
    let mut out = String::with_capacity(q.len());
    let mut rest = q.as_str();
    while let Some(i) = rest.find(':') {
        let digits = rest[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let after = rest[i + 1 + digits..].chars().next();
        out.push_str(&rest[..i]);
        if digits > 0 && after.is_none_or(|c| c == ' ') {
            rest = &rest[i + 1 + digits..];
        } else {
            out.push(':');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    let mut source = out.trim_start_matches("./").replace('\\', "/");
    let working = WORKING.get_or_init(|| std::env::current_dir().ok().map(|d| format!("{}/", d.display().to_string().replace('\\', "/"))));
    if let Some(w) = working
        && let Some(relative) = source.strip_prefix(w.as_str())
    {
        source = relative.to_owned();
    }
    source
}
