//! Leak groups: leak roots held the same way. Roots are first gathered by holder; holders
//! whose retaining paths have the same shape (edge names with indexes and dictionary keys
//! generalised, repeated links of a list folded) form one group. For each group this counts
//! what was added in each interval and still lives, by class.

use heaplens_graph::{quick_path, BitSet, HeapGraph, NO_DISTANCE};
use rustc_hash::FxHashMap;

use crate::engine::is_storage;
use crate::roots::LeakRoot;

/// Objects added in one interval that are still alive in the last snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Added {
    /// Number of objects.
    pub count: u64,
    /// Their shallow sizes, in bytes.
    pub bytes: u64,
}

impl Added {
    pub(crate) fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }
}

/// Adds `from` to `into`, interval by interval.
pub fn add_all(into: &mut [Added], from: &[Added]) {
    for (sum, added) in into.iter_mut().zip(from) {
        sum.count += added.count;
        sum.bytes += added.bytes;
    }
}

/// The objects of one group, as counted in the last snapshot.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// The leak roots, in node order.
    pub roots: Vec<u32>,
    /// The old objects that hold the roots, largest share first.
    pub holders: Vec<u32>,
    /// Added objects per interval (index 0 is the interval after the first snapshot).
    pub added: Vec<Added>,
    /// Added objects per interval, by class (a string index).
    pub by_class: FxHashMap<u32, Vec<Added>>,
    /// Retained size of the roots plus the new storage they grew.
    pub retained_size: u64,
    /// What an object is (see `kind_key`) -> (shallowest depth below a root, an instance at
    /// that depth).
    pub shallowest: FxHashMap<u64, (u32, u32)>,
}

/// What grouping needs to know about the series.
pub struct Grouping<'a> {
    /// The last snapshot.
    pub graph: &'a HeapGraph,
    /// Birth of each node (see [`crate::birth::births`]).
    pub birth: &'a [u16],
    /// Number of intervals (snapshots - 1).
    pub intervals: usize,
}

/// A group per holder: its roots and new storage, counted by interval and class.
pub fn by_holder(ctx: &Grouping<'_>, roots: &[LeakRoot], storage: &[LeakRoot]) -> FxHashMap<u32, Group> {
    let g = ctx.graph;
    let mut groups: FxHashMap<u32, Group> = FxHashMap::default();
    let mut seen = BitSet::new(ctx.birth.len());
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for root in roots {
        let group = groups.entry(root.holder).or_insert_with(|| Group::new(ctx.intervals, root.holder));
        group.roots.push(root.node);
        group.retained_size += g.retained_size(root.node);
        stack.push((root.node, 0));
        while let Some((node, depth)) = stack.pop() {
            if seen.contains(node as usize) {
                continue;
            }
            seen.insert(node as usize);
            group.count(ctx, node, depth);
            stack.extend(g.dominated(node).iter().map(|&d| (d, if is_storage(g, d) { depth } else { depth + 1 })));
        }
    }
    for &LeakRoot { node, holder } in storage {
        if seen.contains(node as usize) {
            continue;
        }
        seen.insert(node as usize);
        let group = groups.entry(holder).or_insert_with(|| Group::new(ctx.intervals, holder));
        group.retained_size += u64::from(g.snapshot.nodes.self_size.get(node as usize));
        group.count(ctx, node, 0);
    }
    groups
}

impl Group {
    fn new(intervals: usize, holder: u32) -> Group {
        Group { holders: vec![holder], added: vec![Added::default(); intervals], ..Group::default() }
    }

    /// Counts `node`, `depth` levels below a root, if it is new. A node no root reaches
    /// strongly is left out, even below a root (DevTools hangs such nodes in the dominator tree
    /// too): the accounting books it as not attributed, once.
    fn count(&mut self, ctx: &Grouping<'_>, node: u32, depth: u32) {
        let birth = ctx.birth[node as usize] as usize;
        if birth == 0 || ctx.graph.distance(node) == NO_DISTANCE {
            return;
        }
        let bytes = u64::from(ctx.graph.snapshot.nodes.self_size.get(node as usize));
        self.added[birth - 1].add(bytes);
        let class = ctx.graph.class_index(node);
        self.by_class.entry(class).or_insert_with(|| vec![Added::default(); ctx.intervals])[birth - 1].add(bytes);
        self.note_shallowest(ctx.graph, kind_key(ctx.graph, node), depth, node);
    }

