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
    pub id: NodeIdColumn,
    /// Shallow size in bytes, as written by V8.
    pub self_size: SizeColumn,
    /// `first_edge[i]..first_edge[i + 1]` are node `i`'s edges; length is node count + 1.
    pub first_edge: Vec<u32>,
    /// Allocation trace node id per node; empty when the snapshot has no such field (Node 24)
    /// or when every value is 0.
    pub trace_node_id: Vec<u32>,
    /// DOM link state (1 attached, 2 detached) of the nodes whose state is not 0 (unknown), by
    /// node; `None` when the snapshot has no such field.
    pub detachedness: Option<Vec<(u32, u8)>>,
}

/// V8's node ids, in a little over two bytes a node. Nodes go in blocks of 64: each block has a
/// base (its smallest id) and each node its offset from the base in 16 bits. V8 writes the
/// nodes of a snapshot almost in id order, so a block's ids lie close together; a block whose
/// ids lie 65,536 or more apart keeps them whole, beside.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NodeIdColumn {
    /// Per block, its smallest id ([`NodeIdColumn::WIDE`] for a block kept whole).
    bases: Vec<u32>,
    /// Per node, its id less its block's base.
    offsets: Vec<u16>,
    /// (block, its ids) of the blocks kept whole, by block.
    wide: Vec<(u32, Box<[u32]>)>,
}

impl NodeIdColumn {
    const BLOCK: usize = 64;
    const WIDE: u32 = u32::MAX;

    /// The id of node `node`.
    #[inline]
    pub fn get(&self, node: usize) -> u32 {
        let block = node / Self::BLOCK;
        match self.bases[block] {
            Self::WIDE => self.wide_ids(block)[node % Self::BLOCK],
            base => base + u32::from(self.offsets[node]),
        }
    }

    #[cold]
    fn wide_ids(&self, block: usize) -> &[u32] {
        let at = self.wide.binary_search_by_key(&(block as u32), |(b, _)| *b).expect("a wide block is listed");
        &self.wide[at].1
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Every node's id, in node order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|node| self.get(node))
    }
}

/// Shallow sizes, in two bytes a node: most objects are smaller than 64 KiB; the sizes from
/// 65,535 up are kept beside.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SizeColumn {
    /// Each size, or [`SizeColumn::LARGE`] for one kept in `large`.
    small: Vec<u16>,
    large: std::collections::HashMap<u32, u32>,
}

impl SizeColumn {
    const LARGE: u16 = u16::MAX;

    /// `len` sizes of 0.
    pub(crate) fn zeroed(len: usize) -> Result<SizeColumn, ()> {
        Ok(SizeColumn { small: bytemuck::allocation::try_zeroed_vec(len)?, large: Default::default() })
    }

    /// The size of node `node`.
    #[inline]
    pub fn get(&self, node: usize) -> u32 {
        match self.small[node] {
            Self::LARGE => self.large[&(node as u32)],
            small => u32::from(small),
        }
    }

    /// Sets the size of node `node`.
    pub fn set(&mut self, node: usize, size: u32) {
        if size >= u32::from(Self::LARGE) {
            self.large.insert(node as u32, size);
            self.small[node] = Self::LARGE;
        } else {
            if self.small[node] == Self::LARGE {
                self.large.remove(&(node as u32));
            }
            self.small[node] = size as u16;
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.small.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.small.is_empty()
    }

    /// Every node's size, in node order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|node| self.get(node))
    }

    /// The two-byte column, for the parser's writers to fill in runs.
    pub(crate) fn small_mut(&mut self) -> &mut [u16] {
        &mut self.small
    }

    /// Adds the sizes the writers found too large for two bytes (their nodes hold
    /// [`SizeColumn::LARGE`] already).
    pub(crate) fn add_large(&mut self, large: impl IntoIterator<Item = (u32, u32)>) {
        self.large.extend(large);
    }

    /// What a writer stores for a size: itself, or [`SizeColumn::LARGE`] when it is kept beside.
    #[inline]
    pub(crate) fn stored(size: u32) -> u16 {
        size.min(u32::from(Self::LARGE)) as u16
    }
}

