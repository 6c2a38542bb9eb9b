//! The npm package a container belongs to: the nearest object on the path to it whose
//! constructor's script lives under `node_modules/NAME/`. Names the package and its version
//! (from its `package.json`, when the files are where the snapshot says), the container as the
//! library names it, and the program's code that feeds it: a function of the program that uses
//! the variable the path starts from, or else the module itself. Misuses that the libraries'
//! own documentation warns about get the library's own advice.

use heaplens_graph::{code_expression, HeapGraph, Hop, RetainingPath, Scripts};

use super::holder_path::ReadablePath;
use super::SourceRef;

/// An npm package and what of it holds the objects.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Package {
    /// The package's name: `express-session`, `@scope/name`.
    pub name: String,
    /// Its version, from its `package.json` when that file can be read.
    pub version: Option<String>,
    /// The container as the library names it: `MemoryStore.sessions`.
    pub object: String,
    /// The program's code that hands the library the objects.
    pub fed_by: Option<SourceRef>,
    /// The library's own advice, when this misuse is a known one.
    pub advice: Option<String>,
    /// What the library calls the entries that pile up (`session`), for a known misuse.
    pub entries: Option<String>,
}

/// Closures of a module looked at for the one that uses a variable.
const CLOSURES_READ: usize = 256;

