//! `heaplens snapshot`: heap snapshots (one, or a series in one session) or an allocation
//! timeline of a running process.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use heaplens_live::capture::{self, Captured, SnapshotOptions};
use heaplens_live::hunt::create_private_dir;
use heaplens_live::target::Connection;

use crate::args::SnapshotArgs;
use crate::live::{self, CaptureProgress};
use crate::table;

pub fn run(args: &SnapshotArgs, out: &mut dyn Write) -> Result<()> {
    let mut connection = live::connect(&args.target)?;
    let options = SnapshotOptions { collect_garbage: !args.no_gc, expose_internals: args.expose_internals };
    if args.track_allocations {
        let path = output_path(args, &connection, "heaptimeline")?;
        let mut progress = CaptureProgress::new(&format!("pid {}", connection.pid));
        progress.message(&format!("recording allocations for {} s", args.duration));
        let duration = Duration::from_secs_f64(args.duration);
        let captured = capture::allocation_timeline(&mut connection.session, &path, duration, options, &mut |p| {
            progress.update(p)
        })?;
        drop(progress);
        return report(&captured, &connection, out);
    }
    for taken in 0..args.count {
        if taken > 0 {
            heaplens_live::sleep(Duration::from_secs_f64(args.every))?;
        }
        let path = output_path(args, &connection, "heapsnapshot")?;
        let mut progress = CaptureProgress::new(&format!("pid {}", connection.pid));
        let captured = capture::snapshot(&mut connection.session, &path, options, &mut |p| progress.update(p))?;
        drop(progress);
        report(&captured, &connection, out)?;
    }
    Ok(())
}

/// The file to write: `-o FILE`, or a Node-style name in `-o DIR` (with `--count`) or here.
fn output_path(args: &SnapshotArgs, connection: &Connection, extension: &str) -> Result<PathBuf> {
    let folder = match &args.output {
        Some(path) if args.count == 1 => return Ok(path.clone()),
        Some(folder) => {
            create_private_dir(folder)?;
            folder.clone()
        }
        None => std::env::current_dir()?,
    };
    Ok(capture::node_style_name(&folder, connection.pid, extension))
}

fn report(captured: &Captured, connection: &Connection, out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "{} ({}, {} nodes) of pid {} (Node {})",
        captured.path.display(),
        table::bytes(captured.bytes),
        captured.node_count,
        connection.pid,
        connection.node_version
    )?;
    out.flush()?;
    Ok(())
}
