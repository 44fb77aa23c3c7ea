//! The certificate rules (SPEC §3b): CALM060 keystore-present, CALM061 keystore-readable,
//! CALM062 certificate-valid-now and CALM063 certificate-expiry-horizon. They read what the
//! sources found ([`Keystore`], opened once per password) and never open anything themselves.
//!
//! Fail closed: a keystore that cannot be opened leaves CALM062/063 `error`, never `pass`; with
//! no certificate source in the run at all, a person must look (`manual`).

use super::context::{Inputs, Outcome};
// The run's clock is one of the inputs every rule reads ([`super::context`]); named here too,
// where the certificate rules' callers have always found it.
pub use super::context::{Clock, DEFAULT_EXPIRY_DAYS};
use crate::clock::{DAY, date, days_between};
use crate::model::certificate::{
    CertificateInfo, CertificateRow, Contents, Held, KeyCertificate, Keystore, Match, Opened, Password, keystore_property,
};
use crate::model::{Destination, Level, Value};

/// What a destination's keystore property leads to.
pub struct Use<'a> {
    /// `tokenService.KeyStoreLocation` or `KeyStoreLocation`.
    pub property: &'static str,
    /// The password property that goes with it.
    pub password_property: &'static str,
    /// The keystore's name as written (trimmed).
    pub name: &'a str,
    /// Where the Destination Service would find it, and how it was matched.
    pub found: Option<(&'a Keystore, Match)>,
}

impl<'a> Use<'a> {
    /// What opening the keystore with the destination's password gave.
    pub fn opened(&self, d: &Destination) -> Option<&'a Opened> {
        let (k, _) = self.found?;
        k.opened_with(&Password::of(d, self.password_property))
    }
}

/// The keystore `d` names and where it is, if it names one by a known text.
pub fn keystore_use<'a>(d: &'a Destination, inputs: &'a Inputs<'_>) -> Option<Use<'a>> {
    let (property, password_property) = keystore_property(d)?;
    let name = d.text(property)?.trim();
    Some(Use { property, password_property, name, found: inputs.keystore(name, d.origin.level, &d.origin.path) })
}

/// Why a rule does not judge `d`: it names no keystore, or the keystore property holds no name.
fn not_mtls(d: &Destination) -> Result<(&'static str, &str), Outcome> {
    let Some((property, _)) = keystore_property(d) else {
        return Err(Outcome::not_applicable(
            "names no keystore (tokenService.KeyStoreLocation, KeyStoreLocation): not a client-certificate (mTLS) destination",
        ));
    };
    match d.get(property).map(|p| &p.value) {
        Some(Value::Text(t)) if !t.trim().is_empty() => Ok((property, t.trim())),
        Some(Value::Text(_)) => Err(Outcome::fail(format!("{property} is empty: the destination names no keystore")).on(property)),
        Some(Value::Removed) => {
            Err(Outcome::manual(format!("the export removed {property}: check the keystore in the cockpit")).on(property))
        }
        // Unresolved: the engine turns a result on the property into not_applicable, naming it.
        _ => Err(Outcome::not_applicable(format!("{property} is known only at deployment")).on(property)),
    }
}

fn where_found(k: &Keystore, how: Match) -> String {
    let place = match k.level {
        Some(level) => format!("on {} level ({})", level.as_str(), k.path),
        None => format!("in {}", k.path),
    };
    match how {
        Match::Exact => place,
        Match::Stem => format!("{place}, a file of the same name as a cockpit export keeps it"),
    }
}

/// Where the Destination Service looks for a destination's keystore, in words.
fn looked(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Instance) => "on the service instance's level, then the subaccount's",
        Some(Level::Subaccount) => "on the subaccount level",
        None => "among the certificate files read",
    }
}

/// The verdict when no keystore was found (CALM060 says it; the date rules follow it).
enum Missing {
    /// No certificate source at all in the run: a person must look.
    NoSource,
    /// A source failed part way: the keystore may be in what was not read.
    Incomplete(String),
    /// Looked where the service looks and not there.
    NotThere,
}

