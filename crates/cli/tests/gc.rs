//! `heaplens gc` on logs that real Node processes write during the test: a leaking program, a
//! steady one, one with a worker thread and one that runs out of heap (`fixtures/gen/gc/`),
//! under every Node version in HEAPLENS_NODES (scripts/test.sh installs 18, 20, 22 and 24;
//! without it, the `node` on PATH).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use serde_json::Value;

/// A small young generation and a capped old one: objects reach the old generation quickly and
/// major GCs come often enough in a two-second run to judge a trend. `--predictable` makes V8
/// schedule its collections the same way however busy the machine is (without it, a loaded
/// machine saw a handful of major GCs instead of dozens).
const LEAK_FLAGS: &[&str] = &["--trace-gc", "--predictable", "--max-semi-space-size=1", "--max-old-space-size=64"];
const STEADY_FLAGS: &[&str] = &["--predictable", "--max-semi-space-size=1", "--max-old-space-size=24"];

/// Numbers the logs of one test run, which run in parallel: two processes writing one file
/// tear each other's lines.
static LOGS: AtomicUsize = AtomicUsize::new(0);

/// Runs a program of fixtures/gen/gc with `flags` and returns the log (stdout and stderr).
fn log(node: &str, program: &str, flags: &[&str]) -> PathBuf {
    let n = LOGS.fetch_add(1, Ordering::Relaxed);
    let path =
        shared_dir().join(format!("{n}-{program}-{}-{}.log", version(node), flags.join("").replace(['-', '='], "")));
    let file = File::create(&path).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/gen/gc").join(format!("{program}.js"));
    Command::new(node)
        .args(flags)
        .arg(script)
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .status()
        .expect("node runs");
    path
}

fn report(path: &Path) -> Value {
    let v = ok_json(&["gc", path.to_str().unwrap(), "--json"]);
    assert_eq!(v["unparsed_lines"], 0, "{}: {:?}", path.display(), v["unparsed_examples"]);
    v
}

#[test]
fn a_leaking_program_is_growing() {
    for node in nodes() {
        let path = log(&node, "leak", LEAK_FLAGS);
        let v = report(&path);
        let main = &v["isolates"][0];
        assert_eq!(main["verdict"]["state"], "growing", "{node}: {}", main["verdict"]);
        assert!(main["verdict"]["slope_mb_per_min"].as_f64().unwrap() > 0.0);
        assert!(main["verdict"]["confidence"].as_f64().unwrap() > 0.95);
        let gate = heaplens(&["gc", path.to_str().unwrap(), "--fail-on-growth"]);
        assert_eq!(gate.status.code(), Some(1), "{node}: --fail-on-growth on a leak");
    }
}

#[test]
fn a_steady_program_is_steady_in_both_formats() {
    for node in nodes() {
        for format in ["--trace-gc", "--trace-gc-nvp"] {
            let path = log(&node, "steady", &[&[format], STEADY_FLAGS].concat());
            let v = report(&path);
            let main = &v["isolates"][0];
            assert!(main["major"].as_u64().unwrap() >= 6, "{node} {format}: too few major GCs");
            assert_eq!(main["verdict"]["state"], "steady", "{node} {format}: {}", main["verdict"]);
            assert!(main["collectors"].as_array().unwrap().iter().any(|c| c["kind"] == "minor"));
            let gate = heaplens(&["gc", path.to_str().unwrap(), "--fail-on-growth"]);
            assert_eq!(gate.status.code(), Some(0), "{node} {format}");
        }
    }
}

#[test]
fn a_worker_thread_is_its_own_isolate() {
    for node in nodes() {
        let v = report(&log(&node, "worker", &["--trace-gc"]));
        let isolates = v["isolates"].as_array().unwrap();
        assert_eq!(isolates.len(), 2, "{node}");
        assert_eq!(isolates[0]["pid"], isolates[1]["pid"]);
        assert_ne!(isolates[0]["isolate"], isolates[1]["isolate"]);
        assert!(isolates.iter().all(|i| i["pauses"]["count"].as_u64().unwrap() > 3));
    }
}

#[test]
fn running_out_of_heap_is_seen_and_the_last_gcs_are_not_counted_twice() {
    for node in nodes() {
        let path = log(&node, "oom", &["--trace-gc", "--predictable", "--max-old-space-size=20"]);
        let v = report(&path);
        assert_eq!(v["out_of_memory"], true, "{node}");
        assert!(v["repeated_in_oom_block"].as_u64().unwrap() >= 1, "{node}");
        let main = &v["isolates"][0];
        assert_eq!(main["pressure"]["out_of_memory"], true);
        // Before giving up V8 tries memory-reducing or last-resort GCs, or its GCs free little.
        let p = &main["pressure"];
        let signs = p["reduce_collections"].as_u64().unwrap()
            + p["last_resort_collections"].as_u64().unwrap()
            + main["ineffective_major"].as_u64().unwrap();
        assert!(signs >= 1, "{node}: {main}");
        let text = String::from_utf8(heaplens(&["gc", path.to_str().unwrap()]).stdout).unwrap();
        assert!(text.contains("ran out of heap"), "{text}");
    }
}

#[test]
fn live_from_stdin_passes_the_program_output_through_and_draws_a_chart() {
    let node = nodes().remove(0);
    let path = log(&node, "leak", LEAK_FLAGS);
    let chart = shared_dir().join("live.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_heaplens"))
        .args(["gc", "-", "--chart", chart.to_str().unwrap()])
        .stdin(File::open(&path).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let program = text.find("leak.js: kept").expect("the program's line passes through");
    let verdict = text.find("verdict: ").expect("the report follows");
    assert!(program < verdict);
    assert!(!text.contains("ms: Scavenge"), "GC lines are not passed through");
    let quiet = heaplens(&["gc", path.to_str().unwrap(), "--quiet"]);
    assert!(!String::from_utf8(quiet.stdout).unwrap().contains("leak.js: kept"));
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("major GC") && svg.contains("<polyline"));
}

#[test]
fn bad_logs_are_one_line_errors() {
    let missing = heaplens(&["gc", "/nonexistent/gc.log"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8(missing.stderr).unwrap();
    assert!(err.contains("/nonexistent/gc.log") && err.trim_end().lines().count() == 1, "{err}");
    let text = scratch("not-a-gc-log.txt", b"hello\nworld\n[1:0xa]  5 ms: Scavenge 1.0 (2.0) -> 0.5\n");
    let v = ok_json(&["gc", text.to_str().unwrap(), "--json"]);
    assert_eq!(v["unparsed_lines"], 1);
    assert_eq!(v["other_lines"], 2);
    assert_eq!(v["isolates"].as_array().unwrap().len(), 0);
}
