//! One run's Terraform configuration read as Terraform plans it: every folder of `*.tf` and
//! `*.tf.json` files is a module (override files merged in); a folder no other folder of the
//! run calls is a root, which takes its variables from `terraform.tfvars`,
//! `terraform.tfvars.json`, `*.auto.tfvars(.json)` and the variables files given, in that
//! order; module calls with a local `source` are followed, the module's variables taking what
//! the call passes; `for_each` and `count` over known values make one instance each, addressed
//! as Terraform addresses them (`module.em.btp_subaccount_destination.calm["CALM_EM"]`).

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::eval::{At, Ctx, Env, Ev, HOLE, Scope, Unknown, Var, convert};
use super::syntax::{Block, Expr, Role, Source, X, merge_overrides};
use crate::model::{CodeKind, Destination, Level};
use crate::source::InputError;
use crate::source::code::bound::{Bound, Bounds};
use crate::source::code::{
    CERTIFICATE, CertificateContent, CertificateResource, DESTINATION, DESTINATION_ATTRIBUTES, DESTINATION_GENERIC, Entry, Found, Object,
    destination, shows_cloud_alm,
};

/// Resource and module instances one root may expand to, by default ([`Bounds::instances`]).
pub const MAX_INSTANCES: usize = 200_000;

/// One module: the configuration of one folder, overrides merged.
pub struct Folder {
    pub dir: PathBuf,
    /// Display path of the folder, for messages.
    pub shown: String,
    /// Its configuration and override files, by index in the run's sources.
    pub files: Vec<usize>,
    pub variables: HashMap<String, Block>,
    pub locals: HashMap<String, (usize, Expr)>,
    pub resources: Vec<Block>,
    pub calls: Vec<Block>,
}

/// Builds a folder's module from its files (configuration first, in name order, then the
/// overrides in name order, as Terraform loads them).
pub fn folder(dir: PathBuf, shown: String, mut files: Vec<usize>, sources: &[Source], roles: &[Role]) -> Result<Folder, InputError> {
    let name = |i: &usize| sources[*i].path.rsplit(['/', '\\']).next().unwrap_or_default().to_owned();
    files.sort_by_key(|i| (roles[*i] == Role::Override, name(i)));
    let paths: Vec<String> = sources.iter().map(|s| s.path.clone()).collect();
    let mut blocks: Vec<Block> = Vec::new();
    let mut overrides: Vec<Block> = Vec::new();
    for i in &files {
        let target = if roles[*i] == Role::Override { &mut overrides } else { &mut blocks };
        target.extend(sources[*i].blocks.iter().cloned());
    }
    merge_overrides(&mut blocks, overrides, &paths)?;
    let mut f = Folder { dir, shown, files, variables: HashMap::new(), locals: HashMap::new(), resources: Vec::new(), calls: Vec::new() };
    let mut declared: HashMap<String, (usize, u32)> = HashMap::new();
    let mut twice = |what: String, b: &Block, line: u32| -> Result<(), InputError> {
        if let Some((file, first)) = declared.insert(what.clone(), (b.file, line)) {
            return Err(InputError::new(
                &paths[b.file],
                Some(line),
                format!("{what} is declared twice in one module (first at {}:{first})", paths[file]),
            ));
        }
        Ok(())
    };
    for b in blocks {
        match (b.kind.as_str(), b.labels.as_slice()) {
            ("variable", [name]) => {
                twice(format!("variable \"{name}\""), &b, b.line)?;
                f.variables.insert(name.clone(), b);
            }
            ("locals", _) => {
                for a in &b.attrs {
                    twice(format!("local.{}", a.name), &b, a.line)?;
                    f.locals.insert(a.name.clone(), (a.file, a.expr.clone()));
                }
            }
            ("resource", [kind, name]) => {
                twice(format!("{kind}.{name}"), &b, b.line)?;
                f.resources.push(b);
            }
            ("module", [name]) => {
                twice(format!("module.{name}"), &b, b.line)?;
                f.calls.push(b);
            }
            _ => {}
        }
    }
    Ok(f)
}

/// Where a module call's local `source` leads: `./x` and `../x` relative to the caller's folder,
/// written lexically (symbolic links are the walk's business); `None` for a registry, git or
/// other remote source.
pub fn local_source(caller: &Path, source: &str) -> Option<PathBuf> {
    if !(source.starts_with("./") || source.starts_with("../") || source == "." || source == "..") {
        return None;
    }
    let mut out = caller.to_path_buf();
    for c in Path::new(source).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
            _ => return None,
        }
    }
    Some(out)
}

