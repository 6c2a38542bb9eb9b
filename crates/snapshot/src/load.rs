//! Walks the top level of a snapshot file and fills the columns of [`Snapshot`], checking every
//! count and index against the header so analyses can index without checks.

use crate::error::{ErrorKind, Result, SnapshotError};
use crate::header::{optional_field, type_names, EdgeLayout, NodeLayout, RawHeader};
use crate::model::{has_string_name, Edges, Location, NodeIds, Nodes, Sample, Snapshot, TraceFunction, TraceTree};
use crate::records::{self, Counted, EdgeSink, LocationSink, NodeIndexes, NodeParts, NodeSink, Numbers, TypeSet};
use crate::scanner::{Scanner, Source};
use crate::strings::StringTable;

use std::fs::File;
use std::sync::Arc;

/// Reads a whole snapshot from an uncompressed JSON stream.
/// `file`, when given, is the uncompressed file `src` reads: long strings stay there.
pub(crate) fn read_json<S: Source>(src: S, file: Option<Arc<File>>) -> Result<Snapshot> {
    walk(src, Parts::All, file)?.finish()
}

/// Reads only the node ids of a snapshot; the rest of the file is still checked for syntax and
/// counts, so a truncated file, or one whose syntax or counts are wrong, fails here as it would
/// in [`read_json`] (the edges' values are counted, not read, so a wrong type or target in
/// them is left to the full read).
pub(crate) fn read_ids_json<S: Source>(src: S) -> Result<NodeIds> {
    walk(src, Parts::NodeIds, None)?.finish_ids()
}

/// Checks a whole snapshot as [`read_ids_json`] does, keeping nothing: returns its node count.
pub(crate) fn check_json<S: Source>(src: S) -> Result<usize> {
    walk(src, Parts::Check, None)?.finish_check()
}

/// What a read keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parts {
    All,
    NodeIds,
    /// Nothing: the file is only checked.
    Check,
}

/// Walks the top level of the file, filling a [`Builder`] with the sections `parts` asks for.
fn walk<S: Source>(src: S, parts: Parts, mut file: Option<Arc<File>>) -> Result<Builder> {
    let mut s = Scanner::new(src);
    match s.peek_token()? {
        None => return Err(SnapshotError::new(ErrorKind::Empty)),
        Some(b'{') => s.bump(),
        Some(_) => return Err(s.error(ErrorKind::NotASnapshot("it does not start with a JSON object".into()))),
    }
    let mut builder: Option<Builder> = None;
    let mut key = Vec::new();
    let mut first = true;
    if s.peek_in("the top-level object")? == b'}' {
        return Err(s.error(ErrorKind::NotASnapshot("the object has no \"snapshot\" header".into())));
    }
    loop {
        key.clear();
        let key_offset = s.offset();
        s.read_raw_string(&mut key, "a top-level key")?;
        s.expect(b':', "the top-level object")?;
        if first && key != b"snapshot" {
            return Err(SnapshotError::at(
                ErrorKind::NotASnapshot(format!(
                    "the first field is \"{}\", not the \"snapshot\" header",
                    String::from_utf8_lossy(&key).chars().take(40).collect::<String>()
                )),
                key_offset,
            ));
        }
        first = false;
        match (key.as_slice(), builder.as_mut()) {
            (b"snapshot", None) => {
                let mut raw = Vec::new();
                s.skip_value(Some(&mut raw), "the snapshot header")?;
                let header = RawHeader::parse(&raw).map_err(|e| e.or_at(key_offset))?;
                builder = Some(Builder::new(header, parts, file.take()).map_err(|e| e.or_at(key_offset))?);
            }
            (b"snapshot", Some(_)) => return Err(duplicate(&s, "snapshot")),
            (_, Some(b)) => b.read_section(&mut s, &key, key_offset)?,
            (_, None) => unreachable!("the first key is checked to be the header"),
        }
        if !s.comma_or(b'}', "the top-level object")? {
            break;
        }
    }
    if let Some(b) = s.peek_token()? {
        return Err(s.error(ErrorKind::Syntax(format!(
            "unexpected {} after the end of the snapshot",
            crate::scanner::describe(b)
        ))));
    }
    Ok(builder.expect("checked above"))
}

fn duplicate<S: Source>(s: &Scanner<S>, key: &str) -> SnapshotError {
    s.error(ErrorKind::Syntax(format!("the \"{key}\" field appears twice")))
}

