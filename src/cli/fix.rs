//! `calm-audit fix`: reads what `check` reads and writes what to change into one folder
//! (SPEC §5a): a corrected destination file per destination with a fixable failure, in the
//! cockpit's import format, and `SUMMARY.md`. The corrections are the fixes the rules attach to
//! their results ([`crate::model::Fix`]), applied and audited again until nothing more changes,
//! so a corrected file cannot disagree with the rule that asked for it. Never writes to BTP,
//! never into an input, never outside the folder.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use clap::Args;

use super::sources::{Gathered, SourceArgs, gather};
use super::{CliError, Exit, Output, write_atomically};
use crate::model::secret::is_secret_key;
use crate::model::{Destination, Finding, ObjectKind, Property, Status, Value};
use crate::rules::{Catalog, Choices, Inputs, Profiles, audit};

#[derive(Args, Debug)]
#[command(after_help = "Exit codes: 0 everything that could be written was written (or nothing needed fixing); \
2 invalid invocation, unreadable input, or a non-empty DIR without --force; \
3 a source could not be read in full (what could be read was written). See docs/fix.md.")]
pub struct FixArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// The folder to write the corrected destination files and SUMMARY.md into (created when
    /// missing). Nothing is written anywhere else.
    #[arg(long, short, value_name = "DIR", required = true)]
    pub output: PathBuf,
    /// Write into DIR although it is not empty (files of the same name are replaced).
    #[arg(long)]
    pub force: bool,
    /// Judge every in-scope destination by this profile instead of recognising its purpose.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Rounds of apply-and-audit: a fix can reveal another (a URL given its slash then loses its
/// `/api`); more rounds than this means two rules disagree, which is reported, never hidden.
const MAX_ROUNDS: usize = 8;

/// The file name the summary is written to.
pub const SUMMARY: &str = "SUMMARY.md";

/// The file name of the patch for destinations defined as code.
pub const PATCH: &str = "fix.patch";

/// What the patch did for destinations defined as code.
#[derive(Default)]
struct CodePatch {
    patch: String,
    /// By destination: (property, old, new, file:line) patched.
    patched: HashMap<usize, Vec<(String, String, String, String)>>,
    /// By destination: a change the patch could not make, with why.
    refused: HashMap<usize, Vec<String>>,
}

