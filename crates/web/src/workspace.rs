//! What `heaplens serve` shows: the snapshots (read and analysed on a background thread, one
//! after another, with progress), the timelines (GC logs and watch recordings, read up front),
//! and what is computed from them on demand and kept (Summary rows, comparisons, the leak
//! report).

use std::collections::HashMap;
use std::fs::File;
use std::hash::Hash;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use heaplens_gctrace::Analyzer;
use heaplens_graph::{diff_classified, ClassDiff, ClassSummary, HeapGraph, Ignoring, Members, PendingClasses, Scripts};
use heaplens_leaks::{find_leaks, series, LeakReport, Options};
use heaplens_live::watch::{self, Sample};
use heaplens_snapshot::{Input, NodeIds, Progress};

use crate::error::ApiError;

/// Where a snapshot's loading stands.
#[derive(Debug, Clone)]
pub enum LoadState {
    Waiting,
    Loading(Progress),
    Analysing,
    Ready,
    Failed(String),
}

/// A class's instances are kept by the "allocated after" filter and the class key.
pub type InstancesKey = (Option<usize>, String);

/// One snapshot file and what has been computed from it.
pub struct SnapshotSlot {
    pub name: String,
    path: PathBuf,
    pub state: Mutex<LoadState>,
    /// The analysed snapshot. The Comparison needs it mutably as a base (DevTools classifies the
    /// base with the other snapshot's interfaces), hence the lock.
    pub graph: OnceLock<RwLock<HeapGraph>>,
    /// Node ids as the file gives them, for the leak finder.
    pub ids: OnceLock<NodeIds>,
    pub scripts: OnceLock<Scripts>,
    /// Node count, edge count, total size and root, for the status (which must not wait for
    /// the graph's lock while a Comparison holds it).
    pub figures: OnceLock<Figures>,
    /// Summary rows by "allocated after snapshot N" filter (None: all objects).
    pub summaries: Kept<Option<usize>, Vec<ClassSummary>>,
    /// A class's instances, largest retained size first, by (filter, class key).
    pub instances: Kept<InstancesKey, Vec<u32>>,
    /// Comparison rows by base snapshot.
    pub comparisons: Kept<usize, Vec<ClassDiff>>,
    /// The nodes a node dominates, largest retained size first, by node.
    pub dominated: Kept<u32, Vec<u32>>,
    /// The latest "ignore this retainer" states, by their sorted ignored nodes, newest last.
    ignorings: Mutex<Vec<IgnoringSlot>>,
}

/// An "ignore this retainer" state: the sorted ignored nodes, and the state once computed.
type IgnoringSlot = (Vec<u32>, Arc<Slot<Ignoring>>);

/// A value computed at most once: requests that need it while it is computed wait for it.
type Slot<V> = Mutex<Option<Arc<V>>>;

/// Values computed once and kept, by key. Two requests for one key compute it once (the second
/// waits for the first); requests for other keys do not wait.
pub struct Kept<K, V> {
    slots: Mutex<HashMap<K, Arc<Slot<V>>>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Kept<K, V> {
        Kept { slots: Mutex::default() }
    }
}

impl<K: Eq + Hash, V> Kept<K, V> {
    /// What is kept for `key`, or else what `compute` gives, kept from then on (a failure is
    /// not kept: the next request tries again). The map is not locked while `compute` runs
    /// (it may take seconds and lock graphs).
    pub fn get(&self, key: K, compute: impl FnOnce() -> Result<V, ApiError>) -> Result<Arc<V>, ApiError> {
        let slot = lock(&self.slots).entry(key).or_default().clone();
        once(&slot, compute)
    }
}

/// The value of `slot`, computing it while holding the slot when it is not there yet.
fn once<V, E>(slot: &Slot<V>, compute: impl FnOnce() -> Result<V, E>) -> Result<Arc<V>, E> {
    let mut value = lock(slot);
    if let Some(kept) = value.as_ref() {
        return Ok(kept.clone());
    }
    let computed = Arc::new(compute()?);
    *value = Some(computed.clone());
    Ok(computed)
}

