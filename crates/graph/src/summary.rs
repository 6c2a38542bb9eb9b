//! The Summary view: nodes grouped by class key (the class name, or for objects with a source
//! location that location plus the name), with count, self size, retained size without double
//! counting, and the smallest distance — DevTools' `aggregatesWithFilter`.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use heaplens_snapshot::{Location, Snapshot};

use crate::kinds::NodeKinds;
use crate::locations::Locations;
use crate::memory::prefetch;
use crate::HeapGraph;

/// A class key as DevTools builds it: `,Name`, or `script,line,column,Name` for objects with a
/// source location.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClassKey {
    /// Keyed by the class name's string index.
    Name(u32),
    /// An object keyed by its source location and class name.
    Located {
        /// V8 script id.
        script_id: u32,
        /// 0-based line.
        line: u32,
        /// 0-based column.
        column: u32,
        /// Class name.
        name: String,
    },
}

/// One row of the Summary view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    /// DevTools' public class key (`,Name` or `script,line,column,Name`).
    pub key: String,
    /// Class name.
    pub name: String,
    /// The source location for location-keyed classes.
    pub location: Option<Location>,
    /// Number of instances (self size > 0).
    pub count: u64,
    /// Sum of self sizes.
    pub self_size: u64,
    /// Sum of retained sizes of instances no other instance of the class dominates.
    pub retained_size: u64,
    /// Smallest distance of an instance.
    pub distance: i32,
    /// Node ordinals of the instances, in node order; empty when [`Members::Omitted`].
    pub members: Vec<u32>,
}

/// Dense class ids per node: nodes with the same DevTools class key share an id.
#[derive(Debug, Clone, Default)]
pub struct ClassIds {
    /// Class id per node ordinal.
    pub of_node: Vec<u32>,
    /// The key of each class id.
    pub keys: Vec<ClassKey>,
    /// The class name (a string index) of each class id: the name of its first node.
    pub names: Vec<u32>,
}

impl ClassIds {
    /// Assigns ids from class indexes (per node) and object locations; each node's class index
    /// becomes its id in place. Ids go to classes in the order they first show among the nodes:
    /// runs of nodes number the classes they meet on every core, then the runs' classes join
    /// one list in run order (the order they first show in all) and each run is renumbered.
    pub(crate) fn build(s: &Snapshot, nk: &NodeKinds, locations: &Locations, classes: Vec<u32>) -> ClassIds {
        let run = (classes.len() / 8).max(1 << 16);
        ClassIds::in_runs(s, nk, locations, classes, run)
    }

    /// [`ClassIds::build`] with runs of `run` nodes.
    fn in_runs(s: &Snapshot, nk: &NodeKinds, locations: &Locations, classes: Vec<u32>, run: usize) -> ClassIds {
        use rayon::prelude::*;
        let mut of_node = classes;
        let runs: Vec<RunClasses> = of_node
            .par_chunks_mut(run)
            .enumerate()
            .map(|(k, nodes)| RunClasses::assign(s, nk, locations, k * run, nodes))
            .collect();
        let mut ids: HashMap<ClassKey, u32> = HashMap::new();
        let (mut keys, mut names) = (Vec::new(), Vec::new());
        let renumbered: Vec<Vec<u32>> = runs
            .into_iter()
            .map(|classes| {
                let joined = classes.keys.into_iter().zip(classes.names).map(|(key, name)| {
                    *ids.entry(key).or_insert_with_key(|key| {
                        keys.push(key.clone());
                        names.push(name);
                        keys.len() as u32 - 1
                    })
                });
                joined.collect()
            })
            .collect();
        of_node.par_chunks_mut(run).zip(&renumbered).for_each(|(nodes, global)| {
            // The first run, and any that meets only classes in the order they were listed,
            // already holds its final ids.
            if global.iter().enumerate().any(|(local, &id)| id != local as u32) {
                nodes.iter_mut().for_each(|id| *id = global[*id as usize]);
            }
        });
        ClassIds { of_node, keys, names }
    }
}

