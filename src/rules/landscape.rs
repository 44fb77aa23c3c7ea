//! Checks across all destinations and the key.

use std::collections::{BTreeMap, HashMap};

use super::context::{Inputs, Outcome, Subject};
use super::url;
use crate::model::{Destination, Level, Location};

pub fn name_unambiguous<'a>(inputs: &Inputs<'a>) -> Vec<(Subject<'a>, Outcome)> {
    let leveled: Vec<&'a Destination> = inputs.destinations.iter().filter(|d| d.origin.level.is_some()).collect();
    if leveled.is_empty() {
        let reason = "destination levels are unknown: they come from the live Destination Service or a config.json with init_data";
        return vec![(Subject::Landscape, Outcome::not_applicable(reason))];
    }
    // First subaccount-level destination of each name: one pass, not one search per destination.
    // Names known only at deployment are never compared: two names nobody knows are not the
    // same name (SPEC §2.1).
    let mut subaccount: HashMap<&str, &'a Destination> = HashMap::new();
    for d in leveled.iter().filter(|d| d.origin.level == Some(Level::Subaccount)) {
        if let Some(name) = d.known_name() {
            subaccount.entry(name).or_insert(d);
        }
    }
    let mut out = Vec::new();
    for d in leveled.iter().filter(|d| d.origin.level == Some(Level::Instance)) {
        let Some(other) = d.known_name().and_then(|name| subaccount.get(name)) else { continue };
        // Either one being an audited Cloud ALM destination matters: the instance-level one wins
        // at lookup, so a Cloud ALM destination on subaccount level can be hidden by an unrelated
        // one. A purpose that is not audited is recognised by its name, which both share, so
        // such a pair is never failed (SPEC §3a).
        if !inputs.audited(d) && !inputs.audited(other) {
            continue;
        }
        let message = format!(
            "\"{}\" exists on instance level and on subaccount level ({}); the instance-level one wins at lookup",
            d.name(),
            other.qualified_origin()
        );
        out.push((Subject::Destination(d), Outcome::fail(message).on("Name")));
    }
    out.extend(same_expression(inputs, &leveled));
    if out.is_empty() {
        out.push((Subject::Landscape, Outcome::pass("no Cloud ALM destination name is used on both levels")));
    }
    out
}

/// Names known only at deployment that both levels take from the same expression as written
/// (`"CALM_${var.env}"` on both): two different expressions are never the same name, but one
/// expression may give one name on both levels, so a person checks it (`manual`), never a pass.
/// Only where one of the pair is audited or its scope is unknown.
fn same_expression<'a>(inputs: &Inputs<'a>, leveled: &[&'a Destination]) -> Vec<(Subject<'a>, Outcome)> {
    let at = |level: Level| leveled.iter().copied().filter(move |d| d.origin.level == Some(level) && d.known_name().is_none());
    let mut subaccount: HashMap<&'a str, &'a Destination> = HashMap::new();
    for d in at(Level::Subaccount) {
        if let Some(expression) = d.name_expression() {
            subaccount.entry(expression).or_insert(d);
        }
    }
    if subaccount.is_empty() {
        return Vec::new();
    }
    let scope_unknown: Vec<&Destination> = inputs.scope_unknown().collect();
    let matters = |d: &Destination| inputs.audited(d) || scope_unknown.iter().any(|u| std::ptr::eq(*u, d));
    let mut out = Vec::new();
    for d in at(Level::Instance) {
        let Some((expression, other)) = d.name_expression().and_then(|x| subaccount.get(x).map(|o| (x, *o))) else { continue };
        if !matters(d) && !matters(other) {
            continue;
        }
        let message = format!(
            "both levels take their name from {expression} (here and {}), known only at deployment; if it gives one name, the instance-level one wins at lookup",
            other.qualified_origin()
        );
        out.push((Subject::Destination(d), Outcome::manual(message).on("Name")));
    }
    out
}

/// The Cloud ALM tenant a host points to (SPEC §3) as (tenant, region), and how to name it in a
/// message: a tenant host names it; a tenant-less host leaves it to the token service's `zone`,
/// and without one it is unknown (`None`). A host of neither form is a tenant of its own.
fn tenant_of(host: &str, zone: Option<&str>) -> Option<((String, String), String)> {
    let own = || Some(((host.to_owned(), String::new()), host.to_owned()));
    let Some(region) = url::calm_region(host) else { return own() };
    if host.strip_suffix(".alm.cloud.sap").is_some_and(|prefix| prefix.contains('.')) {
        return match url::calm_tenant(host) {
            Some(tenant) => Some(((tenant.to_owned(), region.to_owned()), host.to_owned())),
            None => own(),
        };
    }
    let zone = zone?.to_ascii_lowercase();
    let shown = format!("{host} (tenant {zone}, its token service zone)");
    Some(((zone, region.to_owned()), shown))
}

