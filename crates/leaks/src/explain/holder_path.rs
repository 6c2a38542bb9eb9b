//! A readable path to a holder: one that starts where the program's own code names things —
//! a module's scope (its top-level variables), a module's exports, or a global the program
//! set — rather than at whichever GC root happens to be nearest (`process._events.SIGTERM`,
//! a timer list, `CustomEvent`'s closure). Taken when it is at most [`DETOUR`] steps longer
//! than the shortest path; otherwise the shortest path it is.

use std::collections::VecDeque;

use heaplens_graph::{quick_path, shortest_paths, HeapGraph, Hop, RetainingPath, Scripts, NO_DISTANCE};
use rustc_hash::FxHashMap;

use crate::engine::is_engine_structure;

/// How many steps longer than the shortest path a readable path may be.
const DETOUR: usize = 2;
/// Most nodes the search walks before it settles for what it found.
const SEARCH_LIMIT: usize = 50_000;

/// A path and how to name its start.
#[derive(Debug, Clone)]
pub struct ReadablePath {
    /// The path; `start` is where the program's code names things.
    pub path: RetainingPath,
    /// How to name the start (`module /app/server.js`), when its node's own label would not do.
    pub start_label: Option<String>,
}

impl ReadablePath {
    /// The part of the path up to `node`, when the path passes through it.
    pub fn up_to(&self, node: u32) -> Option<ReadablePath> {
        if self.path.start == node {
            return Some(ReadablePath {
                path: RetainingPath { hops: Vec::new(), ..self.path.clone() },
                ..self.clone()
            });
        }
        let end = self.path.hops.iter().position(|h| h.to == node)?;
        let hops = self.path.hops[..=end].to_vec();
        Some(ReadablePath { path: RetainingPath { hops, ..self.path.clone() }, ..self.clone() })
    }

    /// The path in words.
    pub fn describe(&self, g: &HeapGraph) -> Vec<String> {
        heaplens_graph::describe_from(g, &self.path, self.start_label.as_deref())
    }
}

/// Where a readable path may start, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Anchor {
    /// A top-level variable of one of the program's own modules, or a global it set.
    ProgramScope,
    /// The exports of one of the program's own modules.
    ProgramExports,
    /// A server the program listens with (Node's `Server`): code names it `server`.
    Server,
    /// A top-level variable of a library's module (under `node_modules/`).
    LibraryScope,
    /// A library module's exports.
    LibraryExports,
}

/// A start found by the search: its kind, the node the path starts at, how far it is from the
/// target, and how to name it.
struct Found {
    anchor: Anchor,
    start: u32,
    depth: usize,
    label: Option<String>,
}

/// A readable path to `target`, or the shortest one; `None` when no root reaches it.
pub fn readable(g: &HeapGraph, scripts: &Scripts, target: u32) -> Option<ReadablePath> {
    if g.distance(target) == NO_DISTANCE {
        return None;
    }
    let shortest = quick_path(g, target).map_or(usize::MAX, |p| p.hops.len());
    search(g, scripts, target, shortest.saturating_add(DETOUR)).or_else(|| {
        shortest_paths(g, target, 1).into_iter().next().map(|path| ReadablePath { path, start_label: None })
    })
}

/// Walks the retainers of `target` breadth first, up to `longest` steps, for the best start.
fn search(g: &HeapGraph, scripts: &Scripts, target: u32, longest: usize) -> Option<ReadablePath> {
    let s = &g.snapshot;
    let retainers = g.retainers();
    // For each node reached: the hop that leads from it one step closer to the target.
    let mut toward: FxHashMap<u32, Option<Hop>> = FxHashMap::default();
    toward.insert(target, None);
    let mut queue = VecDeque::from([(target, 0usize)]);
    let mut found: Vec<Found> = Vec::new();
    let mut nearest = usize::MAX;
    if let Some(script) = module_script(g, scripts, target) {
        nearest = 0;
        found.push(Found {
            anchor: scope_anchor(&script),
            start: target,
            depth: 0,
            label: Some(format!("module {script}")),
        });
    }
    while let Some((node, depth)) = queue.pop_front() {
        if depth >= longest || depth > nearest.saturating_add(DETOUR) || toward.len() > SEARCH_LIMIT {
            break;
        }
        for &edge in retainers.of(node) {
            if u16::from(s.edges.kind(edge as usize)) == g.edge_kinds.weak {
                continue;
            }
            let from = s.edge_source(edge);
            if let Some(anchor) = anchor_at(g, scripts, from, edge, node) {
                nearest = nearest.min(anchor.depth_from(depth));
                found.push(Found { depth: anchor.depth_from(depth), ..anchor.found });
            }
            if toward.contains_key(&from) || is_engine_structure(g, from) {
                continue;
            }
            toward.insert(from, Some(Hop { from, edge, to: node }));
            queue.push_back((from, depth + 1));
        }
    }
    let best = found.into_iter().filter(|f| f.depth <= nearest + DETOUR).min_by_key(|f| (f.anchor, f.depth))?;
    let mut hops = Vec::new();
    let mut at = best.start;
    if best.start != target && !toward.contains_key(&best.start) {
        return None;
    }
    while let Some(Some(hop)) = toward.get(&at) {
        hops.push(*hop);
        at = hop.to;
    }
    Some(ReadablePath { path: RetainingPath { start: best.start, hops, cost: 0 }, start_label: best.label })
}

/// A start at the retainer `from` of `node` (through `edge`), and how many steps it adds.
struct Candidate {
    found: Found,
    extra: usize,
}

impl Candidate {
    fn depth_from(&self, depth: usize) -> usize {
        depth + self.extra
    }
}

