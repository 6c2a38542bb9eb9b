//! The thing to name a group after: the program's own class closest below the roots, else the
//! program's own function, else the first class that is not a mere carrier. Node's plumbing is
//! looked through on the way: a listener registered with `once()` is the listener, not its
//! `{fired, wrapFn, target, type, listener}` state; a bound function is its target; an
//! `EventTarget`'s `Listener` record is the callback it holds.

use heaplens_graph::{HeapGraph, Scripts};

use crate::groups::Group;

/// The chosen example and how to name it.
#[derive(Debug, Clone)]
pub struct Primary {
    /// An instance in the group, closest below a root.
    pub example: u32,
    /// The node whose name is shown: the example, or what it wraps.
    pub named: u32,
    /// How the program names it: the class, or the function's name.
    pub name: String,
    /// Whether it is a function of the program (not an instance of a class).
    pub is_function: bool,
}

/// Classes the engine or the language provides: never the class a developer wrote.
const BUILT_IN: &[&str] = &[
    "Object",
    "Array",
    "Function",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "Promise",
    "Generator",
    "Date",
    "RegExp",
    "Error",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "Buffer",
    "Uint8Array",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "Uint8ClampedArray",
    "global",
];

/// Classes that only carry other objects or values: named only when nothing else grew.
const CARRIERS: &[&str] = &[
    "Array",
    "Map",
    "Set",
    "Function",
    "Promise",
    "system / Context",
    "(array)",
    "(object elements)",
    "(string)",
    "(number)",
    "(concatenated string)",
    "(sliced string)",
    "(closure)",
    "(system)",
];

/// The script `node` was defined in (its constructor's for objects), when the heap says.
fn script_of(g: &HeapGraph, scripts: &Scripts, node: u32) -> Option<String> {
    g.location_of(node).and_then(|l| scripts.resolve(g, l).script)
}

/// Whether `node` was defined in the program's scripts (its libraries included), not Node's.
fn in_program(g: &HeapGraph, scripts: &Scripts, node: u32) -> bool {
    script_of(g, scripts, node).is_some_and(|script| !script.starts_with("node:"))
}

/// Whether `node` was defined in the program's own scripts, not in a library's (under
/// `node_modules/`) nor in Node's.
pub fn in_own_code(g: &HeapGraph, scripts: &Scripts, node: u32) -> bool {
    script_of(g, scripts, node).is_some_and(|script| !script.starts_with("node:") && !script.contains("/node_modules/"))
}

/// Whether `node` is an instance of a class written in the program's scripts.
fn is_user_class(g: &HeapGraph, scripts: &Scripts, node: u32) -> bool {
    let kind = u16::from(g.snapshot.nodes.kind[node as usize]);
    let class = g.class_name(node);
    if kind != g.node_kinds.object || class.starts_with(['(', '{']) || class.starts_with("system / ") {
        return false;
    }
    !BUILT_IN.contains(&class.as_ref()) && in_program(g, scripts, node)
}

fn is_closure(g: &HeapGraph, node: u32) -> bool {
    u16::from(g.snapshot.nodes.kind[node as usize]) == g.node_kinds.closure
}

/// The value of `node`'s property `name`.
fn property(g: &HeapGraph, node: u32, name: &str) -> Option<u32> {
    let s = &g.snapshot;
    s.edge_range(node)
        .find(|&e| u16::from(s.edges.kind(e)) == g.edge_kinds.property && s.strings.eq(s.edges.name_or_index(e), name))
        .map(|e| s.edges.to_node(e))
}

/// What a piece of Node's plumbing stands for, followed through nested wrappers: a `once()`
/// wrapper's or state's `listener`, a bound function's target, an `EventTarget` listener
/// record's `callback`. `node` itself when it wraps nothing.
pub fn looked_through(g: &HeapGraph, scripts: &Scripts, node: u32) -> u32 {
    let mut at = node;
    for _ in 0..4 {
        let next = if is_closure(g, at) {
            property(g, at, "listener")
                .filter(|&l| is_closure(g, l))
                .or_else(|| g.internal_edge_target(at, &["bound_function"]))
        } else if !in_program(g, scripts, at) || g.class_name(at).starts_with('{') {
            ["listener", "callback"].iter().filter_map(|p| property(g, at, p)).find(|&l| is_closure(g, l))
        } else {
            None
        };
        match next {
            Some(next) if next != at => at = next,
            _ => break,
        }
    }
    at
}

