//! Destination files: single files, folders walked recursively, and zip archives.
//! The format is chosen by extension, and a `.txt` or extension-less file that holds
//! JSON is read as JSON.

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{InputError, Keep, build_destination, properties, shapes, snapshot, tree};
use crate::model::{Destination, Origin, Property, SourceFailure};

/// What the file loaders found.
#[derive(Default)]
pub struct Loaded {
    pub destinations: Vec<Destination>,
    /// Files (and archive entries) read as destination sources.
    pub files_read: usize,
    /// Files in walked folders that are not destination files, by display path.
    pub skipped: Vec<String>,
    /// Failures recorded in snapshots that were read: the run stays incomplete.
    pub failures: Vec<SourceFailure>,
    /// A snapshot of a live read was read (levels known, CALM016 judged when `probe`).
    pub live: bool,
    pub probe: bool,
    /// When set, destinations that are not Cloud ALM ones keep only their `Name` (see
    /// [`super::Keep`]); the value is the destination the settings name. Snapshots are read whole.
    pub slim: Option<Option<String>>,
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_file_bytes: 64 * 1024 * 1024, max_zip_entries: 10_000, max_zip_total_bytes: 512 * 1024 * 1024 }
    }
}

fn too_large(limit: u64) -> String {
    format!("larger than the limit of {limit} bytes (--max-file-size raises it)")
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') && name != "." && name != ".."
}

/// Loads every path; `exclude` holds files given for other purposes (settings, key), which
/// are not destination files even when they sit in a walked folder.
/// `slim`: see [`Loaded::slim`].
pub fn load_paths(paths: &[PathBuf], exclude: &[PathBuf], limits: &Limits, slim: Option<Option<String>>) -> Result<Loaded, InputError> {
    let excluded: Vec<PathBuf> = exclude.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut loaded = Loaded { slim, ..Loaded::default() };
    for path in paths {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| InputError::new(&shown, None, io_message(&e)))?;
        if meta.is_dir() {
            load_dir(path, &excluded, limits, &mut loaded)?;
        } else {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let format = format_of(name).ok_or_else(|| {
                InputError::new(
                    &shown,
                    None,
                    "unknown destination file type: expected .properties, .props, .txt, no extension, .json, .yaml, .yml or .zip",
                )
            })?;
            load_file(path, &shown, format, limits, &mut loaded)?;
        }
    }
    Ok(loaded)
}

/// One file's content, recognised by its name, as if read from disk: the fuzz targets' way in.
pub fn load_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Result<Loaded, InputError> {
    load_bytes_slim(name, bytes, limits, None)
}

/// [`load_bytes`] with [`Loaded::slim`] set, as `check` loads.
pub fn load_bytes_slim(name: &str, bytes: &[u8], limits: &Limits, slim: Option<Option<String>>) -> Result<Loaded, InputError> {
    let format = format_of(name).ok_or_else(|| InputError::new(name, None, "unknown destination file type"))?;
    let mut loaded = Loaded { slim, ..Loaded::default() };
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(InputError::new(name, None, too_large(limits.max_file_bytes)));
    }
    if format == Format::Zip {
        load_zip(bytes, name, limits, &mut loaded)?;
    } else {
        parse_bytes(bytes, name, format, &mut loaded)?;
        loaded.files_read += 1;
    }
    Ok(loaded)
}

fn load_dir(dir: &Path, excluded: &[PathBuf], limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(&e.file_name().to_string_lossy()));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let shown = e.path().unwrap_or(dir).display().to_string();
            let message = if e.loop_ancestor().is_some() {
                "symbolic link loop".to_owned()
            } else {
                e.io_error().map_or_else(|| e.to_string(), io_message)
            };
            InputError::new(shown, None, message)
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let shown = entry.path().display().to_string();
        if entry.path().canonicalize().is_ok_and(|c| excluded.contains(&c)) {
            continue;
        }
        match format_of(&entry.file_name().to_string_lossy()) {
            Some(format) => load_file(entry.path(), &shown, format, limits, loaded)?,
            None => loaded.skipped.push(shown),
        }
    }
    Ok(())
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot read: {e}"),
    }
}

fn load_file(path: &Path, shown: &str, format: Format, limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
    let fail = |e: std::io::Error| {
        let message = if path.is_dir() { "is a folder, not a file".to_owned() } else { io_message(&e) };
        InputError::new(shown, None, message)
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    // Read at most one byte past the limit, whatever the metadata says (devices, growing files);
    // the size it gives only saves the reallocations of a large read.
    let expected = file.metadata().map_or(0, |m| m.len()).min(limits.max_file_bytes);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0) + 1);
    file.take(limits.max_file_bytes + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(InputError::new(shown, None, too_large(limits.max_file_bytes)));
    }
    if format == Format::Zip {
        return load_zip(&bytes, shown, limits, loaded);
    }
    parse_bytes(&bytes, shown, format, loaded)?;
    loaded.files_read += 1;
    Ok(())
}

fn load_zip(bytes: &[u8], shown: &str, limits: &Limits, loaded: &mut Loaded) -> Result<(), InputError> {
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
                loaded.skipped.push(entry_shown);
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
        parse_bytes(&content, &entry_shown, format, loaded)?;
        loaded.files_read += 1;
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