impl From<&[u32]> for SizeColumn {
    fn from(sizes: &[u32]) -> SizeColumn {
        let mut column = SizeColumn { small: vec![0; sizes.len()], large: Default::default() };
        sizes.iter().enumerate().for_each(|(node, &size)| column.set(node, size));
        column
    }
}

/// Packs the ids on every core, a block at a time.
impl From<&[u32]> for NodeIdColumn {
    fn from(ids: &[u32]) -> NodeIdColumn {
        use rayon::prelude::*;
        let mut bases = vec![0u32; ids.len().div_ceil(Self::BLOCK)];
        let mut offsets = vec![0u16; ids.len()];
        let wide = ids
            .par_chunks(Self::BLOCK)
            .zip(offsets.par_chunks_mut(Self::BLOCK))
            .zip(bases.par_iter_mut())
            .enumerate()
            .with_min_len(1 << 10)
            .filter_map(|(block, ((chunk, offsets), base_out))| {
                let base = chunk.iter().copied().min().unwrap_or(0);
                if chunk.iter().all(|&id| id - base <= u32::from(u16::MAX)) && base != Self::WIDE {
                    *base_out = base;
                    offsets.iter_mut().zip(chunk).for_each(|(offset, &id)| *offset = (id - base) as u16);
                    None
                } else {
                    *base_out = Self::WIDE;
                    Some((block as u32, chunk.into()))
                }
            })
            .collect();
        NodeIdColumn { bases, offsets, wide }
    }
}

impl Nodes {
    /// A coarse fingerprint of node `i` that V8 does not change while the object lives: its
    /// type and number of edges. Two snapshots that give one id to nodes of different shapes
    /// do not number objects alike.
    pub fn shape(&self, i: usize) -> u32 {
        Nodes::shape_of(self.kind[i], self.first_edge[i + 1] - self.first_edge[i])
    }

    /// The shape of a node of type `kind` with `edges` edges.
    pub(crate) fn shape_of(kind: u8, edges: u32) -> u32 {
        (u32::from(kind) << 24) | edges.min(0xFF_FFFF)
    }
}

/// Edge columns (struct of arrays; one entry per edge ordinal, grouped by source node).
///
/// An edge takes six bytes on most snapshots, seven on the others. Its target, its type and the
/// high bits of its name share one `u32`: the target's ordinal in the low bits (as many as the
/// node count needs), the type's index above them (three bits for V8's seven types), and in
/// the bits left over, the name's bits above those its columns hold. The name's low bits are a
/// `u16` column, and bits 16 to 23 a `u8` column when the `u32` leaves too few bits for names
/// up to two million. A name the bits cannot hold (an element of a huge array, a string
/// late in a huge table) is written as the largest value they hold, and listed beside.
#[derive(Debug, Default, Clone)]
pub struct Edges {
    packed: Vec<u32>,
    bits: EdgeBits,
    /// Bits 0 to 15 of each name.
    low: Vec<u16>,
    /// Bits 16 to 23 of each name, when the columns hold 24 bits; empty otherwise.
    middle: Vec<u8>,
    /// (edge, name) of the edges whose name is [`EdgeBits::escape`] or more, by edge.
    large: Vec<(u32, u32)>,
}

/// Where an edge's fields lie in its packed `u32` and its name columns.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct EdgeBits {
    /// The first bit of the type: the target takes the bits below.
    kind_shift: u32,
    /// The type's bits, once shifted down.
    kind_mask: u32,
    /// The first bit of the name's high part (32 when no bit is left for it).
    name_shift: u32,
    /// Bits of the name in the columns: 16 (`low`) or 24 (`low` and `middle`).
    column_bits: u32,
    /// The largest name the bits hold: names from it up are listed in `large`.
    escape: u32,
}

impl EdgeBits {
    /// The layout for `type_count` types and `node_count` nodes, or why they do not fit.
    fn new(type_count: usize, node_count: usize) -> Result<EdgeBits, String> {
        let bits = |count: usize| (usize::BITS - count.saturating_sub(1).leading_zeros()).max(1);
        let (kind_bits, target_bits) = (bits(type_count), bits(node_count));
        if kind_bits + target_bits > 32 {
            return Err(format!(
                "{node_count} nodes with {type_count} edge types do not fit in 32-bit edges (at most {} nodes)",
                1u64 << (32 - kind_bits)
            ));
        }
        let high_bits = 32 - target_bits - kind_bits;
        // Sixteen bits of columns when they and the bits left hold two million names.
        let column_bits = if 16 + high_bits >= 21 { 16 } else { 24 };
        Ok(EdgeBits::laid_out(target_bits, kind_bits, column_bits))
    }

