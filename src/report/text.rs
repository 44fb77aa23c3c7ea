//! Plain-text layout shared by the table report, `rules` and `explain`: display widths and word
//! wrapping that never cuts a token (a rule code, a rule name, a URL) unless that token alone is
//! wider than the line.

use unicode_width::UnicodeWidthStr;

/// Width used when nothing says how wide the output is: a pipe, a file, a terminal that reports
/// zero columns, no usable `COLUMNS`.
pub const DEFAULT_WIDTH: usize = 100;

/// Narrowest layout drawn; a smaller width (`COLUMNS=5`) would cut every word.
pub const MIN_WIDTH: usize = 40;

/// Below this width results are drawn as a list, one block per result, rather than a table.
pub const TABLE_MIN_WIDTH: usize = 100;

/// Columns the text occupies in a terminal; colour escapes (`ESC [ ... m`) take none.
pub fn width(s: &str) -> usize {
    if !s.contains('\x1b') {
        return UnicodeWidthStr::width(s);
    }
    let mut total = 0;
    let mut rest = s;
    while let Some(start) = rest.find("\x1b[") {
        total += UnicodeWidthStr::width(&rest[..start]);
        rest = rest[start..].find('m').map_or("", |end| &rest[start + end + 1..]);
    }
    total + UnicodeWidthStr::width(rest)
}

/// The widest word of `s` ([`words`]): the narrowest column that shows it without cutting a word.
pub fn longest_token(s: &str) -> usize {
    s.lines().flat_map(words).map(width).max().unwrap_or(0)
}

/// The words of one line: the text between single spaces. A run of two or more spaces (and a
/// space at either end) is not a place to break but part of a word, kept as written, so
/// `CALM_A  B` never shows as `CALM_A B`. No other character breaks a line: the tab and every
/// other control character is shown escaped ([`one_line`]) before a value is laid out.
pub fn words(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b' ' && i > start && bytes[i - 1] != b' ' && bytes.get(i + 1).is_some_and(|n| *n != b' ') {
            out.push(&line[start..i]);
            start = i + 1;
        }
    }
    out.push(&line[start..]);
    out
}

/// How a space is shown in a word cut across lines: spaces at the end or start of a line read
/// as none, so a cut through a run of spaces would show two names alike.
const CUT_SPACE: &str = "\\u{20}";

/// The widest line of `s`.
pub fn widest_line(s: &str) -> usize {
    s.lines().map(width).max().unwrap_or(0)
}

/// Joins two words that must stay on one line ("line\u{a0}11"): wrapping breaks only at ASCII
/// white space.
pub const GLUE: char = '\u{a0}';

