//! Distances from the GC roots, as DevTools computes them: breadth-first from the user roots at
//! 1, then from the root at [`SYSTEM_DISTANCE`] for what only system roots reach; weak edges and
//! a few V8-internal links are not followed. Unreachable nodes get [`NO_DISTANCE`].

use heaplens_snapshot::Snapshot;
use rustc_hash::FxHashSet;

use crate::ephemeron::EphemeronNames;
use crate::kinds::{BitSet, EdgeKinds, NodeKinds};
use crate::memory::prefetch;
use crate::ownership::is_user_root;
use crate::HeapGraph;

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
    ephemerons: &'a EphemeronNames,
    pending: FxHashSet<&'a str>,
    /// String indexes of `sloppy_function_map`, the native contexts' edge the filter refuses.
    sloppy_function_map: Vec<u32>,
    /// String indexes of `system / NativeContext`, the name of the hidden nodes one of whose
    /// edges the filter refuses (see [`Guard`]).
    native_context: Vec<u32>,
    /// String indexes of `(map descriptors)`, the name of the arrays some of whose edges the
    /// filter refuses.
    map_descriptors: Vec<u32>,
    /// The nodes with an edge the filter may refuse or delay: those guarded ones, and the
    /// holders of a WeakMap pair's halves. Found up front, so the search tests a bit per node
    /// instead of reading the node's kind and name, and every internal edge's name, at random
    /// places.
    checked: BitSet,
}

impl<'a> DistanceFilter<'a> {
    /// The filter, new (no WeakMap half met yet). `weak_map_holders`: every node with an
    /// internal edge named as a half of a WeakMap pair, as `essential_edges` finds them.
    pub(crate) fn new(
        s: &'a Snapshot,
        nk: NodeKinds,
        ek: EdgeKinds,
        ephemerons: &'a EphemeronNames,
        weak_map_holders: &[u32],
    ) -> Self {
        let mut filter = DistanceFilter {
            s,
            nk,
            ek,
            ephemerons,
            pending: FxHashSet::default(),
            sloppy_function_map: s.strings.indexes_of("sloppy_function_map"),
            native_context: s.strings.indexes_of("system / NativeContext"),
            map_descriptors: s.strings.indexes_of("(map descriptors)"),
            checked: BitSet::new(0),
        };
        let mut checked = BitSet::new(s.node_count());
        for (node, &kind) in s.nodes.kind.iter().enumerate() {
            let kind = u16::from(kind);
            // Only these kinds can be guarded: the others' names are not read.
            if (kind == nk.hidden || kind == nk.array) && filter.guard(node as u32).is_some() {
                checked.insert(node);
            }
        }
        weak_map_holders.iter().for_each(|&holder| checked.insert(holder as usize));
        filter.checked = checked;
        filter
    }

    /// The filter, new, for the analysed graph `g`.
    pub(crate) fn of_graph(g: &'a HeapGraph) -> Self {
        DistanceFilter::new(&g.snapshot, g.node_kinds, g.edge_kinds, &g.ephemerons, &g.weak_map_holders)
    }