/// The classes a run of nodes meets, numbered in the order it meets them.
struct RunClasses {
    keys: Vec<ClassKey>,
    /// The class name (a string index) of each class's first node in the run.
    names: Vec<u32>,
}

impl RunClasses {
    /// Numbers the classes of `nodes` (class indexes, the first being node `first`'s), which
    /// become the run's numbers in place.
    fn assign(s: &Snapshot, nk: &NodeKinds, locations: &Locations, first: usize, nodes: &mut [u32]) -> RunClasses {
        let mut by_index: FxHashMap<u32, u32> = FxHashMap::default();
        // Located classes are keyed by name, which more than one string may spell: nodes look
        // their class up by its string index first, so a name is decoded once per place.
        let mut by_location: HashMap<((u32, u32, u32), String), u32> = HashMap::new();
        let mut by_location_index: FxHashMap<((u32, u32, u32), u32), u32> = FxHashMap::default();
        let mut keys = Vec::new();
        let mut names = Vec::new();
        let object = nk.object;
        // Neighbouring nodes often share a class, and objects made at one place often lie side
        // by side: the last class of each kind is remembered, which spares most lookups.
        let mut last_named = (u32::MAX, 0);
        let mut last_located = (((u32::MAX, u32::MAX, u32::MAX), u32::MAX), 0);
        for (i, slot) in nodes.iter_mut().enumerate() {
            let class = *slot;
            let node = first + i;
            let located = if u16::from(s.nodes.kind[node]) == object { locations.get(node as u32) } else { None };
            let id = match located {
                None if last_named.0 == class => last_named.1,
                None => {
                    let id = *by_index.entry(class).or_insert_with(|| {
                        keys.push(ClassKey::Name(class));
                        names.push(class);
                        keys.len() as u32 - 1
                    });
                    last_named = (class, id);
                    id
                }
                Some(loc) if last_located.0 == ((loc.script_id, loc.line, loc.column), class) => last_located.1,
                Some(loc) => {
                    let place = (loc.script_id, loc.line, loc.column);
                    let id = *by_location_index.entry((place, class)).or_insert_with(|| {
                        let name = s.strings.get(class).into_owned();
                        *by_location.entry((place, name)).or_insert_with_key(|(place, name)| {
                            let (script_id, line, column) = *place;
                            keys.push(ClassKey::Located { script_id, line, column, name: name.clone() });
                            names.push(class);
                            keys.len() as u32 - 1
                        })
                    });
                    last_located = ((place, class), id);
                    id
                }
            };
            *slot = id;
        }
        RunClasses { keys, names }
    }
}

/// Whether Summary rows list their instances ([`ClassSummary::members`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    /// Each row lists its instances.
    Listed,
    /// Rows carry totals only, and empty member lists.
    Omitted,
}

