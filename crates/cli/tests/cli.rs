//! The `heaplens` binary end to end: commands on real fixtures, JSON shapes, exit codes and
//! one-line errors that name the file.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

#[test]
fn summary_json_has_the_documented_shape() {
    let file = fixture("mixed-node20.heapsnapshot.gz");
    let v = ok_json(&["summary", file.to_str().unwrap(), "--json"]);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["classes", "edge_count", "node_count", "total_size"]);
    let classes = v["classes"].as_array().unwrap();
    assert!(classes.len() > 100);
    for c in classes {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["count", "distance", "location", "name", "retained_size", "self_size"]);
    }
    let retained: Vec<u64> = classes.iter().map(|c| c["retained_size"].as_u64().unwrap()).collect();
    assert!(retained.windows(2).all(|w| w[0] >= w[1]), "sorted by retained size");
    // The fixture's 400 users share a property set: DevTools names the class after it.
    let users = classes.iter().find(|c| c["name"] == "{id, name, email}").expect("interface class");
    assert_eq!(users["count"], 400);
    let located = classes.iter().find(|c| c["name"] == "ListNode").expect("ListNode class");
    assert!(located["location"]["script_id"].as_u64().is_some());
    assert_eq!(located["count"], 5000);
}

#[test]
fn summary_flags_filter_sort_and_cut() {
    let file = fixture("mixed-node24.heapsnapshot.gz");
    let v =
        ok_json(&["summary", file.to_str().unwrap(), "--json", "--sort", "count", "--top", "3", "--class", "^[A-Z]"]);
    let classes = v["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 3);
    let counts: Vec<u64> = classes.iter().map(|c| c["count"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    assert!(classes.iter().all(|c| c["name"].as_str().unwrap().starts_with(|ch: char| ch.is_ascii_uppercase())));
}

#[test]
fn between_keeps_only_objects_allocated_after_the_previous_snapshot() {
    let (a, b) = (fixture("pair-a-node20.heapsnapshot.gz"), fixture("pair-b-node20.heapsnapshot.gz"));
    let v = ok_json(&[
        "summary",
        b.to_str().unwrap(),
        "--between",
        a.to_str().unwrap(),
        "--json",
        "--class",
        "^CacheEntry$",
    ]);
    assert_eq!(v["classes"][0]["count"], 300, "pair.js adds 300 cache entries between the snapshots");
}

#[test]
fn diff_reports_added_and_removed_objects() {
    let (a, b) = (fixture("pair-a-node24.heapsnapshot.gz"), fixture("pair-b-node24.heapsnapshot.gz"));
    let v = ok_json(&["diff", a.to_str().unwrap(), b.to_str().unwrap(), "--json"]);
    let rows = v["classes"].as_array().unwrap();
    let customer = rows.iter().find(|r| r["name"] == "Customer").expect("Customer row");
    assert_eq!((customer["added_count"].as_u64(), customer["removed_count"].as_u64()), (Some(120), Some(80)));
    assert_eq!(customer["count_delta"], 40);
    for r in rows {
        let (a, d) = (r["added_size"].as_i64().unwrap(), r["removed_size"].as_i64().unwrap());
        assert_eq!(r["size_delta"].as_i64().unwrap(), a - d);
    }
}

#[test]
fn stats_and_tables_print() {
    let file = fixture("chrome-page.heapsnapshot.gz");
    let v = ok_json(&["stats", file.to_str().unwrap(), "--json"]);
    assert_eq!(
        v["v8heap"]["total"].as_u64().unwrap() + v["native"]["total"].as_u64().unwrap(),
        v["total"].as_u64().unwrap()
    );
    for cmd in ["summary", "stats"] {
        let out = heaplens(&[cmd, file.to_str().unwrap()]);
        assert!(out.status.success());
        assert!(String::from_utf8(out.stdout).unwrap().lines().count() > 5);
    }
}

#[test]
fn nodes_jsonl_writes_one_line_per_node() {
    let file = fixture("mixed-node18.heapsnapshot.gz");
    let out = heaplens(&["nodes", file.to_str().unwrap(), "--jsonl"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 42500);
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["class", "distance", "dominator", "id", "name", "retained_size", "self_size", "type"]);
    assert_eq!(first["dominator"], first["id"], "the root dominates itself");
    assert!(lines
        .iter()
        .all(|l| serde_json::from_str::<Value>(l).unwrap()["name"].as_str().unwrap().chars().count() <= 200));
}

#[test]
fn stdin_is_read_with_a_dash() {
    let bytes = std::fs::read(fixture("pair-a-node20.heapsnapshot.gz")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_heaplens"))
        .args(["stats", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["total"].as_u64().unwrap() > 1_000_000);
}

#[test]
fn bad_input_is_one_line_on_stderr_naming_the_file_with_exit_code_2() {
    let full = {
        let mut d = flate2::read::GzDecoder::new(std::fs::File::open(fixture("mixed-node20.heapsnapshot.gz")).unwrap());
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut v).unwrap();
        v
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (scratch("empty.heapsnapshot", b""), "empty input"),
        (scratch("text.heapsnapshot", b"not a snapshot\n"), "not a heap snapshot"),
        (scratch("array.heapsnapshot", b"[1, 2, 3]"), "not a heap snapshot"),
        (scratch("half.heapsnapshot", &full[..full.len() / 2]), "truncated"),
        (scratch("header.heapsnapshot", &full[..300]), "truncated"),
        (
            scratch("broken.heapsnapshot.gz", &std::fs::read(fixture("mixed-node20.heapsnapshot.gz")).unwrap()[..5000]),
            "cannot read",
        ),
        (PathBuf::from("/nonexistent/dir/x.heapsnapshot"), "cannot read"),
        (std::env::temp_dir(), "directory"),
    ];
    for (path, expected) in cases {
        let out = heaplens(&["summary", path.to_str().unwrap()]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert!(out.stdout.is_empty(), "no partial output for {}", path.display());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(path.to_str().unwrap()), "names the file: {stderr}");
        assert!(stderr.contains(expected), "{}: {stderr}", path.display());
    }
    let out = heaplens(&["summary", fixture("mixed-node20.heapsnapshot.gz").to_str().unwrap(), "--class", "(["]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("not a valid regular expression"));
    assert_eq!(heaplens(&["summary"]).status.code(), Some(2), "usage errors exit 2");
}
