//! The configuration file `calm-audit.toml`: every `check` flag, plus `[[target]]`,
//! `[[waiver]]`, `[severity]` and `[reports]`. Read into raw types with spans, so every
//! unknown key or bad value is an error naming its line; resolved against flags and
//! `CALM_AUDIT_*` variables in `cli::resolve`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::source::{InputError, LineIndex, read_utf8_text};

pub const FILE_NAME: &str = "calm-audit.toml";

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub paths: Option<Vec<String>>,
    /// Gitignore-style globs left out of every folder walk.
    pub exclude: Option<Vec<String>>,
    /// Terraform variables files applied as `-var-file` applies them, in order.
    pub var_files: Option<Vec<String>>,
    pub destination_key: Option<String>,
    pub settings: Option<String>,
    pub calm_key: Option<String>,
    pub format: Option<Spanned<String>>,
    pub output: Option<String>,
    pub fail_on: Option<Spanned<String>>,
    pub all_results: Option<bool>,
    pub timeout: Option<Spanned<f64>>,
    /// Seconds for the whole read of each live target (`--deadline`).
    pub deadline: Option<Spanned<f64>>,
    pub probe: Option<bool>,
    pub ca_cert: Option<String>,
    pub verbose: Option<bool>,
    pub select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    pub severity: Option<BTreeMap<String, Spanned<String>>>,
    pub baseline: Option<String>,
    pub no_waivers: Option<bool>,
    pub sarif_waived: Option<bool>,
    pub save_snapshot: Option<String>,
    /// Format name → path of a report file to write.
    pub reports: Option<BTreeMap<String, Spanned<String>>>,
    /// Targets audited at once.
    pub concurrency: Option<Spanned<i64>>,
    /// Inputs without which the run exits 2 rather than audit partially: `calm-key`, `settings`.
    pub require: Option<Vec<Spanned<String>>>,
    /// CALM063: days a certificate must still be valid after the run's date.
    pub expiry_days: Option<Spanned<i64>>,
    /// The profile every in-scope destination of the run is judged by (SPEC §3a).
    pub profile: Option<Spanned<String>>,
    /// Destination name or glob → profile; beats `profile`.
    pub profiles: Option<BTreeMap<String, Spanned<String>>>,
    pub target: Option<Vec<Spanned<TargetConfig>>>,
    pub waiver: Option<Vec<Spanned<WaiverConfig>>>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub name: String,
    #[serde(default)]
    pub paths: Vec<String>,
    /// This target's Terraform variables files; beats the top-level `var_files`.
    pub var_files: Option<Vec<String>>,
    pub destination_key: Option<String>,
    pub settings: Option<String>,
    pub calm_key: Option<String>,
    /// The profile of this target's destinations; beats the top-level `profile`.
    pub profile: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct WaiverConfig {
    pub rule: String,
    pub destination: Option<String>,
    pub target: Option<String>,
    /// Glob over where the object came from (`prod/*`): the same name in another file is not waived.
    pub source: Option<String>,
    pub reason: String,
    pub expires: String,
}

/// A configuration file read and parsed.
pub struct Loaded {
    /// Display path.
    pub shown: String,
    /// Folder that relative paths in the file are relative to.
    pub dir: PathBuf,
    pub file: FileConfig,
    index: LineIndex,
}

impl Loaded {
    /// `calm-audit.toml:12` for a span.
    pub fn at(&self, span: std::ops::Range<usize>) -> String {
        format!("{}:{}", self.shown, self.index.line(span.start))
    }

    pub fn line(&self, span: std::ops::Range<usize>) -> u32 {
        self.index.line(span.start)
    }

    /// An error at a span of the file.
    pub fn error(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> InputError {
        InputError::new(&self.shown, Some(self.line(span)), message)
    }

    /// A path written in the file, relative to the file's folder.
    pub fn path(&self, written: &str) -> PathBuf {
        let p = Path::new(written);
        if p.is_absolute() || self.dir.as_os_str().is_empty() { p.to_path_buf() } else { self.dir.join(p) }
    }
}

/// The file named by `--config`, else `calm-audit.toml` in the working folder if there is one.
pub fn discover(flag: Option<&Path>) -> Result<Option<Loaded>, InputError> {
    match flag {
        Some(path) => load(path).map(Some),
        None if Path::new(FILE_NAME).is_file() => load(Path::new(FILE_NAME)).map(Some),
        None => Ok(None),
    }
}

pub fn load(path: &Path) -> Result<Loaded, InputError> {
    let shown = crate::model::shown::path(path);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    // An empty file is a valid configuration that sets nothing (a fresh `touch`).
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
        return Ok(Loaded { shown, dir, file: FileConfig::default(), index: LineIndex::new("") });
    }
    let text = read_utf8_text(path, &shown, "configuration file")?;
    parse(&text, &shown, dir)
}

