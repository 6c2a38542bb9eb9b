//! Distances with some nodes ignored (DevTools' "ignore this retainer"), derived from the
//! ordinary distances instead of a new search over the whole heap: only the nodes whose every
//! shortest way from the roots runs through an ignored node are searched again.
//!
//! DevTools' breadth-first search gives each node the least of: one more than the distance of
//! a holder of a followed edge, and, for a WeakMap value, one more than the later of the two
//! holders of its pair of edges (see [`EdgeRole`]). Ignoring nodes can only lengthen distances.
//! So a node keeps its distance when a holder one step closer to the roots keeps its own (or,
//! through a WeakMap pair, when both holders do); the other nodes are "affected". They are
//! found closest first, and then given their new distances by a search ordered by distance from
//! the nodes around them that kept theirs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::distances::{self, DistanceFilter, EdgeRole, NO_DISTANCE, SYSTEM_DISTANCE};
use crate::HeapGraph;

/// Finding affected nodes one by one costs some 100 ns per edge looked at (a node's retainers
/// are scattered); a new search from the roots costs less per edge. Past this share of the
/// heap's edges (1/512), the update gives way to the search, having cost a fraction of it.
const EDGE_SHARE_LOOKED_AT: usize = 512;

/// Every node's distance when `ignored` nodes are never entered through an edge (the roots
/// themselves keep their distances); equal to a new search with the nodes blocked.
pub(crate) fn distances_ignoring(g: &HeapGraph, ignored: &[u32]) -> Vec<i32> {
    let s = &g.snapshot;
    let mut filter = DistanceFilter::of_graph(g);
    let mut update = Update::new(g, ignored, &mut filter);
    if update.find_affected(s.edge_count() / EDGE_SHARE_LOOKED_AT) {
        return update.resettle();
    }
    // Finding the affected nodes only asked the filter how it treats edges, so the search can
    // start with it as new.
    distances::distances(&mut filter, ignored).to_vec()
}

struct Update<'g, 'f> {
    g: &'g HeapGraph,
    filter: &'f mut DistanceFilter<'g>,
    /// Ignored nodes the search could enter (roots are never entered, so are left out).
    blocked: HashSet<u32>,
    /// Nodes whose distance may change, in the order found (closest to the roots first).
    affected: Vec<u32>,
    is_affected: HashSet<u32>,
    /// Edges looked at so far while finding the affected nodes.
    work: usize,
}

impl<'g, 'f> Update<'g, 'f> {
    fn new(g: &'g HeapGraph, ignored: &[u32], filter: &'f mut DistanceFilter<'g>) -> Self {
        let blocked = ignored.iter().copied().filter(|&node| !is_search_root(g, node)).collect();
        Update { g, filter, blocked, affected: Vec::new(), is_affected: HashSet::default(), work: 0 }
    }

    /// Whether `node` still counts as a holder at its ordinary distance.
    fn keeps_distance(&self, node: u32) -> bool {
        self.g.distance(node) != NO_DISTANCE && !self.blocked.contains(&node) && !self.is_affected.contains(&node)
    }

    /// Finds the affected nodes, closest first; false when that means looking at more than
    /// `budget` edges.
    fn find_affected(&mut self, budget: usize) -> bool {
        let mut candidates: BinaryHeap<Reverse<(i32, u32)>> = BinaryHeap::new();
        let mut queued: HashSet<u32> = HashSet::default();
        let blocked: Vec<u32> = self.blocked.iter().copied().collect();
        for node in blocked {
            self.queue_children(node, &mut candidates, &mut queued);
        }
        while let Some(Reverse((_, node))) = candidates.pop() {
            if self.holds_on(node) {
                continue;
            }
            self.is_affected.insert(node);
            self.affected.push(node);
            if self.work > budget {
                return false;
            }
            self.queue_children(node, &mut candidates, &mut queued);
        }
        true
    }

    /// Queues the targets of `node`'s edges that it may be a closer holder of.
    fn queue_children(
        &mut self,
        node: u32,
        candidates: &mut BinaryHeap<Reverse<(i32, u32)>>,
        queued: &mut HashSet<u32>,
    ) {
        let g = self.g;
        let s = &g.snapshot;
        let d = g.distance(node);
        if d == NO_DISTANCE {
            return;
        }
        self.work += s.edge_range(node).len();
        for e in s.edge_range(node) {
            let child = s.edges.to_node(e);
            let child_distance = g.distance(child);
            if child_distance > d && !self.blocked.contains(&child) && queued.insert(child) {
                candidates.push(Reverse((child_distance, child)));
            }
        }
    }

