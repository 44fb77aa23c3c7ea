//! Certificates and keystores as the auditor sees them (SPEC §3b): what a certificate says about
//! itself (names, serial, fingerprint, validity), what a keystore holds, and where the
//! Destination Service would find it. Never a certificate's content, a private key or a
//! password: the bytes of a keystore stay in [`Content::Bytes`], which nothing shows or saves.

use serde::{Deserialize, Serialize};

use super::destination::{Destination, Level, Value};
use super::secret::Secret;

/// What a report shows of one X.509 certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateInfo {
    /// The subject's common name (`CN`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_cn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_cn: Option<String>,
    /// Hex, lower case, without separators.
    pub serial: String,
    /// SHA-256 of the DER encoding, hex, lower case (what `openssl x509 -fingerprint -sha256` shows).
    pub sha256: String,
    /// Seconds since 1970, UTC; RFC 3339 in JSON.
    #[serde(with = "instant")]
    pub not_before: i64,
    #[serde(with = "instant")]
    pub not_after: i64,
}

impl CertificateInfo {
    /// `CN=name`, or the serial when the subject has no common name: how messages name it.
    pub fn label(&self) -> String {
        match &self.subject_cn {
            Some(cn) => format!("CN={cn}"),
            None => format!("the certificate with serial {}", self.serial),
        }
    }
}

/// Instants as RFC 3339 text in JSON (snapshots, reports).
pub mod instant {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(secs: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::clock::rfc3339(*secs))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        crate::clock::parse_rfc3339(&text).ok_or_else(|| serde::de::Error::custom(format!("\"{text}\" is not YYYY-MM-DDTHH:MM:SSZ")))
    }
}

/// A keystore's file format, as recognised by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// PEM text: certificates, perhaps a private key.
    Pem,
    /// One DER-encoded certificate (`.der`, `.cer`, `.crt`).
    Der,
    /// PKCS#12 (`.p12`, `.pfx`): opened with the keystore password.
    Pkcs12,
    /// Java KeyStore (JKS or JCEKS): certificates in the clear, integrity checked with the password.
    Jks,
    /// Not read (its content is known only at deployment), or not recognised.
    Unknown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pem => "PEM",
            Format::Der => "DER",
            Format::Pkcs12 => "PKCS#12",
            Format::Jks => "JKS",
            Format::Unknown => "unknown",
        }
    }
}

/// What opening a keystore found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contents {
    /// Every certificate in it, in file order (a chain: leaf first, as usually written).
    pub certificates: Vec<CertificateInfo>,
    /// It holds a private key (never read further than that it is there).
    pub private_key: bool,
}

/// Why a keystore does not open for a destination, or cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Problem {
    /// It needs a password and the destination names none.
    NoPassword,
    /// The cockpit's export removed the password.
    PasswordRemoved,
    /// The password is supplied at deployment (a placeholder or expression, named).
    PasswordAtDeployment { expression: String },
    /// The password does not open it (the PKCS#12 MAC or the JKS digest does not match).
    WrongPassword,
    /// Its content is supplied at deployment (Terraform `certificate_content = var.x`).
    ContentAtDeployment { expression: String },
    /// Not readable: truncated, not a keystore, an algorithm not supported, or refused by a bound
    /// (size, iteration count, number of certificates).
    Unreadable { reason: String },
}

impl Problem {
    /// What a message says about it, naming the keystore (`"calm.p12"`) and the password property.
    pub fn describe(&self, keystore: &str, password_property: &str) -> String {
        match self {
            Problem::NoPassword => format!("{keystore} needs a password to open and {password_property} is not set"),
            Problem::PasswordRemoved => format!("the export removed {password_property}, so {keystore} cannot be opened here"),
            Problem::PasswordAtDeployment { expression } => {
                format!("{password_property} is {expression}, supplied at deployment, so {keystore} cannot be opened here")
            }
            Problem::WrongPassword => format!("{password_property} does not open {keystore}: its integrity check fails with it"),
            Problem::ContentAtDeployment { expression } => {
                format!("the content of {keystore} is {expression}, known only at deployment")
            }
            Problem::Unreadable { reason } => format!("{keystore} cannot be read: {reason}"),
        }
    }
}