/// Up to this many snapshots, every Comparison is computed ahead.
const COMPARED_ALL_PAIRS: usize = 4;

/// How many "ignore this retainer" states a snapshot keeps (each holds a distance per node).
const IGNORINGS_KEPT: usize = 4;

impl SnapshotSlot {
    /// The Retainers view's state with the sorted node ordinals `ignored` ignored: computed on
    /// first use (distances over the whole graph) and kept for the next requests.
    pub fn ignoring(&self, graph: &HeapGraph, ignored: Vec<u32>) -> Arc<Ignoring> {
        let slot = {
            let mut kept = lock(&self.ignorings);
            match kept.iter().find(|(nodes, _)| *nodes == ignored) {
                Some((_, slot)) => slot.clone(),
                None => {
                    if kept.len() == IGNORINGS_KEPT {
                        kept.remove(0);
                    }
                    let slot = Arc::new(Slot::default());
                    kept.push((ignored.clone(), slot.clone()));
                    slot
                }
            }
        };
        // Each state costs a distance per node and seconds of a core: one is computed at a time.
        static COMPUTING: Mutex<()> = Mutex::new(());
        let computed = once(&slot, || {
            let _one_at_a_time = lock(&COMPUTING);
            Ok::<_, std::convert::Infallible>(Ignoring::compute(graph, &ignored))
        });
        match computed {
            Ok(ignoring) => ignoring,
            Err(never) => match never {},
        }
    }
}

/// A snapshot that is not loaded (yet).
fn loading(message: String) -> ApiError {
    ApiError(409, message)
}

/// Locks a cache. A panic in another request cannot leave a cache half-written (every insert
/// is one call), so a poisoned lock is taken as it is.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks an analysed snapshot (see [`lock`] on poisoning).
pub fn read(graph: &RwLock<HeapGraph>) -> RwLockReadGuard<'_, HeapGraph> {
    graph.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks an analysed snapshot, for a Comparison that uses it as the base.
pub fn write(graph: &RwLock<HeapGraph>) -> RwLockWriteGuard<'_, HeapGraph> {
    graph.write().unwrap_or_else(PoisonError::into_inner)
}

/// A loaded snapshot's size.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Figures {
    pub node_count: usize,
    pub edge_count: usize,
    pub total_size: u64,
    pub root: u32,
}

/// A chart of heap figures over time.
pub struct Timeline {
    pub name: String,
    /// What the input was: `gc log` or `watch recording`.
    pub kind: &'static str,
    /// A self-contained SVG document (every string in it escaped).
    pub svg: String,
}

/// Everything the server answers from.
pub struct Workspace {
    pub snapshots: Vec<SnapshotSlot>,
    pub timelines: Vec<Timeline>,
    /// The leak finder over all snapshots, in the order given, once all are loaded.
    pub leaks: OnceLock<Result<LeakReport, String>>,
    /// Whether what serve computes ahead (see `prepare_views`) is computed.
    pub prepared: std::sync::atomic::AtomicBool,
}

impl Workspace {
    /// Sorts `paths` into snapshots and timelines; reads the timelines now (they are small)
    /// and fails on a file that is none of the three kinds.
    pub fn open(paths: &[PathBuf]) -> Result<Workspace, String> {
        let mut snapshots = Vec::new();
        let mut timelines = Vec::new();
        for path in paths {
            let name = path.display().to_string();
            let fail = |e: String| format!("{name}: {e}");
            match sniff(path).map_err(|e| fail(e.to_string()))? {
                Sniffed::Snapshot => snapshots.push(SnapshotSlot {
                    name: path.file_name().map_or(name.clone(), |n| n.to_string_lossy().into_owned()),
                    path: path.clone(),
                    state: Mutex::new(LoadState::Waiting),
                    graph: OnceLock::new(),
                    ids: OnceLock::new(),
                    scripts: OnceLock::new(),
                    figures: OnceLock::new(),
                    summaries: Kept::default(),
                    instances: Kept::default(),
                    comparisons: Kept::default(),
                    dominated: Kept::default(),
                    ignorings: Mutex::default(),
                }),
                Sniffed::Watch => timelines.push(read_watch(path).map_err(fail)?),
                Sniffed::Text => timelines.push(read_gc_log(path).map_err(fail)?),
            }
        }
        if snapshots.is_empty() && timelines.is_empty() {
            return Err("nothing to show: give snapshots, GC logs or watch recordings".into());
        }
        Ok(Workspace { snapshots, timelines, leaks: OnceLock::new(), prepared: Default::default() })
    }

