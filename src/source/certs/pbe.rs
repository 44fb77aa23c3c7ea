//! Password-based encryption in a PKCS#12 file: what an algorithm identifier asks of the key
//! derivation ([`Derivation`]), read from its DER before anything is derived, and the decryption
//! of an encrypted part, so that what it hides is bounded too before `p12-keystore` opens it.
//!
//! The schemes are those `p12-keystore` opens, with the crates it opens them with: PBES2 (PBKDF2
//! or scrypt, AES) through `pkcs5`, the legacy PKCS#12 PBES1 ciphers (3DES, 40-bit RC2) through
//! the PKCS#12 key derivation of the `pkcs12` crate. What it does not open is counted (its
//! iteration count) and left for it to refuse.

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use der::Decode;

use super::der::{Tlv, children, integer};
use super::kdf::Derivation;

/// `1.2.840.113549.1.5.13`
const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
/// `1.2.840.113549.1.5.12`
const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
/// `1.3.6.1.4.1.11591.4.11`
const SCRYPT: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b];
/// `1.2.840.113549.1.12.1.`: the PKCS#12 PBE schemes, `.3` 3DES and `.6` 40-bit RC2 among them.
const PKCS12_PBE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
/// `1.2.840.113549.1.5.`: PKCS#5 v1.5 PBES1 (`.1`, `.3`, `.4`, `.6`, `.10`, `.11`).
const PKCS5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05];
/// `1.2.840.113549.2.`: the HMAC PRFs of PBKDF2 (`.7` SHA-1 to `.13` SHA-512/256).
const HMAC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02];
/// `2.16.840.1.101.3.4.1.`: AES (`.2` 128-, `.22` 192-, `.42` 256-bit CBC).
const AES: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01];

const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;

/// A password-based scheme named by an algorithm identifier.
#[derive(Clone, Copy, Debug)]
pub enum Scheme<'a> {
    /// PBES2: the whole parameters element (for `pkcs5`), and its key derivation if known.
    Pbes2 { parameters: &'a [u8], derivation: Option<Derivation> },
    /// PKCS#12 PBES1: the last arc of its OID, the salt and the iteration count.
    Pkcs12 { arc: u8, salt: &'a [u8], iterations: u64 },
    /// PKCS#5 v1.5 PBES1, which `p12-keystore` does not open: counted only.
    Pkcs5 { iterations: u64 },
}

/// Why an encrypted part did not decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// It decrypted to nothing that checks out: the password is not the one.
    WrongPassword,
    /// A scheme, cipher or parameters `p12-keystore` does not open either.
    Unsupported,
}

fn oid_under(oid: &[u8], arc: &[u8]) -> Option<u8> {
    match oid.strip_prefix(arc) {
        Some([last]) => Some(*last),
        _ => None,
    }
}