/// A configuration from its text; `dir` is what relative paths in it are relative to.
pub fn parse(text: &str, shown: &str, dir: PathBuf) -> Result<Loaded, InputError> {
    let index = LineIndex::new(text);
    let file: FileConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| index.line(s.start));
        let message = match crate::source::settings::misplaced(text) {
            // Another input given as the configuration: what it is and the flag that takes it.
            Some(other) => other.hint("a calm-audit configuration (--config)"),
            None => format!("invalid configuration: {}", unknown_key_hint(e.message().trim())),
        };
        InputError::new(shown, line, message)
    })?;
    Ok(Loaded { shown: shown.to_owned(), dir, file, index })
}

/// serde's "unknown field `fail-on`, expected one of `paths`, ..." with the one field meant,
/// when one is close (`fail-on`, `failon`, `Fail_On` → `fail_on`), instead of the whole list.
fn unknown_key_hint(message: &str) -> String {
    let Some((field, expected)) = message.strip_prefix("unknown field `").and_then(|rest| rest.split_once('`')) else {
        return message.to_owned();
    };
    // The expected fields are the quoted words of the rest: ", expected one of `a`, `b`".
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let normal = |k: &str| k.to_ascii_lowercase().replace('-', "_");
    let close = known.iter().find(|k| normal(k) == normal(field)).or_else(|| {
        known
            .iter()
            .map(|k| (k, strsim::jaro_winkler(&normal(k), &normal(field))))
            .filter(|(_, score)| *score > 0.85)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k)
    });
    match close {
        Some(k) => format!("unknown field `{field}`; did you mean `{k}`?"),
        None => message.to_owned(),
    }
}

/// The commented template `calm-audit init` writes.
pub const TEMPLATE: &str = r#"# calm-audit configuration. Flags override CALM_AUDIT_* environment variables, which
# override this file. Paths are relative to this file. `calm-audit check --show-config`
# prints the effective configuration and where each value came from.
# Plain settings first: in TOML they must come before the [tables] below.

# Destination files or folders (cockpit exports, JSON/YAML, zip archives, snapshots), and
# destinations as code: MTA descriptors (mta.yaml, *.mtaext) and Terraform (*.tf, *.tf.json,
# `terraform show -json` output). Folders are walked as a repository is: .gitignore honoured,
# hidden entries skipped.
# paths = ["exports/"]

# Gitignore-style globs left out of every folder walk.
# exclude = ["legacy/**", "*.bak.json"]

# Terraform variables files to apply, in order, as `terraform plan -var-file` does (a .tfvars
# other than terraform.tfvars and *.auto.tfvars is never applied by itself).
# var_files = ["infra/samples.tfvars"]

# Live: the destination service instance key of the Entitlement Management subaccount.
# destination_key = "keys/destination-key.json"

# The SAP Cloud ALM Integration settings, and the Cloud ALM service key.
# settings = "settings.toml"
# calm_key = "keys/calm-service-key.txt"

# Report on standard output: table, json, sarif, junit, markdown or html.
# format = "table"
# Lowest severity that fails the run: error, warning, note or never.
# fail_on = "error"
# all_results = false

# Refuse a partial audit: exit 2 when the Cloud ALM key or the settings are not given
# (without them the rules that compare with the key, or judge the settings, cannot run).
# require = ["calm-key", "settings"]

# Live options.
# timeout = 30
# deadline = 600
# probe = false
# ca_cert = "corporate-root.pem"

# Only these rules (codes or names), or all but these.
# select = ["CALM001", "destination-url-trailing-slash"]
# ignore = ["CALM031"]

# Compare with an earlier JSON or SARIF report: only new failures fail the run.
# baseline = "reports/last-audit.json"

# Targets audited at once.
# concurrency = 8

# Certificates (CALM063): warn about a keystore or key certificate that expires within this
# many days of the run's date.
# expiry_days = 30

# The purpose every Cloud ALM destination is judged by, instead of recognising it
# (`calm-audit profiles` lists them): entitlement-management, build-process-automation,
# intelligent-rpa, industry-cloud-ingestion, omnichannel-promotion-pricing,
# order-management-foundation, cloud-alm-push.
# profile = "entitlement-management"

# More reports from the same run, written atomically: format = "path".
# [reports]
# sarif = "reports/calm-audit.sarif"
# junit = "reports/calm-audit.junit.xml"
# html = "reports/calm-audit.html"

# The purpose of some destinations, by name or glob; beats `profile` and recognition.
# [profiles]
# "SAP Cloud ALM" = "industry-cloud-ingestion"
# "RPA_*" = "intelligent-rpa"

# Severity per rule: error, warning or note.
# [severity]
# CALM031 = "error"

# Several subaccounts in one run, each with its own sources.
# [[target]]
# name = "prod-eu10"
# destination_key = "keys/prod-eu10.json"
# calm_key = "keys/calm-prod.txt"
# settings = "settings/prod.toml"
#
# [[target]]
# name = "test-us10"
# paths = ["exports/test-us10/"]
# profile = "build-process-automation"

