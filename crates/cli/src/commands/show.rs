//! `heaplens show`: one node in full: sizes, distance, dominator, source location with its
//! line, allocation stack, and its outgoing edges (DevTools' Containment).

use std::io::Write;

use anyhow::Result;
use heaplens_views::show::Show;

use super::{print_view, resolve_node};
use crate::args::ShowArgs;
use crate::load;

pub fn run(args: &ShowArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let node = resolve_node(&graph, &args.file, args.node)?;
    print_view(out, &Show::new(&graph, node, args.edges), args.output.json)
}
