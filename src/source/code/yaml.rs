//! YAML as the MTA deployer reads it. The deploy service parses descriptors with SnakeYAML, a
//! YAML 1.1 parser: an unquoted `yes`, `on` or `true` is a boolean (and reaches the Destination
//! service as `true`), `0x1F` and `010` are integers (31, 8), and anchors (`&name`), aliases
//! (`*name`) and merge keys (`<<: *name`) are resolved before anything else looks at the tree.
//!
//! Destination files keep their own reader (`source::tree`), which refuses aliases: this one is
//! for descriptors only. An alias copies what its anchor holds, so a few lines can ask for
//! billions of values (the "billion laughs"); the copies are counted and a descriptor that asks
//! for more than [`expansion_limit`] is refused with a message that says so.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::bound::{Bound, Bounds};

/// A value of the descriptor, with the line it is written on (for a copy made by an alias, the
/// line of the value the anchor marks: that is where it is written).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub line: u32,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Keys in order, each with its line.
    Map(Vec<(String, u32, Node)>),
    Seq(Vec<Node>),
    /// A scalar as the deployer sees it: a YAML 1.1 boolean as `true`/`false`, an integer in
    /// decimal, anything else as written.
    Text(String),
    Null,
}

impl Node {
    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Map(_) => "a map",
            Kind::Seq(_) => "a list",
            Kind::Text(_) => "a value",
            Kind::Null => "nothing",
        }
    }

    /// How many values the node holds, itself included.
    fn size(&self) -> usize {
        match &self.kind {
            Kind::Map(entries) => 1 + entries.iter().map(|(_, _, v)| v.size()).sum::<usize>(),
            Kind::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Text(_) | Kind::Null => 1,
        }
    }
}

/// A descriptor that cannot be read: the line where known and what is wrong.
#[derive(Debug, PartialEq)]
pub struct YamlError {
    pub line: Option<u32>,
    pub message: String,
    /// The bound that stopped reading, if one did (then the message says what it stopped).
    pub bound: Option<Bound>,
}

/// Values aliases may add to a document with `written` values: ten times what is written, and
/// never less than 100,000, so sharing defaults across thousands of destinations is fine while
/// an alias bomb is stopped long before it costs memory.
pub fn expansion_limit(written: usize) -> usize {
    expansion_limit_within(written, Bounds::default().aliases)
}

/// [`expansion_limit`] with another floor than 100,000 ([`Bounds::aliases`]).
pub fn expansion_limit_within(written: usize, floor: usize) -> usize {
    written.saturating_mul(10).max(floor)
}

enum Frame {
    Map {
        line: u32,
        anchor: usize,
        entries: Vec<(String, u32, Node)>,
        /// Key → line of the keys written in this map, for duplicates (linear however many).
        seen: HashMap<String, u32>,
        pending_key: Option<(String, u32, bool)>,
        /// Maps to merge (`<<`), in order, each with the position in `entries` it was written at.
        merges: Vec<(usize, Node)>,
    },
    Seq {
        line: u32,
        anchor: usize,
        items: Vec<Node>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    anchors: HashMap<usize, (Node, usize)>,
    /// Values the file writes, and values aliases copied.
    written: usize,
    copied: usize,
    error: Option<YamlError>,
    /// The text's last line: an empty value or key at the end is marked where the parser saw the
    /// stream end, which may be past it.
    last_line: u32,
    bounds: Bounds,
}

impl Builder {
    fn fail(&mut self, line: u32, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(YamlError { line: Some(line), message: message.into(), bound: None });
        }
    }

    /// A bound reached: reading stops, and the file is a failed source naming it.
    fn cut(&mut self, line: u32, bound: Bound, what: &str) {
        if self.error.is_none() {
            self.error = Some(YamlError { line: Some(line), message: bound.message(what), bound: Some(bound) });
        }
    }