/// `s` in lines of at most `max` columns, broken at single spaces ([`words`]). A word wider than
/// `max` is cut, and only such a word; the spaces in it are shown escaped (`\u{20}`) first.
/// Line breaks in `s` are kept.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for paragraph in s.lines() {
        let mut line = String::new();
        let mut used = 0;
        for word in words(paragraph) {
            let w = width(word);
            // A line holds a word once it is not empty (a word may take no columns).
            if !line.is_empty() && used + 1 + w <= max {
                line.push(' ');
                line.push_str(word);
                used += 1 + w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if w <= max {
                line.push_str(word);
                used = w;
                continue;
            }
            // Wider than the whole line: cut it, and only it, its spaces made visible.
            let cut = word.replace(' ', CUT_SPACE);
            for c in cut.chars() {
                let cw = width(c.encode_utf8(&mut [0; 4]));
                if used + cw > max && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// `s` wrapped to `total` columns: the first line after `first` spaces, the others after `rest`.
pub fn indented(s: &str, total: usize, first: usize, rest: usize) -> String {
    let mut out = String::new();
    let mut lines = wrap(s, total.saturating_sub(first.max(rest)).max(1)).into_iter();
    if let Some(line) = lines.next() {
        out.push_str(&" ".repeat(first));
        out.push_str(&line);
        out.push('\n');
    }
    for line in lines {
        out.push_str(&" ".repeat(rest));
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Whether `c` breaks a line somewhere a report is read: the line feed and carriage return,
/// the vertical tab and form feed, NEL (U+0085) and the Unicode line and paragraph separators.
pub fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// `s` kept on one line and inert: each line break in it ([`is_line_break`]), the tab and every
/// other control character (C0, DEL, C1), the bidirectional overrides and the line and
/// paragraph separators shown escaped (`\u{a}`, `\u{9}`; [`crate::output::inert_line`]). A value
/// from the inputs (a destination or file name, a message quoting one) goes through this before
/// the layout measures it and adds line breaks of its own, so no input can start a line of the
/// report (a forged `Verdict: PASSED`), and no white space but the space is laid out: a tab is
/// neither taken for a space nor dropped.
pub fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    escaped_masked(s, crate::output::inert_line)
}

/// `s` made inert by `escape`; masked first when that changes it: the masking writer knows a
/// secret in the forms the formats give it, not with its line breaks written `\u{a}` and then
/// JSON- or XML-escaped.
fn escaped_masked(s: &str, escape: fn(&str) -> std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    match escape(s) {
        std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(s),
        std::borrow::Cow::Owned(_) => std::borrow::Cow::Owned(escape(&crate::output::Masker::current().mask(s)).into_owned()),
    }
}

/// A value for a cell of a table the terminal shows: [`one_line`], before the table measures it.
pub fn inert_cell(s: &str) -> String {
    one_line(s).into_owned()
}

/// One line of the table report, values in it, wrapped as [`indented`] does: made inert first
/// as [`one_line`] does, keeping only the colour sequences the table paints with (without
/// colour, the report's writer escapes those too), so only the wrapping breaks it.
pub fn indented_line(s: &str, total: usize, first: usize, rest: usize) -> String {
    indented(&escaped_masked(s, crate::output::inert_painted_line), total, first, rest)
}

/// The width to lay out for: what the caller found (terminal, then `COLUMNS`), else the
/// default, and never narrower than [`MIN_WIDTH`].
pub fn effective(found: Option<usize>) -> usize {
    found.filter(|w| *w > 0).unwrap_or(DEFAULT_WIDTH).max(MIN_WIDTH)
}

/// `s` with every run of spaces the table may not break at ([`words`]) written with no-break
/// spaces: the table's own wrapping, which breaks at any space, then breaks only where
/// [`wrap`] would, and never takes a run of spaces at a break for one space.
fn glued_runs(s: &str) -> String {
    let lines: Vec<String> =
        s.lines().map(|line| words(line).iter().map(|w| w.replace(' ', "\u{a0}")).collect::<Vec<_>>().join(" ")).collect();
    lines.join("\n")
}

/// A table of `rows` under `header` that fits `total` columns without cutting a word, or `None`
/// when it cannot (the caller then lays the rows out as a list).
pub fn grid(header: &[&str], rows: &[Vec<String>], total: usize) -> Option<String> {
    use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};
    let columns = header.len();
    let needs: Vec<usize> =
        (0..columns).map(|i| rows.iter().map(|r| longest_token(&r[i])).max().unwrap_or(0).max(width(header[i]))).collect();
    // Borders and separators (columns + 1), a space of padding each side of every column.
    let chrome = columns + 1 + 2 * columns;
    if total < TABLE_MIN_WIDTH || chrome + needs.iter().sum::<usize>() > total {
        return None;
    }
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .force_no_tty()
        .set_width(u16::try_from(total).unwrap_or(u16::MAX));
    table.set_header(header.to_vec());
    for row in rows {
        table.add_row(row.iter().map(|cell| glued_runs(cell)).collect::<Vec<_>>());
    }
    for (column, need) in table.column_iter_mut().zip(needs) {
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(u16::try_from(need + 2).unwrap_or(u16::MAX))));
    }
    Some(format!("{table}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "\"https://acme-demo.authentication.eu10.hana.ondemand.com//oauth/token\"";

    #[test]
    fn words_are_never_cut_when_they_fit() {
        let text = format!("tokenServiceURL is {URL}; the key's uaa.url asks for {URL} CALM015 destination-token-url-matches-key");
        for max in [72, 80, 100] {
            let lines = wrap(&text, max);
            assert!(lines.iter().all(|l| width(l) <= max), "{max}: {lines:?}");
            assert!(lines.iter().any(|l| l.contains(URL)), "{max}: URL cut in {lines:?}");
            assert!(lines.iter().any(|l| l.contains("destination-token-url-matches-key")), "{max}: {lines:?}");
            assert_eq!(lines.join(" ").split_whitespace().collect::<Vec<_>>(), text.split_whitespace().collect::<Vec<_>>());
        }
    }

    #[test]
    fn only_a_word_wider_than_the_line_is_cut() {
        let lines = wrap(&format!("a {URL} b"), 30);
        assert_eq!(lines[0], "a");
        assert!(lines.iter().all(|l| width(l) <= 30), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), format!("a{URL}b"));
    }

    #[test]
    fn wide_characters_count_twice_and_line_breaks_stay() {
        assert_eq!(width("日本"), 4);
        assert_eq!(wrap("日本 日本 日本", 9), ["日本 日本", "日本"]);
        assert_eq!(wrap("one\ntwo", 80), ["one", "two"]);
        assert_eq!(wrap("", 80), [""]);
        assert_eq!(wrap("at line\u{a0}11", 9), ["at", "line\u{a0}11"]);
        // Colour takes no room.
        assert_eq!(width("\x1b[31mfail\x1b[0m ok"), 7);
        assert_eq!(wrap("\x1b[31mfail\x1b[0m 1234", 9), ["\x1b[31mfail\x1b[0m 1234"]);
    }

    #[test]
    fn a_line_with_values_stays_one_line() {
        assert_eq!(one_line("CALM_A"), "CALM_A");
        assert_eq!(
            one_line("a\nVerdict: PASSED\r\u{2028}\u{2029}\u{85}\u{b}\u{c}"),
            "a\\u{a}Verdict: PASSED\\u{d}\\u{2028}\\u{2029}\\u{85}\\u{b}\\u{c}"
        );
        assert_eq!(
            indented_line("name x.json\nVerdict: PASSED (exit code 0)", 100, 2, 4),
            "  name x.json\\u{a}Verdict: PASSED (exit code 0)\n"
        );
    }

    /// Issue 27, point 14: `CALM_A  B` and `CALM_A\tB` were both laid out as `CALM_A B`.
    #[test]
    fn white_space_is_laid_out_as_written() {
        assert_eq!(words("a b  c   d e"), ["a", "b  c   d", "e"]);
        assert_eq!(words(" a b "), [" a", "b "]);
        assert_eq!(wrap("CALM_A  B", 80), ["CALM_A  B"]);
        // A run of spaces is no place to break; a cut through one shows its spaces.
        assert_eq!(wrap("xx CALM_A  B", 9), ["xx", "CALM_A  B"]);
        assert_eq!(wrap("CALM_A  B", 7), ["CALM_A\\", "u{20}\\u", "{20}B"]);
        assert_eq!(one_line("CALM_A\tB\u{7f}\u{9b}\u{1b}[2K"), "CALM_A\\u{9}B\\u{7f}\\u{9b}\\u{1b}[2K");
        assert_eq!(indented_line("a\tb", 80, 0, 0), "a\\u{9}b\n");
        // A word of no width is still a word: the space after it stays.
        assert_eq!(wrap("\u{200b} b", 80), ["\u{200b} b"]);
    }

    /// Property: a line no word of which is wider than the line is laid out losslessly; its
    /// lines joined by a space are the text as written, every run of spaces in place.
    #[test]
    fn wrapping_loses_no_space() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut below = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % n as u64).unwrap_or_default()
        };
        const PIECES: [&str; 7] = [" ", "  ", "   ", "CALM_A", "B", "日本", "\u{a0}"];
        for _ in 0..5000 {
            let text: String = (0..1 + below(12)).map(|_| PIECES[below(PIECES.len())]).collect();
            let max = longest_token(&text).max(1) + below(20);
            let lines = wrap(&text, max);
            assert!(lines.iter().all(|l| width(l) <= max), "{text:?} at {max}: {lines:?}");
            assert_eq!(lines.join(" "), text, "{text:?} at {max}: {lines:?}");
        }
    }

    /// Issue 27, point 14, in the grids (`profiles`, the table report's certificates): the
    /// first column read back line by line and joined by a space is the value as written, its
    /// runs of spaces in place, wherever the table wraps it.
    #[test]
    fn a_grid_keeps_every_run_of_spaces() {
        for lead in 0..60 {
            let value = format!("{}CALM_A  B used  by{}", "w ".repeat(lead), " z".repeat(60));
            let rows = vec![vec![value.clone(), "short".to_owned()]];
            let Some(text) = grid(&["Value", "Other"], &rows, 100) else { panic!("{lead}: no grid") };
            assert!(text.lines().all(|l| width(l) <= 100), "{lead}: {text}");
            let column: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with('│') && !l.contains("Value"))
                .map(|l| {
                    let cell = l.trim_start_matches('│').split('┆').next().unwrap_or_default();
                    cell.strip_prefix(' ').unwrap_or(cell).trim_end().replace('\u{a0}', " ")
                })
                .collect();
            assert_eq!(column.join(" "), value, "{lead}: {text}");
        }
    }

    #[test]
    fn width_falls_back_and_has_a_floor() {
        assert_eq!(effective(None), DEFAULT_WIDTH);
        assert_eq!(effective(Some(0)), DEFAULT_WIDTH);
        assert_eq!(effective(Some(5)), MIN_WIDTH);
        assert_eq!(effective(Some(200)), 200);
    }
}
