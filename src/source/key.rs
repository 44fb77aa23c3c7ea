//! The SAP Cloud ALM service key: JSON, often saved as `.txt`, sometimes with the lines the
//! cf CLI prints before the JSON, sometimes wrapped in `{"credentials": ...}`.

use std::path::Path;

use super::InputError;
use super::tree::{self, Kind, Node};
use crate::model::{CloudAlmKey, Secret};

const AS_KEY: &str = "a SAP Cloud ALM service key (--calm-key)";

pub fn load(path: &Path) -> Result<CloudAlmKey, InputError> {
    let shown = crate::model::shown::path(path);
    let text = super::read_utf8_text(path, &shown, "Cloud ALM key").map_err(|e| {
        match super::settings::misplaced_file(path).filter(|m| *m != super::settings::Misplaced::CalmKey) {
            Some(other) => InputError::new(&shown, None, other.hint(AS_KEY)),
            None => e,
        }
    })?;
    parse(&text, &shown)
}

pub fn parse(text: &str, shown: &str) -> Result<CloudAlmKey, InputError> {
    let misplaced = || super::settings::misplaced(text).filter(|m| *m != super::settings::Misplaced::CalmKey);
    let wrong = |other: super::settings::Misplaced| InputError::new(shown, None, other.hint(AS_KEY));
    match parse_key(text, shown) {
        // Another input given as the key: say what it is and which flag takes it.
        Err(e) => Err(misplaced().map_or(e, wrong)),
        // A Destination service key also has a `uaa` section; without `endpoints` it is not a
        // Cloud ALM key, and comparing destinations with it would judge them wrongly.
        Ok(key) if key.api.is_none() && misplaced() == Some(super::settings::Misplaced::DestinationKey) => {
            Err(wrong(super::settings::Misplaced::DestinationKey))
        }
        Ok(key) => Ok(key),
    }
}

fn parse_key(text: &str, shown: &str) -> Result<CloudAlmKey, InputError> {
    let (root, offset_line) = tree::service_key_json(text, shown, "Cloud ALM service key", "uaa")?;
    let root = &root;
    if !matches!(root.kind, Kind::Map(_)) {
        return Err(InputError::new(shown, Some(root.line + offset_line), "not a Cloud ALM service key: expected a JSON object"));
    }
    let mut lines = Vec::new();
    let mut field = |section: &str, name: &'static str, full: &'static str| -> Result<Option<String>, InputError> {
        let Some(parent) = root.get(section) else { return Ok(None) };
        if !matches!(parent.kind, Kind::Map(_)) {
            return Err(InputError::new(shown, Some(parent.line + offset_line), format!("\"{section}\" must be an object")));
        }
        let Some(value) = parent.get(name) else { return Ok(None) };
        lines.push((full, parent.key_line(name).unwrap_or(value.line) + offset_line));
        scalar(value, full, shown, offset_line).map(Some)
    };
    let api = field("endpoints", "Api", "endpoints.Api")?;
    let uaa_url = field("uaa", "url", "uaa.url")?;
    let client_id = field("uaa", "clientid", "uaa.clientid")?;
    let client_secret = field("uaa", "clientsecret", "uaa.clientsecret")?.map(Secret::new);
    let cert_url = field("uaa", "certurl", "uaa.certurl")?;
    let identity_zone = field("uaa", "identityzone", "uaa.identityzone")?;
    let credential_type = field("uaa", "credential-type", "uaa.credential-type")?;
    // An X.509 key: its private key is a secret for the masker, its certificate read for its dates.
    if let Some(private) = field("uaa", "key", "uaa.key")? {
        crate::model::secret::remember(&private);
        super::certs::remember_private_keys(private.as_bytes());
    }
    let certificate = field("uaa", "certificate", "uaa.certificate")?.filter(|c| !c.trim().is_empty()).map(|pem| {
        crate::model::secret::remember(&pem);
        let line = lines.iter().find(|(k, _)| *k == "uaa.certificate").map_or(1, |(_, l)| *l);
        super::certs::key_certificate(&pem, shown, line, "uaa.certificate")
    });
    if api.is_none() && uaa_url.is_none() && client_id.is_none() {
        return Err(InputError::new(
            shown,
            Some(root.line + offset_line),
            "not a Cloud ALM service key: no \"endpoints\" or \"uaa\" section",
        ));
    }
    Ok(CloudAlmKey {
        path: shown.to_owned(),
        api,
        uaa_url,
        client_id,
        client_secret,
        cert_url,
        identity_zone,
        credential_type,
        certificate,
        lines,
    })
}

fn scalar(node: &Node, full: &str, shown: &str, offset_line: u32) -> Result<String, InputError> {
    match &node.kind {
        Kind::Scalar(s) => Ok(s.to_string()),
        Kind::Null => Ok(String::new()),
        _ => Err(InputError::new(shown, Some(node.line + offset_line), format!("\"{full}\" must be a string, found {}", node.describe()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = r#"{
  "endpoints": { "Api": "https://acme.eu10.alm.cloud.sap/api" },
  "uaa": {
    "clientid": "sb-calm!b1",
    "clientsecret": "s3cr3t",
    "url": "https://acme.authentication.eu10.hana.ondemand.com",
    "identityzone": "acme",
    "credential-type": "binding-secret"
  }
}"#;

    #[test]
    fn reads_fields_and_lines() {
        let k = parse(KEY, "k.txt").unwrap();
        assert_eq!(k.api.as_deref(), Some("https://acme.eu10.alm.cloud.sap/api"));
        assert_eq!(k.line_of("uaa.clientid"), 4);
        assert_eq!(k.expected_destination_url().as_deref(), Some("https://acme.eu10.alm.cloud.sap/"));
        assert_eq!(k.expected_token_url(false).as_deref(), Some("https://acme.authentication.eu10.hana.ondemand.com/oauth/token"));
        assert!(k.has_secret());
    }

    #[test]
    fn cf_cli_output_and_credentials_wrapper() {
        let text = format!("Getting key calm for service instance x as admin...\n\n{{\"credentials\": {KEY}}}");
        let k = parse(&text, "k.txt").unwrap();
        assert_eq!(k.line_of("uaa.clientid"), 6);
        assert_eq!(k.client_id.as_deref(), Some("sb-calm!b1"));
    }

    #[test]
    fn errors_never_show_the_secret() {
        let e = parse(&KEY.replace("\"clientsecret\": \"s3cr3t\"", "\"clientsecret\": [\"s3cr3t\"]"), "k.txt").unwrap_err();
        assert_eq!(e.line, Some(5));
        assert!(!e.to_string().contains("s3cr3t"));
        let e = parse("{\"endpoints\": {\"Api\": \"https://x\"},\n \"uaa\": {\"clientsecret\": \"s3cr3t\",}}", "k.txt").unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert!(parse("hello", "k.txt").is_err());
        assert!(parse("{\"a\": 1}", "k.txt").is_err());
    }
}
