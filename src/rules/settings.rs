//! Checks of the Entitlement Management *SAP Cloud ALM Integration* settings.

use super::context::{Inputs, Outcome, in_scope};
use crate::model::Settings;

const BPM: &str = "enable_business_process_monitoring";
const IEM: &str = "enable_integration_monitoring";
const NAME: &str = "destination_name";

pub fn monitoring_enabled(s: &Settings, _: &Inputs) -> Outcome {
    match (s.enable_integration_monitoring, s.enable_business_process_monitoring) {
        (false, false) => {
            Outcome::fail("neither Integration Monitoring nor Business Process Monitoring is enabled: nothing is sent to SAP Cloud ALM")
                .on(BPM)
        }
        (true, true) => Outcome::pass("Integration Monitoring and Business Process Monitoring are enabled").on(BPM),
        (true, false) => Outcome::pass("Integration Monitoring is enabled").on(IEM),
        (false, true) => Outcome::pass("Business Process Monitoring is enabled").on(BPM),
    }
}

pub fn destination_selected(s: &Settings, _: &Inputs) -> Outcome {
    if !s.enable_business_process_monitoring {
        return Outcome::not_applicable("Business Process Monitoring is not enabled").on(BPM);
    }
    match s.named_destination() {
        Some(n) => Outcome::pass(format!("destination \"{n}\" is selected")).on(NAME),
        None => Outcome::fail("Business Process Monitoring is enabled but no destination name is set")
            .on(if s.destination_name.is_some() { NAME } else { BPM }),
    }
}

pub fn destination_exists(s: &Settings, inputs: &Inputs) -> Outcome {
    let Some(name) = s.named_destination() else {
        return Outcome::not_applicable("no destination name is set").on(NAME);
    };
    if inputs.destinations.is_empty() {
        return Outcome::manual(format!("no destinations were loaded: check in the BTP cockpit that destination \"{name}\" exists"))
            .on(NAME);
    }
    if inputs.destinations.iter().any(|d| d.known_name() == Some(name)) {
        return Outcome::pass(format!("destination \"{name}\" exists")).on(NAME);
    }
    let near: Vec<&str> =
        inputs.destinations.iter().filter_map(|d| d.known_name()).filter(|n| n.trim().eq_ignore_ascii_case(name.trim())).collect();
    if let Some(n) = near.first() {
        return Outcome::fail(format!("destination \"{name}\" does not exist; \"{n}\" differs only in letter case or white space"))
            .on(NAME);
    }
    // A name known only at deployment may turn out to be this one: a person must look.
    let unknown: Vec<&str> = inputs.destinations.iter().filter_map(|d| d.name_expression()).collect();
    if !unknown.is_empty() {
        return Outcome::manual(format!(
            "destination \"{name}\" is not among the names known before deployment; {} destination(s) have a name known only at deployment ({}): check that one of them is \"{name}\"",
            unknown.len(),
            unknown.iter().take(5).map(|e| crate::model::url::redact_urls_in(e).into_owned()).collect::<Vec<_>>().join(", ")
        ))
        .on(NAME);
    }
    let candidates: Vec<&str> = inputs.destinations.iter().filter(|d| in_scope(d, None)).filter_map(|d| d.known_name()).collect();
    let hint = if candidates.is_empty() {
        "no Cloud ALM destination was found".to_owned()
    } else {
        format!("Cloud ALM destinations found: {}", candidates.join(", "))
    };
    Outcome::fail(format!("destination \"{name}\" is not among the {} audited destinations; {hint}", inputs.destinations.len())).on(NAME)
}

pub fn destination_prefix(s: &Settings, _: &Inputs) -> Outcome {
    match s.named_destination() {
        None => Outcome::not_applicable("no destination name is set").on(NAME),
        Some(n) if n.starts_with("CALM_") => Outcome::pass(format!("\"{n}\" starts with CALM_")).on(NAME),
        Some(n) => Outcome::fail(format!("destination name \"{n}\" does not start with CALM_")).on(NAME),
    }
}

pub fn iem_activation(s: &Settings, _: &Inputs) -> Outcome {
    if !s.enable_integration_monitoring {
        return Outcome::not_applicable("Integration Monitoring is not enabled").on(IEM);
    }
    Outcome::manual(
        "Integration Monitoring is enabled; calm-audit cannot see SAP Cloud ALM: check that data collection is \
         activated in Integration and Exception Monitoring (see `calm-audit explain CALM090`)",
    )
    .on(IEM)
}
