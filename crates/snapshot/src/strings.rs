//! The snapshot's string table, kept as the raw (still JSON-escaped) bytes of the file.
//!
//! Most strings hold no escape, so showing one borrows its bytes; the few with escapes are
//! decoded when shown. Lone UTF-16 surrogates and invalid UTF-8 decode to U+FFFD, never fail.
//! Long strings of a plain (uncompressed) file stay in the file and are read again when used:
//! a heap full of long strings then costs no memory for their text. Analyses may append
//! strings of their own (class names like `{a, b}`); they get indexes after the snapshot's own.

use std::borrow::Cow;
use std::fs::File;
use std::sync::Arc;

/// Strings of a snapshot: `strings[i]` of the file is `get(i)`.
///
/// Layout: `bytes` holds every string's raw content back to back; string `i` is
/// `bytes[offsets[i]..offsets[i + 1]]`, an empty range for strings left in the file; bit `i`
/// of `escaped` says whether it contains a backslash escape. Strings added after loading live
/// in `added`.
#[derive(Debug, Clone)]
pub struct StringTable {
    bytes: Vec<u8>,
    offsets: Offsets,
    escaped: Vec<u64>,
    in_file: Option<FileStrings>,
    added: Vec<String>,
}

/// Where each string starts in the table's bytes (and the last ends): four bytes each while
/// the bytes stay under 4 GiB, eight past that.
#[derive(Debug, Clone)]
enum Offsets {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for Offsets {
    fn default() -> Offsets {
        Offsets::Narrow(vec![0])
    }
}

impl Offsets {
    #[inline]
    fn get(&self, index: usize) -> usize {
        match self {
            Offsets::Narrow(offsets) => offsets[index] as usize,
            Offsets::Wide(offsets) => offsets[index] as usize,
        }
    }

    /// The last string starting at or before byte `at` of the table's bytes.
    fn string_at(&self, at: usize) -> usize {
        match self {
            Offsets::Narrow(offsets) => offsets.partition_point(|&o| o as usize <= at) - 1,
            Offsets::Wide(offsets) => offsets.partition_point(|&o| o as usize <= at) - 1,
        }
    }

    fn push(&mut self, offset: usize) {
        match self {
            Offsets::Narrow(offsets) => match u32::try_from(offset) {
                Ok(narrow) => offsets.push(narrow),
                Err(_) => {
                    let mut wide: Vec<u64> = offsets.iter().map(|&o| u64::from(o)).collect();
                    wide.push(offset as u64);
                    *self = Offsets::Wide(wide);
                }
            },
            Offsets::Wide(offsets) => offsets.push(offset as u64),
        }
    }

    fn len(&self) -> usize {
        match self {
            Offsets::Narrow(offsets) => offsets.len(),
            Offsets::Wide(offsets) => offsets.len(),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Offsets::Narrow(offsets) => offsets.shrink_to_fit(),
            Offsets::Wide(offsets) => offsets.shrink_to_fit(),
        }
    }
}

/// The strings of at least [`FileStrings::LONG`] raw bytes, left in the snapshot file.
#[derive(Debug, Clone)]
struct FileStrings {
    file: Arc<File>,
    /// What the file was when it was read, to notice a file changed since.
    stamp: FileStamp,
    /// (string index, offset of its raw bytes in the file, raw length), by index.
    spans: Vec<(u32, u64, u32)>,
}

type FileStamp = (u64, Option<std::time::SystemTime>);

fn stamp(file: &File) -> Option<FileStamp> {
    let meta = file.metadata().ok()?;
    Some((meta.len(), meta.modified().ok()))
}

/// What a string left in the file reads as once the file has changed or cannot be read.
const UNREADABLE: &str = "<unreadable: the snapshot file changed or failed since it was loaded>";

impl FileStrings {
    /// Strings this long or longer stay in the file. Names of classes, properties and
    /// variables are shorter; what is longer is mostly string contents, rarely shown.
    const LONG: usize = 256;
    /// Bytes read at once when going through many strings.
    const CHUNK: u64 = 1 << 20;

    fn span(&self, index: usize) -> Option<(u64, u32)> {
        let at = self.spans.binary_search_by_key(&(index as u32), |s| s.0).ok()?;
        Some((self.spans[at].1, self.spans[at].2))
    }

