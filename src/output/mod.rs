//! The one way out: standard output, standard error, report files and snapshots are all
//! written here, through the [`mask::Masker`] of every secret the run has read. Nothing else in
//! the program may open standard output or error or create a file (`clippy.toml`
//! `disallowed-methods` enforces it; this module is the one place allowed).
#![allow(clippy::disallowed_methods)]

pub mod mask;

use std::io::{IsTerminal, Write};
use std::path::Path;

pub use mask::{MASK, Masker, MaskingWriter};

/// Text made inert for a terminal or a Markdown viewer: every control character (C0 but the
/// line break, DEL, C1), every bidirectional override (U+202A–U+202E, U+2066–U+2069) and the
/// Unicode line and paragraph separators (U+2028, U+2029) are shown escaped (`\u{1b}`), so a
/// value cannot move the cursor, erase a line or reorder what follows. With `keep_colour`, the
/// colour sequences the table paints with are kept, and only those ([`colour_sequence`]).
pub fn inert(text: &str, keep_colour: bool) -> std::borrow::Cow<'_, str> {
    escaped(text, keep_colour, true)
}

/// One line made inert ([`inert`]), its line breaks shown escaped too (`\u{a}`): what a line on
/// standard error is, so a file or destination name cannot start a line of its own there (a
/// forged `Verdict: PASSED`).
pub fn inert_line(text: &str) -> std::borrow::Cow<'_, str> {
    escaped(text, false, false)
}

/// [`inert_line`] keeping the colour sequences the table paints with ([`colour_sequence`]), and
/// only those: a line of the coloured table, its values in it, before it is laid out.
pub fn inert_painted_line(text: &str) -> std::borrow::Cow<'_, str> {
    escaped(text, true, false)
}