/// The patch for the destinations defined as code: each corrected property's literal, from
/// the value read to the value the rounds settled on, at the line its results point at.
fn code_patch(args: &FixArgs, g: &Gathered, plans: &[Plan]) -> CodePatch {
    let mut out = CodePatch::default();
    // By file: the edits, each with the destinations and properties it serves.
    let mut by_file: BTreeMap<String, Vec<(super::patch::Edit, usize, String)>> = BTreeMap::new();
    for plan in plans.iter().filter(|p| !correctable(&g.destinations[p.index])) {
        let d = &g.destinations[plan.index];
        let mut seen: Vec<&str> = Vec::new();
        for change in &plan.changes {
            let (Change::Set { property, .. } | Change::Removed { property, .. }) = change;
            if seen.contains(&property.as_str()) {
                continue;
            }
            seen.push(property);
            let first = plan
                .changes
                .iter()
                .find(|c| matches!(c, Change::Set { property: p, .. } | Change::Removed { property: p, .. } if p == property));
            let was = match first {
                Some(Change::Set { was: Some(was), .. }) => was.clone(),
                _ => {
                    out.refused.entry(plan.index).or_default().push(format!(
                        "`{}`: add or remove it in the repository (the patch only replaces values written as literals)",
                        md_code(property)
                    ));
                    continue;
                }
            };
            let Some(now) = d.text(property) else {
                out.refused.entry(plan.index).or_default().push(format!("`{}`: remove it in the repository", md_code(property)));
                continue;
            };
            let edit = super::patch::Edit { line: d.line_of(property), old: was, new: now.to_owned() };
            by_file.entry(d.path_of(property).to_owned()).or_default().push((edit, plan.index, property.clone()));
        }
    }
    for (path, mut edits) in by_file {
        let Some(relative) = relative_to_inputs(&path, &args.sources.paths) else {
            for (edit, index, property) in edits {
                out.refused.entry(index).or_default().push(format!(
                    "`{}` at {path}:{}: the file is not under a folder or file given",
                    md_code(&property),
                    edit.line
                ));
            }
            continue;
        };
        let text = std::fs::read(&path).ok().and_then(|b| String::from_utf8(b).ok());
        let (Some(text), Some(syntax)) = (text, super::patch::Syntax::of(&path)) else {
            for (edit, index, property) in edits {
                out.refused.entry(index).or_default().push(format!(
                    "`{}` at {path}:{}: the file cannot be read as UTF-8 text of a known syntax",
                    md_code(&property),
                    edit.line
                ));
            }
            continue;
        };
        // One literal serves several destinations (a variable's value, for_each instances):
        // one edit; two destinations asking different values of it: none.
        edits.sort_by(|a, b| (a.0.line, &a.0.old, &a.0.new).cmp(&(b.0.line, &b.0.old, &b.0.new)));
        let mut unique: Vec<super::patch::Edit> = Vec::new();
        let mut conflicts: Vec<u32> = Vec::new();
        for (edit, ..) in &edits {
            match unique.last() {
                Some(last) if last == edit => {}
                Some(last) if last.line == edit.line && last.old == edit.old => conflicts.push(edit.line),
                _ => unique.push(edit.clone()),
            }
        }
        unique.retain(|e| !conflicts.contains(&e.line));
        let (mut done, mut refused) = super::patch::plan_file(syntax, &text, &unique);
        let masker = crate::output::mask::Masker::current();
        let sensitive = |line: &str| crate::model::secret::holds_remembered(line) || masker.mask(line) != line;
        let (diff, secret_lines) = super::patch::file_diff(&relative, &text, &mut done, &sensitive);
        for line in secret_lines {
            for e in unique.iter().filter(|e| e.line == line) {
                refused.push((e.clone(), "a secret is written on that line or the next, and the patch never holds one"));
            }
        }
        for (edit, index, property) in &edits {
            let at = format!("{relative}:{}", edit.line);
            if conflicts.contains(&edit.line) {
                out.refused
                    .entry(*index)
                    .or_default()
                    .push(format!("`{}` at {at}: destinations that share this value ask for different values", md_code(property)));
            } else if let Some((_, why)) = refused.iter().find(|(e, _)| e == edit) {
                out.refused.entry(*index).or_default().push(format!(
                    "`{}` at {at}: {why}; set it to `{}` there",
                    md_code(property),
                    md_code(&edit.new)
                ));
            } else {
                out.patched.entry(*index).or_default().push((property.clone(), edit.old.clone(), edit.new.clone(), at));
            }
        }
        out.patch.push_str(&diff);
    }
    out
}

/// `path` relative to the folder given on the command line that holds it (a file given: its
/// folder), with `/` separators, as `git apply` and `patch -p1` read it from that folder.
fn relative_to_inputs(path: &str, inputs: &[PathBuf]) -> Option<String> {
    let file = Path::new(path);
    inputs.iter().find_map(|input| {
        let base = if input.is_dir() { input.as_path() } else { input.parent().unwrap_or(Path::new("")) };
        let rest = if base.as_os_str().is_empty() || base == Path::new(".") {
            file.strip_prefix(".").unwrap_or(file)
        } else {
            file.strip_prefix(base).ok()?
        };
        let parts: Vec<String> = rest.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        (!parts.is_empty() && !parts.iter().any(|p| p == "..")).then(|| parts.join("/"))
    })
}

/// One change made to a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    Set { property: String, value: String, was: Option<String>, by: &'static str },
    Removed { property: String, by: &'static str },
}

/// What `fix` worked out for one audited destination.
struct Plan {
    index: usize,
    changes: Vec<Change>,
}

