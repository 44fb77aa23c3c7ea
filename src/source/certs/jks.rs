//! Java KeyStore (JKS, and JCEKS) files, read within bounds.
//!
//! No maintained crate reads them within bounds (the `jks` crate allocates whatever a length
//! field says), and the part calm-audit needs is small: the certificates of a JKS are stored in
//! the clear, and the password only serves the integrity digest at the end (SHA-1 over the
//! password as UTF-16, the text "Mighty Aphrodite" and everything before the digest). Private keys
//! stay encrypted and are never decrypted: that an entry holds one is all the audit needs.
//!
//! Layout (big-endian): magic `FEEDFEED` (JKS) or `CECECECE` (JCEKS), version 1 or 2, entry
//! count, then per entry a tag (1 private key, 2 trusted certificate, 3 JCEKS secret key), the
//! alias (Java's modified UTF-8 with a 16-bit length), a 64-bit timestamp, and for a private key
//! the encrypted key and its certificate chain, for a trusted certificate one certificate; each
//! certificate is its type (version 2 only) and a 32-bit length with the DER. The 20-byte digest
//! closes the file. Every length is checked against the bytes left before anything is read.

use sha1::{Digest, Sha1};

use super::MAX_CERTIFICATES;
use super::x509::{info, too_many};
use crate::model::certificate::{Contents, Problem};

pub const MAGIC_JKS: [u8; 4] = [0xFE, 0xED, 0xFE, 0xED];
pub const MAGIC_JCEKS: [u8; 4] = [0xCE, 0xCE, 0xCE, 0xCE];

/// The text Java mixes into the digest.
const WHITENER: &[u8] = b"Mighty Aphrodite";
const DIGEST_LEN: usize = 20;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| format!("truncated: {what} needs {n} byte(s) at offset {}, {} left", self.at, self.bytes.len() - self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u16(&mut self, what: &str) -> Result<usize, String> {
        let b = self.take(2, what)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn len(&mut self, what: &str) -> Result<usize, String> {
        usize::try_from(self.u32(what)?).map_err(|_| format!("{what}: length beyond this platform"))
    }

    fn utf(&mut self, what: &str) -> Result<&'a [u8], String> {
        let n = self.u16(what)?;
        self.take(n, what)
    }
}

/// Whether the bytes start like a JKS or JCEKS file.
pub fn is_jks(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC_JKS) || bytes.starts_with(&MAGIC_JCEKS)
}

/// What the keystore holds, and, with a password, whether its integrity digest matches
/// (`Some(Problem::WrongPassword)` when it does not). `Err`: not readable, with the reason.
pub fn read(bytes: &[u8], password: Option<&str>) -> Result<(Contents, Option<Problem>), String> {
    if bytes.len() < 12 + DIGEST_LEN {
        return Err(format!("truncated: {} byte(s), too short for a Java keystore", bytes.len()));
    }
    let (body, stored) = bytes.split_at(bytes.len() - DIGEST_LEN);
    let mut r = Reader { bytes: body, at: 4 };
    if !is_jks(bytes) {
        return Err("not a Java keystore (no FEEDFEED or CECECECE at the start)".into());
    }
    let version = r.u32("the version")?;
    if version != 1 && version != 2 {
        return Err(format!("Java keystore version {version} is not 1 or 2"));
    }
    let count = r.u32("the entry count")?;
    let mut certificates = Vec::new();
    let mut private_key = false;
    let certificate = |r: &mut Reader, certificates: &mut Vec<_>| -> Result<(), String> {
        let kind = if version == 2 { r.utf("a certificate type")? } else { b"X.509".as_slice() };
        let n = r.len("a certificate length")?;
        let der = r.take(n, "a certificate")?;
        if kind != b"X.509" {
            return Err(format!("a certificate of type \"{}\", not X.509", String::from_utf8_lossy(kind)));
        }
        if certificates.len() == MAX_CERTIFICATES {
            return Err(too_many());
        }
        certificates.push(info(der)?);
        Ok(())
    };
    for entry in 1..=count {
        let at = |e: String| format!("entry {entry}: {e}");
        let tag = r.u32("an entry tag").map_err(at)?;
        r.utf("an alias").map_err(at)?;
        r.take(8, "a timestamp").map_err(at)?;
        match tag {
            1 => {
                let n = r.len("a key length").map_err(at)?;
                r.take(n, "an encrypted private key").map_err(at)?;
                private_key = true;
                let chain = r.u32("a chain length").map_err(at)?;
                for _ in 0..chain {
                    certificate(&mut r, &mut certificates).map_err(at)?;
                }
            }
            2 => certificate(&mut r, &mut certificates).map_err(at)?,
            3 => return Err(at("a JCEKS secret-key entry (a serialized Java object), which calm-audit does not read".into())),
            other => return Err(at(format!("unknown entry tag {other}"))),
        }
    }
    if r.at != body.len() {
        return Err(format!("{} byte(s) after the last entry", body.len() - r.at));
    }
    let problem = password.and_then(|p| {
        let mut digest = Sha1::new();
        for unit in p.encode_utf16() {
            digest.update(unit.to_be_bytes());
        }
        digest.update(WHITENER);
        digest.update(body);
        (digest.finalize().as_slice() != stored).then_some(Problem::WrongPassword)
    });
    Ok((Contents { certificates, private_key }, problem))
}
