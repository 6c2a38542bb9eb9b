//! Where the records of the file's number arrays go as they are parsed: node and edge records
//! are checked and written straight into their columns, from two threads at once; the small
//! arrays are kept as plain numbers.

use crate::error::{ErrorKind, Result, SnapshotError};
use crate::header::{EdgeLayout, NodeLayout};
use crate::model::{EdgeRun, Edges, Location, NodeIdColumn, NodeIds, Nodes, SizeColumn};
use crate::scanner::{ArrayEnd, Discard, RecordSink, RecordWriter};

/// A column of `n` zeros. The zeros are not written: the pages stay untouched, and cost
/// nothing, until a value lands on them.
fn zeroed<T: bytemuck::Zeroable>(n: usize, count_field: &str) -> Result<Vec<T>> {
    bytemuck::allocation::try_zeroed_vec(n).map_err(|()| {
        SnapshotError::new(ErrorKind::Header(format!("{count_field} {n} is too large to hold in memory")))
    })
}

/// What is wrong with a value too large for its column.
#[cold]
pub(crate) fn too_large(what: &str, value: u64) -> String {
    format!("{what} {value} does not fit in 32 bits")
}

#[inline(always)]
fn small(what: &str, value: u64) -> std::result::Result<u32, String> {
    match u32::try_from(value) {
        Ok(small) => Ok(small),
        Err(_) => Err(too_large(what, value)),
    }
}

/// Splits the rest of `column` from `from` on into its next `first` entries and the others; a
/// column that is not kept (empty) gives two empty runs.
fn runs<T>(column: &mut [T], from: usize, first: usize) -> (&mut [T], &mut [T]) {
    let rest = column.get_mut(from..).unwrap_or_default();
    let first = first.min(rest.len());
    rest.split_at_mut(first)
}

/// How many records an array has handed to its writers, out of the count its header gives.
struct Count {
    expected: usize,
    /// Records taken so far.
    next: usize,
    array: &'static str,
    count_field: &'static str,
}

impl Count {
    /// The runs for the next `first` records and for the records after those.
    fn runs(&self, first: usize) -> (Run, Run) {
        let first = first.min(self.expected - self.next);
        let run = |start, room| Run {
            start,
            room,
            at: 0,
            array: self.array,
            count_field: self.count_field,
            expected: self.expected,
        };
        (run(self.next, first), run(self.next + first, self.expected - self.next - first))
    }

    /// Checks that the array held exactly the expected records.
    fn check(&self, end: ArrayEnd, width: usize) -> Result<()> {
        if end.leftover == 0 && end.records == self.expected {
            return Ok(());
        }
        Err(SnapshotError::inconsistent(format!(
            "the {} array holds {} numbers, but {} {} x {width} fields needs {}",
            self.array,
            end.records * width + end.leftover,
            self.count_field,
            self.expected,
            self.expected * width
        )))
    }
}

/// A writer's run of consecutive records.
struct Run {
    /// Ordinal of the run's first record.
    start: usize,
    /// Records the run may take.
    room: usize,
    /// Records taken.
    at: usize,
    array: &'static str,
    count_field: &'static str,
    expected: usize,
}

impl Run {
    /// The position in the run of the next record, unless the array holds too many.
    #[inline(always)]
    fn take(&mut self) -> std::result::Result<usize, String> {
        if self.at == self.room {
            return Err(self.too_many());
        }
        self.at += 1;
        Ok(self.at - 1)
    }

    #[cold]
    fn too_many(&self) -> String {
        format!("the {} array holds more than {} ({}) records", self.array, self.count_field, self.expected)
    }
}

/// A record's type field, checked against the header's list of `types` names.
#[inline(always)]
fn type_index(value: u64, type_count: u64, what: &str, types: &str) -> std::result::Result<u8, String> {
    if value >= type_count {
        return Err(unknown_type(value, type_count, what, types));
    }
    Ok(value as u8)
}

#[cold]
fn unknown_type(value: u64, type_count: u64, what: &str, types: &str) -> String {
    format!("{what} type {value} is not in meta.{types} ({type_count} types)")
}

