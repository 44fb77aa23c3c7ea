//! Destinations defined as code, before they exist: MTA descriptors ([`mta`]), Terraform
//! configuration ([`terraform`]) and Terraform's JSON plans and state ([`tfjson`]). Each reader
//! turns text into the same [`Destination`] as every other source, with the file and line where
//! each value is written and [`Value::Unresolved`] for what only the deployment knows.

pub mod bound;
pub mod hcl_bound;
pub mod mta;
pub mod terraform;
pub mod tfjson;
pub mod yaml;

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
    /// Computed from values the repository holds by a function calm-audit does not evaluate:
    /// the expression as written. Not left to the deployment, so a person checks it (`manual`).
    Computed(String),
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
    /// See [`CodeOrigin::cloud_alm_hint`].
    pub cloud_alm_hint: bool,
    /// See [`CodeOrigin::name_start`].
    pub name_start: Option<String>,
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
/// The Terraform resource that uploads a certificate or keystore for destinations.
pub const CERTIFICATE: &str = "btp_subaccount_destination_certificate";

/// A certificate a Terraform module uploads (`btp_subaccount_destination_certificate`).
#[derive(Clone, Debug)]
pub struct CertificateResource {
    /// `certificate_name`: what `tokenService.KeyStoreLocation` names.
    pub name: Option<Found>,
    pub content: Option<CertificateContent>,
    pub level: Level,
    /// The Terraform file and the line of the resource.
    pub path: String,
    pub line: u32,
    pub address: String,
}

/// `certificate_content` as written.
#[derive(Clone, Debug)]
pub enum CertificateContent {
    /// `filebase64("path")`: the file, relative to the module's folder.
    File(String),
    /// The base64 of the file, written out.
    Base64(String),
    /// Known only at apply time.
    Unresolved(String),
}

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
/// (`coalesce(var.x, "...")`, `try(...)`, the default of `lookup`), a branch of a conditional,
/// a function argument (`base64decode("...")`), the literal part of a template (`"...${var.x}"`,
/// MTA `...${x}`). CALM070 judges where the value comes from (SPEC 2.1): a literal that is the
/// value or part of its text counts; a literal that only selects or names something never does
/// (`jsondecode(var.key)["uaa"]["clientsecret"]`, the key of `lookup`, a map key, the condition
/// of a conditional or of a `for`, a pattern that `replace`, `split` or `regex` matches, the
/// suffix `trimsuffix` removes, the path of `file` and its kin), nor does an empty string.
pub fn literal_in_expression(expression: &str) -> Option<&'static str> {
    let e = expression.trim();
    if !e.contains('"') && !e.contains("<<") {
        // An MTA value: literal text around a placeholder.
        let has_placeholder = e.contains("${") || e.contains("~{");
        return (has_placeholder && !literal_text(e).trim().is_empty()).then_some("the literal part of a template");
    }
    // A Terraform expression, as written in the native syntax, or a JSON-syntax string (a
    // template whose interpolations hold the expressions).
    if let Ok(parsed) = hcl_edit::parser::parse_expr(e) {
        return literal_kind(&parsed, TOP);
    }
    if (e.contains("${") || e.contains("%{"))
        && let Ok(template) = hcl_edit::parser::parse_template(e)
    {
        return template_kind(&template, TOP);
    }
    // Neither parses: count every quoted literal, as nothing tells a selector from a value.
    e.split('"').skip(1).step_by(2).any(|l| !literal_text(l).trim().is_empty()).then_some("a string literal")
}

