//! A value that must never be shown: client secrets, passwords, private keys, tokens.
//!
//! `Secret` has no `Display` and no `Serialize`, and its `Debug` prints a fixed
//! placeholder, so a secret cannot reach a report, a log line or an error by accident.
//! Rules learn what they need through the methods below, none of which return the text.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The text shown wherever a secret would have been.
pub const REDACTED: &str = "<redacted>";

/// A secret, or what a snapshot keeps of one: a salted HMAC-SHA256 of the trimmed value
/// plus the facts the rules need (length, blank, surrounding white space). The digest lets
/// CALM014 compare a snapshot with a Cloud ALM key later; it cannot be used to log in.
pub struct Secret(Inner);

enum Inner {
    Plain(String),
    Digest(SecretDigest),
}

/// What a snapshot stores in place of a secret. Safe to serialise: nothing in it is usable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecretDigest {
    /// Hex salt, random per snapshot; a digest carries its own so snapshots can be merged.
    pub salt: String,
    /// Hex HMAC-SHA256 of the trimmed secret under the snapshot's salt.
    pub hmac: String,
    pub chars: usize,
    pub blank: bool,
    pub surrounding_whitespace: bool,
}

fn hmac_hex(salt: &[u8], value: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(salt).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(value.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Equal in time that depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

impl Secret {
    /// A secret read from an input; remembered for the output's masker ([`remember`]).
    pub fn new(value: String) -> Self {
        remember_secret(&value);
        Secret(Inner::Plain(value))
    }

    /// A secret known only by its digest (read from a snapshot).
    pub fn from_digest(digest: SecretDigest) -> Self {
        Secret(Inner::Digest(digest))
    }

    /// Empty or only white space.
    pub fn is_blank(&self) -> bool {
        match &self.0 {
            Inner::Plain(s) => s.trim().is_empty(),
            Inner::Digest(d) => d.blank,
        }
    }

    /// Leading or trailing white space, the classic copy-paste fault.
    pub fn has_surrounding_whitespace(&self) -> bool {
        match &self.0 {
            Inner::Plain(s) => s.trim() != s,
            Inner::Digest(d) => d.surrounding_whitespace,
        }
    }

    /// Number of characters; safe to show, it says nothing usable about the value.
    pub fn char_count(&self) -> usize {
        match &self.0 {
            Inner::Plain(s) => s.chars().count(),
            Inner::Digest(d) => d.chars,
        }
    }

    /// Exact comparison, never printing either value. A digest only compares trimmed.
    pub fn matches(&self, other: &Secret) -> bool {
        match (&self.0, &other.0) {
            (Inner::Plain(a), Inner::Plain(b)) => constant_time_eq(a.as_bytes(), b.as_bytes()),
            _ => self.has_surrounding_whitespace() == other.has_surrounding_whitespace() && self.matches_trimmed(other),
        }
    }

    /// Whether this secret is `text`, exactly or once surrounding white space is removed.
    pub fn is_text(&self, text: &str) -> bool {
        match &self.0 {
            Inner::Plain(s) => constant_time_eq(s.trim().as_bytes(), text.trim().as_bytes()),
            Inner::Digest(d) => {
                unhex(&d.salt).is_some_and(|salt| constant_time_eq(hmac_hex(&salt, text.trim()).as_bytes(), d.hmac.as_bytes()))
            }
        }
    }

    /// Comparison after removing surrounding white space on both sides (CALM017 reports that fault).
    pub fn matches_trimmed(&self, other: &Secret) -> bool {
        match (&self.0, &other.0) {
            (Inner::Plain(a), Inner::Plain(b)) => constant_time_eq(a.trim().as_bytes(), b.trim().as_bytes()),
            (Inner::Digest(d), Inner::Plain(p)) | (Inner::Plain(p), Inner::Digest(d)) => {
                unhex(&d.salt).is_some_and(|salt| constant_time_eq(hmac_hex(&salt, p.trim()).as_bytes(), d.hmac.as_bytes()))
            }
            (Inner::Digest(a), Inner::Digest(b)) => a.salt == b.salt && constant_time_eq(a.hmac.as_bytes(), b.hmac.as_bytes()),
        }
    }

    /// What a snapshot keeps of this secret, under `salt`.
    pub fn digest(&self, salt: &[u8]) -> SecretDigest {
        match &self.0 {
            Inner::Plain(s) => digest_text(s, salt),
            // Re-keying is impossible without the value: the digest keeps its own salt.
            Inner::Digest(d) => d.clone(),
        }
    }

    /// The value, for the one other place that must use it: opening a keystore in memory with
    /// the destination's keystore password (never sent, never kept). `None` for a digest.
    pub(crate) fn expose_for_keystore(&self) -> Option<&str> {
        self.expose_for_token_request()
    }

    /// Whether the plain value (trimmed, not blank) is part of `text`. A digest is never within.
    pub fn is_within(&self, text: &str) -> bool {
        match &self.0 {
            Inner::Plain(s) => !s.trim().is_empty() && text.contains(s.trim()),
            Inner::Digest(_) => false,
        }
    }

    /// The value, for the one place that must send it: the token request to the key's own
    /// token endpoint. `None` for a digest.
    pub(crate) fn expose_for_token_request(&self) -> Option<&str> {
        match &self.0 {
            Inner::Plain(s) => Some(s),
            Inner::Digest(_) => None,
        }
    }
}

/// The destination properties SAP documents as not secret: the only ones a snapshot keeps as
/// written (a URL among them without its credentials and query values). Every other property,
/// known or not (`jco.client.passwd`, `mysapsso2`, a custom header), is kept as a digest: the
/// snapshot denies by default. `docs/live.md` lists them; keep the two in step.
pub const DOCUMENTED_NOT_SECRET: &[&str] = &[
    "Name",
    "Type",
    "URL",
    "Authentication",
    "ProxyType",
    "Description",
    "clientId",
    "tokenServiceURL",
    "tokenServiceURLType",
    "tokenService.addClientCredentialsInBody",
    "tokenService.KeyStoreLocation",
    "KeyStoreLocation",
    "TrustStoreLocation",
    "TrustAll",
    "CloudConnectorLocationId",
    "sap-client",
    "sap-platform",
    "WebIDEEnabled",
    "WebIDEUsage",
    "WebIDESystem",
    "HTML5.DynamicDestination",
    "HTML5.Timeout",
    "HTML5.ForwardAuthToken",
    "sap.processautomation.enabled",
    "systemRole",
    "scope",
    // Destinations of the HTML5 application repository and the managed application router, as
    // SAP's content deployer writes them (SAP Help Portal, "Configure Destinations" of the
    // HTML5 application repository and the managed application router): the business service
    // an app belongs to and the service instance and key the destination reads.
    "sap.cloud.service",
    "sap.cloud.service.alias",
    "ServiceInstanceName",
    "ServiceKeyName",
    "product.name",
    "sap-sysid",
];

/// Families of properties SAP documents as not secret, by prefix: the HTML5 application
/// repository's and application router's `HTML5.*` options (`HTML5.DynamicDestination`,
/// `HTML5.Timeout`, `HTML5.PreserveHostHeader`, ...), SAP Business Application Studio's
/// `WebIDE*` flags, `sap.applicationdevelopment.*` and SAP Build's `sap.build.*` markers. A
/// key of the family that names a secret (`HTML5.headers.Authorization`) is still a secret.
pub const DOCUMENTED_NOT_SECRET_PREFIXES: &[&str] = &["HTML5.", "WebIDE", "sap.applicationdevelopment.", "sap.build."];

/// Whether SAP documents the property as not secret ([`DOCUMENTED_NOT_SECRET`],
/// [`DOCUMENTED_NOT_SECRET_PREFIXES`]).
pub fn is_documented_not_secret(key: &str) -> bool {
    DOCUMENTED_NOT_SECRET.contains(&key) || (DOCUMENTED_NOT_SECRET_PREFIXES.iter().any(|p| key.starts_with(p)) && !is_secret_key(key))
}

/// Shortest value [`looks_like_credential`] takes for a credential.
pub const CREDENTIAL_MIN_CHARS: usize = 12;

/// A value of an undocumented property that looks like a credential (a token, a key, a
/// password), so that the masker masks it although no secret property holds it. Length and a
/// digit are not enough: names such as `sap-btp-sapui5_repo_host` or `cap-bookshop-srv-api2`
/// are long and hold a digit, and masking them everywhere would garble every report that names
/// them. A credential is random, and randomness shows in how often the character class changes:
/// the value must be one word of at least [`CREDENTIAL_MIN_CHARS`] characters, no URL, with
/// letters and either digits or both letter cases, and at least one change of class (lower
/// case, upper case, digit) between neighbouring letters and digits for every 4 characters,
/// where an upper-case letter followed by lower case (a camelCase word going on) is no change.
/// UUIDs, hexadecimal digests, base64 secrets and JWTs change class every 2 to 3 characters;
/// words joined by `-`, `_` or `.`, even with a number, change it once or twice in all.
pub fn looks_like_credential(value: &str) -> bool {
    let v = value.trim();
    let chars = v.chars().count();
    if chars < CREDENTIAL_MIN_CHARS || v.chars().any(char::is_whitespace) || v.contains("://") {
        return false;
    }
    let has = |f: fn(char) -> bool| v.chars().any(f);
    if !has(char::is_alphabetic) || !(has(|c| c.is_ascii_digit()) || (has(char::is_lowercase) && has(char::is_uppercase))) {
        return false;
    }
    class_changes(v) * 4 >= chars
}

/// How often neighbouring letters or digits change class (lower case, upper case, digit).
fn class_changes(v: &str) -> usize {
    fn class(c: char) -> Option<u8> {
        if c.is_ascii_digit() {
            Some(0)
        } else if c.is_lowercase() {
            Some(1)
        } else if c.is_uppercase() {
            Some(2)
        } else {
            None
        }
    }
    // Upper case followed by lower case is how a word of a camelCase name goes on
    // (`myServiceInstanceName2`): only its start counts.
    v.chars()
        .map(class)
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| matches!((w[0], w[1]), (Some(a), Some(b)) if a != b && !(a == 2 && b == 1)))
        .count()
}

/// The shortest value the output's masker looks for. A value shorter than this (`100`, `true`,
/// `ab`) would mask that text wherever a report happens to hold it, and garble reports; such a
/// value is still never printed, because the first line of defence never shows a secret.
pub const MASK_MIN_CHARS: usize = 6;

/// Every secret value the run has read, for the output's masker. Only grows: a value read once
/// is masked in everything written after.
struct Remembered {
    /// Everything to mask (secrets and the guesses of [`remember`]), each marked `true` when it
    /// is (the trimmed value of) a [`Secret`], however short: what no message may quote. One set,
    /// not two: a landscape of 100,000 destinations remembers 100,000 secrets.
    values: std::collections::HashMap<Box<str>, bool>,
    generation: u64,
}

impl Remembered {
    /// The trimmed values of [`Secret`]s.
    fn secrets(&self) -> impl Iterator<Item = &str> {
        self.values.iter().filter(|(_, secret)| **secret).map(|(v, _)| &**v)
    }
}

static REMEMBERED: std::sync::Mutex<Option<Remembered>> = std::sync::Mutex::new(None);

/// Remembers a value that must never be written: the masker of every output masks it. Called
/// for every [`Secret`], and by the sources for what is secret without being a property value
/// (a URL's password and query values, a key pasted into the environment, literals inside a
/// secret's expression). These are guesses, often short (a query value `1`): values shorter than
/// [`MASK_MIN_CHARS`] are not kept. A [`Secret`]'s value is kept however short
/// ([`remember_secret`]).
pub fn remember(value: &str) {
    if value.trim().chars().count() >= MASK_MIN_CHARS {
        remember_as(value, false);
    }
}

/// Remembers the value of a [`Secret`] (a property SAP documents as secret, a key's secret),
/// however short: the masker leaves out values shorter than [`MASK_MIN_CHARS`] (masking `ab`
/// everywhere would garble reports), but a message never quotes a value that holds one
/// ([`holds_remembered`]), and a snapshot digests it.
pub fn remember_secret(value: &str) {
    remember_as(value, true);
}

fn remember_as(value: &str, secret: bool) {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return;
    }
    let mut guard = REMEMBERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let r = guard.get_or_insert_with(|| Remembered { values: std::collections::HashMap::new(), generation: 0 });
    let mut added = false;
    if value != trimmed && !r.values.contains_key(value) {
        r.values.insert(value.into(), false);
        added = true;
    }
    match r.values.get_mut(trimmed) {
        Some(known) if secret && !*known => {
            *known = true;
            added = true;
        }
        Some(_) => {}
        None => {
            r.values.insert(trimmed.into(), secret);
            added = true;
        }
    }
    if added {
        r.generation += 1;
    }
}

