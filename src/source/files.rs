//! Destination files: single files, folders walked as a repository is (`.gitignore` and
//! `.ignore` honoured, hidden entries skipped, `--exclude` globs), zip archives and standard
//! input. The format is chosen by extension, and a `.txt` or extension-less file that holds
//! JSON is read as JSON.
//!
//! Fail closed, and say everything at once: every file named on the command line that cannot
//! be read is collected as an [`InputError`] (exit 2 after all are named); a file found by a
//! walk that looks like a destination source but cannot be parsed is a [`SourceFailure`] (the
//! rest is audited, exit 3); a walked file that is no destination at all is skipped and counted;
//! a destination path that yields nothing is an error, since an audit never passes on nothing.

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{InputError, Keep, build_destination, certs, code, flat_json, names, properties, shapes, snapshot, tree};
use crate::model::certificate::{Held, Keystore};
use crate::model::{Destination, Origin, Property, SourceFailure};

/// How standard input is named on the command line and in reports.
pub const STDIN_ARG: &str = "-";
pub const STDIN_SHOWN: &str = "<stdin>";

/// What the file loaders found.
#[derive(Default)]
pub struct Loaded {
    pub destinations: Vec<Destination>,
    /// Certificate and keystore files (and archive entries), kept for [`certs`], and the
    /// keystores a snapshot recorded.
    pub keystores: Vec<Keystore>,
    /// A snapshot of a live read that read the certificate lists was read.
    pub certificates_read: bool,
    /// The destination service key's certificate a snapshot recorded.
    pub destination_key_certificate: Option<crate::model::certificate::KeyCertificate>,
    /// Files (and archive entries) read as destination sources.
    pub files_read: usize,
    /// Files in walked folders that are not destination files, by display path, with the reason.
    pub skipped: Vec<Skipped>,
    /// Files and folders a walk left out by an ignore rule, with the file that has the rule.
    pub ignored: Vec<Skipped>,
    /// Walked files that look like destination sources but could not be read or parsed, and
    /// failures recorded in snapshots that were read: the run is incomplete.
    pub failures: Vec<SourceFailure>,
    /// Things the user should know: a Cloud ALM key or settings file found in a walk.
    pub notes: Vec<String>,
    /// Terraform variables files found and not applied (Terraform loads them only when given).
    pub not_applied: Vec<String>,
    /// A snapshot of a live read was read (levels known, CALM016 judged when `probe`).
    pub live: bool,
    pub probe: bool,
    /// When set, destinations that are not Cloud ALM ones keep only their `Name` (see
    /// [`super::Keep`]); the value is the destination the settings name. Snapshots are read whole.
    pub slim: Option<Option<String>>,
    /// MTA and Terraform files, read together once every path is walked ([`code::finish`]).
    pending: Vec<code::Pending>,
    /// The command-line path being loaded.
    arg: usize,
    /// [`Limits::general_json_only`], as the loaders were given it.
    general_json_only: bool,
}

/// A walked file that was passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// How the paths are read.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    /// Files given for other purposes (settings, keys): never destination files, even when a
    /// walked folder holds them.
    pub exclude_files: Vec<PathBuf>,
    /// Gitignore-style globs, relative to each walked folder: `legacy/**`, `*.bak.json`.
    pub exclude_globs: Vec<String>,
    /// Terraform variables files to apply, in order (`--var-file`, like Terraform's `-var-file`).
    pub var_files: Vec<PathBuf>,
    /// The destination name the settings select (`--settings`), if any: a remote Terraform
    /// module given it is a failed source ([`code::finish_selecting`]).
    pub selected: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Properties,
    Json,
    Yaml,
    Zip,
    /// A certificate or keystore ([`certs::EXTENSIONS`]): handed to [`certs`] whole.
    Certificate,
}

/// By extension ([`names`]); `None` for a file that is not a destination file.
fn format_of(name: &str) -> Option<Format> {
    let ext = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        None => Some(Format::Properties),
        Some(e) if names::PROPERTIES.contains(&e) => Some(Format::Properties),
        Some(e) if names::JSON.contains(&e) => Some(Format::Json),
        Some(e) if names::YAML.contains(&e) => Some(Format::Yaml),
        Some(e) if names::ZIP.contains(&e) => Some(Format::Zip),
        Some(e) if certs::EXTENSIONS.contains(&e) => Some(Format::Certificate),
        Some(_) => None,
    }
}

/// Whether a file of this name may hold Entitlement Management settings ([`names::SETTINGS`]):
/// a walk opens it to tell, and names it with `--settings`.
fn settings_name(name: &str) -> bool {
    Path::new(name).extension().and_then(|e| e.to_str()).is_some_and(|e| names::SETTINGS.iter().any(|s| e.eq_ignore_ascii_case(s)))
}

/// What a folder walk does with a file, by its name alone ([`load_dir`] decides with it).
enum ByName {
    /// An MTA or Terraform file, read with the others of the run.
    Code,
    /// A destination file or archive, a certificate or keystore.
    File(Format),
    /// Anything else: skipped, after a look inside when it may hold settings.
    Other { may_be_settings: bool },
}

fn by_name(name: &str) -> ByName {
    if code::is_code_file(name) {
        ByName::Code
    } else if let Some(format) = format_of(name) {
        ByName::File(format)
    } else {
        ByName::Other { may_be_settings: settings_name(name) }
    }
}

/// Whether a folder walk opens a file of this name (when it is neither hidden nor ignored), by
/// the walk's own choice ([`by_name`]). The pre-commit hook's filter
/// ([`names::hook_files_pattern`]) is tested to match exactly these names.
pub fn walk_reads(name: &str) -> bool {
    !matches!(by_name(name), ByName::Other { may_be_settings: false })
}

