//! Helpers shared by the binary's end-to-end tests.
#![allow(dead_code)] // each test binary uses a different part of these helpers

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

pub fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heaplens-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
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
