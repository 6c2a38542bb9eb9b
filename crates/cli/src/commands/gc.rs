//! `heaplens gc`: reads `--trace-gc` logs (files or stdin, live) and reports per isolate.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};

use anyhow::{anyhow, Context, Result};
use heaplens_gctrace::{chart, Analyzer, IsolateReport, Report};

use super::print_json;
use crate::args::GcArgs;
use crate::table::{self, Align, Table};
use crate::Outcome;

/// Feeds every line of `input` to the analyzer; program output goes to `passthrough`.
fn read(input: &mut dyn BufRead, analyzer: &mut Analyzer, mut passthrough: Option<&mut dyn Write>) -> io::Result<()> {
    analyzer.read(input, &mut |other| match passthrough.as_mut() {
        Some(out) => writeln!(out, "{other}").and_then(|()| out.flush()),
        None => Ok(()),
    })
}

pub fn run(args: &GcArgs, out: &mut dyn Write) -> Result<Outcome> {
    let mut analyzer = Analyzer::new();
    let passthrough = !(args.quiet || args.output.json);
    for path in &args.logs {
        let name = path.display();
        if path.as_os_str() == "-" {
            let stdin = io::stdin();
            let through: Option<&mut dyn Write> = if passthrough { Some(&mut *out) } else { None };
            read(&mut stdin.lock(), &mut analyzer, through).with_context(|| format!("{name}: cannot read"))?;
        } else {
            let file = File::open(path).map_err(|e| anyhow!("{name}: cannot read: {e}"))?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(anyhow!("{name}: is a directory, not a log"));
            }
            read(&mut BufReader::with_capacity(1 << 20, file), &mut analyzer, None)
                .map_err(|e| anyhow!("{name}: cannot read: {e}"))?;
        }
    }
    let report = analyzer.finish();
    if let Some(path) = &args.chart {
        std::fs::write(path, chart::svg(&report))
            .map_err(|e| anyhow!("{}: cannot write the chart: {e}", path.display()))?;
    }
    let growing = report.isolates.iter().any(|i| i.verdict.state == "growing");
    if args.output.json {
        print_json(out, &report)?;
    } else {
        print_report(&report, out)?;
    }
    Ok(if growing && args.fail_on_growth { Outcome::Finding } else { Outcome::Done })
}

fn print_report(r: &Report, out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "{} lines, {} collections in {} isolate{}, {} unreadable",
        r.lines,
        r.gc_lines - r.repeated_in_oom_block,
        r.isolates.len(),
        if r.isolates.len() == 1 { "" } else { "s" },
        r.unparsed_lines
    )?;
    for example in &r.unparsed_examples {
        writeln!(out, "  unreadable: {}", table::clip(example, 150))?;
    }
    if r.out_of_memory {
        writeln!(out, "the process ran out of heap (V8's \"JavaScript heap out of memory\")")?;
    }
    if r.isolates.is_empty() {
        writeln!(out, "no collections: was the program run with --trace-gc?")?;
    }
    for isolate in &r.isolates {
        print_isolate(isolate, out)?;
    }
    Ok(())
}

fn ms(v: f64) -> String {
    format!("{v:.2} ms")
}

fn print_isolate(r: &IsolateReport, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "\npid {} isolate {} ({:.2} s to {:.2} s)", r.pid, r.isolate, r.first_s, r.last_s)?;
    let mut t = Table::new(&[
        ("Collector", Align::Left),
        ("Count", Align::Right),
        ("Total", Align::Right),
        ("p50", Align::Right),
        ("p95", Align::Right),
        ("Max", Align::Right),
    ]);
    for c in &r.collectors {
        let name = if c.reduce { format!("{} (reduce)", c.name) } else { c.name.clone() };
        let p = &c.pauses;
        t.row(vec![name, p.count.to_string(), ms(p.total_ms), ms(p.p50_ms), ms(p.p95_ms), ms(p.max_ms)]);
    }
    t.print(out)?;
    writeln!(
        out,
        "GC share of wall time {:.1}%, allocated {:.1} MB ({:.1} MB/s)",
        r.gc_share * 100.0,
        r.allocated_mb,
        r.allocation_mb_per_s
    )?;
    if let (Some(first), Some(last)) = (r.heap_after_major.first(), r.heap_after_major.last()) {
        writeln!(
            out,
            "heap after major GCs: {:.1} MB at {:.1} s -> {:.1} MB at {:.1} s ({} major GCs, {} ineffective)",
            first.1, first.0, last.1, last.0, r.major, r.ineffective_major
        )?;
    }
    let p = &r.pressure;
    let mut signs = Vec::new();
    if p.out_of_memory {
        signs.push("ran out of heap".to_owned());
    }
    if p.trailing_ineffective_major >= 2 {
        signs.push(format!("the last {} major GCs freed almost nothing", p.trailing_ineffective_major));
    }
    if p.reduce_collections > 0 {
        signs.push(format!("{} memory-reducing GCs", p.reduce_collections));
    }
    if p.last_resort_collections > 0 {
        signs.push(format!("{} last-resort GCs", p.last_resort_collections));
    }
    if let Some(mu) = p.min_mutator_utilization.filter(|&mu| mu < 0.5) {
        signs.push(format!("mutator utilisation fell to {:.0}%", mu * 100.0));
    }
    if !signs.is_empty() {
        writeln!(out, "heap-limit pressure: {}", signs.join("; "))?;
    }
    writeln!(out, "verdict: {}: {}", r.verdict.state, r.verdict.explanation)?;
    Ok(())
}
