//! The leak pattern, read from the structures the objects hang from (which Node.js internals
//! and V8 links the path passes through), not from names in the program, and its fix.

use heaplens_graph::{HeapGraph, Hop};

use super::{Captured, Container};

/// What kind of leak the structure shows, and what to do about it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pattern {
    /// Stable identifier: `unbounded-collection`, `event-listener`, `timer`, `unsettled-promise`,
    /// `event-iterator`, `closure-capture`, `closure-context`, `domain`, `async-context`, `global`,
    /// `accumulation`.
    pub id: &'static str,
    /// One line for people.
    pub title: String,
    /// What to change.
    pub fix: String,
}

/// The part of a path that names the container and goes on from it: from the variable the
/// container's expression starts with (see [`code_expression`]) to the end. What comes before
/// is how the program reaches that variable, not how the objects accumulate.
pub(super) fn from_container<'p>(g: &HeapGraph, hops: &'p [Hop], holder: u32) -> &'p [Hop] {
    let Some(at) = hops.iter().position(|h| h.to == holder) else {
        return hops;
    };
    // Back through the properties, elements and collection entries code writes after a variable.
    let accessor = |i: usize| {
        let h = &hops[i];
        matches!(g.edge_type_name(h.edge), "property" | "element" | "shortcut")
            || g.edge_name(h.edge) == "table"
            || (i > 0 && g.edge_name(hops[i - 1].edge) == "table")
    };
    let mut start = at;
    while start > 0 && accessor(start) {
        start -= 1;
    }
    &hops[start..]
}

/// The hop out of `holder` through one of its closure variables, when the holder is a scope.
pub(super) fn scope_hop<'p>(g: &HeapGraph, hops: &'p [Hop], holder: u32) -> Option<&'p Hop> {
    if g.class_name(holder) != "system / Context" {
        return None;
    }
    hops.iter().find(|h| h.from == holder && g.edge_type_name(h.edge) == "context")
}

