//! `fix.patch` (SPEC §5a): a unified diff that replaces exactly the failing literals of
//! destinations defined as code (`mta.yaml`, `*.mtaext`, `*.tf`, `*.tfvars`, `*.tf.json`,
//! `*.tfvars.json`). A literal is edited only when its text, written as the file's syntax
//! writes it, is found exactly once on the line the result points at; anything else (a value
//! computed by an expression, a template, a placeholder) is left to the summary. Lines keep
//! their indentation, quoting, comments and line endings.

use std::collections::BTreeMap;

/// One literal to replace: the old value and the new one, at a line of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// 1-based.
    pub line: u32,
    pub old: String,
    pub new: String,
}

/// The syntax a literal is written in, by the file's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Hcl,
    Json,
    Yaml,
    /// A cockpit export or import file: Java properties.
    Properties,
}

impl Syntax {
    pub fn of(path: &str) -> Option<Syntax> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".tf.json") || lower.ends_with(".tfvars.json") {
            Some(Syntax::Json)
        } else if lower.ends_with(".tf") || lower.ends_with(".tfvars") {
            Some(Syntax::Hcl)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".mtaext") {
            Some(Syntax::Yaml)
        } else if lower.ends_with(".json") {
            Some(Syntax::Json)
        } else if lower.ends_with(".properties") || lower.ends_with(".props") || lower.ends_with(".txt") {
            Some(Syntax::Properties)
        } else {
            let name = lower.rsplit('/').next().unwrap_or(&lower);
            (!name.contains('.')).then_some(Syntax::Properties)
        }
    }
}

