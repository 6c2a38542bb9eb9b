//! The `snapshot` header: counts and `meta`, which names every field and type of the arrays.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{ErrorKind, Result, SnapshotError};

/// The `meta` object as written by V8.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawMeta {
    pub node_fields: Vec<String>,
    pub node_types: Vec<Value>,
    pub edge_fields: Vec<String>,
    pub edge_types: Vec<Value>,
    #[serde(default)]
    pub trace_function_info_fields: Vec<String>,
    #[serde(default)]
    pub trace_node_fields: Vec<String>,
    #[serde(default)]
    pub sample_fields: Vec<String>,
    #[serde(default)]
    pub location_fields: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawHeader {
    pub meta: RawMeta,
    pub node_count: u64,
    pub edge_count: u64,
    #[serde(default)]
    pub root_index: Option<u64>,
    #[serde(default)]
    pub extra_native_bytes: Option<f64>,
}

/// Where each named field sits in a record of a flat array.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeLayout {
    pub count: usize,
    pub kind: usize,
    pub name: usize,
    pub id: usize,
    pub self_size: usize,
    pub edge_count: usize,
    pub trace_node_id: Option<usize>,
    pub detachedness: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeLayout {
    pub count: usize,
    pub kind: usize,
    pub name_or_index: usize,
    pub to_node: usize,
}

fn header_error(message: String) -> SnapshotError {
    SnapshotError::new(ErrorKind::Header(message))
}

fn field(fields: &[String], name: &str, list: &str) -> Result<usize> {
    fields.iter().position(|f| f == name).ok_or_else(|| header_error(format!("meta.{list} has no \"{name}\" field")))
}

/// Index of a named field when present.
pub(crate) fn optional_field(fields: &[String], name: &str) -> Option<usize> {
    fields.iter().position(|f| f == name)
}

/// The list of type names at `types[position]` (V8 writes the enum of a field as an array).
pub(crate) fn type_names(types: &[Value], position: usize, list: &str) -> Result<Vec<String>> {
    let names = types
        .get(position)
        .and_then(Value::as_array)
        .ok_or_else(|| header_error(format!("meta.{list}[{position}] is not a list of type names")))?;
    names
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| header_error(format!("meta.{list}[{position}] holds a non-string type name")))
        })
        .collect()
}

impl RawHeader {
    pub(crate) fn parse(bytes: &[u8]) -> Result<RawHeader> {
        serde_json::from_slice(bytes).map_err(|e| header_error(e.to_string()))
    }

    pub(crate) fn node_layout(&self) -> Result<NodeLayout> {
        let f = &self.meta.node_fields;
        Ok(NodeLayout {
            count: f.len(),
            kind: field(f, "type", "node_fields")?,
            name: field(f, "name", "node_fields")?,
            id: field(f, "id", "node_fields")?,
            self_size: field(f, "self_size", "node_fields")?,
            edge_count: field(f, "edge_count", "node_fields")?,
            trace_node_id: optional_field(f, "trace_node_id"),
            detachedness: optional_field(f, "detachedness"),
        })
    }

    pub(crate) fn edge_layout(&self) -> Result<EdgeLayout> {
        let f = &self.meta.edge_fields;
        Ok(EdgeLayout {
            count: f.len(),
            kind: field(f, "type", "edge_fields")?,
            name_or_index: field(f, "name_or_index", "edge_fields")?,
            to_node: field(f, "to_node", "edge_fields")?,
        })
    }
}
