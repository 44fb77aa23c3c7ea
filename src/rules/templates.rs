//! The declarative checks: each template is a property test whose parameters come from
//! `rules/catalog.toml`.

use super::catalog::{Template, WhenAbsent};
use super::context::Outcome;
use crate::model::{Destination, Fix, Property, Severity, Value};

/// `"value"` for text, a fixed word for secrets; messages never carry a secret.
fn shown(p: &Property) -> String {
    match &p.value {
        Value::Text(t) => super::context::quoted(t),
        Value::Secret(_) => "a secret value (not shown)".into(),
        Value::Removed => "a value removed on export".into(),
        Value::Unresolved(e) => format!("`{e}`, known only at deployment"),
    }
}

fn absent(d: &Destination, property: &str) -> String {
    match d.case_variant(property) {
        Some(variant) => format!("{property} is not set (\"{variant}\" is, but property names are case-sensitive)"),
        None => format!("{property} is not set"),
    }
}

/// Runs a template on a destination. `explicit_defaults`: the destination's setup page asks to
/// set properties whose BTP default is already right, so an absent one is a warning; otherwise
/// an absent one passes, as the default is what the page relies on (see `rules/profiles.toml`).
pub fn run(template: &Template, d: &Destination, explicit_defaults: bool) -> Outcome {
    match template {
        Template::Prefix { property, prefix } => match d.get(property) {
            None => Outcome::fail(absent(d, property)).on(property).fix(prefix_fix(property, prefix, None)),
            Some(p) => match p.text() {
                Some(t) if t.starts_with(prefix.as_str()) => {
                    Outcome::pass(format!("{property} {} starts with \"{prefix}\"", shown(p))).on(property)
                }
                Some(t) if t.to_ascii_uppercase().starts_with(&prefix.to_ascii_uppercase()) => Outcome::fail(format!(
                    "{property} {} starts with \"{prefix}\" only when letter case is ignored; expected exactly \"{prefix}\"",
                    shown(p)
                ))
                .on(property)
                .fix(prefix_fix(property, prefix, t.get(prefix.len()..))),
                _ => Outcome::fail(format!("{property} {} does not start with \"{prefix}\"", shown(p)))
                    .on(property)
                    .fix(prefix_fix(property, prefix, None)),
            },
        },
        Template::Equals { property, expected, when_absent } => match d.get(property) {
            None => {
                let outcome = Outcome::fail(format!("{}; expected \"{expected}\"", absent(d, property))).on(property).fix(Fix::set(
                    property,
                    expected,
                    "the rule's value",
                ));
                match when_absent {
                    WhenAbsent::Fail => outcome,
                    WhenAbsent::Warning if !explicit_defaults => Outcome::pass(format!(
                        "{property} is not set; the default, \"{expected}\", is right and this destination's setup page does not ask for it"
                    ))
                    .on(property),
                    WhenAbsent::Warning => Outcome {
                        message: format!(
                            "{}; the default happens to be \"{expected}\", but the setup asks for it explicitly",
                            absent(d, property)
                        ),
                        ..outcome
                    }
                    .at(Severity::Warning),
                }
            }
            Some(p) if p.text() == Some(expected.as_str()) => Outcome::pass(format!("{property} is \"{expected}\"")).on(property),
            Some(p) => Outcome::fail(format!("{property} is {}; expected \"{expected}\"", shown(p))).on(property).fix(Fix::set(
                property,
                expected,
                "the rule's value",
            )),
        },
        Template::NotBlank { property } => match d.get(property) {
            None => Outcome::fail(absent(d, property)).on(property).fix(enter(property)),
            Some(p) => match &p.value {
                Value::Text(t) if t.trim().is_empty() => Outcome::fail(format!("{property} is blank")).on(property).fix(enter(property)),
                Value::Secret(s) if s.is_blank() => Outcome::fail(format!("{property} is blank")).on(property).fix(enter(property)),
                Value::Removed => {
                    Outcome::manual(format!("{property} was removed on export; check in the cockpit that it is filled")).on(property)
                }
                _ => Outcome::pass(format!("{property} is set")).on(property),
            },
        },
        Template::NotEqualIgnoreCase { property, forbidden } => match d.get(property).and_then(Property::text) {
            Some(t) if t.trim().eq_ignore_ascii_case(forbidden) => {
                Outcome::fail(format!("{property} is {}", super::context::quoted(t))).on(property).fix(Fix::remove(property))
            }
            Some(t) => Outcome::pass(format!("{property} is {}", super::context::quoted(t))).on(property),
            None => Outcome::pass(format!("{property} is not set")),
        },
        Template::Trimmed { properties } => {
            let bad: Vec<&str> = properties
                .iter()
                .filter(|key| {
                    d.get(key).is_some_and(|p| match &p.value {
                        Value::Text(t) => t.trim() != t,
                        Value::Secret(s) => s.has_surrounding_whitespace(),
                        Value::Removed | Value::Unresolved(_) => false,
                    })
                })
                .map(String::as_str)
                .collect();
            match bad.first() {
                None => Outcome::pass(format!("no leading or trailing white space in {}", properties.join(", "))),
                Some(first) => {
                    let detail: Vec<String> = bad
                        .iter()
                        .map(|k| match d.get(k).map(|p| &p.value) {
                            Some(Value::Text(t)) => format!("{k} {}", super::context::quoted_escaped(t)),
                            _ => format!("{k} (a secret, not shown)"),
                        })
                        .collect();
                    let fix = match d.get(first).map(|p| &p.value) {
                        Some(Value::Text(t)) => Fix::set(first, t.trim(), &format!("{first} without the white space")),
                        _ => Fix::step(
                            Some(first),
                            format!(
                                "enter {first} again without leading or trailing white space ({})",
                                super::destination::source_of(first)
                            ),
                        ),
                    };
                    Outcome::fail(format!("leading or trailing white space in {}", detail.join(", "))).on(first).fix(fix)
                }
            }
        }
        Template::OneOf { property, allowed, ignore_case } => {
            let listed = allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(" or ");
            let Some(p) = d.get(property) else {
                return Outcome::fail(format!("{}; expected {listed}", absent(d, property)))
                    .on(property)
                    .fix(one_of_fix(property, allowed));
            };
            let text = p.text().unwrap_or_default();
            let same = |a: &String| if *ignore_case { a.eq_ignore_ascii_case(text) } else { a == text };
            if p.text().is_some() && allowed.iter().any(same) {
                Outcome::pass(format!("{property} is \"{text}\"")).on(property)
            } else if let Some(a) = allowed.iter().find(|a| a.eq_ignore_ascii_case(text.trim())) {
                let why = if a.eq_ignore_ascii_case(text) { "letter case matters" } else { "white space matters" };
                Outcome::fail(format!("{property} is {}; expected \"{a}\" ({why})", shown(p))).on(property).fix(Fix::set(
                    property,
                    a.as_str(),
                    "the rule's value",
                ))
            } else {
                Outcome::fail(format!("{property} is {}; expected {listed}", shown(p))).on(property).fix(one_of_fix(property, allowed))
            }
        }
        Template::Forbidden { keys, key_prefixes, key_values } => {
            let mut found: Vec<String> = Vec::new();
            let mut first: Option<&str> = None;
            let mut keys_found: Vec<&str> = Vec::new();
            for p in &d.properties {
                let hit = if keys.iter().any(|k| p.key == *k) || key_prefixes.iter().any(|pre| p.key.starts_with(pre.as_str())) {
                    Some(format!("{} is set", p.key))
                } else {
                    key_values
                        .iter()
                        .find(|kv| p.key == kv.key && p.text().is_some_and(|t| t.trim().eq_ignore_ascii_case(&kv.value)))
                        .map(|_| format!("{} is \"{}\"", p.key, p.text().unwrap_or_default()))
                };
                if let Some(h) = hit {
                    first.get_or_insert(&p.key);
                    keys_found.push(&p.key);
                    found.push(h);
                }
            }
            match first {
                None => Outcome::pass("no property changes the token request"),
                Some(key) => Outcome::fail(format!("the token request is altered: {}", found.join("; ")))
                    .on(key)
                    .fix(Fix::removing(key, &keys_found)),
            }
        }
    }
}

