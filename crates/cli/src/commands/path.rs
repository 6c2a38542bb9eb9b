//! `heaplens path`: the shortest retaining paths from a GC root to one node, in words.

use std::io::Write;

use anyhow::Result;
use heaplens_views::paths::Paths;

use super::{print_view, resolve_node};
use crate::args::PathArgs;
use crate::load;

pub fn run(args: &PathArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let node = resolve_node(&graph, &args.file, args.node)?;
    print_view(out, &Paths::new(&graph, node, args.all), args.output.json)
}
