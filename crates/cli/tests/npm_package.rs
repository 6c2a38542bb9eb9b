//! The npm packages that `scripts/npm-package.sh` writes to `target/npm/`, installed as a user
//! installs them but without any registry: every tarball into an empty folder, then
//! `npx heaplens --version` and `npx heaplens leaks` on snapshots of a real leaking program; only
//! the main tarball (no platform package) must exit 2 naming the platform; the launcher passes
//! exit codes and signals through and runs under every Node version in HEAPLENS_NODES.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use tempfile::TempDir;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The tarballs of `target/npm/` (cargo's target folder: CARGO_TARGET_DIR when set), the main
/// package's first.
fn tarballs() -> Vec<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo().join("target"), |dir| repo().join(dir));
    let folder = target.join("npm");
    let main = folder.join(format!("heaplens-{VERSION}.tgz"));
    let platform = folder.join(format!("heaplens-linux-x64-{VERSION}.tgz"));
    assert!(
        main.is_file() && platform.is_file(),
        "no npm tarballs of heaplens {VERSION} in {}: run `bash scripts/npm-package.sh` first (scripts/test.sh does)",
        folder.display()
    );
    vec![main, platform]
}

/// An empty folder for an npm project.
fn project() -> TempDir {
    tempfile::Builder::new().prefix("heaplens-npm-package-").tempdir().unwrap()
}

/// `npm` (or `npx`) in `dir`, kept off every registry: an offline npm with a registry no one
/// answers at and a cache of its own.
fn npm(program: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("npm_config_offline", "true")
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_cache", dir.join(".npm-cache"))
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"))
}

/// Installs `tarballs` into `dir` with `extra` flags.
fn install(dir: &Path, tarballs: &[PathBuf], extra: &[&str]) {
    let mut args = vec!["install"];
    args.extend_from_slice(extra);
    args.extend(tarballs.iter().map(|t| t.to_str().unwrap()));
    let out = npm("npm", dir, &args);
    assert!(out.status.success(), "npm {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The launcher run by a given Node binary, as `npx` runs it.
fn launcher(node: &str, dir: &Path) -> Command {
    let mut command = Command::new(node);
    command.arg(dir.join("node_modules/heaplens/bin/heaplens.js")).current_dir(dir);
    command
}

#[test]
fn installed_tarballs_run_heaplens_without_a_registry() {
    let dir = project();
    install(dir.path(), &tarballs(), &[]);
    assert!(dir.path().join("node_modules/@heaplens/linux-x64/bin/heaplens").is_file());

    let printed = npm("npx", dir.path(), &["heaplens", "--version"]);
    assert!(printed.status.success(), "npx heaplens --version: {}", text(&printed.stderr));
    assert_eq!(text(&printed.stdout).trim(), format!("heaplens {VERSION}"));
    for node in nodes() {
        let out = launcher(&node, dir.path()).arg("--version").output().unwrap();
        assert_eq!(
            text(&out.stdout).trim(),
            format!("heaplens {VERSION}"),
            "Node {}: {}",
            version(&node),
            text(&out.stderr)
        );
    }

    let snapshots = dir.path().join("snapshots");
    let leak = Command::new("node")
        .arg("--expose-gc")
        .arg(repo().join("examples/leaks/audit-array.js"))
        .arg("--out")
        .arg(&snapshots)
        .args(["--ops", "300", "--warmup", "100"])
        .output()
        .unwrap();
    assert!(leak.status.success(), "audit-array.js: {}", text(&leak.stderr));

    let report = npm("npx", dir.path(), &["heaplens", "leaks", "snapshots"]);
    assert_eq!(report.status.code(), Some(0), "npx heaplens leaks: {}", text(&report.stderr));
    let stdout = text(&report.stdout);
    assert!(stdout.starts_with("LEAK") && stdout.contains("AuditEvent"), "{stdout}");

    let gate = npm("npx", dir.path(), &["heaplens", "leaks", "--fail-on-leak", "snapshots"]);
    assert_eq!(gate.status.code(), Some(1), "npx heaplens leaks --fail-on-leak: {}", text(&gate.stderr));
    assert!(text(&gate.stdout).contains("AuditEvent"));

    let missing = npm("npx", dir.path(), &["heaplens", "leaks", "no-such-folder"]);
    assert_eq!(missing.status.code(), Some(2), "heaplens's own error code passes through");
    assert!(text(&missing.stderr).starts_with("heaplens: "), "heaplens's own message: {}", text(&missing.stderr));
}

#[test]
fn launcher_without_a_platform_package_exits_2_naming_the_platform() {
    let dir = project();
    install(dir.path(), &tarballs()[..1], &["--omit=optional"]);
    assert!(!dir.path().join("node_modules/@heaplens/linux-x64").exists());

    let out = npm("npx", dir.path(), &["heaplens", "--version"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let message = text(&out.stderr);
    assert_eq!(message.lines().count(), 1, "one line: {message}");
    for words in ["linux x64 (glibc)", "@heaplens/linux-x64", "cargo install"] {
        assert!(message.contains(words), "{words:?} in {message}");
    }
    for node in nodes() {
        let out = launcher(&node, dir.path()).arg("--version").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "Node {}", version(&node));
        assert_eq!(text(&out.stderr), message, "Node {}", version(&node));
    }
}

/// Starts `heaplens serve` through the launcher and returns it, the port it serves on and its
/// output (kept open: heaplens stops when its output is gone).
fn serving(dir: &Path) -> (Child, u16, BufReader<ChildStdout>) {
    let mut child = launcher("node", dir)
        .args(["serve", fixture("chrome-page.heapsnapshot.gz").to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    output.read_line(&mut first).unwrap();
    let address = first.split("http://127.0.0.1:").nth(1).unwrap_or_else(|| panic!("an address in {first:?}"));
    let port = address.split('/').next().unwrap().parse().unwrap();
    (child, port, output)
}

#[test]
fn launcher_passes_signals_on_and_dies_of_the_same_one() {
    let dir = project();
    install(dir.path(), &tarballs(), &[]);
    for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let (mut child, port, _output) = serving(dir.path());
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok(), "heaplens serve listens");
        let heaplens = children(child.id());
        assert_eq!(heaplens.len(), 1, "the launcher runs heaplens: {heaplens:?}");
        let kill = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
        assert!(kill.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the launcher outlived SIG{signal}");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(status.signal(), Some(number), "SIG{signal}: {status:?}");
        // That heaplens is gone, not that its port refuses: once free, the port can be taken
        // again (a connection from an ephemeral port can even land on itself).
        let gone = !Path::new(&format!("/proc/{}", heaplens[0])).exists();
        assert!(gone, "SIG{signal} reached heaplens, which stopped");
    }
}

/// The process ids of the children of process `pid` (its main thread's, which spawns them).
fn children(pid: u32) -> Vec<u32> {
    let list = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    list.split_whitespace().map(|child| child.parse().unwrap()).collect()
}

#[test]
fn installed_trigger_loads_with_require_and_lets_the_process_end() {
    let dir = project();
    install(dir.path(), &tarballs(), &[]);
    let snapshots = dir.path().join("trigger");
    let out = Command::new("node")
        .args(["--require", "heaplens/trigger", "-e", "setTimeout(() => {}, 1000)"])
        .current_dir(dir.path())
        .env("HEAPLENS_TRIGGER_DIR", &snapshots)
        .env("HEAPLENS_TRIGGER_WARMUP_S", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("heaplens trigger: wrote"), "{}", text(&out.stderr));
    let files: Vec<_> = std::fs::read_dir(&snapshots).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "the baseline: {files:?}");
}