/// A string as a quoted HCL literal: `"`, `\`, control characters escaped, and template
/// sequences (`${`, `%{`) doubled so they stay literal text.
fn hcl_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The character a plain YAML scalar cannot start with, or text it cannot hold.
fn yaml_plain_ok(text: &str) -> bool {
    !text.is_empty()
        && text.trim() == text
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.contains("${")
        && !text.contains("~{")
        && !text.chars().any(char::is_control)
        && !matches!(text.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n")
        && text.parse::<f64>().is_err()
}

fn yaml_single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The ways `text` may be written on a line of this syntax, each with how to write the new
/// value the same way: (as written, replacement).
fn forms(syntax: Syntax, old: &str, new: &str) -> Vec<(String, Option<String>)> {
    match syntax {
        Syntax::Hcl => vec![(hcl_quoted(old), Some(hcl_quoted(new)))],
        Syntax::Json => vec![(json_quoted(old), Some(json_quoted(new)))],
        // As the cockpit escapes it, or as a hand-written file may hold it; written escaped.
        Syntax::Properties => {
            let escaped = escape(new, false);
            vec![(escape(old, false), Some(escaped.clone())), (old.to_owned(), Some(escaped))]
        }
        Syntax::Yaml => {
            let mut forms = Vec::new();
            // Double-quoted YAML reads JSON escapes for these plain texts.
            if !old.chars().any(char::is_control) && !new.chars().any(char::is_control) {
                forms.push((json_quoted(old), Some(json_quoted(new))));
            }
            forms.push((yaml_single_quoted(old), (!new.chars().any(char::is_control)).then(|| yaml_single_quoted(new))));
            if yaml_plain_ok(old) {
                let replacement = if yaml_plain_ok(new) { new.to_owned() } else { json_quoted(new) };
                forms.push((old.to_owned(), Some(replacement)));
            }
            forms
        }
    }
}

/// Where `form` stands on `line` as a whole value: exactly once, bounded as a scalar of the
/// syntax (a plain YAML scalar after `key: ` or `- `, up to the line's end or a comment).
fn find_once(syntax: Syntax, line: &str, form: &str, plain: bool) -> Option<usize> {
    let hits: Vec<usize> = line.match_indices(form).map(|(at, _)| at).collect();
    let [at] = hits[..] else { return None };
    if syntax == Syntax::Properties {
        // The whole value: after the key's separator, up to the line's end.
        let before = line[..at].trim_end_matches([' ', '\t']);
        let separated = (before.ends_with('=') || before.ends_with(':')) && !before[..before.len() - 1].ends_with('\\');
        let rest = line[at + form.len()..].trim_end_matches(['\r', '\n']);
        return (separated && rest.is_empty() && !before.trim_start().starts_with(['#', '!'])).then_some(at);
    }
    if plain {
        let before = line[..at].trim_end_matches(' ');
        let after = line[at + form.len()..].trim_end_matches(['\r', '\n']).trim_start_matches([' ', '\t']);
        let spaced = line[..at].ends_with(' ');
        let bounded_before = spaced && (before.ends_with(':') || before.trim_start() == "-" || before.ends_with(" -"));
        let bounded_after = after.is_empty() || after.starts_with('#');
        return (syntax == Syntax::Yaml && bounded_before && bounded_after).then_some(at);
    }
    Some(at)
}

/// Replaces `edit.old` on the line with `edit.new`, written as the syntax writes it; `None`
/// when the literal is not found exactly once as a whole value.
pub fn replace_on_line(syntax: Syntax, line: &str, edit: &Edit) -> Option<(String, usize, usize, String)> {
    for (form, replacement) in forms(syntax, &edit.old, &edit.new) {
        let plain = syntax == Syntax::Yaml && !form.starts_with(['"', '\'']);
        if form.is_empty() {
            continue;
        }
        let Some(replacement) = replacement else { continue };
        if let Some(at) = find_once(syntax, line, &form, plain) {
            let mut out = String::with_capacity(line.len() + replacement.len());
            out.push_str(&line[..at]);
            out.push_str(&replacement);
            out.push_str(&line[at + form.len()..]);
            return Some((out, at, form.len(), replacement));
        }
    }
    None
}

/// The lines of a text with their endings, as written.
fn lines_with_endings(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The unified diff of one file: `edits` by line, already checked to apply. `path` is the
/// file relative to the audited folder, with `/` separators. A line `sensitive` says holds a
/// secret is never written, not even as context: a hunk's context stops before it, and an edit
/// whose line holds one, or that would be left with no line of context after it (`git apply`
/// then wants the hunk at the end of the file), is taken out and returned.
pub fn file_diff(path: &str, text: &str, edits: &mut BTreeMap<u32, String>, sensitive: &dyn Fn(&str) -> bool) -> (String, Vec<u32>) {
    const CONTEXT: usize = 3;
    let lines = lines_with_endings(text);
    let mut refused = Vec::new();
    // Each edit's range of lines: the edit and the context that holds no secret.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (&line, new) in edits.iter() {
        let i = line as usize - 1;
        if i >= lines.len() || sensitive(lines[i]) || sensitive(new) {
            refused.push(line);
            continue;
        }
        let mut before = (1..=CONTEXT.min(i)).take_while(|k| !sensitive(lines[i - k])).count();
        let mut after = (1..=CONTEXT.min(lines.len() - 1 - i)).take_while(|k| !sensitive(lines[i + k])).count();
        // As much context on both sides (`patch` applies an uneven hunk only with fuzz), unless
        // one side is the file's start or end.
        if before < i && after < lines.len() - 1 - i {
            let even = before.min(after);
            (before, after) = (even, even);
        }
        if (after == 0 && i + 1 < lines.len()) || (before == 0 && i > 0) {
            refused.push(line);
            continue;
        }
        ranges.push((i - before, i + after + 1));
    }
    for line in &refused {
        edits.remove(line);
    }
    if ranges.is_empty() {
        return (String::new(), refused);
    }
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (start, end) in ranges {
        match groups.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = (*last_end).max(end),
            _ => groups.push((start, end)),
        }
    }
    // A name with white space ends with a tab on the `---`/`+++` lines, as git writes it:
    // that is how `patch` finds where the name ends.
    let end = if path.contains([' ', '\t']) { "\t" } else { "" };
    let mut out = format!("diff --git a/{path} b/{path}\n--- a/{path}{end}\n+++ b/{path}{end}\n");
    let push_line = |out: &mut String, mark: char, line: &str| {
        out.push(mark);
        out.push_str(line);
        if !line.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    for (start, end) in groups {
        let count = end - start;
        out.push_str(&format!("@@ -{},{count} +{},{count} @@\n", start + 1, start + 1));
        for (i, line) in lines.iter().enumerate().take(end).skip(start) {
            match edits.get(&(u32::try_from(i + 1).unwrap_or(u32::MAX))) {
                Some(new) => {
                    push_line(&mut out, '-', line);
                    push_line(&mut out, '+', new);
                }
                None => push_line(&mut out, ' ', line),
            }
        }
    }
    (out, refused)
}

/// Applies the edits of one file: each line's new text, and the edits refused with why.
pub fn plan_file(syntax: Syntax, text: &str, edits: &[Edit]) -> (BTreeMap<u32, String>, Vec<(Edit, &'static str)>) {
    let lines = lines_with_endings(text);
    let mut done: BTreeMap<u32, String> = BTreeMap::new();
    let mut refused = Vec::new();
    for edit in edits {
        let Some(original) = (edit.line as usize).checked_sub(1).and_then(|i| lines.get(i)) else {
            refused.push((edit.clone(), "the line is not in the file"));
            continue;
        };
        let current = done.get(&edit.line).cloned().unwrap_or_else(|| (*original).to_owned());
        match replace_on_line(syntax, &current, edit) {
            Some((line, ..)) => {
                done.insert(edit.line, line);
            }
            None => {
                refused.push((edit.clone(), "the value is not written there as one literal (an expression, a template or a placeholder)"))
            }
        }
    }
    (done, refused)
}

/// Java `Properties.store` escaping: `\`, `:`, `=`, `#`, `!` and white space escaped (a space
/// only in a key or leading a value), characters outside printable ASCII as `\uXXXX`.
pub(crate) fn escape(text: &str, key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            ':' | '=' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if key || i == 0 => out.push_str("\\ "),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(line: u32, old: &str, new: &str) -> Edit {
        Edit { line, old: old.into(), new: new.into() }
    }

    #[test]
    fn literals_are_found_as_the_syntax_writes_them() {
        let e = edit(1, "https://t.alm.cloud.sap/api", "https://t.alm.cloud.sap/");
        let hcl = replace_on_line(Syntax::Hcl, "    URL = \"https://t.alm.cloud.sap/api\" # keep\r\n", &e).unwrap().0;
        assert_eq!(hcl, "    URL = \"https://t.alm.cloud.sap/\" # keep\r\n");
        let plain = replace_on_line(Syntax::Yaml, "  URL: https://t.alm.cloud.sap/api   # comment\n", &e).unwrap().0;
        assert_eq!(plain, "  URL: https://t.alm.cloud.sap/   # comment\n");
        let plain = replace_on_line(Syntax::Yaml, "  URL: https://t.alm.cloud.sap/api\r\n", &e).unwrap().0;
        assert_eq!(plain, "  URL: https://t.alm.cloud.sap/\r\n");
        let single = replace_on_line(Syntax::Yaml, "  - URL: 'https://t.alm.cloud.sap/api'\n", &e).unwrap().0;
        assert_eq!(single, "  - URL: 'https://t.alm.cloud.sap/'\n");
        let json = replace_on_line(Syntax::Json, "  \"URL\": \"https://t.alm.cloud.sap/api\",\n", &e).unwrap().0;
        assert_eq!(json, "  \"URL\": \"https://t.alm.cloud.sap/\",\n");
    }

    #[test]
    fn a_properties_value_is_the_rest_of_its_line() {
        let e = edit(1, "https://t.alm.cloud.sap/api", "https://t.alm.cloud.sap/");
        let (line, at, len, inserted) = replace_on_line(Syntax::Properties, "URL=https\\://t.alm.cloud.sap/api\r\n", &e).unwrap();
        assert_eq!(
            (line.as_str(), at, len, inserted.as_str()),
            ("URL=https\\://t.alm.cloud.sap/\r\n", 4, 28, "https\\://t.alm.cloud.sap/")
        );
        // Unescaped, as hand-written files hold it; a comment or a longer value is not it.
        assert!(replace_on_line(Syntax::Properties, "URL = https://t.alm.cloud.sap/api\n", &e).is_some());
        assert!(replace_on_line(Syntax::Properties, "#URL=https://t.alm.cloud.sap/api\n", &e).is_none());
        assert!(replace_on_line(Syntax::Properties, "URL=https://t.alm.cloud.sap/api/v2\n", &e).is_none());
    }

    #[test]
    fn a_value_that_is_not_one_literal_is_never_edited() {
        let e = edit(1, "https://t.alm.cloud.sap/api", "https://t.alm.cloud.sap/");
        // A template, a prefix of a longer literal, two copies on one line.
        assert!(replace_on_line(Syntax::Hcl, "URL = \"${var.base}/api\"\n", &e).is_none());
        assert!(replace_on_line(Syntax::Yaml, "URL: https://t.alm.cloud.sap/api/v2\n", &e).is_none());
        assert!(replace_on_line(Syntax::Hcl, "a = \"https://t.alm.cloud.sap/api\" b = \"https://t.alm.cloud.sap/api\"\n", &e).is_none());
        assert!(replace_on_line(Syntax::Yaml, "URL: ~{calm-url}\n", &edit(1, "~{calm-url}", "x")).is_none());
        // A plain YAML value that would change meaning is quoted.
        let quoted = replace_on_line(Syntax::Yaml, "  Type: http\n", &edit(1, "http", "true")).unwrap().0;
        assert_eq!(quoted, "  Type: \"true\"\n");
    }

    #[test]
    fn a_line_with_a_secret_is_never_context() {
        let text = "a\nb\nURL = \"x\"\nsecret = \"s3cr3t\"\nc\n";
        let mut edits = BTreeMap::new();
        edits.insert(3, "URL = \"y\"\n".to_owned());
        let (diff, refused) = file_diff("main.tf", text, &mut edits, &|l: &str| l.contains("s3cr3t"));
        // No line of context after the edit: git would want the hunk at the end of the file.
        assert_eq!((diff.as_str(), refused), ("", vec![3]));
        let text = "a\nsecret = \"s3cr3t\"\nURL = \"x\"\nc\n";
        let mut edits = BTreeMap::new();
        edits.insert(3, "URL = \"y\"\n".to_owned());
        let (diff, refused) = file_diff("main.tf", text, &mut edits, &|l: &str| l.contains("s3cr3t"));
        assert_eq!((diff.as_str(), refused), ("", vec![3]), "no line of context before: refused too");
        let text = "a\nsecret = \"s3cr3t\"\nb\nURL = \"x\"\nc\nd\n";
        let mut edits = BTreeMap::new();
        edits.insert(4, "URL = \"y\"\n".to_owned());
        let (diff, refused) = file_diff("main.tf", text, &mut edits, &|l: &str| l.contains("s3cr3t"));
        assert!(refused.is_empty());
        // One line before (the secret stops it), and up to the file's end after.
        assert!(diff.ends_with("@@ -3,4 +3,4 @@\n b\n-URL = \"x\"\n+URL = \"y\"\n c\n d\n") && !diff.contains("s3cr3t"), "{diff}");
    }

    #[test]
    fn a_diff_keeps_line_endings_and_says_when_a_file_ends_without_one() {
        let text = "a\r\nURL = \"x\"\r\nb\nc";
        let mut edits = BTreeMap::new();
        edits.insert(2, "URL = \"y\"\r\n".to_owned());
        edits.insert(4, "d".to_owned());
        let (diff, refused) = file_diff("main.tf", text, &mut edits, &|_| false);
        assert!(refused.is_empty());
        assert_eq!(
            diff,
            "diff --git a/main.tf b/main.tf\n--- a/main.tf\n+++ b/main.tf\n@@ -1,4 +1,4 @@\n a\r\n-URL = \"x\"\r\n+URL = \"y\"\r\n b\n-c\n\\ No newline at end of file\n+d\n\\ No newline at end of file\n"
        );
    }
}