/// Bounds for hostile input: every file and archive is read within them.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file (or archive entry, uncompressed) read.
    pub max_file_bytes: u64,
    /// Most entries in one zip archive.
    pub max_zip_entries: usize,
    /// Most bytes uncompressed from one zip archive in all.
    pub max_zip_total_bytes: u64,
    /// Read JSON only the general way ([`tree`], [`shapes`]), never through [`flat_json`]:
    /// for the tests and fuzz target that prove both ways give the same.
    pub general_json_only: bool,
    /// The bounds destinations as code are read and evaluated within (a bound reached fails
    /// the source): lowered by the tests that prove it.
    pub code: code::bound::Bounds,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_zip_total_bytes: 512 * 1024 * 1024,
            general_json_only: false,
            code: code::bound::Bounds::default(),
        }
    }
}

fn too_large(limit: u64) -> String {
    format!("larger than the limit of {limit} bytes (--max-file-size raises it)")
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') && name != "." && name != ".."
}

/// How a file was reached: named by the user (its problems stop the run) or found by a walk
/// (its problems make it a failed source, or it is skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    Named,
    Walked,
}

/// Loads every path. Errors of files named on the command line (and of paths that yield no
/// destination) are all collected before returning; walked files never stop the run.
pub fn load_paths(paths: &[PathBuf], walk: &Walk, limits: &Limits, slim: Option<Option<String>>) -> Result<Loaded, Vec<InputError>> {
    let excluded: Vec<PathBuf> = walk.exclude_files.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut loaded = Loaded { slim, general_json_only: limits.general_json_only, ..Loaded::default() };
    let mut errors = Vec::new();
    let mut stdin_read = false;
    // Per path: nothing found yet, and where its skipped files start.
    let mut empty: Vec<(usize, usize)> = Vec::new();
    for (arg, path) in paths.iter().enumerate() {
        loaded.arg = arg;
        let before = (loaded.destinations.len(), loaded.failures.len(), loaded.live, loaded.keystores.len());
        let skipped_before = loaded.skipped.len();
        let shown = crate::model::shown::path(path);
        let result = if path.as_os_str() == STDIN_ARG {
            if std::mem::replace(&mut stdin_read, true) {
                Err(InputError::new(STDIN_SHOWN, None, "standard input (-) is named more than once"))
            } else {
                load_stdin(limits, &mut loaded)
            }
        } else {
            load_path(path, &shown, walk, &excluded, limits, &mut loaded)
        };
        match result {
            Err(e) => errors.push((arg, e)),
            Ok(()) => {
                let found = loaded.destinations.len() > before.0
                    || loaded.failures.len() > before.1
                    || loaded.live != before.2
                    || loaded.keystores.len() > before.3;
                if !found {
                    empty.push((arg, skipped_before));
                }
            }
        }
    }
    let found_in_code = finish_code(&mut loaded, walk, limits, &mut errors);
    for (arg, skipped_before) in empty {
        if !found_in_code.contains(&arg) {
            let path = &paths[arg];
            errors.push((arg, nothing_found(path, &crate::model::shown::path(path), &loaded.skipped[skipped_before..])));
        }
    }
    errors.sort_by_key(|(arg, _)| *arg);
    if errors.is_empty() { Ok(loaded) } else { Err(errors.into_iter().map(|(_, e)| e).collect()) }
}

/// Reads the MTA and Terraform files of the run together; returns the paths that led to a
/// destination (or to a failed source) through them.
fn finish_code(loaded: &mut Loaded, walk: &Walk, limits: &Limits, errors: &mut Vec<(usize, InputError)>) -> Vec<usize> {
    let mut var_files = Vec::with_capacity(walk.var_files.len());
    for path in &walk.var_files {
        let shown = crate::model::shown::path(path);
        match read_code(path, &shown, limits) {
            Ok(text) => {
                let real = path.canonicalize().unwrap_or_else(|_| path.clone());
                var_files.push(code::Pending { arg: usize::MAX, shown, real, text, named: true });
            }
            Err(e) => errors.push((usize::MAX, e)),
        }
    }
    let pending = std::mem::take(&mut loaded.pending);
    let done = code::finish_selecting(pending, var_files, limits.max_file_bytes, &limits.code, walk.selected.as_deref());
    loaded.destinations.extend(done.destinations);
    loaded.keystores.extend(done.keystores);
    loaded.files_read += done.read;
    loaded.not_applied.extend(done.not_applied);
    loaded.notes.extend(done.notes);
    loaded.skipped.extend(done.skipped.into_iter().map(|(path, reason)| Skipped { path, reason }));
    let mut found = done.found_args;
    for (e, p) in done.errors {
        // Either way the path led somewhere: its own error says what, not "nothing found".
        found.push(p.arg);
        // A bound reached is no fault of the input: a failed source (exit 3), named or walked.
        if p.named && e.bound.is_none() {
            errors.push((p.arg, e));
        } else {
            walked_failure(e, loaded);
        }
    }
    for (e, arg) in done.failures {
        found.push(arg);
        walked_failure(e, loaded);
    }
    found
}

/// The error for a destination path that yielded no destination at all.
fn nothing_found(path: &Path, shown: &str, skipped: &[Skipped]) -> InputError {
    let shown = if path.as_os_str() == STDIN_ARG { STDIN_SHOWN } else { shown };
    if !path.is_dir() {
        return InputError::new(shown, None, "no destination in this file: an audit never passes on nothing");
    }
    let message = match skipped.len() {
        0 => "no destination file in this folder (empty, or every file is hidden, ignored or excluded)".to_owned(),
        n => format!("no destination file in this folder ({n} other file(s) skipped; -v lists them)"),
    };
    InputError::new(shown, None, message)
}

