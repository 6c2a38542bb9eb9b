//! Fresh snapshots from the Node.js versions on this machine, checked against DevTools' code run
//! right now: catches what the committed fixtures cannot (a new Node release, a changed oracle).
//!
//! Needs `HEAPLENS_ORACLE` (the built `oracle.mjs`) and node binaries in `HEAPLENS_NODES`
//! (colon-separated); `scripts/test.sh` installs both and runs these tests.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn required(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests with scripts/test.sh, which installs the oracle and Node versions")
    })
}

#[test]
#[ignore = "needs the DevTools oracle and Node binaries: scripts/test.sh runs it"]
fn fresh_snapshots_equal_devtools() {
    let oracle = required("HEAPLENS_ORACLE");
    let nodes = required("HEAPLENS_NODES");
    let temp = tempfile::Builder::new().prefix("heaplens-oracle-").tempdir().unwrap();
    let dir = temp.path();
    for node in nodes.split(':').filter(|n| !n.is_empty()) {
        let version = String::from_utf8(Command::new(node).arg("--version").output().unwrap().stdout).unwrap();
        let version = version.trim();
        let file: PathBuf = dir.join(format!("mixed-{version}.heapsnapshot"));
        let status = Command::new(node)
            .args(["--expose-gc", fixtures().join("gen/mixed.js").to_str().unwrap(), file.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success(), "{node} could not write a snapshot");
        let out = Command::new("node").args([oracle.as_str(), file.to_str().unwrap(), "--nodes"]).output().unwrap();
        assert!(out.status.success(), "oracle failed: {}", String::from_utf8_lossy(&out.stderr));
        let graph = heaplens_graph::HeapGraph::analyze(heaplens_snapshot::read_path(&file).unwrap());
        check_against_oracle(&format!("fresh snapshot of Node {version}"), &graph, &parse_oracle(&out.stdout));
    }
}
