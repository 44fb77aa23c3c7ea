//! Certificates and keystores (SPEC §3b): files given or walked (`.pem`, `.crt`, `.cer`, `.der`,
//! `.p12`, `.pfx`, `.jks`, also inside zip archives), the Destination Service's certificate lists,
//! Terraform's `btp_subaccount_destination_certificate`, and the certificates of X.509 service
//! keys. A keystore is kept in memory, opened there with the password of each destination that
//! names it, and only what opening it gave leaves this module: names, serials, fingerprints,
//! dates, whether a private key is there. Never its content, a key or a password.
//!
//! Hostile input is bounded: at most [`MAX_KEYSTORE_BYTES`] and [`MAX_CERTIFICATES`] certificates
//! a keystore, every PKCS#12 key derivation's parameters and nesting checked before anything is
//! derived ([`pkcs12`], [`pbe`]) and its work charged to the run's budget ([`kdf`]), every JKS
//! length checked against what is left ([`jks`]). A keystore refused by a bound is a failed
//! source of the run ([`open_for`]).

pub mod der;
pub mod jks;
pub mod kdf;
pub mod pbe;
pub mod pkcs12;
pub mod x509;

use std::path::Path;

use sha2::{Digest, Sha256};

use self::kdf::{Budget, Refused};
use crate::model::certificate::{Content, Contents, Format, Held, KeyCertificate, Keystore, Opened, Password, Problem, keystore_property};
use crate::model::{Destination, Level, SourceFailure};

/// The largest keystore read: real ones are a few kilobytes; a chain of a thousand certificates
/// fits.
pub const MAX_KEYSTORE_BYTES: usize = 4 * 1024 * 1024;
/// The most certificates one keystore may hold.
pub const MAX_CERTIFICATES: usize = 1000;

/// The file extensions the Destination Service accepts for certificates and keystores.
pub const EXTENSIONS: [&str; 7] = ["pem", "crt", "cer", "der", "p12", "pfx", "jks"];

