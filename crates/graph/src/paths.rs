//! Shortest retaining paths: chains of real edges from a root to a node, as long as its
//! distance, preferring links through user code over V8 internals, and their wording as a
//! person reads code (`global.server` → `Server._events.request` → `(closure handleRequest)
//! context` → `responseCache` → `Map.get('key-0')` → `QuoteResponse @12345`).

use std::collections::{HashMap, HashSet};

use crate::distances::{NO_DISTANCE, SYSTEM_DISTANCE};
use crate::HeapGraph;

/// One link of a path: `edge` goes from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    /// Ordinal of the holder.
    pub from: u32,
    /// Edge ordinal.
    pub edge: u32,
    /// Ordinal of the held node.
    pub to: u32,
}

/// A path from a root to a node: a user root (distance 1) or the snapshot's root for what
/// only system roots reach, then one hop per edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainingPath {
    /// Where the path starts.
    pub start: u32,
    /// The links, root side first; empty when the node is itself a root.
    pub hops: Vec<Hop>,
    /// How many hops go through V8 internals rather than user code (lower is better).
    pub cost: u32,
}

/// Up to `limit` shortest retaining paths of `target`, best (least internal) first. Empty when
/// no root reaches the node.
pub fn shortest_paths(g: &HeapGraph, target: u32, limit: usize) -> Vec<RetainingPath> {
    if g.distance(target) == NO_DISTANCE || limit == 0 {
        return Vec::new();
    }
    let closer = closer_retainers_by_cost(g, target);
    let mut paths = Vec::new();
    let mut chain: Vec<(Hop, u32)> = Vec::new();
    collect_paths(&closer, target, &mut chain, &mut paths, limit);
    paths
}

/// One shortest retaining path of `target`, found greedily: at each step the cheapest closer
/// retainer. Costs O(distance) retainer scans, so it suits many nodes where
/// [`shortest_paths`] (the least internal path overall) suits one. `None` when no root
/// reaches the node.
pub fn quick_path(g: &HeapGraph, target: u32) -> Option<RetainingPath> {
    if g.distance(target) == NO_DISTANCE {
        return None;
    }
    let mut hops = Vec::new();
    let mut cost = 0;
    let mut node = target;
    while !is_start(g, node) {
        let (hop, c) = closer_retainers(g, node).into_iter().min_by_key(|&(_, c)| c)?;
        hops.push(hop);
        cost += c;
        node = hop.from;
    }
    hops.reverse();
    Some(RetainingPath { start: node, hops, cost })
}

/// Whether a path may stop at `node`: a user root, or the root itself.
fn is_start(g: &HeapGraph, node: u32) -> bool {
    node == g.snapshot.root || g.distance(node) == 1
}

/// The retainers of `node` that lie one step closer to a root, with the cost of the hop.
fn closer_retainers(g: &HeapGraph, node: u32) -> Vec<(Hop, u32)> {
    let s = &g.snapshot;
    let want = g.distance(node) - 1;
    g.retainers()
        .of(node)
        .iter()
        .rev()
        .filter(|&&e| u16::from(s.edges.kind(e as usize)) != g.edge_kinds.weak)
        .map(|&e| (e, s.edge_source(e)))
        .filter(|&(_, from)| g.distance(from) == want)
        .map(|(edge, from)| (Hop { from, edge, to: node }, hop_cost(g, from, edge)))
        .collect()
}

/// For every node on some shortest path to `target` (roots left out): its closer retainers,
/// those that lead to the cheapest path from a root first.
fn closer_retainers_by_cost(g: &HeapGraph, target: u32) -> HashMap<u32, Vec<(Hop, u32)>> {
    // Walk the shortest-path graph backwards layer by layer, then settle costs root side first.
    let mut layers: Vec<Vec<u32>> = vec![vec![target]];
    let mut seen: HashSet<u32> = HashSet::from([target]);
    let mut closer: HashMap<u32, Vec<(Hop, u32)>> = HashMap::new();
    loop {
        let mut next = Vec::new();
        for &node in layers.last().expect("a layer") {
            if is_start(g, node) {
                continue;
            }
            let options = closer_retainers(g, node);
            next.extend(options.iter().map(|(hop, _)| hop.from).filter(|&from| seen.insert(from)));
            closer.insert(node, options);
        }
        if next.is_empty() {
            break;
        }
        layers.push(next);
    }
    let mut best: HashMap<u32, u32> = HashMap::with_capacity(seen.len());
    for layer in layers.iter().rev() {
        for &node in layer {
            let cost = match closer.get_mut(&node) {
                None => 0,
                Some(options) => {
                    options.sort_by_key(|&(hop, c)| best[&hop.from].saturating_add(c));
                    options.first().map_or(u32::MAX, |&(hop, c)| best[&hop.from].saturating_add(c))
                }
            };
            best.insert(node, cost);
        }
    }
    closer
}