/// Whether the hop `from --edge--> node` starts a readable path: a variable of a module's
/// scope, a property the program set on the global object, or a module's exports.
fn anchor_at(g: &HeapGraph, scripts: &Scripts, from: u32, edge: u32, node: u32) -> Option<Candidate> {
    let s = &g.snapshot;
    let ek = &g.edge_kinds;
    let kind = u16::from(s.edges.kind(edge as usize));
    let from_name = s.nodes.name[from as usize];
    if kind == ek.context && s.strings.eq(from_name, "system / Context") {
        // A module's variable that only names one of Node's functions (`var defer =
        // setImmediate`) leads into Node's internals, not to the program's objects.
        if u16::from(s.nodes.kind[node as usize]) == g.node_kinds.closure
            && g.location_of(node).and_then(|l| scripts.resolve(g, l).script).is_some_and(|s| s.starts_with("node:"))
        {
            return None;
        }
        let script = module_script(g, scripts, from)?;
        return Some(Candidate {
            found: Found {
                anchor: scope_anchor(&script),
                start: from,
                depth: 0,
                label: Some(format!("module {script}")),
            },
            extra: 1,
        });
    }
    if kind == ek.property && (s.strings.eq(from_name, "global") || g.class_name(from) == "global") {
        let name = g.edge_name(edge);
        if BUILT_IN_GLOBALS.contains(&name.as_str()) {
            return None;
        }
        return Some(Candidate {
            found: Found { anchor: Anchor::ProgramScope, start: from, depth: 0, label: None },
            extra: 1,
        });
    }
    if kind == ek.property && g.edge_name(edge) == "_events" && is_node_server(g, scripts, from) {
        return Some(Candidate {
            found: Found { anchor: Anchor::Server, start: from, depth: 0, label: Some("server".to_owned()) },
            extra: 1,
        });
    }
    if kind == ek.property && g.class_name(from) == "Module" && g.edge_name(edge) == "exports" {
        let file = string_property(g, from, "filename").or_else(|| string_property(g, from, "id"))?;
        let anchor = if file.contains("/node_modules/") { Anchor::LibraryExports } else { Anchor::ProgramExports };
        return Some(Candidate {
            found: Found { anchor, start: node, depth: 0, label: Some(format!("module.exports of {file}")) },
            extra: 0,
        });
    }
    None
}

fn scope_anchor(script: &str) -> Anchor {
    if script.contains("/node_modules/") {
        Anchor::LibraryScope
    } else {
        Anchor::ProgramScope
    }
}

/// The script whose top-level scope `context` is: a scope whose outer scope is the native
/// context, whose own functions (those made in it) name the module by their script: the
/// functions it holds as variables, else those whose scope it is. A module's variables may
/// hold functions it imported: those were made elsewhere and do not name it.
fn module_script(g: &HeapGraph, scripts: &Scripts, context: u32) -> Option<String> {
    let s = &g.snapshot;
    let outer = g.internal_edge_target(context, &["previous"])?;
    if !s.strings.eq(s.nodes.name[outer as usize], "system / NativeContext") {
        return None;
    }
    let closure = g.node_kinds.closure;
    let held = s.edge_range(context).map(|e| s.edges.to_node(e));
    let holding = g
        .retainers()
        .of(context)
        .iter()
        .filter(|&&e| s.strings.eq(s.edges.name_or_index(e as usize), "context"))
        .take(MODULE_RETAINERS_READ)
        .map(|&e| s.edge_source(e));
    held.chain(holding)
        .filter(|&f| {
            u16::from(s.nodes.kind[f as usize]) == closure && g.internal_edge_target(f, &["context"]) == Some(context)
        })
        .filter_map(|f| g.location_of(f).and_then(|l| scripts.resolve(g, l).script))
        .find(|script| !script.starts_with("node:"))
}

/// Most retainers of a scope read for a function of its module (a module's scope can be the
/// outer scope of a great many others).
const MODULE_RETAINERS_READ: usize = 4096;

/// Whether `node` is one of Node's servers (`http`, `https`, `net`): a `Server` made by Node's
/// own code.
fn is_node_server(g: &HeapGraph, scripts: &Scripts, node: u32) -> bool {
    g.class_name(node) == "Server"
        && g.location_of(node).and_then(|l| scripts.resolve(g, l).script).is_some_and(|s| s.starts_with("node:"))
}

/// The text of `node`'s string property `name`.
fn string_property(g: &HeapGraph, node: u32, name: &str) -> Option<String> {
    let s = &g.snapshot;
    s.edge_range(node)
        .find(|&e| u16::from(s.edges.kind(e)) == g.edge_kinds.property && s.strings.eq(s.edges.name_or_index(e), name))
        .map(|e| g.display_name(s.edges.to_node(e)))
}

/// Properties of Node's global object that Node and the language define: a path through one
/// of them is not the program's own global.
const BUILT_IN_GLOBALS: &[&str] = &[
    "global",
    "globalThis",
    "process",
    "Buffer",
    "console",
    "queueMicrotask",
    "setTimeout",
    "setInterval",
    "setImmediate",
    "clearTimeout",
    "clearInterval",
    "clearImmediate",
    "structuredClone",
    "fetch",
    "crypto",
    "navigator",
    "performance",
    "require",
    "module",
    "exports",
    "__filename",
    "__dirname",
    "AbortController",
    "AbortSignal",
    "Event",
    "EventTarget",
    "CustomEvent",
    "MessageChannel",
    "MessagePort",
    "MessageEvent",
    "BroadcastChannel",
    "URL",
    "URLSearchParams",
    "TextEncoder",
    "TextDecoder",
    "Blob",
    "File",
    "FormData",
    "Headers",
    "Request",
    "Response",
    "WebSocket",
    "WebAssembly",
    "Intl",
    "Atomics",
    "JSON",
    "Math",
    "Reflect",
    "Proxy",
];
