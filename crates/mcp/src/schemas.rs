//! The tools' output schemas: the shapes of the CLI's `--json` documents (README, "JSON
//! output"), to the depth an agent needs to find its way; fields may be added.

use serde_json::{json, Map, Value};

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn integer() -> Value {
    json!({ "type": "integer" })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [{ "type": "null" }, schema] })
}

/// A node as every document writes it.
fn node() -> Value {
    object(
        &["id", "type", "name", "class", "self_size", "retained_size", "distance", "dominator"],
        json!({
            "id": integer(), "type": string(), "name": string(), "class": string(),
            "self_size": integer(), "retained_size": integer(), "distance": integer(),
            "dominator": { "type": "integer", "description": "Id of the immediate dominator." }
        }),
    )
}

/// A source location as the snapshot stores it (0-based).
fn location() -> Value {
    nullable(object(
        &["script_id", "line", "column"],
        json!({ "script_id": integer(), "line": integer(), "column": integer() }),
    ))
}

/// Objects added in one interval.
fn added() -> Value {
    object(&["count", "bytes"], json!({ "count": integer(), "bytes": integer() }))
}

fn root(schema: Value) -> Map<String, Value> {
    match schema {
        Value::Object(map) => map,
        _ => unreachable!("a schema is an object"),
    }
}

/// `leaks --json` (and `hunt --json`).
pub fn leak_report() -> Map<String, Value> {
    let source = object(
        &["role", "name", "location", "line"],
        json!({ "role": string(), "name": string(), "location": string(), "line": nullable(string()) }),
    );
    let group = object(
        &[
            "leak",
            "confidence",
            "reason",
            "primary_class",
            "primary_name",
            "growth_per_interval",
            "retained_size",
            "added",
            "classes",
            "container",
            "pattern",
            "sources",
            "example",
            "code",
        ],
        json!({
            "leak": { "type": "boolean" },
            "confidence": { "enum": ["high", "medium", "low"] },
            "reason": string(),
            "primary_class": string(),
            "primary_name": string(),
            "growth_per_interval": integer(),
            "retained_size": integer(),
            "added": array(added()),
            "classes": array(object(&["name", "added"], json!({ "name": string(), "added": array(added()) }))),
            "container": object(&["name", "kind", "id", "path"], json!({
                "name": string(), "kind": string(), "id": integer(), "path": array(string()),
                "package": nullable(json!({ "type": "object" }))
            })),
            "pattern": object(&["id", "title", "fix"], json!({ "id": string(), "title": string(), "fix": string() })),
            "sources": array(source),
            "example": object(&["id", "path"], json!({
                "id": { "type": "integer", "description": "A node of the last snapshot: ask retainers, path or show about it." },
                "path": array(string())
            })),
            "code": string(),
            "captured": nullable(json!({ "type": "object" })),
            "root_count": integer()
        }),
    );
    let account = object(
        &["heap_growth", "added", "leaks", "not_leaks", "engine", "not_attributed"],
        json!({
            "heap_growth": integer(), "added": added(), "leaks": added(), "not_leaks": added(),
            "engine": added(), "not_attributed": added()
        }),
    );
    root(object(
        &["verdict", "confidence", "reason", "snapshots", "min_growth", "groups", "accounting"],
        json!({
            "verdict": { "enum": ["leak", "no leak", "unexplained growth"] },
            "confidence": { "enum": ["high", "medium", "low"] },
            "reason": string(),
            "snapshots": array(object(&["node_count", "total_size"], json!({ "node_count": integer(), "total_size": integer() }))),
            "min_growth": integer(),
            "groups": array(group),
            "engine_internals": array(added()),
            "accounting": array(account),
            "unattributed": array(object(&["name", "class", "id", "added"], json!({
                "name": string(), "class": string(), "id": integer(), "added": array(added())
            })))
        }),
    ))
}

