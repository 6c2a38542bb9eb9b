//! Leak finding over a series of heap snapshots of one process (the three-snapshot technique,
//! generalised to n snapshots).
//!
//! Only the last snapshot is analysed in full; of the earlier ones only the node ids are
//! needed. V8 keeps an object's id for its lifetime, so the ids tell in which interval each
//! live object of the last snapshot was allocated ([`birth`]). From there:
//!
//! 1. [`roots`]: new objects that head a dominator subtree of new objects, and the old object
//!    holding each (looking through backing stores like a Map's table); what only V8's own
//!    structures hold is told apart by reachability, not by type ([`engine`]);
//! 2. [`groups`]: roots gathered by holder, holders by the shape of their retaining paths,
//!    each group's live objects counted by interval and class;
//! 3. [`verdict`]: growth in every interval is a leak, a jump is not, and growth no group
//!    explains is never "no leak";
//! 4. [`accounting`]: every byte the intervals added, in exactly one part;
//! 5. [`explain`]: the class to name, the container as code names it, the pattern and its
//!    fix, the source lines.

pub mod accounting;
pub mod birth;
pub mod engine;
pub mod explain;
pub mod groups;
pub mod roots;
pub mod series;
pub mod verdict;

use heaplens_graph::{HeapGraph, Scripts};
use heaplens_snapshot::NodeIds;

pub use accounting::IntervalAccount;
pub use birth::id_agreement;
pub use explain::{Captured, Container, Package, Pattern, SourceRef};
pub use groups::Added;
pub use verdict::Confidence;

use groups::{Group, Grouping};

/// What counts as a leak.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Least growth, in bytes per interval still alive at the end, that a leak must show.
    pub min_growth: u64,
    /// How many groups that grew past the threshold but are not leaks (a jump, growth that
    /// stopped) to report besides the leaks.
    pub suspects: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { min_growth: 16 * 1024, suspects: 3 }
    }
}

/// The whole answer for a series.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeakReport {
    /// `leak`, `no leak`, or `unexplained growth` (the heap grew in every interval and no
    /// group accounts for it).
    pub verdict: &'static str,
    /// How sure the verdict is.
    pub confidence: Confidence,
    /// Why, in a sentence.
    pub reason: String,
    /// Figures of each snapshot, in order.
    pub snapshots: Vec<SnapshotFigures>,
    /// The threshold used, in bytes per interval.
    pub min_growth: u64,
    /// Leak groups (largest retained size first), then groups that grew but are not leaks.
    pub groups: Vec<LeakGroup>,
    /// Growth inside V8's own structures, per interval: shown collapsed, never a leak.
    pub engine_internals: Vec<Added>,
    /// Per interval, where the objects it added and that are still alive went.
    pub accounting: Vec<IntervalAccount>,
    /// The largest holders of the objects no group explains, most bytes first.
    pub unattributed: Vec<Unattributed>,
}

/// A holder of new objects that no judged group explains.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unattributed {
    /// How code names it (or `(weakly held)` for objects no root reaches strongly).
    pub name: String,
    /// Its class.
    pub class: String,
    /// V8 id (0 for the weakly held).
    pub id: u32,
    /// Objects added per interval that it holds.
    pub added: Vec<Added>,
}

/// Size figures of one snapshot.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SnapshotFigures {
    /// Number of nodes.
    pub node_count: usize,
    /// Sum of the nodes' shallow sizes.
    pub total_size: u64,
}

