//! Profiles: the purposes a Cloud ALM destination serves (SPEC §3a), read from
//! `rules/profiles.toml` (embedded in the binary) and validated against the catalog once.
//! Everything that shows a profile is generated from here, and the engine asks
//! [`Profiles::applies`] before it runs a destination rule.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::catalog::{Catalog, Scope};

pub(super) const BUILTIN: &str = include_str!("../../rules/profiles.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleGroup {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    pub rules: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub page: String,
    pub summary: String,
    /// The rules beyond the common ones.
    pub rules: Vec<String>,
    /// The common destination rules this profile does not apply, each with why (what its page
    /// asks instead); in code order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub leaves_out: BTreeMap<String, String>,
    /// The page asks to set properties whose BTP default is already right; absent ones warn.
    pub explicit_defaults: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// What one recognition step looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Settings,
    Name(String),
    NamePrefix(String),
    Property(String),
    HostSuffix(String),
}

/// What a matching recognition step decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Judge the destination by the profile of this name.
    Profile(String),
    /// Recognised and not audited: what the destination is for.
    NotAudited(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub condition: Condition,
    pub ignore_case: bool,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    settings: bool,
    name: Option<String>,
    name_prefix: Option<String>,
    property: Option<String>,
    host_suffix: Option<String>,
    #[serde(default)]
    ignore_case: bool,
    profile: Option<String>,
    not_audited: Option<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfiles {
    common: RuleGroup,
    run: RuleGroup,
    scope_unknown: RuleGroup,
    profile: Vec<Profile>,
    recognise: Vec<RawStep>,
}

#[derive(Debug, Serialize)]
pub struct Profiles {
    pub common: RuleGroup,
    pub run: RuleGroup,
    /// The rules that judge a destination whose scope is unknown (SPEC 2.1), which has no profile.
    pub scope_unknown: RuleGroup,
    pub profiles: Vec<Profile>,
    pub recognise: Vec<Step>,
}

/// A profile file that does not load, with the problem and where.
#[derive(Debug, thiserror::Error)]
#[error("profiles{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ProfilesError {
    pub line: Option<u32>,
    pub message: String,
}