    /// Reads `len` bytes at `offset`, `None` when the file is not what was loaded any more.
    fn read(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        if stamp(&self.file) != Some(self.stamp) {
            return None;
        }
        let mut buf = vec![0; len];
        read_exact_at(&self.file, &mut buf, offset).ok()?;
        Some(buf)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

impl Default for StringTable {
    fn default() -> Self {
        StringTable::new(None)
    }
}

impl StringTable {
    /// An empty table. With `file` (the snapshot file being read, uncompressed), long strings
    /// stay in that file.
    pub(crate) fn new(file: Option<Arc<File>>) -> Self {
        let in_file = file.filter(|_| cfg!(unix)).and_then(|file| {
            let stamp = stamp(&file)?;
            Some(FileStrings { file, stamp, spans: Vec::new() })
        });
        StringTable { bytes: Vec::new(), offsets: Offsets::default(), escaped: Vec::new(), in_file, added: Vec::new() }
    }

    /// Appends the next string of the file (its raw bytes must already be in `raw_bytes_mut`).
    pub(crate) fn raw_bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Ends the string whose raw bytes were just appended; `file_end` is the file offset just
    /// past them.
    pub(crate) fn finish_raw(&mut self, has_escape: bool, file_end: u64) {
        let index = self.offsets.len() - 1;
        if index.is_multiple_of(64) {
            self.escaped.push(0);
        }
        if has_escape {
            self.escaped[index / 64] |= 1 << (index % 64);
        }
        let start = self.offsets.get(index);
        let len = self.bytes.len() - start;
        if let Some(in_file) = self.in_file.as_mut().filter(|_| len >= FileStrings::LONG) {
            if let Ok(raw_len) = u32::try_from(len) {
                in_file.spans.push((index as u32, file_end - len as u64, raw_len));
                self.bytes.truncate(start);
            }
        }
        self.offsets.push(self.bytes.len());
    }

    pub(crate) fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.offsets.shrink_to_fit();
        if let Some(in_file) = self.in_file.as_mut() {
            in_file.spans.shrink_to_fit();
        }
    }

    /// Number of strings the file holds (added strings not counted).
    pub fn file_len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of strings, added ones included.
    pub fn len(&self) -> usize {
        self.file_len() + self.added.len()
    }

    /// True when there are no strings at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a string and returns its index.
    pub fn push(&mut self, s: String) -> u32 {
        self.added.push(s);
        (self.len() - 1) as u32
    }

    /// Where string `index` stays in the file, when it does.
    fn span_in_file(&self, index: usize) -> Option<(u64, u32)> {
        match &self.in_file {
            Some(in_file) if index < self.file_len() && self.offsets.get(index) == self.offsets.get(index + 1) => {
                in_file.span(index)
            }
            _ => None,
        }
    }

    /// Whether file string `index` holds a backslash escape.
    fn is_escaped(&self, index: usize) -> bool {
        self.escaped[index / 64] >> (index % 64) & 1 == 1
    }

    fn raw(&self, index: usize) -> (Cow<'_, [u8]>, bool) {
        let escaped = self.is_escaped(index);
        if let Some((offset, len)) = self.span_in_file(index) {
            let in_file = self.in_file.as_ref().expect("a span comes from the file's strings");
            return match in_file.read(offset, len as usize) {
                Some(bytes) => (Cow::Owned(bytes), escaped),
                None => (Cow::Borrowed(UNREADABLE.as_bytes()), false),
            };
        }
        (Cow::Borrowed(&self.bytes[self.offsets.get(index)..self.offsets.get(index + 1)]), escaped)
    }

    /// The string at `index`, decoded. Panics when `index >= len()`; loading checks every index
    /// the snapshot uses.
    pub fn get(&self, index: u32) -> Cow<'_, str> {
        let index = index as usize;
        if index >= self.file_len() {
            return Cow::Borrowed(&self.added[index - self.file_len()]);
        }
        match self.raw(index) {
            (raw, true) => Cow::Owned(decode_json_string(&raw)),
            (Cow::Borrowed(raw), false) => String::from_utf8_lossy(raw),
            (Cow::Owned(raw), false) => Cow::Owned(String::from_utf8_lossy(&raw).into_owned()),
        }
    }