    /// A finished value: remembered under its anchor, then placed in its parent.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.place(node, false);
    }

    fn place(&mut self, node: Node, plain_merge_key: bool) {
        if self.error.is_some() {
            return;
        }
        let line = node.line;
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, seen, pending_key, merges, .. }) => match pending_key.take() {
                None => match node.kind {
                    Kind::Text(key) => *pending_key = Some((key, line, plain_merge_key)),
                    Kind::Null => *pending_key = Some((String::new(), line, false)),
                    _ => self.fail(line, "a YAML key must be a plain value"),
                },
                Some((key, key_line, true)) if key == "<<" => {
                    // A merge key: one map, or a list of maps (the first that has a key wins).
                    let sources = match node.kind {
                        Kind::Map(_) => vec![node],
                        Kind::Seq(items) if items.iter().all(|i| matches!(i.kind, Kind::Map(_))) => items,
                        _ => {
                            self.fail(key_line, "a merge key (<<) takes a map or a list of maps");
                            return;
                        }
                    };
                    let at = entries.len();
                    merges.extend(sources.into_iter().map(|s| (at, s)));
                }
                Some((key, key_line, _)) => {
                    if let Some(first) = seen.get(&key) {
                        let message = format!("duplicate key \"{key}\" (first on line {first})");
                        self.fail(key_line, message);
                        return;
                    }
                    seen.insert(key.clone(), key_line);
                    entries.push((key, key_line, node));
                }
            },
        }
    }

    fn close_map(
        &mut self,
        line: u32,
        anchor: usize,
        mut entries: Vec<(String, u32, Node)>,
        seen: HashMap<String, u32>,
        merges: Vec<(usize, Node)>,
    ) {
        if !merges.is_empty() {
            // Keys written in the map win; among merged maps, the first that has a key.
            let mut taken = seen;
            let mut merged: Vec<(usize, (String, u32, Node))> = Vec::new();
            for (at, source) in merges {
                let Kind::Map(more) = source.kind else { continue };
                for (key, key_line, value) in more {
                    if !taken.contains_key(&key) {
                        taken.insert(key.clone(), key_line);
                        merged.push((at, (key, key_line, value)));
                    }
                }
            }
            // Merged keys sit where the `<<` was written, in their own order.
            let mut out = Vec::with_capacity(entries.len() + merged.len());
            let mut merged = merged.into_iter().peekable();
            for (i, entry) in entries.drain(..).enumerate() {
                while let Some((_, m)) = merged.next_if(|(at, _)| *at == i) {
                    out.push(m);
                }
                out.push(entry);
            }
            out.extend(merged.map(|(_, m)| m));
            entries = out;
        }
        self.written += 1;
        self.finish(Node { line, kind: Kind::Map(entries) }, anchor);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX).min(self.last_line);
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let plain = matches!(style, TScalarStyle::Plain);
                let as_text = tag.as_ref().is_some_and(is_str_tag);
                let merge_key = plain && value == "<<" && tag.is_none();
                // Keys stay as written (a destination property is never named `true`); values
                // are what the deployer's resolver makes of them.
                let is_key = matches!(self.stack.last(), Some(Frame::Map { pending_key: None, .. }));
                let kind = if is_key {
                    if plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL") { Kind::Null } else { Kind::Text(value) }
                } else if plain && !as_text {
                    resolve_plain(value)
                } else {
                    Kind::Text(value)
                };
                self.written += 1;
                let node = Node { line, kind };
                if anchor != 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.place(node, merge_key);
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if self.stack.len() >= self.bounds.depth => {
                self.cut(line, Bound::Depth(self.bounds.depth), "the descriptor nests deeper here and was not read");
            }
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                line,
                anchor,
                entries: Vec::new(),
                seen: HashMap::new(),
                pending_key: None,
                merges: Vec::new(),
            }),
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq { line, anchor, items: Vec::new() }),
            Event::MappingEnd => {
                if let Some(Frame::Map { line, anchor, entries, seen, merges, .. }) = self.stack.pop() {
                    self.close_map(line, anchor, entries, seen, merges);
                }
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { line, anchor, items }) = self.stack.pop() {
                    self.written += 1;
                    self.finish(Node { line, kind: Kind::Seq(items) }, anchor);
                }
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    // The parser rejects an unknown alias itself; kept as a located error anyway.
                    self.fail(line, "an alias (*name) of no anchor");
                    return;
                };
                let limit = expansion_limit_within(self.written, self.bounds.aliases);
                self.copied = self.copied.saturating_add(*size);
                if self.copied > limit {
                    let what = format!(
                        "YAML aliases expand to more than {limit} values (an alias bomb?), which would run the deployer out of memory; \
                         share fewer or smaller values"
                    );
                    self.cut(line, Bound::Aliases(limit), &what);
                    return;
                }
                let node = node.clone();
                self.place(node, false);
            }
            _ => {}
        }
    }
}

fn is_str_tag(tag: &Tag) -> bool {
    tag.suffix == "str" || tag.suffix.ends_with(":str")
}