    /// Reads and analyses every snapshot in turn (call on a thread of its own), then runs the
    /// leak finder when there are three or more.
    pub fn load_all(&self) {
        for slot in &self.snapshots {
            slot.load();
        }
        let _ = self.leaks.set(self.find_leaks());
        self.prepare_views();
    }

    /// Summary rows of snapshot `s`: all objects, or those allocated after snapshot `between`
    /// (computed once, then kept).
    pub fn summary(&self, s: usize, between: Option<usize>) -> Result<Arc<Vec<ClassSummary>>, ApiError> {
        let graph = self.graph(s).map_err(loading)?;
        self.snapshots[s].summaries.get(between, || {
            let g = read(graph);
            Ok(match between {
                None => g.summary(None, Members::Listed),
                Some(b) => {
                    let earlier = self.snapshots.get(b).and_then(|slot| slot.ids.get());
                    let earlier = earlier.ok_or_else(|| ApiError(400, format!("snapshot {b} is not loaded")))?;
                    g.summary_allocated_after(earlier.max_js_id(), Members::Listed)
                }
            })
        })
    }

    /// The Comparison of snapshot `s` against `base` (computed once, then kept).
    pub fn comparison(&self, s: usize, base: usize) -> Result<Arc<Vec<ClassDiff>>, ApiError> {
        if base == s {
            return Err(ApiError(400, "pick a base snapshot other than the one shown".into()));
        }
        let (current, base_graph) = (self.graph(s).map_err(loading)?, self.graph(base).map_err(loading)?);
        self.snapshots[s].comparisons.get(base, || {
            // The base is classified under read locks, then takes the new interface names under
            // a short write lock that no other lock is held across; read locks are taken in
            // snapshot order. So no two comparisons can wait for each other, and the views of
            // the base stay answerable while it is classified.
            let both = || {
                if base < s {
                    let base_graph = read(base_graph);
                    (base_graph, read(current))
                } else {
                    let current = read(current);
                    (read(base_graph), current)
                }
            };
            let pending = {
                let (base_graph, current) = both();
                PendingClasses::classify(&base_graph, &current)
            };
            let foreign = pending.name_in(&mut write(base_graph));
            let (base_graph, current) = both();
            Ok(diff_classified(&base_graph, &current, &foreign))
        })
    }

    /// Computes ahead what the views are likely to ask for and takes long on big snapshots:
    /// each snapshot's Summary and objects allocated after each earlier snapshot, and its
    /// Comparison against every other snapshot (only the neighbours and the first when there
    /// are more than [`COMPARED_ALL_PAIRS`]: each Comparison keeps its objects' lists).
    fn prepare_views(&self) {
        let n = self.snapshots.len();
        for s in 0..n {
            let _ = self.summary(s, None);
            // The Retainers view's index, which every picked object needs.
            if let Ok(graph) = self.graph(s) {
                read(graph).retainers();
            }
        }
        for s in 0..n {
            for between in 0..s {
                let _ = self.summary(s, Some(between));
            }
        }
        for s in 0..n {
            for base in (0..n).filter(|&b| b != s && (n <= COMPARED_ALL_PAIRS || b == 0 || b.abs_diff(s) == 1)) {
                let _ = self.comparison(s, base);
            }
        }
        self.prepared.store(true, std::sync::atomic::Ordering::Release);
    }

    /// The analysed snapshot `index`, if it is loaded.
    pub fn graph(&self, index: usize) -> Result<&RwLock<HeapGraph>, String> {
        let slot = self.snapshots.get(index).ok_or_else(|| format!("there is no snapshot {index}"))?;
        slot.graph.get().ok_or_else(|| format!("{} is not loaded yet", slot.name))
    }

