//! X.509 certificates read with `x509-parser`: the metadata a report shows, from DER or PEM.

use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::MAX_CERTIFICATES;
use crate::model::certificate::{CertificateInfo, Contents};
use crate::model::secret::hex;

/// What a report shows of one DER-encoded certificate; `Err` says why it is not one.
pub fn info(der: &[u8]) -> Result<CertificateInfo, String> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate ({e})"))?;
    if !rest.is_empty() {
        return Err(format!("{} byte(s) after the certificate", rest.len()));
    }
    let cn = |name: &x509_parser::x509::X509Name| name.iter_common_name().next().and_then(|a| a.as_str().ok()).map(str::to_owned);
    let validity = cert.validity();
    Ok(CertificateInfo {
        subject_cn: cn(cert.subject()),
        issuer_cn: cn(cert.issuer()),
        serial: hex(cert.raw_serial()),
        sha256: hex(&Sha256::digest(der)),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
    })
}

/// Certificates written one after another in DER (a `.der`, `.cer` or `.crt` file; rarely, a
/// chain concatenated).
pub fn der_chain(bytes: &[u8]) -> Result<Contents, String> {
    let mut certificates = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if certificates.len() == MAX_CERTIFICATES {
            return Err(too_many());
        }
        let (after, _) = X509Certificate::from_der(rest).map_err(|e| match certificates.len() {
            0 => format!("not an X.509 certificate ({e})"),
            n => format!("certificate {} is not an X.509 certificate ({e})", n + 1),
        })?;
        let used = rest.len() - after.len();
        certificates.push(info(&rest[..used])?);
        rest = after;
    }
    Ok(Contents { certificates, private_key: false })
}

pub fn too_many() -> String {
    format!("more than {MAX_CERTIFICATES} certificates: refused")
}

/// Whether a PEM label is a private key (`PRIVATE KEY`, `RSA PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, ...).
pub(super) fn is_private_key(label: &str) -> bool {
    label.ends_with("PRIVATE KEY")
}

/// The certificates and whether there is a private key in PEM text. Blocks of other kinds are
/// passed over; lines around blocks (openssl's `Bag Attributes`) are ignored. A service key's
/// certificate written with `\n` escapes on one line is read too.
pub fn pem(bytes: &[u8]) -> Result<Contents, String> {
    let unescaped;
    let bytes = if !bytes.contains(&b'\n') && memchr::memmem::find(bytes, b"\\n").is_some() {
        unescaped = String::from_utf8_lossy(bytes).replace("\\n", "\n").into_bytes();
        &unescaped[..]
    } else {
        bytes
    };
    let mut certificates = Vec::new();
    let mut private_key = false;
    let mut blocks = 0;
    for (i, block) in x509_parser::pem::Pem::iter_from_buffer(bytes).enumerate() {
        let block = block.map_err(|e| format!("PEM block {} cannot be read ({e})", i + 1))?;
        blocks += 1;
        match block.label.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                if certificates.len() == MAX_CERTIFICATES {
                    return Err(too_many());
                }
                let cert = X509Certificate::from_der(&block.contents)
                    .map_err(|e| format!("PEM block {} is not an X.509 certificate ({e})", i + 1))?;
                // A TRUSTED CERTIFICATE block carries OpenSSL's trust settings after the certificate.
                let used = block.contents.len() - cert.0.len();
                certificates.push(info(&block.contents[..used])?);
            }
            label if is_private_key(label) => private_key = true,
            _ => {}
        }
    }
    if blocks == 0 {
        return Err("no PEM block (-----BEGIN ...-----) in it".into());
    }
    Ok(Contents { certificates, private_key })
}
