//! From lines to a report, in bounded memory: per isolate, collections by type with pause
//! percentiles (a log histogram), the GC share of wall time, the allocation rate, the heap
//! after each major GC (thinned to a bounded series) and the verdict on its trend.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::line::{pieces, GcEvent, GcKind, Piece};
use crate::trend::{trend, Trend};

/// Points kept per series; when full, every other point goes and later points are taken at
/// half the rate, so a series always spans the whole log.
const SERIES_LIMIT: usize = 4096;
/// Unreadable lines kept as examples.
const EXAMPLES: usize = 10;
/// A major GC that frees less than this share of the heap in use is "ineffective".
const INEFFECTIVE_SHARE: f64 = 0.05;
/// The first part of the major-GC series that counts as warm-up and is left out of the trend.
const WARM_UP_SHARE: f64 = 0.25;
/// Growth must be this significant (p-value) ...
const MAX_P_VALUE: f64 = 0.05;
/// ... and at least this much over the window, in MB and relative to where it started.
const MIN_GROWTH_MB: f64 = 1.0;
/// The least relative growth for a GC log, whose post-GC points carry floating garbage.
const LOG_MIN_GROWTH_SHARE: f64 = 0.25;
/// Growth must be at least this many times the interquartile range of the points around the trend.
const NOISE_FACTOR: f64 = 1.0;
/// Without a significant trend, this many major GCs (after warm-up) make a "steady" verdict.
const ENOUGH_FOR_STEADY: usize = 10;

/// A series thinned to at most [`SERIES_LIMIT`] points spread over all that was pushed.
#[derive(Debug, Clone)]
struct Thinned<T> {
    points: Vec<T>,
    stride: usize,
    seen: usize,
}

impl<T> Default for Thinned<T> {
    fn default() -> Self {
        Thinned { points: Vec::new(), stride: 1, seen: 0 }
    }
}

impl<T> Thinned<T> {
    fn push(&mut self, point: T) {
        self.seen += 1;
        if !(self.seen - 1).is_multiple_of(self.stride) {
            return;
        }
        if self.points.len() == SERIES_LIMIT {
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride *= 2;
        }
        self.points.push(point);
    }
}

/// Pause times in log-spaced buckets (2% wide) from 1 µs: percentiles within 2% in fixed memory.
#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    total: f64,
    min: f64,
    max: f64,
}

const BUCKET_BASE: f64 = 0.001;
const BUCKET_GROWTH: f64 = 1.02;

impl Histogram {
    fn add(&mut self, ms: f64) {
        let bucket = ((ms.max(BUCKET_BASE) / BUCKET_BASE).ln() / BUCKET_GROWTH.ln()) as usize;
        if bucket >= self.buckets.len() {
            self.buckets.resize(bucket + 1, 0);
        }
        self.buckets[bucket] += 1;
        self.count += 1;
        self.total += ms;
        self.min = if self.count == 1 { ms } else { self.min.min(ms) };
        self.max = self.max.max(ms);
    }

