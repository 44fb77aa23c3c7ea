//! Resolves what a `check` run does from its flags, the `CALM_AUDIT_*` environment variables
//! and the configuration file, in that order of precedence, remembering where each value came
//! from (`--show-config`).

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::CliError;
use super::args::{CheckArgs, FailOn, Required, enum_value};
use super::sources::SourceArgs;
use crate::config::{self, Loaded};
use crate::model::Severity;
use crate::overlay::waivers::{Waiver, valid_date};
use crate::overlay::{rule_code, unknown_rule};
use crate::report::Format;
use crate::rules::{Catalog, Profile, Profiles};

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(&'static str),
    /// `calm-audit.toml:12`
    File(String),
    /// The extension of the report file of `--output` (or `output =`).
    Extension(String),
    /// A `[[target]]` that does not set it takes the run's value, which came from here.
    Inherited(Box<Source>),
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("command line"),
            Source::Env(name) => write!(f, "environment {name}"),
            Source::File(at) => f.write_str(at),
            Source::Extension(path) => write!(f, "extension of the output file {path}"),
            Source::Inherited(from) => write!(f, "not set in the target: the run's value, from {from}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// One audit of one target.
pub struct RunSpec {
    /// `None` for a run without `[[target]]`.
    pub name: Option<String>,
    pub sources: SourceArgs,
    /// The profile every in-scope destination is judged by, and where it was chosen.
    pub profile: Option<(&'static Profile, String)>,
    /// Where a `[[target]]` is configured: `calm-audit.toml:12`.
    pub defined_at: Option<String>,
}

pub struct Resolved {
    pub runs: Vec<RunSpec>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub fail_on: FailOn,
    pub all_results: bool,
    pub save_snapshot: Option<PathBuf>,
    pub select: Vec<&'static str>,
    pub ignore: Vec<&'static str>,
    pub severity: Vec<(&'static str, Severity)>,
    pub waivers: Vec<Waiver>,
    pub baseline: Option<PathBuf>,
    pub reports: Vec<(Format, PathBuf)>,
    pub sarif_waived: bool,
    pub concurrency: usize,
    /// Inputs without which the run is refused rather than audited partially.
    pub require: Vec<Required>,
    /// The run's instant and the certificate horizon (`--expiry-days`).
    pub clock: crate::rules::certificates::Clock,
    /// `[profiles]`: destination name or glob, profile, where it was chosen; in file order.
    pub profile_map: Vec<(String, &'static Profile, String)>,
    /// Every effective value as `key = value` with its source, for `--show-config`.
    pub provenance: Vec<Entry>,
    /// What the user must hear about how flags, environment and file were merged (a report
    /// of the file replaced by a flag, configured targets not used, a format that contradicts
    /// `--output`'s extension): on standard error, and in `--show-config`.
    pub notices: Vec<String>,
    /// Paths given on the command line while the configuration names `[[target]]`s: the
    /// targets not used, as every report's inputs say (`calm-audit.toml: prod, test`).
    pub targets_not_used: Option<String>,
}

/// One effective value for `--show-config`: `key = value`, where it came from, and the path it
/// names when it is one (flagged when it does not exist).
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub source: Source,
    /// The files or folders it names that the run reads.
    pub paths: Vec<PathBuf>,
}

fn env(name: &'static str) -> Option<(String, &'static str)> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(|v| (v, name))
}

fn env_error(name: &str, message: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("environment variable {name}: {message}"))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn severity_value(text: &str) -> Result<Severity, String> {
    match text.trim() {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        "note" => Ok(Severity::Note),
        other => Err(format!("\"{other}\" is not one of error, warning, note")),
    }
}

struct Builder<'a> {
    file: Option<&'a Loaded>,
    provenance: Vec<Entry>,
    notices: Vec<String>,
    targets_not_used: Option<String>,
}

impl Builder<'_> {
    fn note(&mut self, key: &str, value: impl std::fmt::Display, source: Source) {
        self.provenance.push(Entry { key: key.to_owned(), value: value.to_string(), source, paths: Vec::new() });
    }

    /// A value that names a file or folder the run reads: `--show-config` says when it is not there.
    fn note_path(&mut self, key: &str, path: &Path, source: Source) {
        self.note_paths(key, std::slice::from_ref(&path.to_path_buf()), source);
    }

    /// A list of files or folders the run reads.
    fn note_paths(&mut self, key: &str, paths: &[PathBuf], source: Source) {
        let value = if key.ends_with("paths") || key.ends_with("var_files") {
            format!("[{}]", paths.iter().map(|p| format!("\"{}\"", crate::model::shown::path(p))).collect::<Vec<_>>().join(", "))
        } else {
            paths.iter().map(|p| format!("\"{}\"", crate::model::shown::path(p))).collect::<Vec<_>>().join(", ")
        };
        self.provenance.push(Entry { key: key.to_owned(), value, source, paths: paths.to_vec() });
    }

    /// Where the run-level value of `key` came from.
    fn source_of(&self, key: &str) -> Source {
        self.provenance.iter().rev().find(|e| e.key == key).map_or(Source::Default, |e| e.source.clone())
    }

    fn file_at(&self, span: std::ops::Range<usize>) -> Source {
        Source::File(self.file.map(|f| f.at(span)).unwrap_or_default())
    }

    fn file_key(&self, key: &str) -> Source {
        Source::File(self.file.map(|f| format!("{} ({key})", f.shown)).unwrap_or_default())
    }

    /// A path: flag, then variable, then file (relative to the file), else none.
    fn path(&mut self, key: &str, flag: Option<&Path>, var: Option<&'static str>, file: Option<&String>) -> Option<PathBuf> {
        let (value, source) = self.path_source(key, flag, var, file)?;
        if READ_PATHS.contains(&key) {
            self.note_path(key, &value, source);
        } else {
            self.note(key, format!("\"{}\"", crate::model::shown::path(&value)), source);
        }
        Some(value)
    }

    /// [`Self::path`] without noting it.
    fn path_source(&self, key: &str, flag: Option<&Path>, var: Option<&'static str>, file: Option<&String>) -> Option<(PathBuf, Source)> {
        let (value, source) = if let Some(p) = flag {
            (p.to_path_buf(), Source::Flag)
        } else if let Some((v, name)) = var.and_then(env) {
            let path = PathBuf::from(&v);
            if READ_PATHS.contains(&key) {
                hide_unless_there(&path, &v, &format!("environment {name}"));
            }
            (path, Source::Env(name))
        } else if let (Some(written), Some(loaded)) = (file, self.file) {
            let path = loaded.path(written);
            if READ_PATHS.contains(&key) {
                hide_unless_there(&path, written, &format!("{} ({key})", loaded.shown));
            }
            (path, self.file_key(key))
        } else {
            return None;
        };
        Some((value, source))
    }

    /// One of a set of values: flag, then variable, then file, else `default`.
    fn choice<T: ValueEnum + Copy + std::fmt::Debug>(
        &mut self,
        key: &str,
        flag: Option<T>,
        var: &'static str,
        file: Option<&toml::Spanned<String>>,
        default: T,
    ) -> Result<T, CliError> {
        let name = |v: T| v.to_possible_value().map(|p| p.get_name().to_owned()).unwrap_or_default();
        let (value, source) = if let Some(v) = flag {
            (v, Source::Flag)
        } else if let Some((text, env_name)) = env(var) {
            (enum_value::<T>(&text).map_err(|e| env_error(env_name, e))?, Source::Env(env_name))
        } else if let (Some(spanned), Some(l)) = (file, self.file) {
            let v = enum_value::<T>(spanned.get_ref()).map_err(|e| CliError::Input(l.error(spanned.span(), format!("{key}: {e}"))))?;
            (v, self.file_at(spanned.span()))
        } else {
            (default, Source::Default)
        };
        self.note(key, name(value), source);
        Ok(value)
    }

    fn flag_bool(&mut self, key: &str, flag: bool, var: &'static str, file: Option<bool>) -> Result<bool, CliError> {
        let (value, source) = if flag {
            (true, Source::Flag)
        } else if let Some((v, name)) = env(var) {
            (parse_bool(&v).ok_or_else(|| env_error(name, format!("\"{v}\" is not true or false")))?, Source::Env(name))
        } else if let Some(b) = file {
            (b, self.file_key(key))
        } else {
            (false, Source::Default)
        };
        self.note(key, value, source);
        Ok(value)
    }
}

/// A value of the environment or the configuration file that names no existing file or folder
/// and reads as content (a key's JSON, a password pasted in the wrong place) is from here on
/// shown only by where it came from and its length ([`crate::model::shown`]), whoever shows it.
fn hide_unless_there(path: &Path, raw: &str, origin: &str) {
    // A mistyped path (`settinsg.toml`) is shown as written, so the user sees the typo; a value
    // that reads as content (a key's JSON, several lines) or as a credential is not.
    let content = raw.contains(['{', '}', '\n', '"']) || raw.chars().count() > 260 || crate::model::secret::looks_like_credential(raw);
    if raw != "-" && !path.exists() && content {
        crate::model::shown::hide_value(path, raw, origin);
    }
}

/// The keys whose paths the run reads (the others are written): `--show-config` checks them.
const READ_PATHS: [&str; 5] = ["settings", "calm_key", "destination_key", "ca_cert", "baseline"];

/// A rule named in a list, with its place in the configuration file when it came from there.
type RuleItem = (String, Option<std::ops::Range<usize>>);

/// Rule codes from names or codes; every unknown one is an error at its source, all named at once.
fn rule_list(items: &[RuleItem], b: &Builder, what: &str) -> Result<Vec<&'static str>, CliError> {
    let catalog = Catalog::builtin();
    let mut codes = Vec::new();
    let mut unknown = Vec::new();
    for (text, span) in items.iter().flat_map(|(text, span)| text.split(',').map(move |part| (part.trim().to_owned(), span.clone()))) {
        if text.is_empty() {
            continue;
        }
        match rule_code(catalog, &text) {
            Some(code) => codes.push(code),
            None => unknown.push((format!("{what}: {}", unknown_rule(catalog, &text)), span)),
        }
    }
    if unknown.is_empty() {
        return Ok(codes);
    }
    let mut inputs = Vec::new();
    let mut usage = Vec::new();
    for (message, span) in unknown {
        match (span, b.file) {
            (Some(span), Some(file)) => inputs.push(file.error(span, message)),
            _ => usage.push(message),
        }
    }
    Err(match (inputs.len(), usage.is_empty()) {
        (0, _) => CliError::Usage(usage.join("\n")),
        (1, true) => CliError::Input(inputs.remove(0)),
        _ => {
            usage.extend(inputs.iter().map(ToString::to_string));
            CliError::Usage(usage.join("\n"))
        }
    })
}

