//! What may be shown of a server's answer. Default-deny: the status, the content type and the
//! length, and nothing of the body except the error text of the two documented JSON error
//! shapes (the token service's `{"error", "error_description"}`, the Destination service's
//! `{"ErrorMessage"}`, and find's `authTokens[].error`). SAP documents those texts as short plain
//! English, so that text is shown only when it is plain text (printable ASCII and white space,
//! no word that looks like encoded data) and no form of a credential of the call is in it: a
//! server that echoes the key's secret JSON-escaped, percent-encoded in either case, wrapped
//! over lines, with invisible characters between its letters, in full-width letters, reversed,
//! base64-, base32- or hex-encoded (also of UTF-16), gets its text withheld, not masked piece by
//! piece (a mask that misses one form would leak it).

use std::collections::HashSet;

use reqwest::header::CONTENT_TYPE;

use super::http::{Answer, hide_secret_fields};
use crate::model::secret::MASK_MIN_CHARS;

/// Which service answered: each has its own documented error shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// The key's token endpoint (XSUAA): `{"error": "...", "error_description": "..."}`.
    Token,
    /// The Destination service: `{"ErrorMessage": "..."}`.
    Destination,
}

/// The longest error text considered at all; a longer one is withheld whole.
const MAX_TEXT_BYTES: usize = 4096;
/// Characters of an error text shown.
const SHOWN_CHARS: usize = 160;
/// Rounds of decoding applied to an error text before looking for a credential in it (base64
/// of a percent-encoded secret needs two).
const DECODE_ROUNDS: usize = 2;

/// `HTTP 500 (text/plain, 21 bytes)`, plus `: <error text>` for a documented error shape whose
/// text holds no form of `credentials`.
pub fn describe(answer: &Answer, service: Service, credentials: &[&str]) -> String {
    let head = format!("HTTP {} ({})", answer.status.as_u16(), shape(answer, credentials));
    match documented_error(answer, service) {
        Some(text) => format!("{head}: {}", error_text(&text, credentials)),
        None => head,
    }
}

/// A documented error text as it may be shown, or the reason it is withheld: [`WITHHELD`] when it
/// quotes any form of a credential (see [`holds_credential`]) or is too long to check,
/// [`WITHHELD_NOT_PLAIN`] when it is not plain text (see [`is_plain`]); otherwise one line of at
/// most 160 characters, every secret the run has read masked, secret-named fields and URL
/// credentials hidden.
pub fn error_text(text: &str, credentials: &[&str]) -> String {
    if text.len() > MAX_TEXT_BYTES || holds_credential(text, credentials) {
        WITHHELD.to_owned()
    } else if !is_plain(text) {
        WITHHELD_NOT_PLAIN.to_owned()
    } else {
        one_line(text)
    }
}

/// What replaces an error text that quotes a credential.
pub const WITHHELD: &str = "error text withheld: it quotes a credential";

/// What replaces an error text that is not plain text: a character outside printable ASCII
/// (an invisible format character, a combining mark, a full-width letter, ...) or a word that
/// looks like encoded data could carry a credential in a form no search can foresee.
pub const WITHHELD_NOT_PLAIN: &str = "error text withheld: it is not plain text and could hide a credential";

/// Length from which a word of the base64, base32 and hex alphabets counts as encoded data.
const ENCODED_WORD_CHARS: usize = 16;

/// `<content type>, <n> bytes`, the content type reduced to its media type.
pub fn shape(answer: &Answer, credentials: &[&str]) -> String {
    let content_type = answer.headers.get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    format!("{}, {} bytes", media_type(content_type.as_deref(), credentials), answer.body.len())
}

/// The media type of a `Content-Type` header (`text/plain`), without its parameters; a value
/// that is not a plain `type/subtype` token, or holds a credential, is not shown.
pub fn media_type(content_type: Option<&str>, credentials: &[&str]) -> String {
    let Some(raw) = content_type else { return "no content type".into() };
    let media = raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    let plain = media.len() <= 64 && media.split_once('/').is_some_and(|(t, s)| token(t) && token(s));
    if plain && !holds_credential(&media, credentials) && crate::output::Masker::current().mask(&media) == media {
        media
    } else {
        "an unusual content type".into()
    }
}

