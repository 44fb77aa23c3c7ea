//! Terraform configuration: the `*.tf` files of one folder (a module) with the `*.tfvars` that
//! apply to it, parsed with `hcl-edit`, which keeps the byte span of every expression.
//!
//! Evaluated: literals (strings, numbers, booleans, null, lists, objects), string templates and
//! heredocs whose parts are all known, `var.NAME` (a `*.tfvars` value, else the default),
//! `local.NAME`, attribute and index access into known values, parentheses, and the functions
//! `jsonencode`, `merge`, `sensitive`, `nonsensitive` and `tostring`. Everything else (resource
//! and data references, `module.*`, `each.*`, `count.*`, conditionals, operators, `for`, other
//! functions, variables without a value) exists only at apply time: the value is
//! [`Found::Unresolved`] with the expression named.

use std::collections::HashMap;
use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::Body;
use hcl_edit::template::{Element, Template};

use super::{
    CERTIFICATE, CertificateResource, DESTINATION, DESTINATION_ATTRIBUTES, DESTINATION_GENERIC, Entry, Found, Object, destination,
};
use crate::model::{CodeKind, Destination, Level};
use crate::source::{InputError, LineIndex};

/// How deep locals may refer to locals, and values nest, before evaluation gives up.
const MAX_DEPTH: usize = 32;

/// One file of a module.
pub struct File<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// Whether Terraform loads a variables file by itself (`terraform.tfvars`, `*.auto.tfvars`).
pub fn is_auto_loaded(name: &str) -> bool {
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

/// A value and where it is written (file index, 1-based line).
#[derive(Clone, Debug)]
struct At {
    file: usize,
    line: u32,
    value: Ev,
}

#[derive(Clone, Debug)]
enum Ev {
    Text(String),
    Null,
    List(Vec<At>),
    /// Keys in order, each with the line of the key.
    Object(Vec<(String, u32, At)>),
    /// `jsonencode(...)` of a value: kept whole, so its members keep their lines.
    Encoded(Box<At>),
    /// Known only at apply time: the expression as written.
    Unknown(String),
}

struct Parsed<'a> {
    path: &'a str,
    text: &'a str,
    body: Body,
    lines: LineIndex,
}

struct Module<'m> {
    /// Variable values: from `*.tfvars`, else the default.
    vars: HashMap<String, At>,
    /// Local name → (file, expression).
    locals: HashMap<String, (usize, &'m Expression)>,
}

fn parse<'a>(file: &File<'a>) -> Result<Parsed<'a>, InputError> {
    if let Some((line, members)) = super::hcl_bound::oversized_object(file.text) {
        return Err(InputError::new(
            file.path,
            Some(line),
            format!(
                "an object or block with more than {} members ({members} counted): not read, as the HCL parser's cost grows with the square of its size",
                super::hcl_bound::MAX_MEMBERS
            ),
        ));
    }
    // The error's own `line()` is the source line, which may hold a secret: only its number is used.
    let body = hcl_edit::parser::parse_body(file.text).map_err(|e| {
        let line = u32::try_from(e.location().line()).ok();
        InputError::new(file.path, line, format!("invalid HCL: {}", e.message()))
    })?;
    Ok(Parsed { path: file.path, text: file.text, body, lines: LineIndex::new(file.text) })
}

/// Reads the destinations one module defines: `config` are its `*.tf` files, `vars` the
/// `*.tfvars` that apply, in Terraform's order (later wins).
pub fn read(config: &[File], vars: &[File]) -> Result<Vec<Destination>, InputError> {
    read_all(config, vars).map(|(destinations, _)| destinations)
}