/// The Summary rows for the nodes `filter` accepts (all when `None`), keyed as DevTools keys
/// them; when two internal keys print the same, the later one wins, as in DevTools.
pub(crate) fn summarize(
    g: &HeapGraph,
    ids: &ClassIds,
    filter: Option<&(dyn Fn(u32) -> bool + Sync)>,
    members: Members,
) -> Vec<ClassSummary> {
    let s = &g.snapshot;
    let accepts = |i: u32| filter.is_none_or(|f| f(i));
    let (retained, totals) =
        rayon::join(|| retained_by_class(g, ids, &accepts), || ClassTotals::of(g, ids, &accepts, members));
    let ClassTotals { first_member, count, self_size, distance, mut listed } = totals;
    let class_count = ids.keys.len();
    // Rows in the order their classes first appear among the nodes.
    let mut order: Vec<u32> = (0..class_count as u32).filter(|&c| first_member[c as usize] != u32::MAX).collect();
    order.sort_unstable_by_key(|&c| first_member[c as usize]);
    let mut rows: Vec<ClassSummary> = Vec::with_capacity(order.len());
    for class in order {
        let c = class as usize;
        let first = first_member[c];
        let (key, name, location) = match &ids.keys[c] {
            ClassKey::Name(index) => {
                let name = s.strings.get(*index).into_owned();
                (format!(",{name}"), name, None)
            }
            ClassKey::Located { script_id, line, column, name } => (
                format!("{script_id},{line},{column},{name}"),
                name.clone(),
                Some(Location { node: first, script_id: *script_id, line: *line, column: *column }),
            ),
        };
        rows.push(ClassSummary {
            key,
            name,
            location,
            count: count[c],
            self_size: self_size[c],
            retained_size: retained[c],
            distance: distance[c],
            members: listed.get_mut(c).map(std::mem::take).unwrap_or_default(),
        });
    }
    // Same printed key: the later class wins, as when DevTools fills its result object.
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut result: Vec<ClassSummary> = Vec::with_capacity(rows.len());
    for row in rows {
        match position.get(&row.key) {
            Some(&p) => result[p] = row,
            None => {
                position.insert(row.key.clone(), result.len());
                result.push(row);
            }
        }
    }
    result
}

/// Totals per class id over the nodes a Summary takes (accepted, self size above zero), in
/// flat arrays.
struct ClassTotals {
    /// The first such node of each class (`u32::MAX` for none).
    first_member: Vec<u32>,
    count: Vec<u64>,
    self_size: Vec<u64>,
    distance: Vec<i32>,
    /// The nodes of each class, when listed; empty otherwise.
    listed: Vec<Vec<u32>>,
}

impl ClassTotals {
    fn of(g: &HeapGraph, ids: &ClassIds, accepts: &impl Fn(u32) -> bool, members: Members) -> ClassTotals {
        let class_count = ids.keys.len();
        let mut t = ClassTotals {
            first_member: vec![u32::MAX; class_count],
            count: vec![0; class_count],
            self_size: vec![0; class_count],
            distance: vec![i32::MAX; class_count],
            listed: match members {
                Members::Listed => vec![Vec::new(); class_count],
                Members::Omitted => Vec::new(),
            },
        };
        for (i, size) in g.snapshot.nodes.self_size.iter().enumerate() {
            if size == 0 || !accepts(i as u32) {
                continue;
            }
            let class = ids.of_node[i] as usize;
            if t.first_member[class] == u32::MAX {
                t.first_member[class] = i as u32;
            }
            t.count[class] += 1;
            t.self_size[class] += u64::from(size);
            t.distance[class] = t.distance[class].min(g.distance(i as u32));
            if let Some(list) = t.listed.get_mut(class) {
                list.push(i as u32);
            }
        }
        t
    }
}

/// Per class id, the sum of the retained sizes of the instances `accepts` takes (self size above
/// zero) that no other such instance of the class dominates: a walk of the dominator tree that
/// knows which classes have an instance on the path above.
///
/// The top of the tree is walked first, level by level, until its subtrees are enough to share
/// between the cores and none of them holds a large share of the heap: a node that dominates
/// most of the nodes (one big array, one big map) is split into its children rather than walked
/// by one core while the other waits. Subtrees go to the cores as runs of siblings, a long list
/// of children in pieces; each piece's walk starts from the classes counted on its path.
fn retained_by_class(g: &HeapGraph, ids: &ClassIds, accepts: &(impl Fn(u32) -> bool + Sync)) -> Vec<u64> {
    retained_by_class_cut(g, ids, accepts, Cut::FOR_TWO_CORES)
}

/// How [`retained_by_class`] cuts the dominator tree into work for the cores.
#[derive(Debug, Clone, Copy)]
struct Cut {
    /// The top is walked until it leaves at least this many subtrees...
    subtrees: usize,
    /// ...and none retaining more than this share of the heap. Fewer than this many subtrees
    /// of one level can be that large, so the top stays a small walk.
    heavy_share: u64,
    /// Siblings walked as one piece of work.
    piece: usize,
}

