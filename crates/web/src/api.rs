//! The JSON answers behind the web app's views. Every list is sorted and paged here, so the
//! browser only ever holds the rows on screen; every number comes from `heaplens-graph` and
//! `heaplens-leaks`, as the command-line views show it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use heaplens_graph::{ClassDiff, HeapGraph, RetainerView};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::workspace::{lock, read, LoadState, Workspace};

/// A request's query parameters.
pub struct Query(pub HashMap<String, String>);

type Answer = Result<Value, ApiError>;

/// The most rows one request may ask for (the page asks for 100, or 1000 at a time).
const LONGEST_PAGE: usize = 1000;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError(400, message.into())
}

impl Query {
    fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn number(&self, key: &str) -> Result<Option<usize>, ApiError> {
        self.text(key).map(|v| v.parse().map_err(|_| bad(format!("{key} must be a number, not {v:?}")))).transpose()
    }

    fn required(&self, key: &str) -> Result<usize, ApiError> {
        self.number(key)?.ok_or_else(|| bad(format!("{key} is missing")))
    }

    /// The `offset` and `limit` of a page (at most [`LONGEST_PAGE`] rows).
    fn page(&self) -> Result<(usize, usize), ApiError> {
        let limit = self.number("limit")?.unwrap_or(100);
        if limit > LONGEST_PAGE {
            return Err(bad(format!("limit must be at most {LONGEST_PAGE}, not {limit}")));
        }
        Ok((self.number("offset")?.unwrap_or(0), limit))
    }
}

/// Answers `/api/<name>`.
pub fn answer(workspace: &Workspace, name: &str, q: &Query) -> Answer {
    match name {
        "status" => Ok(status(workspace)),
        "summary" => summary(workspace, q),
        "instances" => instances(workspace, q),
        "children" => children(workspace, q),
        "retainers" => retainers(workspace, q),
        "dominated" => dominated(workspace, q),
        "statistics" => statistics(workspace, q),
        "comparison" => comparison(workspace, q),
        "comparison_objects" => comparison_objects(workspace, q),
        "node" => node_by_id(workspace, q),
        "leaks" => Ok(leaks(workspace)),
        _ => Err(ApiError(404, format!("no such view: {name}"))),
    }
}

fn status(w: &Workspace) -> Value {
    let snapshots: Vec<Value> = w
        .snapshots
        .iter()
        .enumerate()
        .map(|(index, slot)| {
            let state = lock(&slot.state).clone();
            let (state, bytes_read, total, error) = match state {
                LoadState::Waiting => ("waiting", 0, None, None),
                LoadState::Loading(p) => ("loading", p.read(), p.total, None),
                LoadState::Analysing => ("analysing", 0, None, None),
                LoadState::Ready => ("ready", 0, None, None),
                LoadState::Failed(e) => ("failed", 0, None, Some(e)),
            };
            let figures = slot.figures.get();
            json!({"index": index, "name": slot.name, "state": state, "read": bytes_read, "total": total,
                   "error": error, "figures": figures})
        })
        .collect();
    let timelines: Vec<Value> =
        w.timelines.iter().enumerate().map(|(i, t)| json!({"index": i, "name": t.name, "kind": t.kind})).collect();
    let prepared = w.prepared.load(std::sync::atomic::Ordering::Acquire);
    json!({"snapshots": snapshots, "timelines": timelines, "leaks_ready": w.leaks.get().is_some(), "prepared": prepared})
}

/// Longest name a row carries (a string node's name is its whole text).
const NAME_LIMIT: usize = 500;