fn too_large(what: &str, value: u64) -> SnapshotError {
    SnapshotError::inconsistent(records::too_large(what, value))
}

struct Builder {
    parts: Parts,
    header: RawHeader,
    node_layout: NodeLayout,
    edge_layout: EdgeLayout,
    node_types: Vec<String>,
    edge_types: Vec<String>,
    node_count: usize,
    edge_count: usize,
    nodes: Option<Nodes>,
    /// The memory of the nodes' whole ids, done with once they are packed.
    spare: Vec<u32>,
    /// What an ids-only read keeps of the nodes.
    node_ids: Option<NodeIds>,
    edges: Option<Edges>,
    /// The largest name index of a node, and of an edge named by a string: the strings come
    /// last, and are counted against these.
    max_names: (u32, u32),
    /// Whether an ids-only read or a check has counted the edges.
    edges_counted: bool,
    strings: Option<StringTable>,
    /// The file being read, for long strings to stay in (uncompressed files only).
    file: Option<Arc<File>>,
    locations: Option<Vec<Location>>,
    trace_functions: Option<Vec<TraceFunction>>,
    trace_tree: Option<TraceTree>,
    samples: Option<Vec<Sample>>,
}

impl Builder {
    fn new(header: RawHeader, parts: Parts, file: Option<Arc<File>>) -> Result<Builder> {
        let node_layout = header.node_layout()?;
        let edge_layout = header.edge_layout()?;
        let node_types = type_names(&header.meta.node_types, node_layout.kind, "node_types")?;
        let edge_types = type_names(&header.meta.edge_types, edge_layout.kind, "edge_types")?;
        if node_types.len() > 256 || edge_types.len() > 256 {
            return Err(SnapshotError::new(ErrorKind::Header("more than 256 node or edge types".into())));
        }
        let node_count = usize::try_from(header.node_count).ok().filter(|&n| n < u32::MAX as usize);
        let edge_count = usize::try_from(header.edge_count).ok().filter(|&n| n < u32::MAX as usize);
        let (Some(node_count), Some(edge_count)) = (node_count, edge_count) else {
            return Err(SnapshotError::new(ErrorKind::Header(format!(
                "node_count {} or edge_count {} is beyond 4 billion",
                header.node_count, header.edge_count
            ))));
        };
        if node_count == 0 {
            return Err(SnapshotError::new(ErrorKind::Header("node_count is 0: a snapshot has a root node".into())));
        }
        Ok(Builder {
            parts,
            header,
            node_layout,
            edge_layout,
            node_types,
            edge_types,
            node_count,
            edge_count,
            nodes: None,
            spare: Vec::new(),
            node_ids: None,
            edges: None,
            max_names: (0, 0),
            edges_counted: false,
            strings: None,
            file,
            locations: None,
            trace_functions: None,
            trace_tree: None,
            samples: None,
        })
    }

    fn read_section<S: Source>(&mut self, s: &mut Scanner<S>, key: &[u8], key_offset: u64) -> Result<()> {
        if self.parts != Parts::All {
            return self.check_section(s, key);
        }
        match key {
            b"nodes" if self.nodes.is_none() => self.read_nodes(s)?,
            b"edges" if self.edges.is_none() => self.read_edges(s)?,
            b"strings" if self.strings.is_none() => self.strings = Some(read_strings(s, self.file.clone())?),
            b"locations" if self.locations.is_none() && !self.header.meta.location_fields.is_empty() => {
                self.locations = Some(self.read_locations(s)?);
            }
            b"trace_function_infos"
                if self.trace_functions.is_none() && !self.header.meta.trace_function_info_fields.is_empty() =>
            {
                self.trace_functions = Some(self.read_trace_functions(s)?);
            }
            b"trace_tree" if self.trace_tree.is_none() && !self.header.meta.trace_node_fields.is_empty() => {
                self.trace_tree = Some(self.read_trace_tree(s)?);
            }
            b"samples" if self.samples.is_none() && !self.header.meta.sample_fields.is_empty() => {
                self.samples = Some(self.read_samples(s)?);
            }
            b"nodes" | b"edges" | b"strings" | b"locations" | b"trace_function_infos" | b"trace_tree" | b"samples"
                if self.is_read(key) =>
            {
                return Err(SnapshotError::at(
                    ErrorKind::Syntax(format!("the \"{}\" field appears twice", String::from_utf8_lossy(key))),
                    key_offset,
                ));
            }
            _ => s.skip_value(None, "an unknown top-level field")?,
        }
        Ok(())
    }

