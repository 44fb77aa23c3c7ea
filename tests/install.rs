//! Installing without compiling (issue 31, SPEC section 9), run as far as this machine allows:
//! the release scripts pack the host's release build as the release workflow packs every
//! target; the GitHub Action's install script against a fake release server on 127.0.0.1 (the
//! right checksum installs, a wrong one fails closed and never runs the file, a missing release
//! falls back to `cargo install --locked`, said in the log); the wheel installed offline into a
//! fresh virtual environment; the docs' pre-commit hook from the wheel through the real
//! pre-commit; the release workflow through actionlint; the Dockerfile through hadolint and
//! the rules it must keep.
//!
//! The release binary and the wheel are not built here: `.ci/run` builds them once before the
//! tests (`.github/scripts/build.sh HOST`, `.github/scripts/wheel.sh target/wheels`), and the
//! benchmarks reuse that build. Without them the tests that need them say so loudly and pass,
//! except with `CI=true`. Tools come from PyPI through `.ci/install-tools`, as in
//! tests/integrations.rs.
#![allow(clippy::disallowed_methods)] // tests write their fixtures and speak directly

#[path = "support/process.rs"]
mod process;
#[path = "support/skip.rs"]
mod skip;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use process::{on_path, run_bounded};
use sha2::{Digest, Sha256};
use skip::unavailable;
use yaml_rust2::{Yaml, YamlLoader};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn log_of(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

static INSTALL: Mutex<()> = Mutex::new(());

/// A tool of `.ci/install-tools`: from PATH, else from its virtual environment, installed on
/// first use. `Err` says why it cannot be had.
fn ci_tool(name: &str) -> Result<PathBuf, String> {
    if let Some(found) = on_path(name) {
        return Ok(found);
    }
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut install = Command::new("bash");
    install.arg(root().join(".ci/install-tools"));
    let (ok, stdout, stderr) = run_bounded(install, Duration::from_secs(600));
    if !ok {
        return Err(format!("`.ci/install-tools` could not install it from PyPI: {}", stderr.trim()));
    }
    let bin = PathBuf::from(stdout.trim()).join(name);
    if bin.is_file() { Ok(bin) } else { Err(format!("{} is not there after `.ci/install-tools`", bin.display())) }
}

fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.strip_prefix("host: ")).expect("host line").to_owned()
}

/// The release build of `.ci/run` (`.github/scripts/build.sh HOST`), when it is there.
fn release_binary(what: &str) -> Option<PathBuf> {
    let bin = root().join("target/release/calm-audit");
    if bin.is_file() {
        return Some(bin);
    }
    unavailable(what, "target/release/calm-audit is not built (`bash .github/scripts/build.sh HOST`, as .ci/run does)");
    None
}

/// The wheel of `.ci/run` (`.github/scripts/wheel.sh target/wheels`), when it is there.
fn wheel_dir(what: &str) -> Option<PathBuf> {
    let dir = root().join("target/wheels");
    let prefix = format!("calm_audit-{VERSION}-");
    let found = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(&prefix) && e.file_name().to_string_lossy().ends_with(".whl"));
    if found {
        return Some(dir);
    }
    unavailable(what, &format!("no {prefix}*.whl in target/wheels (`bash .github/scripts/wheel.sh target/wheels`, as .ci/run does)"));
    None
}

#[test]
fn the_workflow_builds_with_the_command_ci_runs_for_the_host() {
    let host = host();
    let print = |target: &str| {
        let out = Command::new("bash").arg(root().join(".github/scripts/build.sh")).args([target, "--print"]).output().expect("bash");
        assert!(out.status.success(), "{}", log_of(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    // The host's build is the release build .ci/run and bench/perf.py make: built once in CI.
    assert_eq!(print(&host), "cargo build --release --locked --bin calm-audit");
    assert_eq!(print("aarch64-unknown-linux-musl"), "cargo build --release --locked --bin calm-audit --target aarch64-unknown-linux-musl");
    let ci = read(".ci/run");
    assert!(ci.contains("bash .github/scripts/build.sh \"$host\""), ".ci/run builds with the workflow's script");
    assert!(ci.contains("bash .github/scripts/wheel.sh target/wheels"), ".ci/run builds the wheel");

    let workflow = YamlLoader::load_from_str(&read(".github/workflows/release.yml")).expect("release.yml parses");
    let workflow = &workflow[0];
    let build = &workflow["jobs"]["build"];
    let targets: Vec<&str> =
        build["strategy"]["matrix"]["include"].as_vec().expect("matrix").iter().filter_map(|e| e["target"].as_str()).collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc"
        ]
    );
    let runs: String = build["steps"].as_vec().expect("steps").iter().filter_map(|s| s["run"].as_str()).collect();
    for script in [
        "bash .github/scripts/build.sh \"$TARGET\"",
        "bash .github/scripts/package.sh \"$TARGET\" \"$DIR\" dist",
        "bash .github/scripts/wheel.sh dist/wheels \"$TARGET\"",
    ] {
        assert!(runs.contains(script), "the release workflow runs `{script}`");
    }
    let on_tags = workflow["on"]["push"]["tags"].as_vec().is_some_and(|t| !t.is_empty());
    assert!(on_tags, "the release runs on a tag");
    // cargo-binstall finds the same archives.
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).expect("Cargo.toml");
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let url = binstall["pkg-url"].as_str().expect("pkg-url");
    assert_eq!(
        url.replace("{ repo }", "R").replace("{ version }", VERSION).replace("{ name }", "calm-audit").replace("{ target }", "T"),
        format!("R/releases/download/v{VERSION}/calm-audit-{VERSION}-T.tar.gz")
    );
    let windows = binstall["overrides"]["x86_64-pc-windows-msvc"]["pkg-url"].as_str().expect("Windows pkg-url");
    assert!(windows.ends_with("{ target }.zip"), "{windows}");
}