fn missing(inputs: &Inputs) -> Missing {
    if !inputs.certificate_source {
        Missing::NoSource
    } else if let Some(why) = &inputs.incomplete {
        Missing::Incomplete(why.clone())
    } else {
        Missing::NotThere
    }
}

/// CALM060: the keystore the destination names is where the Destination Service looks.
pub fn keystore_present(d: &Destination, inputs: &Inputs) -> Outcome {
    let (property, name) = match not_mtls(d) {
        Ok(named) => named,
        Err(outcome) => return outcome,
    };
    if let Some((k, how)) = inputs.keystore(name, d.origin.level, &d.origin.path) {
        return Outcome::pass(format!("keystore {name} found {}", where_found(k, how))).on(property);
    }
    let elsewhere = inputs.keystores.iter().find(|k| k.name == name && k.level.is_some());
    match missing(inputs) {
        Missing::NoSource => Outcome::manual(format!(
            "no certificate source in this run: check in the SAP BTP cockpit (Connectivity > Destinations > Certificates) that {name} is uploaded {}, or give the keystore file or --destination-key",
            looked(d.origin.level)
        ))
        .on(property),
        Missing::Incomplete(why) => {
            Outcome::new_error(format!("{name} was not found, but the read was incomplete ({why}): it may be in what was not read")).on(property)
        }
        Missing::NotThere => {
            let mut message = format!("no keystore named {name} {}: the Destination Service cannot present a client certificate", looked(d.origin.level));
            if let Some(k) = elsewhere.filter(|k| k.level != d.origin.level) {
                message.push_str(&format!(" ({name} exists on {} level only, where this destination does not look)", k.level_label()));
            }
            Outcome::fail(message).on(property)
        }
    }
}

/// CALM061: the keystore opens with the destination's password and holds a private key with
/// its certificate.
pub fn keystore_readable(d: &Destination, inputs: &Inputs) -> Outcome {
    let (property, name) = match not_mtls(d) {
        Ok(named) => named,
        Err(outcome) => return outcome,
    };
    let Some(u) = keystore_use(d, inputs) else { return Outcome::not_applicable("names no keystore") };
    let Some((k, _)) = u.found else {
        return match missing(inputs) {
            Missing::NoSource => Outcome::manual(format!(
                "no certificate source in this run: check in the cockpit that {name} opens with {} and holds the private key",
                u.password_property
            ))
            .on(property),
            Missing::Incomplete(why) => Outcome::new_error(format!("{name} was not found in an incomplete read ({why})")).on(property),
            Missing::NotThere => Outcome::not_applicable(format!("{name} was not found (CALM060 reports it)")).on(property),
        };
    };
    let Some(opened) = u.opened(d) else {
        return Outcome::new_error(format!("{name} was not opened for this destination")).on(property);
    };
    let password = u.password_property;
    if let Some(problem) = &opened.problem {
        use crate::model::certificate::Problem as P;
        let text = problem.describe(name, password);
        return match problem {
            P::PasswordRemoved => {
                Outcome::manual(format!("{text}: check in the cockpit that the keystore opens with its password")).on(password)
            }
            // On the password property: the engine makes it not_applicable, naming the expression.
            P::PasswordAtDeployment { .. } => Outcome::fail(text).on(password),
            P::NoPassword | P::WrongPassword => Outcome::fail(text).on(password),
            P::ContentAtDeployment { .. } => Outcome::not_applicable(text).on(property),
            P::Unreadable { .. } => Outcome::fail(text).on(property),
        };
    }
    let Some(contents) = &opened.contents else {
        return Outcome::new_error(format!("{name} gave nothing when opened")).on(property);
    };
    let n = contents.certificates.len();
    // `calm.p12 (PKCS#12)`, or `calm.pem (PEM, read for calm.p12)`.
    let name = if k.name == name {
        format!("{name} ({})", k.format.as_str())
    } else {
        format!("{} ({}, read for {name})", k.name, k.format.as_str())
    };
    match (contents.private_key, n, k.held) {
        (_, 0, _) => Outcome::fail(format!("{name} holds no certificate: there is nothing to present to the token service")).on(property),
        (true, n, _) => Outcome::pass(format!("{name} opens and holds a private key with {n} certificate(s)")).on(property),
        (false, n, Held::File) => Outcome::manual(format!(
            "{name} holds {n} certificate(s) and no private key; a cockpit export keeps only the certificates of a keystore, so check in the cockpit that the uploaded keystore holds its private key"
        ))
        .on(property),
        (false, n, _) => Outcome::fail(format!(
            "{name} holds {n} certificate(s) but no private key: the Destination Service cannot authenticate with it"
        ))
        .on(property),
    }
}

