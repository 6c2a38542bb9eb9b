//! The shortest retaining paths from a GC root to one node, in words.

use std::fmt;

use heaplens_graph::{describe, is_system_path, shortest_paths, HeapGraph, RetainingPath};
use serde::{Serialize, Serializer};

use crate::node::{node_title, JsonNode};
use crate::table;

/// A node's shortest retaining paths, best first: `path --json` as its `Serialize`, the words as
/// its `Display`.
pub struct Paths<'g> {
    graph: &'g HeapGraph,
    node: u32,
    paths: Vec<RetainingPath>,
}

impl<'g> Paths<'g> {
    /// Up to `limit` (at least 1) different shortest paths to `node`.
    pub fn new(graph: &'g HeapGraph, node: u32, limit: usize) -> Paths<'g> {
        let paths = heaplens_graph::timed("paths", || shortest_paths(graph, node, limit.max(1)));
        Paths { graph, node, paths }
    }
}

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
        start: s.nodes.id.get(path.start as usize),
        hops: path
            .hops
            .iter()
            .map(|h| JsonHop {
                from: s.nodes.id.get(h.from as usize),
                edge_type: graph.edge_type_name(h.edge).to_owned(),
                edge_name: graph.edge_name(h.edge),
                to: s.nodes.id.get(h.to as usize),
            })
            .collect(),
    }
}

impl Serialize for Paths<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        JsonPaths {
            node: JsonNode::of(self.graph, self.node),
            paths: self.paths.iter().map(|p| path_json(self.graph, p)).collect(),
        }
        .serialize(serializer)
    }
}

impl fmt::Display for Paths<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let graph = self.graph;
        let distance = graph.distance(self.node);
        writeln!(f, "{} (distance {})", node_title(graph, self.node), table::distance(distance))?;
        if self.paths.is_empty() {
            writeln!(f, "unreachable: no root holds it (it goes at the next garbage collection)")?;
        }
        for (i, path) in self.paths.iter().enumerate() {
            if self.paths.len() > 1 {
                writeln!(f, "\npath {}:", i + 1)?;
            }
            if is_system_path(graph, path) {
                writeln!(f, "  (held only through V8's own roots)")?;
            }
            writeln!(f, "  {}", describe(graph, path).join("\n  → "))?;
        }
        Ok(())
    }
}