    /// For an ids-only read or a check: nodes are kept (ids only) or checked, edges counted
    /// (their syntax checked, their numbers not read), locations checked as the edges are but
    /// with no count to hold them to, everything else skipped.
    fn check_section<S: Source>(&mut self, s: &mut Scanner<S>, key: &[u8]) -> Result<()> {
        match key {
            b"nodes" if self.nodes.is_none() && self.node_ids.is_none() => self.read_nodes(s)?,
            b"edges" if !self.edges_counted => {
                let width = self.edge_layout.count;
                let mut sink = Counted::new(width, self.edge_count, "edges", "edge_count");
                let end = s.read_records("the edges array", &mut sink)?;
                sink.finish(end)?;
                self.edges_counted = true;
            }
            b"nodes" | b"edges" => return Err(duplicate(s, &String::from_utf8_lossy(key))),
            b"locations" if !self.header.meta.location_fields.is_empty() => {
                let mut sink = Counted::uncounted(self.header.meta.location_fields.len(), "locations");
                let end = s.read_records("locations", &mut sink)?;
                sink.finish(end)?;
            }
            _ => s.skip_value(None, "a top-level field")?,
        }
        Ok(())
    }

    fn finish_ids(self) -> Result<NodeIds> {
        let missing = |what: &str| SnapshotError::inconsistent(format!("the \"{what}\" array is missing"));
        let ids = self.node_ids.ok_or_else(|| missing("nodes"))?;
        if !self.edges_counted {
            return Err(missing("edges"));
        }
        Ok(ids)
    }

    fn finish_check(self) -> Result<usize> {
        let missing = |what: &str| SnapshotError::inconsistent(format!("the \"{what}\" array is missing"));
        self.nodes.ok_or_else(|| missing("nodes"))?;
        if !self.edges_counted {
            return Err(missing("edges"));
        }
        Ok(self.node_count)
    }

    fn is_read(&self, key: &[u8]) -> bool {
        match key {
            b"nodes" => self.nodes.is_some(),
            b"edges" => self.edges.is_some(),
            b"strings" => self.strings.is_some(),
            b"locations" => self.locations.is_some(),
            b"trace_function_infos" => self.trace_functions.is_some(),
            b"trace_tree" => self.trace_tree.is_some(),
            b"samples" => self.samples.is_some(),
            _ => false,
        }
    }

    fn read_nodes<S: Source>(&mut self, s: &mut Scanner<S>) -> Result<()> {
        // A check validates every record but keeps none: its memory does not grow with the file.
        let parts = match self.parts {
            Parts::All => NodeParts::All,
            Parts::NodeIds => NodeParts::Ids,
            Parts::Check => NodeParts::Checked,
        };
        let mut sink = NodeSink::new(self.node_layout, self.node_types.len(), self.node_count, parts)?;
        let end = s.read_records("the nodes array", &mut sink)?;
        if self.parts == Parts::NodeIds {
            self.node_ids = Some(sink.finish_ids(end, self.edge_count)?);
        } else {
            let (nodes, max_name, spare) = sink.finish(end, self.edge_count)?;
            (self.nodes, self.max_names.0, self.spare) = (Some(nodes), max_name, spare);
        }
        Ok(())
    }

    /// Edges are checked in every read, but kept only by a whole one.
    fn read_edges<S: Source>(&mut self, s: &mut Scanner<S>) -> Result<()> {
        let keep = self.parts == Parts::All;
        let mut sink = EdgeSink::new(
            self.edge_layout,
            self.edge_types.len(),
            TypeSet::of(&self.edge_types, has_string_name),
            self.node_layout.count,
            self.node_count,
            self.edge_count,
            keep,
        )?;
        let end = s.read_records("the edges array", &mut sink)?;
        let (edges, max_string_name) = sink.finish(end)?;
        (self.edges, self.max_names.1) = (Some(edges), max_string_name);
        Ok(())
    }

