//! The Terraform functions evaluated before apply, on known arguments; any other function, or
//! one with an argument known only at apply time, is left to the deployment.

use std::collections::HashMap;
use std::rc::Rc;

use super::super::syntax::Expr;
use super::{At, Binds, Ctx, Ev, Obj, bool_at, number, show_number, text};
use crate::source::code::bound::Bound;

pub(super) fn call(ctx: &Ctx, file: usize, e: &Expr, name: &str, args: &[Expr], b: &Binds, d: usize) -> At {
    let line = e.line;
    // Arguments that decide control flow are evaluated as needed; the rest up front.
    match (name, args) {
        ("try", _) => {
            for arg in args {
                let v = ctx.eval_in(file, arg, b, d);
                if v.is_missing() {
                    continue;
                }
                return if v.is_unknown() { ctx.unknown(file, e) } else { v };
            }
            return ctx.missing(file, e);
        }
        ("can", [arg]) => {
            let v = ctx.eval_in(file, arg, b, d);
            return if v.is_missing() {
                bool_at(file, line, false)
            } else if v.is_unknown() {
                ctx.unknown(file, e)
            } else {
                bool_at(file, line, true)
            };
        }
        ("coalesce", _) => {
            for arg in args {
                let v = ctx.eval_in(file, arg, b, d);
                match &v.value {
                    Ev::Unknown(_) => return ctx.unknown(file, e),
                    Ev::Null => {}
                    Ev::Text(t) if t.is_empty() => {}
                    _ => return v,
                }
            }
            return ctx.unknown(file, e);
        }
        _ => {}
    }
    let values: Vec<At> = args.iter().map(|a| ctx.eval_in(file, a, b, d)).collect();
    if values.iter().any(At::is_unknown) && !matches!(name, "jsonencode" | "merge" | "tolist" | "tomap" | "concat") {
        // Unknown because an argument is computed by a function calm-audit does not evaluate,
        // not because of the deployment: the result is such a value too.
        let computed = values.iter().all(|v| match &v.value {
            Ev::Unknown(u) => u.computed,
            _ => true,
        });
        return if computed { ctx.not_evaluated(file, e) } else { ctx.unknown(file, e) };
    }
    let unknown = || ctx.unknown(file, e);
    let texts = || values.iter().map(At::text).collect::<Option<Vec<&str>>>();
    let list = |items: Vec<At>| At { file, line, value: Ev::List(Rc::new(items)) };
    let result = match (name, values.as_slice()) {
        ("jsonencode", [v]) => match v.value {
            Ev::Unknown(_) => unknown(),
            _ => At { file, line, value: Ev::Encoded(Box::new(v.clone())) },
        },
        ("jsondecode", [v]) => match v.text().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()) {
            Some(j) => from_json(ctx, e, &j, v.file, v.line, 0).unwrap_or_else(|bound| ctx.cut(bound, file, e)),
            None => unknown(),
        },
        ("sensitive" | "nonsensitive" | "tostring" | "tonumber" | "tobool" | "tomap", [v]) => v.clone(),
        ("tolist", [v]) => match &v.value {
            Ev::Set(items) => At { file: v.file, line: v.line, value: Ev::List(items.clone()) },
            Ev::Unknown(_) => unknown(),
            _ => v.clone(),
        },
        ("toset", [v]) => match v.items() {
            Some(items) => {
                let mut seen: HashMap<&str, ()> = HashMap::new();
                let mut out: Vec<At> = Vec::new();
                for item in items {
                    let Some(t) = item.text() else { return unknown() };
                    if seen.insert(t, ()).is_none() {
                        out.push(item.clone());
                    }
                }
                out.sort_by(|a, b| a.text().cmp(&b.text()));
                At { file, line, value: Ev::Set(Rc::new(out)) }
            }
            None => unknown(),
        },
        ("merge", _) => {
            let mut members: Vec<(String, u32, At)> = Vec::new();
            let mut at: HashMap<String, usize> = HashMap::new();
            for v in &values {
                match &v.value {
                    Ev::Object(o) => {
                        for (k, l, m) in &o.members {
                            match at.get(k) {
                                Some(i) => members[*i] = (k.clone(), *l, m.clone()),
                                None => {
                                    at.insert(k.clone(), members.len());
                                    members.push((k.clone(), *l, m.clone()));
                                }
                            }
                        }
                    }
                    Ev::Null => {}
                    _ => return unknown(),
                }
            }
            At { file, line, value: Ev::Object(Rc::new(Obj::new(members))) }
        }
        ("concat", _) => {
            let mut out = Vec::new();
            for v in &values {
                match v.items() {
                    Some(items) => out.extend(items.iter().cloned()),
                    None => return unknown(),
                }
            }
            list(out)
        }
        ("lookup", [m, k, rest @ ..]) if rest.len() <= 1 => match (&m.value, k.text()) {
            (Ev::Object(o), Some(key)) => match (o.get(key), rest.first()) {
                (Some(v), _) => v.clone(),
                (None, Some(default)) => default.clone(),
                (None, None) => ctx.missing(file, e),
            },
            _ => unknown(),
        },
        ("length", [v]) => match &v.value {
            Ev::List(items) | Ev::Set(items) => text(file, line, items.len().to_string()),
            Ev::Object(o) => text(file, line, o.sorted().len().to_string()),
            Ev::Text(t) => text(file, line, t.chars().count().to_string()),
            _ => unknown(),
        },
        ("keys" | "values", [v]) => match &v.value {
            Ev::Object(o) => {
                list(o.sorted().into_iter().map(|(k, l, m)| if name == "keys" { text(v.file, *l, k.clone()) } else { m.clone() }).collect())
            }
            _ => unknown(),
        },
        ("flatten", [v]) => {
            // `Err` is the nesting bound reached.
            fn flat(items: &[At], out: &mut Vec<At>, depth: usize, max: usize) -> Result<(), ()> {
                for i in items {
                    match i.items() {
                        Some(_) if depth >= max => return Err(()),
                        Some(inner) => flat(inner, out, depth + 1, max)?,
                        None => out.push(i.clone()),
                    }
                }
                Ok(())
            }
            let mut out = Vec::new();
            let max = ctx.env.bounds.depth;
            match v.items().map(|items| flat(items, &mut out, 0, max)) {
                Some(Ok(())) => list(out),
                Some(Err(())) => ctx.cut(Bound::Depth(max), file, e),
                None => unknown(),
            }
        }
        ("zipmap", [k, v]) => match (k.items(), v.items()) {
            (Some(keys), Some(vals)) if keys.len() == vals.len() => {
                let mut members = Vec::with_capacity(keys.len());
                for (key, value) in keys.iter().zip(vals) {
                    let Some(t) = key.text() else { return unknown() };
                    members.push((t.to_owned(), key.line, value.clone()));
                }
                At { file, line, value: Ev::Object(Rc::new(Obj::new(members))) }
            }
            _ => unknown(),
        },
        ("element", [l, i]) => match (l.items(), i.text().and_then(|i| i.parse::<usize>().ok())) {
            (Some(items), Some(i)) if !items.is_empty() => items[i % items.len()].clone(),
            _ => unknown(),
        },
        ("contains", [l, v]) => match (l.items(), v.text()) {
            (Some(items), Some(t)) => bool_at(file, line, items.iter().any(|i| i.text() == Some(t))),
            _ => unknown(),
        },
        ("distinct" | "compact", [l]) => match l.items() {
            Some(items) => {
                let mut seen: HashMap<&str, ()> = HashMap::new();
                let mut out = Vec::new();
                for item in items {
                    match (&item.value, name) {
                        (Ev::Null, "compact") => {}
                        (Ev::Text(t), "compact") if t.is_empty() => {}
                        (Ev::Text(t), "distinct") => {
                            if seen.insert(t, ()).is_none() {
                                out.push(item.clone());
                            }
                        }
                        (Ev::Text(_), _) => out.push(item.clone()),
                        _ => return unknown(),
                    }
                }
                list(out)
            }
            None => unknown(),
        },
        ("range", _) => {
            let Some(n) = texts().and_then(|t| t.iter().map(|x| number(x)).collect::<Option<Vec<f64>>>()) else { return unknown() };
            let (start, end, step) = match n.as_slice() {
                [end] => (0.0, *end, 1.0),
                [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
                [start, end, step] => (*start, *end, *step),
                _ => return unknown(),
            };
            if step == 0.0 || !((end - start) / step).is_finite() {
                return unknown();
            }
            let max = ctx.env.bounds.range;
            if (end - start) / step > max as f64 {
                return ctx.cut(Bound::Range(max), file, e);
            }
            // A step per item made (the caller counts the values).
            if !ctx.env.spend(((end - start) / step).max(0.0) as usize, file, line) {
                return unknown();
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(text(file, line, show_number(x)));
                x += step;
            }
            list(out)
        }
        ("split", [sep, s]) => match (sep.text(), s.text()) {
            (Some(sep), Some(s)) if !sep.is_empty() => list(s.split(sep).map(|p| text(file, line, p)).collect()),
            _ => unknown(),
        },
        ("join", [sep, l]) => match (sep.text(), l.items().and_then(|i| i.iter().map(At::text).collect::<Option<Vec<&str>>>())) {
            (Some(sep), Some(parts)) => {
                let length = parts.iter().map(|p| p.len()).sum::<usize>().saturating_add(sep.len().saturating_mul(parts.len()));
                if length > ctx.env.bounds.text {
                    return ctx.cut(Bound::Text(ctx.env.bounds.text), file, e);
                }
                text(file, line, parts.join(sep))
            }
            _ => unknown(),
        },
        ("format", [f, rest @ ..]) => match (f.text(), rest.iter().map(At::text).collect::<Option<Vec<&str>>>()) {
            (Some(f), Some(args)) => format(f, &args).map_or_else(unknown, |t| text(file, line, t)),
            _ => unknown(),
        },
        _ => match (name, texts().as_deref()) {
            ("lower", Some([s])) => text(file, line, lower(s)),
            ("upper", Some([s])) => text(file, line, upper(s)),
            ("title", Some([s])) => text(file, line, title(s)),
            ("trimspace", Some([s])) => text(file, line, s.trim()),
            // Every line ending at the end: `\n`, `\r\n` and `\r`, repeated.
            ("chomp", Some([s])) => text(file, line, s.trim_end_matches(['\r', '\n'])),
            ("trim", Some([s, cutset])) => text(file, line, s.trim_matches(|c| cutset.contains(c))),
            // Terraform counts grapheme clusters: evaluated where each character is one.
            ("strrev", Some([s])) if one_cluster_each(s) => text(file, line, s.chars().rev().collect::<String>()),
            ("substr", Some([s, offset, length])) if one_cluster_each(s) => match substr(s, offset, length) {
                Some(t) => text(file, line, t),
                None => unknown(),
            },
            ("trimsuffix", Some([s, x])) => text(file, line, s.strip_suffix(x).unwrap_or(s)),
            ("trimprefix", Some([s, x])) => text(file, line, s.strip_prefix(x).unwrap_or(s)),
            ("startswith", Some([s, x])) => bool_at(file, line, s.starts_with(x)),
            ("endswith", Some([s, x])) => bool_at(file, line, s.ends_with(x)),
            // A pattern in slashes is a regular expression, not evaluated here.
            ("replace", Some([s, from, to])) if !(from.len() > 1 && from.starts_with('/') && from.ends_with('/')) => {
                // At most one replacement per character (an empty pattern matches between them).
                let length = s.len().saturating_add((s.chars().count() + 1).saturating_mul(to.len()));
                if length > ctx.env.bounds.text {
                    return ctx.cut(Bound::Text(ctx.env.bounds.text), file, e);
                }
                text(file, line, s.replace(from, to))
            }
            ("replace", Some([s, pattern, to])) => match terraform_regex(pattern) {
                Some(re) => {
                    // Each match may expand `$n` into at most the whole input.
                    let dollars = to.matches('$').count();
                    let per_match = to.len().saturating_add(dollars.saturating_mul(s.len()));
                    let length = s.len().saturating_add((s.chars().count() + 1).saturating_mul(per_match));
                    if length > ctx.env.bounds.text {
                        return ctx.cut(Bound::Text(ctx.env.bounds.text), file, e);
                    }
                    text(file, line, re.replace_all(s, *to).into_owned())
                }
                None => unknown(),
            },
            ("regex" | "regexall", Some([pattern, s])) => match terraform_regex(&format!("/{pattern}/")) {
                Some(re) => {
                    let found: Vec<At> = re.captures_iter(s).map(|c| captured(&re, &c, file, line)).collect();
                    if name == "regexall" {
                        list(found)
                    } else {
                        // `regex` with no match is an error in Terraform: nothing to judge here.
                        found.into_iter().next().unwrap_or_else(unknown)
                    }
                }
                None => unknown(),
            },
            ("base64encode", Some([s])) => {
                use base64::Engine as _;
                text(file, line, base64::engine::general_purpose::STANDARD.encode(s))
            }
            ("base64decode", Some([s])) => {
                use base64::Engine as _;
                match base64::engine::general_purpose::STANDARD.decode(s).ok().and_then(|b| String::from_utf8(b).ok()) {
                    Some(t) => text(file, line, t),
                    None => unknown(),
                }
            }
            _ => unknown(),
        },
    };
    settle(ctx, file, e, &values, result)
}