/// A plain scalar as YAML 1.1 (SnakeYAML's resolver) types it: null, boolean, integer, or text.
fn resolve_plain(value: String) -> Kind {
    match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Kind::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Kind::Text("true".into()),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Kind::Text("false".into()),
        _ => Kind::Text(yaml11_integer(&value).unwrap_or(value)),
    }
}

/// A YAML 1.1 integer written in another form than plain decimal (`0x1F`, `0b101`, `010`
/// octal, `1_000`, `+5`, sexagesimal `1:30`), in decimal; `None` for anything else, and for a
/// plain decimal, which stays as written.
fn yaml11_integer(text: &str) -> Option<String> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let signed = text.starts_with(['-', '+']);
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c == '_' || c.is_digit(radix)) && s.chars().any(|c| c != '_');
    let value: i128 = if let Some(hex) = body.strip_prefix("0x") {
        if !digits(hex, 16) {
            return None;
        }
        i128::from_str_radix(&hex.replace('_', ""), 16).ok()?
    } else if let Some(bin) = body.strip_prefix("0b") {
        if !digits(bin, 2) {
            return None;
        }
        i128::from_str_radix(&bin.replace('_', ""), 2).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        let octal = &body[1..];
        if !digits(octal, 8) {
            return None;
        }
        i128::from_str_radix(&octal.replace('_', ""), 8).ok()?
    } else if body.contains(':') {
        // Base 60: `1:30` is 90; the first part starts with 1-9, the others are 0-59.
        let mut parts = body.split(':');
        let first = parts.next()?;
        if !digits(first, 10) || first.starts_with(['0', '_']) {
            return None;
        }
        let mut total: i128 = first.replace('_', "").parse().ok()?;
        for part in parts {
            if part.is_empty() || part.len() > 2 || !part.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let n: i128 = part.parse().ok()?;
            if n > 59 {
                return None;
            }
            total = total.checked_mul(60)?.checked_add(n)?;
        }
        total
    } else {
        if !digits(body, 10) || body.starts_with('_') {
            return None;
        }
        if !signed && !body.contains('_') {
            return None;
        }
        body.replace('_', "").parse().ok()?
    };
    Some(if negative { (-value).to_string() } else { value.to_string() })
}

/// Every document of a YAML stream, as the MTA deployer reads it.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    parse_bounded(text, &Bounds::default())
}