/// Whether `value` (as written or trimmed) is a secret the run has read: a rule that would show a
/// destination's value asks first (a `clientId` that holds the key's secret, swapped fields).
pub fn is_remembered(value: &str) -> bool {
    let guard = REMEMBERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.as_ref().is_some_and(|r| r.values.contains_key(value) || r.values.contains_key(value.trim()))
}

/// Whether `value` equals or contains the value of a [`Secret`] the run has read (a property
/// documented as secret, a key's secret; not the guesses of [`remember`]), of any length: a
/// message asks
/// before it quotes a destination's value (a `clientId` with the key's secret pasted after the
/// id, a five-character password in the wrong field). Unlike the masker, which leaves out
/// values shorter than [`MASK_MIN_CHARS`] so as not to garble reports, this errs towards not
/// quoting: a value is never shown when a secret of the run is part of it.
pub fn holds_remembered(value: &str) -> bool {
    is_remembered(value) || holds_remembered_of(value, CONTAINED_MIN_CHARS)
}

/// The shortest secret looked for inside a longer value: a value of one or two characters (a
/// header's `1`) is looked for as the whole value only, or every number and word holding that
/// character would be withheld.
pub const CONTAINED_MIN_CHARS: usize = 3;

/// Whether `value` contains a secret the run has read of at least `min` characters.
pub fn holds_remembered_of(value: &str, min: usize) -> bool {
    if value.trim().is_empty() {
        return false;
    }
    holder().holds(value.as_bytes(), min)
}