/// What the node writers add up besides the columns.
#[derive(Debug, Default, Clone, Copy)]
struct NodeTotals {
    /// Sum of the nodes' edge counts.
    edges: u64,
    /// Sum of the nodes' self sizes (kept only by an ids-only read).
    self_size: u64,
    /// Whether a node had a trace node id other than 0.
    traced: bool,
    /// The largest name index, for the names to be checked against the strings in one compare.
    max_name: u32,
}

/// What a read keeps of the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeParts {
    /// Every column.
    All,
    /// Each node's id and shape, and the sum of their sizes: what a leak search needs of an
    /// earlier snapshot.
    Ids,
    /// Nothing: the records are only checked.
    Checked,
}

/// Node records: checked, and written into the node columns (or, for an ids-only read, into
/// (id, shape) pairs) unless only a check is asked for.
pub(crate) struct NodeSink {
    layout: NodeLayout,
    type_count: u64,
    count: Count,
    parts: NodeParts,
    /// (id, shape) per node, for an ids-only read.
    pairs: Vec<(u32, u32)>,
    /// `first_edge` holds each node's edge count until [`NodeSink::finish`] sums them up.
    nodes: Nodes,
    /// The ids, whole until [`NodeSink::finish`] packs them into the column, with room for one
    /// more: the memory then becomes [`crate::Snapshot::spare`], of node count + 1 entries.
    ids: Vec<u32>,
    /// One per writer, each on a cache line of its own, as the writers themselves are.
    totals: [OwnLine<NodeTotals>; 2],
    /// The (node, detachedness) each writer of the last pair met that is not 0, until they
    /// join the list.
    detached: [OwnLine<Vec<(u32, u8)>>; 2],
    /// The (node, self size) each writer met too large for two bytes, until they join the column.
    large_sizes: [OwnLine<Vec<(u32, u32)>>; 2],
}

impl NodeSink {
    pub(crate) fn new(layout: NodeLayout, type_count: usize, expected: usize, parts: NodeParts) -> Result<NodeSink> {
        let keep = parts == NodeParts::All;
        let n = if keep { expected } else { 0 };
        let field = "node_count";
        let nodes = Nodes {
            kind: zeroed(n, field)?,
            name: zeroed(n, field)?,
            id: Default::default(),
            self_size: SizeColumn::zeroed(n).map_err(|()| {
                SnapshotError::new(ErrorKind::Header(format!("{field} {n} is too large to hold in memory")))
            })?,
            first_edge: zeroed(if keep { n + 1 } else { 0 }, field)?,
            trace_node_id: if layout.trace_node_id.is_some() { zeroed(n, field)? } else { Vec::new() },
            detachedness: layout.detachedness.map(|_| Vec::new()),
        };
        Ok(NodeSink {
            layout,
            type_count: type_count as u64,
            count: Count { expected, next: 0, array: "nodes", count_field: "node_count" },
            parts,
            pairs: zeroed(if parts == NodeParts::Ids { expected } else { 0 }, field)?,
            nodes,
            ids: {
                let mut ids = zeroed(n + 1, field)?;
                ids.pop();
                ids
            },
            totals: Default::default(),
            detached: Default::default(),
            large_sizes: Default::default(),
        })
    }

    /// Checks the counts against the header once the array has ended.
    fn check(&self, end: ArrayEnd, edge_count: usize) -> Result<()> {
        self.count.check(end, self.layout.count)?;
        let [OwnLine(a), OwnLine(b)] = &self.totals;
        let edges = a.edges + b.edges;
        if edges != edge_count as u64 {
            return Err(SnapshotError::inconsistent(format!(
                "the nodes' edge_count fields add up to {edges}, but edge_count is {edge_count}"
            )));
        }
        Ok(())
    }

    /// What a leak search keeps of an earlier snapshot (an ids-only read): its ids, shapes and
    /// total size, once the array has ended; checks the counts against the header.
    pub(crate) fn finish_ids(self, end: ArrayEnd, edge_count: usize) -> Result<NodeIds> {
        self.check(end, edge_count)?;
        let [OwnLine(a), OwnLine(b)] = self.totals;
        Ok(NodeIds::of_pairs(self.pairs, a.self_size + b.self_size))
    }