fn load_path(path: &Path, shown: &str, walk: &Walk, excluded: &[PathBuf], limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    let meta = std::fs::metadata(path).map_err(|e| InputError::new(shown, None, io_message(&e)))?;
    if meta.is_dir() {
        return load_dir(path, walk, excluded, limits, loaded);
    }
    if let Some(kind) = special_kind(&meta.file_type()) {
        return Err(InputError::new(
            shown,
            None,
            format!(
                "is {kind}, not a file: calm-audit reads regular files and folders; to read a stream, pipe it into `calm-audit check -`"
            ),
        ));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if code::is_code_file(name) {
        let text = read_code(path, shown, limits)?;
        let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        loaded.pending.push(code::Pending { arg: loaded.arg, shown: shown.to_owned(), real, text, named: true });
        return Ok(());
    }
    let Some(format) = format_of(name) else {
        // A settings file given where destinations go is named as what it is, as a walk names it.
        let is_toml = Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        let settings = |b: Vec<u8>| {
            toml::from_str::<toml::Table>(&String::from_utf8_lossy(&b))
                .is_ok_and(|t| !t.is_empty() && t.keys().all(|k| super::settings::is_settings_key(k)))
        };
        if is_toml && read_limited(path, shown, limits).is_ok_and(settings) {
            return Err(misplaced(shown, "--settings", "Entitlement Management settings"));
        }
        return Err(InputError::new(
            shown,
            None,
            "unknown destination file type: expected .properties, .props, .txt, no extension, .json, .yaml, .yml, .zip, \
             or a certificate or keystore (.pem, .crt, .cer, .der, .p12, .pfx, .jks)",
        ));
    };
    load_file(path, shown, format, Reach::Named, limits, loaded)
}

/// A key or settings file given as a destination path: the flag that takes it, as a folder walk
/// says it, rather than "no destination found".
fn misplaced(shown: &str, flag: &str, what: &str) -> InputError {
    InputError::new(shown, None, format!("this is {what}, not destinations: give it with {flag}"))
}

/// What a file that is neither a regular file nor a folder is, for the error message.
fn special_kind(file_type: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a named pipe");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some("a device");
        }
    }
    (!file_type.is_file() && !file_type.is_dir()).then_some("not a regular file")
}

/// `-`: one document from standard input, its format recognised by content.
fn load_stdin(limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(InputError::new(
            STDIN_SHOWN,
            None,
            "standard input is a terminal: pipe a destination document into `calm-audit check -`",
        ));
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::new(STDIN_SHOWN, None, format!("cannot read standard input: {e}")))?;
    load_stdin_bytes(&bytes, limits, loaded)
}

/// Standard input's content: JSON when it starts with `{` or `[`, YAML when it holds a
/// destination as YAML, else a properties export.
pub fn load_stdin_bytes(bytes: &[u8], limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(InputError::new(STDIN_SHOWN, None, too_large(limits.max_file_bytes)));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(InputError::new(STDIN_SHOWN, None, "a zip archive cannot be read from standard input: name the file"));
    }
    let text = properties::decode(bytes).map_err(|e| InputError::new(STDIN_SHOWN, None, e.to_string()))?;
    let trimmed = text.trim_start();
    let format = if trimmed.starts_with(['{', '[']) {
        Format::Json
    } else if yaml_destinations(&text) {
        Format::Yaml
    } else {
        Format::Properties
    };
    parse_bytes(bytes, STDIN_SHOWN, format, loaded)?;
    loaded.files_read += 1;
    Ok(())
}

/// Whether `text` reads as YAML holding at least one destination (a properties export such as
/// `Name=CALM_X` is a plain YAML scalar, so it does not).
fn yaml_destinations(text: &str) -> bool {
    let Ok(docs) = tree::parse_yaml(text) else { return false };
    let mut out = Vec::new();
    !docs.is_empty()
        && docs.iter().all(|doc| matches!(doc.kind, tree::Kind::Map(_) | tree::Kind::Seq(_)))
        && docs.iter().try_for_each(|doc| shapes::destinations(doc, STDIN_SHOWN, Keep::All, &mut out)).is_ok()
        && !out.is_empty()
}

/// One file's content, recognised by its name, as if named on the command line: the fuzz
/// targets' way in.
pub fn load_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Result<Loaded, InputError> {
    load_bytes_slim(name, bytes, limits, None)
}

/// [`load_bytes`] with [`Loaded::slim`] set, as `check` loads.
pub fn load_bytes_slim(name: &str, bytes: &[u8], limits: &Limits, slim: Option<Option<String>>) -> Result<Loaded, InputError> {
    let format = format_of(name).ok_or_else(|| InputError::new(name, None, "unknown destination file type"))?;
    let mut loaded = Loaded { slim, general_json_only: limits.general_json_only, ..Loaded::default() };
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(InputError::new(name, None, too_large(limits.max_file_bytes)));
    }
    if format == Format::Zip {
        load_zip(bytes, name, Reach::Named, limits, &mut loaded)?;
    } else {
        parse_bytes(bytes, name, format, &mut loaded)?;
        loaded.files_read += 1;
    }
    Ok(loaded)
}

/// [`load_bytes`] as if the file had been found by walking a folder: the fuzz targets check
/// that a walk never stops the run, whatever the file holds.
pub fn load_walked_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Loaded {
    let mut loaded = Loaded { general_json_only: limits.general_json_only, ..Loaded::default() };
    match format_of(name) {
        None => loaded.skipped.push(Skipped { path: name.to_owned(), reason: "not a destination file type".into() }),
        Some(Format::Zip) => {
            if let Err(e) = load_zip(bytes, name, Reach::Walked, limits, &mut loaded) {
                walked_failure(e, &mut loaded);
            }
        }
        Some(format) => walked_content(bytes, name, format, &mut loaded),
    }
    loaded
}

