//! `heaplens summary`: DevTools' Summary view.

use std::io::Write;

use anyhow::Result;
use heaplens_views::input::class_filter;
use heaplens_views::summary::{Summary, SummaryOptions};
use heaplens_views::table::DEFAULT_ROWS;

use super::print_view;
use crate::args::SummaryArgs;
use crate::load;

pub fn run(args: &SummaryArgs, out: &mut dyn Write) -> Result<()> {
    let class = class_filter(args.class.as_deref())?;
    let allocated_after = match &args.between {
        Some(prev) => {
            let prev = load::read(prev)?;
            Some(prev.nodes.id.iter().filter(|id| id % 2 == 1).max().unwrap_or(0))
        }
        None => None,
    };
    let graph = load::analyze(&args.file)?;
    let top = args.top.unwrap_or(if args.output.json { usize::MAX } else { DEFAULT_ROWS });
    let options = SummaryOptions { top, sort: args.sort.into(), class, allocated_after };
    print_view(out, &Summary::new(&graph, &options), args.output.json)
}