/// [`read`], with the destination certificates (`btp_subaccount_destination_certificate`) the
/// module uploads.
pub fn read_all(config: &[File], vars: &[File]) -> Result<(Vec<Destination>, Vec<CertificateResource>), InputError> {
    let mut parsed = Vec::with_capacity(config.len() + vars.len());
    for f in config.iter().chain(vars) {
        parsed.push(parse(f)?);
    }
    // The module borrows expressions from the parsed bodies, which must stay put.
    let parsed: &[Parsed] = &parsed;
    let mut module = Module { vars: HashMap::new(), locals: HashMap::new() };
    for (i, p) in parsed.iter().enumerate().take(config.len()) {
        for block in p.body.blocks() {
            match (block.ident.as_str(), block.labels.first()) {
                ("variable", Some(name)) => {
                    if let Some(default) = block.body.get_attribute("default") {
                        let value = eval_in(parsed, None, i, &default.value, 0);
                        module.vars.insert(name.as_str().to_owned(), value);
                    }
                }
                ("locals", _) => {
                    for attr in block.body.attributes() {
                        module.locals.insert(attr.key.as_str().to_owned(), (i, &attr.value));
                    }
                }
                _ => {}
            }
        }
    }
    for (i, p) in parsed.iter().enumerate().skip(config.len()) {
        for attr in p.body.attributes() {
            let value = eval_in(parsed, None, i, &attr.value, 0);
            module.vars.insert(attr.key.as_str().to_owned(), value);
        }
    }
    let mut out = Vec::new();
    let mut certificates = Vec::new();
    for (i, p) in parsed.iter().enumerate().take(config.len()) {
        for block in p.body.blocks() {
            if block.ident.as_str() != "resource" || block.labels.len() != 2 {
                continue;
            }
            let (kind, name) = (block.labels[0].as_str(), block.labels[1].as_str());
            let address = format!("{kind}.{name}");
            let line = line_of(p, block.ident.span());
            if kind == CERTIFICATE {
                certificates.push(certificate(parsed, &module, i, &block.body, &address, line));
                continue;
            }
            resource(parsed, &module, i, &block.body, kind, &address, line, &mut out)?;
        }
    }
    Ok((out, certificates))
}

/// A `btp_subaccount_destination_certificate`: its name, and its content as the deployment will
/// upload it. `certificate_content = filebase64("path")` names a file, read later beside the
/// module; a literal is the base64 of the file itself; anything else is known only at apply time.
fn certificate(files: &[Parsed], module: &Module, file: usize, body: &Body, address: &str, line: u32) -> CertificateResource {
    let eval = Eval { files, module: Some(module) };
    let value = |name: &str| {
        body.get_attribute(name).map(|a| match eval.eval(file, &a.value, 0).value {
            Ev::Text(t) => Found::Text(t),
            _ => Found::Unresolved(eval.source(file, &a.value)),
        })
    };
    let instance = body.get_attribute("service_instance_id").is_some_and(|a| !matches!(eval.eval(file, &a.value, 0).value, Ev::Null));
    let content = body.get_attribute("certificate_content").map(|a| match &a.value {
        Expression::FuncCall(call) if call.name.namespace.is_empty() && call.name.name.as_str() == "filebase64" && call.args.len() == 1 => {
            match call.args.iter().next().map(|arg| eval.eval(file, arg, 0).value) {
                Some(Ev::Text(path)) => super::CertificateContent::File(path),
                _ => super::CertificateContent::Unresolved(eval.source(file, &a.value)),
            }
        }
        _ => match eval.eval(file, &a.value, 0).value {
            Ev::Text(base64) => super::CertificateContent::Base64(base64),
            _ => super::CertificateContent::Unresolved(eval.source(file, &a.value)),
        },
    });
    CertificateResource {
        name: value("certificate_name"),
        content,
        level: if instance { Level::Instance } else { Level::Subaccount },
        path: files[file].path.to_owned(),
        line,
        address: address.to_owned(),
    }
}

fn line_of(p: &Parsed, span: Option<Range<usize>>) -> u32 {
    span.map_or(1, |s| p.lines.line(s.start))
}

/// Evaluation with the module's variables and locals (`None` while reading defaults and tfvars,
/// which Terraform evaluates without them).
fn eval_in<'m>(files: &'m [Parsed], module: Option<&'m Module<'m>>, file: usize, expr: &Expression, depth: usize) -> At {
    Eval { files, module }.eval(file, expr, depth)
}

