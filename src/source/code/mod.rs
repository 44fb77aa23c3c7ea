//! Destinations defined as code, before they exist: MTA descriptors ([`mta`]), Terraform
//! configuration ([`terraform`]) and Terraform's JSON plans and state ([`tfjson`]). Each reader
//! turns text into the same [`Destination`] as every other source, with the file and line where
//! each value is written and [`Value::Unresolved`] for what only the deployment knows.

pub mod mta;
pub mod terraform;
pub mod tfjson;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::secret::is_secret_key;
use crate::model::{CodeKind, CodeOrigin, Destination, Level, Origin, Property};
use crate::source::InputError;

/// A value as a reader found it.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// Literal text (numbers and booleans as written).
    Text(String),
    /// Known only at deployment: the placeholder or expression as written.
    Unresolved(String),
    /// A secret the Destination service hid from Terraform (`<redacted>` in a state).
    Removed,
}

/// One property of a destination being built: its value and where that value is written.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub value: Found,
    pub path: String,
    pub line: u32,
    /// Line of the key in the object's own file, when the value is written elsewhere.
    pub key_line: Option<u32>,
}

/// Where the destination object itself is.
pub struct Object<'a> {
    pub path: &'a str,
    pub line: u32,
    pub level: Option<Level>,
    pub kind: CodeKind,
    /// `resource calm-destination`, `btp_subaccount_destination.bpmon`, ...
    pub name: String,
    /// See [`CodeOrigin::opaque`].
    pub opaque: Option<String>,
}

/// `btp_subaccount_destination` attributes that are destination properties; every other
/// property is in `additional_configuration`.
pub const DESTINATION_ATTRIBUTES: [(&str, &str); 6] = [
    ("name", "Name"),
    ("type", "Type"),
    ("proxy_type", "ProxyType"),
    ("url", "URL"),
    ("authentication", "Authentication"),
    ("description", "Description"),
];

/// The Terraform resource types that define destinations (SAP's provider for BTP).
pub const DESTINATION: &str = "btp_subaccount_destination";
pub const DESTINATION_GENERIC: &str = "btp_subaccount_destination_generic";

/// The longest expression text kept to name an unresolved value.
const MAX_SHOWN: usize = 120;

/// What a report may show of an unresolved value. An expression that holds a string literal
/// could hold the secret itself (`coalesce(var.x, "...")`): for secret keys only references
/// (`var.x`, `${x}`, `local.y`) are shown as written.
pub fn shown_expression(key: &str, expression: &str) -> String {
    let expression = expression.trim();
    if is_secret_key(key) && !is_reference(expression) {
        return "an expression (not shown, as it may hold the secret)".into();
    }
    // Like every message, never a URL's credentials or query values; redacted before it is cut,
    // so a cut cannot separate a password from the `@` that marks it.
    let shown = crate::model::url::redact_urls_in(&expression.replace(['\n', '\r'], " ")).into_owned();
    if shown.chars().count() > MAX_SHOWN {
        let cut: String = shown.chars().take(MAX_SHOWN).collect();
        return format!("{cut}...");
    }
    shown
}

/// One whole reference: `${name}` / `~{name}` (MTA) or a traversal such as `var.x` (Terraform).
fn is_reference(text: &str) -> bool {
    let name = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
    if let Some(inner) = text.strip_prefix("${").or_else(|| text.strip_prefix("~{")).and_then(|t| t.strip_suffix('}')) {
        return name(inner);
    }
    text.starts_with(|c: char| c.is_ascii_alphabetic()) && name(text) && text.contains('.')
}

