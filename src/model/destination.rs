//! A BTP destination as the auditor sees it: ordered properties, each with the line it
//! came from, and where the whole object came from.

use super::secret::{Secret, is_secret_key};

/// The value removed by the cockpit's properties export in place of a secret.
pub const REMOVED_ON_EXPORT: &str = "<< Existing password/certificate removed on export >>";

/// The destination name SAP Build Process Automation and SAP Intelligent RPA look for: it brings
/// a destination into scope whatever its URL (SPEC §3a).
pub const PROCESS_AUTOMATION_NAME: &str = "sap_process_automation_cloud_alm";

#[derive(Debug)]
pub enum Value {
    Text(String),
    Secret(Secret),
    /// The export left the key but removed its value: the secret is not present here.
    Removed,
}

#[derive(Debug)]
pub struct Property {
    pub key: String,
    pub value: Value,
    /// 1-based line in the source file, when the destination came from a file.
    pub line: Option<u32>,
}

impl Property {
    /// Builds a property, moving the value into a [`Secret`] when the key names one and
    /// turning the export's removal marker into [`Value::Removed`].
    pub fn new(key: String, value: String, line: Option<u32>) -> Self {
        let value = if value.trim() == REMOVED_ON_EXPORT {
            Value::Removed
        } else if is_secret_key(&key) {
            Value::Secret(Secret::new(value))
        } else {
            Value::Text(value)
        };
        Property { key, value, line }
    }

    pub fn removed(key: String, line: Option<u32>) -> Self {
        Property { key, value: Value::Removed, line }
    }

    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
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
    /// `btp/subaccount/<id>/[instances/<id>/]destinations/<name>`.
    pub path: String,
    /// Line where the object starts (1 for a pseudo path).
    pub line: u32,
    /// Known for live reads and for `config.json` `init_data`.
    pub level: Option<Level>,
    /// `path` is a pseudo path, not a file.
    pub pseudo: bool,
}

impl Origin {
    pub fn file(path: &str, line: u32, level: Option<Level>) -> Self {
        Origin { path: path.to_owned(), line, level, pseudo: false }
    }
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
    /// Only with `--probe` on a live read (or its snapshot).
    pub probe: Option<Probe>,
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
        let name = self.name();
        name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("CALM_"))
            || name.eq_ignore_ascii_case(PROCESS_AUTOMATION_NAME)
            || self.text("URL").is_some_and(has_cloud_alm_host)
            || named.is_some_and(|n| n.trim() == name.trim())
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
                None => self.origin.path.clone(),
            };
        }
        match self.origin.level {
            Some(level) => format!("{}:{} ({} level)", self.origin.path, self.origin.line, level.as_str()),
            None => format!("{}:{}", self.origin.path, self.origin.line),
        }
    }
}

/// The URL's host (as the rules' literal splitter sees it) ends in `.alm.cloud.sap`, any case;
/// without allocating, as this runs for every destination loaded.
fn has_cloud_alm_host(url: &str) -> bool {
    const SUFFIX: &str = ".alm.cloud.sap";
    super::url::split(url.trim()).map(|parts| parts.host).is_some_and(|host| {
        host.len() >= SUFFIX.len() && host.get(host.len() - SUFFIX.len()..).is_some_and(|s| s.eq_ignore_ascii_case(SUFFIX))
    })
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
        ] {
            assert_eq!(has_cloud_alm_host(url), expected, "{url}");
            let splitter = super::super::url::host_lower(url).is_some_and(|h| h.ends_with(".alm.cloud.sap"));
            assert_eq!(splitter, expected, "splitter on {url}");
        }
    }
}