/// One group of objects held the same way.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeakGroup {
    /// Whether the group is a leak.
    pub leak: bool,
    /// How sure.
    pub confidence: Confidence,
    /// Why.
    pub reason: String,
    /// The class to name first, as DevTools' Summary names it: the program's own class closest
    /// to the container, or the class of its own function (`Function`).
    pub primary_class: String,
    /// How the program names it: the class, or for a function its name (`onJobDone`).
    pub primary_name: String,
    /// Bytes per interval still alive at the end (intervals before the last).
    pub growth_per_interval: u64,
    /// Retained size of the group in the last snapshot, nothing counted twice.
    pub retained_size: u64,
    /// Live objects added per interval, all classes.
    pub added: Vec<Added>,
    /// Live objects added per interval by class, most bytes first (at most 8 classes).
    pub classes: Vec<ClassGrowth>,
    /// Where they accumulate.
    pub container: Container,
    /// The leak pattern and its fix.
    pub pattern: Pattern,
    /// Source locations involved.
    pub sources: Vec<SourceRef>,
    /// One instance of the primary class and its shortest path from a root.
    pub example: Example,
    /// One line, as the code names the example: `registry.handlers.get('done')[i]`.
    pub code: String,
    /// The closure variable that holds most of the group's bytes, when one does.
    pub captured: Option<Captured>,
    /// Number of objects that head the group's subtrees.
    pub root_count: usize,
}

/// Growth of one class inside a group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClassGrowth {
    /// Class name as DevTools' Summary shows it.
    pub name: String,
    /// Added per interval and still alive.
    pub added: Vec<Added>,
}

/// An instance and its path.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Example {
    /// V8 id.
    pub id: u32,
    /// Its shortest path from a root, one step per line.
    pub path: Vec<String>,
}

/// Finds the leaks in a series: `earlier` are the node ids of every snapshot but the last,
/// in time order (at least two), `last` the last snapshot analysed.
pub fn find_leaks(earlier: &[NodeIds], last: &HeapGraph, options: &Options) -> LeakReport {
    assert!(earlier.len() >= 2, "a leak search needs at least three snapshots");
    let g = last;
    let birth = heaplens_graph::timed("leaks: births", || birth::births(earlier, g));
    let (leak_roots, storage) = heaplens_graph::timed("leaks: roots", || roots::leak_roots(g, &birth));
    let ctx = Grouping { graph: g, birth: &birth, intervals: earlier.len() };
    let per_holder = heaplens_graph::timed("leaks: members", || groups::by_holder(&ctx, &leak_roots, &storage));
    let mut accounts = accounting::Accounts::new(ctx.intervals);
    let mut candidates: Vec<(u32, Group)> = Vec::new();
    for (holder, group) in per_holder {
        if holder == g.snapshot.root {
            groups::add_all(&mut accounts.engine, &group.added);
        } else {
            candidates.push((holder, group));
        }
    }
    let groups = heaplens_graph::timed("leaks: shapes", || groups::by_path_shape(g, candidates));
    let scripts = Scripts::build(g);
    let mut judged: Vec<(verdict::Judgement, Group, explain::Explanation)> = Vec::new();
    let mut small: Vec<Group> = Vec::new();
    for group in groups {
        if verdict::growth_per_interval(&group.added) < options.min_growth {
            groups::add_all(&mut accounts.not_attributed, &group.added);
            small.push(group);
            continue;
        }
        let explanation = explain::explain(g, &scripts, &group);
        let primary = &group.by_class[&g.class_index(explanation.example)];
        let judgement = verdict::judge(&group.added, primary, &explanation.primary_name, options.min_growth);
        accounts.judged(judgement.leak, &group.added);
        judged.push((judgement, group, explanation));
    }
    judged.sort_by_key(|(j, group, _)| (!j.leak, std::cmp::Reverse(group.retained_size)));
    let leak_count = judged.iter().filter(|(j, _, _)| j.leak).count();
    let mut report_groups: Vec<LeakGroup> = Vec::new();
    for (judgement, group, explanation) in judged.into_iter().take(leak_count + options.suspects) {
        report_groups.push(leak_group(g, judgement, &group, explanation));
    }
    let snapshots: Vec<SnapshotFigures> = earlier
        .iter()
        .map(|ids| SnapshotFigures { node_count: ids.node_count, total_size: ids.total_self_size })
        .chain(std::iter::once(SnapshotFigures {
            node_count: g.snapshot.node_count(),
            total_size: g.snapshot.nodes.self_size.iter().map(u64::from).sum(),
        }))
        .collect();
    let engine_internals = accounts.engine.clone();
    let totals: Vec<u64> = snapshots.iter().map(|s| s.total_size).collect();
    let accounting = accounts.finish(g, &birth, &totals);
    debug_assert!(accounting::balances(&accounting), "the parts of every interval add up: {accounting:?}");
    let unattributed = unattributed(g, small, &accounting);
    let (verdict, confidence, reason) =
        verdict::overall(&report_groups, &accounting, &unattributed, options.min_growth);
    LeakReport {
        verdict,
        confidence,
        reason,
        snapshots,
        min_growth: options.min_growth,
        groups: report_groups,
        engine_internals,
        accounting,
        unattributed,
    }
}