    fn laid_out(target_bits: u32, kind_bits: u32, column_bits: u32) -> EdgeBits {
        let name_shift = target_bits + kind_bits;
        let capacity = (column_bits + 32 - name_shift).min(32);
        EdgeBits {
            kind_shift: target_bits,
            kind_mask: (1 << kind_bits) - 1,
            name_shift,
            column_bits,
            escape: ((1u64 << capacity) - 1) as u32,
        }
    }

    /// The same layout with 24 bits of name columns.
    fn wider(self) -> EdgeBits {
        EdgeBits::laid_out(self.kind_shift, self.kind_mask.count_ones(), 24)
    }

    #[inline]
    fn target_mask(self) -> u32 {
        (1 << self.kind_shift) - 1
    }

    #[inline]
    fn kind(self, packed: u32) -> u8 {
        ((packed >> self.kind_shift) & self.kind_mask) as u8
    }

    /// A packed edge's name bits above the columns.
    #[inline]
    fn high(self, packed: u32) -> u32 {
        packed.checked_shr(self.name_shift).unwrap_or(0) << self.column_bits
    }

    /// The packed `u32` of an edge whose name, as stored (at most `escape`), is `stored`.
    #[inline]
    fn pack(self, to: u32, kind: u8, stored: u32) -> u32 {
        // Shifted in 64 bits: a name shift of 32 (no bit left) drops the high part.
        let high = (u64::from(stored >> self.column_bits) << self.name_shift) as u32;
        to | u32::from(kind) << self.kind_shift | high
    }
}

impl Edges {
    /// Columns for `edge_count` edges of `type_count` types to nodes numbered below
    /// `node_count`, zeros until written (empty when `edge_count` is 0: a read that only checks
    /// keeps no edges), or why they do not fit: targets and types share 32 bits.
    pub(crate) fn zeroed(edge_count: usize, type_count: usize, node_count: usize) -> Result<Edges, String> {
        let bits = EdgeBits::new(type_count, node_count)?;
        let middle = if bits.column_bits == 24 { zeroed_column(edge_count)? } else { Vec::new() };
        let (packed, low) = (zeroed_column(edge_count)?, zeroed_column(edge_count)?);
        Ok(Edges { packed, bits, low, middle, large: Vec::new() })
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
        self.bits.kind(self.packed[e])
    }

    /// Edge `e`'s name: a string index, or an element/hidden index for the types that have no
    /// string name.
    #[inline]
    pub fn name_or_index(&self, e: usize) -> u32 {
        let b = self.bits;
        let mut name = u32::from(self.low[e]) | b.high(self.packed[e]);
        if b.column_bits == 24 {
            name |= u32::from(self.middle[e]) << 16;
        }
        if name == b.escape {
            self.large_name(e)
        } else {
            name
        }
    }

    #[cold]
    fn large_name(&self, e: usize) -> u32 {
        let at = self.large.binary_search_by_key(&(e as u32), |&(edge, _)| edge);
        at.map_or(self.bits.escape, |at| self.large[at].1)
    }