/// The outcome of opening a keystore with one password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opened {
    /// What could be read (a JKS shows its certificates even when its password is wrong).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<Contents>,
    /// Why it does not open as the Destination Service would need it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

impl Opened {
    pub fn read(contents: Contents) -> Self {
        Opened { contents: Some(contents), problem: None }
    }

    pub fn failed(problem: Problem) -> Self {
        Opened { contents: None, problem: Some(problem) }
    }

    pub fn unreadable(reason: impl Into<String>) -> Self {
        Opened::failed(Problem::Unreadable { reason: reason.into() })
    }
}

/// The keystore password a destination gives, as far as opening the keystore depends on it.
#[derive(Clone, Debug)]
pub enum Password {
    Absent,
    Removed,
    /// Supplied at deployment: the expression as written.
    Unresolved(String),
    Given(Secret),
}

impl Password {
    /// The password of `d` in `property` (`tokenService.KeyStorePassword` or `KeyStorePassword`).
    pub fn of(d: &Destination, property: &str) -> Password {
        match d.get(property).map(|p| &p.value) {
            None => Password::Absent,
            Some(Value::Removed) => Password::Removed,
            Some(Value::Unresolved(e)) => Password::Unresolved(e.clone()),
            Some(Value::Secret(s)) => Password::Given((**s).clone()),
            // A password property is always read as a secret; any other value is handed on as one.
            Some(Value::Text(t)) => Password::Given(Secret::new(t.clone())),
        }
    }

    /// Whether opening with `self` gives what opening with `other` gave.
    pub fn same_as(&self, other: &Password) -> bool {
        match (self, other) {
            (Password::Absent, Password::Absent) | (Password::Removed, Password::Removed) => true,
            (Password::Unresolved(a), Password::Unresolved(b)) => a == b,
            (Password::Given(a), Password::Given(b)) => a.matches(b),
            _ => false,
        }
    }
}

/// Who holds the bytes a keystore was read from, which decides what a keystore without a private
/// key means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// The Destination Service itself (its certificate lists, or find's `certificates`).
    Service,
    /// What a deployment uploads (Terraform `btp_subaccount_destination_certificate`).
    Code,
    /// A file given or found in a folder or archive: perhaps a cockpit export, which keeps only
    /// the certificates.
    File,
}

/// The bytes of a keystore, kept in memory only and never shown or saved.
pub enum Content {
    Bytes(Vec<u8>),
    /// Known only at deployment: the expression.
    Unresolved(String),
    /// Named but not there (a Terraform `filebase64` of a file that does not exist): why.
    Missing(String),
    /// Read from a snapshot: only what opening it gave is known ([`Keystore::opened`]).
    Metadata,
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Bytes(b) => write!(f, "Bytes({} bytes, not shown)", b.len()),
            Content::Unresolved(e) => write!(f, "Unresolved({e:?})"),
            Content::Missing(why) => write!(f, "Missing({why:?})"),
            Content::Metadata => f.write_str("Metadata"),
        }
    }
}

/// A keystore or certificate file the run read, under the name the Destination Service knows it by.
#[derive(Debug)]
pub struct Keystore {
    /// The file name (`calm-client.p12`): what `tokenService.KeyStoreLocation` names.
    pub name: String,
    /// The level it was uploaded to (live, Terraform); `None` for a file.
    pub level: Option<Level>,
    /// Where it was read: a file, an archive entry, a Terraform file, or the pseudo path
    /// `btp/subaccount/<id>/[instances/<id>/]certificates/<name>`.
    pub path: String,
    pub line: u32,
    pub held: Held,
    pub format: Format,
    pub content: Content,
    /// What opening it gave, once for each password the destinations naming it give.
    pub opened: Vec<(Password, Opened)>,
}

