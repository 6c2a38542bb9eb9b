//! One line of a `--trace-gc` or `--trace-gc-nvp` log.
//!
//! Classic lines (`[pid:0xisolate]  17 ms: Scavenge 3.8 (4.0) -> 3.7 (5.0) MB, 0.87 / 0.00 ms
//! (average mu = ..., current mu = ...) reason`) differ by version: Node 18 writes `Mark-sweep`
//! and 1-decimal pauses, 20 `Mark-Compact` and 2 decimals, 22 and 24 add `pooled: N MB, `;
//! incremental marking adds a `(+ ... since start of marking ...)` group; `Minor Mark-Compact`,
//! `Minor Mark-Sweep` and a ` (reduce)` suffix exist. NVP lines carry `key=value` pairs whose
//! set changes by version. The parser is written by hand: a 1 GB log must read at disk speed.

/// Minor (young generation) or major (full heap) collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GcKind {
    /// Scavenge, Minor Mark-Compact, Minor Mark-Sweep.
    Minor,
    /// Mark-sweep / Mark-Compact.
    Major,
}

/// One collection.
#[derive(Debug, Clone, PartialEq)]
pub struct GcEvent {
    /// Process id.
    pub pid: u32,
    /// V8 isolate address: worker threads have their own.
    pub isolate: u64,
    /// Milliseconds since the isolate started.
    pub time_ms: f64,
    /// The collector as the log names it (`Scavenge`, `Mark-Compact`, `Mark-sweep`, ...; NVP
    /// lines give their `gc=` code's name).
    pub name: &'static str,
    /// Minor or major.
    pub kind: GcKind,
    /// A memory-reducing collection (` (reduce)`, or `reduce_memory=1`).
    pub reduce: bool,
    /// Heap used before and after, in MB.
    pub used_before: f64,
    /// Heap used after, in MB.
    pub used_after: f64,
    /// Heap committed (the number in parentheses) after, in MB, when the line gives it.
    pub committed_after: Option<f64>,
    /// Pause in milliseconds.
    pub pause_ms: f64,
    /// The mutator utilisation V8 reports (`current mu`), when given.
    pub current_mu: Option<f64>,
    /// Why V8 collected (`allocation failure`, `task`, ...), when the line gives it.
    pub reason: Option<String>,
}

/// What a line (or a piece of a glued line) is.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece<'a> {
    /// A collection.
    Gc(GcEvent),
    /// A trace-gc line that could not be read (truncated, unknown shape).
    Unparsed(&'a str),
    /// Anything else: the program's own output, V8's other messages.
    Other(&'a str),
}

/// A cursor over a line's bytes.
struct Cursor<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn skip_spaces(&mut self) {
        while self.s.as_bytes().get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn eat(&mut self, text: &str) -> Option<()> {
        self.rest().starts_with(text).then(|| self.at += text.len())
    }

    fn number(&mut self) -> Option<f64> {
        let bytes = self.s.as_bytes();
        let start = self.at;
        while bytes.get(self.at).is_some_and(|b| b.is_ascii_digit() || *b == b'.') {
            self.at += 1;
        }
        self.s[start..self.at].parse().ok()
    }

    fn hex(&mut self) -> Option<u64> {
        let bytes = self.s.as_bytes();
        let start = self.at;
        while bytes.get(self.at).is_some_and(u8::is_ascii_hexdigit) {
            self.at += 1;
        }
        u64::from_str_radix(&self.s[start..self.at], 16).ok()
    }

    fn until(&mut self, text: &str) -> Option<&'a str> {
        let at = self.rest().find(text)?;
        let found = &self.rest()[..at];
        self.at += at + text.len();
        Some(found)
    }
}

/// Where a `[pid:0xisolate]` prefix starts at `at`, the length of the prefix.
fn prefix_len(s: &str, at: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = at;
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let digits = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == digits || b.get(i) != Some(&b':') || b.get(i + 1) != Some(&b'0') || b.get(i + 2) != Some(&b'x') {
        return None;
    }
    i += 3;
    let hex = i;
    while b.get(i).is_some_and(u8::is_ascii_hexdigit) {
        i += 1;
    }
    if i == hex {
        return None;
    }
    // Node 24's NVP lines add `:N` after the isolate.
    if b.get(i) == Some(&b':') {
        let n = i + 1;
        i = n;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == n {
            return None;
        }
    }
    (b.get(i) == Some(&b']')).then_some(i + 1 - at)
}