    fn read_locations<S: Source>(&self, s: &mut Scanner<S>) -> Result<Vec<Location>> {
        let f = &self.header.meta.location_fields;
        let field = |name: &str| {
            optional_field(f, name)
                .ok_or_else(|| SnapshotError::new(ErrorKind::Header(format!("meta.location_fields has no \"{name}\""))))
        };
        let fields = [field("object_index")?, field("script_id")?, field("line")?, field("column")?];
        let nodes = NodeIndexes::new(self.node_layout.count, self.node_count);
        let mut sink = LocationSink::new(fields, f.len(), nodes);
        let end = s.read_records("locations", &mut sink)?;
        sink.finish(end)
    }

    fn read_trace_functions<S: Source>(&self, s: &mut Scanner<S>) -> Result<Vec<TraceFunction>> {
        let f = &self.header.meta.trace_function_info_fields;
        let count = f.len();
        let pos = |name| optional_field(f, name);
        let (id, name, script_name, script_id, line, column) =
            (pos("function_id"), pos("name"), pos("script_name"), pos("script_id"), pos("line"), pos("column"));
        let raw = read_numbers(s, "trace_function_infos", count)?;
        let get = |rec: &[u64], i: Option<usize>| -> Result<u32> {
            i.map_or(Ok(0), |i| u32::try_from(rec[i]).map_err(|_| too_large("trace function field", rec[i])))
        };
        raw.chunks_exact(count)
            .map(|rec| {
                Ok(TraceFunction {
                    function_id: get(rec, id)?,
                    name: get(rec, name)?,
                    script_name: get(rec, script_name)?,
                    script_id: get(rec, script_id)?,
                    line: get(rec, line)?,
                    column: get(rec, column)?,
                })
            })
            .collect()
    }

    /// The trace tree is nested: `[id, function, count, size, [children...], id, ...]`.
    /// Parsed with an explicit stack of parents, so any depth is fine.
    fn read_trace_tree<S: Source>(&self, s: &mut Scanner<S>) -> Result<TraceTree> {
        let f = &self.header.meta.trace_node_fields;
        let children = optional_field(f, "children");
        if children != Some(f.len() - 1) {
            return Err(SnapshotError::new(ErrorKind::Header(
                "meta.trace_node_fields must end with \"children\"".into(),
            )));
        }
        let scalars = f.len() - 1;
        let pos = |name| optional_field(f, name);
        let (id, function, count, size) = (pos("id"), pos("function_info_index"), pos("count"), pos("size"));
        let what = "trace_tree";
        let mut tree = TraceTree::default();
        let mut parents: Vec<u32> = vec![u32::MAX];
        let mut pending: Vec<u64> = Vec::with_capacity(scalars);
        s.expect(b'[', what)?;
        loop {
            match s.peek_in(what)? {
                b'0'..=b'9' => {
                    if pending.len() == scalars {
                        return Err(s.error(ErrorKind::Syntax("a trace tree node has too many fields".into())));
                    }
                    pending.push(s.read_uint(what)?);
                }
                b'[' => {
                    if pending.len() != scalars {
                        return Err(s.error(ErrorKind::Syntax("a trace tree node has too few fields".into())));
                    }
                    let field = |i: Option<usize>| i.map_or(0, |i| pending[i]);
                    let u32_field = |i: Option<usize>| u32::try_from(field(i)).map_err(|_| too_large(what, field(i)));
                    tree.id.push(u32_field(id)?);
                    tree.function.push(u32_field(function)?);
                    tree.count.push(field(count));
                    tree.size.push(field(size));
                    tree.parent.push(*parents.last().expect("never empty inside the tree"));
                    parents.push((tree.id.len() - 1) as u32);
                    pending.clear();
                    s.bump();
                }
                b']' => {
                    if !pending.is_empty() {
                        return Err(s.error(ErrorKind::Syntax("a trace tree node has no children list".into())));
                    }
                    s.bump();
                    parents.pop();
                    if parents.is_empty() {
                        return Ok(tree);
                    }
                }
                b',' => s.bump(),
                other => {
                    return Err(s.error(ErrorKind::Syntax(format!(
                        "unexpected {} in trace_tree",
                        crate::scanner::describe(other)
                    ))))
                }
            }
        }
    }

    fn read_samples<S: Source>(&self, s: &mut Scanner<S>) -> Result<Vec<Sample>> {
        let f = &self.header.meta.sample_fields;
        let (count, ts, last) = (f.len(), optional_field(f, "timestamp_us"), optional_field(f, "last_assigned_id"));
        let raw = read_numbers(s, "samples", count)?;
        Ok(raw
            .chunks_exact(count)
            .map(|r| Sample { timestamp_us: ts.map_or(0, |i| r[i]), last_assigned_id: last.map_or(0, |i| r[i]) })
            .collect())
    }

