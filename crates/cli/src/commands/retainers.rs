//! `heaplens retainers`: DevTools' Retainers tree of one node, with "ignore this retainer".

use std::io::Write;

use anyhow::Result;
use heaplens_graph::{HeapGraph, RetainerTree, RetainerView, UNREACHABLE_DISTANCE};
use serde::Serialize;

use super::{node_title, print_json, resolve_node, JsonNode};
use crate::args::RetainersArgs;
use crate::load;
use crate::table::{self, Align, Table};

#[derive(Serialize)]
struct JsonRetainers<'g> {
    node: JsonNode<'g>,
    ignored: Vec<u32>,
    retainers: JsonTree<'g>,
}

#[derive(Serialize)]
struct JsonTree<'g> {
    /// Retainers in all; `items` holds the first `--width`.
    total: usize,
    items: Vec<JsonRetainer<'g>>,
}

#[derive(Serialize)]
struct JsonRetainer<'g> {
    edge_type: String,
    edge_name: String,
    node: JsonNode<'g>,
    /// Distance in this view (ignored nodes not passed through); >= 200000000 when ignoring
    /// cuts the retainer off.
    view_distance: i32,
    ignored: bool,
    /// The retainer already appears further down this branch (not expanded).
    cycle: bool,
    retainers: Option<JsonTree<'g>>,
}

fn tree_json<'g>(graph: &'g HeapGraph, tree: &RetainerTree) -> JsonTree<'g> {
    JsonTree {
        total: tree.total,
        items: tree
            .items
            .iter()
            .map(|item| JsonRetainer {
                edge_type: graph.edge_type_name(item.retainer.edge).to_owned(),
                edge_name: graph.edge_name(item.retainer.edge),
                node: JsonNode::of(graph, item.retainer.retainer),
                view_distance: item.retainer.distance,
                ignored: item.ignored,
                cycle: item.cycle,
                retainers: item.retainers.as_ref().map(|t| tree_json(graph, t)),
            })
            .collect(),
    }
}

fn view_distance(d: i32) -> String {
    if d >= UNREACHABLE_DISTANCE {
        "cut off".into()
    } else {
        table::distance(d)
    }
}

fn add_rows(graph: &HeapGraph, tree: &RetainerTree, depth: usize, t: &mut Table) {
    let indent = "  ".repeat(depth);
    for item in &tree.items {
        let r = item.retainer;
        let mut text = format!("{indent}{} in {}", graph.edge_label(r.edge), node_title(graph, r.retainer));
        if item.ignored {
            text.push_str("  (ignored)");
        }
        if item.cycle {
            text.push_str("  (cycle)");
        }
        t.row(vec![
            view_distance(r.distance),
            table::bytes(u64::from(graph.snapshot.nodes.self_size[r.retainer as usize])),
            table::bytes(graph.retained_size(r.retainer)),
            text,
        ]);
        if let Some(sub) = &item.retainers {
            add_rows(graph, sub, depth + 1, t);
        }
    }
    if tree.total > tree.items.len() {
        t.row(vec![
            String::new(),
            String::new(),
            String::new(),
            format!("{indent}… {} more", tree.total - tree.items.len()),
        ]);
    }
}

pub fn run(args: &RetainersArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let node = resolve_node(&graph, &args.file, args.node)?;
    let ignored = args.ignore.iter().map(|&id| resolve_node(&graph, &args.file, id)).collect::<Result<Vec<_>>>()?;
    let view = heaplens_graph::timed("retainer view", || RetainerView::new(&graph, &ignored));
    let tree = heaplens_graph::timed("retainer tree", || view.tree(node, args.depth.max(1), args.width.max(1)));
    if args.output.json {
        let json = JsonRetainers {
            node: JsonNode::of(&graph, node),
            ignored: args.ignore.clone(),
            retainers: tree_json(&graph, &tree),
        };
        return print_json(out, &json);
    }
    writeln!(
        out,
        "Retainers of {} (distance {}, retained {})",
        node_title(&graph, node),
        view_distance(view.distance(node)),
        table::bytes(graph.retained_size(node))
    )?;
    let mut t = Table::new(&[
        ("Distance", Align::Right),
        ("Self", Align::Right),
        ("Retained", Align::Right),
        ("Retainer", Align::Left),
    ]);
    add_rows(&graph, &tree, 0, &mut t);
    t.print(out)?;
    if tree.items.is_empty() {
        writeln!(out, "(no retainers: a root, or held only by weak references)")?;
    }
    Ok(())
}
