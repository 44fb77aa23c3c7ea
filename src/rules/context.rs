//! What the rules read and return: the run's [`Inputs`], a rule's [`Outcome`], and the purpose
//! each in-scope destination is judged by (SPEC §3a). The rule files and the engine both build
//! on this module; the rule files never reach into the engine.

use std::borrow::Cow;
use std::cell::OnceCell;

use super::profiles::{Condition, Profile, Profiles, Verdict};
use crate::model::certificate::{KeyCertificate, Keystore};
use crate::model::{CloudAlmKey, Destination, Fix, Location, NotAudited, ProfileChoice, Settings, Severity, Status};

/// Everything a run has to judge.
#[derive(Default)]
pub struct Inputs<'a> {
    pub destinations: &'a [Destination],
    /// Whether any destination source was given (an empty folder still counts).
    pub destinations_given: bool,
    pub settings: Option<&'a Settings>,
    pub key: Option<&'a CloudAlmKey>,
    /// Destinations were read from the live Destination Service.
    pub live: bool,
    /// The find call was made for each in-scope destination (`--probe`).
    pub probe: bool,
    /// Why the destination list is incomplete (a source failed part way), in a few words that
    /// point at the source failures rather than repeat them; `None` when complete.
    pub incomplete: Option<String>,
    /// Where the first failed source is, when it is a file: the results that cannot be judged on
    /// an incomplete list point there rather than at the settings.
    pub incomplete_at: Option<Location>,
    /// Profiles chosen explicitly (`--profile`, `profile = "..."`, `[profiles]`).
    pub choices: Choices,
    /// Keystores and certificate files of the run, opened for the destinations that name them.
    pub keystores: &'a [Keystore],
    /// A certificate source was read (a file, the live lists): a keystore not found is missing.
    pub certificate_source: bool,
    /// The certificate of the X.509 destination service key of a live read.
    pub destination_key_certificate: Option<&'a KeyCertificate>,
    /// The run's instant and the expiry horizon (CALM062, CALM063).
    pub clock: Clock,
    /// [`Inputs::keystores`] by name, built once on first use: leave it to `..Default::default()`.
    pub keystore_index: OnceCell<crate::model::certificate::Index>,
    /// The in-scope destinations and their purposes, worked out once on first use: leave it to
    /// `..Default::default()`.
    pub recognised_cache: OnceCell<Recognised<'a>>,
}

/// The expiry horizon when none is configured (CALM063).
pub const DEFAULT_EXPIRY_DAYS: u32 = 30;

/// The run's instant and horizon, fixed once per run.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Seconds since 1970 ([`crate::clock::run_instant`]).
    pub now: i64,
    /// CALM063: certificates must still be valid this many days after `now`.
    pub expiry_days: u32,
}

impl Default for Clock {
    fn default() -> Self {
        let now = crate::clock::run_instant()
            .unwrap_or_else(|_| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64));
        Clock { now, expiry_days: DEFAULT_EXPIRY_DAYS }
    }
}

