//! Words for a leak group: the thing a developer recognises as theirs (`primary`, looking
//! through Node's wrappers), the container as code names it and a path to it through the
//! program's own code (`holder_path`), the npm package it belongs to (`package`), the
//! closure variable holding the bytes (`captured`), the leak pattern read from the heap's
//! structure with its fix (`pattern`), and the source lines involved.

mod captured;
mod holder_path;
mod package;
mod pattern;
mod primary;
mod source_text;

use heaplens_graph::{allocation_stack, code_expression, code_expression_of_any, quick_path, HeapGraph, Hop, Scripts};

pub use captured::Captured;
pub use package::Package;
pub use pattern::Pattern;

use crate::groups::Group;
use pattern::Structure;

/// The container the group accumulates in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Container {
    /// How code names it: `responseCache`, `flagStore._events.update`, `timerListMap[45000]`.
    pub name: String,
    /// What it is, in words: `Map`, `the timers list of 45000 ms timers`, ...
    pub kind: String,
    /// V8 id of the container object.
    pub id: u32,
    /// A path to it, one step per line, through the program's own code where one is at most a
    /// couple of steps longer than the shortest (`heaplens path` gives DevTools' shortest).
    pub path: Vec<String>,
    /// The npm package the container belongs to, when its code lives under `node_modules/`.
    pub package: Option<Package>,
}

/// A place in the source code involved in the leak.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRef {
    /// `constructor`, `callback`, `async function`, `scope`, `feeds` (the program's code that
    /// hands objects to a library's container), or `allocation` (a frame of the allocation
    /// stack).
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
    /// How the program names what leaks: a class, or a function's name.
    pub primary_name: String,
    /// An instance of it, closest to a root.
    pub example: u32,
    /// The container.
    pub container: Container,
    /// The pattern.
    pub pattern: Pattern,
    /// Source locations: constructor, registered callback, scope, allocation stack.
    pub sources: Vec<SourceRef>,
    /// A path to the example, one step per line.
    pub example_path: Vec<String>,
    /// The example as code names it.
    pub code: String,
    /// The closure variable holding most of the bytes.
    pub captured: Option<Captured>,
}

/// Explains `group`.
pub fn explain(g: &HeapGraph, scripts: &Scripts, group: &Group) -> Explanation {
    let chosen = primary::choose(g, scripts, group);
    let example = chosen.example;
    let holder = group.holders[0];
    let example_path = holder_path::readable(g, scripts, example);
    let holder_path = match example_path.as_ref().and_then(|p| p.up_to(holder)) {
        Some(prefix) => Some(prefix),
        None => holder_path::readable(g, scripts, holder),
    };
    let hops: &[Hop] = example_path.as_ref().map_or(&[], |p| &p.path.hops);
    let name = match pattern::scope_hop(g, hops, holder) {
        Some(hop) => g.edge_name(hop.edge),
        None => holder_path.as_ref().map_or_else(|| g.class_name(holder).into_owned(), |p| code_expression(g, &p.path)),
    };
    let mut structure = Structure::read(g, pattern::from_container(g, hops, holder), holder);
    structure.chained_variable = pattern::chained_through_scope(g, example);
    let captured = captured::find(g, scripts, group, chosen.named);
    let package = holder_path.as_ref().and_then(|p| package::find(g, scripts, p, holder));
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
        id: g.snapshot.nodes.id.get(holder as usize),
        path: holder_path.as_ref().map(|p| p.describe(g)).unwrap_or_default(),
        package,
    };
    let mut chosen = chosen;
    if let Some(entries) =
        container.package.as_ref().and_then(|p| p.entries.clone()).filter(|_| primary::is_foreign(g, scripts, &chosen))
    {
        chosen.name = entries;
    }
    let pattern = structure.pattern(&container, &chosen.name, captured.as_ref());
    let mut sources = sources(g, scripts, &structure, scope, &chosen);
    if let Some(feeds) = container.package.as_ref().and_then(|p| p.fed_by.clone()) {
        sources.push(feeds);
    }
    Explanation {
        primary_name: chosen.name,
        example,
        container,
        pattern,
        sources,
        example_path: example_path.as_ref().map(|p| p.describe(g)).unwrap_or_default(),
        code: example_path.as_ref().map(|p| code_expression_of_any(g, &p.path)).unwrap_or_default(),
        captured,
    }
}

/// How code names `holder`, found cheaply (for the holders of objects no group explains).
pub fn holder_name(g: &HeapGraph, holder: u32) -> String {
    quick_path(g, holder).map_or_else(|| g.class_name(holder).into_owned(), |p| code_expression(g, &p))
}

/// The source lines behind a group: the primary class's constructor (or the function itself),
/// the callback or async function involved, the scope holding the container, and the
/// allocation stack when tracked.
fn sources(
    g: &HeapGraph,
    scripts: &Scripts,
    structure: &Structure,
    scope: Option<u32>,
    chosen: &primary::Primary,
) -> Vec<SourceRef> {
    let mut out = Vec::new();
    let mut add = |role: &'static str, node: u32, name: String| {
        if let Some(source) = source_ref(g, scripts, role, node, name) {
            out.push(source);
        }
    };
    let function_name = |node: u32| primary::function_name(g, node);
    if chosen.is_function {
        add("callback", chosen.named, chosen.name.clone());
    } else {
        add("constructor", chosen.example, chosen.name.clone());
    }
    if let Some(callback) = structure.callback.filter(|&c| !chosen.is_function || c != chosen.named) {
        add("callback", callback, function_name(callback));
    }
    if let Some(function) = structure.async_function {
        add("async function", function, function_name(function));
    }
    if let Some(scope) = scope {
        add("scope", scope, function_name(scope));
    }
    for frame in allocation_stack(g, chosen.example).into_iter().take(4) {
        out.push(SourceRef {
            role: "allocation",
            location: frame.location(),
            name: primary::or_anonymous(frame.function),
            line: None,
        });
    }
    out
}

/// `node`'s source location as a [`SourceRef`], unless it has none or lies in Node's own code.
fn source_ref(g: &HeapGraph, scripts: &Scripts, role: &'static str, node: u32, name: String) -> Option<SourceRef> {
    let location = g.location_of(node)?;
    let position = scripts.resolve(g, location);
    if position.script.as_deref().is_some_and(|s| s.starts_with("node:")) {
        return None;
    }
    let display = position.display();
    let line = position.source_line.map(|l| l.trim().to_owned()).or_else(|| source_text::line(g, scripts, location));
    Some(SourceRef { role, name, location: display, line })
}
