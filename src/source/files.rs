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

use super::{InputError, Keep, build_destination, code, flat_json, properties, shapes, snapshot, tree};
use crate::model::{Destination, Origin, Property, SourceFailure};

/// How standard input is named on the command line and in reports.
pub const STDIN_ARG: &str = "-";
pub const STDIN_SHOWN: &str = "<stdin>";

/// What the file loaders found.
#[derive(Default)]
pub struct Loaded {
    pub destinations: Vec<Destination>,
    /// Files (and archive entries) read as destination sources.
    pub files_read: usize,
    /// Files in walked folders that are not destination files, by display path, with the reason.
    pub skipped: Vec<Skipped>,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Properties,
    Json,
    Yaml,
    Zip,
}

/// By extension; `None` for a file that is not a destination file.
fn format_of(name: &str) -> Option<Format> {
    let ext = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        None | Some("properties" | "props" | "txt") => Some(Format::Properties),
        Some("json") => Some(Format::Json),
        Some("yaml" | "yml") => Some(Format::Yaml),
        Some("zip") => Some(Format::Zip),
        Some(_) => None,
    }
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_zip_total_bytes: 512 * 1024 * 1024,
            general_json_only: false,
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
        let before = (loaded.destinations.len(), loaded.failures.len(), loaded.live);
        let skipped_before = loaded.skipped.len();
        let shown = path.display().to_string();
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
                let found = loaded.destinations.len() > before.0 || loaded.failures.len() > before.1 || loaded.live != before.2;
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
            errors.push((arg, nothing_found(path, &path.display().to_string(), &loaded.skipped[skipped_before..])));
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
        let shown = path.display().to_string();
        match read_code(path, &shown, limits) {
            Ok(text) => {
                let real = path.canonicalize().unwrap_or_else(|_| path.clone());
                var_files.push(code::Pending { arg: usize::MAX, shown, real, text, named: true });
            }
            Err(e) => errors.push((usize::MAX, e)),
        }
    }
    let done = code::finish(std::mem::take(&mut loaded.pending), var_files, limits.max_file_bytes);
    loaded.destinations.extend(done.destinations);
    loaded.files_read += done.read;
    loaded.not_applied.extend(done.not_applied);
    loaded.notes.extend(done.notes);
    loaded.skipped.extend(done.skipped.into_iter().map(|(path, reason)| Skipped { path, reason }));
    let mut found = done.found_args;
    for (e, p) in done.errors {
        // Either way the path led somewhere: its own error says what, not "nothing found".
        found.push(p.arg);
        if p.named {
            errors.push((p.arg, e));
        } else {
            walked_failure(e, loaded);
        }
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
    let format = format_of(name).ok_or_else(|| {
        InputError::new(
            shown,
            None,
            "unknown destination file type: expected .properties, .props, .txt, no extension, .json, .yaml, .yml or .zip",
        )
    })?;
    load_file(path, shown, format, Reach::Named, limits, loaded)
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
    let shown_dir = dir.display().to_string();
    let mut builder = ignore::WalkBuilder::new(dir);
    builder
        .follow_links(true)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .ignore(true)
        .require_git(false)
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
        let shown = entry.path().display().to_string();
        if !file_type.is_file() {
            let kind = special_kind(&file_type).unwrap_or("not a regular file");
            loaded.skipped.push(Skipped { path: shown, reason: format!("{kind}, not a file") });
            continue;
        }
        if entry.path().canonicalize().is_ok_and(|c| excluded.contains(&c)) {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if code::is_code_file(&name) {
            match read_code(entry.path(), &shown, limits) {
                Ok(text) => {
                    let real = entry.path().canonicalize().unwrap_or_else(|_| entry.path().to_path_buf());
                    loaded.pending.push(code::Pending { arg: loaded.arg, shown, real, text, named: false });
                }
                Err(e) => walked_failure(e, loaded),
            }
            continue;
        }
        match format_of(&name) {
            Some(format) => {
                if let Err(e) = load_file(entry.path(), &shown, format, Reach::Walked, limits, loaded) {
                    walked_failure(e, loaded);
                }
            }
            None => {
                let reason = other_file(entry.path(), &name, loaded, &shown);
                loaded.skipped.push(Skipped { path: shown, reason });
            }
        }
    }
    Ok(())
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
    let shown = path.unwrap_or(dir).display().to_string();
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
    let is_toml = Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml && std::fs::metadata(path).is_ok_and(|m| m.len() <= 1024 * 1024) {
        let text = std::fs::read(path).unwrap_or_default();
        if looks_like_settings(&String::from_utf8_lossy(&text)) {
            loaded.notes.push(format!("{shown} looks like Entitlement Management settings: give it with --settings"));
            return "Entitlement Management settings (--settings takes it)".into();
        }
    }
    "not a destination file type".into()
}

