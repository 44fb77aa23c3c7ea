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
    let mut subaccount: HashMap<&str, &'a Destination> = HashMap::new();
    for d in leveled.iter().filter(|d| d.origin.level == Some(Level::Subaccount)) {
        subaccount.entry(d.name()).or_insert(d);
    }
    let mut out = Vec::new();
    for d in leveled.iter().filter(|d| d.origin.level == Some(Level::Instance)) {
        let Some(other) = subaccount.get(d.name()) else { continue };
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
    if out.is_empty() {
        out.push((Subject::Landscape, Outcome::pass("no Cloud ALM destination name is used on both levels")));
    }
    out
}

pub fn single_tenant<'a>(inputs: &Inputs<'a>) -> Vec<(Subject<'a>, Outcome)> {
    // tenant host -> where it was seen
    let mut tenants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut first_seen: BTreeMap<String, &'a Destination> = BTreeMap::new();
    for &d in inputs.scoped() {
        if let Some(host) = d.text("URL").and_then(url::host_lower) {
            tenants.entry(host.clone()).or_default().push(d.name().to_owned());
            first_seen.entry(host).or_insert(d);
        }
    }
    let key_host = inputs.key.and_then(|k| k.api.as_deref()).and_then(url::host_lower);
    if let Some(h) = &key_host {
        tenants.entry(h.clone()).or_default().push("the Cloud ALM key".to_owned());
    }
    match tenants.len() {
        0 => vec![(Subject::Landscape, Outcome::not_applicable("no Cloud ALM destination or key with a URL"))],
        1 => {
            let host = tenants.keys().next().map(String::as_str).unwrap_or_default();
            vec![(Subject::Landscape, Outcome::pass(format!("every Cloud ALM destination points to {host}")))]
        }
        _ => {
            let list: Vec<String> = tenants.iter().map(|(h, who)| format!("{h} ({})", who.join(", "))).collect();
            let message = format!("Cloud ALM destinations point to {} tenants: {}", tenants.len(), list.join("; "));
            // Point at a destination that disagrees with the key, or at the second tenant's first destination.
            let odd =
                first_seen.iter().find(|(h, _)| key_host.as_deref().is_some_and(|k| k != h.as_str())).or_else(|| first_seen.iter().nth(1));
            let outcome = Outcome::fail(message).on("URL");
            match odd {
                Some((_, d)) => vec![(Subject::Destination(d), outcome)],
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
