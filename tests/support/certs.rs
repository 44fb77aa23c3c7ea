//! Certificates and keystores made at test time, with dates relative to a day the test chooses
//! (the run's date, fixed with `CALM_AUDIT_TODAY`, or today): no fixture expires on a calendar
//! date. PKCS#12 through `p12-keystore`'s writer (the crate calm-audit reads with; OpenSSL and
//! keytool files are tested against it in `tests/certificates.rs`), JKS through the small writer
//! below, which keytool's files are compared with there.

use calm_audit::clock::{DAY, date};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};

/// A certificate with its private key.
pub struct Made {
    pub cn: String,
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    /// PKCS#8.
    pub key_pem: String,
    pub key_der: Vec<u8>,
}

/// The day of `secs` as rcgen takes dates: (year, month, day).
fn ymd(secs: i64) -> (i32, u8, u8) {
    let text = date(secs);
    (text[..4].parse().unwrap(), text[5..7].parse().unwrap(), text[8..].parse().unwrap())
}

fn params(cn: &str, from: i64, not_before_days: i64, not_after_days: i64) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("certificate parameters");
    params.distinguished_name.push(DnType::CommonName, cn);
    let (y, m, d) = ymd(from + not_before_days * DAY);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(from + not_after_days * DAY);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    params
}

/// A chain of `n` certificates, leaf first: the leaf `cn` valid from `not_before_days` to
/// `not_after_days` around `from`, each further one a CA that signed the one before, valid for
/// `ca_days` (or the leaf's dates when `None`). The last is self-signed.
pub fn chain(cn: &str, from: i64, not_before_days: i64, not_after_days: i64, n: usize, ca_days: Option<i64>) -> Vec<Made> {
    assert!(n >= 1);
    // Build from the root down, so each certificate can be signed by the one above.
    let mut issuers: Vec<(CertifiedIssuer<'static, KeyPair>, Made)> = Vec::new();
    for i in (1..n).rev() {
        let key = KeyPair::generate().expect("CA key");
        let mut p = params(&format!("{cn} CA {i}"), from, not_before_days, ca_days.unwrap_or(not_after_days));
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let key_pem = key.serialize_pem();
        let key_der = key.serialize_der();
        let issuer = match issuers.last() {
            None => CertifiedIssuer::self_signed(p, key).expect("root CA"),
            Some((above, _)) => CertifiedIssuer::signed_by(p, key, &**above).expect("intermediate CA"),
        };
        let made = Made { cn: format!("{cn} CA {i}"), cert_pem: issuer.pem(), cert_der: issuer.der().to_vec(), key_pem, key_der };
        issuers.push((issuer, made));
    }
    let key = KeyPair::generate().expect("leaf key");
    let p = params(cn, from, not_before_days, not_after_days);
    let cert = match issuers.last() {
        None => p.self_signed(&key).expect("self-signed leaf"),
        Some((above, _)) => p.signed_by(&key, &**above).expect("leaf"),
    };
    let leaf = Made {
        cn: cn.to_owned(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        key_der: key.serialize_der(),
    };
    let mut out = vec![leaf];
    out.extend(issuers.into_iter().rev().map(|(_, made)| made));
    out
}

/// One self-signed certificate valid `not_before_days` .. `not_after_days` around `from`.
pub fn certificate(cn: &str, from: i64, not_before_days: i64, not_after_days: i64) -> Made {
    chain(cn, from, not_before_days, not_after_days, 1, None).remove(0)
}

/// A PKCS#12 keystore of the chain's leaf key with the whole chain, under `password`.
pub fn p12(chain: &[Made], password: &str) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let key = PrivateKey::from_der(&chain[0].key_der).expect("PKCS#8 key");
    let certs: Vec<Certificate> = chain.iter().map(|m| Certificate::from_der(&m.cert_der).expect("DER certificate")).collect();
    let mut store = KeyStore::new();
    store.add_entry("calm-client", KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"calm-1".to_vec(), key, certs)));
    store.writer(password).write().expect("PKCS#12")
}

/// The chain's certificates in PEM, with the leaf's key first when `with_key`.
pub fn pem(chain: &[Made], with_key: bool) -> String {
    let mut out = String::new();
    if with_key {
        out.push_str(&chain[0].key_pem);
    }
    for m in chain {
        out.push_str(&m.cert_pem);
    }
    out
}

fn utf(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&u16::try_from(text.len()).unwrap().to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// A JKS file (version 2) with one private-key entry holding the chain, and its integrity digest
/// under `password`. The "encrypted" key is stand-in bytes: calm-audit never decrypts it.
pub fn jks(chain: &[Made], password: &str) -> Vec<u8> {
    use sha1::Digest;
    let mut out = Vec::new();
    out.extend_from_slice(&[0xFE, 0xED, 0xFE, 0xED]);
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    utf(&mut out, "calm-client");
    out.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
    let key = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    out.extend_from_slice(&u32::try_from(key.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&key);
    out.extend_from_slice(&u32::try_from(chain.len()).unwrap().to_be_bytes());
    for m in chain {
        utf(&mut out, "X.509");
        out.extend_from_slice(&u32::try_from(m.cert_der.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&m.cert_der);
    }
    let mut digest = sha1::Sha1::new();
    for unit in password.encode_utf16() {
        digest.update(unit.to_be_bytes());
    }
    digest.update(b"Mighty Aphrodite");
    digest.update(&out);
    out.extend_from_slice(&digest.finalize());
    out
}

/// DER of one element: `tag`, its length, `content`.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n => {
            let bytes: Vec<u8> = (n as u32).to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
    }
    out.extend_from_slice(content);
    out
}

fn der_int(v: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = v.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    der(0x02, &bytes)
}

const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const SCRYPT: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b];
const AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
const SHROUDED_KEY_BAG: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02];

/// A hostile PKCS#12 file of a few hundred bytes whose key derivation is scrypt with `n`, `r`
/// and `p` (no MAC). `hidden`: the scrypt parameters are those of a shrouded key inside an
/// encrypted part, which only `password` (PBKDF2, one iteration) opens; otherwise they are the
/// encrypted part's own, in the clear.
pub fn p12_scrypt(n: u64, r: u64, p: u64, hidden: bool, password: &str) -> Vec<u8> {
    let seq = |items: &[Vec<u8>]| der(0x30, &items.concat());
    let oid = |arcs: &[u8]| der(0x06, arcs);
    let scrypt = seq(&[
        oid(PBES2),
        seq(&[
            seq(&[oid(SCRYPT), seq(&[der(0x04, b"calm-salt"), der_int(n), der_int(r), der_int(p)])]),
            seq(&[oid(AES256_CBC), der(0x04, &[0; 16])]),
        ]),
    ]);
    let (algorithm, ciphertext) = if hidden {
        use der::Encode;
        let key_bag = seq(&[oid(SHROUDED_KEY_BAG), der(0xa0, &seq(&[scrypt, der(0x04, &[0; 32])]))]);
        let outer = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(1, b"calm-salt", [7; 16]).expect("PBES2 parameters");
        let ciphertext = outer.encrypt(password, &seq(&[key_bag])).expect("encrypt");
        (seq(&[oid(PBES2), outer.to_der().expect("DER")]), ciphertext)
    } else {
        (scrypt, vec![0; 32])
    };
    let encrypted = seq(&[der_int(0), seq(&[oid(DATA), algorithm, der(0x80, &ciphertext)])]);
    let safes = seq(&[seq(&[oid(ENCRYPTED_DATA), der(0xa0, &encrypted)])]);
    seq(&[der_int(3), seq(&[oid(DATA), der(0xa0, &der(0x04, &safes))])])
}
