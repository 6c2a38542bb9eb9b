//! Words for a leak group: the class a developer recognises as theirs, the container as code
//! names it, the leak pattern read from the heap's structure (which Node.js internals and V8
//! links the objects hang from) with its fix, and the source lines involved.

use heaplens_graph::{allocation_stack, code_expression, describe, shortest_paths, HeapGraph, Hop, Scripts};

use crate::groups::Group;

/// The container the group accumulates in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Container {
    /// How code names it: `responseCache`, `flagStore._events.update`, `timerListMap[45000]`.
    pub name: String,
    /// What it is, in words: `Map`, `the timers list of 45000 ms timers`, ...
    pub kind: String,
    /// V8 id of the container object.
    pub id: u32,
    /// A shortest path from a root to it, one step per line (as `heaplens path` writes it).
    pub path: Vec<String>,
}

/// What kind of leak the structure shows, and what to do about it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pattern {
    /// Stable identifier: `unbounded-collection`, `event-listener`, `timer`, `unsettled-promise`,
    /// `closure-capture`, `domain`, `async-context`, `global`, `accumulation`.
    pub id: &'static str,
    /// One line for people.
    pub title: String,
    /// What to change.
    pub fix: String,
}

/// A place in the source code involved in the leak.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRef {
    /// `constructor`, `callback`, `async function`, `scope`, or `allocation` (a frame of the
    /// allocation stack).
    pub role: &'static str,
    /// The function or class name.
    pub name: String,
    /// `file:line:column`, 1-based.
    pub location: String,
    /// The line's text, when the heap holds the script's source.
    pub line: Option<String>,
}

/// Everything said about one group.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The class to name first (a string index).
    pub primary_class: u32,
    /// An instance of it, closest to a root.
    pub example: u32,
    /// The container.
    pub container: Container,
    /// The pattern.
    pub pattern: Pattern,
    /// Source locations: constructor, registered callback, scope, allocation stack.
    pub sources: Vec<SourceRef>,
    /// A shortest path to the example, one step per line.
    pub example_path: Vec<String>,
}

/// Explains `group`.
pub fn explain(g: &HeapGraph, scripts: &Scripts, group: &Group) -> Explanation {
    let (primary_class, example) = primary(g, scripts, group);
    let holder = group.holders[0];
    let holder_path = shortest_paths(g, holder, 1).into_iter().next();
    let example_path = shortest_paths(g, example, 1).into_iter().next();
    let hops: &[Hop] = example_path.as_ref().map_or(&[], |p| &p.hops);
    let name = match scope_hop(g, hops, holder) {
        Some(hop) => g.edge_name(hop.edge),
        None => holder_path.as_ref().map_or_else(|| g.class_name(holder).into_owned(), |p| code_expression(g, p)),
    };
    let mut structure = Structure::read(g, from_container(g, hops, holder), holder);
    structure.chained_variable = chained_through_scope(g, example);
    // The closure whose scope holds the container: the last one before it on the path.
    let scope = hops
        .iter()
        .take_while(|h| h.to != holder)
        .filter(|h| u16::from(g.snapshot.nodes.kind[h.from as usize]) == g.node_kinds.closure)
        .map(|h| h.from)
        .last();
    let container = Container {
        kind: structure.container_kind(g, holder, hops),
        name,
        id: g.snapshot.nodes.id[holder as usize],
        path: holder_path.as_ref().map(|p| describe(g, p)).unwrap_or_default(),
    };
    let primary_name = g.snapshot.strings.get(primary_class).into_owned();
    let pattern = structure.pattern(&container, &primary_name);
    let sources = sources(g, scripts, &structure, scope, example, primary_class);
    Explanation {
        primary_class,
        example,
        container,
        pattern,
        sources,
        example_path: example_path.as_ref().map(|p| describe(g, p)).unwrap_or_default(),
    }
}

/// The part of a path that names the container and goes on from it: from the variable the
/// container's expression starts with (see [`code_expression`]) to the end. What comes before
/// is how the program reaches that variable, not how the objects accumulate.
fn from_container<'p>(g: &HeapGraph, hops: &'p [Hop], holder: u32) -> &'p [Hop] {
    let Some(at) = hops.iter().position(|h| h.to == holder) else {
        return hops;
    };
    // Back through the properties, elements and collection tables code writes after a variable.
    let accessor = |h: &Hop| {
        matches!(g.edge_type_name(h.edge), "property" | "element" | "shortcut") || g.edge_name(h.edge) == "table"
    };
    let mut start = at;
    while start > 0 && accessor(&hops[start]) {
        start -= 1;
    }
    &hops[start..]
}