/// Profiles chosen by the user; they beat recognition (SPEC §3a).
#[derive(Clone, Debug, Default)]
pub struct Choices {
    /// For the whole run (`--profile`, `profile = "..."` at the top of the file or in a
    /// `[[target]]`): the profile and where it was chosen.
    pub run: Option<(&'static Profile, String)>,
    /// `[profiles]`: a destination name or glob, the profile, where it was chosen; an exact
    /// name beats a glob, then the first glob in file order wins. Beats `run`.
    pub by_name: Vec<(String, &'static Profile, String)>,
}

/// The purpose an in-scope destination was recognised as.
#[derive(Clone, Debug)]
pub enum Purpose {
    /// Judged by `profile`; `reason` says why it was chosen.
    Judged { profile: &'static Profile, reason: Cow<'static, str> },
    /// Recognised as a purpose that is not audited: what it is for, and how it was recognised.
    NotAudited { what: &'static str, reason: &'static str },
}

/// The in-scope destinations of a run, split by [`recognise`].
#[derive(Default)]
pub struct Recognised<'a> {
    /// Judged destinations, in order.
    pub audited: Vec<&'a Destination>,
    /// The profile of each of `audited`, in the same order.
    pub judged: Vec<(&'static Profile, Cow<'static, str>)>,
    /// In scope and recognised as a purpose that is not audited: position in
    /// [`Inputs::destinations`], what it is for, how it was recognised.
    pub excluded: Vec<(usize, &'static str, &'static str)>,
    /// Defined as code with a name known only at deployment, no known part showing Cloud ALM
    /// and no `[profiles]` entry settling it: its scope is unknown (SPEC 2.1). Position, and
    /// the destination.
    pub unknown: Vec<(usize, &'a Destination)>,
    /// Positions of scope-unknown destinations a `[profiles]` entry settled (they are audited).
    pub settled: Vec<usize>,
}

impl<'a> Inputs<'a> {
    fn recognised(&self) -> &Recognised<'a> {
        self.recognised_cache.get_or_init(|| {
            let mut r = Recognised::default();
            for (i, d) in self.destinations.iter().enumerate() {
                if !in_scope(d, self.settings) {
                    if let Some(expression) = d.name_expression() {
                        match settled(d, expression, &self.choices) {
                            Some((profile, reason)) => {
                                r.audited.push(d);
                                r.judged.push((profile, Cow::Owned(reason.to_owned())));
                                r.settled.push(i);
                            }
                            None => r.unknown.push((i, d)),
                        }
                    }
                    continue;
                }
                match recognise(d, self.settings, &self.choices) {
                    Purpose::Judged { profile, reason } => {
                        r.audited.push(d);
                        r.judged.push((profile, reason));
                    }
                    Purpose::NotAudited { what, reason } => r.excluded.push((i, what, reason)),
                }
            }
            r
        })
    }

    /// The keystore a destination at `level` that names `name` would use ([`crate::model::certificate::Index::find`]).
    pub fn keystore(
        &self,
        name: &str,
        level: Option<crate::model::Level>,
        near: &str,
    ) -> Option<(&'a Keystore, crate::model::certificate::Match)> {
        let index = self.keystore_index.get_or_init(|| crate::model::certificate::Index::new(self.keystores));
        index.find(self.keystores, name, level, near).map(|(i, how)| (&self.keystores[i], how))
    }

    /// The destinations audited: in scope ([`in_scope`] with these settings) and not
    /// recognised as a purpose that is not audited; in order, judged once per run.
    pub fn scoped(&self) -> &[&'a Destination] {
        &self.recognised().audited
    }

    /// The profile of each of [`Inputs::scoped`], in the same order.
    pub fn profiles(&self) -> &[(&'static Profile, Cow<'static, str>)] {
        &self.recognised().judged
    }

    /// How many destinations are in scope (SPEC §3), audited or recognised as not audited.
    pub fn in_scope_count(&self) -> usize {
        let r = self.recognised();
        r.audited.len() + r.excluded.len()
    }

    /// The destinations whose scope is unknown (SPEC 2.1), in order: judged only by the rules
    /// of `[scope_unknown]` in `rules/profiles.toml`.
    pub fn scope_unknown(&self) -> impl Iterator<Item = &'a Destination> + '_ {
        self.recognised().unknown.iter().map(|(_, d)| *d)
    }

    /// The purpose of one destination, for results that name a destination outside the
    /// engine's per-destination loop; `None` when it is not in scope.
    pub fn purpose(&self, d: &Destination) -> Option<Purpose> {
        if in_scope(d, self.settings) {
            return Some(recognise(d, self.settings, &self.choices));
        }
        let (profile, reason) = settled(d, d.name_expression()?, &self.choices)?;
        Some(Purpose::Judged { profile, reason: Cow::Owned(reason.to_owned()) })
    }

    /// Whether `d` is audited (in scope and not excluded by its purpose).
    pub fn audited(&self, d: &Destination) -> bool {
        matches!(self.purpose(d), Some(Purpose::Judged { .. }))
    }

    /// The destinations [`not_audited`] must not call out of scope, in order: those in scope
    /// and recognised as a purpose that is not audited, and those whose scope is unknown, each
    /// with the reason; and, with no reason, those out of scope by name that `[profiles]`
    /// settled (they are audited).
    pub fn excluded(&self) -> Vec<(usize, Option<String>)> {
        let r = self.recognised();
        let mut out: Vec<(usize, Option<String>)> = r.excluded.iter().map(|(i, what, why)| (*i, Some(format!("{what} ({why})")))).collect();
        out.extend(r.unknown.iter().map(|(i, d)| (*i, Some(scope_unknown_reason(d)))));
        out.extend(r.settled.iter().map(|i| (*i, None)));
        out.sort_by_key(|(i, _)| *i);
        out
    }
}

/// How the reason of a destination whose scope is unknown starts (SPEC 2.1).
pub const SCOPE_UNKNOWN: &str = "scope unknown:";

/// Why a destination's scope is unknown, naming the expression and where it is defined.
pub fn scope_unknown_reason(d: &Destination) -> String {
    let expression = d.name_expression().unwrap_or("an expression");
    let object = d.origin.code.as_ref().map_or("", |c| c.object.as_str());
    format!(
        "{SCOPE_UNKNOWN} the name comes from {expression} ({object}), known only at deployment, and nothing known of it shows SAP Cloud ALM; \
         settle it with [profiles], a variables file or an extension descriptor (CALM034)"
    )
}

/// The profile `[profiles]` gives a destination whose name is known only at deployment: an
/// entry for the expression as written (`var.name`, `${dest-name}`) or for the object that
/// defines it (the Terraform address, `resource calm-destination`).
fn settled<'c>(d: &Destination, expression: &str, choices: &'c Choices) -> Option<(&'static Profile, &'c str)> {
    let object = d.origin.code.as_ref().map_or("", |c| c.object.as_str());
    let exact = |pattern: &str| pattern == expression || pattern == object;
    let glob = |pattern: &str| crate::model::glob::glob_match(pattern, expression) || crate::model::glob::glob_match(pattern, object);
    let found = choices.by_name.iter().find(|(p, _, _)| exact(p)).or_else(|| choices.by_name.iter().find(|(p, _, _)| glob(p)))?;
    Some((found.1, found.2.as_str()))
}

