//! The fast way through a large JSON destination file: one forward pass over the text that
//! checks its syntax and builds the destinations as it goes, for the shapes exports have (a
//! top-level array of flat destination objects, `{"destinations": [...]}`, a `config.json`
//! with `init_data`), deciding scope from `Name` and `URL` before anything else is allocated.
//!
//! It reads a strict subset of JSON: objects, arrays, strings and `true`/`false`/`null` outside
//! the destinations, and destinations whose every value is a string. Whatever falls outside
//! that subset, every syntax error, and every file that holds a mistake (a duplicate key, a
//! destination without `Name`, an unknown `init_data` section) is handed back untouched, and
//! the general reader ([`super::tree`], [`super::shapes`]) reads the file as before and names
//! the problem. So this path never decides an error or a verdict of its own: on the files it
//! accepts it gives exactly what the general reader gives (asserted for every rule case in
//! `tests/rules.rs` and on every input by the `destination_files` fuzz target).

use std::borrow::Cow;

use super::Keep;
use crate::model::destination::is_cloud_alm;
use crate::model::{Destination, Level, Origin, Property};

/// Nesting allowed in the values skipped around the destinations (the general reader's bound).
const MAX_DEPTH: usize = 64;

/// Reads `text` onto `out` and returns `true`, or returns `false` with `out` as it was when
/// the file is not one this path reads (the caller then reads it the general way).
pub fn destinations(text: &str, path: &str, keep: Keep, out: &mut Vec<Destination>) -> bool {
    let before = out.len();
    let mut scan = Scan { text, bytes: text.as_bytes(), pos: 0, line: 1, path, keep, out, entries: Vec::new() };
    let read = scan.document().is_some();
    if !read {
        out.truncate(before);
    }
    read
}

/// `None` everywhere below means "not for this path".
type Fast<T> = Option<T>;

/// One destination's entries: key, value, line of the value.
type Entry<'a> = (Cow<'a, str>, Cow<'a, str>, u32);

struct Scan<'a, 'o> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The line `pos` is on.
    line: u32,
    path: &'o str,
    keep: Keep<'o>,
    out: &'o mut Vec<Destination>,
    /// Reused for every destination.
    entries: Vec<Entry<'a>>,
}

