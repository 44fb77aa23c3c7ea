//! Snapshots: what a run read, saved so it can be audited again later or attached to a
//! support ticket. Every secret is replaced by a [`SecretDigest`] (salted HMAC-SHA256 plus
//! length and white-space facts), so CALM009, CALM014 and CALM017 give the same results from
//! the snapshot as from the live read, and nothing in the file can be used to log in. Keystores
//! are kept as what opening them gave (names, serials, fingerprints, dates, whether a private key
//! is there), once per password the destinations give, never their content: a later `check`
//! judges the dates from that (SPEC §3b).

use serde::{Deserialize, Serialize};

use super::InputError;
use crate::model::certificate::{Content, Format, Held, KeyCertificate, Keystore, Opened, Password};
use crate::model::secret::{SecretDigest, digest_text, is_documented_not_secret, is_remembered};
use crate::model::{Destination, Level, Origin, Probe, Property, Secret, SourceFailure, Value};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Format version; a file is recognised as a snapshot by this key.
    pub calm_audit_snapshot: u32,
    pub tool_version: String,
    /// UTC, RFC 3339.
    pub taken_at: String,
    /// Destination service base URL of a live read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subaccount_id: Option<String>,
    /// The destinations came from the live Destination Service.
    pub live: bool,
    /// `--probe` was used: find results are included.
    pub probe: bool,
    /// Sources that failed part way during the read; a snapshot of an incomplete read stays incomplete.
    pub failures: Vec<SourceFailure>,
    pub destinations: Vec<SnapshotDestination>,
    /// The live certificate lists were read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub certificates_read: bool,
    /// Keystores and certificate files, without their content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keystores: Vec<SnapshotKeystore>,
    /// The certificate of an X.509 destination service key, without its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_key_certificate: Option<KeyCertificate>,
}

/// A keystore as a snapshot keeps it: where it is and what opening it gave.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotKeystore {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<SnapshotLevel>,
    pub path: String,
    pub line: u32,
    pub held: Held,
    pub format: Format,
    /// One reading per password the destinations naming it give.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opened: Vec<SnapshotOpening>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotOpening {
    pub password: SnapshotPassword,
    pub opened: Opened,
}

/// The password a keystore was opened with: its digest, never its value.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotPassword {
    Absent,
    Removed,
    Unresolved(String),
    Digest(SecretDigest),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotDestination {
    pub path: String,
    pub line: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<SnapshotLevel>,
    #[serde(default)]
    pub pseudo: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
    pub properties: Vec<SnapshotProperty>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotLevel {
    Subaccount,
    Instance,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotProperty {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// In place of a secret's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretDigest>,
    /// A placeholder or expression known only at deployment (a destination defined as code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
    /// The export had already removed the value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// What a run read, ready to be saved.
pub struct Contents<'a> {
    pub destinations: &'a [Destination],
    pub keystores: &'a [Keystore],
    pub certificates_read: bool,
    pub destination_key_certificate: Option<&'a KeyCertificate>,
    pub failures: &'a [SourceFailure],
    pub service: Option<String>,
    pub subaccount_id: Option<String>,
    pub live: bool,
    pub probe: bool,
}

/// The snapshot as JSON text, secrets digested under a fresh random salt.
pub fn render(contents: &Contents) -> Result<String, String> {
    let salt = salt()?;
    let mut text = Vec::new();
    write(contents, &salt, &mut text).map_err(|e| e.to_string())?;
    String::from_utf8(text).map_err(|e| e.to_string())
}

/// A fresh random salt for the digests of one snapshot.
pub fn salt() -> Result<[u8; 16], String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random salt available: {e}"))?;
    Ok(salt)
}

/// Writes the snapshot to `out` one destination at a time (nothing is copied or held whole:
/// a snapshot of a large landscape costs its destinations, not twice them plus its text).
pub fn write(contents: &Contents, salt: &[u8], out: &mut (impl std::io::Write + ?Sized)) -> std::io::Result<()> {
    let snapshot = Out {
        calm_audit_snapshot: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        taken_at: crate::clock::now_rfc3339(),
        service: contents.service.as_deref(),
        subaccount_id: contents.subaccount_id.as_deref(),
        live: contents.live,
        probe: contents.probe,
        failures: contents.failures,
        destinations: Each { destinations: contents.destinations, salt },
        certificates_read: contents.certificates_read,
        keystores: contents.keystores.iter().map(|k| snapshot_keystore(k, salt)).collect(),
        destination_key_certificate: contents.destination_key_certificate,
    };
    serde_json::to_writer_pretty(&mut *out, &snapshot)?;
    out.write_all(b"\n")
}

/// [`Snapshot`] as written: the same fields in the same order, borrowed.
#[derive(Serialize)]
struct Out<'a> {
    calm_audit_snapshot: u32,
    tool_version: &'a str,
    taken_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subaccount_id: Option<&'a str>,
    live: bool,
    probe: bool,
    failures: &'a [SourceFailure],
    destinations: Each<'a>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    certificates_read: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keystores: Vec<SnapshotKeystore>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_key_certificate: Option<&'a KeyCertificate>,
}

