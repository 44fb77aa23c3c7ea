//! Recognises the JSON/YAML shapes that hold destinations: one flat object, an array,
//! a find response (`destinationConfiguration`), a `config.json` with `init_data`, or an
//! object with a `destinations` array.

use super::InputError;
use super::tree::{Kind, Node};
use crate::model::{Destination, Level, Origin, Property};

const SHAPES: &str = "expected a destination object with \"Name\", an array of them, a find response \
(\"destinationConfiguration\") or a destination service config.json (\"init_data\")";

pub fn destinations(node: &Node, path: &str, out: &mut Vec<Destination>) -> Result<(), InputError> {
    collect(node, path, None, out)
}

fn collect(node: &Node, path: &str, level: Option<Level>, out: &mut Vec<Destination>) -> Result<(), InputError> {
    match &node.kind {
        Kind::Seq(items) => {
            for item in items {
                if matches!(item.kind, Kind::Seq(_)) {
                    return Err(InputError::new(path, Some(item.line), format!("nested array: {SHAPES}")));
                }
                collect(item, path, level, out)?;
            }
            Ok(())
        }
        Kind::Map(_) => {
            if let Some(init) = node.get("init_data") {
                return init_data(init, path, out);
            }
            if let Some(config) = node.get("destinationConfiguration") {
                return flat(config, path, level, out);
            }
            if node.get("Name").is_some() {
                return flat(node, path, level, out);
            }
            if let Some(list) = node.get("destinations") {
                return match list.kind {
                    Kind::Seq(_) => collect(list, path, level, out),
                    _ => Err(InputError::new(path, Some(list.line), "\"destinations\" must be an array")),
                };
            }
            Err(InputError::new(path, Some(node.line), format!("no destination found: {SHAPES}")))
        }
        _ => Err(InputError::new(path, Some(node.line), format!("found {}: {SHAPES}", node.describe()))),
    }
}

fn init_data(init: &Node, path: &str, out: &mut Vec<Destination>) -> Result<(), InputError> {
    let Kind::Map(entries) = &init.kind else {
        return Err(InputError::new(path, Some(init.line), "\"init_data\" must be an object"));
    };
    for (key, line, section) in entries {
        let level = match key.as_str() {
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
            Some(list @ Node { kind: Kind::Seq(_), .. }) => collect(list, path, Some(level), out)?,
            Some(other) => return Err(InputError::new(path, Some(other.line), "\"destinations\" must be an array")),
            None => {}
        }
    }
    Ok(())
}

fn flat(node: &Node, path: &str, level: Option<Level>, out: &mut Vec<Destination>) -> Result<(), InputError> {
    let Kind::Map(entries) = &node.kind else {
        return Err(InputError::new(path, Some(node.line), format!("found {}: a destination must be an object", node.describe())));
    };
    let mut properties = Vec::with_capacity(entries.len());
    for (key, line, value) in entries {
        let text = match &value.kind {
            Kind::Scalar(s) | Kind::Literal(s) => s.clone(),
            Kind::Null => String::new(),
            _ => {
                return Err(InputError::new(path, Some(*line), format!("property \"{key}\" must be a string, found {}", value.describe())));
            }
        };
        properties.push(Property::new(key.clone(), text, Some(*line)));
    }
    if !properties.iter().any(|p| p.key == "Name") {
        return Err(InputError::new(path, Some(node.line), "destination has no \"Name\""));
    }
    out.push(Destination { properties, origin: Origin::file(path, node.line, level), probe: None });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::tree::parse_json;

    fn load(text: &str) -> Result<Vec<Destination>, InputError> {
        let mut out = Vec::new();
        destinations(&parse_json(text).unwrap(), "f.json", &mut out).map(|()| out)
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
