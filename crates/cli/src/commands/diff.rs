//! `heaplens diff`: DevTools' Comparison view between two snapshots of one process.

use std::io::Write;

use anyhow::Result;
use heaplens_views::comparison::Comparison;
use heaplens_views::input::class_filter;
use heaplens_views::table::DEFAULT_ROWS;

use super::print_view;
use crate::args::DiffArgs;
use crate::load;

pub fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<()> {
    let class = class_filter(args.class.as_deref())?;
    let mut base = load::analyze(&args.base)?;
    let current = load::analyze(&args.file)?;
    let rows = heaplens_graph::diff(&mut base, &current);
    let top = args.top.unwrap_or(if args.output.json { usize::MAX } else { DEFAULT_ROWS });
    print_view(out, &Comparison::new(rows, class.as_ref(), top), args.output.json)
}