    fn percentile(&self, q: f64) -> f64 {
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let middle = BUCKET_BASE * BUCKET_GROWTH.powf(bucket as f64 + 0.5);
                return middle.clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// One point of the chart: a collection's time (s), heap used before and after (MB).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeapPoint {
    /// Seconds since the isolate started.
    pub time_s: f64,
    /// MB in use before the collection.
    pub before_mb: f64,
    /// MB in use after it.
    pub after_mb: f64,
    /// A major collection.
    pub major: bool,
}

#[derive(Debug, Default)]
struct IsolateState {
    first_ms: Option<f64>,
    last_ms: f64,
    by_type: BTreeMap<(&'static str, bool), (GcKind, Histogram)>,
    pauses: Histogram,
    allocated_mb: f64,
    last_after: Option<f64>,
    majors: Thinned<(f64, f64)>,
    chart: Thinned<HeapPoint>,
    major_count: u64,
    ineffective: u64,
    trailing_ineffective: u64,
    reduce: u64,
    last_resort: u64,
    min_mu: Option<f64>,
    max_used_mb: f64,
    max_committed_mb: f64,
    out_of_memory: bool,
}

impl IsolateState {
    fn add(&mut self, e: &GcEvent) {
        self.first_ms.get_or_insert(e.time_ms);
        self.last_ms = e.time_ms;
        let entry = self.by_type.entry((e.name, e.reduce)).or_insert_with(|| (e.kind, Histogram::default()));
        entry.1.add(e.pause_ms);
        self.pauses.add(e.pause_ms);
        if let Some(previous) = self.last_after {
            self.allocated_mb += (e.used_before - previous).max(0.0);
        }
        self.last_after = Some(e.used_after);
        let major = e.kind == GcKind::Major;
        self.chart.push(HeapPoint { time_s: e.time_ms / 1e3, before_mb: e.used_before, after_mb: e.used_after, major });
        if major {
            self.major_count += 1;
            self.majors.push((e.time_ms, e.used_after));
            if e.used_before - e.used_after < INEFFECTIVE_SHARE * e.used_before {
                self.ineffective += 1;
                self.trailing_ineffective += 1;
            } else {
                self.trailing_ineffective = 0;
            }
        }
        self.reduce += u64::from(e.reduce);
        self.last_resort += u64::from(e.reason.as_deref().is_some_and(|r| r.contains("last resort")));
        if let Some(mu) = e.current_mu {
            self.min_mu = Some(self.min_mu.map_or(mu, |m: f64| m.min(mu)));
        }
        self.max_used_mb = self.max_used_mb.max(e.used_before);
        self.max_committed_mb = self.max_committed_mb.max(e.committed_after.unwrap_or(0.0));
    }
}

/// Reads a log line by line and keeps only what the report needs.
#[derive(Debug, Default)]
pub struct Analyzer {
    isolates: BTreeMap<(u32, u64), IsolateState>,
    /// Inside V8's "Last few GCs" block, whose entries repeat collections already counted.
    in_oom_block: bool,
    lines: u64,
    gc_lines: u64,
    repeated: u64,
    other_lines: u64,
    unparsed: u64,
    unparsed_examples: Vec<String>,
    out_of_memory: bool,
}

impl Analyzer {
    /// A fresh analyzer.
    pub fn new() -> Analyzer {
        Analyzer::default()
    }

    /// Reads one line; the pieces that are not the collector's (the program's own output) go
    /// to `other`.
    pub fn feed(&mut self, line: &str, other: &mut dyn FnMut(&str)) {
        self.lines += 1;
        if line.trim_end_matches(['\n', '\r']).is_empty() {
            self.other_lines += 1;
            other("");
            return;
        }
        for piece in pieces(line) {
            match piece {
                Piece::Gc(event) => {
                    self.gc_lines += 1;
                    let isolate = self.isolates.entry((event.pid, event.isolate)).or_default();
                    if self.in_oom_block {
                        self.repeated += 1;
                        isolate.out_of_memory = true;
                    } else {
                        isolate.add(&event);
                    }
                }
                Piece::Unparsed(text) => {
                    self.unparsed += 1;
                    if self.unparsed_examples.len() < EXAMPLES {
                        self.unparsed_examples.push(text.chars().take(300).collect());
                    }
                }
                Piece::Other(text) => {
                    if text.contains("<--- Last few GCs --->") {
                        self.in_oom_block = true;
                    } else if text.contains("<--- JS stacktrace --->") || text.contains("FATAL ERROR") {
                        self.in_oom_block = false;
                    }
                    if text.contains("JavaScript heap out of memory") || text.contains("Reached heap limit") {
                        self.out_of_memory = true;
                    }
                    self.other_lines += 1;
                    other(text);
                }
            }
        }
    }

    /// Feeds every line of `input`; the pieces that are not the collector's go to `other`.
    /// Bad UTF-8 is replaced, not an error. After `other` fails it is called no more, and its
    /// error ends the reading at the end of that line.
    pub fn read(
        &mut self,
        input: &mut dyn std::io::BufRead,
        other: &mut dyn FnMut(&str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut line = Vec::with_capacity(1024);
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            // Logs are nearly always valid UTF-8: check that fast, replace bad bytes only if not.
            let text = match std::str::from_utf8(&line) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(&line),
            };
            let mut failed = Ok(());
            self.feed(&text, &mut |piece| {
                if failed.is_ok() {
                    failed = other(piece);
                }
            });
            failed?;
        }
    }

