//! Reading V8 heap snapshots into flat columns.
//!
//! This crate turns a `.heapsnapshot` or `.heaptimeline` file (as written by Node.js 18–24 and
//! Chrome, gzipped or not) into a [`Snapshot`]: struct-of-arrays node and edge columns indexed by
//! `u32` ordinals, with the string table kept undecoded until something shows a string. It does
//! no analysis; `heaplens-graph` computes what DevTools computes on top of it.
//!
//! ```no_run
//! let snapshot = heaplens_snapshot::read_path("app.heapsnapshot".as_ref())?;
//! println!("{} nodes, {} edges", snapshot.node_count(), snapshot.edge_count());
//! # Ok::<(), heaplens_snapshot::SnapshotError>(())
//! ```
//!
//! Every field is found by name through the header's `meta`; malformed input of any kind is
//! reported as a [`SnapshotError`] (never a panic), with the byte offset where it helps.
#![deny(missing_docs)]

mod blocks;
mod error;
mod header;
mod input;
mod load;
mod mapped_guard;
mod model;
mod records;
mod scanner;
mod strings;

pub use error::{ErrorKind, Result, SnapshotError};
pub use input::{Input, Progress};
pub use model::{
    Edges, IdCursor, Location, NodeIdColumn, NodeIds, Nodes, Sample, SizeColumn, Snapshot, TraceFunction, TraceTree,
};
pub use strings::{decode_json_string, StringTable};

use std::path::Path;

/// Reads the snapshot at `path` (`-` for standard input; gzip is detected).
pub fn read_path(path: &Path) -> Result<Snapshot> {
    Input::open(path)?.read()
}

/// Reads only the node ids of the snapshot at `path` (`-` for standard input; gzip is
/// detected), still checking the whole file's syntax and counts (the edges' values are
/// counted, not read).
pub fn read_node_ids(path: &Path) -> Result<NodeIds> {
    Input::open(path)?.read_node_ids()
}

/// Checks that the file at `path` is a whole snapshot — its syntax, its nodes, and the counts of
/// its records — as [`read_node_ids`] does, in memory that does not grow with the file;
/// returns its node count.
pub fn check_path(path: &Path) -> Result<usize> {
    Input::open(path)?.check()
}

/// Checks a snapshot in memory (see [`check_path`]).
pub fn check_bytes(bytes: &[u8]) -> Result<usize> {
    load::check_json(decompressed(bytes))
}

/// Reads a snapshot from bytes in memory (gzip is detected), on the calling thread.
pub fn read_bytes(bytes: &[u8]) -> Result<Snapshot> {
    load::read_json(decompressed(bytes), None)
}

/// Reads only the node ids of a snapshot in memory (see [`read_node_ids`]).
pub fn read_node_ids_bytes(bytes: &[u8]) -> Result<NodeIds> {
    load::read_ids_json(decompressed(bytes))
}

fn decompressed(bytes: &[u8]) -> Box<dyn std::io::Read + '_> {
    if input::is_gzip(bytes) {
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    }
}
