//! Runs every rule of the catalog over the inputs and turns outcomes into findings.
//! Rules never print and never exit: they return an [`Outcome`] per object. The engine sits
//! above the rule files: they know [`super::context`], never this module.

use std::sync::Arc;

use super::catalog::{Catalog, Requirement, Rule, Scope, Template};
use super::context::{Inputs, Outcome, Purpose, Subject, choice};
use super::profiles::Profiles;
use super::{certificates, destination, key, landscape, settings, templates};
use crate::model::certificate::KeyCertificate;
use crate::model::{CloudAlmKey, Destination, Finding, Location, ObjectKind, ObjectRef, ProfileChoice, Settings, Status};

type DestinationCheck = fn(&Destination, &Inputs) -> Outcome;
/// A destination check whose expectation depends on what the destination's profile leaves out.
type ProfiledDestinationCheck = fn(&Destination, &Inputs, &super::Profile) -> Outcome;
type SettingsCheck = fn(&Settings, &Inputs) -> Outcome;
type KeyCheck = fn(&CloudAlmKey, &Inputs) -> Outcome;
type LandscapeCheck = for<'a> fn(&Inputs<'a>) -> Vec<(Subject<'a>, Outcome)>;
type KeyCertificateCheck = fn(&KeyCertificate, &Inputs) -> Outcome;

enum Check {
    Destination(DestinationCheck),
    /// The certificates in use: a destination's keystore, and each key's certificate.
    Certificate(DestinationCheck, KeyCertificateCheck),
    ProfiledDestination(ProfiledDestinationCheck),
    Settings(SettingsCheck),
    Key(KeyCheck),
    Landscape(LandscapeCheck),
}

/// The checks written in Rust, by code.
fn code_check(code: &str) -> Option<Check> {
    use Check as C;
    Some(match code {
        "CALM004" => C::Destination(destination::url_trailing_slash),
        "CALM005" => C::Destination(destination::url_without_api),
        "CALM006" => C::Destination(destination::url_valid),
        "CALM009" => C::Destination(destination::client_secret_set),
        "CALM011" => C::Destination(destination::token_url_valid),
        "CALM012" => C::ProfiledDestination(destination::url_matches_key),
        "CALM013" => C::Destination(destination::client_id_matches_key),
        "CALM014" => C::Destination(destination::client_secret_matches_key),
        "CALM015" => C::Destination(destination::token_url_matches_key),
        "CALM016" => C::Destination(destination::token_retrieval),
        "CALM033" => C::Destination(destination::region_consistent),
        "CALM060" => C::Destination(certificates::keystore_present),
        "CALM061" => C::Destination(certificates::keystore_readable),
        "CALM062" => C::Certificate(certificates::valid_now, certificates::key_valid_now),
        "CALM063" => C::Certificate(certificates::expiry_horizon, certificates::key_expiry_horizon),
        "CALM034" => C::Destination(destination::scope_known),
        "CALM070" => C::Destination(destination::secret_not_in_source),
        "CALM020" => C::Settings(settings::monitoring_enabled),
        "CALM021" => C::Settings(settings::destination_selected),
        "CALM022" => C::Settings(settings::destination_exists),
        "CALM023" => C::Settings(settings::destination_prefix),
        "CALM090" => C::Settings(settings::iem_activation),
        "CALM040" => C::Key(key::complete),
        "CALM041" => C::Key(key::api_endpoint),
        "CALM042" => C::Key(key::credential_type),
        "CALM043" => C::Key(key::zone_consistent),
        "CALM030" => C::Landscape(landscape::name_unambiguous),
        "CALM031" => C::Landscape(landscape::single_tenant),
        "CALM032" => C::Landscape(landscape::destination_present),
        _ => return None,
    })
}

/// Whether the engine has Rust code for `code`; the catalog tests use it.
pub fn has_code_check(code: &str) -> bool {
    code_check(code).is_some()
}

/// The reason a rule cannot run with these inputs, if any.
fn missing_input(rule: &Rule, inputs: &Inputs) -> Option<&'static str> {
    rule.requires.iter().find_map(|req| match req {
        Requirement::CloudAlmKey if inputs.key.is_none() => Some("needs the SAP Cloud ALM service key (--calm-key)"),
        Requirement::Settings if inputs.settings.is_none() => Some("needs the Entitlement Management settings (--settings)"),
        Requirement::Live if !inputs.live => Some("needs the live Destination Service (--destination-key); files cannot show it"),
        Requirement::Probe if !inputs.probe => Some("needs --probe, which asks the Destination Service to fetch a token"),
        Requirement::AllDestinations => None,
        _ => None,
    })
}

