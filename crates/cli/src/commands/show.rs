//! `heaplens show`: one node in full: sizes, distance, dominator, source location with its
//! line, allocation stack, and its outgoing edges (DevTools' Containment).

use std::io::Write;

use anyhow::Result;
use heaplens_graph::{allocation_stack, HeapGraph, Scripts, StackFrame};
use serde::Serialize;

use super::{node_title, print_json, resolve_node, JsonLocation, JsonNode};
use crate::args::ShowArgs;
use crate::load;
use crate::table::{self, Align, Table};

#[derive(Serialize)]
struct JsonShow<'g> {
    node: JsonNode<'g>,
    retainer_count: usize,
    location: Option<JsonSource>,
    allocation_stack: Vec<JsonFrame>,
    /// Outgoing edges in all; `edges` holds the largest `--edges`.
    edge_count: usize,
    edges: Vec<JsonEdge<'g>>,
}

#[derive(Serialize)]
struct JsonSource {
    /// Raw values from the snapshot (0-based line and column).
    #[serde(flatten)]
    raw: JsonLocation,
    /// Script name or URL, when the snapshot holds it.
    script: Option<String>,
    /// `script:line:column`, 1-based.
    display: String,
    /// The source line, when the snapshot holds the script's source.
    source_line: Option<String>,
}

#[derive(Serialize)]
struct JsonFrame {
    function: String,
    script: String,
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

impl From<&StackFrame> for JsonFrame {
    fn from(f: &StackFrame) -> Self {
        JsonFrame {
            function: f.function.clone(),
            script: f.script.clone(),
            script_id: f.script_id,
            line: f.line,
            column: f.column,
        }
    }
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

pub fn run(args: &ShowArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let node = resolve_node(&graph, &args.file, args.node)?;
    let s = &graph.snapshot;
    let source = heaplens_graph::timed("source location", || {
        graph.location_of(node).map(|l| Scripts::build(&graph).resolve(&graph, l))
    });
    let stack = allocation_stack(&graph, node);
    let mut edges = containment(&graph, node);
    let edge_count = edges.len();
    edges.truncate(args.edges);
    let retainer_count = graph.retainer_count(node);
    if args.output.json {
        let json = JsonShow {
            node: JsonNode::of(&graph, node),
            retainer_count,
            location: source.map(|p| JsonSource {
                raw: p.location.into(),
                script: p.script.clone(),
                display: p.display(),
                source_line: p.source_line.clone(),
            }),
            allocation_stack: stack.iter().map(Into::into).collect(),
            edge_count,
            edges: edges
                .iter()
                .map(|&e| JsonEdge {
                    edge_type: graph.edge_type_name(e).to_owned(),
                    edge_name: graph.edge_name(e),
                    node: JsonNode::of(&graph, s.edges.to_node(e as usize)),
                })
                .collect(),
        };
        return print_json(out, &json);
    }
    let i = node as usize;
    writeln!(out, "{}", node_title(&graph, node))?;
    let field = |out: &mut dyn Write, name: &str, value: String| writeln!(out, "  {name:<11} {value}");
    field(out, "type", graph.type_name(node).to_owned())?;
    field(out, "name", table::clip(&graph.display_name(node), 200))?;
    field(out, "class", graph.class_name(node).into_owned())?;
    field(out, "self size", table::bytes(u64::from(s.nodes.self_size[i])))?;
    field(out, "retained", table::bytes(graph.retained_size(i as u32)))?;
    field(out, "distance", table::distance(graph.distance[i]))?;
    field(out, "dominator", node_title(&graph, graph.dominator[i]))?;
    field(out, "retainers", retainer_count.to_string())?;
    if let Some(p) = &source {
        field(out, "location", p.display())?;
        if let Some(line) = &p.source_line {
            field(out, "", format!("| {}", table::clip(line.trim(), 160)))?;
        }
    }
    for (n, frame) in stack.iter().enumerate() {
        let function = if frame.function.is_empty() { "(anonymous)" } else { &frame.function };
        let at = frame.location();
        field(out, if n == 0 { "allocated" } else { "" }, format!("{function}  {at}"))?;
    }
    writeln!(out, "\nEdges ({edge_count}), largest retained first:")?;
    let mut t =
        Table::new(&[("Retained", Align::Right), ("Self", Align::Right), ("Edge", Align::Left), ("Node", Align::Left)]);
    for &e in &edges {
        let to = s.edges.to_node(e as usize);
        t.row(vec![
            table::bytes(graph.retained_size(to)),
            table::bytes(u64::from(s.nodes.self_size[to as usize])),
            table::clip(&graph.edge_label(e), 50),
            node_title(&graph, to),
        ]);
    }
    t.print(out)?;
    if edge_count > edges.len() {
        writeln!(out, "… {} more (--edges N shows more)", edge_count - edges.len())?;
    }
    Ok(())
}