/// The hop out of `holder` through one of its closure variables, when the holder is a scope.
fn scope_hop<'p>(g: &HeapGraph, hops: &'p [Hop], holder: u32) -> Option<&'p Hop> {
    if g.class_name(holder) != "system / Context" {
        return None;
    }
    hops.iter().find(|h| h.from == holder && g.edge_type_name(h.edge) == "context")
}

/// The closure variable through which `node` holds another object of its own class: `node`
/// has a function whose scope (closure context) has that variable. A chain of such links is
/// the classic leak of closures sharing one scope.
fn chained_through_scope(g: &HeapGraph, node: u32) -> Option<String> {
    let s = &g.snapshot;
    let class = g.class_index(node);
    let targets = |from: u32, kind: u16| {
        s.edge_range(from).filter(move |&e| u16::from(s.edges.kind(e)) == kind).map(move |e| (e, s.edges.to_node(e)))
    };
    targets(node, g.edge_kinds.property)
        .map(|(_, function)| function)
        .filter(|&function| u16::from(s.nodes.kind[function as usize]) == g.node_kinds.closure)
        .filter_map(|function| g.internal_edge_target(function, &["context"]))
        .find_map(|scope| {
            targets(scope, g.edge_kinds.context)
                .find(|&(_, held)| held != node && g.class_index(held) == class)
                .map(|(e, _)| g.edge_name(e as u32))
        })
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

/// Whether `node` is an instance of a class written in the program's own scripts.
fn is_user_class(g: &HeapGraph, scripts: &Scripts, node: u32) -> bool {
    let kind = u16::from(g.snapshot.nodes.kind[node as usize]);
    let class = g.class_name(node);
    if kind != g.node_kinds.object || class.starts_with(['(', '{']) || class.starts_with("system / ") {
        return false;
    }
    if BUILT_IN.contains(&class.as_ref()) {
        return false;
    }
    g.location_of(node)
        .map(|l| scripts.resolve(g, l))
        .and_then(|p| p.script)
        .is_some_and(|script| !script.starts_with("node:"))
}

/// Classes that only carry other objects or values: named only when nothing else grew.
const CARRIERS: &[&str] = &[
    "Array",
    "Map",
    "Set",
    "Function",
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

/// The class to name: the program's own class closest below the roots; without one, the
/// shallowest class that is not a mere carrier (arrays, closures, scopes, strings), the one
/// that grew most among equals.
fn primary(g: &HeapGraph, scripts: &Scripts, group: &Group) -> (u32, u32) {
    let total = |class: &u32| group.by_class.get(class).map_or(0, |a| a.iter().map(|x| x.bytes).sum::<u64>());
    let mut classes: Vec<(&u32, &(u32, u32))> = group.shallowest.iter().collect();
    classes.sort_by_key(|(class, (depth, _))| (*depth, std::cmp::Reverse(total(class)), **class));
    let user = classes.iter().find(|(_, (_, node))| is_user_class(g, scripts, *node));
    let carrier = |class: &u32| CARRIERS.contains(&g.snapshot.strings.get(*class).as_ref());
    user.or_else(|| classes.iter().find(|(class, _)| !carrier(class)))
        .or(classes.first())
        .map_or((g.class_index(group.roots[0]), group.roots[0]), |(class, (_, node))| (**class, *node))
}

/// What the path to the example passes through, read from Node.js' and V8's own structures.
#[derive(Debug, Default)]
struct Structure {
    /// A Node.js timer (`Timeout`) on the path, and whether it repeats.
    timer: Option<(u32, bool)>,
    /// The `TimersList` and its duration key.
    timer_list: Option<String>,
    /// Whether a promise's reactions hold the objects.
    promise: bool,
    /// The async function suspended on it.
    async_function: Option<u32>,
    /// The event name of an EventEmitter's `_events` entry on the path.
    event: Option<String>,
    /// A listener or timer callback on the path.
    callback: Option<u32>,
    /// A `Domain` whose `members` hold the objects.
    domain: bool,
    /// An AsyncLocalStorage store or async context frame on the path.
    async_context: bool,
    /// The closure variable through which each instance holds the previous one.
    chained_variable: Option<String>,
    /// Whether the container is a property of the global object.
    global: bool,
}

fn has_property(g: &HeapGraph, node: u32, name: &str) -> bool {
    let s = &g.snapshot;
    s.edge_range(node)
        .any(|e| u16::from(s.edges.kind(e)) == g.edge_kinds.property && s.strings.eq(s.edges.name_or_index[e], name))
}

impl Structure {
    fn read(g: &HeapGraph, hops: &[Hop], holder: u32) -> Structure {
        let s = &g.snapshot;
        let mut found = Structure::default();
        let mut past_holder = false;
        for (i, hop) in hops.iter().enumerate() {
            let (from, to) = (hop.from, hop.to);
            let edge_name = g.edge_name(hop.edge);
            let kind = g.edge_type_name(hop.edge);
            let from_class = g.class_name(from);
            if has_property(g, to, "_onTimeout") && has_property(g, to, "_idlePrev") && found.timer.is_none() {
                found.timer = Some((to, !has_property(g, to, "_repeat")));
            }
            if has_property(g, to, "_idlePrev") && !has_property(g, to, "_onTimeout") && found.timer_list.is_none() {
                found.timer_list = Some(edge_name.clone());
            }
            if kind == "property" && edge_name == "_onTimeout" && found.callback.is_none() {
                found.callback = Some(to);
            }
            if from_class == "Promise" && kind == "internal" && edge_name == "reactions_or_result" {
                found.promise = true;
            }
            if found.promise && g.class_name(to) == "Generator" {
                found.async_function = g.internal_edge_target(to, &["function"]);
            }
            if edge_name == "_events" && kind == "property" {
                if let Some(next) = hops.get(i + 1).filter(|h| g.edge_type_name(h.edge) == "property") {
                    found.event.get_or_insert(g.edge_name(next.edge));
                }
            }
            if found.event.is_some()
                && found.callback.is_none()
                && past_holder
                && u16::from(s.nodes.kind[to as usize]) == g.node_kinds.closure
            {
                found.callback = Some(to);
            }
            if from_class == "Domain" && edge_name == "members" {
                found.domain = true;
            }
            if edge_name.contains("kResourceStore")
                || from_class == "AsyncLocalStorage"
                || from_class == "AsyncContextFrame"
            {
                found.async_context = true;
            }
            if to == holder {
                past_holder = true;
                found.global = from_class == "global";
            }
        }
        found
    }

    fn container_kind(&self, g: &HeapGraph, holder: u32, hops: &[Hop]) -> String {
        if let Some(duration) = &self.timer_list {
            return format!("the timers list of {duration} ms timers (Node.js keeps one list per duration)");
        }
        if self.promise {
            return "the reaction list of a pending Promise".to_owned();
        }
        if let Some(event) = &self.event {
            return format!("the listeners of the '{event}' event of an EventEmitter");
        }
        match g.class_name(holder).as_ref() {
            "Map" => "Map".to_owned(),
            "Set" => "Set".to_owned(),
            "Array" => "Array".to_owned(),
            "WeakMap" => "WeakMap (its keys are alive, so are its values)".to_owned(),
            "system / Context" if self.chained_variable.is_some() => {
                "a chain of closure scopes, each object holding the one before".to_owned()
            }
            "system / Context" => {
                // A variable reassigned with a new collection each time (`list = list.concat(x)`):
                // the collection itself is new, its variable is the container.
                match scope_hop(g, hops, holder).map(|h| g.class_name(h.to)) {
                    Some(class) if matches!(class.as_ref(), "Map" | "Set" | "Array") => class.into_owned(),
                    _ => "a function's scope (closure context)".to_owned(),
                }
            }
            _ if g.snapshot.edge_range(holder).len() > 64 => format!("{} used as a dictionary", g.class_name(holder)),
            other => other.to_owned(),
        }
    }

    fn pattern(&self, container: &Container, primary: &str) -> Pattern {
        let name = &container.name;
        let (id, title, fix) = if let Some((_, repeats)) = self.timer {
            let (call, clear) = if repeats { ("setInterval", "clearInterval") } else { ("setTimeout", "clearTimeout") };
            (
                "timer",
                format!("timer never cleared: a {call} callback keeps each {primary} alive"),
                format!(
                    "Keep the handle {call}() returns and call {clear}(handle) when the {primary} is done with \
                     (where it is removed or closed); or .unref() it if it must not hold the process."
                ),
            )
        } else if self.promise {
            (
                "unsettled-promise",
                format!("promise that never settles: every await on {name} parks a frame holding a {primary}"),
                format!(
                    "Make {name} settle: resolve it, or reject it on failure and on a timeout. Until then every \
                     caller that awaits it stays in memory with everything it references."
                ),
            )
        } else if let Some(event) = &self.event {
            (
                "event-listener",
                format!("event listener added and never removed: each {primary} is held by a listener of '{event}'"),
                format!(
                    "Remove the listener when its owner is done ({}.off('{event}', listener) or \
                     removeListener), or register it with once(). setMaxListeners(0) hides Node's warning about \
                     exactly this.",
                    name.rsplit_once("._events").map_or(name.as_str(), |(emitter, _)| emitter)
                ),
            )
        } else if self.domain {
            (
                "domain",
                format!("domain retention: {name} keeps every emitter added to the domain"),
                "Call domain.remove(emitter) when the work ends; better, replace the deprecated domain module \
                 with AsyncLocalStorage and explicit error handling."
                    .to_owned(),
            )
        } else if self.async_context {
            (
                "async-context",
                format!("async context retention: a long-lived async resource keeps its context with each {primary}"),
                "Do not enterWith() a store inside long-lived callbacks; use als.run() for the request only, and \
                 keep large objects out of the store (store ids, not objects)."
                    .to_owned(),
            )
        } else if let Some(variable) = &self.chained_variable {
            (
                "closure-capture",
                format!(
                    "closure capturing more than it uses: each {primary} keeps the previous one through `{variable}`"
                ),
                format!(
                    "Closures made in one scope share its variables: a function that outlives the scope keeps \
                     `{variable}` alive even if it never reads it. Set `{variable}` to null once used, or create \
                     the long-lived function outside that scope."
                ),
            )
        } else if self.global {
            (
                "global",
                format!("global variable that only grows: {name} (an accidental global?)"),
                format!(
                    "{name} is a property of the global object, alive for the whole process: assigning an \
                     undeclared variable in sloppy mode creates one. Declare it (const/let in its module, or \
                     'use strict' to make the mistake an error) and bound what it holds."
                ),
            )
        } else if matches!(container.kind.as_str(), "Map" | "Set" | "Array") || container.kind.ends_with("dictionary") {
            (
                "unbounded-collection",
                format!("unbounded {} cache: {name} gains entries that are never removed", short_kind(&container.kind)),
                format!(
                    "Bound {name}: evict old entries past a size limit (an LRU) or after a time to live, delete \
                     entries when their work is done, or key them by their owner in a WeakMap so they go with it."
                ),
            )
        } else {
            (
                "accumulation",
                format!("{primary} objects accumulate in {name}"),
                format!("Find where {name} gains references to {primary} and release them when done."),
            )
        };
        Pattern { id, title, fix }
    }
}

fn short_kind(kind: &str) -> &str {
    kind.split_whitespace().next().unwrap_or(kind)
}

/// The source lines behind a group: the primary class's constructor, the callback or async
/// function involved, the scope holding the container, and the allocation stack when tracked.
fn sources(
    g: &HeapGraph,
    scripts: &Scripts,
    structure: &Structure,
    scope: Option<u32>,
    example: u32,
    class: u32,
) -> Vec<SourceRef> {
    let mut out = Vec::new();
    let mut add = |role: &'static str, node: u32, name: String| {
        if let Some(location) = g.location_of(node) {
            let position = scripts.resolve(g, location);
            if position.script.as_deref().is_some_and(|s| s.starts_with("node:")) {
                return;
            }
            out.push(SourceRef {
                role,
                name,
                location: position.display(),
                line: position.source_line.map(|l| l.trim().to_owned()),
            });
        }
    };
    let function_name =
        |node: u32| or_anonymous(g.snapshot.strings.get(g.snapshot.nodes.name[node as usize]).into_owned());
    add("constructor", example, g.snapshot.strings.get(class).into_owned());
    if let Some(callback) = structure.callback {
        add("callback", callback, function_name(callback));
    }
    if let Some(function) = structure.async_function {
        add("async function", function, function_name(function));
    }
    if let Some(scope) = scope {
        add("scope", scope, function_name(scope));
    }
    for frame in allocation_stack(g, example).into_iter().take(4) {
        out.push(SourceRef {
            role: "allocation",
            location: frame.location(),
            name: or_anonymous(frame.function),
            line: None,
        });
    }
    out
}

/// A function's name, or `(anonymous function)`.
fn or_anonymous(name: String) -> String {
    if name.is_empty() {
        "(anonymous function)".to_owned()
    } else {
        name
    }
}
