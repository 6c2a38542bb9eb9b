//! Leak roots: the new objects that head a dominator subtree of new objects. A root's
//! subtree is everything that would be freed with it; its *holder* is the first old object
//! above it in the dominator tree, looking through V8's backing stores (a Map's hash table, an
//! array's elements), which are storage of the holder rather than objects of their own.

use heaplens_graph::{HeapGraph, NO_DISTANCE};

/// A new object whose dominator chain reaches an old object before any other new object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakRoot {
    /// Ordinal of the root.
    pub node: u32,
    /// Ordinal of the old object that holds it.
    pub holder: u32,
}

/// Nodes that only store another object's contents: V8's internal arrays and hidden structs.
pub fn is_storage(g: &HeapGraph, node: u32) -> bool {
    let kind = u16::from(g.snapshot.nodes.kind[node as usize]);
    kind == g.node_kinds.array || kind == g.node_kinds.hidden
}

/// Every leak root of the last snapshot, given each node's birth (0 = old), and the new
/// storage nodes that lie between roots and their holders (they grow with the roots), each
/// with the old object it belongs to.
pub fn leak_roots(g: &HeapGraph, birth: &[u16]) -> (Vec<LeakRoot>, Vec<LeakRoot>) {
    const UNKNOWN: u32 = u32::MAX;
    let n = birth.len();
    // For storage nodes: the first non-storage node above them, filled with path compression.
    let mut owner_of_storage = vec![UNKNOWN; n];
    let mut chain = Vec::new();
    let mut first_owner = |start: u32, owner_of_storage: &mut Vec<u32>| -> u32 {
        chain.clear();
        let mut at = start;
        let found = loop {
            if !is_storage(g, at) || at == g.snapshot.root {
                break at;
            }
            if owner_of_storage[at as usize] != UNKNOWN {
                break owner_of_storage[at as usize];
            }
            chain.push(at);
            at = g.dominator[at as usize];
        };
        for &c in &chain {
            owner_of_storage[c as usize] = found;
        }
        found
    };
    let mut roots = Vec::new();
    let mut storage = Vec::new();
    for node in 0..n as u32 {
        let v = node as usize;
        if birth[v] == 0 || is_storage(g, node) || g.distance[v] == NO_DISTANCE || node == g.snapshot.root {
            continue;
        }
        let holder = first_owner(g.dominator[v], &mut owner_of_storage);
        if birth[holder as usize] == 0 {
            roots.push(LeakRoot { node, holder });
        }
    }
    // New storage between a root and its holder belongs to the growth of that holder.
    for node in 0..n as u32 {
        if birth[node as usize] != 0 && is_storage(g, node) && g.distance[node as usize] != NO_DISTANCE {
            let holder = first_owner(node, &mut owner_of_storage);
            if birth[holder as usize] == 0 {
                storage.push(LeakRoot { node, holder });
            }
        }
    }
    (roots, storage)
}
