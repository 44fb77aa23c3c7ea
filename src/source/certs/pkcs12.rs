//! PKCS#12 keystores (`.p12`, `.pfx`), opened in memory with `p12-keystore`.
//!
//! Before the crate derives a single key, a bounded walk over the DER reads the parameters of
//! every key derivation opening the file asks for ([`pbe`](super::pbe), [`kdf`](super::kdf)): the
//! MAC's iteration count, each encrypted part's PBKDF2 iterations or scrypt `N`, `r`, `p` and
//! memory, and the legacy ciphers' counts. One past its bound is refused with the numbers, before
//! anything runs. An encrypted part of the file (`EncryptedData`, where OpenSSL and Java put the
//! certificates) may hide more derivations (a shrouded key inside): it is decrypted here first,
//! its own derivation charged, and what it holds walked the same way. Only then, with the whole
//! cost known and charged to the run's [`Budget`], does the crate open the file, on this thread.

use p12_keystore::Pkcs12Archive;
use p12_keystore::error::Error as P12Error;

use super::MAX_CERTIFICATES;
use super::der::{Tlv, children, element, header, integer};
use super::kdf::{Budget, Derivation, MAX_KEYSTORE_WORK, Refused};
use super::pbe::Scheme;
use super::x509::{info, too_many};
use crate::model::certificate::{Contents, Opened, Problem};

pub use super::kdf::MAX_ITERATIONS;
/// Deepest nesting of DER structures walked (a PKCS#12 file is eight or nine levels deep).
pub const MAX_DEPTH: usize = 32;
/// Most DER elements walked.
const MAX_ELEMENTS: usize = 200_000;

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const SEQUENCE: u8 = 0x30;
/// `[0] IMPLICIT OCTET STRING`: the encrypted content of an `EncryptedContentInfo`.
const ENCRYPTED_CONTENT: u8 = 0x80;

/// What opening a PKCS#12 file will cost, as far as it shows without the password.
#[derive(Debug, Default)]
pub struct Scan<'a> {
    elements: usize,
    /// The work of the derivations in the clear.
    pub work: u64,
    /// The encrypted parts (their scheme and ciphertext), which may hide more.
    hidden: Vec<(Scheme<'a>, &'a [u8])>,
}

impl<'a> Scan<'a> {
    fn add(&mut self, derivation: Derivation) -> Result<(), Refused> {
        self.work = self.work.saturating_add(derivation.work()?);
        if self.work > MAX_KEYSTORE_WORK {
            return Err(too_much());
        }
        Ok(())
    }

