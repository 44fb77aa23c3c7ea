//! The destination service instance key the live audit logs in with: from `--destination-key`,
//! `CALM_AUDIT_DESTINATION_KEY` (the JSON or a path), or a `VCAP_SERVICES` binding labelled
//! `destination`. Secret parts are [`Secret`]s from the moment they are read.

use std::path::Path;

use crate::model::Secret;
use crate::source::InputError;
use crate::source::tree::{self, Kind, Node};

pub const ENV_KEY: &str = "CALM_AUDIT_DESTINATION_KEY";

/// How the key authenticates at the token endpoint.
pub enum Credential {
    /// `clientsecret`: token from `<url>/oauth/token`.
    Secret(Secret),
    /// X.509: token from `<certurl>/oauth/token` over mutual TLS with `certificate` and `key`.
    Certificate { cert_url: String, certificate_pem: Secret, key_pem: Secret },
}

pub struct DestinationKey {
    /// Where the key came from, for messages (a path, `VCAP_SERVICES` or the variable's name).
    pub source: String,
    pub client_id: String,
    pub credential: Credential,
    /// XSUAA base URL (`url`).
    pub url: String,
    /// Destination service base URL (`uri`).
    pub uri: String,
    pub identity_zone: Option<String>,
    pub tenant_id: Option<String>,
    pub instance_id: Option<String>,
    /// Line of `certificate` in the key's file (1 when unknown or not a file).
    pub certificate_line: u32,
}

impl std::fmt::Debug for DestinationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DestinationKey")
            .field("source", &self.source)
            .field("client_id", &self.client_id)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

/// Finds the key: the flag first, then the variable, then `VCAP_SERVICES`. `None`: no live source.
pub fn resolve(flag: Option<&Path>, env_key: Option<String>, vcap: Option<String>) -> Result<Option<DestinationKey>, InputError> {
    if let Some(path) = flag {
        return load_file(path).map(Some);
    }
    if let Some(value) = env_key.filter(|v| !v.trim().is_empty()) {
        return from_env(&value).map(Some);
    }
    match vcap.filter(|v| !v.trim().is_empty()) {
        Some(text) => {
            remember_vcap_credentials(&text);
            from_vcap(&text)
        }
        None => Ok(None),
    }
}

/// `CALM_AUDIT_DESTINATION_KEY`: the key's JSON, also after the lines `cf service-key` prints
/// first (`Getting key ...`), or the path of a file holding it. The value is never echoed: it
/// may be the key itself, a secret pasted in the wrong place, or anything else.
fn from_env(value: &str) -> Result<DestinationKey, InputError> {
    crate::model::secret::remember(value);
    for line in value.lines() {
        crate::model::secret::remember(line);
    }
    if value.contains('{') {
        return parse(value, ENV_KEY);
    }
    let path = Path::new(value.trim());
    if !value.contains('\n') && path.is_file() {
        return load_file(path);
    }
    Err(InputError::new(ENV_KEY, None, describe_unusable(value)))
}

/// Why an environment value is neither a key nor a file, without showing it: its length, and
/// how it starts only when that start is a known, harmless text.
fn describe_unusable(value: &str) -> String {
    const HARMLESS_STARTS: [&str; 2] = ["Getting key", "FAILED"];
    let start = HARMLESS_STARTS.iter().find(|s| value.trim_start().starts_with(**s));
    let how = match start {
        Some(s) => format!(", starting with \"{s}\""),
        None => String::new(),
    };
    format!(
        "the value ({} characters{how}) is neither a destination service key (JSON) nor the path of an existing file; \
         set it to the key's JSON (the output of `cf service-key INSTANCE KEY` is fine) or to the key file's path",
        value.chars().count()
    )
}

/// Every secret of every binding in `VCAP_SERVICES`, remembered for the output's masker, also
/// those of services other than the destination service.
fn remember_vcap_credentials(text: &str) {
    fn walk(node: &Node, under_secret: bool) {
        match &node.kind {
            Kind::Map(entries) => {
                for (k, _, v) in entries {
                    walk(v, under_secret || crate::model::secret::is_secret_key(k) || k == "certificate");
                }
            }
            Kind::Seq(items) => items.iter().for_each(|i| walk(i, under_secret)),
            Kind::Scalar(s) if under_secret => crate::model::secret::remember(s),
            Kind::Scalar(s) if crate::model::url::may_hide_parts(s) => crate::model::url::remember_hidden_parts(s),
            _ => {}
        }
    }
    if let Ok(node) = tree::parse_json(text) {
        walk(&node, false);
    }
}

pub fn load_file(path: &Path) -> Result<DestinationKey, InputError> {
    let shown = crate::model::shown::path(path);
    let text = crate::source::read_utf8_text(path, &shown, "destination service key")?;
    parse(&text, &shown)
}

fn from_vcap(text: &str) -> Result<Option<DestinationKey>, InputError> {
    let node = tree::parse_json(text).map_err(|e| InputError::new("VCAP_SERVICES", e.line, e.message))?;
    let Kind::Map(services) = &node.kind else {
        return Err(InputError::new("VCAP_SERVICES", None, "expected a JSON object of service bindings"));
    };
    let mut bindings = services.iter().filter_map(|(_, _, list)| match &list.kind {
        Kind::Seq(items) => Some(items.iter().filter(|b| b.get("label").and_then(Node::as_scalar) == Some("destination"))),
        _ => None,
    });
    let Some(binding) = bindings.by_ref().flatten().next() else { return Ok(None) };
    let credentials = binding
        .get("credentials")
        .ok_or_else(|| InputError::new("VCAP_SERVICES", Some(binding.line), "the destination binding has no credentials"))?;
    from_node(credentials, "VCAP_SERVICES", 0).map(Some)
}

