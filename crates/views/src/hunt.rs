//! A whole leak hunt as `heaplens hunt` and the `hunt` tool ask for it, and its steps in words.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use heaplens_live::hunt::{HuntEvent, HuntPlan, Hunted};
use heaplens_live::workload::{HttpLoad, Workload};

use crate::table;

/// Seconds per round when the program works on its own and no workload is named.
pub const DEFAULT_WAIT: f64 = 10.0;
/// Requests per round of the built-in HTTP load, by default.
pub const DEFAULT_REQUESTS: usize = 1000;
/// Requests of the built-in HTTP load in flight at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The built-in HTTP load's method, by default.
pub const DEFAULT_METHOD: &str = "GET";
/// Rounds (and snapshots) of a hunt, by default.
pub const DEFAULT_ROUNDS: u16 = 3;
/// Seconds the program may take to open its inspector and its port, by default.
pub const DEFAULT_READY_TIMEOUT: f64 = 30.0;
/// Seconds between a round and its snapshot, by default.
pub const DEFAULT_SETTLE: f64 = 0.5;

/// A hunt as asked for; [`HuntRequest::plan`] checks it and makes it the plan
/// `heaplens_live::hunt::hunt` runs.
#[derive(Debug, Clone)]
pub struct HuntRequest {
    /// The program to start and its arguments.
    pub command: Vec<String>,
    /// Built-in HTTP load each round, when given (its requests per round and concurrency).
    pub http: Option<HttpLoad>,
    /// Else a script run once per round.
    pub script: Option<PathBuf>,
    /// Else the seconds to wait each round (default [`DEFAULT_WAIT`]).
    pub every: Option<f64>,
    /// Rounds, each followed by a snapshot (at least 3; the first is the warm-up).
    pub rounds: usize,
    /// Folder for the snapshots and the program's log (default: `heaplens-hunt.<date>.<time>`).
    pub out: Option<PathBuf>,
    /// Seconds the program may take to open its inspector and its port.
    pub ready_timeout: f64,
    /// Seconds to wait after each round before the snapshot.
    pub settle: f64,
}

impl HuntRequest {
    /// The plan, once the workload is checked: an HTTP load only to loopback, a script that
    /// exists.
    pub fn plan(&self) -> anyhow::Result<HuntPlan> {
        let workload = match (&self.http, &self.script) {
            (Some(load), _) => {
                load.check()?;
                Workload::Http(HttpLoad { concurrency: load.concurrency.max(1), ..load.clone() })
            }
            (None, Some(script)) => {
                if !script.is_file() {
                    bail!("{}: no such script", script.display());
                }
                // An absolute path: a bare name would be looked up in PATH.
                Workload::Script(std::fs::canonicalize(script)?)
            }
            (None, None) => Workload::Wait(Duration::from_secs_f64(self.every.unwrap_or(DEFAULT_WAIT))),
        };
        let out_dir = self.out.clone().unwrap_or_else(|| {
            PathBuf::from(format!("heaplens-hunt.{}", chrono::Local::now().format("%Y%m%d.%H%M%S")))
        });
        Ok(HuntPlan {
            command: self.command.clone(),
            workload,
            snapshots: self.rounds,
            out_dir,
            ready_timeout: Duration::from_secs_f64(self.ready_timeout),
            settle: Duration::from_secs_f64(self.settle),
        })
    }
}

/// A step of the hunt in words, as `heaplens hunt` reports it on stderr (none while a snapshot
/// is being written).
pub fn event_line(event: &HuntEvent) -> Option<String> {
    match event {
        HuntEvent::Started { pid, node_version, log } => {
            Some(format!("started pid {pid} (Node {node_version}); its output goes to {}", log.display()))
        }
        HuntEvent::Round { round, stats } => {
            let what = if *round == 0 { "warm-up".to_owned() } else { format!("round {round}") };
            let failed = match (&stats.first_failure, stats.failed) {
                (Some(first), n) if n > 0 => format!(", {n} failed (first: {first})"),
                _ => String::new(),
            };
            let requests =
                if stats.requests > 0 { format!(": {} requests{failed}", stats.requests) } else { String::new() };
            Some(format!("{what} done in {:.1} s{requests}", stats.elapsed.as_secs_f64()))
        }
        HuntEvent::Capturing(_) => None,
        HuntEvent::Snapshot(captured) => {
            Some(format!("wrote {} ({})", captured.path.display(), table::bytes(captured.bytes)))
        }
    }
}

/// The hunt's last step in words: the program stopped, the leak finder starts.
pub fn stopped_line(hunted: &Hunted) -> String {
    format!("stopped the program (pid {}); finding leaks in {} snapshots", hunted.pid, hunted.snapshots.len())
}