#[test]
fn the_release_archive_of_the_host_build_holds_a_binary_that_runs_and_its_checksum() {
    let Some(binary) = release_binary("the release archive of the host build") else { return };
    let host = host();
    let out_dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new("bash")
        .arg(root().join(".github/scripts/package.sh"))
        .args([host.as_str(), &binary.parent().expect("folder").display().to_string(), &out_dir.path().display().to_string()])
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", log_of(&out));
    let name = format!("calm-audit-{VERSION}-{host}.tar.gz");
    let archive = out_dir.path().join(&name);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), archive.display().to_string());
    let bytes = std::fs::read(&archive).expect("the archive");
    let sums = std::fs::read_to_string(out_dir.path().join(format!("{name}.sha256"))).expect("the checksum");
    assert_eq!(sums, format!("{}  {name}\n", sha256_hex(&bytes)), "sha256sum format, the archive's own digest");

    let unpacked = tempfile::tempdir().expect("temp dir");
    let tar = Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(unpacked.path()).status().expect("tar");
    assert!(tar.success());
    let folder = unpacked.path().join(format!("calm-audit-{VERSION}-{host}"));
    for file in ["calm-audit", "README.md", "CHANGELOG.md"] {
        assert!(folder.join(file).is_file(), "{file} is in the archive");
    }
    let version = Command::new(folder.join("calm-audit")).arg("--version").output().expect("run the packed binary");
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("calm-audit {VERSION}"));
}

/// Path -> (HTTP status, body) of the fake release server.
type Files = Arc<Mutex<HashMap<String, (u16, Vec<u8>)>>>;

/// A checksum file made from (archive name, archive bytes).
type SumsOf = fn(&str, &[u8]) -> String;

/// A release server on 127.0.0.1: GET of a known path answers its status and body, anything
/// else 404; every path asked is recorded.
struct FakeRelease {
    base: String,
    files: Files,
    asked: Arc<Mutex<Vec<String>>>,
}

impl FakeRelease {
    fn start() -> FakeRelease {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let base = format!("http://{}/releases/download", listener.local_addr().expect("address"));
        let files: Files = Arc::default();
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let (f, a) = (Arc::clone(&files), Arc::clone(&asked));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (f, a) = (Arc::clone(&f), Arc::clone(&a));
                std::thread::spawn(move || serve(stream, &f, &a));
            }
        });
        FakeRelease { base, files, asked }
    }

    fn put(&self, path: &str, status: u16, body: Vec<u8>) {
        self.files.lock().expect("files").insert(format!("/releases/download/{path}"), (status, body));
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("asked").clone()
    }
}

fn serve(stream: TcpStream, files: &Mutex<HashMap<String, (u16, Vec<u8>)>>, asked: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or_default().to_owned();
    asked.lock().expect("asked").push(path.clone());
    let (status, body) = files.lock().expect("files").get(&path).cloned().unwrap_or((404, b"Not Found".to_vec()));
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Error",
    };
    let mut stream = &stream;
    let head = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// The release target install.sh asks for on this machine, as it names it from `uname`.
fn release_target() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("x86_64-unknown-linux-musl"),
        ("linux", "aarch64") => Some("aarch64-unknown-linux-musl"),
        ("macos", "x86_64") => Some("x86_64-apple-darwin"),
        ("macos", "aarch64") => Some("aarch64-apple-darwin"),
        _ => None,
    }
}

/// A fake release archive made by the release workflow's own package.sh: its "calm-audit"
/// leaves a mark when run, so a test can tell whether anything ran it. (archive name, bytes)
fn fake_archive(target: &str, mark: &Path) -> (String, Vec<u8>) {
    let bin = tempfile::tempdir().expect("temp dir");
    let exe = bin.path().join("calm-audit");
    std::fs::write(&exe, format!("#!/bin/sh\ntouch '{}'\necho \"calm-audit {VERSION} (fake release)\"\n", mark.display()))
        .expect("fake binary");
    let out = tempfile::tempdir().expect("temp dir");
    let run = Command::new("bash")
        .arg(root().join(".github/scripts/package.sh"))
        .arg(target)
        .arg(bin.path())
        .arg(out.path())
        .output()
        .expect("bash");
    assert!(run.status.success(), "{}", log_of(&run));
    let name = format!("calm-audit-{VERSION}-{target}.tar.gz");
    let bytes = std::fs::read(out.path().join(&name)).expect("archive");
    (name, bytes)
}