    /// Whether the string at `index` equals `s`, without allocating for unescaped strings, and
    /// without reading the file when the lengths alone tell.
    pub fn eq(&self, index: u32, s: &str) -> bool {
        let i = index as usize;
        if i >= self.file_len() {
            return self.added[i - self.file_len()] == s;
        }
        // Unescaped, the raw bytes are the text. An escape stands for 1 to 4 bytes of text in
        // 2 to 12 raw bytes: never more than 6 raw bytes per byte of text.
        let (len, escaped) = (self.raw_len(index), self.is_escaped(i));
        let possible = if escaped { (s.len()..=6 * s.len()).contains(&len) } else { len == s.len() };
        if !possible {
            return false;
        }
        match self.raw(i) {
            (raw, false) => *raw == *s.as_bytes(),
            (_, true) => self.get(index) == s,
        }
    }

    /// Whether the string at `index` starts with `prefix` (ASCII prefixes only need no decoding).
    pub fn starts_with(&self, index: u32, prefix: &str) -> bool {
        let i = index as usize;
        if i < self.file_len() {
            let (raw, escaped) = self.raw(i);
            if !escaped {
                return raw.starts_with(prefix.as_bytes());
            }
        }
        self.get(index).starts_with(prefix)
    }

    /// Every index whose string equals `s` (V8 writes each string once, but nothing forces it).
    pub fn indexes_of(&self, s: &str) -> Vec<u32> {
        (0..self.len() as u32).filter(|&i| self.eq(i, s)).collect()
    }

    /// The indexes whose raw form contains `needle`, as a bit per string. The strings kept in
    /// memory lie end to end: one search runs over them all, a match counting for the string
    /// it starts in when it ends there too. Strings left in the file are read back in large
    /// chunks, in file order.
    pub fn containing(&self, needle: &[u8]) -> Vec<bool> {
        if needle.is_empty() {
            return vec![true; self.len()];
        }
        let finder = memchr::memmem::Finder::new(needle);
        let mut found = vec![false; self.len()];
        for at in finder.find_iter(&self.bytes) {
            let index = self.offsets.string_at(at);
            if at + needle.len() <= self.offsets.get(index + 1) {
                found[index] = true;
            }
        }
        for (index, added) in self.added.iter().enumerate() {
            found[self.file_len() + index] = finder.find(added.as_bytes()).is_some();
        }
        let Some(in_file) = &self.in_file else { return found };
        let mut spans = in_file.spans.as_slice();
        while let Some(&(_, start, _)) = spans.first() {
            let count = spans.iter().take_while(|s| s.1 + u64::from(s.2) - start <= FileStrings::CHUNK).count().max(1);
            let (chunk, rest) = spans.split_at(count);
            let last = chunk[count - 1];
            let bytes = in_file.read(start, (last.1 + u64::from(last.2) - start) as usize);
            for &(index, offset, len) in chunk {
                let raw = bytes.as_deref().map_or(UNREADABLE.as_bytes(), |b| {
                    &b[(offset - start) as usize..(offset - start) as usize + len as usize]
                });
                found[index as usize] = finder.find(raw).is_some();
            }
            spans = rest;
        }
        found
    }

    /// Size in bytes of the string's raw form in the file (a cheap length bound).
    pub fn raw_len(&self, index: u32) -> usize {
        let i = index as usize;
        if i >= self.file_len() {
            return self.added[i - self.file_len()].len();
        }
        match self.span_in_file(i) {
            Some((_, len)) => len as usize,
            None => self.offsets.get(i + 1) - self.offsets.get(i),
        }
    }
}

/// Decodes the content of a JSON string literal (without quotes). Invalid escapes and lone
/// surrogates become U+FFFD.
pub fn decode_json_string(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    let mut pending_high: Option<u16> = None;
    let mut plain_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        if plain_start < i {
            flush_high(&mut out, &mut pending_high);
            out.push_str(&text[plain_start..i]);
        }
        if i + 1 >= bytes.len() {
            flush_high(&mut out, &mut pending_high);
            out.push('\u{FFFD}');
            plain_start = bytes.len();
            break;
        }
        let escaped = text[i + 1..].chars().next().expect("a character follows");
        i += 1 + escaped.len_utf8();
        if escaped == 'u' {
            let unit = text.get(i..i + 4).and_then(|h| u16::from_str_radix(h, 16).ok());
            match unit {
                Some(unit) => {
                    i += 4;
                    push_utf16_unit(&mut out, &mut pending_high, unit);
                }
                None => {
                    flush_high(&mut out, &mut pending_high);
                    out.push('\u{FFFD}');
                }
            }
            plain_start = i;
            continue;
        }
        flush_high(&mut out, &mut pending_high);
        out.push(match escaped {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            _ => '\u{FFFD}',
        });
        plain_start = i;
    }
    flush_high(&mut out, &mut pending_high);
    out.push_str(&text[plain_start.min(bytes.len())..]);
    out
}