/// Splits a line into pieces: V8 glues the entries of its out-of-memory "Last few GCs" block
/// without newlines, and a program's output without a final newline runs into the next GC line.
pub fn pieces(line: &str) -> Pieces<'_> {
    Pieces { line: line.trim_end_matches(['\n', '\r']), at: 0 }
}

/// The pieces of one line, in order (see [`pieces`]).
pub struct Pieces<'a> {
    line: &'a str,
    at: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let line = self.line;
        if self.at >= line.len() {
            return None;
        }
        let mut end = line.len();
        let mut search = self.at + 1;
        while let Some(found) = line.get(search..).and_then(|rest| rest.find('[')) {
            let at = search + found;
            if prefix_len(line, at).is_some() {
                end = at;
                break;
            }
            search = at + 1;
        }
        let piece = &line[self.at..end];
        self.at = end;
        Some(parse_piece(piece))
    }
}

/// Who collected and when: the `[pid:0xisolate]  T ms: ` prefix every line starts with.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    pid: u32,
    isolate: u64,
    time_ms: f64,
}

/// Reads one piece that starts with `[pid:0xisolate]` (anything else is [`Piece::Other`]).
fn parse_piece(text: &str) -> Piece<'_> {
    let Some(prefix) = prefix_len(text, 0) else {
        return if is_torn_gc_record(text) { Piece::Unparsed(text) } else { Piece::Other(text) };
    };
    let mut c = Cursor { s: text, at: 1 };
    let (Some(pid), Some(())) = (c.number(), c.eat(":0x")) else { return Piece::Unparsed(text) };
    let Some(isolate) = c.hex() else { return Piece::Unparsed(text) };
    c.at = prefix;
    c.skip_spaces();
    let Some(time_ms) = c.number() else { return Piece::Other(text) };
    if c.eat(" ms: ").is_none() {
        return Piece::Other(text);
    }
    let body = c.rest();
    let stamp = Stamp { pid: pid as u32, isolate, time_ms };
    let event = if body.starts_with("pause=") { parse_nvp(stamp, body) } else { parse_classic(stamp, &mut c) };
    match event {
        Some(e) => Piece::Gc(e),
        // `[pid:0x..] 12 ms: ` lines V8 writes for other tracing flags are not collections.
        None if looks_like_gc(body) => Piece::Unparsed(text),
        None => Piece::Other(text),
    }
}

/// Whether a piece without its `[pid:0xisolate]` start is the rest of a collection's line: a
/// line torn where two writers interleaved, or cut at its start. It carries a collector's name
/// after ` ms: `, or a collection's `A (B) -> C (D) MB, ` sizes.
fn is_torn_gc_record(text: &str) -> bool {
    let after_time = text.split_once(" ms: ").is_some_and(|(_, body)| looks_like_gc(body));
    let sizes = text.find(") -> ").is_some_and(|at| text[at..].contains(") MB, "));
    after_time || (sizes && (text.contains("mu = ") || COLLECTORS.iter().any(|(name, _, _)| text.contains(name))))
}

fn looks_like_gc(body: &str) -> bool {
    ["Scavenge", "Mark-", "Minor ", "pause="].iter().any(|name| body.starts_with(name))
}

const COLLECTORS: [(&str, &str, GcKind); 5] = [
    ("Scavenge", "Scavenge", GcKind::Minor),
    ("Minor Mark-Compact", "Minor Mark-Compact", GcKind::Minor),
    ("Minor Mark-Sweep", "Minor Mark-Sweep", GcKind::Minor),
    ("Mark-Compact", "Mark-Compact", GcKind::Major),
    ("Mark-sweep", "Mark-sweep", GcKind::Major),
];