/// What the date rules judge for one destination: the keystore's certificates, or why not.
fn certificates_of<'a>(d: &'a Destination, inputs: &'a Inputs) -> Result<(&'static str, String, &'a Contents), Outcome> {
    let (property, name) = not_mtls(d)?;
    let u = keystore_use(d, inputs).ok_or_else(|| Outcome::not_applicable("names no keystore"))?;
    if u.found.is_none() {
        return Err(match missing(inputs) {
            Missing::NoSource => Outcome::manual(format!(
                "no certificate source in this run: the dates of {name} cannot be read here; check them in the cockpit or give the keystore file"
            ))
            .on(property),
            Missing::Incomplete(why) => Outcome::new_error(format!("{name} was not found in an incomplete read ({why})")).on(property),
            Missing::NotThere => Outcome::not_applicable(format!("{name} was not found (CALM060 reports it)")).on(property),
        });
    }
    let shown = u.found.map_or_else(|| name.to_owned(), |(k, _)| shown_name(k, name));
    match u.opened(d) {
        Some(Opened { contents: Some(contents), .. }) if !contents.certificates.is_empty() => Ok((property, shown, contents)),
        Some(Opened { contents: Some(_), .. }) => {
            Err(Outcome::new_error(format!("{name} holds no certificate: no date to judge")).on(property))
        }
        Some(Opened { problem: Some(problem), .. }) => {
            Err(Outcome::new_error(format!("the dates of {name} are unknown (CALM061: {})", problem.describe(name, u.password_property)))
                .on(property))
        }
        _ => Err(Outcome::new_error(format!("{name} was not opened: its dates are unknown")).on(property)),
    }
}

/// How a message names the keystore: the name the destination gives, and the file it was read
/// from when that has another name (a cockpit export's PEM for `calm.p12`).
fn shown_name(k: &Keystore, name: &str) -> String {
    if k.name == name { name.to_owned() } else { format!("{} (read for {name})", k.name) }
}

/// How a message names a certificate of a keystore: `CN=calm-client in calm.p12`.
fn named(c: &CertificateInfo, keystore: &str) -> String {
    format!("{} in {keystore}", c.label())
}

fn days_text(days: i64) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "1 day left".to_owned(),
        d if d > 1 => format!("{d} days left"),
        -1 => "1 day ago".to_owned(),
        d => format!("{} days ago", -d),
    }
}

