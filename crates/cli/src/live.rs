//! Attaching commands to live processes: the target flags, Ctrl-C, and the progress of a
//! snapshot being captured.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{anyhow, Result};
use heaplens_live::capture::Progress;
use heaplens_live::target::{Connection, Endpoint};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::TargetArgs;
use crate::table;

/// Makes Ctrl-C, SIGTERM and SIGHUP stop live operations cleanly (an inspector heaplens
/// opened is then closed, a program it started is stopped, a snapshot being written is
/// removed); a second one exits at once, removing the snapshot being written all the same.
/// A second signal within [`SAME_STOP`] of the first is the same stop sent twice (npm relaying
/// Ctrl-C beside the terminal, `timeout` signalling the whole group) and is not counted.
pub fn stop_on_ctrl_c() {
    static FIRST: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let _ = ctrlc::set_handler(|| {
        let first = *FIRST.get_or_init(std::time::Instant::now);
        if first.elapsed() < SAME_STOP {
            heaplens_live::interrupt();
        } else if heaplens_live::interrupt() {
            heaplens_live::capture::remove_unfinished();
            std::process::exit(130);
        }
    });
}

/// How close two signals are to be one stop.
const SAME_STOP: Duration = Duration::from_millis(500);

/// Connects to the process the flags name.
pub fn connect(target: &TargetArgs) -> Result<Connection> {
    stop_on_ctrl_c();
    let endpoint = match (target.pid, target.port, &target.url) {
        (Some(pid), _, _) => Endpoint::Pid(pid),
        (_, Some(port), _) => Endpoint::Port(port),
        (_, _, Some(url)) => Endpoint::Url(url.clone()),
        _ => return Err(anyhow!("give --pid, --port or --url")),
    };
    Connection::open(&endpoint)
}

/// A progress display for captures: a spinner on stderr when it is a terminal, else nothing.
pub struct CaptureProgress {
    bar: Option<ProgressBar>,
}

impl CaptureProgress {
    pub fn new(what: &str) -> CaptureProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {prefix}: {msg}").expect("valid template"));
            bar.set_prefix(what.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        CaptureProgress { bar }
    }

    pub fn update(&mut self, progress: Progress) {
        let Some(bar) = &self.bar else { return };
        match progress {
            Progress::Building { done, total } if total > 0 => {
                bar.set_message(format!("walking the heap {}%", done * 100 / total));
            }
            Progress::Building { .. } => {}
            Progress::Writing { bytes } => bar.set_message(format!("writing {}", table::bytes(bytes))),
        }
    }

    pub fn message(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_owned());
        }
    }
}

impl Drop for CaptureProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