    /// What guards node `node`'s edges, if it is a native context or a map-descriptor array.
    fn guard(&self, node: u32) -> Option<Guard> {
        let kind = u16::from(self.s.nodes.kind[node as usize]);
        let (names, guard) = if kind == self.nk.hidden {
            (&self.native_context, Guard::NativeContext)
        } else if kind == self.nk.array {
            (&self.map_descriptors, Guard::MapDescriptors)
        } else {
            return None;
        };
        names.contains(&self.s.nodes.name[node as usize]).then_some(guard)
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
    pub(crate) fn role(&self, node: u32, e: usize) -> EdgeRole<'a> {
        let (s, ephemerons) = (self.s, self.ephemerons);
        let edge_kind = s.edges.kind(e);
        if u16::from(edge_kind) == self.ek.weak {
            return EdgeRole::Refused;
        }
        match self.guard(node) {
            Some(Guard::NativeContext)
                if self.ek.has_string_name(edge_kind)
                    && self.sloppy_function_map.contains(&s.edges.name_or_index(e)) =>
            {
                return EdgeRole::Refused;
            }
            Some(Guard::MapDescriptors) => {
                return match parse_int_prefix(&self.edge_name_string(e)) {
                    Some(index) if index >= 2 && index % 3 == 1 => EdgeRole::Refused,
                    _ => EdgeRole::Followed,
                };
            }
            _ => {}
        }
        if u16::from(edge_kind) == self.ek.internal {
            if let Some(eph) = ephemerons.get(s.edges.name_or_index(e)) {
                return EdgeRole::HalfOfPair(&eph.pair);
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

/// The nodes some of whose edges DevTools' distance search refuses though they are not weak.
enum Guard {
    /// A native context: its `sloppy_function_map` edge.
    NativeContext,
    /// A map's descriptor array: the edges at indexes 4, 7, 10...
    MapDescriptors,
}

/// How DevTools' distance search treats an edge.
pub(crate) enum EdgeRole<'a> {
    /// Never followed: weak, or a V8-internal link DevTools leaves out.
    Refused,
    /// Followed when the search meets it.
    Followed,
    /// One of the two edges that hold a WeakMap value (named by the pair): the value is entered
    /// through the second of them the search meets, so its distance is one more than the later
    /// of its two holders'.
    HalfOfPair(&'a str),
}

/// Every node's distance from the roots, in two bytes a node: user distances as they are,
/// system ones ([`SYSTEM_DISTANCE`] and up) as their offset with the top bit set, and the rare
/// distance too large for that in a map beside.
#[derive(Debug, Clone)]
pub struct Distances {
    short: Vec<u16>,
    large: rustc_hash::FxHashMap<u32, i32>,
}

impl Distances {
    /// No distance yet.
    const UNREACHED: u16 = u16::MAX;
    /// The distance is in `large`.
    const LARGE: u16 = u16::MAX - 1;
    /// Marks a system distance.
    const SYSTEM: u16 = 1 << 15;

    fn unreached(node_count: usize) -> Distances {
        Distances { short: vec![Distances::UNREACHED; node_count], large: Default::default() }
    }

    /// Node `node`'s distance ([`NO_DISTANCE`] when no root reaches it).
    #[inline]
    pub fn get(&self, node: u32) -> i32 {
        match self.short[node as usize] {
            Distances::UNREACHED => NO_DISTANCE,
            Distances::LARGE => self.large[&node],
            system if system & Distances::SYSTEM != 0 => SYSTEM_DISTANCE + i32::from(system & !Distances::SYSTEM),
            user => i32::from(user),
        }
    }

    fn set(&mut self, node: u32, distance: i32) {
        let short = if (0..i32::from(Distances::SYSTEM)).contains(&distance) {
            distance as u16
        } else if (0..i32::from(Distances::LARGE & !Distances::SYSTEM)).contains(&(distance - SYSTEM_DISTANCE)) {
            (distance - SYSTEM_DISTANCE) as u16 | Distances::SYSTEM
        } else {
            self.large.insert(node, distance);
            Distances::LARGE
        };
        self.short[node as usize] = short;
    }

    /// Every node's distance, as a plain array.
    pub fn to_vec(&self) -> Vec<i32> {
        (0..self.short.len() as u32).map(|node| self.get(node)).collect()
    }

    /// Breadth-first search from the nodes of `frontier`, all at distance `level`, skipping weak
    /// edges, edges the filter refuses, and nodes already `seen` (a bit per node: small enough
    /// that the test of every edge's target stays in the cache). Only two levels are ever held,
    /// a big one as a bit per node. Within a level the order nodes are taken in changes no
    /// distance: a node's is its level's plus one whichever edge of the level reaches it first,
    /// and a WeakMap value is entered at the later of its two holders' levels either way.
    fn search(
        &mut self,
        s: &Snapshot,
        ek: &EdgeKinds,
        seen: &mut BitSet,
        mut frontier: Frontier,
        mut level: i32,
        filter: &mut DistanceFilter<'_>,
    ) {
        let big = s.node_count() / 64;
        while !frontier.is_empty() {
            let mut next = Frontier::List(Vec::new());
            let mut visit = |node: u32| {
                self.set(node, level);
                let checked = filter.checked.contains(node as usize);
                for e in s.edge_range(node) {
                    let kind = u16::from(s.edges.kind(e));
                    if kind == ek.weak {
                        continue;
                    }
                    let child = s.edges.to_node(e);
                    if seen.contains(child as usize) {
                        continue;
                    }
                    if checked && !filter.allows(node, e) {
                        continue;
                    }
                    seen.insert(child as usize);
                    next.push(child, big, s.node_count());
                }
            };
            match &frontier {
                Frontier::List(nodes) => {
                    for (at, &node) in nodes.iter().enumerate() {
                        // A list is in discovery order, scattered over the arrays: ask for what
                        // the nodes a few steps ahead will read, so that their loads overlap
                        // this node's work.
                        if let Some(&later) = nodes.get(at + 16) {
                            prefetch(&s.nodes.first_edge[later as usize]);
                        }
                        if let Some(&soon) = nodes.get(at + 8) {
                            s.edges.prefetch(s.nodes.first_edge[soon as usize] as usize);
                        }
                        visit(node);
                    }
                }
                Frontier::Bits(bits) => bits.ones().for_each(|node| visit(node as u32)),
            }
            frontier = next;
            level += 1;
        }
    }
}

/// The nodes of one level of a search: a list while they are few, a bit per node once they are
/// many (at most a bit per node, however big the level).
enum Frontier {
    List(Vec<u32>),
    Bits(BitSet),
}

impl Frontier {
    fn is_empty(&self) -> bool {
        match self {
            Frontier::List(nodes) => nodes.is_empty(),
            // Only a list past `big` nodes becomes bits.
            Frontier::Bits(_) => false,
        }
    }

    /// Adds `node`; a list of more than `big` nodes becomes a set of `node_count` bits.
    fn push(&mut self, node: u32, big: usize, node_count: usize) {
        match self {
            Frontier::List(nodes) if nodes.len() >= big => {
                let mut bits = BitSet::new(node_count);
                nodes.iter().for_each(|&n| bits.insert(n as usize));
                bits.insert(node as usize);
                *self = Frontier::Bits(bits);
            }
            Frontier::List(nodes) => nodes.push(node),
            Frontier::Bits(bits) => bits.insert(node as usize),
        }
    }
}

/// Every node's distance, by a search with `filter` (new: no WeakMap half met yet); `blocked`
/// nodes are never entered through an edge (DevTools' "ignore this retainer"; user roots keep
/// distance 1).
pub(crate) fn distances(filter: &mut DistanceFilter<'_>, blocked: &[u32]) -> Distances {
    let (s, nk, ek) = (filter.s, filter.nk, filter.ek);
    let mut seen = BitSet::new(s.node_count());
    for &node in blocked {
        seen.insert(node as usize);
    }
    let mut distances = Distances::unreached(s.node_count());
    let mut user_roots = Vec::new();
    for e in s.edge_range(s.root) {
        let child = s.edges.to_node(e);
        if is_user_root(s, &nk, child) {
            seen.insert(child as usize);
            user_roots.push(child);
        }
    }
    let root_distance = if user_roots.is_empty() { 0 } else { SYSTEM_DISTANCE };
    distances.search(s, &ek, &mut seen, Frontier::List(user_roots), 1, filter);
    seen.insert(s.root as usize);
    distances.search(s, &ek, &mut seen, Frontier::List(vec![s.root]), root_distance, filter);
    distances
}

#[cfg(test)]
mod tests {
    use super::parse_int_prefix as p;
    use super::{Distances, NO_DISTANCE, SYSTEM_DISTANCE};

    #[test]
    fn every_distance_reads_back_in_two_bytes_or_beside() {
        let values = [0, 1, 2, 32_767, 32_768, 5_000_000, SYSTEM_DISTANCE, SYSTEM_DISTANCE + 1].into_iter().chain([
            SYSTEM_DISTANCE + 32_765,
            SYSTEM_DISTANCE + 32_766,
            SYSTEM_DISTANCE + 9_000_000,
        ]);
        let values: Vec<i32> = values.collect();
        let mut distances = Distances::unreached(values.len() + 1);
        for (node, &d) in values.iter().enumerate() {
            distances.set(node as u32, d);
        }
        let mut expected = values.clone();
        expected.push(NO_DISTANCE);
        assert_eq!(distances.to_vec(), expected);
        // Only the ones two bytes cannot hold are kept beside.
        assert_eq!(distances.large.len(), 4);
    }

    #[test]
    fn parses_like_javascript_parse_int() {
        assert_eq!(p("12"), Some(12));
        assert_eq!(p("  7abc"), Some(7));
        assert_eq!(p("-4"), Some(-4));
        assert_eq!(p("abc"), None);
        assert_eq!(p(""), None);
    }
}
