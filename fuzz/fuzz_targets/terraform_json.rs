//! `terraform show -json` plans and state: never a panic, whatever the document; the rule
//! catalog runs over what loaded.
#![no_main]

use calm_audit::rules::{Catalog, Inputs, audit};
use calm_audit::source::code::tfjson;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(destinations) = tfjson::read("plan.json", text) {
        let inputs = Inputs { destinations: &destinations, destinations_given: true, ..Default::default() };
        let _ = audit(Catalog::builtin(), &inputs);
    }
});