/// The compiled pattern of a `/.../` argument (RE2 syntax, as Terraform's), under a size and
/// nesting limit: a pattern past them is one calm-audit does not evaluate.
fn terraform_regex(slashed: &str) -> Option<regex::Regex> {
    let pattern = slashed.strip_prefix('/')?.strip_suffix('/')?;
    regex::RegexBuilder::new(pattern).size_limit(1 << 20).dfa_size_limit(1 << 20).nest_limit(64).build().ok()
}

/// What `regex` gives for one match: the text without capture groups, a list of the groups'
/// texts with unnamed ones, an object with named ones.
fn captured(re: &regex::Regex, c: &regex::Captures<'_>, file: usize, line: u32) -> At {
    let group = |i: usize| text(file, line, c.get(i).map_or("", |m| m.as_str()));
    if re.captures_len() == 1 {
        return group(0);
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().all(Option::is_some) {
        let members = names.iter().enumerate().map(|(i, n)| (n.unwrap_or_default().to_owned(), line, group(i + 1))).collect();
        return At { file, line, value: Ev::Object(Rc::new(Obj::new(members))) };
    }
    At { file, line, value: Ev::List(Rc::new((1..re.captures_len()).map(group).collect())) }
}

/// A function whose arguments are all known and that still gives no value is one calm-audit does
/// not evaluate (or not with those arguments): its value is computed from what the repository
/// holds, not left to the deployment, and is marked so (SPEC 2.1: never silently
/// `not_applicable` when the inputs are literals).
fn settle(ctx: &Ctx, file: usize, e: &Expr, values: &[At], result: At) -> At {
    let from_known = values.iter().all(|v| !v.is_unknown());
    match &result.value {
        Ev::Unknown(u) if from_known && !u.missing && !u.computed => ctx.not_evaluated(file, e),
        _ => result,
    }
}

/// `upper` as Terraform (Go's `strings.ToUpper`) gives it: each character mapped alone, and one
/// whose capital is more than one character kept as it is (`straße` gives `STRAßE`).
fn upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// `lower` as Go's `strings.ToLower`: each character mapped alone (a final sigma stays `σ`;
/// `İ` gives `i`).
fn lower(s: &str) -> String {
    s.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect()
}

/// `title` as Go's `strings.Title`: the first letter of each word in title case, a word
/// starting after an ASCII character other than a letter, digit or `_`, or after white space.
fn title(s: &str) -> String {
    let separator = |c: char| {
        if c.is_ascii() { !(c.is_ascii_alphanumeric() || c == '_') } else { c.is_whitespace() }
    };
    let mut previous = ' ';
    s.chars()
        .map(|c| {
            let out = if separator(previous) { title_case(c) } else { c };
            previous = c;
            out
        })
        .collect()
}

/// A character's title case: the capital, but the title form of the Latin digraphs (`ǆ` gives
/// `ǅ`, not `Ǆ`).
fn title_case(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        _ => upper(c.encode_utf8(&mut [0; 4])).chars().next().unwrap_or(c),
    }
}