pub fn run(args: &FixArgs) -> Result<Output, CliError> {
    let profile = match &args.profile {
        Some(name) => Some(
            Profiles::builtin()
                .find(name)
                .ok_or_else(|| CliError::Usage(format!("unknown profile \"{name}\": `calm-audit profiles` lists them")))?,
        ),
        None => None,
    };
    check_output_folder(args)?;
    let mut g = gather(&args.sources, false)?;
    if !g.destinations_given {
        return Err(CliError::Usage("nothing to fix: give destination files or folders, or --destination-key".into()));
    }
    if g.destinations.is_empty() && g.failures.is_empty() {
        let paths: Vec<String> = args.sources.paths.iter().map(|p| p.display().to_string()).collect();
        return Err(CliError::Usage(format!("no destination read from {}", paths.join(", "))));
    }
    let choices = Choices { run: profile.map(|p| (p, "chosen with --profile".to_owned())), by_name: Vec::new() };
    // Files are named after the destinations as they were read (a corrected Name is a new one).
    let original: Vec<String> = g.destinations.iter().map(|d| d.name().to_owned()).collect();
    let (plans, rounds_left) = correct(&mut g, &choices);
    let findings = audit_all(&g, &choices);

    // Every file is planned, and every name checked, before the first is written.
    let mut names = Names::default();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut written: HashMap<usize, String> = HashMap::new();
    for plan in plans.iter().filter(|p| !p.changes.is_empty() && correctable(&g.destinations[p.index])) {
        let d = &g.destinations[plan.index];
        let name = names.file_name(&original[plan.index]);
        files.push((args.output.join(&name), properties_file(d, &plan.changes)));
        written.insert(plan.index, name);
    }
    let code = code_patch(args, &g, &plans);
    if !code.patch.is_empty() {
        files.push((args.output.join(PATCH), code.patch.clone()));
    }
    let summary = summary_text(args, &g, &plans, &written, &code, &findings, rounds_left);
    files.push((args.output.join(SUMMARY), summary));
    for (path, _) in &files {
        refuse_link(path)?;
    }
    for (path, text) in &files {
        write_atomically(path, text)?;
    }
    // A patch of an earlier run left in DIR (--force) would be applied as this run's.
    let stale = args.output.join(PATCH);
    if code.patch.is_empty() && std::fs::symlink_metadata(&stale).is_ok_and(|m| m.is_file()) {
        std::fs::remove_file(&stale).map_err(|e| CliError::Write { path: stale.display().to_string(), message: e.to_string() })?;
    }

    let mut stderr: Vec<String> = g.failures.iter().map(|f| format!("incomplete: {}: {}", f.source, f.message)).collect();
    stderr.extend(g.notes.iter().cloned());
    stderr.push(format!("wrote {} corrected destination file(s) and {SUMMARY} to {}", written.len(), args.output.display()));
    let exit = if g.failures.is_empty() { Exit::Clean } else { Exit::Incomplete };
    super::release(g);
    Ok(Output { stdout: String::new(), stderr, exit, stream: None })
}

/// Finds, for the SARIF `fixes`, where each failing result's literal stands on its line: the
/// value the property holds now, written as the file's syntax writes it, exactly once ([`super::patch`]).
/// Each file is read once; a file that cannot be read as text, or a value not found, gets none.
pub fn locate_literals(findings: &mut [Finding]) {
    // Only the lines results point at are kept: a landscape of 100,000 destinations in one file
    // would otherwise be held whole, line by line, beside its results.
    let mut wanted: HashMap<std::sync::Arc<str>, std::collections::BTreeSet<u32>> = HashMap::new();
    for f in findings.iter().filter(|f| f.status == Status::Fail) {
        let Some(fix) = f.fix.as_deref() else { continue };
        if fix.was().is_some() && fix.value().is_some() && super::patch::Syntax::of(&f.location.path).is_some() {
            wanted.entry(std::sync::Arc::clone(&f.location.path)).or_default().insert(f.location.line);
        }
    }
    let files: HashMap<std::sync::Arc<str>, HashMap<u32, String>> =
        wanted.into_iter().filter_map(|(path, lines)| read_lines(&path, &lines).map(|l| (path, l))).collect();
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        let Some(fix) = f.fix.as_deref_mut() else { continue };
        let (Some(old), Some(new)) = (fix.was(), fix.value()) else { continue };
        let Some(syntax) = super::patch::Syntax::of(&f.location.path) else { continue };
        let Some(line) = files.get(&f.location.path).and_then(|l| l.get(&f.location.line)) else { continue };
        let edit = super::patch::Edit { line: f.location.line, old: old.to_owned(), new: new.to_owned() };
        if let Some((_, at, len, inserted)) = super::patch::replace_on_line(syntax, line, &edit) {
            let utf16 = |s: &str| u32::try_from(s.encode_utf16().count()).unwrap_or(u32::MAX);
            let start_column = utf16(&line[..at]) + 1;
            let end_column = start_column + utf16(&line[at..at + len]);
            fix.set_region(crate::model::LiteralRegion { start_column, end_column, inserted });
        }
    }
}

