//! `heaplens leaks` on snapshot series that real Node processes write during the test: the
//! shared leak scenarios (../shared/scenarios, or HEAPLENS_SCENARIOS) under every Node version
//! in HEAPLENS_NODES, judged against their ground truth, and heaplens' own leak programs
//! (examples/leaks/), one per leak pattern, plus programs that do not leak.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

/// Runs `node --expose-gc program --out DIR args...` and returns DIR, removed when dropped.
fn run_program(node: &str, program: &Path, args: &[&str]) -> tempfile::TempDir {
    let dir = temp_dir(program.file_stem().unwrap().to_str().unwrap());
    let out = Command::new(node)
        .arg("--expose-gc")
        .arg(program)
        .arg("--out")
        .arg(dir.path())
        .args(args)
        .output()
        .expect("node runs");
    assert!(out.status.success(), "{} failed: {}", program.display(), String::from_utf8_lossy(&out.stderr));
    dir
}

/// `heaplens leaks --json --fail-on-leak` on `files`: the report and the exit code.
fn leaks(files: &[impl AsRef<Path>], extra: &[&str]) -> (Value, i32) {
    let mut args: Vec<&str> = vec!["leaks", "--json", "--fail-on-leak"];
    args.extend(extra);
    let names: Vec<String> = files.iter().map(|f| f.as_ref().display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let out = heaplens(&args);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

/// The shared scenario `name` under every Node version, checked against its ground truth: the
/// first group names the primary class and the container; the control gets "no leak".
fn scenario(name: &str, pattern: Option<&str>) {
    let dir = scenarios().join(name);
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("ground-truth.json")).unwrap()).unwrap();
    let program = dir.join(truth["program"].as_str().unwrap());
    for node in nodes() {
        let out = run_program(&node, &program, &["--ops", "300", "--warmup", "300"]);
        let files: Vec<PathBuf> =
            ["baseline", "target", "final"].iter().map(|s| out.path().join(format!("{s}.heapsnapshot"))).collect();
        let (report, code) = leaks(&files, &[]);
        let context = format!("{name} on Node {}: {report:#}", version(&node));
        if truth["leaks"].as_bool().unwrap() {
            assert_eq!(code, 1, "{context}");
            assert_eq!(report["verdict"], "leak", "{context}");
            let first = &report["groups"][0];
            let primary = truth["leaking_classes"].as_array().unwrap().iter().find(|c| c["primary"] == true).unwrap();
            assert_eq!(first["primary_class"], primary["devtools_class"], "{context}");
            let container = truth["retainer_container"]["name"].as_str().unwrap();
            assert!(first["container"]["name"].as_str().unwrap().contains(container), "{context}");
            assert_eq!(first["pattern"]["id"], pattern.unwrap(), "{context}");
            assert_eq!(first["leak"], true, "{context}");
            // 300 operations per interval, one primary object each, all still alive.
            assert_eq!(added_counts(first, first["primary_class"].as_str().unwrap()), [300, 300], "{context}");
        } else {
            assert_eq!(code, 0, "{context}");
            assert_eq!(report["verdict"], "no leak", "{context}");
            assert!(report["groups"].as_array().unwrap().iter().all(|g| g["leak"] == false), "{context}");
            assert!(!grows_unexplained(&report), "a control's growth is explained: {context}");
        }
    }
}

#[test]
fn request_cache_is_an_unbounded_map() {
    scenario("a-request-cache", Some("unbounded-collection"));
}

#[test]
fn listener_per_request_is_an_event_listener_leak() {
    scenario("b-listener-per-request", Some("event-listener"));
}

#[test]
fn uncleared_intervals_are_found_in_nodes_timer_list() {
    scenario("d-uncleared-intervals", Some("timer"));
}

#[test]
fn entries_set_is_found_by_its_container_not_its_class() {
    scenario("f-entries-set", Some("unbounded-collection"));
}

#[test]
fn a_bounded_lru_is_no_leak() {
    scenario("h-control-lru", None);
}

/// One of heaplens' own programs (examples/leaks/) with the machine's Node: the folder of
/// Node-named snapshots it writes, given as one argument.
fn own(program: &str, extra: &[&str]) -> (Value, i32) {
    let node = nodes().remove(0);
    let out = run_program(&node, &repo().join("examples/leaks").join(format!("{program}.js")), extra);
    leaks(&[out], &[])
}