/// [`parse`] within `bounds` (nesting, alias expansion).
pub fn parse_bounded(text: &str, bounds: &Bounds) -> Result<Vec<Node>, YamlError> {
    // Lines as YAML counts them: a break is CR LF, a lone CR or a lone LF.
    let breaks = text.bytes().filter(|b| *b == b'\n').count() + text.replace("\r\n", "").bytes().filter(|b| *b == b'\r').count();
    let last_line = u32::try_from(breaks + 1).unwrap_or(u32::MAX);
    let mut builder = Builder { last_line, bounds: *bounds, ..Builder::default() };
    let mut parser = Parser::new_from_str(text);
    let loaded = parser.load(&mut builder, true);
    // A bound the builder reached stands before whatever the parser says after it.
    if let Some(e) = builder.error.take() {
        if e.bound.is_some() {
            return Err(e);
        }
        builder.error = Some(e);
    }
    loaded.map_err(|e| {
        let line = u32::try_from(e.marker().line()).ok();
        // The parser's own recursion bound is a bound reached, not bad input.
        let bound = e.info().contains("recursion limit").then_some(Bound::Depth(builder.bounds.depth));
        let message = match bound {
            Some(b) => b.message(&format!("the YAML parser stopped: {}", e.info())),
            None => format!("invalid YAML: {}", e.info()),
        };
        YamlError { line, message, bound }
    })?;
    match builder.error {
        Some(e) => Err(e),
        None => Ok(builder.docs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse(text).unwrap();
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    fn get<'a>(node: &'a Node, key: &str) -> &'a Node {
        match &node.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v).unwrap(),
            _ => panic!("not a map"),
        }
    }

    fn text(node: &Node) -> &str {
        match &node.kind {
            Kind::Text(t) => t,
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn yaml_1_1_scalars_are_what_the_deployer_sees() {
        assert_eq!(text(get(&one("on: 1\n"), "on")), "1", "keys stay as written");
        let root = one(
            "a: yes\nb: On\nc: 'yes'\nd: \"on\"\ne: off\nf: NO\ng: !!str yes\nh: y\ni: 0x1F\nj: 010\nk: 1_000\nl: 1:30\nm: 08\nn: 1.10\no: ~\np: 42\nq: -0b11\nr: 12:75\n",
        );
        let expected = [
            ("a", "true"),
            ("b", "true"),
            ("c", "yes"),
            ("d", "on"),
            ("e", "false"),
            ("f", "false"),
            ("g", "yes"),
            ("h", "y"),
            ("i", "31"),
            ("j", "8"),
            ("k", "1000"),
            ("l", "90"),
            ("m", "08"),
            ("n", "1.10"),
            ("p", "42"),
            ("q", "-3"),
            ("r", "12:75"),
        ];
        for (key, value) in expected {
            assert_eq!(text(get(&root, key)), value, "{key}");
        }
        assert_eq!(get(&root, "o").kind, Kind::Null);
    }

    #[test]
    fn anchors_aliases_and_merge_keys_are_resolved_where_written() {
        let root = one(
            "defaults: &calm\n  Type: HTTP\n  ProxyType: Internet\n  TrustAll: on\nurl: &url https://x/\nd:\n  <<: *calm\n  Name: CALM_A\n  ProxyType: OnPremise\n  URL: *url\nlist:\n  - *calm\n",
        );
        let d = get(&root, "d");
        let Kind::Map(entries) = &d.kind else { panic!("not a map") };
        let keys: Vec<(&str, u32)> = entries.iter().map(|(k, l, _)| (k.as_str(), *l)).collect();
        // Written keys win over merged ones; merged keys keep the lines of the anchor.
        assert_eq!(keys, [("Type", 2), ("TrustAll", 4), ("Name", 8), ("ProxyType", 9), ("URL", 10)]);
        assert_eq!(text(get(d, "ProxyType")), "OnPremise");
        assert_eq!(text(get(d, "TrustAll")), "true");
        assert_eq!((text(get(d, "URL")), get(d, "URL").line), ("https://x/", 5));
        let Kind::Seq(items) = &get(&root, "list").kind else { panic!("not a list") };
        assert_eq!(items[0], *get(&root, "defaults"));
        // A list of maps to merge: the first that has a key wins.
        let root = one("a: &a {x: 1, y: 2}\nb: &b {x: 3, z: 4}\nc:\n  <<: [*a, *b]\n  w: 5\n");
        let c = get(&root, "c");
        assert_eq!((text(get(c, "x")), text(get(c, "z")), text(get(c, "w"))), ("1", "4", "5"));
        // A quoted "<<" is an ordinary key.
        assert_eq!(text(get(&one("\"<<\": 1\n"), "<<")), "1");
    }

    #[test]
    fn an_alias_bomb_is_refused_with_a_clear_message() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            let row = vec![format!("*a{prev}"); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{row}]\n"));
        }
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{}", e.message);
        assert!(e.line.is_some_and(|l| l <= 10));
        // Many small shares are fine.
        let mut many = String::from("d: &d {Type: HTTP, ProxyType: Internet}\nlist:\n");
        for i in 0..5000 {
            many.push_str(&format!("  - {{<<: *d, Name: CALM_{i}}}\n"));
        }
        assert!(parse(&many).is_ok());
    }

    #[test]
    fn an_empty_value_or_key_at_the_end_is_on_the_last_line() {
        assert_eq!(parse("a0:").unwrap()[0], Node { line: 1, kind: Kind::Map(vec![("a0".into(), 1, Node { line: 1, kind: Kind::Null })]) });
        let Kind::Map(entries) = &parse("x: 1\r? ").unwrap()[0].kind else { panic!("not a map") };
        assert_eq!((entries[1].1, entries[1].2.line), (2, 2));
    }

    #[test]
    fn faults_are_located_errors() {
        assert_eq!(parse("a: 1\na: 2\n").unwrap_err().line, Some(2));
        assert!(parse("a: *nope\n").is_err());
        assert!(parse("a:\n  <<: 5\n").unwrap_err().message.contains("merge key"));
        let deep = format!("x: {}{}\n", "[".repeat(200), "]".repeat(200));
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.bound, Some(Bound::Depth(64)));
        assert!(e.message.contains("nesting depth"), "{}", e.message);
        // Deeper than the parser's own recursion bound: still the bound, never "invalid YAML".
        let deeper = format!("x: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse(&deeper).unwrap_err().bound, Some(Bound::Depth(64)));
        let low = Bounds { depth: 100_000, ..Bounds::default() };
        let e = parse_bounded(&deeper, &low).unwrap_err();
        assert_eq!(e.bound, Some(Bound::Depth(100_000)), "{}", e.message);
        assert!(e.message.contains("recursion limit"), "{}", e.message);
        assert!(parse("? [a]\n: 1\n").is_err());
    }
}
