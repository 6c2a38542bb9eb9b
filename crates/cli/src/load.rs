//! Loading snapshot files for commands: progress bar on a terminal, errors that name the file.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use heaplens_graph::HeapGraph;
use heaplens_snapshot::{Input, NodeIds, Snapshot, SnapshotError};
use heaplens_views::Error;
use indicatif::{ProgressBar, ProgressStyle};

/// Files smaller than this load without a progress bar.
const PROGRESS_THRESHOLD: u64 = 32 << 20;

/// Reads a snapshot, showing progress on stderr when it is a terminal and the file is big.
pub fn read(path: &Path) -> Result<Snapshot> {
    read_with(path, Input::read)
}

/// Reads only a snapshot's node ids (checking the whole file), with the same progress display.
pub fn read_node_ids(path: &Path) -> Result<NodeIds> {
    read_with(path, Input::read_node_ids)
}

fn read_with<T: Send>(path: &Path, read: impl FnOnce(Input) -> Result<T, SnapshotError> + Send) -> Result<T> {
    let fail = |reason: SnapshotError| Error::Snapshot { path: path.to_owned(), reason };
    let input = Input::open(path).map_err(fail)?;
    let progress = input.progress();
    let bar = match progress.total {
        Some(total) if total >= PROGRESS_THRESHOLD && std::io::stderr().is_terminal() => {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_message(format!("reading {}", path.display()));
            Some(bar)
        }
        _ => None,
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    let snapshot = std::thread::scope(|scope| {
        if let Some(bar) = &bar {
            scope.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    bar.set_position(progress.read());
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        let result = read(input);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(snapshot.map_err(fail)?)
}

/// Reads and analyses a snapshot.
pub fn analyze(path: &Path) -> Result<HeapGraph> {
    let snapshot = heaplens_graph::timed("read", || read(path))?;
    Ok(HeapGraph::analyze(snapshot))
}
