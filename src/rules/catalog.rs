//! The rule catalog: metadata and declarative checks, read from `rules/catalog.toml`
//! (embedded in the binary). Everything that shows a rule is generated from here.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::Severity;

pub(super) const BUILTIN: &str = include_str!("../../rules/catalog.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Destination,
    Settings,
    CloudAlmKey,
    /// The certificates in use: each in-scope destination's keystore (by its profile) and the
    /// certificate of an X.509 key (SPEC §3b).
    Certificate,
    Landscape,
}

/// An input a rule needs besides the destinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    CloudAlmKey,
    Settings,
    Live,
    Probe,
    /// Judges the complete destination list: `error` when a source failed part way.
    AllDestinations,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenAbsent {
    /// An absent property is a failure at the rule's severity.
    Fail,
    /// An absent property is a failure at warning level: BTP's default is right, but the
    /// setup page asks for the value explicitly.
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// Typed templates for the checks that are plain property tests.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "template", rename_all = "snake_case", deny_unknown_fields)]
pub enum Template {
    Prefix { property: String, prefix: String },
    Equals { property: String, expected: String, when_absent: WhenAbsent },
    NotBlank { property: String },
    NotEqualIgnoreCase { property: String, forbidden: String },
    Trimmed { properties: Vec<String> },
    Forbidden { keys: Vec<String>, key_prefixes: Vec<String>, key_values: Vec<KeyValue> },
    OneOf { property: String, allowed: Vec<String>, ignore_case: bool },
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub scope: Scope,
    #[serde(default)]
    pub requires: Vec<Requirement>,
    pub summary: String,
    pub description: String,
    pub remediation: Vec<String>,
    pub help_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Template>,
}

impl Rule {
    /// The string GitHub code scanning uses to rank alerts.
    pub fn security_severity(&self) -> &'static str {
        match self.severity {
            Severity::Error => "8.0",
            Severity::Warning => "5.0",
            Severity::Note => "2.0",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    rule: Vec<Rule>,
}

pub struct Catalog {
    pub rules: Vec<Rule>,
}

/// A catalog that does not load, with the problem and where.
#[derive(Debug, thiserror::Error)]
#[error("rule catalog{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct CatalogError {
    pub line: Option<u32>,
    pub message: String,
}

impl Catalog {
    /// The catalog shipped in the binary; its validity is guarded by the test suite.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::parse(BUILTIN).unwrap_or_else(|e| panic!("the built-in {e}")))
    }

    /// Parses and validates a catalog: codes well-formed, unique and sorted; names kebab-case
    /// and unique; templates only on destination rules.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let index = crate::source::LineIndex::new(text);
        let raw: RawCatalog = toml::from_str(text)
            .map_err(|e| CatalogError { line: e.span().map(|s| index.line(s.start)), message: e.message().to_owned() })?;
        let err = |message: String| CatalogError { line: None, message };
        for (i, rule) in raw.rule.iter().enumerate() {
            let digits = rule.code.strip_prefix("CALM").unwrap_or_default();
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(format!("code \"{}\" is not CALM followed by three digits", rule.code)));
            }
            if rule.name.is_empty() || !rule.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(err(format!("{}: name \"{}\" is not kebab-case", rule.code, rule.name)));
            }
            if let Some(prev) = i.checked_sub(1).map(|p| &raw.rule[p])
                && prev.code >= rule.code
            {
                return Err(err(format!("{} follows {}: codes must be unique and sorted", rule.code, prev.code)));
            }
            if raw.rule.iter().filter(|r| r.name == rule.name).count() > 1 {
                return Err(err(format!("name \"{}\" is used twice", rule.name)));
            }
            if rule.check.is_some() && rule.scope != Scope::Destination {
                return Err(err(format!("{}: templates only apply to destination rules", rule.code)));
            }
            if rule.summary.trim().is_empty()
                || rule.description.trim().is_empty()
                || rule.remediation.is_empty()
                || rule.help_uri.is_empty()
            {
                return Err(err(format!("{}: summary, description, remediation and help_uri are required", rule.code)));
            }
        }
        Ok(Catalog { rules: raw.rule })
    }

    /// A rule by code (any case) or by name.
    pub fn find(&self, key: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
    }

    /// Up to three rules whose code or name is close to `key` (a typo, a part of a name, another
    /// case or separator), best first: the "did you mean" of an unknown rule.
    pub fn similar(&self, key: &str) -> Vec<&Rule> {
        let key = key.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        if key.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(f64, &Rule)> = self
            .rules
            .iter()
            .map(|r| {
                let code = r.code.to_ascii_lowercase();
                let mut score = strsim::normalized_levenshtein(&key, &r.name).max(strsim::normalized_levenshtein(&key, &code));
                if key.len() >= 4 && (r.name.contains(&key) || key.contains(r.name.as_str())) {
                    score = score.max(0.9);
                }
                // A mistyped end of a name ("trailng-slash" for the end of
                // destination-url-trailing-slash) is as close as a mistyped whole name.
                if key.len() >= 6 {
                    for (at, _) in r.name.match_indices('-') {
                        score = score.max(strsim::normalized_levenshtein(&key, &r.name[at + 1..]) * 0.95);
                    }
                }
                (score, r)
            })
            .filter(|(score, _)| *score >= 0.7)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, r)| r).collect()
    }
}
