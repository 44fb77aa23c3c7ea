//! The last line of defence: every byte the program writes passes through a [`Masker`] built
//! from every secret value the run has read ([`crate::model::secret::remember`]), in the forms
//! the output formats give it (plain, JSON-escaped, percent-encoded, HTML/XML-escaped, Markdown
//! cells, terminal escapes), the way a CI runner masks its registered secrets in every log line.
//!
//! The first line of defence stays where values are shown: [`crate::model::Secret`] has no
//! text to show, URLs are redacted, messages never quote a secret. The masker catches what a
//! mistake in that first line would let through.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::model::secret;

/// What a masked secret becomes: plain ASCII, inert in every format (no markup, no escape).
pub const MASK: &str = "***";

/// The matcher over every form of every remembered secret.
///
/// Aho-Corasick finds where a secret may start: it looks for the first [`PREFIX`] bytes of
/// every form (all forms are at least that long). A set of the whole forms then says whether one
/// of them starts there, trying the lengths that prefix's forms have, longest first. An automaton
/// over the whole forms would cost a state per byte of every secret (a snapshot of 100,000
/// destinations remembers 100,000 of them); the prefixes cost a few bytes each.
pub struct Masker {
    matcher: Option<Matcher>,
    /// Bytes of the longest pattern: how much a streamed writer must hold back between writes.
    longest: usize,
}

/// Bytes of a form that the automaton looks for: every form has at least
/// [`secret::MASK_MIN_CHARS`] characters, so at least this many bytes.
const PREFIX: usize = secret::MASK_MIN_CHARS;

struct Matcher {
    /// The distinct prefixes, pattern `i` of the automaton being `lengths[i]`'s prefix.
    prefixes: AhoCorasick,
    /// For each prefix, the lengths of the forms that start with it, longest first.
    lengths: Vec<Vec<usize>>,
    forms: HashSet<Box<[u8]>>,
}

impl Matcher {
    /// The longest form that starts at `start`, as its end.
    fn longest_at(&self, hay: &[u8], pattern: usize, start: usize) -> Option<usize> {
        self.lengths[pattern]
            .iter()
            .find(|&&len| hay.get(start..start + len).is_some_and(|form| self.forms.contains(form)))
            .map(|len| start + len)
    }

    /// The stretches of `hay` that some form covers, in order: overlapping forms are merged
    /// into one stretch, so that no piece of a secret survives because another secret (or
    /// another form) that overlaps it was found first. Forms that only touch stay apart.
    fn find_iter<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = (usize, usize)> + 'h {
        // Every prefix has the same length, so matches come in the order of their starts.
        let mut found = self
            .prefixes
            .find_overlapping_iter(hay)
            .filter_map(move |m| self.longest_at(hay, m.pattern().as_usize(), m.start()).map(|end| (m.start(), end)))
            .peekable();
        std::iter::from_fn(move || {
            let (start, mut end) = found.next()?;
            while let Some(&(next_start, next_end)) = found.peek() {
                if next_start >= end {
                    break;
                }
                end = end.max(next_end);
                found.next();
            }
            Some((start, end))
        })
    }
}