fn flush_high(out: &mut String, pending_high: &mut Option<u16>) {
    if pending_high.take().is_some() {
        out.push('\u{FFFD}');
    }
}

fn push_utf16_unit(out: &mut String, pending_high: &mut Option<u16>, unit: u16) {
    match unit {
        0xD800..=0xDBFF => {
            flush_high(out, pending_high);
            *pending_high = Some(unit);
        }
        0xDC00..=0xDFFF => match pending_high.take() {
            Some(high) => {
                let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            None => out.push('\u{FFFD}'),
        },
        _ => {
            flush_high(out, pending_high);
            out.push(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn offsets_take_eight_bytes_only_past_4_gib() {
        let mut offsets = super::Offsets::default();
        offsets.push(7);
        assert!(matches!(offsets, super::Offsets::Narrow(_)));
        offsets.push(5 << 30);
        offsets.push((5 << 30) + 1);
        assert!(matches!(offsets, super::Offsets::Wide(_)));
        let read: Vec<usize> = (0..offsets.len()).map(|i| offsets.get(i)).collect();
        assert_eq!(read, [0, 7, 5 << 30, (5 << 30) + 1]);
    }

    #[test]
    fn containing_finds_a_needle_only_within_one_string() {
        let needle = b"pair in WeakMap";
        let texts = [
            "",
            "pair in WeakMap",
            "",
            "",
            "x pair in WeakMap (table @7)",
            "pair in Weak",
            "Map",
            "pair in WeakMa",
            "p",
            r#"a \"pair in WeakMap\" b"#,
            "pair in WeakMappair in WeakMap",
            "no",
        ];
        let json = format!(
            r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["hidden"],"string","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element"],"string_or_number","node"]}},"node_count":1,"edge_count":0}},"nodes":[0,0,1,0,0],"edges":[],"strings":[{}]}}"#,
            texts.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(",")
        );
        let mut strings = crate::read_bytes(json.as_bytes()).expect("a valid snapshot").strings;
        strings.push("added pair in WeakMap".into());
        strings.push("added".into());
        let found = strings.containing(needle);
        let one_by_one: Vec<bool> = (0..strings.len())
            .map(|i| {
                let stored = if i < strings.file_len() {
                    strings.raw(i).0
                } else {
                    strings.get(i as u32).into_owned().into_bytes().into()
                };
                memchr::memmem::find(&stored, needle).is_some()
            })
            .collect();
        assert_eq!(found, one_by_one);
        assert_eq!(found.iter().filter(|&&f| f).count(), 5);
        assert_eq!(strings.containing(b""), vec![true; strings.len()]);
    }

    use super::decode_json_string as d;

    #[test]
    fn decodes_escapes_and_surrogates_lossily() {
        assert_eq!(d(br#"a\"b\\c\/\n\t"#), "a\"b\\c/\n\t");
        assert_eq!(d(br"\u00e9\ud83d\ude00"), "é😀");
        assert_eq!(d(br"x\ud800y"), "x\u{FFFD}y");
        assert_eq!(d(br"\udc00"), "\u{FFFD}");
        assert_eq!(d(br"\ud800\ud800\ude00"), "\u{FFFD}\u{10200}");
        assert_eq!(d(br"\u12"), "\u{FFFD}12");
        assert_eq!(d(br"end\"), "end\u{FFFD}");
        assert_eq!(d(br"\q"), "\u{FFFD}");
        assert_eq!(d("a\\é b\\\u{FFFD}c".as_bytes()), "a\u{FFFD} b\u{FFFD}c");
        assert_eq!(d(b"\\\xff\\u\xffd800x"), "\u{FFFD}\u{FFFD}\u{FFFD}d800x");
        assert_eq!(d(br"\uD800 \uDC00 \uD800\uDC00"), "\u{FFFD} \u{FFFD} \u{10000}");
    }
}
