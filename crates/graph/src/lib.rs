//! DevTools-exact analyses of a V8 heap snapshot.
//!
//! [`HeapGraph::analyze`] takes a [`Snapshot`] from `heaplens-snapshot` and computes, in the
//! order Chrome DevTools' heap snapshot worker does (DevTools 1.0.1705227), every node's class
//! name, shallow size after DevTools' ownership transfer, distance from the roots, immediate
//! dominator and retained size. On top of those: the Summary ([`HeapGraph::summary`]), the
//! Statistics ([`HeapGraph::statistics`]) and the Comparison of two snapshots ([`diff()`]).
//!
//! ```no_run
//! let snapshot = heaplens_snapshot::read_path("app.heapsnapshot".as_ref())?;
//! let graph = heaplens_graph::HeapGraph::analyze(snapshot);
//! for class in graph.summary(None, heaplens_graph::Members::Omitted).iter().take(5) {
//!     println!("{} x{} retains {} bytes", class.name, class.count, class.retained_size);
//! }
//! # Ok::<(), heaplens_snapshot::SnapshotError>(())
//! ```
//!
//! All per-node results are flat arrays indexed by node ordinal.
#![deny(missing_docs)]

mod classes;
mod diff;
mod distance_update;
mod distances;
mod dom_state;
mod dominators;
mod duplicates;
mod ephemeron;
mod kinds;
mod locations;
mod memory;
mod ownership;
mod paths;
mod query;
mod retained;
mod retainers;
mod sources;
mod statistics;
mod summary;

use std::collections::HashMap;
use std::sync::OnceLock;

use heaplens_snapshot::{Location, Snapshot};
use locations::Locations;

pub use classes::{format_property_name, InterfaceDefinition};
pub use diff::{diff, diff_classified, ClassDiff, ForeignClasses, PendingClasses};
pub use distances::{Distances, NO_DISTANCE, SYSTEM_DISTANCE};
pub use dom_state::{ATTACHED, DETACHED, UNKNOWN};
pub use dominators::{dominators, Dominators, FlowGraph};
pub use duplicates::{duplicate_strings, DuplicateString};
pub use kinds::{BitSet, EdgeKinds, NodeKinds};
pub use paths::{
    code_expression, code_expression_of_any, describe, describe_from, is_system_path, map_entry_key, quick_path,
    shortest_paths, Hop, RetainingPath,
};
pub use query::NodeQuery;
pub use retainers::{
    Ignoring, RetainerEdge, RetainerTree, RetainerTreeItem, RetainerView, Retainers, UNREACHABLE_DISTANCE,
};
pub use sources::{allocation_stack, Scripts, SourcePosition, StackFrame};
pub use statistics::Statistics;
pub use summary::{ClassIds, ClassKey, ClassSummary, Members};

/// A snapshot with everything DevTools computes on load.
pub struct HeapGraph {
    /// The snapshot; `nodes.self_size` holds sizes after the ownership transfer, detached
    /// native nodes carry their `Detached ` names, its locations have moved to the graph
    /// (sorted by node: see [`HeapGraph::location_of`]) and its detachedness list has become
    /// [`HeapGraph::dom_state`].
    pub snapshot: Snapshot,
    /// Node types by meaning.
    pub node_kinds: NodeKinds,
    /// Edge types by meaning.
    pub edge_kinds: EdgeKinds,
    /// DOM link state ([`ATTACHED`], [`DETACHED`]) of the nodes whose state is known, by node;
    /// empty when there is no DOM in the heap. See [`HeapGraph::dom_state`].
    dom_state: Vec<(u32, u8)>,
    /// Distance from the roots per node.
    distances: Distances,
    /// Immediate dominator (ordinal) per node; the root dominates itself.
    pub dominator: Vec<u32>,
    /// Retained size per node.
    retained_size: retained::RetainedSizes,
    /// Dense class ids per node, by DevTools' class key.
    pub class_ids: ClassIds,
    /// Interface definitions inferred from this snapshot's plain objects.
    pub interfaces: Vec<InterfaceDefinition>,
    /// The Statistics view.
    pub statistics: Statistics,
    interface_names: HashMap<String, u32>,
    /// Dominator tree children.
    dominated: DominatedLists,
    /// Source locations by node.
    locations: Locations,
    /// Edges grouped by target, built on first use (the summary views do not need them).
    retainers: OnceLock<Retainers>,
    /// The WeakMap pair names among the snapshot's strings.
    ephemerons: ephemeron::EphemeronNames,
    /// The nodes with an internal edge named as a half of a WeakMap pair, ascending: the
    /// distance searches ask the filter about their edges.
    weak_map_holders: Vec<u32>,
}