fn looks_like_settings(text: &str) -> bool {
    text.contains("enable_business_process_monitoring") || text.contains("enable_integration_monitoring")
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
    if memchr::memchr(0, &bytes).is_some() {
        return Err(InputError::new(shown, None, "binary content, not text"));
    }
    let text = String::from_utf8(bytes).map_err(|_| InputError::new(shown, None, "not valid UTF-8"))?;
    Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
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
/// of a file that fails is kept, so a half-read file never counts as read.
fn walked_content(bytes: &[u8], shown: &str, format: Format, loaded: &mut Loaded) {
    let skip = |loaded: &mut Loaded, reason: &str| loaded.skipped.push(Skipped { path: shown.to_owned(), reason: reason.to_owned() });
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return skip(loaded, "empty");
    }
    if memchr::memchr(0, bytes).is_some() {
        return skip(loaded, "binary content");
    }
    let text = String::from_utf8_lossy(bytes);
    if let Some((flag, what)) = service_key_kind(&text) {
        loaded.notes.push(format!("{shown} looks like {what}: give it with {flag}"));
        return skip(loaded, &format!("{what} ({flag} takes it)"));
    }
    if looks_like_settings(&text) && !looks_like_destination(&text) {
        loaded.notes.push(format!("{shown} looks like Entitlement Management settings: give it with --settings"));
        return skip(loaded, "Entitlement Management settings (--settings takes it)");
    }
    let before = (loaded.destinations.len(), loaded.failures.len());
    match parse_bytes(bytes, shown, format, loaded) {
        // A Terraform plan or state of other resources.
        Ok(()) if loaded.destinations.len() == before.0 && text.contains("\"format_version\"") => {
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

/// A service key's JSON: `uaa` credentials with the Cloud ALM `endpoints`, or a Destination
/// service key (`uri`). Returns the flag that takes it and what it is.
fn service_key_kind(text: &str) -> Option<(&'static str, &'static str)> {
    let credentials = text.contains("\"clientid\"") && (text.contains("\"clientsecret\"") || text.contains("\"certificate\""));
    if text.contains("\"endpoints\"") && text.contains("\"uaa\"") {
        Some(("--calm-key", "a SAP Cloud ALM service key"))
    } else if credentials && text.contains("\"uri\"") && !text.contains("\"Name\"") {
        Some(("--destination-key", "a Destination service key"))
    } else {
        None
    }
}

/// Whether a file that failed to parse was meant as a destination source: it names the `Name`
/// property together with `URL`, `Type` or `Authentication`, as every destination does.
/// `package.json`, `xs-app.json` and free text do not.
fn looks_like_destination(text: &str) -> bool {
    text.contains("Name") && (text.contains("URL") || text.contains("Type") || text.contains("Authentication"))
}

fn load_zip(bytes: &[u8], shown: &str, reach: Reach, limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| InputError::new(shown, None, format!("not a readable zip archive: {e}")))?;
    if archive.len() > limits.max_zip_entries {
        return Err(InputError::new(
            shown,
            None,
            format!("the archive has {} entries, more than the limit of {}", archive.len(), limits.max_zip_entries),
        ));
    }
    let mut total: u64 = 0;
    let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    names.sort();
    for name in names {
        let mut file = archive
            .by_name(&name)
            .map_err(|e| InputError::new(format!("{shown}/{name}"), None, format!("cannot read archive entry: {e}")))?;
        if file.is_dir() {
            continue;
        }
        let Some(inner) = file.enclosed_name() else {
            return Err(InputError::new(shown, None, format!("archive entry \"{name}\" has an unsafe path (absolute or with ..)")));
        };
        let entry_shown = format!("{shown}/{}", inner.display());
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
    let keep = Keep::from_slim(&loaded.slim);
    let out = &mut loaded.destinations;
    let text = properties::decode(bytes).map_err(|e| InputError::new(shown, None, e.to_string()))?;
    if text.trim().is_empty() {
        return Err(InputError::new(shown, None, "empty file"));
    }
    let looks_json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
    match format {
        Format::Json => json(&text, matches!(text, Cow::Borrowed(_)), shown, loaded),
        Format::Properties if looks_json => json(&text, matches!(text, Cow::Borrowed(_)), shown, loaded),
        Format::Properties => properties_file(&text, shown, keep, out),
        Format::Yaml => {
            let docs = tree::parse_yaml(&text).map_err(|e| InputError::new(shown, e.line, e.message))?;
            if docs.is_empty() {
                return Err(InputError::new(shown, None, "empty YAML document"));
            }
            docs.iter().try_for_each(|doc| shapes::destinations(doc, shown, keep, out))
        }
        Format::Zip => Err(InputError::new(shown, None, "a zip archive inside an archive is not read")),
    }
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
    for (key, line) in parsed.removed {
        if !parsed.entries.iter().any(|e| e.key == key) {
            entries.push((key, None, line));
        }
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