struct Install {
    code: i32,
    log: String,
    output: String,
    /// The arguments the fake cargo was called with, one per line; empty when not called.
    cargo: String,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Install {
    fn installed(&self) -> PathBuf {
        self.root.join("bin/calm-audit")
    }
}

/// Runs the Action's install step (`.github/scripts/install.sh`) as action.yml does: the
/// Action's folder, ref and repository, ROOT, GITHUB_OUTPUT, the release server in
/// CALM_AUDIT_RELEASE_URL, and a fake `cargo` first on PATH that records its arguments.
fn install(action_path: &Path, action_ref: &str, base: &str, path: Option<&Path>) -> Install {
    install_with(action_path, action_ref, base, path, true)
}

fn install_with(action_path: &Path, action_ref: &str, base: &str, path: Option<&Path>, fake_cargo: bool) -> Install {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake_bin = dir.path().join("fake-bin");
    std::fs::create_dir_all(&fake_bin).expect("fake bin");
    let cargo_log = dir.path().join("cargo-args");
    std::fs::write(fake_bin.join("cargo"), format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", cargo_log.display())).expect("fake cargo");
    let chmod = Command::new("chmod").arg("+x").arg(fake_bin.join("cargo")).status().expect("chmod");
    assert!(chmod.success());
    let system_path = path.map_or_else(|| std::env::var_os("PATH").unwrap_or_default(), |p| p.as_os_str().to_owned());
    let first = fake_cargo.then(|| fake_bin.clone());
    let path = std::env::join_paths(first.into_iter().chain(std::env::split_paths(&system_path))).expect("PATH");
    let script = root().join(".github/scripts/install.sh");
    let (root, output) = (dir.path().join("tools/calm-audit/0123456789abcdef"), dir.path().join("github-output"));
    let mut bash = Command::new("bash");
    bash.arg(script)
        .env("PATH", path)
        .env("GITHUB_ACTION_PATH", action_path)
        .env("ACTION_REF", action_ref)
        .env("ACTION_REPOSITORY", "")
        .env("ROOT", &root)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", dir.path())
        .env("CALM_AUDIT_RELEASE_URL", base)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    for proxy in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"] {
        bash.env_remove(proxy);
    }
    let started = Instant::now();
    let out = bash.output().expect("bash install.sh");
    assert!(started.elapsed() < Duration::from_secs(120), "install.sh took {:?}", started.elapsed());
    Install {
        code: out.status.code().unwrap_or(-1),
        log: log_of(&out),
        output: std::fs::read_to_string(&output).unwrap_or_default(),
        cargo: std::fs::read_to_string(&cargo_log).unwrap_or_default(),
        root,
        _dir: dir,
    }
}

/// A release of this version for this machine on a fake server: (server, archive name,
/// archive bytes, the mark its binary leaves when run, the mark's folder).
fn release_with(sums: impl Fn(&str, &[u8]) -> String) -> Option<(FakeRelease, String, Vec<u8>, PathBuf, tempfile::TempDir)> {
    let Some(target) = release_target() else {
        unavailable("the Action's install script against a fake release", "the release has no build for this platform");
        return None;
    };
    let marks = tempfile::tempdir().expect("temp dir");
    let mark = marks.path().join("ran");
    let (name, bytes) = fake_archive(target, &mark);
    let server = FakeRelease::start();
    server.put(&format!("v{VERSION}/{name}"), 200, bytes.clone());
    server.put(&format!("v{VERSION}/calm-audit-{VERSION}-sha256sums.txt"), 200, sums(&name, &bytes).into_bytes());
    Some((server, name, bytes, mark, marks))
}

/// The checksum file of the release workflow: every target, one line each.
fn right_sums(name: &str, bytes: &[u8]) -> String {
    format!(
        "{}  calm-audit-{VERSION}-x86_64-pc-windows-msvc.zip\n{}  {name}\n{}  calm-audit-{VERSION}-aarch64-apple-darwin.tar.gz\n",
        "1".repeat(64),
        sha256_hex(bytes),
        "2".repeat(64)
    )
}

#[test]
fn the_action_installs_the_release_binary_when_its_checksum_is_right() {
    let Some((server, name, _, mark, _marks)) = release_with(right_sums) else {
        return unavailable("the install script's download", "no release build for this platform");
    };
    let run = install(&root(), &format!("v{VERSION}"), &server.base, None);
    assert_eq!(run.code, 0, "{}", run.log);
    assert!(run.output.contains("source=release"), "{}", run.output);
    assert!(run.cargo.is_empty(), "nothing is built when a release exists: cargo {}", run.cargo);
    assert!(run.log.contains(&format!("installed calm-audit {VERSION}")) && run.log.contains("verified"), "{}", run.log);
    assert!(!mark.exists(), "the install step never runs the binary");
    let version = Command::new(run.installed()).output().expect("the installed binary runs");
    assert!(String::from_utf8_lossy(&version.stdout).contains("(fake release)"));
    assert_eq!(
        server.asked(),
        [format!("/releases/download/v{VERSION}/calm-audit-{VERSION}-sha256sums.txt"), format!("/releases/download/v{VERSION}/{name}")]
    );
}

#[test]
fn a_wrong_or_missing_checksum_fails_the_step_and_nothing_is_installed_or_run() {
    let cases: [(&str, SumsOf, &str); 5] = [
        ("a wrong digest", |name, _| format!("{}  {name}\n", sha256_hex(b"another file")), "SHA-256 mismatch"),
        ("no line for the archive", |_, bytes| format!("{}  calm-audit-{VERSION}-riscv64.tar.gz\n", sha256_hex(bytes)), "lists no SHA-256"),
        ("a digest that is no digest", |name, _| format!("not-a-digest  {name}\n"), "is not a SHA-256"),
        ("an empty checksum file", |_, _| String::new(), "lists no SHA-256"),
        (
            "two digests for the archive",
            |name, bytes| format!("{}  {name}\n{}  {name}\n", sha256_hex(bytes), "3".repeat(64)),
            "more than one SHA-256",
        ),
    ];
    for (what, sums, says) in cases {
        let Some((server, _, _, mark, _marks)) = release_with(sums) else {
            return unavailable("the install script's download", "no release build for this platform");
        };
        let run = install(&root(), &format!("v{VERSION}"), &server.base, None);
        assert_ne!(run.code, 0, "{what}: the step fails:\n{}", run.log);
        assert!(run.log.contains(says), "{what}: {}", run.log);
        assert!(run.log.contains("::error"), "{what}: an error annotation: {}", run.log);
        assert!(!run.installed().exists(), "{what}: nothing is installed");
        assert!(!mark.exists(), "{what}: the file is never run");
        assert!(run.cargo.is_empty(), "{what}: a bad release is not replaced by a build: {}", run.cargo);
    }
    // The archive served is not the one the checksum file names (changed on the way).
    let Some((server, name, bytes, mark, _marks)) = release_with(right_sums) else { return };
    let mut tampered = bytes;
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    server.put(&format!("v{VERSION}/{name}"), 200, tampered);
    let run = install(&root(), &format!("v{VERSION}"), &server.base, None);
    assert_ne!(run.code, 0, "{}", run.log);
    assert!(run.log.contains("SHA-256 mismatch") && run.log.contains("never run"), "{}", run.log);
    assert!(!run.installed().exists() && !mark.exists() && run.cargo.is_empty());
}

#[test]
fn a_checksum_file_written_on_windows_or_in_capitals_is_read_as_sha256sum_would() {
    let Some((server, _, _, _, _marks)) =
        release_with(|name, bytes| format!("{}  {name}\r\n{}  other.zip\r\n", sha256_hex(bytes).to_uppercase(), "4".repeat(64)))
    else {
        return;
    };
    let run = install(&root(), &format!("v{VERSION}"), &server.base, None);
    assert_eq!(run.code, 0, "{}", run.log);
    assert!(run.output.contains("source=release") && run.installed().is_file(), "{}", run.log);
}

#[test]
fn a_release_that_cannot_be_read_fails_the_step() {
    let Some((server, name, _, _, _marks)) = release_with(right_sums) else { return };
    // Listed but not served: the release is broken, not missing.
    server.put(&format!("v{VERSION}/{name}"), 404, Vec::new());
    let run = install(&root(), &format!("v{VERSION}"), &server.base, None);
    assert_ne!(run.code, 0, "{}", run.log);
    assert!(run.log.contains("is not there") && run.cargo.is_empty() && !run.installed().exists(), "{}", run.log);
    // A server error is not a missing release.
    server.put(&format!("v{VERSION}/calm-audit-{VERSION}-sha256sums.txt"), 500, b"oops".to_vec());
    let run = install(&root(), &format!("v{VERSION}"), &server.base, None);
    assert_ne!(run.code, 0, "{}", run.log);
    assert!(run.log.contains("could not download") && run.log.contains("500"), "{}", run.log);
    assert!(run.cargo.is_empty() && !run.installed().exists());
    // Nothing listening at all.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let run = install(&root(), &format!("v{VERSION}"), &format!("http://127.0.0.1:{port}/r"), None);
    assert_ne!(run.code, 0, "{}", run.log);
    assert!(run.log.contains("could not download") && run.cargo.is_empty(), "{}", run.log);
}

#[test]
fn without_a_release_it_builds_with_cargo_install_locked_and_says_so() {
    let server = FakeRelease::start();
    let run = install(&root(), &format!("v{VERSION}"), &server.base, None);
    assert_eq!(run.code, 0, "{}", run.log);
    let expected = format!("install\n--locked\n--path\n{}\n--root\n{}\n", root().display(), run.root.display());
    assert_eq!(run.cargo, expected, "{}", run.log);
    assert!(run.log.contains(&format!("no release v{VERSION}")) && run.log.contains("cargo install --locked"), "{}", run.log);
    assert!(run.output.contains("source=cargo"), "the Action caches what cargo built: {}", run.output);

    // A branch or a commit may hold code no release has: built from source, nothing asked.
    let asked = server.asked().len();
    for reference in ["main", "3f6c1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", "", "v99.0.0", "v0.1.0-rc.1x"] {
        let run = install(&root(), reference, &server.base, None);
        assert_eq!(run.code, 0, "{reference}: {}", run.log);
        assert!(run.cargo.starts_with("install\n--locked\n"), "{reference}: {}", run.log);
        assert!(run.log.contains("not a release tag"), "{reference}: {}", run.log);
    }
    assert_eq!(server.asked().len(), asked, "{:?}", server.asked());

    // Without cargo either, the step fails and says what to do.
    let bare = tempfile::tempdir().expect("temp dir");
    let Some(path) = minimal_path(bare.path(), &["curl"]) else {
        return unavailable("the install script without cargo", "a tool of the minimal PATH is not installed");
    };
    let run = install_with(&root(), "main", &server.base, Some(&path), false);
    assert_ne!(run.code, 0, "{}", run.log);
    assert!(run.log.contains("no cargo on PATH"), "{}", run.log);
}

#[test]
fn the_version_comes_from_the_action_folder_when_github_gives_no_ref() {
    let Some((server, _, _, _, _marks)) = release_with(right_sums) else { return };
    // The runner checks an Action out at .../_actions/OWNER/REPO/REF.
    let actions = tempfile::tempdir().expect("temp dir");
    let checkout = actions.path().join(format!("_actions/your-org/calm-audit/v{VERSION}"));
    std::fs::create_dir_all(&checkout).expect("checkout folder");
    std::fs::copy(root().join("Cargo.toml"), checkout.join("Cargo.toml")).expect("Cargo.toml");
    let run = install(&checkout, "", &server.base, None);
    assert_eq!(run.code, 0, "{}", run.log);
    assert!(run.output.contains("source=release") && run.cargo.is_empty(), "{}", run.log);
    // A major or minor alias (v1 for 1.2.3) is the release its Cargo.toml names.
    let major = VERSION.split('.').next().expect("major");
    let run = install(&root(), &format!("v{major}"), &server.base, None);
    assert!(run.code == 0 && run.output.contains("source=release"), "{}", run.log);
}

/// A PATH folder with only what a minimal container has: bash, coreutils, tar, gzip, awk, sed
/// and the given downloaders. None when one of them is missing here.
fn minimal_path(dir: &Path, downloaders: &[&str]) -> Option<PathBuf> {
    let bin = dir.join("minimal-bin");
    std::fs::create_dir_all(&bin).ok()?;
    let tools = [
        "bash",
        "sh",
        "sed",
        "head",
        "cut",
        "awk",
        "mktemp",
        "rm",
        "mkdir",
        "tar",
        "gzip",
        "cp",
        "chmod",
        "mv",
        "sha256sum",
        "uname",
        "cat",
        "dirname",
        "tr",
        "tail",
    ];
    for tool in tools.iter().chain(downloaders) {
        let mut found = on_path(tool)?;
        // A version manager's shim (pyenv) needs the manager on PATH: link the interpreter it
        // runs, as a container's PATH would hold it.
        if *tool == "python3"
            && let Ok(out) = std::process::Command::new(&found).args(["-c", "import sys; print(sys.executable)"]).output()
            && out.status.success()
        {
            found = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
        std::os::unix::fs::symlink(&found, bin.join(tool)).ok()?;
    }
    Some(bin)
}

#[test]
fn in_a_container_with_wget_or_python_only_it_downloads_and_verifies_too() {
    for downloader in ["wget", "python3"] {
        let scratch = tempfile::tempdir().expect("temp dir");
        let Some(path) = minimal_path(scratch.path(), &[downloader]) else {
            unavailable(&format!("the install script with {downloader} only"), &format!("{downloader} is not installed"));
            continue;
        };
        let Some((server, name, _, mark, _marks)) = release_with(right_sums) else { return };
        let run = install(&root(), &format!("v{VERSION}"), &server.base, Some(&path));
        assert_eq!(run.code, 0, "{downloader}: {}", run.log);
        assert!(run.output.contains("source=release") && run.installed().is_file(), "{downloader}: {}", run.log);

        let tampered = release_with(|name, _| format!("{}  {name}\n", "0".repeat(64)));
        let (bad, ..) = tampered.expect("the same platform");
        let run = install(&root(), &format!("v{VERSION}"), &bad.base, Some(&path));
        assert_ne!(run.code, 0, "{downloader}: {}", run.log);
        assert!(run.log.contains("SHA-256 mismatch") && !run.installed().exists() && run.cargo.is_empty(), "{downloader}: {}", run.log);

        let empty = FakeRelease::start();
        let run = install(&root(), &format!("v{VERSION}"), &empty.base, Some(&path));
        assert_eq!(run.code, 0, "{downloader}: {}", run.log);
        assert!(run.cargo.starts_with("install\n--locked\n"), "{downloader}: a missing release falls back: {}", run.log);

        server.put(&format!("v{VERSION}/{name}"), 500, Vec::new());
        let run = install(&root(), &format!("v{VERSION}"), &server.base, Some(&path));
        assert_ne!(run.code, 0, "{downloader}: {}", run.log);
        assert!(run.cargo.is_empty() && !run.installed().exists() && !mark.exists(), "{downloader}: {}", run.log);
    }
}

fn calm_audit_wheel(dir: &Path) -> PathBuf {
    let prefix = format!("calm_audit-{VERSION}-");
    std::fs::read_dir(dir)
        .expect("wheel folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&prefix) && n.to_string_lossy().ends_with(".whl")))
        .expect("the wheel")
}

#[test]
fn the_wheel_installs_offline_into_a_fresh_environment_and_audits_the_examples() {
    let Some(wheels) = wheel_dir("the wheel installed offline") else { return };
    let Some(python) = on_path("python3") else { return unavailable("the wheel installed offline", "python3 is not installed") };
    let wheel = calm_audit_wheel(&wheels);
    // The wheel carries the binary and its metadata, nothing else.
    let listing = Command::new("unzip").arg("-Z1").arg(&wheel).output();
    if let Some(listing) = listing.ok().filter(|o| o.status.success()) {
        let names = String::from_utf8_lossy(&listing.stdout).into_owned();
        assert!(names.lines().any(|n| n == format!("calm_audit-{VERSION}.data/scripts/calm-audit")), "{names}");
        assert!(names.lines().all(|n| n.starts_with(&format!("calm_audit-{VERSION}."))), "{names}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let venv = dir.path().join("venv");
    let made = Command::new(&python).args(["-m", "venv"]).arg(&venv).output().expect("python3 -m venv");
    assert!(made.status.success(), "{}", log_of(&made));
    let started = Instant::now();
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--disable-pip-version-check", "--no-index", "--find-links"])
        .arg(&wheels)
        .arg(format!("calm-audit=={VERSION}"))
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .output()
        .expect("pip install");
    assert!(pip.status.success(), "pip install --no-index: {}", log_of(&pip));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(60), "installing the wheel took {took:?}");
    let calm_audit = venv.join("bin/calm-audit");
    let version = Command::new(&calm_audit).arg("--version").output().expect("calm-audit from the wheel");
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("calm-audit {VERSION}"));
    let check = Command::new(&calm_audit)
        .args(["check", "examples/destinations", "--settings", "examples/settings.toml", "--calm-key", "examples/calm-service-key.txt"])
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .expect("calm-audit check");
    assert_eq!(check.status.code(), Some(1), "the examples have broken destinations: {}", log_of(&check));
    assert!(log_of(&check).contains("CALM004"), "{}", log_of(&check));
    let clean = Command::new(&calm_audit)
        .args(["check", "tests/fixtures/targets/eu10"])
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .expect("calm-audit check");
    assert_eq!(clean.status.code(), Some(0), "{}", log_of(&clean));
}

/// The pre-commit configuration of docs/ci.md that installs the wheel.
fn docs_wheel_hook() -> String {
    let ci = read("docs/ci.md");
    ci.split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split_once("```").map(|(text, _)| text.to_owned()))
        .find(|text| text.contains("repo: local") && text.contains("language: python"))
        .expect("docs/ci.md has the pre-commit hook that installs the wheel")
}

#[test]
fn the_docs_hook_is_the_published_hook_with_the_wheel_of_this_version() {
    let config = YamlLoader::load_from_str(&docs_wheel_hook()).expect("the hook's YAML");
    let hook = &config[0]["repos"][0]["hooks"][0];
    assert_eq!(config[0]["repos"][0]["repo"].as_str(), Some("local"));
    assert_eq!(hook["language"].as_str(), Some("python"));
    let deps: Vec<&str> =
        hook["additional_dependencies"].as_vec().expect("additional_dependencies").iter().filter_map(Yaml::as_str).collect();
    assert_eq!(deps, [format!("calm-audit=={VERSION}")], "the docs pin the version of Cargo.toml");
    let published = YamlLoader::load_from_str(&read(".pre-commit-hooks.yaml")).expect(".pre-commit-hooks.yaml");
    let published =
        published[0].as_vec().expect("hooks").iter().find(|h| h["id"].as_str() == Some("calm-audit")).expect("hook calm-audit").clone();
    for key in ["entry", "files", "pass_filenames", "require_serial", "types", "name"] {
        assert_eq!(hook[key], published[key], "`{key}` as in .pre-commit-hooks.yaml");
    }
}

#[test]
fn the_docs_hook_from_the_wheel_starts_in_seconds_and_refuses_a_broken_export() {
    let Some(wheels) = wheel_dir("the pre-commit hook from the wheel") else { return };
    let pre_commit = match ci_tool("pre-commit") {
        Ok(p) => p,
        Err(why) => return unavailable("the pre-commit hook from the wheel", &why),
    };
    // pre-commit installs a `repo: local` Python hook as a small placeholder package, built
    // with setuptools: an offline folder of wheels holds setuptools beside calm-audit. The one
    // virtualenv (a pre-commit dependency) ships is taken, so nothing is downloaded.
    let venv = pre_commit.parent().and_then(Path::parent).expect("pre-commit's environment");
    let setuptools = glob_one(&venv.join("lib"), "setuptools-", ".whl");
    let Some(setuptools) = setuptools else {
        return unavailable("the pre-commit hook from the wheel", "no setuptools wheel beside pre-commit (virtualenv's embedded wheels)");
    };
    let links = tempfile::tempdir().expect("temp dir");
    let wheel = calm_audit_wheel(&wheels);
    for file in [&wheel, &setuptools] {
        std::fs::copy(file, links.path().join(file.file_name().expect("name"))).expect("copy wheel");
    }
    let home = tempfile::tempdir().expect("temp dir");
    // calm-audit is not on PATH: the hook must bring its own.
    let path = std::env::join_paths(
        pre_commit
            .parent()
            .into_iter()
            .map(Path::to_path_buf)
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).filter(|d| !d.join("calm-audit").exists())),
    )
    .expect("PATH");
    let attempt = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().expect("temp dir");
        let git = |args: &[&str]| {
            let ok = Command::new("git").args(args).current_dir(dir.path()).status().is_ok_and(|s| s.success());
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(dir.path().join(".pre-commit-config.yaml"), docs_wheel_hook()).expect("config");
        for (name, from) in files {
            std::fs::copy(root().join(from), dir.path().join(name)).expect("copy fixture");
        }
        git(&["add", "."]);
        let mut run = Command::new(&pre_commit);
        run.args(["run", "--all-files", "--verbose"])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", home.path())
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", links.path())
            .env_remove("PIP_INDEX_URL")
            .env_remove("PIP_EXTRA_INDEX_URL")
            .env("SOURCE_DATE_EPOCH", "1767225600");
        let started = Instant::now();
        let (ok, stdout, stderr) = run_bounded(run, Duration::from_secs(300));
        (ok, format!("{stdout}{stderr}"), started.elapsed())
    };
    let (ok, log, first) = attempt(&[("CALM_LEGACY.properties", "examples/destinations/calm_legacy.properties")]);
    assert!(!ok, "a broken export fails the hook:\n{log}");
    assert!(log.contains("Installing environment for local"), "the first run installs the wheel: {log}");
    assert!(
        log.contains("Failed") && log.contains("CALM004 destination-url-trailing-slash") && log.contains("CALM019"),
        "a broken export is refused:\n{log}"
    );
    assert!(first < Duration::from_secs(120), "the first run took {first:?}: no compiling");
    let (ok, log, _) = attempt(&[("CALM_BPMON.properties", "tests/fixtures/good/CALM_BPMON.properties")]);
    assert!(ok && log.contains("Passed"), "a good destination passes:\n{log}");
}