/// Runs `f`, and prints how long it took, the minor page faults the process took meanwhile (each
/// a first touch of a page: on virtual machines the cost that varies most between runs) and its
/// memory after it (current and peak resident set, from /proc) on stderr when `HEAPLENS_TIMINGS`
/// is set. Steps that run at once share their CPU and fault figures.
pub fn timed<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if std::env::var_os("HEAPLENS_TIMINGS").is_none() {
        return f();
    }
    let (start, before) = (std::time::Instant::now(), ProcessCounters::now());
    let result = f();
    let after = ProcessCounters::now();
    let wall = start.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let memory = |key: &str| {
        let line = status.lines().find(|l| l.starts_with(key));
        line.and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()).map_or(0, |kb| kb >> 10)
    };
    eprintln!(
        "{name:>24}: {:>7.1} ms  cpu/wall {:>4.2}  faults {:>7}  RSS {:>5} MiB, peak {:>5} MiB",
        wall * 1e3,
        (after.cpu_seconds - before.cpu_seconds) / wall.max(1e-9),
        after.minor_faults.saturating_sub(before.minor_faults),
        memory("VmRSS:"),
        memory("VmHWM:")
    );
    result
}

/// The fixture snapshot `file` (in the repository's fixtures/snapshots), read and analysed: the
/// real heaps the unit tests check against.
#[cfg(test)]
pub(crate) fn analyzed_fixture(file: &str) -> HeapGraph {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/snapshots").join(file);
    HeapGraph::analyze(heaplens_snapshot::read_path(&path).expect("fixture reads"))
}

/// What the whole process has used so far, all threads, from one read of /proc/self/stat:
/// [`timed`]'s figures beside steps that run at once on both cores say how busy the cores
/// were, not what each step cost alone.
struct ProcessCounters {
    /// CPU seconds (user and system), in the kernel's clock ticks of 10 ms.
    cpu_seconds: f64,
    /// Minor page faults.
    minor_faults: u64,
}

impl ProcessCounters {
    fn now() -> ProcessCounters {
        const TICKS_PER_SECOND: f64 = 100.0;
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // The fields after the command name, which is in parentheses and may hold spaces: the
        // first of them (the state) is the 3rd field, so minflt (the 10th) is at 7, and utime
        // and stime (the 14th and 15th) at 11 and 12.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        ProcessCounters { cpu_seconds: (field(11) + field(12)) as f64 / TICKS_PER_SECOND, minor_faults: field(7) }
    }
}

