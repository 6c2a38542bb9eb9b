//! The tools that read snapshots: `find_leaks` and DevTools' views of one snapshot, over the
//! snapshots the server keeps.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use heaplens_graph::{diff_classified, HeapGraph, PendingClasses};
use heaplens_leaks::Options;
use heaplens_snapshot::{Input, NodeIds};
use heaplens_views::comparison::Comparison;
use heaplens_views::input::class_filter;
use heaplens_views::leaks::{load_series, prepare_for_the_search, snapshot_files, LeakText};
use heaplens_views::node::resolve_node;
use heaplens_views::paths::Paths;
use heaplens_views::retainers::{Retainers, RetainersOptions, DEFAULT_DEPTH, DEFAULT_WIDTH};
use heaplens_views::show::{Show, DEFAULT_EDGES};
use heaplens_views::summary::{Summary, SummaryOptions};
use heaplens_views::table::DEFAULT_ROWS;
use heaplens_views::Error;

use crate::arguments::{DiffArgs, FindLeaksArgs, PathArgs, RetainersArgs, ShowArgs, Size, SummaryArgs};
use crate::tools::{Answer, Toolbox};
use crate::ToolError;

/// A kept, analysed snapshot.
type Graph = Arc<RwLock<HeapGraph>>;

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `path` opened as a snapshot, with the CLI's error when it cannot be.
fn open(path: &Path) -> Result<Input, Error> {
    Input::open(path).map_err(|reason| Error::Snapshot { path: path.to_owned(), reason })
}

/// Refuses `-`, which names standard input on the command line.
fn file(path: &Path) -> Result<&Path, ToolError> {
    if path.as_os_str() == "-" {
        return Err(ToolError::StandardInput);
    }
    Ok(path)
}

/// The leak finder's options, the defaults where the caller gives none.
pub fn leak_options(min_growth: Option<Size>, suspects: Option<usize>) -> Options {
    let defaults = Options::default();
    Options {
        min_growth: min_growth.map_or(defaults.min_growth, |s| s.0),
        suspects: suspects.unwrap_or(defaults.suspects),
    }
}

impl Toolbox {
    /// The snapshot at `path` analysed, read unless kept; `pin` keeps it for follow-ups.
    fn graph(&self, path: &Path, pin: bool) -> Result<Graph, ToolError> {
        let load = |p: &Path| {
            let snapshot = open(p)?.read().map_err(|reason| Error::Snapshot { path: p.to_owned(), reason })?;
            Ok(RwLock::new(HeapGraph::analyze(snapshot)))
        };
        Ok(self.graphs.get(file(path)?, pin, load)?)
    }

    /// The node ids of the snapshot at `path`, read unless kept.
    fn node_ids(&self, path: &Path) -> Result<Arc<NodeIds>, ToolError> {
        let load = |p: &Path| open(p)?.read_node_ids().map_err(|reason| Error::Snapshot { path: p.to_owned(), reason });
        Ok(self.ids.get(file(path)?, false, load)?)
    }

    /// The leak report on `files` (in time order, at least 3) and its text, the last snapshot
    /// kept for follow-ups.
    pub fn leak_answer(&self, files: &[PathBuf], options: &Options) -> Result<Answer, ToolError> {
        let analyze = |p: &Path| self.graph(p, true).inspect(|graph| prepare_for_the_search(&read(graph)));
        let (earlier, last) = load_series(files, |p| self.node_ids(p), analyze)?;
        let earlier: Vec<NodeIds> = earlier.iter().map(|ids| NodeIds::clone(ids)).collect();
        let report = heaplens_views::leaks::find(files, &earlier, &read(&last), options)?;
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let text = format!(
            "Snapshots in time order: {} (node ids are the last one's)\n\n{}",
            names.join(", "),
            LeakText(&report)
        );
        Ok(Answer::with_text(text, &report))
    }