fn collect_paths(
    closer: &HashMap<u32, Vec<(Hop, u32)>>,
    node: u32,
    chain: &mut Vec<(Hop, u32)>,
    paths: &mut Vec<RetainingPath>,
    limit: usize,
) {
    let Some(options) = closer.get(&node) else {
        let hops: Vec<Hop> = chain.iter().rev().map(|&(hop, _)| hop).collect();
        let cost = chain.iter().map(|&(_, c)| c).sum();
        paths.push(RetainingPath { start: node, hops, cost });
        return;
    };
    for &option in options {
        if paths.len() >= limit {
            return;
        }
        chain.push(option);
        collect_paths(closer, option.0.from, chain, paths, limit);
        chain.pop();
    }
}

/// How far a hop is from user code: links between JavaScript objects cost nothing, V8's own
/// links and holders cost more.
fn hop_cost(g: &HeapGraph, from: u32, edge: u32) -> u32 {
    let s = &g.snapshot;
    let (nk, ek) = (&g.node_kinds, &g.edge_kinds);
    let edge_kind = u16::from(s.edges.kind(edge as usize));
    let edge_cost = if edge_kind == ek.property || edge_kind == ek.element || edge_kind == ek.context {
        0
    } else if edge_kind == ek.internal {
        1
    } else {
        3
    };
    let kind = u16::from(s.nodes.kind[from as usize]);
    let name = s.nodes.name[from as usize];
    let holder_cost = if kind == nk.object || kind == nk.closure || kind == nk.regexp {
        if s.strings.starts_with(name, "system / ") && !s.strings.eq(name, "system / Context") {
            4
        } else {
            0
        }
    } else if kind == nk.array || kind == nk.native || kind == nk.synthetic {
        1
    } else {
        4
    };
    edge_cost + holder_cost
}

/// Whether a path runs only through system roots (the snapshot's root, not a user root).
pub fn is_system_path(g: &HeapGraph, path: &RetainingPath) -> bool {
    g.distance(path.start) >= SYSTEM_DISTANCE || path.start == g.snapshot.root
}

/// The path in words: one step per holder that code would name, objects reached through
/// properties folded into one expression, the target last as `Class @id`.
pub fn describe(g: &HeapGraph, path: &RetainingPath) -> Vec<String> {
    describe_from(g, path, None)
}

/// [`describe`], with the path's start written as `start_label` (`module /app/server.js`)
/// when given: a scope that starts a path is then a step of its own, its variable the next.
pub fn describe_from(g: &HeapGraph, path: &RetainingPath, start_label: Option<&str>) -> Vec<String> {
    let s = &g.snapshot;
    let mut steps: Vec<String> = Vec::new();
    let mut current = start_label.map_or_else(|| node_label(g, path.start), str::to_owned);
    let mut previous_edge: Option<u32> = None;
    for hop in &path.hops {
        let mut holder_kind = holder_kind(g, hop.from, previous_edge);
        if holder_kind == HolderKind::Start
            && start_label.is_some()
            && s.strings.eq(s.nodes.name[hop.from as usize], "system / Context")
        {
            holder_kind = HolderKind::Context;
        }
        match holder_kind {
            HolderKind::Start | HolderKind::FoldedObject => {}
            HolderKind::Named => {
                steps.push(std::mem::take(&mut current));
                current = node_label(g, hop.from);
            }
            HolderKind::Context => {
                steps.push(std::mem::take(&mut current));
            }
            HolderKind::CollectionTable => {
                let collection = previous_edge.map_or(hop.from, |e| s.edge_source(e));
                current.push_str(&table_accessor(g, collection, hop, false));
                previous_edge = Some(hop.edge);
                continue;
            }
        }
        if !is_table_link(g, hop) {
            current.push_str(&accessor(g, hop.edge, holder_kind == HolderKind::Context));
        }
        previous_edge = Some(hop.edge);
    }
    steps.push(current);
    steps.retain(|step| !step.is_empty());
    let mut steps = collapse_repeats(steps);
    let target = path.hops.last().map_or(path.start, |h| h.to);
    steps.push(format!("{} @{}", g.class_name(target), s.nodes.id.get(target as usize)));
    steps
}

