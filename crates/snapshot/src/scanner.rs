//! A streaming JSON tokenizer made for heap snapshots: a buffer over any [`Source`] (a reader,
//! or the file read-ahead), with fast paths for the two things that make up almost all of a
//! snapshot's bytes — long arrays of non-negative integers, parsed straight into records, and
//! an array of strings that is kept undecoded.
//!
//! Nothing here recurses: nested values are skipped or captured with a depth counter, so hostile
//! nesting cannot overflow the stack.

use std::io::{ErrorKind as IoErrorKind, Read};
use std::ops::Range;
use std::time::{Duration, Instant};

use crate::blocks::{count_block, first_digits, leading_digits, parse_block, BLOCK_READ};
use crate::error::{ErrorKind, Result, SnapshotError};

const BUFFER_SIZE: usize = 16 << 20;

pub(crate) struct Scanner<S: Source> {
    src: S,
    buf: S::Buffer,
    pos: usize,
    end: usize,
    /// Input offset of `buf[origin]`.
    base: u64,
    /// Where the unread bytes started after the last refill.
    origin: usize,
    eof: bool,
}

/// Where a scanner's bytes come from.
pub(crate) trait Source {
    /// What holds the bytes the scanner reads: memory of its own, or a view of a mapped file.
    type Buffer: std::ops::Deref<Target = [u8]> + Default;
    /// Puts more input after the unread bytes `buf[unread]`, moving them or replacing `buf` as
    /// it likes. Returns where the unread bytes, followed by any new input, now lie in `buf`; no
    /// new input means the input has ended.
    fn refill(&mut self, buf: &mut Self::Buffer, unread: Range<usize>) -> std::io::Result<Range<usize>>;
}

/// Any reader: unread bytes move to the front of the buffer, which doubles when they fill it.
impl<R: Read> Source for R {
    type Buffer = Vec<u8>;

