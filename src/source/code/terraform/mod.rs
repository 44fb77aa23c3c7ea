//! Terraform configuration, read as Terraform reads it before a plan: the native syntax through
//! `hcl-edit` and the JSON syntax (`*.tf.json`, `*.tfvars.json`) into one tree ([`syntax`]),
//! override files merged, every folder a module, module calls with a local `source` followed,
//! `for_each` and `count` over known values expanded ([`run`]), and expressions evaluated where
//! their values are known ([`eval`]); what only the apply knows stays [`Found::Unresolved`]
//! with the expression named.
//!
//! [`Found::Unresolved`]: super::Found::Unresolved

pub mod eval;
pub mod run;
pub mod syntax;
pub mod tfvars;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use self::run::{Folder, Reader, local_source, lookup, reachable, source_of};
use self::syntax::{Role, Source, role};
use crate::model::Destination;
use crate::source::InputError;
use crate::source::code::bound::{Bound, Bounds};

/// One file of a module (the shape the fuzz target and the unit tests use).
pub struct File<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// Whether Terraform loads a variables file by itself (`terraform.tfvars`,
/// `terraform.tfvars.json`, `*.auto.tfvars`, `*.auto.tfvars.json`).
pub fn is_auto_loaded(name: &str) -> bool {
    matches!(name, "terraform.tfvars" | "terraform.tfvars.json") || name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json")
}

/// Whether a file name is Terraform's: configuration (`*.tf`, `*.tf.json`) or variables
/// (`*.tfvars`, `*.tfvars.json`).
pub fn is_terraform_name(name: &str) -> bool {
    role(name).is_some()
}

/// A file of the run, handed in by the caller with a tag of its own choosing (results name
/// files by tag).
pub struct Input {
    pub tag: usize,
    /// Display path.
    pub shown: String,
    /// The folder it is in (canonical): one folder is one module.
    pub dir: PathBuf,
    pub text: String,
    /// Named on the command line as a variables file to apply (like `-var-file`), rather than
    /// found by a walk.
    pub apply: bool,
}

/// What the Terraform files of a run gave.
#[derive(Default)]
pub struct Outcome {
    pub destinations: Vec<Destination>,
    /// Files that took part in giving destinations.
    pub used: Vec<usize>,
    /// Files passed over, with why.
    pub skipped: Vec<(usize, String)>,
    /// Variables files Terraform would not load by themselves, found and not applied.
    pub not_applied: Vec<usize>,
    /// Module calls not followed: (where, why).
    pub notes: Vec<(String, String)>,
    pub errors: Vec<(usize, InputError)>,
    /// Files whose root module is incomplete though what was read stands (a bound reached, a
    /// remote module given Cloud ALM values): failed sources, named or walked.
    pub failures: Vec<(usize, InputError)>,
    /// The certificates the modules upload, each with the folder its paths are relative to.
    pub certificates: Vec<(super::CertificateResource, PathBuf)>,
}

fn name_of(shown: &str) -> &str {
    shown.rsplit(['/', '\\']).next().unwrap_or(shown)
}

/// Terraform's order of automatic variables files: `terraform.tfvars`, `terraform.tfvars.json`,
/// then `*.auto.tfvars(.json)` by name.
fn auto_order(name: &str) -> (u8, String) {
    match name {
        "terraform.tfvars" => (0, String::new()),
        "terraform.tfvars.json" => (1, String::new()),
        _ => (2, name.to_owned()),
    }
}

/// One file of a run, within `bounds`: a variables file of the common shape by the linear
/// reader ([`tfvars`]; when the run's nesting bound is not below its own), anything else by the
/// general one ([`syntax`]), which the linear one leaves every file it does not read whole to.
fn parse_file(path: &str, text: &str, file: usize, bounds: &Bounds) -> Result<Source, InputError> {
    if path.ends_with(".tfvars")
        && bounds.depth >= tfvars::MAX_DEPTH
        && let Some(attrs) = tfvars::parse(text, file)
    {
        return Ok(Source { path: path.to_owned(), text: text.to_owned(), blocks: Vec::new(), attrs });
    }
    syntax::parse_bounded(path, text, file, bounds)
}

/// Reads every Terraform file of a run: `files` found or named, `var_files` given with
/// `--var-file` (in that order, after the files named on the command line). `load` reads the
/// configuration files of a folder a module call leads to that the run did not hold.
pub fn read_all(files: Vec<Input>, var_files: Vec<Input>, load: &mut dyn FnMut(&Path, usize) -> Vec<Input>) -> Outcome {
    read_all_bounded(files, var_files, load, &Bounds::default())
}