/// Whether code can name `node` from what holds it: a property, an element or a closure
/// variable leads to it (a dictionary's key strings, say, are reached only through V8's
/// property storage).
fn is_named_by_holder(g: &HeapGraph, node: u32) -> bool {
    let s = &g.snapshot;
    let ek = &g.edge_kinds;
    g.retainers().of(node).iter().any(|&e| {
        let kind = u16::from(s.edges.kind(e as usize));
        kind == ek.property || kind == ek.element || kind == ek.context
    })
}

/// Roots looked at for an instance that code can name.
const NAMED_SEARCH: usize = 4096;

/// `example`, or when code cannot name it, a root of the group of the same kind that code can.
fn named_instance(g: &HeapGraph, group: &Group, example: u32) -> u32 {
    if is_named_by_holder(g, example) {
        return example;
    }
    let key = crate::groups::kind_key(g, example);
    group
        .roots
        .iter()
        .take(NAMED_SEARCH)
        .copied()
        .find(|&root| crate::groups::kind_key(g, root) == key && is_named_by_holder(g, root))
        .unwrap_or(example)
}

/// A function's name, or `(anonymous function)`.
pub fn function_name(g: &HeapGraph, node: u32) -> String {
    or_anonymous(g.snapshot.strings.get(g.snapshot.nodes.name[node as usize]).into_owned())
}

/// A function's name, or `(anonymous function)`.
pub fn or_anonymous(name: String) -> String {
    if name.is_empty() {
        "(anonymous function)".to_owned()
    } else {
        name
    }
}

/// Whether `primary` is not the program's own (a string, a plain object, a library's class):
/// a library's own word for its entries says more.
pub fn is_foreign(g: &HeapGraph, scripts: &Scripts, primary: &Primary) -> bool {
    !in_own_code(g, scripts, primary.named)
}

/// Chooses what to name `group` after.
pub fn choose(g: &HeapGraph, scripts: &Scripts, group: &Group) -> Primary {
    let total =
        |node: u32| group.by_class.get(&g.class_index(node)).map_or(0, |a| a.iter().map(|x| x.bytes).sum::<u64>());
    let mut candidates: Vec<(u32, u32)> = group.shallowest.values().copied().collect();
    candidates.sort_by_key(|&(depth, node)| (depth, std::cmp::Reverse(total(node)), node));
    let class = |example: u32| {
        let example = named_instance(g, group, example);
        Primary { example, named: example, name: g.class_name(example).into_owned(), is_function: false }
    };
    // The program's own classes and functions first, then its libraries'.
    for own in [true, false] {
        let ours = |node: u32| !own || in_own_code(g, scripts, node);
        if let Some(&(_, node)) = candidates.iter().find(|&&(_, node)| is_user_class(g, scripts, node) && ours(node)) {
            return class(node);
        }
        let mut functions = candidates.iter().map(|&(_, node)| (node, looked_through(g, scripts, node)));
        if let Some((example, named)) =
            functions.find(|&(_, named)| is_closure(g, named) && in_program(g, scripts, named) && ours(named))
        {
            return Primary { example, named, name: function_name(g, named), is_function: true };
        }
    }
    let carrier = |node: u32| CARRIERS.contains(&g.class_name(node).as_ref());
    let plumbing = |node: u32| {
        looked_through(g, scripts, node) != node || script_of(g, scripts, node).is_some_and(|s| s.starts_with("node:"))
    };
    candidates
        .iter()
        .find(|&&(_, node)| !carrier(node) && !plumbing(node))
        .or_else(|| candidates.iter().find(|&&(_, node)| !carrier(node)))
        .or_else(|| candidates.iter().find(|&&(_, node)| is_named_by_holder(g, node)))
        .or(candidates.first())
        .map_or_else(|| class(group.roots[0]), |&(_, node)| class(node))
}
