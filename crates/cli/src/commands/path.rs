//! `heaplens path`: the shortest retaining paths from a GC root to one node, in words.

use std::io::Write;

use anyhow::Result;
use heaplens_graph::{describe, is_system_path, shortest_paths, HeapGraph, RetainingPath};
use serde::Serialize;

use super::{node_title, print_json, resolve_node, JsonNode};
use crate::args::PathArgs;
use crate::load;
use crate::table;

#[derive(Serialize)]
struct JsonPaths<'g> {
    node: JsonNode<'g>,
    paths: Vec<JsonPath>,
}

#[derive(Serialize)]
struct JsonPath {
    /// The path in words, one step per element.
    steps: Vec<String>,
    /// Starts at the snapshot's root rather than a user root (held only by V8 itself).
    system: bool,
    /// Hops through V8 internals (lower reads more like user code).
    internal_cost: u32,
    /// Id of the root-side start node.
    start: u32,
    hops: Vec<JsonHop>,
}

#[derive(Serialize)]
struct JsonHop {
    from: u32,
    edge_type: String,
    edge_name: String,
    to: u32,
}

fn path_json(graph: &HeapGraph, path: &RetainingPath) -> JsonPath {
    let s = &graph.snapshot;
    JsonPath {
        steps: describe(graph, path),
        system: is_system_path(graph, path),
        internal_cost: path.cost,
        start: s.nodes.id[path.start as usize],
        hops: path
            .hops
            .iter()
            .map(|h| JsonHop {
                from: s.nodes.id[h.from as usize],
                edge_type: graph.edge_type_name(h.edge).to_owned(),
                edge_name: graph.edge_name(h.edge),
                to: s.nodes.id[h.to as usize],
            })
            .collect(),
    }
}

pub fn run(args: &PathArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let node = resolve_node(&graph, &args.file, args.node)?;
    let paths = heaplens_graph::timed("paths", || shortest_paths(&graph, node, args.all.max(1)));
    if args.output.json {
        let json =
            JsonPaths { node: JsonNode::of(&graph, node), paths: paths.iter().map(|p| path_json(&graph, p)).collect() };
        return print_json(out, &json);
    }
    let distance = graph.distance[node as usize];
    writeln!(out, "{} (distance {})", node_title(&graph, node), table::distance(distance))?;
    if paths.is_empty() {
        writeln!(out, "unreachable: no root holds it (it goes at the next garbage collection)")?;
    }
    for (i, path) in paths.iter().enumerate() {
        if paths.len() > 1 {
            writeln!(out, "\npath {}:", i + 1)?;
        }
        if is_system_path(&graph, path) {
            writeln!(out, "  (held only through V8's own roots)")?;
        }
        writeln!(out, "  {}", describe(&graph, path).join("\n  → "))?;
    }
    Ok(())
}