/// The kind of expression in which a string literal can become the secret, if any: a fallback
/// (`coalesce(var.x, "...")`, `try(...)`), a branch of a conditional, a function argument
/// (`base64decode("...")`), the literal part of a template (`"...${var.x}"`, MTA `...${x}`).
/// Literals that name rather than hold a value are not counted: the key of `lookup`, the path
/// of `file` and its kin, an empty string.
pub fn literal_in_expression(expression: &str) -> Option<&'static str> {
    let e = expression.trim();
    let without_templates = |text: &str| -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${").into_iter().chain(rest.find("~{")).min() {
            out.push_str(&rest[..start]);
            rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
        }
        out.push_str(rest);
        out
    };
    if !e.contains('"') {
        // An MTA value: literal text around a placeholder.
        let has_placeholder = e.contains("${") || e.contains("~{");
        return (has_placeholder && !without_templates(e).trim().is_empty()).then_some("the literal part of a template");
    }
    let function =
        e.split_once('(').map(|(f, _)| f.trim()).filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    let literals: Vec<&str> = e.split('"').skip(1).step_by(2).collect();
    let counted: Vec<&str> = match function {
        Some("file" | "filebase64" | "templatefile" | "fileexists" | "filesha256") => Vec::new(),
        Some("lookup") => literals.iter().skip(1).copied().collect(),
        _ => literals,
    };
    if !counted.iter().any(|l| !without_templates(l).trim().is_empty()) {
        return None;
    }
    Some(match function {
        Some("coalesce" | "try" | "can") => "a fallback",
        Some(_) => "a function argument",
        None if e.contains('?') && e.contains(':') => "a branch of a conditional",
        None if e.contains("${") => "the literal part of a template",
        None => "a string literal",
    })
}

/// Builds the destination; a value written in another file than the object is noted so the
/// rules point at the right file.
pub fn destination(entries: Vec<Entry>, object: Object) -> Destination {
    let mut elsewhere = Vec::new();
    let mut keys = Vec::new();
    let mut properties = Vec::with_capacity(entries.len());
    let mut literal_secrets = Vec::new();
    for e in entries {
        if e.path != object.path {
            elsewhere.push((e.key.clone(), e.path));
        }
        if let Some(line) = e.key_line.filter(|l| *l != e.line) {
            keys.push((e.key.clone(), line));
        }
        properties.push(match e.value {
            Found::Text(t) => Property::new(e.key, t, Some(e.line)),
            Found::Removed => Property::removed(e.key, Some(e.line)),
            Found::Unresolved(x) => {
                if is_secret_key(&e.key) {
                    crate::model::destination::remember_literals(&x);
                    if let Some(kind) = literal_in_expression(&x) {
                        literal_secrets.push((e.key.clone(), kind));
                    }
                }
                let shown = shown_expression(&e.key, &x);
                Property::unresolved(e.key, shown, Some(e.line))
            }
        });
    }
    let code = CodeOrigin { kind: object.kind, object: object.name, elsewhere, keys, opaque: object.opaque, literal_secrets };
    let mut origin = Origin::file(object.path, object.line, object.level);
    origin.code = Some(Box::new(code));
    Destination { properties, origin, probe: None }
}

/// An MTA placeholder: `${...}` (parameters, resolved by the deployer) or `~{...}` (properties
/// of required modules and resources).
pub fn has_placeholder(text: &str) -> bool {
    text.contains("${") || text.contains("~{")
}

/// Whether a file name is read by one of the readers here, which need the other files of the
/// run (an MTA descriptor's extensions, a Terraform module's other files and variables).
pub fn is_code_file(name: &str) -> bool {
    mta::is_descriptor_name(name) || mta::is_extension_name(name) || name.ends_with(".tf") || name.ends_with(".tfvars")
}

/// A descriptor or configuration file, read and waiting for the rest of the run.
pub struct Pending {
    /// Which destination path of the command line reached it.
    pub arg: usize,
    pub shown: String,
    /// The file's canonical path: the same file reached twice (named and walked) is read once,
    /// and a module is the files of one real folder however they were named.
    pub real: std::path::PathBuf,
    pub text: String,
    /// Named on the command line (its faults stop the run) rather than found by a walk.
    pub named: bool,
}

/// What the files of a run gave.
#[derive(Default)]
pub struct Finished {
    pub destinations: Vec<Destination>,
    /// Files that gave destinations (or took part in giving them).
    pub read: usize,
    /// Walked files passed over: (display path, reason).
    pub skipped: Vec<(String, String)>,
    /// Files that could not be read, each with whether it was named on the command line.
    pub errors: Vec<(InputError, Pending)>,
    /// Command-line paths that led to at least one destination.
    pub found_args: Vec<usize>,
}

fn file_name(shown: &str) -> &str {
    Path::new(shown).file_name().and_then(|n| n.to_str()).unwrap_or(shown)
}