    /// The report of everything read.
    pub fn finish(self) -> Report {
        let isolates =
            self.isolates.into_iter().map(|((pid, isolate), state)| isolate_report(pid, isolate, state)).collect();
        Report {
            lines: self.lines,
            gc_lines: self.gc_lines,
            repeated_in_oom_block: self.repeated,
            other_lines: self.other_lines,
            unparsed_lines: self.unparsed,
            unparsed_examples: self.unparsed_examples,
            out_of_memory: self.out_of_memory,
            isolates,
        }
    }
}

/// Everything a log says.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Lines read.
    pub lines: u64,
    /// Collections read (including the repeats of V8's out-of-memory block).
    pub gc_lines: u64,
    /// Entries of the "Last few GCs" block: repeats, not counted again.
    pub repeated_in_oom_block: u64,
    /// Lines (or pieces) that were the program's output or other messages.
    pub other_lines: u64,
    /// Lines that looked like the collector's but could not be read.
    pub unparsed_lines: u64,
    /// The first few of them.
    pub unparsed_examples: Vec<String>,
    /// The log shows V8 running out of heap.
    pub out_of_memory: bool,
    /// One entry per isolate (the main thread and each worker), by pid and address.
    pub isolates: Vec<IsolateReport>,
}

/// What one isolate's collector did.
#[derive(Debug, Clone, Serialize)]
pub struct IsolateReport {
    /// Process id.
    pub pid: u32,
    /// Isolate address, as the log writes it (`0x...`).
    pub isolate: String,
    /// Time of the first and last collection, in seconds since the isolate started.
    pub first_s: f64,
    /// Time of the last collection.
    pub last_s: f64,
    /// Collections by collector, most time first.
    pub collectors: Vec<CollectorStats>,
    /// Pauses of all collections.
    pub pauses: PauseStats,
    /// Share of the time between the first and last collection spent in pauses (0..1).
    pub gc_share: f64,
    /// MB allocated between collections (heap growth from one collection to the next).
    pub allocated_mb: f64,
    /// Allocation rate in MB/s over the log.
    pub allocation_mb_per_s: f64,
    /// Heap in use after each major collection: `[seconds, MB]` (thinned on long logs).
    pub heap_after_major: Vec<(f64, f64)>,
    /// Every collection's heap before and after, for the chart (thinned on long logs).
    pub heap: Vec<HeapPoint>,
    /// Major collections that freed less than 5% of the heap in use.
    pub ineffective_major: u64,
    /// Major collections in all.
    pub major: u64,
    /// Signs that the heap is near its limit.
    pub pressure: Pressure,
    /// Whether the heap that survives major collections keeps growing.
    pub verdict: Verdict,
}

/// One collector's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct CollectorStats {
    /// `Scavenge`, `Mark-Compact`, ... as the log names it.
    pub name: String,
    /// Memory-reducing variant (` (reduce)`).
    pub reduce: bool,
    /// Minor or major.
    pub kind: GcKind,
    /// Its pauses.
    pub pauses: PauseStats,
}

/// Pause statistics in milliseconds (percentiles within 2%).
#[derive(Debug, Clone, Serialize)]
pub struct PauseStats {
    /// Collections.
    pub count: u64,
    /// Sum of pauses.
    pub total_ms: f64,
    /// Median pause.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// Longest pause.
    pub max_ms: f64,
}

impl From<&Histogram> for PauseStats {
    fn from(h: &Histogram) -> Self {
        PauseStats {
            count: h.count,
            total_ms: h.total,
            p50_ms: h.percentile(0.5),
            p95_ms: h.percentile(0.95),
            max_ms: h.max,
        }
    }
}

