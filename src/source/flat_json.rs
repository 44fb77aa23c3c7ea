//! The fast way through a large JSON destination file: one forward pass over the text that
//! checks its syntax and builds the destinations as it goes, for the shapes exports have (a
//! top-level array of flat destination objects, `{"destinations": [...]}`, a `config.json`
//! with `init_data`), deciding scope from `Name` and `URL` before anything else is allocated.
//!
//! It reads a strict subset of JSON: objects, arrays, strings and `true`/`false`/`null` outside
//! the destinations, and destinations whose every value is a string. Whatever falls outside
//! that subset, every syntax error, and every file that holds a mistake (a duplicate key, a
//! destination without `Name`, an unknown `init_data` section) is handed back untouched, and
//! the general reader ([`super::tree`], [`super::shapes`]) reads the file as before and names
//! the problem. So this path never decides an error or a verdict of its own: on the files it
//! accepts it gives exactly what the general reader gives (asserted for every rule case in
//! `tests/rules.rs` and on every input by the `destination_files` fuzz target).
//!
//! A large file is read by two threads ([`destinations_from_file`]): the second starts at what
//! looks like a destination after the middle, and its part counts only if the first thread,
//! reading on, arrives at exactly that place between two destinations of a list, so the result
//! is that of one pass.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::Keep;
use crate::model::destination::{is_cloud_alm, is_removed_marker};
use crate::model::{Destination, Key, Level, Origin, Property};

/// Nesting allowed in the values skipped around the destinations (the general reader's bound).
const MAX_DEPTH: usize = 64;

/// Bytes read at a time; the text already read is let go between destinations, so a large
/// file is held only a window at a time.
const CHUNK: usize = 1 << 20;

/// Files from this size on are read by two threads, one from each half ([`destinations_from_file`]).
pub const SPLIT_FROM: u64 = 8 << 20;

/// Reads `text` onto `out` and returns `true`, or returns `false` with `out` as it was when
/// the file is not one this path reads (the caller then reads it the general way).
pub fn destinations(text: &str, path: &str, keep: Keep, out: &mut Vec<Destination>) -> bool {
    destinations_from(text.as_bytes(), u64::MAX, path, keep, out)
}

/// [`destinations`] from a reader, at most `limit` bytes (a longer input is refused, and the
/// general reader says why): a large file never has to be in memory whole.
pub fn destinations_from(reader: impl Source, limit: u64, path: &str, keep: Keep, out: &mut Vec<Destination>) -> bool {
    let before = out.len();
    let mut scan = Scan::new(reader, limit, Arc::from(path), keep, out);
    let read = scan.document().is_some() && !scan.broken;
    if !read {
        out.truncate(before);
    }
    read
}

/// [`destinations_from`] over a file. From `split_from` bytes on (and with a second core), a
/// second thread reads the destinations of the second half while this one reads the first:
/// it starts at what looks like the start of a destination in the middle of the file, and
/// its destinations are taken only if this thread, reading on, reaches exactly that place
/// between two destinations of a destination list. Otherwise (the place was inside a string,
/// another value, or the second thread declined) this thread reads on alone. Either way the
/// result is what one pass gives: the second thread reads with the same rules, and its lines
/// are shifted to where its part starts.
pub fn destinations_from_file(file: &File, limit: u64, path: &str, keep: Keep, out: &mut Vec<Destination>, split_from: u64) -> bool {
    split_read(file, limit, path, keep, out, split_from).0
}

