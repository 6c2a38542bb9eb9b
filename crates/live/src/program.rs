//! A program started under the inspector for a hunt: Node with `--inspect=127.0.0.1:0` (a free
//! loopback port), its output kept in a log file, stopped (SIGTERM, then SIGKILL) when dropped.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The inspector flag every started program gets: loopback only, a port the OS picks.
const INSPECT: &str = "--inspect=127.0.0.1:0";
/// How long a program gets to stop after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A running program.
pub struct Program {
    child: Child,
    log: PathBuf,
    inspector_urls: mpsc::Receiver<String>,
    latest_url: Option<String>,
    /// Set when Node says its program ended and it only waits for the inspector to let go.
    ended: Arc<AtomicBool>,
    is_node: bool,
}

impl Program {
    /// Starts `command` (program and arguments) with `env` added. A `node` command gets the
    /// inspector flag after the binary; any other command gets it through NODE_OPTIONS (the
    /// last Node process to open an inspector is then the one hunted). Output goes to `log`.
    pub fn start(command: &[String], env: &[(String, String)], log: &Path) -> Result<Program> {
        let (binary, args) = command.split_first().ok_or_else(|| anyhow!("no command to run"))?;
        let mut cmd = Command::new(binary);
        let is_node = Path::new(binary).file_name().and_then(OsStr::to_str).is_some_and(|n| n.starts_with("node"));
        if is_node {
            cmd.arg(INSPECT);
        } else {
            let options = std::env::var("NODE_OPTIONS").unwrap_or_default();
            cmd.env("NODE_OPTIONS", format!("{options} {INSPECT}").trim());
        }
        cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
        let out = crate::capture::owner_only(log)?;
        let err_log = out.try_clone()?;
        // Its own process group: stopping it stops what it started too (`npm start` runs node
        // in a child), and a Ctrl-C at the terminal reaches heaplens, which stops it in order.
        cmd.stdin(Stdio::null()).stdout(out).stderr(Stdio::piped()).process_group(0);
        // If heaplens dies without stopping it (SIGKILL), the program goes too.
        // SAFETY: between fork and exec only prctl runs, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from));
        }
        let mut child = cmd.spawn().with_context(|| format!("cannot start {binary}"))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let (urls, inspector_urls) = mpsc::channel();
        let ended = Arc::new(AtomicBool::new(false));
        let ended_seen = ended.clone();
        std::thread::spawn(move || copy_stderr(stderr, err_log, urls, &ended_seen));
        Ok(Program { child, log: log.to_owned(), inspector_urls, latest_url: None, ended, is_node })
    }

    /// The program's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The log file of its output.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The most recent inspector URL the program announced, once none has come for `quiet`
    /// (a command like `npm start` runs Node processes one after another; the last is the app).
    pub fn latest_inspector_url(&mut self, quiet: Duration) -> Result<String> {
        let mut url = self.inspector_url(Duration::MAX)?;
        let mut since = Instant::now();
        while since.elapsed() < quiet {
            self.check_running()?;
            crate::sleep(Duration::from_millis(20))?;
            let latest = self.inspector_url(Duration::MAX)?;
            if latest != url {
                url = latest;
                since = Instant::now();
            }
        }
        Ok(url)
    }

    /// Whether the program is Node itself (rather than a command that starts Node).
    pub fn is_node(&self) -> bool {
        self.is_node
    }

    /// Waits until the program announces its inspector and returns the target URL; fails if it
    /// exits first or takes longer than `limit`.
    pub fn inspector_url(&mut self, limit: Duration) -> Result<String> {
        let start = Instant::now();
        loop {
            while let Ok(url) = self.inspector_urls.try_recv() {
                self.latest_url = Some(url);
            }
            if let Some(url) = &self.latest_url {
                return Ok(url.clone());
            }
            self.check_running()?;
            if start.elapsed() > limit {
                bail!(
                    "the program did not open an inspector within {} s; its output: {}",
                    limit.as_secs(),
                    self.log.display()
                );
            }
            crate::sleep(Duration::from_millis(20))?;
        }
    }

    /// Fails, with the end of its output, when the program has exited or ran to its end.
    pub fn check_running(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            None if self.ended.load(Ordering::Relaxed) => {
                bail!("the program ran to its end (nothing kept it alive) {}", self.tail())
            }
            None => Ok(()),
            Some(status) => bail!("the program exited ({}) {}", describe(status), self.tail()),
        }
    }

    /// The last lines of the program's output, for an error message.
    pub fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let last = &lines[lines.len().saturating_sub(3)..];
        if last.is_empty() {
            format!("with no output ({})", self.log.display())
        } else {
            format!("after: {} (all of it: {})", last.join(" | "), self.log.display())
        }
    }

    /// Stops the program: SIGTERM, then SIGKILL if it has not exited after a grace period.
    pub fn stop(&mut self) -> Result<ExitStatus> {
        let group = Pid::from_raw(-(self.child.id() as i32));
        if let Some(status) = self.child.try_wait()? {
            // The program is gone; anything it left behind in its group goes too.
            let _ = kill(group, Signal::SIGKILL);
            return Ok(status);
        }
        let _ = kill(group, Signal::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < STOP_GRACE {
            if let Some(status) = self.child.try_wait()? {
                // The program is gone; anything it left behind in its group goes too.
                let _ = kill(group, Signal::SIGKILL);
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = kill(group, Signal::SIGKILL);
        Ok(self.child.wait()?)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => "unknown status".into(),
    }
}

/// Copies the program's stderr into the log, sending each inspector URL it announces and
/// noting when Node says the program has ended. Reads to the end whatever the bytes are: a
/// program blocked on a full pipe would stall the hunt.
fn copy_stderr(stderr: impl std::io::Read, mut log: File, urls: mpsc::Sender<String>, ended: &AtomicBool) {
    let mut reader = BufReader::new(stderr);
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&bytes);
        let line = text.trim_end_matches(['\n', '\r']);
        if let Some(url) = line.strip_prefix("Debugger listening on ") {
            let _ = urls.send(url.trim().to_owned());
        }
        if line.starts_with("Waiting for the debugger to disconnect") {
            ended.store(true, Ordering::Relaxed);
        }
        let _ = writeln!(log, "{line}");
    }
}