/// Whether every character of `s` is a grapheme cluster of its own, as Terraform's `substr`
/// and `strrev` count: printable ASCII, tabs and `\n` (not `\r`, which joins a following `\n`).
fn one_cluster_each(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii() && b != b'\r')
}

/// `substr` where its result is certain: a whole-number offset from the start within the text
/// and a length that is `-1` (to the end) or reaches no further than the end. Anything else
/// (a negative offset, a length past the end) is not evaluated.
fn substr(s: &str, offset: &str, length: &str) -> Option<String> {
    let offset: usize = offset.parse().ok()?;
    let chars: Vec<char> = s.chars().collect();
    if offset > chars.len() {
        return None;
    }
    let rest = &chars[offset..];
    let taken = match length {
        "-1" => rest,
        n => rest.get(..n.parse::<usize>().ok()?)?,
    };
    Some(taken.iter().collect())
}

/// `format` with the verbs destinations use (`%s`, `%d`, `%v`, `%%`); anything else is left
/// to the deployment.
fn format(f: &str, args: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = f.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'v' => out.push_str(args.next()?),
            'd' => {
                let a = args.next()?;
                number(a)?;
                out.push_str(a);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A JSON value (`jsondecode`) as a value written where the string is; `Err` names the bound
/// it reached (nesting, values made).
fn from_json(ctx: &Ctx, e: &Expr, j: &serde_json::Value, file: usize, line: u32, depth: usize) -> Result<At, Bound> {
    use serde_json::Value as J;
    if depth > ctx.env.bounds.depth {
        return Err(Bound::Depth(ctx.env.bounds.depth));
    }
    let value = match j {
        J::Null => Ev::Null,
        J::Bool(v) => Ev::Text(v.to_string()),
        J::Number(n) => Ev::Text(n.to_string()),
        J::String(s) => Ev::Text(s.clone()),
        J::Array(items) => {
            let items = items.iter().map(|i| from_json(ctx, e, i, file, line, depth + 1)).collect::<Result<Vec<At>, Bound>>()?;
            Ev::List(Rc::new(items))
        }
        J::Object(members) => {
            let members = members
                .iter()
                .map(|(k, v)| Ok((k.clone(), line, from_json(ctx, e, v, file, line, depth + 1)?)))
                .collect::<Result<Vec<_>, Bound>>()?;
            Ev::Object(Rc::new(Obj::new(members)))
        }
    };
    if !ctx.env.make(1, file, e.line) {
        return Err(Bound::Values(ctx.env.bounds.values));
    }
    Ok(At { file, line, value })
}