/// The error text of a documented JSON error shape, as the service wrote it (unescaped).
fn documented_error(answer: &Answer, service: Service) -> Option<String> {
    let content_type = answer.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.to_ascii_lowercase().contains("json") || answer.body.len() > 64 * 1024 {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
    let object = json.as_object()?;
    let field = |name: &str| object.get(name).and_then(serde_json::Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    match service {
        Service::Token => {
            let error = field("error")?;
            Some(match field("error_description") {
                Some(description) => format!("{error}: {description}"),
                None => error.to_owned(),
            })
        }
        Service::Destination => field("ErrorMessage").map(str::to_owned),
    }
}

/// `text` on one line of at most [`SHOWN_CHARS`] characters, every secret the run has read
/// masked, secret-named fields and URL credentials hidden.
fn one_line(text: &str) -> String {
    let masker = crate::output::Masker::current();
    let masked = masker.mask(text);
    let one_line: String =
        masked.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    let hidden = crate::model::url::redact_urls_in(&hide_secret_fields(&one_line)).into_owned();
    let mut shown: String = hidden.chars().take(SHOWN_CHARS).collect();
    if hidden.chars().count() > SHOWN_CHARS {
        shown.push_str("...");
    }
    shown
}

/// Whether `text` is plain text as SAP's services write their error texts: every character
/// printable ASCII or ASCII white space, and no word of [`ENCODED_WORD_CHARS`] or more characters
/// of the base64, base32 and hex alphabets (`[A-Za-z0-9+/=_-]`) unless it is plain words (see
/// [`is_words`]).
pub fn is_plain(text: &str) -> bool {
    let ascii = text.chars().all(|c| c.is_ascii_graphic() || matches!(c, ' ' | '\t' | '\n' | '\r'));
    let encoded_alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-');
    ascii && text.split(|c| !encoded_alphabet(c)).all(|word| word.len() < ENCODED_WORD_CHARS || is_words(word))
}

/// Plain words joined by `_` or `-`: the OAuth error codes (`unsupported_grant_type`), SAP's
/// names (`ClientCertificateAuthentication`), destination names (`CALM_BPMON_PROD_2`). Each part
/// is all lower case, capitalised words run together, or (with more than one part, which base32
/// never has) all upper case or digits. Base64, base32 and hex words mix these within a part.
fn is_words(word: &str) -> bool {
    let lower = |part: &str| part.bytes().all(|b| b.is_ascii_lowercase());
    let camel = |part: &str| {
        part.starts_with(|c: char| c.is_ascii_uppercase())
            && part.split(|c: char| c.is_ascii_uppercase()).skip(1).all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
    };
    let upper_or_digits = |part: &str| part.bytes().all(|b| b.is_ascii_uppercase()) || part.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = word.split(['_', '-']).collect();
    parts.iter().all(|part| !part.is_empty() && (lower(part) || camel(part) || (parts.len() > 1 && upper_or_digits(part))))
}

/// Whether `text`, read in every way a server could have encoded what it echoes, holds a
/// piece of [`MASK_MIN_CHARS`] characters of a credential (the whole credential when it is
/// shorter), forwards or reversed. Case is ignored. The readings: as written; with white space,
/// control characters and every other character outside printable ASCII removed (a value wrapped
/// over lines, or with invisible characters between its letters), full-width letters read as
/// ASCII; with only its letters and digits (against each credential's letters and digits: a sign
/// between each two letters); with backslash escapes and HTML character references undone (`\/`, `\u002f`,
/// `&#x2f;`); percent-decoded in either case, with `+` as a space and as itself; base64
/// (standard and URL-safe, at every alignment), base32 and hex decoded, each also without the
/// NUL bytes of UTF-16; and these again on each other's results.
pub fn holds_credential(text: &str, credentials: &[&str]) -> bool {
    // Each credential also without its white space (a server that wraps the value may drop it),
    // and each of these reversed.
    let mut credentials: Vec<Vec<u8>> = credentials
        .iter()
        .flat_map(|c| [c.trim().to_owned(), c.split_whitespace().collect::<String>()])
        .flat_map(|c| [c.chars().rev().collect::<String>(), c])
        .map(|c| c.into_bytes().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    // And its letters and digits alone, for a text with a sign between each two of them
    // (`K.e.y`); only where that leaves a piece to look for, a shorter one would match anywhere.
    let alphanumeric: Vec<Vec<u8>> = credentials
        .iter()
        .map(|c| c.iter().copied().filter(u8::is_ascii_alphanumeric).collect::<Vec<u8>>())
        .filter(|c| c.len() >= MASK_MIN_CHARS)
        .collect();
    credentials.extend(alphanumeric);
    credentials.sort();
    credentials.dedup();
    if credentials.is_empty() {
        return false;
    }
    let readings = readings(text.as_bytes());
    // The credentials' pieces are few (a token's are the most, a few thousand); the readings'
    // windows are many: look each of those up among these.
    let (short, long): (Vec<&Vec<u8>>, Vec<&Vec<u8>>) = credentials.iter().partition(|c| c.len() < MASK_MIN_CHARS);
    let pieces: HashSet<&[u8]> = long.iter().flat_map(|c| c.windows(MASK_MIN_CHARS)).collect();
    readings.iter().any(|r| {
        r.windows(MASK_MIN_CHARS).any(|w| pieces.contains(w)) || short.iter().any(|c| r.windows(c.len()).any(|w| w == c.as_slice()))
    })
}

/// Every reading of `text` (lower case), bounded: [`DECODE_ROUNDS`] rounds over a text of at
/// most [`MAX_TEXT_BYTES`] bytes.
fn readings(text: &[u8]) -> Vec<Vec<u8>> {
    let text = &text[..text.len().min(MAX_TEXT_BYTES)];
    let compact: Vec<u8> =
        String::from_utf8_lossy(text).chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().into_bytes();
    // Only what reads as printable ASCII: full-width forms folded, everything else dropped.
    let ascii: Vec<u8> = String::from_utf8_lossy(text)
        .chars()
        .map(|c| match u32::from(c) {
            0xff01..=0xff5e => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .filter(char::is_ascii_graphic)
        .collect::<String>()
        .into_bytes();
    let alphanumeric: Vec<u8> = ascii.iter().copied().filter(u8::is_ascii_alphanumeric).collect();
    let mut all = vec![text.to_vec(), compact, ascii, alphanumeric];
    all.dedup();
    let mut last = all.clone();
    for _ in 0..DECODE_ROUNDS {
        let mut next = Vec::new();
        for r in &last {
            next.push(unescape(r));
            next.push(percent_decode(r, false));
            next.push(percent_decode(r, true));
            next.push(base64_runs(r));
            next.push(base32_runs(r));
            next.push(hex_runs(r));
            next.push(r.iter().copied().filter(|&b| b != 0).collect());
        }
        next.retain(|n| !n.is_empty() && !all.contains(n));
        next.sort();
        next.dedup();
        all.extend(next.iter().cloned());
        last = next;
    }
    for r in &mut all {
        r.make_ascii_lowercase();
    }
    all
}

/// Backslash escapes (`\/`, `\\`, `\"`, `\n`, `\uXXXX`) and HTML character references
/// (`&#47;`, `&#x2F;`, `&amp;`, ...) undone.
fn unescape(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_ref();
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' => match rest.chars().next() {
                Some('u') if rest.len() >= 5 && rest.is_char_boundary(5) => {
                    match u32::from_str_radix(&rest[1..5], 16).ok().and_then(char::from_u32) {
                        Some(decoded) => {
                            out.push(decoded);
                            rest = &rest[5..];
                        }
                        None => out.push(c),
                    }
                }
                Some(e @ ('n' | 'r' | 't')) => {
                    out.push(match e {
                        'n' => '\n',
                        'r' => '\r',
                        _ => '\t',
                    });
                    rest = &rest[1..];
                }
                Some(e) if !e.is_alphanumeric() => {
                    out.push(e);
                    rest = &rest[e.len_utf8()..];
                }
                _ => out.push(c),
            },
            '&' => {
                let end = rest.find(';').filter(|&i| i <= 10);
                let decoded = end.and_then(|i| entity(&rest[..i]));
                match (end, decoded) {
                    (Some(i), Some(d)) => {
                        out.push(d);
                        rest = &rest[i + 1..];
                    }
                    _ => out.push(c),
                }
            }
            _ => out.push(c),
        }
    }
    out.into_bytes()
}

fn entity(name: &str) -> Option<char> {
    let number = |digits: &str, radix| u32::from_str_radix(digits, radix).ok().and_then(char::from_u32);
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
            Some(hex) => number(hex, 16),
            None => name.strip_prefix('#').and_then(|d| number(d, 10)),
        },
    }
}