/// CALM062 on a set of certificates: every one valid at the run's instant.
fn judge_now(certificates: &[CertificateInfo], keystore: &str, now: i64) -> Outcome {
    if let Some(c) = certificates.iter().filter(|c| c.not_after < now).min_by_key(|c| c.not_after) {
        return Outcome::fail(format!(
            "{} expired on {} ({}): the connection to SAP Cloud ALM fails since then",
            named(c, keystore),
            date(c.not_after),
            days_text(days_between(now, c.not_after))
        ));
    }
    if let Some(c) = certificates.iter().filter(|c| c.not_before > now).max_by_key(|c| c.not_before) {
        let days = days_between(now, c.not_before);
        return Outcome::fail(format!(
            "{} is not valid before {} (in {days} day{}): it cannot be used yet",
            named(c, keystore),
            date(c.not_before),
            if days == 1 { "" } else { "s" }
        ));
    }
    let Some(first) = certificates.iter().min_by_key(|c| c.not_after) else {
        return Outcome::new_error(format!("{keystore} holds no certificate"));
    };
    Outcome::pass(format!(
        "all {} certificate(s) of {keystore} are valid on {}; the first to expire, {}, on {} ({})",
        certificates.len(),
        date(now),
        first.label(),
        date(first.not_after),
        days_text(days_between(now, first.not_after))
    ))
}

/// CALM063 on a set of certificates: every one still valid `days` after the run's instant.
fn judge_horizon(certificates: &[CertificateInfo], keystore: &str, clock: Clock) -> Outcome {
    let Some(first) = certificates.iter().min_by_key(|c| c.not_after) else {
        return Outcome::new_error(format!("{keystore} holds no certificate"));
    };
    let horizon = clock.now.saturating_add(i64::from(clock.expiry_days) * DAY);
    let left = days_between(clock.now, first.not_after);
    if first.not_after < clock.now {
        return Outcome::fail(format!("{} expired on {} ({})", named(first, keystore), date(first.not_after), days_text(left)));
    }
    if first.not_after < horizon {
        return Outcome::fail(format!(
            "{} expires on {}: {}, within the {}-day horizon; renew it and upload the new keystore before then",
            named(first, keystore),
            date(first.not_after),
            days_text(left),
            clock.expiry_days
        ));
    }
    Outcome::pass(format!(
        "every certificate of {keystore} is valid beyond the {}-day horizon; the first to expire, {}, on {} ({})",
        clock.expiry_days,
        first.label(),
        date(first.not_after),
        days_text(left)
    ))
}

/// CALM062 on a destination's keystore.
pub fn valid_now(d: &Destination, inputs: &Inputs) -> Outcome {
    match certificates_of(d, inputs) {
        Ok((property, name, contents)) => judge_now(&contents.certificates, &name, inputs.clock.now).on(property),
        Err(outcome) => outcome,
    }
}

/// CALM063 on a destination's keystore.
pub fn expiry_horizon(d: &Destination, inputs: &Inputs) -> Outcome {
    match certificates_of(d, inputs) {
        Ok((property, name, contents)) => judge_horizon(&contents.certificates, &name, inputs.clock).on(property),
        Err(outcome) => outcome,
    }
}

/// The certificate of a key, or why its dates are unknown.
fn key_certificates(k: &KeyCertificate) -> Result<&[CertificateInfo], Outcome> {
    match &k.opened {
        Opened { contents: Some(c), .. } if !c.certificates.is_empty() => Ok(&c.certificates),
        Opened { problem: Some(p), .. } => Err(Outcome::new_error(format!("{}: its dates are unknown", p.describe(&k.field, &k.field)))),
        _ => Err(Outcome::new_error(format!("{} holds no certificate: its dates are unknown", k.field))),
    }
}

/// CALM062 on a key's certificate.
pub fn key_valid_now(k: &KeyCertificate, inputs: &Inputs) -> Outcome {
    match key_certificates(k) {
        Ok(certificates) => judge_now(certificates, &k.field, inputs.clock.now),
        Err(outcome) => outcome,
    }
    .on(&k.field)
}

/// CALM063 on a key's certificate.
pub fn key_expiry_horizon(k: &KeyCertificate, inputs: &Inputs) -> Outcome {
    match key_certificates(k) {
        Ok(certificates) => judge_horizon(certificates, &k.field, inputs.clock),
        Err(outcome) => outcome,
    }
    .on(&k.field)
}