fn load_dir(dir: &Path, walk: &Walk, excluded: &[PathBuf], limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    let shown_dir = crate::model::shown::path(dir);
    let mut builder = ignore::WalkBuilder::new(dir);
    // The walker's own ignore handling applies ignore files of folders above the walked one
    // even outside a git repository, and drops what they hide without a word; the rules are
    // applied here instead ([`IgnoreRules`]), as git applies them, and every file they leave
    // out is counted.
    builder
        .follow_links(true)
        .hidden(true)
        .git_ignore(false)
        .git_exclude(false)
        .git_global(false)
        .ignore(false)
        .parents(false)
        .sort_by_file_name(std::cmp::Ord::cmp);
    if !walk.exclude_globs.is_empty() {
        let mut overrides = ignore::overrides::OverrideBuilder::new(dir);
        for glob in &walk.exclude_globs {
            overrides
                .add(&format!("!{glob}"))
                .map_err(|e| InputError::new(&shown_dir, None, format!("--exclude \"{glob}\" is not a valid glob: {e}")))?;
        }
        let overrides = overrides.build().map_err(|e| InputError::new(&shown_dir, None, format!("--exclude: {e}")))?;
        builder.overrides(overrides);
    }
    let rules = std::sync::Arc::new(std::sync::Mutex::new(IgnoreRules::new(dir)));
    let ignored = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let (rules, ignored) = (std::sync::Arc::clone(&rules), std::sync::Arc::clone(&ignored));
        builder.filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let by = lock(&rules).ignored_by(entry.path(), is_dir);
            match by {
                Some(by) => {
                    let mut shown = crate::model::shown::path(entry.path());
                    if is_dir {
                        shown.push_str("/ (a folder)");
                    }
                    lock(&ignored).push(Skipped { path: shown, reason: format!("ignored by {by}") });
                    false
                }
                None => true,
            }
        });
    }
    for entry in builder.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                walk_error(&e, dir, loaded);
                continue;
            }
        };
        let Some(file_type) = entry.file_type() else { continue };
        if file_type.is_dir() {
            continue;
        }
        let shown = crate::model::shown::path(entry.path());
        if !file_type.is_file() {
            let kind = special_kind(&file_type).unwrap_or("not a regular file");
            loaded.skipped.push(Skipped { path: shown, reason: format!("{kind}, not a file") });
            continue;
        }
        if entry.path().canonicalize().is_ok_and(|c| excluded.contains(&c)) {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        match by_name(&name) {
            ByName::Code => match read_code(entry.path(), &shown, limits) {
                Ok(text) => {
                    let real = entry.path().canonicalize().unwrap_or_else(|_| entry.path().to_path_buf());
                    loaded.pending.push(code::Pending { arg: loaded.arg, shown, real, text, named: false });
                }
                Err(e) => walked_failure(e, loaded),
            },
            ByName::File(format) => {
                if let Err(e) = load_file(entry.path(), &shown, format, Reach::Walked, limits, loaded) {
                    walked_failure(e, loaded);
                }
            }
            ByName::Other { .. } => {
                let reason = other_file(entry.path(), &name, loaded, &shown);
                loaded.skipped.push(Skipped { path: shown, reason });
            }
        }
    }
    loaded.ignored.append(&mut lock(&ignored));
    Ok(())
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Ignore rules as git applies them, for one walked folder: `.gitignore` files (and
/// `.git/info/exclude`) only inside a git work tree, from its root down; `.ignore` files only in
/// the walked folder and below. A deeper file's rule beats a shallower one's, and `.ignore`
/// beats `.gitignore` in the same folder; a `!pattern` re-includes. Git's global excludes
/// (`core.excludesFile`) are not applied: a CI clone has none, and a run gives the same result
/// on every machine.
struct IgnoreRules {
    /// The walked folder as given, and as a canonical path (ignore files are looked up there).
    given: PathBuf,
    walked: PathBuf,
    git_root: Option<PathBuf>,
    /// The rules of each folder met, from the deepest: `(matcher, name shown)`.
    cache: std::collections::HashMap<PathBuf, Vec<(ignore::gitignore::Gitignore, String)>>,
}

impl IgnoreRules {
    fn new(dir: &Path) -> Self {
        let walked = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let git_root = walked.ancestors().find(|a| a.join(".git").exists()).map(Path::to_path_buf);
        IgnoreRules { given: dir.to_path_buf(), walked, git_root, cache: std::collections::HashMap::new() }
    }

    /// The rules a folder's own files give, most decisive first.
    fn rules_of(&mut self, folder: &Path) -> &[(ignore::gitignore::Gitignore, String)] {
        if !self.cache.contains_key(folder) {
            let mut rules = Vec::new();
            let mut add = |file: PathBuf, shown: String| {
                if file.is_file() {
                    let mut b = ignore::gitignore::GitignoreBuilder::new(folder);
                    // A line git cannot read is left out, as git leaves it out.
                    let _ = b.add(&file);
                    if let Ok(g) = b.build() {
                        rules.push((g, shown));
                    }
                }
            };
            if folder.starts_with(&self.walked) {
                add(folder.join(".ignore"), ".ignore".into());
            }
            if self.git_root.as_deref().is_some_and(|root| folder.starts_with(root)) {
                add(folder.join(".gitignore"), ".gitignore".into());
                if Some(folder) == self.git_root.as_deref() {
                    add(folder.join(".git/info/exclude"), ".git/info/exclude".into());
                }
            }
            self.cache.insert(folder.to_path_buf(), rules);
        }
        self.cache.get(folder).map_or(&[], Vec::as_slice)
    }

    /// What ignores `path` (as the walker gives it), if anything does.
    fn ignored_by(&mut self, path: &Path, is_dir: bool) -> Option<String> {
        let relative = path.strip_prefix(&self.given).ok()?;
        if relative.as_os_str().is_empty() {
            return None;
        }
        let full = self.walked.join(relative);
        let top = self.git_root.clone().unwrap_or_else(|| self.walked.clone());
        let folders: Vec<PathBuf> = full.ancestors().skip(1).take_while(|a| a.starts_with(&top)).map(Path::to_path_buf).collect();
        for folder in folders {
            for (rules, shown) in self.rules_of(&folder) {
                match rules.matched(&full, is_dir) {
                    ignore::Match::Ignore(_) => return Some(shown.clone()),
                    ignore::Match::Whitelist(_) => return None,
                    ignore::Match::None => {}
                }
            }
        }
        None
    }
}

/// A walk error (a folder that cannot be listed, a link loop): the walk goes on. An entry that
/// may hold destinations and cannot be read makes the run incomplete.
fn walk_error(e: &ignore::Error, dir: &Path, loaded: &mut Loaded) {
    fn parts(e: &ignore::Error) -> (Option<&Path>, Option<&std::io::Error>, bool) {
        match e {
            ignore::Error::WithPath { path, err } => {
                let (_, io, looped) = parts(err);
                (Some(path), io, looped)
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => parts(err),
            ignore::Error::Loop { child, .. } => (Some(child), None, true),
            ignore::Error::Io(io) => (None, Some(io), false),
            _ => (None, None, false),
        }
    }
    let (path, io, looped) = parts(e);
    let shown = crate::model::shown::path(path.unwrap_or(dir));
    if looped {
        loaded.skipped.push(Skipped { path: shown, reason: "symbolic link loop".into() });
        return;
    }
    // A broken .gitignore line is the user's to fix, not a reason to stop: the walk goes on.
    let message = io.map_or_else(|| e.to_string(), io_message);
    loaded.failures.push(SourceFailure { source: shown, message: format!("cannot read: {message}") });
}

/// Why a walked file without a destination extension is skipped; a settings file found this way
/// is named with the flag that takes it.
fn other_file(path: &Path, name: &str, loaded: &mut Loaded, shown: &str) -> String {
    if settings_name(name) && std::fs::metadata(path).is_ok_and(|m| m.len() <= 1024 * 1024) {
        let bytes = std::fs::read(path).unwrap_or_default();
        let settings = super::unicode_text(bytes, shown, "the file")
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .is_some_and(|table| !table.is_empty() && table.keys().all(|k| super::settings::is_settings_key(k)));
        if settings {
            loaded.notes.push(Other::Settings.note(shown).unwrap_or_default());
            return Other::Settings.reason().into();
        }
    }
    "not a destination file type".into()
}

/// A walked file that could not be read or parsed: a failed source, or skipped when its
/// content does not look like a destination source at all.
fn walked_failure(e: InputError, loaded: &mut Loaded) {
    let source = match e.line {
        Some(line) => format!("{}:{line}", e.path),
        None => e.path.clone(),
    };
    loaded.failures.push(SourceFailure { source, message: e.message });
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot read: {e}"),
    }
}

/// An MTA or Terraform file's text: UTF-8, within the size limit.
fn read_code(path: &Path, shown: &str, limits: &Limits) -> Result<String, InputError> {
    let bytes = read_limited(path, shown, limits)?;
    super::unicode_text(bytes, shown, "the file")
}

/// A file's bytes, at most one byte past the size limit whatever the metadata says (devices,
/// growing files); the size it gives only saves the reallocations of a large read.
/// [`flat_json::destinations_from`] over the file; `false` (nothing added) when it cannot be
/// opened or the fast path declines it.
fn stream_json(path: &Path, shown: &str, limits: &Limits, loaded: &mut Loaded) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    // About one destination per 256 bytes at most in a pretty-printed export: reserved once,
    // the list is not copied as it grows (pages never used are never touched).
    let size = file.metadata().map_or(0, |m| m.len()).min(limits.max_file_bytes);
    loaded.destinations.reserve(usize::try_from(size / 256).unwrap_or(0));
    let keep = Keep::from_slim(&loaded.slim);
    flat_json::destinations_from_file(&file, limits.max_file_bytes, shown, keep, &mut loaded.destinations, flat_json::SPLIT_FROM)
}