    /// The columns, their largest name index and the memory of the whole ids, once the array
    /// has ended; checks the counts against the header.
    pub(crate) fn finish(mut self, end: ArrayEnd, edge_count: usize) -> Result<(Nodes, u32, Vec<u32>)> {
        self.check(end, edge_count)?;
        let [OwnLine(a), OwnLine(b)] = self.totals;
        if self.parts == NodeParts::All {
            // The header's edge_count fits in 32 bits, so these sums do too.
            let mut sum = 0;
            for first in &mut self.nodes.first_edge {
                let count = *first;
                *first = sum;
                sum += count;
            }
        }
        // Without allocation tracking every trace node id is 0: the column, never written to,
        // goes without having cost a page.
        if !(a.traced || b.traced) {
            self.nodes.trace_node_id = Vec::new();
        }
        self.nodes.id = NodeIdColumn::from(&self.ids[..]);
        Ok((self.nodes, a.max_name.max(b.max_name), self.ids))
    }
}

impl RecordSink for NodeSink {
    type Writer<'a> = NodeWriter<'a>;

    fn width(&self) -> usize {
        self.layout.count
    }

    fn writers(&mut self, first: usize) -> (NodeWriter<'_>, NodeWriter<'_>) {
        let (run_a, run_b) = self.count.runs(first);
        let (columns_a, columns_b) = NodeRuns::split(&mut self.nodes, &mut self.ids, run_a.start, run_a.room);
        let [OwnLine(totals_a), OwnLine(totals_b)] = &mut self.totals;
        let [OwnLine(detached_a), OwnLine(detached_b)] = &mut self.detached;
        let [OwnLine(large_a), OwnLine(large_b)] = &mut self.large_sizes;
        let (pairs_a, pairs_b) = runs(&mut self.pairs, run_a.start, run_a.room);
        let writer = |run, columns, pairs, totals, detached, large_sizes| NodeWriter {
            layout: self.layout,
            type_count: self.type_count,
            parts: self.parts,
            run,
            columns,
            pairs,
            totals,
            detached,
            large_sizes,
        };
        (
            writer(run_a, columns_a, pairs_a, totals_a, detached_a, large_a),
            writer(run_b, columns_b, pairs_b, totals_b, detached_b, large_b),
        )
    }

    fn advance(&mut self, records: usize) {
        self.count.next += records;
        let [OwnLine(a), OwnLine(b)] = &mut self.large_sizes;
        self.nodes.self_size.add_large(a.drain(..).chain(b.drain(..)));
        if let Some(list) = &mut self.nodes.detachedness {
            let [OwnLine(a), OwnLine(b)] = &mut self.detached;
            list.append(a);
            list.append(b);
        }
    }

    fn expected_records(&self) -> Option<usize> {
        Some(self.count.expected)
    }
}

/// Fills a run of node records.
#[repr(align(128))]
pub(crate) struct NodeWriter<'a> {
    layout: NodeLayout,
    type_count: u64,
    parts: NodeParts,
    run: Run,
    columns: NodeRuns<'a>,
    pairs: &'a mut [(u32, u32)],
    totals: &'a mut NodeTotals,
    detached: &'a mut Vec<(u32, u8)>,
    large_sizes: &'a mut Vec<(u32, u32)>,
}

/// A run of the node columns (empty when they are not kept).
struct NodeRuns<'a> {
    kind: &'a mut [u8],
    name: &'a mut [u32],
    id: &'a mut [u32],
    self_size: &'a mut [u16],
    edge_count: &'a mut [u32],
    trace: &'a mut [u32],
}

impl<'a> NodeRuns<'a> {
    /// The next `first` nodes from `from` on, and the nodes after them.
    fn split(nodes: &'a mut Nodes, ids: &'a mut [u32], from: usize, first: usize) -> (NodeRuns<'a>, NodeRuns<'a>) {
        let (kind, name, id) =
            (runs(&mut nodes.kind, from, first), runs(&mut nodes.name, from, first), runs(ids, from, first));
        let (self_size, edge_count) =
            (runs(nodes.self_size.small_mut(), from, first), runs(&mut nodes.first_edge, from, first));
        let trace = runs(&mut nodes.trace_node_id, from, first);
        (
            NodeRuns {
                kind: kind.0,
                name: name.0,
                id: id.0,
                self_size: self_size.0,
                edge_count: edge_count.0,
                trace: trace.0,
            },
            NodeRuns {
                kind: kind.1,
                name: name.1,
                id: id.1,
                self_size: self_size.1,
                edge_count: edge_count.1,
                trace: trace.1,
            },
        )
    }
}

