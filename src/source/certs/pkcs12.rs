//! PKCS#12 keystores (`.p12`, `.pfx`), opened in memory with `p12-keystore`.
//!
//! Before the crate derives a single key, a bounded walk over the DER reads every work factor in
//! the file that is not encrypted: the MAC's iteration count and those of each encrypted part
//! (PBES1 and PBKDF2 parameters alike are a salt followed by an iteration count). A count above
//! [`MAX_ITERATIONS`], or counts that add up to more than [`MAX_TOTAL_ITERATIONS`], are refused
//! with the number, rather than spun on; so is nesting deeper than [`MAX_DEPTH`]. What an
//! encrypted part hides is bounded by the crate's own limit per derivation, and the whole opening
//! by [`DEADLINE`].

use std::time::Duration;

use p12_keystore::Pkcs12Archive;
use p12_keystore::error::Error as P12Error;

use super::MAX_CERTIFICATES;
use super::x509::{info, too_many};
use crate::model::certificate::{Contents, Problem};

/// The most iterations one key derivation may ask for: OpenSSL writes 2048, Java 10,000 (both
/// for the MAC and each encrypted part); `p12-keystore` refuses above the same number.
pub const MAX_ITERATIONS: u64 = 1_000_000;
/// The most all visible derivations may ask for together.
pub const MAX_TOTAL_ITERATIONS: u64 = 4_000_000;
/// Deepest nesting of DER structures walked (a PKCS#12 file is eight or nine levels deep).
pub const MAX_DEPTH: usize = 32;
/// Most DER elements walked.
const MAX_ELEMENTS: usize = 200_000;
/// Longest an opening may take; a keystore still being opened after it is refused.
pub const DEADLINE: Duration = Duration::from_secs(20);

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;

/// One DER element: its tag byte and content. `None`: not well-formed.
fn element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    // High tag numbers (0x1f) do not occur in PKCS#12.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The elements of a constructed value, or `None` when they do not fill it exactly.
fn children(mut content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tag, value, rest) = element(content)?;
        out.push((tag, value));
        content = rest;
    }
    Some(out)
}