/// Whether a file name is a certificate or keystore file by its extension.
pub fn is_certificate_file(name: &str) -> bool {
    Path::new(name).extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The format of a keystore's content (never its extension, which tools do not keep to: keytool
/// writes PKCS#12 into `.jks` files by default since Java 9).
pub fn format_of(bytes: &[u8]) -> Format {
    if jks::is_jks(bytes) {
        Format::Jks
    } else if pkcs12::looks_like(bytes) {
        Format::Pkcs12
    } else if bytes.first() == Some(&0x30) {
        Format::Der
    } else if memchr::memmem::find(bytes, b"-----BEGIN ").is_some() {
        Format::Pem
    } else {
        Format::Unknown
    }
}

/// The last part of a display path: the name the Destination Service knows a file by.
pub fn file_name(shown: &str) -> &str {
    shown.rsplit(['/', '\\']).next().unwrap_or(shown)
}

/// A keystore file's bytes as read from `path` (a file, an archive entry, a pseudo path). A
/// private key in it is remembered as a secret of the run ([`remember_private_keys`]) as it is
/// read, whether or not a destination names the keystore.
pub fn keystore(name: &str, bytes: Vec<u8>, path: &str, line: u32, held: Held, level: Option<Level>) -> Keystore {
    remember_private_keys(&bytes);
    Keystore {
        name: name.to_owned(),
        level,
        path: path.to_owned(),
        line,
        held,
        format: format_of(&bytes),
        content: Content::Bytes(bytes),
        opened: Vec::new(),
    }
}

/// What the keystore gives with `password`; a format that needs none ignores it. A keystore a
/// bound refuses is unreadable, with the bound named (as one opening, within its own budget).
pub fn open(bytes: &[u8], password: &Password) -> Opened {
    open_within(bytes, password, &mut Budget::default()).unwrap_or_else(|refused| Opened::unreadable(refused.0))
}

/// [`open`] within the run's `budget`; `Err` names the bound that refused it.
pub fn open_within(bytes: &[u8], password: &Password, budget: &mut Budget) -> Result<Opened, Refused> {
    if bytes.len() > MAX_KEYSTORE_BYTES {
        return Err(Refused(format!("{} bytes, larger than the {MAX_KEYSTORE_BYTES} bytes a keystore may have: refused", bytes.len())));
    }
    let given = match password {
        Password::Given(s) => s.expose_for_keystore(),
        _ => None,
    };
    let missing = || match password {
        Password::Removed => Problem::PasswordRemoved,
        Password::Unresolved(e) => Problem::PasswordAtDeployment { expression: e.clone() },
        Password::Absent => Problem::NoPassword,
        // A password known only by its digest (a snapshot) cannot open anything.
        Password::Given(_) => Problem::Unreadable { reason: "its password is known here only by its digest".into() },
    };
    // The bound on certificates stops the reading: a failed source too, not just unreadable.
    let bound = |reason: String| if reason == x509::too_many() { Err(Refused(reason)) } else { Ok(Opened::unreadable(reason)) };
    Ok(match format_of(bytes) {
        Format::Pem => x509::pem(bytes).map_or_else(bound, |c| Ok(Opened::read(c)))?,
        Format::Der => x509::der_chain(bytes).map_or_else(bound, |c| Ok(Opened::read(c)))?,
        Format::Jks => match jks::read(bytes, given) {
            Err(reason) => bound(reason)?,
            Ok((contents, problem)) => {
                let problem = problem.or_else(|| given.is_none().then(missing));
                Opened { contents: Some(contents), problem }
            }
        },
        Format::Pkcs12 => {
            // A keystore written without a password opens with an empty one, whatever the destination says.
            let opened = pkcs12::open(bytes, given.unwrap_or(""), budget)?;
            match opened.problem {
                Some(Problem::WrongPassword) if given.is_none() => Opened::failed(missing()),
                _ => opened,
            }
        }
        Format::Unknown => Opened::unreadable("not a certificate or keystore: no PEM block, DER, PKCS#12 or JKS structure"),
    })
}

/// Opens every keystore an in-scope destination names, once per password those destinations
/// give, where the Destination Service would find it (SPEC §3b). Keystores nobody names stay
/// closed: they are counted, not judged. Keystores of the same content are opened once per
/// password, however many files or levels hold them, and all openings share the run's key
/// derivation budget. A keystore a bound refused is a failed source, named once.
///
/// The budget is the process's: one run, all its targets together (they are audited on
/// threads of their own, and open their keystores one after another here).
#[must_use = "a keystore a bound refused is a failed source of the run: report it"]
pub fn open_for(keystores: &mut [Keystore], destinations: &[&Destination]) -> Vec<SourceFailure> {
    static RUN: std::sync::Mutex<Option<Budget>> = std::sync::Mutex::new(None);
    let mut run = RUN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    open_within_budget(keystores, destinations, run.get_or_insert_with(Budget::default))
}

/// What opening a keystore's content with one password gave, or the bound that refused it.
type Outcome = (Password, Result<Opened, Refused>);

/// [`open_for`] within `budget` (tests force it low).
#[must_use = "a keystore a bound refused is a failed source of the run: report it"]
pub fn open_within_budget(keystores: &mut [Keystore], destinations: &[&Destination], budget: &mut Budget) -> Vec<SourceFailure> {
    let index = crate::model::certificate::Index::new(keystores);
    let mut failures: Vec<SourceFailure> = Vec::new();
    // By content: what opening it with each password gave, and the bound that refused it.
    let mut seen: std::collections::HashMap<[u8; 32], Vec<Outcome>> = std::collections::HashMap::new();
    for d in destinations {
        let Some((location, password_key)) = keystore_property(d) else { continue };
        let Some(name) = d.text(location) else { continue };
        let Some((at, _)) = index.find(keystores, name.trim(), d.origin.level, &d.origin.path) else { continue };
        let password = Password::of(d, password_key);
        let k = &mut keystores[at];
        if k.opened_with(&password).is_some() {
            continue;
        }
        let opened = match &k.content {
            Content::Bytes(bytes) => {
                let digest: [u8; 32] = Sha256::digest(bytes).into();
                let earlier = seen.get(&digest).and_then(|v| v.iter().find(|(p, _)| p.same_as(&password))).map(|(_, o)| o.clone());
                let outcome = earlier.unwrap_or_else(|| {
                    let outcome = open_within(bytes, &password, budget);
                    seen.entry(digest).or_default().push((password.clone(), outcome.clone()));
                    outcome
                });
                outcome.unwrap_or_else(|refused| {
                    let source = if k.line > 1 { format!("{}:{}", k.path, k.line) } else { k.path.clone() };
                    let message = format!("keystore {}: {refused}", k.name);
                    if !failures.iter().any(|f| f.source == source && f.message == message) {
                        failures.push(SourceFailure { source, message });
                    }
                    Opened::unreadable(refused.0)
                })
            }
            Content::Unresolved(e) => Opened::failed(Problem::ContentAtDeployment { expression: e.clone() }),
            Content::Missing(why) => Opened::unreadable(why.clone()),
            Content::Metadata => Opened::unreadable("the snapshot keeps no reading of it with this destination's password"),
        };
        k.opened.push((password, opened));
    }
    failures
}

/// Every PEM private key block in `bytes` (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`,
/// `ENCRYPTED PRIVATE KEY`, any label that ends so, also written on one line with `\n` escapes)
/// is remembered as a secret of the run: the block, its base64 body without line breaks, and each
/// of its base64 lines, so that the masker masks a line of the key pasted anywhere and a snapshot
/// digests a property that holds one. A block without its END line is a key to the end of the text.
/// Found by its markers, not by a parser: a block a parser refuses is a key all the same.
pub fn remember_private_keys(bytes: &[u8]) {
    use crate::model::secret::{MASK_MIN_CHARS, remember_secret};
    if memchr::memmem::find(bytes, b"PRIVATE KEY-----").is_none() {
        return;
    }
    let raw = String::from_utf8_lossy(bytes);
    let text = if !raw.contains('\n') && raw.contains("\\n") { raw.replace("\\n", "\n") } else { raw.into_owned() };
    let base64_line = |line: &str| line.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    let mut rest = text.as_str();
    while let Some(begin) = rest.find("-----BEGIN ") {
        let label_start = begin + "-----BEGIN ".len();
        let Some(label_len) = rest[label_start..].find("-----") else { break };
        let label = &rest[label_start..label_start + label_len];
        let body_start = label_start + label_len + "-----".len();
        if !x509::is_private_key(label) {
            rest = &rest[body_start..];
            continue;
        }
        let end_marker = format!("-----END {label}-----");
        let (body_end, block_end) = match rest[body_start..].find(&end_marker) {
            Some(i) => (body_start + i, body_start + i + end_marker.len()),
            None => (rest.len(), rest.len()),
        };
        remember_secret(&rest[begin..block_end]);
        let body = &rest[body_start..body_end];
        let compact: String = body.lines().map(str::trim).filter(|l| base64_line(l)).collect();
        if compact.len() >= MASK_MIN_CHARS {
            remember_secret(&compact);
        }
        for line in body.lines().map(str::trim).filter(|l| l.len() >= MASK_MIN_CHARS && base64_line(l)) {
            remember_secret(line);
        }
        rest = &rest[block_end..];
    }
}

/// The certificate of an X.509 service key (PEM, perhaps with `\n` escapes), for its dates.
pub fn key_certificate(pem: &str, path: &str, line: u32, field: &str) -> KeyCertificate {
    remember_private_keys(pem.as_bytes());
    let opened = if pem.len() > MAX_KEYSTORE_BYTES {
        Opened::unreadable("larger than a certificate may be: refused")
    } else {
        match x509::pem(pem.as_bytes()) {
            Ok(c) if c.certificates.is_empty() => Opened::unreadable("no certificate in it"),
            Ok(c) => Opened::read(Contents { certificates: c.certificates, private_key: false }),
            Err(reason) => Opened::unreadable(reason),
        }
    };
    KeyCertificate { path: path.to_owned(), line, field: field.to_owned(), opened }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::secret::{holds_remembered, is_remembered};

    /// Each kind of private key block is remembered, its lines and its body too, also without its
    /// END line; a certificate's lines are not (they are public).
    #[test]
    fn private_key_blocks_are_remembered_line_by_line() {
        let cert = "-----BEGIN CERTIFICATE-----\nQ2VydExpbmVOb3RTZWNyZXQx\n-----END CERTIFICATE-----\n";
        for (i, label) in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"].iter().enumerate() {
            let (one, two) = (format!("S2V5TGluZU9uZQ{i}xAbCdEf"), format!("S2V5TGluZVR3bw{i}yGhIjKl+/="));
            let pem = format!("{cert}-----BEGIN {label}-----\n{one}\n{two}\n-----END {label}-----\n");
            remember_private_keys(pem.as_bytes());
            assert!(is_remembered(&one) && is_remembered(&two), "{label}");
            assert!(holds_remembered(&format!("pasted {one}{two} here")), "{label}: the body without line breaks");
        }
        assert!(!is_remembered("Q2VydExpbmVOb3RTZWNyZXQx"), "a certificate's line is public");
        let unterminated = "-----BEGIN PRIVATE KEY-----\\nTm9FbmRMaW5lS2V5WHl6MTIz\\n";
        remember_private_keys(unterminated.as_bytes());
        assert!(is_remembered("Tm9FbmRMaW5lS2V5WHl6MTIz"), "an escaped block without its END line is a key to the end");
    }
}
