//! The errors of the views: each one line that names the file, the node or the flag at fault,
//! worded as `heaplens` prints them.

use std::path::PathBuf;

use heaplens_snapshot::SnapshotError;

/// What went wrong, said in one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A snapshot file cannot be read, or what it holds is not a whole snapshot.
    #[error("{}: {reason}", path.display())]
    Snapshot {
        /// The file as the user named it.
        path: PathBuf,
        /// What is wrong with it.
        reason: SnapshotError,
    },
    /// No node of the snapshot has the id.
    #[error("{}: no node with id @{id}", file.display())]
    NoSuchNode {
        /// The snapshot.
        file: PathBuf,
        /// The id asked for.
        id: u32,
    },
    /// A flag's pattern does not compile.
    #[error("--{flag} {pattern:?} is not a valid regular expression ({reason})")]
    InvalidRegex {
        /// The flag (`class`, `name`).
        flag: &'static str,
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's verdict, on one line.
        reason: String,
    },
    /// Text that is not a node id.
    #[error("{0:?} is not a node id (write it as DevTools does: @12345)")]
    NotANodeId(String),
    /// Text that is not a number of bytes.
    #[error("{0:?} is not a size in bytes")]
    NotASize(String),
    /// A size whose unit is not one heaplens knows.
    #[error("{0:?}: unknown unit (use B, kB, MB, GB, KiB, MiB or GiB)")]
    UnknownUnit(String),
    /// Text that is not a number of seconds above 0.
    #[error("{0:?} is not a number of seconds above 0")]
    NotSeconds(String),
    /// Text that is not an HTTP header.
    #[error("{0:?} is not NAME: VALUE")]
    NotAHeader(String),
    /// An HTTP header whose name is not one.
    #[error("{0:?} is not a header name")]
    NotAHeaderName(String),
    /// A file or folder named on the command line is not there.
    #[error("{}: no such file or folder", .0.display())]
    Missing(PathBuf),
    /// A folder given for a series cannot be read, or holds no snapshot files in a known order.
    #[error("{}: {reason}", folder.display())]
    Folder {
        /// The folder.
        folder: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A folder given for a series holds fewer than 3 snapshots.
    #[error("{}: holds {count} snapshot file(s); a leak search needs at least 3 of one process", folder.display())]
    FolderTooSmall {
        /// The folder.
        folder: PathBuf,
        /// Snapshot files in it.
        count: usize,
    },
    /// A folder given among snapshot files.
    #[error("{}: is a folder; give either one folder or snapshot files", folder.display())]
    FolderAmongFiles {
        /// The folder.
        folder: PathBuf,
    },
    /// Fewer than 3 snapshots given for a series.
    #[error("a leak search needs at least 3 snapshots of one process (baseline, target, final); got {0}")]
    TooFewSnapshots(usize),
    /// The snapshots do not form a series of one process and one inspector session.
    #[error("{0}")]
    NotASeries(String),
}
