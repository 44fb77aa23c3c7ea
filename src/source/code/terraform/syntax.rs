//! Terraform's two syntaxes read into one small tree: the native syntax through `hcl-edit`,
//! the JSON syntax (`*.tf.json`, `*.tfvars.json`) through the JSON tree of `source::tree`, whose
//! strings are templates parsed again by `hcl-edit`. Every expression knows its line and the
//! text it was written as, so what is left to the deployment can be named.
//!
//! Override files (`override.tf`, `*_override.tf` and their `.tf.json`) are merged here, as
//! Terraform merges them: after every other file, block by block, attribute by attribute.

use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::Element;

use crate::source::code::bound::{Bound, Bounds};
use crate::source::tree::{self, Kind as JsonKind, Node as JsonNode};
use crate::source::{InputError, LineIndex};

/// Nesting the HCL parser accepts is bounded by `hcl-edit`; this bounds the JSON syntax and
/// the conversion, which recurse.
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug)]
pub struct Expr {
    pub line: u32,
    /// Where its text is in [`Source::text`].
    pub span: (u32, u32),
    pub kind: X,
}

#[derive(Clone, Debug)]
pub enum X {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Tuple(Vec<Expr>),
    /// Members in order: key, line of the key, value.
    Object(Vec<(Key, u32, Expr)>),
    Template(Vec<Part>),
    /// A bare name: `var`, `local`, `each`, `count`, `module`, a `for` variable...
    Name(String),
    Traverse(Box<Expr>, Vec<Op>),
    /// Function name, arguments, and whether the last one is expanded (`f(list...)`).
    Call(String, Vec<Expr>, bool),
    Cond(Box<[Expr; 3]>),
    Unary(UnaryOperator, Box<Expr>),
    Binary(BinaryOperator, Box<[Expr; 2]>),
    For(Box<ForX>),
    /// Anything this reader does not evaluate (a template directive, a provider function).
    Opaque,
}

#[derive(Clone, Debug)]
pub enum Key {
    Name(String),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub enum Part {
    Lit(String),
    Interp(Expr),
    /// `%{if}` / `%{for}`: not evaluated.
    Directive,
}

#[derive(Clone, Debug)]
pub enum Op {
    Attr(String),
    Index(Expr),
    Splat,
}

#[derive(Clone, Debug)]
pub struct ForX {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    pub key: Option<Expr>,
    pub value: Expr,
    pub cond: Option<Expr>,
    pub grouping: bool,
}

/// One attribute, with the file it is written in (an override may bring it from another).
#[derive(Clone, Debug)]
pub struct Attr {
    pub name: String,
    pub file: usize,
    /// Line of the attribute's name.
    pub line: u32,
    pub expr: Expr,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub file: usize,
    pub line: u32,
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

impl Block {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
}

/// What a file is to Terraform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Config,
    Override,
    Vars,
}

/// A file's name says its role: `*.tf` / `*.tf.json` configuration (`override.tf`,
/// `*_override.tf` and their JSON overrides), `*.tfvars` / `*.tfvars.json` variables.
pub fn role(name: &str) -> Option<Role> {
    let (stem, _json) = if let Some(s) = name.strip_suffix(".tf.json") {
        (s, true)
    } else if let Some(s) = name.strip_suffix(".tf") {
        (s, false)
    } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
        return Some(Role::Vars);
    } else {
        return None;
    };
    Some(if stem == "override" || stem.ends_with("_override") { Role::Override } else { Role::Config })
}

/// One file read: its blocks (configuration) or attributes (variables), and the text the
/// expressions were written as.
pub struct Source {
    pub path: String,
    /// For native syntax the file itself; for JSON the template strings one after the other.
    pub text: String,
    pub blocks: Vec<Block>,
    /// Top-level attributes: the values of a variables file.
    pub attrs: Vec<Attr>,
}

