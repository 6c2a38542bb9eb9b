//! Exploration against DevTools: Retainers trees (with and without ignored retainers), the
//! distances of the Retainers view with ignored nodes, and the duplicated strings must equal
//! what DevTools' own code gives (`fixtures/golden/*.explore.json.gz`, from `fixtures/regen.sh`).

mod common;

use common::*;
use heaplens_graph::{duplicate_strings, HeapGraph, RetainerTree, RetainerView};
use serde_json::{json, Value};

/// Our tree in the oracle's shape.
fn tree_json(g: &HeapGraph, view: &RetainerView<'_>, tree: &RetainerTree) -> Value {
    let s = &g.snapshot;
    let items: Vec<Value> = tree
        .items
        .iter()
        .map(|item| {
            let r = item.retainer;
            let mut v = json!({
                "edgeType": g.edge_type_name(r.edge),
                "edgeName": g.edge_name(r.edge),
                "id": s.nodes.id.get(r.retainer as usize),
                "name": g.display_name(r.retainer),
                "distance": r.distance,
                "ignored": view.is_ignored(r.retainer),
                "cycle": item.cycle,
            });
            if let Some(sub) = &item.retainers {
                v["retainers"] = tree_json(g, view, sub);
            }
            v
        })
        .collect();
    json!({ "total": tree.total, "items": items })
}

/// Oracle edge names of shortcut edges are numbers when they parse as one; compare as text.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(name) = map.get_mut("edgeName") {
                if let Some(n) = name.as_i64() {
                    *name = Value::String(n.to_string());
                }
            }
            map.values_mut().for_each(normalise);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

fn check_trees(stem: &str, g: &HeapGraph, view: &RetainerView<'_>, oracle: &Value) {
    for (id, expected) in oracle.as_object().expect("trees") {
        let node = g.node_by_id(id.parse().unwrap()).unwrap_or_else(|| panic!("{stem}: no node @{id}"));
        let mut ours = tree_json(g, view, &view.tree(node, 3, 8));
        let mut expected = expected.clone();
        normalise(&mut ours);
        normalise(&mut expected);
        assert_eq!(ours, expected, "{stem}: retainers of @{id}");
    }
}

fn check(stem: &str, file: &str) {
    let g = analyze(file);
    let oracle = parse_oracle(&gunzip(&fixtures().join(format!("golden/{stem}.explore.json.gz"))));

    check_trees(stem, &g, &RetainerView::new(&g, &[]), &oracle["retainers"]);

    let ignored: Vec<u32> = oracle["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| g.node_by_id(id.as_u64().unwrap() as u32).unwrap())
        .collect();
    assert!(!ignored.is_empty(), "{stem}: the oracle ignored nothing");
    let view = RetainerView::new(&g, &ignored);
    check_trees(stem, &g, &view, &oracle["retainersIgnoring"]);
    let distances = oracle["distancesIgnoring"].as_array().unwrap();
    assert_eq!(distances.len(), g.snapshot.node_count());
    let wrong: Vec<String> = distances
        .iter()
        .enumerate()
        .filter(|&(n, d)| d.as_i64() != Some(i64::from(view.distance(n as u32))))
        .map(|(n, d)| format!("@{}: ours {} DevTools {d}", g.snapshot.nodes.id.get(n), view.distance(n as u32)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{stem}: {} distances differ with {ignored:?} ignored: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );

    let ours: Vec<Value> = duplicate_strings(&g)
        .iter()
        .map(|d| {
            json!({
                "value": d.value, "count": d.nodes.len(), "totalSelfSize": d.total_self_size,
                "totalRetainedSize": d.total_retained_size, "truncated": d.truncated,
                "ids": d.nodes.iter().map(|&n| g.snapshot.nodes.id.get(n as usize)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let expected = oracle["duplicateStrings"].as_array().unwrap();
    assert_eq!(ours.len(), expected.len(), "{stem}: number of duplicated strings");
    for (a, b) in ours.iter().zip(expected) {
        assert_eq!(a, b, "{stem}: duplicated string");
    }
}

macro_rules! explore_test {
    ($name:ident, $stem:literal, $file:literal) => {
        #[test]
        fn $name() {
            check($stem, $file);
        }
    };
}

explore_test!(mixed_node18, "mixed-node18", "mixed-node18.heapsnapshot.gz");
explore_test!(mixed_node20, "mixed-node20", "mixed-node20.heapsnapshot.gz");
explore_test!(mixed_node22, "mixed-node22", "mixed-node22.heapsnapshot.gz");
explore_test!(mixed_node24, "mixed-node24", "mixed-node24.heapsnapshot.gz");
explore_test!(pair_a_node20, "pair-a-node20", "pair-a-node20.heapsnapshot.gz");
explore_test!(pair_a_node24, "pair-a-node24", "pair-a-node24.heapsnapshot.gz");
explore_test!(pair_b_node20, "pair-b-node20", "pair-b-node20.heapsnapshot.gz");
explore_test!(pair_b_node24, "pair-b-node24", "pair-b-node24.heapsnapshot.gz");
explore_test!(timeline_node20, "timeline-node20", "timeline-node20.heaptimeline.gz");
explore_test!(timeline_node24, "timeline-node24", "timeline-node24.heaptimeline.gz");
explore_test!(internals_node20, "internals-node20", "internals-node20.heapsnapshot.gz");
explore_test!(internals_node24, "internals-node24", "internals-node24.heapsnapshot.gz");
explore_test!(chrome_page, "chrome-page", "chrome-page.heapsnapshot.gz");
