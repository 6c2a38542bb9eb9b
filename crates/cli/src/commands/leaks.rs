//! `heaplens leaks`: the leak finder over a series of snapshots of one process. Reads the node
//! ids of the earlier snapshots on one thread while the last one is read and analysed.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use heaplens_leaks::LeakReport;
use heaplens_views::leaks::{load_series, prepare_for_the_search, snapshot_files, LeakText};

use super::print_json;
use crate::args::{LeakFinderArgs, LeaksArgs};
use crate::{load, Outcome};

pub fn run(args: &LeaksArgs, out: &mut dyn Write) -> Result<Outcome> {
    let files = snapshot_files(&args.files)?;
    report(&files, &args.finder, args.output.json, out)
}

/// Finds the leaks in `files` (at least 3, in time order) and prints the report (and writes
/// it as HTML when asked).
pub fn report(files: &[PathBuf], finder: &LeakFinderArgs, json: bool, out: &mut dyn Write) -> Result<Outcome> {
    let report = find(files, finder.leak.options())?;
    if let Some(path) = &finder.report {
        write_html(&report, files, path)?;
    }
    if json {
        print_json(out, &report)?;
    } else {
        write!(out, "{}", LeakText(&report))?;
    }
    Ok(if finder.fail_on_leak && report.verdict != "no leak" { Outcome::Finding } else { Outcome::Done })
}

/// Writes `report` on `files` as a self-contained HTML page at `path`.
pub fn write_html(report: &LeakReport, files: &[PathBuf], path: &std::path::Path) -> Result<()> {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    std::fs::write(path, heaplens_web::report::render_html(report, &names))
        .map_err(|e| anyhow!("{}: cannot write the report: {e}", path.display()))
}

/// The leak finder's report on `files` (at least 3, in time order).
pub fn find(files: &[PathBuf], options: heaplens_leaks::Options) -> Result<LeakReport> {
    let analyze = |path: &Path| load::analyze(path).inspect(prepare_for_the_search);
    let (earlier, graph) = load_series(files, load::read_node_ids, analyze)?;
    Ok(heaplens_views::leaks::find(files, &earlier, &graph, &options)?)
}