impl<'a> Scheme<'a> {
    /// The scheme of an algorithm identifier's elements (its OID, then its parameters), or
    /// `None` when it names none (or is not well-formed enough to be one, which the reader
    /// then refuses).
    pub fn of(items: &[Tlv<'a>]) -> Option<Scheme<'a>> {
        let [oid, parameters] = items else { return None };
        if oid.tag != OID || parameters.tag != SEQUENCE {
            return None;
        }
        let fields = children(parameters.content)?;
        if oid.content == PBES2 {
            return Some(Scheme::Pbes2 { parameters: parameters.whole, derivation: pbes2(&fields) });
        }
        let salted = match fields.as_slice() {
            [salt, count, ..] if count.tag == INTEGER => Some((salt.content, integer(count.content))),
            _ => None,
        };
        if let Some(arc) = oid_under(oid.content, PKCS12_PBE) {
            let (salt, iterations) = salted?;
            return Some(Scheme::Pkcs12 { arc, salt, iterations });
        }
        if oid_under(oid.content, PKCS5).is_some_and(|arc| matches!(arc, 1 | 3 | 4 | 6 | 10 | 11)) {
            return Some(Scheme::Pkcs5 { iterations: salted?.1 });
        }
        None
    }

    /// The key derivations opening a part encrypted so runs.
    pub fn derivation(&self) -> Option<Derivation> {
        match *self {
            Scheme::Pbes2 { derivation, .. } => derivation,
            // The key and the IV: three blocks of SHA-1 output for 3DES, two for RC2.
            Scheme::Pkcs12 { iterations, .. } => Some(Derivation::Pkcs12 { iterations, blocks: 3 }),
            Scheme::Pkcs5 { iterations } => Some(Derivation::Pbkdf2 { iterations, blocks: 1 }),
        }
    }

    /// Decrypts `data` with `password` as `p12-keystore` would.
    pub fn decrypt(&self, data: &[u8], password: &str) -> Result<Vec<u8>, Failure> {
        match *self {
            Scheme::Pbes2 { parameters, .. } => {
                let parameters = pkcs5::pbes2::Parameters::from_der(parameters).map_err(|_| Failure::Unsupported)?;
                parameters.decrypt(password.as_bytes(), data).map_err(|e| match e {
                    pkcs5::Error::DecryptFailed => Failure::WrongPassword,
                    _ => Failure::Unsupported,
                })
            }
            Scheme::Pkcs12 { arc: 3, salt, iterations } => legacy::<des::TdesEde3>(data, password, salt, iterations, 24),
            Scheme::Pkcs12 { arc: 6, salt, iterations } => legacy::<rc2::Rc2>(data, password, salt, iterations, 5),
            Scheme::Pkcs12 { .. } | Scheme::Pkcs5 { .. } => Err(Failure::Unsupported),
        }
    }
}

/// PBKDF2's or scrypt's parameters in PBES2's (`SEQUENCE { kdf, encryption scheme }`).
fn pbes2(fields: &[Tlv<'_>]) -> Option<Derivation> {
    let [kdf, cipher] = fields else { return None };
    let kdf = children(kdf.content)?;
    let [oid, parameters] = kdf.as_slice() else { return None };
    let values = children(parameters.content)?;
    if oid.content == SCRYPT {
        let numbers: Vec<u64> = values.iter().skip(1).take(3).filter(|v| v.tag == INTEGER).map(|v| integer(v.content)).collect();
        let [n, r, p] = numbers[..] else { return None };
        return Some(Derivation::Scrypt { n, r, p });
    }
    if oid.content != PBKDF2 {
        return None;
    }
    let iterations = values.get(1).filter(|v| v.tag == INTEGER).map(|v| integer(v.content))?;
    // The key's length: written, or the cipher's (AES-128, -192, -256); the PRF's output: HMAC
    // with SHA-1 unless another is named.
    let written = values.get(2).filter(|v| v.tag == INTEGER).map(|v| integer(v.content));
    let cipher_oid = children(cipher.content).and_then(|c| c.first().map(|o| o.content));
    let by_cipher = match cipher_oid.and_then(|o| oid_under(o, AES)) {
        Some(2) => 16,
        Some(22) => 24,
        _ => 32,
    };
    let prf =
        values.iter().skip(2).find(|v| v.tag == SEQUENCE).and_then(|v| children(v.content)).and_then(|c| c.first().map(|o| o.content));
    let output = match prf.and_then(|o| oid_under(o, HMAC)) {
        Some(8 | 12) => 28,
        Some(9 | 13) => 32,
        Some(10) => 48,
        Some(11) => 64,
        _ => 20,
    };
    Some(Derivation::Pbkdf2 { iterations, blocks: written.unwrap_or(by_cipher).div_ceil(output) })
}

/// PKCS#12 PBES1: key and IV from the PKCS#12 key derivation with SHA-1, CBC with PKCS#7 padding.
fn legacy<C>(data: &[u8], password: &str, salt: &[u8], iterations: u64, key_len: usize) -> Result<Vec<u8>, Failure>
where
    C: cbc::cipher::BlockCipherDecrypt + cbc::cipher::KeyInit,
{
    use pkcs12::kdf::{Pkcs12KeyType, derive_key_utf8};
    let rounds = i32::try_from(iterations).map_err(|_| Failure::Unsupported)?;
    let key =
        derive_key_utf8::<sha1::Sha1>(password, salt, Pkcs12KeyType::EncryptionKey, rounds, key_len).map_err(|_| Failure::Unsupported)?;
    let iv = derive_key_utf8::<sha1::Sha1>(password, salt, Pkcs12KeyType::Iv, rounds, 8).map_err(|_| Failure::Unsupported)?;
    let cipher = cbc::Decryptor::<C>::new_from_slices(&key, &iv).map_err(|_| Failure::Unsupported)?;
    cipher.decrypt_padded_vec::<Pkcs7>(data).map_err(|_| Failure::WrongPassword)
}
