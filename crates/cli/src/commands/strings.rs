//! `heaplens strings`: duplicated strings as DevTools groups them, with the bytes they waste.

use std::io::Write;

use anyhow::Result;
use heaplens_graph::duplicate_strings;
use serde::Serialize;

use super::{cut, print_json};
use crate::args::StringsArgs;
use crate::load;
use crate::table::{self, Align, Table};

/// Longest value written in JSON (in characters); node ids identify the full strings.
const VALUE_LIMIT: usize = 1024;

#[derive(Serialize)]
struct JsonStrings {
    groups: Vec<JsonGroup>,
}

#[derive(Serialize)]
struct JsonGroup {
    value: String,
    /// V8 wrote these strings truncated; they are grouped by length and hash too.
    truncated: bool,
    count: usize,
    total_self_size: u64,
    total_retained_size: u64,
    /// Bytes one shared copy would save: all copies but the largest.
    wasted_size: u64,
    ids: Vec<u32>,
}

pub fn run(args: &StringsArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let groups = heaplens_graph::timed("duplicate strings", || duplicate_strings(&graph));
    let shown = args.top.unwrap_or(if args.output.json { usize::MAX } else { 25 });
    if args.output.json {
        let json = JsonStrings {
            groups: groups
                .iter()
                .take(shown)
                .map(|g| JsonGroup {
                    value: cut(g.value.clone(), VALUE_LIMIT),
                    truncated: g.truncated,
                    count: g.nodes.len(),
                    total_self_size: g.total_self_size,
                    total_retained_size: g.total_retained_size,
                    wasted_size: g.wasted_size(&graph),
                    ids: g.nodes.iter().map(|&n| graph.snapshot.nodes.id.get(n as usize)).collect(),
                })
                .collect(),
        };
        return print_json(out, &json);
    }
    let wasted: u64 = groups.iter().map(|g| g.wasted_size(&graph)).sum();
    writeln!(out, "{} duplicated strings, {} wasted", groups.len(), table::bytes(wasted))?;
    let mut t = Table::new(&[
        ("Count", Align::Right),
        ("Total", Align::Right),
        ("Wasted", Align::Right),
        ("Retained", Align::Right),
        ("Value", Align::Left),
    ]);
    for g in groups.iter().take(shown) {
        t.row(vec![
            g.nodes.len().to_string(),
            table::bytes(g.total_self_size),
            table::bytes(g.wasted_size(&graph)),
            table::bytes(g.total_retained_size),
            format!("{:?}", table::clip(&g.value, 70)),
        ]);
    }
    t.print(out)?;
    if groups.len() > shown {
        writeln!(out, "… {} more (--top N shows more)", groups.len() - shown)?;
    }
    Ok(())
}