/// The `source` of a module call, when it is a literal.
pub fn source_of(call: &Block) -> Option<&str> {
    match &call.attr("source")?.expr.kind {
        X::Str(s) => Some(s),
        X::Template(parts) => match parts.as_slice() {
            [super::syntax::Part::Lit(s)] => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// The instances of a resource or module call.
enum Instances {
    /// No `for_each` or `count`: one, with no key.
    One,
    /// `for_each`: key and value of each, in key order.
    Keys(Vec<(At, At)>),
    /// `count`.
    Count(usize),
    /// Known only at apply time: one destination stands for all, its `each` and `count` unknown.
    Unknown,
}

/// What one root module gives.
#[derive(Default)]
pub struct Read {
    pub destinations: Vec<Destination>,
    /// The certificates the modules upload (`btp_subaccount_destination_certificate`), each
    /// with the folder its file paths are relative to.
    pub certificates: Vec<(CertificateResource, PathBuf)>,
    /// Folders whose files took part (the root and the modules it calls).
    pub folders: Vec<usize>,
    /// Module calls not followed: (where, why).
    pub notes: Vec<(String, String)>,
    /// Why the root is incomplete though what was read stands: the bound that stopped it
    /// ([`InputError::cut`]), a remote module given Cloud ALM values. Each is a failed source.
    pub failures: Vec<InputError>,
}

pub struct Reader<'r> {
    pub env: Env<'r>,
    pub sources: &'r [Source],
    pub folders: &'r [Folder],
    pub by_dir: &'r HashMap<PathBuf, usize>,
    instances: usize,
    read: Read,
    /// The destination name the settings select (`--settings`): a remote module given it may
    /// define that destination, so the call is a failed source as for a `CALM_` name.
    selected: Option<&'r str>,
}

fn quoted_key(key: &str) -> String {
    let mut out = String::from("[\"");
    for c in key.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push_str("\"]");
    out
}

fn unknown_at(file: usize, line: u32, text: &str) -> At {
    At { file, line, value: Ev::Unknown(Rc::new(Unknown { text: text.to_owned(), shape: None, missing: false, computed: false })) }
}

impl<'r> Reader<'r> {
    pub fn new(sources: &'r [Source], folders: &'r [Folder], by_dir: &'r HashMap<PathBuf, usize>) -> Self {
        Reader::with_bounds(sources, folders, by_dir, Bounds::default())
    }

    pub fn with_bounds(sources: &'r [Source], folders: &'r [Folder], by_dir: &'r HashMap<PathBuf, usize>, bounds: Bounds) -> Self {
        Reader { env: Env::with_bounds(sources, bounds), sources, folders, by_dir, instances: 0, read: Read::default(), selected: None }
    }

    /// The reader with the destination name the settings select ([`Reader::selected`]).
    pub fn selecting(mut self, selected: Option<&'r str>) -> Self {
        self.selected = selected.map(str::trim).filter(|s| !s.is_empty());
        self
    }

    /// The bound the evaluation reached, if any, as the error that stops the root: `what` says
    /// where reading stopped.
    fn stopped(&self, what: impl FnOnce() -> String) -> Result<(), InputError> {
        match self.env.first_cut() {
            None => Ok(()),
            Some((bound, file, line)) => Err(InputError::cut(self.path(file), Some(line), bound, &what())),
        }
    }

    fn path(&self, file: usize) -> &'r str {
        self.sources.get(file).map_or("", |s| s.path.as_str())
    }

    fn error(&self, file: usize, line: u32, message: impl Into<String>) -> InputError {
        InputError::new(self.path(file), Some(line), message)
    }

    /// Reads a root module with its variables (values of its variables files, in order).
    pub fn root(mut self, root: usize, var_files: &[usize]) -> Result<Read, InputError> {
        let folder = &self.folders[root];
        let mut given: HashMap<String, At> = HashMap::new();
        {
            let ctx = Ctx { env: &self.env, scope: None, each: None, count: None };
            for file in var_files {
                for a in &self.sources[*file].attrs {
                    given.insert(a.name.clone(), ctx.eval(*file, &a.expr));
                }
            }
        }
        let vars = self.variables(folder, given, false);
        let mut chain = vec![root];
        let result = self.module(root, vars, "", &mut chain).and_then(|()| self.stopped(|| "reading stopped here".into()));
        match result {
            Ok(()) => Ok(self.read),
            // What was read before the bound stands; the source is failed.
            Err(e) if e.bound.is_some() => {
                self.read.failures.push(e);
                Ok(self.read)
            }
            Err(e) => Err(e),
        }
    }

    /// A module's variables: what is given (a caller's arguments, a root's variables files),
    /// else the default; converted to the declared type. A variable with neither is absent:
    /// known only at apply time.
    fn variables(&self, folder: &Folder, mut given: HashMap<String, At>, passed: bool) -> HashMap<String, Var> {
        let plain = Ctx { env: &self.env, scope: None, each: None, count: None };
        let mut vars = HashMap::with_capacity(folder.variables.len());
        for (name, block) in &folder.variables {
            let (at, from_given) = match given.remove(name) {
                Some(at) => (at, true),
                None => match block.attr("default") {
                    Some(d) => (plain.eval(d.file, &d.expr), false),
                    None => continue,
                },
            };
            let at = match block.attr("type") {
                Some(ty) if !at.is_unknown() => convert(at, &ty.expr, &plain, ty.file, 0),
                _ => at,
            };
            vars.insert(name.clone(), Var { at, passed: passed && from_given });
        }
        vars
    }

    /// Counts a block's instances: past the bound the root stops; within it, each instance
    /// adds to the step budget.
    fn count_instances(&mut self, n: usize, file: usize, line: u32, what: &str) -> Result<(), InputError> {
        self.instances = self.instances.saturating_add(n);
        let max = self.env.bounds.instances;
        if self.instances > max {
            return Err(InputError::cut(
                self.path(file),
                Some(line),
                Bound::Instances(max),
                &format!("{what} and what follows it were not read"),
            ));
        }
        self.env.grow(self.instances);
        Ok(())
    }

    fn instances(&self, ctx: &Ctx, block: &Block, what: &str) -> Result<Instances, InputError> {
        let (for_each, count) = (block.attr("for_each"), block.attr("count"));
        let instances = match (for_each, count) {
            (Some(_), Some(c)) => return Err(self.error(c.file, c.line, format!("{what}: for_each and count cannot both be set"))),
            (None, None) => Instances::One,
            (Some(f), None) => {
                let value = ctx.eval(f.file, &f.expr);
                match &value.value {
                    Ev::Object(o) => {
                        let keys = o
                            .sorted()
                            .into_iter()
                            .map(|(k, l, v)| (At { file: value.file, line: *l, value: Ev::Text(k.clone()) }, v.clone()));
                        Instances::Keys(keys.collect())
                    }
                    Ev::Set(items) => {
                        let mut keys = Vec::with_capacity(items.len());
                        for item in items.iter() {
                            if item.text().is_none() {
                                return Err(self.error(f.file, f.line, format!("{what}: for_each takes a map or a set of strings")));
                            }
                            keys.push((item.clone(), item.clone()));
                        }
                        Instances::Keys(keys)
                    }
                    Ev::Unknown(_) => Instances::Unknown,
                    Ev::List(_) => {
                        return Err(self.error(
                            f.file,
                            f.line,
                            format!("{what}: for_each takes a map or a set of strings, not a list (toset() makes a set of one)"),
                        ));
                    }
                    _ => return Err(self.error(f.file, f.line, format!("{what}: for_each takes a map or a set of strings"))),
                }
            }
            (None, Some(c)) => {
                let value = ctx.eval(c.file, &c.expr);
                match &value.value {
                    Ev::Text(n) => match n.parse::<usize>() {
                        Ok(n) => Instances::Count(n),
                        Err(_) => return Err(self.error(c.file, c.line, format!("{what}: count must be a whole number"))),
                    },
                    Ev::Unknown(_) => Instances::Unknown,
                    _ => return Err(self.error(c.file, c.line, format!("{what}: count must be a whole number"))),
                }
            }
        };
        Ok(instances)
    }

    /// Calls `each` once per instance with its address suffix and its `each` / `count`.
    fn expand(
        &mut self,
        scope: &Scope,
        block: &Block,
        what: &str,
        mut each: impl FnMut(&mut Self, &Ctx<'_, '_>, String) -> Result<(), InputError>,
    ) -> Result<(), InputError> {
        let instances = {
            let ctx = Ctx { env: &self.env, scope: Some(scope), each: None, count: None };
            self.instances(&ctx, block, what)?
        };
        // A `for_each` or `count` a bound cut short is not "known only at apply time".
        self.stopped(|| format!("{what} and what follows it were not read"))?;
        let n = match &instances {
            Instances::Keys(k) => k.len(),
            Instances::Count(n) => *n,
            Instances::One | Instances::Unknown => 1,
        };
        self.count_instances(n, block.file, block.line, what)?;
        match instances {
            Instances::One => self.with_ctx(scope, None, None, (what, String::new()), &mut each),
            Instances::Keys(keys) => {
                for (k, v) in keys {
                    let suffix = quoted_key(k.text().unwrap_or_default());
                    let pair = (k, v);
                    self.with_ctx(scope, Some(&pair), None, (what, suffix), &mut each)?;
                }
                Ok(())
            }
            Instances::Count(n) => {
                for i in 0..n {
                    let index = At { file: block.file, line: block.line, value: Ev::Text(i.to_string()) };
                    self.with_ctx(scope, None, Some(&index), (what, format!("[{i}]")), &mut each)?;
                }
                Ok(())
            }
            Instances::Unknown => {
                let pair = (unknown_at(block.file, block.line, "each.key"), unknown_at(block.file, block.line, "each.value"));
                let index = unknown_at(block.file, block.line, "count.index");
                self.with_ctx(scope, Some(&pair), Some(&index), (what, String::new()), &mut each)
            }
        }
    }

    /// One instance (`address` is the block's and the instance's suffix). An instance during
    /// which a bound was reached gives nothing: what it made so far is dropped, and the root
    /// stops with the bound.
    fn with_ctx(
        &mut self,
        scope: &Scope,
        each_pair: Option<&(At, At)>,
        index: Option<&At>,
        address: (&str, String),
        each: &mut impl FnMut(&mut Self, &Ctx<'_, '_>, String) -> Result<(), InputError>,
    ) -> Result<(), InputError> {
        // The environment (files, budgets) outlives this call; a copy spending from the same
        // budget lets the context and the reader be used together.
        let env = self.env.share();
        let ctx = Ctx { env: &env, scope: Some(scope), each: each_pair, count: index };
        let before = (self.read.destinations.len(), self.read.certificates.len());
        let (base, suffix) = address;
        let result = each(self, &ctx, suffix.clone());
        if let Err(e) = self.stopped(|| format!("{base}{suffix} and what follows it were not read")) {
            self.read.destinations.truncate(before.0);
            self.read.certificates.truncate(before.1);
            return Err(e);
        }
        result
    }

    fn module(&mut self, index: usize, vars: HashMap<String, Var>, prefix: &str, chain: &mut Vec<usize>) -> Result<(), InputError> {
        let folders = self.folders;
        let folder = &folders[index];
        if !self.read.folders.contains(&index) {
            self.read.folders.push(index);
        }
        let scope = Scope::new(&folder.locals, vars);
        for block in &folder.resources {
            let kind = block.labels[0].as_str();
            let name = block.labels[1].as_str();
            if kind == CERTIFICATE {
                let base = format!("{prefix}{kind}.{name}");
                let dir = folder.dir.clone();
                self.expand(&scope, block, &base, |reader, ctx, suffix| {
                    let c = reader.certificate(ctx, block, &format!("{base}{suffix}"));
                    reader.read.certificates.push((c, dir.clone()));
                    Ok(())
                })?;
                continue;
            }
            let interesting = kind == DESTINATION || kind == DESTINATION_GENERIC || block.attr("parameters").is_some();
            if !interesting {
                continue;
            }
            let base = format!("{prefix}{kind}.{name}");
            self.expand(&scope, block, &base, |reader, ctx, suffix| reader.resource(ctx, block, kind, &format!("{base}{suffix}")))?;
        }
        for call in &folder.calls {
            let name = call.labels[0].as_str();
            let address = format!("{prefix}module.{name}");
            let Some(source) = source_of(call) else {
                let line = call.attr("source").map_or(call.line, |a| a.line);
                return Err(self.error(call.file, line, format!("{address}: source must be a literal string")));
            };
            let Some(dir) = local_source(&folder.dir, source) else {
                self.remote(&scope, call, &address, source)?;
                continue;
            };
            let Some(callee) = lookup(self.by_dir, &dir) else {
                let line = call.attr("source").map_or(call.line, |a| a.line);
                let max = self.env.bounds.folders;
                if self.by_dir.len() >= max {
                    // Not read because the run reached its bound on folders, not missing.
                    return Err(InputError::cut(self.path(call.file), Some(line), Bound::Folders(max), &format!("{address} was not read")));
                }
                // Not read, as a remote module given Cloud ALM values is not: a failed source
                // (named or walked), and the rest of the file is still read.
                let source = module_source_shown(source);
                self.read.failures.push(self.error(
                    call.file,
                    line,
                    format!(
                        "{address}: source \"{source}\" is not a folder of Terraform configuration, so the module is not read and the destinations it defines cannot be judged"
                    ),
                ));
                continue;
            };
            if chain.contains(&callee) {
                return Err(self.error(
                    call.file,
                    call.line,
                    format!("{address} calls {}, which is already being read: a module cannot call itself", folders[callee].shown),
                ));
            }
            let max = self.env.bounds.module_depth;
            if chain.len() >= max {
                return Err(InputError::cut(
                    self.path(call.file),
                    Some(call.line),
                    Bound::ModuleDepth(max),
                    &format!("{address} was not read"),
                ));
            }
            let reserved = ["source", "version", "providers", "depends_on", "for_each", "count"];
            self.expand(&scope, call, &address, |reader, ctx, suffix| {
                let mut given = HashMap::new();
                for a in call.attrs.iter().filter(|a| !reserved.contains(&a.name.as_str())) {
                    given.insert(a.name.clone(), ctx.eval(a.file, &a.expr));
                }
                let vars = reader.variables(&folders[callee], given, true);
                chain.push(callee);
                let result = reader.module(callee, vars, &format!("{address}{suffix}."), chain);
                chain.pop();
                result
            })?;
        }
        Ok(())
    }

    /// A module call whose `source` is not a local folder (a registry, git or archive): not
    /// fetched, so what it defines is not read. When what the call passes shows Cloud ALM (a
    /// URL host, a `CALM_` name, a Cloud ALM key), the destinations it makes cannot be judged:
    /// a failed source (SPEC 2.1). Otherwise a note. The source is shown redacted either way.
    fn remote(&mut self, scope: &Scope, call: &Block, address: &str, source: &str) -> Result<(), InputError> {
        const RESERVED: [&str; 6] = ["source", "version", "providers", "depends_on", "for_each", "count"];
        let shown = module_source_shown(source);
        let mut found: Option<(String, u32, &'static str)> = None;
        let depth = self.env.bounds.depth.saturating_mul(4);
        let selected = self.selected;
        self.expand(scope, call, address, |_, ctx, _| {
            for a in call.attrs.iter().filter(|a| !RESERVED.contains(&a.name.as_str())) {
                if found.is_none()
                    && let Some(what) = cloud_alm_in(&ctx.eval(a.file, &a.expr), depth, selected)
                {
                    found = Some((a.name.clone(), a.line, what));
                }
            }
            Ok(())
        })?;
        let at = format!("{}:{}", self.path(call.file), call.line);
        match found {
            Some((argument, line, what)) => self.read.failures.push(InputError::new(
                self.path(call.file),
                Some(line),
                format!(
                    "{address} comes from \"{shown}\", which is not read (only local module folders, ./ and ../, are followed), and its argument \"{argument}\" is given {what}: the destinations it defines cannot be judged (exclude this file to leave the call out)"
                ),
            )),
            None => self.read.notes.push((
                at,
                format!("{address} comes from \"{shown}\", which is not read: only local module folders (./, ../) are followed"),
            )),
        }
        Ok(())
    }

    /// A `btp_subaccount_destination_certificate`: its name, and its content as the deployment
    /// will upload it. `certificate_content = filebase64("path")` names a file, read later from
    /// the module's folder; a literal is the base64 of the file itself; anything else is known
    /// only at apply time.
    fn certificate(&self, ctx: &Ctx, block: &Block, address: &str) -> CertificateResource {
        let name = block.attr("certificate_name").map(|a| match ctx.eval(a.file, &a.expr).value {
            Ev::Text(t) => Found::Text(t),
            _ => Found::Unresolved(ctx.source_text(a.file, &a.expr)),
        });
        let level = match block.attr("service_instance_id").map(|a| ctx.eval(a.file, &a.expr).value) {
            Some(Ev::Null) | None => Level::Subaccount,
            Some(_) => Level::Instance,
        };
        let content = block.attr("certificate_content").map(|a| match &a.expr.kind {
            X::Call(f, args, false) if f == "filebase64" && args.len() == 1 => match ctx.eval(a.file, &args[0]).value {
                Ev::Text(path) => CertificateContent::File(path),
                _ => CertificateContent::Unresolved(ctx.source_text(a.file, &a.expr)),
            },
            _ => match ctx.eval(a.file, &a.expr).value {
                Ev::Text(base64) => CertificateContent::Base64(base64),
                _ => CertificateContent::Unresolved(ctx.source_text(a.file, &a.expr)),
            },
        });
        CertificateResource { name, content, level, path: self.path(block.file).to_owned(), line: block.line, address: address.to_owned() }
    }

    fn resource(&mut self, ctx: &Ctx, block: &Block, kind: &str, address: &str) -> Result<(), InputError> {
        let file = block.file;
        let path = self.path(file);
        let attr = |name: &str| block.attr(name).map(|a| (ctx.eval(a.file, &a.expr), a.line));
        let level = match attr("service_instance_id") {
            Some((At { value: Ev::Null, .. }, _)) | None => Level::Subaccount,
            Some(_) => Level::Instance,
        };
        let fail = |line: u32, message: String| InputError::new(path, Some(line), format!("{address}: {message}"));
        let mut shapes = Shapes::default();
        let object = |level, opaque, shapes: &Shapes| Object {
            path,
            line: block.line,
            level: Some(level),
            kind: CodeKind::Terraform,
            name: address.to_owned(),
            opaque,
            cloud_alm_hint: shapes.hint(),
            name_start: shapes.name_start().map(str::to_owned),
        };
        match kind {
            DESTINATION => {
                let mut entries = Vec::new();
                for (name, property) in DESTINATION_ATTRIBUTES {
                    if let Some((value, key_line)) = attr(name) {
                        shapes.note(property, &value);
                        self.push(&mut entries, property, value, key_line).map_err(|m| fail(key_line, m))?;
                    }
                }
                if block.attr("name").is_none() {
                    return Err(fail(block.line, "no name".into()));
                }
                let mut opaque = None;
                if let Some((value, key_line)) = attr("additional_configuration") {
                    match &value.value {
                        Ev::Unknown(u) => opaque = Some(format!("additional_configuration = {}", u.text)),
                        _ => self
                            .members(value, key_line, &mut entries, &mut shapes)
                            .map_err(|m| fail(key_line, format!("additional_configuration: {m}")))?,
                    }
                }
                self.read.destinations.push(destination(entries, object(level, opaque, &shapes)));
            }
            DESTINATION_GENERIC => {
                let Some((value, key_line)) = attr("destination_configuration") else {
                    // An older page of the provider's documentation showed this resource with
                    // `additional_configuration`, the attribute of btp_subaccount_destination.
                    let why = match attr("additional_configuration") {
                        Some((_, line)) => format!(
                            "no destination_configuration: the generic resource takes the whole destination in destination_configuration; additional_configuration (line {line}) belongs to btp_subaccount_destination, and the provider refuses it here"
                        ),
                        None => "no destination_configuration".into(),
                    };
                    return Err(fail(block.line, why));
                };
                let mut entries = Vec::new();
                let mut opaque = None;
                match &value.value {
                    Ev::Unknown(u) => opaque = Some(format!("destination_configuration = {}", u.text)),
                    _ => self
                        .members(value, key_line, &mut entries, &mut shapes)
                        .map_err(|m| fail(key_line, format!("destination_configuration: {m}")))?,
                }
                if opaque.is_none() && !entries.iter().any(|e| e.key == "Name") {
                    return Err(fail(key_line, "destination_configuration has no \"Name\"".into()));
                }
                self.read.destinations.push(destination(entries, object(level, opaque, &shapes)));
            }
            _ => {
                // A service instance whose parameters carry `init_data` (the destination service's).
                let Some((At { value: Ev::Encoded(params), .. }, _)) = attr("parameters") else { return Ok(()) };
                let Ev::Object(members_of) = &params.value else { return Ok(()) };
                let Some(init) = members_of.get("init_data") else { return Ok(()) };
                let Ev::Object(sections) = &init.value else { return Err(fail(init.line, "init_data must be an object".into())) };
                for (section, _, value) in &sections.members {
                    let level = match section.as_str() {
                        "subaccount" => Level::Subaccount,
                        "instance" => Level::Instance,
                        _ => continue,
                    };
                    let Ev::Object(section_members) = &value.value else { continue };
                    let Some(list) = section_members.get("destinations") else { continue };
                    let Ev::List(items) = &list.value else { return Err(fail(list.line, "destinations must be a list".into())) };
                    for item in items.iter() {
                        let mut entries = Vec::new();
                        let mut shapes = Shapes::default();
                        let item_line = item.line;
                        self.members(item.clone(), item_line, &mut entries, &mut shapes).map_err(|m| fail(item_line, m))?;
                        if !entries.iter().any(|e| e.key == "Name") {
                            return Err(fail(item_line, "a destination in init_data has no \"Name\"".into()));
                        }
                        let mut o = object(level, None, &shapes);
                        o.path = self.path(item.file);
                        o.line = item_line;
                        self.read.destinations.push(destination(entries, o));
                    }
                }
            }
        }
        Ok(())
    }

    /// One property from a value; `Err` names what is wrong (never the value).
    fn push(&self, entries: &mut Vec<Entry>, key: &str, value: At, key_line: u32) -> Result<(), String> {
        // A literal written on the attribute's own line is located there; a value from a
        // variable default, a variables file or a module's caller where it is written.
        let (path, line) = (self.path(value.file).to_owned(), value.line.max(1));
        let found = match value.value {
            Ev::Text(t) => Found::Text(t),
            Ev::Unknown(u) if u.computed => Found::Computed(u.text.clone()),
            Ev::Unknown(u) => Found::Unresolved(u.text.clone()),
            Ev::Null => return Ok(()),
            Ev::List(_) | Ev::Set(_) | Ev::Object(_) | Ev::Encoded(_) => return Err(format!("property \"{key}\" must be a string")),
        };
        entries.push(Entry { key: key.to_owned(), value: found, path, line, key_line: Some(key_line) });
        Ok(())
    }

    /// The members of an encoded destination object (`jsonencode({...})`, or a JSON string).
    fn members(&self, value: At, line: u32, entries: &mut Vec<Entry>, shapes: &mut Shapes) -> Result<(), String> {
        let object = match value.value {
            Ev::Encoded(inner) => *inner,
            Ev::Object(_) => value,
            Ev::Text(json) => return self.json_members(value.file, line, &json, entries),
            Ev::Null => return Ok(()),
            _ => return Err("must be jsonencode({...}) of an object".into()),
        };
        let Ev::Object(members) = &object.value else { return Err("must be an object".into()) };
        for (key, key_line, v) in &members.members {
            shapes.note(key, v);
            self.push(entries, key, v.clone(), *key_line)?;
        }
        Ok(())
    }

    /// A destination written as a JSON string (a heredoc, say): every member on the attribute's line.
    fn json_members(&self, file: usize, line: u32, json: &str, entries: &mut Vec<Entry>) -> Result<(), String> {
        use crate::source::tree::{Kind, parse_json};
        let node = parse_json(json).map_err(|e| format!("not a JSON object: {}", e.message))?;
        let Kind::Map(pairs) = node.kind else { return Err("must be a JSON object".into()) };
        let path = self.path(file);
        for (key, _, value) in pairs {
            let text = match value.kind {
                Kind::Scalar(s) | Kind::Literal(s) => s.into_owned(),
                Kind::Null => continue,
                _ => return Err(format!("property \"{key}\" must be a string")),
            };
            entries.push(Entry { key: key.into_owned(), value: Found::Text(text), path: path.to_owned(), line, key_line: None });
        }
        Ok(())
    }
}

/// The known parts of a destination's `Name` and `URL` when the whole is unknown.
#[derive(Default)]
struct Shapes {
    name: Option<String>,
    url: Option<String>,
    /// A string literal of the unknown `URL`'s expression shows a Cloud ALM host
    /// ([`crate::source::code::url_expression_shows_cloud_alm`]).
    url_literal: bool,
}

impl Shapes {
    fn note(&mut self, key: &str, value: &At) {
        let Ev::Unknown(u) = &value.value else { return };
        if key == "URL" {
            self.url_literal = crate::source::code::url_expression_shows_cloud_alm(&u.text);
        }
        let Some(shape) = &u.shape else { return };
        match key {
            "Name" => self.name = Some(shape.clone()),
            "URL" => self.url = Some(shape.replace(HOLE, "x")),
            _ => {}
        }
    }

    fn name_start(&self) -> Option<&str> {
        self.name.as_deref().map(|n| n.split(HOLE).next().unwrap_or_default())
    }

    fn hint(&self) -> bool {
        self.url_literal || shows_cloud_alm(self.name_start(), self.url.as_deref())
    }
}

/// A module `source` as messages show it: redacted as every URL is (credentials and query
/// values hidden, [`crate::model::url::redact`]), after a forced getter (`git::`, `s3::`,
/// `hg::`, ...) is set apart; what is hidden is remembered for the output's masker too. Only a
/// plain local path or registry address is shown as written.
pub fn module_source_shown(source: &str) -> String {
    use crate::model::url;
    let (getter, rest) = match source.split_once("::") {
        Some((g, rest)) if !g.is_empty() && g.bytes().all(|b| b.is_ascii_alphanumeric()) => (&source[..g.len() + 2], rest),
        _ => ("", source),
    };
    // Hidden parts are secrets for the masker too, except a `?ref=main` and its kin alone: a
    // branch or tag name masked everywhere would garble reports.
    let plain_query = |q: &str| q.split('&').all(|p| matches!(p.split_once('=').map(|(n, _)| n), Some("ref" | "depth" | "archive")));
    let only_plain = match rest.split_once('?') {
        Some((base, query)) => !base.contains(['@', '#']) && !query.contains('#') && plain_query(query),
        None => !rest.contains(['@', '#']),
    };
    if !only_plain {
        url::remember_hidden_parts(rest);
    }
    let shown = format!("{getter}{}", url::redact(rest));
    shown.replace(['\n', '\r'], " ")
}

/// What in a value passed to a module shows Cloud ALM, if anything: a text with a Cloud ALM
/// host or a `CALM_` start, a template whose known parts do, a map key that does, an object
/// with a Cloud ALM key's `uaa` and `endpoints`. A value nested deeper than `depth` is taken
/// as showing it: what cannot be looked into is not judged harmless.
fn cloud_alm_in(v: &At, depth: usize, selected: Option<&str>) -> Option<&'static str> {
    if depth == 0 {
        return Some("a value nested too deeply to look into");
    }
    match &v.value {
        Ev::Text(t) if selected.is_some_and(|s| t.trim() == s) => Some("the name the settings select"),
        Ev::Text(t) => text_shows_cloud_alm(t),
        Ev::Unknown(u) => u
            .shape
            .as_deref()
            .is_some_and(|shape| {
                let start = shape.split(HOLE).next().unwrap_or_default();
                shows_cloud_alm(Some(start), Some(&shape.replace(HOLE, "x")))
            })
            .then_some("a value whose known part shows Cloud ALM")
            .or_else(|| crate::source::code::url_expression_shows_cloud_alm(&u.text).then_some("an expression with a Cloud ALM URL")),
        Ev::List(items) | Ev::Set(items) => items.iter().find_map(|i| cloud_alm_in(i, depth - 1, selected)),
        Ev::Object(o) => {
            if o.get("uaa").is_some() && o.get("endpoints").is_some() {
                return Some("a Cloud ALM key");
            }
            o.members.iter().find_map(|(k, _, m)| if starts_calm(k) { Some("a CALM_ name") } else { cloud_alm_in(m, depth - 1, selected) })
        }
        Ev::Encoded(inner) => cloud_alm_in(inner, depth - 1, selected),
        Ev::Null => None,
    }
}

fn starts_calm(text: &str) -> bool {
    text.trim_start().get(..5).is_some_and(|p| p.eq_ignore_ascii_case("CALM_"))
}

/// A text that is or holds a Cloud ALM URL (JSON of a key included), or a name that brings a
/// destination into scope or selects a Cloud ALM purpose (`CALM_...`,
/// `sap_process_automation_cloud_alm`, `CloudALM`).
fn text_shows_cloud_alm(text: &str) -> Option<&'static str> {
    if starts_calm(text) {
        return Some("a CALM_ name");
    }
    if crate::model::destination::names_cloud_alm(text) {
        return Some("a Cloud ALM destination's name");
    }
    let separator = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']' | '{' | '}' | '<' | '>');
    text.split(separator).any(|token| shows_cloud_alm(None, Some(token))).then_some("a Cloud ALM URL")
}

/// Folders reachable from `root` through local module calls, the root first.
pub fn reachable(root: usize, folders: &[Folder], by_dir: &HashMap<PathBuf, usize>) -> Vec<usize> {
    let mut seen = HashSet::from([root]);
    let mut order = vec![root];
    let mut i = 0;
    while i < order.len() {
        let f = &folders[order[i]];
        for call in &f.calls {
            if let Some(callee) = source_of(call).and_then(|s| local_source(&f.dir, s)).and_then(|d| lookup(by_dir, &d))
                && seen.insert(callee)
            {
                order.push(callee);
            }
        }
        i += 1;
    }
    order
}

/// The folder at `dir`, as written or, through symbolic links, as it really is.
pub fn lookup(by_dir: &HashMap<PathBuf, usize>, dir: &Path) -> Option<usize> {
    by_dir.get(dir).copied().or_else(|| std::fs::canonicalize(dir).ok().and_then(|c| by_dir.get(&c).copied()))
}