/// Runs of the same steps (a linked list's `Timeout._idleNext`, a chain of closures) written
/// once with how many times they repeat: `Timeout._idleNext ×342`,
/// `(Config.describe → (anonymous closure) context → previous) ×40`.
fn collapse_repeats(steps: Vec<String>) -> Vec<String> {
    const LONGEST_PERIOD: usize = 4;
    let mut out: Vec<String> = Vec::with_capacity(steps.len());
    let mut i = 0;
    while i < steps.len() {
        let best = (1..=LONGEST_PERIOD)
            .map(|period| {
                let unit = &steps[i..(i + period).min(steps.len())];
                let repeats = steps[i..].chunks_exact(period).take_while(|chunk| *chunk == unit).count();
                (period, repeats)
            })
            .filter(|&(_, repeats)| repeats >= 2)
            .max_by_key(|&(period, repeats)| (period * repeats, std::cmp::Reverse(period)));
        match best {
            Some((period, repeats)) => {
                let unit = steps[i..i + period].join(" → ");
                out.push(if period == 1 { format!("{unit} ×{repeats}") } else { format!("({unit}) ×{repeats}") });
                i += period * repeats;
            }
            None => {
                out.push(steps[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// How code names the node a path leads to: the variable (a closure's context variable or a
/// property of the global object) and the properties, elements and collection entries after
/// it, like `flagStore._events.update`, `timerListMap[45000]` or
/// `registry.handlers.get('done')`. Runs of one link (a linked list's `.next`) are written
/// once with `…`; V8's internal links end the expression at their holder's class.
pub fn code_expression(g: &HeapGraph, path: &RetainingPath) -> String {
    expression(g, path, false)
}

/// [`code_expression`] for one of many objects held alike: the last element index or
/// collection key is written `[i]` or `.get(key)`, as code that reaches any of them would.
pub fn code_expression_of_any(g: &HeapGraph, path: &RetainingPath) -> String {
    expression(g, path, true)
}

/// An object with more properties than this is a dictionary: its keys are data, not names.
const DICTIONARY_SIZE: usize = 64;

fn expression(g: &HeapGraph, path: &RetainingPath, generalise_last: bool) -> String {
    const LONGEST: usize = 8;
    let s = &g.snapshot;
    let ek = &g.edge_kinds;
    let mut accessors: Vec<String> = Vec::new();
    // Links counted toward the longest expression: a run of one link counts once.
    let mut distinct = 0;
    // Whether the last index or key (the one that tells the objects apart) is written generally.
    let mut generalised = false;
    let mut base = node_label(g, path.start);
    for (i, hop) in path.hops.iter().enumerate().rev() {
        let kind = u16::from(s.edges.kind(hop.edge as usize));
        let name = g.edge_name(hop.edge);
        let holder_name = s.nodes.name[hop.from as usize];
        let last = generalise_last && !generalised;
        if is_table_link(g, hop) {
            continue;
        }
        if let Some(into_table) = path.hops[..i].last().filter(|h| h.to == hop.from && is_table_link(g, h)) {
            distinct += 1;
            generalised |= last;
            accessors.push(table_accessor(g, into_table.from, hop, last));
            base = node_label(g, into_table.from);
            continue;
        }
        if s.strings.eq(holder_name, "system / Context") && kind == ek.context {
            base = name;
            break;
        }
        if g.class_name(hop.from) == "global" || s.strings.eq(holder_name, "global") {
            base = format!("global{}", accessor(g, hop.edge, false));
            break;
        }
        if kind == ek.property && name == "exports" && g.class_name(hop.from) == "Module" {
            base = "module.exports".to_owned();
            break;
        }
        let dictionary = kind == ek.property && s.edge_range(hop.from).len() > DICTIONARY_SIZE;
        let link = match () {
            _ if last && kind == ek.element => "[i]".to_owned(),
            _ if last && dictionary => "[key]".to_owned(),
            _ => accessor(g, hop.edge, false),
        };
        generalised |= last && (kind == ek.element || dictionary);
        let repeats = accessors.last() == Some(&link);
        let result = kind == ek.internal && name == "reactions_or_result";
        if (kind != ek.property && kind != ek.element && kind != ek.shortcut && !result)
            || (distinct == LONGEST && !repeats)
        {
            base = node_label(g, hop.to);
            break;
        }
        distinct += usize::from(!repeats);
        accessors.push(link);
        base = expression_base(g, hop.from);
    }
    accessors.reverse();
    fold_runs(&mut accessors);
    base + &accessors.concat()
}

/// How an expression names the object it starts from: a named function by its name
/// (`memoized.cache`), anything else by its label.
fn expression_base(g: &HeapGraph, node: u32) -> String {
    let s = &g.snapshot;
    let name = s.strings.get(s.nodes.name[node as usize]);
    if u16::from(s.nodes.kind[node as usize]) == g.node_kinds.closure && !name.is_empty() {
        return name.into_owned();
    }
    node_label(g, node)
}

/// Writes runs of three or more equal links once, followed by `…`: `.next.next.next` -> `.next…`.
fn fold_runs(accessors: &mut Vec<String>) {
    let mut out: Vec<String> = Vec::with_capacity(accessors.len());
    let mut i = 0;
    while i < accessors.len() {
        let run = accessors[i..].iter().take_while(|a| **a == accessors[i]).count();
        if run >= 3 {
            out.push(format!("{}…", accessors[i]));
        } else {
            out.extend(accessors[i..i + run].iter().cloned());
        }
        i += run;
    }
    *accessors = out;
}

/// Whether `hop` goes from a Map, Set, WeakMap or WeakSet to its hash table.
fn is_table_link(g: &HeapGraph, hop: &Hop) -> bool {
    let s = &g.snapshot;
    u16::from(s.edges.kind(hop.edge as usize)) == g.edge_kinds.internal
        && s.strings.eq(s.edges.name_or_index(hop.edge as usize), "table")
        && COLLECTIONS.iter().any(|c| s.strings.eq(s.nodes.name[hop.from as usize], c))
}

const COLLECTIONS: [&str; 4] = ["Map", "Set", "WeakMap", "WeakSet"];

/// A hop out of a collection's hash table as code reads the entry: `.get('done')` for a Map's
/// value whose key the table holds (V8 keeps a Map entry as key, value, chain: a value's key
/// is the slot before it), `.get(…)` when the key is not an object of the heap, `[…]` for a
/// Set's member or a key. With `any`, the key is written `key`.
fn table_accessor(g: &HeapGraph, collection: u32, hop: &Hop, any: bool) -> String {
    let s = &g.snapshot;
    let slot = |index: u32| {
        s.edge_range(hop.from).find(|&e| {
            u16::from(s.edges.kind(e)) == g.edge_kinds.internal
                && s.strings.eq(s.edges.name_or_index(e), &index.to_string())
        })
    };
    let is_map = ["Map", "WeakMap"].iter().any(|c| s.strings.eq(s.nodes.name[collection as usize], c));
    if !is_map {
        return "[…]".to_owned();
    }
    let index: Option<u32> = g.edge_name(hop.edge).parse().ok();
    match map_entry_key(g, hop) {
        _ if any => ".get(key)".to_owned(),
        Some(key) => format!(".get({})", key_text(g, key)),
        None if index.is_some_and(|i| slot(i + 1).is_some()) => "[key]".to_owned(),
        None => ".get(…)".to_owned(),
    }
}

/// The key of the Map entry whose value the hop out of a Map's hash table reaches, when the
/// heap holds the key as an object (see `table_accessor`).
pub fn map_entry_key(g: &HeapGraph, value_hop: &Hop) -> Option<u32> {
    let s = &g.snapshot;
    let index: u32 = g.edge_name(value_hop.edge).parse().ok().filter(|&i| i > 0)?;
    let key_slot = (index - 1).to_string();
    s.edge_range(value_hop.from)
        .find(|&e| {
            u16::from(s.edges.kind(e)) == g.edge_kinds.internal && s.strings.eq(s.edges.name_or_index(e), &key_slot)
        })
        .map(|e| s.edges.to_node(e))
}

/// A Map key as code writes it: a string quoted, a number as itself, an object by class and id.
fn key_text(g: &HeapGraph, key: u32) -> String {
    let s = &g.snapshot;
    let kind = u16::from(s.nodes.kind[key as usize]);
    let nk = &g.node_kinds;
    if kind == nk.string || kind == nk.cons_string || kind == nk.sliced_string {
        let text = g.display_name(key);
        let short: String = text.chars().take(40).collect();
        let escaped = short.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n");
        return if short.len() < text.len() { format!("'{escaped}…'") } else { format!("'{escaped}'") };
    }
    if kind == nk.number {
        return g.display_name(key);
    }
    format!("{} @{}", g.class_name(key), s.nodes.id.get(key as usize))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HolderKind {
    /// The first node of the path: its label is already there.
    Start,
    /// A plain object or array reached by a property or element: code names it by that path.
    FoldedObject,
    /// A closure's context: code names its variables directly.
    Context,
    /// A Map's or Set's hash table: its slots are the collection's entries.
    CollectionTable,
    /// Anything else starts a new step with its own name.
    Named,
}

fn holder_kind(g: &HeapGraph, node: u32, reached_by: Option<u32>) -> HolderKind {
    let s = &g.snapshot;
    let Some(edge) = reached_by else {
        return HolderKind::Start;
    };
    let edge_kind = u16::from(s.edges.kind(edge as usize));
    let (nk, ek) = (&g.node_kinds, &g.edge_kinds);
    let kind = u16::from(s.nodes.kind[node as usize]);
    let name = s.nodes.name[node as usize];
    if s.strings.eq(name, "system / Context") {
        return HolderKind::Context;
    }
    if edge_kind == ek.internal && s.strings.eq(s.edges.name_or_index(edge as usize), "table") {
        let holder = s.edge_source(edge);
        let holder_name = s.nodes.name[holder as usize];
        if ["Map", "Set", "WeakMap", "WeakSet"].iter().any(|c| s.strings.eq(holder_name, c)) {
            return HolderKind::CollectionTable;
        }
    }
    let by_name = edge_kind == ek.property || edge_kind == ek.element || edge_kind == ek.shortcut;
    let plain = crate::classes::is_plain_object(s, nk, node as usize)
        || (kind == nk.array && !s.strings.starts_with(name, "system / "));
    if by_name && plain {
        HolderKind::FoldedObject
    } else {
        HolderKind::Named
    }
}

/// How a person names a node that starts a step.
fn node_label(g: &HeapGraph, node: u32) -> String {
    let s = &g.snapshot;
    let nk = &g.node_kinds;
    let kind = u16::from(s.nodes.kind[node as usize]);
    let name = s.strings.get(s.nodes.name[node as usize]);
    if node == s.root {
        return "(root)".to_owned();
    }
    if kind == nk.closure {
        return if name.is_empty() { "(anonymous closure)".to_owned() } else { format!("(closure {name})") };
    }
    if crate::classes::is_plain_object(s, nk, node as usize) {
        return "Object".to_owned();
    }
    if name.is_empty() {
        return format!("({})", s.node_types[kind as usize]);
    }
    name.into_owned()
}

/// An edge as code would write it after its holder.
fn accessor(g: &HeapGraph, edge: u32, in_context: bool) -> String {
    let ek = &g.edge_kinds;
    let kind = u16::from(g.snapshot.edges.kind(edge as usize));
    let name = g.edge_name(edge);
    if in_context && (kind == ek.context || (kind == ek.internal && name == "previous")) {
        // A closure variable is named by itself; an outer scope needs no words.
        return if kind == ek.context { name } else { String::new() };
    }
    if kind == ek.property || kind == ek.shortcut || kind == ek.context {
        let is_identifier = |name: &str| {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        };
        // V8 names symbol-keyed properties `<symbol kEvents>` and private fields `#name`.
        if let Some(symbol) = name.strip_prefix("<symbol ").and_then(|n| n.strip_suffix('>')) {
            return format!("[{symbol}]");
        }
        if name.strip_prefix('#').is_some_and(is_identifier) {
            return format!(".{name}");
        }
        return if is_identifier(&name) { format!(".{name}") } else { format!("[{name:?}]") };
    }
    if kind == ek.element {
        return format!("[{name}]");
    }
    if kind == ek.internal && name == "context" {
        return " context".to_owned();
    }
    if kind == ek.internal && name == "reactions_or_result" && g.class_name(g.snapshot.edge_source(edge)) == "Promise" {
        // As DevTools' console shows a promise's value.
        return "[[PromiseResult]]".to_owned();
    }
    if kind == ek.internal && name == "table" {
        return ".table".to_owned();
    }
    format!(" [{} {name}]", g.edge_type_name(edge))
}
