//! MTA deployment descriptors (`mta.yaml`) and extension descriptors (`*.mtaext`).
//!
//! Read as the deployer reads YAML ([`super::yaml`]: YAML 1.1 scalars, anchors, aliases and
//! merge keys). Destinations are declared in two places (SAP's MTA documentation for the Destination
//! service): a destination service resource's `parameters.config.init_data.{subaccount|instance}
//! .destinations`, and a content module's (`com.sap.application.content`)
//! `parameters.content.{subaccount|instance}.destinations`. Extension descriptors given in the
//! same run are applied as the deployer does: by `extends` chain, module and resource
//! `parameters` merged by name (maps merged key by key, anything else replaced).

use super::bound::Bounds;
use super::yaml::{self, Kind, Node};
use super::{Entry, Found, Object, destination, has_placeholder};
use crate::model::{CodeKind, Destination, Level};
use crate::source::InputError;

/// A descriptor's tree, each value knowing the file and line it was written on, so that a
/// value an extension overrides points into the extension.
#[derive(Clone, Debug)]
struct Val {
    file: usize,
    line: u32,
    kind: VKind,
}

#[derive(Clone, Debug)]
enum VKind {
    /// Keys in order, each with its line.
    Map(Vec<(String, u32, Val)>),
    Seq(Vec<Val>),
    Text(String),
    Null,
}

impl Val {
    fn get(&self, key: &str) -> Option<&Val> {
        match &self.kind {
            VKind::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match &self.kind {
            VKind::Text(t) => Some(t),
            _ => None,
        }
    }

    fn describe(&self) -> &'static str {
        match self.kind {
            VKind::Map(_) => "a map",
            VKind::Seq(_) => "a list",
            VKind::Text(_) => "a value",
            VKind::Null => "nothing",
        }
    }

    fn from_node(node: Node, file: usize) -> Val {
        let kind = match node.kind {
            Kind::Map(entries) => VKind::Map(entries.into_iter().map(|(k, l, v)| (k, l, Val::from_node(v, file))).collect()),
            Kind::Seq(items) => VKind::Seq(items.into_iter().map(|v| Val::from_node(v, file)).collect()),
            Kind::Text(s) => VKind::Text(s),
            Kind::Null => VKind::Null,
        };
        Val { file, line: node.line, kind }
    }

    /// The deployer's merge of extension parameters: maps key by key, anything else replaced.
    fn merge(&mut self, other: Val) {
        match (&mut self.kind, other.kind) {
            (VKind::Map(mine), VKind::Map(theirs)) => {
                for (key, line, value) in theirs {
                    match mine.iter_mut().find(|(k, _, _)| *k == key) {
                        Some((_, _, existing)) => existing.merge(value),
                        None => mine.push((key, line, value)),
                    }
                }
            }
            (_, kind) => *self = Val { file: other.file, line: other.line, kind },
        }
    }
}

/// One parsed descriptor file.
struct Descriptor {
    path: String,
    root: Val,
}

impl Descriptor {
    fn parse(path: &str, text: &str, file: usize, bounds: &Bounds) -> Result<Descriptor, InputError> {
        let docs = yaml::parse_bounded(text, bounds).map_err(|e| match e.bound {
            Some(bound) => InputError { bound: Some(bound), ..InputError::new(path, e.line, e.message) },
            None => InputError::new(path, e.line, e.message),
        })?;
        let mut docs = docs.into_iter();
        let root = match (docs.next(), docs.next()) {
            (Some(root @ Node { kind: Kind::Map(_), .. }), None) => Val::from_node(root, file),
            (Some(other), None) => {
                return Err(InputError::new(path, Some(other.line), format!("an MTA descriptor is a map, found {}", other.describe())));
            }
            (None, _) => return Err(InputError::new(path, None, "empty MTA descriptor")),
            (Some(_), Some(second)) => {
                return Err(InputError::new(path, Some(second.line), "an MTA descriptor is one YAML document, found several"));
            }
        };
        Ok(Descriptor { path: path.to_owned(), root })
    }

