//! `heaplens summary`: DevTools' Summary view.

use std::io::Write;

use anyhow::Result;
use heaplens_graph::{ClassSummary, Members};
use serde::Serialize;

use super::{class_filter, print_json, JsonLocation};
use crate::args::{SortKey, SummaryArgs};
use crate::load;
use crate::table::{self, Align, Table};

#[derive(Serialize)]
struct JsonSummary {
    node_count: usize,
    edge_count: usize,
    total_size: u64,
    classes: Vec<JsonClass>,
}

#[derive(Serialize)]
struct JsonClass {
    name: String,
    location: Option<JsonLocation>,
    count: u64,
    self_size: u64,
    retained_size: u64,
    distance: i32,
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

pub fn run(args: &SummaryArgs, out: &mut dyn Write) -> Result<()> {
    let class = class_filter(args.class.as_deref())?;
    let previous_max_id = match &args.between {
        Some(prev) => {
            let prev = load::read(prev)?;
            Some(prev.nodes.id.iter().copied().filter(|id| id % 2 == 1).max().unwrap_or(0))
        }
        None => None,
    };
    let graph = load::analyze(&args.file)?;
    let mut rows = heaplens_graph::timed("summary", || match previous_max_id {
        Some(previous) => graph.summary_allocated_after(previous, Members::Omitted),
        None => graph.summary(None, Members::Omitted),
    });
    if let Some(re) = &class {
        rows.retain(|r| re.is_match(&r.name));
    }
    sort_rows(&mut rows, args.sort);
    let shown = args.top.unwrap_or(if args.output.json { usize::MAX } else { 25 });
    if args.output.json {
        let summary = JsonSummary {
            node_count: graph.snapshot.node_count(),
            edge_count: graph.snapshot.edge_count(),
            total_size: graph.total_size(),
            classes: rows
                .into_iter()
                .take(shown)
                .map(|r| JsonClass {
                    name: r.name,
                    location: r.location.map(Into::into),
                    count: r.count,
                    self_size: r.self_size,
                    retained_size: r.retained_size,
                    distance: r.distance,
                })
                .collect(),
        };
        return print_json(out, &summary);
    }
    writeln!(
        out,
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
    let total_rows = rows.len();
    for r in rows.iter().take(shown) {
        let location =
            r.location.map_or(String::new(), |l| format!("  (script {} {}:{})", l.script_id, l.line + 1, l.column + 1));
        t.row(vec![
            table::bytes(r.retained_size),
            table::bytes(r.self_size),
            r.count.to_string(),
            table::distance(r.distance),
            format!("{}{location}", table::clip(&r.name, 80)),
        ]);
    }
    t.print(out)?;
    if total_rows > shown {
        writeln!(out, "… {} more classes (--top N shows more)", total_rows - shown)?;
    }
    Ok(())
}