    fn finish(self) -> Result<Snapshot> {
        let missing = |what: &str| SnapshotError::inconsistent(format!("the \"{what}\" array is missing"));
        let nodes = self.nodes.ok_or_else(|| missing("nodes"))?;
        let edges = self.edges.ok_or_else(|| missing("edges"))?;
        let strings = self.strings.ok_or_else(|| missing("strings"))?;
        let string_count = strings.len() as u64;
        let string_named: Vec<bool> = self.edge_types.iter().map(|t| has_string_name(t)).collect();
        // The strings come last in the file, so names are checked here, against the largest
        // ones the reading saw; only when one is past the end are the records gone through
        // again, to find the first bad one.
        let (max_node_name, max_edge_name) = self.max_names;
        let bad_node = (u64::from(max_node_name) >= string_count && !nodes.name.is_empty())
            .then(|| nodes.name.iter().position(|&s| u64::from(s) >= string_count))
            .flatten();
        let named_past_end = |(kind, name): (u8, u32)| string_named[kind as usize] & (u64::from(name) >= string_count);
        let bad_edge = (u64::from(max_edge_name) >= string_count && !edges.is_empty())
            .then(|| edges.kinds().zip(edges.names()).position(named_past_end))
            .flatten();
        if let Some(i) = bad_node {
            return Err(SnapshotError::inconsistent(format!(
                "node {i} has name index {}, but there are only {string_count} strings",
                nodes.name[i]
            )));
        }
        if let Some(e) = bad_edge {
            return Err(SnapshotError::inconsistent(format!(
                "edge {e} has name index {}, but there are only {string_count} strings",
                edges.name_or_index(e)
            )));
        }
        let node_indexes = NodeIndexes::new(self.node_layout.count, self.node_count);
        let to_ordinal = |index: u64, what: &str| -> Result<u32> {
            node_indexes
                .ordinal(index)
                .ok_or_else(|| SnapshotError::inconsistent(format!("{what} {index} is not the index of a node")))
        };
        let root = to_ordinal(self.header.root_index.unwrap_or(0), "root_index")?;
        let locations = self.locations.unwrap_or_default();
        let trace_functions = self.trace_functions.unwrap_or_default();
        for f in &trace_functions {
            if u64::from(f.name) >= string_count || u64::from(f.script_name) >= string_count {
                return Err(SnapshotError::inconsistent("a trace function's name index is out of range"));
            }
        }
        let trace_tree = self.trace_tree.unwrap_or_default();
        if trace_tree.function.iter().any(|&f| f as usize >= trace_functions.len()) {
            return Err(SnapshotError::inconsistent("a trace tree node points past trace_function_infos"));
        }
        let extra_native_bytes = self.header.extra_native_bytes.unwrap_or(0.0);
        Ok(Snapshot {
            node_types: self.node_types,
            edge_types: self.edge_types,
            nodes,
            edges,
            strings,
            locations,
            trace_functions,
            trace_tree,
            samples: self.samples.unwrap_or_default(),
            root,
            extra_native_bytes: if extra_native_bytes.is_finite() && extra_native_bytes > 0.0 {
                extra_native_bytes as u64
            } else {
                0
            },
            node_fields: self.header.meta.node_fields,
            spare: self.spare,
        })
    }
}

/// The numbers of a small array of records of `width` numbers each.
fn read_numbers<S: Source>(s: &mut Scanner<S>, array: &'static str, width: usize) -> Result<Vec<u64>> {
    let mut sink = Numbers::new(width);
    let end = s.read_records(array, &mut sink)?;
    sink.finish(end, array)
}

fn read_strings<S: Source>(s: &mut Scanner<S>, file: Option<Arc<File>>) -> Result<StringTable> {
    let what = "the strings array";
    let mut table = StringTable::new(file);
    s.expect(b'[', what)?;
    if s.peek_in(what)? == b']' {
        s.bump();
        return Ok(table);
    }
    loop {
        let escaped = s.read_raw_string(table.raw_bytes_mut(), what)?;
        // The scanner is just past the closing quote.
        table.finish_raw(escaped, s.offset() - 1);
        if !s.comma_or(b']', what)? {
            break;
        }
    }
    table.shrink();
    Ok(table)
}
