//! Cockpit destination exports in Java `.properties` syntax, read with the rules of
//! `java.util.Properties.load` so that what the cockpit wrote is what we see, plus the line
//! of every key for the reports.

use std::borrow::Cow;
use std::collections::HashMap;

/// The value the BTP cockpit writes in place of a secret on export.
pub const REMOVED_MARKER: &str = "<< Existing password/certificate removed on export >>";

const MALFORMED_U: &str = "malformed \\uXXXX escape";
const LONE_SURROGATE: &str = "invalid \\u escape (lone surrogate)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// 1-based line where the logical line (the key) starts.
    pub line: u32,
}

#[derive(Debug, Default)]
pub struct Parsed {
    /// Key/value pairs in file order, without the ones whose secret was removed on export.
    pub entries: Vec<Entry>,
    /// Keys whose secret was removed on export, from the `#key=<<...>>` comments the cockpit
    /// writes and from literal `key=<<...>>` lines, in file order.
    pub removed: Vec<(String, u32)>,
}

/// Never carries a property value: values may be secrets and errors end up in reports.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: u32,
    pub message: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("binary content (a NUL byte at offset {0} and no byte-order mark); not a text file")]
    Binary(usize),
    #[error("not valid {0} after its byte-order mark (at byte {1})")]
    Encoding(&'static str, usize),
}

/// The encoding a byte-order mark announces, the mark's length, and the code unit size.
fn unicode_bom(bytes: &[u8]) -> Option<(&'static str, usize)> {
    // UTF-32 first: its little-endian mark begins with UTF-16's.
    if bytes.starts_with(b"\xFF\xFE\x00\x00") {
        Some(("UTF-32LE", 4))
    } else if bytes.starts_with(b"\x00\x00\xFE\xFF") {
        Some(("UTF-32BE", 4))
    } else if bytes.starts_with(b"\xFF\xFE") {
        Some(("UTF-16LE", 2))
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(("UTF-16BE", 2))
    } else {
        None
    }
}

/// Text in UTF-16 or UTF-32 with a byte-order mark (what Windows PowerShell writes by default).
fn decode_wide(bytes: &[u8], encoding: &'static str, mark: usize) -> Result<String, DecodeError> {
    let body = &bytes[mark..];
    let fail = |at: usize| DecodeError::Encoding(encoding, mark + at);
    match encoding {
        "UTF-16LE" | "UTF-16BE" => {
            if !body.len().is_multiple_of(2) {
                return Err(fail(body.len() - 1));
            }
            let units = body
                .chunks_exact(2)
                .map(|c| if encoding == "UTF-16LE" { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) });
            let mut out = String::with_capacity(body.len() / 2);
            for (i, c) in char::decode_utf16(units).enumerate() {
                out.push(c.map_err(|_| fail(2 * i))?);
            }
            Ok(out)
        }
        _ => {
            if !body.len().is_multiple_of(4) {
                return Err(fail(body.len() - body.len() % 4));
            }
            body.chunks_exact(4)
                .enumerate()
                .map(|(i, c)| {
                    let unit = if encoding == "UTF-32LE" {
                        u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                    } else {
                        u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                    };
                    char::from_u32(unit).ok_or_else(|| fail(4 * i))
                })
                .collect()
        }
    }
}

/// Whether the bytes start with a UTF-16 or UTF-32 byte-order mark: such a file holds NUL bytes
/// and is still text.
pub fn has_wide_bom(bytes: &[u8]) -> bool {
    unicode_bom(bytes).is_some()
}

/// Bytes to text. UTF-16 and UTF-32 with a byte-order mark are decoded; otherwise
/// `Properties.store` writes ISO 8859-1 while the cockpit and editors write UTF-8, so valid UTF-8
/// wins and anything else is read as Latin-1, which never fails. A NUL byte without such a
/// mark is binary content.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    if let Some((encoding, mark)) = unicode_bom(bytes) {
        return decode_wide(bytes, encoding, mark).map(Cow::Owned);
    }
    if let Some(offset) = memchr::memchr(0, bytes) {
        return Err(DecodeError::Binary(offset));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())),
    }
}

