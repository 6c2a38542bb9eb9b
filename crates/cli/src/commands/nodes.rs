//! `heaplens nodes --jsonl`: every node with DevTools' per-node numbers, one JSON object a line.

use std::io::Write;

use anyhow::Result;

use super::JsonNode;
use crate::args::NodesArgs;
use crate::load;

pub fn run(args: &NodesArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let mut line = Vec::with_capacity(512);
    for i in 0..graph.snapshot.node_count() as u32 {
        line.clear();
        serde_json::to_writer(&mut line, &JsonNode::of(&graph, i))?;
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}
