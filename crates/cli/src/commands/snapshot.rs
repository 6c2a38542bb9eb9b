//! `heaplens snapshot`: heap snapshots (one, or a series in one session) or an allocation
//! timeline of a running process.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use heaplens_live::capture::{self, Captured, SnapshotOptions};
use heaplens_live::target::Connection;
use heaplens_views::capture::{captured_line, output_path, take, SnapshotRequest};

use crate::args::SnapshotArgs;
use crate::live::{self, CaptureProgress};

pub fn run(args: &SnapshotArgs, out: &mut dyn Write) -> Result<()> {
    let mut connection = live::connect(&args.target)?;
    let options = SnapshotOptions { collect_garbage: !args.no_gc, expose_internals: args.expose_internals };
    if args.track_allocations {
        let path = output_path(args.output.as_deref(), false, connection.pid, "heaptimeline")?;
        let mut progress = CaptureProgress::new(&format!("pid {}", connection.pid));
        progress.message(&format!("recording allocations for {} s", args.duration));
        let duration = Duration::from_secs_f64(args.duration);
        let captured = capture::allocation_timeline(&mut connection.session, &path, duration, options, &mut |p| {
            progress.update(p)
        })?;
        drop(progress);
        return report(&captured, &connection, out);
    }
    let request = SnapshotRequest {
        output: args.output.clone(),
        count: args.count,
        every: Duration::from_secs_f64(args.every),
        options,
    };
    for index in 0..args.count {
        if index > 0 {
            heaplens_live::sleep(request.every)?;
        }
        let mut progress = CaptureProgress::new(&format!("pid {}", connection.pid));
        let captured = take(&mut connection, &request, &mut |p| progress.update(p))?;
        drop(progress);
        report(&captured, &connection, out)?;
    }
    Ok(())
}

fn report(captured: &Captured, connection: &Connection, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "{}", captured_line(captured, connection))?;
    out.flush()?;
    Ok(())
}