    /// Keeps, per class, the instance closest below a root (then closest to a GC root).
    fn note_shallowest(&mut self, g: &HeapGraph, class: u64, depth: u32, node: u32) {
        let entry = self.shallowest.entry(class).or_insert((depth, node));
        if depth < entry.0 || (depth == entry.0 && g.distance(node) < g.distance(entry.1)) {
            *entry = (depth, node);
        }
    }

    fn merge(&mut self, g: &HeapGraph, other: Group) {
        self.roots.extend(other.roots);
        self.holders.extend(other.holders);
        add_all(&mut self.added, &other.added);
        for (class, added) in other.by_class {
            add_all(self.by_class.entry(class).or_insert_with(|| vec![Added::default(); added.len()]), &added);
        }
        self.retained_size += other.retained_size;
        for (class, (depth, node)) in other.shallowest {
            self.note_shallowest(g, class, depth, node);
        }
    }
}

/// What an object is, for choosing the one to name a group after: DevTools' class key (a name,
/// or a name at a source location), and for a function the source function it was made from.
pub(crate) fn kind_key(g: &HeapGraph, node: u32) -> u64 {
    let class = u64::from(g.class_ids.of_node[node as usize]);
    if u16::from(g.snapshot.nodes.kind[node as usize]) == g.node_kinds.closure {
        if let Some(shared) = g.internal_edge_target(node, &["shared"]) {
            return 1 << 32 | u64::from(shared);
        }
    }
    class
}

/// One link of a path's shape: edge type, the edge's name (generalised), the class reached.
type ShapeLink = (u8, String, u32);

/// Merges the per-holder groups whose holders are reached the same way.
pub fn by_path_shape(g: &HeapGraph, mut holders: Vec<(u32, Group)>) -> Vec<Group> {
    holders.sort_by_key(|(holder, group)| (std::cmp::Reverse(group.retained_size), *holder));
    let mut index: FxHashMap<Vec<ShapeLink>, usize> = FxHashMap::default();
    let mut groups: Vec<Group> = Vec::new();
    for (holder, group) in holders {
        match index.entry(path_shape(g, holder)) {
            std::collections::hash_map::Entry::Occupied(at) => groups[*at.get()].merge(g, group),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(groups.len());
                groups.push(group);
            }
        }
    }
    groups
}

/// A property of an object with more properties than this is treated as a dictionary key.
const DICTIONARY_SIZE: usize = 64;

/// The shape of a path to `node`: its links with element indexes and dictionary keys
/// generalised and repeats (a linked list's `next`, a chain of closures) folded.
fn path_shape(g: &HeapGraph, node: u32) -> Vec<ShapeLink> {
    let s = &g.snapshot;
    let mut links: Vec<ShapeLink> = Vec::new();
    let Some(path) = quick_path(g, node) else {
        return links;
    };
    for hop in &path.hops {
        let kind = s.edges.kind(hop.edge as usize);
        let name = match g.edge_type_name(hop.edge) {
            "element" | "hidden" => "[]".to_owned(),
            "property" if s.edge_range(hop.from).len() > DICTIONARY_SIZE => "[*]".to_owned(),
            _ => g.edge_name(hop.edge),
        };
        links.push((kind, name, g.class_index(hop.to)));
        fold_repeat(&mut links);
    }
    links.push((u8::MAX, String::new(), g.class_index(node)));
    links
}

/// Drops the last period of `links` when it repeats the one before it.
fn fold_repeat(links: &mut Vec<ShapeLink>) {
    for period in 1..=4 {
        let n = links.len();
        if n >= 2 * period && links[n - period..] == links[n - 2 * period..n - period] {
            links.truncate(n - period);
            return;
        }
    }
}