/// The first file under `dir` (searched depth first) named PREFIX...SUFFIX.
fn glob_one(dir: &Path, prefix: &str, suffix: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if name.starts_with(prefix) && name.ends_with(suffix) {
                found.push(p);
            }
        }
    }
    found.sort();
    found.pop()
}

#[test]
fn the_release_workflow_and_the_scripts_pass_actionlint_and_shellcheck() {
    let (actionlint, shellcheck) = match (ci_tool("actionlint"), ci_tool("shellcheck")) {
        (Ok(a), Ok(s)) => (a, s),
        (Err(why), _) | (_, Err(why)) => return unavailable("actionlint over .github/workflows", &why),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let git = Command::new("git").args(["init", "-q"]).current_dir(d).status().expect("git init");
    assert!(git.success());
    std::fs::copy(root().join("action.yml"), d.join("action.yml")).expect("action.yml");
    std::fs::create_dir_all(d.join(".github/workflows")).expect("workflows");
    let mut count = 0;
    for entry in std::fs::read_dir(root().join(".github/workflows")).expect(".github/workflows").flatten() {
        std::fs::copy(entry.path(), d.join(".github/workflows").join(entry.file_name())).expect("copy workflow");
        count += 1;
    }
    assert!(count >= 1);
    let path = std::env::join_paths(
        shellcheck.parent().into_iter().map(Path::to_path_buf).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let mut lint = Command::new(&actionlint);
    lint.arg("-no-color").current_dir(d).env("PATH", &path);
    let (ok, stdout, stderr) = run_bounded(lint, Duration::from_secs(120));
    assert!(ok, "actionlint:\n{stdout}{stderr}");
    for entry in std::fs::read_dir(root().join(".github/scripts")).expect(".github/scripts").flatten() {
        let out = Command::new(&shellcheck).arg(entry.path()).output().expect("shellcheck");
        assert!(out.status.success(), "shellcheck {}:\n{}", entry.path().display(), log_of(&out));
    }
    let out = Command::new(&shellcheck).arg(root().join(".ci/run")).arg(root().join(".ci/install-tools")).output().expect("shellcheck");
    assert!(out.status.success(), "shellcheck .ci:\n{}", log_of(&out));
}

/// The instructions of a Dockerfile, continuation lines joined: (INSTRUCTION, arguments).
fn instructions(text: &str) -> Vec<(String, String)> {
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(char::is_whitespace).map(|(i, a)| (i.to_uppercase(), a.trim().to_owned())))
        .collect()
}

#[test]
fn the_container_image_is_static_minimal_non_root_with_calm_audit_as_entrypoint() {
    let text = read("Dockerfile");
    let all = instructions(&text);
    let last_from = all.iter().rposition(|(i, _)| i == "FROM").expect("a FROM");
    let base = &all[last_from].1;
    assert!(base == "scratch" || base.starts_with("gcr.io/distroless/static"), "a minimal base: {base}");
    let final_stage = &all[last_from..];
    let user = final_stage.iter().rev().find(|(i, _)| i == "USER").map(|(_, a)| a.clone()).expect("a USER in the final stage");
    let uid: u32 = user.split(':').next().and_then(|u| u.parse().ok()).unwrap_or_else(|| panic!("USER is numeric: {user}"));
    assert_ne!(uid, 0, "not root");
    let entrypoint = final_stage.iter().rev().find(|(i, _)| i == "ENTRYPOINT").map(|(_, a)| a.clone()).expect("an ENTRYPOINT");
    let exec: Vec<String> = serde_json::from_str(&entrypoint).unwrap_or_else(|_| panic!("ENTRYPOINT in exec form: {entrypoint}"));
    assert!(exec.len() == 1 && exec[0].ends_with("/calm-audit"), "{exec:?}");
    // The binary is the static musl build; TLS roots come with distroless/static (or are copied).
    assert!(text.contains("-unknown-linux-musl") && text.contains(".github/scripts/build.sh"), "built with the release script, musl");
    assert!(base.starts_with("gcr.io/distroless/static") || text.contains("ca-certificates"), "CA certificates for TLS");
    assert!(!all.iter().any(|(i, _)| i == "ADD"), "COPY only: no ADD (of URLs or archives)");
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target/"), "the build output stays out of the context");
    let install = read("docs/install.md");
    assert!(
        install.lines().any(|l| l.contains("docker run") && l.contains(":ro") && l.contains("calm-audit check")),
        "docs/install.md runs the image on a read-only repository"
    );

    match ci_tool("hadolint") {
        Ok(hadolint) => {
            let out = Command::new(hadolint).arg("--no-color").arg(root().join("Dockerfile")).output().expect("hadolint");
            assert!(out.status.success(), "hadolint:\n{}", log_of(&out));
        }
        Err(why) => unavailable("hadolint over the Dockerfile", &why),
    }
}

#[test]
fn the_action_runs_the_install_script_with_its_ref_and_caches_only_a_cargo_build() {
    let action = YamlLoader::load_from_str(&read("action.yml")).expect("action.yml parses");
    let steps = action[0]["runs"]["steps"].as_vec().expect("steps").clone();
    let position = |name: &str| steps.iter().position(|s| s["name"].as_str() == Some(name)).unwrap_or_else(|| panic!("step {name}"));
    let install = &steps[position("Install calm-audit")];
    assert_eq!(install["id"].as_str(), Some("install"));
    assert_eq!(install["env"]["ACTION_REF"].as_str(), Some("${{ github.action_ref }}"));
    assert_eq!(install["env"]["ACTION_REPOSITORY"].as_str(), Some("${{ github.action_repository }}"));
    assert_eq!(install["env"]["ROOT"].as_str(), Some("${{ steps.version.outputs.root }}"));
    // No step builds with cargo but the install script, and only its cargo build is cached.
    for step in &steps {
        let run = step["run"].as_str().unwrap_or_default();
        assert!(!run.contains("cargo "), "a step other than the install script runs cargo: {run}");
    }
    let save = &steps[position("Cache calm-audit built from source")];
    assert_eq!(save["uses"].as_str(), Some("actions/cache/save@v4"));
    assert_eq!(save["if"].as_str(), Some("steps.install.outputs.source == 'cargo'"));
    assert!(position("Restore a calm-audit built from source") < position("Install calm-audit"));
    assert!(position("Install calm-audit") < position("Cache calm-audit built from source"));

    // The step's own script, run as the runner runs it, installs from the fake release.
    let Some((server, _, _, mark, _marks)) = release_with(right_sums) else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("output");
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", install["run"].as_str().expect("run")])
        .env("GITHUB_ACTION_PATH", root())
        .env("ACTION_REF", format!("v{VERSION}"))
        .env("ACTION_REPOSITORY", "your-org/calm-audit")
        .env("ROOT", dir.path().join("root"))
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", dir.path())
        .env("CALM_AUDIT_RELEASE_URL", &server.base)
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", log_of(&out));
    assert!(std::fs::read_to_string(&output).unwrap_or_default().contains("source=release"));
    assert!(dir.path().join("root/bin/calm-audit").is_file() && !mark.exists());
}

#[test]
fn the_default_release_server_is_the_github_releases_of_the_actions_repository() {
    if release_target().is_none() {
        return unavailable("the default release server", "the release has no build for this platform");
    }
    // A fake curl answers 404 and records the URL it was given: nothing leaves the machine.
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let urls = dir.path().join("urls");
    std::fs::write(
        bin.join("curl"),
        format!("#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in http*) echo \"$a\" >> '{}';; esac; done\nprintf 404\n", urls.display()),
    )
    .expect("fake curl");
    std::fs::write(bin.join("cargo"), "#!/bin/sh\nexit 0\n").expect("fake cargo");
    let chmod = Command::new("chmod").arg("+x").arg(bin.join("curl")).arg(bin.join("cargo")).status().expect("chmod");
    assert!(chmod.success());
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())))
        .expect("PATH");
    // The runner's checkout of `uses: some-org/calm-audit@vVERSION`, github.action_ref and
    // github.action_repository left empty as composite Actions sometimes get them.
    let checkout = dir.path().join(format!("_actions/some-org/calm-audit/v{VERSION}"));
    std::fs::create_dir_all(&checkout).expect("checkout");
    std::fs::copy(root().join("Cargo.toml"), checkout.join("Cargo.toml")).expect("Cargo.toml");
    let out = Command::new("bash")
        .arg(root().join(".github/scripts/install.sh"))
        .env("PATH", path)
        .env("GITHUB_ACTION_PATH", &checkout)
        .env("ACTION_REF", "")
        .env("ACTION_REPOSITORY", "")
        .env("ROOT", dir.path().join("root"))
        .env_remove("CALM_AUDIT_RELEASE_URL")
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", log_of(&out));
    let asked = std::fs::read_to_string(&urls).expect("curl was asked");
    assert_eq!(
        asked.trim(),
        format!("https://github.com/some-org/calm-audit/releases/download/v{VERSION}/calm-audit-{VERSION}-sha256sums.txt")
    );
    assert!(log_of(&out).contains("cargo install --locked"), "{}", log_of(&out));
}

#[test]
fn the_docs_use_the_action_at_the_release_tag_of_this_version() {
    // At a release tag the Action downloads; at a branch it compiles: the docs show the fast way.
    for doc in ["README.md", "docs/ci.md"] {
        let text = read(doc);
        let uses: Vec<&str> = text.lines().filter_map(|l| l.split_once("uses: your-org/calm-audit@").map(|(_, r)| r)).collect();
        assert!(!uses.is_empty(), "{doc} uses the Action");
        for at in uses {
            assert!(
                at.starts_with(&format!("v{VERSION} ")) || at == format!("v{VERSION}"),
                "{doc}: the Action at `{at}`, not at v{VERSION}"
            );
        }
    }
}
