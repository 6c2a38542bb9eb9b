//! Distances from the GC roots, as DevTools computes them: breadth-first from the user roots at
//! 1, then from the root at [`SYSTEM_DISTANCE`] for what only system roots reach; weak edges and
//! a few V8-internal links are not followed. Unreachable nodes get [`NO_DISTANCE`].

use std::collections::HashSet;

use heaplens_snapshot::Snapshot;

use crate::ephemeron::EphemeronNames;
use crate::kinds::{BitSet, EdgeKinds, NodeKinds};
use crate::memory::prefetch;
use crate::ownership::is_user_root;

/// Distance of a node no root reaches.
pub const NO_DISTANCE: i32 = -5;
/// Distances from this value up are reachable only through system roots.
pub const SYSTEM_DISTANCE: i32 = 100_000_000;

/// JavaScript's `parseInt(s, 10)` on a name: leading whitespace, a sign, then digits.
pub(crate) fn parse_int_prefix(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let value: i64 = digits[..end].parse().unwrap_or(i64::MAX);
    Some(if negative { -value } else { value })
}

/// The edge filter of DevTools' distance computation, with its state (pending ephemeron halves).
pub(crate) struct DistanceFilter<'a> {
    s: &'a Snapshot,
    nk: NodeKinds,
    ek: EdgeKinds,
    ephemerons: &'a mut EphemeronNames,
    pending: HashSet<Box<str>>,
    /// String indexes of `sloppy_function_map`, the native contexts' edge the filter refuses.
    sloppy_function_map: Vec<u32>,
    /// Nodes whose edges the filter may refuse though they are not internal: native contexts
    /// (hidden nodes) and map-descriptor arrays. Found in one pass, so the search tests a bit
    /// per node instead of reading the node's kind and name at a random place.
    guarded: BitSet,
}

impl<'a> DistanceFilter<'a> {
    pub(crate) fn new(s: &'a Snapshot, nk: NodeKinds, ek: EdgeKinds, ephemerons: &'a mut EphemeronNames) -> Self {
        let native_context = s.strings.indexes_of("system / NativeContext");
        let map_descriptors = s.strings.indexes_of("(map descriptors)");
        let mut guarded = BitSet::new(s.node_count());
        for (node, &kind) in s.nodes.kind.iter().enumerate() {
            let kind = u16::from(kind);
            let names = if kind == nk.hidden {
                &native_context
            } else if kind == nk.array {
                &map_descriptors
            } else {
                continue;
            };
            if names.contains(&s.nodes.name[node]) {
                guarded.insert(node);
            }
        }
        DistanceFilter {
            s,
            nk,
            ek,
            ephemerons,
            pending: HashSet::new(),
            sloppy_function_map: s.strings.indexes_of("sloppy_function_map"),
            guarded,
        }
    }

    fn edge_name_string(&self, e: usize) -> std::borrow::Cow<'_, str> {
        let kind = self.s.edges.kind(e);
        let raw = self.s.edges.name_or_index(e);
        if self.ek.has_string_name(kind) {
            self.s.strings.get(raw)
        } else {
            raw.to_string().into()
        }
    }

    /// How the search treats edge `e` of `node`, whatever the order it meets edges in.
    pub(crate) fn role(&mut self, node: u32, e: usize) -> EdgeRole {
        let s = self.s;
        let edge_kind = s.edges.kind(e);
        if u16::from(edge_kind) == self.ek.weak {
            return EdgeRole::Refused;
        }
        if self.guarded.contains(node as usize) {
            if u16::from(s.nodes.kind[node as usize]) == self.nk.hidden {
                if self.ek.has_string_name(edge_kind) && self.sloppy_function_map.contains(&s.edges.name_or_index(e)) {
                    return EdgeRole::Refused;
                }
            } else {
                return match parse_int_prefix(&self.edge_name_string(e)) {
                    Some(index) if index >= 2 && index % 3 == 1 => EdgeRole::Refused,
                    _ => EdgeRole::Followed,
                };
            }
        }
        if u16::from(edge_kind) == self.ek.internal {
            if let Some(eph) = self.ephemerons.get(&s.strings, s.edges.name_or_index(e)) {
                return EdgeRole::HalfOfPair(eph.pair.clone());
            }
        }
        EdgeRole::Followed
    }

    /// Whether the search, meeting edge `e` of `node` now, follows it: the first half of a
    /// WeakMap pair it meets is refused, the second followed.
    fn allows(&mut self, node: u32, e: usize) -> bool {
        match self.role(node, e) {
            EdgeRole::Refused => false,
            EdgeRole::Followed => true,
            EdgeRole::HalfOfPair(pair) => {
                let second = self.pending.remove(&pair);
                if !second {
                    self.pending.insert(pair);
                }
                second
            }
        }
    }
}

