//! A BTP destination as the auditor sees it: ordered properties, each with the line it
//! came from, and where the whole object came from.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::secret::{Secret, is_secret_key};

/// The value removed by the cockpit's properties export in place of a secret.
pub const REMOVED_ON_EXPORT: &str = "<< Existing password/certificate removed on export >>";

/// The destination name SAP Build Process Automation and SAP Intelligent RPA look for: it brings
/// a destination into scope whatever its URL (SPEC §3a).
pub const PROCESS_AUTOMATION_NAME: &str = "sap_process_automation_cloud_alm";

/// Names that select a Cloud ALM purpose without bringing a destination into scope by
/// themselves (`rules/profiles.toml`: `CloudALM`, SAP Order Management foundation's). A test of
/// the profiles keeps this list complete.
pub const PURPOSE_NAMES: [&str; 1] = ["CloudALM"];

/// Whether a name, wherever it is given (a module's argument, say), shows a Cloud ALM
/// destination (SPEC 3a): it brings one into scope (a `CALM_` start or
/// `sap_process_automation_cloud_alm`, in any case) or selects a Cloud ALM purpose
/// ([`PURPOSE_NAMES`], as written).
pub fn names_cloud_alm(name: &str) -> bool {
    is_cloud_alm(name, None, None) || PURPOSE_NAMES.contains(&name.trim())
}

#[derive(Debug)]
pub enum Value {
    Text(String),
    /// Boxed: secrets are few, and a property of a large landscape stays small without them.
    Secret(Box<Secret>),
    /// The export left the key but removed its value: the secret is not present here.
    Removed,
    /// Known only at deployment: an MTA placeholder (`${...}`, `~{...}`) or a Terraform
    /// expression this tool does not evaluate (`var.calm_client_secret` without a value).
    /// Holds the text as written, to name it, and is never judged as literal text. Safe to
    /// show: for a secret key the sources keep only a reference (`var.x`, `${...}`), never an
    /// expression that could hold a literal.
    Unresolved(String),
}

/// A property's key. The keys SAP documents are shared static text, so the many destinations of
/// a large landscape do not each hold a copy of `Name` or `URL`; any other key is owned.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(Cow<'static, str>);

/// The keys most destinations carry, shared rather than copied ([`Key`]).
const KNOWN_KEYS: &[&str] = &[
    "Name",
    "Type",
    "URL",
    "Authentication",
    "ProxyType",
    "Description",
    "clientId",
    "clientSecret",
    "tokenServiceURL",
    "tokenServiceURLType",
    "tokenServiceUser",
    "tokenServicePassword",
    "User",
    "Password",
    "CloudConnectorLocationId",
    "sap-client",
    "WebIDEEnabled",
    "WebIDEUsage",
    "HTML5.DynamicDestination",
    "sap.processautomation.enabled",
    "systemRole",
];

impl Key {
    pub const NAME: Key = Key(Cow::Borrowed("Name"));

    fn known(text: &str) -> Option<&'static str> {
        KNOWN_KEYS.iter().copied().find(|k| *k == text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Self {
        Key(Key::known(text).map_or_else(|| Cow::Owned(text.to_owned()), Cow::Borrowed))
    }
}

impl From<String> for Key {
    fn from(text: String) -> Self {
        Key(Key::known(&text).map_or(Cow::Owned(text), Cow::Borrowed))
    }
}

impl std::ops::Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Key {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[derive(Debug)]
pub struct Property {
    pub key: Key,
    pub value: Value,
    /// 1-based line in the source file, when the destination came from a file.
    pub line: Option<u32>,
}

impl Property {
    /// Builds a property, moving the value into a [`Secret`] when the key names one and
    /// turning the export's removal marker into [`Value::Removed`].
    pub fn new(key: impl Into<Key>, value: String, line: Option<u32>) -> Self {
        let key = key.into();
        let value = if is_removed_marker(&value) {
            Value::Removed
        } else if is_secret_key(&key) {
            Value::Secret(Box::new(Secret::new(value)))
        } else {
            remember_if_hidden(&key, &value);
            Value::Text(value)
        };
        Property { key, value, line }
    }

    /// What [`Property::text`] would give for a property built by [`Property::new`] from
    /// `key` and `value`, without building it (a loader deciding scope before it allocates).
    pub fn text_of<'v>(key: &str, value: &'v str) -> Option<&'v str> {
        (!is_removed_marker(value) && !is_secret_key(key)).then_some(value)
    }