struct Eval<'m, 'a> {
    files: &'m [Parsed<'a>],
    module: Option<&'m Module<'m>>,
}

impl Eval<'_, '_> {
    fn at(&self, file: usize, span: Option<Range<usize>>, value: Ev) -> At {
        At { file, line: self.files.get(file).map_or(1, |p| line_of(p, span)), value }
    }

    fn source(&self, file: usize, expr: &Expression) -> String {
        let text = self.files.get(file).map_or("", |p| p.text);
        expr.span().and_then(|s| text.get(s)).unwrap_or("an expression").trim().to_owned()
    }

    fn unknown(&self, file: usize, expr: &Expression) -> At {
        self.at(file, expr.span(), Ev::Unknown(self.source(file, expr)))
    }

    fn eval(&self, file: usize, expr: &Expression, depth: usize) -> At {
        if depth > MAX_DEPTH {
            return self.unknown(file, expr);
        }
        let span = expr.span();
        match expr {
            Expression::Null(_) => self.at(file, span, Ev::Null),
            Expression::Bool(b) => self.at(file, span, Ev::Text(b.value().to_string())),
            Expression::Number(n) => self.at(file, span, Ev::Text(n.value().to_string())),
            Expression::String(s) => self.at(file, span, Ev::Text(s.value().clone())),
            Expression::Array(items) => {
                let items = items.iter().map(|e| self.eval(file, e, depth + 1)).collect();
                self.at(file, span, Ev::List(items))
            }
            Expression::Object(object) => {
                let mut members = Vec::new();
                for (key, value) in object.iter() {
                    let name = match key {
                        ObjectKey::Ident(id) => id.as_str().to_owned(),
                        ObjectKey::Expression(e) => match self.eval(file, e, depth + 1).value {
                            Ev::Text(t) => t,
                            _ => return self.unknown(file, expr),
                        },
                    };
                    let key_line = self.files.get(file).map_or(1, |p| line_of(p, key.span()));
                    members.push((name, key_line, self.eval(file, value.expr(), depth + 1)));
                }
                self.at(file, span, Ev::Object(members))
            }
            Expression::StringTemplate(t) => self.template(file, expr, t, depth),
            Expression::HeredocTemplate(h) => {
                // `<<-` strips the common indentation; a plain `<<` keeps the text as written.
                let mut template = h.as_ref().clone();
                template.dedent();
                self.template(file, expr, &template.template, depth)
            }
            Expression::Parenthesis(p) => self.eval(file, p.inner(), depth + 1),
            Expression::Traversal(t) => {
                let Expression::Variable(root) = &t.expr else { return self.unknown(file, expr) };
                let (Some(module), [first, rest @ ..]) = (self.module, t.operators.as_slice()) else {
                    return self.unknown(file, expr);
                };
                let TraversalOperator::GetAttr(name) = first.value() else { return self.unknown(file, expr) };
                // `path.module` (and, in a root module, `path.root` and `path.cwd`): the module's
                // own folder, which relative paths are read from.
                if root.as_str() == "path" && rest.is_empty() && matches!(name.as_str(), "module" | "root" | "cwd") {
                    return self.at(file, span, Ev::Text(".".into()));
                }
                let mut value = match root.as_str() {
                    "var" => match module.vars.get(name.as_str()) {
                        Some(v) => v.clone(),
                        None => return self.unknown(file, expr),
                    },
                    "local" => match module.locals.get(name.as_str()) {
                        Some((f, e)) => self.eval(*f, e, depth + 1),
                        None => return self.unknown(file, expr),
                    },
                    _ => return self.unknown(file, expr),
                };
                for op in rest {
                    let next = match (op.value(), &value.value) {
                        (TraversalOperator::GetAttr(key), Ev::Object(members)) => {
                            members.iter().find(|(k, _, _)| k == key.as_str()).map(|(_, _, v)| v.clone())
                        }
                        (TraversalOperator::Index(index), Ev::Object(members)) => match self.eval(file, index, depth + 1).value {
                            Ev::Text(key) => members.iter().find(|(k, _, _)| *k == key).map(|(_, _, v)| v.clone()),
                            _ => None,
                        },
                        (TraversalOperator::Index(index), Ev::List(items)) => match self.eval(file, index, depth + 1).value {
                            Ev::Text(i) => i.parse::<usize>().ok().and_then(|i| items.get(i).cloned()),
                            _ => None,
                        },
                        (TraversalOperator::LegacyIndex(i), Ev::List(items)) => {
                            usize::try_from(*i.value()).ok().and_then(|i| items.get(i).cloned())
                        }
                        _ => None,
                    };
                    match next {
                        Some(v) => value = v,
                        None => return self.unknown(file, expr),
                    }
                }
                if matches!(value.value, Ev::Unknown(_)) {
                    // Name what the reader wrote (`var.calm_secret`), not what it points at.
                    return self.unknown(file, expr);
                }
                value
            }
            Expression::FuncCall(call) if call.name.namespace.is_empty() => {
                let args: Vec<&Expression> = call.args.iter().collect();
                match (call.name.name.as_str(), args.as_slice()) {
                    ("jsonencode", [arg]) => {
                        let inner = self.eval(file, arg, depth + 1);
                        match inner.value {
                            Ev::Unknown(_) => self.unknown(file, expr),
                            _ => self.at(file, span, Ev::Encoded(Box::new(inner))),
                        }
                    }
                    ("sensitive" | "nonsensitive" | "tostring", [arg]) => self.eval(file, arg, depth + 1),
                    ("merge", args) => {
                        let mut members: Vec<(String, u32, At)> = Vec::new();
                        for arg in args {
                            match self.eval(file, arg, depth + 1).value {
                                Ev::Object(more) => {
                                    for (k, l, v) in more {
                                        members.retain(|(m, _, _)| *m != k);
                                        members.push((k, l, v));
                                    }
                                }
                                Ev::Null => {}
                                _ => return self.unknown(file, expr),
                            }
                        }
                        self.at(file, span, Ev::Object(members))
                    }
                    _ => self.unknown(file, expr),
                }
            }
            _ => self.unknown(file, expr),
        }
    }

