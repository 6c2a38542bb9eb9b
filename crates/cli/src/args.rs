//! Command-line arguments: one subcommand per view, flags documented where they are declared.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use heaplens_views::input::{parse_bytes, parse_header, parse_node_id, parse_seconds, parse_seconds_or_zero};
use heaplens_views::{capture, hunt, retainers, show};

/// Finds memory leaks in Node.js programs from V8 heap snapshots.
#[derive(Debug, Parser)]
#[command(
    name = "heaplens",
    version,
    about,
    after_help = "EXAMPLES:\n  heaplens leaks baseline.heapsnapshot target.heapsnapshot final.heapsnapshot\n  heaplens leaks snapshots/ --json --fail-on-leak\n  heaplens hunt --url 'http://127.0.0.1:{port}/items?id={i}' -- node server.js\n  heaplens snapshot --pid 4242\n  heaplens watch --pid 4242 --duration 120\n  heaplens mcp\n  heaplens summary app.heapsnapshot --top 20\n  heaplens diff before.heapsnapshot after.heapsnapshot.gz --json\n  heaplens nodes app.heapsnapshot --jsonl > nodes.jsonl\n  heaplens find app.heapsnapshot --class QuoteResponse\n  heaplens path app.heapsnapshot @12345 --all 3\n  heaplens retainers app.heapsnapshot @12345 --ignore @678\n  node --trace-gc app.js | heaplens gc - --chart gc.svg\n\nExit codes: 0 done, 1 a finding a gate asked about, 2 an error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Finds leaks in snapshots of one process taken over time: what grows, who holds it, why.
    Leaks(LeaksArgs),
    /// The Summary view: objects grouped by class, largest retained size first.
    Summary(SummaryArgs),
    /// The Statistics view: code, strings, arrays, typed arrays, system and native memory.
    Stats(StatsArgs),
    /// The Comparison view: per class, objects added and removed since BASE.
    Diff(DiffArgs),
    /// Every node with its class, sizes, distance and dominator, as JSON lines.
    Nodes(NodesArgs),
    /// The Retainers tree of a node: who holds it, closest to the roots first.
    Retainers(RetainersArgs),
    /// The shortest retaining paths from a GC root to a node, in words.
    Path(PathArgs),
    /// The largest retained subtrees, or a node's chain of dominators.
    Dominators(DominatorsArgs),
    /// A node's details: sizes, distance, source location, allocation stack and its edges.
    Show(ShowArgs),
    /// Nodes matching a class, name or id, largest retained first.
    Find(FindArgs),
    /// Duplicated strings: the same text held more than once.
    Strings(StringsArgs),
    /// Reads `node --trace-gc` logs: collections, pauses, and whether the heap that survives
    /// major GCs keeps growing.
    Gc(GcArgs),
    /// Takes a heap snapshot of a running Node process through its inspector.
    Snapshot(SnapshotArgs),
    /// Watches a running Node process's memory and says whether the heap that survives GC grows.
    Watch(WatchArgs),
    /// Records which functions allocate the memory that stays alive (sampling heap profiler).
    Profile(ProfileArgs),
    /// Starts a program, drives it, snapshots it and finds its leaks, in one command.
    Hunt(HuntArgs),
    /// Writes the leak finder's report on snapshots as one self-contained HTML file.
    Report(ReportArgs),
    /// A local web app over snapshots, GC logs and watch recordings: DevTools' Memory panel
    /// views, the leaks, and memory over time.
    Serve(ServeArgs),
    /// Serves heaplens's tools to coding agents over MCP (the Model Context Protocol) on stdin
    /// and stdout: find_leaks, summary, diff, retainers, path, show, take_snapshot, hunt.
    Mcp,
}