    pub fn removed(key: impl Into<Key>, line: Option<u32>) -> Self {
        Property { key: key.into(), value: Value::Removed, line }
    }

    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// A value left to deployment: the placeholder or expression as written.
    pub fn unresolved(key: impl Into<Key>, expression: String, line: Option<u32>) -> Self {
        let key = key.into();
        if is_secret_key(&key) {
            remember_literals(&expression);
        } else {
            // Only the URLs written in it: a `?` or `@` of the expression itself hides nothing.
            super::url::remember_hidden_parts_in(&expression);
        }
        Property { key, value: Value::Unresolved(expression), line }
    }

    /// The placeholder or expression, when the value is only known at deployment.
    pub fn expression(&self) -> Option<&str> {
        match &self.value {
            Value::Unresolved(e) => Some(e),
            _ => None,
        }
    }
}

/// The literal text inside a secret's expression (`coalesce(var.x, "literal")`, MTA
/// `literal${x}`), remembered for the output's masker: it may be the secret itself.
pub fn remember_literals(expression: &str) {
    fn template_parts(text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            let start = rest.find("${").into_iter().chain(rest.find("~{")).min().unwrap_or(rest.len());
            super::secret::remember(&rest[..start]);
            rest = &rest[start..];
            rest = rest.find('}').map_or("", |end| &rest[end + 1..]);
        }
    }
    if expression.contains('"') {
        expression.split('"').skip(1).step_by(2).for_each(template_parts);
    } else if expression.contains("${") || expression.contains("~{") {
        template_parts(expression);
    }
}

/// What the output's masker must know of a value that is not a [`Secret`]: the credentials and
/// query values of a URL, and a token-like value of a property SAP does not document as not
/// secret (a snapshot keeps only its digest, [`super::secret::is_documented_not_secret`]).
fn remember_if_hidden(key: &str, value: &str) {
    if super::url::may_hide_parts(value) {
        super::url::remember_hidden_parts(value);
    }
    if !super::secret::is_documented_not_secret(key) && super::secret::looks_like_credential(value) {
        super::secret::remember(value);
    }
}

/// The export's removal marker, with any white space around it; the length is compared first,
/// as this runs for every value loaded.
pub fn is_removed_marker(value: &str) -> bool {
    value.len() >= REMOVED_ON_EXPORT.len() && value.trim() == REMOVED_ON_EXPORT
}

/// Destination level in the Destination Service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Subaccount,
    Instance,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Subaccount => "subaccount",
            Level::Instance => "instance",
        }
    }
}

/// Where a destination came from.
#[derive(Clone, Debug)]
pub struct Origin {
    /// Display path of the file (`dir/file.json`, or `archive.zip/entry.properties`), or for a
    /// live read (and its snapshot) the stable pseudo path
    /// `btp/subaccount/<id>/[instances/<id>/]destinations/<name>`. Shared by the destinations
    /// of one file.
    pub path: Arc<str>,
    /// Line where the object starts (1 for a pseudo path).
    pub line: u32,
    /// Known for live reads and for `config.json` `init_data`.
    pub level: Option<Level>,
    /// `path` is a pseudo path, not a file.
    pub pseudo: bool,
    /// Set for a destination defined as code (MTA, Terraform): boxed, as most have none.
    pub code: Option<Box<CodeOrigin>>,
}

impl Origin {
    pub fn file(path: &str, line: u32, level: Option<Level>) -> Self {
        Origin::shared(Arc::from(path), line, level)
    }

    /// [`Origin::file`] for one of the many destinations of a file, sharing its path.
    pub fn shared(path: Arc<str>, line: u32, level: Option<Level>) -> Self {
        Origin { path, line, level, pseudo: false, code: None }
    }
}

/// What kind of code defined a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    /// `mta.yaml` with the extension descriptors of the run applied.
    Mta,
    /// Terraform configuration (`*.tf`, with variable defaults, `*.tfvars` and locals).
    Terraform,
    /// `terraform show -json` of a plan: the values Terraform will send.
    TerraformPlan,
    /// `terraform show -json` of a state: the values Terraform last sent.
    TerraformState,
}

impl CodeKind {
    /// Whether values in it are written by people (a descriptor, a configuration), rather
    /// than computed by Terraform from them; CALM070 judges only the former.
    pub fn is_source(self) -> bool {
        matches!(self, CodeKind::Mta | CodeKind::Terraform)
    }
}