impl HeapGraph {
    /// Runs every analysis, using both cores where steps are independent. Memory decides the
    /// pairing. The dominators' numbering (the step that holds the most) runs beside the steps
    /// that keep little or nothing per node once done: shallow sizes, statistics, interface
    /// inference, the locations made compact. Their second half gives memory back as it goes,
    /// so the distance search runs beside it, keeping two bytes a node and two levels of the
    /// search. Then class names and interfaces beside retained sizes and the dominator tree's
    /// child lists; then the class ids. Steps that would add strings or move sizes only read
    /// the snapshot while another step runs: their results go in between the pairs.
    pub fn analyze(mut snapshot: Snapshot) -> HeapGraph {
        let nk = NodeKinds::of(&snapshot);
        let ek = EdgeKinds::of(&snapshot);
        let dom_state = timed("dom state", || dom_state::propagate(&mut snapshot, &nk, &ek));
        let ephemerons = timed("ephemeron names", || ephemeron::EphemeronNames::new(&snapshot.strings));

        let mut self_size = std::mem::take(&mut snapshot.nodes.self_size);
        let spare = std::mem::take(&mut snapshot.spare);
        let locations = std::mem::take(&mut snapshot.locations);
        let s = &snapshot;
        let owned = timed("page-owned", || ownership::page_owned(s, &nk, &ek));
        let (essential, weak_map_holders) =
            timed("essential edges", || ownership::essential_edges(s, &ek, &owned, &ephemerons));
        drop(owned);
        let (numbered, (partial_statistics, interfaces, locations, mut distance_filter)) = rayon::join(
            || {
                let flow = FlowGraph {
                    first_edge: &s.nodes.first_edge,
                    targets: s.edges.packed_targets(),
                    target_mask: s.edges.target_mask(),
                    usable: &essential,
                };
                timed("dominator numbering", || dominators::number(&flow, s.node_count(), s.root, spare))
            },
            || {
                timed("shallow sizes", || ownership::transfer_shallow_sizes(s, &nk, &ek, &mut self_size));
                let statistics = timed("statistics", || statistics::statistics(s, &nk, &ek, &self_size));
                let interfaces = timed("interface inference", || classes::infer_interfaces(s, &nk, &ek));
                let locations = timed("locations", || Locations::of(locations, s.node_count()));
                // The distances' filter is set up here, where the numbering takes longer, rather
                // than beside the dominators, where the distances take longer.
                let filter = timed("distance filter", || {
                    distances::DistanceFilter::new(s, nk, ek, &ephemerons, &weak_map_holders)
                });
                (statistics, interfaces, locations, filter)
            },
        );
        drop(essential);
        let ((d, spare), distances) = rayon::join(
            || timed("dominators", || numbered.dominators()),
            || timed("distances", || distances::distances(&mut distance_filter, &[])),
        );
        snapshot.nodes.self_size = self_size;

        let s = &snapshot;
        let dominator = d.idom;
        // The numbering's arrays and the preorder are filled again by the steps below.
        let dominators::Spare([for_classes, for_retained, for_list_starts]) = spare;
        let ((mut class_index, base_names, new_interface_names), (retained_size, dominated)) = rayon::join(
            || {
                let (mut class_index, base_names) =
                    timed("class names", || classes::base_class_indexes(s, &nk, for_classes));
                let new_names = timed("interfaces", || {
                    let none = HashMap::new();
                    classes::match_interfaces(s, &nk, &ek, &interfaces, &none, &mut class_index, base_names.end())
                });
                (class_index, base_names, new_names)
            },
            || {
                let retained =
                    timed("retained sizes", || retained::RetainedSizes::of(s, &dominator, &d.preorder, for_retained));
                let lists = || DominatedLists::of(&dominator, s.root, for_list_starts, d.preorder);
                (retained, timed("dominated lists", lists))
            },
        );
        base_names.push_into(&mut snapshot);
        let mut interface_names = HashMap::new();
        new_interface_names.intern(&mut snapshot, &mut interface_names, &mut class_index);
        let s = &snapshot;
        let class_ids = timed("class ids", || ClassIds::build(s, &nk, &locations, class_index));
        let total = retained_size.get(snapshot.root) + snapshot.extra_native_bytes;
        let statistics = partial_statistics.with_total(total);
        HeapGraph {
            snapshot,
            node_kinds: nk,
            edge_kinds: ek,
            dom_state,
            distances,
            dominator,
            retained_size,
            class_ids,
            interfaces,
            statistics,
            interface_names,
            dominated,
            locations,
            retainers: OnceLock::new(),
            ephemerons,
            weak_map_holders,
        }
    }

