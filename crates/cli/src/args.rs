//! Command-line arguments: one subcommand per view, flags documented where they are declared.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Finds memory leaks in Node.js programs from V8 heap snapshots.
#[derive(Debug, Parser)]
#[command(
    name = "heaplens",
    version,
    about,
    after_help = "EXAMPLES:\n  heaplens summary app.heapsnapshot --top 20\n  heaplens diff before.heapsnapshot after.heapsnapshot.gz --json\n  heaplens nodes app.heapsnapshot --jsonl > nodes.jsonl\n\nExit codes: 0 done, 1 a finding a gate asked about, 2 an error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The Summary view: objects grouped by class, largest retained size first.
    Summary(SummaryArgs),
    /// The Statistics view: code, strings, arrays, typed arrays, system and native memory.
    Stats(StatsArgs),
    /// The Comparison view: per class, objects added and removed since BASE.
    Diff(DiffArgs),
    /// Every node with its class, sizes, distance and dominator, as JSON lines.
    Nodes(NodesArgs),
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
        let cli = Cli::try_parse_from(["heaplens", "summary", "a.heapsnapshot", "--top", "5", "--sort", "self", "--json"]).unwrap();
        let Command::Summary(a) = cli.command else { panic!("summary expected") };
        assert_eq!(a.top, Some(5));
        assert!(matches!(a.sort, SortKey::SelfSize));
        assert!(a.output.json);
    }
}