/// Runs the whole catalog. Results come in catalog order, then object order. A destination
/// rule runs on a destination only when the destination's profile includes it (SPEC §3a).
pub fn audit(catalog: &'static Catalog, inputs: &Inputs) -> Vec<Finding> {
    let profiles = Profiles::builtin();
    let scoped = inputs.scoped();
    let judged = inputs.profiles();
    // Each audited destination with what its results carry (the object, the profile and why),
    // built once per run rather than once per result.
    // Shared (`Arc`) by its results: each result holds a pointer, not copies of the strings.
    let carried: Vec<Carried> = scoped
        .iter()
        .zip(judged)
        .map(|(d, (p, reason))| Carried { object: Arc::new(destination_ref(d)), profile: Arc::new(choice(p, reason)) })
        .collect();
    let each = |rule: &'static Rule| {
        // Whether each of the (few) profiles applies the rule, asked once per profile.
        let mut applies: Vec<(&'static super::Profile, bool)> = Vec::new();
        scoped
            .iter()
            .zip(judged)
            .zip(&carried)
            .filter(move |((_, (p, _)), _)| match applies.iter().find(|(q, _)| std::ptr::eq(*q, *p)) {
                Some((_, yes)) => *yes,
                None => {
                    let yes = profiles.applies(p, &rule.code);
                    applies.push((p, yes));
                    yes
                }
            })
            .map(|((d, (p, _)), c)| (*d, *p, c))
    };
    // At most a result per rule and audited destination, plus the landscape's: reserved once,
    // the list is not copied as it grows (pages never used are never touched).
    let mut out = Vec::with_capacity(catalog.rules.len() * (scoped.len() + 1));
    for rule in &catalog.rules {
        scope_unknown(rule, inputs, profiles, &mut out);
        if let Some(reason) = missing_input(rule, inputs) {
            if matches!(rule.scope, Scope::Destination | Scope::Certificate) {
                for (d, _, c) in each(rule) {
                    let outcome = Outcome::not_applicable(reason);
                    out.push(destination_finding(rule, d, c, outcome));
                }
            } else {
                out.push(finding(rule, landscape_ref(), landscape_location(inputs), Outcome::not_applicable(reason)));
            }
            continue;
        }
        if let (Some(why), true) = (&inputs.incomplete, rule.requires.contains(&Requirement::AllDestinations)) {
            // Each such rule says so once, pointing at the failed source; the failure itself is
            // told once, under the source failures, not again in every rule's message.
            let outcome = Outcome::new_error(format!("not judged: the destination list is incomplete ({why})"));
            let at = inputs.incomplete_at.clone().unwrap_or_else(|| landscape_location(inputs));
            out.push(finding(rule, landscape_ref(), at, outcome));
            continue;
        }
        if let Some(template) = &rule.check {
            for (d, p, c) in each(rule) {
                let outcome =
                    not_literal(rule, d, destination::with_key_value(templates::run(template, d, p.explicit_defaults), d, inputs));
                out.push(destination_finding(rule, d, c, outcome));
            }
            continue;
        }
        match code_check(&rule.code) {
            Some(Check::Destination(f)) => {
                for (d, _, c) in each(rule) {
                    let outcome = not_literal(rule, d, f(d, inputs));
                    out.push(destination_finding(rule, d, c, outcome));
                }
            }
            Some(Check::Certificate(on_destination, on_key)) => {
                for (d, _, c) in each(rule) {
                    let outcome = not_literal(rule, d, on_destination(d, inputs));
                    out.push(destination_finding(rule, d, c, outcome));
                }
                let keys = inputs.key.and_then(|k| k.certificate.as_ref().map(|c| (ObjectKind::CloudAlmKey, c)));
                let destination_key = inputs.destination_key_certificate.map(|c| (ObjectKind::DestinationKey, c));
                for (kind, certificate) in keys.into_iter().chain(destination_key) {
                    let outcome = on_key(certificate, inputs);
                    out.push(file_finding(rule, kind, &certificate.path, certificate.line, outcome));
                }
            }
            Some(Check::ProfiledDestination(f)) => {
                for (d, p, c) in each(rule) {
                    let outcome = not_literal(rule, d, f(d, inputs, p));
                    out.push(destination_finding(rule, d, c, outcome));
                }
            }
            Some(Check::Settings(f)) => {
                if let Some(s) = inputs.settings {
                    let outcome = f(s, inputs);
                    let line = outcome.property.as_deref().map_or(1, |p| s.line_of(p));
                    out.push(file_finding(rule, ObjectKind::Settings, &s.path, line, outcome));
                }
            }
            Some(Check::Key(f)) => {
                if let Some(k) = inputs.key {
                    let outcome = f(k, inputs);
                    let line = outcome.property.as_deref().map_or(1, |p| k.line_of(p));
                    out.push(file_finding(rule, ObjectKind::CloudAlmKey, &k.path, line, outcome));
                }
            }
            Some(Check::Landscape(f)) => {
                for (subject, outcome) in f(inputs) {
                    match subject {
                        Subject::Landscape => out.push(finding(rule, landscape_ref(), landscape_location(inputs), outcome)),
                        Subject::Destination(d) => {
                            let carried = match inputs.purpose(d) {
                                Some(Purpose::Judged { profile, reason }) => Some(Arc::new(choice(profile, &reason))),
                                _ => None,
                            };
                            let location = destination_location(d, &outcome);
                            let mut f = finding(rule, Arc::new(destination_ref(d)), location, outcome);
                            f.profile = carried;
                            out.push(f);
                        }
                    }
                }
            }
            None => {
                // A rule with neither template nor code: the catalog tests make this unreachable,
                // and reporting it beats a silent pass.
                let outcome = Outcome::new_error("this build has no check for the rule");
                out.push(finding(rule, landscape_ref(), landscape_location(inputs), outcome));
            }
        }
    }
    out
}