pub fn resolve(args: &CheckArgs) -> Result<Resolved, CliError> {
    let config_flag = args.config.clone().or_else(|| {
        env("CALM_AUDIT_CONFIG").map(|(v, name)| {
            let path = PathBuf::from(&v);
            hide_unless_there(&path, &v, &format!("environment {name}"));
            path
        })
    });
    let loaded = config::discover(config_flag.as_deref())?;
    let file = loaded.as_ref().map(|l| &l.file);
    let mut b = Builder { file: loaded.as_ref(), provenance: Vec::new(), notices: Vec::new(), targets_not_used: None };
    if let Some(l) = &loaded {
        b.note("config", format!("\"{}\"", l.shown), if args.config.is_some() { Source::Flag } else { Source::Default });
    }

    // Report shape. `--output`'s extension says the format unless a format was given as
    // firmly (SPEC §5): a flag beats it, and so does a format of the file that names the output.
    let output = b.path_source("output", args.output.as_deref(), None, file.and_then(|f| f.output.as_ref()));
    let format = {
        let chosen = b.choice("format", args.format, "CALM_AUDIT_FORMAT", file.and_then(|f| f.format.as_ref()), Format::Table)?;
        let from = b.provenance.last().map(|e| e.source.clone()).unwrap_or(Source::Default);
        match output.as_ref().and_then(|(path, source)| format_of_extension(path).map(|f| (f, path, source))) {
            Some((by_name, path, output_source)) if by_name != chosen && rank(output_source) > rank(&from) => {
                if from != Source::Default {
                    b.notices.push(format!(
                        "{} is written as {} (its extension); format {} ({from}) is not used for it",
                        crate::model::shown::path(path),
                        format_name(by_name),
                        format_name(chosen)
                    ));
                }
                if let Some(entry) = b.provenance.last_mut() {
                    entry.value = format_name(by_name);
                    entry.source = Source::Extension(crate::model::shown::path(path));
                }
                by_name
            }
            Some((by_name, path, _)) if by_name != chosen => {
                b.notices.push(format!(
                    "format {} ({from}) is written to {}, whose extension says {}",
                    format_name(chosen),
                    crate::model::shown::path(path),
                    format_name(by_name)
                ));
                chosen
            }
            _ => chosen,
        }
    };
    let output = output.map(|(path, source)| {
        b.note("output", format!("\"{}\"", crate::model::shown::path(&path)), source);
        path
    });
    let fail_on = b.choice("fail_on", args.fail_on, "CALM_AUDIT_FAIL_ON", file.and_then(|f| f.fail_on.as_ref()), FailOn::Error)?;
    let all_results = b.flag_bool("all_results", args.all_results, "CALM_AUDIT_ALL_RESULTS", file.and_then(|f| f.all_results))?;
    let sarif_waived = b.flag_bool("sarif_waived", args.sarif_waived, "CALM_AUDIT_SARIF_WAIVED", file.and_then(|f| f.sarif_waived))?;
    let no_waivers = b.flag_bool("no_waivers", args.no_waivers, "CALM_AUDIT_NO_WAIVERS", file.and_then(|f| f.no_waivers))?;
    let save_snapshot = b.path("save_snapshot", args.save_snapshot.as_deref(), None, file.and_then(|f| f.save_snapshot.as_ref()));
    let baseline = b.path("baseline", args.baseline.as_deref(), Some("CALM_AUDIT_BASELINE"), file.and_then(|f| f.baseline.as_ref()));

    // Rules.
    let (select, ignore) = {
        let mut lists = Vec::new();
        for (key, flag, var, from_file) in [
            ("select", &args.select, "CALM_AUDIT_SELECT", file.and_then(|f| f.select.as_ref())),
            ("ignore", &args.ignore, "CALM_AUDIT_IGNORE", file.and_then(|f| f.ignore.as_ref())),
        ] {
            let (items, source): (Vec<RuleItem>, Source) = if !flag.is_empty() {
                (flag.iter().map(|s| (s.clone(), None)).collect(), Source::Flag)
            } else if let Some((v, name)) = env(var) {
                (vec![(v, None)], Source::Env(name))
            } else if let Some(list) = from_file {
                (list.iter().map(|s| (s.get_ref().clone(), Some(s.span()))).collect(), b.file_key(key))
            } else {
                (Vec::new(), Source::Default)
            };
            let codes = rule_list(&items, &b, key)?;
            b.note(key, format!("{codes:?}"), source);
            lists.push(codes);
        }
        let ignore = lists.pop().unwrap_or_default();
        let select = lists.pop().unwrap_or_default();
        // A selection that leaves no rule to run would pass on nothing: refused, not a pass.
        let catalog = crate::rules::Catalog::builtin();
        let left = catalog
            .rules
            .iter()
            .filter(|r| (select.is_empty() || select.contains(&r.code.as_str())) && !ignore.contains(&r.code.as_str()))
            .count();
        if left == 0 {
            return Err(CliError::Usage(
                "the rule selection (--select / --ignore, or select / ignore in the configuration) leaves no rule to run: an audit never passes on nothing".into(),
            ));
        }
        (select, ignore)
    };
    let severity = severity_overrides(args, &loaded, &mut b)?;

    let reports = reports(args, &loaded, &mut b)?;
    distinct_files(&reports, output.as_ref().map(|p| (format, p)), save_snapshot.as_deref())?;

    let concurrency = if let Some(n) = args.concurrency {
        b.note("concurrency", n, Source::Flag);
        usize::try_from(n).unwrap_or(1)
    } else if let Some((v, name)) = env("CALM_AUDIT_CONCURRENCY") {
        let n = v.trim().parse::<usize>().ok().filter(|n| (1..=64).contains(n)).ok_or_else(|| env_error(name, "expected 1 to 64"))?;
        b.note("concurrency", n, Source::Env(name));
        n
    } else if let Some(spanned) = file.and_then(|f| f.concurrency.as_ref()) {
        let n = usize::try_from(*spanned.get_ref())
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(|| loaded_error(&loaded, spanned.span(), "concurrency: expected 1 to 64"))?;
        b.note("concurrency", n, b.file_at(spanned.span()));
        n
    } else {
        b.note("concurrency", DEFAULT_CONCURRENCY, Source::Default);
        DEFAULT_CONCURRENCY
    };

    let require = required(args, &loaded, &mut b)?;
    let expiry_days = if let Some(n) = args.expiry_days {
        b.note("expiry_days", n, Source::Flag);
        n
    } else if let Some((v, name)) = env("CALM_AUDIT_EXPIRY_DAYS") {
        let n = v.trim().parse::<u32>().ok().filter(|n| *n <= MAX_EXPIRY_DAYS).ok_or_else(|| env_error(name, "expected 0 to 3650 days"))?;
        b.note("expiry_days", n, Source::Env(name));
        n
    } else if let Some(spanned) = file.and_then(|f| f.expiry_days.as_ref()) {
        let n = u32::try_from(*spanned.get_ref())
            .ok()
            .filter(|n| *n <= MAX_EXPIRY_DAYS)
            .ok_or_else(|| loaded_error(&loaded, spanned.span(), "expiry_days: expected 0 to 3650 days"))?;
        b.note("expiry_days", n, b.file_at(spanned.span()));
        n
    } else {
        let n = crate::rules::certificates::DEFAULT_EXPIRY_DAYS;
        b.note("expiry_days", n, Source::Default);
        n
    };
    let now = crate::clock::run_instant().map_err(CliError::Usage)?;
    let clock = crate::rules::certificates::Clock { now, expiry_days };

    let waivers = if no_waivers { Vec::new() } else { waivers(&loaded)? };
    for w in &waivers {
        b.note(
            "waiver",
            format!("{} {} until {}", w.rule, w.destination.as_deref().unwrap_or("*"), w.expires),
            Source::File(w.defined_at.clone()),
        );
    }
    let mut runs = runs(args, &loaded, &mut b)?;
    let profile_map = profile_choices(args, &loaded, &mut runs, &mut b)?;
    if save_snapshot.is_some() && runs.len() > 1 {
        return Err(CliError::Usage("--save-snapshot takes one target; use `calm-audit snapshot` per target".into()));
    }
    refuse_partial(&require, &runs)?;
    Ok(Resolved {
        runs,
        format,
        output,
        fail_on,
        all_results,
        save_snapshot,
        select,
        ignore,
        severity,
        waivers,
        baseline,
        reports,
        sarif_waived,
        concurrency,
        require,
        clock,
        profile_map,
        provenance: b.provenance,
        notices: b.notices,
        targets_not_used: b.targets_not_used,
    })
}