/// [`read_all`] within `bounds`: a bound reached is an error or failure with
/// [`InputError::bound`] set, for the file where it was reached.
pub fn read_all_bounded(
    files: Vec<Input>,
    var_files: Vec<Input>,
    load: &mut dyn FnMut(&Path, usize) -> Vec<Input>,
    bounds: &Bounds,
) -> Outcome {
    read_all_selecting(files, var_files, load, bounds, None)
}

/// [`read_all_bounded`] knowing the destination name the settings select: a remote module
/// call given it is a failed source.
pub fn read_all_selecting(
    files: Vec<Input>,
    var_files: Vec<Input>,
    load: &mut dyn FnMut(&Path, usize) -> Vec<Input>,
    bounds: &Bounds,
    selected: Option<&str>,
) -> Outcome {
    let mut out = Outcome::default();
    let mut inputs: Vec<Input> = files;
    let var_start = inputs.len();
    inputs.extend(var_files);
    // Parse each file once; a file that cannot be parsed is set apart.
    let mut sources: Vec<Option<Source>> = Vec::with_capacity(inputs.len());
    let mut roles: Vec<Role> = Vec::with_capacity(inputs.len());
    let parse_one = |input: &Input, index: usize, out: &mut Outcome| -> (Option<Source>, Role) {
        let role = if input.apply { Role::Vars } else { role(name_of(&input.shown)).unwrap_or(Role::Config) };
        match parse_file(&input.shown, &input.text, index, bounds) {
            Ok(s) => (Some(s), role),
            Err(e) => {
                out.errors.push((input.tag, e));
                (None, role)
            }
        }
    };
    for (i, input) in inputs.iter().enumerate() {
        let (s, r) = parse_one(input, i, &mut out);
        sources.push(s);
        roles.push(r);
    }
    // Module folders the run does not hold, read as the calls reach them.
    let mut dirs: HashSet<PathBuf> = inputs.iter().zip(&roles).filter(|(_, r)| **r != Role::Vars).map(|(i, _)| i.dir.clone()).collect();
    let mut next = 0;
    while next < sources.len() {
        let wanted: Vec<PathBuf> = match &sources[next] {
            Some(s) if roles[next] != Role::Vars => s
                .blocks
                .iter()
                .filter(|b| b.kind == "module")
                .filter_map(|b| source_of(b).and_then(|src| local_source(&inputs[next].dir, src)))
                .collect(),
            _ => Vec::new(),
        };
        let tag = inputs[next].tag;
        for dir in wanted {
            if dirs.contains(&dir) || std::fs::canonicalize(&dir).is_ok_and(|c| dirs.contains(&c)) {
                continue;
            }
            if dirs.len() >= bounds.folders {
                let what = "the module folders its calls lead to were not read";
                out.failures.push((tag, InputError::cut(&inputs[next].shown, None, Bound::Folders(bounds.folders), what)));
                break;
            }
            dirs.insert(dir.clone());
            for mut input in load(&dir, tag) {
                input.dir = dir.clone();
                let index = inputs.len();
                let (s, r) = parse_one(&input, index, &mut out);
                sources.push(s);
                roles.push(r);
                inputs.push(input);
            }
        }
        next += 1;
    }
    stop_modules_of_stopped_files(&inputs, &mut sources, &mut out);
    let by_tag: HashMap<usize, usize> = inputs.iter().enumerate().map(|(i, input)| (input.tag, i)).collect();
    let mut excluded: HashSet<usize> = sources.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| i).collect();

    // Folders of configuration, each a module.
    let mut groups: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, input) in inputs.iter().enumerate() {
        if roles[i] != Role::Vars {
            groups.entry(input.dir.clone()).or_default().push(i);
        }
    }
    // Sources with the failed ones replaced by empty files, so indices stay.
    let placeholder = |i: usize| Source { path: inputs[i].shown.clone(), text: String::new(), blocks: Vec::new(), attrs: Vec::new() };
    let sources: Vec<Source> = sources.into_iter().enumerate().map(|(i, s)| s.unwrap_or_else(|| placeholder(i))).collect();
    let mut folders: Vec<Folder> = Vec::with_capacity(groups.len());
    let mut by_dir: HashMap<PathBuf, usize> = HashMap::with_capacity(groups.len());
    for (dir, files) in groups {
        let shown = inputs[files[0]].shown.rsplit_once(['/', '\\']).map_or(".", |(d, _)| d).to_owned();
        let folder = build_folder(&dir, &shown, &files, &sources, &roles, &mut excluded, &inputs, &mut out);
        by_dir.insert(dir, folders.len());
        folders.push(folder);
    }

    // Roots: folders no other folder calls; then any left unreached (modules calling each
    // other in a cycle), so nothing is silently dropped.
    let mut called: HashSet<usize> = HashSet::new();
    for (i, f) in folders.iter().enumerate() {
        for call in &f.calls {
            if let Some(callee) = source_of(call).and_then(|s| local_source(&f.dir, s)).and_then(|d| lookup(&by_dir, &d))
                && callee != i
            {
                called.insert(callee);
            }
        }
    }
    let mut roots: Vec<usize> = (0..folders.len()).filter(|i| !called.contains(i) && !folders[*i].files.is_empty()).collect();
    let mut reached: HashSet<usize> = roots.iter().flat_map(|r| reachable(*r, &folders, &by_dir)).collect();
    for i in 0..folders.len() {
        if !reached.contains(&i) && !folders[i].files.is_empty() {
            roots.push(i);
            reached.extend(reachable(i, &folders, &by_dir));
        }
    }

    // Variables files: the automatic ones of a root, the others only when given.
    let is_root: HashSet<usize> = roots.iter().copied().collect();
    let mut applied: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut given: Vec<usize> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if roles[i] != Role::Vars || excluded.contains(&i) {
            continue;
        }
        let name = name_of(&input.shown);
        let root = by_dir.get(&input.dir).copied().filter(|f| is_root.contains(f));
        if input.apply || i >= var_start {
            given.push(i);
            continue;
        }
        match (is_auto_loaded(name), root, by_dir.get(&input.dir)) {
            (true, Some(root), _) => applied.entry(root).or_default().push(i),
            (true, None, Some(_)) => out.skipped.push((
                input.tag,
                "a variables file of a module another module calls: Terraform applies it only where the folder is the root".into(),
            )),
            (_, _, None) => out.skipped.push((input.tag, "a variables file without Terraform configuration beside it".into())),
            (false, _, Some(_)) => out.not_applied.push(input.tag),
        }
    }
    for list in applied.values_mut() {
        list.sort_by_key(|i| auto_order(name_of(&inputs[*i].shown)));
    }
    // Given ones: to the root of their own folder, else to the only root of the run.
    for i in given {
        let input = &inputs[i];
        let own = by_dir.get(&input.dir).copied().filter(|f| is_root.contains(f));
        let only = if roots.len() == 1 { roots.first().copied() } else { None };
        match own.or(only) {
            Some(root) => applied.entry(root).or_default().push(i),
            None => {
                let message = if roots.is_empty() {
                    "a variables file, and the run has no Terraform configuration (*.tf) to apply it to".to_owned()
                } else {
                    format!(
                        "a variables file outside the {} root modules of the run: give it with the folder it is for, or put it there",
                        roots.len()
                    )
                };
                out.errors.push((input.tag, InputError::new(&input.shown, None, message)));
            }
        }
    }

    // Each root with the modules it calls; a file at fault is set apart and the root read again.
    let mut used: HashSet<usize> = HashSet::new();
    for root in roots {
        loop {
            let vars: Vec<usize> =
                applied.get(&root).map(|v| v.iter().copied().filter(|i| !excluded.contains(i)).collect()).unwrap_or_default();
            let reader = Reader::with_bounds(&sources, &folders, &by_dir, *bounds).selecting(selected);
            match reader.root(root, &vars) {
                Ok(read) => {
                    let files: Vec<usize> =
                        read.folders.iter().flat_map(|f| folders[*f].files.iter().copied()).chain(vars.iter().copied()).collect();
                    out.notes.extend(read.notes);
                    // Files of a root that failed part way were read (and named as failed), not skipped.
                    let failed = !read.failures.is_empty();
                    // One per call: a call inside a module with many instances fails once.
                    let mut seen = HashSet::new();
                    for e in read.failures.into_iter().filter(|e| seen.insert((e.path.clone(), e.line))) {
                        // The file it names, else the root's first: never dropped.
                        let at = (0..inputs.len()).find(|i| inputs[*i].shown == e.path).or_else(|| folders[root].files.first().copied());
                        out.failures.push((at.map_or(0, |i| inputs[i].tag), e));
                    }
                    out.certificates.extend(read.certificates);
                    if read.destinations.is_empty() && out.certificates.is_empty() && !failed {
                        for f in files {
                            if !used.contains(&f) {
                                out.skipped.push((inputs[f].tag, "Terraform configuration without destination resources".into()));
                            }
                        }
                    } else {
                        out.destinations.extend(read.destinations);
                        used.extend(files);
                    }
                    break;
                }
                Err(e) => {
                    let at = (0..inputs.len()).find(|i| inputs[*i].shown == e.path && !excluded.contains(i));
                    let Some(at) = at else {
                        // An error that names no file of the run cannot be set apart: the root fails.
                        let first = folders[root].files.first().copied().unwrap_or(0);
                        out.errors.push((inputs[first].tag, e));
                        break;
                    };
                    out.errors.push((inputs[at].tag, e));
                    excluded.insert(at);
                    if roles[at] != Role::Vars
                        && let Some(&f) = by_dir.get(&inputs[at].dir)
                    {
                        let files: Vec<usize> = folders[f].files.clone();
                        let shown = folders[f].shown.clone();
                        let dir = folders[f].dir.clone();
                        folders[f] = build_folder(&dir, &shown, &files, &sources, &roles, &mut excluded, &inputs, &mut out);
                    }
                }
            }
        }
    }
    // A file skipped by one root and used by another was used; a configuration file no root
    // reached (a module of a cycle whose caller failed) is named too, never silently dropped.
    out.skipped.retain(|(tag, _)| by_tag.get(tag).is_none_or(|i| !used.contains(i)));
    let named: HashSet<usize> = out.skipped.iter().map(|(t, _)| *t).chain(out.errors.iter().map(|(t, _)| *t)).collect();
    for (i, input) in inputs.iter().enumerate() {
        if roles[i] != Role::Vars && !used.contains(&i) && !excluded.contains(&i) && !named.contains(&input.tag) {
            out.skipped.push((input.tag, "Terraform configuration without destination resources".into()));
        }
    }
    let mut used: Vec<usize> = used.into_iter().map(|i| inputs[i].tag).collect();
    used.sort_unstable();
    out.used = used;
    out
}