/// The forms in which `value` can reach an output: as written, and as each format escapes it.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
    // No format escapes letters, digits, `-`, `.` or `_`: a value of only those (most generated
    // secrets) has one form.
    if value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        return out;
    }
    // JSON (serde_json: every report, SARIF and snapshot), without the quotes.
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json[1..json.len() - 1].to_owned());
    }
    // Percent-encoded as in a URL (%20) and as in a form body (+).
    out.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    out.push(percent(value));
    // HTML as the report's templates escape it, XML as the JUnit writer does.
    out.push(replace_all(value, &[('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;"), ('"', "&quot;"), ('\'', "&#x27;"), ('/', "&#x2f;")]));
    out.push(replace_all(value, &[('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;"), ('"', "&quot;"), ('\'', "&apos;")]));
    out.push(replace_all(value, &[('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;"), ('"', "&#34;"), ('\'', "&#39;")]));
    // Markdown cells and lines.
    out.push(replace_all(value, &[('<', "&lt;"), ('|', "\\|")]));
    // Terminal and text output show control characters escaped.
    out.push(value.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect());
    out.sort();
    out.dedup();
    out
}

fn replace_all(value: &str, table: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match table.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    out
}

/// Every byte outside the URL's unreserved set percent-encoded (`%20` for a space).
fn percent(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Masker {
    /// A masker over `secrets` (and their forms). Values shorter than
    /// [`secret::MASK_MIN_CHARS`] are left out: see that constant.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        for s in secrets {
            if s.chars().count() < secret::MASK_MIN_CHARS {
                continue;
            }
            patterns.extend(forms(s).into_iter().filter(|f| f.chars().count() >= secret::MASK_MIN_CHARS));
        }
        patterns.sort_unstable();
        patterns.dedup();
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        if patterns.is_empty() {
            return Masker { matcher: None, longest };
        }
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        let mut prefixes: Vec<&[u8]> = Vec::new();
        let mut lengths: Vec<Vec<usize>> = Vec::new();
        for p in &patterns {
            let prefix = &p.as_bytes()[..PREFIX];
            let i = *index.entry(prefix).or_insert_with(|| {
                prefixes.push(prefix);
                lengths.push(Vec::new());
                prefixes.len() - 1
            });
            lengths[i].push(p.len());
        }
        for l in &mut lengths {
            l.sort_unstable_by(|a, b| b.cmp(a));
            l.dedup();
        }
        // Standard semantics, for every (overlapping) place a prefix occurs. The contiguous NFA keeps memory proportional to the prefixes; no dense states, which would
        // give the first levels a full transition table each.
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .dense_depth(0)
            .build(&prefixes)
            .ok();
        let matcher = automaton.map(|prefixes| Matcher {
            prefixes,
            lengths,
            forms: patterns.into_iter().map(|p| p.into_bytes().into_boxed_slice()).collect(),
        });
        Masker { matcher, longest }
    }

    /// The masker over everything the run has remembered so far, built again only when a
    /// secret was remembered since the last call.
    pub fn current() -> Arc<Masker> {
        static CACHE: Mutex<Option<(u64, Arc<Masker>)>> = Mutex::new(None);
        let generation = secret::remembered_generation();
        let mut cache = CACHE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((g, m)) = cache.as_ref()
            && *g == generation
        {
            return Arc::clone(m);
        }
        let (generation, masker) = secret::with_remembered(|generation, values| (generation, Arc::new(Masker::new(values))));
        *cache = Some((generation, Arc::clone(&masker)));
        masker
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `text` with every form of every secret replaced by [`MASK`].
    pub fn mask<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.mask_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // The patterns and the mask are whole UTF-8 strings, so the result is one too.
            Cow::Owned(bytes) => {
                Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
            }
        }
    }

    pub fn mask_bytes<'t>(&self, bytes: &'t [u8]) -> Cow<'t, [u8]> {
        let Some(matcher) = &self.matcher else { return Cow::Borrowed(bytes) };
        let mut matches = matcher.find_iter(bytes).peekable();
        if matches.peek().is_none() {
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut cursor = 0;
        for (start, end) in matches {
            out.extend_from_slice(&bytes[cursor..start]);
            out.extend_from_slice(MASK.as_bytes());
            cursor = end;
        }
        out.extend_from_slice(&bytes[cursor..]);
        Cow::Owned(out)
    }
}

/// A writer that masks what passes through it, also a secret split across two writes: it holds
/// back the last bytes of each write (one less than the longest pattern) until the next one
/// shows whether they start a secret. [`MaskingWriter::finish`] writes what is held back.
pub struct MaskingWriter<W: Write> {
    inner: W,
    masker: Arc<Masker>,
    pending: Vec<u8>,
}

/// Bytes gathered before a masked chunk is passed on.
const CHUNK: usize = 64 * 1024;

impl<W: Write> MaskingWriter<W> {
    pub fn new(inner: W, masker: Arc<Masker>) -> Self {
        MaskingWriter { inner, masker, pending: Vec::new() }
    }

    /// Masks and writes everything up to `safe` (and any match that starts before it).
    fn drain(&mut self, safe: usize) -> std::io::Result<()> {
        let Some(matcher) = &self.masker.matcher else {
            self.inner.write_all(&self.pending)?;
            self.pending.clear();
            return Ok(());
        };
        let mut cursor = 0;
        let mut upto = safe;
        for (start, end) in matcher.find_iter(&self.pending) {
            if start >= safe {
                break;
            }
            if end > safe {
                // A form may start inside this stretch and end in bytes not yet written: the
                // stretch waits for them, or the rest of that form would pass unmasked.
                upto = start;
                break;
            }
            self.inner.write_all(&self.pending[cursor..start])?;
            self.inner.write_all(MASK.as_bytes())?;
            cursor = end;
        }
        let upto = cursor.max(upto);
        self.inner.write_all(&self.pending[cursor..upto])?;
        self.pending.drain(..upto);
        Ok(())
    }

    /// Writes what was held back and flushes; the writer is done.
    pub fn finish(mut self) -> std::io::Result<W> {
        let all = self.pending.len();
        self.drain(all)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A chunk at a time (`write_all` passes the rest), so a large text is never copied whole.
        let taken = &buf[..buf.len().min(CHUNK)];
        self.pending.extend_from_slice(taken);
        if self.pending.len() >= CHUNK + self.masker.longest {
            let safe = self.pending.len() + 1 - self.masker.longest.max(1);
            self.drain(safe)?;
        }
        Ok(taken.len())
    }

    /// Passes on only what is safe to pass on; what may start a secret stays until
    /// [`MaskingWriter::finish`].
    fn flush(&mut self) -> std::io::Result<()> {
        let safe = (self.pending.len() + 1).saturating_sub(self.masker.longest.max(1));
        self.drain(safe)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker(secrets: &[&str]) -> Masker {
        Masker::new(secrets.iter().copied())
    }

    #[test]
    fn every_form_is_masked() {
        let m = masker(&["p@ss w/rd\"<'&|x"]);
        for shown in [
            "p@ss w/rd\"<'&|x",
            "p@ss w/rd\\\"<'&|x",
            "p%40ss%20w%2Frd%22%3C%27%26%7Cx",
            "p%40ss+w%2Frd%22%3C%27%26%7Cx",
            "p@ss w&#x2f;rd&quot;&lt;&#x27;&amp;|x",
            "p@ss w/rd&quot;&lt;&apos;&amp;|x",
            "p@ss w/rd&#34;&lt;&#39;&amp;|x",
            "p@ss w/rd\"&lt;'&\\|x",
        ] {
            let text = format!("before {shown} after");
            assert_eq!(m.mask(&text), "before *** after", "{shown}");
        }
        let m = masker(&["tab\there-secret"]);
        assert_eq!(m.mask("x tab\\u{9}here-secret y"), "x *** y");
    }

    #[test]
    fn short_values_are_left_to_the_first_line() {
        let m = masker(&["abc", "12345"]);
        assert!(m.is_empty());
        assert_eq!(m.mask("abc 12345"), "abc 12345");
    }

    #[test]
    fn overlapping_secrets_are_masked_whole() {
        let m = masker(&["secret-one", "secret-one-and-two", "one-and-two-more"]);
        // "one-and-two-more" overlaps "secret-one-and-two": the two are masked as one stretch,
        // so no piece of either is left ("-more" would be the end of the second).
        assert_eq!(m.mask("a secret-one-and-two-more b"), "a *** b");
        assert_eq!(m.mask("secret-onesecret-one"), "******");
        assert_eq!(m.mask("nothing here"), "nothing here");
    }

    #[test]
    fn a_secret_split_across_writes_is_masked() {
        let secret = "split-across-writes-secret";
        let m = Arc::new(masker(&[secret]));
        let text = format!("{}{secret}{}{secret}", "x".repeat(CHUNK - 5), "y".repeat(CHUNK));
        for cut in [1usize, 7, 13, CHUNK - 3, CHUNK + 4, CHUNK + 20] {
            let mut w = MaskingWriter::new(Vec::new(), Arc::clone(&m));
            for piece in text.as_bytes().chunks(cut) {
                w.write_all(piece).unwrap();
                w.flush().unwrap();
            }
            let out = String::from_utf8(w.finish().unwrap()).unwrap();
            assert!(!out.contains(secret), "cut {cut}");
            assert_eq!(out.matches(MASK).count(), 2, "cut {cut}");
            assert_eq!(out.len(), text.len() - 2 * secret.len() + 2 * MASK.len(), "cut {cut}");
        }
    }

    /// By brute force: every byte that any form covers is masked; overlapping forms are one
    /// stretch, forms that only touch are two.
    fn reference(forms: &[String], text: &str) -> String {
        let bytes = text.as_bytes();
        let mut stretches: Vec<(usize, usize)> = Vec::new();
        for i in 0..bytes.len() {
            if let Some(len) = forms.iter().filter(|f| bytes[i..].starts_with(f.as_bytes())).map(String::len).max() {
                match stretches.last_mut() {
                    Some((_, end)) if i < *end => *end = (*end).max(i + len),
                    _ => stretches.push((i, i + len)),
                }
            }
        }
        let mut out = Vec::new();
        let mut cursor = 0;
        for (start, end) in stretches {
            out.extend_from_slice(&bytes[cursor..start]);
            out.extend_from_slice(MASK.as_bytes());
            cursor = end;
        }
        out.extend_from_slice(&bytes[cursor..]);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_every_byte_any_form_covers() {
        // Secrets that share prefixes, hold one another, overlap and differ only in length or
        // their last byte, in texts made of their pieces: the masker agrees with brute force.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let alphabet = ["sec", "ret", "-", "a", "b", "ab", "x y", "\"", "<", "&", "é", "%", "123456", "\n"];
        for _ in 0..300 {
            let word = |next: &mut dyn FnMut(u64) -> u64, parts: u64| {
                (0..parts).map(|_| alphabet[next(alphabet.len() as u64) as usize]).collect::<String>()
            };
            let count = 1 + next(6);
            let secrets: Vec<String> = (0..count)
                .map(|_| {
                    let parts = 2 + next(5);
                    word(&mut next, parts)
                })
                .collect();
            let m = Masker::new(secrets.iter().map(String::as_str));
            let mut all: Vec<String> = Vec::new();
            for s in secrets.iter().filter(|s| s.chars().count() >= secret::MASK_MIN_CHARS) {
                all.extend(forms(s).into_iter().filter(|f| f.chars().count() >= secret::MASK_MIN_CHARS));
            }
            for _ in 0..20 {
                let mut text = String::new();
                for _ in 0..next(8) {
                    if next(2) == 0 && !secrets.is_empty() {
                        text.push_str(&secrets[next(secrets.len() as u64) as usize]);
                    } else {
                        let parts = 1 + next(4);
                        text.push_str(&word(&mut next, parts));
                    }
                }
                assert_eq!(m.mask(&text), reference(&all, &text), "secrets {secrets:?} text {text:?}");
            }
        }
    }

    #[test]
    fn a_hundred_thousand_secrets_of_one_prefix_are_each_found() {
        let secrets: Vec<String> = (0..100_000).map(|i| format!("secret-{i:08x}-bench")).collect();
        let m = Masker::new(secrets.iter().map(String::as_str));
        for i in [0, 1, 4_095, 99_999] {
            let text = format!("a secret-{i:08x}-bench and secret-{i:08x}-benc b");
            assert_eq!(m.mask(&text), "a *** and secret-".to_owned() + &format!("{i:08x}-benc b"));
        }
    }

    #[test]
    fn unicode_secrets_stay_valid_text() {
        let m = masker(&["gehéimnis-ü"]);
        assert_eq!(m.mask("ä gehéimnis-ü ö"), "ä *** ö");
        assert_eq!(m.mask("ä geh%C3%A9imnis-%C3%BC ö"), "ä *** ö");
    }
}
