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
        let reader: Box<dyn Read + Send> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        Ok(Input { reader, progress })
    }

    /// A handle to watch reading progress from another thread.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Reads the whole snapshot.
    pub fn read(self) -> Result<Snapshot> {
        crate::load::read_json(self.reader)
    }
}