fn parse_classic(stamp: Stamp, c: &mut Cursor<'_>) -> Option<GcEvent> {
    let &(_, name, kind) = COLLECTORS.iter().find(|(text, _, _)| c.rest().starts_with(text))?;
    c.at += name.len();
    // Suffixes such as ` (reduce)` (a memory-reducing GC) or ` (interleaved)` (Node 22+).
    let mut reduce = false;
    while let Some(word) = c.rest().strip_prefix(" (").and_then(|r| r.split_once(')')).map(|(w, _)| w) {
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_alphabetic() || b == b' ') {
            break;
        }
        reduce |= word == "reduce";
        c.at += word.len() + 3;
    }
    c.skip_spaces();
    let used_before = c.number()?;
    c.eat(" (")?;
    c.number()?;
    c.eat(") -> ")?;
    let used_after = c.number()?;
    c.eat(" (")?;
    let committed_after = c.number()?;
    c.eat(") MB, ")?;
    if c.eat("pooled: ").is_some() {
        c.number()?;
        c.eat(" MB, ")?;
    }
    let pause_ms = c.number()?;
    c.eat(" / ")?;
    // The rest may be cut short (V8's out-of-memory block truncates entries).
    let current_mu = c.until("current mu = ").and_then(|_| c.number());
    let reason = current_mu.and_then(|_| c.eat(") ")).map(|()| c.rest().trim().trim_end_matches(';').trim().to_owned());
    Some(GcEvent {
        pid: stamp.pid,
        isolate: stamp.isolate,
        time_ms: stamp.time_ms,
        name,
        kind,
        reduce,
        used_before,
        used_after,
        committed_after: Some(committed_after),
        pause_ms,
        current_mu,
        reason: reason.filter(|r| !r.is_empty()),
    })
}