/// An INTEGER's value; a negative or longer than 64-bit one is `u64::MAX` (refused as too large).
fn integer(value: &[u8]) -> u64 {
    let value = match value {
        [0, rest @ ..] => rest,
        [b, ..] if b & 0x80 != 0 => return u64::MAX,
        v => v,
    };
    if value.len() > 8 {
        return u64::MAX;
    }
    value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

struct Walk {
    elements: usize,
    total: u64,
}

impl Walk {
    /// Walks the elements of `content`; an OCTET STRING that holds exactly one DER element is
    /// walked into (the unencrypted parts of a PKCS#12 file are wrapped so).
    fn constructed(&mut self, content: &[u8], depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("its structures nest deeper than {MAX_DEPTH} levels: refused"));
        }
        let Some(items) = children(content) else { return Ok(()) };
        for (i, (tag, value)) in items.iter().enumerate() {
            self.elements += 1;
            if self.elements > MAX_ELEMENTS {
                return Err(format!("more than {MAX_ELEMENTS} ASN.1 elements: refused"));
            }
            // A salt followed by a count: the iteration count of a key derivation.
            if *tag == OCTET_STRING && items.get(i + 1).is_some_and(|(t, _)| *t == INTEGER) {
                let count = integer(items[i + 1].1);
                if count > MAX_ITERATIONS {
                    let shown = if count == u64::MAX { "beyond 64 bits".to_owned() } else { count.to_string() };
                    return Err(format!(
                        "an iteration count of {shown}, above the {MAX_ITERATIONS} calm-audit allows: refused, as deriving its key would take too long"
                    ));
                }
                self.total = self.total.saturating_add(count);
                if self.total > MAX_TOTAL_ITERATIONS {
                    return Err(format!("iteration counts that add up to more than {MAX_TOTAL_ITERATIONS}: refused"));
                }
            }
            let wraps_der = *tag == OCTET_STRING && element(value).is_some_and(|(t, _, rest)| rest.is_empty() && t & 0x20 != 0);
            if tag & 0x20 != 0 || wraps_der {
                self.constructed(value, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// The bounds checked before the file is opened.
pub fn precheck(bytes: &[u8]) -> Result<(), String> {
    if let Some((0x30, declared, start)) = header(bytes)
        && start.saturating_add(declared) > bytes.len()
    {
        return Err(format!("truncated: its structure declares {} bytes, the file has {}", start.saturating_add(declared), bytes.len()));
    }
    let Some((0x30, content, rest)) = element(bytes) else {
        return Err("not a PKCS#12 file (no DER sequence at the start)".into());
    };
    if !rest.is_empty() {
        return Err(format!("{} byte(s) after the PKCS#12 structure", rest.len()));
    }
    Walk { elements: 0, total: 0 }.constructed(content, 1)
}

/// The tag and the length a DER element declares, and where its content starts; `None` when
/// the header itself is cut short or malformed.
fn header(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if first < 0x80 {
        return Some((tag, usize::from(first), 2));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 || rest.len() < n {
        return None;
    }
    Some((tag, rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), 2 + n))
}

/// Whether the file starts like a PKCS#12 PFX: a sequence whose first element is the version
/// (a certificate starts with a sequence in a sequence). Judged on the first bytes alone, so a
/// truncated keystore is still recognised, and refused as truncated.
pub fn looks_like(bytes: &[u8]) -> bool {
    matches!(header(bytes), Some((0x30, _, start)) if bytes.get(start) == Some(&INTEGER))
}

/// Opens the keystore with `password` (`""` for none). `Ok` with a problem when the password does
/// not open it; `Err` when it cannot be read at all.
pub fn open(bytes: &[u8], password: &str) -> Result<Result<Contents, Problem>, String> {
    precheck(bytes)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let data = bytes.to_vec();
    let secret = password.to_owned();
    let worker = std::thread::Builder::new().name("pkcs12".into()).spawn(move || {
        let _ = tx.send(Pkcs12Archive::from_pkcs12(&data, &secret));
    });
    let decoded = match worker {
        Ok(_) => match rx.recv_timeout(DEADLINE) {
            Ok(decoded) => decoded,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("opening it took longer than {} s: refused", DEADLINE.as_secs()));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Err("opening it stopped unexpectedly".into()),
        },
        // No thread to be had: opened here, bounded by the checks above.
        Err(_) => Pkcs12Archive::from_pkcs12(bytes, password),
    };
    let archive = match decoded {
        Ok(archive) => archive,
        Err(P12Error::MacError(_)) => return Ok(Err(Problem::WrongPassword)),
        // Without a MAC, a wrong password shows as padding that does not check out.
        Err(P12Error::UnpadError) => return Ok(Err(Problem::WrongPassword)),
        Err(P12Error::Pkcs5Error(e)) if e.contains("decrypt") || e.contains("pad") => return Ok(Err(Problem::WrongPassword)),
        Err(P12Error::InvalidParameters) => return Err("parameters beyond the bounds calm-audit or p12-keystore allow: refused".into()),
        Err(P12Error::UnsupportedEncryptionScheme) => return Err("encrypted with a scheme that is not supported".into()),
        Err(P12Error::UnsupportedMacAlgorithm) => return Err("its MAC algorithm is not supported".into()),
        Err(e) => return Err(format!("not a readable PKCS#12 file ({e})")),
    };
    if archive.certs.len() > MAX_CERTIFICATES {
        return Err(too_many());
    }
    let certificates = archive.certs.iter().map(|bag| info(bag.cert.as_der())).collect::<Result<Vec<_>, _>>()?;
    Ok(Ok(Contents { certificates, private_key: !archive.keys.is_empty() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DER of a sequence holding `items` (short lengths only, enough for the tests).
    fn seq(items: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = items.concat();
        let mut out = vec![0x30];
        push_len(&mut out, body.len());
        out.extend(body);
        out
    }

    fn push_len(out: &mut Vec<u8>, len: usize) {
        if len < 0x80 {
            out.push(u8::try_from(len).unwrap());
        } else {
            let bytes = u32::try_from(len).unwrap().to_be_bytes();
            out.push(0x84);
            out.extend(bytes);
        }
    }

    fn int(v: u64) -> Vec<u8> {
        let mut bytes: Vec<u8> = v.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        if bytes.first().is_none_or(|b| b & 0x80 != 0) {
            bytes.insert(0, 0);
        }
        let mut out = vec![INTEGER, u8::try_from(bytes.len()).unwrap()];
        out.extend(bytes);
        out
    }

    fn octets(v: &[u8]) -> Vec<u8> {
        let mut out = vec![OCTET_STRING];
        push_len(&mut out, v.len());
        out.extend_from_slice(v);
        out
    }

    #[test]
    fn a_billion_iterations_are_refused_before_any_derivation() {
        let mac = |n| seq(&[int(3), seq(&[]), seq(&[seq(&[]), octets(b"saltsalt"), int(n)])]);
        assert!(precheck(&mac(2048)).is_ok());
        let e = precheck(&mac(1_000_000_000)).unwrap_err();
        assert!(e.contains("1000000000") && e.contains("refused"), "{e}");
        assert!(
            precheck(&seq(&[int(3), seq(&[octets(b"s"), vec![INTEGER, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0]])]))
                .unwrap_err()
                .contains("beyond 64 bits")
        );
        // Inside an OCTET STRING that wraps DER, as PKCS#12 wraps its unencrypted parts.
        let wrapped = seq(&[int(3), octets(&seq(&[octets(b"salt"), int(5_000_000)]))]);
        assert!(precheck(&wrapped).unwrap_err().contains("5000000"));
        // Many moderate counts add up.
        let many: Vec<Vec<u8>> = (0..5).map(|_| seq(&[octets(b"salt"), int(900_000)])).collect();
        let mut items = vec![int(3)];
        items.extend(many);
        assert!(precheck(&seq(&items)).unwrap_err().contains("add up"));
    }

    #[test]
    fn deep_nesting_is_refused_and_garbage_is_an_error() {
        let mut deep = int(3);
        for _ in 0..(MAX_DEPTH + 5) {
            deep = seq(&[deep]);
        }
        assert!(precheck(&deep).unwrap_err().contains("nest deeper"));
        for bad in [&b""[..], b"\x30", b"\x30\x84\xff\xff\xff\xff", b"\x02\x01\x03", b"\x30\x00trailing"] {
            assert!(precheck(bad).is_err(), "{bad:?}");
            assert!(open(bad, "x").is_err(), "{bad:?}");
        }
    }
}