fn snapshot_level(level: Level) -> SnapshotLevel {
    match level {
        Level::Subaccount => SnapshotLevel::Subaccount,
        Level::Instance => SnapshotLevel::Instance,
    }
}

fn model_level(level: SnapshotLevel) -> Level {
    match level {
        SnapshotLevel::Subaccount => Level::Subaccount,
        SnapshotLevel::Instance => Level::Instance,
    }
}

fn snapshot_keystore(k: &Keystore, salt: &[u8]) -> SnapshotKeystore {
    SnapshotKeystore {
        name: k.name.clone(),
        level: k.level.map(snapshot_level),
        path: k.path.clone(),
        line: k.line,
        held: k.held,
        format: k.format,
        opened: k
            .opened
            .iter()
            .map(|(password, opened)| SnapshotOpening {
                password: match password {
                    Password::Absent => SnapshotPassword::Absent,
                    Password::Removed => SnapshotPassword::Removed,
                    Password::Unresolved(e) => SnapshotPassword::Unresolved(crate::model::url::redact_urls_in(e).into_owned()),
                    Password::Given(s) => SnapshotPassword::Digest(s.digest(salt)),
                },
                opened: opened.clone(),
            })
            .collect(),
    }
}

/// The destinations, each turned into its [`SnapshotDestination`] as it is written.
struct Each<'a> {
    destinations: &'a [Destination],
    salt: &'a [u8],
}

impl Serialize for Each<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.destinations.iter().map(|d| snapshot_destination(d, self.salt)))
    }
}

fn snapshot_destination(d: &Destination, salt: &[u8]) -> SnapshotDestination {
    SnapshotDestination {
        path: d.origin.path.to_string(),
        line: d.origin.line,
        level: d.origin.level.map(snapshot_level),
        pseudo: d.origin.pseudo,
        probe: d.probe.as_deref().cloned(),
        properties: d
            .properties
            .iter()
            .map(|p| {
                let (value, secret, removed, unresolved) = match &p.value {
                    // Kept as written only where SAP documents the property as not secret, and a
                    // URL then without its credentials and query values; anything else, known or
                    // not, is kept as a digest (default deny).
                    // A documented property that equals a secret of the run, however short, or
                    // holds one long enough to mask (the key's secret pasted into clientId) is
                    // digested like a secret. The name stays: it is the destination's identity.
                    Value::Text(t) if is_documented_not_secret(&p.key) && (&*p.key == "Name" || !holds_secret(t)) => {
                        (Some(shown_text(&p.key, t)), None, false, None)
                    }
                    Value::Text(t) => (None, Some(digest_text(t, salt)), false, None),
                    Value::Secret(s) => (None, Some(s.digest(salt)), false, None),
                    Value::Removed => (None, None, true, None),
                    Value::Unresolved(e) => (None, None, false, Some(crate::model::url::redact_urls_in(e).into_owned())),
                };
                SnapshotProperty { key: p.key.to_string(), value, secret, removed, unresolved, line: p.line }
            })
            .collect(),
    }
}

/// Whether a documented property's value must be digested all the same: it equals a secret of the
/// run, or holds one the masker would mask. A short secret inside a longer value (`prod` in a
/// URL) is left: digesting every URL that happens to hold it would garble the snapshot.
fn holds_secret(text: &str) -> bool {
    is_remembered(text)
        || crate::model::secret::holds_remembered_of(text, crate::model::secret::MASK_MIN_CHARS)
        || crate::model::secret::holds_piece_only(text)
}

/// A documented, non-secret value as a snapshot keeps it: a URL redacted whole (credentials and
/// query values hidden however it is written), any other text with the URLs in it redacted.
fn shown_text(key: &str, text: &str) -> String {
    if key.ends_with("URL") || key.ends_with("Url") {
        crate::model::url::redact(text)
    } else {
        crate::model::url::redact_urls_in(text).into_owned()
    }
}

/// A snapshot read back.
pub struct Loaded {
    pub destinations: Vec<Destination>,
    pub keystores: Vec<Keystore>,
    pub certificates_read: bool,
    pub destination_key_certificate: Option<KeyCertificate>,
    pub failures: Vec<SourceFailure>,
    pub live: bool,
    pub probe: bool,
}

/// Whether parsed JSON text is a snapshot (it has the `calm_audit_snapshot` key at the top).
pub fn is_snapshot(node: &super::tree::Node) -> bool {
    node.get("calm_audit_snapshot").is_some()
}

