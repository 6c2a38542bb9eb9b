//! Distances from the GC roots, as DevTools computes them: breadth-first from the user roots at
//! 1, then from the root at [`SYSTEM_DISTANCE`] for what only system roots reach; weak edges and
//! a few V8-internal links are not followed. Unreachable nodes get [`NO_DISTANCE`].

use std::collections::HashSet;

use heaplens_snapshot::Snapshot;

use crate::ephemeron::EphemeronNames;
use crate::kinds::{EdgeKinds, NodeKinds};
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
    /// String indexes of the names the filter looks for.
    native_context: Vec<u32>,
    map_descriptors: Vec<u32>,
    sloppy_function_map: Vec<u32>,
}

impl<'a> DistanceFilter<'a> {
    pub(crate) fn new(s: &'a Snapshot, nk: NodeKinds, ek: EdgeKinds, ephemerons: &'a mut EphemeronNames) -> Self {
        DistanceFilter {
            s,
            nk,
            ek,
            ephemerons,
            pending: HashSet::new(),
            native_context: s.strings.indexes_of("system / NativeContext"),
            map_descriptors: s.strings.indexes_of("(map descriptors)"),
            sloppy_function_map: s.strings.indexes_of("sloppy_function_map"),
        }
    }

    fn edge_name_string(&self, e: usize) -> std::borrow::Cow<'_, str> {
        let kind = self.s.edges.kind[e];
        let raw = self.s.edges.name_or_index[e];
        if self.ek.has_string_name(kind) {
            self.s.strings.get(raw)
        } else {
            raw.to_string().into()
        }
    }

    fn allows(&mut self, node: u32, e: usize) -> bool {
        let s = self.s;
        let kind = u16::from(s.nodes.kind[node as usize]);
        let name = s.nodes.name[node as usize];
        let edge_kind = s.edges.kind[e];
        if kind == self.nk.hidden
            && self.native_context.contains(&name)
            && self.ek.has_string_name(edge_kind)
            && self.sloppy_function_map.contains(&s.edges.name_or_index[e])
        {
            return false;
        }
        if kind == self.nk.array && self.map_descriptors.contains(&name) {
            return match parse_int_prefix(&self.edge_name_string(e)) {
                Some(index) => index < 2 || index % 3 != 1,
                None => true,
            };
        }
        if u16::from(edge_kind) == self.ek.internal {
            if let Some(eph) = self.ephemerons.get(&s.strings, s.edges.name_or_index[e]) {
                if !self.pending.remove(&eph.pair) {
                    self.pending.insert(eph.pair.clone());
                    return false;
                }
            }
        }
        true
    }
}

/// Breadth-first search from the nodes already in `queue`, skipping weak edges, edges the
/// filter refuses, and nodes `blocked` says not to enter.
pub(crate) fn bfs(
    s: &Snapshot,
    ek: &EdgeKinds,
    distances: &mut [i32],
    queue: &mut Vec<u32>,
    filter: &mut DistanceFilter<'_>,
    blocked: &dyn Fn(u32) -> bool,
) {
    let mut head = 0;
    while head < queue.len() {
        let node = queue[head];
        head += 1;
        let next = distances[node as usize] + 1;
        for e in s.edge_range(node) {
            if u16::from(s.edges.kind[e]) == ek.weak {
                continue;
            }
            let child = s.edges.to_node[e];
            if distances[child as usize] != NO_DISTANCE || blocked(child) || !filter.allows(node, e) {
                continue;
            }
            distances[child as usize] = next;
            queue.push(child);
        }
    }
    queue.clear();
}

/// Every node's distance; `blocked` nodes are never entered through an edge (DevTools' "ignore
/// this retainer"; user roots keep distance 1).
pub(crate) fn distances(
    s: &Snapshot,
    nk: NodeKinds,
    ek: EdgeKinds,
    ephemerons: &mut EphemeronNames,
    blocked: &dyn Fn(u32) -> bool,
) -> Vec<i32> {
    let mut distances = vec![NO_DISTANCE; s.node_count()];
    let mut queue: Vec<u32> = Vec::new();
    for e in s.edge_range(s.root) {
        let child = s.edges.to_node[e];
        if is_user_root(s, &nk, child) {
            distances[child as usize] = 1;
            queue.push(child);
        }
    }
    let has_user_roots = !queue.is_empty();
    let mut filter = DistanceFilter::new(s, nk, ek, ephemerons);
    bfs(s, &ek, &mut distances, &mut queue, &mut filter, blocked);
    distances[s.root as usize] = if has_user_roots { SYSTEM_DISTANCE } else { 0 };
    queue.push(s.root);
    bfs(s, &ek, &mut distances, &mut queue, &mut filter, blocked);
    distances
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
