//! DevTools' Summary view: objects grouped by class.

use std::fmt;

use heaplens_graph::{ClassSummary, HeapGraph, Members};
use regex::Regex;
use serde::{Serialize, Serializer};

use crate::node::JsonLocation;
use crate::table::{self, Align, Table};

/// The order of the classes, largest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Retained size.
    #[default]
    Retained,
    /// Self (shallow) size.
    SelfSize,
    /// Number of objects.
    Count,
}

/// Which classes to show, and how.
#[derive(Debug, Clone)]
pub struct SummaryOptions {
    /// Show only the first this many classes.
    pub top: usize,
    /// Their order.
    pub sort: SortKey,
    /// Only classes whose name matches.
    pub class: Option<Regex>,
    /// Only objects allocated after a snapshot whose largest JavaScript object id was this
    /// (DevTools' "Objects allocated between").
    pub allocated_after: Option<u32>,
}

impl Default for SummaryOptions {
    fn default() -> SummaryOptions {
        SummaryOptions { top: usize::MAX, sort: SortKey::Retained, class: None, allocated_after: None }
    }
}

/// Orders Summary rows by the chosen key, largest first, then by name for stable output.
pub fn sort_rows(rows: &mut [ClassSummary], key: SortKey) {
    rows.sort_by(|a, b| {
        let (x, y) = match key {
            SortKey::Retained => (a.retained_size, b.retained_size),
            SortKey::SelfSize => (a.self_size, b.self_size),
            SortKey::Count => (a.count, b.count),
        };
        y.cmp(&x).then_with(|| a.name.cmp(&b.name)).then_with(|| a.key.cmp(&b.key))
    });
}

/// The Summary of a snapshot: `summary --json` as its `Serialize`, the table as its `Display`.
pub struct Summary<'g> {
    graph: &'g HeapGraph,
    /// Every class that passed the filters, in order; the first `shown` are shown.
    rows: Vec<ClassSummary>,
    shown: usize,
}

impl<'g> Summary<'g> {
    /// Computes the Summary rows `options` ask for.
    pub fn new(graph: &'g HeapGraph, options: &SummaryOptions) -> Summary<'g> {
        let mut rows = heaplens_graph::timed("summary", || match options.allocated_after {
            Some(previous) => graph.summary_allocated_after(previous, Members::Omitted),
            None => graph.summary(None, Members::Omitted),
        });
        if let Some(re) = &options.class {
            rows.retain(|r| re.is_match(&r.name));
        }
        sort_rows(&mut rows, options.sort);
        Summary { graph, shown: options.top.min(rows.len()), rows }
    }
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    node_count: usize,
    edge_count: usize,
    total_size: u64,
    classes: Vec<JsonClass<'a>>,
}

#[derive(Serialize)]
struct JsonClass<'a> {
    name: &'a str,
    location: Option<JsonLocation>,
    count: u64,
    self_size: u64,
    retained_size: u64,
    distance: i32,
}

impl Serialize for Summary<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        JsonSummary {
            node_count: self.graph.snapshot.node_count(),
            edge_count: self.graph.snapshot.edge_count(),
            total_size: self.graph.total_size(),
            classes: self.rows[..self.shown]
                .iter()
                .map(|r| JsonClass {
                    name: &r.name,
                    location: r.location.map(Into::into),
                    count: r.count,
                    self_size: r.self_size,
                    retained_size: r.retained_size,
                    distance: r.distance,
                })
                .collect(),
        }
        .serialize(serializer)
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let graph = self.graph;
        writeln!(
            f,
            "{} nodes, {} edges, total size {}",
            graph.snapshot.node_count(),
            graph.snapshot.edge_count(),
            table::bytes(graph.total_size())
        )?;
        let mut t = Table::new(&[
            ("Retained", Align::Right),
            ("Self", Align::Right),
            ("Count", Align::Right),
            ("Distance", Align::Right),
            ("Class", Align::Left),
        ]);
        for r in &self.rows[..self.shown] {
            let location = r
                .location
                .map_or(String::new(), |l| format!("  (script {} {}:{})", l.script_id, l.line + 1, l.column + 1));
            t.row(vec![
                table::bytes(r.retained_size),
                table::bytes(r.self_size),
                r.count.to_string(),
                table::distance(r.distance),
                format!("{}{location}", table::clip(&r.name, 80)),
            ]);
        }
        write!(f, "{t}")?;
        if self.rows.len() > self.shown {
            writeln!(f, "… {} more classes (--top N shows more)", self.rows.len() - self.shown)?;
        }
        Ok(())
    }
}
