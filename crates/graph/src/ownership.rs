//! Which edges can retain, and who owns what: DevTools' page-owned flag, its rule for the edges
//! the dominator tree is built from, and the shallow-size transfer of internal arrays to their
//! single owner.

use heaplens_snapshot::{SizeColumn, Snapshot};

use crate::ephemeron::EphemeronNames;
use crate::kinds::{BitSet, EdgeKinds, NodeKinds};

/// Whether a direct child of the root starts a user (non-system) tree: DevTools' user roots are
/// the non-synthetic children and the synthetic `(Document DOM trees)`.
pub(crate) fn is_user_root(s: &Snapshot, nk: &NodeKinds, node: u32) -> bool {
    let i = node as usize;
    u16::from(s.nodes.kind[i]) != nk.synthetic || s.strings.eq(s.nodes.name[i], "(Document DOM trees)")
}

fn is_document_dom_trees_root(s: &Snapshot, nk: &NodeKinds, node: u32) -> bool {
    let i = node as usize;
    u16::from(s.nodes.kind[i]) == nk.synthetic && s.strings.eq(s.nodes.name[i], "(Document DOM trees)")
}

/// Nodes reachable over non-weak edges from the root's shortcut targets (the globals) and
/// from `(Document DOM trees)`.
pub(crate) fn page_owned(s: &Snapshot, nk: &NodeKinds, ek: &EdgeKinds) -> BitSet {
    let mut owned = BitSet::new(s.node_count());
    let mut stack: Vec<u32> = Vec::new();
    for e in s.edge_range(s.root) {
        let kind = u16::from(s.edges.kind(e));
        let target = s.edges.to_node(e);
        let entry = if kind == ek.element { is_document_dom_trees_root(s, nk, target) } else { kind == ek.shortcut };
        if entry {
            owned.insert(target as usize);
            stack.push(target);
        }
    }
    while let Some(node) = stack.pop() {
        for e in s.edge_range(node) {
            let child = s.edges.to_node(e);
            if owned.contains(child as usize) || u16::from(s.edges.kind(e)) == ek.weak {
                continue;
            }
            owned.insert(child as usize);
            stack.push(child);
        }
    }
    owned
}

/// The edges the dominator tree is built from (DevTools' "essential" edges): not weak, not a
/// self loop, not the WeakMap table's half of an ephemeron pair, and — except from the root —
/// not a shortcut and not from a non-page-owned node into a page-owned one. Sorted on every
/// core. Beside them, since the test of each internal edge's name finds them: the nodes that
/// hold a half of a WeakMap pair (internal edges named as one), sorted.
pub(crate) fn essential_edges(
    s: &Snapshot,
    ek: &EdgeKinds,
    owned: &BitSet,
    ephemerons: &EphemeronNames,
) -> (BitSet, Vec<u32>) {
    let first_edge = &s.nodes.first_edge;
    // The node whose edges hold edge `e`: the last with `first_edge <= e` (nodes without edges
    // share their `first_edge` with the next node).
    let source_of = |e: usize| (first_edge.partition_point(|&f| f as usize <= e) - 1, Vec::new());
    let (essential, holders) = BitSet::par_from_fn(s.edge_count(), source_of, |(node, holders), e| {
        while first_edge[*node + 1] as usize <= e {
            *node += 1;
        }
        let node = *node as u32;
        let kind = u16::from(s.edges.kind(e));
        if kind == ek.internal {
            if let Some(eph) = ephemerons.get(s.edges.name_or_index(e)) {
                if holders.last() != Some(&node) {
                    holders.push(node);
                }
                if eph.table_id == u64::from(s.nodes.id.get(node as usize)) {
                    return false;
                }
            }
        }
        let child = s.edges.to_node(e);
        if kind == ek.weak || child == node {
            return false;
        }
        let is_root = node == s.root;
        is_root || !(kind == ek.shortcut || (owned.contains(child as usize) && !owned.contains(node as usize)))
    });
    // Each chunk's list is ascending; a node whose edges two chunks share may end one and start
    // the next.
    let mut holders: Vec<u32> = holders.into_iter().flat_map(|(_, holders)| holders).collect();
    holders.dedup();
    (essential, holders)
}

/// Moves the self size of hidden and array nodes (and `system / ExternalStringData`) that have
/// exactly one owner to that owner, as DevTools does when the snapshot has user roots.
pub(crate) fn transfer_shallow_sizes(s: &Snapshot, nk: &NodeKinds, ek: &EdgeKinds, self_size: &mut SizeColumn) {
    let has_user_roots = s.edge_range(s.root).any(|e| is_user_root(s, nk, s.edges.to_node(e)));
    if !has_user_roots {
        return;
    }
    const UNVISITED: u32 = u32::MAX;
    const MULTIPLE: u32 = u32::MAX - 1;
    let n = s.node_count();
    let is_owned_kind = |i: usize| {
        let kind = u16::from(s.nodes.kind[i]);
        kind == nk.hidden
            || kind == nk.array
            || (kind == nk.native && s.strings.eq(s.nodes.name[i], "system / ExternalStringData"))
    };
    let mut owner: Vec<u32> = (0..n).map(|i| if is_owned_kind(i) { UNVISITED } else { i as u32 }).collect();
    // Owners spread from every node that owns itself into the owned kinds it reaches; a node
    // reached from two owners becomes MULTIPLE and spreads that. The outcome does not depend
    // on the order, so each owner's spread runs to its end before the next one starts, and the
    // stack only ever holds owned-kind nodes.
    let mut stack: Vec<u32> = Vec::new();
    for start in 0..n as u32 {
        if owner[start as usize] != start {
            continue;
        }
        stack.push(start);
        while let Some(node) = stack.pop() {
            let node_owner = owner[node as usize];
            for e in s.edge_range(node) {
                if u16::from(s.edges.kind(e)) == ek.weak {
                    continue;
                }
                let target = s.edges.to_node(e);
                let current = owner[target as usize];
                if current == UNVISITED {
                    owner[target as usize] = node_owner;
                    stack.push(target);
                } else if current != target && current != node_owner && current != MULTIPLE {
                    owner[target as usize] = MULTIPLE;
                    stack.push(target);
                }
            }
        }
    }
    for (i, &o) in owner.iter().enumerate() {
        if o == UNVISITED || o == MULTIPLE || o == i as u32 {
            continue;
        }
        if u16::from(s.nodes.kind[o as usize]) == nk.synthetic || o == s.root {
            continue;
        }
        let size = self_size.get(i);
        self_size.set(i, 0);
        self_size.set(o as usize, self_size.get(o as usize).wrapping_add(size));
    }
}