impl RecordWriter for NodeWriter<'_> {
    #[inline(always)]
    fn put(&mut self, rec: &[u64]) -> std::result::Result<(), String> {
        let l = self.layout;
        let i = self.run.take()?;
        let kind = type_index(rec[l.kind], self.type_count, "node", "node_types")?;
        let name = small("node name index", rec[l.name])?;
        let id = small("node id", rec[l.id])?;
        let self_size = small("self_size", rec[l.self_size])?;
        let edges = small("a node's edge_count", rec[l.edge_count])?;
        // Under 2^32 counts under 2^32 each: the sum cannot overflow, and `finish` compares it
        // with the header's edge_count.
        self.totals.edges += u64::from(edges);
        self.totals.max_name = self.totals.max_name.max(name);
        let trace = l.trace_node_id.map(|t| small("trace_node_id", rec[t])).transpose()?.unwrap_or(0);
        if self.parts == NodeParts::Ids {
            self.pairs[i] = (id, Nodes::shape_of(kind, edges));
            self.totals.self_size += u64::from(self_size);
        }
        if self.parts == NodeParts::All {
            let c = &mut self.columns;
            c.kind[i] = kind;
            c.name[i] = name;
            c.id[i] = id;
            c.self_size[i] = SizeColumn::stored(self_size);
            if c.self_size[i] == SizeColumn::stored(u32::MAX) {
                self.large_sizes.push(((self.run.start + i) as u32, self_size));
            }
            c.edge_count[i] = edges;
            if trace != 0 {
                c.trace[i] = trace;
                self.totals.traced = true;
            }
            if let Some(d) = l.detachedness.filter(|&d| rec[d] != 0) {
                self.detached.push(((self.run.start + i) as u32, rec[d].min(255) as u8));
            }
        }
        Ok(())
    }
}

/// Edge records: checked, and written into the edge columns unless only a check is asked for.
/// Targets are stored as node ordinals.
pub(crate) struct EdgeSink {
    layout: EdgeLayout,
    type_count: u64,
    string_named: TypeSet,
    nodes: NodeIndexes,
    count: Count,
    keep: bool,
    edges: Edges,
    /// The large names each writer of the last pair listed, until they join the columns'.
    large: [OwnLine<Vec<(u32, u32)>>; 2],
    /// Each writer's largest name among the edges named by a string.
    max_string_name: [OwnLine<u32>; 2],
}

/// A set of type indexes (below 256), one bit each.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TypeSet([u64; 4]);

impl TypeSet {
    /// The types whose names `member` accepts.
    pub(crate) fn of(names: &[String], member: impl Fn(&str) -> bool) -> TypeSet {
        let mut set = TypeSet::default();
        for (i, _) in names.iter().enumerate().filter(|(_, name)| member(name)) {
            set.0[i / 64] |= 1 << (i % 64);
        }
        set
    }

    /// 1 when `kind` is in the set, 0 when not.
    #[inline(always)]
    fn bit(self, kind: u8) -> u32 {
        (self.0[usize::from(kind / 64)] >> (kind % 64) & 1) as u32
    }
}

impl EdgeSink {
    pub(crate) fn new(
        layout: EdgeLayout,
        type_count: usize,
        string_named: TypeSet,
        node_fields: usize,
        node_count: usize,
        expected: usize,
        keep: bool,
    ) -> Result<EdgeSink> {
        let n = if keep { expected } else { 0 };
        let edges = Edges::zeroed(n, type_count, node_count)
            .map_err(|message| SnapshotError::new(ErrorKind::Header(message)))?;
        Ok(EdgeSink {
            layout,
            type_count: type_count as u64,
            string_named,
            nodes: NodeIndexes::new(node_fields, node_count),
            count: Count { expected, next: 0, array: "edges", count_field: "edge_count" },
            keep,
            edges,
            large: Default::default(),
            max_string_name: Default::default(),
        })
    }