/// The lines `wanted` (1-based) of a regular file, with their endings; `None` for anything else
/// (an archive's entry, a live location, a file larger than 64 MiB, text that is not UTF-8 but
/// in an export). A UTF-8 file is read a line at a time, never held whole.
fn read_lines(path: &str, wanted: &std::collections::BTreeSet<u32>) -> Option<HashMap<u32, String>> {
    use std::io::BufRead;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 64 * 1024 * 1024 {
        return None;
    }
    let last = *wanted.last()?;
    let mut out = HashMap::new();
    if let Some(super::patch::Syntax::Properties) = super::patch::Syntax::of(path) {
        // An export is read as the loader reads it (ISO 8859-1 when it is not UTF-8).
        let bytes = std::fs::read(path).ok()?;
        let text = crate::source::properties::decode(&bytes).ok()?.into_owned();
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let n = u32::try_from(i + 1).ok()?;
            if wanted.contains(&n) {
                out.insert(n, line.to_owned());
            }
        }
        return Some(out);
    }
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    let mut line = String::new();
    for n in 1..=last {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            break;
        }
        if wanted.contains(&n) {
            out.insert(n, line.clone());
        }
    }
    Some(out)
}

/// DIR must be empty or new, unless `--force`; it never holds an input, nor is it inside a
/// folder that is read (its files would be read as inputs, then replaced).
fn check_output_folder(args: &FixArgs) -> Result<(), CliError> {
    let dir = &args.output;
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Usage(format!("--output {}: not a folder", dir.display())));
    }
    let non_empty = std::fs::read_dir(dir).map(|mut entries| entries.next().is_some()).unwrap_or(false);
    if non_empty && !args.force {
        return Err(CliError::Usage(format!(
            "--output {} is not empty: choose an empty or new folder, or give --force to replace files of the same name",
            dir.display()
        )));
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    // The folder as it will be: the nearest existing ancestor, with the rest appended.
    let mut existing = dir.clone();
    let mut rest = Vec::new();
    while canonical(&existing).is_none() {
        match (existing.file_name().map(ToOwned::to_owned), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = if parent.as_os_str().is_empty() { PathBuf::from(".") } else { parent.to_path_buf() };
            }
            _ => break,
        }
    }
    let Some(mut out) = canonical(&existing) else { return Ok(()) };
    out.extend(rest.iter().rev());
    let inputs = args.sources.paths.iter().chain(&args.sources.settings).chain(&args.sources.calm_key).chain(&args.sources.destination_key);
    for input in inputs.filter(|p| p.as_os_str() != "-") {
        let Some(input_path) = canonical(input) else { continue };
        if input_path.starts_with(&out) || (input_path.is_dir() && out.starts_with(&input_path) && non_empty) {
            return Err(CliError::Usage(format!(
                "--output {} would hold or replace the input {}: choose a folder outside the inputs",
                dir.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// A file to write that exists as anything but a plain file (a symbolic link that could lead
/// outside DIR, a device) is refused before anything is written.
fn refuse_link(path: &Path) -> Result<(), CliError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => {
            Err(CliError::Usage(format!("{} exists and is not a plain file (a link or a device): nothing was written", path.display())))
        }
        _ => Ok(()),
    }
}

fn inputs<'a>(g: &'a Gathered, choices: &Choices) -> Inputs<'a> {
    Inputs {
        destinations: &g.destinations,
        destinations_given: g.destinations_given,
        settings: g.settings.as_ref(),
        key: g.key.as_ref(),
        live: g.live,
        probe: g.probe,
        incomplete: (!g.failures.is_empty()).then(|| "a source failed part way".to_owned()),
        choices: choices.clone(),
        keystores: &g.keystores,
        certificate_source: g.certificate_source,
        destination_key_certificate: g.destination_key_certificate.as_ref(),
        ..Default::default()
    }
}

fn audit_all(g: &Gathered, choices: &Choices) -> Vec<Finding> {
    audit(Catalog::builtin(), &inputs(g, choices))
}

/// Whether `fix` writes a corrected file for a destination: one read as data (an export, a
/// JSON or YAML file, a live read, a snapshot), not defined as code.
fn correctable(d: &Destination) -> bool {
    d.code_kind().is_none()
}

/// Whether `fix` corrects a destination at all: read as data, or defined in code it can patch
/// (MTA descriptors and extensions, Terraform configuration; not a plan or state).
fn corrected(d: &Destination) -> bool {
    d.code_kind().is_none_or(crate::model::CodeKind::is_source)
}

/// Applies the literal fixes of the failing results to the destinations read as data, audits
/// again, and repeats until nothing changes. Returns each audited destination's changes and
/// whether the rounds settled.
fn correct(g: &mut Gathered, choices: &Choices) -> (Vec<Plan>, bool) {
    let mut plans: BTreeMap<usize, Vec<Change>> = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        // Rebuilt each round: a corrected Name is the destination's name from then on.
        let by_origin = origins(&g.destinations);
        let findings = audit_all(g, choices);
        // The first fix of a property in catalog order wins a round; the next round sees the rest.
        let mut round: BTreeMap<(usize, String), (Option<String>, &'static str)> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.status == Status::Fail && f.object.kind == ObjectKind::Destination && f.waived.is_none()) {
            let Some(fix) = &f.fix else { continue };
            let (Some(index), Some(property)) = (lookup(&by_origin, f), fix.property()) else {
                continue;
            };
            // A secret is never written; removing one (a token override) writes nothing.
            if !corrected(&g.destinations[index]) || (is_secret_key(property) && !fix.removes()) {
                continue;
            }
            let action = match (fix.value(), fix.removes()) {
                (Some(value), _) => Some(value.to_owned()),
                (None, true) => None,
                (None, false) => continue,
            };
            round.entry((index, property.to_owned())).or_insert((action, f.code));
        }
        drop(findings);
        let mut changed = false;
        for ((index, property), (action, by)) in round {
            let d = &mut g.destinations[index];
            let change = match action {
                Some(value) => set(d, &property, value, by),
                None => remove(d, &property, by),
            };
            if let Some(change) = change {
                plans.entry(index).or_default().push(change);
                changed = true;
            }
        }
        if !changed {
            return (plans.into_iter().map(|(index, changes)| Plan { index, changes }).collect(), true);
        }
    }
    (plans.into_iter().map(|(index, changes)| Plan { index, changes }).collect(), false)
}

