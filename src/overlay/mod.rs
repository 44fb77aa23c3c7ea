//! Overlays applied in one place after the rules ran: rule selection, severity overrides,
//! waivers and the baseline. None of them changes a result's status.

pub mod baseline;
pub mod waivers;

use crate::model::{Finding, Severity};
use crate::rules::Catalog;

/// The code of a rule named by code (any case) or kebab-case name.
pub fn rule_code(catalog: &'static Catalog, key: &str) -> Option<&'static str> {
    catalog.find(key.trim()).map(|r| r.code.as_str())
}

/// What to say about a rule name or code that names no rule: the closest rules when some are
/// close, else where the list is.
pub fn unknown_rule(catalog: &Catalog, key: &str) -> String {
    let mut similar: Vec<String> = catalog.similar(key).iter().map(|r| format!("{} ({})", r.name, r.code)).collect();
    match similar.pop() {
        None => format!("no rule \"{key}\" (`calm-audit rules` lists them)"),
        Some(last) if similar.is_empty() => format!("no rule \"{key}\"; did you mean {last}?"),
        Some(last) => format!("no rule \"{key}\"; did you mean {} or {last}?", similar.join(", ")),
    }
}

/// Keeps the results of `select` (all when empty) minus `ignore`; both hold rule codes.
pub fn select(findings: &mut Vec<Finding>, select: &[&str], ignore: &[&str]) {
    findings.retain(|f| (select.is_empty() || select.contains(&f.code)) && !ignore.contains(&f.code));
}

/// Sets the severity of every result of the overridden rules.
pub fn override_severity(findings: &mut [Finding], overrides: &[(&str, Severity)]) {
    for f in findings {
        if let Some((_, severity)) = overrides.iter().find(|(code, _)| *code == f.code) {
            f.severity = *severity;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_rules_get_the_closest_names() {
        let catalog = Catalog::builtin();
        let says = |key: &str| unknown_rule(catalog, key);
        // A part of a name, another separator, a typo, a code with a digit missing.
        assert_eq!(says("trailing-slash"), "no rule \"trailing-slash\"; did you mean destination-url-trailing-slash (CALM004)?");
        assert!(says("trailing_slash").contains("destination-url-trailing-slash (CALM004)"));
        assert!(says("destination-url-trailing-slahs").contains("did you mean destination-url-trailing-slash (CALM004)?"));
        assert!(says("calm04").contains("destination-url-trailing-slash (CALM004)"));
        assert!(says("CALM04").matches(" (CALM").count() <= 3);
        // Nothing close: no guess, just where the list is.
        assert_eq!(says("xyz"), "no rule \"xyz\" (`calm-audit rules` lists them)");
        assert_eq!(says(""), "no rule \"\" (`calm-audit rules` lists them)");
    }
}