impl Cut {
    const FOR_TWO_CORES: Cut = Cut { subtrees: 1024, heavy_share: 32, piece: 1024 };
}

fn retained_by_class_cut(g: &HeapGraph, ids: &ClassIds, accepts: &(impl Fn(u32) -> bool + Sync), cut: Cut) -> Vec<u64> {
    use rayon::prelude::*;
    const TOP_LEVELS: usize = 64;
    let s = &g.snapshot;
    let class_count = ids.keys.len();
    let counts = |node: u32| counted(g, accepts, node);
    let heavy = g.retained_size(s.root) / cut.heavy_share;
    let mut retained = vec![0u64; class_count];
    // The classes counted on the path above each run of siblings; `(siblings, path)` per run,
    // those to walk whole in `subtrees`, those still to look at in `level`.
    let mut paths: Vec<Vec<u32>> = vec![Vec::new()];
    let mut subtrees: Vec<(&[u32], usize)> = Vec::new();
    let mut level: Vec<(&[u32], usize)> = vec![(std::slice::from_ref(&s.root), 0)];
    let nodes_in = |runs: &[(&[u32], usize)]| runs.iter().map(|(siblings, _)| siblings.len()).sum::<usize>();
    for _ in 0..TOP_LEVELS {
        let enough = nodes_in(&subtrees) + nodes_in(&level) >= cut.subtrees;
        let mut below = Vec::new();
        for (siblings, path) in level {
            let mut whole = 0;
            for (k, &node) in siblings.iter().enumerate() {
                if enough && g.retained_size(node) <= heavy {
                    continue;
                }
                if whole < k {
                    subtrees.push((&siblings[whole..k], path));
                }
                whole = k + 1;
                let class = ids.of_node[node as usize];
                let mut children_path = path;
                if !paths[path].contains(&class) && counts(node) {
                    retained[class as usize] += g.retained_size(node);
                    let mut longer = paths[path].clone();
                    longer.push(class);
                    paths.push(longer);
                    children_path = paths.len() - 1;
                }
                let children = g.dominated(node);
                if !children.is_empty() {
                    below.push((children, children_path));
                }
            }
            if whole < siblings.len() {
                subtrees.push((&siblings[whole..], path));
            }
        }
        level = below;
        if level.is_empty() {
            break;
        }
    }
    subtrees.extend(level);
    let walked = subtrees
        .par_iter()
        .flat_map(|&(siblings, path)| siblings.par_chunks(cut.piece).map(move |piece| (piece, path)))
        .fold(
            || (vec![0u64; class_count], vec![false; class_count], Vec::new()),
            |(mut retained, mut active, mut stack), (piece, path)| {
                paths[path].iter().for_each(|&c| active[c as usize] = true);
                for &node in piece {
                    walk_subtree(g, ids, &counts, node, &mut active, &mut retained, &mut stack);
                }
                paths[path].iter().for_each(|&c| active[c as usize] = false);
                (retained, active, stack)
            },
        )
        .map(|(retained, _, _)| retained)
        .reduce(
            || vec![0u64; class_count],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
                a
            },
        );
    retained.iter_mut().zip(walked).for_each(|(r, w)| *r += w);
    retained
}

/// Whether `node` counts towards its class's row: `accepts` takes it and its self size is above
/// zero.
fn counted(g: &HeapGraph, accepts: &impl Fn(u32) -> bool, node: u32) -> bool {
    g.snapshot.nodes.self_size.get(node as usize) != 0 && accepts(node)
}