/// Each destination by the origin and name its results carry; `None` for two destinations that
/// share both (they cannot be told apart, so neither is corrected).
fn origins(destinations: &[Destination]) -> HashMap<(String, String), Option<usize>> {
    let mut map: HashMap<(String, String), Option<usize>> = HashMap::new();
    for (i, d) in destinations.iter().enumerate() {
        map.entry((d.qualified_origin(), d.shown_name().to_owned())).and_modify(|slot| *slot = None).or_insert(Some(i));
    }
    map
}

/// The destination a result is about, when it is one and can be told apart.
fn lookup(map: &HashMap<(String, String), Option<usize>>, f: &Finding) -> Option<usize> {
    if f.object.kind != ObjectKind::Destination {
        return None;
    }
    map.get(&(f.object.qualified_name.clone(), f.object.name.clone())).copied().flatten()
}

/// Sets `property` to `value` where it is (its line kept), or adds it; `None` when it already is.
fn set(d: &mut Destination, property: &str, value: String, by: &'static str) -> Option<Change> {
    match d.properties.iter_mut().find(|p| p.key == property) {
        Some(p) if p.text() == Some(value.as_str()) => None,
        Some(p) => {
            let was = p.text().map(str::to_owned);
            *p = Property::new(property, value.clone(), p.line);
            Some(Change::Set { property: property.to_owned(), value, was, by })
        }
        None => {
            d.properties.push(Property::new(property, value.clone(), None));
            Some(Change::Set { property: property.to_owned(), value, was: None, by })
        }
    }
}