fn read_limited(path: &Path, shown: &str, limits: &Limits) -> Result<Vec<u8>, InputError> {
    let fail = |e: std::io::Error| {
        let message = if path.is_dir() { "is a folder, not a file".to_owned() } else { io_message(&e) };
        InputError::new(shown, None, message)
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let expected = file.metadata().map_or(0, |m| m.len()).min(limits.max_file_bytes);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0) + 1);
    file.take(limits.max_file_bytes + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(InputError::new(shown, None, too_large(limits.max_file_bytes)));
    }
    Ok(bytes)
}

fn load_file(path: &Path, shown: &str, format: Format, reach: Reach, limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    // A named JSON file is read in one pass without ever being in memory whole; a file that
    // pass does not take is read again below, the general way, which also names its faults.
    let stream = format == Format::Json && reach == Reach::Named && !loaded.general_json_only;
    if stream && stream_json(path, shown, limits, loaded) {
        loaded.files_read += 1;
        return Ok(());
    }
    let bytes = read_limited(path, shown, limits)?;
    match (format, reach) {
        (Format::Zip, _) => load_zip(&bytes, shown, reach, limits, loaded),
        (_, Reach::Named) => {
            // The fast path has already declined this content: straight to the general reader.
            let general = loaded.general_json_only;
            loaded.general_json_only |= stream;
            let parsed = parse_bytes(&bytes, shown, format, loaded);
            loaded.general_json_only = general;
            if parsed.is_err() {
                let text = String::from_utf8_lossy(&bytes);
                if let Some(kind) = crate::model::result::own_report(&text) {
                    return Err(InputError::new(shown, None, format!("this is a calm-audit {kind} report, not destinations")));
                }
                match classify(&text) {
                    Some(Other::CalmKey) => return Err(misplaced(shown, "--calm-key", "a SAP Cloud ALM service key")),
                    Some(Other::DestinationKey) => return Err(misplaced(shown, "--destination-key", "a Destination service key")),
                    Some(Other::Settings) => return Err(misplaced(shown, "--settings", "Entitlement Management settings")),
                    _ => {}
                }
            }
            parsed?;
            loaded.files_read += 1;
            Ok(())
        }
        (_, Reach::Walked) => {
            walked_content(&bytes, shown, format, loaded);
            Ok(())
        }
    }
}

