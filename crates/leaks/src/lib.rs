//! Leak finding over a series of heap snapshots of one process (the three-snapshot technique,
//! generalised to n snapshots).
//!
//! Only the last snapshot is analysed in full; of the earlier ones only the node ids are
//! needed. V8 keeps an object's id for its lifetime, so the ids tell in which interval each
//! live object of the last snapshot was allocated ([`birth`]). From there:
//!
//! 1. [`roots`]: new objects that head a dominator subtree of new objects, and the old object
//!    holding each (looking through backing stores like a Map's table);
//! 2. [`groups`]: roots gathered by holder, holders by the shape of their retaining paths,
//!    each group's live objects counted by interval and class;
//! 3. [`verdict`]: growth in every interval is a leak, a jump is not;
//! 4. [`explain`]: the class to name, the container as code names it, the pattern and its
//!    fix, the source lines.
//!
//! V8's own structures (compiled code, feedback, shapes, engine-held strings) are kept out of
//! the groups and summed on one line.

pub mod birth;
pub mod explain;
pub mod groups;
pub mod roots;
pub mod series;
pub mod verdict;

use heaplens_graph::{HeapGraph, Scripts};
use heaplens_snapshot::NodeIds;

pub use birth::id_agreement;
pub use explain::{Container, Pattern, SourceRef};
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
    /// `leak` or `no leak`.
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
    /// The class to name first: the program's own class closest to the container.
    pub primary_class: String,
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
    let mut engine_internals = vec![Added::default(); ctx.intervals];
    let mut candidates: Vec<(u32, Group)> = Vec::new();
    for (holder, group) in per_holder {
        if is_engine_holder(g, holder) || group.roots.iter().all(|&r| is_engine_node(g, r)) {
            groups::add_all(&mut engine_internals, &group.added);
        } else if verdict::settled_bytes(&group.added) > 0 {
            candidates.push((holder, group));
        }
    }
    let groups = heaplens_graph::timed("leaks: shapes", || groups::by_path_shape(g, candidates));
    let scripts = Scripts::build(g);
    let mut judged: Vec<(verdict::Judgement, Group, explain::Explanation)> = Vec::new();
    for group in groups {
        if verdict::growth_per_interval(&group.added) < options.min_growth {
            continue;
        }
        let explanation = explain::explain(g, &scripts, &group);
        let primary = &group.by_class[&explanation.primary_class];
        let name = g.snapshot.strings.get(explanation.primary_class);
        let judgement = verdict::judge(&group.added, primary, &name, options.min_growth);
        judged.push((judgement, group, explanation));
    }
    judged.sort_by_key(|(j, group, _)| (!j.leak, std::cmp::Reverse(group.retained_size)));
    let leak_count = judged.iter().filter(|(j, _, _)| j.leak).count();
    let mut report_groups: Vec<LeakGroup> = Vec::new();
    for (judgement, group, explanation) in judged.into_iter().take(leak_count + options.suspects) {
        report_groups.push(leak_group(g, judgement, &group, explanation));
    }
    let snapshots = earlier
        .iter()
        .map(|ids| SnapshotFigures { node_count: ids.node_count, total_size: ids.total_self_size })
        .chain(std::iter::once(SnapshotFigures {
            node_count: g.snapshot.node_count(),
            total_size: g.snapshot.nodes.self_size.iter().map(|&s| u64::from(s)).sum(),
        }))
        .collect();
    let (verdict, confidence, reason) = overall(&report_groups, options.min_growth);
    LeakReport {
        verdict,
        confidence,
        reason,
        snapshots,
        min_growth: options.min_growth,
        groups: report_groups,
        engine_internals,
    }
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
        primary_class: g.snapshot.strings.get(explanation.primary_class).into_owned(),
        growth_per_interval: verdict::growth_per_interval(&group.added),
        retained_size: group.retained_size,
        added: group.added.clone(),
        classes,
        container: explanation.container,
        pattern: explanation.pattern,
        sources: explanation.sources,
        example: Example { id: g.snapshot.nodes.id[explanation.example as usize], path: explanation.example_path },
        root_count: group.roots.len(),
    }
}

fn overall(groups: &[LeakGroup], min_growth: u64) -> (&'static str, Confidence, String) {
    let leaks: Vec<&LeakGroup> = groups.iter().filter(|g| g.leak).collect();
    if let Some(first) = leaks.first() {
        let confidence = leaks.iter().map(|g| g.confidence).max().unwrap_or(Confidence::Medium);
        let reason = format!(
            "{} group{} of objects grew in every interval; the largest: {}",
            leaks.len(),
            if leaks.len() == 1 { "" } else { "s" },
            first.pattern.title
        );
        return ("leak", confidence, reason);
    }
    match groups.first() {
        Some(jump) => (
            "no leak",
            Confidence::Medium,
            format!("nothing grew in every interval; the largest growth was not steady: {}", jump.reason),
        ),
        None => (
            "no leak",
            Confidence::High,
            format!("no group of objects kept more than {min_growth} B per interval alive"),
        ),
    }
}

/// V8's own objects: code, shapes, synthetic roots, `system / ...` structures (but not
/// closure contexts, which hold the program's variables).
fn is_engine_node(g: &HeapGraph, node: u32) -> bool {
    let s = &g.snapshot;
    let kind = u16::from(s.nodes.kind[node as usize]);
    let nk = &g.node_kinds;
    let name = s.nodes.name[node as usize];
    kind == nk.code
        || kind == nk.synthetic
        || s.node_types[kind as usize] == "object shape"
        || (s.strings.starts_with(name, "system / ") && !s.strings.eq(name, "system / Context"))
}

/// Holders that are V8's: the roots themselves, code, shapes, internal structures.
fn is_engine_holder(g: &HeapGraph, holder: u32) -> bool {
    holder == g.snapshot.root || is_engine_node(g, holder)
}