/// The closure variable through which `node` holds another object of its own class: `node`
/// has a function whose scope (closure context) has that variable. A chain of such links is
/// the classic leak of closures sharing one scope.
pub(super) fn chained_through_scope(g: &HeapGraph, node: u32) -> Option<String> {
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

/// What the path to the example passes through, read from Node.js' and V8's own structures.
#[derive(Debug, Default)]
pub(super) struct Structure {
    /// A Node.js timer (`Timeout`) on the path, and whether it repeats.
    timer: Option<(u32, bool)>,
    /// The `TimersList` and its duration key.
    timer_list: Option<String>,
    /// Whether a promise's reactions hold the objects.
    promise: bool,
    /// The async function suspended on it.
    pub(super) async_function: Option<u32>,
    /// The event name of an EventEmitter's `_events` entry (or an EventTarget's listener list)
    /// on the path.
    event: Option<String>,
    /// Whether that event belongs to an EventTarget (an AbortSignal, say) rather than an
    /// EventEmitter.
    event_target: bool,
    /// The event an `events.on()` iterator queues, when the objects wait in its queue.
    iterator_event: Option<String>,
    /// A listener or timer callback on the path.
    pub(super) callback: Option<u32>,
    /// A `Domain` whose `members` hold the objects.
    domain: bool,
    /// An AsyncLocalStorage store or async context frame on the path.
    async_context: bool,
    /// The closure variable through which each instance holds the previous one.
    pub(super) chained_variable: Option<String>,
    /// Whether the container is a property of the global object.
    global: bool,
}

/// The event an `events.on()` iterator listens to, found from its scope `context`: the name
/// under which its emitter's `_events` holds a function of that scope.
fn iterated_event(g: &HeapGraph, context: u32) -> Option<String> {
    let s = &g.snapshot;
    let ek = &g.edge_kinds;
    let named = |node: u32, kind: u16, name: &str| {
        s.edge_range(node)
            .find(|&e| u16::from(s.edges.kind(e)) == kind && s.strings.eq(s.edges.name_or_index(e), name))
            .map(|e| s.edges.to_node(e))
    };
    let events = named(named(context, ek.context, "emitter")?, ek.property, "_events")?;
    let of_scope = |f: u32| g.internal_edge_target(f, &["context"]) == Some(context);
    s.edge_range(events).filter(|&e| u16::from(s.edges.kind(e)) == ek.property).find_map(|e| {
        let listeners = s.edges.to_node(e);
        let mut functions = std::iter::once(listeners).chain(s.edge_range(listeners).map(|l| s.edges.to_node(l)));
        functions.any(of_scope).then(|| g.edge_name(e as u32))
    })
}

fn has_property(g: &HeapGraph, node: u32, name: &str) -> bool {
    let s = &g.snapshot;
    s.edge_range(node)
        .any(|e| u16::from(s.edges.kind(e)) == g.edge_kinds.property && s.strings.eq(s.edges.name_or_index(e), name))
}

impl Structure {
    pub(super) fn read(g: &HeapGraph, hops: &[Hop], holder: u32) -> Structure {
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
            // A pending promise's reactions_or_result holds its reactions; a settled one's, its
            // result (a resolved promise in a cache is an entry, not a parked await).
            if from_class == "Promise"
                && kind == "internal"
                && edge_name == "reactions_or_result"
                && s.strings.eq(s.nodes.name[to as usize], "system / PromiseReaction")
            {
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
            if edge_name == "<symbol kEvents>" && found.event.is_none() {
                // EventTarget keeps a Map from event name to a linked list of listener records.
                if let Some(value) = hops.get(i + 2).filter(|_| g.class_name(to) == "Map") {
                    found.event = heaplens_graph::map_entry_key(g, value).map(|key| g.display_name(key));
                    found.event_target = found.event.is_some();
                }
            }
            if kind == "context" && edge_name == "unconsumedEvents" && found.iterator_event.is_none() {
                let event = s.edge_range(from).find(|&e| {
                    u16::from(s.edges.kind(e)) == g.edge_kinds.context
                        && s.strings.eq(s.edges.name_or_index(e), "event")
                });
                found.iterator_event = Some(match event {
                    Some(e) => g.display_name(s.edges.to_node(e)),
                    None => iterated_event(g, from).unwrap_or_default(),
                });
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

    pub(super) fn container_kind(&self, g: &HeapGraph, holder: u32, hops: &[Hop]) -> String {
        if let Some(duration) = &self.timer_list {
            return format!("the timers list of {duration} ms timers (Node.js keeps one list per duration)");
        }
        if self.promise {
            return "the reaction list of a pending Promise".to_owned();
        }
        if let Some(event) = &self.iterator_event {
            return format!("the queue of an events.on() iterator ({})", quoted_event(event));
        }
        if let Some(event) = &self.event {
            let owner = if self.event_target { "EventTarget" } else { "EventEmitter" };
            return format!("the listeners of the '{event}' event of an {owner}");
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

    pub(super) fn pattern(&self, container: &Container, primary: &str, captured: Option<&Captured>) -> Pattern {
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
        } else if let Some(event) = &self.iterator_event {
            (
                "event-iterator",
                format!(
                    "events.on() iterator that nobody reads: every {} since it was made waits in {name}",
                    quoted_event(event)
                ),
                format!(
                    "An events.on(emitter, '{event}') iterator queues every event until a for await loop reads it. \
                     Read it, or end it with iterator.return() (or create it with {{ signal }} and abort) when its \
                     consumer stops; do not create one per request or connection."
                ),
            )
        } else if let (Some(event), true) = (&self.event, self.event_target) {
            (
                "event-listener",
                format!("event listener added and never removed: each {primary} is a listener of '{event}' on an EventTarget"),
                format!(
                    "Remove it with removeEventListener('{event}', listener) when its owner is done, or add it with \
                     {{ once: true }} or {{ signal }}: a long-lived EventTarget (an AbortSignal that never aborts) \
                     keeps every listener added to it."
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
        } else if let Some(captured) = captured.filter(|c| c.read_by_function != Some(true)) {
            let variable = &captured.variable;
            let each = heaplens_graph::format_bytes(captured.bytes_each);
            let reads = if captured.read_by_function == Some(false) { "never reads" } else { "may never read" };
            (
                "closure-context",
                format!(
                    "closure keeps a variable it does not use: each {primary} held in {name} keeps context variable \
                     `{variable}` ({each} each), which it {reads}"
                ),
                format!(
                    "{primary} was made in a scope whose other closures use `{variable}`: V8 gives all closures of a \
                     scope one context, so {primary} keeps `{variable}` alive for as long as {name} keeps {primary}. \
                     Make {primary} where `{variable}` is not in scope (in a function of its own), or set \
                     `{variable}` = null after its last use; and remove {primary} from {name} once its work is done."
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
        match container.package.as_ref().filter(|p| p.advice.is_some()) {
            Some(package) => Pattern {
                id,
                title: format!("{title} (a known misuse of {})", package.name),
                fix: package.advice.clone().unwrap_or(fix),
            },
            None => Pattern { id, title, fix },
        }
    }
}

/// `'tick' event`, or `event` when the name is unknown.
fn quoted_event(event: &str) -> String {
    if event.is_empty() {
        "event".to_owned()
    } else {
        format!("'{event}' event")
    }
}

fn short_kind(kind: &str) -> &str {
    kind.split_whitespace().next().unwrap_or(kind)
}
