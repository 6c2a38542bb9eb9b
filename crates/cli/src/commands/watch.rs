//! `heaplens watch`: memory figures of a running process over time, a forced GC every so
//! often, and the verdict on whether the heap that survives GC keeps growing.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};
use heaplens_live::watch::{self, Sample, WatchOptions};
use serde_json::json;

use super::print_json;
use crate::args::WatchArgs;
use crate::live;
use crate::table;

pub fn run(args: &WatchArgs, out: &mut dyn Write) -> Result<()> {
    let mut connection = live::connect(&args.target)?;
    let pid = connection.pid;
    let options = WatchOptions {
        interval: Duration::from_secs_f64(args.interval),
        gc_every: (args.gc_every > 0.0).then(|| Duration::from_secs_f64(args.gc_every)),
        duration: args.duration.map(Duration::from_secs_f64),
    };
    if !args.output.json {
        writeln!(
            out,
            "watching pid {} (Node {}): a sample every {} s, a full GC every {} s{}",
            connection.pid,
            connection.node_version,
            args.interval,
            args.gc_every,
            args.duration.map_or(", until Ctrl-C".to_owned(), |d| format!(" for {d} s"))
        )?;
        writeln!(out, "{:>8}  {:>10}  {:>10}  {:>10}  {:>10}", "time", "heap used", "heap total", "rss", "external")?;
    }
    let watched = watch::watch(&mut connection.session, options, &mut |sample, all| {
        if args.output.json {
            return print_json(out, &json!({ "sample": sample }));
        }
        write_sample(out, sample, all)
    })?;
    drop(connection);
    if let Some(why) = &watched.lost {
        eprintln!("heaplens: the watch ended early: {why}");
    }
    let samples = watched.samples;
    let verdict = watch::verdict(&samples);
    let chart = args.chart.clone().unwrap_or_else(|| PathBuf::from(format!("watch.{pid}.svg")));
    std::fs::write(&chart, watch::chart_svg(&format!("pid {pid}"), &samples, &verdict))
        .map_err(|e| anyhow!("{}: cannot write the chart: {e}", chart.display()))?;
    if args.output.json {
        print_json(
            out,
            &json!({ "verdict": verdict, "samples": samples.len(), "chart": chart, "lost": watched.lost }),
        )?;
    } else {
        writeln!(out, "{}: {}", verdict.state.to_uppercase(), verdict.explanation)?;
        writeln!(out, "chart: {}", chart.display())?;
    }
    Ok(())
}

/// One line per sample; after a forced GC, the heap that survives and the trend so far.
fn write_sample(out: &mut dyn Write, sample: &Sample, all: &[Sample]) -> Result<()> {
    write!(
        out,
        "{:>7.1}s  {:>10}  {:>10}  {:>10}  {:>10}",
        sample.time_s,
        table::bytes(sample.heap_used),
        table::bytes(sample.heap_total),
        table::bytes(sample.rss),
        table::bytes(sample.external)
    )?;
    if sample.after_gc {
        let verdict = watch::verdict(all);
        let trend = verdict.slope_mb_per_min.map_or(String::new(), |s| format!(", {s:+.2} MB/min"));
        write!(out, "  after GC: {}{trend}", verdict.state)?;
    }
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
