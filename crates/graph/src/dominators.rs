//! Immediate dominators over flat arrays: Lengauer–Tarjan's semi-dominators, then each
//! immediate dominator as a nearest common ancestor (semi-NCA), with DevTools' handling of nodes
//! the root does not reach: nodes whose retaining edges are all non-essential start their own
//! depth-first search under the root, and whatever is still unvisited hangs off the root.
//!
//! Everything is iterative (explicit stacks), so a million-long linked list costs memory, not
//! call stack. Vertex numbers are 1-based as in the paper; 0 means "none". Four `u32` arrays
//! over the nodes, the later-numbered predecessors and a bit per edge while they are listed are
//! all it holds at its peak.

use crate::kinds::BitSet;
use crate::memory::{prefetch, written_zeros, zeros_in};

/// A graph in compressed-sparse-row form: node `v`'s edges are `first_edge[v]..first_edge[v+1]`,
/// edge `e` goes to `targets[e] & target_mask` (the snapshot's edges keep their type in the
/// other bits), and only edges in `usable` count.
pub struct FlowGraph<'a> {
    /// Edge ranges per node (length: node count + 1).
    pub first_edge: &'a [u32],
    /// Target node of each edge, in the bits of `target_mask`.
    pub targets: &'a [u32],
    /// The bits of a `targets` entry that hold the target.
    pub target_mask: u32,
    /// The edges that take part.
    pub usable: &'a BitSet,
}

impl FlowGraph<'_> {
    /// The target of edge `e`.
    #[inline]
    fn target(&self, e: usize) -> u32 {
        self.targets[e] & self.target_mask
    }

    /// Node `v`'s usable edges.
    fn usable_edges(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
        let edges = self.first_edge[v] as usize..self.first_edge[v + 1] as usize;
        edges.filter(|&e| self.usable.contains(e))
    }

    /// The targets of node `v`'s usable edges.
    fn usable_targets(&self, v: usize) -> impl Iterator<Item = u32> + '_ {
        self.usable_edges(v).map(|e| self.target(e))
    }
}

/// The depth-first numbering, and what the search learns of each edge as it scans it. `number`
/// is indexed by vertex (ordinal + 1); every other array by DFS number, 1..=n. No array maps
/// numbers back to vertices: the main loop does without one, and it is made once that is done.
struct Numbering {
    number: Vec<u32>,
    /// The DFS parent's number.
    ancestor: Vec<u32>,
    /// Until a vertex is processed: the smallest number among it and its earlier predecessors.
    dom: Vec<u32>,
    /// Later predecessors per number, counted into `first[number + 1]`.
    first: Vec<u32>,
    /// The edges from a later-numbered source (or a vertex to itself), as the search sorts them.
    later_edges: BitSet,
    numbered: u32,
    /// The search's path: (vertex, its number, its next edge to scan).
    stack: Vec<(u32, u32, u32)>,
}

impl Numbering {
    fn new(len: usize, edges: usize, spare: Vec<u32>) -> Numbering {
        let zeros = || vec![0u32; len];
        Numbering {
            number: zeros_in(spare, len),
            ancestor: zeros(),
            dom: zeros(),
            first: written_zeros(len + 1),
            later_edges: BitSet::new(edges),
            numbered: 0,
            stack: Vec::new(),
        }
    }

    /// Gives vertex `v` the next number, under the vertex numbered `parent`.
    fn assign(&mut self, v: u32, parent: u32) -> u32 {
        self.numbered += 1;
        let nv = self.numbered;
        (self.number[v as usize], self.ancestor[nv as usize], self.dom[nv as usize]) = (nv, parent, nv);
        nv
    }

    /// Sorts usable edge `e`, from the vertex numbered `sv` to the one numbered `nw`: an
    /// earlier source counts through its number alone, a later one (or the vertex itself) is
    /// counted and marked for the later-predecessor lists.
    fn sort_edge(&mut self, e: usize, sv: u32, nw: u32) {
        if sv < nw {
            self.dom[nw as usize] = self.dom[nw as usize].min(sv);
        } else {
            self.first[nw as usize + 1] += 1;
            self.later_edges.insert(e);
        }
    }