fn remove(d: &mut Destination, property: &str, by: &'static str) -> Option<Change> {
    let before = d.properties.len();
    d.properties.retain(|p| p.key != property);
    (d.properties.len() != before).then(|| Change::Removed { property: property.to_owned(), by })
}

/// File names after the destinations, made safe and distinct.
#[derive(Default)]
struct Names {
    used: std::collections::HashSet<String>,
}

impl Names {
    fn file_name(&mut self, name: &str) -> String {
        let mut stem: String = name
            .trim()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' })
            .take(100)
            .collect();
        stem = stem.trim_start_matches('.').to_owned();
        if stem.is_empty() || stem.eq_ignore_ascii_case("SUMMARY") {
            stem = format!("destination{}", if stem.is_empty() { String::new() } else { format!("-{stem}") });
        }
        let mut candidate = format!("{stem}.properties");
        let mut n = 2;
        while !self.used.insert(candidate.to_ascii_lowercase()) {
            candidate = format!("{stem}-{n}.properties");
            n += 1;
        }
        candidate
    }
}

/// The corrected destination in the cockpit's import format: Java properties as the cockpit
/// exports them (`Properties.store`): the removed secrets as `#key=<< ... >>` comment lines, a
/// bare `#`, a comment, then every property that is not a secret, escaped, non-ASCII as
/// `\uXXXX`. A secret's value is never written.
fn properties_file(d: &Destination, changes: &[Change]) -> String {
    let mut out = String::new();
    let mut secrets = withheld(d);
    let mtls = d.text("tokenService.KeyStoreLocation").is_some_and(|l| !l.trim().is_empty());
    if !mtls && d.text("Authentication") == Some("OAuth2ClientCredentials") && !secrets.contains(&"clientSecret") {
        secrets.insert(0, "clientSecret");
    }
    for key in &secrets {
        out.push_str(&format!("#{}={}\n", super::patch::escape(key, true), crate::model::destination::REMOVED_ON_EXPORT));
    }
    out.push_str("#\n");
    out.push_str(&format!("#Corrected by calm-audit fix ({} change(s)); review, then import with Create > From File\n", changes.len()));
    for p in &d.properties {
        if let Some(t) = written_text(p) {
            out.push_str(&format!("{}={}\n", super::patch::escape(&p.key, true), super::patch::escape(t, false)));
        }
    }
    out
}

/// The value a corrected file writes for a property: text that holds no secret of the run and
/// no URL credentials or query values; `None` for everything else, which is withheld.
fn written_text(p: &Property) -> Option<&str> {
    match &p.value {
        Value::Text(t)
            if !crate::model::secret::holds_remembered(t)
                && matches!(crate::model::url::redact_urls_in(t), std::borrow::Cow::Borrowed(_)) =>
        {
            Some(t)
        }
        _ => None,
    }
}

/// The properties a corrected file withholds (secrets, values that hold one), in order: each
/// becomes the cockpit's placeholder line and a step in the summary.
fn withheld(d: &Destination) -> Vec<&str> {
    d.properties.iter().filter(|p| written_text(p).is_none()).map(|p| &*p.key).collect()
}