    fn refill(&mut self, buf: &mut Vec<u8>, unread: Range<usize>) -> std::io::Result<Range<usize>> {
        let kept = unread.len();
        buf.copy_within(unread, 0);
        if buf.len() < BUFFER_SIZE {
            buf.resize(BUFFER_SIZE, 0);
        } else if kept == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        loop {
            match self.read(&mut buf[kept..]) {
                Ok(n) => return Ok(0..kept + n),
                Err(e) if e.kind() == IoErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl<S: Source> Scanner<S> {
    pub(crate) fn new(src: S) -> Self {
        Scanner { src, buf: S::Buffer::default(), pos: 0, end: 0, base: 0, origin: 0, eof: false }
    }

    /// Input offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + (self.pos - self.origin) as u64
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> SnapshotError {
        SnapshotError::at(kind, self.offset())
    }

    fn syntax(&self, message: impl Into<String>) -> SnapshotError {
        self.error(ErrorKind::Syntax(message.into()))
    }

    /// Reads more input, keeping the unread bytes. Returns false at the end of the input.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let unread = self.end - self.pos;
        let offset = self.offset();
        let now =
            self.src.refill(&mut self.buf, self.pos..self.end).map_err(|e| self.error(ErrorKind::Io(e.to_string())))?;
        (self.base, self.origin, self.pos, self.end) = (offset, now.start, now.start, now.end);
        self.eof = now.len() == unread;
        Ok(!self.eof)
    }

    /// The next byte that is not whitespace, without consuming it; `None` at the end.
    pub(crate) fn peek_token(&mut self) -> Result<Option<u8>> {
        loop {
            while self.pos < self.end {
                let b = self.buf[self.pos];
                if !is_ws(b) {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Like [`peek_token`](Self::peek_token) but the end of input is an error about `what`.
    pub(crate) fn peek_in(&mut self, what: &'static str) -> Result<u8> {
        match self.peek_token()? {
            Some(b) => Ok(b),
            None => Err(self.error(ErrorKind::Truncated(what))),
        }
    }

    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Consumes `expected` (after whitespace) or fails naming what was being read.
    pub(crate) fn expect(&mut self, expected: u8, what: &'static str) -> Result<()> {
        let b = self.peek_in(what)?;
        if b != expected {
            return Err(self.syntax(format!("expected '{}' in {what}, found {}", expected as char, describe(b))));
        }
        self.pos += 1;
        Ok(())
    }

    /// After a value inside an array or object: consumes ',' and returns true, or consumes the
    /// closing byte and returns false.
    pub(crate) fn comma_or(&mut self, close: u8, what: &'static str) -> Result<bool> {
        let b = self.peek_in(what)?;
        self.pos += 1;
        if b == b',' {
            Ok(true)
        } else if b == close {
            Ok(false)
        } else {
            self.pos -= 1;
            Err(self.syntax(format!("expected ',' or '{}' in {what}, found {}", close as char, describe(b))))
        }
    }

    /// Reads one non-negative integer (slow path, for small structures).
    pub(crate) fn read_uint(&mut self, what: &'static str) -> Result<u64> {
        let mut value: u64 = 0;
        let mut digits = 0;
        loop {
            while self.pos < self.end && self.buf[self.pos].is_ascii_digit() {
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(self.buf[self.pos] - b'0')))
                    .ok_or_else(|| self.syntax(format!("number too large in {what}")))?;
                digits += 1;
                self.pos += 1;
            }
            if self.pos < self.end || !self.fill()? {
                break;
            }
        }
        if digits == 0 {
            let found = self.peek_in(what)?;
            return Err(self.syntax(format!("expected a non-negative integer in {what}, found {}", describe(found))));
        }
        Ok(value)
    }

    /// Reads a JSON string (the opening quote not yet consumed) and appends its raw, still
    /// escaped content to `out`. Returns whether it contains escapes.
    pub(crate) fn read_raw_string(&mut self, out: &mut Vec<u8>, what: &'static str) -> Result<bool> {
        self.string(Some(out), what)
    }

    /// Reads a JSON string as [`Scanner::read_raw_string`] does, appending its raw content to
    /// `out` when given, or only going past it.
    fn string(&mut self, mut out: Option<&mut Vec<u8>>, what: &'static str) -> Result<bool> {
        self.expect(b'"', what)?;
        let mut escaped = false;
        let mut keep = |bytes: &[u8]| {
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(bytes);
            }
        };
        loop {
            let window = &self.buf[self.pos..self.end];
            match memchr::memchr2(b'"', b'\\', window) {
                Some(i) if window[i] == b'"' => {
                    keep(&window[..i]);
                    self.pos += i + 1;
                    return Ok(escaped);
                }
                Some(i) => {
                    // A backslash: keep it and the byte it escapes together.
                    if self.pos + i + 1 >= self.end {
                        keep(&window[..i]);
                        self.pos += i;
                        if !self.fill()? || self.end - self.pos < 2 {
                            return Err(self.error(ErrorKind::Truncated(what)));
                        }
                        continue;
                    }
                    keep(&window[..i + 2]);
                    self.pos += i + 2;
                    escaped = true;
                }
                None => {
                    keep(window);
                    self.pos = self.end;
                    if !self.fill()? {
                        return Err(self.error(ErrorKind::Truncated(what)));
                    }
                }
            }
        }
    }

    /// Skips one JSON value, or appends its exact bytes to `capture` when given. Iterative:
    /// nesting depth costs a counter, not stack.
    pub(crate) fn skip_value(&mut self, mut capture: Option<&mut Vec<u8>>, what: &'static str) -> Result<()> {
        let mut depth = 0usize;
        loop {
            let b = self.peek_in(what)?;
            match b {
                b'"' => match capture.as_deref_mut() {
                    Some(out) => {
                        out.push(b'"');
                        self.read_raw_string(out, what)?;
                        out.push(b'"');
                    }
                    None => {
                        self.string(None, what)?;
                    }
                },
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                    if let Some(c) = capture.as_deref_mut() {
                        c.push(b);
                    }
                    continue;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return Err(self.syntax(format!("unexpected {} in {what}", describe(b))));
                    }
                    depth -= 1;
                    self.pos += 1;
                    if let Some(c) = capture.as_deref_mut() {
                        c.push(b);
                    }
                }
                b',' | b':' if depth > 0 => {
                    self.pos += 1;
                    if let Some(c) = capture.as_deref_mut() {
                        c.push(b);
                    }
                    continue;
                }
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => loop {
                    while self.pos < self.end {
                        let c = self.buf[self.pos];
                        if !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')) {
                            break;
                        }
                        if let Some(out) = capture.as_deref_mut() {
                            out.push(c);
                        }
                        self.pos += 1;
                    }
                    if self.pos < self.end || !self.fill()? {
                        break;
                    }
                },
                other => return Err(self.syntax(format!("unexpected {} in {what}", describe(other)))),
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Parses an array of non-negative integers (the '[' not yet consumed) as records of
    /// `sink.width()` numbers each, handing every whole record to the sink in file order.
    /// Big windows of the buffer are parsed in two halves on both cores, each straight into its
    /// own run of the sink's records. Every byte is parsed once: a record cut by a window's end
    /// is carried over, with the array's state, to the next window.
    pub(crate) fn read_records<K: RecordSink>(&mut self, what: &'static str, sink: &mut K) -> Result<ArrayEnd> {
        self.expect(b'[', what)?;
        let width = sink.width();
        assert!(width > 0, "a record holds at least one number");
        let mut carried = Part::new(Expect::NumberOrClose, width, self.offset());
        carried.counting = sink.counts_only();
        let mut records = 0;
        let mut split_share = SplitShare::default();
        loop {
            let window = &self.buf[self.pos..self.end];
            // A big window is split at a comma near where the parts should take as long (see
            // [`SplitShare`]); how many numbers come before the split is counted on both cores
            // at once. The array's ']' is looked for first only in a window that may hold all
            // the numbers still expected: anywhere else a ']' means the array is short, which
            // the parse finds (as it finds any byte that is not part of a number array) and the
            // sink's count check names.
            let middle = split_share.of(window.len());
            let comma = (window.len() >= PARALLEL_SPAN).then(|| memchr::memchr(b',', &window[middle..])).flatten();
            let numbers_read = records * width + carried.field;
            // `n` numbers take at least `2n - 1` bytes.
            let may_end = self.eof
                || sink
                    .expected_records()
                    .is_none_or(|expected| (expected * width).saturating_sub(numbers_read) <= window.len().div_ceil(2));
            let count = |bytes: &[u8]| bytecount::count(bytes, b',');
            let (close, commas) = match (comma, may_end) {
                (Some(at), true) => rayon::join(|| memchr::memchr(b']', window), || count(&window[..middle + at])),
                (Some(at), false) => {
                    let (a, b) =
                        rayon::join(|| count(&window[..middle / 2]), || count(&window[middle / 2..middle + at]));
                    (None, a + b)
                }
                (None, true) => (memchr::memchr(b']', window), 0),
                (None, false) => (None, 0),
            };
            let Some(limit) = parse_limit(window, close, self.eof) else {
                // The input ended inside the array: its last number may be cut short, so no
                // record of this window is handed on. Bad syntax before the end is still named.
                let checked = Part::whole(&carried, self.offset(), window, &mut Discard);
                if let Some(error) = checked.error(what) {
                    return Err(error);
                }
                self.pos = self.end;
                return Err(self.error(ErrorKind::Truncated(what)));
            };
            let window = &window[..limit];
            let base = self.offset();
            let split = match comma.map(|at| (middle + at, commas)) {
                Some((at, commas)) if at < limit => Some((at, commas)),
                // The array ends before the middle: the split is made again, below its end.
                _ if limit >= PARALLEL_SPAN => memchr::memchr(b',', &window[limit / 2..])
                    .map(|at| (limit / 2 + at, count(&window[..limit / 2 + at]))),
                _ => None,
            };
            let mut parts = match split {
                Some((at, commas)) => {
                    // Numbers before `at`: those of the carried record, then one per comma, and
                    // one more when the window does not start after a number.
                    let before = carried.field + commas + usize::from(carried.expect != Expect::CommaOrClose);
                    let (mut first, mut second) = sink.writers(before.div_ceil(width));
                    let skip = (width - before % width) % width;
                    let started = Instant::now();
                    let ((a, a_took), (b, b_took)) = rayon::join(
                        || (Part::up_to(&carried, base, window, at, &mut first), started.elapsed()),
                        || (Part::after(&carried, window, at, skip, base, &mut second), started.elapsed()),
                    );
                    split_share.learn([at, window.len() - at], [a_took, b_took]);
                    [a, b]
                }
                None => {
                    let (mut first, _) = sink.writers(usize::MAX);
                    [Part::whole(&carried, base, window, &mut first), Part::default()]
                }
            };
            // A first part that closes the array ends it: the second part read past its ']'
            // (what its writer took only reaches a sink whose count check then fails).
            if parts[0].closed.is_some() {
                parts[1] = Part::default();
            }
            if let Some(error) = parts.iter().find_map(|part| part.error(what)) {
                return Err(error);
            }
            let taken = parts[0].records + parts[1].records;
            sink.advance(taken);
            records += taken;
            if let Some(part) = parts.iter().find(|p| p.closed.is_some()) {
                self.pos += part.closed.expect("found by it");
                return Ok(ArrayEnd { records, leftover: part.field });
            }
            // The second part ends the window, unless the window ended inside the record the
            // first part finishes (the second part is then still skipping it).
            let [first, second] = parts;
            carried = if split.is_some() && !second.foreign { second } else { first };
            self.pos += limit;
            self.fill()?;
        }
    }
}

/// How a number array ended: the whole records it held, and the numbers after the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArrayEnd {
    pub records: usize,
    pub leftover: usize,
}

/// Where the records of a number array go. Two writers can fill it at once, each its own run
/// of consecutive records.
pub(crate) trait RecordSink {
    /// Fills a run of consecutive records, in order.
    type Writer<'a>: RecordWriter + Send
    where
        Self: 'a;
    /// Numbers per record.
    fn width(&self) -> usize;
    /// Writers for the next `first` records and for the records after those.
    fn writers(&mut self, first: usize) -> (Self::Writer<'_>, Self::Writer<'_>);
    /// Takes note that the writers last handed out took `records` records between them.
    fn advance(&mut self, records: usize);
    /// How many records the header says the array holds, when it says so: a window that cannot
    /// hold all the numbers still expected is not searched for the array's ']' first.
    fn expected_records(&self) -> Option<usize> {
        None
    }
    /// Whether the records are only counted: their writers take nothing, so the numbers the
    /// masks vouch for are counted without reading their values.
    fn counts_only(&self) -> bool {
        false
    }
}

/// Takes records one after the other.
pub(crate) trait RecordWriter {
    /// Takes the next record, or says what is wrong with it.
    fn put(&mut self, record: &[u64]) -> std::result::Result<(), String>;
}

/// Takes every record and keeps none: for checking syntax only.
pub(crate) struct Discard;

impl RecordWriter for Discard {
    fn put(&mut self, _record: &[u64]) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// Windows of a number array at least this long are parsed in two parts at once.
const PARALLEL_SPAN: usize = 1 << 20;

/// The share of a window the first of its two parts takes. Half of it at first; then each
/// window is split as the last one's parse speeds say the parts take as long: the second part
/// is slower per byte, its pages read for the first time as it parses them (the first part's
/// were read as its commas were counted), and without this the first core waited for the
/// second a tenth of the time.
#[derive(Debug, Clone, Copy)]
struct SplitShare(f64);

impl Default for SplitShare {
    fn default() -> SplitShare {
        SplitShare(0.5)
    }
}

impl SplitShare {
    /// Where in a window of `len` bytes the first part ends, about.
    fn of(self, len: usize) -> usize {
        (len as f64 * self.0) as usize
    }

    /// Takes note that parts of `bytes` took `took` each.
    fn learn(&mut self, bytes: [usize; 2], took: [Duration; 2]) {
        let [a, b] = [0, 1].map(|k| bytes[k] as f64 / took[k].as_secs_f64().max(1e-6));
        // Half the last window's balance, half the one before: the speeds vary from window to
        // window, the second part's slowness does not.
        self.0 = ((self.0 + a / (a + b)) / 2.0).clamp(0.25, 0.75);
    }
}

/// What a number array accepts next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Expect {
    /// Just after '[': a number or ']'.
    #[default]
    NumberOrClose,
    /// After ',': a number.
    Number,
    /// After a number: ',' or ']'.
    CommaOrClose,
}

/// How much of `window` can be parsed now: all of it up to and including its first ']'
/// (`close`), but not a number that the next read may continue (unless the digits are already
/// too many for any number). `None` when the input has ended (`eof`) before the array's ']'.
fn parse_limit(window: &[u8], close: Option<usize>, eof: bool) -> Option<usize> {
    if let Some(close) = close {
        return Some(close + 1);
    }
    if eof {
        return None;
    }
    let digits = window.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    Some(if digits > MAX_DIGITS { window.len() } else { window.len() - digits })
}

/// Digits in the largest number an array may hold (every 19-digit number fits in a `u64`).
const MAX_DIGITS: usize = 19;

/// A syntax error inside a number array.
#[derive(Debug, Clone, Copy)]
enum ArraySyntax {
    Adjacent,
    NumberBeforeComma,
    NumberBeforeClose,
    TooLarge,
    Unexpected(u8),
}

impl ArraySyntax {
    fn message(self, what: &str) -> String {
        match self {
            ArraySyntax::Adjacent => format!("expected ',' between numbers in {what}"),
            ArraySyntax::NumberBeforeComma => format!("expected a number before ',' in {what}"),
            ArraySyntax::NumberBeforeClose => format!("expected a number before ']' in {what}"),
            ArraySyntax::TooLarge => format!("number too large in {what}"),
            ArraySyntax::Unexpected(b) => format!("expected a non-negative integer in {what}, found {}", describe(b)),
        }
    }
}

/// What stopped a part: bad syntax, or a record its sink refused.
#[derive(Debug, Clone)]
enum Fault {
    Syntax(ArraySyntax),
    Record(String),
}

/// One thread's parse of (part of) a window of a number array: the records it handed to its
/// writer and the state it leaves the array in.
#[derive(Default)]
struct Part {
    /// Input offset of the window's first byte.
    base: u64,
    expect: Expect,
    /// Numbers of the record being read.
    record: Vec<u64>,
    /// How many of them are read.
    field: usize,
    /// Whether the record being read belongs to the other part, which reads it whole.
    foreign: bool,
    /// Offset of the first number of the record being read, from the window's first byte
    /// (before it for a record carried over from the previous window).
    record_start: isize,
    /// Records handed to the writer.
    records: usize,
    /// Offset in the window just after the array's ']', once reached.
    closed: Option<usize>,
    /// The first fault and its input offset.
    fault: Option<(u64, Fault)>,
    /// Whether numbers are only counted (see [`RecordSink::counts_only`]).
    counting: bool,
}

impl Part {
    fn new(expect: Expect, width: usize, base: u64) -> Part {
        Part { base, expect, record: vec![0; width], ..Part::default() }
    }

    /// The array's state at the end of this part, for a window that starts at `base` where
    /// this part stopped.
    fn continued(&self, base: u64) -> Part {
        Part {
            base,
            expect: self.expect,
            record: self.record.clone(),
            field: self.field,
            record_start: self.record_start - (base - self.base) as isize,
            counting: self.counting,
            ..Part::default()
        }
    }

    /// The whole window at `base`, after `before`.
    fn whole(before: &Part, base: u64, window: &[u8], writer: &mut impl RecordWriter) -> Part {
        let mut part = before.continued(base);
        part.run(window, 0, writer, false);
        part
    }

    /// The records that start before `at`, a comma in `window` at `base`, after `before`.
    fn up_to(before: &Part, base: u64, window: &[u8], at: usize, writer: &mut impl RecordWriter) -> Part {
        let mut part = before.continued(base);
        let stop = part.run(&window[..at], 0, writer, false);
        // A ']' before `at` (a short array, in a window not searched for it first) ends the
        // array there, a record cut short or not: the count check names what is missing.
        if part.fault.is_none() && part.closed.is_none() {
            if part.field > 0 {
                // Finish the record cut at `at`; the other part skips its numbers.
                part.run(window, stop, writer, true);
            } else if part.expect != Expect::CommaOrClose {
                part.fail(at, Fault::Syntax(ArraySyntax::NumberBeforeComma));
            }
        }
        part
    }

    /// The records that start after `at`, a comma in `window`, whose first `skip` numbers end
    /// a record that [`Part::up_to`] takes.
    fn after(before: &Part, window: &[u8], at: usize, skip: usize, base: u64, writer: &mut impl RecordWriter) -> Part {
        let mut part = Part::new(Expect::CommaOrClose, before.record.len(), base);
        part.counting = before.counting;
        if skip > 0 {
            part.field = before.record.len() - skip;
            part.foreign = true;
        }
        part.run(window, at, writer, false);
        part
    }

    /// The part's fault as the error to report.
    fn error(&self, what: &str) -> Option<SnapshotError> {
        let (offset, fault) = self.fault.as_ref()?;
        let kind = match fault {
            Fault::Syntax(error) => ErrorKind::Syntax(error.message(what)),
            Fault::Record(message) => ErrorKind::Inconsistent(message.clone()),
        };
        Some(SnapshotError::at(kind, *offset))
    }

    fn fail(&mut self, at: usize, fault: Fault) {
        self.fault = Some((self.base + at as u64, fault));
    }

    /// Parses `bytes` from `i` until its end, the array's ']', a fault, or (with `one_record`)
    /// the end of the record being read. Returns where it stopped.
    fn run(&mut self, bytes: &[u8], mut i: usize, writer: &mut impl RecordWriter, one_record: bool) -> usize {
        let n = bytes.len();
        // Blocks are tried after each number; one the masks cannot vouch for is read byte by
        // byte up to the end of its next number.
        let mut blocks = !one_record;
        while i < n {
            if blocks && self.expect == Expect::CommaOrClose && i + BLOCK_READ <= n && self.counting && !self.foreign {
                let (count, next) = count_block(bytes, i);
                self.field += count;
                self.records += self.field / self.record.len();
                self.field %= self.record.len();
                blocks = next > i;
                i = next;
                continue;
            }
            if blocks && self.expect == Expect::CommaOrClose && i + BLOCK_READ <= n {
                let next = self.push_block(bytes, i, writer);
                if self.fault.is_some() {
                    return next;
                }
                blocks = next > i;
                i = next;
                continue;
            }
            let c = bytes[i];
            if c.is_ascii_digit() {
                if self.expect == Expect::CommaOrClose {
                    self.fail(i, Fault::Syntax(ArraySyntax::Adjacent));
                    return i;
                }
                let (value, digits) = number_at(bytes, i);
                if digits > MAX_DIGITS {
                    self.fail(i, Fault::Syntax(ArraySyntax::TooLarge));
                    return i;
                }
                if !self.push(i, value, writer) {
                    return i + digits;
                }
                i += digits;
                self.expect = Expect::CommaOrClose;
                if one_record && self.field == 0 {
                    return i;
                }
                blocks = !one_record;
                if i < n && bytes[i] == b',' {
                    self.expect = Expect::Number;
                    i += 1;
                }
            } else if c == b',' {
                if self.expect != Expect::CommaOrClose {
                    self.fail(i, Fault::Syntax(ArraySyntax::NumberBeforeComma));
                    return i;
                }
                self.expect = Expect::Number;
                i += 1;
            } else if is_ws(c) {
                i += 1;
            } else if c == b']' {
                if self.expect == Expect::Number {
                    self.fail(i, Fault::Syntax(ArraySyntax::NumberBeforeClose));
                    return i;
                }
                self.closed = Some(i + 1);
                return i + 1;
            } else {
                self.fail(i, Fault::Syntax(ArraySyntax::Unexpected(c)));
                return i;
            }
        }
        i
    }

    /// Adds the numbers the block at `bytes[at..]` vouches for, as [`Part::push`] adds one.
    /// Returns where the block's parse stopped.
    #[inline(always)]
    fn push_block(&mut self, bytes: &[u8], at: usize, writer: &mut impl RecordWriter) -> usize {
        self.filling(|record| parse_block(bytes, at, |at, value| record.push(at, value, writer)))
    }

    /// Adds `value`, the number at `at`, to the record being read, and hands the record to
    /// `writer` once it is whole (unless it is the other part's). Returns false when the writer
    /// refuses it.
    #[inline(always)]
    fn push(&mut self, at: usize, value: u64, writer: &mut impl RecordWriter) -> bool {
        self.filling(|record| record.push(at, value, writer))
    }

    /// Runs `add` on the record being read, its state in locals meanwhile, and takes note of
    /// the record a writer refused, if one did.
    #[inline(always)]
    fn filling<T>(&mut self, add: impl FnOnce(&mut Filling<'_>) -> T) -> T {
        let mut record = Filling {
            numbers: &mut self.record,
            field: self.field,
            start: self.record_start,
            records: self.records,
            foreign: self.foreign,
            refused: None,
        };
        let result = add(&mut record);
        (self.field, self.record_start, self.records, self.foreign) =
            (record.field, record.start, record.records, record.foreign);
        if let Some(message) = record.refused {
            self.fault = Some((self.base.wrapping_add_signed(record.start as i64), Fault::Record(message)));
        }
        result
    }
}

/// A part's record being read, in locals while numbers are added to it: were it left in the
/// part, the writer's stores would keep its state in memory, each number reloading it.
struct Filling<'a> {
    numbers: &'a mut [u64],
    /// How many numbers are read.
    field: usize,
    /// See [`Part::record_start`].
    start: isize,
    /// Records handed to the writer.
    records: usize,
    /// See [`Part::foreign`].
    foreign: bool,
    /// What the writer said of the record it refused.
    refused: Option<String>,
}

impl Filling<'_> {
    /// Adds `value`, the number at `at`, and hands the record to `writer` once it is whole
    /// (unless it is the other part's). Returns false when the writer refuses it.
    #[inline(always)]
    fn push(&mut self, at: usize, value: u64, writer: &mut impl RecordWriter) -> bool {
        if self.field == 0 {
            self.start = at as isize;
        }
        self.numbers[self.field] = value;
        self.field += 1;
        if self.field < self.numbers.len() {
            return true;
        }
        self.field = 0;
        if std::mem::take(&mut self.foreign) {
            return true;
        }
        if let Err(message) = writer.put(self.numbers) {
            self.refused = Some(message);
            return false;
        }
        self.records += 1;
        true
    }
}

/// The value and length of the run of digits at `bytes[i]` (a digit). Eight bytes are looked at
/// together where the slice allows: no branch depends on how long a number is.
#[inline(always)]
fn number_at(bytes: &[u8], i: usize) -> (u64, usize) {
    let (mut value, mut end) = match bytes.get(i..i + 8) {
        Some(eight) => {
            let word = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
            let digits = leading_digits(word);
            let value = first_digits(word, digits);
            if digits < 8 {
                return (value, digits);
            }
            (value, i + 8)
        }
        None => (0, i),
    };
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        value = value.wrapping_mul(10).wrapping_add(u64::from(bytes[end] - b'0'));
        end += 1;
    }
    (value, end - i)
}

/// A byte as an error message shows it.
pub(crate) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Numbers;

