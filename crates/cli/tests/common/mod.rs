//! Helpers shared by the binary's end-to-end tests.
#![allow(dead_code)] // each test binary uses a different part of these helpers

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/snapshots").join(name)
}

pub fn heaplens(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heaplens")).args(args).stdin(Stdio::null()).output().expect("runs")
}

pub fn ok_json(args: &[&str]) -> Value {
    let out = heaplens(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Writes `bytes` to the file `name` in this test binary's shared temporary folder.
pub fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let path = shared_dir().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A temporary folder for one test (`heaplens-NAME-…` in the temporary folder), removed when
/// it is dropped, whether the test passes or fails.
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("heaplens-{name}-")).tempdir().expect("a temporary folder")
}

static SHARED: OnceLock<PathBuf> = OnceLock::new();

/// A temporary folder the tests of this binary share (for a fixture written once), removed when
/// the binary exits, whatever the tests' outcome: Rust never drops statics, so the C library's
/// `atexit` removes it.
pub fn shared_dir() -> &'static Path {
    extern "C" fn remove_shared() {
        if let Some(dir) = SHARED.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    extern "C" {
        fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
    }
    SHARED.get_or_init(|| {
        let dir = temp_dir("shared").keep();
        // SAFETY: registers a function that takes no arguments and only removes a folder.
        unsafe { atexit(remove_shared) };
        dir
    })
}

/// The Node binaries to test with: HEAPLENS_NODES (colon-separated; scripts/test.sh sets it to
/// Node 18, 20, 22 and 24), else the `node` on PATH. The first is the machine's own.
pub fn nodes() -> Vec<String> {
    match std::env::var("HEAPLENS_NODES") {
        Ok(list) => list.split(':').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        Err(_) => vec!["node".to_owned()],
    }
}

/// `node --version` of a Node binary.
pub fn version(node: &str) -> String {
    let out = Command::new(node).arg("--version").output().expect("node runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared leak scenarios: HEAPLENS_SCENARIOS, else ../shared/scenarios beside the repository.
pub fn scenarios() -> PathBuf {
    let dir =
        std::env::var_os("HEAPLENS_SCENARIOS").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared/scenarios"));
    assert!(dir.join("README.md").is_file(), "no leak scenarios at {} (set HEAPLENS_SCENARIOS)", dir.display());
    dir
}

/// Instances of `class` a leak group gained in each interval (from `leaks --json`).
pub fn added_counts(group: &Value, class: &str) -> Vec<u64> {
    let classes = group["classes"].as_array().expect("a group lists its classes");
    let growth = classes.iter().find(|c| c["name"] == class).unwrap_or_else(|| panic!("no {class} in {group:#}"));
    growth["added"].as_array().unwrap().iter().map(|a| a["count"].as_u64().unwrap()).collect()
}

/// Whether the heap grew in every interval by more than the report's threshold beyond what V8's
/// own structures and the groups judged not to be leaks explain (`leaks --json`): a program
/// whose heap does must never get "no leak".
pub fn grows_unexplained(report: &Value) -> bool {
    let threshold = report["min_growth"].as_i64().expect("the threshold");
    let accounting = report["accounting"].as_array().expect("the accounting");
    let bytes = |a: &Value, part: &str| a[part]["bytes"].as_i64().unwrap();
    !accounting.is_empty()
        && accounting
            .iter()
            .all(|a| a["heap_growth"].as_i64().unwrap() - bytes(a, "engine") - bytes(a, "not_leaks") > threshold)
}