/// Characters that do not show where a text is read: white space, format characters (zero-width
/// spaces and joiners, the soft hyphen, the byte-order mark, direction marks) and the combining
/// grapheme joiner. A secret with them between its letters reads as the secret.
pub fn is_unseen(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}' | '\u{3164}' | '\u{FFA0}')
}

/// Characters of a piece of a secret that a message may not show: six, as the masker's floor.
pub const PIECE_CHARS: usize = MASK_MIN_CHARS;

/// Secrets whose pieces are looked for: past this many, only whole secrets are (the pieces of a
/// very large landscape would cost memory out of proportion; the masker still masks them whole).
const PIECE_SECRETS: usize = 2_000;

/// Whether `text` holds a secret of the run (a [`Secret`]'s value, any length) or a piece of
/// [`PIECE_CHARS`] characters of one that looks random ([`looks_like_credential`]), read without the characters that do not show
/// ([`is_unseen`]): a secret pasted in part, with a space or with zero-width spaces between its
/// letters, or split by a URL's redaction, is still a secret to the reader. A message asks
/// before it quotes a value.
pub fn holds_secret_piece(text: &str) -> bool {
    if holds_remembered(text) {
        return true;
    }
    holds_piece(&pieces(), text)
}

/// Whether `text`, read without the characters that do not show, holds one of `pieces`.
fn holds_piece(pieces: &std::collections::HashSet<u64>, text: &str) -> bool {
    if pieces.is_empty() || text.len() < PIECE_CHARS {
        return false;
    }
    let seen: Vec<char> = text.chars().filter(|c| !is_unseen(*c)).collect();
    seen.windows(PIECE_CHARS).any(|w| pieces.contains(&piece_hash(w)))
}

