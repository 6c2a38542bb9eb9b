//! One module per subcommand; each turns library results into a table or JSON (the views
//! the MCP server shares come from `heaplens-views`).

pub mod diff;
pub mod dominators;
pub mod find;
pub mod gc;
pub mod hunt;
pub mod leaks;
pub mod mcp;
pub mod nodes;
pub mod path;
pub mod profile;
pub mod report;
pub mod retainers;
pub mod serve;
pub mod show;
pub mod snapshot;
pub mod stats;
pub mod strings;
pub mod summary;
pub mod watch;

use std::io::Write;

use anyhow::Result;
use heaplens_graph::HeapGraph;
use serde::Serialize;

pub use heaplens_views::input::regex_flag;
pub use heaplens_views::node::{cut, node_title, resolve_node, JsonNode};

use crate::table::{self, Align, Table};

/// Writes `value` as one line of JSON to stdout.
pub fn print_json(out: &mut dyn Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Nodes as a table: retained, self, distance and the node.
pub fn node_table(graph: &HeapGraph, nodes: &[u32], out: &mut dyn Write) -> Result<()> {
    let mut t = Table::new(&[
        ("Retained", Align::Right),
        ("Self", Align::Right),
        ("Distance", Align::Right),
        ("Node", Align::Left),
    ]);
    for &n in nodes {
        t.row(vec![
            table::bytes(graph.retained_size(n)),
            table::bytes(u64::from(graph.snapshot.nodes.self_size.get(n as usize))),
            table::distance(graph.distance(n)),
            node_title(graph, n),
        ]);
    }
    t.print(out)?;
    Ok(())
}

/// Prints `view` as one line of JSON (`--json`) or as its text.
pub fn print_view(out: &mut dyn Write, view: &(impl Serialize + std::fmt::Display), json: bool) -> Result<()> {
    if json {
        print_json(out, view)
    } else {
        write!(out, "{view}")?;
        Ok(())
    }
}