/// Where in a descriptor or configuration a destination is defined.
#[derive(Clone, Debug)]
pub struct CodeOrigin {
    pub kind: CodeKind,
    /// The object that defines it: `resource calm-destination` / `module calm-content` in an
    /// MTA, a Terraform resource address (`module.calm.btp_subaccount_destination.bpmon`).
    pub object: String,
    /// Properties whose value is written in another file than [`Origin::path`] (an MTA
    /// extension descriptor, a `*.tfvars` file, a variable default in `variables.tf`).
    pub elsewhere: Vec<(String, String)>,
    /// Properties whose key is written on another line than the value (a value from a
    /// variable or an extension): the key's line, in [`Origin::path`].
    pub keys: Vec<(String, u32)>,
    /// A part of the definition known only at deployment that may hold any property
    /// (`additional_configuration = var.destination_config`): a property not found may be there.
    pub opaque: Option<String>,
    /// Secret properties whose expression holds a string literal that can become the secret,
    /// with the kind of expression (`a fallback`, `a function argument`, ...): CALM070 fails
    /// them. The literal itself is never kept here.
    pub literal_secrets: Vec<(String, &'static str)>,
    /// Properties whose value is computed from values the repository holds by a function
    /// calm-audit does not evaluate: not left to the deployment, so they are `manual`, never
    /// silently `not_applicable` (SPEC 2.1).
    pub computed: Vec<String>,
    /// The `Name` or `URL` is known only in part, and the known part shows Cloud ALM
    /// (`"CALM_${var.env}"`, `https://${var.tenant}.eu10.alm.cloud.sap/`): in scope (SPEC 2.1).
    pub cloud_alm_hint: bool,
    /// The known start of a `Name` known only in part (`CALM_` of `"CALM_${var.env}"`): the
    /// recognition steps on a name prefix look at it (SPEC 3a).
    pub name_start: Option<String>,
}

/// What SAP's find call said about fetching a token for the destination (`--probe`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Probe {
    /// A token was returned (its value is never kept).
    Token { token_type: String },
    /// The Destination service could not get a token: `authTokens[].error`.
    Error { reason: String },
    /// The find call returned no token at all.
    NoToken,
    /// The find call itself failed (network, status): the result cannot be judged.
    Failed { reason: String },
}

#[derive(Debug)]
pub struct Destination {
    pub properties: Vec<Property>,
    pub origin: Origin,
    /// Only with `--probe` on a live read (or its snapshot); boxed, as most have none.
    pub probe: Option<Box<Probe>>,
}

impl Destination {
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.key == key)
    }

    /// The property's text; `None` when absent, a secret, or removed on export.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Property::text)
    }

    pub fn name(&self) -> &str {
        self.text("Name").unwrap_or("")
    }

    /// The name when it is known: `None` for a name known only at deployment
    /// (`"CALM_${var.env}"`, `var.name`). Two unknown names are never the same name: rules that
    /// compare destinations with each other compare known names only (SPEC §2.1).
    pub fn known_name(&self) -> Option<&str> {
        self.text("Name")
    }

    /// The line to point at for `key`, falling back to the line of `Name`, then of the object.
    pub fn line_of(&self, key: &str) -> u32 {
        self.get(key).and_then(|p| p.line).or_else(|| self.get("Name").and_then(|p| p.line)).unwrap_or(self.origin.line)
    }

    /// A property whose key equals `key` ignoring case but not exactly: names are
    /// case-sensitive in BTP, so `url` is not `URL`.
    pub fn case_variant(&self, key: &str) -> Option<&str> {
        self.properties.iter().find(|p| p.key != key && p.key.eq_ignore_ascii_case(key)).map(|p| p.key.as_str())
    }

    /// A Cloud ALM destination, the ones the audit is about (SPEC §3, §3a): `Name` starts with
    /// `CALM_` or is `sap_process_automation_cloud_alm`, in any case, or the URL host is a Cloud
    /// ALM host, or the settings name it (`named`).
    pub fn is_cloud_alm(&self, named: Option<&str>) -> bool {
        is_cloud_alm(self.name(), self.text("URL"), named) || self.origin.code.as_ref().is_some_and(|c| c.cloud_alm_hint)
    }

    /// For a destination defined as code whose name is known only at deployment (`name =
    /// var.name`, `${dest-name}`, a whole configuration left to the deployment): the expression
    /// that will give it. Whether it is in scope is then decided by the known parts alone
    /// ([`Destination::is_cloud_alm`]); when they do not show Cloud ALM its scope is unknown.
    pub fn name_expression(&self) -> Option<&str> {
        let code = self.origin.code.as_ref()?;
        match self.get("Name") {
            Some(p) => p.expression(),
            None => code.opaque.as_deref(),
        }
    }

    /// The name as reports show it: the `Name`, or for a name known only at deployment the
    /// expression that gives it.
    pub fn shown_name(&self) -> &str {
        match self.get("Name") {
            Some(p) if p.text().is_none() => p.expression().unwrap_or(""),
            Some(_) => self.name(),
            None => self.name_expression().unwrap_or(""),
        }
    }

    /// The file where `key`'s value is written: usually the object's own file.
    pub fn path_of(&self, key: &str) -> &str {
        self.origin
            .code
            .as_ref()
            .and_then(|c| c.elsewhere.iter().find(|(k, _)| k == key))
            .map_or(&*self.origin.path, |(_, path)| path.as_str())
    }

    /// Where the key itself is written: `(path, line)`; differs from the value's place when the
    /// value comes from a variable, a local or an extension descriptor.
    pub fn key_location(&self, key: &str) -> (&str, u32) {
        match self.origin.code.as_ref().and_then(|c| c.keys.iter().find(|(k, _)| k == key)) {
            Some((_, line)) => (&*self.origin.path, *line),
            None => (self.path_of(key), self.line_of(key)),
        }
    }

    /// How it was defined as code, if it was.
    pub fn code_kind(&self) -> Option<CodeKind> {
        self.origin.code.as_ref().map(|c| c.kind)
    }

    /// Drops every property but `Name`: what an out-of-scope destination needs for the
    /// checks across the landscape (names on both levels, the settings' destination).
    pub fn keep_name_only(&mut self) {
        self.properties.retain(|p| p.key == "Name");
        self.properties.shrink_to_fit();
    }

    /// Where the object came from, as shown in reports: `file:line`, plus the level when known.
    pub fn qualified_origin(&self) -> String {
        if self.origin.pseudo {
            return match self.origin.level {
                Some(level) => format!("{} ({} level)", self.origin.path, level.as_str()),
                None => self.origin.path.to_string(),
            };
        }
        let object = self.origin.code.as_ref().map(|c| format!(" {}", c.object)).unwrap_or_default();
        match self.origin.level {
            Some(level) => format!("{}:{}{object} ({} level)", self.origin.path, self.origin.line, level.as_str()),
            None => format!("{}:{}{object}", self.origin.path, self.origin.line),
        }
    }
}

