//! Putting snapshot files in time order and checking that they make a series. Files named on
//! the command line keep their order; a folder's snapshots are ordered by the date, time and
//! sequence number in Node's own names (`Heap.YYYYMMDD.HHMMSS.PID.TID.SEQ.heapsnapshot`), else by
//! modification time.

use std::path::{Path, PathBuf};

use heaplens_graph::HeapGraph;
use heaplens_snapshot::NodeIds;

use crate::birth::id_agreement;

/// Least share of shared ids that must name objects of the same shape in both snapshots.
const MIN_ID_AGREEMENT: f64 = 0.9;

/// Checks that snapshots named `names` come in time order (V8's JavaScript object ids only
/// grow) and number objects alike (one process, one numbering): `earlier` are all but the last.
pub fn check_series(names: &[String], earlier: &[NodeIds], last: &HeapGraph) -> Result<(), String> {
    let maxima: Vec<u32> = earlier.iter().map(NodeIds::max_js_id).chain([last.max_js_object_id()]).collect();
    for (i, pair) in maxima.windows(2).enumerate() {
        if pair[0] > pair[1] {
            return Err(format!(
                "{} holds newer objects than {}, which comes after it: give the snapshots in time order",
                names[i],
                names[i + 1]
            ));
        }
    }
    let last_name = names.last().map_or("", String::as_str);
    for (ids, name) in earlier.iter().zip(names) {
        if let Some(agreement) = id_agreement(ids, last).filter(|&a| a < MIN_ID_AGREEMENT) {
            return Err(format!(
                "{name} and {last_name} give the same ids to different objects ({:.0}% of shared ids disagree): they \
                 come from different processes, or V8 renumbered its objects in between, as it does when an \
                 inspector session ends; take the series in one session (heaplens hunt, heaplens snapshot --count, \
                 v8.writeHeapSnapshot)",
                (1.0 - agreement) * 100.0
            ));
        }
    }
    Ok(())
}

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
        // By date and time, then sequence: a process's snapshots of one second keep Node's
        // order, and one Node writes later under its own counter (near the heap limit) sorts
        // by when it was written.
        files.sort_by_key(|(p, _)| node_name_key(p).map(|(date, time, _, _, seq)| (date, time, seq)));
    } else {
        files.sort_by(|(a, at), (b, bt)| at.cmp(bt).then_with(|| a.cmp(b)));
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_ordered_by_time_then_sequence() {
        let dir = tempfile::Builder::new().prefix("heaplens-series-").tempdir().unwrap();
        // Node's near-limit snapshot counts on its own (001) but comes last in time.
        let names = [
            "Heap.20261202.101502.7.0.001.heapsnapshot",
            "Heap.20261202.101000.7.0.001.heapsnapshot",
            "Heap.20261202.101000.7.0.002.heapsnapshot",
            "Heap.20261202.101230.7.0.003.heapsnapshot",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let ordered: Vec<String> = order_folder(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(ordered, [names[1], names[2], names[3], names[0]]);
    }
}
