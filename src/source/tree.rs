//! JSON and YAML read into one small tree that remembers the line of every key, so the
//! shape detection and the reports can point at the offending line in either format.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::LineIndex;

/// Destination files are two or three levels deep; this bounds hostile nesting (the tree is
/// built and dropped recursively).
const MAX_DEPTH: usize = 64;

#[derive(Debug)]
pub enum Kind {
    /// Keys in file order, each with the line it is on.
    Map(Vec<(String, u32, Node)>),
    Seq(Vec<Node>),
    /// Strings (and YAML's plain scalars), as written.
    Scalar(String),
    /// JSON numbers and booleans, as written.
    Literal(String),
    Null,
}

#[derive(Debug)]
pub struct Node {
    pub line: u32,
    pub kind: Kind,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    pub fn key_line(&self, key: &str) -> Option<u32> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, l, _)| *l),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Map(_) => "an object",
            Kind::Seq(_) => "an array",
            Kind::Scalar(_) => "a string",
            Kind::Literal(_) => "a number or boolean",
            Kind::Null => "null",
        }
    }
}

/// A tree error: the line where known and what is wrong.
#[derive(Debug)]
pub struct TreeError {
    pub line: Option<u32>,
    pub message: String,
}

fn duplicate_check(entries: &[(String, u32, Node)], key: &str, line: u32) -> Result<(), TreeError> {
    match entries.iter().find(|(k, _, _)| k == key) {
        Some((_, first, _)) => Err(TreeError { line: Some(line), message: format!("duplicate key \"{key}\" (first on line {first})") }),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------- JSON

/// Object members in order, duplicates kept so they can be reported.
struct Pairs<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

pub fn parse_json(text: &str) -> Result<Node, TreeError> {
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|e| TreeError { line: u32::try_from(e.line()).ok().filter(|l| *l > 0), message: json_message(&e) })?;
    let lines = LineIndex::new(text);
    json_node(raw, text, &lines, 0)
}

/// serde_json's message without its own " at line L column C" suffix (we print the line ourselves).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => format!("invalid JSON: {} (column {})", &full[..i], e.column()),
        None => format!("invalid JSON: {full}"),
    }
}

fn json_node(raw: &RawValue, base: &str, lines: &LineIndex, depth: usize) -> Result<Node, TreeError> {
    let text = raw.get();
    let offset = (text.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    let line = lines.line(offset);
    // serde_json checks nesting while parsing values, but not while skipping over a raw one.
    if depth >= MAX_DEPTH {
        return Err(TreeError { line: Some(line), message: format!("nested deeper than {MAX_DEPTH} levels") });
    }
    let fail = |e: serde_json::Error| TreeError { line: Some(line), message: format!("invalid JSON: {e}") };
    let kind = match text.as_bytes().first() {
        Some(b'{') => {
            let pairs: Pairs = serde_json::from_str(text).map_err(fail)?;
            let mut entries: Vec<(String, u32, Node)> = Vec::with_capacity(pairs.0.len());
            for (k, v) in pairs.0 {
                let child = json_node(v, base, lines, depth + 1)?;
                duplicate_check(&entries, &k, child.line)?;
                entries.push((k, child.line, child));
            }
            Kind::Map(entries)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(fail)?;
            Kind::Seq(items.into_iter().map(|v| json_node(v, base, lines, depth + 1)).collect::<Result<_, _>>()?)
        }
        Some(b'"') => Kind::Scalar(serde_json::from_str::<String>(text).map_err(fail)?),
        _ if text == "null" => Kind::Null,
        _ => Kind::Literal(text.to_owned()),
    };
    Ok(Node { line, kind })
}

/// A service key's JSON: it may follow lines the cf CLI prints before it (those lines still
/// count for line numbers) and may be wrapped in `{"credentials": ...}`. Returns the root
/// (unwrapped unless `own_key` is present at the top) and the number of lines before the JSON.
pub fn service_key_json(text: &str, shown: &str, what: &str, own_key: &str) -> Result<(Node, u32), super::InputError> {
    let Some(start) = text.find('{') else {
        return Err(super::InputError::new(shown, None, format!("not a {what}: no JSON object found")));
    };
    let offset_line = LineIndex::new(text).line(start) - 1;
    let node = parse_json(&text[start..]).map_err(|e| super::InputError::new(shown, e.line.map(|l| l + offset_line), e.message))?;
    let root = match node.kind {
        Kind::Map(mut entries) if entries.iter().all(|(k, _, _)| k != own_key) && entries.iter().any(|(k, _, _)| k == "credentials") => {
            let index = entries.iter().position(|(k, _, _)| k == "credentials").unwrap_or_default();
            entries.swap_remove(index).2
        }
        kind => Node { line: node.line, kind },
    };
    Ok((root, offset_line))
}

// ---------------------------------------------------------------- YAML

enum Frame {
    Map { line: u32, entries: Vec<(String, u32, Node)>, pending_key: Option<(String, u32)> },
    Seq { line: u32, items: Vec<Node> },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    error: Option<TreeError>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        if self.error.is_some() {
            return;
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, pending_key, .. }) => match pending_key.take() {
                None => match node.kind {
                    Kind::Scalar(key) => *pending_key = Some((key, node.line)),
                    Kind::Null => *pending_key = Some((String::new(), node.line)),
                    _ => self.error = Some(TreeError { line: Some(node.line), message: "a YAML key must be a plain value".into() }),
                },
                Some((key, key_line)) => {
                    if let Err(e) = duplicate_check(entries, &key, key_line) {
                        self.error = Some(e);
                        return;
                    }
                    entries.push((key, key_line, node));
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX);
        match ev {
            Event::Scalar(value, style, _, _) => {
                let plain = matches!(style, yaml_rust2::scanner::TScalarStyle::Plain);
                let kind =
                    if plain && matches!(value.as_str(), "~" | "null" | "Null" | "NULL" | "") { Kind::Null } else { Kind::Scalar(value) };
                self.push_value(Node { line, kind });
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.error = Some(TreeError { line: Some(line), message: format!("nested deeper than {MAX_DEPTH} levels") });
            }
            Event::MappingStart(..) => self.stack.push(Frame::Map { line, entries: Vec::new(), pending_key: None }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq { line, items: Vec::new() }),
            Event::MappingEnd | Event::SequenceEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Map { line, entries, .. }) => Node { line, kind: Kind::Map(entries) },
                    Some(Frame::Seq { line, items }) => Node { line, kind: Kind::Seq(items) },
                    None => return,
                };
                self.push_value(node);
            }
            Event::Alias(_) => {
                // Aliases can expand exponentially; destination files have no use for them.
                self.error = Some(TreeError { line: Some(line), message: "YAML aliases (*name) are not supported".into() });
            }
            _ => {}
        }
    }
}