    /// Walks the elements of `content`; an OCTET STRING that holds exactly one DER element is
    /// walked into (the unencrypted parts of a PKCS#12 file are wrapped so). `outer`: encrypted
    /// parts are noted (inside one, `p12-keystore` decrypts none).
    fn constructed(&mut self, content: &'a [u8], depth: usize, outer: bool) -> Result<(), Refused> {
        if depth > MAX_DEPTH {
            return Err(Refused(format!("its structures nest deeper than {MAX_DEPTH} levels: refused")));
        }
        // Content that is not a run of elements hides no derivation: the elements here are
        // read as leniently as any DER reader reads them (every tag, every definite length), so
        // what fails here fails in p12-keystore too, which then derives nothing from it. Its
        // siblings are walked all the same.
        let Some(items) = children(content) else { return Ok(()) };
        for (i, item) in items.iter().enumerate() {
            self.elements += 1;
            if self.elements > MAX_ELEMENTS {
                return Err(Refused(format!("more than {MAX_ELEMENTS} ASN.1 elements: refused")));
            }
            if item.tag == SEQUENCE
                && let Some(scheme) = children(item.content).and_then(|c| Scheme::of(&c))
            {
                // An algorithm identifier of password-based encryption: its derivation is
                // counted, and its parameters are not walked as anything else.
                let derivation = scheme.derivation().ok_or_else(|| {
                    Refused(
                        "PBES2 parameters whose key derivation calm-audit cannot read (neither PBKDF2 nor scrypt): refused, not derived"
                            .into(),
                    )
                })?;
                self.add(derivation)?;
                if let Some(next) = items.get(i + 1).filter(|n| n.tag == ENCRYPTED_CONTENT)
                    && outer
                {
                    self.hidden.push((scheme, next.content));
                }
                continue;
            }
            // The PFX's third element, `MacData { DigestInfo, salt, iterations DEFAULT 1 }`: the
            // MAC's key derivation, the only one not named by an algorithm identifier.
            if depth == 1
                && i == 2
                && item.tag == SEQUENCE
                && let Some(mac) = children(item.content)
                && let [digest, salt, rest @ ..] = mac.as_slice()
                && digest.tag == SEQUENCE
                && salt.tag == OCTET_STRING
            {
                let iterations = rest.first().filter(|n| n.tag == INTEGER).map_or(1, |n| integer(n.content));
                self.add(Derivation::Pkcs12 { iterations, blocks: 1 })?;
            }
            // An OCTET STRING, or an implicitly tagged one, holding exactly one constructed
            // element: DER wrapped, walked too.
            let primitive_string = item.tag == OCTET_STRING || (0x80..0x9f).contains(&item.tag);
            let wraps_der = primitive_string && element(item.content).is_some_and(|(t, rest)| rest.is_empty() && t.tag & 0x20 != 0);
            if item.tag & 0x20 != 0 || wraps_der {
                self.constructed(item.content, depth + 1, outer)?;
            }
        }
        Ok(())
    }
}

fn too_much() -> Refused {
    Refused(format!(
        "key derivations that add up to more than the {MAX_KEYSTORE_WORK} units of work calm-audit allows for one keystore: refused before deriving"
    ))
}

/// Why a file is not read: a bound (a failed source), or it is not a readable PKCS#12 file.
#[derive(Debug, PartialEq, Eq)]
pub enum Unread {
    Bound(Refused),
    Malformed(String),
}

impl From<Refused> for Unread {
    fn from(r: Refused) -> Self {
        Unread::Bound(r)
    }
}

/// The bounds checked before the file is opened, with what opening it will cost.
pub fn scan(bytes: &[u8]) -> Result<Scan<'_>, Unread> {
    if let Some((SEQUENCE, declared, start)) = header(bytes)
        && start.saturating_add(declared) > bytes.len()
    {
        return Err(Unread::Malformed(format!(
            "truncated: its structure declares {} bytes, the file has {}",
            start.saturating_add(declared),
            bytes.len()
        )));
    }
    let Some((Tlv { tag: SEQUENCE, content, .. }, rest)) = element(bytes) else {
        return Err(Unread::Malformed("not a PKCS#12 file (no DER sequence at the start)".into()));
    };
    if !rest.is_empty() {
        return Err(Unread::Malformed(format!("{} byte(s) after the PKCS#12 structure", rest.len())));
    }
    let mut scan = Scan::default();
    scan.constructed(content, 1, true)?;
    Ok(scan)
}

/// [`scan`], for callers that only want to know whether the file is within the bounds.
pub fn precheck(bytes: &[u8]) -> Result<(), String> {
    scan(bytes).map(|_| ()).map_err(|e| match e {
        Unread::Bound(r) => r.0,
        Unread::Malformed(m) => m,
    })
}

/// Whether the file starts like a PKCS#12 PFX: a sequence whose first element is the version
/// (a certificate starts with a sequence in a sequence). Judged on the first bytes alone, so a
/// truncated keystore is still recognised, and refused as truncated.
pub fn looks_like(bytes: &[u8]) -> bool {
    matches!(header(bytes), Some((SEQUENCE, _, start)) if bytes.get(start) == Some(&INTEGER))
}

