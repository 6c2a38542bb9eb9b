//! `heaplens nodes --jsonl`: every node with DevTools' per-node numbers, one JSON object a line.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::args::NodesArgs;
use crate::load;

/// Names longer than this are cut (in characters).
const NAME_LIMIT: usize = 200;

#[derive(Serialize)]
struct JsonNode<'a> {
    id: u32,
    #[serde(rename = "type")]
    kind: &'a str,
    name: String,
    class: &'a str,
    self_size: u32,
    retained_size: u64,
    distance: i32,
    dominator: u32,
}

pub fn run(args: &NodesArgs, out: &mut dyn Write) -> Result<()> {
    let graph = load::analyze(&args.file)?;
    let s = &graph.snapshot;
    let mut line = Vec::with_capacity(512);
    for i in 0..s.node_count() as u32 {
        let mut name = graph.display_name(i);
        if let Some((cut, _)) = name.char_indices().nth(NAME_LIMIT) {
            name.truncate(cut);
        }
        let class = graph.class_name(i);
        let node = JsonNode {
            id: s.nodes.id[i as usize],
            kind: graph.type_name(i),
            name,
            class: &class,
            self_size: s.nodes.self_size[i as usize],
            retained_size: graph.retained_size[i as usize],
            distance: graph.distance[i as usize],
            dominator: s.nodes.id[graph.dominator[i as usize] as usize],
        };
        line.clear();
        serde_json::to_writer(&mut line, &node)?;
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}