/// Signs that the heap runs against its limit.
#[derive(Debug, Clone, Serialize)]
pub struct Pressure {
    /// Memory-reducing collections (V8 trying to shrink the heap).
    pub reduce_collections: u64,
    /// "last resort" collections (V8's final attempt before giving up).
    pub last_resort_collections: u64,
    /// Ineffective major collections in a row at the end of the log.
    pub trailing_ineffective_major: u64,
    /// Lowest mutator utilisation V8 reported (1 = no time in GC).
    pub min_mutator_utilization: Option<f64>,
    /// Largest heap in use before a collection, MB.
    pub max_used_mb: f64,
    /// Largest committed heap, MB.
    pub max_committed_mb: f64,
    /// This isolate appears in V8's out-of-memory block.
    pub out_of_memory: bool,
}

/// The verdict on the heap that survives major collections.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `growing`, `steady`, `uncertain` (big moves without a significant trend) or `unknown`
    /// (too few major collections).
    pub state: &'static str,
    /// Slope of the post-major-GC heap, MB per minute (Theil–Sen), when computed.
    pub slope_mb_per_min: Option<f64>,
    /// How sure the trend is: 1 - p of the Mann–Kendall test.
    pub confidence: Option<f64>,
    /// Growth over the window, MB.
    pub growth_mb: Option<f64>,
    /// Major collections the verdict rests on (after warm-up).
    pub majors_used: usize,
    /// The verdict in words.
    pub explanation: String,
}

fn isolate_report(pid: u32, isolate: u64, s: IsolateState) -> IsolateReport {
    let first_ms = s.first_ms.unwrap_or(0.0);
    let span_ms = (s.last_ms - first_ms).max(0.0);
    let mut collectors: Vec<CollectorStats> = s
        .by_type
        .iter()
        .map(|(&(name, reduce), (kind, h))| CollectorStats {
            name: name.to_owned(),
            reduce,
            kind: *kind,
            pauses: h.into(),
        })
        .collect();
    collectors.sort_by(|a, b| b.pauses.total_ms.total_cmp(&a.pauses.total_ms));
    let verdict = survivor_verdict(&s.majors.points, "major GCs", LOG_MIN_GROWTH_SHARE);
    IsolateReport {
        pid,
        isolate: format!("{isolate:#x}"),
        first_s: first_ms / 1e3,
        last_s: s.last_ms / 1e3,
        collectors,
        pauses: (&s.pauses).into(),
        gc_share: if span_ms > 0.0 { (s.pauses.total / span_ms).min(1.0) } else { 0.0 },
        allocated_mb: s.allocated_mb,
        allocation_mb_per_s: if span_ms > 0.0 { s.allocated_mb / (span_ms / 1e3) } else { 0.0 },
        heap_after_major: s.majors.points.iter().map(|&(t, mb)| (t / 1e3, mb)).collect(),
        heap: s.chart.points,
        ineffective_major: s.ineffective,
        major: s.major_count,
        pressure: Pressure {
            reduce_collections: s.reduce,
            last_resort_collections: s.last_resort,
            trailing_ineffective_major: s.trailing_ineffective,
            min_mutator_utilization: s.min_mu,
            max_used_mb: s.max_used_mb,
            max_committed_mb: s.max_committed_mb,
            out_of_memory: s.out_of_memory,
        },
        verdict,
    }
}

