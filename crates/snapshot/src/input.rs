//! Opening snapshot inputs: files (mapped into memory a window at a time), standard input
//! (`-`), and gzip streams detected by their magic bytes, read ahead on a thread; with a shared
//! counter of the input's bytes read, for progress display.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::error::{ErrorKind, Result, SnapshotError};
use crate::mapped_guard::{self, Listed, Message};
use crate::model::Snapshot;
use crate::scanner::Source;

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
/// the next block while a core is free. Each block becomes the scanner's buffer as it is, with
/// room before its data for the few bytes the scanner has not read yet, so input is copied
/// only by the read itself (unless more than that room is unread). Buffers go back to the
/// reading thread once consumed: fresh memory costs a page fault per page, which on big
/// inputs is most of a read's price.
struct Prefetch {
    blocks: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    returned: std::sync::mpsc::Sender<Vec<u8>>,
}

impl Prefetch {
    const BLOCK: usize = 16 << 20;
    /// Room before a block's data for the bytes the scanner carries over.
    const ROOM: usize = 1 << 16;

    fn new(mut inner: Box<dyn Read + Send>) -> Prefetch {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let (returned, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || loop {
            let mut block = spare.try_recv().unwrap_or_default();
            block.resize(Self::ROOM + Self::BLOCK, 0);
            let mut filled = Self::ROOM;
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
            let ended = filled == Self::ROOM;
            // Bytes read before a failure go first: an error in them is the one to report.
            if (!ended || result.is_ok()) && tx.send(Ok(block)).is_err() {
                return;
            }
            match result {
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
                Ok(()) if ended => return,
                Ok(()) => {}
            }
        });
        Prefetch { blocks: rx, returned }
    }
}

impl Source for Prefetch {
    type Buffer = Vec<u8>;

    fn refill(&mut self, buf: &mut Vec<u8>, unread: Range<usize>) -> io::Result<Range<usize>> {
        let mut block = match self.blocks.recv() {
            Ok(Ok(block)) => block,
            Ok(Err(e)) => return Err(e),
            // The reader has finished: no new input.
            Err(_) => return Ok(unread),
        };
        let kept = unread.len();
        let now = if kept <= Self::ROOM {
            let start = Self::ROOM - kept;
            block[start..Self::ROOM].copy_from_slice(&buf[unread]);
            std::mem::swap(buf, &mut block);
            start..buf.len()
        } else {
            // More unread bytes than the room holds (the scanner leaves at most a number's
            // digits, but a source may be asked to keep any amount): they stay, and the new
            // input is appended after them.
            buf.copy_within(unread, 0);
            buf.truncate(kept);
            buf.extend_from_slice(&block[Self::ROOM..]);
            0..buf.len()
        };
        // The reader may have finished already; then the buffer is simply dropped.
        let _ = self.returned.send(block);
        Ok(now)
    }
}

/// Reads a plain file through memory maps of consecutive windows of it: the parser reads the
/// page cache itself, with no copy, no thread and no memory of its own for the input. A window
/// is unmapped as soon as the next one replaces it, so the file's pages count towards the
/// process's resident memory only while they are being read.
struct Mapped {
    file: Arc<File>,
    /// What to say if the file shrinks under a window (see [`crate::mapped_guard`]).
    message: Arc<Message>,
    /// The file's size when it was opened; a file that shrinks while it is read is an error.
    len: u64,
    /// File offset of the current window's first byte, and the window's length.
    window: (u64, usize),
    read: Arc<AtomicU64>,
}

impl Mapped {
    /// Bytes mapped at once.
    const WINDOW: usize = 16 << 20;
}

/// A read-only view of part of a file, listed as mapped while it lives, or nothing.
#[derive(Default)]
pub(crate) struct Window(Option<(memmap2::Mmap, Listed)>);

impl std::ops::Deref for Window {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.0.as_ref().map_or(&[], |(map, _)| map)
    }
}

impl Source for Mapped {
    type Buffer = Window;

    fn refill(&mut self, buf: &mut Window, unread: Range<usize>) -> io::Result<Range<usize>> {
        let (start, len) = self.window;
        let window_end = start + len as u64;
        if window_end >= self.len {
            return Ok(unread);
        }
        // A mapped page past the end of a file that shrank raises SIGBUS: the size is checked
        // before each window, and the window is listed so that a file cut shorter while it is
        // being read is named as such even then.
        if self.file.metadata()?.len() < self.len {
            return Err(io::Error::other("the file became shorter while it was being read"));
        }
        let from = start + unread.start as u64;
        // The new window starts at the first unread byte and goes past the old one's end,
        // however many bytes are unread.
        let end = (from + Self::WINDOW as u64).max(window_end + (Self::WINDOW / 2) as u64).min(self.len);
        let length = (end - from) as usize;
        // SAFETY: the map is read-only and private to this reader; were the file to shrink,
        // reading a page past its end is turned into an error by `mapped_guard`.
        let map = unsafe { memmap2::MmapOptions::new().offset(from).len(length).map(&*self.file)? };
        let addresses = map.as_ptr() as usize..map.as_ptr() as usize + map.len();
        let listed = mapped_guard::list(addresses, &self.message);
        *buf = Window(Some((map, listed)));
        self.window = (from, length);
        self.read.store(end, Ordering::Relaxed);
        Ok(0..length)
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
    /// The file itself when it is read as stored (not gzip): long strings can stay there. With
    /// it, what to say if it shrinks while it is mapped.
    file: Option<(Arc<File>, Arc<Message>)>,
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
        // Only a regular file can be mapped, or read again for its long strings (not a pipe).
        let kept = if meta.is_file() { file.try_clone().ok().map(Arc::new) } else { None };
        let (mut input, gzip) = Input::wrap(Box::new(file), Some(meta.len()))?;
        if !gzip {
            input.file = kept.map(|file| (file, Message::for_file(&path.display().to_string())));
        }
        Ok(input)
    }

