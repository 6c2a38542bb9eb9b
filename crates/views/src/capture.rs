//! Heap snapshots of a live process, as `heaplens snapshot` and the `take_snapshot` tool take
//! them: where each file goes, a series in one inspector session, and the line reporting each.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use heaplens_live::capture::{self, Captured, Progress, SnapshotOptions};
use heaplens_live::hunt::create_private_dir;
use heaplens_live::target::Connection;
use serde::Serialize;

use crate::table;

/// Seconds between two snapshots of a series, by default.
pub const DEFAULT_EVERY: f64 = 30.0;

/// Snapshots to take, as asked for.
#[derive(Debug, Clone)]
pub struct SnapshotRequest {
    /// The file to write, or a folder to write Node-style names into (a series always goes to
    /// a folder, created owner-only); `None`: the current folder.
    pub output: Option<PathBuf>,
    /// How many snapshots, in one inspector session (at least 1).
    pub count: u32,
    /// The pause between two of them.
    pub every: Duration,
    /// Garbage collection first, V8's internals.
    pub options: SnapshotOptions,
}

/// Where the next file of the process `pid` goes: `output` itself when it names a file and
/// only one is taken, else a Node-style name (`Heap.<date>.<time>.<pid>.0.<seq>.<extension>`)
/// in the folder `output` names (created owner-only) or in the current folder.
pub fn output_path(output: Option<&Path>, series: bool, pid: u32, extension: &str) -> anyhow::Result<PathBuf> {
    let folder = match output {
        Some(path) if !series && !path.is_dir() => return Ok(path.to_owned()),
        Some(folder) => {
            create_private_dir(folder)?;
            folder.to_owned()
        }
        None => std::env::current_dir()?,
    };
    Ok(capture::node_style_name(&folder, pid, extension))
}

/// Takes one snapshot of the series `request` asks for over `connection` (the caller pauses
/// `request.every` between two). One connection for the whole series keeps V8's object ids,
/// so that `heaplens leaks` can read it.
pub fn take(
    connection: &mut Connection,
    request: &SnapshotRequest,
    progress: &mut dyn FnMut(Progress),
) -> anyhow::Result<Captured> {
    let path = output_path(request.output.as_deref(), request.count > 1, connection.pid, "heapsnapshot")?;
    capture::snapshot(&mut connection.session, &path, request.options, progress)
}

/// How `heaplens snapshot` reports a file it wrote: `FILE (SIZE, N nodes) of pid P (Node V)`.
pub fn captured_line(captured: &Captured, connection: &Connection) -> String {
    format!(
        "{} ({}, {} nodes) of pid {} (Node {})",
        captured.path.display(),
        table::bytes(captured.bytes),
        captured.node_count,
        connection.pid,
        connection.node_version
    )
}

/// The snapshots taken of one process: a line per file as its `Display`, and as its
/// `Serialize` `{"pid", "node_version", "snapshots": [{"path", "bytes", "node_count"}]}`.
pub struct Snapshots {
    lines: Vec<String>,
    document: JsonSnapshots,
}

#[derive(Serialize)]
struct JsonSnapshots {
    pid: u32,
    node_version: String,
    snapshots: Vec<JsonSnapshot>,
}

#[derive(Serialize)]
struct JsonSnapshot {
    path: PathBuf,
    bytes: u64,
    node_count: usize,
}

impl Snapshots {
    /// The files `taken` of the process behind `connection`.
    pub fn new(taken: &[Captured], connection: &Connection) -> Snapshots {
        Snapshots {
            lines: taken.iter().map(|c| captured_line(c, connection)).collect(),
            document: JsonSnapshots {
                pid: connection.pid,
                node_version: connection.node_version.clone(),
                snapshots: taken
                    .iter()
                    .map(|c| JsonSnapshot { path: c.path.clone(), bytes: c.bytes, node_count: c.node_count })
                    .collect(),
            },
        }
    }
}

impl Serialize for Snapshots {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document.serialize(serializer)
    }
}

impl fmt::Display for Snapshots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.lines.iter().try_for_each(|line| writeln!(f, "{line}"))
    }
}