/// How firmly a value was given: the command line, then the environment, then the file.
fn rank(source: &Source) -> u8 {
    match source {
        Source::Flag => 3,
        Source::Env(_) => 2,
        Source::File(_) | Source::Extension(_) | Source::Inherited(_) => 1,
        Source::Default => 0,
    }
}

fn format_name(format: Format) -> String {
    format.to_possible_value().map(|p| p.get_name().to_owned()).unwrap_or_default()
}

/// The format a report file's extension names (SPEC §6): `.json`, `.sarif`, `.xml` (JUnit),
/// `.md`, `.html`, `.txt` (table); any other extension names none.
pub fn format_of_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "json" => Format::Json,
        "sarif" => Format::Sarif,
        "xml" => Format::Junit,
        "md" | "markdown" => Format::Markdown,
        "html" | "htm" => Format::Html,
        "txt" => Format::Table,
        _ => return None,
    })
}

/// One `--report` value: `FORMAT=PATH`, with a hint when only a path (`x.html`) or an unknown
/// format was given.
fn report_flag(spec: &str) -> Result<(Format, PathBuf), CliError> {
    let formats = || Format::value_variants().iter().map(|f| format_name(*f)).collect::<Vec<_>>().join(", ");
    let Some((name, path)) = spec.split_once('=') else {
        let hint = match format_of_extension(Path::new(spec)) {
            Some(f) => format!("; did you mean --report {}={spec}?", format_name(f)),
            None => format!(" (FORMAT is one of {})", formats()),
        };
        return Err(CliError::Usage(format!("--report {spec}: expected FORMAT=PATH{hint}")));
    };
    let format = enum_value::<Format>(name).map_err(|e| {
        let close =
            Format::value_variants().iter().map(|f| format_name(*f)).find(|f| strsim::jaro_winkler(f, &name.to_ascii_lowercase()) > 0.8);
        let hint = close.map(|f| format!("; did you mean --report {f}={path}?")).unwrap_or_default();
        CliError::Usage(format!("--report {spec}: {e}{hint}"))
    })?;
    if path.trim().is_empty() {
        return Err(CliError::Usage(format!("--report {spec}: no PATH after `=`")));
    }
    Ok((format, PathBuf::from(path)))
}

