//! What `heaplens serve` shows: the snapshots (read and analysed on a background thread, one
//! after another, with progress), the timelines (GC logs and watch recordings, read up front),
//! and what is computed from them on demand and kept (Summary rows, comparisons, the leak
//! report).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use heaplens_gctrace::Analyzer;
use heaplens_graph::{ClassDiff, ClassSummary, HeapGraph, Scripts};
use heaplens_leaks::{find_leaks, series, LeakReport, Options};
use heaplens_live::watch::{self, Sample};
use heaplens_snapshot::{Input, NodeIds, Progress};

/// Where a snapshot's loading stands.
#[derive(Debug, Clone)]
pub enum LoadState {
    Waiting,
    Loading(Progress),
    Analysing,
    Ready,
    Failed(String),
}

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
    /// Summary rows by "allocated after snapshot N" filter (None: all objects).
    pub summaries: Mutex<HashMap<Option<usize>, Arc<Vec<ClassSummary>>>>,
    /// A class's instances, largest retained size first, by (filter, class key).
    pub instances: Mutex<HashMap<(Option<usize>, String), Arc<Vec<u32>>>>,
    /// Comparison rows by base snapshot.
    pub comparisons: Mutex<HashMap<usize, Arc<Vec<ClassDiff>>>>,
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
                    summaries: Mutex::default(),
                    instances: Mutex::default(),
                    comparisons: Mutex::default(),
                }),
                Sniffed::Watch => timelines.push(read_watch(path).map_err(fail)?),
                Sniffed::Text => timelines.push(read_gc_log(path).map_err(fail)?),
            }
        }
        if snapshots.is_empty() && timelines.is_empty() {
            return Err("nothing to show: give snapshots, GC logs or watch recordings".into());
        }
        Ok(Workspace { snapshots, timelines, leaks: OnceLock::new() })
    }

    /// Reads and analyses every snapshot in turn (call on a thread of its own), then runs the
    /// leak finder when there are three or more.
    pub fn load_all(&self) {
        for slot in &self.snapshots {
            slot.load();
        }
        let _ = self.leaks.set(self.find_leaks());
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
        let graph = graph.read().expect("no panics under the lock");
        series::check_series(&names, &ids, &graph)?;
        Ok(find_leaks(&ids, &graph, &Options::default()))
    }
}

impl SnapshotSlot {
    fn set_state(&self, state: LoadState) {
        *self.state.lock().expect("no panics under the lock") = state;
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
        let _ = self.scripts.set(Scripts::build(&graph));
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