/// The certificates in use, one row each, for the reports (SPEC §3b): the keystores of the
/// audited destinations whose profile judges certificates (one row per certificate of the
/// keystore, or one saying why it cannot be read), and the keys' certificates. Soonest to expire
/// first. Also how many keystores the run read that no audited destination uses.
pub fn rows(inputs: &Inputs) -> (Vec<CertificateRow>, usize) {
    let profiles = super::Profiles::builtin();
    // (keystore, the opening used, its password property, the destinations that use it), and
    // where each (keystore, opening) pair is in that list.
    let mut used: Vec<(&Keystore, Option<&Opened>, &'static str, Vec<String>)> = Vec::new();
    let mut at: std::collections::HashMap<(usize, usize), usize> = std::collections::HashMap::new();
    let mut used_keystores: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for (d, (profile, _)) in inputs.scoped().iter().zip(inputs.profiles()) {
        if !profiles.applies(profile, "CALM062") {
            continue;
        }
        let Some(u) = keystore_use(d, inputs) else { continue };
        let Some((k, _)) = u.found else { continue };
        let opened = u.opened(d);
        let identity = (std::ptr::from_ref(k) as usize, opened.map_or(0, |o| std::ptr::from_ref(o) as usize));
        used_keystores.insert(identity.0);
        match at.get(&identity) {
            // A name on both levels is listed once: the list is sorted and deduplicated below.
            Some(i) => used[*i].3.push(d.name().to_owned()),
            None => {
                at.insert(identity, used.len());
                used.push((k, opened, u.password_property, vec![d.name().to_owned()]));
            }
        }
    }
    let unused = inputs.keystores.iter().filter(|k| !used_keystores.contains(&(std::ptr::from_ref(*k) as usize))).count();
    let now = inputs.clock.now;
    let mut out = Vec::new();
    for (k, opened, password_property, mut used_by) in used {
        used_by.sort_unstable();
        used_by.dedup();
        let row = |certificate: Option<&CertificateInfo>, error: Option<String>| CertificateRow {
            name: k.name.clone(),
            level: k.level_label().to_owned(),
            source: format!("{}:{}", k.path, k.line),
            format: k.format,
            used_by: used_by.clone(),
            certificate: certificate.cloned(),
            days_left: certificate.map(|c| days_between(now, c.not_after)),
            error,
            target: None,
        };
        match opened.and_then(|o| o.contents.as_ref().map(|c| (c, o))) {
            Some((contents, _)) if !contents.certificates.is_empty() => {
                out.extend(contents.certificates.iter().map(|c| row(Some(c), None)))
            }
            Some(_) => out.push(row(None, Some("holds no certificate".into()))),
            None => {
                let why = opened
                    .and_then(|o| o.problem.as_ref())
                    .map_or_else(|| "not opened".to_owned(), |p| p.describe(&k.name, password_property));
                out.push(row(None, Some(why)));
            }
        }
    }
    let keys =
        inputs.key.and_then(|k| k.certificate.as_ref().map(|c| (c, format!("Cloud ALM key {}", crate::source::certs::file_name(&k.path)))));
    let destination_key = inputs.destination_key_certificate.map(|c| (c, format!("destination service key {}", c.path)));
    for (c, owner) in keys.into_iter().chain(destination_key) {
        let base = CertificateRow {
            name: c.field.clone(),
            level: "key".to_owned(),
            source: format!("{}:{}", c.path, c.line),
            format: crate::model::certificate::Format::Pem,
            used_by: vec![owner],
            certificate: None,
            days_left: None,
            error: None,
            target: None,
        };
        match key_certificates(c) {
            Ok(certificates) => out.extend(certificates.iter().map(|info| CertificateRow {
                certificate: Some(info.clone()),
                days_left: Some(days_between(now, info.not_after)),
                ..base.clone()
            })),
            Err(_) => {
                let why = c.opened.problem.as_ref().map_or_else(|| "holds no certificate".to_owned(), |p| p.describe(&c.field, &c.field));
                out.push(CertificateRow { error: Some(why), ..base });
            }
        }
    }
    out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    (out, unused)
}