/// The reports written beside standard output, merged per entry (SPEC §6): the file's
/// `[reports]` first, then each `--report`, which adds its format or replaces the file's report
/// of that format; the file's other reports are kept, and a replacement is said.
fn reports(args: &CheckArgs, loaded: &Option<Loaded>, b: &mut Builder) -> Result<Vec<(Format, PathBuf)>, CliError> {
    let mut out: Vec<(Format, PathBuf, Source)> = Vec::new();
    if let (Some(table), Some(l)) = (loaded.as_ref().and_then(|l| l.file.reports.as_ref()), loaded) {
        for (name, path) in table {
            let format = enum_value::<Format>(name).map_err(|e| l.error(path.span(), format!("reports: {e}")))?;
            if path.get_ref().trim().is_empty() {
                return Err(CliError::Input(l.error(path.span(), format!("reports.{name}: the path is empty"))));
            }
            out.push((format, l.path(path.get_ref()), b.file_at(path.span())));
        }
    }
    let mut flagged: Vec<Format> = Vec::new();
    for spec in &args.report {
        let (format, path) = report_flag(spec)?;
        // A flag replaces the file's report of its format; several flags of one format all stay.
        if !flagged.contains(&format) {
            for (_, replaced, at) in out.iter().filter(|(f, _, s)| *f == format && *s != Source::Flag) {
                b.notices.push(format!(
                    "--report {spec} replaces the {} report {} of {at}; the configuration's other reports are still written",
                    format_name(format),
                    crate::model::shown::path(replaced)
                ));
            }
            out.retain(|(f, _, s)| *f != format || *s == Source::Flag);
            flagged.push(format);
        }
        out.push((format, path, Source::Flag));
    }
    for (format, path, source) in &out {
        b.note(&format!("reports.{}", format_name(*format)), format!("\"{}\"", crate::model::shown::path(path)), source.clone());
    }
    Ok(out.into_iter().map(|(f, p, _)| (f, p)).collect())
}

/// Two files the run writes at one path would overwrite each other: refused (exit 2), naming both.
fn distinct_files(reports: &[(Format, PathBuf)], output: Option<(Format, &PathBuf)>, snapshot: Option<&Path>) -> Result<(), CliError> {
    let mut written: Vec<(String, &Path)> =
        reports.iter().map(|(f, p)| (format!("the {} report (--report / [reports])", format_name(*f)), p.as_path())).collect();
    if let Some((format, path)) = output {
        written.push((format!("the {} report of --output", format_name(format)), path.as_path()));
    }
    if let Some(path) = snapshot {
        written.push(("the snapshot of --save-snapshot".to_owned(), path));
    }
    let keys: Vec<PathBuf> = written.iter().map(|(_, p)| same_file(p)).collect();
    let mut clashes = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if let Some(j) = keys[..i].iter().position(|k| k == key) {
            clashes.push(format!(
                "{} and {} are both written to {}: give each its own path",
                written[j].0,
                written[i].0,
                crate::model::shown::path(written[i].1)
            ));
        }
    }
    if clashes.is_empty() { Ok(()) } else { Err(CliError::Usage(clashes.join("\n"))) }
}

/// What a path written to is, for telling two of them apart: absolute, `.` and `..` resolved,
/// its folder through symbolic links when that folder exists, and the file itself when it is a
/// link to another (`o/link.json` to `o/real.json` is one file).
fn same_file(path: &Path) -> PathBuf {
    if let Ok(resolved) = path.canonicalize() {
        return resolved;
    }
    use std::path::Component;
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    match (out.parent().and_then(|p| p.canonicalize().ok()), out.file_name()) {
        (Some(folder), Some(name)) => folder.join(name),
        _ => out,
    }
}

/// A profile name from a source; an unknown one is an error there, with a did-you-mean.
fn profile_named(
    name: &str,
    loaded: &Option<Loaded>,
    span: Option<std::ops::Range<usize>>,
    what: &str,
) -> Result<&'static Profile, CliError> {
    Profiles::builtin().lookup(name).map_err(|e| match span {
        Some(span) => loaded_error(loaded, span, format!("{what}: {e}")),
        None => CliError::Usage(format!("{what}: {e}")),
    })
}