/// Growing when the post-major-GC heap rises significantly after warm-up, and by enough.
/// The verdict on the heap that survives collections: `points` are (time in ms, MB in use after
/// a collection), in time order; `gcs` names those collections in the explanation ("major GCs",
/// "forced GCs"); growth must reach `min_share` of the heap where the window starts (a log's
/// points are noisier than those read right after a forced full GC). The first quarter of the
/// span is warm-up and left out.
pub fn survivor_verdict(majors: &[(f64, f64)], gcs: &str, min_share: f64) -> Verdict {
    let unknown = |why: String| Verdict {
        state: "unknown",
        slope_mb_per_min: None,
        confidence: None,
        growth_mb: None,
        majors_used: 0,
        explanation: why,
    };
    let (Some(first), Some(last)) = (majors.first(), majors.last()) else {
        return unknown(format!("no {gcs} yet: run longer to see what survives them"));
    };
    let start = first.0 + WARM_UP_SHARE * (last.0 - first.0);
    let after_warm_up: Vec<(f64, f64)> = majors.iter().copied().filter(|p| p.0 >= start).collect();
    let window = &after_warm_up;
    let significant_trend = (window.len() >= 4).then(|| trend(window)).flatten().filter(|t| t.p_value < MAX_P_VALUE);
    if let Some(rising) = rising(window, gcs, min_share).filter(|_| significant_trend.is_none()) {
        return rising;
    }
    let Some(Trend { slope, p_value, .. }) = (window.len() >= 4).then(|| trend(window)).flatten() else {
        return unknown(format!(
            "{} {gcs} after warm-up; at least 4 are needed to judge a trend (run longer)",
            after_warm_up.len()
        ));
    };
    let span = window.last().map_or(0.0, |p| p.0) - window[0].0;
    let growth = slope * span;
    let base = window[0].1.max(f64::MIN_POSITIVE);
    let slope_per_min = slope * 60_000.0;
    let confidence = 1.0 - p_value;
    // Growth must also stand out of the scatter around the trend (floating garbage makes the
    // post-GC heap saw up and down), or a short log extrapolates noise.
    let mut residuals: Vec<f64> = window.iter().map(|p| p.1 - slope * p.0).collect();
    residuals.sort_by(f64::total_cmp);
    let quartile = |q: f64| residuals[((residuals.len() - 1) as f64 * q).round() as usize];
    let scatter = quartile(0.75) - quartile(0.25);
    let big = growth >= MIN_GROWTH_MB && growth / base >= min_share && growth >= NOISE_FACTOR * scatter;
    let significant = p_value < MAX_P_VALUE;
    let (state, explanation) = if significant && slope > 0.0 && big {
        (
            "growing",
            format!(
                "the heap that survives {gcs} grows by {slope_per_min:.2} MB/min ({growth:.1} MB over {:.0} s, {} {gcs} after warm-up, confidence {:.0}%): a leak or an unbounded cache",
                span / 1e3,
                after_warm_up.len(),
                confidence * 100.0
            ),
        )
    } else if !big || after_warm_up.len() >= ENOUGH_FOR_STEADY {
        let trend = if significant && slope > 0.0 { "rises slightly" } else { "holds steady" };
        (
            "steady",
            format!(
                "the heap that survives {gcs} {trend} ({slope_per_min:+.2} MB/min, {growth:+.1} MB over {} {gcs} after warm-up)",
                after_warm_up.len()
            ),
        )
    } else {
        (
            "uncertain",
            format!(
                "the post-GC heap moved {growth:+.1} MB over {} {gcs}, but without a significant trend (confidence {:.0}%): run longer",
                after_warm_up.len(),
                confidence * 100.0
            ),
        )
    };
    Verdict {
        state,
        slope_mb_per_min: Some(slope_per_min),
        confidence: Some(confidence),
        growth_mb: Some(growth),
        majors_used: after_warm_up.len(),
        explanation,
    }
}