impl Keystore {
    /// What opening with `password` gave, if it was opened with it.
    pub fn opened_with(&self, password: &Password) -> Option<&Opened> {
        self.opened.iter().find(|(p, _)| p.same_as(password)).map(|(_, o)| o)
    }

    /// The level as reports show it: `subaccount`, `instance`, or `file`.
    pub fn level_label(&self) -> &'static str {
        self.level.map_or("file", Level::as_str)
    }
}

/// The certificate of an X.509 service key: the Cloud ALM key's `uaa.certificate`, or the
/// destination service key's `certificate` (SPEC §3b: judged as its own object, the key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCertificate {
    /// Where the key came from (a file, `VCAP_SERVICES`, an environment variable).
    pub path: String,
    /// Line of the certificate field (1 when unknown).
    pub line: u32,
    /// The field: `uaa.certificate` or `certificate`.
    pub field: String,
    pub opened: Opened,
}

/// One certificate in use, as every report lists it (SPEC §3b): where it is, who uses it, what
/// it says about itself and the days it has left; or, for a keystore that cannot be read, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateRow {
    /// The keystore's name (`calm-client.p12`), or the key's field (`uaa.certificate`).
    pub name: String,
    /// `subaccount`, `instance` (where the Destination Service holds it), `file`, or `key`.
    pub level: String,
    /// Where it was read: a file, an archive entry, a Terraform file, a pseudo path; with the line.
    pub source: String,
    pub format: Format,
    /// The audited destinations that name it, or the key it belongs to.
    pub used_by: Vec<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateInfo>,
    /// Calendar days from the run's date to not-after (negative once expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// Why the keystore's certificates cannot be shown (it does not open, or is not readable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The target (subaccount) of a run with several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl CertificateRow {
    /// The order reports list them in: those whose dates are unknown first, then the soonest to
    /// expire.
    pub fn order_key(&self) -> (bool, i64, &str, &str) {
        (self.error.is_none(), self.certificate.as_ref().map_or(i64::MIN, |c| c.not_after), &self.name, &self.source)
    }
}

/// The properties that name a destination's keystore and its password, in the order the
/// Destination Service reads them: OAuth2 over mTLS, then client-certificate authentication.
pub const KEYSTORE_PROPERTIES: [(&str, &str); 2] =
    [("tokenService.KeyStoreLocation", "tokenService.KeyStorePassword"), ("KeyStoreLocation", "KeyStorePassword")];

/// The keystore property of `d` and the password property that goes with it, if it names one.
pub fn keystore_property(d: &Destination) -> Option<(&'static str, &'static str)> {
    KEYSTORE_PROPERTIES.iter().copied().find(|(location, _)| d.get(location).is_some())
}

/// How a keystore was matched to the name a destination gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// The same name, where the Destination Service looks.
    Exact,
    /// A file of the same name without its extension (`calm.pem` for `calm.p12`), as a cockpit
    /// export names the PEM files of a keystore.
    Stem,
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// The keystores of a run by name and by stem, so finding the one a destination uses costs the
/// same whatever the number of keystores and destinations.
#[derive(Debug, Default)]
pub struct Index {
    by_name: std::collections::HashMap<String, Vec<usize>>,
    /// Files only (a cockpit export's PEM named after the keystore).
    by_stem: std::collections::HashMap<String, Vec<usize>>,
}

impl Index {
    pub fn new(keystores: &[Keystore]) -> Index {
        let mut index = Index::default();
        for (i, k) in keystores.iter().enumerate() {
            index.by_name.entry(k.name.clone()).or_default().push(i);
            if k.held == Held::File && !stem(&k.name).is_empty() {
                index.by_stem.entry(stem(&k.name).to_owned()).or_default().push(i);
            }
        }
        index
    }

