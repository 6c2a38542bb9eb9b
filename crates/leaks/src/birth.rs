//! When each object of the last snapshot first appeared: V8 keeps an object's id across the
//! snapshots of one process, so the first snapshot holding the id tells the interval it was
//! allocated in.

use heaplens_graph::HeapGraph;
use heaplens_snapshot::NodeIds;
use rayon::prelude::*;

/// Index of the first snapshot that holds each node of `last` (`earlier.len()` for nodes
/// allocated after the last earlier snapshot). 0 means present since the first snapshot.
pub fn births(earlier: &[NodeIds], last: &HeapGraph) -> Vec<u16> {
    let newest = earlier.len() as u16;
    last.snapshot
        .nodes
        .id
        .par_iter()
        .map(|&id| earlier.iter().position(|ids| id <= ids.max_id() && ids.contains(id)).map_or(newest, |k| k as u16))
        .collect()
}