/// `growing`, with low confidence, when every collection of `window` (at least two) ends
/// higher than the one before and the rise is big enough, though too few collections make a
/// significant trend: the slope is Theil–Sen's (two points' own with two). The chance that a
/// heap with no trend rises at every one of n collections is 1/n!: that is the confidence.
fn rising(window: &[(f64, f64)], gcs: &str, min_share: f64) -> Option<Verdict> {
    let (first, last) = (window.first()?, window.last()?);
    if window.len() < 2 || !window.windows(2).all(|w| w[1].1 > w[0].1) || last.0 <= first.0 {
        return None;
    }
    let growth = last.1 - first.1;
    if growth < MIN_GROWTH_MB || growth / first.1.max(f64::MIN_POSITIVE) < min_share {
        return None;
    }
    let slope = trend(window).map_or((last.1 - first.1) / (last.0 - first.0), |t| t.slope);
    let slope_per_min = slope * 60_000.0;
    let chance: f64 = (1..=window.len()).map(|k| k as f64).product::<f64>().recip();
    Some(Verdict {
        state: "growing",
        slope_mb_per_min: Some(slope_per_min),
        confidence: Some(1.0 - chance),
        growth_mb: Some(growth),
        majors_used: window.len(),
        explanation: format!(
            "the heap that survives {gcs} rose at every one of the {} {gcs} after warm-up ({:.1} -> {:.1} MB over \
             {:.0} s, {slope_per_min:.2} MB/min): growing, with low confidence, as too few {gcs} make a \
             significant trend (run longer)",
            window.len(),
            first.1,
            last.1,
            (last.0 - first.0) / 1e3
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heap_that_rises_at_every_major_gc_is_growing_with_low_confidence() {
        // Five majors, 15.9 -> 59.1 MB in 15 s.
        let majors = [(0.0, 15.9), (3_750.0, 26.0), (7_500.0, 37.2), (11_250.0, 48.0), (15_000.0, 59.1)];
        let v = survivor_verdict(&majors, "major GCs", LOG_MIN_GROWTH_SHARE);
        assert_eq!(v.state, "growing", "{v:?}");
        assert!(v.explanation.contains("low confidence"), "{v:?}");
        assert!((v.slope_mb_per_min.unwrap() - 172.8).abs() < 5.0, "{v:?}");
        // Two majors after warm-up are enough when both rise.
        let few = [(0.0, 15.9), (1_000.0, 17.0), (2_000.0, 18.0), (12_000.0, 40.0), (15_000.0, 59.1)];
        assert_eq!(survivor_verdict(&few, "major GCs", LOG_MIN_GROWTH_SHARE).state, "growing");
        // One fall and it is not.
        let dip = [(0.0, 15.9), (3_750.0, 26.0), (7_500.0, 37.2), (11_250.0, 30.0), (15_000.0, 59.1)];
        assert_ne!(survivor_verdict(&dip, "major GCs", LOG_MIN_GROWTH_SHARE).explanation, v.explanation);
        // A rise too small to matter stays unknown.
        let tiny = [(0.0, 15.9), (5_000.0, 15.95), (10_000.0, 16.0), (15_000.0, 16.05)];
        assert_ne!(survivor_verdict(&tiny, "major GCs", LOG_MIN_GROWTH_SHARE).state, "growing");
    }

    #[test]
    fn thinned_series_stay_bounded_and_span_everything() {
        let mut t = Thinned::default();
        for i in 0..100_000u32 {
            t.push(i);
        }
        assert!(t.points.len() <= SERIES_LIMIT);
        assert_eq!(t.points[0], 0);
        assert!(*t.points.last().unwrap() > 90_000);
    }

    #[test]
    fn histogram_percentiles_are_within_two_percent() {
        let mut h = Histogram::default();
        for i in 1..=1000 {
            h.add(i as f64 / 10.0);
        }
        assert!((h.percentile(0.5) / 50.0 - 1.0).abs() < 0.02, "{}", h.percentile(0.5));
        assert!((h.percentile(0.95) / 95.0 - 1.0).abs() < 0.02);
        assert_eq!(h.max, 100.0);
    }

    #[test]
    fn the_out_of_memory_block_is_not_counted_twice() {
        let mut a = Analyzer::new();
        let gc = "[7:0x1]  100 ms: Mark-Compact 20.0 (30.0) -> 19.9 (30.0) MB, 9.00 / 0.00 ms  (average mu = 0.2, current mu = 0.1) allocation failure;";
        let mut out = Vec::new();
        for line in [
            gc,
            "",
            "<--- Last few GCs --->",
            "",
            gc,
            "",
            "<--- JS stacktrace --->",
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        ] {
            a.feed(line, &mut |t| out.push(t.to_owned()));
        }
        let r = a.finish();
        assert_eq!(r.isolates[0].major, 1);
        assert_eq!(r.repeated_in_oom_block, 1);
        assert!(r.out_of_memory && r.isolates[0].pressure.out_of_memory);
        assert_eq!(r.isolates[0].ineffective_major, 1);
        assert!(out.iter().any(|l| l.contains("FATAL ERROR")));
    }
}