    fn id(&self) -> Option<&str> {
        self.root.get("ID").and_then(Val::text)
    }

    fn extends(&self) -> Option<&str> {
        self.root.get("extends").and_then(Val::text)
    }
}

/// Whether a file name is an MTA deployment descriptor.
pub fn is_descriptor_name(name: &str) -> bool {
    matches!(name, "mta.yaml" | "mta.yml")
}

/// Whether a file name is an MTA extension descriptor.
pub fn is_extension_name(name: &str) -> bool {
    name.len() > ".mtaext".len() && name.to_ascii_lowercase().ends_with(".mtaext")
}

/// Reads every descriptor of a run with the extension descriptors of the same run applied.
/// `files` are `(display path, text)`; extensions are recognised by their `extends` key.
/// A descriptor that declares no destination gives none (the caller counts it as skipped).
pub fn read(files: &[(&str, &str)]) -> Result<Vec<Destination>, InputError> {
    read_bounded(files, &Bounds::default())
}

/// [`read`] within `bounds`: a bound reached is an error with [`InputError::bound`] set.
pub fn read_bounded(files: &[(&str, &str)], bounds: &Bounds) -> Result<Vec<Destination>, InputError> {
    let mut descriptors = Vec::new();
    let mut extensions = Vec::new();
    for (i, (path, text)) in files.iter().enumerate() {
        let d = Descriptor::parse(path, text, i, bounds)?;
        if d.extends().is_some() {
            extensions.push(d);
        } else if d.id().is_some() {
            descriptors.push(d);
        } else {
            return Err(InputError::new(*path, Some(d.root.line), "not an MTA descriptor: it has neither \"ID\" nor \"extends\""));
        }
    }
    let paths: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    let mut used = vec![false; extensions.len()];
    let mut out = Vec::new();
    for mut d in descriptors {
        // Follow the chain: the descriptor, an extension of it, an extension of that one...
        let mut id = d.id().unwrap_or_default().to_owned();
        let mut seen = 0;
        while let Some(i) = extensions.iter().position(|e| e.extends() == Some(id.as_str())) {
            if used[i] || seen > extensions.len() {
                break;
            }
            if let Some(j) = extensions.iter().skip(i + 1).position(|e| e.extends() == Some(id.as_str())) {
                let other = &extensions[i + 1 + j];
                return Err(InputError::new(
                    other.path.clone(),
                    None,
                    format!("both {} and this file extend \"{id}\"; the deployer takes one extension per ID", extensions[i].path),
                ));
            }
            used[i] = true;
            seen += 1;
            apply(&mut d, &extensions[i])?;
            id = extensions[i].id().unwrap_or_default().to_owned();
        }
        destinations_of(&d, &paths, &mut out)?;
    }
    if let Some(i) = used.iter().position(|u| !u) {
        let e = &extensions[i];
        return Err(InputError::new(
            e.path.clone(),
            e.root.get("extends").map(|v| v.line),
            format!("extends \"{}\", but no descriptor of this run has that ID", e.extends().unwrap_or_default()),
        ));
    }
    Ok(out)
}