/// [`destinations_from_file`], and whether the second thread's part was taken.
fn split_read(file: &File, limit: u64, path: &str, keep: Keep, out: &mut Vec<Destination>, split_from: u64) -> (bool, bool) {
    let size = file.metadata().map_or(0, |m| m.len());
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let at = if size >= split_from && size <= limit && cores > 1 { split_point(file, size) } else { None };
    let Some(at) = at else {
        return (destinations_from(At { file, offset: 0 }, limit, path, keep, out), false);
    };
    let path: Arc<str> = Arc::from(path);
    let cancel = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (send, result) = mpsc::sync_channel(1);
        let second = Arc::clone(&path);
        let cancel = &cancel;
        // When no thread can be had, the closure and its sender are dropped: the first thread
        // then finds nobody sent a part and reads the whole file itself.
        let _ = std::thread::Builder::new().name("json-second-half".into()).spawn_scoped(scope, move || {
            let mut part = Vec::new();
            let mut scan = Scan::new(At { file, offset: at }, limit, second, keep, &mut part);
            scan.base = at;
            scan.read = at;
            scan.cancel = Some(cancel);
            let read = scan.elements(None).is_some() && !scan.broken;
            let segment = read.then(|| Segment { end: scan.base + scan.pos as u64, newlines: scan.line - 1 });
            drop(scan);
            // The first half may have gone on without it: nobody listening is no fault.
            let _ = send.send(segment.map(|s| (s, part)));
        });
        let before = out.len();
        let mut scan = Scan::new(At { file, offset: 0 }, limit, path, keep, out);
        scan.join = Some(Join { at, result });
        let read = scan.document().is_some() && !scan.broken;
        let joined = scan.joined_at.is_some();
        cancel.store(true, Ordering::Relaxed);
        drop(scan);
        if !read {
            out.truncate(before);
        }
        (read, joined)
    })
}

/// Where the second thread of [`destinations_from_file`] starts: the first `{` after the middle
/// of the file that follows `}` and `,` (white space between), the look of a destination
/// that follows another. Only a guess, checked by the first thread.
fn split_point(file: &File, size: u64) -> Option<u64> {
    let mid = size / 2;
    let mut window = Vec::new();
    (At { file, offset: mid }).take(64 << 10).read_to_end(&mut window).ok()?;
    let skip = |mut j: usize| {
        while window.get(j).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            j += 1;
        }
        j
    };
    let mut from = 0;
    while let Some(offset) = window.get(from..).and_then(|rest| memchr::memchr(b'}', rest)) {
        let comma = skip(from + offset + 1);
        if window.get(comma) == Some(&b',') {
            let open = skip(comma + 1);
            if window.get(open) == Some(&b'{') {
                return Some(mid + open as u64);
            }
        }
        from += offset + 1;
    }
    None
}

/// What the scanner reads from: a reader that can also continue at another offset.
pub trait Source: Read {
    /// Continues at `offset` of the input; `false` when this input cannot.
    fn jump(&mut self, _offset: u64) -> bool {
        false
    }
}

impl Source for &[u8] {}

/// A file read from an offset of its own, so two threads can read one file at once.
struct At<'f> {
    file: &'f File,
    offset: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(self.file, buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

impl Source for At<'_> {
    fn jump(&mut self, offset: u64) -> bool {
        self.offset = offset;
        true
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// Elsewhere a read fails, the scanner declines the file, and the general reader reads it.
#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<usize> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Where the second thread's part ended (after the `]`), and the lines it held.
struct Segment {
    end: u64,
    newlines: u32,
}

/// The first thread's side of a split read: where the second part starts, and its result.
struct Join {
    at: u64,
    result: mpsc::Receiver<Option<(Segment, Vec<Destination>)>>,
}

/// `None` everywhere below means "not for this path".
type Fast<T> = Option<T>;

/// A string of the input: where it is in the window (already checked to be UTF-8), or decoded
/// when it held escapes.
enum Piece {
    At(usize, usize),
    Owned(String),
}

/// One destination's entry: key, value, line of the value, and the key's [`fingerprint`].
struct Entry {
    key: Piece,
    value: Piece,
    line: u32,
    print: u64,
}

/// A key's length and first bytes in one number: keys with different fingerprints differ, so
/// the duplicate check compares whole keys only when these agree.
///
/// Objects with more entries than [`MAX_FAST_ENTRIES`] are left to the general reader.
/// The most properties of one destination the fast path reads (see `entries_into`).
const MAX_FAST_ENTRIES: usize = 256;

fn fingerprint(key: &[u8]) -> u64 {
    let mut head = [0u8; 7];
    let n = key.len().min(7);
    head[..n].copy_from_slice(&key[..n]);
    let mut print = (key.len() as u64) << 56;
    for (i, b) in head.iter().enumerate() {
        print |= u64::from(*b) << (8 * i);
    }
    print
}

/// The entries of a destination that decide how it is read.
#[derive(Default)]
struct Marks {
    name: Option<usize>,
    url: Option<usize>,
    /// `init_data` or `destinationConfiguration`: another shape, the general reader's.
    other_shape: bool,
}

/// Bytes that end the quick run through a string: the quote, the backslash, control
/// characters (which JSON wants escaped) and every byte outside ASCII (checked as UTF-8).
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = i < 0x20 || i == b'"' as usize || i == b'\\' as usize || i >= 0x80;
        i += 1;
    }
    table
};