/// `summary --json`.
pub fn summary() -> Map<String, Value> {
    let class = object(
        &["name", "location", "count", "self_size", "retained_size", "distance"],
        json!({
            "name": string(), "location": location(), "count": integer(), "self_size": integer(),
            "retained_size": integer(), "distance": integer()
        }),
    );
    root(object(
        &["node_count", "edge_count", "total_size", "classes"],
        json!({ "node_count": integer(), "edge_count": integer(), "total_size": integer(), "classes": array(class) }),
    ))
}

/// `diff --json`.
pub fn comparison() -> Map<String, Value> {
    let class = object(
        &[
            "name",
            "location",
            "added_count",
            "removed_count",
            "count_delta",
            "added_size",
            "removed_size",
            "size_delta",
        ],
        json!({
            "name": string(), "location": location(), "added_count": integer(), "removed_count": integer(),
            "count_delta": integer(), "added_size": integer(), "removed_size": integer(), "size_delta": integer()
        }),
    );
    root(object(&["classes"], json!({ "classes": array(class) })))
}

/// `retainers --json`: a tree whose items hold trees.
pub fn retainers() -> Map<String, Value> {
    let item = object(
        &["edge_type", "edge_name", "node", "view_distance", "ignored", "cycle", "retainers"],
        json!({
            "edge_type": string(), "edge_name": string(), "node": node(),
            "view_distance": { "type": "integer", "description": ">= 200000000: cut off by the ignored nodes." },
            "ignored": { "type": "boolean" }, "cycle": { "type": "boolean" },
            "retainers": nullable(json!({ "$ref": "#/$defs/tree" }))
        }),
    );
    let tree = object(&["total", "items"], json!({ "total": integer(), "items": array(item) }));
    let mut schema = root(object(
        &["node", "ignored", "retainers"],
        json!({ "node": node(), "ignored": array(integer()), "retainers": { "$ref": "#/$defs/tree" } }),
    ));
    schema.insert("$defs".into(), json!({ "tree": tree }));
    schema
}

/// `path --json`.
pub fn paths() -> Map<String, Value> {
    let hop = object(
        &["from", "edge_type", "edge_name", "to"],
        json!({ "from": integer(), "edge_type": string(), "edge_name": string(), "to": integer() }),
    );
    let path = object(
        &["steps", "system", "internal_cost", "start", "hops"],
        json!({
            "steps": array(string()), "system": { "type": "boolean" }, "internal_cost": integer(),
            "start": integer(), "hops": array(hop)
        }),
    );
    root(object(&["node", "paths"], json!({ "node": node(), "paths": array(path) })))
}

/// `show --json`.
pub fn show() -> Map<String, Value> {
    let source = nullable(object(
        &["script_id", "line", "column", "script", "display", "source_line"],
        json!({
            "script_id": integer(), "line": integer(), "column": integer(), "script": nullable(string()),
            "display": string(), "source_line": nullable(string())
        }),
    ));
    let frame = object(
        &["function", "script", "script_id", "line", "column"],
        json!({ "function": string(), "script": string(), "script_id": integer(), "line": integer(), "column": integer() }),
    );
    let edge = object(
        &["edge_type", "edge_name", "node"],
        json!({ "edge_type": string(), "edge_name": string(), "node": node() }),
    );
    root(object(
        &["node", "retainer_count", "location", "allocation_stack", "edge_count", "edges"],
        json!({
            "node": node(), "retainer_count": integer(), "location": source, "allocation_stack": array(frame),
            "edge_count": integer(), "edges": array(edge)
        }),
    ))
}

/// The snapshots `take_snapshot` wrote.
pub fn snapshots() -> Map<String, Value> {
    let file = object(
        &["path", "bytes", "node_count"],
        json!({ "path": string(), "bytes": integer(), "node_count": integer() }),
    );
    root(object(
        &["pid", "node_version", "snapshots"],
        json!({ "pid": integer(), "node_version": string(), "snapshots": array(file) }),
    ))
}
