//! A reader for the common shape of a variables file (`*.tfvars`): `NAME = value` lines whose
//! values are literals (strings without interpolation, whole numbers, booleans, null, lists and
//! objects of them), with comments.
//!
//! Why it exists (measured): `hcl-edit` checks each object key against every key before it, so
//! an object literal of n keys costs n² comparisons. A `for_each` map of 2,500 destinations in
//! `terraform.tfvars` (840 kB) parses in 0.17 s, of 10,000 (3.3 MB) in 1.95 s: 11 times the time
//! for 4 times the text. This reader is linear. It declines (`None`) anything outside that
//! shape: a heredoc, a template, a negative or fractional number, a block, a duplicate key, a
//! syntax error. The general reader then reads the file and says what is wrong with it. The
//! fuzz target `terraform_vars` checks that both give the same tree wherever this one answers.

use std::collections::HashSet;

use super::syntax::{Attr, Expr, Key, X};
use crate::source::LineIndex;

/// Values nest at most this deep here; deeper ones go to the general reader.
pub const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    lines: LineIndex,
}

/// The attributes of a variables file, or `None` when the general reader must read it.
pub fn parse(text: &str, file: usize) -> Option<Vec<Attr>> {
    let mut r = Reader { text, bytes: text.as_bytes(), at: 0, lines: LineIndex::new(text) };
    let mut attrs = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    loop {
        r.blank(true)?;
        if r.at >= r.bytes.len() {
            return Some(attrs);
        }
        let start = r.at;
        let name = r.ident()?;
        // A variable set twice is an error the general reader names with its line.
        if !names.insert(name) {
            return None;
        }
        r.blank(false)?;
        r.eat(b'=')?;
        r.blank(false)?;
        let expr = r.value(0)?;
        // The attribute ends at the end of its line (a comment may follow).
        r.blank(false)?;
        if r.at < r.bytes.len() && !r.newline() {
            return None;
        }
        attrs.push(Attr { name: name.to_owned(), file, line: r.line(start), expr });
    }
}

