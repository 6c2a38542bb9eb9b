//! Memory over time: samples `process.memoryUsage()` through the inspector, forces a full
//! GC every so often to read the heap that survives it, and judges whether that keeps growing
//! with the same robust trend `heaplens gc` applies to `--trace-gc` logs.

use std::time::{Duration, Instant};

use anyhow::Result;
use heaplens_gctrace::chart::{self, Line, Panel};
use heaplens_gctrace::{survivor_verdict, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::capture::collect_garbage;
use crate::inspector::{evaluate, Session};

/// One reading of the process's memory.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the watch started.
    pub time_s: f64,
    /// V8 heap in use, bytes.
    pub heap_used: u64,
    /// V8 heap reserved, bytes.
    pub heap_total: u64,
    /// Resident set size of the process, bytes.
    pub rss: u64,
    /// Memory of C++ objects bound to JavaScript objects, bytes.
    pub external: u64,
    /// ArrayBuffer and SharedArrayBuffer backing stores (part of `external`), bytes.
    pub array_buffers: u64,
    /// Taken right after a forced full GC: `heap_used` is what survives.
    pub after_gc: bool,
}

/// How to watch.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// Time between samples.
    pub interval: Duration,
    /// Time between forced GCs (`None`: never; the verdict then needs the caller's GCs).
    pub gc_every: Option<Duration>,
    /// Stop after this long (`None`: until Ctrl-C).
    pub duration: Option<Duration>,
}

/// Reads the memory figures once.
pub fn sample(session: &mut Session, time_s: f64, after_gc: bool) -> Result<Sample> {
    let usage = evaluate(session, "process.memoryUsage()")?;
    let field = |key: &str| usage.get(key).and_then(Value::as_f64).unwrap_or(0.0) as u64;
    Ok(Sample {
        time_s,
        heap_used: field("heapUsed"),
        heap_total: field("heapTotal"),
        rss: field("rss"),
        external: field("external"),
        array_buffers: field("arrayBuffers"),
        after_gc,
    })
}

/// What a watch recorded.
#[derive(Debug, Clone)]
pub struct Watched {
    /// Every sample, in time order.
    pub samples: Vec<Sample>,
    /// Why the watch ended before its time, when the process went away (it crashed, ran out
    /// of memory, or exited): the samples up to then still count.
    pub lost: Option<String>,
}

/// Watches until the duration ends, Ctrl-C, or the process goes away, handing each sample to
/// `on_sample` with the samples so far.
pub fn watch(
    session: &mut Session,
    options: WatchOptions,
    on_sample: &mut dyn FnMut(&Sample, &[Sample]) -> Result<()>,
) -> Result<Watched> {
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut next_gc = options.gc_every.map(|_| Duration::ZERO);
    loop {
        let elapsed = start.elapsed();
        let gc_now = next_gc.is_some_and(|at| elapsed >= at);
        let taken = (|| {
            if gc_now {
                collect_garbage(session)?;
            }
            sample(session, start.elapsed().as_secs_f64(), gc_now)
        })();
        let reading = match taken {
            Ok(reading) => reading,
            Err(e) if e.is::<crate::Interrupted>() => break,
            Err(e) if samples.is_empty() => return Err(e),
            Err(e) => return Ok(Watched { samples, lost: Some(e.to_string()) }),
        };
        if gc_now {
            // From the later of the plan and now: a GC slower than --gc-every must not make
            // the rest of the watch a run of back-to-back GCs.
            next_gc = next_gc.zip(options.gc_every).map(|(at, every)| (at + every).max(start.elapsed() + every));
        }
        samples.push(reading);
        on_sample(&reading, &samples)?;
        let next = start.elapsed() + options.interval;
        let next = next_gc.map_or(next, |at| next.min(at));
        if options.duration.is_some_and(|d| next > d) {
            break;
        }
        if crate::sleep(next.saturating_sub(start.elapsed())).is_err() {
            break;
        }
    }
    Ok(Watched { samples, lost: None })
}

/// The verdict on the heap that survives the forced GCs among `samples`.
pub fn verdict(samples: &[Sample]) -> Verdict {
    let points: Vec<(f64, f64)> =
        samples.iter().filter(|s| s.after_gc).map(|s| (s.time_s * 1e3, s.heap_used as f64 / MB)).collect();
    survivor_verdict(&points, "forced GCs", MIN_GROWTH_SHARE)
}

/// The least growth, relative to the heap where the window starts, that counts: the heap read
/// right after a forced full GC holds no floating garbage, so a smaller share than a GC log's
/// is still a trend and not noise (1 MB, significance and the scatter still apply).
const MIN_GROWTH_SHARE: f64 = 0.05;

const MB: f64 = 1024.0 * 1024.0;

/// The chart of a watch: heap used, heap after each forced GC, RSS and external memory.
pub fn chart_svg(title: &str, samples: &[Sample], verdict: &Verdict) -> String {
    let series = |value: fn(&Sample) -> u64, after_gc_only: bool| {
        samples
            .iter()
            .filter(|s| s.after_gc || !after_gc_only)
            .map(|s| (s.time_s, value(s) as f64 / MB))
            .collect::<Vec<_>>()
    };
    let after_gc = series(|s| s.heap_used, true);
    let panel = Panel {
        title: format!("{title}: {} — {}", verdict.state, verdict.explanation),
        lines: vec![
            Line { label: "RSS".into(), color: "#2ca02c", width: 1.0, points: series(|s| s.rss, false) },
            Line { label: "heap total".into(), color: "#d0d0d0", width: 1.0, points: series(|s| s.heap_total, false) },
            Line { label: "heap used".into(), color: "#909090", width: 1.0, points: series(|s| s.heap_used, false) },
            Line { label: "external".into(), color: "#ff7f0e", width: 1.0, points: series(|s| s.external, false) },
            Line { label: "heap after GC".into(), color: "#2a6fdb", width: 2.0, points: after_gc.clone() },
        ],
        marks: after_gc.iter().map(|&(t, mb)| (t, mb, format!("forced GC at {t:.1} s: {mb:.1} MB survive"))).collect(),
        mark_label: "forced GC".into(),
    };
    chart::render(&[panel], "no samples")
}