/// [`Destination::is_cloud_alm`] from the texts of `Name` (`""` when it has none) and `URL`.
pub fn is_cloud_alm(name: &str, url: Option<&str>, named: Option<&str>) -> bool {
    // Scope is decided on the name as it would be meant (SPEC §3): `" CALM_X"` is in scope, and
    // CALM017 then judges the white space as written.
    let name = name.trim();
    name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("CALM_"))
        || name.eq_ignore_ascii_case(PROCESS_AUTOMATION_NAME)
        || url.is_some_and(has_cloud_alm_host)
        || named.is_some_and(|n| n.trim() == name.trim())
}

/// The URL's host (as the rules' literal splitter sees it) ends in `.alm.cloud.sap`, any case;
/// without allocating, as this runs for every destination loaded. A URL that holds the suffix
/// nowhere (almost all of a landscape) is told apart by looking at its dots alone.
fn has_cloud_alm_host(url: &str) -> bool {
    const SUFFIX: &str = ".alm.cloud.sap";
    let bytes = url.as_bytes();
    let mentioned =
        memchr::memchr_iter(b'.', bytes).any(|i| bytes.get(i..i + SUFFIX.len()).is_some_and(|w| w.eq_ignore_ascii_case(SUFFIX.as_bytes())));
    if !mentioned {
        return false;
    }
    super::url::host_lower(url).is_some_and(|host| host.ends_with(SUFFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_alm_hosts_are_recognised_as_the_url_splitter_would() {
        for (url, expected) in [
            ("https://acme.eu10.alm.cloud.sap/", true),
            ("  https://ACME.EU10.ALM.CLOUD.SAP:443/api?x=1", true),
            ("https://user:pw@acme.eu10.alm.cloud.sap#f", true),
            ("https://acme.eu10.alm.cloud.sap.evil.example/", false),
            ("https://example.com/acme.eu10.alm.cloud.sap", false),
            ("https://example.com?h=.alm.cloud.sap", false),
            ("acme.eu10.alm.cloud.sap", false),
            ("https://.alm.cloud.sap", true),
            ("https://acme.eu10.alm.cloud.sap./", true),
            ("https://ACME.EU10.ALM.CLOUD.SAP.:8443/", true),
            ("https://evil.example\\@acme.eu10.alm.cloud.sap/", false),
        ] {
            assert_eq!(has_cloud_alm_host(url), expected, "{url}");
            let splitter = super::super::url::host_lower(url).is_some_and(|h| h.ends_with(".alm.cloud.sap"));
            assert_eq!(splitter, expected, "splitter on {url}");
        }
    }
}