/// The zone of a token service URL value.
fn token_zone(token_url: Option<&str>) -> Option<String> {
    let host = token_url.and_then(url::host_lower)?;
    url::token_zone(&host).map(str::to_owned)
}

pub fn single_tenant<'a>(inputs: &Inputs<'a>) -> Vec<(Subject<'a>, Outcome)> {
    // tenant (name, region) -> (the hosts that name it, who points to it, the first destination)
    type Seen<'a> = (Vec<String>, Vec<String>, Option<&'a Destination>);
    let mut tenants: BTreeMap<(String, String), Seen<'a>> = BTreeMap::new();
    let mut unknown: Vec<&str> = Vec::new();
    for &d in inputs.scoped() {
        let Some(host) = d.text("URL").and_then(url::host_lower) else { continue };
        match tenant_of(&host, token_zone(d.text("tokenServiceURL")).as_deref()) {
            Some((tenant, label)) => {
                let entry = tenants.entry(tenant).or_insert_with(|| (Vec::new(), Vec::new(), Some(d)));
                if !entry.0.contains(&label) {
                    entry.0.push(label);
                }
                entry.1.push(d.name().to_owned());
            }
            None => unknown.push(d.name()),
        }
    }
    let key_tenant = inputs.key.and_then(|k| {
        let host = k.api.as_deref().and_then(url::host_lower)?;
        let zone = k
            .identity_zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
            .map(str::to_owned)
            .or_else(|| token_zone(k.uaa_url.as_deref()));
        let (tenant, label) = tenant_of(&host, zone.as_deref())?;
        let entry = tenants.entry(tenant.clone()).or_insert_with(|| (Vec::new(), Vec::new(), None));
        if !entry.0.contains(&label) {
            entry.0.push(label);
        }
        entry.1.push("the Cloud ALM key".to_owned());
        Some(tenant)
    });
    // A tenant-less host without a token service zone says nothing about the tenant: never a
    // second tenant, and said so.
    let untold = match unknown.as_slice() {
        [] => String::new(),
        names => format!("; not counted: {} (a tenant-less host and no token service zone to name the tenant)", names.join(", ")),
    };
    match tenants.len() {
        0 => vec![(Subject::Landscape, Outcome::not_applicable(format!("no Cloud ALM destination or key with a URL{untold}")))],
        1 => {
            let host = tenants.values().next().map(|(h, ..)| h.join(" and ")).unwrap_or_default();
            vec![(Subject::Landscape, Outcome::pass(format!("every Cloud ALM destination points to {host}{untold}")))]
        }
        _ => {
            let list: Vec<String> = tenants.values().map(|(h, who, _)| format!("{} ({})", h.join(" and "), who.join(", "))).collect();
            let message = format!("Cloud ALM destinations point to {} tenants: {}{untold}", tenants.len(), list.join("; "));
            // Point at a destination that disagrees with the key, or at the second tenant's first destination.
            let odd = tenants
                .iter()
                .find(|(t, (.., first))| first.is_some() && key_tenant.as_ref().is_some_and(|k| k != *t))
                .or_else(|| tenants.iter().filter(|(.., (.., first))| first.is_some()).nth(1))
                .and_then(|(.., (.., first))| *first);
            let outcome = Outcome::fail(message).on("URL");
            match odd {
                Some(d) => vec![(Subject::Destination(d), outcome)],
                None => vec![(Subject::Landscape, outcome)],
            }
        }
    }
}

pub fn destination_present<'a>(inputs: &Inputs<'a>) -> Vec<(Subject<'a>, Outcome)> {
    let Some(s) = inputs.settings else { return Vec::new() };
    let at = Location { path: s.path.as_str().into(), line: s.line_of("enable_business_process_monitoring") };
    let outcome = if !s.enable_business_process_monitoring {
        Outcome::not_applicable("Business Process Monitoring is not enabled")
    } else if !inputs.destinations_given {
        Outcome::manual("no destinations were loaded: check in the BTP cockpit that a CALM_ destination exists")
    } else {
        match inputs.scoped().len() {
            0 => Outcome::fail(format!(
                "Business Process Monitoring is enabled but none of the {} destinations is a Cloud ALM destination",
                inputs.destinations.len()
            )),
            n => Outcome::pass(format!("{n} Cloud ALM destination(s) found")),
        }
    };
    vec![(Subject::Landscape, outcome.located(at))]
}