    /// Total size as DevTools shows it: the root's retained size plus extra native bytes.
    pub fn total_size(&self) -> u64 {
        self.statistics.total
    }

    /// Node `node`'s distance from the roots ([`NO_DISTANCE`] when no root reaches it).
    #[inline]
    pub fn distance(&self, node: u32) -> i32 {
        self.distances.get(node)
    }

    /// Every node's distance from the roots.
    pub fn distances(&self) -> &Distances {
        &self.distances
    }

    /// The retained size of node `node`: its own size after the ownership transfer plus that of
    /// every node it dominates.
    pub fn retained_size(&self, node: u32) -> u64 {
        self.retained_size.get(node)
    }

    /// The DOM link state of node `node` ([`UNKNOWN`], [`ATTACHED`], [`DETACHED`]).
    pub fn dom_state(&self, node: u32) -> u8 {
        self.dom_state.binary_search_by_key(&node, |&(n, _)| n).map_or(UNKNOWN, |at| self.dom_state[at].1)
    }

    /// The source location of node `node`, if the snapshot gives one.
    pub fn location_of(&self, node: u32) -> Option<Location> {
        self.locations.get(node)
    }

    /// The ordinal of the node with V8 id `id`.
    pub fn node_by_id(&self, id: u32) -> Option<u32> {
        self.snapshot.nodes.id.iter().position(|i| i == id).map(|i| i as u32)
    }

    /// The retainers index (built on first call).
    pub fn retainers(&self) -> &Retainers {
        self.retainers.get_or_init(|| timed("retainers", || Retainers::build(self)))
    }

    /// How many edges point at `node`: from the retainers index when it is built, otherwise by
    /// one pass over the edges (far cheaper than building the index for one answer).
    pub fn retainer_count(&self, node: u32) -> usize {
        match self.retainers.get() {
            Some(index) => index.of(node).len(),
            None => self.snapshot.edges.targets().filter(|&to| to == node).count(),
        }
    }

    /// Nodes whose immediate dominator is `node`.
    pub fn dominated(&self, node: u32) -> &[u32] {
        let (first, v) = (&self.dominated.first, node as usize);
        &self.dominated.nodes[first[v] as usize..first[v + 1] as usize]
    }

    /// The class name (a string index) of node `node`.
    pub fn class_index(&self, node: u32) -> u32 {
        self.class_ids.names[self.class_ids.of_node[node as usize] as usize]
    }

    /// The class name of every node, as string indexes.
    pub fn class_indexes(&self) -> Vec<u32> {
        (0..self.snapshot.node_count() as u32).map(|node| self.class_index(node)).collect()
    }

