//! Helpers shared by the tests that compare heaplens with DevTools' own numbers.
#![allow(dead_code)] // each test binary uses a different part of these helpers

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use heaplens_graph::{HeapGraph, Members};
use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

pub fn gunzip(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut out).expect("gzip");
    out
}

/// The oracle writes lone UTF-16 surrogates as `\udXXX` escapes, which strict JSON parsers
/// refuse; heaplens decodes them to U+FFFD, so the golden text gets the same treatment.
pub fn replace_lone_surrogates(text: &str) -> String {
    let b = text.as_bytes();
    let hex = |i: usize| -> Option<u16> {
        (i + 6 <= b.len() && b[i] == b'\\' && b[i + 1] == b'u')
            .then(|| std::str::from_utf8(&b[i + 2..i + 6]).ok().and_then(|h| u16::from_str_radix(h, 16).ok()))
            .flatten()
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut plain = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match hex(i) {
            Some(u @ 0xD800..=0xDBFF) if matches!(hex(i + 6), Some(0xDC00..=0xDFFF)) => {
                let _ = u;
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                out.push_str(&text[plain..i]);
                out.push_str("\\ufffd");
                i += 6;
                plain = i;
            }
            _ => i += 2,
        }
    }
    out.push_str(&text[plain..]);
    out
}

pub fn golden(name: &str) -> Value {
    parse_oracle(&gunzip(&fixtures().join(format!("golden/{name}.devtools.json.gz"))))
}

pub fn snapshot_path(file: &str) -> PathBuf {
    fixtures().join("snapshots").join(file)
}

pub fn analyze(file: &str) -> HeapGraph {
    let snapshot = heaplens_snapshot::read_path(&snapshot_path(file)).expect("fixture reads");
    HeapGraph::analyze(snapshot)
}

/// Summary rows as the oracle prints them: key -> [name, count, self, maxRet, distance].
pub fn our_aggregates(rows: &[heaplens_graph::ClassSummary]) -> BTreeMap<String, Value> {
    rows.iter()
        .map(|r| (r.key.clone(), serde_json::json!([r.name, r.count, r.self_size, r.retained_size, r.distance])))
        .collect()
}

pub fn oracle_aggregates(g: &Value) -> BTreeMap<String, Value> {
    g["aggregates"]
        .as_object()
        .expect("aggregates")
        .iter()
        .map(|(k, a)| (k.clone(), serde_json::json!([a["name"], a["count"], a["self"], a["maxRet"], a["distance"]])))
        .collect()
}

pub fn assert_maps_equal(what: &str, ours: &BTreeMap<String, Value>, oracle: &BTreeMap<String, Value>) {
    let mut problems = Vec::new();
    for (k, v) in oracle {
        match ours.get(k) {
            None => problems.push(format!("missing {k:?} = {v}")),
            Some(o) if o != v => problems.push(format!("{k:?}: ours {o}, DevTools {v}")),
            _ => {}
        }
    }
    for k in ours.keys().filter(|k| !oracle.contains_key(*k)) {
        problems.push(format!("extra {k:?} = {}", ours[k]));
    }
    assert!(
        problems.is_empty(),
        "{what}: {} differences, first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(15)].join("\n")
    );
}

/// Parses oracle output (lone surrogates replaced).
pub fn parse_oracle(raw: &[u8]) -> Value {
    let text = replace_lone_surrogates(std::str::from_utf8(raw).expect("utf-8"));
    serde_json::from_str(&text).expect("oracle JSON")
}

/// Every node, every class, the statistics and the totals must equal DevTools'.
pub fn check_against_oracle(stem: &str, g: &HeapGraph, oracle: &Value) {
    let s = &g.snapshot;
    assert_eq!(s.node_count() as u64, oracle["nodeCount"].as_u64().unwrap(), "{stem}: node count");
    assert_eq!(g.total_size(), oracle["totalSize"].as_u64().unwrap(), "{stem}: total size");
    assert_eq!(
        u64::from(g.max_js_object_id()),
        oracle["staticData"]["maxJSObjectId"].as_u64().unwrap(),
        "{stem}: max JS object id"
    );
    let st = &oracle["statistics"];
    let ours = serde_json::json!({
        "total": g.statistics.total,
        "native": {"total": g.statistics.native_total, "typedArrays": g.statistics.typed_arrays},
        "v8heap": {"total": g.statistics.v8heap_total, "code": g.statistics.code, "jsArrays": g.statistics.js_arrays,
                   "strings": g.statistics.strings, "system": g.statistics.system},
    });
    assert_eq!(&ours, st, "{stem}: statistics");
    assert_maps_equal(
        &format!("{stem}: summary"),
        &our_aggregates(&g.summary(None, Members::Omitted)),
        &oracle_aggregates(oracle),
    );

    let rows = oracle["nodes"].as_array().expect("nodes");
    let mut problems = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let n = i as u32;
        let ours = serde_json::json!([
            s.nodes.id.get(i),
            g.type_name(n),
            g.display_name(n),
            g.class_name(n),
            s.nodes.self_size.get(i),
            g.retained_size(i as u32),
            g.distance(i as u32),
            s.nodes.id.get(g.dominator[i] as usize),
            g.dom_state(n),
        ]);
        if &ours != row {
            problems.push(format!("node {i}: ours {ours}\n   DevTools {row}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{stem}: {} of {} nodes differ, first ones:\n{}",
        problems.len(),
        rows.len(),
        problems[..problems.len().min(10)].join("\n")
    );
}
