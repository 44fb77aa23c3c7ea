//! YAML as the MTA deployer reads it (anchors, aliases, merge keys, YAML 1.1 scalars): never a
//! panic; what aliases copy stays within the bound, so an alias bomb is refused rather than
//! expanded; every line is one of the text's; and where the destination files' reader (which
//! refuses aliases) accepts the text, both give the same keys on the same lines.
#![no_main]

use calm_audit::source::code::yaml::{self, Kind, Node};
use calm_audit::source::tree;
use libfuzzer_sys::fuzz_target;

fn count(node: &Node) -> usize {
    match &node.kind {
        Kind::Map(entries) => 1 + entries.iter().map(|(_, _, v)| count(v)).sum::<usize>(),
        Kind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Kind::Text(_) | Kind::Null => 1,
    }
}

/// Every line is one of the text's; an empty value has none of its own (the parser marks where
/// it saw it end, which may be past the last line), and readers locate it at its key.
fn lines_ok(node: &Node, max: u32) -> bool {
    (matches!(node.kind, Kind::Null) || (node.line >= 1 && node.line <= max))
        && match &node.kind {
            Kind::Map(entries) => entries.iter().all(|(_, l, v)| *l >= 1 && *l <= max && lines_ok(v, max)),
            Kind::Seq(items) => items.iter().all(|i| lines_ok(i, max)),
            _ => true,
        }
}

/// Keys and their lines, as both readers see them (the destination files' reader may mark an
/// empty key at the end past the last line, where this one keeps it on the last line).
fn same_shape(ours: &Node, theirs: &tree::Node, max: u32) -> bool {
    match (&ours.kind, &theirs.kind) {
        (Kind::Map(a), tree::Kind::Map(b)) => {
            a.len() == b.len()
                && a.iter().zip(b).all(|((ka, la, va), (kb, lb, vb))| ka == kb && *la == (*lb).min(max) && same_shape(va, vb, max))
        }
        (Kind::Seq(a), tree::Kind::Seq(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_shape(x, y, max)),
        (Kind::Map(_) | Kind::Seq(_), _) | (_, tree::Kind::Map(_) | tree::Kind::Seq(_)) => false,
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let max_line = u32::try_from(text.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r')).count() + 1).unwrap_or(u32::MAX);
    let Ok(docs) = yaml::parse(text) else { return };
    let values: usize = docs.iter().map(count).sum();
    // What the file writes is at most a value per byte, and aliases add at most ten times that
    // (never less than the fixed floor).
    assert!(values <= text.len() + yaml::expansion_limit(text.len()) + 1, "{values} values from {} bytes", text.len());
    assert!(docs.iter().all(|d| lines_ok(d, max_line)));
    // A merge key is an ordinary key to the other reader.
    if let (false, Ok(theirs)) = (text.contains("<<"), tree::parse_yaml(text)) {
        assert_eq!(docs.len(), theirs.len());
        for (a, b) in docs.iter().zip(&theirs) {
            assert!(same_shape(a, b, max_line), "the two readers disagree on keys or lines");
        }
    }
});
