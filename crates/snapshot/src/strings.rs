//! The snapshot's string table, kept as the raw (still JSON-escaped) bytes of the file.
//!
//! Most strings hold no escape, so showing one borrows its bytes; the few with escapes are
//! decoded when shown. Lone UTF-16 surrogates and invalid UTF-8 decode to U+FFFD, never fail.
//! Analyses may append strings of their own (class names like `{a, b}`); they get indexes after
//! the snapshot's own.

use std::borrow::Cow;

/// Strings of a snapshot: `strings[i]` of the file is `get(i)`.
///
/// Layout: `bytes` holds every string's raw content back to back; string `i` is
/// `bytes[offsets[i]..offsets[i + 1]]`; bit `i` of `escaped` says whether it contains a
/// backslash escape. Strings added after loading live in `added`.
#[derive(Debug, Clone)]
pub struct StringTable {
    bytes: Vec<u8>,
    offsets: Vec<u64>,
    escaped: Vec<u64>,
    added: Vec<String>,
}

impl Default for StringTable {
    fn default() -> Self {
        StringTable::new()
    }
}

impl StringTable {
    /// An empty table.
    pub fn new() -> Self {
        StringTable { bytes: Vec::new(), offsets: vec![0], escaped: Vec::new(), added: Vec::new() }
    }

    /// Appends the next string of the file (its raw bytes must already be in `raw_bytes_mut`).
    pub(crate) fn raw_bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    pub(crate) fn finish_raw(&mut self, has_escape: bool) {
        let index = self.offsets.len() - 1;
        if index % 64 == 0 {
            self.escaped.push(0);
        }
        if has_escape {
            self.escaped[index / 64] |= 1 << (index % 64);
        }
        self.offsets.push(self.bytes.len() as u64);
    }

    pub(crate) fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.offsets.shrink_to_fit();
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

    /// The bytes of string `index` as stored: raw JSON for file strings, text for added ones.
    fn stored_bytes(&self, index: usize) -> &[u8] {
        if index < self.file_len() {
            self.raw(index).0
        } else {
            self.added[index - self.file_len()].as_bytes()
        }
    }

    fn raw(&self, index: usize) -> (&[u8], bool) {
        let start = self.offsets[index] as usize;
        let end = self.offsets[index + 1] as usize;
        let escaped = self.escaped[index / 64] >> (index % 64) & 1 == 1;
        (&self.bytes[start..end], escaped)
    }

    /// The string at `index`, decoded. Panics when `index >= len()`; loading checks every index
    /// the snapshot uses.
    pub fn get(&self, index: u32) -> Cow<'_, str> {
        let index = index as usize;
        if index >= self.file_len() {
            return Cow::Borrowed(&self.added[index - self.file_len()]);
        }
        let (raw, escaped) = self.raw(index);
        if escaped {
            Cow::Owned(decode_json_string(raw))
        } else {
            String::from_utf8_lossy(raw)
        }
    }

    /// Whether the string at `index` equals `s`, without allocating for unescaped strings.
    pub fn eq(&self, index: u32, s: &str) -> bool {
        let i = index as usize;
        if i < self.file_len() {
            let (raw, escaped) = self.raw(i);
            if !escaped {
                return raw == s.as_bytes();
            }
        }
        self.get(index) == s
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
        (0..self.len() as u32).filter(|&i| self.raw_len(i) >= s.len() && self.eq(i, s)).collect()
    }

    /// The indexes whose raw form contains `needle`, as a bit per string.
    pub fn containing(&self, needle: &[u8]) -> Vec<bool> {
        let finder = memchr::memmem::Finder::new(needle);
        (0..self.len()).map(|i| finder.find(self.stored_bytes(i)).is_some()).collect()
    }

    /// Size in bytes of the string's raw form in the file (a cheap length bound).
    pub fn raw_len(&self, index: u32) -> usize {
        self.stored_bytes(index as usize).len()
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
