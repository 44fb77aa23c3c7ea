//! Terraform's JSON view of a plan or a state (`terraform show -json`): the destination
//! resources under `planned_values` (plan) or `values` (state), `root_module` and every
//! `child_modules` entry. Sensitive values are printed there in plain text; they become
//! [`crate::model::Secret`]s like any other. A plan's values that are "known after apply"
//! (`resource_changes[].change.after_unknown`) are unresolved, never judged.

use super::{DESTINATION, DESTINATION_ATTRIBUTES, DESTINATION_GENERIC, Entry, Found, Object, destination};
use crate::model::secret::{REDACTED, is_secret_key};
use crate::model::{CodeKind, Destination, Level};
use crate::source::InputError;
use crate::source::tree::{self, Kind, Node};

/// What Terraform prints for a value only the apply will know.
const AFTER_APPLY: &str = "(known after apply)";

/// Whether a parsed JSON document is `terraform show -json` output.
pub fn is_terraform_json(node: &Node) -> bool {
    node.get("format_version").is_some() && (node.get("planned_values").is_some() || node.get("values").is_some())
}

/// Reads the destinations of a plan or state; a document with no destination resource gives none.
pub fn read(path: &str, text: &str) -> Result<Vec<Destination>, InputError> {
    let node = tree::parse_json(text).map_err(|e| super::terraform::syntax::json_error(path, e))?;
    read_tree(path, &node)
}

/// [`read`] of an already parsed document.
pub fn read_tree(path: &str, node: &Node) -> Result<Vec<Destination>, InputError> {
    let (root, kind) = match (node.get("planned_values"), node.get("values")) {
        (Some(plan), _) => (plan, CodeKind::TerraformPlan),
        (None, Some(state)) => (state, CodeKind::TerraformState),
        (None, None) => return Err(InputError::new(path, Some(node.line), "not a Terraform plan or state: no planned_values or values")),
    };
    let reader = Reader { path, kind, changes: node.get("resource_changes") };
    let mut out = Vec::new();
    if let Some(module) = root.get("root_module") {
        reader.module(module, &mut out)?;
    }
    Ok(out)
}

struct Reader<'a, 'n> {
    path: &'a str,
    kind: CodeKind,
    changes: Option<&'n Node<'n>>,
}