/// Checks the first group of `program`'s report and returns the report.
fn assert_leak(program: &str, pattern: &str, class: &str, container: &str) -> Value {
    let (report, code) = own(program, &["--ops", "300", "--warmup", "100"]);
    let first = &report["groups"][0];
    assert_eq!(code, 1, "{program}: {report:#}");
    assert_eq!(first["pattern"]["id"], pattern, "{program}: {report:#}");
    assert_eq!(first["primary_class"], class, "{program}: {report:#}");
    assert!(first["container"]["name"].as_str().unwrap().contains(container), "{program}: {report:#}");
    assert!(!first["pattern"]["fix"].as_str().unwrap().is_empty());
    report
}

#[test]
fn a_promise_that_never_settles_holds_its_awaiting_frames() {
    let report = assert_leak("pending-promise", "unsettled-promise", "QueryRequest", "db.ready");
    let sources = report["groups"][0]["sources"].as_array().unwrap();
    assert!(sources.iter().any(|s| s["role"] == "async function" && s["name"] == "query"), "{report:#}");
}

#[test]
fn closures_sharing_a_scope_chain_every_config() {
    assert_leak("closure-capture", "closure-capture", "ServiceConfig", "active");
}

#[test]
fn an_accidental_global_is_named_as_one() {
    assert_leak("accidental-global", "global", "VisitRecord", "global.sessionsSeen");
}

#[test]
fn domain_members_are_a_domain_leak() {
    assert_leak("domain-members", "domain", "JobEmitter", "processDomain.members");
}

#[test]
fn a_module_level_array_is_an_unbounded_collection() {
    assert_leak("audit-array", "unbounded-collection", "AuditEvent", "auditTrail");
}

#[test]
fn an_array_replaced_on_every_write_is_named_by_its_variable() {
    assert_leak("replaced-array", "unbounded-collection", "{route}", "samples");
}

#[test]
fn a_fixed_pool_is_no_leak() {
    let (report, code) = own("bounded-pool", &["--ops", "300", "--warmup", "100"]);
    assert_eq!((code, report["verdict"].as_str().unwrap()), (0, "no leak"), "{report:#}");
    assert!(!grows_unexplained(&report), "{report:#}");
    assert_eq!(report["confidence"], "high", "{report:#}");
}

#[test]
fn a_cache_that_fills_once_is_a_jump_not_a_leak() {
    let (report, code) = own("route-memo", &["--ops", "300", "--warmup", "100"]);
    assert_eq!((code, report["verdict"].as_str().unwrap()), (0, "no leak"), "{report:#}");
    assert!(!grows_unexplained(&report), "{report:#}");
    let jump = &report["groups"][0];
    assert_eq!((jump["leak"].as_bool(), jump["primary_class"].as_str()), (Some(false), Some("CompiledRoute")));
    assert!(jump["reason"].as_str().unwrap().contains("stopped growing"), "{report:#}");
}

#[test]
fn five_snapshots_show_growth_in_every_interval() {
    let (report, _) = own("audit-array", &["--ops", "200", "--warmup", "100", "--snapshots", "5"]);
    let first = &report["groups"][0];
    assert_eq!(report["snapshots"].as_array().unwrap().len(), 5);
    assert_eq!(added_counts(first, "AuditEvent"), [200, 200, 200, 200]);
    assert_eq!(first["confidence"], "high");
}

#[test]
fn the_threshold_decides_what_counts() {
    let node = nodes().remove(0);
    let out = run_program(&node, &repo().join("examples/leaks/audit-array.js"), &["--ops", "300", "--warmup", "100"]);
    let (report, code) = leaks(std::slice::from_ref(&out), &["--min-growth", "10MB"]);
    assert_eq!(
        (code, report["verdict"].as_str().unwrap(), report["min_growth"].as_u64()),
        (0, "no leak", Some(10_000_000))
    );
    let (report, code) = leaks(&[out], &["--min-growth", "1KiB"]);
    assert_eq!((code, report["verdict"].as_str().unwrap()), (1, "leak"));
}