/// Whether a piece mixes character classes (lower case, upper case, digits): a piece of one
/// class, punctuation aside (`secret`, `t-secr`, `123456`), is as likely a word or a number of
/// any message, and is not looked for; a piece of a random secret mixes them.
fn mixes_classes(chars: &[char]) -> bool {
    // Punctuation joins words (`client-secret`, `calm_key`): it is no class of its own.
    let class = |c: &char| match c {
        c if c.is_lowercase() => Some(0),
        c if c.is_uppercase() => Some(1),
        c if c.is_ascii_digit() => Some(2),
        _ => None,
    };
    let mut classes = chars.iter().filter_map(class);
    let first = classes.next();
    classes.any(|c| Some(c) != first)
}

fn piece_hash(chars: &[char]) -> u64 {
    // FNV-1a over the characters: a set of 64-bit hashes, not of strings, keeps the pieces of
    // thousands of secrets small; a collision only withholds a value that is not a secret.
    chars.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, c| (h ^ u64::from(u32::from(*c))).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The hashes of every piece of every [`Secret`]'s value, built again only when a secret was
/// remembered since the last call.
fn pieces() -> std::sync::Arc<std::collections::HashSet<u64>> {
    type Cache = Option<(u64, std::sync::Arc<std::collections::HashSet<u64>>)>;
    static CACHE: std::sync::Mutex<Cache> = std::sync::Mutex::new(None);
    let generation = remembered_generation();
    let mut cache = CACHE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((g, p)) = cache.as_ref()
        && *g == generation
    {
        return std::sync::Arc::clone(p);
    }
    let guard = REMEMBERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut set = std::collections::HashSet::new();
    let generation = guard.as_ref().map_or(0, |r| r.generation);
    if let Some(r) = guard.as_ref() {
        // Pieces of random values only: a secret-named property may hold a URL or words
        // (`tokenService.body.resource`), whose pieces are the hosts and words of any message.
        for secret in r.secrets().filter(|s| looks_like_credential(s)).take(PIECE_SECRETS) {
            let seen: Vec<char> = secret.chars().filter(|c| !is_unseen(*c)).collect();
            for w in seen.windows(PIECE_CHARS).filter(|w| mixes_classes(w)) {
                set.insert(piece_hash(w));
            }
        }
    }
    drop(guard);
    let set = std::sync::Arc::new(set);
    *cache = Some((generation, std::sync::Arc::clone(&set)));
    set
}

/// A message with every value it quotes (`"..."`) that holds a secret or a piece of one
/// ([`holds_secret_piece`]) replaced by a phrase, and so every word outside quotes that is a
/// word that holds one (a host, a path, a name with the secret in it). Hosts are compared
/// without regard to ASCII case, as the rules show them in lower case. The rules decide what to show; this is the one place every message passes
/// before it becomes a result, so that no rule can quote what holds a secret.
pub fn conceal_in_message(message: &str) -> std::borrow::Cow<'_, str> {
    // Most messages hold nothing of a secret: one look at the whole message settles them, and
    // only a message that holds something is read part by part.
    if !holds_anything(message) {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut changed = false;
    let mut rest = message;
    loop {
        let (plain, after) = match rest.find('"') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        conceal_words(plain, &mut out, &mut changed);
        let Some(after) = after else { break };
        // A quote that is never closed quotes the rest.
        let (quoted, next) = match after.find('"') {
            Some(j) => (&after[..j], Some(&after[j + 1..])),
            None => (after, None),
        };
        if holds_secret_piece(quoted) {
            out.push_str(CONCEALED);
            changed = true;
        } else {
            out.push('"');
            out.push_str(quoted);
            if next.is_some() {
                out.push('"');
            }
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    if changed { std::borrow::Cow::Owned(out) } else { std::borrow::Cow::Borrowed(message) }
}

/// Whether a message holds a secret of any length or a piece of a random one anywhere: the
/// whole-message test before [`conceal_in_message`] reads it part by part.
fn holds_anything(message: &str) -> bool {
    if holder().holds(message.as_bytes(), 1) {
        return true;
    }
    holds_piece(&pieces(), message)
}

/// What a message says in place of a value that holds a secret.
pub const CONCEALED: &str = "a value that contains a secret (not shown)";

fn conceal_words(plain: &str, out: &mut String, changed: &mut bool) {
    for (i, word) in plain.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Words of letters only are the message's own (`secret`, `deployment`); values in a
        // message are quoted, or are names, hosts and paths, which hold other characters.
        let trimmed = word.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '.' | ':'));
        // A number or a word of one or two characters is the message's own too.
        let hides = trimmed.chars().count() >= CONTAINED_MIN_CHARS && !trimmed.chars().all(char::is_alphabetic) && holds_secret_piece(word);
        if hides {
            out.push_str(CONCEALED);
            *changed = true;
        } else {
            out.push_str(word);
        }
    }
}