/// A snapshot file argument and how to print.
#[derive(Debug, Args)]
pub struct Output {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum SortKey {
    /// Retained size.
    #[default]
    Retained,
    /// Self (shallow) size.
    #[value(name = "self")]
    SelfSize,
    /// Number of objects.
    Count,
}

impl From<SortKey> for heaplens_views::summary::SortKey {
    fn from(key: SortKey) -> Self {
        match key {
            SortKey::Retained => Self::Retained,
            SortKey::SelfSize => Self::SelfSize,
            SortKey::Count => Self::Count,
        }
    }
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Snapshot file (.heapsnapshot, .heaptimeline, gzipped or not; `-` for stdin).
    pub file: PathBuf,
    /// Show only the first N classes (tables show 25 by default, JSON all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Order of the classes.
    #[arg(long, value_enum, default_value_t = SortKey::Retained)]
    pub sort: SortKey,
    /// Only classes whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub class: Option<String>,
    /// Only objects allocated after the snapshot PREV of the same process was taken
    /// (DevTools' "Objects allocated between PREV and FILE").
    #[arg(long, value_name = "PREV")]
    pub between: Option<PathBuf>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Snapshot file.
    pub file: PathBuf,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot of the same process.
    pub base: PathBuf,
    /// The later snapshot.
    pub file: PathBuf,
    /// Show only the first N classes (tables show 25 by default, JSON all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Only classes whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub class: Option<String>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct NodesArgs {
    /// Snapshot file.
    pub file: PathBuf,
    /// Write one JSON object per line (the only format; the flag makes scripts explicit).
    #[arg(long)]
    pub jsonl: bool,
}

#[derive(Debug, Args)]
pub struct RetainersArgs {
    /// Snapshot file.
    pub file: PathBuf,
    /// The node (`@12345`).
    #[arg(value_parser = parse_node_id)]
    pub node: u32,
    /// Levels of retainers to show.
    #[arg(long, value_name = "N", default_value_t = retainers::DEFAULT_DEPTH)]
    pub depth: usize,
    /// Retainers shown per node (the closest ones).
    #[arg(long, value_name = "N", default_value_t = retainers::DEFAULT_WIDTH)]
    pub width: usize,
    /// Ignore these retainers (DevTools' "ignore this retainer"): distances are recomputed
    /// without passing through them.
    #[arg(long, value_name = "@ID", value_parser = parse_node_id, num_args = 1..)]
    pub ignore: Vec<u32>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Snapshot file.
    pub file: PathBuf,
    /// The node (`@12345`).
    #[arg(value_parser = parse_node_id)]
    pub node: u32,
    /// Show up to N different shortest paths (best first) instead of one.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub all: usize,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct DominatorsArgs {
    /// Snapshot file.
    pub file: PathBuf,
    /// Show this node's dominator chain and what it dominates instead of the largest subtrees.
    #[arg(value_parser = parse_node_id)]
    pub node: Option<u32>,
    /// How many subtrees (or dominated nodes) to list.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Snapshot file.
    pub file: PathBuf,
    /// The node (`@12345`).
    #[arg(value_parser = parse_node_id)]
    pub node: u32,
    /// Outgoing edges to list (largest retained first).
    #[arg(long, value_name = "N", default_value_t = show::DEFAULT_EDGES)]
    pub edges: usize,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct FindArgs {
    /// Snapshot file.
    pub file: PathBuf,
    /// Class name (as in the Summary) matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub class: Option<String>,
    /// Name as the snapshot writes it (a string's text, a function's name) matches this
    /// regular expression.
    #[arg(long, value_name = "REGEX")]
    pub name: Option<String>,
    /// The node with this id.
    #[arg(long, value_name = "@ID", value_parser = parse_node_id)]
    pub id: Option<u32>,
    /// Only nodes retaining at least this much (`4096`, `64kB`, `1.5MB`).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "0")]
    pub min_retained: u64,
    /// Results per page.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub limit: usize,
    /// Skip this many results (the page's start).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: usize,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct StringsArgs {
    /// Snapshot file.
    pub file: PathBuf,
    /// Show only the first N groups (tables show 25 by default, JSON all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Log files of `node --trace-gc` or `--trace-gc-nvp` (`-` reads stdin, live:
    /// `node --trace-gc app.js | heaplens gc -`).
    #[arg(required = true)]
    pub logs: Vec<PathBuf>,
    /// Write a chart of the heap before and after each collection (SVG).
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// Do not pass the program's own output (read from stdin) through to stdout.
    #[arg(long)]
    pub quiet: bool,
    /// Exit with 1 when the heap that survives major GCs grows in some isolate.
    #[arg(long)]
    pub fail_on_growth: bool,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct LeaksArgs {
    /// Snapshots of one process in time order (baseline, target, final, more), or one folder
    /// of them (ordered by Node's `Heap.<date>.<time>.<pid>.<tid>.<seq>` names, else by time).
    #[arg(required = true, value_name = "SNAPSHOTS")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub finder: LeakFinderArgs,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Snapshots of one process in time order (baseline, target, final, more), or one folder.
    #[arg(required = true, value_name = "SNAPSHOTS")]
    pub files: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub leak: LeakOptionsArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Heap snapshots (.heapsnapshot, .heaptimeline, gzipped too), `node --trace-gc` logs and
    /// `heaplens watch --json` recordings; snapshots in time order for the Leaks view.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Open the app in the default browser.
    #[arg(long)]
    pub open: bool,
}

/// How the leak finder judges and reports (`leaks` and `hunt`).
#[derive(Debug, Args)]
pub struct LeakFinderArgs {
    #[command(flatten)]
    pub leak: LeakOptionsArgs,
    /// Exit with 1 when a leak is found.
    #[arg(long)]
    pub fail_on_leak: bool,
    /// Also write the report as one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// What counts as a leak (`leaks`, `hunt` and `report`).
#[derive(Debug, Args)]
pub struct LeakOptionsArgs {
    /// Least growth that counts as a leak, per interval, still alive in the last snapshot
    /// (`16KiB`, `1MB`, ...).
    #[arg(long, value_name = "BYTES", default_value = "16KiB", value_parser = parse_bytes)]
    pub min_growth: u64,
    /// How many groups that grew but are not leaks to show besides the leaks.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub suspects: usize,
}

impl LeakOptionsArgs {
    /// The leak finder's options.
    pub fn options(&self) -> heaplens_leaks::Options {
        heaplens_leaks::Options { min_growth: self.min_growth, suspects: self.suspects }
    }
}

/// Which process to attach to: exactly one of these.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// A Node process by pid: heaplens sends SIGUSR1 to open its inspector and closes it again.
    #[arg(long)]
    pub pid: Option<u32>,
    /// An inspector already listening on 127.0.0.1:PORT (`node --inspect`).
    #[arg(long)]
    pub port: Option<u16>,
    /// An inspector target `ws://HOST:PORT/UUID`, or an inspector `http://HOST:PORT`.
    #[arg(long)]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to write the snapshot (default: `Heap.<date>.<time>.<pid>.0.<seq>.heapsnapshot`
    /// in the current folder, as Node names them); with `--count`, the folder to write them to.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Take this many snapshots in one inspector session, `--every` seconds apart: a series
    /// `heaplens leaks` can read. (V8 renumbers objects when an inspector session ends, so
    /// snapshots from separate sessions cannot be compared object by object.)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "track_allocations")]
    pub count: u32,
    /// Seconds between snapshots with `--count`.
    #[arg(long, value_name = "S", default_value_t = capture::DEFAULT_EVERY, value_parser = parse_seconds)]
    pub every: f64,
    /// Do not collect garbage first (the snapshot then holds garbage too).
    #[arg(long)]
    pub no_gc: bool,
    /// Include V8's internal objects (DevTools' "expose internals").
    #[arg(long)]
    pub expose_internals: bool,
    /// Record allocations with their stacks for this long, then write an allocation timeline
    /// (`.heaptimeline`) instead of a plain snapshot.
    #[arg(long)]
    pub track_allocations: bool,
    /// How long to record with `--track-allocations`, in seconds.
    #[arg(long, value_name = "S", default_value_t = 10.0, value_parser = parse_seconds)]
    pub duration: f64,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seconds between samples.
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = parse_seconds)]
    pub interval: f64,
    /// Seconds between forced full GCs, whose survivors the verdict judges (0: never).
    #[arg(long, value_name = "S", default_value_t = 5.0, value_parser = parse_seconds_or_zero)]
    pub gc_every: f64,
    /// Stop after this many seconds (default: at Ctrl-C).
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    pub duration: Option<f64>,
    /// Where to draw the chart (SVG) at the end (default: `watch.<pid>.svg`).
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seconds to record.
    #[arg(long, value_name = "S", default_value_t = 10.0, value_parser = parse_seconds)]
    pub duration: f64,
    /// Average bytes allocated between two samples.
    #[arg(long, value_name = "BYTES", default_value = "32KiB", value_parser = parse_bytes)]
    pub sampling_interval: u64,
    /// Keep garbage in the profile (by default a full GC runs before it is read).
    #[arg(long)]
    pub no_gc: bool,
    /// Where to draw the flame graph (SVG) (default: `profile.<pid>.svg`).
    #[arg(long, value_name = "FILE")]
    pub flame_graph: Option<PathBuf>,
    /// Functions to list.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub top: usize,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
#[command(after_help = "The program gets a free loopback port in $PORT; {port} in --url is that port. \
In --url, --header and --body, {i} is the request's number and {rand} a random token.\n\n\
EXAMPLES:\n  heaplens hunt --url 'http://127.0.0.1:{port}/quote?id={i}' -- node server.js\n  \
heaplens hunt --script drive.js --rounds 4 -- node server.js\n  heaplens hunt --every 30 -- node worker.js")]
pub struct HuntArgs {
    /// Drive the program with HTTP requests to this loopback URL each round.
    #[arg(long, value_name = "URL", conflicts_with_all = ["script", "every"])]
    pub url: Option<String>,
    /// Requests per round.
    #[arg(long, value_name = "N", default_value_t = hunt::DEFAULT_REQUESTS, requires = "url")]
    pub requests: usize,
    /// Requests in flight at once.
    #[arg(long, value_name = "C", default_value_t = hunt::DEFAULT_CONCURRENCY, requires = "url")]
    pub concurrency: usize,
    /// HTTP method of the requests.
    #[arg(long, default_value = hunt::DEFAULT_METHOD, requires = "url")]
    pub method: String,
    /// A request header, `NAME: VALUE` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", requires = "url", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// A request body.
    #[arg(long, requires = "url")]
    pub body: Option<String>,
    /// Drive the program by running this script once per round (`node FILE` for .js files),
    /// with PORT, HEAPLENS_ROUND, HEAPLENS_ROUNDS and HEAPLENS_PID set.
    #[arg(long, value_name = "FILE", conflicts_with = "every")]
    pub script: Option<PathBuf>,
    /// The program works on its own: wait this many seconds each round.
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    pub every: Option<f64>,
    /// Rounds of the workload, each followed by a snapshot (at least 3): the first is the
    /// warm-up before the baseline snapshot.
    #[arg(long, value_name = "N", default_value_t = hunt::DEFAULT_ROUNDS, value_parser = clap::value_parser!(u16).range(3..))]
    pub rounds: u16,
    /// Folder for the snapshots and the program's log (default: `heaplens-hunt.<date>.<time>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seconds the program may take to open its inspector and its port.
    #[arg(long, value_name = "S", default_value_t = hunt::DEFAULT_READY_TIMEOUT, value_parser = parse_seconds)]
    pub ready_timeout: f64,
    /// Seconds to wait after each round before the snapshot, for work in flight to end.
    #[arg(long, value_name = "S", default_value_t = hunt::DEFAULT_SETTLE, value_parser = parse_seconds_or_zero)]
    pub settle: f64,
    #[command(flatten)]
    pub finder: LeakFinderArgs,
    #[command(flatten)]
    pub output: Output,
    /// The program to start, after `--`: `node server.js`, `npm start`, ...
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_summary_flags() {
        let cli =
            Cli::try_parse_from(["heaplens", "summary", "a.heapsnapshot", "--top", "5", "--sort", "self", "--json"])
                .unwrap();
        let Command::Summary(a) = cli.command else { panic!("summary expected") };
        assert_eq!(a.top, Some(5));
        assert!(matches!(a.sort, SortKey::SelfSize));
        assert!(a.output.json);
    }
}
