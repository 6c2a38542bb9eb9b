//! `heaplens find`: nodes matching a class, name or id, largest retained first, a page at a time.

use std::io::Write;

use anyhow::Result;
use heaplens_graph::NodeQuery;
use serde::Serialize;

use super::{node_table, print_json, regex_flag, JsonNode};
use crate::args::FindArgs;
use crate::load;

#[derive(Serialize)]
struct JsonFound<'g> {
    /// Matching nodes in all.
    total: usize,
    offset: usize,
    nodes: Vec<JsonNode<'g>>,
}

pub fn run(args: &FindArgs, out: &mut dyn Write) -> Result<()> {
    let query = NodeQuery {
        class: regex_flag("class", args.class.as_deref())?,
        name: regex_flag("name", args.name.as_deref())?,
        id: args.id,
        min_retained: args.min_retained,
    };
    let graph = load::analyze(&args.file)?;
    let found = heaplens_graph::timed("find", || graph.find(&query));
    let page: Vec<u32> = found.iter().copied().skip(args.offset).take(args.limit).collect();
    if args.output.json {
        let json = JsonFound {
            total: found.len(),
            offset: args.offset,
            nodes: page.iter().map(|&n| JsonNode::of(&graph, n)).collect(),
        };
        return print_json(out, &json);
    }
    node_table(&graph, &page, out)?;
    let end = args.offset + page.len();
    if found.is_empty() {
        writeln!(out, "no node matches")?;
    } else {
        writeln!(out, "{}–{} of {} matching nodes", args.offset + 1, end, found.len())?;
        if end < found.len() {
            writeln!(out, "next page: --offset {end}")?;
        }
    }
    Ok(())
}