/// How DevTools' distance search treats an edge.
pub(crate) enum EdgeRole {
    /// Never followed: weak, or a V8-internal link DevTools leaves out.
    Refused,
    /// Followed when the search meets it.
    Followed,
    /// One of the two edges that hold a WeakMap value (named by the pair): the value is entered
    /// through the second of them the search meets, so its distance is one more than the later
    /// of its two holders'.
    HalfOfPair(Box<str>),
}

/// What a distance search learns: the nodes it reached, in the order it reached them, and where
/// each distance's run of them ends. One `u32` per reached node, half of what the search would
/// hold with the distances beside its queue; [`Reached::distances`] spreads it out.
pub(crate) struct Reached {
    order: Vec<u32>,
    /// (distance, end in `order`) per level, in order.
    levels: Vec<(i32, u32)>,
}

impl Reached {
    /// Every node's distance, [`NO_DISTANCE`] for those the search did not reach.
    pub(crate) fn distances(self, node_count: usize) -> Vec<i32> {
        let mut distances = vec![NO_DISTANCE; node_count];
        let mut start = 0;
        for (distance, end) in self.levels {
            for &node in &self.order[start..end as usize] {
                distances[node as usize] = distance;
            }
            start = end as usize;
        }
        distances
    }

    /// Breadth-first search from the nodes of `order` after `start`, all at distance `level`,
    /// skipping weak edges, edges the filter refuses, and nodes already `seen` (a bit per node:
    /// small enough that the test of every edge's target stays in the cache).
    fn search(
        &mut self,
        s: &Snapshot,
        ek: &EdgeKinds,
        seen: &mut BitSet,
        start: usize,
        mut level: i32,
        filter: &mut DistanceFilter<'_>,
    ) {
        let queue = &mut self.order;
        let mut head = start;
        // The queue holds one level after another: `level_end` is where the current one ends.
        let mut level_end = queue.len();
        while head < queue.len() {
            if head == level_end {
                self.levels.push((level, level_end as u32));
                level += 1;
                level_end = queue.len();
            }
            let node = queue[head];
            // The queue is in discovery order, scattered over the arrays: ask for what the nodes
            // a few steps ahead will read, so that their loads overlap this node's work.
            if let Some(&later) = queue.get(head + 16) {
                prefetch(&s.nodes.first_edge[later as usize]);
            }
            if let Some(&soon) = queue.get(head + 8) {
                s.edges.prefetch(s.nodes.first_edge[soon as usize] as usize);
            }
            head += 1;
            let guarded = filter.guarded.contains(node as usize);
            for e in s.edge_range(node) {
                let kind = u16::from(s.edges.kind(e));
                if kind == ek.weak {
                    continue;
                }
                let child = s.edges.to_node(e);
                if seen.contains(child as usize) {
                    continue;
                }
                let filtered = guarded || (kind == ek.internal && filter.ephemerons.may_be(s.edges.name_or_index(e)));
                if filtered && !filter.allows(node, e) {
                    continue;
                }
                seen.insert(child as usize);
                queue.push(child);
            }
        }
        if start < queue.len() {
            self.levels.push((level, queue.len() as u32));
        }
    }
}

/// Every node's distance, by a search with `filter` (new: no WeakMap half met yet); `blocked`
/// nodes are never entered through an edge (DevTools' "ignore this retainer"; user roots keep
/// distance 1).
pub(crate) fn distances(filter: &mut DistanceFilter<'_>, blocked: &[u32]) -> Vec<i32> {
    reach(filter, blocked).distances(filter.s.node_count())
}

/// The search behind [`distances`], with what it learns kept compact.
pub(crate) fn reach(filter: &mut DistanceFilter<'_>, blocked: &[u32]) -> Reached {
    let (s, nk, ek) = (filter.s, filter.nk, filter.ek);
    let mut seen = BitSet::new(s.node_count());
    for &node in blocked {
        seen.insert(node as usize);
    }
    // Room for every node up front: pages are only taken as the search reaches nodes, and no
    // growth step ever copies the queue.
    let mut reached = Reached { order: Vec::with_capacity(s.node_count()), levels: Vec::new() };
    for e in s.edge_range(s.root) {
        let child = s.edges.to_node(e);
        if is_user_root(s, &nk, child) {
            seen.insert(child as usize);
            reached.order.push(child);
        }
    }
    let has_user_roots = !reached.order.is_empty();
    reached.search(s, &ek, &mut seen, 0, 1, filter);
    let root_distance = if has_user_roots { SYSTEM_DISTANCE } else { 0 };
    let start = reached.order.len();
    seen.insert(s.root as usize);
    reached.order.push(s.root);
    reached.search(s, &ek, &mut seen, start, root_distance, filter);
    reached
}

#[cfg(test)]
mod tests {
    use super::parse_int_prefix as p;

    #[test]
    fn parses_like_javascript_parse_int() {
        assert_eq!(p("12"), Some(12));
        assert_eq!(p("  7abc"), Some(7));
        assert_eq!(p("-4"), Some(-4));
        assert_eq!(p("abc"), None);
        assert_eq!(p(""), None);
    }
}
