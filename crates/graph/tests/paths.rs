//! Retaining paths on real snapshots: every path is a chain of real, non-weak edges from a
//! user root (or the root, for what only V8 holds) to the node, exactly as long as DevTools'
//! distance (checked against the oracle in golden.rs), the paths differ, and the first is the
//! cheapest in internal links.

mod common;

use common::*;
use heaplens_graph::{shortest_paths, HeapGraph, NO_DISTANCE, SYSTEM_DISTANCE};

fn check(file: &str) {
    let g = analyze(file);
    let s = &g.snapshot;
    let n = s.node_count() as u32;
    let step = (n / 400).max(1);
    let mut checked = 0;
    for target in (0..n).step_by(step as usize) {
        let distance = g.distance(target);
        let paths = shortest_paths(&g, target, 3);
        if distance == NO_DISTANCE {
            assert!(paths.is_empty(), "{file}: unreachable @{} has a path", s.nodes.id.get(target as usize));
            continue;
        }
        assert!(!paths.is_empty(), "{file}: no path to @{}", s.nodes.id.get(target as usize));
        for path in &paths {
            check_path(&g, file, target, path);
        }
        for (i, a) in paths.iter().enumerate() {
            assert!(paths[i + 1..].iter().all(|b| b.hops != a.hops), "{file}: repeated path");
            assert!(a.cost >= paths[0].cost, "{file}: the first path is not the cheapest");
        }
        checked += 1;
    }
    assert!(checked > 100, "{file}: only {checked} nodes checked");
}

fn check_path(g: &HeapGraph, file: &str, target: u32, path: &heaplens_graph::RetainingPath) {
    let s = &g.snapshot;
    let id = s.nodes.id.get(target as usize);
    let start_distance = g.distance(path.start);
    let expected_hops = if path.start == s.root {
        g.distance(target) - start_distance
    } else {
        assert_eq!(start_distance, 1, "{file} @{id}: path starts at a node that is not a user root");
        g.distance(target) - 1
    };
    assert!(start_distance == 1 || path.start == s.root);
    assert_eq!(path.hops.len() as i32, expected_hops, "{file} @{id}: path length differs from its distance");
    let mut at = path.start;
    for hop in &path.hops {
        assert_eq!(hop.from, at, "{file} @{id}: broken chain");
        assert_eq!(s.edge_source(hop.edge), hop.from, "{file} @{id}: edge not from its holder");
        assert_eq!(s.edges.to_node(hop.edge as usize), hop.to, "{file} @{id}: edge does not reach the next node");
        assert_ne!(u16::from(s.edges.kind(hop.edge as usize)), g.edge_kinds.weak, "{file} @{id}: weak edge");
        at = hop.to;
    }
    assert_eq!(at, target);
    let has_user_roots = g.distance(s.root) == SYSTEM_DISTANCE;
    if has_user_roots && target != s.root && g.distance(target) < SYSTEM_DISTANCE {
        assert_ne!(path.start, s.root, "{file} @{id}: a user-reachable node got a system path");
    }
}

#[test]
fn paths_are_real_shortest_edge_chains_node20() {
    check("mixed-node20.heapsnapshot.gz");
}

#[test]
fn paths_are_real_shortest_edge_chains_node24() {
    check("mixed-node24.heapsnapshot.gz");
}

#[test]
fn paths_are_real_shortest_edge_chains_chrome() {
    check("chrome-page.heapsnapshot.gz");
}

#[test]
fn paths_are_real_shortest_edge_chains_internals() {
    check("internals-node24.heapsnapshot.gz");
}
