//! The SAP Cloud ALM service key: the values the destination must copy.

use super::secret::Secret;

#[derive(Debug)]
pub struct CloudAlmKey {
    /// Display path of the key file.
    pub path: String,
    pub api: Option<String>,
    pub uaa_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub cert_url: Option<String>,
    pub identity_zone: Option<String>,
    pub credential_type: Option<String>,
    /// `uaa.certificate` of an X.509 key, read for its dates only (SPEC §3b).
    pub certificate: Option<super::certificate::KeyCertificate>,
    /// Line of each field in the file, keyed by its dotted path (`uaa.clientid`).
    pub lines: Vec<(&'static str, u32)>,
}

impl CloudAlmKey {
    pub fn line_of(&self, field: &str) -> u32 {
        self.lines.iter().find(|(k, _)| *k == field).map_or(1, |(_, l)| *l)
    }

    /// The destination URL the key asks for: `endpoints.Api` with the final `api` removed, `/` kept.
    pub fn expected_destination_url(&self) -> Option<String> {
        let api = self.api.as_deref()?.trim();
        let base = api.strip_suffix("/api").or_else(|| api.strip_suffix("/api/"))?;
        Some(format!("{base}/"))
    }

    /// `uaa.url` + `/oauth/token` (or `uaa.certurl` for an mTLS destination).
    pub fn expected_token_url(&self, mtls: bool) -> Option<String> {
        let base = if mtls { self.cert_url.as_deref()? } else { self.uaa_url.as_deref()? };
        Some(format!("{}/oauth/token", base.trim().trim_end_matches('/')))
    }

    pub fn has_secret(&self) -> bool {
        self.client_secret.as_ref().is_some_and(|s| !s.is_blank())
    }
}