/// Applies one extension: top-level `parameters`, and module and resource `parameters` by name.
fn apply(d: &mut Descriptor, ext: &Descriptor) -> Result<(), InputError> {
    if let (Some(theirs), VKind::Map(entries)) = (ext.root.get("parameters"), &mut d.root.kind) {
        match entries.iter_mut().find(|(k, _, _)| k == "parameters") {
            Some((_, _, mine)) => mine.merge(theirs.clone()),
            None => entries.push(("parameters".into(), theirs.line, theirs.clone())),
        }
    }
    for section in ["modules", "resources"] {
        let Some(list) = ext.root.get(section) else { continue };
        let VKind::Seq(items) = &list.kind else {
            return Err(InputError::new(ext.path.clone(), Some(list.line), format!("\"{section}\" must be a list")));
        };
        for item in items {
            let Some(name) = item.get("name").and_then(Val::text) else {
                return Err(InputError::new(ext.path.clone(), Some(item.line), format!("an entry of \"{section}\" has no name")));
            };
            let Some(target) = find_named_mut(&mut d.root, section, name) else {
                return Err(InputError::new(
                    ext.path.clone(),
                    Some(item.line),
                    format!("extends {section} \"{name}\", which {} does not declare", d.path),
                ));
            };
            let Some(theirs) = item.get("parameters") else { continue };
            match &mut target.kind {
                VKind::Map(entries) => match entries.iter_mut().find(|(k, _, _)| k == "parameters") {
                    Some((_, _, mine)) => mine.merge(theirs.clone()),
                    None => entries.push(("parameters".into(), theirs.line, theirs.clone())),
                },
                _ => return Err(InputError::new(d.path.clone(), Some(target.line), format!("\"{name}\" must be a map"))),
            }
        }
    }
    Ok(())
}

fn find_named_mut<'a>(root: &'a mut Val, section: &str, name: &str) -> Option<&'a mut Val> {
    let VKind::Map(entries) = &mut root.kind else { return None };
    let (_, _, list) = entries.iter_mut().find(|(k, _, _)| k == section)?;
    let VKind::Seq(items) = &mut list.kind else { return None };
    items.iter_mut().find(|i| i.get("name").and_then(Val::text) == Some(name))
}

fn destinations_of(d: &Descriptor, paths: &[&str], out: &mut Vec<Destination>) -> Result<(), InputError> {
    if let Some(resources) = d.root.get("resources") {
        for r in items(resources, &d.path, "resources")? {
            let params = r.get("parameters");
            if params.and_then(|p| p.get("service")).and_then(Val::text) != Some("destination") {
                continue;
            }
            let Some(init) = params.and_then(|p| p.get("config")).and_then(|c| c.get("init_data")) else { continue };
            let name = format!("resource {}", r.get("name").and_then(Val::text).unwrap_or("?"));
            let scopes: Vec<&Val> = params.into_iter().chain(d.root.get("parameters")).collect();
            levels(init, &name, &d.path, paths, &scopes, out)?;
        }
    }
    if let Some(modules) = d.root.get("modules") {
        for m in items(modules, &d.path, "modules")? {
            if m.get("type").and_then(Val::text) != Some("com.sap.application.content") {
                continue;
            }
            let Some(content) = m.get("parameters").and_then(|p| p.get("content")) else { continue };
            let name = format!("module {}", m.get("name").and_then(Val::text).unwrap_or("?"));
            let scopes: Vec<&Val> = m.get("parameters").into_iter().chain(d.root.get("parameters")).collect();
            levels(content, &name, &d.path, paths, &scopes, out)?;
        }
    }
    Ok(())
}

fn items<'a>(list: &'a Val, path: &str, what: &str) -> Result<&'a [Val], InputError> {
    match &list.kind {
        VKind::Seq(items) => Ok(items),
        VKind::Null => Ok(&[]),
        _ => Err(InputError::new(path, Some(list.line), format!("\"{what}\" must be a list, found {}", list.describe()))),
    }
}

/// `subaccount` and `instance` sections, each with a `destinations` list.
fn levels(holder: &Val, object: &str, path: &str, paths: &[&str], scopes: &[&Val], out: &mut Vec<Destination>) -> Result<(), InputError> {
    for (section, level) in [("subaccount", Level::Subaccount), ("instance", Level::Instance)] {
        let Some(list) = holder.get(section).and_then(|s| s.get("destinations")) else { continue };
        let file = paths.get(list.file).copied().unwrap_or(path);
        for item in items(list, file, "destinations")? {
            out.push(one(item, object, level, paths, scopes)?);
        }
    }
    Ok(())
}