impl<'a> Scan<'a, '_> {
    fn document(&mut self) -> Fast<()> {
        self.ws();
        match self.peek()? {
            b'[' => self.destination_array(None)?,
            b'{' => self.wrapper()?,
            _ => return None,
        }
        self.ws();
        (self.pos == self.bytes.len()).then_some(())
    }

    fn peek(&self) -> Fast<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// JSON white space, counting lines.
    fn ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                }
                _ => break,
            }
        }
    }

    fn eat(&mut self, byte: u8) -> Fast<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// A string at `pos` (after white space): its content, borrowed unless it holds escapes
    /// (those are decoded by serde_json, which also checks them).
    fn string(&mut self) -> Fast<Cow<'a, str>> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match *self.bytes.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                // Control characters must be escaped (RFC 8259); a raw one is a syntax error.
                0..=0x1f => return None,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        if escaped {
            serde_json::from_str::<String>(self.text.get(start - 1..=i)?).ok().map(Cow::Owned)
        } else {
            self.text.get(start..i).map(Cow::Borrowed)
        }
    }

    /// `[ destination, ... ]` at `pos`.
    fn destination_array(&mut self, level: Option<Level>) -> Fast<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.destination(level)?;
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// One flat destination object: every value a string, distinct keys, a `Name`, and none
    /// of the keys that make an object another shape.
    fn destination(&mut self, level: Option<Level>) -> Fast<()> {
        self.ws();
        if self.peek()? != b'{' {
            return None;
        }
        let object_line = self.line;
        self.pos += 1;
        let mut entries = std::mem::take(&mut self.entries);
        entries.clear();
        let read = self.entries_into(&mut entries);
        let built = read.and_then(|()| self.build(&entries, object_line, level));
        self.entries = entries;
        built
    }

    fn entries_into(&mut self, entries: &mut Vec<Entry<'a>>) -> Fast<()> {
        self.ws();
        if self.peek()? == b'}' {
            return None; // no Name: the general reader names the problem
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            self.ws();
            let line = self.line;
            let value = self.string()?;
            if entries.iter().any(|(k, _, _)| *k == key) {
                return None;
            }
            entries.push((key, value, line));
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// As [`super::shapes`] and [`super::build_destination`] build it.
    fn build(&mut self, entries: &[Entry<'a>], line: u32, level: Option<Level>) -> Fast<()> {
        if entries.iter().any(|(k, _, _)| matches!(k.as_ref(), "init_data" | "destinationConfiguration")) {
            return None;
        }
        let (_, name, name_line) = entries.iter().find(|(k, _, _)| k == "Name")?;
        let keep_all = match self.keep {
            Keep::All => true,
            Keep::CloudAlm { named } => {
                let url = entries.iter().find(|(k, _, _)| k == "URL").and_then(|(k, v, _)| Property::text_of(k, v));
                is_cloud_alm(Property::text_of("Name", name).unwrap_or(""), url, named)
            }
        };
        let properties = if keep_all {
            entries.iter().map(|(k, v, l)| Property::new(k.to_string(), v.to_string(), Some(*l))).collect()
        } else {
            vec![Property::new("Name".to_owned(), name.to_string(), Some(*name_line))]
        };
        self.out.push(Destination { properties, origin: Origin::file(self.path, line, level), probe: None });
        Some(())
    }

    /// A top-level object holding destinations: `{"destinations": [...]}` or a `config.json`
    /// with `init_data`, other keys beside them. Any other object is the general reader's.
    fn wrapper(&mut self) -> Fast<()> {
        self.eat(b'{')?;
        let mut keys: Vec<Cow<'a, str>> = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            return None;
        }
        loop {
            let key = self.string()?;
            if keys.contains(&key) {
                return None;
            }
            self.eat(b':')?;
            match key.as_ref() {
                "destinations" => self.destination_array(None)?,
                "init_data" => self.init_data()?,
                // Other shapes, and snapshots: small files, read the general way.
                "Name" | "destinationConfiguration" | "calm_audit_snapshot" => return None,
                _ => self.skip(1)?,
            }
            keys.push(key);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        // Exactly one of the two, or the general reader decides (`init_data` wins there).
        let has = |k: &str| keys.iter().any(|key| key == k);
        (has("destinations") != has("init_data")).then_some(())
    }

    /// `{"subaccount": {..., "destinations": [...]}, "instance": {...}}`.
    fn init_data(&mut self) -> Fast<()> {
        self.eat(b'{')?;
        let mut sections: Vec<Cow<'a, str>> = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            let level = match key.as_ref() {
                "subaccount" => Level::Subaccount,
                "instance" => Level::Instance,
                _ => return None,
            };
            if sections.contains(&key) {
                return None;
            }
            self.eat(b':')?;
            self.section(level)?;
            sections.push(key);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn section(&mut self, level: Level) -> Fast<()> {
        self.eat(b'{')?;
        let mut keys: Vec<Cow<'a, str>> = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            if keys.contains(&key) {
                return None;
            }
            self.eat(b':')?;
            if key == "destinations" {
                self.destination_array(Some(level))?;
            } else {
                self.skip(3)?;
            }
            keys.push(key);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Steps over a value of the subset (strings, `true`, `false`, `null`, arrays, objects with
    /// distinct keys), checking it; `depth` is its depth in the document, bounded as the
    /// general reader bounds it.
    fn skip(&mut self, depth: usize) -> Fast<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'[' => {
                self.pos += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut keys: Vec<Cow<'a, str>> = Vec::new();
                self.ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    let key = self.string()?;
                    if keys.contains(&key) {
                        return None;
                    }
                    keys.push(key);
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                let rest = self.bytes.get(self.pos..)?;
                let word = [&b"true"[..], b"false", b"null"].into_iter().find(|w| rest.starts_with(w))?;
                // A literal ends at a delimiter (`nullx` is not JSON).
                let after = rest.get(word.len()).copied();
                if after.is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}')) {
                    return None;
                }
                self.pos += word.len();
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(text: &str, keep: Keep) -> Option<Vec<Destination>> {
        let mut out = Vec::new();
        destinations(text, "f.json", keep, &mut out).then_some(out)
    }

    #[test]
    fn reads_the_three_export_shapes_with_lines() {
        let array = "[\n {\"Name\": \"CALM_A\",\n  \"URL\": \"https://x/\"},\n {\"Name\": \"B\", \"Type\": \"HTTP\"}\n]\n";
        let d = fast(array, Keep::All).unwrap();
        assert_eq!((d.len(), d[0].origin.line, d[0].line_of("URL"), d[1].origin.line), (2, 2, 3, 4));
        let wrapped = "{\"count\": null, \"destinations\": [{\"Name\": \"A\"}], \"x\": [true, {\"y\": \"z\"}]}";
        assert_eq!(fast(wrapped, Keep::All).unwrap().len(), 1);
        let init = r#"{"init_data": {"subaccount": {"existing_destinations_policy": "update", "destinations": [{"Name": "A"}]},
            "instance": {"destinations": [{"Name": "B"}]}}}"#;
        let levels: Vec<_> = fast(init, Keep::All).unwrap().iter().map(|d| d.origin.level).collect();
        assert_eq!(levels, [Some(Level::Subaccount), Some(Level::Instance)]);
    }

    #[test]
    fn out_of_scope_destinations_keep_their_name_only() {
        let text =
            r#"[{"Name": "A", "URL": "https://a.example/", "Password": "p"}, {"Name": "B", "URL": "https://t.eu10.alm.cloud.sap/"}]"#;
        let d = fast(text, Keep::CloudAlm { named: None }).unwrap();
        assert_eq!((d[0].properties.len(), d[1].properties.len()), (1, 2));
        let d = fast(text, Keep::CloudAlm { named: Some("A") }).unwrap();
        assert_eq!(d[0].properties.len(), 3);
    }

    #[test]
    fn escapes_are_decoded() {
        let d = fast(r#"[{"Name": "A\u0042", "Desc\"": "x\/y"}]"#, Keep::All).unwrap();
        assert_eq!(d[0].name(), "AB");
        assert_eq!(d[0].text("Desc\""), Some("x/y"));
    }

    #[test]
    fn everything_else_is_left_to_the_general_reader() {
        for text in [
            "[{\"Name\": \"A\"},]",
            "[{\"Name\": \"A\"}] x",
            "[{\"Name\": \"A\", \"Name\": \"B\"}]",
            "[{\"Type\": \"HTTP\"}]",
            "[{}]",
            "[{\"Name\": \"A\", \"Port\": 1}]",
            "[{\"Name\": \"A\", \"X\": null}]",
            "[[{\"Name\": \"A\"}]]",
            "[{\"Name\": \"A\", \"init_data\": \"x\"}]",
            "[{\"Name\": \"a\tb\"}]",
            "[{\"Name\": \"\\x\"}]",
            "{\"Name\": \"A\"}",
            "{\"destinations\": [], \"init_data\": {}}",
            "{\"destinations\": {}}",
            "{\"init_data\": {\"global\": {}}}",
            "{\"calm_audit_snapshot\": 1, \"destinations\": []}",
            "{\"destinations\": [], \"n\": 1}",
            "{\"destinations\": [], \"n\": nullx}",
            "{\"destinations\": [], \"o\": {\"a\": \"1\", \"a\": \"2\"}}",
            "[{\"Name\": \"A\"}",
            "",
        ] {
            let mut out = vec![];
            assert!(!destinations(text, "f.json", Keep::All, &mut out), "{text}");
            assert!(out.is_empty(), "{text}");
        }
    }
}