/// The explicit profile choices (SPEC §3a): `--profile`, then `CALM_AUDIT_PROFILE`, then a
/// target's `profile`, then the file's `profile`, for each run; and the `[profiles]` table,
/// which beats them all for the destinations it names.
fn profile_choices(
    args: &CheckArgs,
    loaded: &Option<Loaded>,
    runs: &mut [RunSpec],
    b: &mut Builder,
) -> Result<Vec<(String, &'static Profile, String)>, CliError> {
    let file = loaded.as_ref().map(|l| &l.file);
    let run_wide = if let Some(name) = &args.profile {
        b.note("profile", format!("\"{name}\""), Source::Flag);
        Some((profile_named(name, loaded, None, "--profile")?, "chosen with --profile".to_owned()))
    } else if let Some((v, var)) = env("CALM_AUDIT_PROFILE") {
        b.note("profile", format!("\"{}\"", v.trim()), Source::Env(var));
        Some((profile_named(&v, loaded, None, &format!("environment variable {var}"))?, format!("chosen with {var}")))
    } else {
        None
    };
    let top = match (file.and_then(|f| f.profile.as_ref()), loaded) {
        (Some(spanned), Some(l)) => {
            let profile = profile_named(spanned.get_ref(), loaded, Some(spanned.span()), "profile")?;
            Some((profile, format!("chosen in {} (profile)", l.at(spanned.span()))))
        }
        _ => None,
    };
    if run_wide.is_none()
        && let (Some(spanned), Some(_)) = (file.and_then(|f| f.profile.as_ref()), loaded)
    {
        b.note("profile", format!("\"{}\"", spanned.get_ref()), b.file_at(spanned.span()));
    }
    for run in runs.iter_mut() {
        if let Some(chosen) = &run_wide {
            run.profile = Some(chosen.clone());
        } else if run.profile.is_none() {
            run.profile.clone_from(&top);
        }
    }
    let mut map = Vec::new();
    if let (Some(table), Some(l)) = (file.and_then(|f| f.profiles.as_ref()), loaded) {
        for (pattern, spanned) in table {
            if pattern.trim().is_empty() {
                return Err(loaded_error(loaded, spanned.span(), "profiles: a destination name or glob cannot be empty"));
            }
            let profile = profile_named(spanned.get_ref(), loaded, Some(spanned.span()), &format!("profiles.\"{pattern}\""))?;
            let at = l.at(spanned.span());
            b.note(&format!("profiles.\"{pattern}\""), format!("\"{}\"", profile.name), b.file_at(spanned.span()));
            map.push((spanned.span().start, pattern.clone(), profile, format!("chosen in {at} ([profiles] \"{pattern}\")")));
        }
    }
    // File order, so that "the first glob wins" means what the user sees.
    map.sort_by_key(|(start, ..)| *start);
    Ok(map.into_iter().map(|(_, pattern, profile, reason)| (pattern, profile, reason)).collect())
}

fn loaded_error(loaded: &Option<Loaded>, span: std::ops::Range<usize>, message: impl Into<String>) -> CliError {
    match loaded {
        Some(l) => CliError::Input(l.error(span, message)),
        None => CliError::Usage(message.into()),
    }
}

fn severity_overrides(args: &CheckArgs, loaded: &Option<Loaded>, b: &mut Builder) -> Result<Vec<(&'static str, Severity)>, CliError> {
    let catalog = Catalog::builtin();
    let mut out: Vec<(&'static str, Severity)> = Vec::new();
    if let Some(table) = loaded.as_ref().and_then(|l| l.file.severity.as_ref()) {
        for (rule, level) in table {
            let code = rule_code(catalog, rule)
                .ok_or_else(|| loaded_error(loaded, level.span(), format!("severity: {}", unknown_rule(catalog, rule))))?;
            let severity =
                severity_value(level.get_ref()).map_err(|e| loaded_error(loaded, level.span(), format!("severity.{rule}: {e}")))?;
            b.note(&format!("severity.{code}"), level.get_ref(), b.file_at(level.span()));
            out.retain(|(c, _)| *c != code);
            out.push((code, severity));
        }
    }
    for spec in &args.severity {
        let (rule, level) = spec.split_once('=').ok_or_else(|| CliError::Usage(format!("--severity {spec}: expected RULE=LEVEL")))?;
        let code =
            rule_code(catalog, rule).ok_or_else(|| CliError::Usage(format!("--severity {spec}: {}", unknown_rule(catalog, rule))))?;
        let severity = severity_value(level).map_err(|e| CliError::Usage(format!("--severity {spec}: {e}")))?;
        b.note(&format!("severity.{code}"), level, Source::Flag);
        out.retain(|(c, _)| *c != code);
        out.push((code, severity));
    }
    Ok(out)
}

/// `--require`, then `CALM_AUDIT_REQUIRE`, then `require = [...]`.
fn required(args: &CheckArgs, loaded: &Option<Loaded>, b: &mut Builder) -> Result<Vec<Required>, CliError> {
    let (list, source) = if !args.require.is_empty() {
        (args.require.clone(), Source::Flag)
    } else if let Some((v, name)) = env("CALM_AUDIT_REQUIRE") {
        let list = v
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| enum_value::<Required>(t).map_err(|e| env_error(name, e)))
            .collect::<Result<Vec<_>, _>>()?;
        (list, Source::Env(name))
    } else if let (Some(items), Some(l)) = (loaded.as_ref().and_then(|l| l.file.require.as_ref()), loaded) {
        let list = items
            .iter()
            .map(|i| enum_value::<Required>(i.get_ref()).map_err(|e| CliError::Input(l.error(i.span(), format!("require: {e}")))))
            .collect::<Result<Vec<_>, _>>()?;
        (list, b.file_key("require"))
    } else {
        (Vec::new(), Source::Default)
    };
    let names: Vec<&str> = list.iter().map(|r| r.name()).collect();
    b.note("require", format!("{names:?}"), source);
    Ok(list)
}