/// Every destination read and not audited, with the reason, in the order read: those
/// [`Inputs::excluded`] names, and those out of scope with these settings. Needs only the
/// destinations and the settings, so it can run beside the audit.
pub fn not_audited(destinations: &[Destination], excluded: &[(usize, Option<String>)], settings: Option<&Settings>) -> Vec<NotAudited> {
    let mut next = excluded.iter().peekable();
    let mut out = Vec::with_capacity(destinations.len());
    for (i, d) in destinations.iter().enumerate() {
        if let Some((_, reason)) = next.next_if(|(at, _)| *at == i) {
            if let Some(reason) = reason {
                out.push(NotAudited { name: d.shown_name().to_owned(), reason: reason.clone().into(), target: None });
            }
        } else if !in_scope(d, settings) {
            let reason = match not_audited_by_name(d.name()) {
                Some((what, why)) => format!("{what} ({why})").into(),
                None => OUT_OF_SCOPE.into(),
            };
            out.push(NotAudited { name: d.name().to_owned(), reason, target: None });
        }
    }
    out
}

/// What an out-of-scope destination is for, when its name alone shows it is one of SAP's own
/// that is not audited (SPEC §3a: `SAP_Business_Notifications_Mail` is a MAIL destination, with
/// no Cloud ALM URL to bring it into scope): the first recognition step about the name decides,
/// as for an in-scope destination. Only the name is looked at, which is all that is kept of an
/// out-of-scope destination.
fn not_audited_by_name(name: &str) -> Option<(&'static str, &'static str)> {
    let name = name.trim();
    let about_name = |step: &&super::profiles::Step| match &step.condition {
        Condition::Name(n) => eq(name, n, step.ignore_case),
        Condition::NamePrefix(p) => starts(name, p, step.ignore_case),
        Condition::Settings | Condition::Property(_) | Condition::HostSuffix(_) => false,
    };
    let steps = &Profiles::builtin().recognise;
    // Almost every out-of-scope name (99,000 of a large landscape) matches no step that leaves a
    // destination unaudited: asked of those few steps first.
    if !steps.iter().filter(|step| matches!(step.verdict, Verdict::NotAudited(_))).any(|step| about_name(&step)) {
        return None;
    }
    let step = steps.iter().find(about_name)?;
    match &step.verdict {
        Verdict::NotAudited(what) => Some((what.as_str(), step.reason.as_str())),
        Verdict::Profile(_) => None,
    }
}