    /// A template is known when every interpolation in it is; directives (`%{if}`) are not evaluated.
    fn template(&self, file: usize, expr: &Expression, template: &Template, depth: usize) -> At {
        let mut text = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(s) => text.push_str(s.value()),
                Element::Interpolation(i) => match self.eval(file, &i.expr, depth + 1).value {
                    Ev::Text(t) => text.push_str(&t),
                    _ => return self.unknown(file, expr),
                },
                Element::Directive(_) => return self.unknown(file, expr),
            }
        }
        self.at(file, expr.span(), Ev::Text(text))
    }
}

#[allow(clippy::too_many_arguments)]
fn resource(
    files: &[Parsed],
    module: &Module,
    file: usize,
    body: &Body,
    kind: &str,
    address: &str,
    line: u32,
    out: &mut Vec<Destination>,
) -> Result<(), InputError> {
    let eval = Eval { files, module: Some(module) };
    let path = files[file].path;
    let attr = |name: &str| body.get_attribute(name).map(|a| (eval.eval(file, &a.value, 0), line_of(&files[file], a.key.span())));
    let level = match attr("service_instance_id") {
        Some((At { value: Ev::Null, .. }, _)) | None => Level::Subaccount,
        Some(_) => Level::Instance,
    };
    let object = |level, opaque| Object { path, line, level: Some(level), kind: CodeKind::Terraform, name: address.to_owned(), opaque };
    let fail = |line: u32, message: String| InputError::new(path, Some(line), format!("{address}: {message}"));
    match kind {
        DESTINATION => {
            let mut entries = Vec::new();
            for (name, property) in DESTINATION_ATTRIBUTES {
                if let Some((value, key_line)) = attr(name) {
                    push(files, &mut entries, property, value, key_line).map_err(|m| fail(key_line, m))?;
                }
            }
            let mut opaque = None;
            if let Some((value, key_line)) = attr("additional_configuration") {
                match value.value {
                    Ev::Unknown(e) => opaque = Some(format!("additional_configuration = {e}")),
                    _ => members(files, value, key_line, &mut entries)
                        .map_err(|m| fail(key_line, format!("additional_configuration: {m}")))?,
                }
            }
            out.push(destination(entries, object(level, opaque)));
        }
        DESTINATION_GENERIC => {
            let Some((value, key_line)) = attr("destination_configuration") else {
                return Err(fail(line, "no destination_configuration".into()));
            };
            let mut entries = Vec::new();
            let mut opaque = None;
            match value.value {
                Ev::Unknown(e) => opaque = Some(format!("destination_configuration = {e}")),
                _ => {
                    members(files, value, key_line, &mut entries).map_err(|m| fail(key_line, format!("destination_configuration: {m}")))?
                }
            }
            if opaque.is_none() && !entries.iter().any(|e| e.key == "Name") {
                return Err(fail(key_line, "destination_configuration has no \"Name\"".into()));
            }
            out.push(destination(entries, object(level, opaque)));
        }
        _ => {
            // A service instance whose parameters carry `init_data` (the destination service's).
            let Some((At { value: Ev::Encoded(params), .. }, _)) = attr("parameters") else { return Ok(()) };
            let Ev::Object(members_of) = &params.value else { return Ok(()) };
            let Some((_, _, init)) = members_of.iter().find(|(k, _, _)| k == "init_data") else { return Ok(()) };
            let Ev::Object(sections) = &init.value else { return Err(fail(init.line, "init_data must be an object".into())) };
            for (section, _, value) in sections {
                let level = match section.as_str() {
                    "subaccount" => Level::Subaccount,
                    "instance" => Level::Instance,
                    _ => continue,
                };
                let Ev::Object(section_members) = &value.value else { continue };
                let Some((_, _, list)) = section_members.iter().find(|(k, _, _)| k == "destinations") else { continue };
                let Ev::List(items) = &list.value else { return Err(fail(list.line, "destinations must be a list".into())) };
                for item in items {
                    let mut entries = Vec::new();
                    let item_line = item.line;
                    members(files, item.clone(), item_line, &mut entries).map_err(|m| fail(item_line, m))?;
                    if !entries.iter().any(|e| e.key == "Name") {
                        return Err(fail(item_line, "a destination in init_data has no \"Name\"".into()));
                    }
                    let mut o = object(level, None);
                    o.path = files[item.file].path;
                    o.line = item_line;
                    out.push(destination(entries, o));
                }
            }
        }
    }
    Ok(())
}