#[test]
fn bad_series_are_one_line_errors() {
    let node = nodes().remove(0);
    let out = run_program(&node, &repo().join("examples/leaks/audit-array.js"), &["--ops", "50", "--warmup", "10"]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let other = run_program(&node, &repo().join("examples/leaks/bounded-pool.js"), &["--ops", "50", "--warmup", "10"]);
    let mixed = temp_dir("mixed");
    let other_files: Vec<PathBuf> = std::fs::read_dir(other.path()).unwrap().map(|e| e.unwrap().path()).collect();
    for file in files.iter().chain(&other_files) {
        std::fs::copy(file, mixed.path().join(file.file_name().unwrap())).unwrap();
    }
    let lonely = temp_dir("lonely");
    std::fs::copy(&files[0], lonely.path().join(files[0].file_name().unwrap())).unwrap();
    let cut = temp_dir("truncated");
    let truncated = cut.path().join("truncated.heapsnapshot");
    let bytes = std::fs::read(&files[0]).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let s = |p: &PathBuf| p.display().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec![s(&files[0]), s(&files[1])], "at least 3 snapshots".to_owned()),
        (vec![s(&files[0]), s(&files[2]), s(&files[1])], "time order".to_owned()),
        (vec![s(&truncated), s(&files[1]), s(&files[2])], s(&truncated)),
        (vec![s(&mixed.path().to_owned())], "snapshots of 2 processes".to_owned()),
        (vec![s(&lonely.path().to_owned())], "holds 1 snapshot file".to_owned()),
        (
            vec![s(&files[0]), s(&files[1]), "/nonexistent/Heap.3.heapsnapshot".to_owned()],
            "no such file or folder".to_owned(),
        ),
        (vec!["/nonexistent/snapshots".to_owned()], "/nonexistent/snapshots: no such file or folder".to_owned()),
    ];
    for (args, expected) in cases {
        let mut all = vec!["leaks".to_owned()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let result = heaplens(&refs);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{refs:?}: {stderr}");
        assert!(stderr.contains(&expected) && stderr.trim().lines().count() == 1, "{refs:?}: {stderr}");
        assert!(result.stdout.is_empty(), "{refs:?}");
    }
}

#[test]
fn a_callback_sharing_its_scope_with_a_large_string_is_found_under_every_node() {
    let program = repo().join("examples/leaks/job-callbacks.js");
    for node in nodes() {
        let out = run_program(&node, &program, &["--ops", "300", "--warmup", "100"]);
        let (report, code) = leaks(&[out], &[]);
        let context = format!("job-callbacks on Node {}: {report:#}", version(&node));
        assert_eq!((code, report["verdict"].as_str()), (1, Some("leak")), "{context}");
        assert_eq!(report["confidence"], "high", "{context}");
        let first = &report["groups"][0];
        assert_eq!(first["pattern"]["id"], "closure-context", "{context}");
        assert_eq!(first["primary_name"], "onJobDone", "{context}");
        assert_eq!(first["container"]["name"], "worker.callbacks.handlers.get('done')", "{context}");
        assert_eq!(first["code"], "worker.callbacks.handlers.get('done')[i]", "{context}");
        let captured = &first["captured"];
        assert_eq!((captured["variable"].as_str(), captured["function"].as_str()), (Some("report"), Some("onJobDone")));
        assert_eq!(captured["read_by_function"], false, "{context}");
        let each = captured["bytes_each"].as_u64().unwrap();
        assert!((16_384..17_000).contains(&each), "16 KiB reports: {context}");
        let path = first["container"]["path"].as_array().unwrap();
        assert!(path[0].as_str().unwrap().ends_with("examples/leaks/job-callbacks.js"), "{context}");
        // The reports are the program's memory, not V8's: nearly all the growth is the leak's.
        for interval in report["accounting"].as_array().unwrap() {
            let (leaks, added) =
                (interval["leaks"]["bytes"].as_u64().unwrap(), interval["added"]["bytes"].as_u64().unwrap());
            assert!(leaks * 10 >= added * 9, "{context}");
        }
    }
}