impl Source {
    pub fn text_of(&self, e: &Expr) -> &str {
        self.text.get(e.span.0 as usize..e.span.1 as usize).unwrap_or("an expression").trim()
    }
}

/// Parses one file; `file` is the index it will have among the run's files.
pub fn parse(path: &str, text: &str, file: usize) -> Result<Source, InputError> {
    parse_bounded(path, text, file, &Bounds::default())
}

/// [`parse`] within `bounds` (members of an object, nesting): a bound reached is an error with
/// [`InputError::bound`] set. Every file the general way; the run reads variables files of the
/// common shape with the linear reader first (`terraform::parse_file`).
pub fn parse_bounded(path: &str, text: &str, file: usize, bounds: &Bounds) -> Result<Source, InputError> {
    let json = path.ends_with(".json");
    let vars = path.ends_with(".tfvars") || path.ends_with(".tfvars.json");
    if json {
        let node = tree::parse_json(text).map_err(|e| json_error(path, e))?;
        let mut reader = JsonReader { path, file, text: String::new(), bounds: *bounds };
        let (blocks, attrs) = if vars { (Vec::new(), reader.vars(&node)?) } else { (reader.config(&node)?, Vec::new()) };
        return Ok(Source { path: path.to_owned(), text: reader.text, blocks, attrs });
    }
    refuse_oversized(path, text, 0, bounds.members)?;
    // The error's own `line()` is the source line, which may hold a secret: only its number is used.
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        let line = u32::try_from(e.location().line()).ok();
        let message = e.message();
        // The parser's own bounds (HCL that Terraform reads): a bound reached, not bad input.
        if message.contains("nesting depth") {
            return InputError::cut(path, line, Bound::Depth(MAX_DEPTH), &format!("the HCL parser stopped: {message}"));
        }
        if message.contains("chained binary operators") {
            return InputError::cut(path, line, Bound::Operators(128), &format!("the HCL parser stopped: {message}"));
        }
        InputError::new(path, line, format!("invalid HCL: {message}"))
    })?;
    let conv = Hcl { lines: LineIndex::new(text), file, base: 0, fixed_line: None, depth: bounds.depth };
    let (blocks, attrs) = conv.body(&body, 0).map_err(|line| nested(path, line, bounds.depth))?;
    if vars && !blocks.is_empty() {
        let line = blocks[0].line;
        return Err(InputError::new(path, Some(line), "a variables file holds only NAME = value, not blocks"));
    }
    Ok(Source { path: path.to_owned(), text: text.to_owned(), blocks, attrs })
}

/// The bound on the HCL parser's cost ([`super::super::hcl_bound`]): an object or block of more
/// members than it allows is refused before `hcl-edit` sees it. `first_line` moves the line of
/// a template read out of a JSON string.
fn refuse_oversized(path: &str, text: &str, first_line: u32, max: usize) -> Result<(), InputError> {
    match super::super::hcl_bound::oversized_object_within(text, max) {
        Some((line, members)) => Err(InputError::cut(
            path,
            Some(line + first_line.saturating_sub(1)),
            Bound::Members(max),
            &format!(
                "an object or block with more than {max} members ({members} counted) was not read, as the HCL parser's cost grows with the square of its size"
            ),
        )),
        None => Ok(()),
    }
}

/// A JSON file the tree reader refused: its nesting bound is a bound reached, anything else bad
/// input.
pub(crate) fn json_error(path: &str, e: tree::TreeError) -> InputError {
    if e.message.starts_with("nested deeper than") {
        return InputError::cut(path, e.line, Bound::Depth(MAX_DEPTH), &format!("the JSON reader stopped: {}", e.message));
    }
    InputError::new(path, e.line, e.message)
}

/// The file nests deeper than the bound: not read.
fn nested(path: &str, line: u32, max: usize) -> InputError {
    InputError::cut(path, Some(line), Bound::Depth(max), "the file nests deeper here and was not read")
}

