//! What V8 itself holds, and what it holds for the program. V8's own structures are compiled
//! code and what hangs off it (bytecode, feedback, scope infos: the snapshot's `code` type),
//! maps and shapes, and V8's synthetic roots (the string table, the compilation cache, the
//! builtins). Everything else is the program's memory, whatever its type: a string, a
//! backing store or a closure context that only user objects reach is the program's.
//!
//! [`UserReach`] marks the new objects that some old object of the program reaches through
//! new objects only; a new object it does not mark is reachable only through V8's own
//! structures.

use heaplens_graph::{BitSet, HeapGraph};

/// Synthetic roots that hold objects for the program, not for V8: handles that Node.js and
/// native code keep on the program's behalf, and the stack.
const EMBEDDER_ROOTS: &[&str] = &[
    "(Global handles)",
    "(Eternal handles)",
    "(Traced handles)",
    "(Handle scope)",
    "(Stack roots)",
    "(Wrapper tracing)",
    "C++ roots",
    "C++ cross-thread roots",
];

/// Node 18 writes shapes as `hidden` nodes with these names (later versions as `object shape`).
const SHAPE_NAMES: &[&str] =
    &["system / Map", "system / DescriptorArray", "system / TransitionArray", "system / PrototypeInfo"];

/// Whether `node` is one of V8's own structures by its type: code and its metadata, shapes,
/// V8's synthetic roots (the snapshot's root included).
pub fn is_engine_structure(g: &HeapGraph, node: u32) -> bool {
    let s = &g.snapshot;
    let kind = u16::from(s.nodes.kind[node as usize]);
    let nk = &g.node_kinds;
    let name = s.nodes.name[node as usize];
    if node == s.root || kind == nk.code || s.node_types[kind as usize] == "object shape" {
        return true;
    }
    if kind == nk.synthetic {
        return !EMBEDDER_ROOTS.iter().any(|r| s.strings.eq(name, r)) && !s.strings.starts_with(name, "Node / ");
    }
    kind == nk.hidden && SHAPE_NAMES.iter().any(|n| s.strings.eq(name, n))
}

/// Nodes that only store another object's contents: V8's internal arrays and hidden structs
/// (but not shapes, which are V8's own).
pub fn is_storage(g: &HeapGraph, node: u32) -> bool {
    let kind = u16::from(g.snapshot.nodes.kind[node as usize]);
    (kind == g.node_kinds.array || kind == g.node_kinds.hidden) && !is_engine_structure(g, node)
}

/// The first node at or above `start` in the dominator tree that is not storage (the object a
/// backing store belongs to), memoised with path compression across calls.
pub struct StorageOwners {
    owner: Vec<u32>,
    chain: Vec<u32>,
}

const UNKNOWN: u32 = u32::MAX;

impl StorageOwners {
    /// An empty memo for `g`.
    pub fn new(g: &HeapGraph) -> StorageOwners {
        StorageOwners { owner: vec![UNKNOWN; g.snapshot.node_count()], chain: Vec::new() }
    }

    /// The owner of `start` (itself when it is not storage).
    pub fn of(&mut self, g: &HeapGraph, start: u32) -> u32 {
        self.chain.clear();
        let mut at = start;
        let found = loop {
            if !is_storage(g, at) || at == g.snapshot.root {
                break at;
            }
            if self.owner[at as usize] != UNKNOWN {
                break self.owner[at as usize];
            }
            self.chain.push(at);
            at = g.dominator[at as usize];
        };
        for &c in &self.chain {
            self.owner[c as usize] = found;
        }
        found
    }

    /// Whether the old object `node` holds what it references for the program: it is not one
    /// of V8's structures, nor a backing store of one.
    pub fn holds_for_program(&mut self, g: &HeapGraph, node: u32) -> bool {
        let owner = self.of(g, node);
        !is_engine_structure(g, owner)
    }
}

/// The new objects reachable from an old object of the program through new objects of the
/// program only (weak links left out).
pub struct UserReach {
    reached: BitSet,
}

impl UserReach {
    /// Marks, from every old object that holds for the program, the new objects it reaches.
    /// The strong edges from old to new objects are found on every core (they are few among
    /// all edges), then followed in edge order.
    pub fn mark(g: &HeapGraph, birth: &[u16], owners: &mut StorageOwners) -> UserReach {
        let s = &g.snapshot;
        let weak = g.edge_kinds.weak;
        let old_to_new = s.edges_where(|from, e| {
            birth[from as usize] == 0 && birth[s.edges.to_node(e) as usize] != 0 && u16::from(s.edges.kind(e)) != weak
        });
        let mut reached = BitSet::new(birth.len());
        let mut stack: Vec<u32> = Vec::new();
        // Whether the last old object asked about holds for the program.
        let mut last: Option<(u32, bool)> = None;
        for (from, edge) in old_to_new {
            let to = s.edges.to_node(edge as usize);
            if reached.contains(to as usize) {
                continue;
            }
            let holds = match last {
                Some((asked, holds)) if asked == from => holds,
                _ => {
                    let holds = owners.holds_for_program(g, from);
                    last = Some((from, holds));
                    holds
                }
            };
            if holds {
                reached.insert(to as usize);
                stack.push(to);
            }
        }
        while let Some(node) = stack.pop() {
            if is_engine_structure(g, node) {
                continue;
            }
            for e in s.edge_range(node) {
                let to = s.edges.to_node(e);
                if birth[to as usize] != 0 && !reached.contains(to as usize) && u16::from(s.edges.kind(e)) != weak {
                    reached.insert(to as usize);
                    stack.push(to);
                }
            }
        }
        UserReach { reached }
    }

    /// Whether the program reaches the new object `node`.
    pub fn contains(&self, node: u32) -> bool {
        self.reached.contains(node as usize)
    }

    /// The old object of the program closest above the new object `node` along its retainers
    /// (through new objects the program reaches), as the object a backing store belongs to.
    pub fn holder(&self, g: &HeapGraph, birth: &[u16], owners: &mut StorageOwners, node: u32) -> Option<u32> {
        let s = &g.snapshot;
        let weak = g.edge_kinds.weak;
        let retainers = g.retainers();
        let mut queue = std::collections::VecDeque::from([node]);
        let mut seen = rustc_hash::FxHashSet::from_iter([node]);
        while let Some(at) = queue.pop_front() {
            for &e in retainers.of(at) {
                if u16::from(s.edges.kind(e as usize)) == weak {
                    continue;
                }
                let from = s.edge_source(e);
                if birth[from as usize] == 0 {
                    if owners.holds_for_program(g, from) {
                        return Some(owners.of(g, from));
                    }
                } else if self.contains(from) && !is_engine_structure(g, from) && seen.insert(from) {
                    queue.push_back(from);
                }
            }
            if seen.len() > HOLDER_SEARCH_LIMIT {
                return None;
            }
        }
        None
    }
}

/// Most new objects walked while looking for a root's holder among its retainers.
const HOLDER_SEARCH_LIMIT: usize = 4096;
