//! The `heaplens` binary: parses arguments, runs one command, reports errors in one place.
//!
//! Exit codes: 0 done, 1 a finding a gate asked about, 2 an error.

mod args;
mod commands;
mod live;
mod load;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;
use heaplens_views::table;

use args::{Cli, Command};

/// What a command ended with: `Finding` when a gate the user asked for (`--fail-on-...`) trips.
pub enum Outcome {
    Done,
    Finding,
}

fn run(cli: &Cli, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let done = match &cli.command {
        Command::Gc(a) => return commands::gc::run(a, out),
        Command::Leaks(a) => return commands::leaks::run(a, out),
        Command::Hunt(a) => return commands::hunt::run(a, out),
        Command::Report(a) => commands::report::run(a, out),
        Command::Serve(a) => commands::serve::run(a, out),
        Command::Mcp => commands::mcp::run(),
        Command::Snapshot(a) => commands::snapshot::run(a, out),
        Command::Watch(a) => commands::watch::run(a, out),
        Command::Profile(a) => commands::profile::run(a, out),
        Command::Summary(a) => commands::summary::run(a, out),
        Command::Stats(a) => commands::stats::run(a, out),
        Command::Diff(a) => commands::diff::run(a, out),
        Command::Nodes(a) => commands::nodes::run(a, out),
        Command::Retainers(a) => commands::retainers::run(a, out),
        Command::Path(a) => commands::path::run(a, out),
        Command::Dominators(a) => commands::dominators::run(a, out),
        Command::Show(a) => commands::show::run(a, out),
        Command::Find(a) => commands::find::run(a, out),
        Command::Strings(a) => commands::strings::run(a, out),
    };
    done.map(|()| Outcome::Done)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

/// An analysis allocates and frees arrays of one entry per node or edge, many between 1 and
/// 32 MiB. After the first such free, glibc raises its mmap threshold and serves the next ones
/// from its heaps, which keep freed memory: tens of MiB of dead arrays at the peak. A fixed
/// threshold keeps every array of 1 MiB or more in its own mapping, returned when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_arrays_to_the_system() {
    // SAFETY: mallopt only changes allocator settings; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_arrays_to_the_system() {}

fn main() -> ExitCode {
    return_freed_arrays_to_the_system();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Not locked for the whole run: the MCP server writes its messages to stdout itself.
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout());
    let result = run(&cli, &mut out).and_then(|outcome| out.flush().map(|()| outcome).map_err(Into::into));
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Finding) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            drop(out);
            eprintln!("heaplens: {e:#}");
            ExitCode::from(2)
        }
    }
}