/// Native syntax into the tree. Spans are offsets into the text parsed, moved by `base`; a
/// template parsed out of a JSON string has every line of that string (`fixed_line`).
struct Hcl {
    lines: LineIndex,
    file: usize,
    base: usize,
    fixed_line: Option<u32>,
    /// The nesting bound ([`Bounds::depth`]).
    depth: usize,
}

type Converted<T> = Result<T, u32>;

impl Hcl {
    fn line(&self, span: Option<Range<usize>>) -> u32 {
        self.fixed_line.unwrap_or_else(|| span.map_or(1, |s| self.lines.line(s.start)))
    }

    fn span(&self, span: Option<Range<usize>>) -> (u32, u32) {
        let s = span.unwrap_or(0..0);
        let at = |n: usize| u32::try_from(n + self.base).unwrap_or(u32::MAX);
        (at(s.start), at(s.end))
    }

    fn body(&self, body: &Body, depth: usize) -> Converted<(Vec<Block>, Vec<Attr>)> {
        let mut blocks = Vec::new();
        let mut attrs = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(a) => attrs.push(Attr {
                    name: a.key.as_str().to_owned(),
                    file: self.file,
                    line: self.line(a.key.span()),
                    expr: self.expr(&a.value, depth + 1)?,
                }),
                Structure::Block(b) => {
                    let line = self.line(b.ident.span());
                    if depth >= self.depth {
                        return Err(line);
                    }
                    let (inner_blocks, inner_attrs) = self.body(&b.body, depth + 1)?;
                    blocks.push(Block {
                        kind: b.ident.as_str().to_owned(),
                        labels: b.labels.iter().map(|l| l.as_str().to_owned()).collect(),
                        file: self.file,
                        line,
                        attrs: inner_attrs,
                        blocks: inner_blocks,
                    });
                }
            }
        }
        Ok((blocks, attrs))
    }

    fn expr(&self, e: &Expression, depth: usize) -> Converted<Expr> {
        let span = e.span();
        let line = self.line(span.clone());
        if depth > self.depth * 2 {
            return Err(line);
        }
        let d = depth + 1;
        let kind = match e {
            Expression::Null(_) => X::Null,
            Expression::Bool(b) => X::Bool(*b.value()),
            Expression::Number(n) => X::Number(n.value().to_string()),
            Expression::String(s) => X::Str(s.value().clone()),
            Expression::Array(items) => X::Tuple(items.iter().map(|i| self.expr(i, d)).collect::<Converted<_>>()?),
            Expression::Object(object) => {
                let mut members = Vec::with_capacity(object.len());
                for (key, value) in object.iter() {
                    let key_line = self.line(key.span());
                    let key = match key {
                        ObjectKey::Ident(id) => Key::Name(id.as_str().to_owned()),
                        ObjectKey::Expression(k) => Key::Expr(self.expr(k, d)?),
                    };
                    members.push((key, key_line, self.expr(value.expr(), d)?));
                }
                X::Object(members)
            }
            Expression::StringTemplate(t) => X::Template(self.template(t.iter(), d)?),
            Expression::HeredocTemplate(h) => {
                // `<<-` strips the common indentation; a plain `<<` keeps the text as written.
                let mut heredoc = h.as_ref().clone();
                heredoc.dedent();
                X::Template(self.template(heredoc.template.iter(), d)?)
            }
            Expression::Parenthesis(p) => return self.expr(p.inner(), d),
            Expression::Variable(v) => X::Name(v.as_str().to_owned()),
            Expression::Conditional(c) => {
                X::Cond(Box::new([self.expr(&c.cond_expr, d)?, self.expr(&c.true_expr, d)?, self.expr(&c.false_expr, d)?]))
            }
            Expression::FuncCall(call) if call.name.namespace.is_empty() => {
                let args = call.args.iter().map(|a| self.expr(a, d)).collect::<Converted<_>>()?;
                X::Call(call.name.name.as_str().to_owned(), args, call.args.expand_final())
            }
            Expression::FuncCall(_) => X::Opaque,
            Expression::Traversal(t) => {
                let mut ops = Vec::with_capacity(t.operators.len());
                for op in &t.operators {
                    ops.push(match op.value() {
                        TraversalOperator::GetAttr(name) => Op::Attr(name.as_str().to_owned()),
                        TraversalOperator::Index(i) => Op::Index(self.expr(i, d)?),
                        TraversalOperator::LegacyIndex(i) => {
                            Op::Index(Expr { line, span: self.span(op.span()), kind: X::Number(i.value().to_string()) })
                        }
                        TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => Op::Splat,
                    });
                }
                X::Traverse(Box::new(self.expr(&t.expr, d)?), ops)
            }
            Expression::UnaryOp(u) => X::Unary(*u.operator.value(), Box::new(self.expr(&u.expr, d)?)),
            Expression::BinaryOp(b) => X::Binary(*b.operator.value(), Box::new([self.expr(&b.lhs_expr, d)?, self.expr(&b.rhs_expr, d)?])),
            Expression::ForExpr(f) => X::For(Box::new(ForX {
                key_var: f.intro.key_var.as_ref().map(|k| k.as_str().to_owned()),
                value_var: f.intro.value_var.as_str().to_owned(),
                collection: self.expr(&f.intro.collection_expr, d)?,
                key: f.key_expr.as_ref().map(|k| self.expr(k, d)).transpose()?,
                value: self.expr(&f.value_expr, d)?,
                cond: f.cond.as_ref().map(|c| self.expr(&c.expr, d)).transpose()?,
                grouping: f.grouping,
            })),
        };
        Ok(Expr { line, span: self.span(span), kind })
    }

    fn template<'t>(&self, elements: impl Iterator<Item = &'t Element>, depth: usize) -> Converted<Vec<Part>> {
        let mut parts = Vec::new();
        for element in elements {
            parts.push(match element {
                Element::Literal(s) => Part::Lit(s.value().clone()),
                Element::Interpolation(i) => Part::Interp(self.expr(&i.expr, depth)?),
                Element::Directive(_) => Part::Directive,
            });
        }
        Ok(parts)
    }
}