# Accepted exceptions. reason and expires are required; an expired waiver stops applying
# and is reported, as is one that matches nothing. --no-waivers ignores them all.
# [[waiver]]
# rule = "CALM010"
# destination = "CALM_LEGACY*"   # glob over destination names; optional
# target = "prod-eu10"           # optional
# reason = "Common token URL until the tenant move, ticket OPS-4411"
# expires = "2027-03-31"
"#;

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests write their fixtures
mod tests {
    use super::*;

    #[test]
    fn the_template_is_a_valid_configuration() {
        // Every commented-out setting, uncommented, must parse: the template never drifts from the schema.
        let is_setting = |l: &str| {
            l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        };
        let uncommented: String =
            TEMPLATE.lines().filter_map(|l| l.strip_prefix("# ")).filter(|l| is_setting(l)).map(|l| format!("{l}\n")).collect();
        let parsed: Result<FileConfig, _> = toml::from_str(&uncommented);
        assert!(parsed.is_ok(), "{uncommented}\n{:?}", parsed.err());
        let file = parsed.unwrap();
        assert_eq!(file.target.map(|t| t.len()), Some(2));
        assert_eq!(file.waiver.map(|w| w.len()), Some(1));
        assert_eq!(file.timeout.map(|t| *t.get_ref()), Some(30.0), "top-level keys stay top-level");
        assert_eq!(file.reports.map(|r| r.len()), Some(3));
    }

    /// The template's comment lists the profiles `profile = "..."` takes; a new profile is named there too.
    #[test]
    fn the_template_names_every_profile() {
        let flat = TEMPLATE.lines().filter_map(|l| l.strip_prefix("# ")).collect::<Vec<_>>().join(" ");
        for p in &crate::rules::Profiles::builtin().profiles {
            assert!(flat.contains(&format!("{},", p.name)) || flat.contains(&format!("{}.", p.name)), "{} is not named", p.name);
        }
    }

    /// Regression (item 10): the template listed the formats without `html`.
    #[test]
    fn the_template_names_every_format() {
        use clap::ValueEnum;
        let line = TEMPLATE.lines().find(|l| l.starts_with("# Report on standard output:")).unwrap_or_default();
        for format in crate::report::Format::value_variants() {
            let name = format.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
            assert!(line.contains(&name), "{name} is not named in {line:?}");
        }
    }

    #[test]
    fn unknown_keys_name_their_line() {
        let dir = tempfile_dir();
        let path = dir.join("calm-audit.toml");
        std::fs::write(
            &path,
            "format = \"json\"\n\n[[waiver]]\nrule = \"CALM010\"\nreason = \"x\"\nexpires = \"2027-01-01\"\nexpiry = \"2027\"\n",
        )
        .unwrap();
        let e = load(&path).err().unwrap();
        assert_eq!(e.line, Some(7), "{e}");
        assert!(e.message.contains("expiry"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Regression (issue 29, point 11): `fail-on` listed 29 fields without naming `fail_on`.
    #[test]
    fn an_unknown_key_names_the_one_meant() {
        for (text, meant) in [
            ("fail-on = \"warning\"\n", "`fail_on`"),
            ("failon = \"warning\"\n", "`fail_on`"),
            ("[[target]]\nname = \"a\"\npath = [\"x\"]\n", "`paths`"),
            ("[[waiver]]\nrule = \"CALM010\"\nreason = \"x\"\nexpire = \"2027-01-01\"\n", "`expires`"),
        ] {
            let e = parse(text, "calm-audit.toml", PathBuf::new()).err().unwrap();
            assert!(e.message.contains(&format!("did you mean {meant}?")), "{text}: {e}");
            assert!(!e.message.contains("expected one of"), "{text}: {e}");
        }
        // Nothing close: the list stays, so the user sees what there is.
        let e = parse("colour = true\n", "calm-audit.toml", PathBuf::new()).err().unwrap();
        assert!(e.message.contains("unknown field `colour`") && e.message.contains("expected one of"), "{e}");
        // Settings given as the configuration are named as such.
        let e = parse("enable_integration_monitoring = true\n", "calm-audit.toml", PathBuf::new()).err().unwrap();
        assert!(e.message.contains("Entitlement Management settings") && e.message.contains("--settings"), "{e}");
    }

    /// Every key of the file, written with `-` for `_` or in capitals, is named for what it is:
    /// the class of typo, not one instance.
    #[test]
    fn every_key_written_another_way_is_named() {
        let e = parse("zzzz = 1\n", "calm-audit.toml", PathBuf::new()).err().unwrap();
        let list = e.message.split_once("expected one of").map(|(_, l)| l.to_owned()).unwrap_or_default();
        let known: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
        assert!(known.len() > 20, "{e}");
        for key in known {
            for written in [key.replace('_', "-"), key.to_ascii_uppercase()] {
                if written == key {
                    continue;
                }
                let e = parse(&format!("{written} = 1\n"), "calm-audit.toml", PathBuf::new()).err().unwrap();
                assert!(e.message.contains(&format!("did you mean `{key}`?")), "{written}: {e}");
            }
        }
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("calm-audit-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
