//! One module per subcommand; each turns library results into a table or JSON.

pub mod diff;
pub mod dominators;
pub mod find;
pub mod gc;
pub mod hunt;
pub mod leaks;
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

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Result};
use heaplens_graph::HeapGraph;
use regex::Regex;
use serde::Serialize;

use crate::table::{self, Align, Table};

/// A `--FLAG REGEX` compiled, with a one-line error that names the flag.
pub fn regex_flag(flag: &str, pattern: Option<&str>) -> Result<Option<Regex>> {
    pattern
        .map(|p| {
            Regex::new(p).map_err(|e| {
                // The regex crate draws the pattern with a caret on several lines; keep the verdict.
                let text = e.to_string();
                let reason =
                    text.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("invalid").to_owned();
                anyhow!("--{flag} {p:?} is not a valid regular expression ({})", reason.trim_start_matches("error: "))
            })
        })
        .transpose()
}

/// A `--class REGEX` flag compiled.
pub fn class_filter(pattern: Option<&str>) -> Result<Option<Regex>> {
    regex_flag("class", pattern)
}

/// The ordinal of node `@id`, or an error naming the file.
pub fn resolve_node(graph: &HeapGraph, file: &Path, id: u32) -> Result<u32> {
    graph.node_by_id(id).ok_or_else(|| anyhow!("{}: no node with id @{id}", file.display()))
}

/// Names longer than this are cut in JSON (in characters).
pub const NAME_LIMIT: usize = 200;

/// `text` cut to `limit` characters.
pub fn cut(mut text: String, limit: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(limit) {
        text.truncate(at);
    }
    text
}

/// A node as every JSON output writes it.
#[derive(Debug, Serialize)]
pub struct JsonNode<'g> {
    pub id: u32,
    #[serde(rename = "type")]
    pub kind: &'g str,
    /// DevTools' name (cut to [`NAME_LIMIT`] characters).
    pub name: String,
    pub class: Cow<'g, str>,
    pub self_size: u32,
    pub retained_size: u64,
    pub distance: i32,
    /// Id of the immediate dominator.
    pub dominator: u32,
}

impl<'g> JsonNode<'g> {
    /// Borrows what it can from the graph: `nodes --jsonl` writes millions of them.
    pub fn of(graph: &'g HeapGraph, node: u32) -> JsonNode<'g> {
        let s = &graph.snapshot;
        let i = node as usize;
        JsonNode {
            id: s.nodes.id[i],
            kind: graph.type_name(node),
            name: cut(graph.display_name(node), NAME_LIMIT),
            class: graph.class_name(node),
            self_size: s.nodes.self_size[i],
            retained_size: graph.retained_size(i as u32),
            distance: graph.distance[i],
            dominator: s.nodes.id[graph.dominator[i] as usize],
        }
    }
}

/// A node for a table cell: `Class @id`, with its name when that says more than the class.
pub fn node_title(graph: &HeapGraph, node: u32) -> String {
    let class = graph.class_name(node);
    let name = graph.display_name(node);
    let id = graph.snapshot.nodes.id[node as usize];
    if name.is_empty() || name == class {
        format!("{} @{id}", table::clip(&class, 60))
    } else {
        format!("{} {:?} @{id}", table::clip(&class, 40), table::clip(&name, 50))
    }
}

/// A source location exactly as the snapshot gives it (0-based line and column).
#[derive(Debug, Serialize)]
pub struct JsonLocation {
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

impl From<heaplens_snapshot::Location> for JsonLocation {
    fn from(l: heaplens_snapshot::Location) -> Self {
        JsonLocation { script_id: l.script_id, line: l.line, column: l.column }
    }
}

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
            table::bytes(u64::from(graph.snapshot.nodes.self_size[n as usize])),
            table::distance(graph.distance[n as usize]),
            node_title(graph, n),
        ]);
    }
    t.print(out)?;
    Ok(())
}