    /// Every edge's target ordinal, in edge order.
    pub fn targets(&self) -> impl Iterator<Item = u32> + '_ {
        let mask = self.target_mask();
        self.packed.iter().map(move |&p| p & mask)
    }

    /// Every edge's type, in edge order.
    pub fn kinds(&self) -> impl Iterator<Item = u8> + '_ {
        let bits = self.bits;
        self.packed.iter().map(move |&p| bits.kind(p))
    }

    /// Every edge's name or index, in edge order.
    pub fn names(&self) -> impl Iterator<Item = u32> + '_ {
        let mut large = self.large.iter().peekable();
        (0..self.len()).map(move |e| {
            let name = self.name_or_index_in_columns(e);
            match large.next_if(|&&(edge, _)| edge as usize == e) {
                Some(&(_, name)) => name,
                None => name,
            }
        })
    }

    /// Edge `e`'s name as the columns hold it (at most the escape value).
    #[inline]
    fn name_or_index_in_columns(&self, e: usize) -> u32 {
        let mut name = u32::from(self.low[e]) | self.bits.high(self.packed[e]);
        if self.bits.column_bits == 24 {
            name |= u32::from(self.middle[e]) << 16;
        }
        name
    }

    /// Asks the processor to start loading edge `e`'s columns, for loops that will read it a
    /// little later and have other work to overlap the load with.
    #[inline]
    pub fn prefetch(&self, e: usize) {
        #[cfg(target_arch = "x86_64")]
        if e < self.len() {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: a prefetch is a hint; it reads nothing and cannot fault.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(self.packed.as_ptr().add(e).cast());
                _mm_prefetch::<_MM_HINT_T0>(self.low.as_ptr().add(e).cast());
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = e;
    }

    /// The packed column itself, for loops that take targets by the thousand: entry `e` & the
    /// [`Edges::target_mask`] is edge `e`'s target.
    pub fn packed_targets(&self) -> &[u32] {
        &self.packed
    }

    /// The bits of a packed entry that hold the target.
    #[inline]
    pub fn target_mask(&self) -> u32 {
        self.bits.target_mask()
    }

    /// Writable runs of the edges `from..from + first` and of those after (empty when the
    /// columns are: a read that only checks keeps no edges); each run lists its large names in
    /// one of `large`.
    pub(crate) fn split_at_mut<'a>(
        &'a mut self,
        from: usize,
        first: usize,
        large: [&'a mut Vec<(u32, u32)>; 2],
    ) -> (EdgeRun<'a>, EdgeRun<'a>) {
        let bits = self.bits;
        let rest = |column_len: usize| (from.min(column_len), (from + first).min(column_len));
        let (start, at) = rest(self.packed.len());
        let (packed_a, packed_b) = self.packed[start..].split_at_mut(at - start);
        let (low_a, low_b) = self.low[start..].split_at_mut(at - start);
        let (start_m, at_m) = rest(self.middle.len());
        let (middle_a, middle_b) = self.middle[start_m..].split_at_mut(at_m - start_m);
        let [large_a, large_b] = large;
        (
            EdgeRun { packed: packed_a, low: low_a, middle: middle_a, large: large_a, first: start as u32, bits },
            EdgeRun { packed: packed_b, low: low_b, middle: middle_b, large: large_b, first: at as u32, bits },
        )
    }

    /// Adds the large names a run listed (after every edge already listed).
    pub(crate) fn append_large(&mut self, large: &mut Vec<(u32, u32)>) {
        self.large.append(large);
    }

    /// Once every edge is written: when more than one edge in 64 has a name too large for 16
    /// bits of columns, they get 24.
    pub(crate) fn finish(&mut self) {
        if self.bits.column_bits == 24 || self.large.len() <= self.len() / 64 {
            return;
        }
        let wider = self.bits.wider();
        let Ok(mut middle) = zeroed_column::<u8>(self.len()) else {
            return;
        };
        let names: Vec<u32> = self.names().collect();
        let mut large = Vec::new();
        for (e, &name) in names.iter().enumerate() {
            let stored = name.min(wider.escape);
            if name >= wider.escape {
                large.push((e as u32, name));
            }
            let to = self.packed[e] & wider.target_mask();
            self.packed[e] = wider.pack(to, self.bits.kind(self.packed[e]), stored);
            self.low[e] = stored as u16;
            middle[e] = (stored >> 16) as u8;
        }
        (self.bits, self.middle, self.large) = (wider, middle, large);
    }
}

/// A column of `edge_count` zeros, not written: its pages cost nothing until a value lands on them.
fn zeroed_column<T: bytemuck::Zeroable>(edge_count: usize) -> Result<Vec<T>, String> {
    bytemuck::allocation::try_zeroed_vec(edge_count)
        .map_err(|()| format!("edge_count {edge_count} is too large to hold in memory"))
}

/// A run of consecutive edges being written while the file is read.
pub(crate) struct EdgeRun<'a> {
    packed: &'a mut [u32],
    low: &'a mut [u16],
    middle: &'a mut [u8],
    large: &'a mut Vec<(u32, u32)>,
    /// The edge ordinal of the run's first edge.
    first: u32,
    bits: EdgeBits,
}

