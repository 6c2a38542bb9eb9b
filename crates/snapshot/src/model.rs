//! The loaded snapshot: nodes and edges as flat columns indexed by `u32` ordinals.
//!
//! Node `i` (its *ordinal*; the file's node index is `i * node field count`) has
//! `kind[i]`, `name[i]`, `id[i]`, `self_size[i]`, and its outgoing edges are the ordinals
//! `first_edge[i]..first_edge[i + 1]` of the edge columns. Edge `e` goes to node
//! `edges.to_node(e)` (an ordinal, converted from the file's node index while loading).

use crate::strings::StringTable;

/// Node columns (struct of arrays; one entry per node ordinal).
#[derive(Debug, Default, Clone)]
pub struct Nodes {
    /// Index into [`Snapshot::node_types`].
    pub kind: Vec<u8>,
    /// String index of the node's name.
    pub name: Vec<u32>,
    /// V8's node id (stable between snapshots of one process).
    pub id: Vec<u32>,
    /// Shallow size in bytes, as written by V8.
    pub self_size: Vec<u32>,
    /// `first_edge[i]..first_edge[i + 1]` are node `i`'s edges; length is node count + 1.
    pub first_edge: Vec<u32>,
    /// Allocation trace node id per node; empty when the snapshot has no such field (Node 24)
    /// or when every value is 0.
    pub trace_node_id: Vec<u32>,
    /// DOM link state per node (0 unknown, 1 attached, 2 detached); empty when absent.
    pub detachedness: Vec<u8>,
}

impl Nodes {
    /// A coarse fingerprint of node `i` that V8 does not change while the object lives: its
    /// type and number of edges. Two snapshots that give one id to nodes of different shapes
    /// do not number objects alike.
    pub fn shape(&self, i: usize) -> u32 {
        let edges = self.first_edge[i + 1] - self.first_edge[i];
        (u32::from(self.kind[i]) << 24) | edges.min(0xFF_FFFF)
    }
}

/// Edge columns (struct of arrays; one entry per edge ordinal, grouped by source node).
///
/// An edge's target and type share one `u32`: the target's ordinal in the low bits, the type's
/// index in the few bits the file's edge types need above them (three for V8's seven), so an
/// edge takes eight bytes, not nine.
#[derive(Debug, Default, Clone)]
pub struct Edges {
    /// Target ordinal below `kind_shift`, type index from it up.
    packed: Vec<u32>,
    kind_shift: u32,
    /// A string index, or an element/hidden index for the types that have no string name.
    pub name_or_index: Vec<u32>,
}

impl Edges {
    /// Edges of `type_count` types to nodes numbered below `node_count`, to be written into
    /// `packed` and `name_or_index` (zeros, of one length), or why they do not fit: the target
    /// ordinals and the type share 32 bits.
    pub(crate) fn in_columns(
        packed: Vec<u32>,
        name_or_index: Vec<u32>,
        type_count: usize,
        node_count: usize,
    ) -> Result<Edges, String> {
        let kind_bits = (usize::BITS - type_count.saturating_sub(1).leading_zeros()).max(1);
        let kind_shift = 32 - kind_bits;
        if node_count > 1 << kind_shift {
            return Err(format!(
                "{node_count} nodes with {type_count} edge types do not fit in 32-bit edges (at most {} nodes)",
                1u64 << kind_shift
            ));
        }
        Ok(Edges { packed, kind_shift, name_or_index })
    }

    /// Number of edges.
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    /// Whether there are no edges.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    /// Ordinal of edge `e`'s target node.
    #[inline]
    pub fn to_node(&self, e: usize) -> u32 {
        self.packed[e] & self.target_mask()
    }

    /// Edge `e`'s type: an index into [`Snapshot::edge_types`].
    #[inline]
    pub fn kind(&self, e: usize) -> u8 {
        (self.packed[e] >> self.kind_shift) as u8
    }