impl Profiles {
    /// The profiles shipped in the binary, checked against the built-in catalog; their validity
    /// is guarded by the test suite.
    pub fn builtin() -> &'static Profiles {
        static PROFILES: OnceLock<Profiles> = OnceLock::new();
        PROFILES.get_or_init(|| Profiles::parse(BUILTIN, Catalog::builtin()).unwrap_or_else(|e| panic!("the built-in {e}")))
    }

    /// Parses and validates: names kebab-case and unique, every rule code in the catalog,
    /// every recognition step with one condition, one outcome and a known profile.
    pub fn parse(text: &str, catalog: &Catalog) -> Result<Profiles, ProfilesError> {
        let index = crate::source::LineIndex::new(text);
        let raw: RawProfiles = toml::from_str(text)
            .map_err(|e| ProfilesError { line: e.span().map(|s| index.line(s.start)), message: e.message().to_owned() })?;
        let err = |message: String| ProfilesError { line: None, message };
        let known = |code: &String| catalog.rules.iter().any(|r| &r.code == code);
        for (group, rules) in [("common", &raw.common.rules), ("run", &raw.run.rules), ("scope_unknown", &raw.scope_unknown.rules)]
            .into_iter()
            .chain(raw.profile.iter().map(|p| (p.name.as_str(), &p.rules)))
        {
            if let Some(code) = rules.iter().find(|c| !known(c)) {
                return Err(err(format!("{group}: no rule {code} in the catalog")));
            }
        }
        if let Some(code) = raw.scope_unknown.rules.iter().find(|c| catalog.find(c).is_some_and(|r| r.scope != Scope::Destination)) {
            return Err(err(format!("scope_unknown: {code} is not a rule about each destination")));
        }
        for p in &raw.profile {
            for (code, why) in &p.leaves_out {
                let Some(rule) = catalog.find(code) else {
                    return Err(err(format!("{}: leaves out {code}, which is not in the catalog", p.name)));
                };
                if !raw.common.rules.contains(code) {
                    return Err(err(format!(
                        "{}: leaves out {code}, which is not a common rule (leave it out of `rules` instead)",
                        p.name
                    )));
                }
                if rule.scope != Scope::Destination {
                    return Err(err(format!(
                        "{}: leaves out {code}, which judges all destinations together; only rules about each destination can be left out",
                        p.name
                    )));
                }
                if why.trim().is_empty() {
                    return Err(err(format!("{}: leaves out {code} without saying why", p.name)));
                }
            }
            if p.name.is_empty() || !p.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(err(format!("profile name \"{}\" is not kebab-case", p.name)));
            }
            if raw.profile.iter().filter(|q| q.name == p.name).count() > 1 {
                return Err(err(format!("profile name \"{}\" is used twice", p.name)));
            }
            if p.title.trim().is_empty() || p.summary.trim().is_empty() || !p.page.starts_with("https://") {
                return Err(err(format!("profile {}: title, summary and an https page are required", p.name)));
            }
        }
        let mut recognise = Vec::with_capacity(raw.recognise.len());
        for (i, s) in raw.recognise.into_iter().enumerate() {
            let at = format!("recognition step {}", i + 1);
            let mut conditions: Vec<Condition> = Vec::new();
            if s.settings {
                conditions.push(Condition::Settings);
            }
            conditions.extend(s.name.map(Condition::Name));
            conditions.extend(s.name_prefix.map(Condition::NamePrefix));
            conditions.extend(s.property.map(Condition::Property));
            conditions.extend(s.host_suffix.map(Condition::HostSuffix));
            let [condition] = <[Condition; 1]>::try_from(conditions)
                .map_err(|_| err(format!("{at}: needs exactly one of settings, name, name_prefix, property, host_suffix")))?;
            let verdict = match (s.profile, s.not_audited) {
                (Some(p), None) if raw.profile.iter().any(|q| q.name == p) => Verdict::Profile(p),
                (Some(p), None) => return Err(err(format!("{at}: no profile \"{p}\""))),
                (None, Some(why)) if !why.trim().is_empty() => Verdict::NotAudited(why),
                _ => return Err(err(format!("{at}: needs exactly one of profile, not_audited"))),
            };
            if s.reason.trim().is_empty() {
                return Err(err(format!("{at}: a reason is required")));
            }
            recognise.push(Step { condition, ignore_case: s.ignore_case, verdict, reason: s.reason });
        }
        Ok(Profiles { common: raw.common, run: raw.run, scope_unknown: raw.scope_unknown, profiles: raw.profile, recognise })
    }

    pub fn find(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The profile called `name`, or an error with the closest names.
    pub fn lookup(&self, name: &str) -> Result<&Profile, String> {
        self.find(name.trim()).ok_or_else(|| {
            let names: Vec<&str> = self.profiles.iter().map(|p| p.name.as_str()).collect();
            let near = names
                .iter()
                .map(|n| (strsim::jaro_winkler(n, &name.trim().to_ascii_lowercase()), *n))
                .filter(|(score, _)| *score > 0.7)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            match near {
                Some((_, n)) => format!("no profile \"{name}\"; did you mean \"{n}\"? (profiles: {})", names.join(", ")),
                None => format!("no profile \"{name}\" (profiles: {})", names.join(", ")),
            }
        })
    }

    /// Whether a destination judged by `profile` gets `code`: a common rule the profile does
    /// not leave out, or one of its own.
    pub fn applies(&self, profile: &Profile, code: &str) -> bool {
        (self.common.rules.iter().any(|c| c == code) && !profile.leaves_out.contains_key(code)) || profile.rules.iter().any(|c| c == code)
    }

    /// The profiles that leave out the common rule `code`, each with why.
    pub fn left_out_by(&self, code: &str) -> Vec<(&Profile, &str)> {
        self.profiles.iter().filter_map(|p| p.leaves_out.get(code).map(|why| (p, why.as_str()))).collect()
    }

    /// The profiles that apply `code`: all of them for a common rule.
    pub fn of_rule(&self, code: &str) -> Vec<&Profile> {
        self.profiles.iter().filter(|p| self.applies(p, code)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(extra: &str) -> String {
        format!("{BUILTIN}\n{extra}")
    }

    #[test]
    fn every_name_of_an_audited_purpose_shows_cloud_alm() {
        // A module argument with such a name is then a failed source, never a note (SPEC 2.1).
        for step in &Profiles::builtin().recognise {
            let (Verdict::Profile(_), Condition::Name(name) | Condition::NamePrefix(name)) = (&step.verdict, &step.condition) else {
                continue;
            };
            assert!(crate::model::destination::names_cloud_alm(name), "{name}");
            if step.ignore_case {
                assert!(crate::model::destination::names_cloud_alm(&name.to_ascii_lowercase()), "{name}");
                assert!(crate::model::destination::names_cloud_alm(&name.to_ascii_uppercase()), "{name}");
            }
        }
    }

    #[test]
    fn the_builtin_profiles_load() {
        let p = Profiles::builtin();
        assert_eq!(p.profiles.len(), 7);
        assert!(p.find("entitlement-management").is_some_and(|e| e.rules.contains(&"CALM001".to_owned())));
    }

    #[test]
    fn bad_profile_data_is_rejected_with_the_reason() {
        let catalog = Catalog::builtin();
        let bad_step = with("[[recognise]]\nname = \"X\"\nproperty = \"y\"\nprofile = \"cloud-alm-push\"\nreason = \"r\"\n");
        assert!(Profiles::parse(&bad_step, catalog).unwrap_err().message.contains("exactly one of settings"));
        let unknown = with("[[recognise]]\nname = \"X\"\nprofile = \"nope\"\nreason = \"r\"\n");
        assert!(Profiles::parse(&unknown, catalog).unwrap_err().message.contains("no profile \"nope\""));
        let code = BUILTIN.replace("rules = [\"CALM050\"]", "rules = [\"CALM059\"]");
        assert!(Profiles::parse(&code, catalog).unwrap_err().message.contains("CALM059"));
        let key = with("[[recognise]]\nname = \"X\"\nprofile = \"cloud-alm-push\"\nreason = \"r\"\ncolour = 1\n");
        assert!(Profiles::parse(&key, catalog).unwrap_err().line.is_some());
    }

    /// A profile of the common rules except some: each left out rule is a common rule about
    /// each destination, in the catalog, with a reason; and it is then not applied.
    #[test]
    fn left_out_rules_are_validated_and_not_applied() {
        let catalog = Catalog::builtin();
        let leaving = |table: &str| {
            let text = BUILTIN.replace(
                "[profile.leaves_out]\nCALM004 = \"the page does not ask for the trailing slash\"",
                &format!("[profile.leaves_out]\n{table}"),
            );
            assert_ne!(text, BUILTIN, "the omnichannel-promotion-pricing table moved");
            Profiles::parse(&text, catalog)
        };
        let message = |table: &str| leaving(table).map(|_| String::new()).unwrap_or_else(|e| e.message);
        assert!(message("CALM059 = \"x\"").contains("leaves out CALM059, which is not in the catalog"));
        assert!(message("CALM050 = \"x\"").contains("CALM050, which is not a common rule"));
        assert!(message("CALM041 = \"x\"").contains("CALM041, which is not a common rule"));
        assert!(message("CALM031 = \"x\"").contains("CALM031, which judges all destinations together"));
        assert!(message("CALM004 = \" \"").contains("leaves out CALM004 without saying why"));
        assert!(leaving("CALM004 = \"x\"\ncolour = 1").is_err(), "a value that is not a reason");

        let p = Profiles::builtin();
        let opps = p.find("omnichannel-promotion-pricing").unwrap();
        assert!(!p.applies(opps, "CALM004") && p.applies(opps, "CALM005") && p.applies(opps, "CALM012"));
        let omf = p.find("order-management-foundation").unwrap();
        for code in ["CALM004", "CALM005", "CALM012"] {
            assert!(!p.applies(omf, code), "{code}");
        }
        assert!(p.applies(omf, "CALM006") && p.applies(omf, "CALM033") && p.applies(omf, "CALM031"));
        let names = |code: &str| p.left_out_by(code).iter().map(|(q, _)| q.name.as_str()).collect::<Vec<_>>();
        assert_eq!(names("CALM004"), ["omnichannel-promotion-pricing", "order-management-foundation"]);
        assert_eq!(names("CALM012"), ["order-management-foundation"]);
        assert!(names("CALM006").is_empty());
        assert!(!p.of_rule("CALM005").iter().any(|q| q.name == "order-management-foundation"));
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let e = Profiles::builtin().lookup("intelligent-rap").unwrap_err();
        assert!(e.contains("did you mean \"intelligent-rpa\""), "{e}");
        let e = Profiles::builtin().lookup("zzz").unwrap_err();
        assert!(!e.contains("did you mean") && e.contains("cloud-alm-push"), "{e}");
    }
}