/// The text of an MTA value or a template without its placeholders.
fn literal_text(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${").into_iter().chain(rest.find("~{")).min() {
        out.push_str(&rest[..start]);
        rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
    }
    out.push_str(rest);
    out
}

/// What a literal in value position is called at the top of an expression.
const TOP: &str = "a string literal";

/// The first literal of `e` that is (part of) the value, named by where it sits (`kind`, which
/// the enclosing fallback, conditional or function call sets).
fn literal_kind(e: &hcl_edit::expr::Expression, kind: &'static str) -> Option<&'static str> {
    use hcl_edit::expr::{BinaryOperator as B, Expression as E};
    match e {
        E::String(s) => (!s.value().trim().is_empty()).then_some(kind),
        E::StringTemplate(t) => template_elements(t.iter(), kind),
        E::HeredocTemplate(h) => template_kind(&h.template, kind),
        E::Parenthesis(p) => literal_kind(p.inner(), kind),
        E::Array(items) => items.iter().find_map(|i| literal_kind(i, kind)),
        // Keys name members; the values are what the object holds.
        E::Object(object) => object.iter().find_map(|(_, v)| literal_kind(v.expr(), kind)),
        E::Null(_) | E::Bool(_) | E::Number(_) | E::Variable(_) => None,
        // The condition selects a branch; the branches are the value.
        E::Conditional(c) => {
            literal_kind(&c.true_expr, "a branch of a conditional").or_else(|| literal_kind(&c.false_expr, "a branch of a conditional"))
        }
        // An index or attribute selects from what the traversal starts with.
        E::Traversal(t) => literal_kind(&t.expr, kind),
        E::UnaryOp(u) => literal_kind(&u.expr, kind),
        // A comparison gives a boolean: its literals select. Arithmetic and logic are the value.
        E::BinaryOp(b) => match b.operator.value() {
            B::Eq | B::NotEq | B::Less | B::LessEq | B::Greater | B::GreaterEq => None,
            _ => literal_kind(&b.lhs_expr, kind).or_else(|| literal_kind(&b.rhs_expr, kind)),
        },
        // The collection and the value are the value; the key names, the condition selects.
        E::ForExpr(f) => literal_kind(&f.intro.collection_expr, kind).or_else(|| literal_kind(&f.value_expr, kind)),
        E::FuncCall(call) => {
            let args: Vec<&E> = call.args.iter().collect();
            let arg = |i: usize, kind: &'static str| args.get(i).and_then(|a| literal_kind(a, kind));
            let rest = |from: usize, kind: &'static str| args.iter().skip(from).find_map(|a| literal_kind(a, kind));
            const ARGUMENT: &str = "a function argument";
            const FALLBACK: &str = "a fallback";
            match call.name.name.as_str() {
                "coalesce" | "coalescelist" | "try" | "can" => rest(0, FALLBACK),
                // The map is the value, the key selects, the default is a fallback.
                "lookup" => arg(0, ARGUMENT).or_else(|| arg(2, FALLBACK)),
                // A path names a file; the variables of a template are values.
                "file" | "filebase64" | "fileexists" | "fileset" | "filesha1" | "filesha256" | "filesha512" | "filemd5"
                | "filebase64sha256" | "filebase64sha512" | "abspath" | "dirname" | "basename" | "pathexpand" => None,
                "templatefile" => rest(1, ARGUMENT),
                // Selectors: an index, a pattern, a separator to split on, a prefix or suffix to
                // remove, characters to trim, an offset.
                "element" | "index" | "contains" | "startswith" | "endswith" | "strcontains" | "trimsuffix" | "trimprefix" | "trim"
                | "substr" | "slice" | "keys" | "length" => arg(0, ARGUMENT),
                "split" | "regex" | "regexall" => arg(1, ARGUMENT),
                // The replacement becomes part of the text; what it replaces selects.
                "replace" => arg(0, ARGUMENT).or_else(|| arg(2, ARGUMENT)),
                // A format's verbs are not text; the rest of the format string is.
                "format" => args
                    .first()
                    .and_then(|f| match f {
                        E::String(s) => (!format_text(s.value()).trim().is_empty()).then_some(ARGUMENT),
                        other => literal_kind(other, ARGUMENT),
                    })
                    .or_else(|| rest(1, ARGUMENT)),
                // Any other function: its literal arguments may become the value.
                _ => rest(0, ARGUMENT),
            }
        }
    }
}

/// A format string without its verbs (`%s`, `%-10d`, `%%`).
fn format_text(format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        while chars.next_if(|c| "-+# 0123456789.[]*".contains(*c)).is_some() {}
        chars.next();
    }
    out
}

fn template_kind(t: &hcl_edit::template::Template, kind: &'static str) -> Option<&'static str> {
    template_elements(t.iter(), kind)
}

/// The literal parts of a template are the value's text; its interpolations are judged as
/// expressions; a directive (`%{if}`) is counted when it holds literal text.
fn template_elements<'a>(elements: impl Iterator<Item = &'a hcl_edit::template::Element>, kind: &'static str) -> Option<&'static str> {
    use hcl_edit::template::Element;
    let part = if kind == TOP { "the literal part of a template" } else { kind };
    let mut found = None;
    for element in elements {
        let here = match element {
            Element::Literal(l) => (!l.value().trim().is_empty()).then_some(part),
            Element::Interpolation(i) => literal_kind(&i.expr, kind),
            Element::Directive(_) => Some(part),
        };
        if here.is_some() {
            found = here;
            break;
        }
    }
    found
}

/// Builds the destination; a value written in another file than the object is noted so the
/// rules point at the right file.
pub fn destination(entries: Vec<Entry>, object: Object) -> Destination {
    let mut elsewhere = Vec::new();
    let mut keys = Vec::new();
    let mut properties = Vec::with_capacity(entries.len());
    let mut literal_secrets = Vec::new();
    let mut computed = Vec::new();
    for e in entries {
        let computed_here = matches!(e.value, Found::Computed(_));
        if e.path != object.path {
            elsewhere.push((e.key.clone(), e.path));
        }
        if let Some(line) = e.key_line.filter(|l| *l != e.line) {
            keys.push((e.key.clone(), line));
        }
        properties.push(match e.value {
            Found::Text(t) => Property::new(e.key, t, Some(e.line)),
            Found::Removed => Property::removed(e.key, Some(e.line)),
            Found::Unresolved(x) | Found::Computed(x) => {
                if computed_here {
                    computed.push(e.key.clone());
                }
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
    let code = CodeOrigin {
        kind: object.kind,
        object: object.name,
        elsewhere,
        keys,
        opaque: object.opaque,
        literal_secrets,
        computed,
        cloud_alm_hint: object.cloud_alm_hint,
        name_start: object.name_start.filter(|s| !s.is_empty()),
    };
    let mut origin = Origin::file(object.path, object.line, object.level);
    origin.code = Some(Box::new(code));
    Destination { properties, origin, probe: None }
}

/// Whether the known parts of a `Name` or `URL` known only in part show a Cloud ALM
/// destination (SPEC 2.1): a name whose known start is `CALM_` (any case), or a URL whose host,
/// with the unknown parts as a label, is a Cloud ALM host. `name_start` is the name's text
/// before its first unknown part; `url` the URL with each unknown part as `x`.
pub fn shows_cloud_alm(name_start: Option<&str>, url: Option<&str>) -> bool {
    let name = name_start.is_some_and(|n| n.trim_start().get(..5).is_some_and(|p| p.eq_ignore_ascii_case("CALM_")));
    name || url.is_some_and(literal_shows_cloud_alm_host)
}

/// Whether a known piece of a URL (unknown parts as `x`) shows a Cloud ALM host: a whole URL
/// whose host is one, or a piece without a scheme that a scheme in front would make one
/// (`x.eu10.alm.cloud.sap/`, the `.eu10.alm.cloud.sap/` that `join` puts after a tenant).
fn literal_shows_cloud_alm_host(piece: &str) -> bool {
    let is = |u: &str| crate::model::destination::is_cloud_alm("", Some(u), None);
    let piece = piece.trim();
    if is(piece) {
        return true;
    }
    if piece.contains("://") {
        return false;
    }
    let rest = piece.trim_start_matches('/');
    let label = if rest.starts_with('.') { "x" } else { "" };
    is(&format!("https://{label}{rest}"))
}

/// Whether a string literal anywhere in a `URL`'s unresolved expression shows a Cloud ALM host
/// (SPEC 2.1: a known part of it shows Cloud ALM, so it is in scope and judged): a branch of a
/// conditional, a format string (its verbs as `x`), a piece that `join` puts together, a value of
/// the map `lookup` or an index selects from, a template's literal parts (its interpolations as
/// `x`), an MTA value's text around its placeholders. What only removes or matches text (the
/// pattern of `replace`, the suffix of `trimsuffix`, a separator of `split`) shows nothing. An
/// expression nested too deeply to look into is taken as showing it: never judged harmless.
pub fn url_expression_shows_cloud_alm(expression: &str) -> bool {
    let e = expression.trim();
    let mut pieces = Vec::new();
    if !e.contains('"') && !e.contains("<<") {
        // An MTA value (or a JSON-syntax template): its text with each placeholder as `x`.
        pieces.push(placeholders_as_x(e));
    } else if let Ok(parsed) = hcl_edit::parser::parse_expr(e) {
        if !expression_pieces(&parsed, &mut pieces, 0) {
            return true;
        }
    } else if let Ok(template) = hcl_edit::parser::parse_template(e) {
        if !template_pieces(template.iter(), &mut pieces, 0) {
            return true;
        }
    } else {
        pieces.extend(e.split('"').skip(1).step_by(2).map(placeholders_as_x));
    }
    pieces.iter().any(|p| literal_shows_cloud_alm_host(p))
}

/// How deeply [`url_expression_shows_cloud_alm`] looks into an expression.
const MAX_PIECE_DEPTH: usize = 64;

/// A text with each `${...}` / `~{...}` placeholder as `x`.
fn placeholders_as_x(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${").into_iter().chain(rest.find("~{")).min() {
        out.push_str(&rest[..start]);
        out.push('x');
        rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
    }
    out.push_str(rest);
    out
}

/// Collects the string literals of `e` that may become (part of) its text; `false` when `e` is
/// nested deeper than [`MAX_PIECE_DEPTH`].
fn expression_pieces(e: &hcl_edit::expr::Expression, out: &mut Vec<String>, depth: usize) -> bool {
    use hcl_edit::expr::Expression as E;
    if depth > MAX_PIECE_DEPTH {
        return false;
    }
    let d = depth + 1;
    match e {
        E::String(s) => {
            out.push(s.value().to_string());
            true
        }
        E::StringTemplate(t) => template_pieces(t.iter(), out, d),
        E::HeredocTemplate(h) => template_pieces(h.template.iter(), out, d),
        E::Parenthesis(p) => expression_pieces(p.inner(), out, d),
        E::Array(items) => items.iter().all(|i| expression_pieces(i, out, d)),
        E::Object(object) => object.iter().all(|(_, v)| expression_pieces(v.expr(), out, d)),
        E::Null(_) | E::Bool(_) | E::Number(_) | E::Variable(_) => true,
        E::Conditional(c) => [&c.cond_expr, &c.true_expr, &c.false_expr].into_iter().all(|x| expression_pieces(x, out, d)),
        E::Traversal(t) => expression_pieces(&t.expr, out, d),
        E::UnaryOp(u) => expression_pieces(&u.expr, out, d),
        E::BinaryOp(b) => expression_pieces(&b.lhs_expr, out, d) && expression_pieces(&b.rhs_expr, out, d),
        E::ForExpr(f) => expression_pieces(&f.intro.collection_expr, out, d) && expression_pieces(&f.value_expr, out, d),
        E::FuncCall(call) => {
            // What only matches or removes text is not part of it.
            let skipped: &[usize] = match call.name.name.as_str() {
                "replace" | "trimsuffix" | "trimprefix" | "trim" => &[1],
                "split" | "regex" | "regexall" => &[0],
                _ => &[],
            };
            let format = call.name.name.as_str() == "format" || call.name.name.as_str() == "formatlist";
            call.args.iter().enumerate().filter(|(i, _)| !skipped.contains(i)).all(|(i, a)| match a {
                E::String(s) if format && i == 0 => {
                    out.push(format_verbs_as_x(s.value()));
                    true
                }
                other => expression_pieces(other, out, d),
            })
        }
    }
}

/// A template's literal parts joined, each interpolation or directive as `x`, and the literals
/// inside its interpolations; `false` when nested too deeply.
fn template_pieces<'a>(elements: impl Iterator<Item = &'a hcl_edit::template::Element>, out: &mut Vec<String>, depth: usize) -> bool {
    use hcl_edit::template::Element;
    if depth > MAX_PIECE_DEPTH {
        return false;
    }
    let mut shape = String::new();
    let mut inner = Vec::new();
    for element in elements {
        match element {
            Element::Literal(l) => shape.push_str(l.value()),
            Element::Interpolation(i) => {
                shape.push('x');
                if !expression_pieces(&i.expr, &mut inner, depth + 1) {
                    return false;
                }
            }
            Element::Directive(_) => shape.push('x'),
        }
    }
    out.push(shape);
    out.append(&mut inner);
    true
}

/// A format string with each verb (`%s`, `%-10d`) as `x` and `%%` as `%`.
fn format_verbs_as_x(format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'%').is_some() {
            out.push('%');
            continue;
        }
        while chars.next_if(|c| "-+# 0123456789.[]*".contains(*c)).is_some() {}
        chars.next();
        out.push('x');
    }
    out
}

/// An MTA placeholder: `${...}` (parameters, resolved by the deployer) or `~{...}` (properties
/// of required modules and resources).
pub fn has_placeholder(text: &str) -> bool {
    text.contains("${") || text.contains("~{")
}

/// Whether a file name is read by one of the readers here, which need the other files of the
/// run (an MTA descriptor's extensions, a Terraform module's other files and variables).
pub fn is_code_file(name: &str) -> bool {
    mta::is_descriptor_name(name) || mta::is_extension_name(name) || terraform::is_terraform_name(name)
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
    /// The certificates Terraform modules upload, read from the files they name.
    pub keystores: Vec<crate::model::certificate::Keystore>,
    /// Files that gave destinations (or took part in giving them).
    pub read: usize,
    /// Walked files passed over: (display path, reason).
    pub skipped: Vec<(String, String)>,
    /// Variables files Terraform loads only when given (`-var-file`), found and not applied.
    pub not_applied: Vec<String>,
    /// What the user should know: module calls that were not followed.
    pub notes: Vec<String>,
    /// Files that could not be read, each with whether it was named on the command line. One
    /// a bound stopped ([`InputError::bound`]) is a failed source however it was reached.
    pub errors: Vec<(InputError, Pending)>,
    /// Files whose reading is incomplete though what was read stands (a bound reached part
    /// way, a remote module given Cloud ALM values): failed sources, named or walked; each
    /// with the command-line path that reached it.
    pub failures: Vec<(InputError, usize)>,
    /// Command-line paths that led to at least one destination.
    pub found_args: Vec<usize>,
    /// The certificate resources of the module being read.
    certificates: Vec<CertificateResource>,
}

fn file_name(shown: &str) -> &str {
    Path::new(shown).file_name().and_then(|n| n.to_str()).unwrap_or(shown)
}

/// Why a variables file found in a walk was not applied, as the coverage names it.
pub const NOT_APPLIED: &str =
    "not applied: Terraform loads this variables file only when it is given with -var-file (--var-file applies it)";

/// Reads every pending file together: MTA descriptors with the extensions of the run, and the
/// run's Terraform configuration with its variables files. `var_files` are the files given
/// with `--var-file`, in order; `max_bytes` bounds the files of a module folder a module call
/// leads to outside the paths read.
pub fn finish(pending: Vec<Pending>, var_files: Vec<Pending>, max_bytes: u64) -> Finished {
    finish_bounded(pending, var_files, max_bytes, &bound::Bounds::default())
}

/// [`finish`] within `bounds` ([`bound`]).
pub fn finish_bounded(pending: Vec<Pending>, var_files: Vec<Pending>, max_bytes: u64, bounds: &bound::Bounds) -> Finished {
    finish_selecting(pending, var_files, max_bytes, bounds, None)
}

/// [`finish_bounded`] knowing the destination name the settings select (`selected`): a remote
/// Terraform module given it may define that destination, so the call is a failed source.
pub fn finish_selecting(
    pending: Vec<Pending>,
    var_files: Vec<Pending>,
    max_bytes: u64,
    bounds: &bound::Bounds,
    selected: Option<&str>,
) -> Finished {
    let mut done = Finished::default();
    let applied: std::collections::HashSet<std::path::PathBuf> = var_files.iter().map(|p| p.real.clone()).collect();
    let mut unique: Vec<Pending> = Vec::with_capacity(pending.len());
    let mut at: std::collections::HashMap<std::path::PathBuf, usize> = std::collections::HashMap::with_capacity(pending.len());
    for p in pending {
        // A variables file given with --var-file is applied as that, not read again as found.
        if applied.contains(&p.real) {
            continue;
        }
        match at.get(&p.real) {
            // Named wins: its faults are the user's to see, and its path leads to destinations.
            Some(i) if p.named && !unique[*i].named => unique[*i] = p,
            Some(_) => {}
            None => {
                at.insert(p.real.clone(), unique.len());
                unique.push(p);
            }
        }
    }
    let (mta_files, rest): (Vec<Pending>, Vec<Pending>) = unique.into_iter().partition(|p| {
        let name = file_name(&p.shown);
        mta::is_descriptor_name(name) || mta::is_extension_name(name)
    });
    read_group(mta_files, &mut done, "an MTA descriptor without destinations", |files| {
        let texts: Vec<(&str, &str)> = files.iter().map(|p| (p.shown.as_str(), p.text.as_str())).collect();
        mta::read_bounded(&texts, bounds).map(|destinations| (destinations, Vec::new()))
    });
    terraform_files(rest, var_files, max_bytes, bounds, selected, &mut done);
    done
}

/// The run's Terraform files read together ([`terraform::read_all`]); results are mapped back
/// to the files by their place in `files`.
fn terraform_files(
    files: Vec<Pending>,
    var_files: Vec<Pending>,
    max_bytes: u64,
    bounds: &bound::Bounds,
    selected: Option<&str>,
    done: &mut Finished,
) {
    if files.is_empty() && var_files.is_empty() {
        return;
    }
    let mut all: Vec<Pending> = Vec::with_capacity(files.len() + var_files.len());
    let mut inputs = Vec::with_capacity(files.len());
    let mut given = Vec::with_capacity(var_files.len());
    let dir_of = |p: &Pending| p.real.parent().map(Path::to_path_buf).unwrap_or_default();
    for (list, target, is_var_file) in [(files, &mut inputs, false), (var_files, &mut given, true)] {
        for mut p in list {
            let name = file_name(&p.shown);
            let apply = is_var_file || (p.named && name.contains(".tfvars") && !terraform::is_auto_loaded(name));
            let text = std::mem::take(&mut p.text);
            target.push(terraform::Input { tag: all.len(), shown: p.shown.clone(), dir: dir_of(&p), text, apply });
            all.push(p);
        }
    }
    // A module folder the paths read do not hold: its configuration files, read from disk.
    let mut extra: Vec<Pending> = Vec::new();
    let mut load_errors: Vec<(InputError, Pending)> = Vec::new();
    let first_extra = all.len();
    let mut load = |dir: &Path, caller: usize| -> Vec<terraform::Input> {
        let arg = all.get(caller).map_or(0, |p| p.arg);
        let shown_dir = all.get(caller).map_or_else(String::new, |p| {
            let caller_dir = Path::new(&p.shown).parent().unwrap_or(Path::new(""));
            let real_caller = p.real.parent().unwrap_or(Path::new(""));
            relative_shown(caller_dir, real_caller, dir)
        });
        let mut out = Vec::new();
        for (name, text) in module_folder(dir, max_bytes) {
            let shown = if shown_dir.is_empty() { name.clone() } else { format!("{shown_dir}/{name}") };
            let real = dir.join(&name);
            let text = match text {
                Ok(text) => text,
                Err(why) => {
                    let e = InputError::new(&shown, None, why);
                    load_errors.push((e, Pending { arg, shown, real, text: String::new(), named: false }));
                    continue;
                }
            };
            let tag = first_extra + extra.len();
            extra.push(Pending { arg, shown: shown.clone(), real, text: String::new(), named: false });
            out.push(terraform::Input { tag, shown, dir: dir.to_path_buf(), text, apply: false });
        }
        out
    };
    let outcome = terraform::read_all_selecting(inputs, given, &mut load, bounds, selected);
    all.extend(extra);
    done.destinations.extend(outcome.destinations);
    done.keystores.extend(outcome.certificates.into_iter().map(|(c, dir)| uploaded_keystore(c, &dir)));
    let mut taken: Vec<Option<Pending>> = all.into_iter().map(Some).collect();
    for tag in &outcome.used {
        if let Some(p) = taken.get(*tag).and_then(Option::as_ref) {
            done.read += 1;
            done.found_args.push(p.arg);
        }
    }
    for (tag, reason) in outcome.skipped {
        if let Some(p) = taken.get(tag).and_then(Option::as_ref) {
            done.skipped.push((p.shown.clone(), reason));
        }
    }
    for tag in outcome.not_applied {
        if let Some(p) = taken.get(tag).and_then(Option::as_ref) {
            done.skipped.push((p.shown.clone(), NOT_APPLIED.into()));
            done.not_applied.push(p.shown.clone());
        }
    }
    done.notes.extend(outcome.notes.into_iter().map(|(at, why)| format!("{at}: {why}")));
    for (tag, e) in outcome.failures {
        let arg = taken.get(tag).and_then(Option::as_ref).map_or(0, |p| p.arg);
        done.failures.push((e, arg));
    }
    for (tag, e) in outcome.errors {
        // A second fault of one file is left out: the first already names the file.
        if let Some(p) = taken.get_mut(tag).and_then(Option::take) {
            done.errors.push((e, p));
        }
    }
    done.errors.extend(load_errors);
}

/// A folder a module call leads to, shown relative to how the caller's folder is shown
/// (`infra/../modules/calm` becomes `modules/calm`).
fn relative_shown(caller_shown: &Path, caller_real: &Path, target: &Path) -> String {
    // How many levels up from the caller, and the rest down: computed on the real paths.
    let common = caller_real.components().zip(target.components()).take_while(|(a, b)| a == b).count();
    let ups = caller_real.components().count() - common;
    let mut shown: Vec<String> = caller_shown.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    for _ in 0..ups {
        match shown.last().map(String::as_str) {
            Some(last) if last != ".." && last != "." => {
                shown.pop();
            }
            _ => shown.push("..".into()),
        }
    }
    shown.extend(target.components().skip(common).map(|c| c.as_os_str().to_string_lossy().into_owned()));
    shown.join("/")
}

/// The configuration files (`*.tf`, `*.tf.json`) of a module folder, by name, each with its
/// text or why it cannot be read; hidden files are left out, as a walk leaves them.
fn module_folder(dir: &Path, max_bytes: u64) -> Vec<(String, Result<String, String>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(String, Result<String, String>)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !(name.ends_with(".tf") || name.ends_with(".tf.json")) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(entry.path()) else { continue };
        if !meta.is_file() {
            continue;
        }
        let text = if meta.len() > max_bytes {
            Err(format!("larger than the limit of {max_bytes} bytes (--max-file-size raises it)"))
        } else {
            // Decoded as every other file of the run is (UTF-8, or UTF-16/32 with a byte-order mark).
            std::fs::read(entry.path())
                .map_err(|e| e.to_string())
                .and_then(|b| crate::source::unicode_text(b, &name, "the file").map_err(|e| e.message))
        };
        out.push((name, text));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The keystore a `btp_subaccount_destination_certificate` uploads, its file read from the
/// module's folder within the keystore bound.
fn uploaded_keystore(c: CertificateResource, folder: &Path) -> crate::model::certificate::Keystore {
    use crate::model::certificate::{Content, Held};
    use crate::source::certs;
    let name = match &c.name {
        Some(Found::Text(t)) => t.clone(),
        Some(Found::Unresolved(e) | Found::Computed(e)) => format!("({e})"),
        _ => format!("({} without certificate_name)", c.address),
    };
    let content = match c.content {
        None => Content::Missing(format!("{} has no certificate_content", c.address)),
        Some(CertificateContent::Unresolved(e)) => Content::Unresolved(e),
        Some(CertificateContent::Base64(text)) => {
            use base64::Engine;
            let compact: String = text.split_ascii_whitespace().collect();
            match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                Ok(bytes) => Content::Bytes(bytes),
                Err(_) => Content::Missing("its certificate_content is not base64".into()),
            }
        }
        Some(CertificateContent::File(relative)) => match read_bounded(&folder.join(&relative)) {
            Ok(bytes) => Content::Bytes(bytes),
            Err(why) => Content::Missing(format!("filebase64(\"{relative}\") in {}: {why}", c.address)),
        },
    };
    let mut k = certs::keystore(&name, Vec::new(), &c.path, c.line, Held::Code, Some(c.level));
    k.format = match &content {
        Content::Bytes(bytes) => certs::format_of(bytes),
        _ => crate::model::certificate::Format::Unknown,
    };
    k.content = content;
    k
}

/// A file's bytes, refused above the keystore bound.
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => format!("cannot read it ({e})"),
    })?;
    let limit = crate::source::certs::MAX_KEYSTORE_BYTES;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read it ({e})"))?;
    if bytes.len() > limit {
        return Err(format!("larger than the {limit} bytes a keystore may have"));
    }
    Ok(bytes)
}

/// Reads files that belong together; a file that fails is set apart (an error) and the rest
/// read again without it, so one broken file never hides the others.
fn read_group(
    mut files: Vec<Pending>,
    done: &mut Finished,
    empty: &str,
    read: impl Fn(&[Pending]) -> Result<(Vec<Destination>, Vec<CertificateResource>), InputError>,
) {
    while !files.is_empty() {
        match read(&files) {
            Ok((destinations, certificates)) => {
                done.certificates.extend(certificates);
                if destinations.is_empty() && done.certificates.is_empty() {
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
                // A file a bound stopped may be what the others of its folder need (an
                // extension): they are not judged without it.
                if let Some(bound) = e.bound {
                    let folder = p.real.parent().map(Path::to_path_buf);
                    let (same, rest): (Vec<Pending>, Vec<Pending>) =
                        files.into_iter().partition(|f| f.real.parent().map(Path::to_path_buf) == folder);
                    files = rest;
                    for f in same {
                        let what = format!("{} in the same folder was not read, so this file is not judged without it", p.shown);
                        done.errors.push((InputError::cut(&f.shown, None, bound, &what), f));
                    }
                }
                done.errors.push((e, p));
            }
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn literals_that_select_are_not_secrets() {
        // The idiomatic ways to take the secret from a key given at deployment (SPEC 2.1).
        for e in [
            r#"jsondecode(var.calm_service_key)["uaa"]["clientsecret"]"#,
            r#"lookup(var.key, "clientsecret")"#,
            r#"lookup(jsondecode(var.key).uaa, "clientsecret")"#,
            r#"var.keys["calm"].clientsecret"#,
            r#"local.keys["calm-${var.env}"].uaa.clientsecret"#,
            r#"jsondecode(file("${path.module}/keys/calm.json"))["uaa"]["clientsecret"]"#,
            r#"{ for k, v in var.keys : k => v.clientsecret if k != "" }["calm"]"#,
            r#"[for k in var.keys : k.secret if k.name == "calm"][0]"#,
            r#"var.env == "prod" ? var.prod_secret : var.dev_secret"#,
            r#"element(var.secrets, index(var.names, "calm"))"#,
            r#"trimsuffix(var.secret, "
")"#,
            r#"replace(var.secret, "/\\s+/", "")"#,
            r#"split(",", var.secrets)[0]"#,
            r#"format("%s", var.secret)"#,
            r#"nonsensitive(var.secret)"#,
            r#""${var.secret}""#,
            r#"coalesce(var.secret, "")"#,
            r#"${jsondecode(var.calm_service_key)["uaa"]["clientsecret"]}"#,
            "var.calm_client_secret",
            "${calm-client-secret}",
        ] {
            assert_eq!(literal_in_expression(e), None, "{e}");
        }
    }

    #[test]
    fn literals_that_are_the_value_are_counted() {
        for (e, kind) in [
            (r#"coalesce(var.secret, "s3cr3t-fallback")"#, "a fallback"),
            (r#"try(var.secret, "s3cr3t")"#, "a fallback"),
            (r#"lookup(var.keys, "calm", "s3cr3t-default")"#, "a fallback"),
            (r#"var.env == "prod" ? var.secret : "dev-s3cr3t""#, "a branch of a conditional"),
            (r#"base64decode("czNjcjN0")"#, "a function argument"),
            (r#"jsondecode("{\"s\":\"x\"}")["s"]"#, "a function argument"),
            (r#"{ calm = "s3cr3t" }["calm"]"#, "a string literal"),
            (r#"replace(var.secret, "x", "s3cr3t")"#, "a function argument"),
            (r#"format("%s-suffix", var.secret)"#, "a function argument"),
            (r#""prefix-${var.secret}""#, "the literal part of a template"),
            (r#"join("", ["s3cr3t", var.x])"#, "a function argument"),
            (r#"${"s3cr3t"}"#, "a string literal"),
            ("prefix${calm-secret}", "the literal part of a template"),
        ] {
            assert_eq!(literal_in_expression(e), Some(kind), "{e}");
        }
    }

    use super::*;

    #[test]
    fn a_cloud_alm_host_in_a_literal_of_the_url_shows_cloud_alm() {
        for e in [
            r#"var.env == "prod" ? "https://acme.eu10.alm.cloud.sap" : "https://acme-test.eu10.alm.cloud.sap""#,
            r#"format("https://%s.eu10.alm.cloud.sap/", var.tenant)"#,
            r#"join("", ["https://", var.t, ".eu10.alm.cloud.sap/"])"#,
            r#"lookup({ prod = "https://acme.eu10.alm.cloud.sap/" }, var.env)"#,
            r#"element(["https://acme.eu10.alm.cloud.sap/"], var.i)"#,
            r#"{ prod = "https://acme.eu10.alm.cloud.sap/" }[var.env]"#,
            r#""${var.a}${var.b}.eu10.alm.cloud.sap/""#,
            r#"${format("https://%s.eu10.alm.cloud.sap", var.t)}"#,
            // MTA: the text around the placeholders, with or without a scheme.
            "${a}${b}.eu10.alm.cloud.sap/",
            "https://${tenant}.eu10.alm.cloud.sap/",
        ] {
            assert!(url_expression_shows_cloud_alm(e), "{e}");
        }
        for e in [
            r#"replace(var.url, ".alm.cloud.sap", ".example.com")"#,
            r#"trimsuffix(var.url, ".alm.cloud.sap")"#,
            r#"format("https://%s.example.com/?via=x.alm.cloud.sap", var.t)"#,
            r#"var.p ? "https://a.example.com" : "https://alm.cloud.sap.example.com""#,
            "https://${host}/",
            "var.url",
        ] {
            assert!(!url_expression_shows_cloud_alm(e), "{e}");
        }
    }

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