/// A file a bound stopped (too deep, too many members) leaves its module without what it
/// declares: the other files of its folder (variables files included) would be evaluated
/// without its variables, locals and overrides, and what they give is not what Terraform would
/// give. So they are not read either, each a failed source naming the bound.
fn stop_modules_of_stopped_files(inputs: &[Input], sources: &mut [Option<Source>], out: &mut Outcome) {
    let stopped: Vec<(PathBuf, String, crate::source::code::bound::Bound)> = out
        .errors
        .iter()
        .filter_map(|(tag, e)| Some((inputs.iter().find(|i| i.tag == *tag)?, e.bound?)))
        .map(|(input, bound)| (input.dir.clone(), input.shown.clone(), bound))
        .collect();
    for (i, input) in inputs.iter().enumerate() {
        let Some((_, file, bound)) = stopped.iter().find(|(dir, _, _)| *dir == input.dir) else { continue };
        if sources[i].take().is_some() {
            let what = format!("{file} of the same module was not read, so this file is not judged without it");
            out.failures.push((input.tag, InputError::cut(&input.shown, None, *bound, &what)));
        }
    }
}

/// A folder's module from its files still in the run; a file whose blocks cannot be merged
/// (an override of nothing, a block declared twice) is set apart and the folder built again.
#[allow(clippy::too_many_arguments)]
fn build_folder(
    dir: &Path,
    shown: &str,
    files: &[usize],
    sources: &[Source],
    roles: &[Role],
    excluded: &mut HashSet<usize>,
    inputs: &[Input],
    out: &mut Outcome,
) -> Folder {
    loop {
        let present: Vec<usize> = files.iter().copied().filter(|i| !excluded.contains(i)).collect();
        match run::folder(dir.to_path_buf(), shown.to_owned(), present.clone(), sources, roles) {
            Ok(f) => return f,
            Err(e) => match present.iter().copied().find(|i| inputs[*i].shown == e.path) {
                Some(at) => {
                    out.errors.push((inputs[at].tag, e));
                    excluded.insert(at);
                }
                None => {
                    if let Some(first) = present.first() {
                        out.errors.push((inputs[*first].tag, e));
                    }
                    excluded.extend(present);
                }
            },
        }
    }
}

/// Reads one module: `config` are its configuration files, `vars` the variables files that
/// apply, in order (later wins). The first fault found is the error.
pub fn read(config: &[File], vars: &[File]) -> Result<Vec<Destination>, InputError> {
    let dir = PathBuf::from("/module");
    let input =
        |(tag, f): (usize, &File), apply: bool| Input { tag, shown: f.path.to_owned(), dir: dir.clone(), text: f.text.to_owned(), apply };
    let files: Vec<Input> = config.iter().enumerate().map(|f| input(f, false)).collect();
    let var_files: Vec<Input> = vars.iter().enumerate().map(|(i, f)| input((config.len() + i, f), true)).collect();
    let mut outcome = read_all(files, var_files, &mut |_, _| Vec::new());
    if !outcome.errors.is_empty() {
        return Err(outcome.errors.remove(0).1);
    }
    Ok(outcome.destinations)
}

#[cfg(test)]
mod tests;