    /// The columns and their largest name among the edges named by a string, once the array
    /// has ended; checks the count against the header.
    pub(crate) fn finish(mut self, end: ArrayEnd) -> Result<(Edges, u32)> {
        self.count.check(end, self.layout.count)?;
        self.edges.finish();
        let [OwnLine(a), OwnLine(b)] = self.max_string_name;
        Ok((self.edges, a.max(b)))
    }
}

impl RecordSink for EdgeSink {
    type Writer<'a> = EdgeWriter<'a>;

    fn width(&self) -> usize {
        self.layout.count
    }

    fn writers(&mut self, first: usize) -> (EdgeWriter<'_>, EdgeWriter<'_>) {
        let (run_a, run_b) = self.count.runs(first);
        let (from, first) = (run_a.start, run_a.room);
        let [OwnLine(large_a), OwnLine(large_b)] = &mut self.large;
        let (edges_a, edges_b) = self.edges.split_at_mut(from, first, [large_a, large_b]);
        let [OwnLine(max_a), OwnLine(max_b)] = &mut self.max_string_name;
        let writer = |run, edges, max_string_name| EdgeWriter {
            layout: self.layout,
            type_count: self.type_count,
            string_named: self.string_named,
            nodes: self.nodes,
            keep: self.keep,
            run,
            edges,
            max_string_name,
        };
        (writer(run_a, edges_a, max_a), writer(run_b, edges_b, max_b))
    }

    fn advance(&mut self, records: usize) {
        self.count.next += records;
        let [OwnLine(a), OwnLine(b)] = &mut self.large;
        self.edges.append_large(a);
        self.edges.append_large(b);
    }

    fn expected_records(&self) -> Option<usize> {
        Some(self.count.expected)
    }
}

/// Fills a run of edge records.
#[repr(align(128))]
pub(crate) struct EdgeWriter<'a> {
    layout: EdgeLayout,
    type_count: u64,
    string_named: TypeSet,
    nodes: NodeIndexes,
    keep: bool,
    run: Run,
    edges: EdgeRun<'a>,
    max_string_name: &'a mut u32,
}

impl RecordWriter for EdgeWriter<'_> {
    #[inline(always)]
    fn put(&mut self, rec: &[u64]) -> std::result::Result<(), String> {
        let l = self.layout;
        let i = self.run.take()?;
        let kind = type_index(rec[l.kind], self.type_count, "edge", "edge_types")?;
        let to = rec[l.to_node];
        let Some(ordinal) = self.nodes.ordinal(to) else {
            return Err(self.bad_target(i, to));
        };
        let name = small("edge name", rec[l.name_or_index])?;
        // Branch-free: the types come in no order.
        *self.max_string_name = (*self.max_string_name).max(name * self.string_named.bit(kind));
        if self.keep {
            self.edges.put(i, kind, name, ordinal);
        }
        Ok(())
    }
}

impl EdgeWriter<'_> {
    /// What is wrong with the target of the run's `i`th edge, `to`.
    #[cold]
    fn bad_target(&self, i: usize, to: u64) -> String {
        format!(
            "edge {} points to node index {to}, which is {}",
            self.run.start + i,
            if self.nodes.past_end(to) { "past the last node" } else { "not a multiple of the node field count" }
        )
    }
}

/// Node indexes, as edges and locations give them (positions in the nodes array: a node's
/// ordinal times the node field count), turned into node ordinals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeIndexes {
    by_fields: ExactDivisor,
    /// The first index past the last node.
    end: u64,
}

impl NodeIndexes {
    /// For a nodes array of `node_count` (under 2^32) records of `node_fields` numbers.
    pub(crate) fn new(node_fields: usize, node_count: usize) -> NodeIndexes {
        NodeIndexes { by_fields: ExactDivisor::new(node_fields as u64), end: (node_count * node_fields) as u64 }
    }

    /// The ordinal of the node at `index`, unless `index` is past the last node or not where a
    /// node starts.
    #[inline(always)]
    pub(crate) fn ordinal(self, index: u64) -> Option<u32> {
        // Below `end`, the quotient is below the node count, which fits in 32 bits.
        self.by_fields.quotient(index).filter(|_| index < self.end).map(|ordinal| ordinal as u32)
    }

