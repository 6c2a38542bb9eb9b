//! Who holds a node: the retainers index (every edge grouped by its target, in DevTools' order)
//! and DevTools' Retainers view, with its "ignore this retainer" state: distances recomputed
//! without entering ignored nodes, and WeakMap edges that lose their other half shown as
//! unreachable.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use heaplens_snapshot::Snapshot;

use crate::distance_update;
use crate::distances::{NO_DISTANCE, SYSTEM_DISTANCE};
use crate::HeapGraph;

/// Distance the Retainers view gives a retainer that no root reaches (DevTools'
/// `baseUnreachableDistance`); added to the node's ordinary distance so such retainers sort last.
pub const UNREACHABLE_DISTANCE: i32 = 2 * SYSTEM_DISTANCE;

/// Edges grouped by target node: `edges[first[v]..first[v + 1]]` are the edge ordinals that
/// point at node `v`, last edge first (DevTools fills each node's slots from the end, and its
/// views break ties by that order).
#[derive(Debug)]
pub struct Retainers {
    first: Vec<u32>,
    edges: Vec<u32>,
    /// The halves of WeakMap pairs (see [`crate::ephemeron`]), by edge ordinal.
    weak_map_halves: Vec<WeakMapHalf>,
}

impl Retainers {
    /// Builds the index with a counting sort over the edges' targets, on every core: each core
    /// reads every edge but counts and places only those into its own range of targets, so
    /// no two cores write one place and each keeps DevTools' order (last edge first). The
    /// WeakMap pairs' halves are read from the edges of the nodes the analysis found holding
    /// one.
    pub(crate) fn build(g: &HeapGraph) -> Retainers {
        let (first, edges) = by_target(&g.snapshot);
        Retainers { first, edges, weak_map_halves: weak_map_halves(g) }
    }

    /// Ordinals of the edges that point at `node`.
    pub fn of(&self, node: u32) -> &[u32] {
        &self.edges[self.first[node as usize] as usize..self.first[node as usize + 1] as usize]
    }
}

/// The edges grouped by target, each target's last edge first: the offsets per target and the
/// edge ordinals (see [`Retainers::build`]).
fn by_target(s: &Snapshot) -> (Vec<u32>, Vec<u32>) {
    use rayon::prelude::*;
    let (n, m) = (s.node_count(), s.edge_count());
    let parts = rayon::current_num_threads().clamp(1, 8);
    let bounds: Vec<usize> = (0..=parts).map(|k| n * k / parts).collect();
    // Each core writes its own range's counts, then, once the ranges before it have said how
    // many edges they hold, makes them offsets: every pass over the counts on every core.
    let mut first = vec![0u32; n + 1];
    let counts = split_at_bounds(&mut first[1..], &bounds, |i| i);
    let mut totals: Vec<u32> = counts
        .into_par_iter()
        .enumerate()
        .map(|(k, counts)| {
            // Its pages written in order first, not at random by the counting.
            counts.fill(0);
            let base = bounds[k];
            for to in s.edges.targets() {
                if let Some(count) = counts.get_mut((to as usize).wrapping_sub(base)) {
                    *count += 1;
                }
            }
            counts.iter().sum()
        })
        .collect();
    let mut before = 0;
    for total in &mut totals {
        (*total, before) = (before, before + *total);
    }
    let offsets = split_at_bounds(&mut first[1..], &bounds, |i| i);
    offsets.into_par_iter().zip(totals).for_each(|(offsets, mut sum)| {
        for offset in offsets {
            sum += *offset;
            *offset = sum;
        }
    });
    let mut edges = vec![0u32; m];
    let slots = split_at_bounds(&mut edges, &bounds, |i| first[i] as usize);
    slots.into_par_iter().enumerate().for_each(|(k, slots)| {
        let targets = bounds[k]..bounds[k + 1];
        let base = first[targets.start];
        // Each target's edges fill its slots from the end.
        let mut fill: Vec<u32> = first[targets.start + 1..=targets.end].iter().map(|&f| f - base).collect();
        for (e, to) in s.edges.targets().enumerate() {
            if targets.contains(&(to as usize)) {
                let slot = &mut fill[to as usize - targets.start];
                *slot -= 1;
                slots[*slot as usize] = e as u32;
            }
        }
    });
    (first, edges)
}

/// `values` cut where `at` puts each of `bounds` (ascending, the first at 0, the last at the end).
fn split_at_bounds<'a>(values: &'a mut [u32], bounds: &[usize], at: impl Fn(usize) -> usize) -> Vec<&'a mut [u32]> {
    let mut parts = Vec::with_capacity(bounds.len() - 1);
    let mut rest = values;
    for pair in bounds.windows(2) {
        let (part, tail) = rest.split_at_mut(at(pair[1]) - at(pair[0]));
        parts.push(part);
        rest = tail;
    }
    parts
}

