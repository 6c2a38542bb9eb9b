//! Leak roots: the new objects that head a dominator subtree of new objects. A root's
//! subtree is everything that would be freed with it; its *holder* is the first old object
//! above it in the dominator tree, looking through V8's backing stores (a Map's hash table, an
//! array's elements), which are storage of the holder rather than objects of their own.
//!
//! A root whose dominator is V8's (the snapshot's root, when several roots reach it, or one of
//! V8's structures) belongs to the program all the same when an old object of the program
//! reaches it ([`crate::engine`]): its holder is then that object. Roots only V8 holds get the
//! snapshot's root as their holder.

use heaplens_graph::{HeapGraph, NO_DISTANCE};

use crate::engine::{is_engine_structure, is_storage, StorageOwners, UserReach};

/// A new object whose dominator chain reaches an old object before any other new object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakRoot {
    /// Ordinal of the root.
    pub node: u32,
    /// Ordinal of the old object that holds it; the snapshot's root for what only V8 holds.
    pub holder: u32,
}

/// Every leak root of the last snapshot, given each node's birth (0 = old), and the new
/// storage nodes that lie between roots and their holders (they grow with the roots), each
/// with the old object it belongs to.
pub fn leak_roots(g: &HeapGraph, birth: &[u16]) -> (Vec<LeakRoot>, Vec<LeakRoot>) {
    let root = g.snapshot.root;
    let mut owners = StorageOwners::new(g);
    let reach = heaplens_graph::timed("leaks: program's reach", || UserReach::mark(g, birth, &mut owners));
    let mut roots = Vec::new();
    let mut storage = Vec::new();
    for node in 0..birth.len() as u32 {
        let v = node as usize;
        if birth[v] == 0 || g.distance(v as u32) == NO_DISTANCE || node == root {
            continue;
        }
        if is_storage(g, node) {
            let owner = owners.of(g, node);
            if birth[owner as usize] == 0 {
                storage.push(LeakRoot { node, holder: if is_engine_structure(g, owner) { root } else { owner } });
            }
            continue;
        }
        let holder = owners.of(g, g.dominator[v]);
        if birth[holder as usize] != 0 {
            continue;
        }
        let holder = if is_engine_structure(g, node) {
            root
        } else if !is_engine_structure(g, holder) {
            holder
        } else if reach.contains(node) {
            reach.holder(g, birth, &mut owners, node).unwrap_or(root)
        } else {
            root
        };
        roots.push(LeakRoot { node, holder });
    }
    (roots, storage)
}