pub fn parse(text: &str, shown: &str) -> Result<DestinationKey, InputError> {
    let (root, offset_line) = tree::service_key_json(text, shown, "destination service key", "clientid")?;
    from_node(&root, shown, offset_line)
}

fn from_node(root: &Node, shown: &str, offset_line: u32) -> Result<DestinationKey, InputError> {
    let field = |name: &str| -> Result<Option<String>, InputError> {
        match root.get(name) {
            None => Ok(None),
            Some(Node { kind: Kind::Scalar(s), .. }) => Ok(Some(s.to_string()).filter(|s| !s.trim().is_empty())),
            Some(Node { kind: Kind::Null, .. }) => Ok(None),
            Some(other) => Err(InputError::new(
                shown,
                Some(other.line + offset_line),
                format!("\"{name}\" must be a string, found {}", other.describe()),
            )),
        }
    };
    let required = |name: &str| -> Result<String, InputError> {
        field(name)?.ok_or_else(|| {
            InputError::new(shown, Some(root.line + offset_line), format!("not a destination service key: \"{name}\" is missing"))
        })
    };
    let client_id = required("clientid")?;
    let url = required("url")?;
    let uri = required("uri")?;
    let credential = match (field("clientsecret")?, field("certificate")?, field("key")?) {
        (Some(secret), _, _) => Credential::Secret(Secret::new(secret)),
        (None, Some(certificate), Some(key)) => Credential::Certificate {
            // Given whole to the TLS client; for the report, only its dates are read.
            cert_url: field("certurl")?
                .ok_or_else(|| InputError::new(shown, Some(root.line + offset_line), "an X.509 key needs \"certurl\""))?,
            certificate_pem: Secret::new(certificate),
            key_pem: Secret::new(key),
        },
        _ => {
            return Err(InputError::new(
                shown,
                Some(root.line + offset_line),
                "the key has neither \"clientsecret\" nor \"certificate\" and \"key\" (X.509)",
            ));
        }
    };
    Ok(DestinationKey {
        source: shown.to_owned(),
        client_id,
        credential,
        url,
        uri,
        identity_zone: field("identityzone")?,
        tenant_id: field("tenantid")?,
        instance_id: field("instanceid")?,
        certificate_line: root.key_line("certificate").map_or(1, |l| l + offset_line),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = r#"{"clientid": "sb-d!b1", "clientsecret": "dest-secret-x", "url": "https://z.authentication.eu10.hana.ondemand.com",
        "uri": "https://destination-configuration.cfapps.eu10.hana.ondemand.com", "identityzone": "z", "instanceid": "i-1"}"#;

    #[test]
    fn secret_and_x509_keys() {
        let k = parse(KEY, "k.json").unwrap();
        assert!(matches!(k.credential, Credential::Secret(_)));
        assert_eq!(k.instance_id.as_deref(), Some("i-1"));
        assert!(!format!("{k:?}").contains("dest-secret-x"));
        let x509 = r#"{"clientid": "c", "url": "https://u", "uri": "https://d", "certurl": "https://z.authentication.cert.eu10.hana.ondemand.com",
            "certificate": "-----BEGIN CERTIFICATE-----", "key": "-----BEGIN PRIVATE KEY-----"}"#;
        assert!(matches!(parse(x509, "k.json").unwrap().credential, Credential::Certificate { .. }));
        let e = parse(r#"{"clientid": "c", "url": "https://u", "uri": "https://d"}"#, "k.json").unwrap_err();
        assert!(e.message.contains("neither"));
    }

    #[test]
    fn vcap_and_environment() {
        let vcap = format!(
            r#"{{"xsuaa": [{{"label": "xsuaa", "credentials": {{}}}}], "destination": [{{"label": "destination", "name": "d", "credentials": {KEY}}}]}}"#
        );
        let k = resolve(None, None, Some(vcap.clone())).unwrap().unwrap();
        assert_eq!(k.source, "VCAP_SERVICES");
        assert!(resolve(None, None, Some("{}".into())).unwrap().is_none());
        let k = resolve(None, Some(KEY.into()), Some(vcap)).unwrap().unwrap();
        assert_eq!(k.source, ENV_KEY);
        let e = resolve(None, Some("/no/such/key.json".into()), None).unwrap_err();
        assert_eq!(e.path, ENV_KEY);
        assert!(!e.to_string().contains("/no/such"), "{e}");
        // What `cf service-key` prints: a line first, then the JSON.
        let k = resolve(None, Some(format!("Getting key k for service instance d as admin...\n\n{KEY}")), None).unwrap().unwrap();
        assert_eq!(k.client_id, "sb-d!b1");
        // Neither JSON nor a file: never echoed, not even in part.
        for value in ["dest-secret-pasted-here", "Getting key k for service instance d as admin...\nFAILED"] {
            let e = resolve(None, Some(value.into()), None).unwrap_err();
            assert!(e.message.contains("neither a destination service key"), "{e}");
            assert!(!e.to_string().contains("dest-secret") && !e.to_string().contains("admin"), "{e}");
        }
    }
}