/// `--trace-gc-nvp`: `pause=1.2 mutator=18.9 gc=s reduce_memory=0 ... total_size_before=... `.
fn parse_nvp(stamp: Stamp, body: &str) -> Option<GcEvent> {
    let mut pause = None;
    let mut code = None;
    let mut reduce = false;
    let (mut before, mut after, mut committed) = (None, None, None);
    for pair in body.split_ascii_whitespace() {
        let Some((key, value)) = pair.split_once('=') else { continue };
        match key {
            "pause" => pause = value.parse::<f64>().ok(),
            "gc" => code = Some(value),
            "reduce_memory" => reduce = value == "1",
            // Node 18-22 write total_size_*, Node 24 start/end_object_size (bytes in use).
            "total_size_before" | "start_object_size" => before = value.parse::<f64>().ok(),
            "total_size_after" | "end_object_size" => after = value.parse::<f64>().ok(),
            "end_memory_size" => committed = value.parse::<f64>().ok(),
            _ => {}
        }
    }
    let (name, kind) = match code? {
        "s" => ("Scavenge", GcKind::Minor),
        "mmc" => ("Minor Mark-Compact", GcKind::Minor),
        "mms" | "minor_ms" => ("Minor Mark-Sweep", GcKind::Minor),
        "mc" => ("Mark-Compact", GcKind::Major),
        "ms" => ("Mark-sweep", GcKind::Major),
        _ => return None,
    };
    const MB: f64 = 1024.0 * 1024.0;
    Some(GcEvent {
        pid: stamp.pid,
        isolate: stamp.isolate,
        time_ms: stamp.time_ms,
        name,
        kind,
        reduce,
        used_before: before? / MB,
        used_after: after? / MB,
        committed_after: committed.map(|c| c / MB),
        pause_ms: pause?,
        current_mu: None,
        reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gc(line: &str) -> GcEvent {
        let all: Vec<Piece<'_>> = pieces(line).collect();
        match &all[..] {
            [Piece::Gc(e)] => e.clone(),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn node18_mark_sweep_with_one_decimal_and_incremental_group() {
        let e = gc("[14391:0x17161d00]      139 ms: Mark-sweep 15.9 (28.2) -> 13.0 (46.7) MB, 7.8 / 0.0 ms  (+ 2.8 ms in 43 steps since start of marking, biggest step 0.4 ms, walltime since start of marking 20 ms) (average mu = 1.000, current mu = 0.903) finalize incremental marking via task; GC in old space requested");
        assert_eq!((e.pid, e.isolate, e.time_ms), (14391, 0x17161d00, 139.0));
        assert_eq!((e.name, e.kind, e.reduce), ("Mark-sweep", GcKind::Major, false));
        assert_eq!((e.used_before, e.used_after, e.committed_after, e.pause_ms), (15.9, 13.0, Some(46.7), 7.8));
        assert_eq!(e.current_mu, Some(0.903));
        assert_eq!(e.reason.as_deref(), Some("finalize incremental marking via task; GC in old space requested"));
    }

    #[test]
    fn node20_scavenge_two_decimals() {
        let e = gc("[14475:0x145b5c00]       23 ms: Scavenge 3.9 (4.0) -> 3.7 (5.0) MB, 1.39 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; ");
        assert_eq!((e.name, e.kind, e.pause_ms, e.used_after), ("Scavenge", GcKind::Minor, 1.39, 3.7));
        assert_eq!(e.reason.as_deref(), Some("allocation failure"));
    }

    #[test]
    fn node22_and_24_pooled() {
        let e = gc("[14421:0x1261c000]      577 ms: Mark-Compact 52.2 (77.4) -> 48.3 (83.4) MB, pooled: 0 MB, 10.27 / 0.00 ms  (+ 41.3 ms in 0 steps since start of marking, biggest step 0.0 ms, walltime since start of marking 115 ms) (average mu = 0.899, current mu = 0.897) finalize incremental marking via task; GC in old space requested");
        assert_eq!((e.name, e.used_before, e.used_after, e.pause_ms), ("Mark-Compact", 52.2, 48.3, 10.27));
    }

    #[test]
    fn minor_collectors_and_reduce() {
        let e = gc("[1:0xabc]  5 ms: Minor Mark-Sweep 8.1 (9.0) -> 7.0 (9.0) MB, pooled: 1 MB, 0.50 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;");
        assert_eq!((e.name, e.kind), ("Minor Mark-Sweep", GcKind::Minor));
        let e = gc("[1:0xabc]  5 ms: Minor Mark-Compact 8.1 (9.0) -> 7.0 (9.0) MB, 0.50 / 0.00 ms  (average mu = 1.000, current mu = 1.000) task;");
        assert_eq!(e.name, "Minor Mark-Compact");
        let e = gc("[14614:0x3e92c000]      109 ms: Mark-Compact (reduce) 26.1 (51.8) -> 24.6 (26.6) MB, pooled: 0 MB, 33.18 / 0.00 ms  (average mu = 0.2, current mu = 0.1) last resort; GC in old space requested");
        assert!(e.reduce);
        assert_eq!(e.kind, GcKind::Major);
        let e = gc("[14605:0x1e8cd000]       83 ms: Scavenge (interleaved) 21.0 (30.1) -> 10.0 (26.7) MB, pooled: 0 MB, 0.54 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;");
        assert_eq!((e.name, e.reduce, e.used_after), ("Scavenge", false, 10.0));
    }

    #[test]
    fn the_out_of_memory_block_glues_and_cuts_entries() {
        let line = "[14547:0x22d91d00]       87 ms: Mark-sweep 18.1 (49.9) -> 17.3 (50.3) MB, 17.7 / 0.0 ms  (+ 1.8 ms in 10 steps since start of marking, biggest step 1.1 ms, walltime since start of marking 33 ms) (average mu = 1.000, current mu = 1.000) finalize incrementa[14547:0x22d91d00]      119 ms: Mark-sweep (reduce) 20.2 (50.3) -> 19.6 (21.5) MB, 25.9 / 0.0 ms  (+ 1.3 ms in 8 steps since s";
        let all: Vec<Piece<'_>> = pieces(line).collect();
        assert_eq!(all.len(), 2);
        let Piece::Gc(first) = &all[0] else { panic!("{all:?}") };
        let Piece::Gc(second) = &all[1] else { panic!("{all:?}") };
        assert_eq!(first.reason.as_deref(), Some("finalize incrementa"));
        assert!(second.reduce && second.current_mu.is_none() && second.reason.is_none());
        assert_eq!(second.used_after, 19.6);
    }

    #[test]
    fn program_output_is_other_and_cut_gc_lines_are_unparsed() {
        assert_eq!(pieces("tick 20").collect::<Vec<_>>(), [Piece::Other("tick 20")]);
        assert_eq!(pieces("").count(), 0);
        let glued: Vec<Piece<'_>> =
            pieces("no newline here[1:0xa]  5 ms: Scavenge 1.0 (2.0) -> 0.5 (2.0) MB, 0.1 / 0.0 ms  (average mu = 1.0, current mu = 1.0) task;").collect();
        assert_eq!(glued[0], Piece::Other("no newline here"));
        assert!(matches!(glued[1], Piece::Gc(_)));
        let cut = "[1:0xa]  5 ms: Scavenge 1.0 (2.0) -> 0.5";
        assert_eq!(pieces(cut).collect::<Vec<_>>(), [Piece::Unparsed(cut)]);
        // Other V8 tracing in the same prefix format is not a collection.
        let other = "[1:0xa]  5 ms: Memory reducer: started GC #1";
        assert_eq!(pieces(other).collect::<Vec<_>>(), [Piece::Other(other)]);
        // A line torn where two writers interleaved: its `[pid:0x…]` start went elsewhere.
        for torn in [
            "  5 ms: Mark-Compact 15.9 (20.0) -> 14.2 (21.0) MB, 3.10 / 0.00 ms  (average mu = 0.9, current mu = 0.9) task;",
            "a3f0]  5 ms: Scavenge 1.0 (2.0) -> 0.5 (2.0) MB, 0.1 / 0.0 ms",
            "ark-Compact 15.9 (20.0) -> 14.2 (21.0) MB, 3.10 / 0.00 ms  (average mu = 0.9, current mu = 0.9) task;",
        ] {
            assert_eq!(pieces(torn).collect::<Vec<_>>(), [Piece::Unparsed(torn)], "{torn}");
        }
        let output = "price (20.0) -> 14.2 (21.0) MB, as the program says";
        assert_eq!(pieces(output).collect::<Vec<_>>(), [Piece::Other(output)]);
    }

    #[test]
    fn nvp_lines_of_each_version() {
        let e = gc("[14576:0x2501ec00]       25 ms: pause=1.2 mutator=18.9 gc=s reduce_memory=0 time_to_safepoint=0.00 total_size_before=4066632 total_size_after=3856856 holes_size_before=7248");
        assert_eq!((e.name, e.kind, e.pause_ms), ("Scavenge", GcKind::Minor, 1.2));
        assert!((e.used_before - 4066632.0 / 1048576.0).abs() < 1e-9);
        let e =
            gc("[1:0xa]  9 ms: pause=3.6 gc=ms reduce_memory=1 total_size_before=18921056 total_size_after=15544752");
        assert_eq!((e.name, e.kind, e.reduce), ("Mark-sweep", GcKind::Major, true));
        let e = gc("[1:0xa:0]  9 ms: pause=5.8 mutator=13.5 gc=mc reduce_memory=0 interleaved=0 start_object_size=19016608 end_object_size=16133640 start_memory_size=30220288 end_memory_size=51150848");
        assert_eq!(e.kind, GcKind::Major);
        assert!((e.committed_after.unwrap() - 51150848.0 / 1048576.0).abs() < 1e-9);
        let missing = "[1:0xa]  9 ms: pause=5.8 gc=mc";
        assert_eq!(pieces(missing).collect::<Vec<_>>(), [Piece::Unparsed(missing)]);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        /// Any text, and any cut of a real line, reads without panicking.
        #[test]
        fn never_panics(text in "\\PC*", cut in 0usize..300) {
            let _ = super::pieces(&text).count();
            let line = "[14421:0x1261c000]      577 ms: Mark-Compact 52.2 (77.4) -> 48.3 (83.4) MB, pooled: 0 MB, 10.27 / 0.00 ms  (+ 41.3 ms in 0 steps since start of marking) (average mu = 0.899, current mu = 0.897) task;";
            let cut = cut.min(line.len());
            let _ = super::pieces(&line[..cut]).count();
            let glued = format!("{}{text}{}", &line[..cut], line);
            let _ = super::pieces(&glued).count();
        }
    }
}
