//! A streaming JSON tokenizer made for heap snapshots: a buffer over any `Read`, with fast paths
//! for the two things that make up almost all of a snapshot's bytes — long arrays of
//! non-negative integers and an array of strings that is kept undecoded.
//!
//! Nothing here recurses: nested values are skipped or captured with a depth counter, so hostile
//! nesting cannot overflow the stack.

use std::io::{ErrorKind as IoErrorKind, Read};

use crate::error::{ErrorKind, Result, SnapshotError};

const BUFFER_SIZE: usize = 16 << 20;
/// Numbers handed to a sink per call.
pub(crate) const BATCH: usize = 1 << 14;

pub(crate) struct Scanner<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Input offset of `buf[0]`.
    base: u64,
    eof: bool,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl<R: Read> Scanner<R> {
    pub(crate) fn new(src: R) -> Self {
        Scanner { src, buf: vec![0; BUFFER_SIZE], pos: 0, end: 0, base: 0, eof: false }
    }

    /// Input offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
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
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == IoErrorKind::Interrupted => continue,
                Err(e) => return Err(self.error(ErrorKind::Io(e.to_string()))),
            }
        }
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
        self.expect(b'"', what)?;
        let mut escaped = false;
        loop {
            let window = &self.buf[self.pos..self.end];
            match memchr::memchr2(b'"', b'\\', window) {
                Some(i) if window[i] == b'"' => {
                    out.extend_from_slice(&window[..i]);
                    self.pos += i + 1;
                    return Ok(escaped);
                }
                Some(i) => {
                    // A backslash: keep it and the byte it escapes together.
                    if self.pos + i + 1 >= self.end {
                        out.extend_from_slice(&window[..i]);
                        self.pos += i;
                        if !self.fill()? || self.end - self.pos < 2 {
                            return Err(self.error(ErrorKind::Truncated(what)));
                        }
                        continue;
                    }
                    out.extend_from_slice(&window[..i + 2]);
                    self.pos += i + 2;
                    escaped = true;
                }
                None => {
                    out.extend_from_slice(window);
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
        let mut scratch = Vec::new();
        loop {
            let b = self.peek_in(what)?;
            match b {
                b'"' => {
                    let out = capture.as_deref_mut().unwrap_or(&mut scratch);
                    out.push(b'"');
                    self.read_raw_string(out, what)?;
                    out.push(b'"');
                    scratch.clear();
                }
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

    /// Parses an array of non-negative integers (the '[' not yet consumed), handing them to
    /// `sink` in batches of at most [`BATCH`], in order. Big windows of the buffer are parsed in
    /// two halves on both cores; the sink still sees every number once, in file order.
    pub(crate) fn read_uint_array(
        &mut self,
        what: &'static str,
        sink: &mut dyn FnMut(&[u64]) -> Result<()>,
    ) -> Result<()> {
        self.expect(b'[', what)?;
        let mut expect = Expect::NumberOrClose;
        let mut halves = [Span::default(), Span::default()];
        loop {
            let window = &self.buf[self.pos..self.end];
            let Some(limit) = parse_limit(window, self.eof) else {
                // The input ended inside the array: its last number may be cut short, so none
                // of this window counts.
                self.pos = self.end;
                return Err(self.error(ErrorKind::Truncated(what)));
            };
            let window = &window[..limit];
            let split = if limit >= PARALLEL_SPAN {
                memchr::memchr(b',', &window[limit / 2..]).map(|at| limit / 2 + at)
            } else {
                None
            };
            let [first, second] = &mut halves;
            match split {
                Some(at) => {
                    rayon::join(
                        || first.parse(&window[..at], 0, expect),
                        || second.parse(&window[at..], at, Expect::CommaOrClose),
                    );
                    // The second half starts at a comma, which needs a number just before it.
                    if first.error.is_none() && first.expect != Expect::CommaOrClose {
                        first.error = Some((at, SpanError::NumberBeforeComma));
                    }
                }
                None => {
                    first.parse(window, 0, expect);
                    second.clear();
                }
            }
            for half in [&*first, &*second] {
                if let Some((at, error)) = half.error {
                    self.pos += at;
                    return Err(self.syntax(error.message(what)));
                }
            }
            let base = self.offset();
            for half in [&*first, &*second] {
                half.feed(base, sink)?;
            }
            let last = if split.is_some() { &*second } else { &*first };
            expect = last.expect;
            self.pos += last.start + last.consumed;
            if last.closed {
                return Ok(());
            }
            if !self.fill()? && self.pos == self.end {
                return Err(self.error(ErrorKind::Truncated(what)));
            }
        }
    }
}

/// Windows of a number array at least this long are parsed in two halves at once.
const PARALLEL_SPAN: usize = 1 << 20;

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

/// How much of `window` can be parsed now: all of it up to and including a ']', but not a
/// number that the next read may continue (unless the digits are already too many for any
/// number). `None` when the input has ended (`eof`) before the array's ']'.
fn parse_limit(window: &[u8], eof: bool) -> Option<usize> {
    if let Some(close) = memchr::memchr(b']', window) {
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

/// One parsed stretch of a number array: its numbers, where each [`BATCH`] of them ends, and
/// the state it leaves the array in.
#[derive(Default)]
struct Span {
    numbers: Vec<u64>,
    /// Offset (from the window's start) just after the last number of each full batch.
    batch_ends: Vec<usize>,
    /// Offset of the span in the window.
    start: usize,
    /// Bytes of the span parsed (through the closing ']' when `closed`).
    consumed: usize,
    closed: bool,
    expect: Expect,
    /// The first syntax error and its offset in the window.
    error: Option<(usize, SpanError)>,
}

/// A syntax error inside a number array.
#[derive(Debug, Clone, Copy)]
enum SpanError {
    Adjacent,
    NumberBeforeComma,
    NumberBeforeClose,
    TooLarge,
    Unexpected(u8),
}

impl SpanError {
    fn message(self, what: &str) -> String {
        match self {
            SpanError::Adjacent => format!("expected ',' between numbers in {what}"),
            SpanError::NumberBeforeComma => format!("expected a number before ',' in {what}"),
            SpanError::NumberBeforeClose => format!("expected a number before ']' in {what}"),
            SpanError::TooLarge => format!("number too large in {what}"),
            SpanError::Unexpected(b) => format!("expected a non-negative integer in {what}, found {}", describe(b)),
        }
    }
}

impl Span {
    fn clear(&mut self) {
        *self = Span { numbers: std::mem::take(&mut self.numbers), ..Span::default() };
        self.numbers.clear();
    }

    /// Parses `bytes` (found at `start` in the window), the array being in state `expect`.
    fn parse(&mut self, bytes: &[u8], start: usize, mut expect: Expect) {
        self.clear();
        self.start = start;
        let fail = |span: &mut Span, at: usize, error: SpanError| {
            span.error = Some((start + at, error));
        };
        let numbers = &mut self.numbers;
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            let c = bytes[i];
            if c.is_ascii_digit() {
                if expect == Expect::CommaOrClose {
                    return fail(self, i, SpanError::Adjacent);
                }
                let first = i;
                let mut value = u64::from(c - b'0');
                i += 1;
                while i < n && bytes[i].is_ascii_digit() {
                    value = value.wrapping_mul(10).wrapping_add(u64::from(bytes[i] - b'0'));
                    i += 1;
                }
                if i - first > MAX_DIGITS {
                    return fail(self, first, SpanError::TooLarge);
                }
                numbers.push(value);
                if numbers.len() % BATCH == 0 {
                    self.batch_ends.push(start + i);
                }
                expect = Expect::CommaOrClose;
            } else if c == b',' {
                if expect != Expect::CommaOrClose {
                    return fail(self, i, SpanError::NumberBeforeComma);
                }
                expect = Expect::Number;
                i += 1;
            } else if is_ws(c) {
                i += 1;
            } else if c == b']' {
                if expect == Expect::Number {
                    return fail(self, i, SpanError::NumberBeforeClose);
                }
                self.closed = true;
                i += 1;
                break;
            } else {
                return fail(self, i, SpanError::Unexpected(c));
            }
        }
        self.consumed = i;
        self.expect = expect;
    }

    /// Hands the numbers to `sink` in batches; a sink error gets the offset of its batch's end
    /// (`base` is the window's input offset).
    fn feed(&self, base: u64, sink: &mut dyn FnMut(&[u64]) -> Result<()>) -> Result<()> {
        let mut batches = self.numbers.chunks(BATCH);
        // `batch_ends` leads the zip: it runs out first, and must not cost `batches` a batch.
        for (end, batch) in self.batch_ends.iter().zip(&mut batches) {
            sink(batch).map_err(|e| e.or_at(base + *end as u64))?;
        }
        for batch in batches {
            sink(batch).map_err(|e| e.or_at(base + (self.start + self.consumed) as u64))?;
        }
        Ok(())
    }
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

    fn numbers(input: &str) -> Result<Vec<u64>> {
        let mut s = Scanner::new(input.as_bytes());
        let mut out = Vec::new();
        s.read_uint_array("test", &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_number_arrays_with_any_spacing() {
        assert_eq!(numbers("[]").unwrap(), Vec::<u64>::new());
        assert_eq!(numbers(" [ 1,2 ,\n 30\n,4000000000 ] ").unwrap(), vec![1, 2, 30, 4_000_000_000]);
    }

    #[test]
    fn long_arrays_read_across_buffer_refills() {
        let values: Vec<u64> = (0..3_000_000u64).map(|i| i * 7919 % 1_000_003).collect();
        let text = format!("[{}]", values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",\n"));
        assert!(text.len() > BUFFER_SIZE);
        assert_eq!(numbers(&text).unwrap(), values);
    }

    #[test]
    fn errors_in_big_arrays_are_found_where_they_are() {
        // Big enough that windows are parsed in two halves; every fault, wherever the split
        // falls, must be reported at its own byte, as one pass over the whole text would.
        let good = (0..800_000u64).map(|i| (i * 7919 % 1_000_003).to_string()).collect::<Vec<_>>().join(",");
        for fault in [",,", " 7 8", "x", ",]", "123456789012345678901"] {
            let middle = (good.len() + fault.len()) / 2;
            for at in [10, good.len() / 4, good.len() - 3].into_iter().chain(middle - 8..middle + 8) {
                let text = format!("[{}{fault}{}]", &good[..at], &good[at..]);
                let mut whole = Span::default();
                whole.parse(&text.as_bytes()[1..], 1, Expect::NumberOrClose);
                let (expected, _) = whole.error.expect("the fault is an error");
                let mut s = Scanner::new(text.as_bytes());
                let offset = s.read_uint_array("test", &mut |_| Ok(())).unwrap_err().offset;
                assert_eq!(offset, Some(expected as u64), "{fault:?} at {at}");
            }
        }
    }

    #[test]
    fn a_number_cut_short_by_the_end_of_input_is_never_handed_on() {
        let mut s = Scanner::new(&b"[1,2,16"[..]);
        let mut seen = Vec::new();
        let error = s
            .read_uint_array("test", &mut |b| {
                seen.extend_from_slice(b);
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(error.kind, ErrorKind::Truncated(_)), "{error}");
        assert!(!seen.contains(&16), "{seen:?}");
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