/// The fix of a `prefix` check: the value when only letter case differs (`rest` is what follows
/// the prefix), otherwise the step, since a new name is a person's choice.
fn prefix_fix(property: &str, prefix: &str, rest: Option<&str>) -> Fix {
    match rest {
        Some(rest) => Fix::set(property, format!("{prefix}{rest}"), &format!("\"{prefix}\" in upper case and the rest as it is")),
        None if property == "Name" => Fix::step(
            Some(property),
            format!(
                "create the destination again with a Name that starts with \"{prefix}\" (a saved name cannot be edited), and select it in the settings"
            ),
        ),
        None => Fix::step(Some(property), format!("set {property} to a value that starts with \"{prefix}\"")),
    }
}

/// The fix of a `one_of` check with no value to correct: the value when only one is allowed,
/// otherwise the choice.
fn one_of_fix(property: &str, allowed: &[String]) -> Fix {
    match allowed {
        [only] => Fix::set(property, only.as_str(), "the rule's value"),
        _ => Fix::step(
            Some(property),
            format!("set {property} to one of {}", allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")),
        ),
    }
}

/// The fix of a property that must be filled: where its value comes from.
fn enter(property: &str) -> Fix {
    Fix::step(Some(property), format!("set {property} to {}", super::destination::source_of(property)))
}
