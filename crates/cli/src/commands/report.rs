//! `heaplens report`: the leak finder's report on snapshots as one self-contained HTML file.

use std::io::Write;

use anyhow::Result;

use super::leaks;
use crate::args::ReportArgs;

pub fn run(args: &ReportArgs, out: &mut dyn Write) -> Result<()> {
    let files = heaplens_views::leaks::snapshot_files(&args.files)?;
    let report = leaks::find(&files, args.leak.options())?;
    leaks::write_html(&report, &files, &args.output)?;
    let leaks = report.groups.iter().filter(|g| g.leak).count();
    writeln!(out, "{}: {} ({leaks} leak group(s)) — {}", args.output.display(), report.verdict, report.reason)?;
    Ok(())
}
