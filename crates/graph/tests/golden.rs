//! Golden tests: every node and every class of snapshots written by real Node.js and Chromium
//! processes must equal what DevTools' own code computes (the oracle output in
//! `fixtures/golden/`, made by `fixtures/regen.sh`).

mod common;

use std::collections::BTreeMap;

use common::*;
use heaplens_graph::Members;
use serde_json::Value;

fn check_snapshot(stem: &str, file: &str) {
    check_against_oracle(stem, &analyze(file), &golden(stem));
}

macro_rules! golden_test {
    ($name:ident, $stem:literal, $file:literal) => {
        #[test]
        fn $name() {
            check_snapshot($stem, $file);
        }
    };
}

golden_test!(mixed_node18, "mixed-node18", "mixed-node18.heapsnapshot.gz");
golden_test!(mixed_node20, "mixed-node20", "mixed-node20.heapsnapshot.gz");
golden_test!(mixed_node22, "mixed-node22", "mixed-node22.heapsnapshot.gz");
golden_test!(mixed_node24, "mixed-node24", "mixed-node24.heapsnapshot.gz");
golden_test!(pair_a_node20, "pair-a-node20", "pair-a-node20.heapsnapshot.gz");
golden_test!(pair_b_node24, "pair-b-node24", "pair-b-node24.heapsnapshot.gz");
golden_test!(timeline_node20, "timeline-node20", "timeline-node20.heaptimeline.gz");
golden_test!(timeline_node24, "timeline-node24", "timeline-node24.heaptimeline.gz");
golden_test!(internals_node20, "internals-node20", "internals-node20.heapsnapshot.gz");
golden_test!(internals_node24, "internals-node24", "internals-node24.heapsnapshot.gz");
golden_test!(chrome_page, "chrome-page", "chrome-page.heapsnapshot.gz");

fn check_pair(version: &str) {
    let mut base = analyze(&format!("pair-a-{version}.heapsnapshot.gz"));
    let current = analyze(&format!("pair-b-{version}.heapsnapshot.gz"));
    let oracle = golden(&format!("pair-{version}"));
    // "Objects allocated between" uses the previous snapshot's largest JS object id.
    let range: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join(format!("golden/pair-{version}.range.json"))).unwrap())
            .unwrap();
    let (min, max) = (u64::from(base.max_js_object_id()), u64::from(current.max_js_object_id()));
    assert_eq!((min, max), (range["min"].as_u64().unwrap(), range["max"].as_u64().unwrap()));
    let ids = &current.snapshot.nodes.id;
    let filtered = current.summary(
        Some(&|n: u32| u64::from(ids.get(n as usize)) > min && u64::from(ids.get(n as usize)) <= max),
        Members::Listed,
    );
    for row in &filtered {
        assert_eq!(row.members.len() as u64, row.count, "{}: members", row.key);
        assert!(row.members.iter().all(|&m| u64::from(ids.get(m as usize)) > min), "{}: members", row.key);
    }
    assert_maps_equal(
        &format!("pair-{version}: allocated between"),
        &our_aggregates(&filtered),
        &oracle_aggregates(&oracle),
    );

    let ours: BTreeMap<String, Value> = heaplens_graph::diff(&mut base, &current)
        .into_iter()
        .map(|d| {
            (
                d.key.clone(),
                serde_json::json!([
                    d.name,
                    d.added_count,
                    d.removed_count,
                    d.count_delta(),
                    d.added_size,
                    d.removed_size,
                    d.size_delta()
                ]),
            )
        })
        .collect();
    let theirs: BTreeMap<String, Value> = oracle["diff"]
        .as_object()
        .expect("diff")
        .iter()
        .map(|(k, d)| {
            (
                k.clone(),
                serde_json::json!([
                    d["name"],
                    d["addedCount"],
                    d["removedCount"],
                    d["countDelta"],
                    d["addedSize"],
                    d["removedSize"],
                    d["sizeDelta"]
                ]),
            )
        })
        .collect();
    assert_maps_equal(&format!("pair-{version}: comparison"), &ours, &theirs);
}

#[test]
fn comparison_and_allocated_between_node20() {
    check_pair("node20");
}

#[test]
fn comparison_and_allocated_between_node24() {
    check_pair("node24");
}

#[test]
fn a_cons_string_that_contains_itself_gets_a_name_without_hanging() {
    // Found by the fuzzer: DevTools would loop forever on this snapshot.
    let bytes = std::fs::read(fixtures().join("../fuzz/corpus/snapshot/regression-cons-string-loop.json")).unwrap();
    let graph = heaplens_graph::HeapGraph::analyze(heaplens_snapshot::read_bytes(&bytes).unwrap());
    for node in 0..graph.snapshot.node_count() as u32 {
        assert!(graph.display_name(node).len() < 1 << 20);
    }
}

#[test]
fn a_timeline_whose_header_undercounts_its_trace_functions_still_reads() {
    // Taken by an inspector session on the tracked thread: DevTools' loader fails on it
    // (fixtures/golden/timeline-mainthread-node24.devtools-error.txt); heaplens reads all entries.
    let graph = analyze("timeline-mainthread-node24.heaptimeline.gz");
    assert!(graph.snapshot.trace_functions.len() > 64);
    assert!(!graph.snapshot.trace_tree.id.is_empty());
    assert!(!graph.snapshot.samples.is_empty());
    assert!(graph.total_size() > 1_000_000);
}
