//! Questions about many nodes at once: nodes matching a class, name or id, the largest
//! retained subtrees, and a node's chain of dominators up to the root.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use regex::Regex;

use crate::HeapGraph;

/// What `find` looks for; every given condition must hold.
#[derive(Debug, Default, Clone)]
pub struct NodeQuery {
    /// The node's class name (as in the Summary) matches.
    pub class: Option<Regex>,
    /// The node's name as the snapshot writes it (a string's text, a function's name) matches.
    pub name: Option<Regex>,
    /// The node's V8 id.
    pub id: Option<u32>,
    /// Retained size at least this many bytes.
    pub min_retained: u64,
}

/// Per string index, whether `pattern` matches that string: each string is tested once.
struct MatchCache<'a> {
    pattern: &'a Regex,
    known: Vec<u8>,
}

impl MatchCache<'_> {
    fn matches(&mut self, g: &HeapGraph, string: u32) -> bool {
        let i = string as usize;
        if i >= self.known.len() {
            self.known.resize(i + 1, 0);
        }
        if self.known[i] == 0 {
            self.known[i] = if self.pattern.is_match(&g.snapshot.strings.get(string)) { 2 } else { 1 };
        }
        self.known[i] == 2
    }
}

impl HeapGraph {
    /// Nodes matching `query`, largest retained size first (ties by node order).
    pub fn find(&self, query: &NodeQuery) -> Vec<u32> {
        let mut class = query.class.as_ref().map(|pattern| MatchCache { pattern, known: Vec::new() });
        let mut name = query.name.as_ref().map(|pattern| MatchCache { pattern, known: Vec::new() });
        let mut found: Vec<u32> = (0..self.snapshot.node_count() as u32)
            .filter(|&n| {
                let i = n as usize;
                query.id.is_none_or(|id| self.snapshot.nodes.id.get(i) == id)
                    && self.retained_size(i as u32) >= query.min_retained
                    && class.as_mut().is_none_or(|c| c.matches(self, self.class_index(n)))
                    && name.as_mut().is_none_or(|c| c.matches(self, self.snapshot.nodes.name[i]))
            })
            .collect();
        found.sort_by_key(|&n| Reverse(self.retained_size(n)));
        found
    }

    /// The `top` nodes with the largest retained sizes, leaving out synthetic nodes (the root,
    /// `(GC roots)` and its groups), largest first.
    pub fn largest_retained(&self, top: usize) -> Vec<u32> {
        let synthetic = self.node_kinds.synthetic;
        let mut heap: BinaryHeap<Reverse<(u64, Reverse<u32>)>> = BinaryHeap::with_capacity(top + 1);
        for n in 0..self.snapshot.node_count() {
            let retained = self.retained_size(n as u32);
            let smallest_kept = heap.peek().map_or(0, |Reverse((r, _))| *r);
            if heap.len() == top && retained <= smallest_kept || u16::from(self.snapshot.nodes.kind[n]) == synthetic {
                continue;
            }
            heap.push(Reverse((retained, Reverse(n as u32))));
            if heap.len() > top {
                heap.pop();
            }
        }
        let mut nodes: Vec<(u64, u32)> = heap.into_iter().map(|Reverse((r, Reverse(n)))| (r, n)).collect();
        nodes.sort_by_key(|&(r, n)| (Reverse(r), n));
        nodes.into_iter().map(|(_, n)| n).collect()
    }

    /// `node`, its immediate dominator, that one's, and so on up to the root.
    pub fn dominator_chain(&self, node: u32) -> Vec<u32> {
        let mut chain = vec![node];
        let mut at = node;
        while at != self.snapshot.root {
            let next = self.dominator[at as usize];
            if next == at || chain.len() > self.snapshot.node_count() {
                break;
            }
            chain.push(next);
            at = next;
        }
        chain
    }
}
