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

/// The snapshot files of `folder`, oldest first; an error (in words) when the folder cannot
/// be read or Node's names say the snapshots come from more than one process.
pub fn order_folder(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<(PathBuf, std::time::SystemTime)> = Vec::new();
    let unreadable = |e: std::io::Error| format!("cannot list the folder: {e}");
    for entry in std::fs::read_dir(folder).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        if path.is_file() && is_snapshot_file(&path) {
            files.push((path, entry.metadata().and_then(|m| m.modified()).map_err(unreadable)?));
        }
    }
    let keys: Option<Vec<_>> = files.iter().map(|(p, _)| node_name_key(p)).collect();
    if let Some(keys) = keys {
        let mut processes: Vec<(u64, u64)> = keys.iter().map(|k| (k.2, k.3)).collect();
        processes.sort_unstable();
        processes.dedup();
        if processes.len() > 1 {
            return Err(format!(
                "holds snapshots of {} processes (pids {}); a leak search needs snapshots of one",
                processes.len(),
                processes.iter().map(|p| p.0.to_string()).collect::<Vec<_>>().join(", ")
            ));
        }
        files.sort_by_key(|(p, _)| node_name_key(p).map(|(_, _, _, _, seq)| seq));
    } else {
        files.sort_by(|(a, at), (b, bt)| at.cmp(bt).then_with(|| a.cmp(b)));
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