/// How many holders of unattributed objects the report names.
const UNATTRIBUTED_SHOWN: usize = 5;

/// The largest holders among the groups too small to judge, and the objects no root reaches
/// strongly, most settled bytes first.
fn unattributed(g: &HeapGraph, mut small: Vec<Group>, accounting: &[IntervalAccount]) -> Vec<Unattributed> {
    let total = |added: &[Added]| added.iter().map(|a| a.bytes).sum::<u64>();
    small.sort_by_key(|group| std::cmp::Reverse(total(&group.added)));
    let mut out: Vec<Unattributed> = small
        .iter()
        .take(UNATTRIBUTED_SHOWN)
        .map(|group| {
            let holder = group.holders[0];
            Unattributed {
                name: explain::holder_name(g, holder),
                class: g.class_name(holder).into_owned(),
                id: g.snapshot.nodes.id.get(holder as usize),
                added: group.added.clone(),
            }
        })
        .collect();
    let small_total: Vec<Added> = {
        let mut sum = vec![Added::default(); accounting.len()];
        small.iter().for_each(|group| groups::add_all(&mut sum, &group.added));
        sum
    };
    let weakly_held: Vec<Added> = accounting
        .iter()
        .zip(&small_total)
        .map(|(a, s)| Added { count: a.not_attributed.count - s.count, bytes: a.not_attributed.bytes - s.bytes })
        .collect();
    if total(&weakly_held) > 0 {
        out.push(Unattributed { name: "(weakly held)".to_owned(), class: String::new(), id: 0, added: weakly_held });
        out.sort_by_key(|u| std::cmp::Reverse(total(&u.added)));
        out.truncate(UNATTRIBUTED_SHOWN);
    }
    out
}

fn leak_group(
    g: &HeapGraph,
    judgement: verdict::Judgement,
    group: &Group,
    explanation: explain::Explanation,
) -> LeakGroup {
    let mut classes: Vec<ClassGrowth> = group
        .by_class
        .iter()
        .map(|(&class, added)| ClassGrowth { name: g.snapshot.strings.get(class).into_owned(), added: added.clone() })
        .collect();
    let bytes = |c: &ClassGrowth| c.added.iter().map(|a| a.bytes).sum::<u64>();
    classes.sort_by(|a, b| bytes(b).cmp(&bytes(a)).then_with(|| a.name.cmp(&b.name)));
    classes.truncate(8);
    LeakGroup {
        leak: judgement.leak,
        confidence: judgement.confidence,
        reason: judgement.reason,
        primary_class: g.class_name(explanation.example).into_owned(),
        primary_name: explanation.primary_name,
        growth_per_interval: verdict::growth_per_interval(&group.added),
        retained_size: group.retained_size,
        added: group.added.clone(),
        classes,
        container: explanation.container,
        pattern: explanation.pattern,
        sources: explanation.sources,
        example: Example { id: g.snapshot.nodes.id.get(explanation.example as usize), path: explanation.example_path },
        code: explanation.code,
        captured: explanation.captured,
        root_count: group.roots.len(),
    }
}