impl EdgeRun<'_> {
    /// Writes the `i`th edge of the run (`to` fits below the type bits: [`Edges::zeroed`]
    /// checked the node count).
    #[inline(always)]
    pub(crate) fn put(&mut self, i: usize, kind: u8, name: u32, to: u32) {
        let b = self.bits;
        let stored = name.min(b.escape);
        if name >= b.escape {
            self.large.push((self.first + i as u32, name));
        }
        self.packed[i] = b.pack(to, kind, stored);
        self.low[i] = stored as u16;
        if b.column_bits == 24 {
            self.middle[i] = (stored >> 16) as u8;
        }
    }
}

/// Whether edges of the type named `name` name their target with a string (all but element and
/// hidden edges, which give an index).
pub(crate) fn has_string_name(name: &str) -> bool {
    !matches!(name, "element" | "hidden")
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
    /// Memory the read is done with, all of its pages but perhaps the last touched already:
    /// room for node count + 1 entries (it held the nodes' ids before they were packed). The
    /// analysis fills it again rather than fresh memory, whose first touch of each page costs a
    /// fault. Empty once taken.
    pub spare: Vec<u32>,
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

    /// The edges `keep` accepts, as (node, edge) ordinals in edge order, looked through on every
    /// core: for scans that keep few of all the edges.
    pub fn edges_where(&self, keep: impl Fn(u32, usize) -> bool + Sync) -> Vec<(u32, u32)> {
        use rayon::prelude::*;
        const NODES_PER_TASK: usize = 1 << 16;
        let n = self.node_count();
        (0..n.div_ceil(NODES_PER_TASK))
            .into_par_iter()
            .flat_map_iter(|task| {
                let nodes = task * NODES_PER_TASK..((task + 1) * NODES_PER_TASK).min(n);
                let keep = &keep;
                nodes.flat_map(move |node| {
                    let node = node as u32;
                    self.edge_range(node).filter(move |&e| keep(node, e)).map(move |e| (node, e as u32))
                })
            })
            .collect()
    }

    /// The node edge `edge` starts from (a node's edges are contiguous, in node order).
    pub fn edge_source(&self, edge: u32) -> u32 {
        (self.nodes.first_edge.partition_point(|&f| f <= edge) - 1) as u32
    }

    /// Whether edges of type `kind` name their target with a string (all but element and hidden).
    pub fn edge_type_has_string_name(&self, kind: u8) -> bool {
        self.edge_types.get(kind as usize).is_none_or(|name| has_string_name(name))
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
    /// (id, shape) of each node, by id.
    pairs: Vec<(u32, u32)>,
    /// Sum of the nodes' self sizes as written by V8 (before DevTools' ownership transfer).
    pub total_self_size: u64,
    /// Number of nodes.
    pub node_count: usize,
}

impl NodeIds {
    /// Indexes the ids and shapes of `nodes` (any order, as the file gives them).
    pub fn of(nodes: &Nodes) -> NodeIds {
        NodeIds::of_first(nodes, nodes.id.len())
    }

    /// What [`NodeIds::of`] gives for a snapshot of only the first `n` of `nodes`: an earlier
    /// snapshot made up from a later one, for tests and the fuzzer.
    pub fn of_first(nodes: &Nodes, n: usize) -> NodeIds {
        let pairs = (0..n).map(|i| (nodes.id.get(i), nodes.shape(i))).collect();
        NodeIds::of_pairs(pairs, nodes.self_size.iter().take(n).map(u64::from).sum())
    }

    /// Indexes (id, shape) pairs, one per node in any order, of nodes whose sizes add up to
    /// `total_self_size`. A node listed twice under one id counts once, with the shape of its
    /// first listing.
    pub(crate) fn of_pairs(mut pairs: Vec<(u32, u32)>, total_self_size: u64) -> NodeIds {
        let node_count = pairs.len();
        // V8 writes nodes in id order but for a few stretches: a stable sort finds those runs
        // and merges them (an unstable one took four times as long), and keeps the listings
        // of one id in file order for the dedup.
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        NodeIds { pairs, total_self_size, node_count }
    }

    /// The shape of the node with id `id`, if there is one.
    pub fn shape(&self, id: u32) -> Option<u32> {
        self.pairs.binary_search_by_key(&id, |p| p.0).ok().map(|at| self.pairs[at].1)
    }

    /// Whether the snapshot has a node with V8 id `id`.
    pub fn contains(&self, id: u32) -> bool {
        self.pairs.binary_search_by_key(&id, |p| p.0).is_ok()
    }

    /// A cursor to look ids up one after the other: V8 writes most nodes in id order, so
    /// looking up the ids of another snapshot in its node order moves a short way each time.
    pub fn cursor(&self) -> IdCursor<'_> {
        IdCursor { ids: self, at: 0 }
    }

    /// The largest node id, 0 for an empty set.
    pub fn max_id(&self) -> u32 {
        self.pairs.last().map_or(0, |p| p.0)
    }

    /// The largest odd id: V8 numbers JavaScript objects with odd ids in allocation order, so
    /// this grows from one snapshot of a process to the next (native objects' even ids come
    /// from addresses and do not).
    pub fn max_js_id(&self) -> u32 {
        self.pairs.iter().rev().map(|p| p.0).find(|id| id % 2 == 1).unwrap_or(0)
    }
}

