//! DevTools' Retainers view of one node: who holds it, closest to the roots first, with
//! "ignore this retainer".

use std::fmt;

use heaplens_graph::{HeapGraph, RetainerTree, RetainerView, UNREACHABLE_DISTANCE};
use serde::{Serialize, Serializer};

use crate::node::{node_title, JsonNode};
use crate::table::{self, Align, Table};

/// Levels of retainers shown, by default.
pub const DEFAULT_DEPTH: usize = 4;
/// Retainers shown per node, by default.
pub const DEFAULT_WIDTH: usize = 8;

/// How much of the tree to show.
#[derive(Debug, Clone)]
pub struct RetainersOptions {
    /// Levels of retainers.
    pub depth: usize,
    /// Retainers shown per node (the closest ones).
    pub width: usize,
    /// Node ordinals to ignore: distances are recomputed without passing through them.
    pub ignored: Vec<u32>,
}

/// A node's Retainers tree: `retainers --json` as its `Serialize`, the table as its `Display`.
pub struct Retainers<'g> {
    graph: &'g HeapGraph,
    node: u32,
    ignored: Vec<u32>,
    /// The node's distance with the ignored nodes not passed through.
    distance: i32,
    tree: RetainerTree,
}

impl<'g> Retainers<'g> {
    /// The tree of `node`'s retainers as `options` ask.
    pub fn new(graph: &'g HeapGraph, node: u32, options: &RetainersOptions) -> Retainers<'g> {
        let view = heaplens_graph::timed("retainer view", || RetainerView::new(graph, &options.ignored));
        let tree =
            heaplens_graph::timed("retainer tree", || view.tree(node, options.depth.max(1), options.width.max(1)));
        Retainers { graph, node, ignored: options.ignored.clone(), distance: view.distance(node), tree }
    }
}

#[derive(Serialize)]
struct JsonRetainers<'g> {
    node: JsonNode<'g>,
    ignored: Vec<u32>,
    retainers: JsonTree<'g>,
}

#[derive(Serialize)]
struct JsonTree<'g> {
    /// Retainers in all; `items` holds the first `width`.
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

impl Serialize for Retainers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ids = &self.graph.snapshot.nodes.id;
        JsonRetainers {
            node: JsonNode::of(self.graph, self.node),
            ignored: self.ignored.iter().map(|&n| ids.get(n as usize)).collect(),
            retainers: tree_json(self.graph, &self.tree),
        }
        .serialize(serializer)
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
            table::bytes(u64::from(graph.snapshot.nodes.self_size.get(r.retainer as usize))),
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

impl fmt::Display for Retainers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let graph = self.graph;
        writeln!(
            f,
            "Retainers of {} (distance {}, retained {})",
            node_title(graph, self.node),
            view_distance(self.distance),
            table::bytes(graph.retained_size(self.node))
        )?;
        let mut t = Table::new(&[
            ("Distance", Align::Right),
            ("Self", Align::Right),
            ("Retained", Align::Right),
            ("Retainer", Align::Left),
        ]);
        add_rows(graph, &self.tree, 0, &mut t);
        write!(f, "{t}")?;
        if self.tree.items.is_empty() {
            writeln!(f, "(no retainers: a root, or held only by weak references)")?;
        }
        Ok(())
    }
}