/// The halves of the WeakMap pairs, in edge order, each pair numbered as first met.
fn weak_map_halves(g: &HeapGraph) -> Vec<WeakMapHalf> {
    let s = &g.snapshot;
    let mut pairs: HashMap<&str, u32> = HashMap::new();
    let mut halves = Vec::new();
    for &holder in &g.weak_map_holders {
        for edge in s.edge_range(holder) {
            if u16::from(s.edges.kind(edge)) != g.edge_kinds.internal {
                continue;
            }
            if let Some(eph) = g.ephemerons.get(s.edges.name_or_index(edge)) {
                let next = pairs.len() as u32;
                let pair = *pairs.entry(&eph.pair).or_insert(next);
                halves.push(WeakMapHalf { edge: edge as u32, holder, pair });
            }
        }
    }
    halves
}

/// One of the two edges that hold a WeakMap value.
#[derive(Debug, Clone, Copy)]
struct WeakMapHalf {
    edge: u32,
    holder: u32,
    /// Which pair: both halves have the same number.
    pair: u32,
}

/// One row of the Retainers view: `edge` goes from `retainer` to the node being explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetainerEdge {
    /// Edge ordinal.
    pub edge: u32,
    /// Ordinal of the node that holds the edge.
    pub retainer: u32,
    /// The retainer's distance in this view (see [`RetainerView::distance`]).
    pub distance: i32,
}

/// A Retainers tree: a node's retainers, each with its own retainers, to a depth.
#[derive(Debug, Clone)]
pub struct RetainerTree {
    /// How many retainers the node has in all.
    pub total: usize,
    /// The first of them, closest to the roots first.
    pub items: Vec<RetainerTreeItem>,
}

/// A retainer in a [`RetainerTree`].
#[derive(Debug, Clone)]
pub struct RetainerTreeItem {
    /// The edge and its holder.
    pub retainer: RetainerEdge,
    /// Whether the user asked to ignore this node.
    pub ignored: bool,
    /// Whether the holder already appears on the way from the tree's root (not expanded).
    pub cycle: bool,
    /// The holder's own retainers, when the depth allows and it is not a cycle.
    pub retainers: Option<RetainerTree>,
}

/// What "ignore this retainer" changes, computed once per set of ignored nodes and kept apart
/// from the graph so a viewer can reuse it across requests: the nodes, the distances without
/// entering them, and the WeakMap edges that lose their other half.
#[derive(Debug, Default, Clone)]
pub struct Ignoring {
    ignored: HashSet<u32>,
    /// Distances without entering ignored nodes; `None` when nothing is ignored.
    distances: Option<Vec<i32>>,
    /// WeakMap edges that no longer retain because the other half of their pair is unreachable.
    ignored_edges: HashSet<u32>,
}

impl Ignoring {
    /// Ignores the node ordinals `ignored` in `graph` (recomputes distances unless empty).
    pub fn compute(graph: &HeapGraph, ignored: &[u32]) -> Ignoring {
        if ignored.is_empty() {
            return Ignoring::default();
        }
        let distances = distance_update::distances_ignoring(graph, ignored);
        let ignored_edges = weak_map_edges_left_alone(graph, &distances);
        Ignoring { ignored: ignored.iter().copied().collect(), distances: Some(distances), ignored_edges }
    }
}

/// DevTools' Retainers view over one analysed snapshot, with a set of ignored nodes.
pub struct RetainerView<'g> {
    graph: &'g HeapGraph,
    ignoring: Cow<'g, Ignoring>,
}

impl<'g> RetainerView<'g> {
    /// The view with `ignored` node ordinals ignored ("ignore this retainer").
    pub fn new(graph: &'g HeapGraph, ignored: &[u32]) -> RetainerView<'g> {
        RetainerView { graph, ignoring: Cow::Owned(Ignoring::compute(graph, ignored)) }
    }

    /// The view over an [`Ignoring`] computed earlier for the same graph.
    pub fn reusing(graph: &'g HeapGraph, ignoring: &'g Ignoring) -> RetainerView<'g> {
        RetainerView { graph, ignoring: Cow::Borrowed(ignoring) }
    }

    /// Whether `node` is ignored.
    pub fn is_ignored(&self, node: u32) -> bool {
        self.ignoring.ignored.contains(&node)
    }

    /// A node's distance in this view: its distance without passing through ignored nodes, or
    /// [`UNREACHABLE_DISTANCE`] plus its ordinary distance when ignoring cuts it off.
    pub fn distance(&self, node: u32) -> i32 {
        let ordinary = self.graph.distance(node);
        let d = self.ignoring.distances.as_ref().map_or(ordinary, |d| d[node as usize]);
        if d == NO_DISTANCE {
            ordinary.max(0) + UNREACHABLE_DISTANCE
        } else {
            d
        }
    }

