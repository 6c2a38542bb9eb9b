//! Heap snapshots and allocation timelines from a live process, streamed to disk chunk by
//! chunk as the inspector sends them (heaplens's memory stays small whatever the heap), into
//! an owner-only `.part` file that becomes the named file only once it reads back whole. A
//! capture that fails or is interrupted removes its `.part` file; [`remove_unfinished`] does
//! it for a process that must exit at once (a second Ctrl-C).

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::inspector::Session;

/// What a capture reports while it runs.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// V8 walks the heap: `done` of `total` objects.
    Building { done: u64, total: u64 },
    /// Bytes of the file written so far.
    Writing { bytes: u64 },
}

/// How to take a snapshot.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnapshotOptions {
    /// Collect garbage first, so the snapshot holds only what is alive.
    pub collect_garbage: bool,
    /// Include V8's internal objects (`exposeInternals`).
    pub expose_internals: bool,
}

/// A file written and checked.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Nodes in it.
    pub node_count: usize,
}

/// A file name as Node's `--heapsnapshot-signal` and `v8.writeHeapSnapshot` write it:
/// `Heap.YYYYMMDD.HHMMSS.PID.0.SEQ.EXT`, with SEQ one past the highest in `dir` for that pid,
/// so that a folder of them sorts in time order for `heaplens leaks`.
pub fn node_style_name(dir: &Path, pid: u32, extension: &str) -> PathBuf {
    let next = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let parts: Vec<&str> = name.split('.').collect();
            (parts.len() >= 7 && parts[0] == "Heap" && parts[3] == pid.to_string())
                .then(|| parts[5].parse::<u32>().ok())?
        })
        .max()
        .map_or(1, |seq| seq.saturating_add(1));
    let stamp = chrono::Local::now().format("%Y%m%d.%H%M%S");
    dir.join(format!("Heap.{stamp}.{pid}.0.{next:03}.{extension}"))
}

/// Takes a heap snapshot of the session's process into `path`.
pub fn snapshot(
    session: &mut Session,
    path: &Path,
    options: SnapshotOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Captured> {
    session.call("HeapProfiler.enable", json!({}))?;
    if options.collect_garbage {
        collect_garbage(session)?;
    }
    let params =
        json!({ "reportProgress": true, "exposeInternals": options.expose_internals, "captureNumericValue": false });
    stream_to_file(session, "HeapProfiler.takeHeapSnapshot", params, path, progress)
}

/// Records allocations for `duration`, then writes the allocation timeline (a snapshot whose
/// nodes carry allocation stacks) into `path`.
pub fn allocation_timeline(
    session: &mut Session,
    path: &Path,
    duration: Duration,
    options: SnapshotOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Captured> {
    session.call("HeapProfiler.enable", json!({}))?;
    session.call("HeapProfiler.startTrackingHeapObjects", json!({ "trackAllocations": true }))?;
    let recorded =
        session.idle(duration).and_then(|()| if options.collect_garbage { collect_garbage(session) } else { Ok(()) });
    if let Err(e) = recorded {
        let _ = session.call("HeapProfiler.stopTrackingHeapObjects", json!({ "reportProgress": false }));
        return Err(e);
    }
    let params = json!({ "reportProgress": true, "captureNumericValue": false });
    stream_to_file(session, "HeapProfiler.stopTrackingHeapObjects", params, path, progress)
}

/// Two full collections, as DevTools' "collect garbage" button does: the second frees what
/// the first's finalizers released.
pub fn collect_garbage(session: &mut Session) -> Result<()> {
    session.call("HeapProfiler.collectGarbage", json!({}))?;
    session.call("HeapProfiler.collectGarbage", json!({}))?;
    Ok(())
}

/// Runs `method`, writing every `addHeapSnapshotChunk` it streams into `path` (through
/// `path.part`), then checks the file reads back as a whole snapshot.
fn stream_to_file(
    session: &mut Session,
    method: &str,
    params: Value,
    path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Captured> {
    let unfinished = Unfinished::create(part_path(path));
    let part = &unfinished.path;
    let file = owner_only(part)?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let mut bytes = 0u64;
    let streamed = session.call_with_events(method, params, &mut |event, params| {
        match event {
            "HeapProfiler.addHeapSnapshotChunk" => {
                let chunk = params.get("chunk").and_then(Value::as_str).unwrap_or("");
                writer.write_all(chunk.as_bytes()).with_context(|| format!("cannot write {}", part.display()))?;
                bytes += chunk.len() as u64;
                progress(Progress::Writing { bytes });
            }
            "HeapProfiler.reportHeapSnapshotProgress" => {
                let number = |key: &str| params.get(key).and_then(Value::as_u64).unwrap_or(0);
                progress(Progress::Building { done: number("done"), total: number("total") });
            }
            _ => {}
        }
        Ok(())
    });
    let finished = streamed.and_then(|_| {
        let file = writer.into_inner().map_err(|e| anyhow!("cannot write {}: {}", part.display(), e.error()))?;
        file.sync_all().with_context(|| format!("cannot write {}", part.display()))?;
        if bytes == 0 {
            bail!("the inspector sent an empty snapshot");
        }
        let node_count = heaplens_snapshot::check_path(part)
            .map_err(|e| anyhow!("the snapshot received is not whole ({e}); nothing was kept"))?;
        fs::rename(part, path).with_context(|| format!("cannot rename {} to {}", part.display(), path.display()))?;
        Ok(Captured { path: path.to_owned(), bytes, node_count })
    });
    drop(unfinished);
    finished
}

/// The `.part` files being written now.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every `.part` file a capture is writing: for a process about to exit at once.
pub fn remove_unfinished() {
    for part in UNFINISHED.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
        let _ = fs::remove_file(part);
    }
}

/// A `.part` file being written: listed in [`UNFINISHED`] while it lives, removed (if it was
/// not renamed to its final name) when dropped.
struct Unfinished {
    path: PathBuf,
}

impl Unfinished {
    fn create(path: PathBuf) -> Unfinished {
        UNFINISHED.lock().unwrap_or_else(|e| e.into_inner()).push(path.clone());
        Unfinished { path }
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        UNFINISHED.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p != &self.path);
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

/// Creates `path` readable and writable by its owner only (a heap holds the program's
/// secrets), replacing a file there; a symbolic link in its place is refused, not followed.
pub fn owner_only(path: &Path) -> Result<File> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file()) {
        fs::remove_file(path).with_context(|| format!("cannot replace {}", path.display()))?;
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}