/// The results of a `[scope_unknown]` rule on the destinations whose scope is unknown (SPEC
/// 2.1): no profile judges them, so they carry none.
fn scope_unknown(rule: &'static Rule, inputs: &Inputs, profiles: &Profiles, out: &mut Vec<Finding>) {
    if !profiles.scope_unknown.rules.contains(&rule.code) {
        return;
    }
    let Some(Check::Destination(f)) = code_check(&rule.code) else { return };
    for d in inputs.scope_unknown() {
        let outcome = match missing_input(rule, inputs) {
            Some(reason) => Outcome::not_applicable(reason),
            // Not through `not_literal`: CALM034 is about the name left to deployment itself, and
            // CALM070 judges the literals in expressions.
            None => f(d, inputs),
        };
        let location = destination_location(d, &outcome);
        out.push(finding(rule, Arc::new(destination_ref(d)), location, outcome));
    }
}

/// What every result about one audited destination carries, built once per destination.
struct Carried {
    object: Arc<ObjectRef>,
    profile: Arc<ProfileChoice>,
}

/// A result about an audited destination, carrying its object and profile.
fn destination_finding(rule: &'static Rule, d: &Destination, carried: &Carried, outcome: Outcome) -> Finding {
    let location = destination_location(d, &outcome);
    let mut f = finding(rule, Arc::clone(&carried.object), location, outcome);
    f.profile = Some(Arc::clone(&carried.profile));
    // The value written now, for a literal replacement (SARIF `fixes`, `fix.patch`).
    if let Some(fix) = f.fix.as_deref_mut()
        && let Some(was) = fix.value().and(fix.property()).and_then(|p| d.text(p))
    {
        let was = was.to_owned();
        fix.written_as(&was);
    }
    f
}

/// The rule that judges secrets written in code (`secret-not-in-source`).
const SECRET_NOT_IN_SOURCE: &str = "CALM070";

/// A value known only at deployment (an MTA placeholder, an unevaluated Terraform expression)
/// is never judged as literal text: a result about such a property becomes `not_applicable`
/// naming it. Checks for the mere presence of a property (the token overrides) keep their verdict.
fn not_literal(rule: &Rule, d: &Destination, outcome: Outcome) -> Outcome {
    // CALM070 judges what is written in the file, the literals inside an expression included.
    if matches!(rule.check, Some(Template::Forbidden { .. })) || outcome.status == Status::Error || rule.code == SECRET_NOT_IN_SOURCE {
        return outcome;
    }
    let Some(key) = outcome.property.as_deref() else {
        return outcome;
    };
    let Some(p) = d.get(key) else {
        // Absent here, but perhaps inside a part only the deployment knows.
        return match d.origin.code.as_ref().and_then(|c| c.opaque.as_deref()) {
            Some(opaque) if outcome.status == Status::Fail => {
                Outcome::not_applicable(format!("{key} is not written in the file; it may be set by {opaque}")).on(key)
            }
            _ => outcome,
        };
    };
    let Some(expression) = p.expression() else {
        return outcome;
    };
    // Computed from values the repository holds by a function calm-audit does not evaluate:
    // not left to the deployment, so a person checks the value (never a silent not_applicable).
    if d.origin.code.as_ref().is_some_and(|c| c.computed.iter().any(|k| *k == *p.key)) && !crate::model::secret::is_secret_key(&p.key) {
        return Outcome::manual(format!(
            "{} is {expression}: computed from values the repository holds by a function calm-audit does not evaluate; check the value it gives",
            p.key
        ))
        .on(&p.key);
    }
    let why = if crate::model::secret::is_secret_key(&p.key) {
        "supplied at deployment, the right practice for a secret"
    } else {
        "known only at deployment, so not judged here"
    };
    Outcome::not_applicable(format!("{} is {expression}: {why}", p.key)).on(&p.key)
}