    /// The node's retainers as the Retainers view lists them: no weak edges, no edges from the
    /// root, closest to the roots first, then by the holder's name, then in index order.
    pub fn retainers(&self, node: u32) -> Vec<RetainerEdge> {
        let g = self.graph;
        let s = &g.snapshot;
        let mut rows: Vec<(RetainerEdge, Vec<u16>)> = g
            .retainers()
            .of(node)
            .iter()
            .filter_map(|&edge| {
                let kind = u16::from(s.edges.kind(edge as usize));
                let retainer = s.edge_source(edge);
                if kind == g.edge_kinds.weak || kind == g.edge_kinds.invisible || retainer == s.root {
                    return None;
                }
                let distance = if self.ignoring.ignored_edges.contains(&edge) {
                    UNREACHABLE_DISTANCE
                } else {
                    self.distance(retainer)
                };
                Some((RetainerEdge { edge, retainer, distance }, Vec::new()))
            })
            .collect();
        // Names only break ties: compute them only where distances tie.
        let mut counts: HashMap<i32, usize> = HashMap::new();
        for (r, _) in &rows {
            *counts.entry(r.distance).or_default() += 1;
        }
        for (r, name) in &mut rows {
            if counts[&r.distance] > 1 {
                *name = g.display_name(r.retainer).encode_utf16().collect();
            }
        }
        // JavaScript compares strings by UTF-16 code units.
        rows.sort_by(|(a, an), (b, bn)| a.distance.cmp(&b.distance).then_with(|| an.cmp(bn)));
        rows.into_iter().map(|(r, _)| r).collect()
    }

    /// The Retainers tree of `node`: `depth` levels, at most `width` retainers per node.
    pub fn tree(&self, node: u32, depth: usize, width: usize) -> RetainerTree {
        let mut path = vec![node];
        self.subtree(&mut path, depth, width)
    }

    fn subtree(&self, path: &mut Vec<u32>, depth: usize, width: usize) -> RetainerTree {
        let node = *path.last().expect("path starts at the tree's root");
        let all = self.retainers(node);
        let items = all
            .iter()
            .take(width)
            .map(|&retainer| {
                let cycle = path.contains(&retainer.retainer);
                let retainers = (!cycle && depth > 1).then(|| {
                    path.push(retainer.retainer);
                    let tree = self.subtree(path, depth - 1, width);
                    path.pop();
                    tree
                });
                RetainerTreeItem { retainer, ignored: self.is_ignored(retainer.retainer), cycle, retainers }
            })
            .collect();
        RetainerTree { total: all.len(), items }
    }
}

/// WeakMap values are held by the map and the key together: when ignoring makes the holder of
/// one half unreachable, DevTools shows the other half as unreachable too.
fn weak_map_edges_left_alone(g: &HeapGraph, distances: &[i32]) -> HashSet<u32> {
    let halves = &g.retainers().weak_map_halves;
    let cut: HashSet<u32> =
        halves.iter().filter(|half| distances[half.holder as usize] == NO_DISTANCE).map(|half| half.pair).collect();
    halves.iter().filter(|half| cut.contains(&half.pair)).map(|half| half.edge).collect()
}

#[cfg(test)]
mod tests {
    /// The halves read from the holders' edges are those a look at every edge finds, in edge
    /// order, two edges sharing a pair number exactly when their names name one pair.
    #[test]
    fn weak_map_halves_are_those_a_look_at_every_edge_finds() {
        for file in ["mixed-node20.heapsnapshot.gz", "mixed-node24.heapsnapshot.gz"] {
            let g = crate::analyzed_fixture(file);
            let s = &g.snapshot;
            let pair_of = |e: u32| g.ephemerons.get(s.edges.name_or_index(e as usize)).map(|eph| &eph.pair);
            let every: Vec<(u32, u32)> = (0..s.node_count() as u32)
                .flat_map(|node| s.edge_range(node).map(move |e| (node, e as u32)))
                .filter(|&(_, e)| u16::from(s.edges.kind(e as usize)) == g.edge_kinds.internal && pair_of(e).is_some())
                .collect();
            let halves = &g.retainers().weak_map_halves;
            assert!(every.len() > 20, "{file}: few WeakMap halves");
            assert_eq!(halves.iter().map(|h| (h.holder, h.edge)).collect::<Vec<_>>(), every, "{file}");
            for a in halves {
                for b in halves {
                    assert_eq!(
                        a.pair == b.pair,
                        pair_of(a.edge) == pair_of(b.edge),
                        "{file}: edges {} and {}",
                        a.edge,
                        b.edge
                    );
                }
            }
        }
    }
}