/// The package `path` (to `holder`) passes through last, if any.
pub fn find(g: &HeapGraph, scripts: &Scripts, path: &ReadablePath, holder: u32) -> Option<Package> {
    let hops = &path.path.hops;
    // The nodes on the path from the holder back to its start, with the index of the hop
    // that leads into each.
    let on_path = std::iter::once((hops.len(), holder)).chain(hops.iter().enumerate().rev().map(|(i, h)| (i, h.from)));
    let (at, library, script) = on_path
        .filter_map(|(i, node)| Some((i, node, script_of(g, scripts, node)?)))
        .find(|(_, _, script)| script.contains("/node_modules/"))?;
    let (root, name) = package_root(&script)?;
    let innermost_class = g.class_name(library).into_owned();
    // The library names the container from the first of its own objects on the path.
    let (at, library) = std::iter::once((hops.len(), holder))
        .chain(hops.iter().enumerate().rev().map(|(i, h)| (i, h.from)))
        .skip_while(|&(_, node)| node != library)
        .take_while(|&(_, node)| {
            script_of(g, scripts, node).is_none_or(|s| package_root(&s).is_some_and(|(r, _)| r == root))
        })
        .filter(|&(_, node)| script_of(g, scripts, node).is_some())
        .last()
        .unwrap_or((at, library));
    let inside = RetainingPath { start: library, hops: hops[at.min(hops.len())..].to_vec(), cost: 0 };
    let object = if inside.hops.is_empty() { g.class_name(library).into_owned() } else { code_expression(g, &inside) };
    let version = std::fs::read_to_string(format!("{root}/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned));
    let (entries, advice) = advice(&name, &innermost_class, &object).unzip();
    Some(Package {
        fed_by: fed_by(g, scripts, path, &hops[..at.min(hops.len())]),
        name,
        version,
        object,
        advice: advice.map(str::to_owned),
        entries: entries.map(str::to_owned),
    })
}

fn script_of(g: &HeapGraph, scripts: &Scripts, node: u32) -> Option<String> {
    g.location_of(node).and_then(|l| scripts.resolve(g, l).script)
}

/// The folder of the package a script belongs to and the package's name:
/// `/app/node_modules/@s/p/lib/x.js` -> (`/app/node_modules/@s/p`, `@s/p`).
fn package_root(script: &str) -> Option<(String, String)> {
    let script = script.strip_prefix("file://").unwrap_or(script);
    let (before, after) = script.rsplit_once("/node_modules/")?;
    let mut parts = after.split('/');
    let first = parts.next()?;
    let name = if first.starts_with('@') { format!("{first}/{}", parts.next()?) } else { first.to_owned() };
    Some((format!("{before}/node_modules/{name}"), name))
}

/// The program's code on the way to the library: the last function of the program on the path
/// before the library, else a function of the start's module that uses the start's variable,
/// else the module itself.
fn fed_by(g: &HeapGraph, scripts: &Scripts, path: &ReadablePath, before: &[Hop]) -> Option<SourceRef> {
    let s = &g.snapshot;
    let is_program = |script: &str| !script.starts_with("node:") && !script.contains("/node_modules/");
    let closure = g.node_kinds.closure;
    for hop in before.iter().rev() {
        if u16::from(s.nodes.kind[hop.from as usize]) == closure {
            if let Some(source) =
                super::source_ref(g, scripts, "feeds", hop.from, super::primary::function_name(g, hop.from))
            {
                if is_program(&source.location) {
                    return Some(source);
                }
            }
        }
    }
    let module = path.start_label.as_deref()?.strip_prefix("module ")?.to_owned();
    if !is_program(&module) {
        return None;
    }
    let first = path.path.hops.first()?;
    let variable = g.edge_name(first.edge);
    let user = g
        .retainers()
        .of(path.path.start)
        .iter()
        .filter(|&&e| s.strings.eq(s.edges.name_or_index(e as usize), "context"))
        .take(CLOSURES_READ)
        .map(|&e| s.edge_source(e))
        .filter(|&f| u16::from(s.nodes.kind[f as usize]) == closure)
        .find_map(|f| {
            let location = g.location_of(f)?;
            let source = super::source_text::script_text(g, scripts, location.script_id)?;
            let text = super::captured::function_text(&source, location.line as usize, location.column as usize)?;
            let offset = super::captured::mention(text, &variable)?;
            let line = location.line as usize + text[..offset].matches('\n').count();
            let line_text = source.lines().nth(line).map(|l| l.trim().to_owned());
            let position = scripts.resolve(g, location);
            let file = position.script.unwrap_or_default();
            Some(SourceRef {
                role: "feeds",
                name: super::primary::function_name(g, f),
                location: format!("{file}:{}", line + 1),
                line: line_text,
            })
        });
    user.or(Some(SourceRef { role: "feeds", name: format!("module scope ({variable})"), location: module, line: None }))
}

/// What the library's own documentation says about a misuse it is known for: the library's
/// word for the entries that pile up, and its advice.
fn advice(package: &str, class: &str, object: &str) -> Option<(&'static str, &'static str)> {
    Some(match package {
        "express-session" if class == "MemoryStore" => (
            "session (JSON string)",
            "express-session's default MemoryStore keeps every session in the process and never frees expired \
             ones; its README warns that it leaks memory and is not meant for production. Use a real session \
             store (connect-redis, connect-mongo, or memorystore, which prunes), and set saveUninitialized: false \
             so that requests that never touch req.session create no session.",
        ),
        "dataloader" => (
            "cached load",
            "A DataLoader caches every key it has loaded for as long as it lives (loader._cacheMap); DataLoader's \
             README says to create a new DataLoader per request. Create one per request, or pass { cache: false } \
             or a bounded cacheMap, or call loader.clear(key) / clearAll().",
        ),
        "lodash" | "lodash.memoize" | "lodash-es"
            if object.contains("cache") || class.ends_with("Cache") || class == "Hash" =>
        {
            (
                "memoized result",
                "_.memoize keeps every result forever, keyed by the first argument (fn.cache); lodash's docs say to \
             replace _.memoize.Cache to bound it. Memoize only over a bounded set of keys, set _.memoize.Cache to \
             a bounded cache (an LRU), or clear fn.cache.",
            )
        }
        "ajv" => (
            "compiled schema",
            "Ajv caches every schema it compiles, keyed by the schema object itself, for as long as the Ajv instance \
             lives; compiling a new schema object per call grows that cache forever (Ajv's docs: compile each \
             schema once and reuse the validate function). Compile schemas at start-up, or add them once with \
             addSchema and look them up with getSchema.",
        ),
        "rxjs" => (
            "subscriber",
            "Every subscribe() on a long-lived Subject adds a subscriber that stays until it unsubscribes or the \
             Subject completes. Keep the Subscription and call unsubscribe() when done, or end it with take(1), \
             first() or takeUntil().",
        ),
        "prom-client" => (
            "label series",
            "Every distinct set of label values creates a time series that the registry keeps forever: labels \
             with unbounded values (user ids, URLs, request ids) grow it without end. Keep label values to a \
             small fixed set, or remove series with metric.remove(labels) / reset().",
        ),
        "eventemitter3" => (
            "listener",
            "Listeners stay on an EventEmitter until removed: remove them with off(event, fn) when their owner is \
             done, or register them with once().",
        ),
        _ => return None,
    })
}