/// Why a destination outside SPEC §3's scope was left alone.
pub const OUT_OF_SCOPE: &str = "out of scope: not a Cloud ALM name, URL host or settings destination";

/// The profile as a result carries it: name, and why it was chosen (with the hint of a profile
/// that judges by the common rules only, and the common rules the profile leaves out with why,
/// so that a reader missing a rule's result on the destination learns the reason).
pub fn choice(profile: &Profile, reason: &str) -> ProfileChoice {
    let mut reason = match &profile.hint {
        Some(hint) => format!("{reason}; {hint}"),
        None => reason.to_owned(),
    };
    for (code, why) in &profile.leaves_out {
        reason.push_str(&format!("; {code} left out: {why}"));
    }
    ProfileChoice { name: profile.name.clone(), reason }
}

/// In scope (SPEC §3): `Name` starts with `CALM_` in any case or is
/// `sap_process_automation_cloud_alm`, or the URL host is a Cloud ALM host, or the settings
/// name the destination.
pub fn in_scope(d: &Destination, settings: Option<&Settings>) -> bool {
    d.is_cloud_alm(settings.and_then(Settings::named_destination))
}

fn eq(a: &str, b: &str, ignore_case: bool) -> bool {
    if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b }
}

fn starts(text: &str, prefix: &str, ignore_case: bool) -> bool {
    text.get(..prefix.len()).is_some_and(|head| eq(head, prefix, ignore_case))
}

fn ends(text: &str, suffix: &str, ignore_case: bool) -> bool {
    text.len() >= suffix.len() && text.get(text.len() - suffix.len()..).is_some_and(|tail| eq(tail, suffix, ignore_case))
}

/// The purpose of an in-scope destination (SPEC §3a): the explicit choices, then the
/// recognition steps of `rules/profiles.toml` in order; the first that matches decides.
pub fn recognise(d: &Destination, settings: Option<&Settings>, choices: &Choices) -> Purpose {
    // Recognised by the name as meant; CALM017 judges surrounding white space as written.
    let name = d.name().trim();
    let mapped = choices
        .by_name
        .iter()
        .find(|(pattern, _, _)| pattern == name)
        .or_else(|| choices.by_name.iter().find(|(pattern, _, _)| crate::model::glob::glob_match(pattern, name)));
    if let Some((_, profile, reason)) = mapped {
        return Purpose::Judged { profile, reason: Cow::Owned(reason.clone()) };
    }
    if let Some((profile, reason)) = &choices.run {
        return Purpose::Judged { profile, reason: Cow::Owned(reason.clone()) };
    }
    let profiles = Profiles::builtin();
    for step in &profiles.recognise {
        let hit = match &step.condition {
            Condition::Settings => settings.and_then(Settings::named_destination).is_some_and(|n| n.trim() == name.trim()),
            Condition::Name(n) => eq(name, n, step.ignore_case),
            Condition::NamePrefix(p) => {
                starts(name, p, step.ignore_case)
                    || d.origin.code.as_ref().and_then(|c| c.name_start.as_deref()).is_some_and(|s| starts(s, p, step.ignore_case))
            }
            Condition::Property(key) => d.get(key).is_some(),
            Condition::HostSuffix(suffix) => {
                d.text("URL").and_then(crate::model::url::host_lower).is_some_and(|h| ends(&h, suffix, step.ignore_case))
            }
        };
        if !hit {
            continue;
        }
        return match &step.verdict {
            Verdict::Profile(p) => match profiles.find(p) {
                Some(profile) => Purpose::Judged { profile, reason: Cow::Borrowed(step.reason.as_str()) },
                None => continue,
            },
            Verdict::NotAudited(what) => Purpose::NotAudited { what: what.as_str(), reason: step.reason.as_str() },
        };
    }
    // In scope, yet no step matched (the settings named it and they are absent here, say):
    // the common rules are all that can be said to apply.
    let fallback = profiles.find("cloud-alm-push").or(profiles.profiles.last());
    match fallback {
        Some(profile) => Purpose::Judged { profile, reason: Cow::Borrowed("in scope, no purpose recognised") },
        None => Purpose::NotAudited { what: "no profile is defined", reason: "in scope" },
    }
}

