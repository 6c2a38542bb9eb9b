//! `heaplens diff`: DevTools' Comparison view between two snapshots of one process.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{class_filter, print_json, JsonLocation};
use crate::args::DiffArgs;
use crate::load;
use crate::table::{self, Align, Table};

#[derive(Serialize)]
struct JsonDiff {
    classes: Vec<JsonClassDiff>,
}

#[derive(Serialize)]
struct JsonClassDiff {
    name: String,
    location: Option<JsonLocation>,
    added_count: u64,
    removed_count: u64,
    count_delta: i64,
    added_size: u64,
    removed_size: u64,
    size_delta: i64,
}

pub fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<()> {
    let class = class_filter(args.class.as_deref())?;
    let mut base = load::analyze(&args.base)?;
    let current = load::analyze(&args.file)?;
    let mut rows = heaplens_graph::diff(&mut base, &current);
    if let Some(re) = &class {
        rows.retain(|r| re.is_match(&r.name));
    }
    rows.sort_by(|a, b| {
        b.size_delta()
            .cmp(&a.size_delta())
            .then_with(|| b.count_delta().cmp(&a.count_delta()))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.key.cmp(&b.key))
    });
    let shown = args.top.unwrap_or(if args.output.json { usize::MAX } else { 25 });
    if args.output.json {
        let classes = rows
            .into_iter()
            .take(shown)
            .map(|r| JsonClassDiff {
                count_delta: r.count_delta(),
                size_delta: r.size_delta(),
                name: r.name,
                location: r.location.map(Into::into),
                added_count: r.added_count,
                removed_count: r.removed_count,
                added_size: r.added_size,
                removed_size: r.removed_size,
            })
            .collect();
        return print_json(out, &JsonDiff { classes });
    }
    let mut t = Table::new(&[
        ("# New", Align::Right),
        ("# Deleted", Align::Right),
        ("# Delta", Align::Right),
        ("Alloc. Size", Align::Right),
        ("Freed Size", Align::Right),
        ("Size Delta", Align::Right),
        ("Class", Align::Left),
    ]);
    let total = rows.len();
    for r in rows.iter().take(shown) {
        t.row(vec![
            r.added_count.to_string(),
            r.removed_count.to_string(),
            format!("{:+}", r.count_delta()),
            table::bytes(r.added_size),
            table::bytes(r.removed_size),
            table::signed_bytes(r.size_delta()),
            table::clip(&r.name, 80),
        ]);
    }
    t.print(out)?;
    if total > shown {
        writeln!(out, "… {} more classes (--top N shows more)", total - shown)?;
    }
    Ok(())
}
