//! The one error type of snapshot reading: what is wrong, and where in the input.

use std::fmt;

/// Why a snapshot could not be read.
///
/// Every variant renders as one line that says what is wrong; [`SnapshotError`] adds the byte
/// offset in the (decompressed) input where that helps.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file or stream could not be read (I/O error, bad gzip data).
    Io(String),
    /// The input ended before the snapshot was complete.
    Truncated(&'static str),
    /// The input is empty.
    Empty,
    /// The input is not a heap snapshot at all (not a JSON object with a `snapshot` header).
    NotASnapshot(String),
    /// The JSON syntax is broken.
    Syntax(String),
    /// The `snapshot` header is missing fields or holds inconsistent values.
    Header(String),
    /// The arrays disagree with the header or with each other.
    Inconsistent(String),
}

/// An error while reading a snapshot, with the byte offset where it was found when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset in the decompressed input, when the error is tied to a position.
    pub offset: Option<u64>,
}

impl SnapshotError {
    pub(crate) fn at(kind: ErrorKind, offset: u64) -> Self {
        SnapshotError { kind, offset: Some(offset) }
    }

    pub(crate) fn new(kind: ErrorKind) -> Self {
        SnapshotError { kind, offset: None }
    }

    /// Attaches `offset` unless the error already has one.
    pub(crate) fn or_at(mut self, offset: u64) -> Self {
        self.offset.get_or_insert(offset);
        self
    }

    pub(crate) fn inconsistent(message: impl Into<String>) -> Self {
        SnapshotError::new(ErrorKind::Inconsistent(message.into()))
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Io(m) => write!(f, "cannot read: {m}")?,
            ErrorKind::Truncated(what) => write!(f, "truncated: the input ends inside {what}")?,
            ErrorKind::Empty => write!(f, "empty input: not a heap snapshot")?,
            ErrorKind::NotASnapshot(m) => write!(f, "not a heap snapshot: {m}")?,
            ErrorKind::Syntax(m) => write!(f, "invalid JSON: {m}")?,
            ErrorKind::Header(m) => write!(f, "bad snapshot header: {m}")?,
            ErrorKind::Inconsistent(m) => write!(f, "inconsistent snapshot: {m}")?,
        }
        if let Some(offset) = self.offset {
            write!(f, " (at byte {offset})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SnapshotError {}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, SnapshotError>;