/// A walked file's content: destinations, a failed source, or skipped with the reason. Nothing
/// of a file that fails is kept, so a half-read file never counts as read. What a file is comes
/// from its parsed structure, never from a word it contains.
fn walked_content(bytes: &[u8], shown: &str, format: Format, loaded: &mut Loaded) {
    if format == Format::Certificate {
        certificate_file(bytes, shown, loaded);
        loaded.files_read += 1;
        return;
    }
    let skip = |loaded: &mut Loaded, reason: &str| loaded.skipped.push(Skipped { path: shown.to_owned(), reason: reason.to_owned() });
    let text = match properties::decode(bytes) {
        Ok(text) => text,
        // A file whose name says it holds destinations but whose content is not text: failed.
        Err(e) if names_destination_source(shown) => {
            return walked_failure(InputError::new(shown, None, e.to_string()), loaded);
        }
        Err(properties::DecodeError::Binary(_)) => return skip(loaded, "binary content (NUL bytes, no byte-order mark)"),
        Err(e) => return skip(loaded, &e.to_string()),
    };
    if text.trim().is_empty() {
        return skip(loaded, "empty");
    }
    if let Some(kind) = crate::model::result::own_report(&text) {
        return skip(loaded, &format!("a calm-audit {kind} report"));
    }
    if let Some(other) = classify(&text) {
        if let Some(note) = other.note(shown) {
            loaded.notes.push(note);
        }
        return skip(loaded, other.reason());
    }
    let before = (loaded.destinations.len(), loaded.failures.len());
    match parse_bytes(bytes, shown, format, loaded) {
        // A Terraform plan or state of other resources.
        Ok(()) if loaded.destinations.len() == before.0 && is_terraform_json(&text) => {
            skip(loaded, "a Terraform plan or state without destination resources");
        }
        Ok(()) => loaded.files_read += 1,
        Err(e) => {
            loaded.destinations.truncate(before.0);
            loaded.failures.truncate(before.1);
            if looks_like_destination(&text) {
                walked_failure(e, loaded);
            } else {
                skip(loaded, "not a destination (no Name with URL, Type or Authentication)");
            }
        }
    }
}

/// A walked file's name says it holds destinations (`.json`, `.yaml`, `.yml`, `.properties`,
/// `.props`): content that is not text is then a failed source. A `.txt` or extension-less file
/// may be anything (a README, a licence) and is skipped.
fn names_destination_source(shown: &str) -> bool {
    let ext = Path::new(shown).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("json" | "yaml" | "yml" | "properties" | "props"))
}

fn is_terraform_json(text: &str) -> bool {
    text.trim_start().starts_with('{') && tree::parse_json(text).is_ok_and(|node| code::tfjson::is_terraform_json(&node))
}

/// A walked file that is something other than destinations, told by its structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Other {
    CalmKey,
    DestinationKey,
    Settings,
    Report,
    Sarif,
    Snapshot,
}

impl Other {
    fn reason(self) -> &'static str {
        match self {
            Other::CalmKey => "a SAP Cloud ALM service key (--calm-key takes it)",
            Other::DestinationKey => "a Destination service key (--destination-key takes it)",
            Other::Settings => "Entitlement Management settings (--settings takes it)",
            Other::Report => "a calm-audit JSON report",
            Other::Sarif => "a calm-audit SARIF report",
            Other::Snapshot => "a calm-audit snapshot (name it on the command line to audit it)",
        }
    }

    /// What the user should hear about it: the flag that takes an input found in the wrong place.
    fn note(self, shown: &str) -> Option<String> {
        match self {
            Other::CalmKey => Some(format!("{shown} looks like a SAP Cloud ALM service key: give it with --calm-key")),
            Other::DestinationKey => Some(format!("{shown} looks like a Destination service key: give it with --destination-key")),
            Other::Settings => Some(format!("{shown} looks like Entitlement Management settings: give it with --settings")),
            Other::Report | Other::Sarif | Other::Snapshot => None,
        }
    }
}

/// Whether a text is one calm-audit wrote: one of its reports (any format) or a snapshot, which
/// a later run may replace; what walks skip as calm-audit's own.
pub fn is_own_output(text: &str) -> bool {
    crate::model::result::own_report(text).is_some() || matches!(classify(text), Some(Other::Report | Other::Sarif | Other::Snapshot))
}

/// What a JSON document is when it is not destinations, by its structure: a service key (also
/// under `credentials`, or after the lines `cf service-key` prints), settings, or calm-audit's
/// own reports and snapshots. `None` for anything else.
fn classify(text: &str) -> Option<Other> {
    // Only the structure decides; these keys only tell which files are worth parsing for it, so
    // that a large export is not parsed twice.
    const KEYS: [&str; 6] = ["calm_audit_snapshot", "calm-audit", "endpoints", "\"uri\"", "enable_", "destination_name"];
    if !KEYS.iter().any(|k| text.contains(k)) {
        return None;
    }
    let start = text.find(['{', '['])?;
    // Only an object can be one of these; lines before it are what `cf service-key` prints.
    if !text[start..].starts_with('{') || text[..start].lines().any(|l| l.trim_start().starts_with('"')) {
        return None;
    }
    let node = tree::parse_json(&text[start..]).ok()?;
    classify_node(&node)
}

fn classify_node(node: &tree::Node) -> Option<Other> {
    let tree::Kind::Map(entries) = &node.kind else { return None };
    let has = |key: &str| entries.iter().any(|(k, _, _)| k == key);
    let is_map = |key: &str| node.get(key).is_some_and(|n| matches!(n.kind, tree::Kind::Map(_)));
    if has("calm_audit_snapshot") {
        return Some(Other::Snapshot);
    }
    if node.get("schema").and_then(tree::Node::as_scalar) == Some("calm-audit-report") {
        return Some(Other::Report);
    }
    if let Some(tree::Kind::Seq(runs)) = node.get("runs").map(|r| &r.kind)
        && runs.iter().any(|run| {
            run.get("tool").and_then(|t| t.get("driver")).and_then(|d| d.get("name")).and_then(tree::Node::as_scalar) == Some("calm-audit")
        })
    {
        return Some(Other::Sarif);
    }
    if is_map("endpoints") && is_map("uaa") {
        return Some(Other::CalmKey);
    }
    if has("uri") && has("clientid") && (has("clientsecret") || has("certificate")) && !has("Name") {
        return Some(Other::DestinationKey);
    }
    if !entries.is_empty() && entries.iter().all(|(k, _, _)| super::settings::is_settings_key(k)) {
        return Some(Other::Settings);
    }
    // A service key as `cf service-key` and the cockpit show it: under `credentials`.
    match node.get("credentials") {
        Some(inner) if !has("Name") => classify_node(inner).filter(|o| matches!(o, Other::CalmKey | Other::DestinationKey)),
        _ => None,
    }
}