fn escaped(text: &str, keep_colour: bool, keep_line_feed: bool) -> std::borrow::Cow<'_, str> {
    let dangerous = |c: char| {
        (c.is_control() && !(keep_line_feed && c == '\n'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(dangerous) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b'
            && keep_colour
            && let Some(len) = colour_sequence(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if dangerous(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// Length of one of the table's colour sequences at the start of `text` (`ESC [ 31 m`): only
/// the colours the table paints with (red, green, yellow, magenta, grey as SGR and as
/// comfy-table's 256-colour codes) and the resets, so a value in a coloured table cannot paint
/// text in the background's colour, or conceal it, to hide a line.
fn colour_sequence(text: &str) -> Option<usize> {
    const PAINTED: [&str; 12] = ["0", "31", "32", "33", "35", "39", "90", "38;5;8", "38;5;9", "38;5;10", "38;5;11", "38;5;13"];
    let body = text.strip_prefix("\x1b[")?;
    let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    (body[end..].starts_with('m') && PAINTED.contains(&&body[..end])).then_some(2 + end + 1)
}

/// XML 1.0 text: characters XML forbids (C0 but tab, line feed and carriage return, the
/// surrogates, U+FFFE, U+FFFF) are written escaped as text (`\u{fffe}`), so the document
/// stays well-formed whatever a value holds.
pub fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let forbidden = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if !text.chars().any(forbidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().map(|c| if forbidden(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect())
}

/// Whether standard output is a terminal (colour, width).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Whether standard error is a terminal (progress bar, width when standard output is piped).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Columns of the terminal standard output is, when it is one that reports a width.
pub fn stdout_terminal_width() -> Option<usize> {
    let out = std::io::stdout();
    if !out.is_terminal() {
        return None;
    }
    terminal_width(&out)
}

/// Columns of the terminal standard error is, when it is one that reports a width: the width
/// a piped report (`calm-audit check | less`) is read at.
pub fn stderr_terminal_width() -> Option<usize> {
    let err = std::io::stderr();
    if !err.is_terminal() {
        return None;
    }
    terminal_width(&err)
}

#[cfg(unix)]
fn terminal_width(fd: impl std::os::fd::AsFd) -> Option<usize> {
    rustix::termios::tcgetwinsize(fd).ok().map(|size| usize::from(size.ws_col)).filter(|c| *c > 0)
}

/// Elsewhere, the console's size (one console serves both streams).
#[cfg(not(unix))]
fn terminal_width<T>(_: T) -> Option<usize> {
    crossterm::terminal::size().ok().map(|(columns, _)| usize::from(columns)).filter(|c| *c > 0)
}

/// Writes the report (or any command's text) to standard output, masked. A closed pipe
/// (`| head`) is not the run's failure and is ignored.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let masker = Masker::current();
    let mut out = std::io::stdout().lock();
    unless_closed(out.write_all(&masker.mask_bytes(text.as_bytes())).and_then(|()| out.flush()))
}

/// A reader that stopped reading (`| head`) is not the run's failure; any other error (a full
/// disk, `> /dev/full`) is: the report it would have held is lost.
fn unless_closed(written: std::io::Result<()>) -> std::io::Result<()> {
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes what `write` produces to standard output, masked as it streams, buffered, never held
/// whole (the report of a large landscape). A closed pipe (`| head`) is not the run's failure
/// and is ignored; any other write error is returned.
pub fn stdout_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let masker = Masker::current();
    let mut out = MaskingWriter::new(std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()), masker);
    unless_closed(write(&mut out).and_then(|()| out.finish()).and_then(|mut w| w.flush()))
}

/// One line on standard error, `calm-audit: ` first, masked, its line breaks and control
/// characters shown escaped ([`inert_line`]): masked before it is escaped, so a secret with a
/// line break in it is still found whole. Every URL-looking part is redacted last
/// ([`crate::model::url::redact_urls_in`]), whatever message made the line: a path written as a
/// URL keeps no credentials or query values even where a message forgot to show it redacted.
pub fn stderr_line(line: &str) {
    let masker = Masker::current();
    let line = masker.mask(line);
    let line = crate::model::url::redact_urls_in(&line);
    let text = format!("calm-audit: {}\n", inert_line(&line));
    let _ = std::io::stderr().lock().write_all(&masker.mask_bytes(text.as_bytes()));
}

/// Text on standard error as it is (clap's usage errors, which quote the value refused), masked,
/// its URL-looking parts redacted as on every line of [`stderr_line`].
pub fn stderr_text(text: &str) {
    let masker = Masker::current();
    let text = crate::model::url::redact_urls_in(text);
    let text = inert(&text, true);
    let _ = std::io::stderr().lock().write_all(&masker.mask_bytes(text.as_bytes()));
}

/// Writes `text` to `path` so that a reader never sees half a report, masked: see [`write_file_with`].
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    write_file_with(path, |out| out.write_all(text.as_bytes()))
}

/// Writes what `write` produces to `path`, masked as it streams, buffered, never held whole (a
/// snapshot of a large landscape). A regular file (or a new one) is replaced by renaming a
/// finished temporary file in the same folder over it. Anything else that already exists there
/// (a device such as `/dev/null`, a named pipe, a terminal) is written in place and never
/// replaced, and a symbolic link is followed to the file it names.
pub fn write_file_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let masker = Masker::current();
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(meta) = std::fs::metadata(&target)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let file = std::fs::OpenOptions::new().write(true).open(&target)?;
        let mut out = MaskingWriter::new(std::io::BufWriter::new(file), masker);
        write(&mut out)?;
        return out.finish().map(drop);
    }
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut out = MaskingWriter::new(std::io::BufWriter::new(file), masker);
        write(&mut out)?;
        out.finish().map(drop)
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &target).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(inert("CALM_\x1b[2J\x1b[1;1HX\r\u{202e}kcab", false), "CALM_\\u{1b}[2J\\u{1b}[1;1HX\\u{d}\\u{202e}kcab");
        assert_eq!(inert("two\nlines\tand a tab\u{7f}\u{85}", false), "two\nlines\\u{9}and a tab\\u{7f}\\u{85}");
        assert_eq!(inert("plain é ✓", false), "plain é ✓");
        assert_eq!(inert("a\u{2028}b\u{2029}c", false), "a\\u{2028}b\\u{2029}c");
        // One line stays one line: its line breaks are shown escaped.
        assert_eq!(inert_line("x.json\nVerdict: PASSED\r\n"), "x.json\\u{a}Verdict: PASSED\\u{d}\\u{a}");
        assert_eq!(inert("\x1b[31mred\x1b[0m \x1b[8mhidden\x1b[0m \x1b[2K", true), "\x1b[31mred\x1b[0m \\u{1b}[8mhidden\x1b[0m \\u{1b}[2K");
        // Black on black, or any colour the table does not paint with, is a value's, not the table's.
        assert_eq!(inert("\x1b[30;40mhidden\x1b[38;5;0m", true), "\\u{1b}[30;40mhidden\\u{1b}[38;5;0m");
    }

    #[test]
    fn xml_forbidden_characters_are_escaped() {
        assert_eq!(xml_safe("a\u{fffe}b\u{1}c\td\ne"), "a\\u{fffe}b\\u{1}c\td\ne");
        assert_eq!(xml_safe("fine"), "fine");
    }
}
