//! One node in full: sizes, distance, dominator, source location with its line, allocation
//! stack, and its outgoing edges (DevTools' Containment).

use std::fmt;

use heaplens_graph::{allocation_stack, HeapGraph, Scripts, SourcePosition, StackFrame};
use serde::{Serialize, Serializer};

use crate::node::{node_title, JsonLocation, JsonNode};
use crate::table::{self, Align, Table};

/// Outgoing edges listed, by default.
pub const DEFAULT_EDGES: usize = 25;

/// A node's details: `show --json` as its `Serialize`, the fields and the edge table as its
/// `Display`.
pub struct Show<'g> {
    graph: &'g HeapGraph,
    node: u32,
    source: Option<SourcePosition>,
    stack: Vec<StackFrame>,
    /// The largest outgoing edges shown, largest retained target first.
    edges: Vec<u32>,
    /// Outgoing edges in all.
    edge_count: usize,
    retainer_count: usize,
}

/// Outgoing edges, largest retained target first (ties in edge order).
fn containment(graph: &HeapGraph, node: u32) -> Vec<u32> {
    let s = &graph.snapshot;
    let mut edges: Vec<u32> = s
        .edge_range(node)
        .map(|e| e as u32)
        .filter(|&e| u16::from(s.edges.kind(e as usize)) != graph.edge_kinds.invisible)
        .collect();
    edges.sort_by_key(|&e| std::cmp::Reverse(graph.retained_size(s.edges.to_node(e as usize))));
    edges
}

impl<'g> Show<'g> {
    /// `node` with its `edges` largest outgoing edges.
    pub fn new(graph: &'g HeapGraph, node: u32, edges: usize) -> Show<'g> {
        let source = heaplens_graph::timed("source location", || {
            graph.location_of(node).map(|l| Scripts::build(graph).resolve(graph, l))
        });
        let mut listed = containment(graph, node);
        let edge_count = listed.len();
        listed.truncate(edges);
        Show {
            graph,
            node,
            source,
            stack: allocation_stack(graph, node),
            edges: listed,
            edge_count,
            retainer_count: graph.retainer_count(node),
        }
    }
}

#[derive(Serialize)]
struct JsonShow<'g> {
    node: JsonNode<'g>,
    retainer_count: usize,
    location: Option<JsonSource<'g>>,
    allocation_stack: Vec<JsonFrame<'g>>,
    /// Outgoing edges in all; `edges` holds the largest `--edges`.
    edge_count: usize,
    edges: Vec<JsonEdge<'g>>,
}

#[derive(Serialize)]
struct JsonSource<'a> {
    /// Raw values from the snapshot (0-based line and column).
    #[serde(flatten)]
    raw: JsonLocation,
    /// Script name or URL, when the snapshot holds it.
    script: &'a Option<String>,
    /// `script:line:column`, 1-based.
    display: String,
    /// The source line, when the snapshot holds the script's source.
    source_line: &'a Option<String>,
}

#[derive(Serialize)]
struct JsonFrame<'a> {
    function: &'a str,
    script: &'a str,
    script_id: u32,
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct JsonEdge<'g> {
    edge_type: String,
    edge_name: String,
    node: JsonNode<'g>,
}

impl Serialize for Show<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let graph = self.graph;
        JsonShow {
            node: JsonNode::of(graph, self.node),
            retainer_count: self.retainer_count,
            location: self.source.as_ref().map(|p| JsonSource {
                raw: p.location.into(),
                script: &p.script,
                display: p.display(),
                source_line: &p.source_line,
            }),
            allocation_stack: self
                .stack
                .iter()
                .map(|f| JsonFrame {
                    function: &f.function,
                    script: &f.script,
                    script_id: f.script_id,
                    line: f.line,
                    column: f.column,
                })
                .collect(),
            edge_count: self.edge_count,
            edges: self
                .edges
                .iter()
                .map(|&e| JsonEdge {
                    edge_type: graph.edge_type_name(e).to_owned(),
                    edge_name: graph.edge_name(e),
                    node: JsonNode::of(graph, graph.snapshot.edges.to_node(e as usize)),
                })
                .collect(),
        }
        .serialize(serializer)
    }
}

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let graph = self.graph;
        let s = &graph.snapshot;
        let i = self.node as usize;
        writeln!(f, "{}", node_title(graph, self.node))?;
        let field = |f: &mut fmt::Formatter<'_>, name: &str, value: String| writeln!(f, "  {name:<11} {value}");
        field(f, "type", graph.type_name(self.node).to_owned())?;
        field(f, "name", table::clip(&graph.display_name(self.node), 200))?;
        field(f, "class", graph.class_name(self.node).into_owned())?;
        field(f, "self size", table::bytes(u64::from(s.nodes.self_size.get(i))))?;
        field(f, "retained", table::bytes(graph.retained_size(self.node)))?;
        field(f, "distance", table::distance(graph.distance(i as u32)))?;
        field(f, "dominator", node_title(graph, graph.dominator[i]))?;
        field(f, "retainers", self.retainer_count.to_string())?;
        if let Some(p) = &self.source {
            field(f, "location", p.display())?;
            if let Some(line) = &p.source_line {
                field(f, "", format!("| {}", table::clip(line.trim(), 160)))?;
            }
        }
        for (n, frame) in self.stack.iter().enumerate() {
            let function = if frame.function.is_empty() { "(anonymous)" } else { &frame.function };
            let at = frame.location();
            field(f, if n == 0 { "allocated" } else { "" }, format!("{function}  {at}"))?;
        }
        writeln!(f, "\nEdges ({}), largest retained first:", self.edge_count)?;
        let mut t = Table::new(&[
            ("Retained", Align::Right),
            ("Self", Align::Right),
            ("Edge", Align::Left),
            ("Node", Align::Left),
        ]);
        for &e in &self.edges {
            let to = s.edges.to_node(e as usize);
            t.row(vec![
                table::bytes(graph.retained_size(to)),
                table::bytes(u64::from(s.nodes.self_size.get(to as usize))),
                table::clip(&graph.edge_label(e), 50),
                node_title(graph, to),
            ]);
        }
        write!(f, "{t}")?;
        if self.edge_count > self.edges.len() {
            writeln!(f, "… {} more (--edges N shows more)", self.edge_count - self.edges.len())?;
        }
        Ok(())
    }
}
