//! Opening snapshot inputs: files, standard input (`-`), and gzip streams detected by their
//! magic bytes, with a shared counter of compressed bytes read for progress display.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::error::{ErrorKind, Result, SnapshotError};
use crate::model::Snapshot;

/// How far reading has come: bytes of the input consumed so far, out of `total` when known.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    read: Arc<AtomicU64>,
    /// Size of the input on disk, when it is a regular file.
    pub total: Option<u64>,
}

impl Progress {
    /// Bytes of the input (as stored: compressed for gzip) read so far.
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads ahead on its own thread (file reads and gzip inflation), so parsing never waits for
/// the next block while a core is free. Blocks go back to the reading thread once consumed:
/// fresh memory costs a page fault per page, which on big inputs is most of a read's price.
struct Prefetch {
    blocks: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    returned: std::sync::mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl Prefetch {
    const BLOCK: usize = 8 << 20;

    fn new(mut inner: Box<dyn Read + Send>) -> Prefetch {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let (returned, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || loop {
            let mut block = spare.try_recv().unwrap_or_default();
            block.resize(Self::BLOCK, 0);
            let mut filled = 0;
            let result = loop {
                match inner.read(&mut block[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        filled += n;
                        if filled == block.len() {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            block.truncate(filled);
            let done = filled == 0 || result.is_err();
            let message = match result {
                Ok(()) => Ok(block),
                Err(e) => Err(e),
            };
            if tx.send(message).is_err() || done {
                return;
            }
        });
        Prefetch { blocks: rx, returned, current: Vec::new(), at: 0 }
    }
}

impl Read for Prefetch {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.current.len() {
            match self.blocks.recv() {
                Ok(Ok(block)) => {
                    // The reader may have finished already; then the block is simply dropped.
                    let _ = self.returned.send(std::mem::replace(&mut self.current, block));
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Whether `head` starts with gzip's magic bytes.
pub(crate) fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// An input ready to be read: decompressed if it was gzip.
pub struct Input {
    reader: Box<dyn Read + Send>,
    progress: Progress,
}

impl Input {
    /// Opens `path`, or standard input when `path` is `-`.
    pub fn open(path: &Path) -> Result<Input> {
        if path.as_os_str() == "-" {
            return Input::from_reader(Box::new(io::stdin()), None);
        }
        let file = File::open(path).map_err(|e| SnapshotError::new(ErrorKind::Io(e.to_string())))?;
        let meta = file.metadata().map_err(|e| SnapshotError::new(ErrorKind::Io(e.to_string())))?;
        if meta.is_dir() {
            return Err(SnapshotError::new(ErrorKind::Io("it is a directory".into())));
        }
        Input::from_reader(Box::new(file), Some(meta.len()))
    }

    /// Wraps any byte stream; gzip is detected from the first two bytes.
    pub fn from_reader(reader: Box<dyn Read + Send>, total: Option<u64>) -> Result<Input> {
        let progress = Progress { read: Arc::default(), total };
        let counting = Counting { inner: reader, read: progress.read.clone() };
        let mut buffered = BufReader::with_capacity(1 << 16, counting);
        let head = buffered.fill_buf().map_err(|e| SnapshotError::new(ErrorKind::Io(e.to_string())))?;
        let reader: Box<dyn Read + Send> =
            if is_gzip(head) { Box::new(MultiGzDecoder::new(buffered)) } else { Box::new(buffered) };
        Ok(Input { reader, progress })
    }

    /// A handle to watch reading progress from another thread.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Reads the whole snapshot.
    pub fn read(self) -> Result<Snapshot> {
        crate::load::read_json(Prefetch::new(self.reader))
    }

    /// Reads only the node ids (see [`crate::read_node_ids`]).
    pub fn read_node_ids(self) -> Result<crate::NodeIds> {
        crate::load::read_ids_json(Prefetch::new(self.reader))
    }

    /// Checks the whole snapshot, keeping nothing (see [`crate::check_path`]).
    pub fn check(self) -> Result<usize> {
        crate::load::check_json(Prefetch::new(self.reader))
    }
}
