//! `heaplens profile`: the sampling heap profiler on a running process, as a table of the
//! functions whose allocations stay alive and a flame graph.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};
use heaplens_live::profile::{self, ProfileOptions};
use serde_json::json;

use super::print_json;
use crate::args::ProfileArgs;
use crate::live::{self, CaptureProgress};
use crate::table::{self, Align, Table};

pub fn run(args: &ProfileArgs, out: &mut dyn Write) -> Result<()> {
    let mut connection = live::connect(&args.target)?;
    let pid = connection.pid;
    let options = ProfileOptions {
        duration: Duration::from_secs_f64(args.duration),
        sampling_interval: args.sampling_interval.max(1),
        collect_garbage: !args.no_gc,
    };
    let progress = CaptureProgress::new(&format!("pid {pid}"));
    progress.message(&format!("sampling allocations for {} s (Ctrl-C ends early)", args.duration));
    let head = profile::record(&mut connection.session, options)?;
    drop(progress);
    drop(connection);
    let rows = profile::by_function(&head);
    let flame_graph = args.flame_graph.clone().unwrap_or_else(|| PathBuf::from(format!("profile.{pid}.svg")));
    let svg = profile::flame_graph_svg(&head, &format!("Live allocations of pid {pid}"))?;
    std::fs::write(&flame_graph, svg)
        .map_err(|e| anyhow!("{}: cannot write the flame graph: {e}", flame_graph.display()))?;
    if args.output.json {
        let top: Vec<_> = rows.iter().take(args.top).collect();
        return print_json(out, &json!({ "pid": pid, "functions": top, "flame_graph": flame_graph }));
    }
    let total: u64 = rows.iter().map(|r| r.self_bytes).sum();
    writeln!(out, "pid {pid}: {} sampled and still alive after {} s", table::bytes(total), args.duration)?;
    let mut t = Table::new(&[
        ("Self", Align::Right),
        ("Total", Align::Right),
        ("Function", Align::Left),
        ("Location", Align::Left),
    ]);
    for row in rows.iter().take(args.top) {
        t.row(vec![
            table::bytes(row.self_bytes),
            table::bytes(row.total_bytes),
            table::clip(&row.function, 50),
            row.location.clone(),
        ]);
    }
    t.print(out)?;
    writeln!(out, "flame graph: {}", flame_graph.display())?;
    Ok(())
}
