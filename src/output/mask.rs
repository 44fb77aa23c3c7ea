//! The last line of defence: every byte the program writes passes through a [`Masker`] built
//! from every secret value the run has read ([`crate::model::secret::remember`]), in the forms
//! the output formats give it (plain, JSON-escaped, percent-encoded, HTML/XML-escaped, Markdown
//! cells, terminal escapes), the way a CI runner masks its registered secrets in every log line.
//!
//! The first line of defence stays where values are shown: [`crate::model::Secret`] has no
//! text to show, URLs are redacted, messages never quote a secret. The masker catches what a
//! mistake in that first line would let through.

use std::borrow::Cow;
use std::io::Write;
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::model::secret;

/// What a masked secret becomes: plain ASCII, inert in every format (no markup, no escape).
pub const MASK: &str = "***";

/// The matcher over every form of every remembered secret.
pub struct Masker {
    matcher: Option<AhoCorasick>,
    /// Bytes of the longest pattern: how much a streamed writer must hold back between writes.
    longest: usize,
}

/// The forms in which `value` can reach an output: as written, and as each format escapes it.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
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
        let matcher = if patterns.is_empty() {
            None
        } else {
            // The contiguous NFA keeps memory proportional to the patterns for thousands of
            // secrets; leftmost-longest masks the whole of two secrets when one holds the other.
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                // No dense states: with many random secrets the first levels would each take a
                // full transition table (256 entries per state).
                .dense_depth(0)
                .build(&patterns)
                .ok()
        };
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
        for m in matches {
            out.extend_from_slice(&bytes[cursor..m.start()]);
            out.extend_from_slice(MASK.as_bytes());
            cursor = m.end();
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
        for m in matcher.find_iter(&self.pending) {
            if m.start() >= safe {
                break;
            }
            self.inner.write_all(&self.pending[cursor..m.start()])?;
            self.inner.write_all(MASK.as_bytes())?;
            cursor = m.end();
        }
        let upto = cursor.max(safe);
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
        assert_eq!(m.mask("a secret-one-and-two-more b"), "a ***-more b");
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

    #[test]
    fn unicode_secrets_stay_valid_text() {
        let m = masker(&["gehéimnis-ü"]);
        assert_eq!(m.mask("ä gehéimnis-ü ö"), "ä *** ö");
        assert_eq!(m.mask("ä geh%C3%A9imnis-%C3%BC ö"), "ä *** ö");
    }
}
