//! A node as every view shows it: in JSON ([`JsonNode`]), in a table cell ([`node_title`]),
//! and found by the id people write ([`resolve_node`]).

use std::borrow::Cow;
use std::path::Path;

use heaplens_graph::HeapGraph;
use serde::Serialize;

use crate::{table, Error};

/// Names longer than this are cut in JSON (in characters).
pub const NAME_LIMIT: usize = 200;

/// `text` cut to `limit` characters.
pub fn cut(mut text: String, limit: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(limit) {
        text.truncate(at);
    }
    text
}

/// The ordinal of node `@id`, or an error naming the file.
pub fn resolve_node(graph: &HeapGraph, file: &Path, id: u32) -> Result<u32, Error> {
    graph.node_by_id(id).ok_or_else(|| Error::NoSuchNode { file: file.to_owned(), id })
}

/// A node as every JSON output writes it.
#[derive(Debug, Serialize)]
pub struct JsonNode<'g> {
    /// V8's id.
    pub id: u32,
    /// The node's type (`object`, `closure`, `string`, ...).
    #[serde(rename = "type")]
    pub kind: &'g str,
    /// DevTools' name (cut to [`NAME_LIMIT`] characters).
    pub name: String,
    /// DevTools' Summary class.
    pub class: Cow<'g, str>,
    /// Shallow size.
    pub self_size: u32,
    /// Retained size.
    pub retained_size: u64,
    /// Distance from the roots (DevTools' raw value).
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
            id: s.nodes.id.get(i),
            kind: graph.type_name(node),
            name: cut(graph.display_name(node), NAME_LIMIT),
            class: graph.class_name(node),
            self_size: s.nodes.self_size.get(i),
            retained_size: graph.retained_size(i as u32),
            distance: graph.distance(i as u32),
            dominator: s.nodes.id.get(graph.dominator[i] as usize),
        }
    }
}

/// A node for a table cell: `Class @id`, with its name when that says more than the class.
pub fn node_title(graph: &HeapGraph, node: u32) -> String {
    let class = graph.class_name(node);
    let name = graph.display_name(node);
    let id = graph.snapshot.nodes.id.get(node as usize);
    if name.is_empty() || name == class {
        format!("{} @{id}", table::clip(&class, 60))
    } else {
        format!("{} {:?} @{id}", table::clip(&class, 40), table::clip(&name, 50))
    }
}

/// A source location exactly as the snapshot gives it (0-based line and column).
#[derive(Debug, Serialize)]
pub struct JsonLocation {
    /// V8's script id.
    pub script_id: u32,
    /// 0-based line.
    pub line: u32,
    /// 0-based column.
    pub column: u32,
}

impl From<heaplens_snapshot::Location> for JsonLocation {
    fn from(l: heaplens_snapshot::Location) -> Self {
        JsonLocation { script_id: l.script_id, line: l.line, column: l.column }
    }
}