/// Opens the keystore with `password` (`""` for none), within `budget`: what it holds, why
/// the password does not open it, or why it cannot be read; `Err` when a bound refused it.
pub fn open(bytes: &[u8], password: &str, budget: &mut Budget) -> Result<Opened, Refused> {
    let mut scan = match scan(bytes) {
        Ok(scan) => scan,
        Err(Unread::Bound(r)) => return Err(r),
        Err(Unread::Malformed(m)) => return Ok(Opened::unreadable(m)),
    };
    // What the encrypted parts hide: each decrypted here (its key derived once more than the
    // crate derives it) and walked, all of it counted against the keystore's bound first.
    let (mut elements, mut inside, mut again) = (scan.elements, 0u64, 0u64);
    let within = |work: u64| if work > MAX_KEYSTORE_WORK { Err(too_much()) } else { Ok(()) };
    for (scheme, data) in std::mem::take(&mut scan.hidden) {
        let work = scheme.derivation().map_or(Ok(0), Derivation::work)?;
        again = again.saturating_add(work);
        within(scan.work.saturating_add(again).saturating_add(inside))?;
        budget.charge(work)?;
        // A part that does not decrypt here does not decrypt in the crate either (the same
        // primitives): were it to reach it, it stops there, with nothing behind it derived, and
        // says why as it always has (its MAC, checked first, names a wrong password). The next
        // parts are still looked into: something shaped like a part that the crate never
        // decrypts must not hide one that it does.
        let Ok(plain) = budget.timed(|| scheme.decrypt(data, password)) else { continue };
        let mut part = Scan { elements, ..Scan::default() };
        part.constructed(&plain, 1, false)?;
        elements = part.elements;
        inside = inside.saturating_add(part.work);
        within(scan.work.saturating_add(again).saturating_add(inside))?;
    }
    // What the crate derives: everything in the clear and everything inside.
    budget.charge(scan.work.saturating_add(inside))?;
    let decoded = budget.timed(|| Pkcs12Archive::from_pkcs12(bytes, password));
    Ok(match decoded {
        Ok(archive) if archive.certs.len() > MAX_CERTIFICATES => return Err(Refused(too_many())),
        Ok(archive) => match archive.certs.iter().map(|bag| info(bag.cert.as_der())).collect::<Result<Vec<_>, _>>() {
            Ok(certificates) => Opened::read(Contents { certificates, private_key: !archive.keys.is_empty() }),
            Err(reason) => Opened::unreadable(reason),
        },
        Err(P12Error::MacError(_)) => Opened::failed(Problem::WrongPassword),
        // Without a MAC, a wrong password shows as padding that does not check out.
        Err(P12Error::UnpadError) => Opened::failed(Problem::WrongPassword),
        Err(P12Error::Pkcs5Error(e)) if e.contains("decrypt") || e.contains("pad") => Opened::failed(Problem::WrongPassword),
        Err(P12Error::InvalidParameters) => Opened::unreadable("parameters beyond the bounds p12-keystore allows: refused"),
        Err(P12Error::UnsupportedEncryptionScheme) => Opened::unreadable("encrypted with a scheme that is not supported"),
        Err(P12Error::UnsupportedMacAlgorithm) => Opened::unreadable("its MAC algorithm is not supported"),
        Err(e) => Opened::unreadable(format!("not a readable PKCS#12 file ({e})")),
    })
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

    /// A DER length, in its shortest form (as DER readers insist).
    fn push_len(out: &mut Vec<u8>, len: usize) {
        if len < 0x80 {
            out.push(u8::try_from(len).unwrap());
        } else {
            let bytes: Vec<u8> = u32::try_from(len).unwrap().to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
            out.push(0x80 | u8::try_from(bytes.len()).unwrap());
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

    use super::super::kdf::Budget;

    #[test]
    fn a_billion_iterations_are_refused_before_any_derivation() {
        let mac = |n| seq(&[int(3), seq(&[]), seq(&[seq(&[]), octets(b"saltsalt"), int(n)])]);
        assert!(precheck(&mac(2048)).is_ok());
        let e = precheck(&mac(1_000_000_000)).unwrap_err();
        assert!(e.contains("1000000000") && e.contains("refused"), "{e}");
        let beyond = seq(&[int(3), seq(&[]), seq(&[seq(&[]), octets(b"s"), vec![INTEGER, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0]])]);
        assert!(precheck(&beyond).unwrap_err().contains("beyond 64 bits"));
        // A legacy cipher's count, inside an OCTET STRING that wraps DER, as PKCS#12 wraps its
        // unencrypted parts.
        let wrapped = seq(&[int(3), octets(&seq(&[legacy(5_000_000)]))]);
        assert!(precheck(&wrapped).unwrap_err().contains("5000000"));
        // Many moderate counts add up (three blocks each: the key and the IV).
        let mut items = vec![int(3)];
        items.extend((0..2).map(|_| legacy(900_000)));
        assert!(precheck(&seq(&items)).unwrap_err().contains("add up"));
        // A salt and a number that are no derivation's (inside a certificate, say) cost nothing.
        assert_eq!(scan(&seq(&[int(3), seq(&[octets(b"id"), int(1 << 40)])])).unwrap().work, 0);
    }

    /// The algorithm identifier of PKCS#12 PBE with SHA-1 and 3DES, `iterations` deep.
    fn legacy(iterations: u64) -> Vec<u8> {
        seq(&[oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03]), seq(&[octets(b"saltsalt"), int(iterations)])])
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
            let opened = open(bad, "x", &mut Budget::default()).unwrap();
            assert!(matches!(opened.problem, Some(Problem::Unreadable { .. })), "{bad:?}");
        }
    }

    fn tagged(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        push_len(&mut out, content.len());
        out.extend_from_slice(content);
        out
    }

    fn oid(arcs: &[u8]) -> Vec<u8> {
        tagged(0x06, arcs)
    }

    const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
    const SCRYPT: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b];
    const AES256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
    const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    const ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
    const SHROUDED_KEY_BAG: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02];

    fn scrypt_algorithm(n: u64, r: u64, p: u64) -> Vec<u8> {
        let kdf = seq(&[oid(SCRYPT), seq(&[octets(b"saltsalt"), int(n), int(r), int(p)])]);
        seq(&[oid(PBES2), seq(&[kdf, seq(&[oid(AES256), octets(&[0; 16])])])])
    }

    /// A PFX without a MAC whose one part is `EncryptedData` under `algorithm`.
    fn pfx_encrypted(algorithm: Vec<u8>, ciphertext: &[u8]) -> Vec<u8> {
        let encrypted = seq(&[int(0), seq(&[oid(DATA), algorithm, tagged(ENCRYPTED_CONTENT, ciphertext)])]);
        let safes = seq(&[seq(&[oid(ENCRYPTED_DATA), tagged(0xa0, &encrypted)])]);
        seq(&[int(3), seq(&[oid(DATA), tagged(0xa0, &octets(&safes))])])
    }

    #[test]
    fn scrypt_past_its_bound_is_refused_before_anything_is_derived() {
        // The reported keystore: a few hundred bytes asking for 1 GiB and 20 s per opening.
        let hostile = pfx_encrypted(scrypt_algorithm(1 << 19, 16, 16), &[0; 32]);
        let started = std::time::Instant::now();
        let e = open(&hostile, "pw", &mut Budget::default()).unwrap_err().0;
        assert!(e.contains("N=524288, r=16, p=16") && e.contains("1024 MiB"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // Within the bounds, it is counted and the file goes on to be opened (and fails as
        // garbage), never refused.
        let fine = pfx_encrypted(scrypt_algorithm(1 << 10, 8, 1), &[0; 32]);
        assert_eq!(scan(&fine).unwrap().work, 8192);
        assert!(open(&fine, "pw", &mut Budget::default()).is_ok());
    }

    #[test]
    fn a_structure_the_walk_cannot_read_never_hides_a_derivation() {
        // An element with a high tag number beside the algorithm: walked past, not stopped at.
        let high = vec![0x1f, 0x81, 0x01, 0x01, 0x00];
        let hostile = seq(&[int(3), seq(&[high, scrypt_algorithm(1 << 19, 16, 16)])]);
        assert!(precheck(&hostile).unwrap_err().contains("N=524288"));
        // A constructed element whose content is not DER beside it: its siblings are walked.
        let garbage = seq(&[int(3), seq(&[vec![0x30, 0x02, 0xff, 0xff], scrypt_algorithm(1 << 19, 16, 16)])]);
        assert!(precheck(&garbage).unwrap_err().contains("N=524288"));
    }

    #[test]
    fn what_an_encrypted_part_hides_is_bounded_before_the_crate_derives_it() {
        use der::Encode;
        // Inside: a shrouded key whose scrypt parameters ask for 1 GiB.
        let key_bag = seq(&[oid(SHROUDED_KEY_BAG), tagged(0xa0, &seq(&[scrypt_algorithm(1 << 19, 16, 16), octets(&[0; 32])]))]);
        let safe_contents = seq(&[key_bag]);
        let outer = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(1, b"saltsalt", [7; 16]).unwrap();
        let ciphertext = outer.encrypt("pw", &safe_contents).unwrap();
        let algorithm = seq(&[oid(PBES2), outer.to_der().unwrap()]);
        let hostile = pfx_encrypted(algorithm, &ciphertext);
        // Nothing hostile shows in the clear.
        assert!(scan(&hostile).is_ok());
        let e = open(&hostile, "pw", &mut Budget::default()).unwrap_err().0;
        assert!(e.contains("N=524288"), "{e}");
        // With another password the part does not decrypt: the crate would stop there too.
        assert_eq!(open(&hostile, "other", &mut Budget::default()).unwrap().problem, Some(Problem::WrongPassword));
    }

    #[test]
    fn a_decoy_that_does_not_decrypt_never_hides_the_part_after_it() {
        use der::Encode;
        let key_bag = seq(&[oid(SHROUDED_KEY_BAG), tagged(0xa0, &seq(&[scrypt_algorithm(1 << 19, 16, 16), octets(&[0; 32])]))]);
        let outer = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(1, b"saltsalt", [7; 16]).unwrap();
        let ciphertext = outer.encrypt("pw", &seq(&[key_bag])).unwrap();
        let algorithm = || seq(&[oid(PBES2), outer.to_der().unwrap()]);
        let part = |algorithm: Vec<u8>, ciphertext: &[u8]| {
            let encrypted = seq(&[int(0), seq(&[oid(DATA), algorithm, tagged(ENCRYPTED_CONTENT, ciphertext)])]);
            seq(&[oid(ENCRYPTED_DATA), tagged(0xa0, &encrypted)])
        };
        // First a part that no password decrypts, then the real one.
        let safes = seq(&[part(algorithm(), &[0; 32]), part(algorithm(), &ciphertext)]);
        let hostile = seq(&[int(3), seq(&[oid(DATA), tagged(0xa0, &octets(&safes))])]);
        let e = open(&hostile, "pw", &mut Budget::default()).unwrap_err().0;
        assert!(e.contains("N=524288"), "{e}");
    }

    #[test]
    fn the_run_budget_is_charged_before_the_work_and_refuses_past_it() {
        let fine = pfx_encrypted(scrypt_algorithm(1 << 10, 8, 1), &[0; 32]);
        // One opening: the part's key derived here, then everything by the crate.
        let mut budget = Budget::new(20_000, std::time::Duration::from_secs(60));
        assert!(open(&fine, "pw", &mut budget).is_ok());
        assert_eq!(budget.spent(), 2 * 8192);
        let e = open(&fine, "pw", &mut budget).unwrap_err().0;
        assert!(e.contains("20000 units of key-derivation work"), "{e}");
    }
}