/// The JSON syntax: objects of block types, labels and attributes; strings are templates
/// (except in variables files and variable defaults, which Terraform reads as literal JSON).
struct JsonReader<'a> {
    path: &'a str,
    file: usize,
    /// The template strings met, one after the other: what expressions' spans point into.
    text: String,
    bounds: Bounds,
}

/// Block types and how many labels they take; other top-level keys (`terraform`,
/// `provider`, `output`...) are read with no label.
fn labels_of(kind: &str) -> usize {
    match kind {
        "resource" | "data" => 2,
        "variable" | "module" | "output" | "provider" => 1,
        _ => 0,
    }
}

impl JsonReader<'_> {
    fn error(&self, line: u32, message: impl Into<String>) -> InputError {
        InputError::new(self.path, Some(line), message)
    }

    fn vars(&mut self, node: &JsonNode) -> Result<Vec<Attr>, InputError> {
        let JsonKind::Map(entries) = &node.kind else {
            return Err(self.error(node.line, "a JSON variables file is one object of variable names"));
        };
        let mut attrs = Vec::with_capacity(entries.len());
        for (name, line, value) in entries {
            attrs.push(Attr { name: name.to_string(), file: self.file, line: *line, expr: self.literal(value, 0)? });
        }
        Ok(attrs)
    }

    fn config(&mut self, node: &JsonNode) -> Result<Vec<Block>, InputError> {
        let JsonKind::Map(entries) = &node.kind else {
            return Err(self.error(node.line, "Terraform JSON configuration is one object of block types"));
        };
        let mut blocks = Vec::new();
        for (kind, line, value) in entries {
            if kind == "//" {
                continue;
            }
            let mut labels = Vec::new();
            self.blocks(kind, labels_of(kind), &mut labels, *line, value, &mut blocks)?;
        }
        Ok(blocks)
    }

    /// A block type's value: objects keyed by each label in turn, then the body; an array at any
    /// level holds several.
    fn blocks(
        &mut self,
        kind: &str,
        left: usize,
        labels: &mut Vec<String>,
        line: u32,
        node: &JsonNode,
        out: &mut Vec<Block>,
    ) -> Result<(), InputError> {
        if let JsonKind::Seq(items) = &node.kind {
            for item in items {
                self.blocks(kind, left, labels, item.line, item, out)?;
            }
            return Ok(());
        }
        if left == 0 {
            let literal_default = kind == "variable";
            let (attrs, inner) = self.body(node, literal_default)?;
            out.push(Block { kind: kind.to_owned(), labels: labels.clone(), file: self.file, line, attrs, blocks: inner });
            return Ok(());
        }
        let JsonKind::Map(entries) = &node.kind else {
            return Err(self.error(node.line, format!("\"{kind}\" must be an object keyed by its labels")));
        };
        for (label, label_line, value) in entries {
            if label == "//" {
                continue;
            }
            labels.push(label.to_string());
            self.blocks(kind, left - 1, labels, *label_line, value, out)?;
            labels.pop();
        }
        Ok(())
    }

    /// A block body: every member is an attribute, except the nested blocks Terraform knows
    /// for locals-free bodies (`lifecycle`, `provisioner`, `connection`, `dynamic`), which no
    /// destination reading needs.
    fn body(&mut self, node: &JsonNode, literal_default: bool) -> Result<(Vec<Attr>, Vec<Block>), InputError> {
        let JsonKind::Map(entries) = &node.kind else {
            return Err(self.error(node.line, "a block must be a JSON object"));
        };
        let mut attrs = Vec::with_capacity(entries.len());
        for (name, line, value) in entries {
            if name == "//" || matches!(name.as_ref(), "lifecycle" | "provisioner" | "connection" | "dynamic") {
                continue;
            }
            let expr = if literal_default && name == "default" { self.literal(value, 0)? } else { self.value(value, 0)? };
            attrs.push(Attr { name: name.to_string(), file: self.file, line: *line, expr });
        }
        Ok((attrs, Vec::new()))
    }

    /// Where a value's text will be: the raw JSON is not kept, so a value is named by its
    /// decoded text (a template) or by what it is.
    fn remember(&mut self, text: &str) -> (u32, u32) {
        let start = self.text.len();
        self.text.push_str(text);
        self.text.push('\n');
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        (at(start), at(start + text.len()))
    }

    /// A JSON value as an expression, strings parsed as templates.
    fn value(&mut self, node: &JsonNode, depth: usize) -> Result<Expr, InputError> {
        if depth > self.bounds.depth {
            return Err(nested(self.path, node.line, self.bounds.depth));
        }
        let line = node.line;
        let kind = match &node.kind {
            JsonKind::Scalar(s) if s.contains("${") || s.contains("%{") => {
                let start = self.text.len();
                let span = self.remember(s);
                refuse_oversized(self.path, s, line, self.bounds.members)?;
                let template = hcl_edit::parser::parse_template(s)
                    .map_err(|e| InputError::new(self.path, Some(line), format!("invalid template in a JSON string: {}", e.message())))?;
                let conv =
                    Hcl { lines: LineIndex::new(""), file: self.file, base: start, fixed_line: Some(line), depth: self.bounds.depth };
                let parts = conv.template(template.iter(), depth).map_err(|l| nested(self.path, l, self.bounds.depth))?;
                return Ok(Expr { line, span, kind: X::Template(parts) });
            }
            JsonKind::Map(entries) => {
                let mut members = Vec::with_capacity(entries.len());
                for (key, key_line, value) in entries {
                    members.push((Key::Name(key.to_string()), *key_line, self.value(value, depth + 1)?));
                }
                X::Object(members)
            }
            JsonKind::Seq(items) => X::Tuple(items.iter().map(|i| self.value(i, depth + 1)).collect::<Result<_, _>>()?),
            _ => return self.literal(node, depth),
        };
        let span = self.remember(node.describe());
        Ok(Expr { line, span, kind })
    }

    /// A JSON value as a literal: no template is evaluated.
    fn literal(&mut self, node: &JsonNode, depth: usize) -> Result<Expr, InputError> {
        if depth > self.bounds.depth {
            return Err(nested(self.path, node.line, self.bounds.depth));
        }
        let line = node.line;
        let kind = match &node.kind {
            JsonKind::Null => X::Null,
            JsonKind::Scalar(s) => X::Str(s.to_string()),
            JsonKind::Literal(l) if *l == "true" => X::Bool(true),
            JsonKind::Literal(l) if *l == "false" => X::Bool(false),
            JsonKind::Literal(l) => X::Number(l.to_string()),
            JsonKind::Seq(items) => X::Tuple(items.iter().map(|i| self.literal(i, depth + 1)).collect::<Result<_, _>>()?),
            JsonKind::Map(entries) => {
                let mut members = Vec::with_capacity(entries.len());
                for (key, key_line, value) in entries {
                    members.push((Key::Name(key.to_string()), *key_line, self.literal(value, depth + 1)?));
                }
                X::Object(members)
            }
        };
        let shown = match &kind {
            X::Str(s) => s.clone(),
            X::Number(n) => n.clone(),
            X::Bool(b) => b.to_string(),
            _ => node.describe().to_owned(),
        };
        let span = self.remember(&shown);
        Ok(Expr { line, span, kind })
    }
}