struct Scan<'o, R> {
    reader: R,
    limit: u64,
    /// Where the reader is in the input: the bytes read so far, when read from the start.
    read: u64,
    /// Where `buf[0]` is in the input.
    base: u64,
    eof: bool,
    /// A read failed or the input is over the limit: nothing this path read counts.
    broken: bool,
    /// The window: the input from some point before `pos` up to what has been read.
    buf: Vec<u8>,
    pos: usize,
    /// The line `pos` is on.
    line: u32,
    /// Shared by every destination of the file.
    path: Arc<str>,
    keep: Keep<'o>,
    out: &'o mut Vec<Destination>,
    /// Reused for every destination.
    entries: Vec<Entry>,
    /// A second thread reading the second half ([`destinations_from_file`]).
    join: Option<Join>,
    /// Set when the second thread's work is no longer wanted.
    cancel: Option<&'o AtomicBool>,
    /// Where the second thread's part was taken, if it was.
    joined_at: Option<u64>,
}

impl<'o, R: Source> Scan<'o, R> {
    fn new(reader: R, limit: u64, path: Arc<str>, keep: Keep<'o>, out: &'o mut Vec<Destination>) -> Self {
        Scan {
            reader,
            limit,
            read: 0,
            base: 0,
            eof: false,
            broken: false,
            buf: Vec::new(),
            pos: 0,
            line: 1,
            path,
            keep,
            out,
            entries: Vec::new(),
            join: None,
            cancel: None,
            joined_at: None,
        }
    }

    fn document(&mut self) -> Fast<()> {
        self.ws();
        match self.peek()? {
            b'[' => self.destination_array(None)?,
            b'{' => self.wrapper()?,
            _ => return None,
        }
        self.ws();
        self.peek().is_none().then_some(())
    }

    /// Reads the next chunk onto the window; `false` at the end of the input (or on a fault).
    fn more(&mut self) -> bool {
        if self.eof || self.broken {
            return false;
        }
        let had = self.buf.len();
        match (&mut self.reader).take(CHUNK as u64).read_to_end(&mut self.buf) {
            Ok(0) => self.eof = true,
            Ok(n) => {
                self.read += n as u64;
                if self.read > self.limit {
                    self.broken = true;
                }
            }
            Err(_) => self.broken = true,
        }
        self.buf.len() > had && !self.broken
    }