/// Whether `text` holds a piece of [`PIECE_CHARS`] characters of a secret (not a shorter secret
/// whole: a short word of a message is not taken for one).
pub fn holds_piece_only(text: &str) -> bool {
    holds_piece(&pieces(), text)
}

/// Bytes of a secret the holder's automaton looks for: its first few, or all of a shorter one.
const HOLDER_PREFIX: usize = MASK_MIN_CHARS;

/// Finds remembered secrets inside a text: an automaton over each secret's first
/// [`HOLDER_PREFIX`] bytes finds where one may start, a set of the whole values confirms it. An
/// automaton over the whole values would cost a state per byte of every secret.
struct Holder {
    prefixes: Option<aho_corasick::AhoCorasick>,
    /// For each prefix, the byte lengths of the values that start with it.
    lengths: Vec<Vec<usize>>,
    values: std::collections::HashSet<Box<[u8]>>,
}

impl Holder {
    fn new<'a>(values: impl Iterator<Item = &'a str>) -> Self {
        let mut index: std::collections::HashMap<Box<[u8]>, usize> = std::collections::HashMap::new();
        let mut prefixes: Vec<Box<[u8]>> = Vec::new();
        let mut lengths: Vec<Vec<usize>> = Vec::new();
        let mut set = std::collections::HashSet::new();
        for v in values.map(str::trim).filter(|v| !v.is_empty()) {
            let lower = v.to_ascii_lowercase();
            let bytes = lower.as_bytes();
            let prefix: Box<[u8]> = bytes[..bytes.len().min(HOLDER_PREFIX)].into();
            let i = *index.entry(prefix.clone()).or_insert_with(|| {
                prefixes.push(prefix);
                lengths.push(Vec::new());
                prefixes.len() - 1
            });
            if !lengths[i].contains(&bytes.len()) {
                lengths[i].push(bytes.len());
            }
            set.insert(bytes.into());
        }
        let prefixes = (!prefixes.is_empty())
            .then(|| {
                aho_corasick::AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                    .dense_depth(0)
                    .build(&prefixes)
                    .ok()
            })
            .flatten();
        Holder { prefixes, lengths, values: set }
    }

    /// Whether a remembered value of at least `min` characters is part of `hay`.
    fn holds(&self, hay: &[u8], min: usize) -> bool {
        let Some(ac) = &self.prefixes else { return false };
        ac.find_overlapping_iter(hay).any(|m| {
            self.lengths[m.pattern().as_usize()].iter().any(|&len| {
                hay.get(m.start()..m.start() + len).is_some_and(|v| {
                    self.values.contains(&*v.to_ascii_lowercase())
                        && (min <= 1 || std::str::from_utf8(v).map_or(len, |t| t.chars().count()) >= min)
                })
            })
        })
    }
}