/// What a rule says about one object.
pub struct Outcome {
    pub status: Status,
    pub message: String,
    pub property: Option<String>,
    /// Lowers the rule's severity for this result (never raises it).
    pub severity: Option<Severity>,
    /// Overrides the location derived from the object and property.
    pub location: Option<Location>,
    /// What to change (SPEC §5a); the engine gives every failing destination result one.
    pub fix: Option<Box<Fix>>,
}

impl Outcome {
    pub(super) fn new(status: Status, message: impl Into<String>) -> Self {
        Outcome { status, message: message.into(), property: None, severity: None, location: None, fix: None }
    }
    pub fn pass(message: impl Into<String>) -> Self {
        Self::new(Status::Pass, message)
    }
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(Status::Fail, message)
    }
    /// Could not be evaluated: the data to judge it is missing because a source failed.
    pub fn new_error(message: impl Into<String>) -> Self {
        Self::new(Status::Error, message)
    }
    pub fn manual(message: impl Into<String>) -> Self {
        Self::new(Status::Manual, message)
    }
    pub fn not_applicable(message: impl Into<String>) -> Self {
        Self::new(Status::NotApplicable, message)
    }
    pub fn on(mut self, property: &str) -> Self {
        self.property = Some(property.to_owned());
        self
    }
    pub fn at(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
    pub fn located(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }
    /// What to change; kept only on a `fail` or `error` result.
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(Box::new(fix));
        self
    }
}

/// What a landscape rule reports about: the whole run, or one destination.
pub enum Subject<'a> {
    Landscape,
    Destination(&'a Destination),
}

/// A destination's value in quotes, as a message shows it; a value that equals or contains a
/// secret the run has read, however short (a `clientId` holding the key's client secret, a
/// secret pasted after the id or into the wrong field), is never shown, whichever field it sits
/// in.
pub fn quoted(value: &str) -> String {
    if crate::model::secret::is_remembered(value) {
        "a value equal to a secret (not shown)".to_owned()
    } else if crate::model::secret::holds_remembered(value) {
        SECRET_NOT_SHOWN.to_owned()
    } else {
        format!("\"{value}\"")
    }
}

/// What a message says in place of a value that holds a secret of the run.
pub const SECRET_NOT_SHOWN: &str = "a value that contains a secret (not shown)";

/// A value in quotes with white space and control characters escaped (`"\tid "`), unless it
/// holds a secret of the run: the escaped text would be a form of it no masker knows.
pub fn quoted_escaped(value: &str) -> String {
    if crate::model::secret::holds_remembered(value) { SECRET_NOT_SHOWN.to_owned() } else { format!("\"{}\"", value.escape_debug()) }
}