    fn find_leaks(&self) -> Result<LeakReport, String> {
        if self.snapshots.len() < 3 {
            return Err(format!(
                "the leak finder needs at least 3 snapshots of one process (baseline, target, final); {} loaded",
                self.snapshots.len()
            ));
        }
        let names: Vec<String> = self.snapshots.iter().map(|s| s.name.clone()).collect();
        let (last, earlier) = self.snapshots.split_last().expect("at least 3");
        let mut ids = Vec::new();
        for slot in earlier {
            ids.push(slot.ids.get().cloned().ok_or_else(|| format!("{} did not load", slot.name))?);
        }
        let graph = last.graph.get().ok_or_else(|| format!("{} did not load", last.name))?;
        let graph = read(graph);
        series::check_series(&names, &ids, &graph)?;
        Ok(find_leaks(&ids, &graph, &Options::default()))
    }
}

impl SnapshotSlot {
    fn set_state(&self, state: LoadState) {
        *lock(&self.state) = state;
    }

    fn load(&self) {
        let input = match Input::open(&self.path) {
            Ok(input) => input,
            Err(e) => return self.set_state(LoadState::Failed(e.to_string())),
        };
        self.set_state(LoadState::Loading(input.progress()));
        let snapshot = match input.read() {
            Ok(snapshot) => snapshot,
            Err(e) => return self.set_state(LoadState::Failed(e.to_string())),
        };
        let _ = self.ids.set(NodeIds::of(&snapshot.nodes));
        self.set_state(LoadState::Analysing);
        let graph = HeapGraph::analyze(snapshot);
        // Built now so that the first Retainers request answers at once.
        graph.retainers();
        let _ = self.scripts.set(Scripts::build(&graph));
        let _ = self.figures.set(Figures {
            node_count: graph.snapshot.node_count(),
            edge_count: graph.snapshot.edge_count(),
            total_size: graph.total_size(),
            root: graph.snapshot.root,
        });
        let _ = self.graph.set(RwLock::new(graph));
        self.set_state(LoadState::Ready);
    }
}

enum Sniffed {
    Snapshot,
    Watch,
    Text,
}

/// Tells a snapshot (JSON object starting with the "snapshot" header, or gzip) from a watch
/// recording (JSON lines of samples) and anything else (read as a GC log).
fn sniff(path: &Path) -> std::io::Result<Sniffed> {
    let mut head = Vec::with_capacity(64);
    File::open(path)?.take(64).read_to_end(&mut head)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Sniffed::Snapshot);
    }
    let text: Vec<u8> = head.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if text.starts_with(b"{\"snapshot\"") {
        Ok(Sniffed::Snapshot)
    } else if text.starts_with(b"{\"sample\"") {
        Ok(Sniffed::Watch)
    } else {
        Ok(Sniffed::Text)
    }
}

/// A recording of `heaplens watch --json`: one `{"sample": ...}` per line, then a summary line.
fn read_watch(path: &Path) -> Result<Timeline, String> {
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut samples: Vec<Sample> = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read: {e}"))?;
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| format!("line {}: not a watch recording (heaplens watch --json): {e}", number + 1))?;
        if let Some(sample) = value.get("sample") {
            samples.push(
                serde_json::from_value(sample.clone())
                    .map_err(|e| format!("line {}: not a watch sample: {e}", number + 1))?,
            );
        }
    }
    let name = path.display().to_string();
    let verdict = watch::verdict(&samples);
    Ok(Timeline { svg: watch::chart_svg(&name, &samples, &verdict), name, kind: "watch recording" })
}

/// A `node --trace-gc` log.
fn read_gc_log(path: &Path) -> Result<Timeline, String> {
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut analyzer = Analyzer::new();
    analyzer.read(&mut BufReader::new(file), &mut |_| Ok(())).map_err(|e| format!("cannot read: {e}"))?;
    let report = analyzer.finish();
    if report.gc_lines == 0 {
        return Err("not a heap snapshot, a --trace-gc log or a watch recording".into());
    }
    Ok(Timeline { name: path.display().to_string(), kind: "gc log", svg: heaplens_gctrace::chart::svg(&report) })
}