/// Parses the text with the full Java Properties syntax.
pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let lines = natural_lines(text);
    let mut parsed = Parsed::default();
    // First line of every key among entries and literal markers, for duplicate detection.
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut commented: Vec<(String, u32)> = Vec::new();
    let mut i = 0;
    while let Some(natural) = lines.get(i) {
        let line = line_number(i);
        i += 1;
        let first = natural.trim_start_matches(is_ws);
        // Java starts afresh after a line of just `\` (but at the end of the file it yields
        // an empty key, rejected below).
        if first.is_empty() || (first == "\\" && i < lines.len()) {
            continue;
        }
        if let Some(comment) = first.strip_prefix(['#', '!']) {
            if let Some(key) = removed_in_comment(comment) {
                commented.push((key, line));
            }
            continue;
        }
        // Join continuation lines: an odd number of trailing backslashes escapes the newline.
        let mut logical = String::new();
        let mut current = first;
        loop {
            let trailing = current.len() - current.trim_end_matches('\\').len();
            if trailing % 2 == 0 {
                logical.push_str(current);
                break;
            }
            logical.push_str(current.strip_suffix('\\').unwrap_or(current));
            let Some(next) = lines.get(i) else { break };
            i += 1;
            current = next.trim_start_matches(is_ws);
        }
        let error = |message: &str| ParseError { line, message: message.to_owned() };
        let (raw_key, raw_value) = split_key_value(&logical);
        let key = unescape(raw_key).map_err(error)?;
        let value = unescape(raw_value).map_err(error)?;
        if key.is_empty() {
            return Err(error("empty property name"));
        }
        if let Some(first_line) = seen.get(&key) {
            return Err(error(&format!("duplicate key {key:?} (first on line {first_line})")));
        }
        seen.insert(key.clone(), line);
        if value.trim() == REMOVED_MARKER {
            parsed.removed.push((key, line));
        } else {
            parsed.entries.push(Entry { key, value, line });
        }
    }
    // A commented marker next to a real entry of the same key says nothing new.
    for (key, line) in commented {
        if !seen.contains_key(&key) {
            seen.insert(key.clone(), line);
            parsed.removed.push((key, line));
        }
    }
    parsed.removed.sort_by_key(|&(_, line)| line);
    Ok(parsed)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Saturates rather than wraps for absurdly long inputs.
fn line_number(index: usize) -> u32 {
    u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX)
}

/// Splits on `\n`, `\r` and `\r\n`, the terminators `Properties.load` accepts.
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(end) = rest.find(['\r', '\n']) else {
            lines.push(rest);
            break;
        };
        lines.push(&rest[..end]);
        let terminator = if rest[end..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[end + terminator..];
    }
    lines
}

/// Raw (still escaped) key and value of a logical line without leading whitespace.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut key_end = line.len();
    let mut has_separator = false;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        if !escaped && (matches!(c, '=' | ':') || is_ws(c)) {
            key_end = at;
            has_separator = !is_ws(c);
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    // Every separator is one byte long, so `key_end + 1` is a char boundary.
    let mut value = line.get(key_end + 1..).unwrap_or("").trim_start_matches(is_ws);
    if !has_separator && let Some(rest) = value.strip_prefix(['=', ':']) {
        value = rest.trim_start_matches(is_ws);
    }
    (&line[..key_end], value)
}

/// Resolves `\t` `\n` `\r` `\f` `\uXXXX` and `\x` → `x`; surrogate pairs become one char.
fn unescape(raw: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    let mut high: Option<u32> = None;
    while let Some(c) = chars.next() {
        let c = if c != '\\' {
            c
        } else {
            match chars.next() {
                // A lone backslash at the very end continues onto nothing.
                None => break,
                Some('u') => match (hex4(&mut chars)?, high.take()) {
                    (unit @ 0xD800..=0xDBFF, None) => {
                        high = Some(unit);
                        continue;
                    }
                    (unit @ 0xDC00..=0xDFFF, Some(h)) => {
                        let code = 0x10000 + ((h - 0xD800) << 10) + (unit - 0xDC00);
                        char::from_u32(code).ok_or(LONE_SURROGATE)?
                    }
                    (_, Some(_)) => return Err(LONE_SURROGATE),
                    (unit, None) => char::from_u32(unit).ok_or(LONE_SURROGATE)?,
                },
                Some('t') => '\t',
                Some('n') => '\n',
                Some('r') => '\r',
                Some('f') => '\x0c',
                Some(other) => other,
            }
        };
        if high.is_some() {
            return Err(LONE_SURROGATE);
        }
        out.push(c);
    }
    if high.is_some() {
        return Err(LONE_SURROGATE);
    }
    Ok(out)
}