    /// The class name of node `node`.
    pub fn class_name(&self, node: u32) -> std::borrow::Cow<'_, str> {
        self.snapshot.strings.get(self.class_index(node))
    }

    /// The name DevTools shows for a node (plain objects as `{a, b}`, cons strings as text).
    pub fn display_name(&self, node: u32) -> String {
        classes::node_display_name(&self.snapshot, &self.node_kinds, &self.edge_kinds, node)
    }

    /// An edge's name: the string, or the element/hidden index as text.
    pub fn edge_name(&self, edge: u32) -> String {
        let s = &self.snapshot;
        let (kind, raw) = (s.edges.kind(edge as usize), s.edges.name_or_index(edge as usize));
        if self.edge_kinds.has_string_name(kind) {
            s.strings.get(raw).into_owned()
        } else {
            raw.to_string()
        }
    }

    /// The edge type's name (`property`, `element`, `internal`, ...).
    pub fn edge_type_name(&self, edge: u32) -> &str {
        &self.snapshot.edge_types[self.snapshot.edges.kind(edge as usize) as usize]
    }

    /// The target of `node`'s first internal edge named one of `names` (DevTools'
    /// `findInternalEdgeTarget`).
    pub fn internal_edge_target(&self, node: u32, names: &[&str]) -> Option<u32> {
        let s = &self.snapshot;
        s.edge_range(node)
            .find(|&e| {
                u16::from(s.edges.kind(e)) == self.edge_kinds.internal
                    && names.iter().any(|name| s.strings.eq(s.edges.name_or_index(e), name))
            })
            .map(|e| s.edges.to_node(e))
    }

    /// An edge as DevTools writes it: `.name` or `["a b"]` for properties, `[3]` for elements,
    /// `->name` for closure variables, `{name}` for V8's internal links, `[[name]]` for weak ones.
    pub fn edge_label(&self, edge: u32) -> String {
        let name = self.edge_name(edge);
        match self.edge_type_name(edge) {
            "context" => format!("->{name}"),
            "element" => format!("[{name}]"),
            "weak" => format!("[[{name}]]"),
            "property" | "shortcut" if name.contains(' ') => format!("[\"{name}\"]"),
            "property" | "shortcut" => format!(".{name}"),
            "internal" | "hidden" | "invisible" => format!("{{{name}}}"),
            _ => format!("?{name}?"),
        }
    }

    /// The node type's name.
    pub fn type_name(&self, node: u32) -> &str {
        &self.snapshot.node_types[self.snapshot.nodes.kind[node as usize] as usize]
    }

    /// The Summary rows of the nodes `filter` accepts (all nodes when `None`), in no order.
    pub fn summary(&self, filter: Option<&(dyn Fn(u32) -> bool + Sync)>, members: Members) -> Vec<ClassSummary> {
        summary::summarize(self, &self.class_ids, filter, members)
    }

    /// The Summary rows of the objects allocated after a snapshot whose largest JavaScript
    /// object id was `previous_max_js_id` (DevTools' "Objects allocated between" filter).
    pub fn summary_allocated_after(&self, previous_max_js_id: u32, members: Members) -> Vec<ClassSummary> {
        let max = self.max_js_object_id();
        let ids = &self.snapshot.nodes.id;
        self.summary(Some(&|n: u32| ids.get(n as usize) > previous_max_js_id && ids.get(n as usize) <= max), members)
    }

    /// The largest odd (JavaScript) node id: DevTools' `maxJSObjectId`.
    pub fn max_js_object_id(&self) -> u32 {
        self.snapshot.nodes.id.iter().filter(|id| id % 2 == 1).max().unwrap_or(0)
    }
}

/// Bytes as heaplens writes them everywhere: `512 B`, `1.5 kB`, `12.0 MB` (powers of 1000).
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Children lists of the dominator tree, as a CSR over node ordinals: node `v`'s children are
/// `nodes[first[v]..first[v + 1]]`, in ordinal order.
struct DominatedLists {
    first: Vec<u32>,
    nodes: Vec<u32>,
}

impl DominatedLists {
    /// The lists of the tree `idom` describes, in the memory of `starts` and `nodes`, arrays
    /// other steps are done with.
    fn of(idom: &[u32], root: u32, starts: Vec<u32>, nodes: Vec<u32>) -> DominatedLists {
        let n = idom.len();
        // Count children into `first[d]`, sum so that `first[d]` ends d's list, then fill each
        // list from its end: `first[d]` moves down to where the list starts. One offsets
        // array, no copy of it.
        let mut first = memory::refilled(starts, std::iter::repeat_n(0, n + 1));
        for (v, &d) in idom.iter().enumerate() {
            if v as u32 != root {
                first[d as usize] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut nodes = memory::refilled(nodes, std::iter::repeat_n(0, first[n] as usize));
        for (v, &d) in idom.iter().enumerate().rev() {
            if v as u32 != root {
                first[d as usize] -= 1;
                nodes[first[d as usize] as usize] = v as u32;
            }
        }
        DominatedLists { first, nodes }
    }
}
