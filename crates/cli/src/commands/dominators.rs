//! `heaplens dominators`: the largest retained subtrees, or one node's dominator chain.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{node_table, print_json, resolve_node, JsonNode};
use crate::args::DominatorsArgs;
use crate::load;
use crate::table;

#[derive(Serialize)]
struct JsonChain<'g> {
    /// The node, its immediate dominator, and so on up to the root.
    chain: Vec<JsonNode<'g>>,
    /// The nodes it dominates directly, largest retained first.
    dominated: Vec<JsonNode<'g>>,
    dominated_total: usize,
}

#[derive(Serialize)]
struct JsonLargest<'g> {
    total_size: u64,
    nodes: Vec<JsonNode<'g>>,
}

pub fn run(args: &DominatorsArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let Some(id) = args.node else {
        let nodes = heaplens_graph::timed("largest retained", || graph.largest_retained(args.top));
        if args.output.json {
            let json = JsonLargest {
                total_size: graph.total_size(),
                nodes: nodes.iter().map(|&n| JsonNode::of(&graph, n)).collect(),
            };
            return print_json(out, &json);
        }
        writeln!(out, "Largest retained subtrees (total size {})", table::bytes(graph.total_size()))?;
        return node_table(&graph, &nodes, out);
    };
    let node = resolve_node(&graph, &args.file, id)?;
    let chain = graph.dominator_chain(node);
    let mut dominated = graph.dominated(node).to_vec();
    dominated.sort_by_key(|&n| (std::cmp::Reverse(graph.retained_size(n)), n));
    let dominated_total = dominated.len();
    dominated.truncate(args.top);
    if args.output.json {
        let json = JsonChain {
            chain: chain.iter().map(|&n| JsonNode::of(&graph, n)).collect(),
            dominated: dominated.iter().map(|&n| JsonNode::of(&graph, n)).collect(),
            dominated_total,
        };
        return print_json(out, &json);
    }
    writeln!(out, "Dominator chain of {}, up to the root:", super::node_title(&graph, node))?;
    node_table(&graph, &chain, out)?;
    writeln!(out, "\nDominates directly ({dominated_total}), largest first:")?;
    node_table(&graph, &dominated, out)?;
    if dominated_total > dominated.len() {
        writeln!(out, "… {} more (--top N shows more)", dominated_total - dominated.len())?;
    }
    Ok(())
}