fn clip(text: &str) -> String {
    match text.char_indices().nth(NAME_LIMIT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// One node as every list shows it, with how many children, dominated nodes and retaining
/// edges it has (whether its row can expand in each view).
fn node_row(g: &HeapGraph, node: u32) -> Value {
    let i = node as usize;
    json!({
        "edge_count": g.snapshot.edge_range(node).len(),
        "dominated_count": g.dominated(node).len(),
        "retainer_count": g.retainer_count(node),
        "node": node,
        "id": g.snapshot.nodes.id.get(i),
        "type": g.type_name(node),
        "name": clip(&g.display_name(node)),
        "class": clip(&g.class_name(node)),
        "self_size": g.snapshot.nodes.self_size.get(i),
        "retained_size": g.retained_size(i as u32),
        "distance": g.distance(i as u32),
    })
}

fn location_json(l: Option<heaplens_snapshot::Location>) -> Value {
    l.map_or(Value::Null, |l| json!({"script_id": l.script_id, "line": l.line, "column": l.column}))
}

type Shown<'w> = std::sync::RwLockReadGuard<'w, HeapGraph>;

/// The analysed snapshot `index`, or 409 while it loads.
fn loaded(w: &Workspace, index: usize) -> Result<&RwLock<HeapGraph>, ApiError> {
    w.graph(index).map_err(|e| ApiError(409, e))
}

/// The snapshot the request names (`s`) and its analysis, read-locked.
fn shown<'w>(w: &'w Workspace, q: &Query) -> Result<(usize, Shown<'w>), ApiError> {
    let s = q.required("s")?;
    Ok((s, read(loaded(w, s)?)))
}

fn node_param(g: &HeapGraph, q: &Query) -> Result<u32, ApiError> {
    let node = q.number("node")?.unwrap_or(g.snapshot.root as usize);
    if node >= g.snapshot.node_count() {
        return Err(bad(format!("there is no node {node}")));
    }
    Ok(node as u32)
}

/// The page of `items` (`total` of them) the request asks for, each made a row by `row`.
fn page<T>(q: &Query, total: usize, items: impl Iterator<Item = T>, row: impl Fn(T) -> Value) -> Answer {
    let (offset, limit) = q.page()?;
    let rows: Vec<Value> = items.skip(offset).take(limit).map(row).collect();
    Ok(json!({"total": total, "rows": rows}))
}

/// A class table's page: rows whose name passes the class filter (a case-insensitive substring,
/// as in DevTools), sorted by the requested column (`compare` of the column's name) largest
/// first unless `order=asc`, ties broken by class key.
fn class_page<T>(
    q: &Query,
    rows: &[T],
    name_and_key: impl Fn(&T) -> (&str, &str),
    compare: impl Fn(&str, &T, &T) -> std::cmp::Ordering,
    row: impl Fn(&T) -> Value,
) -> Answer {
    let filter = q.text("filter").map(str::to_lowercase);
    let mut shown: Vec<&T> =
        rows.iter().filter(|r| filter.as_ref().is_none_or(|f| name_and_key(r).0.to_lowercase().contains(f))).collect();
    let column = q.text("sort").unwrap_or("");
    let descending = q.text("order") != Some("asc");
    shown.sort_by(|a, b| {
        let order = compare(column, a, b);
        let order = if descending { order.reverse() } else { order };
        order.then_with(|| name_and_key(a).1.cmp(name_and_key(b).1))
    });
    page(q, shown.len(), shown.into_iter(), row)
}

fn summary(w: &Workspace, q: &Query) -> Answer {
    let s = q.required("s")?;
    let rows = w.summary(s, q.number("between")?)?;
    class_page(
        q,
        &rows,
        |r| (&r.name, &r.key),
        |column, a, b| match column {
            "name" => a.name.cmp(&b.name),
            "count" => a.count.cmp(&b.count),
            "self" => a.self_size.cmp(&b.self_size),
            "distance" => a.distance.cmp(&b.distance),
            _ => a.retained_size.cmp(&b.retained_size),
        },
        |r| {
            json!({"key": r.key, "name": clip(&r.name), "location": location_json(r.location), "count": r.count,
                   "self_size": r.self_size, "retained_size": r.retained_size, "distance": r.distance})
        },
    )
}

/// `nodes` sorted as DevTools lists instances and dominated nodes: largest retained size first.
fn largest_retained_first(g: &HeapGraph, mut nodes: Vec<u32>) -> Vec<u32> {
    nodes.sort_by_key(|&n| (std::cmp::Reverse(g.retained_size(n)), n));
    nodes
}

/// A class's instances, largest retained size first (sorted once per class and filter).
fn instances(w: &Workspace, q: &Query) -> Answer {
    let s = q.required("s")?;
    let graph = loaded(w, s)?;
    let between = q.number("between")?;
    let key = q.text("key").ok_or_else(|| bad("key is missing"))?;
    let members = w.snapshots[s].instances.get((between, key.to_owned()), || {
        let rows = w.summary(s, between)?;
        let class = rows.iter().find(|r| r.key == key).ok_or_else(|| ApiError(404, "no such class".into()))?;
        // Read-locked only after the Summary lets go: a second read lock on one thread could
        // wait forever behind a Comparison's write lock.
        Ok(largest_retained_first(&read(graph), class.members.clone()))
    })?;
    let g = read(graph);
    page(q, members.len(), members.iter(), |&m| node_row(&g, m))
}

/// A node's outgoing edges, in the snapshot's order (DevTools' Containment).
fn children(w: &Workspace, q: &Query) -> Answer {
    let (s, g) = shown(w, q)?;
    let node = node_param(&g, q)?;
    let edges = g.snapshot.edge_range(node);
    let mut answer = page(q, edges.len(), edges, |e| edge_row(&g, e as u32, g.snapshot.edges.to_node(e)))?;
    answer["node"] = node_row(&g, node);
    answer["source"] = source(w, s, &g, node);
    Ok(answer)
}

/// A node reached through `edge`: its row with the edge's label and type.
fn edge_row(g: &HeapGraph, edge: u32, node: u32) -> Value {
    let mut row = node_row(g, node);
    row["edge"] = json!(clip(&g.edge_label(edge)));
    row["edge_type"] = json!(g.edge_type_name(edge));
    row
}

/// Where a closure or an object's constructor is written, when the snapshot says.
fn source(w: &Workspace, s: usize, g: &HeapGraph, node: u32) -> Value {
    let Some(location) = g.location_of(node) else { return Value::Null };
    let Some(scripts) = w.snapshots[s].scripts.get() else { return Value::Null };
    let position = scripts.resolve(g, location);
    json!({"at": position.display(), "line": position.source_line.as_deref().map(clip)})
}

/// Ordinals of ignored retainers, from `ignore=1,2,3`, sorted.
fn ignored(q: &Query, g: &HeapGraph) -> Result<Vec<u32>, ApiError> {
    let Some(list) = q.text("ignore") else { return Ok(Vec::new()) };
    let mut nodes = list
        .split(',')
        .map(|n| {
            n.parse::<u32>()
                .ok()
                .filter(|&n| (n as usize) < g.snapshot.node_count())
                .ok_or_else(|| bad(format!("ignore: {n:?} is not a node")))
        })
        .collect::<Result<Vec<u32>, ApiError>>()?;
    nodes.sort_unstable();
    nodes.dedup();
    Ok(nodes)
}

/// The Retainers pane: who holds `node`, closest to the roots first.
fn retainers(w: &Workspace, q: &Query) -> Answer {
    let (s, g) = shown(w, q)?;
    let node = node_param(&g, q)?;
    let ignoring = w.snapshots[s].ignoring(&g, ignored(q, &g)?);
    let view = RetainerView::reusing(&g, &ignoring);
    let all = view.retainers(node);
    page(q, all.len(), all.iter(), |r| {
        let mut row = edge_row(&g, r.edge, r.retainer);
        row["distance"] = json!(r.distance);
        row["ignored"] = json!(view.is_ignored(r.retainer));
        row
    })
}

/// The Dominators view: the nodes `node` immediately dominates, largest retained size first
/// (sorted once per node).
fn dominated(w: &Workspace, q: &Query) -> Answer {
    let (s, g) = shown(w, q)?;
    let node = node_param(&g, q)?;
    let children = w.snapshots[s].dominated.get(node, || Ok(largest_retained_first(&g, g.dominated(node).to_vec())))?;
    let mut answer = page(q, children.len(), children.iter(), |&c| node_row(&g, c))?;
    answer["node"] = node_row(&g, node);
    Ok(answer)
}

fn statistics(w: &Workspace, q: &Query) -> Answer {
    let (_, g) = shown(w, q)?;
    let st = &g.statistics;
    let other = st.v8heap_total.saturating_sub(st.code + st.strings + st.js_arrays + st.system);
    Ok(json!({
        "total": st.total,
        "parts": [
            {"name": "Code", "size": st.code},
            {"name": "Strings", "size": st.strings},
            {"name": "JS arrays", "size": st.js_arrays},
            {"name": "Typed arrays", "size": st.typed_arrays},
            {"name": "System objects", "size": st.system},
            {"name": "Other JS objects", "size": other},
            {"name": "Other non-JS objects", "size": st.native_total.saturating_sub(st.typed_arrays)},
        ],
    }))
}

/// The Comparison rows of snapshot `s` against `base`, with the two indexes.
fn comparison_rows(w: &Workspace, q: &Query) -> Result<(usize, usize, Arc<Vec<ClassDiff>>), ApiError> {
    let (s, base) = (q.required("s")?, q.required("base")?);
    let rows = w.comparison(s, base)?;
    Ok((s, base, rows))
}

/// The Comparison view of snapshot `s` against `base`.
fn comparison(w: &Workspace, q: &Query) -> Answer {
    let (_, _, rows) = comparison_rows(w, q)?;
    class_page(
        q,
        &rows,
        |r| (&r.name, &r.key),
        |column, a: &ClassDiff, b: &ClassDiff| match column {
            "name" => a.name.cmp(&b.name),
            "added_count" => a.added_count.cmp(&b.added_count),
            "removed_count" => a.removed_count.cmp(&b.removed_count),
            "count_delta" => a.count_delta().cmp(&b.count_delta()),
            "added_size" => a.added_size.cmp(&b.added_size),
            "removed_size" => a.removed_size.cmp(&b.removed_size),
            _ => a.size_delta().cmp(&b.size_delta()),
        },
        |r| {
            json!({"key": r.key, "name": clip(&r.name), "location": location_json(r.location),
                   "added_count": r.added_count, "removed_count": r.removed_count, "count_delta": r.count_delta(),
                   "added_size": r.added_size, "removed_size": r.removed_size, "size_delta": r.size_delta()})
        },
    )
}

/// A Comparison row's objects: those the current snapshot added (`side=added`, rows of
/// snapshot `s`) or those it no longer has (`side=removed`, rows of the base), in id order.
/// Each row names its snapshot (`s`), where its children and retainers are.
fn comparison_objects(w: &Workspace, q: &Query) -> Answer {
    let (s, base, rows) = comparison_rows(w, q)?;
    let key = q.text("key").ok_or_else(|| bad("key is missing"))?;
    let row =
        rows.iter().find(|r| r.key == key).ok_or_else(|| ApiError(404, "no such class in this comparison".into()))?;
    let (snapshot, nodes) = match q.text("side") {
        Some("added") => (s, &row.added),
        Some("removed") => (base, &row.removed),
        other => return Err(bad(format!("side must be added or removed, not {other:?}"))),
    };
    let g = read(loaded(w, snapshot)?);
    page(q, nodes.len(), nodes.iter(), |&n| {
        let mut row = node_row(&g, n);
        row["s"] = json!(snapshot);
        row
    })
}

/// Node search by `@id`.
fn node_by_id(w: &Workspace, q: &Query) -> Answer {
    let (_, g) = shown(w, q)?;
    let text = q.text("id").ok_or_else(|| bad("id is missing"))?;
    let id: u32 = text.trim_start_matches('@').parse().map_err(|_| bad(format!("{text:?} is not a node id")))?;
    let node = g.node_by_id(id).ok_or_else(|| ApiError(404, format!("no node @{id} in this snapshot")))?;
    Ok(node_row(&g, node))
}

fn leaks(w: &Workspace) -> Value {
    match w.leaks.get() {
        None => json!({"pending": true}),
        Some(Err(e)) => json!({"error": e}),
        Some(Ok(report)) => json!({"report": report}),
    }
}