/// Resolves `${name}` placeholders from the parameters the descriptor and its extensions write
/// (the module's or resource's own, then the global ones), as the deployer does. `None` when
/// any placeholder is left for the deployment (system parameters such as `${default-url}`,
/// `~{...}` references, names no descriptor of the run defines). A value that is one whole
/// placeholder is located where its parameter is written.
fn resolve<'v>(text: &str, scopes: &[&'v Val]) -> Option<(String, Option<&'v Val>)> {
    let mut out = String::new();
    let mut rest = text;
    let mut only: Option<&Val> = None;
    let mut count = 0;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}')? + start;
        let name = &rest[start + 2..end];
        let value = scopes.iter().find_map(|s| s.get(name))?;
        out.push_str(&rest[..start]);
        out.push_str(value.text()?);
        only = Some(value);
        count += 1;
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    // A value of a parameter is not resolved again: the deployer resolves one level here too.
    if has_placeholder(&out) {
        return None;
    }
    let whole = count == 1 && text.trim().starts_with("${") && text.trim().ends_with('}');
    Some((out, only.filter(|_| whole)))
}

fn one(item: &Val, object: &str, level: Level, paths: &[&str], scopes: &[&Val]) -> Result<Destination, InputError> {
    let path = paths.get(item.file).copied().unwrap_or_default();
    let VKind::Map(entries) = &item.kind else {
        return Err(InputError::new(path, Some(item.line), format!("a destination must be a map, found {}", item.describe())));
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, line, value) in entries {
        let at = paths.get(value.file).copied().unwrap_or(path);
        let text = match &value.kind {
            VKind::Text(t) => t.clone(),
            VKind::Null => String::new(),
            _ => {
                return Err(InputError::new(at, Some(*line), format!("property \"{key}\" must be a value, found {}", value.describe())));
            }
        };
        // A value is located where it is written: beside its key, or where the anchor an alias
        // names is.
        let written = if matches!(value.kind, VKind::Null) { *line } else { value.line };
        let (found, at, value_line) = if has_placeholder(&text) {
            match resolve(&text, scopes) {
                Some((resolved, Some(param))) => (Found::Text(resolved), paths.get(param.file).copied().unwrap_or(at), param.line),
                Some((resolved, None)) => (Found::Text(resolved), at, written),
                None => (Found::Unresolved(text), at, written),
            }
        } else {
            (Found::Text(text), at, written)
        };
        out.push(Entry { key: key.clone(), value: found, path: at.to_owned(), line: value_line, key_line: Some(*line) });
    }
    if !out.iter().any(|e| e.key == "Name") {
        return Err(InputError::new(path, Some(item.line), "destination has no \"Name\""));
    }
    let placeholder = |key: &str| {
        out.iter().find(|e| e.key == key).and_then(|e| match &e.value {
            Found::Unresolved(t) | Found::Computed(t) => Some(t.as_str()),
            _ => None,
        })
    };
    let name_start = placeholder("Name").map(|n| &n[..n.find("${").into_iter().chain(n.find("~{")).min().unwrap_or(n.len())]);
    let url = placeholder("URL").map(|u| {
        let mut shape = String::new();
        let mut rest = u;
        while let Some(start) = rest.find("${").into_iter().chain(rest.find("~{")).min() {
            shape.push_str(&rest[..start]);
            shape.push('x');
            rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
        }
        shape.push_str(rest);
        shape
    });
    let hint = super::shows_cloud_alm(name_start, url.as_deref());
    let object = Object {
        path,
        line: item.line,
        level: Some(level),
        kind: CodeKind::Mta,
        name: object.to_owned(),
        opaque: None,
        cloud_alm_hint: hint,
        name_start: name_start.map(str::to_owned),
    };
    Ok(destination(out, object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    pub const MTA: &str = r#"_schema-version: "3.1"
ID: acme.calm
version: 1.0.0
modules:
  - name: calm-content
    type: com.sap.application.content
    requires:
      - name: calm-destination
        parameters:
          content-target: true
    parameters:
      content:
        instance:
          existing_destinations_policy: update
          destinations:
            - Name: CALM_CONTENT
              Type: HTTP
              URL: https://acme.eu10.alm.cloud.sap/
              clientSecret: ${calm-secret}
  - name: srv
    type: nodejs
resources:
  - name: calm-destination
    type: org.cloudfoundry.managed-service
    parameters:
      service: destination
      service-plan: lite
      config:
        init_data:
          subaccount:
            existing_destinations_policy: update
            destinations:
              - Name: CALM_BPMON
                Type: HTTP
                URL: https://acme.eu10.alm.cloud.sap/api
                clientSecret: written-here
                tokenServiceURLType: Common
  - name: db
    type: org.cloudfoundry.managed-service
    parameters:
      service: hana
"#;

    fn read_one(text: &str) -> Result<Vec<Destination>, InputError> {
        read(&[("mta.yaml", text)])
    }

    #[test]
    fn both_places_and_both_levels() {
        let ds = read_one(MTA).unwrap();
        assert_eq!(ds.iter().map(Destination::name).collect::<Vec<_>>(), ["CALM_BPMON", "CALM_CONTENT"]);
        assert_eq!(ds[0].origin.level, Some(Level::Subaccount));
        assert_eq!(ds[1].origin.level, Some(Level::Instance));
        assert_eq!(ds[0].qualified_origin(), "mta.yaml:33 resource calm-destination (subaccount level)");
        assert_eq!(ds[1].qualified_origin(), "mta.yaml:16 module calm-content (instance level)");
        assert_eq!((ds[0].line_of("URL"), ds[0].line_of("tokenServiceURLType")), (35, 37));
        assert_eq!(ds[1].line_of("URL"), 18);
    }

    #[test]
    fn placeholders_are_unresolved_and_literal_secrets_kept_as_secrets() {
        let ds = read_one(MTA).unwrap();
        assert_eq!(ds[1].get("clientSecret").unwrap().expression(), Some("${calm-secret}"));
        assert!(matches!(ds[0].get("clientSecret").unwrap().value, Value::Secret(_)));
        assert!(!format!("{:?}", ds[0]).contains("written-here"));
    }

    #[test]
    fn an_extension_overrides_parameters_as_the_deployer_would() {
        let ext = "_schema-version: '3.1'\nID: acme.calm.prod\nextends: acme.calm\nresources:\n  - name: calm-destination\n    parameters:\n      config:\n        init_data:\n          subaccount:\n            destinations:\n              - Name: CALM_BPMON\n                URL: https://prod.eu10.alm.cloud.sap/\n                clientSecret: ${prod-secret}\n";
        let ds = read(&[("mta.yaml", MTA), ("prod.mtaext", ext)]).unwrap();
        let bpmon = ds.iter().find(|d| d.name() == "CALM_BPMON").unwrap();
        assert_eq!(bpmon.text("URL"), Some("https://prod.eu10.alm.cloud.sap/"));
        assert_eq!((bpmon.path_of("URL"), bpmon.line_of("URL")), ("prod.mtaext", 12));
        // A list is replaced, not merged: the extension's destination is the whole destination.
        assert!(bpmon.get("tokenServiceURLType").is_none());
        assert_eq!(&*bpmon.origin.path, "prod.mtaext");
        // The module the extension does not touch stays in the descriptor.
        assert_eq!(&*ds.iter().find(|d| d.name() == "CALM_CONTENT").unwrap().origin.path, "mta.yaml");
    }

    #[test]
    fn an_extension_merges_maps_key_by_key() {
        let ext = "ID: x.ext\nextends: acme.calm\nresources:\n  - name: calm-destination\n    parameters:\n      service-plan: standard\n";
        let ds = read(&[("mta.yaml", MTA), ("x.mtaext", ext)]).unwrap();
        assert_eq!(ds.len(), 2, "config kept when the extension changes another parameter");
    }

    #[test]
    fn extension_faults_are_errors_naming_the_extension() {
        let orphan = read(&[("mta.yaml", MTA), ("o.mtaext", "ID: o\nextends: other.id\n")]).unwrap_err();
        assert_eq!((orphan.path.as_str(), orphan.line), ("o.mtaext", Some(2)));
        let unknown = read(&[("mta.yaml", MTA), ("u.mtaext", "ID: u\nextends: acme.calm\nmodules:\n  - name: nope\n")]).unwrap_err();
        assert!(unknown.message.contains("\"nope\""), "{}", unknown.message);
        assert_eq!(unknown.line, Some(4));
    }

    #[test]
    fn placeholders_resolve_from_the_parameters_of_the_run_and_point_there() {
        let ext = "ID: p\nextends: acme.calm\nparameters:\n  calm-secret: from-the-extension\n";
        let ds = read(&[("mta.yaml", MTA), ("p.mtaext", ext)]).unwrap();
        let content = ds.iter().find(|d| d.name() == "CALM_CONTENT").unwrap();
        assert!(matches!(content.get("clientSecret").unwrap().value, Value::Secret(_)));
        assert_eq!((content.path_of("clientSecret"), content.line_of("clientSecret")), ("p.mtaext", 4));
        // System parameters and references stay with the deployment.
        let sys = MTA.replace(
            "https://acme.eu10.alm.cloud.sap/\n              clientSecret",
            "https://${default-host}/\n              clientSecret",
        );
        let ds = read_one(&sys).unwrap();
        assert_eq!(ds[1].get("URL").unwrap().expression(), Some("https://${default-host}/"));
    }

    #[test]
    fn shared_properties_and_yaml_1_1_booleans_are_read_as_the_deployer_reads_them() {
        let text = "ID: a\nx-calm: &calm\n  Type: HTTP\n  TrustAll: yes\n  URL: https://acme.eu10.alm.cloud.sap/\nresources:\n  - name: d\n    parameters:\n      service: destination\n      config:\n        init_data:\n          subaccount:\n            destinations:\n              - <<: *calm\n                Name: CALM_A\n              - Name: CALM_B\n                URL: *url_b\n";
        // An alias of an anchor that does not exist is a located error.
        assert_eq!(read_one(text).unwrap_err().line, Some(17));
        let text = text.replace("*url_b", "'https://b.eu10.alm.cloud.sap/'");
        let ds = read_one(&text).unwrap();
        assert_eq!(ds[0].text("TrustAll"), Some("true"), "yes is true to the deployer");
        assert_eq!((ds[0].line_of("TrustAll"), ds[0].line_of("Name")), (4, 15), "each value where it is written");
        assert_eq!(ds[0].text("URL"), Some("https://acme.eu10.alm.cloud.sap/"));
        assert_eq!(ds[1].get("TrustAll").map(|p| p.line), None);
    }

    #[test]
    fn descriptors_without_destinations_give_none() {
        assert!(read_one("ID: a\nmodules:\n  - name: srv\n    type: nodejs\n").unwrap().is_empty());
    }

    #[test]
    fn hostile_descriptors_are_errors_not_panics() {
        let mut bomb = String::from("ID: a\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
        for i in 1..9 {
            bomb.push_str(&format!("x{i}: &x{i} [{}]\n", vec![format!("*x{}", i - 1); 10].join(", ")));
        }
        assert!(read_one(&bomb).unwrap_err().message.contains("alias bomb"));
        let deep = format!("ID: a\nx: {}{}\n", "[".repeat(200), "]".repeat(200));
        let e = read_one(&deep).unwrap_err();
        assert_eq!(e.bound, Some(super::super::bound::Bound::Depth(64)), "{e}");
        assert!(e.message.contains("nesting depth"), "{e}");
        assert!(read_one("- 1\n").is_err());
        assert!(read_one("ID: a\nresources: 5\n").unwrap_err().message.contains("must be a list"));
        let bad_dest = MTA.replace("Type: HTTP\n                URL", "Type: [HTTP]\n                URL");
        assert_eq!(read_one(&bad_dest).unwrap_err().line, Some(34));
        for text in ["", "ID: [", "\u{0}", "--- a\n--- b\n", "ID: a\nextends: a\n"] {
            let _ = read_one(text);
        }
    }
}