    fn byte(&mut self, i: usize) -> Fast<u8> {
        loop {
            if let Some(&b) = self.buf.get(i) {
                return Some(b);
            }
            if !self.more() {
                return None;
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Fast<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => Some(b),
            None => self.peek_more(),
        }
    }

    #[cold]
    fn peek_more(&mut self) -> Fast<u8> {
        self.byte(self.pos)
    }

    /// Lets go of the text before `pos` (called between destinations, when nothing refers to it).
    fn forget(&mut self) {
        if self.pos >= CHUNK {
            self.base += self.pos as u64;
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// JSON white space, counting lines.
    #[inline]
    fn ws(&mut self) {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                match b {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                    }
                    _ => return,
                }
            }
            if !self.more() {
                return;
            }
        }
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> Fast<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn bytes_of<'p>(&'p self, piece: &'p Piece) -> &'p [u8] {
        match piece {
            Piece::At(start, end) => self.buf.get(*start..*end).unwrap_or_default(),
            Piece::Owned(s) => s.as_bytes(),
        }
    }

    fn text_of<'p>(&'p self, piece: &'p Piece) -> Fast<&'p str> {
        std::str::from_utf8(self.bytes_of(piece)).ok()
    }

    /// A string at `pos` (after white space); one with escapes is decoded by serde_json, which
    /// also checks them.
    fn string(&mut self) -> Fast<Piece> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        let mut ascii = true;
        loop {
            let stop = self.buf.get(i..).and_then(|rest| rest.iter().position(|&b| STRING_STOP[usize::from(b)]));
            let Some(offset) = stop else {
                i = i.max(self.buf.len());
                if !self.more() {
                    return None;
                }
                continue;
            };
            i += offset;
            match self.buf[i] {
                b'"' => break,
                b'\\' => {
                    // The escaped byte is stepped over here and checked when decoding below.
                    escaped = true;
                    i += 2;
                }
                // Control characters must be escaped (RFC 8259); a raw one is a syntax error.
                b if b < 0x20 => return None,
                _ => {
                    ascii = false;
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        if escaped {
            serde_json::from_slice::<String>(self.buf.get(start - 1..=i)?).ok().map(Piece::Owned)
        } else {
            (ascii || std::str::from_utf8(self.buf.get(start..i)?).is_ok()).then_some(Piece::At(start, i))
        }
    }

    /// A string that outlives the window (keys of the objects around the destinations).
    fn owned_string(&mut self) -> Fast<String> {
        let piece = self.string()?;
        self.text_of(&piece).map(str::to_owned)
    }

    /// `[ destination, ... ]` at `pos`.
    fn destination_array(&mut self, level: Option<Level>) -> Fast<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        self.elements(level)
    }

    /// The destinations of a list from the first one on, and its `]`.
    fn elements(&mut self, level: Option<Level>) -> Fast<()> {
        loop {
            if self.join.is_some() && self.joined(level)? {
                return Some(());
            }
            if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return None;
            }
            self.destination(level)?;
            self.forget();
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// At the place the second thread started, between two destinations of this list: takes
    /// its destinations and goes on after its `]` (`true`), or reads on when it declined.
    /// Anywhere else past that place, the second thread's work is let go.
    fn joined(&mut self, level: Option<Level>) -> Fast<bool> {
        self.ws();
        let here = self.base + self.pos as u64;
        let Some(join) = self.join.take_if(|j| here >= j.at) else { return Some(false) };
        if here > join.at {
            return Some(false);
        }
        let Ok(Some((segment, destinations))) = join.result.recv() else { return Some(false) };
        if !self.reader.jump(segment.end) {
            return None;
        }
        let shift = self.line - 1;
        for mut d in destinations {
            d.origin.line = d.origin.line.saturating_add(shift);
            d.origin.level = level;
            for p in &mut d.properties {
                p.line = p.line.map(|l| l.saturating_add(shift));
            }
            self.out.push(d);
        }
        self.line = self.line.saturating_add(segment.newlines);
        self.buf.clear();
        self.pos = 0;
        self.base = segment.end;
        self.read = segment.end;
        self.eof = false;
        self.joined_at = Some(join.at);
        Some(true)
    }

    /// One flat destination object: every value a string, distinct keys, a `Name`, and none
    /// of the keys that make an object another shape.
    fn destination(&mut self, level: Option<Level>) -> Fast<()> {
        self.ws();
        if self.peek()? != b'{' {
            return None;
        }
        let object_line = self.line;
        self.pos += 1;
        let mut entries = std::mem::take(&mut self.entries);
        entries.clear();
        let read = self.entries_into(&mut entries);
        let built = read.and_then(|marks| self.build(&entries, &marks, object_line, level));
        entries.clear();
        self.entries = entries;
        built
    }

    fn entries_into(&mut self, entries: &mut Vec<Entry>) -> Fast<Marks> {
        self.ws();
        if self.peek()? == b'}' {
            return None; // no Name: the general reader names the problem
        }
        let mut marks = Marks::default();
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            self.ws();
            let line = self.line;
            let value = self.string()?;
            let bytes = self.bytes_of(&key);
            let print = fingerprint(bytes);
            // A destination has a few dozen properties; an object with more is left to the
            // general reader, whose duplicate check is n·log n, so no object costs its square here.
            if entries.len() >= MAX_FAST_ENTRIES || entries.iter().any(|e| e.print == print && self.bytes_of(&e.key) == bytes) {
                return None;
            }
            match bytes {
                b"Name" => marks.name = Some(entries.len()),
                b"URL" => marks.url = Some(entries.len()),
                b"init_data" | b"destinationConfiguration" => marks.other_shape = true,
                _ => {}
            }
            entries.push(Entry { key, value, line, print });
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(marks);
                }
                _ => return None,
            }
        }
    }

