//! A bound on the cost of reading Terraform: the HCL parser keeps an object's members in a map
//! that looks each new key up among the ones before it, so an object of n members costs n²
//! comparisons (a million members would take hours). Before a file is parsed, one linear scan
//! counts the members of every object and block, and a file with one larger than
//! [`MAX_MEMBERS`] is refused with a clear message instead of read for minutes.

/// The most members (attributes, object keys) one object or block may have. A destination has
/// a few dozen properties; a `for_each` map of 20,000 destinations still fits.
pub const MAX_MEMBERS: usize = 20_000;

/// The line and member count of the first object or block with more than [`MAX_MEMBERS`]
/// members, if any. Strings (with their `${...}` interpolations), comments and heredocs are
/// skipped; every `=` or `:` directly inside a `{...}` counts as one member, which can only
/// overcount an object (a conditional's `:`), never undercount it.
pub fn oversized_object(text: &str) -> Option<(u32, usize)> {
    oversized_object_within(text, MAX_MEMBERS)
}

/// [`oversized_object`] with another bound than [`MAX_MEMBERS`].
pub fn oversized_object_within(text: &str, max_members: usize) -> Option<(u32, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Frame {
        /// `{`: its first line and members so far.
        Brace(u32, usize),
        /// `[` or `(`.
        Other,
        /// Inside a string.
        Str,
        /// `${` inside a string: code until the matching `}`.
        Interp,
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
        }
        if stack.last() == Some(&Frame::Str) {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Frame::Interp);
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => stack.push(Frame::Str),
            b'#' => i = skip_to_line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_to_line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(bytes.len(), |e| i + 2 + e + 2);
                line += u32::try_from(bytes[i..end].iter().filter(|&&c| c == b'\n').count()).unwrap_or(u32::MAX);
                i = end;
                continue;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                if let Some((end, lines)) = skip_heredoc(text, i) {
                    line += lines;
                    i = end;
                    continue;
                }
            }
            b'{' => stack.push(Frame::Brace(line, 0)),
            b'[' | b'(' => stack.push(Frame::Other),
            b'}' | b']' | b')' => {
                stack.pop();
            }
            b'=' | b':' => {
                let next = bytes.get(i + 1).copied();
                let prev = i.checked_sub(1).map(|p| bytes[p]);
                let operator = matches!(next, Some(b'=' | b'>')) || matches!(prev, Some(b'=' | b'!' | b'<' | b'>'));
                if !operator && let Some(Frame::Brace(opened, members)) = stack.last_mut() {
                    *members += 1;
                    if *members > max_members {
                        return Some((*opened, *members));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn skip_to_line_end(bytes: &[u8], i: usize) -> usize {
    // Stops on the line break, which the caller then counts.
    memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |e| i + e)
}

/// `<<EOF` or `<<-EOF` at `i`: the offset after the closing marker's line, and the lines
/// skipped. `None` when it is not a heredoc (`a << b` does not exist in HCL, but be safe).
fn skip_heredoc(text: &str, i: usize) -> Option<(usize, u32)> {
    let rest = &text[i + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker: &str = &rest[..rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?];
    if marker.is_empty() {
        return None;
    }
    let body_start = i + text[i..].find('\n')? + 1;
    let mut offset = body_start;
    let mut lines = 1;
    for l in text[body_start..].split_inclusive('\n') {
        offset += l.len();
        lines += 1;
        if l.trim() == marker {
            return Some((offset, lines - 1));
        }
    }
    Some((text.len(), lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(n: usize) -> String {
        let mut s = String::from("resource \"x\" \"y\" {\n  cfg = jsonencode({\n");
        for i in 0..n {
            s.push_str(&format!("    k{i} = \"v == ${{var.x}} : {{ # not a brace\"\n"));
        }
        s.push_str("  })\n}\n");
        s
    }

    #[test]
    fn counts_members_of_every_object_and_skips_strings_comments_and_heredocs() {
        assert_eq!(oversized_object(&object(MAX_MEMBERS)), None);
        assert_eq!(oversized_object(&object(MAX_MEMBERS + 1)), Some((2, MAX_MEMBERS + 1)));
        let mut tricky = String::from("# { = = =\n/* { = */\nlocals {\n  doc = <<-EOT\n");
        tricky.push_str(&"  a = b\n".repeat(MAX_MEMBERS + 5));
        tricky.push_str("  EOT\n  ok = a == b ? 1 : 2\n}\n");
        assert_eq!(oversized_object(&tricky), None);
        let many_blocks = "resource \"a\" \"b\" {\n  x = 1\n}\n".repeat(MAX_MEMBERS + 5);
        assert_eq!(oversized_object(&many_blocks), None, "members are counted per object, not per file");
    }
}