/// A required input that a run (or a target) is not given stops the run before anything is
/// read: every such gap is named at once.
fn refuse_partial(require: &[Required], runs: &[RunSpec]) -> Result<(), CliError> {
    let mut gaps = Vec::new();
    for need in require {
        let (flag, what, var, key) = match need {
            Required::CalmKey => ("--calm-key", "no Cloud ALM service key is given", "CALM_AUDIT_CALM_KEY", "calm_key"),
            Required::Settings => ("--settings", "no Entitlement Management settings are given", "CALM_AUDIT_SETTINGS", "settings"),
        };
        for run in runs {
            let given = match need {
                Required::CalmKey => run.sources.calm_key.is_some(),
                Required::Settings => run.sources.settings.is_some(),
            };
            if !given {
                let target = match (&run.name, &run.defined_at) {
                    (Some(n), Some(at)) => format!(" for target {n} ({at})"),
                    (Some(n), None) => format!(" for target {n}"),
                    _ => String::new(),
                };
                gaps.push(format!("--require {}: {what}{target}; give it with {flag}, {var} or {key} in calm-audit.toml", need.name()));
            }
        }
    }
    if gaps.is_empty() { Ok(()) } else { Err(CliError::Usage(gaps.join("\n"))) }
}

fn waivers(loaded: &Option<Loaded>) -> Result<Vec<Waiver>, CliError> {
    let Some(l) = loaded else { return Ok(Vec::new()) };
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    for spanned in l.file.waiver.iter().flatten() {
        let w = spanned.get_ref();
        let err = |m: String| CliError::Input(l.error(spanned.span(), m));
        let rule = rule_code(catalog, &w.rule).ok_or_else(|| err(format!("waiver names {}", unknown_rule(catalog, &w.rule))))?;
        if w.reason.trim().is_empty() {
            return Err(err("a waiver needs a reason".into()));
        }
        if !valid_date(w.expires.trim()) {
            return Err(err(format!("waiver expires \"{}\" is not a date YYYY-MM-DD", w.expires)));
        }
        if let Some(t) = &w.target
            && !l.file.target.iter().flatten().any(|x| &x.get_ref().name == t)
        {
            return Err(err(format!("waiver names no target \"{t}\"")));
        }
        out.push(Waiver {
            rule: rule.to_owned(),
            destination: w.destination.clone(),
            target: w.target.clone(),
            source: w.source.clone(),
            reason: w.reason.trim().to_owned(),
            expires: w.expires.trim().to_owned(),
            defined_at: l.at(spanned.span()),
        });
    }
    Ok(out)
}

/// The targets: the flags' sources as one run when they name any, else the file's
/// `[[target]]`s (optionally narrowed by `--target`), else the file's own sources.
/// Targets audited at once by default. Each target is its own subaccount and Destination
/// service instance and has at most 8 pages in flight per level, so 8 targets put at most 16
/// list calls at once on a region's Destination service for the usual subaccount (up to 1,000
/// destinations per level), 136 for the largest; SAP documents no rate limit, and 429 and 503
/// are retried with `Retry-After` (docs/performance.md).
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The longest certificate horizon: ten years.
const MAX_EXPIRY_DAYS: u32 = 3650;