    /// Numbers everything unnumbered that `start` reaches, `start` under `parent`, sorting every
    /// edge it scans.
    fn search(&mut self, g: &FlowGraph<'_>, start: u32, parent: u32) {
        let n0 = self.assign(start, parent);
        self.stack.push((start, n0, g.first_edge[start as usize - 1]));
        while let Some(&(v, sv, cursor)) = self.stack.last() {
            let end = g.first_edge[v as usize] as usize;
            let mut e = cursor as usize;
            let mut next_child = None;
            while e < end {
                if e + SEARCH_AHEAD < end {
                    prefetch(&self.number[g.target(e + SEARCH_AHEAD) as usize + 1]);
                }
                let usable = g.usable.contains(e);
                let w = g.target(e) + 1;
                e += 1;
                if !usable {
                    continue;
                }
                match self.number[w as usize] {
                    0 => {
                        next_child = Some(w);
                        break;
                    }
                    nw => self.sort_edge(e - 1, sv, nw),
                }
            }
            self.stack.last_mut().expect("the loop's own entry").2 = e as u32;
            match next_child {
                Some(w) => {
                    // A tree edge: the parent becomes the child's earliest predecessor.
                    let nw = self.assign(w, sv);
                    self.sort_edge(e - 1, sv, nw);
                    self.stack.push((w, nw, g.first_edge[w as usize - 1]));
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

/// How many edges ahead of the one it scans the search asks for a target's number.
const SEARCH_AHEAD: usize = 8;

/// The dominator tree: `idom[v]` is the immediate dominator of node `v` (the root's is itself),
/// and `preorder` lists the nodes in the order the depth-first search numbered them, so that
/// every node comes after its dominator.
pub struct Dominators {
    /// Immediate dominator per node ordinal.
    pub idom: Vec<u32>,
    /// Node ordinals in depth-first preorder.
    pub preorder: Vec<u32>,
}

/// Computes immediate dominators from `root` over the usable edges of `g`: the numbering, then
/// the main loop (which the analysis runs as two steps, to pair each with other work).
pub fn dominators(g: &FlowGraph<'_>, node_count: usize, root: u32) -> Dominators {
    number(g, node_count, root, Vec::new()).dominators().0
}

/// Arrays of node count + 1 entries that [`Numbered::dominators`] is done with, handed on
/// rather than freed: steps after it fill them instead of fresh memory, whose first touch of
/// every page costs a fault.
pub(crate) struct Spare(pub(crate) [Vec<u32>; 3]);

/// The first half of the dominators: the depth-first numbering, with every usable edge sorted
/// into what the second half needs. Its peak is four `u32` arrays over the nodes plus the
/// later-numbered predecessors, which [`Numbered::dominators`] gives back to the system as it
/// consumes them, while the one array it adds (`semi`) is touched a page at a time.
pub(crate) struct Numbered {
    /// By vertex: its number.
    number: Vec<u32>,
    /// The DFS parent's number.
    ancestor: Vec<u32>,
    /// The smallest number among each vertex and its earlier predecessors.
    dom: Vec<u32>,
    /// The counts' memory, for the main loop's path compression: per linked vertex, the
    /// smallest semi-dominator on its compressed path (in place of the label vertex whose
    /// semi-dominator it is, which would cost a second random read per step).
    label_semi: Vec<u32>,
    numbered: u32,
    /// The numbers the searches gave: above it are the vertices numbered without a search,
    /// which nothing numbered up to it retains.
    searched: u32,
    /// Later predecessors, grouped by target number in ascending order.
    later: Vec<u32>,
    /// Numbers with later predecessors, and where each group starts in `later`: no offsets
    /// array outlives the fill, the main loop walks the groups from the end, in its own
    /// (descending) order.
    has_later: BitSet,
    group_start: BitSet,
    /// Numbers of the vertices without a usable retainer; `None` when the root reaches every
    /// node.
    unretained: Option<BitSet>,
}

/// Numbers the nodes `root` reaches over the usable edges of `g`, then the others as DevTools
/// does, and lists every vertex's later-numbered predecessors. `spare` is memory another step
/// is done with, filled again when it has room for node count + 1 entries.
///
/// The depth-first search numbers the nodes; everything after it works on those numbers, so the
/// main loop walks its arrays in order and path compression stays among nearby entries. The
/// search also sorts each edge it scans: an edge from a node numbered earlier than its target
/// only matters through that number, folded into the target's `dom` entry at once; the others
/// (numbered later) are counted and marked, then listed in `later`, grouped by target, by a
/// pass over the marked edges alone.
pub(crate) fn number(g: &FlowGraph<'_>, node_count: usize, root: u32, spare: Vec<u32>) -> Numbered {
    let n = node_count;
    let len = n + 1;
    let mut numbering = Numbering::new(len, g.first_edge[n] as usize, spare);
    let r = root + 1;
    numbering.search(g, r, 0);

    // Nodes the root does not reach: those without a usable retainer (DevTools: the others only
    // have weak ones) start their own search under the root; whatever is still unnumbered then
    // hangs off the root, its edges sorted here since no search scanned them.
    let mut searched = numbering.numbered;
    let unretained = ((numbering.numbered as usize) < n).then(|| {
        let mut retained = BitSet::new(len);
        for v in 0..n {
            g.usable_targets(v).for_each(|w| retained.insert(w as usize + 1));
        }
        for v in 1..=n as u32 {
            if numbering.number[v as usize] == 0 && !retained.contains(v as usize) {
                numbering.search(g, v, 1);
            }
        }
        searched = numbering.numbered;
        for v in 1..=n as u32 {
            if numbering.number[v as usize] == 0 {
                numbering.assign(v, 1);
            }
        }
        let mut unretained = BitSet::new(len);
        for v in 1..=n {
            let sv = numbering.number[v];
            if sv > searched {
                for e in g.usable_edges(v - 1) {
                    numbering.sort_edge(e, sv, numbering.number[g.target(e) as usize + 1]);
                }
            }
            if !retained.contains(v) {
                unretained.insert(sv as usize);
            }
        }
        unretained
    });
    let Numbering { number, ancestor, dom, mut first, later_edges, numbered, .. } = numbering;

    for i in 0..len {
        first[i + 1] += first[i];
    }
    let mut has_later = BitSet::new(len);
    let mut group_start = BitSet::new(first[len] as usize + 1);
    for nw in 0..len {
        if first[nw] < first[nw + 1] {
            has_later.insert(nw);
            group_start.insert(first[nw] as usize);
        }
    }
    let later = fill_later(g, &later_edges, &number, &mut first);
    drop(later_edges);

    // The offsets are done with: their memory becomes `label_semi`, each entry written as its
    // vertex is linked.
    let mut label_semi = first;
    label_semi.truncate(len);
    Numbered { number, ancestor, dom, label_semi, numbered, searched, later, has_later, group_start, unretained }
}

/// Lists the later-numbered sources of the edges the search marked, grouped by target number:
/// each edge takes the next place of its target's group from `first` (the groups' starts, which
/// end up as their ends). One core, a batch of edges at a time: the targets' numbers are asked
/// for, then their places, then the sources are put there, so the loads of a batch overlap;
/// atomic places shared by two cores cost more than they save.
fn fill_later(g: &FlowGraph<'_>, later_edges: &BitSet, number: &[u32], first: &mut [u32]) -> Vec<u32> {
    let len = number.len();
    let mut later = vec![0u32; first[len] as usize];
    // Edges are gathered a word of marks at a time; a batch is put once it holds this many.
    const BATCH: usize = 64;
    let mut sources = [0u32; 2 * BATCH];
    let mut targets = [0u32; 2 * BATCH];
    let mut count = 0;
    let mut put = |sources: &[u32], targets: &mut [u32]| {
        for target in targets.iter_mut() {
            *target = number[*target as usize];
            prefetch(&first[*target as usize]);
        }
        for (&source, &target) in sources.iter().zip(targets.iter()) {
            let at = &mut first[target as usize];
            later[*at as usize] = number[source as usize];
            *at += 1;
        }
    };
    let mut v = 0;
    for (k, &word) in later_edges.words().iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let e = k * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            while g.first_edge[v + 1] as usize <= e {
                v += 1;
            }
            sources[count] = v as u32 + 1;
            targets[count] = g.target(e) + 1;
            prefetch(&number[targets[count] as usize]);
            count += 1;
        }
        if count >= BATCH {
            put(&sources[..count], &mut targets[..count]);
            count = 0;
        }
    }
    put(&sources[..count], &mut targets[..count]);
    later
}

/// Entries of `later` given back to the system at a time, once consumed.
const LATER_RELEASE: usize = 1 << 20;

impl Numbered {
    /// The second half: semi-dominators from the later predecessors, then immediate dominators
    /// as the nearest common ancestor, in the dominator tree, of each vertex's parent and its
    /// semi-dominator (semi-NCA), which needs no buckets and no second evaluation per vertex.
    ///
    /// Over the vertices the searches numbered, this is what Lengauer–Tarjan (and DevTools)
    /// find: the searches make one depth-first tree of the graph in which the root also holds
    /// each vertex without a usable retainer. The vertices numbered without a search, which
    /// only each other retain, have no tree edge, so DevTools' buckets for them are never
    /// emptied: they end up with the root as their dominator, and so they do here.
    ///
    /// `semi` is only read for numbers already processed (and for the one being processed), so
    /// it starts untouched and its pages are written from the top down as the loop goes, while
    /// `later` shrinks. Path compression overwrites `ancestor`, so each vertex's parent moves to
    /// `dom` once its semi-dominator is known.
    pub(crate) fn dominators(self) -> (Dominators, Spare) {
        let Numbered {
            number,
            mut ancestor,
            mut dom,
            mut label_semi,
            numbered,
            searched,
            mut later,
            has_later,
            group_start,
            unretained,
        } = self;
        let len = label_semi.len();
        let n = len - 1;
        let mut semi = vec![0u32; len];
        semi[1] = 1;
        let mut group_end = later.len();
        let mut path: Vec<u32> = Vec::new();
        // `linked`: the lowest processed number, the vertices from it on being linked to their
        // parents in the forest that `eval` compresses.
        // Returns the smallest semi-dominator on the path from `v` up its tree of linked
        // vertices (`v`'s own when it is not linked).
        let mut eval = |v: u32, ancestor: &mut [u32], label_semi: &mut [u32], semi: &[u32], linked: u32| -> u32 {
            if v < linked {
                return semi[v as usize];
            }
            let mut x = v;
            while ancestor[x as usize] >= linked {
                path.push(x);
                x = ancestor[x as usize];
            }
            while let Some(w) = path.pop() {
                let a = ancestor[w as usize] as usize;
                label_semi[w as usize] = label_semi[w as usize].min(label_semi[a]);
                ancestor[w as usize] = ancestor[a];
            }
            label_semi[v as usize]
        };

        for w in (2..=numbered).rev() {
            semi[w as usize] = w;
            if later.len() - group_end >= LATER_RELEASE {
                // The allocator shrinks a block this big in place, unmapping the tail.
                later.truncate(group_end);
                later.shrink_to_fit();
            }
            let preds = if has_later.contains(w as usize) {
                let mut start = group_end - 1;
                while !group_start.contains(start) {
                    start -= 1;
                }
                let end = std::mem::replace(&mut group_end, start);
                start..end
            } else {
                group_end..group_end
            };
            if preds.is_empty() && unretained.as_ref().is_some_and(|u| u.contains(w as usize)) {
                // A node without usable retainers has the root as its only predecessor.
                semi[w as usize] = 1;
            } else {
                let mut best = dom[w as usize];
                for &v in &later[preds] {
                    best = best.min(eval(v, &mut ancestor, &mut label_semi, &semi, w + 1));
                }
                semi[w as usize] = best;
            }
            label_semi[w as usize] = semi[w as usize];
            dom[w as usize] = if w <= searched { ancestor[w as usize] } else { 1 };
        }
        drop((later, has_later, group_start, unretained, path));
        // Ascending, so the dominators of every number below `w` are final: the walk from the
        // parent up the dominator tree stops at the first vertex not below the semi-dominator.
        dom[1] = 1;
        for w in 2..=numbered as usize {
            let mut x = dom[w];
            while x > semi[w] {
                x = dom[x as usize];
            }
            dom[w] = x;
        }
        // Back to node ordinals. Every vertex is numbered: `ancestor`'s memory becomes the
        // preorder (the node of each number, both 0-based), `label`'s the dominator of each node.
        let mut preorder = ancestor;
        for v in 1..len {
            preorder[number[v] as usize - 1] = v as u32 - 1;
        }
        preorder.truncate(n);
        let mut idom = label_semi;
        for v in 1..len {
            idom[v - 1] = preorder[dom[number[v] as usize] as usize - 1];
        }
        idom.truncate(n);
        (Dominators { idom, preorder }, Spare([semi, dom, number]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds CSR arrays from an edge list over `n` nodes (all edges usable).
    fn csr(n: usize, edges: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>, BitSet) {
        let mut sorted = edges.to_vec();
        sorted.sort_by_key(|&(from, _)| from);
        let mut first = vec![0u32; n + 1];
        for &(from, _) in &sorted {
            first[from as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let to = sorted.iter().map(|&(_, to)| to).collect::<Vec<_>>();
        let mut usable = BitSet::new(to.len());
        (0..to.len()).for_each(|e| usable.insert(e));
        (first, to, usable)
    }

    /// Naive dominators: d dominates v iff v is unreachable from the root once d is removed.
    fn naive(n: usize, edges: &[(u32, u32)], root: u32) -> Vec<Option<u32>> {
        let reach = |removed: Option<u32>| {
            let mut seen = vec![false; n];
            let mut stack = vec![root];
            seen[root as usize] = true;
            while let Some(v) = stack.pop() {
                for &(a, b) in edges {
                    if a == v && Some(b) != removed && !seen[b as usize] {
                        seen[b as usize] = true;
                        stack.push(b);
                    }
                }
            }
            seen
        };
        let reachable = reach(None);
        let doms: Vec<Vec<u32>> = (0..n as u32)
            .map(|v| {
                (0..n as u32)
                    .filter(|&d| d == root || (d != v && reachable[d as usize] && !reach(Some(d))[v as usize]))
                    .filter(|&d| d != v)
                    .collect()
            })
            .collect();
        (0..n)
            .map(|v| {
                if v as u32 == root || !reachable[v] {
                    return None;
                }
                // The immediate dominator is the strict dominator dominated by all the others.
                doms[v].iter().copied().find(|&d| doms[v].iter().all(|&o| o == d || doms[d as usize].contains(&o)))
            })
            .collect()
    }

    // A plain transcription of the algorithm as DevTools runs it (1-based arrays, a bucket
    // list per vertex, every predecessor evaluated), to check the memory-saving version against.
    fn predecessors(g: &FlowGraph<'_>, n: usize) -> (Vec<u32>, Vec<u32>) {
        let mut first = vec![0u32; n + 1];
        for v in 0..n {
            for e in g.first_edge[v] as usize..g.first_edge[v + 1] as usize {
                if g.usable.contains(e) {
                    first[g.target(e) as usize + 1] += 1;
                }
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut sources = vec![0u32; first[n] as usize];
        for v in 0..n {
            for e in g.first_edge[v] as usize..g.first_edge[v + 1] as usize {
                if g.usable.contains(e) {
                    let w = g.target(e) as usize;
                    sources[fill[w] as usize] = v as u32;
                    fill[w] += 1;
                }
            }
        }
        (first, sources)
    }

    fn reference_dominators(g: &FlowGraph<'_>, node_count: usize, root: u32) -> Dominators {
        let n = node_count;
        let (pred_first, pred_sources) = predecessors(g, n);
        // 1-based vertex arrays, indexed by ordinal + 1.
        let len = n + 1;
        let mut parent = vec![0u32; len];
        let mut ancestor = vec![0u32; len];
        let mut vertex = vec![0u32; len];
        let mut label = vec![0u32; len];
        let mut semi = vec![0u32; len];
        let mut numbered = 0u32;

        let mut stack: Vec<(u32, u32)> = Vec::new();
        let mut dfs = |start: u32,
                       parent: &mut [u32],
                       semi: &mut [u32],
                       vertex: &mut [u32],
                       label: &mut [u32],
                       numbered: &mut u32| {
            let s_ord = start - 1;
            stack.push((start, g.first_edge[s_ord as usize]));
            *numbered += 1;
            semi[start as usize] = *numbered;
            vertex[*numbered as usize] = start;
            label[start as usize] = start;
            while let Some(top) = stack.last_mut() {
                let (v, cursor) = *top;
                let end = g.first_edge[v as usize];
                let mut next_child = None;
                let mut e = cursor as usize;
                while e < end as usize {
                    if g.usable.contains(e) {
                        let w = g.target(e) + 1;
                        if semi[w as usize] == 0 {
                            next_child = Some(w);
                            e += 1;
                            break;
                        }
                    }
                    e += 1;
                }
                top.1 = e as u32;
                match next_child {
                    Some(w) => {
                        parent[w as usize] = v;
                        *numbered += 1;
                        semi[w as usize] = *numbered;
                        vertex[*numbered as usize] = w;
                        label[w as usize] = w;
                        stack.push((w, g.first_edge[w as usize - 1]));
                    }
                    None => {
                        stack.pop();
                    }
                }
            }
        };
        let r = root + 1;
        dfs(r, &mut parent, &mut semi, &mut vertex, &mut label, &mut numbered);
        let has_usable_retainer = |v_ord: usize| -> bool { pred_first[v_ord] != pred_first[v_ord + 1] };
        if (numbered as usize) < n {
            for v in 1..=n as u32 {
                if semi[v as usize] == 0 && !has_usable_retainer(v as usize - 1) {
                    parent[v as usize] = r;
                    dfs(v, &mut parent, &mut semi, &mut vertex, &mut label, &mut numbered);
                }
            }
        }
        if (numbered as usize) < n {
            for v in 1..=n as u32 {
                if semi[v as usize] == 0 {
                    parent[v as usize] = r;
                    numbered += 1;
                    semi[v as usize] = numbered;
                    vertex[numbered as usize] = v;
                    label[v as usize] = v;
                }
            }
        }

        let mut compress_stack: Vec<u32> = Vec::new();
        let mut eval = |v: u32, ancestor: &mut [u32], label: &mut [u32], semi: &[u32]| -> u32 {
            if ancestor[v as usize] == 0 {
                return v;
            }
            let mut x = v;
            while ancestor[ancestor[x as usize] as usize] != 0 {
                compress_stack.push(x);
                x = ancestor[x as usize];
            }
            while let Some(w) = compress_stack.pop() {
                let a = ancestor[w as usize] as usize;
                if semi[label[a] as usize] < semi[label[w as usize] as usize] {
                    label[w as usize] = label[a];
                }
                ancestor[w as usize] = ancestor[a];
            }
            label[v as usize]
        };

        let mut dom = vec![0u32; len];
        let mut bucket_head = vec![0u32; len];
        let mut bucket_next = vec![0u32; len];
        for i in (2..=numbered).rev() {
            let w = vertex[i as usize];
            let w_ord = w as usize - 1;
            let preds = pred_first[w_ord] as usize..pred_first[w_ord + 1] as usize;
            if preds.is_empty() {
                // A node without usable retainers has the root as its only predecessor.
                semi[w as usize] = semi[r as usize];
            }
            for &v_ord in &pred_sources[preds] {
                let u = eval(v_ord + 1, &mut ancestor, &mut label, &semi);
                if semi[u as usize] < semi[w as usize] {
                    semi[w as usize] = semi[u as usize];
                }
            }
            let b = vertex[semi[w as usize] as usize] as usize;
            bucket_next[w as usize] = bucket_head[b];
            bucket_head[b] = w;
            let p = parent[w as usize];
            ancestor[w as usize] = p;
            let mut v = std::mem::take(&mut bucket_head[p as usize]);
            while v != 0 {
                let u = eval(v, &mut ancestor, &mut label, &semi);
                dom[v as usize] = if semi[u as usize] < semi[v as usize] { u } else { p };
                v = bucket_next[v as usize];
            }
        }
        drop((bucket_head, bucket_next, ancestor, label));
        dom[0] = r;
        dom[r as usize] = r;
        for i in 2..=numbered {
            let w = vertex[i as usize];
            if dom[w as usize] != vertex[semi[w as usize] as usize] {
                dom[w as usize] = dom[dom[w as usize] as usize];
            }
        }
        let idom = (0..n).map(|v| dom[v + 1] - 1).collect();
        let preorder = vertex[1..=numbered as usize].iter().map(|&v| v - 1).collect();
        Dominators { idom, preorder }
    }

    proptest! {
        #[test]
        fn equals_devtools_transcription_including_unreachable_cliques(
            n in 2usize..30,
            raw in proptest::collection::vec((0u32..30, 0u32..30, proptest::bool::weighted(0.8)), 0..90),
        ) {
            let mut edges: Vec<(u32, u32, bool)> = raw.into_iter().map(|(a, b, u)| (a % n as u32, b % n as u32, u)).collect();
            edges.sort_by_key(|&(from, _, _)| from);
            let mut first = vec![0u32; n + 1];
            for &(from, _, _) in &edges {
                first[from as usize + 1] += 1;
            }
            for i in 0..n {
                first[i + 1] += first[i];
            }
            let to: Vec<u32> = edges.iter().map(|e| e.1).collect();
            let mut usable = BitSet::new(to.len());
            for (i, e) in edges.iter().enumerate() {
                if e.2 && e.0 != e.1 {
                    usable.insert(i);
                }
            }
            let g = FlowGraph { first_edge: &first, targets: &to, target_mask: u32::MAX, usable: &usable };
            let ours = dominators(&g, n, 0);
            let theirs = reference_dominators(&g, n, 0);
            prop_assert_eq!(ours.idom, theirs.idom);
            prop_assert_eq!(ours.preorder, theirs.preorder);
        }
    }

    proptest! {
        #[test]
        fn equals_the_naive_definition_on_random_graphs(
            n in 2usize..24,
            raw in proptest::collection::vec((0u32..24, 0u32..24), 0..70),
            tree in proptest::collection::vec(proptest::option::of(0u32..24), 24),
        ) {
            let mut edges: Vec<(u32, u32)> = raw.into_iter().map(|(a, b)| (a % n as u32, b % n as u32)).collect();
            edges.extend((1..n as u32).filter_map(|v| tree[v as usize].map(|p| (p % v, v))));
            let (first, to, usable) = csr(n, &edges);
            let g = FlowGraph { first_edge: &first, targets: &to, target_mask: u32::MAX, usable: &usable };
            let got = dominators(&g, n, 0);
            // Nodes without retainers count as held by the root (DevTools' orphans).
            let mut augmented = edges.clone();
            augmented.extend((1..n as u32).filter(|&v| !edges.iter().any(|&(_, b)| b == v)).map(|v| (0, v)));
            let want = naive(n, &augmented, 0);
            // Cliques nothing reaches are DevTools' special case, tested apart.
            prop_assume!((1..n).all(|v| want[v].is_some()));
            for (v, want) in want.iter().enumerate().skip(1) {
                prop_assert_eq!(Some(got.idom[v]), *want, "node {}", v);
            }
            prop_assert_eq!(got.idom[0], 0);
        }
    }

    #[test]
    fn a_deep_chain_does_not_overflow_the_stack() {
        let n = 2_000_000usize;
        let mut edges: Vec<(u32, u32)> = (0..n as u32 - 1).map(|i| (i, i + 1)).collect();
        edges.push((n as u32 - 1, 0));
        let (first, to, usable) = csr(n, &edges);
        let g = FlowGraph { first_edge: &first, targets: &to, target_mask: u32::MAX, usable: &usable };
        let d = dominators(&g, n, 0);
        assert!((1..n).all(|v| d.idom[v] == v as u32 - 1));
        assert_eq!(d.preorder.len(), n);
    }

    #[test]
    fn later_predecessors_given_back_while_consumed_leave_the_result_alone() {
        // A chain with edges from most nodes back to every third earlier one: more than
        // LATER_RELEASE later predecessors, and skips that make some dominators two nodes up.
        // Edge types fill the bits above the target mask.
        let n = 2700u32;
        let mut edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        edges.extend((0..n - 64).flat_map(|i| (0..i).step_by(3).map(move |j| (i, j))));
        edges.extend((0..n - 3).step_by(5).map(|i| (i, i + 3)));
        let (first, mut to, usable) = csr(n as usize, &edges);
        assert!(to.len() - (n as usize - 1) > LATER_RELEASE);
        to.iter_mut().enumerate().for_each(|(e, t)| *t |= (e as u32 % 8) << 29);
        let g = FlowGraph { first_edge: &first, targets: &to, target_mask: (1 << 29) - 1, usable: &usable };
        let (ours, theirs) = (dominators(&g, n as usize, 0), reference_dominators(&g, n as usize, 0));
        assert_eq!(ours.idom, theirs.idom);
        assert_eq!(ours.preorder, theirs.preorder);
    }

    #[test]
    fn unreachable_nodes_hang_off_the_root() {
        // 0 -> 1; 2 <-> 3 form a clique nothing reaches; 4 has no retainers.
        let (first, to, usable) = csr(5, &[(0, 1), (2, 3), (3, 2)]);
        let g = FlowGraph { first_edge: &first, targets: &to, target_mask: u32::MAX, usable: &usable };
        let d = dominators(&g, 5, 0);
        assert_eq!(d.idom, vec![0, 0, 0, 0, 0]);
    }
}