    /// As [`super::shapes`] and [`super::build_destination`] build it.
    fn build(&mut self, entries: &[Entry], marks: &Marks, line: u32, level: Option<Level>) -> Fast<()> {
        if marks.other_shape {
            return None;
        }
        let name_entry = entries.get(marks.name?)?;
        let name = self.text_of(&name_entry.value)?;
        let keep_all = match self.keep {
            Keep::All => true,
            Keep::CloudAlm { named } => {
                // `Property::text_of` for two keys that are never secrets.
                let url = match marks.url.and_then(|i| entries.get(i)) {
                    Some(e) => Some(self.text_of(&e.value)?).filter(|v| !is_removed_marker(v)),
                    None => None,
                };
                is_cloud_alm(if is_removed_marker(name) { "" } else { name }, url, named)
            }
        };
        let properties = if keep_all {
            let mut properties = Vec::with_capacity(entries.len());
            for e in entries {
                properties.push(Property::new(Key::from(self.text_of(&e.key)?), self.text_of(&e.value)?.to_owned(), Some(e.line)));
            }
            properties
        } else {
            vec![Property::new(Key::NAME, name.to_owned(), Some(name_entry.line))]
        };
        let origin = Origin::shared(Arc::clone(&self.path), line, level);
        self.out.push(Destination { properties, origin, probe: None });
        Some(())
    }

    /// A top-level object holding destinations: `{"destinations": [...]}` or a `config.json`
    /// with `init_data`, other keys beside them. Any other object is the general reader's.
    fn wrapper(&mut self) -> Fast<()> {
        self.eat(b'{')?;
        let mut keys: Vec<String> = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            return None;
        }
        loop {
            let key = self.owned_string()?;
            if keys.contains(&key) {
                return None;
            }
            self.eat(b':')?;
            match key.as_str() {
                "destinations" => self.destination_array(None)?,
                "init_data" => self.init_data()?,
                // Other shapes, snapshots and Terraform plans or states: read the general way.
                "Name" | "destinationConfiguration" | "calm_audit_snapshot" | "format_version" => return None,
                _ => self.skip(1)?,
            }
            keys.push(key);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        // Exactly one of the two, or the general reader decides (`init_data` wins there).
        let has = |k: &str| keys.iter().any(|key| key == k);
        (has("destinations") != has("init_data")).then_some(())
    }

