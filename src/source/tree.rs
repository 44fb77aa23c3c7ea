//! JSON and YAML read into one small tree that remembers the line of every key, so the
//! shape detection and the reports can point at the offending line in either format.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::LineCursor;

/// Destination files are two or three levels deep; this bounds hostile nesting (the tree is
/// built and dropped recursively).
const MAX_DEPTH: usize = 64;

/// Keys and strings borrow from the text where they can (JSON without escapes).
#[derive(Debug)]
pub enum Kind<'a> {
    /// Keys in file order, each with the line it is on.
    Map(Vec<(Cow<'a, str>, u32, Node<'a>)>),
    Seq(Vec<Node<'a>>),
    /// Strings (and YAML's plain scalars), as written.
    Scalar(Cow<'a, str>),
    /// JSON numbers and booleans, as written.
    Literal(Cow<'a, str>),
    Null,
}

#[derive(Debug)]
pub struct Node<'a> {
    pub line: u32,
    pub kind: Kind<'a>,
}

impl<'a> Node<'a> {
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
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

/// The first repeated key of a finished object, in document order: sorted once, so an object of
/// a million keys costs n·log n comparisons, not their square.
fn duplicate_check(entries: &[(Cow<'_, str>, u32, Node<'_>)]) -> Result<(), TreeError> {
    let fail = |second: usize, first: usize| {
        let (key, line) = (&entries[second].0, entries[second].1);
        Err(TreeError { line: Some(line), message: format!("duplicate key \"{key}\" (first on line {})", entries[first].1) })
    };
    if entries.len() <= 16 {
        for second in 1..entries.len() {
            if let Some(first) = (0..second).find(|&j| entries[j].0 == entries[second].0) {
                return fail(second, first);
            }
        }
        return Ok(());
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_unstable_by(|&a, &b| entries[a].0.cmp(&entries[b].0).then(a.cmp(&b)));
    // (second occurrence, first occurrence) with the earliest second occurrence: within a group
    // of equal keys, indices are in document order.
    let mut earliest: Option<(usize, usize)> = None;
    let mut start = 0;
    while start < order.len() {
        let key = &entries[order[start]].0;
        let end = start + order[start..].iter().take_while(|&&i| entries[i].0 == *key).count();
        if end - start > 1 && earliest.is_none_or(|(second, _)| order[start + 1] < second) {
            earliest = Some((order[start + 1], order[start]));
        }
        start = end;
    }
    match earliest {
        Some((second, first)) => fail(second, first),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------- JSON

/// Object members in order, duplicates kept so they can be reported; keys borrowed from the
/// text unless they hold escapes.
struct Pairs<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

/// A key that borrows from the text when serde_json can hand it out unescaped.
pub(crate) struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(12));
                while let Some((Key(k), v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

pub fn parse_json(text: &str) -> Result<Node<'_>, TreeError> {
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| syntax_error(&e))?;
    json_node(raw, text, &mut LineCursor::new(text), 0)
}

fn syntax_error(e: &serde_json::Error) -> TreeError {
    TreeError { line: u32::try_from(e.line()).ok().filter(|l| *l > 0), message: json_message(e) }
}

/// A JSON document, read so that a large top-level array never becomes one tree.
pub enum JsonDoc<'a> {
    /// The items of a top-level array, each parsed when it is reached.
    Items(JsonItems<'a>),
    /// Any other document, whole.
    Tree(Node<'a>),
}

/// The items of a top-level JSON array (already checked for syntax), parsed one at a time.
pub struct JsonItems<'a> {
    base: &'a str,
    items: std::vec::IntoIter<&'a RawValue>,
    lines: LineCursor<'a>,
}

impl<'a> Iterator for JsonItems<'a> {
    type Item = Result<Node<'a>, TreeError>;
    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.items.next()?;
        Some(json_node(raw, self.base, &mut self.lines, 1))
    }
}

/// Parses a JSON document; a top-level array is handed out item by item, so memory stays
/// near the size of the text however many destinations it holds.
pub fn parse_json_doc(text: &str) -> Result<JsonDoc<'_>, TreeError> {
    if text.trim_start().starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| syntax_error(&e))?;
        return Ok(JsonDoc::Items(JsonItems { base: text, items: items.into_iter(), lines: LineCursor::new(text) }));
    }
    parse_json(text).map(JsonDoc::Tree)
}

/// serde_json's message without its own " at line L column C" suffix (we print the line ourselves).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => format!("invalid JSON: {} (column {})", &full[..i], e.column()),
        None => format!("invalid JSON: {full}"),
    }
}