/// One property from a value; `Err` names what is wrong (never the value).
fn push(files: &[Parsed], entries: &mut Vec<Entry>, key: &str, value: At, key_line: u32) -> Result<(), String> {
    // A literal written on the attribute's own line is located there; a value from a variable
    // default or a tfvars file where it is written.
    let (path, line) = (files.get(value.file).map_or("", |p| p.path).to_owned(), value.line.max(1));
    let found = match value.value {
        Ev::Text(t) => Found::Text(t),
        Ev::Unknown(e) => Found::Unresolved(e),
        Ev::Null => return Ok(()),
        Ev::List(_) | Ev::Object(_) | Ev::Encoded(_) => return Err(format!("property \"{key}\" must be a string")),
    };
    entries.push(Entry { key: key.to_owned(), value: found, path, line, key_line: Some(key_line) });
    Ok(())
}

/// The members of an encoded destination object (`jsonencode({...})`, or a JSON string).
fn members(files: &[Parsed], value: At, line: u32, entries: &mut Vec<Entry>) -> Result<(), String> {
    let object = match value.value {
        Ev::Encoded(inner) => *inner,
        Ev::Object(_) => value,
        Ev::Text(json) => return json_members(files, value.file, line, &json, entries),
        Ev::Null => return Ok(()),
        _ => return Err("must be jsonencode({...}) of an object".into()),
    };
    let Ev::Object(members) = object.value else { return Err("must be an object".into()) };
    for (key, key_line, v) in members {
        push(files, entries, &key, v, key_line)?;
    }
    Ok(())
}