/// `SUMMARY.md`: per destination what changed, what is left by hand, and how to audit again.
fn summary_text(
    args: &FixArgs,
    g: &Gathered,
    plans: &[Plan],
    written: &HashMap<usize, String>,
    code: &CodePatch,
    findings: &[Finding],
    settled: bool,
) -> String {
    let mut out = String::from("# calm-audit fix\n\n");
    out.push_str(
        "Corrected destination files for the BTP cockpit (*Connectivity > Destinations > Create > From File*). \
         Review each file before you import it; calm-audit changes nothing in BTP and no input file.\n\n",
    );
    if !g.failures.is_empty() {
        out.push_str("**Incomplete**: not every source could be read; the destinations of these sources are not corrected:\n\n");
        for f in &g.failures {
            out.push_str(&format!("- {}: {}\n", md(&f.source), md(&f.message)));
        }
        out.push('\n');
    }
    if !settled {
        out.push_str(&format!(
            "**Note**: the corrections did not settle after {MAX_ROUNDS} rounds (two rules ask for different values); check the files by hand.\n\n"
        ));
    }
    let changes: HashMap<usize, &Vec<Change>> = plans.iter().map(|p| (p.index, &p.changes)).collect();
    let by_origin = origins(&g.destinations);
    let mut left: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    let mut other: Vec<&Finding> = Vec::new();
    for f in findings.iter().filter(|f| matches!(f.status, Status::Fail | Status::Error | Status::Manual)) {
        match lookup(&by_origin, f) {
            Some(index) => left.entry(index).or_default().push(f),
            None => other.push(f),
        }
    }
    let mut indices: Vec<usize> = changes.keys().chain(left.keys()).copied().collect();
    indices.sort_unstable();
    indices.dedup();
    if indices.is_empty() {
        out.push_str("Nothing to fix: no audited destination has a failing result.\n\n");
    }
    for index in indices {
        let d = &g.destinations[index];
        out.push_str(&format!("## `{}`\n\n", md_code(d.shown_name())));
        out.push_str(&format!("Read from `{}`.\n\n", md_code(&d.qualified_origin())));
        match written.get(&index) {
            Some(file) => out.push_str(&format!("Corrected file: [`{}`]({})\n\n", md_code(file), file)),
            None if !correctable(d) => {
                out.push_str("Defined as code: corrected by [`fix.patch`](fix.patch) where a literal is written, otherwise by hand.\n\n");
                if let Some(list) = code.patched.get(&index) {
                    out.push_str("Patched in `fix.patch`:\n\n");
                    for (property, old, new, at) in list {
                        out.push_str(&format!(
                            "- `{}` at `{}`: `{}` becomes `{}`\n",
                            md_code(property),
                            md_code(at),
                            md_code(old),
                            md_code(new)
                        ));
                    }
                    out.push('\n');
                }
                if let Some(list) = code.refused.get(&index) {
                    out.push_str("Not patched, change by hand:\n\n");
                    for line in list {
                        out.push_str(&format!("- {line}\n"));
                    }
                    out.push('\n');
                }
            }
            None => {}
        }
        if let Some(list) = changes.get(&index).filter(|_| correctable(d)) {
            out.push_str("Changed:\n\n");
            for c in list.iter() {
                match c {
                    Change::Set { property, value, was, by } => {
                        let was = was.as_deref().map_or_else(|| "not set".to_owned(), |w| format!("was `{}`", md_code(w)));
                        out.push_str(&format!("- `{}` set to `{}` ({was}; {by})\n", md_code(property), md_code(value)));
                    }
                    Change::Removed { property, by } => out.push_str(&format!("- `{}` removed ({by})\n", md_code(property))),
                }
            }
            out.push('\n');
        }
        let mut by_hand: Vec<String> = left.get(&index).map(|list| list.iter().map(|f| by_hand_line(f)).collect()).unwrap_or_default();
        if written.contains_key(&index) {
            for key in withheld(d).iter().filter(|k| **k != "clientSecret") {
                by_hand.push(format!("- after import, enter the value of `{}` again: the file never holds a secret", md_code(key)));
            }
            if d.text("Authentication") == Some("OAuth2ClientCredentials") && d.text("tokenService.KeyStoreLocation").is_none() {
                by_hand
                    .push("- after import, enter the key's `uaa.clientsecret` as Client Secret: the file never holds a secret".to_owned());
            }
        }
        by_hand.dedup();
        if !by_hand.is_empty() {
            out.push_str("Left to do by hand:\n\n");
            out.push_str(&by_hand.join("\n"));
            out.push_str("\n\n");
        }
    }
    if !other.is_empty() {
        out.push_str("## Settings, key and landscape\n\n");
        for f in other {
            out.push_str(&by_hand_line(f));
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str("## Audit again\n\n");
    if !code.patch.is_empty() {
        out.push_str("For destinations defined as code, review `fix.patch` and apply it from the audited folder, then audit the repository again. `patch -p1` applies it from that folder wherever it is; `git apply` reads paths from the top of its repository and, run in a folder below the top, skips every file without a word (`git apply --directory=FOLDER` from the top names the folder):\n\n```sh\n");
        let patch = args.output.join(PATCH);
        let patch = std::path::absolute(&patch).unwrap_or(patch);
        out.push_str(&format!("patch -p1 < {}\n", shell_word(&patch.display().to_string())));
        out.push_str("```\n\n");
    }
    out.push_str("After importing the corrected files (or to check them first), audit them with the same key and settings:\n\n```sh\n");
    out.push_str(&recheck_command(args));
    out.push_str("\n```\n\nThe secret rules (CALM009, CALM014) stay `manual` on these files until the secret is entered in the cockpit; audit the live destinations (`--destination-key`) after the import.\n");
    if !settled {
        out.push_str("\nSome corrections did not settle: see the note at the top.\n");
    }
    out
}

fn by_hand_line(f: &Finding) -> String {
    let mut line = format!("- {} {}: {}", f.code, f.status.as_str(), md(&f.message));
    if let Some(fix) = &f.fix {
        line.push_str(&format!(" **Fix:** {}", md(fix.line())));
    }
    line
}

fn one_line(text: &str) -> String {
    crate::report::text::one_line(text).into_owned()
}

/// The command that audits the written files with the run's key and settings.
fn recheck_command(args: &FixArgs) -> String {
    let mut parts = vec!["calm-audit check".to_owned(), shell_word(&args.output.display().to_string())];
    if let Some(s) = &args.sources.settings {
        parts.push(format!("--settings {}", shell_word(&s.display().to_string())));
    }
    if let Some(k) = &args.sources.calm_key {
        parts.push(format!("--calm-key {}", shell_word(&k.display().to_string())));
    }
    if let Some(p) = &args.profile {
        parts.push(format!("--profile {}", shell_word(p)));
    }
    parts.join(" ")
}

/// A word for a POSIX shell: as is when plain, else in single quotes.
fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c)) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Text in Markdown prose: one line, the characters Markdown acts on escaped.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        if "\\`*_[]<>|~$&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text inside a code span: one line, backticks replaced (a span cannot escape them).
fn md_code(text: &str) -> String {
    one_line(text).replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_what_properties_store_writes() {
        assert_eq!(escape("https://t.eu10.alm.cloud.sap/", false), "https\\://t.eu10.alm.cloud.sap/");
        assert_eq!(escape("a=b#c!d\\e", false), "a\\=b\\#c\\!d\\\\e");
        assert_eq!(escape(" lead and inner", false), "\\ lead and inner");
        assert_eq!(escape("a key", true), "a\\ key");
        assert_eq!(escape("é€😀\t\n", false), "\\u00E9\\u20AC\\uD83D\\uDE00\\t\\n");
    }

    /// Whatever the text, the properties reader gives back exactly what was written.
    use super::super::patch::escape;

    #[test]
    fn escaped_values_read_back_as_they_were() {
        let pieces = [" ", "\t", "\n", "\r", ":", "=", "#", "!", "\\", "a", "é", "€", "😀", "\u{1}", "\u{85}", "x y", "\\u0041"];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let len = (next() % 8) as usize;
            let key: String = (0..=len).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect();
            let value: String = (0..len).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect();
            let line = format!("{}={}\n", escape(&key, true), escape(&value, false));
            let parsed = crate::source::properties::parse(&line).expect("parses");
            assert_eq!(parsed.entries.len(), 1, "{line:?}");
            assert_eq!((parsed.entries[0].key.as_str(), parsed.entries[0].value.as_str()), (key.as_str(), value.as_str()), "{line:?}");
        }
    }

    #[test]
    fn file_names_are_safe_and_distinct() {
        let mut names = Names::default();
        assert_eq!(names.file_name("CALM_BPMON"), "CALM_BPMON.properties");
        assert_eq!(names.file_name("calm_bpmon"), "calm_bpmon-2.properties");
        assert_eq!(names.file_name("../../etc/passwd"), "_.._etc_passwd.properties");
        assert_eq!(names.file_name(""), "destination.properties");
        assert_eq!(names.file_name("SUMMARY"), "destination-SUMMARY.properties");
        assert_eq!(names.file_name("a/b\\c\u{0}d"), "a_b_c_d.properties");
    }
}