/// Whether a file that failed to parse was meant as a destination source: it names the `Name`
/// property together with `URL`, `Type` or `Authentication`, as every destination does.
/// `package.json`, `xs-app.json` and free text do not.
fn looks_like_destination(text: &str) -> bool {
    text.contains("Name") && (text.contains("URL") || text.contains("Type") || text.contains("Authentication"))
}

/// An archive entry's name as a relative path, or `None` when it is absolute or climbs out with
/// `..` (the rule the zip crate applies to the names it keeps).
fn enclosed(name: &str) -> Option<PathBuf> {
    if name.contains('\0') || name.starts_with(['/', '\\']) {
        return None;
    }
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            std::path::Component::Normal(part) => out.push(part),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// The zip crate keys an archive's entries by name, so a second entry of one name would be
/// hidden behind the first. When the central directory repeats a name, the crate is given a
/// copy in which each repeat is renamed to a unique text of the same length (`~2~...`); the
/// map gives back the name as written. `None` when no name repeats (or the directory cannot be
/// walked here, as in ZIP64, where the crate's own reading stands).
fn unique_entry_names(bytes: &[u8]) -> Option<(Vec<u8>, std::collections::HashMap<String, String>)> {
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let u32_at = |at: usize| bytes.get(at..at + 4).and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok());
    let search_from = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (search_from..bytes.len().saturating_sub(21)).rev().find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))?;
    let (count, mut at) = (u16_at(eocd + 10)?, u32_at(eocd + 16)?);
    let mut names: Vec<(usize, usize)> = Vec::with_capacity(count);
    for _ in 0..count {
        if !bytes.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let (name_len, extra_len, comment_len) = (u16_at(at + 28)?, u16_at(at + 30)?, u16_at(at + 32)?);
        bytes.get(at + 46..at + 46 + name_len)?;
        names.push((at + 46, name_len));
        at += 46 + name_len + extra_len + comment_len;
    }
    let mut seen: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    let mut repeats = Vec::new();
    for &(start, len) in &names {
        let n = seen.entry(&bytes[start..start + len]).or_default();
        *n += 1;
        if *n > 1 {
            repeats.push((start, len, *n));
        }
    }
    if repeats.is_empty() {
        return None;
    }
    let mut copy = bytes.to_vec();
    let mut original = std::collections::HashMap::new();
    for (start, len, n) in repeats {
        let written = String::from_utf8_lossy(&bytes[start..start + len]).into_owned();
        let marker = format!("~{n}~{}", "~".repeat(len));
        let renamed = &marker[..len.max(1).min(marker.len())];
        // Too short a name to rename uniquely: left to the crate, which reads one of them.
        if len < 4 || seen.contains_key(renamed.as_bytes()) {
            continue;
        }
        copy[start..start + len].copy_from_slice(renamed.as_bytes());
        original.insert(renamed.to_owned(), written);
    }
    Some((copy, original))
}