/// The four hex digits of a `\\uXXXX` escape, as one UTF-16 code unit.
fn hex4(chars: &mut std::str::Chars<'_>) -> Result<u32, &'static str> {
    (0..4).try_fold(0, |unit, _| {
        let digit = chars.next().and_then(|d| d.to_digit(16)).ok_or(MALFORMED_U)?;
        Ok(unit * 16 + digit)
    })
}

/// The key of a `#key=<< Existing ... >>` comment; other comments give `None`.
fn removed_in_comment(comment: &str) -> Option<String> {
    let (raw_key, raw_value) = split_key_value(comment.trim_start_matches(is_ws));
    let key = unescape(raw_key).ok()?;
    let value = unescape(raw_value).ok()?;
    (!key.is_empty() && value.trim() == REMOVED_MARKER).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_encodings_with_a_byte_order_mark_are_decoded() {
        let text = "Name=CALM_É\r\nURL=https://a/ 😀\n";
        let utf16le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let utf16be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        let utf32le: Vec<u8> = [0xFF, 0xFE, 0, 0].into_iter().chain(text.chars().flat_map(|c| u32::from(c).to_le_bytes())).collect();
        let utf32be: Vec<u8> = [0, 0, 0xFE, 0xFF].into_iter().chain(text.chars().flat_map(|c| u32::from(c).to_be_bytes())).collect();
        for bytes in [&utf16le, &utf16be, &utf32le, &utf32be] {
            assert_eq!(decode(bytes).unwrap(), text);
        }
        // A lone surrogate, an odd length: errors naming the encoding, never a panic.
        assert!(matches!(decode(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]), Err(DecodeError::Encoding("UTF-16LE", _))));
        assert!(matches!(decode(&[0xFF, 0xFE, 0x41]), Err(DecodeError::Encoding("UTF-16LE", _))));
        assert!(matches!(decode(&[0, 0, 0xFE, 0xFF, 0, 0x11, 0, 0]), Err(DecodeError::Encoding("UTF-32BE", _))));
        assert_eq!(decode(b"a\0b"), Err(DecodeError::Binary(1)));
    }

    type Row = (String, String, u32);

    fn entries(text: &str) -> Vec<Row> {
        let parsed = parse(text).expect("parses");
        parsed.entries.into_iter().map(|e| (e.key, e.value, e.line)).collect()
    }

    fn kv(key: &str, value: &str, line: u32) -> Row {
        (key.to_owned(), value.to_owned(), line)
    }

    fn error(text: &str) -> (u32, String) {
        let err = parse(text).expect_err("must fail");
        (err.line, err.message)
    }

    fn check(cases: &[(&str, &[Row])]) {
        for (text, expected) in cases {
            assert_eq!(entries(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn escapes() {
        let cases = [
            (r"k=a\:b", "a:b"),
            (r"k=a\=b", "a=b"),
            (r"k=\!bang", "!bang"),
            (r"k=\#hash", "#hash"),
            (r"k=back\\slash", r"back\slash"),
            (r"k=\t\n\r\f", "\t\n\r\x0c"),
            (r"k=\q\ x", "q x"),
            (r"k=Caf\u00e9 \u00C9\u00c9", "Café ÉÉ"),
            (r"k=\uD83D\ude00!", "😀!"),
        ];
        for (text, value) in cases {
            assert_eq!(entries(text), [kv("k", value, 1)], "{text}");
        }
        check(&[(r"\#not\!comment\ key=v", &[kv("#not!comment key", "v", 1)])]);
    }

    #[test]
    fn separators() {
        let cases = [
            ("key = value", "key", "value"),
            ("key:value", "key", "value"),
            ("key value", "key", "value"),
            ("key\t:\tvalue", "key", "value"),
            ("  key\x0c=\x0cvalue", "key", "value"),
            ("key=value  ", "key", "value  "),
            ("key==v", "key", "=v"),
            ("key : = v", "key", "= v"),
            ("key:", "key", ""),
            ("key", "key", ""),
            (r"key\:with\=escapes=v", "key:with=escapes", "v"),
            ("url=https\\://h/p?a=b c", "url", "https://h/p?a=b c"),
        ];
        for (text, key, value) in cases {
            assert_eq!(entries(text), [kv(key, value, 1)], "{text:?}");
        }
    }

    #[test]
    fn continuation_lines() {
        check(&[
            ("a=one\\\n    two\\\n\tthree\nb=x", &[kv("a", "onetwothree", 1), kv("b", "x", 4)]),
            // Even backslashes are escaped backslashes; odd ones continue.
            ("a=x\\\\\nb=y", &[kv("a", "x\\", 1), kv("b", "y", 2)]),
            ("a=x\\\\\\\n  y", &[kv("a", "x\\y", 1)]),
            ("\n lo\\\n  ng = v", &[kv("long", "v", 2)]),
            // A continuation line is never a comment, and an empty one ends the logical line.
            ("a=1\\\n  #2", &[kv("a", "1#2", 1)]),
            ("a=1\\\n   \nb=2", &[kv("a", "1", 1), kv("b", "2", 3)]),
            // A backslash at the very end of the file continues onto nothing.
            ("a=x\\", &[kv("a", "x", 1)]),
            ("a=x\\\n", &[kv("a", "x", 1)]),
            // Java's LineReader starts afresh after a line of just `\`.
            ("\\\n#c\n\\\n k=v", &[kv("k", "v", 4)]),
        ]);
        assert_eq!(error("k=v\n \\"), (2, "empty property name".into()));
    }

    #[test]
    fn comments_and_line_terminators() {
        check(&[
            ("! bang\n# hash\n  # indented\n\n#\nk=v # not", &[kv("k", "v # not", 6)]),
            // A comment ending in a backslash does not swallow the next line.
            ("#comment\\\nk=v", &[kv("k", "v", 2)]),
            ("!c\\\\\\\nk=v", &[kv("k", "v", 2)]),
            ("a=1\r\nb=2\rc=3\n\nd=4\r\n", &[kv("a", "1", 1), kv("b", "2", 2), kv("c", "3", 3), kv("d", "4", 5)]),
            ("a=1\\\r\n 2\r\nb=3", &[kv("a", "12", 1), kv("b", "3", 3)]),
            ("a=1\\\r\r\nb=3", &[kv("a", "1", 1), kv("b", "3", 3)]),
        ]);
    }

    #[test]
    fn removed_marker_forms() {
        let m = REMOVED_MARKER;
        let text = format!(
            "#clientSecret={m}\n! password : {m}\n#key\\ with\\:colon   {m}  \n\
             #other=value\nliteral={m}\nkept=v\n#clientSecret={m}\n#kept={m}\n"
        );
        let parsed = parse(&text).unwrap();
        let removed = [("clientSecret", 1), ("password", 2), ("key with:colon", 3), ("literal", 5)].map(|(k, l)| (k.to_owned(), l));
        assert_eq!(parsed.removed, removed);
        assert_eq!(parsed.entries, [Entry { key: "kept".into(), value: "v".into(), line: 6 }]);
        // A commented marker beside a real entry of the same key is simply ignored.
        let text = format!("#clientSecret={m}\nclientSecret=s\n");
        assert!(parse(&text).unwrap().removed.is_empty());
    }

    #[test]
    fn real_export() {
        let text = format!(
            "#clientSecret={REMOVED_MARKER}\n#\n#Mon May 19 15:34:09 UTC 2025\n\
             Description=Cloud ALM push\nType=HTTP\nclientId=sb-abc|calm!b123\n\
             Authentication=OAuth2ClientCredentials\nName=CALM_BPMON\n\
             tokenServiceURL=https\\://zone.authentication.eu10.hana.ondemand.com/oauth/token\n\
             ProxyType=Internet\nURL=https\\://tenant.eu10.alm.cloud.sap/\n\
             tokenServiceURLType=Dedicated\n"
        );
        assert_eq!(parse(&text).unwrap().removed, [("clientSecret".to_owned(), 1)]);
        let token = "https://zone.authentication.eu10.hana.ondemand.com/oauth/token";
        let expected = [
            kv("Description", "Cloud ALM push", 4),
            kv("Type", "HTTP", 5),
            kv("clientId", "sb-abc|calm!b123", 6),
            kv("Authentication", "OAuth2ClientCredentials", 7),
            kv("Name", "CALM_BPMON", 8),
            kv("tokenServiceURL", token, 9),
            kv("ProxyType", "Internet", 10),
            kv("URL", "https://tenant.eu10.alm.cloud.sap/", 11),
            kv("tokenServiceURLType", "Dedicated", 12),
        ];
        assert_eq!(entries(&text), expected);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode(b"Description=Caf\xe9").unwrap(), "Description=Café");
        assert_eq!(decode(b"\xEF\xBB\xBFa=Caf\xC3\xA9").unwrap(), "a=Café");
        assert!(matches!(decode("a=Café".as_bytes()), Ok(Cow::Borrowed("a=Café"))));
        assert_eq!(decode(b"\xEF\xBB\xBFa=\xff").unwrap(), "a=\u{ff}");
        assert_eq!(decode(b"").unwrap(), "");
        assert_eq!(decode(b"a=1\nb\x002"), Err(DecodeError::Binary(5)));
        let message = DecodeError::Binary(5).to_string();
        assert_eq!(message, "binary content (a NUL byte at offset 5 and no byte-order mark); not a text file");
    }

    #[test]
    fn malformed_escapes() {
        assert_eq!(error("a=1\n\nb=\\u12"), (3, MALFORMED_U.into()));
        let err = parse("a=1\n\nb=\\u12").unwrap_err().to_string();
        assert_eq!(err, "line 3: malformed \\uXXXX escape");
        assert_eq!(error("k\\u00G1=v"), (1, MALFORMED_U.into()));
        assert_eq!(error("x=1\nk=\\\n  \\u1"), (2, MALFORMED_U.into()));
        for lone in [r"k=\uD800", r"k=\uDC00", r"k=\uD800x", r"k=\uD83D\uD83D", r"k=\uD800\t"] {
            assert_eq!(error(lone), (1, LONE_SURROGATE.into()), "{lone}");
        }
    }

    #[test]
    fn duplicates_and_empty_keys() {
        assert_eq!(error("a=1\nb=2\n\na=3"), (4, "duplicate key \"a\" (first on line 1)".into()));
        let literal = format!("s={REMOVED_MARKER}\ns=x");
        assert_eq!(error(&literal), (2, "duplicate key \"s\" (first on line 1)".into()));
        assert_eq!(error("a=1\n=value"), (2, "empty property name".into()));
        assert_eq!(error("  :value"), (1, "empty property name".into()));
    }

    #[test]
    fn errors_never_show_values() {
        for text in ["clientSecret=s3cr3t\\u12", "clientSecret=s3cr3t\\uD800", "x=s3cr3t\nx=s"] {
            let err = parse(text).unwrap_err().to_string();
            assert!(!err.contains("s3cr3t"), "{err}");
        }
    }

    #[test]
    fn long_input_is_linear() {
        let long = format!("k={}\n", "\\\\".repeat(500_000));
        assert_eq!(entries(&long)[0].1.len(), 500_000);
        let continued = format!("k=\\\n{}end", " x\\\n".repeat(100_000));
        assert_eq!(entries(&continued)[0].1.len(), 100_003);
        let many: String = (0..100_000).map(|i| format!("k{i}=v\n")).collect();
        assert_eq!(parse(&many).unwrap().entries.len(), 100_000);
    }

    #[test]
    fn random_bytes_never_panic() {
        const ALPHABET: &[u8] = b"\\u=:#! \t\x0c\r\nDd8Ff0aZ\xe9\xc3\xa9\xff\xef\xbb\xbf\x00";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5_000 {
            let len = next() % 64;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % 4 {
                    0 => next().to_le_bytes()[0],
                    _ => ALPHABET[(next() % ALPHABET.len() as u64) as usize],
                })
                .collect();
            if let Ok(text) = decode(&bytes) {
                let _ = parse(&text);
            }
        }
    }

    /// From fuzzing: a lone CR ends a line like LF does, so keys after CR-only lines keep
    /// the line number an editor shows.
    #[test]
    fn regression_lone_carriage_returns_count_as_lines() {
        let parsed = parse("a=1\r\r\rName=CALM_A\r").unwrap();
        assert_eq!(parsed.entries[1].line, 4);
    }
}