impl<'a> Reader<'a> {
    fn line(&self, offset: usize) -> u32 {
        self.lines.line(offset)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.at += 1)
    }

    /// A line break (LF or CR LF), consumed.
    fn newline(&mut self) -> bool {
        match (self.peek(), self.bytes.get(self.at + 1)) {
            (Some(b'\n'), _) => {
                self.at += 1;
                true
            }
            (Some(b'\r'), Some(b'\n')) => {
                self.at += 2;
                true
            }
            _ => false,
        }
    }

    /// Spaces, tabs and comments; line breaks too when `lines` is set. `None` for what the
    /// general reader should judge (an unterminated comment, a lone CR).
    fn blank(&mut self, lines: bool) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.at += 1,
                Some(b'\n' | b'\r') if lines => {
                    if !self.newline() {
                        return None;
                    }
                }
                Some(b'#') => self.skip_to_line_end(),
                Some(b'/') if self.bytes.get(self.at + 1) == Some(&b'/') => self.skip_to_line_end(),
                Some(b'/') if self.bytes.get(self.at + 1) == Some(&b'*') => {
                    let end = self.text[self.at + 2..].find("*/")?;
                    let comment = &self.text[self.at..self.at + 2 + end + 2];
                    // A block comment across lines is a line break to HCL: the general reader decides.
                    if comment.contains(['\n', '\r']) && !lines {
                        return None;
                    }
                    self.at += comment.len();
                }
                _ => return Some(()),
            }
        }
    }

    fn skip_to_line_end(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'\n' || b == b'\r' {
                return;
            }
            self.at += 1;
        }
    }

    fn ident(&mut self) -> Option<&'a str> {
        let start = self.at;
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.at += 1,
            _ => return None,
        }
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                self.at += 1;
            } else {
                break;
            }
        }
        // A name followed by a letter outside ASCII is read by the general reader.
        if self.peek().is_some_and(|b| b >= 0x80) {
            return None;
        }
        Some(&self.text[start..self.at])
    }

    fn expr(&self, start: usize, kind: X) -> Expr {
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Expr { line: self.line(start), span: (at(start), at(self.at)), kind }
    }

    fn value(&mut self, depth: usize) -> Option<Expr> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.at;
        let kind = match self.peek()? {
            b'"' => X::Str(self.string()?),
            b'[' => X::Tuple(self.list(depth)?),
            b'{' => X::Object(self.object(depth)?),
            b'0'..=b'9' => X::Number(self.number()?),
            b if b.is_ascii_alphabetic() => match self.ident()? {
                "true" => X::Bool(true),
                "false" => X::Bool(false),
                "null" => X::Null,
                _ => return None,
            },
            _ => return None,
        };
        // What follows a literal in an expression (an operator, `.x`, `[0]`, `?`) is the
        // general reader's.
        let mut probe = self.at;
        while matches!(self.bytes.get(probe), Some(b' ' | b'\t')) {
            probe += 1;
        }
        match self.bytes.get(probe) {
            None | Some(b'\n' | b'\r' | b',' | b']' | b'}' | b'#') => {}
            Some(b'/') if matches!(self.bytes.get(probe + 1), Some(b'/' | b'*')) => {}
            _ => return None,
        }
        Some(self.expr(start, kind))
    }

    /// A whole number as `hcl-edit` prints it: digits without leading zeros.
    fn number(&mut self) -> Option<String> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = &self.text[start..self.at];
        if (digits.len() > 1 && digits.starts_with('0')) || digits.len() > 18 || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(digits.to_owned())
    }

    /// A quoted string without interpolation or directive, its escapes decoded.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.at..];
            let stop = rest.find(['"', '\\', '$', '%', '\n', '\r'])?;
            out.push_str(&rest[..stop]);
            self.at += stop;
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    let (c, len) = escape(&self.text[self.at + 1..])?;
                    out.push(c);
                    self.at += 1 + len;
                }
                marker @ (b'$' | b'%') => {
                    let next = self.bytes.get(self.at + 1).copied();
                    let after = self.bytes.get(self.at + 2).copied();
                    match (next, after) {
                        // `$${` and `%%{` are the escaped, literal `${` and `%{`.
                        (Some(n), Some(b'{')) if n == marker => {
                            out.push(char::from(marker));
                            out.push('{');
                            self.at += 3;
                        }
                        (Some(b'{'), _) => return None,
                        _ => {
                            out.push(char::from(marker));
                            self.at += 1;
                        }
                    }
                }
                _ => return None,
            }
        }
    }

    fn list(&mut self, depth: usize) -> Option<Vec<Expr>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        loop {
            self.blank(true)?;
            if self.eat(b']').is_some() {
                return Some(items);
            }
            items.push(self.value(depth + 1)?);
            self.blank(true)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {}
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Vec<(Key, u32, Expr)>> {
        self.eat(b'{')?;
        let mut members = Vec::new();
        let mut seen: HashSet<(bool, String)> = HashSet::new();
        loop {
            self.blank(true)?;
            if self.eat(b'}').is_some() {
                return Some(members);
            }
            let key_start = self.at;
            let (quoted, name) = match self.peek()? {
                b'"' => (true, self.string()?),
                // A bare `null`, `true` or `false` is a value, not a name, to the general
                // reader: such a key is left to it.
                _ => match self.ident()? {
                    "null" | "true" | "false" => return None,
                    ident => (false, ident.to_owned()),
                },
            };
            // The general reader refuses a key written twice; it says so with the line.
            if !seen.insert((quoted, name.clone())) {
                return None;
            }
            let key_line = self.line(key_start);
            let key = if quoted { Key::Expr(Expr { line: key_line, span: (0, 0), kind: X::Str(name) }) } else { Key::Name(name) };
            self.blank(false)?;
            if self.eat(b'=').is_none() {
                self.eat(b':')?;
            }
            self.blank(false)?;
            let value = self.value(depth + 1)?;
            members.push((key, key_line, value));
            self.blank(false)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {}
                b'\n' | b'\r' => {
                    if !self.newline() {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }
}

/// An escape after a backslash: the character and how many bytes it took.
fn escape(rest: &str) -> Option<(char, usize)> {
    let c = rest.chars().next()?;
    Some(match c {
        'n' => ('\n', 1),
        'r' => ('\r', 1),
        't' => ('\t', 1),
        '"' => ('"', 1),
        '\\' => ('\\', 1),
        'u' => (hex(rest.get(1..5)?)?, 5),
        'U' => (hex(rest.get(1..9)?)?, 9),
        _ => return None,
    })
}

fn hex(digits: &str) -> Option<char> {
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    char::from_u32(u32::from_str_radix(digits, 16).ok()?)
}

/// Whether two trees of literals are the same, lines included (a template of literal text alone
/// is that text): what the fuzz target `terraform_vars` holds this reader to.
pub fn same(a: &Expr, b: &Expr) -> bool {
    let key = |k: &Key| match k {
        Key::Name(n) => Some(n.clone()),
        Key::Expr(Expr { kind: X::Str(s), .. }) => Some(s.clone()),
        Key::Expr(_) => None,
    };
    a.line == b.line
        && match (&literal(a), &literal(b)) {
            (X::Null, X::Null) => true,
            (X::Bool(x), X::Bool(y)) => x == y,
            (X::Number(x), X::Number(y)) | (X::Str(x), X::Str(y)) => x == y,
            (X::Tuple(x), X::Tuple(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
            (X::Object(x), X::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((ka, la, va), (kb, lb, vb))| key(ka) == key(kb) && key(ka).is_some() && la == lb && same(va, vb))
            }
            _ => false,
        }
}

/// A template whose parts are all literal text, as that text.
fn literal(e: &Expr) -> X {
    match &e.kind {
        X::Template(parts) if parts.iter().all(|p| matches!(p, super::syntax::Part::Lit(_))) => X::Str(
            parts
                .iter()
                .map(|p| match p {
                    super::syntax::Part::Lit(s) => s.as_str(),
                    _ => "",
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::syntax;
    use super::*;

    #[test]
    fn the_common_shape_is_read_as_the_general_reader_reads_it() {
        let text = "# Values for prod\nsubaccount_id = \"6aa64c2f\" // trailing\nenabled = true\ncount_of = 10\nnothing = null\n\ndestinations = {\n  CALM_EM = {\n    url = \"https://acme.eu10.alm.cloud.sap/\" # comment\n    \"token_url_type\": \"Common\", secret = \"a\\\\b\\\"c\\u00e9 $${not} 100%\"\n  }\n  \"CALM-BPA\" = { url = \"x\" }\n}\nlist = [\n  \"a\",\n  [1, 2,],\n  {},\n]\n/* block */ later = \"z\"\r\n";
        let fast = parse(text, 0).expect("the fast reader reads it");
        let general = syntax::parse("terraform.tfvars", text, 0).expect("the general reader reads it");
        assert_eq!(fast.len(), general.attrs.len());
        for (a, b) in fast.iter().zip(&general.attrs) {
            assert_eq!((&a.name, a.line), (&b.name, b.line));
            assert!(same(&a.expr, &b.expr), "{}: {:?}\n{:?}", a.name, a.expr, b.expr);
        }
    }

    #[test]
    fn keywords_as_object_keys_are_read_as_the_general_reader_reads_them() {
        // Found by the terraform_vars fuzz target.
        let text = "a = \"$${x}\"\nb = {null: [1, 4,], c = null } # } # cs";
        let general = syntax::parse("terraform.tfvars", text, 0).expect("the general reader reads it");
        if let Some(fast) = parse(text, 0) {
            assert_eq!(fast.len(), general.attrs.len());
            for (a, b) in fast.iter().zip(&general.attrs) {
                assert_eq!((&a.name, a.line), (&b.name, b.line));
                assert!(same(&a.expr, &b.expr), "{}: {:?}\n{:?}", a.name, a.expr, b.expr);
            }
        }
    }

    #[test]
    fn anything_else_is_left_to_the_general_reader() {
        for text in [
            "a = \"${var.x}\"\n",
            "a = <<EOF\nx\nEOF\n",
            "a = -1\n",
            "a = 1.5\n",
            "a = 1 + 2\n",
            "a = { x = 1, x = 2 }\n",
            "a = 1\na = 2\n",
            "variable \"x\" {}\n",
            "a = \"unterminated\n",
            "a = [1 2]\n",
            "a = b\n",
            "a = 1 b = 2\n",
            "a = \"\\q\"\n",
            "é = 1\n",
            "a = 1 /* across\nlines */\n",
            "a = { null = 1 }\n",
            "a = { true = 1 }\n",
            "a = { false: 1 }\n",
        ] {
            assert!(parse(text, 0).is_none(), "{text:?}");
        }
    }

    #[test]
    fn a_large_map_is_read_in_linear_time() {
        let mut text = String::from("destinations = {\n");
        for i in 0..50_000 {
            text.push_str(&format!("  CALM_{i} = {{\n    url = \"https://t{i}.eu10.alm.cloud.sap/\"\n  }}\n"));
        }
        text.push_str("}\n");
        let started = std::time::Instant::now();
        let attrs = parse(&text, 0).unwrap();
        let X::Object(members) = &attrs[0].expr.kind else { panic!("not an object") };
        assert_eq!((members.len(), members[49_999].1), (50_000, 150_000 - 1));
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
