//! The leak finder over a series of snapshots of one process: which files make the series,
//! reading them, the report, and the report as `heaplens leaks` prints it.

use std::fmt;
use std::path::{Path, PathBuf};

use heaplens_graph::HeapGraph;
use heaplens_leaks::{find_leaks, series, IntervalAccount, LeakGroup, LeakReport, Options};
use heaplens_snapshot::NodeIds;

use crate::table::{self, Align, Table};
use crate::Error;

/// The snapshot files to read, in time order: `files` as given, or the snapshots of the one
/// folder given ordered by Node's names (else by time). At least 3.
pub fn snapshot_files(files: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    if let Some(missing) = files.iter().find(|f| f.as_os_str() != "-" && !f.exists()) {
        return Err(Error::Missing(missing.clone()));
    }
    let files = match files {
        [folder] if folder.is_dir() => {
            let files =
                series::order_folder(folder).map_err(|reason| Error::Folder { folder: folder.clone(), reason })?;
            if files.len() < 3 {
                return Err(Error::FolderTooSmall { folder: folder.clone(), count: files.len() });
            }
            files
        }
        files => {
            if let Some(folder) = files.iter().find(|f| f.is_dir()) {
                return Err(Error::FolderAmongFiles { folder: folder.clone() });
            }
            files.to_vec()
        }
    };
    if files.len() < 3 {
        return Err(Error::TooFewSnapshots(files.len()));
    }
    Ok(files)
}

/// Reads a series as the leak finder needs it: the node ids of every snapshot but the last
/// (`read_ids`, one after another on threads of their own) while the last one is read and
/// analysed (`analyze`, which should end with [`prepare_for_the_search`]). The id reads have a
/// thread pool of their own: in the analysis's pool they would run only when its steps leave a
/// thread idle, and finish after it. Their threads yield to the analysis's instead
/// (`yield_to_the_analysis`).
pub fn load_series<I: Send, G, E: Send>(
    files: &[PathBuf],
    read_ids: impl Fn(&Path) -> Result<I, E> + Sync,
    analyze: impl FnOnce(&Path) -> Result<G, E>,
) -> Result<(Vec<I>, G), E> {
    let (last, earlier) = files.split_last().expect("a series has snapshots");
    let (ids, graph) = std::thread::scope(|scope| {
        let ids = scope.spawn(|| {
            let read_all = || earlier.iter().map(|p| read_ids(p)).collect::<Result<Vec<_>, E>>();
            let read_all = || heaplens_graph::timed("earlier snapshots' ids", read_all);
            match rayon::ThreadPoolBuilder::new().start_handler(|_| yield_to_the_analysis()).build() {
                Ok(own) => own.install(read_all),
                Err(_) => read_all(),
            }
        });
        let graph = analyze(last);
        (ids.join().expect("the id reader does not panic"), graph)
    });
    Ok((ids?, graph?))
}

/// Builds what the leak search asks of the last snapshot alone, its retainers index, for
/// [`load_series`]'s `analyze` to call as the analysis ends: it then uses the time the earlier
/// snapshots' ids are still being read, and the search after the reads is shorter (145 ms
/// instead of 233 on three 700 MB snapshots).
pub fn prepare_for_the_search(last: &HeapGraph) {
    last.retainers();
}

/// Lowers the calling thread's priority to nice 10, where it gets a tenth of a core while the
/// analysis's threads want both: the id reads then take what the analysis's steps leave idle
/// (their joins, its serial steps) rather than an equal share throughout, and the analysis
/// ends sooner. On a series of three 700 MB snapshots, `leaks` took 0.96x the time (paired
/// runs) with every pair faster. Linux only, where a thread has a priority of its own.
#[cfg(target_os = "linux")]
fn yield_to_the_analysis() {
    // SAFETY: setpriority only sets the calling thread's nice value (a lower priority needs no
    // privilege); should it fail, nothing changes.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(not(target_os = "linux"))]
fn yield_to_the_analysis() {}

/// The leak finder's report on `files` (at least 3, in time order), given the node ids of all
/// but the last and the last analysed; an error when they do not make one process's series.
pub fn find(files: &[PathBuf], earlier: &[NodeIds], last: &HeapGraph, options: &Options) -> Result<LeakReport, Error> {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    series::check_series(&names, earlier, last).map_err(Error::NotASeries)?;
    Ok(heaplens_graph::timed("leaks", || find_leaks(earlier, last, options)))
}

/// The report as `heaplens leaks` prints it: the verdict, each group (class, container, path,
/// pattern, source lines, fix, growth by class) and where each interval's growth went.
/// (`leaks --json` is the report's own `Serialize`.)
pub struct LeakText<'a>(pub &'a LeakReport);

