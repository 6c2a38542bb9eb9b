//! `heaplens retainers`: DevTools' Retainers tree of one node, with "ignore this retainer".

use std::io::Write;

use anyhow::Result;
use heaplens_views::retainers::{Retainers, RetainersOptions};

use super::{print_view, resolve_node};
use crate::args::RetainersArgs;
use crate::load;

pub fn run(args: &RetainersArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let node = resolve_node(&graph, &args.file, args.node)?;
    let ignored = args.ignore.iter().map(|&id| resolve_node(&graph, &args.file, id)).collect::<Result<Vec<_>, _>>()?;
    let options = RetainersOptions { depth: args.depth, width: args.width, ignored };
    print_view(out, &Retainers::new(&graph, node, &options), args.output.json)
}