/// Looks up ids near the last one found (see [`NodeIds::cursor`]).
pub struct IdCursor<'a> {
    ids: &'a NodeIds,
    at: usize,
}

impl IdCursor<'_> {
    /// The shape of the node with id `id`, if there is one.
    pub fn shape(&mut self, id: u32) -> Option<u32> {
        self.find(id).map(|at| self.ids.pairs[at].1)
    }

    /// Whether the snapshot has a node with id `id`.
    pub fn contains(&mut self, id: u32) -> bool {
        self.find(id).is_some()
    }

    /// Where `id` is among the sorted ids: searched in steps that double from the last place
    /// found, in the direction of `id`, then by halves within the last step.
    fn find(&mut self, id: u32) -> Option<usize> {
        let ids = &self.ids.pairs;
        let (mut low, mut high) = (self.at.min(ids.len()), self.at.min(ids.len()));
        let mut step = 1;
        if ids.get(low).is_some_and(|&(at, _)| at < id) {
            while high < ids.len() && ids[high].0 < id {
                low = high;
                high = (high + step).min(ids.len());
                step *= 2;
            }
        } else {
            while low > 0 && ids[low - 1].0 >= id {
                high = low;
                low = low.saturating_sub(step);
                step *= 2;
            }
        }
        let at = low + ids[low..high].partition_point(|&(i, _)| i < id);
        self.at = at;
        (ids.get(at).map(|p| p.0) == Some(id)).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::{Edges, NodeIds};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ids_are_indexed_by_id_each_with_its_first_shape_in_any_order(
            ids in proptest::collection::vec(0u32..400, 0..300),
            ascending in any::<bool>(),
        ) {
            // Sorted ids cut into a few runs, or in any order; ids repeat.
            let mut ids = ids;
            if ascending {
                let cut = ids.len() / 3;
                ids[..cut].sort_unstable();
                ids[cut..].sort_unstable();
            }
            let pairs: Vec<(u32, u32)> = ids.iter().enumerate().map(|(at, &id)| (id, at as u32)).collect();
            let indexed = NodeIds::of_pairs(pairs.clone(), 7);
            let mut expected: Vec<(u32, u32)> = Vec::new();
            for &(id, shape) in &pairs {
                if !expected.iter().any(|&(known, _)| known == id) {
                    expected.push((id, shape));
                }
            }
            expected.sort_unstable();
            prop_assert_eq!(&indexed.pairs, &expected);
            prop_assert_eq!((indexed.node_count, indexed.total_self_size), (pairs.len(), 7));
        }
    }

    #[test]
    fn ids_read_back_from_their_blocks_whether_close_together_or_not() {
        // Rising ids, a block with a jump (kept whole), a short last block, and u32::MAX.
        let mut ids: Vec<u32> = (0..200).map(|i| 1 + 2 * i).collect();
        ids[70] = 2_806_845_760;
        ids.extend([u32::MAX, 5, 0]);
        let column = super::NodeIdColumn::from(&ids[..]);
        assert_eq!(column.iter().collect::<Vec<_>>(), ids);
        assert_eq!(column.wide.len(), 2, "the blocks with the jump and with u32::MAX");
    }

    #[test]
    fn sizes_past_two_bytes_are_kept_beside_and_can_shrink_back() {
        let sizes = [0, 1, 65_534, 65_535, 65_536, u32::MAX, 7];
        let mut column = super::SizeColumn::from(&sizes[..]);
        assert_eq!(column.iter().collect::<Vec<_>>(), sizes);
        assert_eq!(column.large.len(), 3);
        column.set(3, 0);
        column.set(0, 1 << 20);
        assert_eq!(column.iter().collect::<Vec<_>>(), [1 << 20, 1, 65_534, 0, 65_536, u32::MAX, 7]);
        assert_eq!(column.large.len(), 3);
    }

    #[test]
    fn a_cursor_finds_what_a_binary_search_finds_in_any_order() {
        let nodes = super::Nodes {
            kind: vec![0; 6],
            id: [9, 3, 5, 11, 1, 7][..].into(),
            self_size: [0; 6][..].into(),
            first_edge: vec![0; 7],
            ..Default::default()
        };
        let ids = super::NodeIds::of(&nodes);
        let mut cursor = ids.cursor();
        for id in [0, 1, 2, 3, 11, 12, 4, 5, 7, 6, 9, 10, 1, 0, 13, 11, 8] {
            assert_eq!(cursor.contains(id), ids.contains(id), "{id}");
            assert_eq!(cursor.shape(id), ids.shape(id), "{id}");
        }
    }

    /// Writes `(kind, name, to)` edges as two runs, the way the parser's two writers do.
    fn written(node_count: usize, edges: &[(u8, u32, u32)]) -> Edges {
        let mut columns = Edges::zeroed(edges.len(), 7, node_count).unwrap();
        let (mut large_a, mut large_b) = (Vec::new(), Vec::new());
        let half = edges.len() / 2;
        let (mut a, mut b) = columns.split_at_mut(0, half, [&mut large_a, &mut large_b]);
        for (i, &(kind, name, to)) in edges.iter().enumerate() {
            if i < half {
                a.put(i, kind, name, to);
            } else {
                b.put(i - half, kind, name, to);
            }
        }
        columns.append_large(&mut large_a);
        columns.append_large(&mut large_b);
        columns.finish();
        columns
    }

    fn read_back(columns: &Edges) -> Vec<(u8, u32, u32)> {
        let names: Vec<u32> = columns.names().collect();
        (0..columns.len())
            .map(|e| {
                assert_eq!(names[e], columns.name_or_index(e), "edge {e}");
                (columns.kind(e), columns.name_or_index(e), columns.to_node(e))
            })
            .collect()
    }

    #[test]
    fn every_name_reads_back_whatever_the_bits_left_for_it() {
        // 2^24 nodes leave five bits for names above the 16 of the columns; 2^28 leave one,
        // so the columns take 24 bits; 4 nodes leave room for any name.
        for node_count in [4, 1 << 24, 1 << 28] {
            let top = node_count as u32 - 1;
            let few_large: Vec<(u8, u32, u32)> = (0..1000u32)
                .map(|i| ((i % 7) as u8, if i % 100 == 7 { u32::MAX - i } else { i * 2099 % (1 << 21) }, top - i % 4))
                .collect();
            let columns = written(node_count, &few_large);
            assert!(read_back(&columns) == few_large, "{node_count} nodes, few large names");
            // Most names past two million: the columns widen to 24 bits once all are written.
            let many_large: Vec<(u8, u32, u32)> =
                (0..1000u32).map(|i| ((i % 7) as u8, (1 << 21) + i * 7919, i % 4)).collect();
            let columns = written(node_count, &many_large);
            assert!(read_back(&columns) == many_large, "{node_count} nodes, many large names");
        }
    }

    #[test]
    fn targets_get_the_bits_the_edge_types_leave() {
        let fits = |types, nodes| Edges::zeroed(0, types, nodes).is_ok();
        assert!(fits(7, 1 << 29) && !fits(7, (1 << 29) + 1));
        assert!(fits(9, 1 << 28) && !fits(9, (1 << 28) + 1));
        assert!(fits(1, 1 << 31) && !fits(1, (1 << 31) + 1));
        assert!(fits(256, 1 << 24) && !fits(256, (1 << 24) + 1));
    }
}