    /// Whether `index` is past the last node.
    pub(crate) fn past_end(self, index: u64) -> bool {
        index >= self.end
    }
}

/// Division by a number known only at run time, for dividends it divides exactly, without a
/// division instruction (tens of cycles, once per edge): a multiplication by the inverse of the
/// divisor's odd part modulo 2^64, and a rotation for its factors of two. A dividend it does not
/// divide gives a product past the largest quotient (Hacker's Delight, 10-17).
#[derive(Debug, Clone, Copy)]
struct ExactDivisor {
    twos: u32,
    inverse: u64,
    largest_quotient: u64,
}

impl ExactDivisor {
    fn new(divisor: u64) -> ExactDivisor {
        assert!(divisor > 0, "a divisor is not 0");
        let twos = divisor.trailing_zeros();
        let odd = divisor >> twos;
        // Newton's iteration doubles the correct low bits each step: 3, 6, 12, 24, 48, 96.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        ExactDivisor { twos, inverse, largest_quotient: u64::MAX / divisor }
    }

    /// `dividend / divisor` when the divisor divides it exactly.
    #[inline(always)]
    fn quotient(self, dividend: u64) -> Option<u64> {
        let quotient = dividend.wrapping_mul(self.inverse).rotate_right(self.twos);
        (quotient <= self.largest_quotient).then_some(quotient)
    }
}

/// The records of an array that a read only checks: their numbers checked for syntax but not
/// read (see [`RecordSink::counts_only`]), and counted against the header where it gives a
/// count; an array it gives none for must hold whole records.
pub(crate) struct Counted {
    width: usize,
    array: &'static str,
    count: Option<Count>,
}

impl Counted {
    /// `expected` records of `width` numbers, as the header's `count_field` says.
    pub(crate) fn new(width: usize, expected: usize, array: &'static str, count_field: &'static str) -> Counted {
        Counted { width, array, count: Some(Count { expected, next: 0, array, count_field }) }
    }

    /// Records of `width` numbers, as many as the array holds (an array an ids-only read goes
    /// past, with no count to hold it to).
    pub(crate) fn uncounted(width: usize, array: &'static str) -> Counted {
        Counted { width, array, count: None }
    }

    /// Checks, once the array has ended, that it held exactly the expected records, or whole
    /// records when none were expected.
    pub(crate) fn finish(self, end: ArrayEnd) -> Result<()> {
        match self.count {
            Some(count) => count.check(end, self.width),
            None => whole_records(end, self.array),
        }
    }
}

impl RecordSink for Counted {
    type Writer<'a> = Discard;

    fn width(&self) -> usize {
        self.width
    }

    fn writers(&mut self, _first: usize) -> (Discard, Discard) {
        (Discard, Discard)
    }

    fn advance(&mut self, _records: usize) {}

    fn counts_only(&self) -> bool {
        true
    }

    fn expected_records(&self) -> Option<usize> {
        self.count.as_ref().map(|count| count.expected)
    }
}

/// Fails unless the array that ended at `end` held whole records.
fn whole_records(end: ArrayEnd, array: &str) -> Result<()> {
    if end.leftover != 0 {
        return Err(SnapshotError::inconsistent(format!("{array} is not a whole number of records")));
    }
    Ok(())
}

/// Location records (`object_index`, `script_id`, `line`, `column` at the header's places),
/// checked and kept as [`Location`]s with node ordinals.
pub(crate) struct LocationSink {
    /// Where `object_index`, `script_id`, `line` and `column` are in a record.
    fields: [usize; 4],
    width: usize,
    nodes: NodeIndexes,
    values: OwnLine<Vec<Location>>,
    /// The second writer's locations, until they are appended.
    tail: OwnLine<Vec<Location>>,
}

impl LocationSink {
    pub(crate) fn new(fields: [usize; 4], width: usize, nodes: NodeIndexes) -> LocationSink {
        LocationSink { fields, width, nodes, values: OwnLine::default(), tail: OwnLine::default() }
    }