/// `%2f` and `%2F` alike; `+` a space when `plus`.
fn percent_decode(text: &[u8], plus: bool) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'%' if i + 2 < text.len() => match (hex(text[i + 1]), hex(text[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Each run of base64 characters (standard or URL-safe), decoded at each of the four
/// alignments; the results joined by a line feed. Short runs too: a short secret has a short
/// encoding, and decoding a word that is no base64 costs only a reading that matches nothing.
fn base64_runs(text: &[u8]) -> Vec<u8> {
    let value = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    for run in text.split(|&b| value(b).is_none()).filter(|r| r.len() >= 2) {
        for skip in 0..4.min(run.len()) {
            let mut acc = 0u32;
            let mut bits = 0;
            for &b in &run[skip..] {
                acc = (acc << 6 | u32::from(value(b).unwrap_or(0))) & 0xff_ffff;
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    out.push((acc >> bits) as u8);
                }
            }
            out.push(b'\n');
        }
    }
    out
}

/// Each run of base32 characters (either case), decoded at each of the eight alignments.
fn base32_runs(text: &[u8]) -> Vec<u8> {
    let value = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a'),
        b'2'..=b'7' => Some(b - b'2' + 26),
        _ => None,
    };
    let mut out = Vec::new();
    for run in text.split(|&b| value(b).is_none()).filter(|r| r.len() >= 2) {
        for skip in 0..8.min(run.len()) {
            let mut acc = 0u32;
            let mut bits = 0;
            for &b in &run[skip..] {
                acc = (acc << 5 | u32::from(value(b).unwrap_or(0))) & 0xffff;
                bits += 5;
                if bits >= 8 {
                    bits -= 8;
                    out.push((acc >> bits) as u8);
                }
            }
            out.push(b'\n');
        }
    }
    out
}

/// Each run of hex digits, decoded at both alignments.
fn hex_runs(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for run in text.split(|b| !b.is_ascii_hexdigit()).filter(|r| r.len() >= 2) {
        for skip in 0..2 {
            for pair in run[skip..].chunks_exact(2) {
                let digit = |b: u8| char::from(b).to_digit(16).unwrap_or(0) as u8;
                out.push(digit(pair[0]) << 4 | digit(pair[1]));
            }
            out.push(b'\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    const SECRET: &str = "k3y-S3cret/with+odd=chars~4d1e";

    fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        Answer { status: StatusCode::from_u16(status).unwrap(), headers, body: body.as_bytes().to_vec() }
    }

    /// Every 6-character piece of `secret`, for asserting none is shown.
    fn pieces(secret: &str) -> Vec<String> {
        let chars: Vec<char> = secret.chars().collect();
        chars.windows(MASK_MIN_CHARS).map(|w| w.iter().collect()).collect()
    }

    /// As a JSON string's content, with `/` escaped too (as some servers write it).
    fn json_escaped(secret: &str) -> String {
        let json = serde_json::to_string(secret).unwrap();
        json[1..json.len() - 1].replace('/', "\\/")
    }

    fn echoed_forms(secret: &str) -> Vec<String> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let lower_percent: String = secret.bytes().map(|b| format!("%{b:02x}")).collect();
        let (a, b) = secret.split_at(secret.len() / 2);
        vec![
            secret.to_owned(),
            json_escaped(secret),
            lower_percent,
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>().to_ascii_lowercase(),
            format!("{a}\n{b}"),
            format!("{a}\r\n  {b}"),
            b64.encode(secret),
            b64.encode(format!("client_id=sb-x&client_secret={secret}")),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
            secret.bytes().map(|b| format!("{b:02x}")).collect(),
            secret.to_ascii_uppercase(),
            secret.chars().map(|c| format!("&#x{:x};", u32::from(c))).collect(),
            b64.encode(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()),
            // Issue 27, point 3: invisible or look-alike characters, reversed, UTF-16, base32.
            interleaved(secret, '\u{200b}'),
            interleaved(secret, '\u{00ad}'),
            interleaved(secret, '\u{2060}'),
            interleaved(secret, '\u{200d}'),
            interleaved(secret, '\u{feff}'),
            interleaved(secret, '\u{034f}'),
            full_width(secret),
            secret.chars().rev().collect(),
            utf16_be(secret).iter().map(|b| format!("{b:02X}")).collect(),
            b64.encode(utf16_le(secret)),
            base32(secret.as_bytes()),
        ]
    }

    fn interleaved(secret: &str, between: char) -> String {
        secret.chars().map(String::from).collect::<Vec<_>>().join(&between.to_string())
    }

    /// ASCII letters, digits and signs as their full-width forms (U+FF01..U+FF5E).
    fn full_width(secret: &str) -> String {
        secret.chars().map(|c| if c.is_ascii_graphic() { char::from_u32(u32::from(c) + 0xfee0).unwrap() } else { c }).collect()
    }

    fn utf16_be(secret: &str) -> Vec<u8> {
        secret.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    fn utf16_le(secret: &str) -> Vec<u8> {
        secret.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// RFC 4648 base32 with padding.
    fn base32(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut out = String::new();
        for chunk in bytes.chunks(5) {
            let mut block = [0u8; 5];
            block[..chunk.len()].copy_from_slice(chunk);
            let bits = block.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
            let chars = (chunk.len() * 8).div_ceil(5);
            for i in 0..8 {
                out.push(if i < chars { char::from(ALPHABET[(bits >> (35 - 5 * i) & 31) as usize]) } else { '=' });
            }
        }
        out
    }

    /// Regression (issue 27, point 3): the reviewer's texts, the key's secret with invisible
    /// characters between its letters, and the bearer token's signature the same way, were shown.
    #[test]
    fn a_secret_split_by_invisible_characters_withholds_the_error_text() {
        let secret = "KeySecR3tQw9Zx7Lm";
        let token = "eyJhbGciOiJub25lIn0.eyJ6aWQiOiJzdWItMSJ9.SigTokBearer7Hq2Wx9";
        let text = format!("Bad credentials: {}", interleaved(secret, '\u{200b}'));
        assert_eq!(error_text(&text, &[secret]), WITHHELD);
        let text = format!("bad token {} / {}", interleaved("SigTokBearer7Hq2Wx9", '\u{200b}'), interleaved(secret, '\u{ad}'));
        assert_eq!(error_text(&text, &[token, secret]), WITHHELD);
        for between in ['.', ' ', ',', '|', '*', '-', '_', ':'] {
            let text = format!("Bad credentials: {}", interleaved(secret, between));
            assert_eq!(error_text(&text, &[secret]), WITHHELD, "{text}");
        }
        let body = serde_json::json!({"ErrorMessage": text});
        let shown = describe(&answer(500, "application/json", &body.to_string()), Service::Destination, &[token, secret]);
        assert!(shown.ends_with(WITHHELD), "{shown}");
    }

    /// Default-deny: SAP's documented error texts are plain English; any character outside
    /// printable ASCII, or a word that looks like encoded data, withholds the text even where no
    /// credential is found in it.
    #[test]
    fn only_plain_error_texts_are_shown() {
        for plain in [
            "Bad credentials",
            "Unauthorized",
            "invalid_client: Bad credentials",
            "invalid_client: Client authentication failed",
            "unauthorized: Client with requested ID does not exist",
            "unsupported_grant_type: Unsupported grant type",
            "Configuration with the specified name was not found",
            "Authentication type ClientCertificateAuthentication is not allowed",
            "Bad credentials\n\tfor client sb-dest!b1",
            "Destination CALM_BPMON_PRODUCTION_2 not found",
        ] {
            assert!(is_plain(plain), "{plain:?}");
            assert_eq!(error_text(plain, &[SECRET]), one_line(plain), "{plain:?}");
        }
        for odd in [
            "Bad credentials\u{200b}",
            "Bad cre\u{301}dentials",
            "Ｂad credentials",
            "Mauvais identifiants: accès refusé",
            "Bad credentials: S2V5U2VjUjN0UXc5",
            "Bad credentials: JNSXSU3FMNJDG5CR",
            "Bad credentials: 4b657953656352337451",
            "Subaccount 8a3f1c2e-9b7d-4e6f-a1b2-c3d4e5f60718 not found",
            "Bad credentials: JNSXSU3FMNJDG5CRO4",
            "token eyJhbGciOiJub25lIn0.eyJ6aWQiOiJzdWItMSJ9 rejected",
        ] {
            assert!(!is_plain(odd), "{odd:?}");
            assert_eq!(error_text(odd, &[SECRET]), WITHHELD_NOT_PLAIN, "{odd:?}");
        }
    }

    /// Regression (issue 27, point 3): the token service's error text echoing the key's secret
    /// JSON-escaped, lower-case percent-encoded, over two lines or base64-encoded was shown.
    #[test]
    fn an_echoed_secret_in_any_form_withholds_the_error_text() {
        for form in echoed_forms(SECRET) {
            let body = serde_json::json!({"error": "unauthorized", "error_description": format!("Bad credentials for secret {form}")});
            let shown = describe(&answer(401, "application/json;charset=UTF-8", &body.to_string()), Service::Token, &[SECRET]);
            assert!(shown.ends_with(WITHHELD), "{form:?} -> {shown}");
            for piece in pieces(SECRET) {
                assert!(!shown.contains(&piece), "{form:?} -> {shown}");
            }
        }
    }

    #[test]
    fn the_documented_error_shapes_show_their_text_and_nothing_else_does() {
        let token = answer(401, "application/json", r#"{"error":"unauthorized","error_description":"Bad credentials"}"#);
        assert_eq!(describe(&token, Service::Token, &[SECRET]), "HTTP 401 (application/json, 62 bytes): unauthorized: Bad credentials");
        let find = answer(404, "application/json", r#"{"ErrorMessage": "Configuration with the specified name was not found"}"#);
        assert_eq!(
            describe(&find, Service::Destination, &[SECRET]),
            "HTTP 404 (application/json, 71 bytes): Configuration with the specified name was not found"
        );
        // A plain-text body, an undocumented JSON field, the other service's shape: nothing of it.
        for (a, service) in [
            (answer(500, "text/plain;charset=UTF-8", "Internal Server Error: look here"), Service::Destination),
            (answer(400, "application/json", r#"{"message": "look here"}"#), Service::Token),
            (answer(400, "application/json", r#"{"ErrorMessage": "look here"}"#), Service::Token),
            (answer(400, "text/html", r#"{"ErrorMessage": "look here"}"#), Service::Destination),
        ] {
            let shown = describe(&a, service, &[SECRET]);
            assert!(!shown.contains("look") && shown.starts_with("HTTP ") && shown.ends_with(" bytes)"), "{shown}");
        }
    }

    #[test]
    fn an_odd_content_type_is_not_shown() {
        assert_eq!(media_type(Some("text/html; charset=UTF-8"), &[SECRET]), "text/html");
        assert_eq!(media_type(None, &[SECRET]), "no content type");
        for odd in [format!("text/{SECRET}"), "text/plain x".into(), format!("{}/json", "a".repeat(80))] {
            assert_eq!(media_type(Some(&odd), &[SECRET]), "an unusual content type", "{odd}");
        }
    }

    #[test]
    fn a_short_credential_is_looked_for_whole() {
        assert!(holds_credential("error for abc12 here", &["abc12"]));
        assert!(holds_credential("error for YWJjMTI= here", &["abc12"]));
        assert!(!holds_credential("Bad credentials", &["abc12"]));
        assert!(!holds_credential("Bad credentials", &[""]));
    }

    /// The class, not the instances: random secrets of every printable class and length, echoed
    /// in every form inside a longer text, are always found (a seeded loop; no new dependency).
    #[test]
    fn random_secrets_echoed_in_any_form_are_always_found() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..150 {
            let len = 1 + (next() % 100) as usize;
            let secret: String = (0..len).map(|_| char::from(b' ' + (next() % 95) as u8)).collect();
            if secret.trim().is_empty() {
                continue;
            }
            for form in echoed_forms(&secret) {
                let text = format!("invalid_client: Bad credentials ({form}) for client sb-x!b1");
                assert!(holds_credential(&text, &[&secret]), "{secret:?} as {form:?}");
            }
        }
    }
}