/// Reads every pending file together: MTA descriptors with the extensions of the run, and each
/// folder's Terraform files as one module with its variables files.
pub fn finish(pending: Vec<Pending>) -> Finished {
    let mut done = Finished::default();
    let mut unique: Vec<Pending> = Vec::with_capacity(pending.len());
    for p in pending {
        match unique.iter_mut().find(|u| u.real == p.real) {
            // Named wins: its faults are the user's to see, and its path leads to destinations.
            Some(u) if p.named && !u.named => *u = p,
            Some(_) => {}
            None => unique.push(p),
        }
    }
    let pending = unique;
    let (mta_files, rest): (Vec<Pending>, Vec<Pending>) = pending.into_iter().partition(|p| {
        let name = file_name(&p.shown);
        mta::is_descriptor_name(name) || mta::is_extension_name(name)
    });
    read_group(mta_files, &mut done, "an MTA descriptor without destinations", |files| {
        let texts: Vec<(&str, &str)> = files.iter().map(|p| (p.shown.as_str(), p.text.as_str())).collect();
        mta::read(&texts)
    });
    // Terraform: one module per folder.
    let mut modules: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
    for p in rest {
        let folder = p.real.parent().map(|f| f.display().to_string()).unwrap_or_default();
        let name = file_name(&p.shown);
        if name.ends_with(".tfvars") && !p.named && !terraform::is_auto_loaded(name) {
            done.skipped
                .push((p.shown, "a variables file Terraform does not load by itself (name it on the command line to apply it)".into()));
            continue;
        }
        modules.entry(folder).or_default().push(p);
    }
    for (_, files) in modules {
        if !files.iter().any(|p| p.shown.ends_with(".tf")) {
            for p in files {
                if p.named {
                    let e = InputError::new(&p.shown, None, "a variables file without the Terraform configuration (*.tf) of its folder");
                    done.errors.push((e, p));
                } else {
                    done.skipped.push((p.shown, "a variables file without Terraform configuration beside it".into()));
                }
            }
            continue;
        }
        read_group(files, &mut done, "Terraform configuration without destination resources", |files| {
            let mut config: Vec<terraform::File> = Vec::new();
            let mut vars: Vec<terraform::File> = Vec::new();
            // Terraform's order: terraform.tfvars, then *.auto.tfvars by name, then the files named.
            let mut ordered: Vec<&Pending> = files.iter().collect();
            ordered.sort_by_key(|p| {
                let name = file_name(&p.shown);
                (name != "terraform.tfvars", !terraform::is_auto_loaded(name), p.shown.clone())
            });
            for p in ordered {
                let file = terraform::File { path: &p.shown, text: &p.text };
                if p.shown.ends_with(".tfvars") { vars.push(file) } else { config.push(file) }
            }
            terraform::read(&config, &vars)
        });
    }
    done
}

/// Reads files that belong together; a file that fails is set apart (an error) and the rest
/// read again without it, so one broken file never hides the others.
fn read_group(
    mut files: Vec<Pending>,
    done: &mut Finished,
    empty: &str,
    read: impl Fn(&[Pending]) -> Result<Vec<Destination>, InputError>,
) {
    while !files.is_empty() {
        match read(&files) {
            Ok(destinations) => {
                if destinations.is_empty() {
                    done.skipped.extend(files.into_iter().map(|p| (p.shown, empty.to_owned())));
                } else {
                    done.read += files.len();
                    done.found_args.extend(files.iter().map(|p| p.arg));
                    done.destinations.extend(destinations);
                }
                return;
            }
            Err(e) => {
                // The error names the file at fault; anything else would loop forever.
                let at = files.iter().position(|p| p.shown == e.path).unwrap_or(0);
                let p = files.remove(at);
                done.errors.push((e, p));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_expressions_are_shown_only_as_references() {
        assert_eq!(shown_expression("clientSecret", "var.calm_client_secret"), "var.calm_client_secret");
        assert_eq!(shown_expression("clientSecret", "${calm-secret}"), "${calm-secret}");
        let hidden = shown_expression("clientSecret", "coalesce(var.x, \"hunter2\")");
        assert!(!hidden.contains("hunter2"), "{hidden}");
        assert!(!shown_expression("Password", "hunter2${suffix}").contains("hunter2"));
        assert_eq!(shown_expression("URL", "\"https://${var.host}/\""), "\"https://${var.host}/\"");
        assert!(shown_expression("URL", &"x".repeat(500)).len() < 130);
        assert!(!shown_expression("URL", "\"https://${var.host}/?token=abc123\"").contains("abc123"));
    }
}