    /// The locations, once the array has ended; it must hold whole records.
    pub(crate) fn finish(self, end: ArrayEnd) -> Result<Vec<Location>> {
        whole_records(end, "locations")?;
        let mut locations = self.values.0;
        locations.shrink_to_fit();
        Ok(locations)
    }
}

impl RecordSink for LocationSink {
    type Writer<'a> = LocationWriter<'a>;

    fn width(&self) -> usize {
        self.width
    }

    fn writers(&mut self, _first: usize) -> (LocationWriter<'_>, LocationWriter<'_>) {
        let (fields, nodes) = (self.fields, self.nodes);
        (
            LocationWriter { fields, nodes, out: &mut self.values.0 },
            LocationWriter { fields, nodes, out: &mut self.tail.0 },
        )
    }

    fn advance(&mut self, _records: usize) {
        self.values.0.append(&mut self.tail.0);
    }
}

/// Appends location records to a list.
pub(crate) struct LocationWriter<'a> {
    fields: [usize; 4],
    nodes: NodeIndexes,
    out: &'a mut Vec<Location>,
}

impl RecordWriter for LocationWriter<'_> {
    fn put(&mut self, rec: &[u64]) -> std::result::Result<(), String> {
        let [object, script, line, column] = self.fields.map(|f| rec[f]);
        let node = self
            .nodes
            .ordinal(object)
            .ok_or_else(|| format!("a location's object_index {object} is not the index of a node"))?;
        let field = |value| small("location field", value);
        self.out.push(Location { node, script_id: field(script)?, line: field(line)?, column: field(column)? });
        Ok(())
    }
}

/// The numbers of a small array, kept as they are; records only group them.
pub(crate) struct Numbers {
    width: usize,
    values: OwnLine<Vec<u64>>,
    /// The second writer's numbers, until they are appended.
    tail: OwnLine<Vec<u64>>,
}

/// A value on a cache line of its own, for a thread to update without slowing another.
#[derive(Default)]
#[repr(align(128))]
struct OwnLine<T>(T);

impl Numbers {
    pub(crate) fn new(width: usize) -> Numbers {
        Numbers { width, values: OwnLine::default(), tail: OwnLine::default() }
    }

    /// The numbers, once the array has ended; it must hold whole records.
    pub(crate) fn finish(self, end: ArrayEnd, array: &str) -> Result<Vec<u64>> {
        whole_records(end, array)?;
        Ok(self.values.0)
    }
}

impl RecordSink for Numbers {
    type Writer<'a> = Push<'a>;

    fn width(&self) -> usize {
        self.width
    }

    fn writers(&mut self, _first: usize) -> (Push<'_>, Push<'_>) {
        (Push(&mut self.values.0), Push(&mut self.tail.0))
    }

    fn advance(&mut self, _records: usize) {
        self.values.0.append(&mut self.tail.0);
    }
}

/// Appends records to a list of numbers.
pub(crate) struct Push<'a>(&'a mut Vec<u64>);

impl RecordWriter for Push<'_> {
    fn put(&mut self, record: &[u64]) -> std::result::Result<(), String> {
        self.0.extend_from_slice(record);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ExactDivisor;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn exact_division_agrees_with_division(divisor in 1u64..64, quotient in any::<u64>(), offset in 0u64..64) {
            let by = ExactDivisor::new(divisor);
            let quotient = quotient / divisor;
            prop_assert_eq!(by.quotient(quotient * divisor), Some(quotient));
            let dividend = (quotient * divisor).wrapping_add(offset);
            let expected = (dividend % divisor == 0).then(|| dividend / divisor);
            prop_assert_eq!(by.quotient(dividend), expected, "{} / {}", dividend, divisor);
        }
    }

    #[test]
    fn exact_division_at_the_edges() {
        for divisor in [1, 2, 3, 6, 7, 8, 1 << 40, u64::MAX] {
            let by = ExactDivisor::new(divisor);
            for dividend in [0, 1, divisor - 1, divisor, divisor.wrapping_add(1), u64::MAX - 1, u64::MAX] {
                let expected = (dividend % divisor == 0).then(|| dividend / divisor);
                assert_eq!(by.quotient(dividend), expected, "{dividend} / {divisor}");
            }
        }
    }
}