/// The holder over everything remembered so far, built again only when a secret was remembered
/// since the last call.
fn holder() -> std::sync::Arc<Holder> {
    static CACHE: std::sync::Mutex<Option<(u64, std::sync::Arc<Holder>)>> = std::sync::Mutex::new(None);
    let generation = remembered_generation();
    let mut cache = CACHE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((g, h)) = cache.as_ref()
        && *g == generation
    {
        return std::sync::Arc::clone(h);
    }
    let guard = REMEMBERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (generation, h) = match guard.as_ref() {
        Some(r) => (r.generation, std::sync::Arc::new(Holder::new(r.secrets()))),
        None => (0, std::sync::Arc::new(Holder::new(std::iter::empty()))),
    };
    drop(guard);
    *cache = Some((generation, std::sync::Arc::clone(&h)));
    h
}

/// Changes whenever a value is remembered, so the masker is built again only then.
pub fn remembered_generation() -> u64 {
    REMEMBERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref().map_or(0, |r| r.generation)
}

/// Calls `f` with the generation and every remembered value.
pub fn with_remembered<T>(f: impl FnOnce(u64, &mut dyn Iterator<Item = &str>) -> T) -> T {
    let guard = REMEMBERED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match guard.as_ref() {
        Some(r) => f(r.generation, &mut r.values.keys().map(|v| &**v)),
        None => f(0, &mut std::iter::empty()),
    }
}