/// A destination written as a JSON string (a heredoc, say): every member on the attribute's line.
fn json_members(files: &[Parsed], file: usize, line: u32, json: &str, entries: &mut Vec<Entry>) -> Result<(), String> {
    use crate::source::tree::{Kind, parse_json};
    let node = parse_json(json).map_err(|e| format!("not a JSON object: {}", e.message))?;
    let Kind::Map(pairs) = node.kind else { return Err("must be a JSON object".into()) };
    let path = files.get(file).map_or("", |p| p.path);
    for (key, _, value) in pairs {
        let text = match value.kind {
            Kind::Scalar(s) | Kind::Literal(s) => s.into_owned(),
            Kind::Null => continue,
            _ => return Err(format!("property \"{key}\" must be a string")),
        };
        entries.push(Entry { key: key.into_owned(), value: Found::Text(text), path: path.to_owned(), line, key_line: None });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    const MAIN: &str = r#"resource "btp_subaccount_destination" "bpmon" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_BPMON"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = var.calm_url
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = local.client_id
    clientSecret        = var.calm_client_secret
    tokenServiceURL     = "https://${local.zone}.authentication.eu10.hana.ondemand.com/oauth/token"
    TokenServiceURLType = "dedicated"
    "URL.headers.x"     = btp_subaccount.this.id
  })
}

resource "btp_subaccount_destination_generic" "generic" {
  subaccount_id       = var.subaccount_id
  service_instance_id = btp_subaccount_service_instance.destinations.id
  destination_configuration = jsonencode(merge(local.common, {
    Name     = "CALM_GENERIC"
    Password = ""
  }))
}

resource "btp_subaccount_service_instance" "destinations" {
  subaccount_id  = var.subaccount_id
  name           = "calm-destinations"
  serviceplan_id = data.btp_subaccount_service_plan.lite.id
  parameters = jsonencode({
    init_data = {
      instance = {
        existing_destinations_policy = "update"
        destinations = [
          {
            Name         = "CALM_INIT"
            URL          = "https://acme.eu10.alm.cloud.sap/"
            clientSecret = var.literal_secret
          }
        ]
      }
    }
  })
}

resource "btp_subaccount" "this" {
  name = "other"
}

locals {
  zone      = "acme"
  client_id = "sb-calm-acme!b12|calm-api!b3"
  common    = { Type = "HTTP", URL = "https://acme.eu10.alm.cloud.sap/" }
}
"#;

    const VARIABLES: &str = r#"variable "subaccount_id" {
  type = string
}

variable "calm_url" {
  type    = string
  default = "https://default.eu10.alm.cloud.sap/"
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}

