//! Recognises the JSON/YAML shapes that hold destinations: one flat object, an array,
//! a find response (`destinationConfiguration`), a `config.json` with `init_data`, or an
//! object with a `destinations` array.

use super::tree::{Kind, Node};
use super::{InputError, Keep, build_destination};
use crate::model::{Destination, Level, Origin, Property};

const SHAPES: &str = "expected a destination object with \"Name\", an array of them, a find response \
(\"destinationConfiguration\") or a destination service config.json (\"init_data\")";

pub fn destinations(node: &Node, path: &str, keep: Keep, out: &mut Vec<Destination>) -> Result<(), InputError> {
    collect(node, path, None, keep, out)
}

/// One item of a top-level array of destinations (such items come here one at a time).
pub fn array_item(item: &Node, path: &str, keep: Keep, out: &mut Vec<Destination>) -> Result<(), InputError> {
    item_of(item, path, None, keep, out)
}

fn item_of(item: &Node, path: &str, level: Option<Level>, keep: Keep, out: &mut Vec<Destination>) -> Result<(), InputError> {
    if matches!(item.kind, Kind::Seq(_)) {
        return Err(InputError::new(path, Some(item.line), format!("nested array: {SHAPES}")));
    }
    collect(item, path, level, keep, out)
}

fn collect(node: &Node, path: &str, level: Option<Level>, keep: Keep, out: &mut Vec<Destination>) -> Result<(), InputError> {
    match &node.kind {
        Kind::Seq(items) => items.iter().try_for_each(|item| item_of(item, path, level, keep, out)),
        Kind::Map(_) => {
            if let Some(init) = node.get("init_data") {
                return init_data(init, path, keep, out);
            }
            if let Some(config) = node.get("destinationConfiguration") {
                return flat(config, path, level, keep, out);
            }
            if node.get("Name").is_some() {
                return flat(node, path, level, keep, out);
            }
            if let Some(list) = node.get("destinations") {
                return match list.kind {
                    Kind::Seq(_) => collect(list, path, level, keep, out),
                    _ => Err(InputError::new(path, Some(list.line), "\"destinations\" must be an array")),
                };
            }
            Err(InputError::new(path, Some(node.line), format!("no destination found: {SHAPES}")))
        }
        _ => Err(InputError::new(path, Some(node.line), format!("found {}: {SHAPES}", node.describe()))),
    }
}

fn init_data(init: &Node, path: &str, keep: Keep, out: &mut Vec<Destination>) -> Result<(), InputError> {
    let Kind::Map(entries) = &init.kind else {
        return Err(InputError::new(path, Some(init.line), "\"init_data\" must be an object"));
    };
    for (key, line, section) in entries {
        let level = match key.as_ref() {
            "subaccount" => Level::Subaccount,
            "instance" => Level::Instance,
            other => {
                return Err(InputError::new(
                    path,
                    Some(*line),
                    format!("unknown init_data section \"{other}\" (expected subaccount or instance)"),
                ));
            }
        };
        match section.get("destinations") {
            Some(list @ Node { kind: Kind::Seq(_), .. }) => collect(list, path, Some(level), keep, out)?,
            Some(other) => return Err(InputError::new(path, Some(other.line), "\"destinations\" must be an array")),
            None => {}
        }
    }
    Ok(())
}

fn flat(node: &Node, path: &str, level: Option<Level>, keep: Keep, out: &mut Vec<Destination>) -> Result<(), InputError> {
    let Kind::Map(entries) = &node.kind else {
        return Err(InputError::new(path, Some(node.line), format!("found {}: a destination must be an object", node.describe())));
    };
    for (key, line, value) in entries {
        if !matches!(value.kind, Kind::Scalar(_) | Kind::Literal(_) | Kind::Null) {
            return Err(InputError::new(path, Some(*line), format!("property \"{key}\" must be a string, found {}", value.describe())));
        }
    }
    if !entries.iter().any(|(k, _, _)| k == "Name") {
        return Err(InputError::new(path, Some(node.line), "destination has no \"Name\""));
    }
    let property = |(key, line, value): &(std::borrow::Cow<str>, u32, Node)| {
        let text = match &value.kind {
            Kind::Scalar(s) | Kind::Literal(s) => s.to_string(),
            _ => String::new(),
        };
        Property::new(key.to_string(), text, Some(*line))
    };
    out.push(build_destination(entries, |(k, _, _)| k, property, Origin::file(path, node.line, level), keep));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::tree::parse_json;

    fn load(text: &str) -> Result<Vec<Destination>, InputError> {
        let mut out = Vec::new();
        destinations(&parse_json(text).unwrap(), "f.json", Keep::All, &mut out).map(|()| out)
    }

    #[test]
    fn every_shape_is_recognised() {
        assert_eq!(load(r#"{"Name":"CALM_A","Type":"HTTP"}"#).unwrap().len(), 1);
        assert_eq!(load(r#"[{"Name":"CALM_A"},{"Name":"B"}]"#).unwrap().len(), 2);
        let find = load(r#"{"owner":{"SubaccountId":"s"},"destinationConfiguration":{"Name":"CALM_A"},"authTokens":[]}"#).unwrap();
        assert_eq!(find[0].name(), "CALM_A");
        let init = load(r#"{"init_data":{"subaccount":{"existing_destinations_policy":"update","destinations":[{"Name":"CALM_A"}]},"instance":{"destinations":[{"Name":"CALM_A"}]}}}"#).unwrap();
        assert_eq!(init.iter().map(|d| d.origin.level).collect::<Vec<_>>(), vec![Some(Level::Subaccount), Some(Level::Instance)]);
    }

    #[test]
    fn other_shapes_are_errors_with_lines() {
        let e = load("{\n\"foo\": 1}").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("no destination found"));
        let e = load("[{\"Name\":\"A\",\n\"URL\":{\"x\":1}}]").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("\"URL\" must be a string"));
        assert!(load("[{\"Type\":\"HTTP\"}]").unwrap_err().message.contains("no destination found"));
    }
}