    /// `find_leaks`: the leak finder on a series, its last snapshot kept for follow-ups.
    pub fn find_leaks(&self, args: FindLeaksArgs) -> Result<Answer, ToolError> {
        let files = snapshot_files(&args.paths)?;
        self.leak_answer(&files, &leak_options(args.min_growth, args.suspects))
    }

    /// `summary`: DevTools' Summary view.
    pub fn summary(&self, args: SummaryArgs) -> Result<Answer, ToolError> {
        let class = class_filter(args.class.as_deref())?;
        let allocated_after = match &args.between {
            Some(previous) => Some(read(&*self.graph(previous, false)?).max_js_object_id()),
            None => None,
        };
        let graph = self.graph(&args.path, false)?;
        let options =
            SummaryOptions { top: args.top.unwrap_or(DEFAULT_ROWS), sort: args.sort.into(), class, allocated_after };
        let answer = Answer::of(&Summary::new(&read(&graph), &options));
        Ok(answer)
    }

    /// `diff`: DevTools' Comparison view.
    pub fn diff(&self, args: DiffArgs) -> Result<Answer, ToolError> {
        let class = class_filter(args.class.as_deref())?;
        let base = self.graph(&args.base, false)?;
        let current = self.graph(&args.path, false)?;
        // The base is classified with the current snapshot's interfaces; naming them in the
        // base is the one step that writes to it, taken with no read lock held.
        let pending = with_both(&base, &current, PendingClasses::classify);
        let foreign = pending.name_in(&mut base.write().unwrap_or_else(std::sync::PoisonError::into_inner));
        let rows = with_both(&base, &current, |b, c| diff_classified(b, c, &foreign));
        Ok(Answer::of(&Comparison::new(rows, class.as_ref(), args.top.unwrap_or(DEFAULT_ROWS))))
    }

    /// `retainers`: DevTools' Retainers tree of a node.
    pub fn retainers(&self, args: RetainersArgs) -> Result<Answer, ToolError> {
        let graph = self.graph(&args.path, false)?;
        let graph = read(&graph);
        let node = resolve_node(&graph, &args.path, args.node_id.0)?;
        let ignored = args.ignore.iter().map(|id| resolve_node(&graph, &args.path, id.0)).collect::<Result<_, _>>()?;
        let options = RetainersOptions {
            depth: args.depth.unwrap_or(DEFAULT_DEPTH),
            width: args.width.unwrap_or(DEFAULT_WIDTH),
            ignored,
        };
        Ok(Answer::of(&Retainers::new(&graph, node, &options)))
    }

    /// `path`: the shortest retaining paths to a node.
    pub fn path(&self, args: PathArgs) -> Result<Answer, ToolError> {
        let graph = self.graph(&args.path, false)?;
        let graph = read(&graph);
        let node = resolve_node(&graph, &args.path, args.node_id.0)?;
        Ok(Answer::of(&Paths::new(&graph, node, args.all.unwrap_or(1))))
    }

    /// `show`: one node in full.
    pub fn show(&self, args: ShowArgs) -> Result<Answer, ToolError> {
        let graph = self.graph(&args.path, false)?;
        let graph = read(&graph);
        let node = resolve_node(&graph, &args.path, args.node_id.0)?;
        Ok(Answer::of(&Show::new(&graph, node, args.edges.unwrap_or(DEFAULT_EDGES))))
    }
}

/// `f` on two kept snapshots (maybe the same one) read-locked in one order whichever comes
/// first, so that two comparisons the other way round never wait for each other.
fn with_both<T>(base: &Graph, current: &Graph, f: impl FnOnce(&HeapGraph, &HeapGraph) -> T) -> T {
    if Arc::ptr_eq(base, current) {
        let both = read(base);
        return f(&both, &both);
    }
    if Arc::as_ptr(base) < Arc::as_ptr(current) {
        let b = read(base);
        f(&b, &read(current))
    } else {
        let c = read(current);
        f(&read(base), &c)
    }
}