    /// Whether `node` keeps its ordinary distance: a holder one step closer keeps its own, over
    /// a followed edge or as the second of a WeakMap pair's two holders.
    fn holds_on(&mut self, node: u32) -> bool {
        let g = self.g;
        let d = g.distance(node);
        let mut pair_halves: HashMap<&str, usize> = HashMap::default();
        for &edge in g.retainers().of(node) {
            self.work += 1;
            let holder = g.snapshot.edge_source(edge);
            if !self.keeps_distance(holder) || g.distance(holder) >= d {
                continue;
            }
            match self.filter.role(holder, edge as usize) {
                EdgeRole::Refused => {}
                EdgeRole::Followed => return true,
                EdgeRole::HalfOfPair(pair) => {
                    let halves = pair_halves.entry(pair).or_default();
                    *halves += 1;
                    if *halves == 2 {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// The distances with the affected nodes searched again, nearest first, from the holders
    /// around them that kept their distances.
    fn resettle(self) -> Vec<i32> {
        let g = self.g;
        let s = &g.snapshot;
        let mut distance = g.distances().to_vec();
        for &node in self.affected.iter().chain(&self.blocked) {
            distance[node as usize] = NO_DISTANCE;
        }
        let mut tentative: HashMap<u32, i32> = HashMap::default();
        let mut pair_levels: HashMap<&str, Vec<i32>> = HashMap::default();
        let mut queue: BinaryHeap<Reverse<(i32, u32)>> = BinaryHeap::new();
        for &node in &self.affected {
            let mut best = i32::MAX;
            for &edge in g.retainers().of(node) {
                let holder = s.edge_source(edge);
                if !self.keeps_distance(holder) {
                    continue;
                }
                let level = g.distance(holder);
                match self.filter.role(holder, edge as usize) {
                    EdgeRole::Refused => {}
                    EdgeRole::Followed => best = best.min(level + 1),
                    EdgeRole::HalfOfPair(pair) => {
                        let levels = pair_levels.entry(pair).or_default();
                        levels.push(level);
                        best = best.min(second_smallest(levels).map_or(i32::MAX, |l| l + 1));
                    }
                }
            }
            if best != i32::MAX {
                tentative.insert(node, best);
                queue.push(Reverse((best, node)));
            }
        }
        while let Some(Reverse((d, node))) = queue.pop() {
            if distance[node as usize] != NO_DISTANCE || tentative.get(&node) != Some(&d) {
                continue;
            }
            distance[node as usize] = d;
            for e in s.edge_range(node) {
                let child = s.edges.to_node(e);
                if !self.is_affected.contains(&child) || distance[child as usize] != NO_DISTANCE {
                    continue;
                }
                let offer = match self.filter.role(node, e) {
                    EdgeRole::Refused => continue,
                    EdgeRole::Followed => d + 1,
                    EdgeRole::HalfOfPair(pair) => {
                        let levels = pair_levels.entry(pair).or_default();
                        levels.push(d);
                        match second_smallest(levels) {
                            Some(level) => level + 1,
                            None => continue,
                        }
                    }
                };
                let best = tentative.entry(child).or_insert(i32::MAX);
                if offer < *best {
                    *best = offer;
                    queue.push(Reverse((offer, child)));
                }
            }
        }
        distance
    }
}

/// The roots the search starts from: the root, and the user roots when there are any.
fn is_search_root(g: &HeapGraph, node: u32) -> bool {
    let d = g.distance(node);
    node == g.snapshot.root || (d == 1 && g.distance(g.snapshot.root) == SYSTEM_DISTANCE)
}

/// The second smallest of `levels`: the level of a WeakMap value's later holder.
fn second_smallest(levels: &[i32]) -> Option<i32> {
    let mut sorted = levels.to_vec();
    sorted.sort_unstable();
    sorted.get(1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The update must give what a new search gives, for many nodes ignored one at a time and
    /// a few at once, on real snapshots with WeakMaps, closures and a browser page.
    #[test]
    fn equals_a_new_search() {
        for file in ["mixed-node20.heapsnapshot.gz", "mixed-node24.heapsnapshot.gz", "chrome-page.heapsnapshot.gz"] {
            let g = crate::analyzed_fixture(file);
            let reachable: Vec<u32> =
                (0..g.snapshot.node_count() as u32).filter(|&n| g.distance(n) != NO_DISTANCE).collect();
            let step = (reachable.len() / 150).max(1);
            let mut sets: Vec<Vec<u32>> = reachable.iter().step_by(step).map(|&n| vec![n]).collect();
            sets.extend(reachable.chunks(step).take(40).map(|c| vec![c[0], c[c.len() / 2], *c.last().unwrap()]));
            // Holders of WeakMap values (keys, tables and others) on the Node fixtures.
            let s = &g.snapshot;
            let mut holders: Vec<u32> = (0..s.edge_count())
                .filter(|&e| g.ephemerons.get(s.edges.name_or_index(e)).is_some())
                .flat_map(|e| g.retainers().of(s.edges.to_node(e)).iter().map(|&r| s.edge_source(r)))
                .collect();
            holders.sort_unstable();
            holders.dedup();
            assert!(file.starts_with("chrome") || holders.len() > 20, "{file}: few WeakMap values");
            sets.extend(holders.iter().step_by((holders.len() / 60).max(1)).map(|&h| vec![h]));
            let mut widest = 0;
            for ignored in &sets {
                let mut filter = DistanceFilter::of_graph(&g);
                let searched = distances::distances(&mut filter, ignored).to_vec();
                let mut filter = DistanceFilter::of_graph(&g);
                let mut update = Update::new(&g, ignored, &mut filter);
                assert!(update.find_affected(usize::MAX));
                widest = widest.max(update.affected.len());
                let updated = update.resettle();
                let differ = (0..searched.len()).filter(|&n| searched[n] != updated[n]).count();
                assert_eq!(differ, 0, "{file}: {differ} distances differ with {ignored:?} ignored");
            }
            assert!(widest > 20, "{file}: no ignored node cut off more than {widest} nodes");
        }
    }
}