    /// Every edge's target ordinal, in edge order.
    pub fn targets(&self) -> impl Iterator<Item = u32> + '_ {
        let mask = self.target_mask();
        self.packed.iter().map(move |&p| p & mask)
    }

    /// Every edge's type, in edge order.
    pub fn kinds(&self) -> impl Iterator<Item = u8> + '_ {
        self.packed.iter().map(|&p| (p >> self.kind_shift) as u8)
    }

    /// The packed column itself, for loops that take targets by the thousand: entry `e` & the
    /// [`Edges::target_mask`] is edge `e`'s target.
    pub fn packed_targets(&self) -> &[u32] {
        &self.packed
    }

    /// The bits of a packed entry that hold the target.
    #[inline]
    pub fn target_mask(&self) -> u32 {
        (1 << self.kind_shift) - 1
    }

    /// Writable runs of the edges `from..from + first` and of those after (empty when the
    /// columns are: a read that only checks keeps no edges).
    pub(crate) fn split_at_mut(&mut self, from: usize, first: usize) -> (EdgeRun<'_>, EdgeRun<'_>) {
        let shift = self.kind_shift;
        let packed = self.packed.get_mut(from..).unwrap_or_default();
        let names = self.name_or_index.get_mut(from..).unwrap_or_default();
        let at = first.min(packed.len());
        let (packed_a, packed_b) = packed.split_at_mut(at);
        let (names_a, names_b) = names.split_at_mut(at);
        (EdgeRun { packed: packed_a, names: names_a, shift }, EdgeRun { packed: packed_b, names: names_b, shift })
    }
}

/// A run of consecutive edges being written while the file is read.
pub(crate) struct EdgeRun<'a> {
    packed: &'a mut [u32],
    names: &'a mut [u32],
    shift: u32,
}

impl EdgeRun<'_> {
    /// Writes the `i`th edge of the run (`to` fits below the type bits: [`Edges::in_columns`]
    /// checked the node count).
    #[inline]
    pub(crate) fn put(&mut self, i: usize, kind: u8, name: u32, to: u32) {
        self.packed[i] = to | u32::from(kind) << self.shift;
        self.names[i] = name;
    }
}

/// A source position attached to a node (`locations` in the file); 0-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// Ordinal of the node.
    pub node: u32,
    /// V8 script id.
    pub script_id: u32,
    /// 0-based line.
    pub line: u32,
    /// 0-based column.
    pub column: u32,
}

/// A function of the allocation tracker (`trace_function_infos`); 1-based line/column, 0 = unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceFunction {
    /// V8's function id.
    pub function_id: u32,
    /// String index of the function name.
    pub name: u32,
    /// String index of the script name.
    pub script_name: u32,
    /// V8 script id.
    pub script_id: u32,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

/// The allocation call tree (`trace_tree`), flattened: entry `i` has `parent[i]`
/// (`u32::MAX` for top-level entries), and nodes point at entries through their trace node id.
#[derive(Debug, Default, Clone)]
pub struct TraceTree {
    /// Trace node id.
    pub id: Vec<u32>,
    /// Index into [`Snapshot::trace_functions`].
    pub function: Vec<u32>,
    /// Objects allocated at this stack.
    pub count: Vec<u64>,
    /// Bytes allocated at this stack.
    pub size: Vec<u64>,
    /// Position of the parent entry, `u32::MAX` for roots.
    pub parent: Vec<u32>,
}

/// One timeline sample (`samples`): the last object id assigned at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Microseconds since tracking started.
    pub timestamp_us: u64,
    /// Largest object id assigned by then.
    pub last_assigned_id: u64,
}

/// A whole heap snapshot in columns. Built by [`crate::read_path`] or [`crate::read_bytes`];
/// analyses live in `heaplens-graph`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Names of node types (`meta.node_types[type]`), unknown ones kept as written.
    pub node_types: Vec<String>,
    /// Names of edge types (`meta.edge_types[type]`).
    pub edge_types: Vec<String>,
    /// Node columns.
    pub nodes: Nodes,
    /// Edge columns.
    pub edges: Edges,
    /// The string table.
    pub strings: StringTable,
    /// Source positions of nodes, in file order.
    pub locations: Vec<Location>,
    /// Allocation tracker functions (empty without allocation tracking).
    pub trace_functions: Vec<TraceFunction>,
    /// Allocation call tree (empty without allocation tracking).
    pub trace_tree: TraceTree,
    /// Timeline samples (empty unless recorded).
    pub samples: Vec<Sample>,
    /// Ordinal of the root node.
    pub root: u32,
    /// `snapshot.extra_native_bytes` of the header, 0 when absent.
    pub extra_native_bytes: u64,
    /// The header's `node_fields`, as written.
    pub node_fields: Vec<String>,
}