/// Node ids and shallow sizes of every node of a snapshot, read with `heaplens nodes --jsonl`.
fn ids_and_sizes(file: &Path) -> Vec<(u64, u64)> {
    let out = heaplens(&["nodes", "--jsonl", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let node: Value = serde_json::from_str(line).unwrap();
            (node["id"].as_u64().unwrap(), node["self_size"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn every_byte_each_interval_added_is_accounted_for_once() {
    let node = nodes().remove(0);
    let out = run_program(&node, &repo().join("examples/leaks/audit-array.js"), &["--ops", "300", "--warmup", "100"]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (report, _) = leaks(&files, &[]);
    // The whole, worked out here from the three files: the last snapshot's nodes by the first
    // snapshot that has their id.
    let snapshots: Vec<Vec<(u64, u64)>> = files.iter().map(|f| ids_and_sizes(f)).collect();
    let earlier: Vec<std::collections::HashSet<u64>> =
        snapshots[..2].iter().map(|nodes| nodes.iter().map(|&(id, _)| id).collect()).collect();
    let mut added = [0u64; 2];
    for &(id, size) in &snapshots[2] {
        if earlier[0].contains(&id) {
            continue;
        }
        added[usize::from(!earlier[1].contains(&id))] += size;
    }
    let totals: Vec<i64> = snapshots.iter().map(|nodes| nodes.iter().map(|&(_, s)| s as i64).sum()).collect();
    let accounting = report["accounting"].as_array().unwrap();
    assert_eq!(accounting.len(), 2, "{report:#}");
    for (k, interval) in accounting.iter().enumerate() {
        let bytes = |part: &str| interval[part]["bytes"].as_u64().unwrap();
        let parts = ["leaks", "not_leaks", "engine", "not_attributed"];
        assert_eq!(bytes("added"), added[k], "interval {}: {report:#}", k + 1);
        assert_eq!(parts.iter().map(|p| bytes(p)).sum::<u64>(), added[k], "interval {}: {report:#}", k + 1);
        assert_eq!(interval["heap_growth"].as_i64().unwrap(), totals[k + 1] - totals[k], "{report:#}");
    }
    // The leak is most of it, and the text says the parts.
    assert!(accounting.iter().all(|a| a["leaks"]["bytes"].as_u64() > a["engine"]["bytes"].as_u64()));
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut args = vec!["leaks"];
    args.extend(names.iter().map(String::as_str));
    let text = String::from_utf8(heaplens(&args).stdout).unwrap();
    for row in [
        "heap growth",
        "new and still alive",
        "in leaks",
        "in groups that are not leaks",
        "in V8's own structures",
        "not attributed",
    ] {
        assert!(text.contains(row), "{row}: {text}");
    }
}

#[test]
fn growth_that_no_group_explains_is_never_no_leak() {
    let node = nodes().remove(0);
    let out = run_program(&node, &repo().join("examples/leaks/three-caches.js"), &["--ops", "300", "--warmup", "100"]);
    let (report, code) = leaks(std::slice::from_ref(&out), &[]);
    assert_eq!((code, report["verdict"].as_str()), (1, Some("leak")), "{report:#}");
    let each: Vec<u64> =
        report["groups"].as_array().unwrap().iter().map(|g| g["growth_per_interval"].as_u64().unwrap()).collect();
    assert_eq!(each.len(), 3, "{report:#}");
    // Above each cache's growth, below their sum.
    let threshold = (each.iter().max().unwrap() + 1).max(each.iter().sum::<u64>() / 2);
    let limit = threshold.to_string();
    let (report, code) = leaks(&[out], &["--min-growth", &limit]);
    assert_eq!((code, report["verdict"].as_str()), (1, Some("unexplained growth")), "{report:#}");
    assert_eq!(report["confidence"], "low", "{report:#}");
    let reason = report["reason"].as_str().unwrap();
    assert!(["tokens", "fragments", "counters"].iter().all(|c| reason.contains(c)), "{reason}");
    for interval in report["accounting"].as_array().unwrap() {
        assert!(interval["not_attributed"]["bytes"].as_u64().unwrap() > threshold, "{report:#}");
    }
    let names: Vec<&str> =
        report["unattributed"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert!(["tokens", "fragments", "counters"].iter().all(|c| names.contains(c)), "{names:?}");
}