    /// `{"subaccount": {..., "destinations": [...]}, "instance": {...}}`.
    fn init_data(&mut self) -> Fast<()> {
        self.eat(b'{')?;
        let mut sections: Vec<Level> = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let level = match self.owned_string()?.as_str() {
                "subaccount" => Level::Subaccount,
                "instance" => Level::Instance,
                _ => return None,
            };
            if sections.contains(&level) {
                return None;
            }
            self.eat(b':')?;
            self.section(level)?;
            sections.push(level);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn section(&mut self, level: Level) -> Fast<()> {
        self.eat(b'{')?;
        let mut keys: Vec<String> = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.owned_string()?;
            if keys.contains(&key) {
                return None;
            }
            self.eat(b':')?;
            if key == "destinations" {
                self.destination_array(Some(level))?;
            } else {
                self.skip(3)?;
            }
            keys.push(key);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Steps over a value of the subset (strings, `true`, `false`, `null`, arrays, objects with
    /// distinct keys), checking it; `depth` is its depth in the document, bounded as the
    /// general reader bounds it.
    fn skip(&mut self, depth: usize) -> Fast<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'[' => {
                self.pos += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut keys: Vec<String> = Vec::new();
                self.ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    let key = self.owned_string()?;
                    if keys.contains(&key) {
                        return None;
                    }
                    keys.push(key);
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            first => {
                let word: &[u8] = match first {
                    b't' => b"true",
                    b'f' => b"false",
                    b'n' => b"null",
                    _ => return None,
                };
                for (i, expected) in word.iter().enumerate() {
                    if self.byte(self.pos + i)? != *expected {
                        return None;
                    }
                }
                self.pos += word.len();
                // A literal ends at a delimiter (`nullx` is not JSON).
                match self.peek() {
                    None | Some(b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}') => Some(()),
                    Some(_) => None,
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests write their fixtures
mod tests {
    use super::*;

    fn fast(text: &str, keep: Keep) -> Option<Vec<Destination>> {
        let mut out = Vec::new();
        destinations(text, "f.json", keep, &mut out).then_some(out)
    }

    #[test]
    fn reads_the_three_export_shapes_with_lines() {
        let array = "[\n {\"Name\": \"CALM_A\",\n  \"URL\": \"https://x/\"},\n {\"Name\": \"B\", \"Type\": \"HTTP\"}\n]\n";
        let d = fast(array, Keep::All).unwrap();
        assert_eq!((d.len(), d[0].origin.line, d[0].line_of("URL"), d[1].origin.line), (2, 2, 3, 4));
        let wrapped = "{\"count\": null, \"destinations\": [{\"Name\": \"A\"}], \"x\": [true, {\"y\": \"z\"}]}";
        assert_eq!(fast(wrapped, Keep::All).unwrap().len(), 1);
        let init = r#"{"init_data": {"subaccount": {"existing_destinations_policy": "update", "destinations": [{"Name": "A"}]},
            "instance": {"destinations": [{"Name": "B"}]}}}"#;
        let levels: Vec<_> = fast(init, Keep::All).unwrap().iter().map(|d| d.origin.level).collect();
        assert_eq!(levels, [Some(Level::Subaccount), Some(Level::Instance)]);
    }

    #[test]
    fn out_of_scope_destinations_keep_their_name_only() {
        let text =
            r#"[{"Name": "A", "URL": "https://a.example/", "Password": "p"}, {"Name": "B", "URL": "https://t.eu10.alm.cloud.sap/"}]"#;
        let d = fast(text, Keep::CloudAlm { named: None }).unwrap();
        assert_eq!((d[0].properties.len(), d[1].properties.len()), (1, 2));
        let d = fast(text, Keep::CloudAlm { named: Some("A") }).unwrap();
        assert_eq!(d[0].properties.len(), 3);
    }

    /// A reader that hands out a few bytes at a time, so every token crosses a chunk edge.
    struct Trickle<'a>(&'a [u8], usize);

    impl Source for Trickle<'_> {}

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_reader_gives_what_the_whole_text_gives_and_the_limit_holds() {
        let text = "{\"a\": [null, true, \"x\"],\n \"destinations\": [\n {\"Name\": \"CALM_\\u0041\", \"URL\": \"https://t.eu10.alm.cloud.sap/\"},\n {\"Name\": \"B\u{e9}\"}]}\n";
        let whole = format!("{:?}", fast(text, Keep::All).unwrap());
        for step in [1, 2, 3, 7, 64] {
            let mut out = Vec::new();
            assert!(destinations_from(Trickle(text.as_bytes(), step), u64::MAX, "f.json", Keep::All, &mut out), "step {step}");
            assert_eq!(format!("{out:?}"), whole, "step {step}");
        }
        let mut out = Vec::new();
        assert!(!destinations_from(text.as_bytes(), text.len() as u64 - 1, "f.json", Keep::All, &mut out));
        assert!(destinations_from(text.as_bytes(), text.len() as u64, "f.json", Keep::All, &mut out));
        assert!(!destinations_from(&b"[{\"Name\": \"\xff\"}]"[..], u64::MAX, "f.json", Keep::All, &mut Vec::new()), "not UTF-8");
    }

    /// Reads `text` from a file split in two at every place the guess can land, and one pass.
    fn split_and_whole(text: &str, keep: Keep) -> (bool, bool, String, bool, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let mut split = Vec::new();
        let (split_read, joined) = split_read(&file, u64::MAX, "f.json", keep, &mut split, 0);
        let mut whole = Vec::new();
        let whole_read = destinations(text, "f.json", keep, &mut whole);
        (split_read, joined, format!("{split:?}"), whole_read, format!("{whole:?}"))
    }

    fn array(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                let name = if i % 7 == 0 { format!("CALM_{i}") } else { format!("OTHER_{i}") };
                format!("  {{\n    \"Name\": \"{name}\",\n    \"URL\": \"https://h{i}.example.com/\",\n    \"Type\": \"HTTP\"\n  }}")
            })
            .collect()
    }

    #[test]
    fn a_file_read_by_two_threads_gives_what_one_pass_gives() {
        let list = array(200);
        let (a, b) = list.split_at(100);
        let other = "[{\"a\": \"b\"}, {\"c\": \"d\"}, {\"e\": \"f\"}, {\"g\": \"h\"}]";
        let texts = [
            // The middle between two destinations of the list: the second thread's part is taken.
            format!("[\n{}\n]\n", list.join(",\n")),
            // ... of the wrapped shape, and of config.json's instance list (levels set on joining).
            format!("{{\"destinations\": [{}], \"more\": null}}", list.join(", ")),
            format!(
                "{{\"init_data\": {{\"subaccount\": {{\"destinations\": [{}]}}, \"instance\": {{\"destinations\": [{}]}}}}}}",
                a.join(","),
                b.join(",")
            ),
            // The middle in a value around the destinations, or in a string that looks like two objects.
            format!("{{\"destinations\": [{}], \"x\": [{}]}}", a.join(","), [other; 400].join(",")),
            format!("[{}, {{\"Name\": \"A\", \"Description\": \"{}\"}}, {}]", a.join(","), "}, {".repeat(3000), b.join(",")),
            // A fault in the second half: neither way reads the file.
            format!("[{}, {{\"Name\": \"B\", \"Port\": 1}}, {}]", a.join(","), b.join(",")),
            format!("[{}, {{\"Name\": \"B\", \"Name\": \"C\"}}, {}]", a.join(","), b.join(",")),
            format!("[{},{}", a.join(","), b.join(",")),
        ];
        for (i, text) in texts.iter().enumerate() {
            for keep in [Keep::All, Keep::CloudAlm { named: Some("OTHER_150") }] {
                let (split_read, joined, split, whole_read, whole) = split_and_whole(text, keep);
                assert_eq!(split_read, whole_read, "case {i}");
                assert_eq!(split_read, i < 5, "case {i}");
                // Taken where the guess was a real place between destinations, never elsewhere.
                assert_eq!(joined, i < 3, "case {i}");
                assert_eq!(split, whole, "case {i}");
            }
        }
    }

    #[test]
    fn escapes_are_decoded() {
        let d = fast(r#"[{"Name": "A\u0042", "Desc\"": "x\/y"}]"#, Keep::All).unwrap();
        assert_eq!(d[0].name(), "AB");
        assert_eq!(d[0].text("Desc\""), Some("x/y"));
    }

    #[test]
    fn everything_else_is_left_to_the_general_reader() {
        for text in [
            "[{\"Name\": \"A\"},]",
            "[{\"Name\": \"A\"}] x",
            "[{\"Name\": \"A\", \"Name\": \"B\"}]",
            "[{\"Type\": \"HTTP\"}]",
            "[{}]",
            "[{\"Name\": \"A\", \"Port\": 1}]",
            "[{\"Name\": \"A\", \"X\": null}]",
            "[[{\"Name\": \"A\"}]]",
            "[{\"Name\": \"A\", \"init_data\": \"x\"}]",
            "[{\"Name\": \"a\tb\"}]",
            "[{\"Name\": \"\\x\"}]",
            "{\"Name\": \"A\"}",
            "{\"destinations\": [], \"init_data\": {}}",
            "{\"destinations\": {}}",
            "{\"init_data\": {\"global\": {}}}",
            "{\"calm_audit_snapshot\": 1, \"destinations\": []}",
            "{\"destinations\": [], \"format_version\": \"1.2\", \"values\": {}}",
            "{\"destinations\": [], \"n\": 1}",
            "{\"destinations\": [], \"n\": nullx}",
            "{\"destinations\": [], \"o\": {\"a\": \"1\", \"a\": \"2\"}}",
            "[{\"Name\": \"A\"}",
            "",
        ] {
            let mut out = vec![];
            assert!(!destinations(text, "f.json", Keep::All, &mut out), "{text}");
            assert!(out.is_empty(), "{text}");
        }
    }
}