    /// Reads `input` as an array of records of `width` numbers.
    fn records(width: usize, reader: impl Read) -> Result<(Vec<u64>, ArrayEnd)> {
        let mut s = Scanner::new(reader);
        let mut sink = Numbers::new(width);
        let end = s.read_records("test", &mut sink)?;
        Ok((sink.finish(ArrayEnd { leftover: 0, ..end }, "test")?, end))
    }

    /// How a read that only counts records ends on `reader`.
    fn counted(width: usize, reader: impl Read) -> Result<ArrayEnd> {
        Scanner::new(reader).read_records("test", &mut crate::records::Counted::new(width, 0, "test", "count"))
    }

    fn numbers(input: &str) -> Result<Vec<u64>> {
        numbers_of(input.as_bytes())
    }

    fn numbers_of(input: &[u8]) -> Result<Vec<u64>> {
        records(1, input).map(|(n, _)| n)
    }

    /// Hands out at most 64 KiB per read, so that no window is big enough to be split.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(64 << 10);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reads_number_arrays_with_any_spacing() {
        assert_eq!(numbers("[]").unwrap(), Vec::<u64>::new());
        assert_eq!(numbers(" [ 1,2 ,\n 30\n,4000000000 ] ").unwrap(), vec![1, 2, 30, 4_000_000_000]);
    }

    #[test]
    fn numbers_of_every_length_are_read_exactly() {
        // Every length from 1 to 19 digits, smallest and largest, and a few in between.
        let values: Vec<u64> = (1..=19u32)
            .flat_map(|digits| [10u64.pow(digits - 1), 10u64.pow(digits) - 1, 10u64.pow(digits - 1) * 7 / 3])
            .chain([0, 1234567890123456789])
            .collect();
        for sep in [",", " , ", ",\n"] {
            let text = format!("[{}]", values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(sep));
            assert_eq!(numbers(&text).unwrap(), values, "{sep:?}");
        }
    }

    #[test]
    fn long_arrays_read_across_buffer_refills_in_whole_records() {
        let values: Vec<u64> = (0..3_000_000u64).map(|i| i * 7919 % 1_000_003).collect();
        let text = format!("[{}]", values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",\n"));
        assert!(text.len() > BUFFER_SIZE);
        for width in [1, 3, 7] {
            let (read, end) = records(width, text.as_bytes()).unwrap();
            assert_eq!(end, ArrayEnd { records: values.len() / width, leftover: values.len() % width });
            assert_eq!(read, values[..end.records * width], "width {width}");
            assert_eq!(counted(width, text.as_bytes()).unwrap(), end, "counted, width {width}");
        }
    }

    #[test]
    fn errors_in_big_arrays_are_found_where_they_are() {
        // Big enough that windows are parsed in two halves; every fault, wherever the split
        // falls, must be reported at its own byte, as a read in small windows finds it.
        let good = (0..800_000u64).map(|i| (i * 7919 % 1_000_003).to_string()).collect::<Vec<_>>().join(",");
        for fault in [",,", " 7 8", "x", ",]", "123456789012345678901"] {
            let middle = (good.len() + fault.len()) / 2;
            for at in [10, good.len() / 4, good.len() - 3].into_iter().chain(middle - 8..middle + 8) {
                let text = format!("[{}{fault}{}]", &good[..at], &good[at..]);
                let expected = records(3, Trickle(text.as_bytes())).unwrap_err();
                let error = records(3, text.as_bytes()).unwrap_err();
                assert_eq!(error, expected, "{fault:?} at {at}");
                let near = (at as u64).saturating_sub(MAX_DIGITS as u64)..=(at + fault.len() + 1) as u64;
                assert!(expected.offset.is_some_and(|o| near.contains(&o)), "{fault:?} at {at}: {expected}");
            }
        }
    }

    /// What a plain reading of a number array gives: its numbers, or the offset of its first fault
    /// (the end, for an array cut short).
    fn plain_reading(text: &[u8]) -> std::result::Result<Vec<u64>, Option<u64>> {
        let (mut values, mut expect, mut i) = (Vec::new(), Expect::NumberOrClose, 1);
        while i < text.len() {
            let c = text[i];
            if c.is_ascii_digit() {
                let digits = text[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                if expect == Expect::CommaOrClose || digits > MAX_DIGITS {
                    return Err(Some(i as u64));
                }
                values.push(std::str::from_utf8(&text[i..i + digits]).unwrap().parse().unwrap());
                (expect, i) = (Expect::CommaOrClose, i + digits);
                continue;
            }
            match c {
                b',' if expect == Expect::CommaOrClose => expect = Expect::Number,
                b']' if expect != Expect::Number => return Ok(values),
                b' ' | b'\n' | b'\r' | b'\t' => {}
                _ => return Err(Some(i as u64)),
            }
            i += 1;
        }
        Err(Some(text.len() as u64))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Arrays long enough for the block parser, well formed or with a few bytes put in or
        /// taken out: read exactly as the plain reading does, faults at the same byte.
        #[test]
        fn number_arrays_read_as_a_plain_reading_does(
            numbers in proptest::collection::vec(
                (proptest::prop_oneof![4 => 1usize..5, 1 => 1usize..21], 0u64..u64::MAX, 0usize..4, 0usize..4),
                0..120,
            ),
            edits in proptest::collection::vec((0.0f64..1.0, proptest::option::of(proptest::sample::select(
                b",7 \n]x-".to_vec()))), 0..6),
        ) {
            const SPACES: [&str; 4] = ["", " ", "\n", " \r\n\t"];
            let mut text = b"[".to_vec();
            for (k, &(digits, value, before, after)) in numbers.iter().enumerate() {
                if k > 0 {
                    text.extend_from_slice(format!("{},{}", SPACES[before], SPACES[after]).as_bytes());
                }
                let number = value.to_string();
                let number = &number[number.len().saturating_sub(digits)..];
                text.extend_from_slice(format!("{number:0>digits$}").as_bytes());
            }
            text.push(b']');
            for (at, byte) in edits {
                let at = 1 + (at * (text.len() - 1) as f64) as usize;
                match byte {
                    Some(byte) => text.insert(at, byte),
                    None if at < text.len() => { text.remove(at); }
                    None => {}
                }
            }
            let read = numbers_of(&text).map_err(|e| e.offset);
            let plain = plain_reading(&text);
            proptest::prop_assert_eq!(&read, &plain, "{}", String::from_utf8_lossy(&text));
            // Counting alone accepts and refuses the same bytes, and counts the same numbers.
            for width in [1, 3] {
                let count = counted(width, &text[..]).map_err(|e| e.offset);
                let expected = plain.as_ref().map(|v| ArrayEnd { records: v.len() / width, leftover: v.len() % width });
                proptest::prop_assert_eq!(count, expected.map_err(|e| *e), "width {}: {}", width, String::from_utf8_lossy(&text));
            }
        }
    }

    /// Refuses every record that holds 9999999 (a value the tests' arrays hold nowhere else).
    struct Refusing(usize);

    struct RefusingWriter;

    impl RecordWriter for RefusingWriter {
        fn put(&mut self, record: &[u64]) -> std::result::Result<(), String> {
            if record.contains(&9_999_999) {
                return Err(format!("refused {record:?}"));
            }
            Ok(())
        }
    }

    impl RecordSink for Refusing {
        type Writer<'a> = RefusingWriter;

        fn width(&self) -> usize {
            self.0
        }

        fn writers(&mut self, _first: usize) -> (RefusingWriter, RefusingWriter) {
            (RefusingWriter, RefusingWriter)
        }

        fn advance(&mut self, _records: usize) {}
    }

    #[test]
    fn a_refused_record_is_reported_where_it_starts_wherever_the_split_falls() {
        let good: Vec<String> = (0..799_998u64).map(|i| (i * 7919 % 1_000_003).to_string()).collect();
        let middle = good.len() / 2;
        for at in (middle - 8..middle + 8).chain([5, good.len() - 2]) {
            let mut numbers = good.clone();
            numbers[at] = "9999999".into();
            let text = format!("[{}]", numbers.join(","));
            let read = |reader: &mut dyn Read| Scanner::new(reader).read_records("test", &mut Refusing(3)).unwrap_err();
            let expected = read(&mut Trickle(text.as_bytes()));
            assert_eq!(read(&mut text.as_bytes()), expected, "at {at}");
            let record_start = at / 3 * 3;
            let offset = 1 + numbers[..record_start].iter().map(|n| n.len() + 1).sum::<usize>();
            assert_eq!(expected.offset, Some(offset as u64), "at {at}: {expected}");
        }
    }

    #[test]
    fn an_array_shorter_than_expected_ends_at_its_bracket_even_where_none_was_looked_for() {
        // The header promises far more numbers than the window holds, so no ']' is looked for
        // first; the split falls in the array after this one, which the second half reads. The
        // array ends at its first ']' as a read in small windows finds it, whether it is empty
        // or ends inside a record.
        let numbers = |from: u64, count: u64| (from..from + count).map(|i| i.to_string()).collect::<Vec<_>>();
        let after = format!(",[{}]", numbers(1_000_000, 600_000).join(","));
        for (width, short, records, leftover) in [
            (1, format!("[{}]", numbers(0, 600_000).join(",")), 600_000, 0),
            (3, "[1,2,3,4]".to_string(), 1, 1),
            (3, "[]".to_string(), 0, 0),
            (3, "[1,2,3,4]]".to_string(), 1, 1),
        ] {
            let text = format!("{short}{after}");
            let read = |reader: &mut dyn Read| {
                let mut s = Scanner::new(reader);
                let counted = &mut crate::records::Counted::new(width, 10_000_000, "test", "count");
                (s.read_records("test", counted).unwrap(), s.offset())
            };
            let whole = read(&mut text.as_bytes());
            let close = short.find(']').expect("a closed array") + 1;
            assert_eq!(whole, (ArrayEnd { records, leftover }, close as u64), "{}", &short[..short.len().min(20)]);
            assert_eq!(read(&mut Trickle(text.as_bytes())), whole);
        }
    }

    #[test]
    fn white_space_is_read_once_however_long() {
        // 64 MiB of spaces inside a record and after another: read in one pass, the buffer
        // never holding more than a window.
        let spaces = " ".repeat(64 << 20);
        let text = format!("[1,2{spaces},3,4,5,6{spaces}]");
        let mut s = Scanner::new(text.as_bytes());
        let mut sink = Numbers::new(3);
        let end = s.read_records("test", &mut sink).unwrap();
        assert_eq!(end, ArrayEnd { records: 2, leftover: 0 });
        assert_eq!(sink.finish(end, "test").unwrap(), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(s.buf.len(), BUFFER_SIZE);
    }

    #[test]
    fn a_number_cut_short_by_the_end_of_input_is_never_handed_on() {
        let mut s = Scanner::new(&b"[1,2,16"[..]);
        let mut sink = Numbers::new(1);
        let error = s.read_records("test", &mut sink).unwrap_err();
        assert!(matches!(error.kind, ErrorKind::Truncated(_)), "{error}");
        let seen = sink.finish(ArrayEnd { records: 0, leftover: 0 }, "test").unwrap();
        assert!(!seen.contains(&16), "{seen:?}");
    }

    #[test]
    fn bad_syntax_before_the_end_of_input_is_named_as_such() {
        let error = numbers("[1,2 3").unwrap_err();
        assert_eq!(error, SnapshotError::at(ErrorKind::Syntax("expected ',' between numbers in test".into()), 5));
        let error = numbers("[1,2,3").unwrap_err();
        assert!(matches!(error.kind, ErrorKind::Truncated(_)), "{error}");
    }

    #[test]
    fn rejects_malformed_number_arrays() {
        for bad in ["[1,,2]", "[,1]", "[1,]", "[1 2]", "[-1]", "[1.5]", "[1", "[12345678901234567890123]", "[a]"] {
            assert!(numbers(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn skips_nested_values_and_keeps_escapes_raw() {
        let mut s = Scanner::new(&br#"{"a":[1,{"b":"x\"}"}],"c":true} rest"#[..]);
        let mut out = Vec::new();
        s.skip_value(Some(&mut out), "test").unwrap();
        assert_eq!(out, br#"{"a":[1,{"b":"x\"}"}],"c":true}"#);
    }
}
