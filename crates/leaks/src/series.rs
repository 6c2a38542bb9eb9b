//! Putting snapshot files in time order. Files named on the command line keep their order; a
//! folder's snapshots are ordered by the sequence number in Node's own names
//! (`Heap.YYYYMMDD.HHMMSS.PID.TID.SEQ.heapsnapshot`), else by modification time.

use std::path::{Path, PathBuf};

/// Whether `path` looks like a heap snapshot file (`.heapsnapshot`, `.heaptimeline`, gzipped).
pub fn is_snapshot_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".heapsnapshot") || name.ends_with(".heaptimeline")
}

/// The parts of a Node snapshot name that order it: (date, time, pid, thread, sequence).
pub fn node_name_key(path: &Path) -> Option<(u64, u64, u64, u64, u64)> {
    let name = path.file_name()?.to_str()?;
    let mut parts = name.split('.');
    if parts.next()? != "Heap" {
        return None;
    }
    let mut number = || parts.next()?.parse::<u64>().ok();
    Some((number()?, number()?, number()?, number()?, number()?))
}

/// The snapshot files of `folder`, oldest first.
pub fn order_folder(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<(PathBuf, std::time::SystemTime)> = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_file() && is_snapshot_file(&path) {
            files.push((path, entry.metadata()?.modified()?));
        }
    }
    if files.iter().all(|(p, _)| node_name_key(p).is_some()) {
        files.sort_by_key(|(p, _)| {
            let (date, time, pid, thread, seq) = node_name_key(p).expect("checked above");
            (pid, thread, seq, date, time)
        });
    } else {
        files.sort_by(|(a, at), (b, bt)| at.cmp(bt).then_with(|| a.cmp(b)));
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