/// Every document of a YAML stream.
pub fn parse_yaml(text: &str) -> Result<Vec<Node>, TreeError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, true)
        .map_err(|e| TreeError { line: u32::try_from(e.marker().line()).ok(), message: format!("invalid YAML: {}", e.info()) })?;
    match builder.error {
        Some(e) => Err(e),
        None => Ok(builder.docs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_know_their_lines() {
        let text = "[\n {\n  \"Name\": \"CALM_A\",\n  \"URL\": \"https://x/\"\n },\n {\"Name\": \"B\"}\n]";
        let node = parse_json(text).unwrap();
        let Kind::Seq(items) = &node.kind else { panic!("not a seq") };
        assert_eq!(items[0].line, 2);
        assert_eq!(items[0].key_line("Name"), Some(3));
        assert_eq!(items[0].key_line("URL"), Some(4));
        assert_eq!(items[1].key_line("Name"), Some(6));
        assert_eq!(items[0].get("URL").unwrap().as_scalar(), Some("https://x/"));
    }

    #[test]
    fn json_duplicate_keys_are_errors() {
        let err = parse_json("{\"Name\": \"a\",\n\"Name\": \"b\"}").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("duplicate key \"Name\" (first on line 1)"), "{}", err.message);
    }

    #[test]
    fn json_syntax_errors_have_lines() {
        let err = parse_json("{\n\"Name\": \"a\",\n}").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.starts_with("invalid JSON"));
    }

    #[test]
    fn yaml_keys_know_their_lines() {
        let docs = parse_yaml("- Name: CALM_A\n  URL: https://x/\n  TrustAll: true\n- Name: B\n").unwrap();
        let Kind::Seq(items) = &docs[0].kind else { panic!("not a seq") };
        assert_eq!(items[0].key_line("URL"), Some(2));
        assert_eq!(items[0].get("TrustAll").unwrap().as_scalar(), Some("true"));
        assert_eq!(items[1].key_line("Name"), Some(4));
    }

    #[test]
    fn yaml_aliases_and_duplicates_are_errors() {
        assert!(parse_yaml("a: &x 1\nb: *x\n").unwrap_err().message.contains("aliases"));
        let e = parse_yaml("Name: a\nName: b\n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