fn load_zip(bytes: &[u8], shown: &str, reach: Reach, limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    let renamed = unique_entry_names(bytes);
    let (bytes, original) = match &renamed {
        Some((copy, original)) => (copy.as_slice(), Some(original)),
        None => (bytes, None),
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| InputError::new(shown, None, format!("not a readable zip archive: {e}")))?;
    if archive.len() > limits.max_zip_entries {
        return Err(InputError::new(
            shown,
            None,
            format!("the archive has {} entries, more than the limit of {}", archive.len(), limits.max_zip_entries),
        ));
    }
    // An archive whose directory does not account for its contents means one thing here and
    // another to a tool that reads its local headers: a failed source, none of it read.
    if let Err(why) = super::zip_directory::accounted(&mut archive, bytes, |name| original.and_then(|o| o.get(name)).cloned()) {
        loaded.failures.push(SourceFailure { source: shown.to_owned(), message: format!("{why}: the archive is not read") });
        return Ok(());
    }
    let mut total: u64 = 0;
    // Every entry, by its place in the archive: two entries of one name are both read and both
    // named (`dest.json (entry 3)`), never the last one alone.
    let mut entries: Vec<(String, usize)> = (0..archive.len())
        .map(|i| archive.name_for_index(i).map(|n| (original.and_then(|o| o.get(n)).map_or(n, String::as_str).to_owned(), i)))
        .collect::<Option<_>>()
        .ok_or_else(|| InputError::new(shown, None, "not a readable zip archive: an entry has no name"))?;
    entries.sort();
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (name, _) in &entries {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    let repeated: std::collections::HashSet<String> = counts.into_iter().filter(|(_, n)| *n > 1).map(|(name, _)| name.to_owned()).collect();
    for (name, index) in entries {
        let mut file = archive
            .by_index(index)
            .map_err(|e| InputError::new(format!("{shown}/{name}"), None, format!("cannot read archive entry: {e}")))?;
        if file.is_dir() {
            continue;
        }
        // A renamed repeat is judged by the name as written, like its first.
        let inner = if file.name() == name { file.enclosed_name() } else { enclosed(&name) };
        let Some(inner) = inner else {
            return Err(InputError::new(shown, None, format!("archive entry \"{name}\" has an unsafe path (absolute or with ..)")));
        };
        let entry_shown = if repeated.contains(&name) {
            format!("{shown}/{} (entry {})", inner.display(), index + 1)
        } else {
            format!("{shown}/{}", inner.display())
        };
        let base = inner.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if inner.components().any(|c| is_hidden(&c.as_os_str().to_string_lossy())) {
            continue;
        }
        let format = match format_of(&base) {
            Some(Format::Zip) => return Err(InputError::new(entry_shown, None, "archives inside archives are not read")),
            Some(f) => f,
            None => {
                loaded.skipped.push(Skipped { path: entry_shown, reason: "not a destination file type".into() });
                continue;
            }
        };
        // Declared sizes can lie (zip bombs): read within the limits and count what came out.
        let allowed = limits.max_file_bytes.min(limits.max_zip_total_bytes.saturating_sub(total));
        if file.size() > allowed {
            return Err(InputError::new(&entry_shown, None, format!("uncompressed {}", too_large(allowed))));
        }
        let mut content = Vec::new();
        (&mut file)
            .take(allowed + 1)
            .read_to_end(&mut content)
            .map_err(|e| InputError::new(&entry_shown, None, format!("cannot read archive entry: {e}")))?;
        if content.len() as u64 > allowed {
            return Err(InputError::new(&entry_shown, None, format!("uncompressed {}", too_large(allowed))));
        }
        total += content.len() as u64;
        match reach {
            Reach::Named => {
                parse_bytes(&content, &entry_shown, format, loaded)?;
                loaded.files_read += 1;
            }
            Reach::Walked => walked_content(&content, &entry_shown, format, loaded),
        }
    }
    Ok(())
}

/// Parses one file's bytes into destinations.
fn parse_bytes(bytes: &[u8], shown: &str, format: Format, loaded: &mut Loaded) -> Result<(), InputError> {
    if format == Format::Certificate {
        certificate_file(bytes, shown, loaded);
        return Ok(());
    }
    let keep = Keep::from_slim(&loaded.slim);
    let out = &mut loaded.destinations;
    let text = properties::decode(bytes).map_err(|e| InputError::new(shown, None, e.to_string()))?;
    if text.trim().is_empty() {
        return Err(InputError::new(shown, None, "empty file"));
    }
    let looks_json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
    // UTF-8, or UTF-16/32 with its mark; not the Latin-1 fallback of properties exports.
    let unicode = matches!(text, Cow::Borrowed(_)) || properties::has_wide_bom(bytes);
    match format {
        Format::Json => json(&text, unicode, shown, loaded),
        Format::Properties if looks_json => json(&text, unicode, shown, loaded),
        Format::Properties => properties_file(&text, shown, keep, out),
        Format::Yaml => {
            let docs = tree::parse_yaml(&text).map_err(|e| InputError::new(shown, e.line, e.message))?;
            if docs.is_empty() {
                return Err(InputError::new(shown, None, "empty YAML document"));
            }
            docs.iter().try_for_each(|doc| shapes::destinations(doc, shown, keep, out))
        }
        Format::Zip => Err(InputError::new(shown, None, "a zip archive inside an archive is not read")),
        Format::Certificate => Ok(()),
    }
}

/// A certificate or keystore file, given, walked or in an archive: kept for [`certs`], which
/// reads it only if a destination names it (SPEC §3b).
fn certificate_file(bytes: &[u8], shown: &str, loaded: &mut Loaded) {
    loaded.keystores.push(certs::keystore(certs::file_name(shown), bytes.to_vec(), shown, 1, Held::File, None));
}

/// `utf8`: the bytes were UTF-8 (`decode` borrowed them rather than reading Latin-1).
fn json(text: &str, utf8: bool, shown: &str, loaded: &mut Loaded) -> Result<(), InputError> {
    // JSON must be UTF-8 (RFC 8259); the Latin-1 fallback is for properties exports only.
    if !utf8 {
        return Err(InputError::new(shown, None, "JSON file is not valid UTF-8"));
    }
    if !loaded.general_json_only && flat_json::destinations(text, shown, Keep::from_slim(&loaded.slim), &mut loaded.destinations) {
        return Ok(());
    }
    let tree_error = |e: tree::TreeError| InputError::new(shown, e.line, e.message);
    let node = match tree::parse_json_doc(text).map_err(tree_error)? {
        tree::JsonDoc::Items(items) => {
            for item in items {
                shapes::array_item(&item.map_err(tree_error)?, shown, Keep::from_slim(&loaded.slim), &mut loaded.destinations)?;
            }
            return Ok(());
        }
        tree::JsonDoc::Tree(node) => node,
    };
    if code::tfjson::is_terraform_json(&node) {
        loaded.destinations.extend(code::tfjson::read_tree(shown, &node)?);
        return Ok(());
    }
    if snapshot::is_snapshot(&node) {
        let snap = snapshot::load(text, shown)?;
        loaded.destinations.extend(snap.destinations);
        loaded.keystores.extend(snap.keystores);
        loaded.certificates_read |= snap.certificates_read;
        if snap.destination_key_certificate.is_some() {
            loaded.destination_key_certificate = snap.destination_key_certificate;
        }
        loaded.failures.extend(snap.failures);
        loaded.live |= snap.live;
        loaded.probe |= snap.probe;
        return Ok(());
    }
    shapes::destinations(&node, shown, Keep::from_slim(&loaded.slim), &mut loaded.destinations)
}

fn properties_file(text: &str, shown: &str, keep: Keep, out: &mut Vec<Destination>) -> Result<(), InputError> {
    let parsed = properties::parse(text).map_err(|e| InputError::new(shown, Some(e.line), e.message))?;
    // (key, value or `None` when the export removed it, line): removed secrets first.
    let mut entries: Vec<(String, Option<String>, u32)> = Vec::with_capacity(parsed.entries.len() + parsed.removed.len());
    let written: std::collections::HashSet<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
    let removed: Vec<(String, u32)> = parsed.removed.into_iter().filter(|(key, _)| !written.contains(key.as_str())).collect();
    drop(written);
    for (key, line) in removed {
        entries.push((key, None, line));
    }
    let first_line = parsed.entries.iter().map(|e| e.line).min().unwrap_or(1);
    entries.extend(parsed.entries.into_iter().map(|e| (e.key, Some(e.value), e.line)));
    if !entries.iter().any(|(k, _, _)| k == "Name") {
        return Err(InputError::new(shown, None, "not a destination export: no \"Name\" property"));
    }
    let property = |(key, value, line): &(String, Option<String>, u32)| match value {
        Some(v) => Property::new(key.clone(), v.clone(), Some(*line)),
        None => Property::removed(key.clone(), Some(*line)),
    };
    out.push(build_destination(&entries, |(k, _, _)| k, property, Origin::file(shown, first_line, None), keep));
    Ok(())
}
