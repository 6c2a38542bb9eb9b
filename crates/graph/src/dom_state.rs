//! Attached/detached state of embedder (DOM) nodes, as DevTools derives it: the snapshot's
//! `detachedness` field seeds it, attached state spreads to native children first, then detached
//! state to the rest, and detached nodes are renamed `Detached <name>`.

use std::collections::HashMap;

use heaplens_snapshot::Snapshot;

use crate::kinds::{BitSet, EdgeKinds, NodeKinds};

/// DOM link state of a node as DevTools encodes it.
pub const UNKNOWN: u8 = 0;
/// Reachable from a live document.
pub const ATTACHED: u8 = 1;
/// Part of a DOM tree no document holds.
pub const DETACHED: u8 = 2;

/// Computes every node's DOM state and renames detached native nodes in `s.nodes.name`. The
/// snapshot's `detachedness` list becomes the states (it is of no use once they are known):
/// the nodes whose state is not [`UNKNOWN`], with it, by node — none in a heap without DOM
/// nodes, as in Node.js.
///
/// Only the nodes the spread reaches are looked at, not every node: a heap with a handful of
/// native nodes costs next to nothing.
pub(crate) fn propagate(s: &mut Snapshot, nk: &NodeKinds, ek: &EdgeKinds) -> Vec<(u32, u8)> {
    let n = s.node_count();
    let native = nk.native;
    let Some(known) = s.nodes.detachedness.take() else {
        // Old snapshots without the field: native nodes named `Detached ...` are detached.
        return (0..n)
            .filter(|&i| u16::from(s.nodes.kind[i]) == native && s.strings.starts_with(s.nodes.name[i], "Detached "))
            .map(|i| (i as u32, DETACHED))
            .collect();
    };
    // UNKNOWN is 0: the array's pages are only touched where a state is set.
    let mut state = vec![UNKNOWN; n];
    let mut seeds: Vec<u32> = known.iter().map(|&(node, _)| node).collect();
    seeds.sort_unstable();
    for (node, d) in known {
        state[node as usize] = d & 3;
    }
    // The nodes whose state the spread sets.
    let mut reached: Vec<u32> = Vec::new();
    let mut visited = BitSet::new(n);
    let mut attached: Vec<u32> = Vec::new();
    let mut detached: Vec<u32> = Vec::new();
    let mut renamed: HashMap<u32, u32> = HashMap::new();

    let mut process = |s: &mut Snapshot,
                       state: &mut [u8],
                       node: usize,
                       new_state: u8,
                       attached: &mut Vec<u32>,
                       detached: &mut Vec<u32>| {
        if visited.contains(node) {
            return;
        }
        visited.insert(node);
        if u16::from(s.nodes.kind[node]) != native {
            return;
        }
        state[node] = new_state;
        reached.push(node as u32);
        if new_state == ATTACHED {
            attached.push(node as u32);
        } else if new_state == DETACHED {
            let old = s.nodes.name[node];
            let new = *renamed.entry(old).or_insert_with(|| {
                let name = format!("Detached {}", s.strings.get(old));
                s.strings.push(name)
            });
            s.nodes.name[node] = new;
            detached.push(node as u32);
        }
    };

    for &node in &seeds {
        let known = state[node as usize];
        if known != UNKNOWN {
            process(s, &mut state, node as usize, known, &mut attached, &mut detached);
        }
    }
    let skipped = [ek.hidden, ek.weak];
    while let Some(parent) = attached.pop() {
        for e in s.edge_range(parent) {
            if skipped.contains(&u16::from(s.edges.kind(e))) {
                continue;
            }
            let child = s.edges.to_node(e) as usize;
            process(s, &mut state, child, ATTACHED, &mut attached, &mut detached);
        }
    }
    while let Some(parent) = detached.pop() {
        if state[parent as usize] == ATTACHED {
            continue;
        }
        for e in s.edge_range(parent) {
            if skipped.contains(&u16::from(s.edges.kind(e))) {
                continue;
            }
            let child = s.edges.to_node(e) as usize;
            process(s, &mut state, child, DETACHED, &mut attached, &mut detached);
        }
    }
    let mut set = seeds;
    set.append(&mut reached);
    set.sort_unstable();
    set.dedup();
    set.into_iter().map(|node| (node, state[node as usize])).filter(|&(_, d)| d != UNKNOWN).collect()
}