/// Adds to `retained` the subtree of `top`'s share of [`retained_by_class`], with the classes
/// counted above it `active`; leaves `active` as it found it, and `stack` (the walk's own,
/// kept from one subtree to the next) empty.
fn walk_subtree(
    g: &HeapGraph,
    ids: &ClassIds,
    counts: &impl Fn(u32) -> bool,
    top: u32,
    active: &mut [bool],
    retained: &mut [u64],
    stack: &mut Vec<(u32, bool)>,
) {
    stack.push((top, false));
    while let Some((node, leaving)) = stack.pop() {
        let class = ids.of_node[node as usize] as usize;
        if leaving {
            active[class] = false;
            continue;
        }
        let children = g.dominated(node);
        if !active[class] && counts(node) {
            retained[class] += g.retained_size(node);
            if !children.is_empty() {
                active[class] = true;
                stack.push((node, true));
            }
        }
        for &child in children {
            // Taken from the stack later, most of them after other subtrees: their class and
            // their own list are asked for now, so those loads overlap the walk.
            prefetch(&ids.of_node[child as usize]);
            prefetch(&g.dominated.first[child as usize]);
            stack.push((child, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However the nodes are cut into runs, every class gets the id it gets in one run: the
    /// order its first node comes in. On real snapshots (Node's with located objects, a browser
    /// page's with DOM classes), and runs from a node each to a few hundred.
    #[test]
    fn ids_do_not_depend_on_the_runs() {
        for file in ["mixed-node20.heapsnapshot.gz", "mixed-node24.heapsnapshot.gz", "chrome-page.heapsnapshot.gz"] {
            let g = crate::analyzed_fixture(file);
            let ids = &g.class_ids;
            let located = ids.keys.iter().any(|key| matches!(key, ClassKey::Located { .. }));
            assert!(located || file.starts_with("chrome"), "{file}: no located class");
            let classes: Vec<u32> = ids.of_node.iter().map(|&id| ids.names[id as usize]).collect();
            let build = |run| ClassIds::in_runs(&g.snapshot, &g.node_kinds, &g.locations, classes.clone(), run);
            let whole = build(classes.len());
            assert_eq!((&whole.of_node, &whole.keys, &whole.names), (&ids.of_node, &ids.keys, &ids.names), "{file}");
            for run in [1, 2, 7, 64, 333] {
                let cut = build(run);
                assert_eq!(cut.of_node, whole.of_node, "{file}: runs of {run}");
                assert_eq!((cut.keys, cut.names), (whole.keys.clone(), whole.names.clone()), "{file}: runs of {run}");
            }
        }
    }

    /// However the dominator tree is cut into work for the cores, each class retains what one
    /// walk of the whole tree finds: on real snapshots, every node counted or only some, with
    /// no big subtree split, every subtree above a small share of the heap split, and pieces of
    /// one sibling to many.
    #[test]
    fn retained_by_class_does_not_depend_on_the_cut() {
        for file in ["mixed-node20.heapsnapshot.gz", "mixed-node24.heapsnapshot.gz", "chrome-page.heapsnapshot.gz"] {
            let g = crate::analyzed_fixture(file);
            let ids = &g.class_ids;
            let filters: [&(dyn Fn(u32) -> bool + Sync); 2] = [&|_| true, &|node| node % 3 != 0];
            for accepts in filters {
                let mut whole = vec![0u64; ids.keys.len()];
                let counts = |node: u32| counted(&g, &accepts, node);
                let mut active = vec![false; ids.keys.len()];
                walk_subtree(&g, ids, &counts, g.snapshot.root, &mut active, &mut whole, &mut Vec::new());
                assert!(whole.iter().filter(|&&r| r > 0).count() > 10, "{file}: too few classes to tell");
                for (subtrees, heavy_share, piece) in
                    [(1, 1, 1), (1, 8, 3), (1, 1 << 12, 1), (50, 1 << 20, 7), (1024, 32, 1024)]
                {
                    let cut = Cut { subtrees, heavy_share, piece };
                    assert_eq!(retained_by_class_cut(&g, ids, &accepts, cut), whole, "{file}: {cut:?}");
                }
            }
        }
    }
}