/// What a snapshot keeps of a value it does not keep as written, under `salt`.
pub fn digest_text(s: &str, salt: &[u8]) -> SecretDigest {
    SecretDigest {
        salt: hex(salt),
        hmac: hmac_hex(salt, s.trim()),
        chars: s.chars().count(),
        blank: s.trim().is_empty(),
        surrounding_whitespace: s.trim() != s,
    }
}

/// Lower-case hex, by table: a snapshot of a large landscape digests a secret per destination.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        match &self.0 {
            Inner::Plain(s) => Secret(Inner::Plain(s.clone())),
            Inner::Digest(d) => Secret(Inner::Digest(d.clone())),
        }
    }
}

/// Whether a property key holds a secret. Matches on the lower-cased key so that
/// `clientSecret`, `Password`, `tokenServicePassword`, `KeyStorePassword`,
/// `tokenService.body.client_secret` and their kin are all covered. The values of extra
/// headers, query parameters and body fields of a call (`URL.headers.Authorization`,
/// `tokenServiceURL.queries.*`, `tokenService.body.*`) are credentials as often as not.
pub fn is_secret_key(key: &str) -> bool {
    const SUFFIX: &str = "keystorecontent";
    [
        "secret",
        "password",
        "passwd",
        "passphrase",
        "privatekey",
        "private_key",
        "apikey",
        "api_key",
        "mysapsso",
        "accesstoken",
        "access_token",
        "refreshtoken",
        "refresh_token",
        "authorization",
        "cookie",
        ".headers.",
        ".queries.",
        ".body.",
    ]
    .iter()
    .any(|needle| key.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes())))
        || key.len() >= SUFFIX.len() && key.as_bytes()[key.len() - SUFFIX.len()..].eq_ignore_ascii_case(SUFFIX.as_bytes())
        || key.eq_ignore_ascii_case("key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret".into());
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{:?}", Some(s)), format!("Some({REDACTED})"));
    }

    #[test]
    fn matching_is_exact() {
        let a = Secret::new("abc".into());
        assert!(a.matches(&Secret::new("abc".into())));
        assert!(!a.matches(&Secret::new("abd".into())));
        assert!(!a.matches(&Secret::new("abc ".into())));
        assert!(!a.matches(&Secret::new("ab".into())));
        assert!(a.matches_trimmed(&Secret::new(" abc\t".into())));
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]), "000fa5ff10");
        assert_eq!(unhex(&hex(b"salt\x00\xfe")).as_deref(), Some(&b"salt\x00\xfe"[..]));
        // RFC 4231, test case 2: the digest a snapshot stores is the standard HMAC-SHA256.
        assert_eq!(hmac_hex(b"Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn digests_compare_with_plain_secrets_only_by_value() {
        let salt = b"0123456789abcdef";
        let plain = Secret::new("s3cret ".into());
        let from_snapshot = Secret::from_digest(plain.digest(salt));
        assert!(from_snapshot.matches_trimmed(&Secret::new("s3cret".into())));
        assert!(Secret::new("s3cret".into()).matches_trimmed(&from_snapshot));
        assert!(!from_snapshot.matches_trimmed(&Secret::new("s3cre".into())));
        assert!(from_snapshot.has_surrounding_whitespace());
        assert_eq!(from_snapshot.char_count(), 7);
        assert_eq!(format!("{from_snapshot:?}"), REDACTED);
        // A snapshot of a snapshot keeps the digest (with its salt), and never contains the secret.
        assert_eq!(from_snapshot.digest(b"another salt"), plain.digest(salt));
        assert!(!serde_json::to_string(&plain.digest(salt)).unwrap().contains("s3cret"));
    }

    #[test]
    fn names_are_not_credentials_and_random_values_are() {
        for name in [
            "sap-btp-sapui5",
            "sap-btp-sapui5_repo_host",
            "sap-btp-sapui5_uaa",
            "cap-bookshop-srv-api2",
            "CALM_EM_PROD_2024",
            "EntitlementManagement",
            "my-html5-app-router-v2",
            "S4HANA-2023-FPS01",
            "myServiceInstanceName2",
            "CapBookshopSrvApi2Prod",
            "com.sap.calm.destination",
            "https://x.eu10.alm.cloud.sap/api2v1",
            "abc123",
        ] {
            assert!(!looks_like_credential(name), "{name}");
        }
        for secret in [
            // A Cloud ALM key's client secret: a UUID, `$` and base64.
            "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f$Xk9pQ2vR7tY4wZ8mN3bL6cF1hJ5gD0sA=",
            // 40 and 64 hexadecimal digits.
            "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            // A JWT.
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "Xk9pQ2vR7tY4wZ8mN3bL",
            "ghp_1a2B3c4D5e6F7g8H9i0J",
        ] {
            assert!(looks_like_credential(secret), "{secret}");
        }
    }

    #[test]
    fn documented_properties_are_never_guessed_secret() {
        for key in [
            "sap.cloud.service",
            "ServiceInstanceName",
            "ServiceKeyName",
            "HTML5.PreserveHostHeader",
            "WebIDEAdditionalData",
            "sap.applicationdevelopment.actions.enabled",
        ] {
            assert!(is_documented_not_secret(key), "{key}");
        }
        for key in ["HTML5.headers.Authorization", "WebIDEPassword", "clientSecret", "sap.cloud.servicePassword"] {
            assert!(!is_documented_not_secret(key), "{key}");
        }
    }

    #[test]
    fn a_value_holding_a_secret_of_any_length_is_found() {
        let h = Holder::new(["k3y!s", "a-much-longer-client-secret", "é€x"].into_iter());
        for (text, holds) in [
            ("k3y!s", true),
            ("client-id k3y!s", true),
            ("client-idk3y!s-more", true),
            ("k3y!", false),
            ("sb-client!t123a-much-longer-client-secret", true),
            ("a-much-longer-client-secre", false),
            ("xx é€x", true),
            ("é€", false),
            ("", false),
        ] {
            assert_eq!(h.holds(text.as_bytes(), 1), holds, "{text:?}");
        }
        assert!(!Holder::new(std::iter::empty()).holds(b"anything", 1));
        assert!(!h.holds(b"client-id k3y!s", 6));
        assert!(h.holds(b"id a-much-longer-client-secret", 6));
    }

    #[test]
    fn a_message_never_quotes_a_value_holding_a_secret_or_a_piece_of_one() {
        remember_secret("Kq2");
        remember_secret("Pw7Hq2Kz9Lm#Xc4Vb8");
        remember_secret("Ky7aB3cD9eF1gH");
        for (message, shown) in [
            ("URL \"https://acme.eu10.alm.cloud.sap/Kq2/\" ends with /", "URL a value that contains a secret (not shown) ends with /"),
            ("URL \"https://h/Pw7Hq2Kz9Lm#***\" is odd", "URL a value that contains a secret (not shown) is odd"),
            ("clientId is \"Ky7aB3c D9eF1gH\"", "clientId is a value that contains a secret (not shown)"),
            ("clientId is \"Ky7aB3cD9e\"", "clientId is a value that contains a secret (not shown)"),
            ("clientId is \"K\u{200b}y7a\u{200b}B3c\u{200b}D9\"", "clientId is a value that contains a secret (not shown)"),
            ("points to acme.Kq2.alm.cloud.sap and more", "points to a value that contains a secret (not shown) and more"),
            ("unclosed \"Kq2 and the rest", "unclosed a value that contains a secret (not shown)"),
            ("destination CALM_kq2x and zq", "destination a value that contains a secret (not shown) and zq"),
        ] {
            assert_eq!(conceal_in_message(message), shown, "{message}");
        }
        // Ordinary text and values without a secret are left as they are, quotes included.
        for message in ["URL \"https://acme.eu10.alm.cloud.sap/\" ends with /", "no quotes at all", "a \"b\" c \"d", "Kq is a word"] {
            assert_eq!(conceal_in_message(message), message);
        }
    }

    #[test]
    fn secret_keys_are_recognised() {
        for k in ["clientSecret", "Password", "tokenServicePassword", "tokenService.KeyStorePassword", "tokenService.body.client_secret"] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["URL.headers.Authorization", "tokenServiceURL.queries.token", "tokenService.body.resource"] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "jco.client.passwd",
            "jco.destination.repository.passwd",
            "mysapsso2",
            "refreshToken",
            "accessToken",
            "URL.headers.Authorization",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["clientId", "URL", "tokenServiceURL", "tokenServiceURLType", "Name", "tokenService.KeyStoreLocation"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }
}
