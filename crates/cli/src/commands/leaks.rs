//! `heaplens leaks`: the leak finder over a series of snapshots of one process. Reads the node
//! ids of the earlier snapshots on one thread while the last one is read and analysed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use heaplens_leaks::{find_leaks, series, LeakGroup, LeakReport};

use super::print_json;
use crate::args::{LeakFinderArgs, LeaksArgs};
use crate::table::{self, Align, Table};
use crate::{load, Outcome};

/// The snapshot files to read, in time order.
pub fn snapshot_files(files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let files = match files {
        [folder] if folder.is_dir() => {
            let files = series::order_folder(folder).map_err(|e| anyhow!("{}: {e}", folder.display()))?;
            if files.len() < 3 {
                bail!(
                    "{}: holds {} snapshot file(s); a leak search needs at least 3 of one process",
                    folder.display(),
                    files.len()
                );
            }
            files
        }
        files => {
            if let Some(folder) = files.iter().find(|f| f.is_dir()) {
                bail!("{}: is a folder; give either one folder or snapshot files", folder.display());
            }
            files.to_vec()
        }
    };
    if files.len() < 3 {
        bail!("a leak search needs at least 3 snapshots of one process (baseline, target, final); got {}", files.len());
    }
    Ok(files)
}

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
        print_report(&report, files, out)?;
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
    let (last_path, earlier_paths) = files.split_last().expect("at least 3 files");
    let (earlier, graph) = std::thread::scope(|scope| {
        let ids = scope.spawn(|| earlier_paths.iter().map(|p| load::read_node_ids(p)).collect::<Result<Vec<_>>>());
        let graph = load::analyze(last_path);
        (ids.join().expect("the id reader does not panic"), graph)
    });
    let (earlier, graph) = (earlier?, graph?);
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    series::check_series(&names, &earlier, &graph).map_err(|e| anyhow!(e))?;
    Ok(heaplens_graph::timed("leaks", || find_leaks(&earlier, &graph, &options)))
}

fn print_report(report: &LeakReport, files: &[PathBuf], out: &mut dyn Write) -> Result<()> {
    writeln!(out, "{} ({:?} confidence): {}", report.verdict.to_uppercase(), report.confidence, report.reason)?;
    let sizes: Vec<String> = report.snapshots.iter().map(|s| table::bytes(s.total_size)).collect();
    writeln!(
        out,
        "{} snapshots, heap {}; a leak keeps at least {} per interval alive",
        files.len(),
        sizes.join(" → "),
        table::bytes(report.min_growth)
    )?;
    for (i, group) in report.groups.iter().enumerate() {
        writeln!(out)?;
        print_group(i + 1, group, out)?;
    }
    writeln!(out)?;
    print_accounting(report, out)
}

/// The table of where each interval's growth went, and the largest holders of what no group
/// explains when that is more than the threshold.
fn print_accounting(report: &LeakReport, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "Where the growth went (bytes of the objects each interval added, still alive at the end):")?;
    let headers: Vec<String> = (1..=report.accounting.len()).map(|i| format!("interval {i}")).collect();
    let mut columns: Vec<(&str, Align)> = vec![("", Align::Left)];
    columns.extend(headers.iter().map(|h| (h.as_str(), Align::Right)));
    let mut t = Table::new(&columns);
    let signed = |d: i64| format!("{}{}", if d < 0 { "-" } else { "+" }, table::bytes(d.unsigned_abs()));
    type Cell<'a> = &'a dyn Fn(&heaplens_leaks::IntervalAccount) -> String;
    let rows: [(&str, Cell); 6] = [
        ("   heap growth", &|a| signed(a.heap_growth)),
        ("   new and still alive", &|a| table::bytes(a.added.bytes)),
        ("     in leaks", &|a| table::bytes(a.leaks.bytes)),
        ("     in groups that are not leaks", &|a| table::bytes(a.not_leaks.bytes)),
        ("     in V8's own structures", &|a| table::bytes(a.engine.bytes)),
        ("     not attributed", &|a| table::bytes(a.not_attributed.bytes)),
    ];
    for (label, cell) in rows {
        let mut row = vec![label.to_owned()];
        row.extend(report.accounting.iter().map(cell));
        t.row(row);
    }
    t.print(out)?;
    let unattributed: u64 = report.accounting.iter().map(|a| a.not_attributed.bytes).sum();
    if unattributed > report.min_growth && !report.unattributed.is_empty() {
        writeln!(out, "   largest holders of what is not attributed:")?;
        for holder in &report.unattributed {
            let added: Vec<String> = holder.added.iter().map(|a| format!("+{}", table::bytes(a.bytes))).collect();
            let id = if holder.id == 0 { String::new() } else { format!(" @{}", holder.id) };
            writeln!(out, "     {}{id}: {}", table::clip(&holder.name, 80), added.join(", "))?;
        }
    }
    Ok(())
}

fn print_group(rank: usize, group: &LeakGroup, out: &mut dyn Write) -> Result<()> {
    let status = if group.leak { "leak" } else { "not a leak" };
    writeln!(
        out,
        "{rank}. {} in {} [{status}, {:?} confidence]",
        group.primary_name, group.container.name, group.confidence
    )?;
    writeln!(out, "   pattern    {}", group.pattern.title)?;
    writeln!(
        out,
        "   growth     {} per interval still alive; retains {}",
        table::bytes(group.growth_per_interval),
        table::bytes(group.retained_size)
    )?;
    writeln!(out, "   why        {}", group.reason)?;
    writeln!(out, "   container  {} ({}, @{})", group.container.name, group.container.kind, group.container.id)?;
    if !group.code.is_empty() {
        writeln!(out, "   code       {}", group.code)?;
    }
    if !group.container.path.is_empty() {
        writeln!(out, "   held by    {}", group.container.path.join(" → "))?;
    }
    if let Some(captured) = &group.captured {
        writeln!(
            out,
            "   holds      context variable `{}` of {}, {} each ({:.0}% of the group's bytes)",
            captured.variable,
            captured.function,
            table::bytes(captured.bytes_each),
            captured.share * 100.0
        )?;
    }
    if let Some(package) = &group.container.package {
        let version = package.version.as_deref().map_or_else(String::new, |v| format!(" {v}"));
        writeln!(out, "   library    {}{version}: {}", package.name, package.object)?;
    }
    writeln!(out, "   example    {} ({})", group.example.path.last().map_or("", String::as_str), group.primary_class)?;
    for source in &group.sources {
        writeln!(out, "   {:<10} {} {}", source_role(source.role), source.name, source.location)?;
        if let Some(line) = &source.line {
            writeln!(out, "              | {}", table::clip(line, 100))?;
        }
    }
    writeln!(out, "   fix        {}", group.pattern.fix)?;
    let headers: Vec<String> = (1..=group.added.len()).map(|i| format!("interval {i}")).collect();
    let mut columns: Vec<(&str, Align)> = vec![("   Class", Align::Left)];
    columns.extend(headers.iter().map(|h| (h.as_str(), Align::Right)));
    let mut t = Table::new(&columns);
    for class in &group.classes {
        let mut row = vec![format!("   {}", table::clip(&class.name, 48))];
        row.extend(class.added.iter().map(|a| format!("+{} ({})", a.count, table::bytes(a.bytes))));
        t.row(row);
    }
    t.print(out)?;
    Ok(())
}

fn source_role(role: &str) -> &str {
    match role {
        "constructor" => "class",
        "callback" => "callback",
        "async function" => "awaiting",
        "scope" => "scope",
        "feeds" => "fed by",
        _ => "allocated",
    }
}