    /// Wraps any byte stream; gzip is detected from the first two bytes.
    pub fn from_reader(reader: Box<dyn Read + Send>, total: Option<u64>) -> Result<Input> {
        Input::wrap(reader, total).map(|(input, _)| input)
    }

    /// [`Input::from_reader`], and whether the stream is gzip.
    fn wrap(reader: Box<dyn Read + Send>, total: Option<u64>) -> Result<(Input, bool)> {
        let progress = Progress { read: Arc::default(), total };
        let counting = Counting { inner: reader, read: progress.read.clone() };
        let mut buffered = BufReader::with_capacity(1 << 16, counting);
        let head = buffered.fill_buf().map_err(|e| SnapshotError::new(ErrorKind::Io(e.to_string())))?;
        let gzip = is_gzip(head);
        let reader: Box<dyn Read + Send> =
            if gzip { Box::new(MultiGzDecoder::new(buffered)) } else { Box::new(buffered) };
        Ok((Input { reader, progress, file: None }, gzip))
    }

    /// A handle to watch reading progress from another thread.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// A plain file is mapped; anything else (gzip, standard input) is read ahead on a thread.
    fn mapped(&self) -> Option<Mapped> {
        let (file, message) = self.file.clone()?;
        let len = self.progress.total?;
        Some(Mapped { file, message, len, window: (0, 0), read: self.progress.read.clone() })
    }

    /// Reads the whole snapshot.
    pub fn read(self) -> Result<Snapshot> {
        match self.mapped() {
            Some(mapped) => crate::load::read_json(mapped, self.file.map(|(file, _)| file)),
            None => crate::load::read_json(Prefetch::new(self.reader), None),
        }
    }

    /// Reads only the node ids (see [`crate::read_node_ids`]).
    pub fn read_node_ids(self) -> Result<crate::NodeIds> {
        match self.mapped() {
            Some(mapped) => crate::load::read_ids_json(mapped),
            None => crate::load::read_ids_json(Prefetch::new(self.reader)),
        }
    }

    /// Checks the whole snapshot, keeping nothing (see [`crate::check_path`]).
    pub fn check(self) -> Result<usize> {
        match self.mapped() {
            Some(mapped) => crate::load::check_json(mapped),
            None => crate::load::check_json(Prefetch::new(self.reader)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names the file a child copy of this test maps, cuts short, then reads.
    const SHRINKING: &str = "HEAPLENS_TEST_SHRINKING_FILE";

    #[cfg(unix)]
    #[test]
    fn a_file_cut_short_under_its_map_is_named_and_ends_the_process_with_code_2() {
        if let Some(path) = std::env::var_os(SHRINKING) {
            let mut mapped = Input::open(path.as_ref()).unwrap().mapped().unwrap();
            let mut window = Window::default();
            mapped.refill(&mut window, 0..0).unwrap();
            std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(0).unwrap();
            // Past the file's new end every page of the window is gone: this read faults.
            let sum: u64 = window.iter().map(|&b| u64::from(b)).sum();
            println!("read the whole window ({sum}) after the file was cut");
            std::process::exit(0);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinking.heapsnapshot");
        std::fs::write(&path, vec![b'7'; 1 << 20]).unwrap();
        let name = "input::tests::a_file_cut_short_under_its_map_is_named_and_ends_the_process_with_code_2";
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads", "1"])
            .env(SHRINKING, &path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&child.stderr);
        assert_eq!(child.status.code(), Some(2), "{stderr}");
        let line = format!("heaplens: {}: the file became shorter while it was being read\n", path.display());
        assert!(stderr.ends_with(&line), "{stderr}");
    }

    #[test]
    fn unread_bytes_come_first_whether_or_not_they_fit_the_room() {
        let input: Vec<u8> = (0..2 * Prefetch::BLOCK + 1000).map(|i| (i % 251) as u8).collect();
        let mut prefetch = Prefetch::new(Box::new(io::Cursor::new(input.clone())));
        let mut delivered = 0;
        // A few unread bytes go into the room before the next block; more than the room
        // holds stay where they are, with the block appended.
        for unread_len in [5, Prefetch::ROOM + 10] {
            let unread: Vec<u8> = (0..unread_len).map(|i| (i % 7) as u8 + 1).collect();
            let mut buf = vec![0u8; 3];
            buf.extend_from_slice(&unread);
            let now = prefetch.refill(&mut buf, 3..3 + unread_len).unwrap();
            let got = &buf[now];
            assert_eq!(&got[..unread_len], &unread[..], "unread {unread_len}");
            assert_eq!(&got[unread_len..], &input[delivered..delivered + Prefetch::BLOCK], "unread {unread_len}");
            delivered += Prefetch::BLOCK;
        }
        let mut buf = vec![9u8; 4];
        let now = prefetch.refill(&mut buf, 1..3).unwrap();
        assert_eq!(&buf[now], &[&[9u8, 9][..], &input[delivered..]].concat()[..]);
    }
}