impl<'n> Reader<'_, 'n> {
    fn module(&self, module: &Node, out: &mut Vec<Destination>) -> Result<(), InputError> {
        for r in list(module.get("resources")) {
            self.resource(r, out)?;
        }
        for child in list(module.get("child_modules")) {
            self.module(child, out)?;
        }
        Ok(())
    }

    /// `after_unknown` of the resource's planned change: which attributes the apply decides.
    fn unknown(&self, address: &str) -> Option<&'n Node<'n>> {
        list(self.changes)
            .iter()
            .find(|c| c.get("address").and_then(Node::as_scalar) == Some(address))
            .and_then(|c| c.get("change"))
            .and_then(|c| c.get("after_unknown"))
    }

    fn resource(&self, r: &Node, out: &mut Vec<Destination>) -> Result<(), InputError> {
        if r.get("mode").and_then(Node::as_scalar) == Some("data") {
            return Ok(());
        }
        let kind = r.get("type").and_then(Node::as_scalar).unwrap_or_default();
        let address = r.get("address").and_then(Node::as_scalar).unwrap_or("?").to_owned();
        let Some(values) = r.get("values") else { return Ok(()) };
        let unknown = self.unknown(&address);
        let is_unknown = |attr: &str| unknown.and_then(|u| u.get(attr)).is_some_and(|v| matches!(&v.kind, Kind::Literal(t) if t == "true"));
        let opaque = is_unknown("additional_configuration").then(|| format!("additional_configuration {AFTER_APPLY}"));
        let object = |level| Object {
            path: self.path,
            line: r.line,
            level: Some(level),
            kind: self.kind,
            name: address.clone(),
            opaque: opaque.clone(),
            cloud_alm_hint: false,
            name_start: None,
        };
        let level = match values.get("service_instance_id") {
            Some(Node { kind: Kind::Scalar(id), .. }) if !id.is_empty() => Level::Instance,
            _ if is_unknown("service_instance_id") => Level::Instance,
            _ => Level::Subaccount,
        };
        match kind {
            DESTINATION => {
                let mut entries = Vec::new();
                for (attr, property) in DESTINATION_ATTRIBUTES {
                    if is_unknown(attr) {
                        entries.push(self.entry(property, Found::Unresolved(AFTER_APPLY.into()), values.key_line(attr).unwrap_or(r.line)));
                    } else if let Some(text) = values.get(attr).and_then(scalar_text) {
                        entries.push(self.entry(property, Found::Text(text), values.key_line(attr).unwrap_or(r.line)));
                    }
                }
                if is_unknown("additional_configuration") {
                    let line = values.key_line("additional_configuration").unwrap_or(r.line);
                    entries.push(self.entry("additional_configuration", Found::Unresolved(AFTER_APPLY.into()), line));
                } else if let Some(json) = values.get("additional_configuration") {
                    self.encoded(json, "additional_configuration", &address, &mut entries)?;
                }
                out.push(destination(entries, object(level)));
            }
            DESTINATION_GENERIC => {
                let mut entries = Vec::new();
                if let Some(json) = values.get("destination_configuration") {
                    self.encoded(json, "destination_configuration", &address, &mut entries)?;
                }
                if !entries.iter().any(|e| e.key == "Name") {
                    return Err(InputError::new(self.path, Some(r.line), format!("{address}: destination_configuration has no \"Name\"")));
                }
                out.push(destination(entries, object(level)));
            }
            _ => {
                // A destination service instance whose parameters carry `init_data`.
                let Some(params) = values.get("parameters").and_then(Node::as_scalar) else { return Ok(()) };
                if !params.contains("init_data") {
                    return Ok(());
                }
                let line = values.key_line("parameters").unwrap_or(r.line);
                let doc = self.parse_encoded(params, "parameters", &address, line)?;
                let Some(init) = doc.get("init_data") else { return Ok(()) };
                for (section, level) in [("subaccount", Level::Instance), ("instance", Level::Instance)] {
                    // A service instance's init_data creates destinations of that instance,
                    // except those under `subaccount`, which land on the subaccount.
                    let level = if section == "subaccount" { Level::Subaccount } else { level };
                    for item in list(init.get(section).and_then(|s| s.get("destinations"))) {
                        let mut entries = Vec::new();
                        self.flat(item, line, &address, &mut entries)?;
                        out.push(destination(entries, Object { line, ..object(level) }));
                    }
                }
            }
        }
        Ok(())
    }

    fn entry(&self, key: &str, value: Found, line: u32) -> Entry {
        Entry { key: key.to_owned(), value, path: self.path.to_owned(), line, key_line: None }
    }

    fn parse_encoded<'t>(&self, text: &'t str, attr: &str, address: &str, line: u32) -> Result<Node<'t>, InputError> {
        // The message of a JSON syntax error names a position, never the text around it.
        tree::parse_json(text)
            .map_err(|e| InputError::new(self.path, Some(line), format!("{address}: {attr} is not a JSON object: {}", e.message)))
    }

    /// A JSON-encoded destination object: every property on the line of the attribute.
    fn encoded(&self, json: &Node, attr: &str, address: &str, entries: &mut Vec<Entry>) -> Result<(), InputError> {
        let text = match &json.kind {
            Kind::Scalar(t) => t,
            Kind::Null => return Ok(()),
            _ => return Err(InputError::new(self.path, Some(json.line), format!("{address}: {attr} must be a JSON string"))),
        };
        let doc = self.parse_encoded(text, attr, address, json.line)?;
        self.flat(&doc, json.line, address, entries)
    }

    fn flat(&self, object: &Node, line: u32, address: &str, entries: &mut Vec<Entry>) -> Result<(), InputError> {
        let Kind::Map(pairs) = &object.kind else {
            return Err(InputError::new(self.path, Some(line), format!("{address}: a destination must be a JSON object")));
        };
        for (key, _, value) in pairs {
            let Some(text) = scalar_text(value) else {
                return Err(InputError::new(self.path, Some(line), format!("{address}: property \"{key}\" must be a string")));
            };
            // The Destination service hands secrets to the provider as `<redacted>`.
            let value = if text == REDACTED && is_secret_key(key) { Found::Removed } else { Found::Text(text) };
            entries.push(self.entry(key, value, line));
        }
        Ok(())
    }
}