fn finding(rule: &'static Rule, object: Arc<ObjectRef>, location: Location, outcome: Outcome) -> Finding {
    let severity = outcome.severity.map_or(rule.severity, |s| s.max(rule.severity));
    let fix = fix_of(rule, &outcome);
    // Whatever a rule wrote, a URL's credentials and query values never leave the engine.
    let message = match crate::model::url::redact_urls_in(&outcome.message) {
        std::borrow::Cow::Borrowed(_) => outcome.message,
        std::borrow::Cow::Owned(redacted) => redacted,
    };
    // Nor a value that holds a secret of the run or a piece of one, however a rule quoted it.
    let message = match crate::model::secret::conceal_in_message(&message) {
        std::borrow::Cow::Borrowed(_) => message,
        std::borrow::Cow::Owned(concealed) => concealed,
    };
    Finding {
        code: &rule.code,
        rule: &rule.name,
        status: outcome.status,
        severity,
        object,
        property: outcome.property,
        message,
        location: outcome.location.unwrap_or(location),
        target: None,
        waived: None,
        baseline: None,
        profile: None,
        fix,
    }
}

/// The fix a result carries (SPEC §5a): the rule's own on a `fail` or `error` result, else a
/// step, so that no failing result is left without one; none on any other status.
fn fix_of(rule: &Rule, outcome: &Outcome) -> Option<Box<crate::model::Fix>> {
    if let (Status::Fail | Status::Error, Some(fix)) = (outcome.status, &outcome.fix) {
        return Some(fix.clone());
    }
    let step = match outcome.status {
        Status::Fail => crate::model::Fix::step(
            outcome.property.as_deref(),
            format!("follow the steps of `calm-audit explain {}` ({})", rule.code, rule.summary.trim_end_matches('.')),
        ),
        Status::Error => {
            crate::model::Fix::step(None, "repair the failed source named in the report (or the input it needs), then audit again")
        }
        Status::Pass | Status::Manual | Status::NotApplicable => return None,
    };
    Some(Box::new(step))
}

/// A result about a whole input file (settings, key), at `line` of it.
fn file_finding(rule: &'static Rule, kind: ObjectKind, path: &str, line: u32, outcome: Outcome) -> Finding {
    let object = ObjectRef { kind, name: file_name(path), qualified_name: path.to_owned(), level: None };
    finding(rule, Arc::new(object), Location { path: path.into(), line }, outcome)
}

fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_owned()
}

pub fn destination_ref(d: &Destination) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Destination,
        name: d.shown_name().to_owned(),
        qualified_name: d.qualified_origin(),
        level: d.origin.level,
    }
}

fn destination_location(d: &Destination, outcome: &Outcome) -> Location {
    // An absent property written in another letter case (`ClientID`) is located there: that
    // line is the one to change.
    let (path, line) = match outcome.property.as_deref() {
        Some(k) if d.get(k).is_some() => (d.path_of(k), d.line_of(k)),
        Some(k) => d.case_variant(k).map_or_else(|| (d.path_of("Name"), d.line_of("Name")), |v| d.key_location(v)),
        None => (d.path_of("Name"), d.line_of("Name")),
    };
    // The file the destination was read from is shared, not copied.
    let path = if std::ptr::eq(path, &*d.origin.path) { Arc::clone(&d.origin.path) } else { path.into() };
    Location { path, line }
}

fn landscape_ref() -> Arc<ObjectRef> {
    Arc::new(ObjectRef { kind: ObjectKind::Landscape, name: "landscape".into(), qualified_name: "landscape".into(), level: None })
}

/// Landscape results point at the settings file, else the key, else the first destination file.
fn landscape_location(inputs: &Inputs) -> Location {
    if let Some(s) = inputs.settings {
        return Location { path: s.path.as_str().into(), line: 1 };
    }
    if let Some(k) = inputs.key {
        return Location { path: k.path.as_str().into(), line: 1 };
    }
    match inputs.destinations.first() {
        Some(d) => Location { path: Arc::clone(&d.origin.path), line: 1 },
        None => Location { path: "calm-audit".into(), line: 1 },
    }
}