variable "literal_secret" {
  default = "written-in-the-repository"
}
"#;

    const TFVARS: &str = "calm_url = \"https://acme.eu10.alm.cloud.sap/\"\n";

    fn module(tfvars: bool) -> Vec<Destination> {
        let config = [File { path: "infra/main.tf", text: MAIN }, File { path: "infra/variables.tf", text: VARIABLES }];
        let vars: &[File] = if tfvars { &[File { path: "infra/terraform.tfvars", text: TFVARS }] } else { &[] };
        read(&config, vars).unwrap()
    }

    #[test]
    fn both_destination_resources_and_service_instance_init_data() {
        let ds = module(true);
        let shape: Vec<(&str, Option<Level>, &str)> =
            ds.iter().map(|d| (d.name(), d.origin.level, d.origin.code.as_ref().unwrap().object.as_str())).collect();
        assert_eq!(
            shape,
            [
                ("CALM_BPMON", Some(Level::Subaccount), "btp_subaccount_destination.bpmon"),
                ("CALM_GENERIC", Some(Level::Instance), "btp_subaccount_destination_generic.generic"),
                ("CALM_INIT", Some(Level::Instance), "btp_subaccount_service_instance.destinations"),
            ]
        );
        assert_eq!(ds[0].qualified_origin(), "infra/main.tf:1 btp_subaccount_destination.bpmon (subaccount level)");
        assert!(ds.iter().all(|d| d.code_kind() == Some(CodeKind::Terraform)));
    }

    #[test]
    fn values_inside_jsonencode_are_located_on_their_own_line() {
        let ds = module(true);
        let bpmon = &ds[0];
        assert_eq!(bpmon.text("TokenServiceURLType"), Some("dedicated"));
        assert_eq!(bpmon.line_of("TokenServiceURLType"), 12);
        // A value from a local is located where the literal is written, in the locals block.
        assert_eq!(bpmon.line_of("clientId"), 52);
        assert_eq!(bpmon.line_of("clientSecret"), 10, "an unresolved value is located where it is used");
    }

    #[test]
    fn variables_tfvars_and_locals_are_evaluated() {
        let with = module(true);
        assert_eq!(with[0].text("URL"), Some("https://acme.eu10.alm.cloud.sap/"));
        assert_eq!((with[0].path_of("URL"), with[0].line_of("URL")), ("infra/terraform.tfvars", 1));
        let without = module(false);
        assert_eq!(without[0].text("URL"), Some("https://default.eu10.alm.cloud.sap/"));
        assert_eq!((without[0].path_of("URL"), without[0].line_of("URL")), ("infra/variables.tf", 7));
        assert_eq!(with[0].text("clientId"), Some("sb-calm-acme!b12|calm-api!b3"));
        assert_eq!(with[0].text("tokenServiceURL"), Some("https://acme.authentication.eu10.hana.ondemand.com/oauth/token"));
        assert_eq!(with[1].text("URL"), Some("https://acme.eu10.alm.cloud.sap/"), "merge() of a local");
    }

    #[test]
    fn what_exists_only_at_apply_time_is_unresolved_and_named() {
        let ds = module(true);
        assert_eq!(ds[0].get("clientSecret").unwrap().expression(), Some("var.calm_client_secret"));
        assert_eq!(ds[0].get("URL.headers.x").unwrap().expression(), Some("btp_subaccount.this.id"));
        assert!(matches!(ds[1].get("Password").unwrap().value, Value::Secret(ref s) if s.is_blank()));
        let literal = ds[2].get("clientSecret").unwrap();
        assert!(matches!(literal.value, Value::Secret(_)));
        assert_eq!((ds[2].path_of("clientSecret"), ds[2].line_of("clientSecret")), ("infra/variables.tf", 16));
    }

    #[test]
    fn an_unknown_configuration_makes_the_destination_opaque() {
        let text =
            "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  additional_configuration = jsonencode(var.cfg)\n}\n";
        let ds = read(&[File { path: "m.tf", text }], &[]).unwrap();
        assert_eq!(ds[0].origin.code.as_ref().unwrap().opaque.as_deref(), Some("additional_configuration = jsonencode(var.cfg)"));
    }

    #[test]
    fn hostile_configurations_are_errors_or_unresolved_never_panics() {
        let bad = "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  clientSecret = \"hunter2\" {\n}\n";
        let e = read(&[File { path: "m.tf", text: bad }], &[]).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let deep = format!("locals {{\n  x = {}1{}\n}}\n", "[".repeat(500), "]".repeat(500));
        assert!(read(&[File { path: "d.tf", text: &deep }], &[]).is_err());
        let cycle = "locals {\n  a = local.b\n  b = local.a\n}\nresource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  url = local.a\n}\n";
        let ds = read(&[File { path: "c.tf", text: cycle }], &[]).unwrap();
        assert_eq!(ds[0].get("URL").unwrap().expression(), Some("local.a"));
        let nested = "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  additional_configuration = jsonencode({ clientId = { a = 1 } })\n}\n";
        let e = read(&[File { path: "n.tf", text: nested }], &[]).unwrap_err();
        assert!(e.message.contains("\"clientId\" must be a string"), "{}", e.message);
        for text in ["", "resource", "}", "x = ", "locals { a = jsonencode() }", "\u{0}"] {
            let _ = read(&[File { path: "h.tf", text }], &[]);
        }
    }
}