/// Merges override files into the blocks of the others, as Terraform does: a block with the
/// same type and labels takes each attribute the override sets, and each type of nested block
/// the override has replaces all nested blocks of that type; `locals` merge by name. An
/// override block with no original is an error in Terraform, and is one here.
pub fn merge_overrides(blocks: &mut [Block], overrides: Vec<Block>, paths: &[String]) -> Result<(), InputError> {
    use std::collections::HashMap;
    let index: HashMap<(String, Vec<String>), usize> =
        blocks.iter().enumerate().filter(|(_, b)| b.kind != "locals").map(|(i, b)| ((b.kind.clone(), b.labels.clone()), i)).collect();
    let mut locals: HashMap<String, (usize, usize)> = HashMap::new();
    for (i, b) in blocks.iter().enumerate().filter(|(_, b)| b.kind == "locals") {
        for (j, a) in b.attrs.iter().enumerate() {
            locals.insert(a.name.clone(), (i, j));
        }
    }
    for o in overrides {
        if o.kind == "locals" {
            for a in o.attrs {
                match locals.get(&a.name) {
                    Some((i, j)) => blocks[*i].attrs[*j] = a,
                    None => {
                        let path = paths.get(a.file).cloned().unwrap_or_default();
                        return Err(InputError::new(
                            path,
                            Some(a.line),
                            format!("overrides local.{}, which no other file defines", a.name),
                        ));
                    }
                }
            }
            continue;
        }
        if matches!(o.kind.as_str(), "terraform" | "provider" | "moved" | "import" | "removed" | "check") {
            continue;
        }
        let Some(&i) = index.get(&(o.kind.clone(), o.labels.clone())) else {
            let path = paths.get(o.file).cloned().unwrap_or_default();
            let what = std::iter::once(o.kind.as_str()).chain(o.labels.iter().map(String::as_str)).collect::<Vec<_>>().join(".");
            return Err(InputError::new(path, Some(o.line), format!("overrides {what}, which no other file of the module declares")));
        };
        let target = &mut blocks[i];
        for a in o.attrs {
            match target.attrs.iter_mut().find(|t| t.name == a.name) {
                Some(t) => *t = a,
                None => target.attrs.push(a),
            }
        }
        let kinds: Vec<String> = o.blocks.iter().map(|b| b.kind.clone()).collect();
        target.blocks.retain(|b| !kinds.contains(&b.kind));
        target.blocks.extend(o.blocks);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_syntaxes_give_the_same_tree_with_lines() {
        let hcl = "resource \"btp_subaccount_destination\" \"d\" {\n  for_each = var.m\n  name     = \"CALM_${each.key}\"\n}\n";
        let json = "{\n  \"resource\": {\n    \"btp_subaccount_destination\": {\n      \"d\": {\n        \"for_each\": \"${var.m}\",\n        \"name\": \"CALM_${each.key}\"\n      }\n    }\n  }\n}\n";
        let a = parse("main.tf", hcl, 0).unwrap();
        let b = parse("main.tf.json", json, 0).unwrap();
        for (s, name_line) in [(&a, 3), (&b, 6)] {
            let block = &s.blocks[0];
            assert_eq!(
                (block.kind.as_str(), block.labels.as_slice()),
                ("resource", ["btp_subaccount_destination".to_owned(), "d".to_owned()].as_slice())
            );
            let name = block.attr("name").unwrap();
            assert_eq!(name.line, name_line);
            let X::Template(parts) = &name.expr.kind else { panic!("not a template") };
            assert!(matches!(&parts[0], Part::Lit(l) if l == "CALM_"));
            let Part::Interp(inner) = &parts[1] else { panic!("no interpolation") };
            assert_eq!(s.text_of(inner), "each.key");
        }
        assert_eq!(b.text_of(&b.blocks[0].attr("for_each").unwrap().expr), "${var.m}");
    }

    #[test]
    fn json_variables_and_defaults_are_literal() {
        let s = parse("terraform.tfvars.json", "{\"a\": \"${x}\", \"b\": [1, true]}", 0).unwrap();
        assert!(matches!(&s.attrs[0].expr.kind, X::Str(t) if t == "${x}"));
        let s = parse("v.tf.json", "{\"variable\": {\"v\": {\"default\": \"${x}\"}}}", 0).unwrap();
        assert!(matches!(&s.blocks[0].attr("default").unwrap().expr.kind, X::Str(t) if t == "${x}"));
        assert!(parse("bad.tf.json", "{\"resource\": 5}", 0).is_err());
        assert!(parse("bad.tfvars", "variable \"x\" {}\n", 0).is_err());
    }

    #[test]
    fn overrides_replace_attribute_by_attribute() {
        let base = parse("main.tf", "resource \"a\" \"b\" {\n  x = 1\n  y = 2\n}\nlocals {\n  l = 1\n}\n", 0).unwrap();
        let over = parse("main_override.tf", "resource \"a\" \"b\" {\n  y = 3\n}\nlocals {\n  l = 2\n}\n", 1).unwrap();
        let mut blocks = base.blocks;
        merge_overrides(&mut blocks, over.blocks, &["main.tf".into(), "main_override.tf".into()]).unwrap();
        let y = blocks[0].attr("y").unwrap();
        assert_eq!((y.file, y.line), (1, 2));
        assert_eq!(blocks[0].attr("x").unwrap().file, 0);
        assert_eq!(blocks[1].attrs[0].file, 1);
        let orphan = parse("x_override.tf", "resource \"a\" \"c\" {\n  y = 3\n}\n", 1).unwrap();
        let e = merge_overrides(&mut blocks, orphan.blocks, &["main.tf".into(), "x_override.tf".into()]).unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("x_override.tf", Some(1)));
        assert_eq!(role("main_override.tf"), Some(Role::Override));
        assert_eq!(role("override.tf.json"), Some(Role::Override));
        assert_eq!(role("myoverride.tf"), Some(Role::Config));
        assert_eq!(role("a.auto.tfvars.json"), Some(Role::Vars));
        assert_eq!(role("a.json"), None);
    }
}
