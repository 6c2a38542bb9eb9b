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

    /// Whether the filter may refuse an edge of `node` that is not internal (a native context
    /// or a map-descriptors array): checked once per node, so that most edges skip the filter.
    fn guards(&self, node: u32) -> bool {
        let kind = u16::from(self.s.nodes.kind[node as usize]);
        let name = self.s.nodes.name[node as usize];
        (kind == self.nk.hidden && self.native_context.contains(&name))
            || (kind == self.nk.array && self.map_descriptors.contains(&name))
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

/// One bit per node: set once a node has its distance or must never be entered. Far smaller
/// than the distances, so the search's test of every edge's target stays in the cache.
struct Seen(Vec<u64>);

impl Seen {
    fn new(nodes: usize) -> Seen {
        Seen(vec![0; nodes.div_ceil(64)])
    }

    fn insert(&mut self, node: u32) {
        self.0[node as usize / 64] |= 1u64 << (node % 64);
    }

    fn contains(&self, node: u32) -> bool {
        self.0[node as usize / 64] & (1u64 << (node % 64)) != 0
    }
}

/// Asks the CPU to bring `value`'s cache line in, without waiting for it.
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Breadth-first search from the nodes already in `queue`, skipping weak edges, edges the
/// filter refuses, and nodes already `seen`.
fn bfs(
    s: &Snapshot,
    ek: &EdgeKinds,
    distances: &mut [i32],
    seen: &mut Seen,
    queue: &mut Vec<u32>,
    filter: &mut DistanceFilter<'_>,
) {
    let mut head = 0;
    while head < queue.len() {
        let node = queue[head];
        // The queue is in discovery order, scattered over the arrays: ask for what the nodes a
        // few steps ahead will read, so that their loads overlap this node's work.
        if let Some(&later) = queue.get(head + 16) {
            prefetch(&s.nodes.first_edge[later as usize]);
        }
        if let Some(&soon) = queue.get(head + 8) {
            let first = s.nodes.first_edge[soon as usize] as usize;
            prefetch(&distances[soon as usize]);
            prefetch(&s.nodes.kind[soon as usize]);
            if first < s.edges.to_node.len() {
                prefetch(&s.edges.to_node[first]);
                prefetch(&s.edges.kind[first]);
                prefetch(&s.edges.name_or_index[first]);
            }
        }
        head += 1;
        let next = distances[node as usize] + 1;
        let guarded = filter.guards(node);
        for e in s.edge_range(node) {
            let kind = u16::from(s.edges.kind[e]);
            if kind == ek.weak {
                continue;
            }
            let child = s.edges.to_node[e];
            if seen.contains(child) {
                continue;
            }
            let filtered = guarded || (kind == ek.internal && filter.ephemerons.may_be(s.edges.name_or_index[e]));
            if filtered && !filter.allows(node, e) {
                continue;
            }
            seen.insert(child);
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
    blocked: &[u32],
) -> Vec<i32> {
    let mut distances = vec![NO_DISTANCE; s.node_count()];
    let mut seen = Seen::new(s.node_count());
    for &node in blocked {
        seen.insert(node);
    }
    let mut queue: Vec<u32> = Vec::new();
    for e in s.edge_range(s.root) {
        let child = s.edges.to_node[e];
        if is_user_root(s, &nk, child) {
            seen.insert(child);
            distances[child as usize] = 1;
            queue.push(child);
        }
    }
    let has_user_roots = !queue.is_empty();
    let mut filter = DistanceFilter::new(s, nk, ek, ephemerons);
    bfs(s, &ek, &mut distances, &mut seen, &mut queue, &mut filter);
    distances[s.root as usize] = if has_user_roots { SYSTEM_DISTANCE } else { 0 };
    seen.insert(s.root);
    queue.push(s.root);
    bfs(s, &ek, &mut distances, &mut seen, &mut queue, &mut filter);
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