fn list<'n>(node: Option<&'n Node<'n>>) -> &'n [Node<'n>] {
    match node.map(|n| &n.kind) {
        Some(Kind::Seq(items)) => items,
        _ => &[],
    }
}

/// A string, number or boolean as text; `None` for null and structures.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.kind {
        Kind::Scalar(s) | Kind::Literal(s) => Some(s.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    /// The layout of `terraform show -json` (Terraform 1.11) with a plan of SAP's resources.
    const PLAN: &str = include_str!("../../../tests/code/terraform/plan.json");
    const STATE: &str = include_str!("../../../tests/code/terraform/state.json");

    #[test]
    fn plan_resources_in_root_and_child_modules() {
        let ds = read("plan.json", PLAN).unwrap();
        let names: Vec<(&str, &str)> =
            ds.iter().map(|d| (d.name(), d.origin.code.as_ref().map(|c| c.object.as_str()).unwrap_or_default())).collect();
        assert_eq!(
            names,
            [
                ("CALM_BPMON", "btp_subaccount_destination.bpmon"),
                ("CALM_GENERIC", "btp_subaccount_destination_generic.generic"),
                ("CALM_INIT", "btp_subaccount_service_instance.destinations"),
                ("CALM_CHILD", "module.calm.btp_subaccount_destination.child"),
            ]
        );
        assert_eq!(ds[0].code_kind(), Some(CodeKind::TerraformPlan));
        assert_eq!(ds[1].origin.level, Some(Level::Instance));
        assert_eq!(ds[2].origin.level, Some(Level::Subaccount));
        assert_eq!(ds[0].text("tokenServiceURLType"), Some("dedicated"));
        assert!(matches!(ds[0].get("clientSecret").unwrap().value, Value::Secret(_)));
        // Known only after apply: never judged.
        assert_eq!(ds[3].get("URL").unwrap().expression(), Some(AFTER_APPLY));
    }

    #[test]
    fn state_resources() {
        let ds = read("state.json", STATE).unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].code_kind(), Some(CodeKind::TerraformState));
        assert_eq!(ds[0].text("URL"), Some("https://acme.eu10.alm.cloud.sap/"));
        assert!(ds[0].line_of("clientId") > 1);
        // What the Destination service hid from the provider is not a secret value.
        assert!(matches!(ds[0].get("clientSecret").unwrap().value, Value::Removed));
    }

    #[test]
    fn hostile_documents_are_errors_naming_the_resource() {
        let bad = r#"{"format_version":"1.0","values":{"root_module":{"resources":[{"address":"btp_subaccount_destination.x","type":"btp_subaccount_destination","values":{"name":"CALM_X","additional_configuration":"{\"clientSecret\": \"hunter2\","}}]}}}"#;
        let e = read("s.json", bad).unwrap_err();
        assert!(e.message.contains("btp_subaccount_destination.x"), "{}", e.message);
        assert!(!e.message.contains("hunter2"));
        let nested = r#"{"format_version":"1.0","values":{"root_module":{"resources":[{"address":"a","type":"btp_subaccount_destination","values":{"name":"CALM_X","additional_configuration":"{\"clientId\": {\"x\": 1}}"}}]}}}"#;
        assert!(read("s.json", nested).unwrap_err().message.contains("\"clientId\" must be a string"));
        let deep = format!(r#"{{"format_version":"1.0","values":{{"root_module":{}}}}}"#, "{\"child_modules\":[".repeat(100));
        assert!(read("s.json", &deep).is_err());
        assert!(read("s.json", r#"{"format_version":"1.0","values":{}}"#).unwrap().is_empty());
    }
}