pub fn load(text: &str, shown: &str) -> Result<Loaded, InputError> {
    let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m).to_owned();
        InputError::new(shown, u32::try_from(e.line()).ok().filter(|l| *l > 0), format!("invalid snapshot: {message}"))
    })?;
    if snapshot.calm_audit_snapshot != FORMAT_VERSION {
        return Err(InputError::new(
            shown,
            None,
            format!("snapshot format {} is not supported (this build reads {FORMAT_VERSION})", snapshot.calm_audit_snapshot),
        ));
    }
    let mut destinations = Vec::with_capacity(snapshot.destinations.len());
    for d in snapshot.destinations {
        // Lines are 1-based; a 0 would put a report's location before the file starts.
        if d.line == 0 || d.properties.iter().any(|p| p.line == Some(0)) {
            return Err(InputError::new(shown, None, format!("destination at \"{}\": lines start at 1", d.path)));
        }
        let mut properties = Vec::with_capacity(d.properties.len());
        for p in d.properties {
            let value = match (p.value, p.secret, p.removed, p.unresolved) {
                (Some(t), None, false, None) => Value::Text(t),
                (None, Some(digest), false, None) => Value::Secret(Box::new(Secret::from_digest(digest))),
                (None, None, true, None) => Value::Removed,
                (None, None, false, Some(e)) => Value::Unresolved(e),
                _ => {
                    return Err(InputError::new(
                        shown,
                        None,
                        format!("property \"{}\" must have exactly one of value, secret, removed, unresolved", p.key),
                    ));
                }
            };
            properties.push(Property { key: p.key.into(), value, line: p.line });
        }
        let level = d.level.map(model_level);
        destinations.push(Destination {
            properties,
            origin: Origin { path: d.path.into(), line: d.line, level, pseudo: d.pseudo, code: None },
            probe: d.probe.map(Box::new),
        });
    }
    let keystores = snapshot
        .keystores
        .into_iter()
        .map(|k| Keystore {
            name: k.name,
            level: k.level.map(model_level),
            path: k.path,
            line: k.line.max(1),
            held: k.held,
            format: k.format,
            content: Content::Metadata,
            opened: k
                .opened
                .into_iter()
                .map(|o| {
                    let password = match o.password {
                        SnapshotPassword::Absent => Password::Absent,
                        SnapshotPassword::Removed => Password::Removed,
                        SnapshotPassword::Unresolved(e) => Password::Unresolved(e),
                        SnapshotPassword::Digest(d) => Password::Given(Secret::from_digest(d)),
                    };
                    (password, o.opened)
                })
                .collect(),
        })
        .collect();
    Ok(Loaded {
        destinations,
        keystores,
        certificates_read: snapshot.certificates_read,
        destination_key_certificate: snapshot.destination_key_certificate,
        failures: snapshot.failures,
        live: snapshot.live,
        probe: snapshot.probe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (destination_files): a snapshot with line 0 gave results located at line 0.
    #[test]
    fn regression_line_zero_is_refused() {
        let text = r#"{"calm_audit_snapshot":1,"tool_version":"0","taken_at":"x","live":false,"probe":false,"failures":[],
            "destinations":[{"path":"p","line":0,"properties":[{"key":"Name","value":"CALM_A"}]}]}"#;
        assert!(load(text, "s.json").err().unwrap().message.contains("lines start at 1"));
        let text = text.replace("\"line\":0", "\"line\":1").replace("\"value\":\"CALM_A\"}", "\"value\":\"CALM_A\",\"line\":0}");
        assert!(load(&text, "s.json").is_err());
    }

    #[test]
    fn round_trip_keeps_everything_but_the_secret() {
        let d = Destination {
            properties: vec![
                Property::new("Name", "CALM_A".into(), Some(2)),
                Property::new("clientSecret", " top-secret-value".into(), Some(5)),
                Property::removed("Password", Some(1)),
            ],
            origin: Origin {
                path: "btp/subaccount/s/destinations/CALM_A".into(),
                line: 1,
                level: Some(Level::Subaccount),
                pseudo: true,
                code: None,
            },
            probe: Some(Box::new(Probe::Error { reason: "401 Bad credentials".into() })),
        };
        let failures = vec![SourceFailure { source: "instance level, page 1".into(), message: "HTTP 503 after 4 attempt(s)".into() }];
        let contents = Contents {
            destinations: std::slice::from_ref(&d),
            keystores: &[],
            certificates_read: false,
            destination_key_certificate: None,
            failures: &failures,
            service: None,
            subaccount_id: Some("s".into()),
            live: true,
            probe: true,
        };
        let text = render(&contents).unwrap();
        assert!(!text.contains("top-secret-value"));
        let back = load(&text, "snap.json").unwrap();
        assert_eq!(back.failures, failures);
        let b = &back.destinations[0];
        assert_eq!(b.name(), "CALM_A");
        assert_eq!(b.origin.level, Some(Level::Subaccount));
        assert_eq!(b.probe, d.probe);
        let Some(Value::Secret(s)) = b.get("clientSecret").map(|p| &p.value) else { panic!("secret lost") };
        assert!(s.matches_trimmed(&Secret::new("top-secret-value".into())));
        assert!(s.has_surrounding_whitespace());
        assert!(matches!(b.get("Password").map(|p| &p.value), Some(Value::Removed)));
    }
}