fn runs(args: &CheckArgs, loaded: &Option<Loaded>, b: &mut Builder) -> Result<Vec<RunSpec>, CliError> {
    let file = loaded.as_ref().map(|l| &l.file);
    let s = &args.sources;
    let timeout = match s.timeout {
        Some(t) => {
            b.note("timeout", t, Source::Flag);
            t
        }
        None => match (env("CALM_AUDIT_TIMEOUT"), file.and_then(|f| f.timeout.as_ref())) {
            (Some((v, name)), _) => {
                let t = super::sources::parse_seconds(&v).map_err(|e| env_error(name, e))?;
                b.note("timeout", t, Source::Env(name));
                t
            }
            (None, Some(spanned)) => {
                let t = super::sources::parse_seconds(&spanned.get_ref().to_string())
                    .map_err(|e| loaded_error(loaded, spanned.span(), format!("timeout: {e}")))?;
                b.note("timeout", t, b.file_at(spanned.span()));
                t
            }
            (None, None) => {
                b.note("timeout", 30, Source::Default);
                30.0
            }
        },
    };
    let deadline = match s.deadline {
        Some(t) => {
            b.note("deadline", t, Source::Flag);
            t
        }
        None => match (env("CALM_AUDIT_DEADLINE"), file.and_then(|f| f.deadline.as_ref())) {
            (Some((v, name)), _) => {
                let t = super::sources::parse_deadline(&v).map_err(|e| env_error(name, e))?;
                b.note("deadline", t, Source::Env(name));
                t
            }
            (None, Some(spanned)) => {
                let t = super::sources::parse_deadline(&spanned.get_ref().to_string())
                    .map_err(|e| loaded_error(loaded, spanned.span(), format!("deadline: {e}")))?;
                b.note("deadline", t, b.file_at(spanned.span()));
                t
            }
            (None, None) => {
                b.note("deadline", 600, Source::Default);
                600.0
            }
        },
    };
    let probe = b.flag_bool("probe", s.probe, "CALM_AUDIT_PROBE", file.and_then(|f| f.probe))?;
    let verbose = b.flag_bool("verbose", s.verbose, "CALM_AUDIT_VERBOSE", file.and_then(|f| f.verbose))?;
    let ca_cert = b.path("ca_cert", s.ca_cert.as_deref(), Some("CALM_AUDIT_CA_CERT"), file.and_then(|f| f.ca_cert.as_ref()));
    let settings = b.path("settings", s.settings.as_deref(), Some("CALM_AUDIT_SETTINGS"), file.and_then(|f| f.settings.as_ref()));
    let calm_key = b.path("calm_key", s.calm_key.as_deref(), Some("CALM_AUDIT_CALM_KEY"), file.and_then(|f| f.calm_key.as_ref()));
    // Each `exclude` leaves out more: the file's globs, then the environment's, then the flags'
    // (a flag never lets back in what the configuration leaves out).
    let mut exclude: Vec<String> = Vec::new();
    let mut exclude_source = None;
    if let Some(globs) = file.and_then(|f| f.exclude.as_ref()) {
        exclude.extend(globs.iter().cloned());
        exclude_source = Some(b.file_key("exclude"));
    }
    if let Some((v, name)) = env("CALM_AUDIT_EXCLUDE") {
        exclude.extend(v.split(',').map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()));
        exclude_source = Some(Source::Env(name));
    }
    if !s.exclude.is_empty() {
        exclude.extend(s.exclude.iter().cloned());
        exclude_source = Some(Source::Flag);
    }
    if let Some(source) = exclude_source {
        b.note("exclude", format!("{exclude:?}"), source);
    }
    let var_files: Vec<PathBuf> = if !s.var_file.is_empty() {
        b.note_paths("var_files", &s.var_file, Source::Flag);
        s.var_file.clone()
    } else if let (Some(list), Some(l)) = (file.and_then(|f| f.var_files.as_ref()), loaded) {
        let list: Vec<PathBuf> = list.iter().map(|p| l.path(p)).collect();
        let source = b.file_key("var_files");
        b.note_paths("var_files", &list, source);
        list
    } else {
        Vec::new()
    };
    let common = |paths: Vec<PathBuf>,
                  var_files: Vec<PathBuf>,
                  destination_key: Option<PathBuf>,
                  settings: Option<PathBuf>,
                  calm_key: Option<PathBuf>,
                  env_credentials: bool| SourceArgs {
        paths,
        exclude: exclude.clone(),
        var_file: var_files,
        destination_key,
        settings,
        calm_key,
        timeout: Some(timeout),
        deadline: Some(deadline),
        probe,
        ca_cert: ca_cert.clone(),
        verbose,
        max_file_size: s.max_file_size,
        env_credentials,
    };
    let targets: Vec<&toml::Spanned<config::TargetConfig>> =
        file.and_then(|f| f.target.as_ref()).map(|t| t.iter().collect()).unwrap_or_default();
    let flags_name_sources = !s.paths.is_empty() || s.destination_key.is_some();
    if !args.target.is_empty() {
        // A target that is not there must never turn into an ordinary audit of something else.
        let names = args.target.join(", ");
        if loaded.is_none() {
            return Err(CliError::Usage(format!(
                "--target {names}: no configuration file (calm-audit.toml in this folder, or --config) defines targets"
            )));
        }
        if targets.is_empty() {
            return Err(CliError::Usage(format!("--target {names}: the configuration has no [[target]]")));
        }
        if flags_name_sources {
            return Err(CliError::Usage(format!(
                "--target {names} audits the sources of that [[target]]; it cannot be combined with paths or --destination-key"
            )));
        }
    }
    if flags_name_sources
        && !targets.is_empty()
        && let Some(l) = loaded
    {
        // SPEC §6: the paths are audited as one target, and the run says the targets were not used.
        let names: Vec<&str> = targets.iter().map(|t| t.get_ref().name.as_str()).collect();
        let given = if s.paths.is_empty() { "--destination-key" } else { "the paths" };
        b.notices.push(format!(
            "{given} on the command line are audited as one target; the [[target]]s of {} ({}) are not used, and neither are their keys and settings (run without paths to audit them)",
            l.shown,
            names.join(", ")
        ));
        b.targets_not_used = Some(format!("{} of {}", names.join(", "), l.shown));
        for t in &targets {
            let at = l.at(t.span());
            b.note(
                &format!("target.{}", t.get_ref().name),
                format!("{} (not used: the command line names the sources)", describe_target(t.get_ref(), l)),
                Source::File(at),
            );
        }
    }
    if flags_name_sources || targets.is_empty() {
        let (paths, key) = if flags_name_sources {
            b.note_paths("paths", &s.paths, Source::Flag);
            if let Some(key) = &s.destination_key {
                b.note_path("destination_key", key, Source::Flag);
            }
            (s.paths.clone(), s.destination_key.clone())
        } else {
            let paths: Vec<PathBuf> = match (file.and_then(|f| f.paths.as_ref()), loaded) {
                (Some(list), Some(l)) => list.iter().map(|p| l.path(p)).collect(),
                _ => Vec::new(),
            };
            if !paths.is_empty() {
                let source = b.file_key("paths");
                b.note_paths("paths", &paths, source);
            }
            let key = b.path("destination_key", None, None, file.and_then(|f| f.destination_key.as_ref()));
            (paths, key)
        };
        return Ok(vec![RunSpec {
            name: None,
            sources: common(paths, var_files, key, settings, calm_key, true),
            profile: None,
            defined_at: None,
        }]);
    }
    let Some(l) = loaded else { return Ok(Vec::new()) };
    // The file's own sources beside its targets would be dropped without a word: said instead.
    let unused: Vec<&str> = [
        ("paths", file.and_then(|f| f.paths.as_ref()).is_some_and(|p| !p.is_empty())),
        ("destination_key", file.and_then(|f| f.destination_key.as_ref()).is_some()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect();
    if !unused.is_empty() {
        b.notices.push(format!(
            "{} of {} {} not used: its [[target]]s name their own sources (give each target its paths or destination_key)",
            unused.join(" and "),
            l.shown,
            if unused.len() == 1 { "is" } else { "are" }
        ));
    }
    let mut names = Vec::new();
    let mut out = Vec::new();
    for spanned in targets {
        let t = spanned.get_ref();
        if t.name.trim().is_empty() || names.contains(&t.name) {
            return Err(CliError::Input(l.error(spanned.span(), format!("target name \"{}\" is empty or used twice", t.name))));
        }
        names.push(t.name.clone());
        if !args.target.is_empty() && !args.target.contains(&t.name) {
            continue;
        }
        if t.paths.is_empty() && t.destination_key.is_none() {
            return Err(CliError::Input(l.error(spanned.span(), format!("target \"{}\" needs paths or a destination_key", t.name))));
        }
        let paths: Vec<PathBuf> = t.paths.iter().map(|p| l.path(p)).collect();
        let profile = match &t.profile {
            Some(p) => {
                let chosen = profile_named(p.get_ref(), loaded, Some(p.span()), &format!("target \"{}\": profile", t.name))?;
                Some((chosen, format!("chosen for target {} in {}", t.name, l.at(p.span()))))
            }
            None => None,
        };
        let defined_at = l.at(spanned.span());
        let here = Source::File(defined_at.clone());
        b.note(&format!("target.{}", t.name), describe_target(t, l), here.clone());
        // Each target's own inputs, and those it takes from the run, with where they came from.
        let key = |what: &str| format!("target.{}.{what}", t.name);
        if !paths.is_empty() {
            b.note_paths(&key("paths"), &paths, here.clone());
        }
        let own_path = |what: &str, written: &String| {
            let path = l.path(written);
            hide_unless_there(&path, written, &format!("{} ({what})", l.shown));
            path
        };
        let destination_key = t.destination_key.as_ref().map(|p| own_path("destination_key", p));
        if let Some(p) = &destination_key {
            b.note_path(&key("destination_key"), p, here.clone());
        }
        let target_var_files = t.var_files.as_ref().map(|list| list.iter().map(|p| l.path(p)).collect::<Vec<_>>());
        match &target_var_files {
            Some(list) => b.note_paths(&key("var_files"), list, here.clone()),
            None if !var_files.is_empty() => {
                let from = Source::Inherited(Box::new(b.source_of("var_files")));
                b.note_paths(&key("var_files"), &var_files, from);
            }
            None => {}
        }
        let mut own_or_run = |what: &str, own: Option<&String>, run: &Option<PathBuf>| -> Option<PathBuf> {
            match (own.map(|p| own_path(what, p)), run) {
                (Some(p), _) => {
                    b.note_path(&key(what), &p, here.clone());
                    Some(p)
                }
                (None, Some(p)) => {
                    let from = Source::Inherited(Box::new(b.source_of(what)));
                    b.note_path(&key(what), p, from);
                    Some(p.clone())
                }
                (None, None) => {
                    b.note(&key(what), "not given", Source::Default);
                    None
                }
            }
        };
        let target_settings = own_or_run("settings", t.settings.as_ref(), &settings);
        let target_key = own_or_run("calm_key", t.calm_key.as_ref(), &calm_key);
        if let Some((profile, _)) = &profile {
            b.note(&key("profile"), format!("\"{}\"", profile.name), here.clone());
        }
        out.push(RunSpec {
            name: Some(t.name.clone()),
            sources: common(
                paths,
                target_var_files.unwrap_or_else(|| var_files.clone()),
                destination_key,
                target_settings,
                target_key,
                false,
            ),
            profile,
            defined_at: Some(defined_at),
        });
    }
    if let Some(unknown) = args.target.iter().find(|n| !names.contains(n)) {
        return Err(CliError::Usage(format!("--target {unknown}: the configuration has no such target ({})", names.join(", "))));
    }
    Ok(out)
}

/// A target's sources as `--show-config` shows them: each path as [`crate::model::shown`] shows it.
fn describe_target(t: &config::TargetConfig, l: &Loaded) -> String {
    let mut parts = Vec::new();
    if !t.paths.is_empty() {
        let paths: Vec<String> = t.paths.iter().map(|p| format!("\"{}\"", crate::model::shown::value(p))).collect();
        parts.push(format!("paths [{}]", paths.join(", ")));
    }
    if let Some(k) = &t.destination_key {
        let path = l.path(k);
        hide_unless_there(&path, k, &format!("{} (destination_key)", l.shown));
        parts.push(format!("destination_key \"{}\"", crate::model::shown::path(&path)));
    }
    parts.join(", ")
}

impl Resolved {
    /// `--show-config`: every effective value and where it came from; a file or folder the run
    /// would read that is not there is flagged on its line, and the merge notices follow.
    pub fn describe(&self) -> String {
        // Every part is one line whatever a name or value holds (a target named with a line
        // break cannot start a forged line), and shows no URL's credentials or query values.
        let shown = |text: &str| crate::output::inert_line(&crate::model::shown::value(text)).into_owned();
        let lines: Vec<(String, String)> = self
            .provenance
            .iter()
            .map(|entry| {
                let missing = self.missing_paths(entry);
                let flag = if missing.is_empty() { String::new() } else { format!("; NOT FOUND: {}", missing.join(", ")) };
                (format!("{} = {}", shown(&entry.key), shown(&entry.value)), shown(&format!("{}{flag}", entry.source)))
            })
            .collect();
        let width = lines.iter().map(|(line, _)| line.chars().count()).max().unwrap_or(0);
        let mut out = String::from("# effective calm-audit configuration (value, then where it came from)\n");
        for (line, source) in lines {
            out.push_str(&format!("{line:width$}  # {source}\n"));
        }
        for notice in &self.notices {
            out.push_str(&format!("# note: {}\n", shown(notice)));
        }
        out
    }

    /// `key: path does not exist` for each file or folder of the configuration that is not there.
    pub fn missing(&self) -> Vec<String> {
        self.provenance
            .iter()
            .flat_map(|e| self.missing_paths(e).into_iter().map(move |p| format!("{}: {p} does not exist", e.key)))
            .collect()
    }

    fn missing_paths(&self, entry: &Entry) -> Vec<String> {
        entry.paths.iter().filter(|p| p.as_os_str() != "-" && !p.exists()).map(|p| crate::model::shown::path(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of writing one path names one file: `./x`, `a/../x`, `x//`, `./a/./../x`
    /// spelled at random (seeded, so a failure reproduces) are all refused as one path.
    #[test]
    fn one_file_written_many_ways_is_one_path() {
        let mut seed: u64 = 0x2929_2929;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let mut spelled = String::new();
            for part in ["reports", "day", "r.json"] {
                for _ in 0..next(3) {
                    spelled.push_str(["./", "zz/../", "reports/../"][usize::try_from(next(3)).unwrap_or(0)]);
                }
                spelled.push_str(part);
                spelled.push_str(if part == "r.json" { "" } else { ["/", "//", "/./"][usize::try_from(next(3)).unwrap_or(0)] });
            }
            let reports = vec![(Format::Json, PathBuf::from("reports/day/r.json"))];
            let clash = distinct_files(&reports, Some((Format::Sarif, &PathBuf::from(&spelled))), None);
            assert!(clash.is_err(), "{spelled} is reports/day/r.json");
        }
        let reports = vec![(Format::Json, PathBuf::from("reports/day/r.json")), (Format::Html, PathBuf::from("reports/day/r.html"))];
        assert!(distinct_files(&reports, Some((Format::Table, &PathBuf::from("reports/r.json"))), None).is_ok());
    }

    #[test]
    fn extensions_name_formats_and_a_bare_path_gets_its_format_suggested() {
        for (file, format) in [
            ("a.json", Some(Format::Json)),
            ("a.SARIF", Some(Format::Sarif)),
            ("a.xml", Some(Format::Junit)),
            ("a.md", Some(Format::Markdown)),
            ("a.html", Some(Format::Html)),
            ("a.txt", Some(Format::Table)),
            ("a.pdf", None),
            ("a", None),
        ] {
            assert_eq!(format_of_extension(Path::new(file)), format, "{file}");
        }
        let hint = |spec: &str| report_flag(spec).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(hint("out/x.html").ends_with("did you mean --report html=out/x.html?"), "{}", hint("out/x.html"));
        assert!(hint("x.pdf").contains("FORMAT is one of table, json, sarif, junit, markdown, html"), "{}", hint("x.pdf"));
        assert!(hint("sarf=x.sarif").contains("did you mean --report sarif=x.sarif?"), "{}", hint("sarf=x.sarif"));
        assert!(hint("json=").contains("no PATH"), "{}", hint("json="));
        assert_eq!(report_flag("SARIF=x.sarif").ok().map(|(f, _)| f), Some(Format::Sarif));
    }
}