    /// The position of the keystore a destination at `level` that names `name` would use, as the
    /// Destination Service looks it up: instance level first, then subaccount level (a subaccount
    /// destination sees only the subaccount's); files of the run, which have no level, after
    /// those. With no exact name, a file of the same stem (a cockpit export), one beside the
    /// destination's own file (`near`) first.
    pub fn find(&self, keystores: &[Keystore], name: &str, level: Option<Level>, near: &str) -> Option<(usize, Match)> {
        let rank = |k: &Keystore| match (level, k.level) {
            (Some(Level::Instance), Some(Level::Instance)) => Some(0),
            (_, Some(Level::Subaccount)) => Some(1),
            (Some(Level::Subaccount), Some(Level::Instance)) => None,
            (None, Some(Level::Instance)) => Some(1),
            (_, None) => Some(2),
        };
        let exact = self.by_name.get(name).into_iter().flatten().filter_map(|i| Some((rank(&keystores[*i])?, *i))).min();
        if let Some((_, i)) = exact {
            return Some((i, Match::Exact));
        }
        let folder = |path: &str| path.rsplit_once('/').map_or("", |(f, _)| f).to_owned();
        let here = folder(near);
        self.by_stem.get(stem(name)).into_iter().flatten().min_by_key(|i| folder(&keystores[**i].path) != here).map(|i| (*i, Match::Stem))
    }
}

/// [`Index::find`] once, without keeping the index: for a single lookup.
pub fn lookup<'a>(keystores: &'a [Keystore], name: &str, level: Option<Level>, near: &str) -> Option<(&'a Keystore, Match)> {
    Index::new(keystores).find(keystores, name, level, near).map(|(i, how)| (&keystores[i], how))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keystore(name: &str, level: Option<Level>, held: Held, path: &str) -> Keystore {
        Keystore {
            name: name.into(),
            level,
            path: path.into(),
            line: 1,
            held,
            format: Format::Pkcs12,
            content: Content::Metadata,
            opened: Vec::new(),
        }
    }

    #[test]
    fn lookup_follows_the_destination_service_then_files_then_stems() {
        let sub = keystore("calm.p12", Some(Level::Subaccount), Held::Service, "btp/s/certificates/calm.p12");
        let inst = keystore("calm.p12", Some(Level::Instance), Held::Service, "btp/s/instances/i/certificates/calm.p12");
        let all = [sub, inst];
        assert_eq!(lookup(&all, "calm.p12", Some(Level::Instance), "").map(|(k, _)| k.level), Some(Some(Level::Instance)));
        assert_eq!(lookup(&all, "calm.p12", Some(Level::Subaccount), "").map(|(k, _)| k.level), Some(Some(Level::Subaccount)));
        // A subaccount destination never sees an instance's keystore.
        let only_instance = [keystore("calm.p12", Some(Level::Instance), Held::Service, "x")];
        assert!(lookup(&only_instance, "calm.p12", Some(Level::Subaccount), "").is_none());
        // Names are exact; a cockpit export's PEM of the same stem is found, the nearest first.
        let files = [
            keystore("calm.pem", None, Held::File, "other/calm.pem"),
            keystore("calm.pem", None, Held::File, "exports/a.zip/calm.pem"),
            keystore("CALM.p12", None, Held::File, "exports/CALM.p12"),
        ];
        let (k, how) = lookup(&files, "calm.p12", None, "exports/a.zip/CALM_X.properties").unwrap();
        assert_eq!((k.path.as_str(), how), ("exports/a.zip/calm.pem", Match::Stem));
        assert!(lookup(&files, "other.p12", None, "").is_none());
    }

    #[test]
    fn problems_never_name_the_password() {
        let text = Problem::WrongPassword.describe("calm.p12", "tokenService.KeyStorePassword");
        assert!(text.contains("tokenService.KeyStorePassword") && text.contains("calm.p12"), "{text}");
        let opened = Opened::failed(Problem::Unreadable { reason: "truncated".into() });
        let json = serde_json::to_string(&opened).unwrap();
        assert_eq!(json, r#"{"problem":{"kind":"unreadable","reason":"truncated"}}"#);
        assert_eq!(serde_json::from_str::<Opened>(&json).unwrap(), opened);
    }
}