impl Snapshot {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.id.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// The type index named `name`, if the snapshot knows that type.
    pub fn node_type(&self, name: &str) -> Option<u8> {
        self.node_types.iter().position(|t| t == name).map(|i| i as u8)
    }

    /// The edge type index named `name`, if the snapshot knows that type.
    pub fn edge_type(&self, name: &str) -> Option<u8> {
        self.edge_types.iter().position(|t| t == name).map(|i| i as u8)
    }

    /// Edge ordinals of node `node`.
    pub fn edge_range(&self, node: u32) -> std::ops::Range<usize> {
        self.nodes.first_edge[node as usize] as usize..self.nodes.first_edge[node as usize + 1] as usize
    }

    /// The node edge `edge` starts from (a node's edges are contiguous, in node order).
    pub fn edge_source(&self, edge: u32) -> u32 {
        (self.nodes.first_edge.partition_point(|&f| f <= edge) - 1) as u32
    }

    /// Whether edges of type `kind` name their target with a string (all but element and hidden).
    pub fn edge_type_has_string_name(&self, kind: u8) -> bool {
        !matches!(self.edge_types.get(kind as usize).map(String::as_str), Some("element" | "hidden"))
    }

    /// Allocation trace node id of a node, 0 when unknown.
    pub fn trace_node_id(&self, node: u32) -> u32 {
        self.nodes.trace_node_id.get(node as usize).copied().unwrap_or(0)
    }
}

/// The node ids of a snapshot (with each node's [`Nodes::shape`]) and its total size: all a
/// leak search needs of the snapshots before the last one, to tell which objects of a later
/// snapshot were already there.
#[derive(Debug, Clone, Default)]
pub struct NodeIds {
    ids: Vec<u32>,
    shapes: Vec<u32>,
    /// Sum of the nodes' self sizes as written by V8 (before DevTools' ownership transfer).
    pub total_self_size: u64,
    /// Number of nodes.
    pub node_count: usize,
}

impl NodeIds {
    /// Indexes the ids and shapes of `nodes` (any order, as the file gives them).
    pub fn of(nodes: &Nodes) -> NodeIds {
        let node_count = nodes.id.len();
        let mut pairs: Vec<(u32, u32)> = (0..node_count).map(|i| (nodes.id[i], nodes.shape(i))).collect();
        pairs.sort_unstable_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        let (ids, shapes) = pairs.into_iter().unzip();
        let total_self_size = nodes.self_size.iter().map(|&s| u64::from(s)).sum();
        NodeIds { ids, shapes, total_self_size, node_count }
    }

    /// The shape of the node with id `id`, if there is one.
    pub fn shape(&self, id: u32) -> Option<u32> {
        self.ids.binary_search(&id).ok().map(|at| self.shapes[at])
    }

    /// Whether the snapshot has a node with V8 id `id`.
    pub fn contains(&self, id: u32) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// The largest node id, 0 for an empty set.
    pub fn max_id(&self) -> u32 {
        self.ids.last().copied().unwrap_or(0)
    }

    /// The largest odd id: V8 numbers JavaScript objects with odd ids in allocation order, so
    /// this grows from one snapshot of a process to the next (native objects' even ids come
    /// from addresses and do not).
    pub fn max_js_id(&self) -> u32 {
        self.ids.iter().rev().copied().find(|id| id % 2 == 1).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::Edges;

    #[test]
    fn targets_get_the_bits_the_edge_types_leave() {
        let fits = |types, nodes| Edges::in_columns(Vec::new(), Vec::new(), types, nodes).is_ok();
        assert!(fits(7, 1 << 29) && !fits(7, (1 << 29) + 1));
        assert!(fits(9, 1 << 28) && !fits(9, (1 << 28) + 1));
        assert!(fits(1, 1 << 31) && !fits(1, (1 << 31) + 1));
        assert!(fits(256, 1 << 24) && !fits(256, (1 << 24) + 1));
    }
}