fn json_node<'a>(raw: &'a RawValue, base: &str, lines: &mut LineCursor, depth: usize) -> Result<Node<'a>, TreeError> {
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
            let mut entries: Vec<(Cow<'a, str>, u32, Node<'a>)> = Vec::with_capacity(pairs.0.len());
            for (k, v) in pairs.0 {
                let child = json_node(v, base, lines, depth + 1)?;
                entries.push((k, child.line, child));
            }
            duplicate_check(&entries)?;
            Kind::Map(entries)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(fail)?;
            Kind::Seq(items.into_iter().map(|v| json_node(v, base, lines, depth + 1)).collect::<Result<_, _>>()?)
        }
        // Already checked by the parse above: without a backslash the content is the string.
        Some(b'"') => Kind::Scalar(raw_string(raw).map_err(fail)?),
        _ if text == "null" => Kind::Null,
        _ => Kind::Literal(Cow::Borrowed(text)),
    };
    Ok(Node { line, kind })
}

/// The content of a raw JSON string (already checked by the parse that produced it): borrowed
/// when it has no escapes.
pub(crate) fn raw_string(raw: &RawValue) -> Result<Cow<'_, str>, serde_json::Error> {
    let text = raw.get();
    match text.len().checked_sub(1).and_then(|end| text.get(1..end)) {
        Some(inner) if text.starts_with('"') && !inner.contains('\\') => Ok(Cow::Borrowed(inner)),
        _ => serde_json::from_str::<String>(text).map(Cow::Owned),
    }
}

/// A service key's JSON: it may follow lines the cf CLI prints before it (those lines still
/// count for line numbers) and may be wrapped in `{"credentials": ...}`. Returns the root
/// (unwrapped unless `own_key` is present at the top) and the number of lines before the JSON.
pub fn service_key_json<'a>(text: &'a str, shown: &str, what: &str, own_key: &str) -> Result<(Node<'a>, u32), super::InputError> {
    let Some(start) = text.find('{') else {
        return Err(super::InputError::new(shown, None, format!("not a {what}: no JSON object found")));
    };
    let offset_line = LineCursor::new(text).line(start) - 1;
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
    Map { line: u32, entries: Vec<(Cow<'static, str>, u32, Node<'static>)>, pending_key: Option<(Cow<'static, str>, u32)> },
    Seq { line: u32, items: Vec<Node<'static>> },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node<'static>>,
    error: Option<TreeError>,
}

impl Builder {
    fn push_value(&mut self, node: Node<'static>) {
        if self.error.is_some() {
            return;
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, pending_key, .. }) => match pending_key.take() {
                None => match node.kind {
                    Kind::Scalar(key) => *pending_key = Some((key, node.line)),
                    Kind::Null => *pending_key = Some((Cow::Borrowed(""), node.line)),
                    _ => self.error = Some(TreeError { line: Some(node.line), message: "a YAML key must be a plain value".into() }),
                },
                Some((key, key_line)) => entries.push((key, key_line, node)),
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
                let kind = if plain && matches!(value.as_str(), "~" | "null" | "Null" | "NULL" | "") {
                    Kind::Null
                } else {
                    Kind::Scalar(Cow::Owned(value))
                };
                self.push_value(Node { line, kind });
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.error = Some(TreeError { line: Some(line), message: format!("nested deeper than {MAX_DEPTH} levels") });
            }
            Event::MappingStart(..) => self.stack.push(Frame::Map { line, entries: Vec::new(), pending_key: None }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq { line, items: Vec::new() }),
            Event::MappingEnd | Event::SequenceEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Map { line, entries, .. }) => {
                        if let Err(e) = duplicate_check(&entries) {
                            self.error = Some(e);
                            return;
                        }
                        Node { line, kind: Kind::Map(entries) }
                    }
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
pub fn parse_yaml(text: &str) -> Result<Vec<Node<'static>>, TreeError> {
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
    fn top_level_array_items_parsed_one_at_a_time_keep_their_lines() {
        let text = "[\n {\"Name\": \"A\",\n  \"URL\": \"u\"},\n\n {\"Name\": \"B\\u0041\"}\n]";
        let JsonDoc::Items(items) = parse_json_doc(text).unwrap() else { panic!("not items") };
        let items: Vec<Node> = items.collect::<Result<_, _>>().unwrap();
        let Kind::Seq(whole) = parse_json(text).unwrap().kind else { panic!("not a seq") };
        assert_eq!(items.len(), whole.len());
        for (one, all) in items.iter().zip(&whole) {
            assert_eq!(one.line, all.line);
            assert_eq!(one.key_line("Name"), all.key_line("Name"));
            assert_eq!(one.key_line("URL"), all.key_line("URL"));
        }
        assert_eq!((items[0].key_line("URL"), items[1].line), (Some(3), 5));
        assert_eq!(items[1].get("Name").unwrap().as_scalar(), Some("BA"), "escapes are decoded");
        // A fault in a later item names its own line; a syntax error anywhere fails the whole file first.
        let JsonDoc::Items(mut items) = parse_json_doc("[{\"Name\":\"A\"},\n{\"Name\":\"B\",\n\"Name\":\"C\"}]").unwrap() else {
            panic!("not items")
        };
        assert!(items.next().unwrap().is_ok());
        assert_eq!(items.next().unwrap().unwrap_err().line, Some(3));
        assert_eq!(parse_json_doc("[{\"Name\":\"A\"},\n{\"Name\" \"B\"}]").err().unwrap().line, Some(2));
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
