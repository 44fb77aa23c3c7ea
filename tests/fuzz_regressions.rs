//! Inputs that fuzzing found to break an invariant, replayed through the fuzz targets' code
//! paths (`fuzz/fuzz_targets/`): each must now load or fail cleanly, with lines from 1.

use calm_audit::rules::{Catalog, Inputs, audit};
use calm_audit::source::code::mta;
use calm_audit::source::files::{Limits, Loaded, load_bytes, load_bytes_slim};
use calm_audit::source::properties;

const NAMES: [&str; 4] = ["export.properties", "destinations.json", "destinations.yaml", "export"];

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("properties-") {
            let text = properties::decode(&data).unwrap();
            if let Ok(parsed) = properties::parse(&text) {
                let lines = text.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r')).count() + 1;
                assert!(parsed.entries.iter().all(|e| e.line >= 1 && e.line as usize <= lines), "{name}");
            }
        } else if name.starts_with("destination_files-") {
            let (selector, content) = data.split_first().unwrap();
            let file = NAMES[usize::from(*selector) % NAMES.len()];
            let general = Limits { general_json_only: true, ..Limits::default() };
            match (load_bytes(file, content, &Limits::default()), load_bytes(file, content, &general)) {
                (Ok(fast), Ok(slow)) => assert_eq!(format!("{:?}", fast.destinations), format!("{:?}", slow.destinations), "{name}"),
                (Err(fast), Err(slow)) => assert_eq!(fast.to_string(), slow.to_string(), "{name}"),
                (fast, slow) => panic!("{name}: fast path {:?}, general reader {:?}", fast.err(), slow.err()),
            }
            if let Ok(whole) = load_bytes(file, content, &Limits::default()) {
                let all = findings(&whole);
                assert!(all.iter().all(|f| f.location.line >= 1), "{name}");
                let slim = load_bytes_slim(file, content, &Limits::default(), Some(None)).unwrap();
                assert_eq!(format!("{all:?}"), format!("{:?}", findings(&slim)), "{name}: slim loading changed a finding");
            }
        } else if name.starts_with("terraform_vars-") {
            // Where the linear reader of variables files answers, the general one agrees.
            use calm_audit::source::code::terraform::{syntax, tfvars};
            let text = String::from_utf8(data).unwrap();
            if let Some(fast) = tfvars::parse(&text, 0) {
                let general = syntax::parse("terraform.tfvars", &text, 0).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(fast.len(), general.attrs.len(), "{name}");
                assert!(
                    fast.iter().zip(&general.attrs).all(|(a, b)| a.name == b.name && a.line == b.line && tfvars::same(&a.expr, &b.expr)),
                    "{name}"
                );
            }
        } else if name.starts_with("mta_anchors-") {
            // Anchors and aliases resolved within the bound; an empty value has no line of its
            // own (the parser marks where it ended) and descriptors locate it at its key.
            let text = String::from_utf8(data).unwrap();
            let lines = u32::try_from(text.lines().count().max(1)).unwrap();
            if let Ok(docs) = calm_audit::source::code::yaml::parse(&text) {
                fn ok(n: &calm_audit::source::code::yaml::Node, max: u32) -> bool {
                    use calm_audit::source::code::yaml::Kind;
                    (matches!(n.kind, Kind::Null) || (1..=max).contains(&n.line))
                        && match &n.kind {
                            Kind::Map(e) => e.iter().all(|(_, l, v)| (1..=max).contains(l) && ok(v, max)),
                            Kind::Seq(i) => i.iter().all(|v| ok(v, max)),
                            _ => true,
                        }
                }
                assert!(docs.iter().all(|d| ok(d, lines)), "{name}");
            }
            let with_id = format!("ID: x\n{text}");
            if let Ok(destinations) = mta::read(&[("mta.yaml", &with_id)]) {
                let max = with_id.lines().count().max(1);
                assert!(
                    destinations.iter().flat_map(|d| &d.properties).all(|p| p.line.is_some_and(|l| l >= 1 && l as usize <= max)),
                    "{name}"
                );
            }
        } else if name.starts_with("mta_descriptors-") {
            // A lone CR is a line break to YAML (and to editors): lines count it.
            let text = String::from_utf8(data).unwrap();
            let (descriptor, extension) = text.split_once('\0').unwrap_or((&text, ""));
            let mut files = vec![("mta.yaml", descriptor)];
            if !extension.is_empty() {
                files.push(("prod.mtaext", extension));
            }
            let lines = |t: &str| t.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r')).count() + 1;
            if let Ok(destinations) = mta::read(&files) {
                for d in &destinations {
                    for p in &d.properties {
                        let within = files.iter().find(|(f, _)| *f == d.path_of(&p.key)).map_or(0, |(_, t)| lines(t));
                        assert!(p.line.is_some_and(|l| l >= 1 && l as usize <= within), "{name}: {}", p.key);
                    }
                }
            }
        } else {
            panic!("{name}: unknown fuzz target prefix");
        }
        replayed += 1;
    }
    assert!(replayed >= 3);
}

/// The whole catalog over what loaded, as the destination_files fuzz target runs it.
fn findings(loaded: &Loaded) -> Vec<calm_audit::model::Finding> {
    let inputs = Inputs {
        destinations: &loaded.destinations,
        destinations_given: true,
        settings: None,
        key: None,
        live: loaded.live,
        probe: loaded.probe,
        incomplete: None,
        ..Default::default()
    };
    audit(Catalog::builtin(), &inputs)
}