impl fmt::Display for LeakText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.0;
        writeln!(f, "{} ({:?} confidence): {}", report.verdict.to_uppercase(), report.confidence, report.reason)?;
        let sizes: Vec<String> = report.snapshots.iter().map(|s| table::bytes(s.total_size)).collect();
        writeln!(
            f,
            "{} snapshots, heap {}; a leak keeps at least {} per interval alive",
            report.snapshots.len(),
            sizes.join(" → "),
            table::bytes(report.min_growth)
        )?;
        for (i, group) in report.groups.iter().enumerate() {
            writeln!(f)?;
            write_group(i + 1, group, f)?;
        }
        writeln!(f)?;
        write_accounting(report, f)
    }
}

/// A row of the accounting table: its label and how an interval's cell reads.
type AccountRow<'a> = (&'a str, &'a dyn Fn(&IntervalAccount) -> String);

/// The table of where each interval's growth went, and the largest holders of what no group
/// explains when that is more than the threshold.
fn write_accounting(report: &LeakReport, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "Where the growth went (bytes of the objects each interval added, still alive at the end):")?;
    let headers: Vec<String> = (1..=report.accounting.len()).map(|i| format!("interval {i}")).collect();
    let mut columns: Vec<(&str, Align)> = vec![("", Align::Left)];
    columns.extend(headers.iter().map(|h| (h.as_str(), Align::Right)));
    let mut t = Table::new(&columns);
    let signed = |d: i64| format!("{}{}", if d < 0 { "-" } else { "+" }, table::bytes(d.unsigned_abs()));
    let rows: [AccountRow; 6] = [
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
    write!(f, "{t}")?;
    let unattributed: u64 = report.accounting.iter().map(|a| a.not_attributed.bytes).sum();
    if unattributed > report.min_growth && !report.unattributed.is_empty() {
        writeln!(f, "   largest holders of what is not attributed:")?;
        for holder in &report.unattributed {
            let added: Vec<String> = holder.added.iter().map(|a| format!("+{}", table::bytes(a.bytes))).collect();
            let id = if holder.id == 0 { String::new() } else { format!(" @{}", holder.id) };
            writeln!(f, "     {}{id}: {}", table::clip(&holder.name, 80), added.join(", "))?;
        }
    }
    Ok(())
}

fn write_group(rank: usize, group: &LeakGroup, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let status = if group.leak { "leak" } else { "not a leak" };
    writeln!(
        f,
        "{rank}. {} in {} [{status}, {:?} confidence]",
        group.primary_name, group.container.name, group.confidence
    )?;
    writeln!(f, "   pattern    {}", group.pattern.title)?;
    writeln!(
        f,
        "   growth     {} per interval still alive; retains {}",
        table::bytes(group.growth_per_interval),
        table::bytes(group.retained_size)
    )?;
    writeln!(f, "   why        {}", group.reason)?;
    writeln!(f, "   container  {} ({}, @{})", group.container.name, group.container.kind, group.container.id)?;
    if !group.code.is_empty() {
        writeln!(f, "   code       {}", group.code)?;
    }
    if !group.container.path.is_empty() {
        writeln!(f, "   held by    {}", group.container.path.join(" → "))?;
    }
    if let Some(captured) = &group.captured {
        writeln!(
            f,
            "   holds      context variable `{}` of {}, {} each ({:.0}% of the group's bytes)",
            captured.variable,
            captured.function,
            table::bytes(captured.bytes_each),
            captured.share * 100.0
        )?;
    }
    if let Some(package) = &group.container.package {
        let version = package.version.as_deref().map_or_else(String::new, |v| format!(" {v}"));
        writeln!(f, "   library    {}{version}: {}", package.name, package.object)?;
    }
    writeln!(f, "   example    {} ({})", group.example.path.last().map_or("", String::as_str), group.primary_class)?;
    for source in &group.sources {
        writeln!(f, "   {:<10} {} {}", source_role(source.role), source.name, source.location)?;
        if let Some(line) = &source.line {
            writeln!(f, "              | {}", table::clip(line, 100))?;
        }
    }
    writeln!(f, "   fix        {}", group.pattern.fix)?;
    let headers: Vec<String> = (1..=group.added.len()).map(|i| format!("interval {i}")).collect();
    let mut columns: Vec<(&str, Align)> = vec![("   Class", Align::Left)];
    columns.extend(headers.iter().map(|h| (h.as_str(), Align::Right)));
    let mut t = Table::new(&columns);
    for class in &group.classes {
        let mut row = vec![format!("   {}", table::clip(&class.name, 48))];
        row.extend(class.added.iter().map(|a| format!("+{} ({})", a.count, table::bytes(a.bytes))));
        t.row(row);
    }
    write!(f, "{t}")
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
