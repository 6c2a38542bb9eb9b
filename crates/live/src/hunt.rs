//! A whole leak hunt up to the snapshot files: start the program under the inspector, wait
//! until it is ready, warm it up, take the baseline snapshot, then drive it and snapshot again
//! each round; stop the program at the end, whatever happened.

use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::capture::{self, Captured, Progress, SnapshotOptions};
use crate::program::Program;
use crate::target::Connection;
use crate::workload::{fill, RoundContext, RoundStats, Workload};

/// With a command that is not Node itself, how long no new inspector must appear before the
/// last one is taken as the app's.
const LAUNCHER_QUIET: Duration = Duration::from_secs(2);

/// What to hunt and how.
#[derive(Debug, Clone)]
pub struct HuntPlan {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// What drives it each round.
    pub workload: Workload,
    /// Snapshots to take (at least 3): the workload runs once as warm-up before the first,
    /// and once before each of the others.
    pub snapshots: usize,
    /// Where the snapshots and the program's log go.
    pub out_dir: PathBuf,
    /// How long the program may take to open its inspector and, with HTTP load, its port.
    pub ready_timeout: Duration,
    /// Pause after each round before the snapshot, for work in flight to finish.
    pub settle: Duration,
}

/// What the hunt reports as it goes.
#[derive(Debug)]
pub enum HuntEvent<'a> {
    /// The program runs.
    Started { pid: u32, node_version: &'a str, log: &'a Path },
    /// A round of the workload ended (round 0 is the warm-up).
    Round { round: usize, stats: &'a RoundStats },
    /// A snapshot is being written.
    Capturing(Progress),
    /// A snapshot was written.
    Snapshot(&'a Captured),
}

/// The hunt's result: the snapshots, in time order.
#[derive(Debug, Clone)]
pub struct Hunted {
    /// The snapshot files.
    pub snapshots: Vec<PathBuf>,
    /// The pid of the Node process hunted.
    pub pid: u32,
}

/// Runs the hunt.
pub fn hunt(plan: &HuntPlan, on_event: &mut dyn FnMut(HuntEvent)) -> Result<Hunted> {
    if plan.snapshots < 3 {
        bail!("a hunt takes at least 3 snapshots (baseline, target, final)");
    }
    create_private_dir(&plan.out_dir)?;
    let port = match std::env::var("PORT").ok().and_then(|p| p.parse::<u16>().ok()) {
        Some(port) => port,
        None => free_port()?,
    };
    let log = plan.out_dir.join("program.log");
    let mut program = Program::start(&plan.command, &[("PORT".into(), port.to_string())], &log)?;
    program.inspector_url(plan.ready_timeout)?;
    if let Workload::Http(load) = &plan.workload {
        wait_for_port(&mut program, &fill(&load.url, 0, 0u64, &port.to_string()), plan.ready_timeout)?;
    }
    // `npm start` and the like run Node more than once (npm itself, then the app): attach to
    // the last one to announce an inspector.
    let url = program.latest_inspector_url(if program.is_node() { Duration::ZERO } else { LAUNCHER_QUIET })?;
    let mut connection = match Connection::attach(&url) {
        Ok(connection) => connection,
        Err(e) => {
            // A program that exits at once announces its inspector and is gone before we
            // attach: say that, rather than that the session failed.
            for _ in 0..50 {
                program.check_running()?;
                std::thread::sleep(Duration::from_millis(20));
            }
            return Err(e);
        }
    };
    // The Node process hunted: the program itself, or the one it started (`npm start`).
    let pid = connection.pid;
    on_event(HuntEvent::Started { pid, node_version: &connection.node_version, log: &log });
    let mut snapshots = Vec::new();
    for round in 0..plan.snapshots {
        let context = RoundContext { round, rounds: plan.snapshots, port, pid };
        let stats = plan.workload.run(&context).with_context(|| during(&mut program))?;
        on_event(HuntEvent::Round { round, stats: &stats });
        crate::sleep(plan.settle)?;
        program.check_running()?;
        let path = capture::node_style_name(&plan.out_dir, pid, "heapsnapshot");
        let options = SnapshotOptions { collect_garbage: true, expose_internals: false };
        let captured =
            capture::snapshot(&mut connection.session, &path, options, &mut |p| on_event(HuntEvent::Capturing(p)))
                .with_context(|| during(&mut program))?;
        on_event(HuntEvent::Snapshot(&captured));
        snapshots.push(captured.path);
    }
    drop(connection);
    program.stop()?;
    Ok(Hunted { snapshots, pid })
}

/// Context for an error: whether the program is still running, with its last output if not.
fn during(program: &mut Program) -> String {
    match program.check_running() {
        Ok(()) => format!("hunting pid {}", program.pid()),
        Err(e) => e.to_string(),
    }
}

/// Waits until the host and port of `url` (loopback, checked before) accept connections.
fn wait_for_port(program: &mut Program, url: &str, limit: Duration) -> Result<()> {
    let authority = url.trim_start_matches("http://").split(['/', '?', '#']).next().unwrap_or("");
    let authority = if authority.ends_with(']') || !authority.contains(':') {
        format!("{authority}:80")
    } else {
        authority.to_owned()
    };
    let addresses: Vec<SocketAddr> = authority.to_socket_addrs().map(Iterator::collect).unwrap_or_default();
    let start = Instant::now();
    while !addresses.iter().any(|a| TcpStream::connect_timeout(a, Duration::from_millis(300)).is_ok()) {
        program.check_running()?;
        if start.elapsed() > limit {
            return Err(anyhow!(
                "nothing listens at {authority} after {} s; the program's output: {}",
                limit.as_secs(),
                program.log().display()
            ));
        }
        crate::sleep(Duration::from_millis(50))?;
    }
    Ok(())
}

/// A port free on loopback right now, for the program to listen on.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Creates `dir` (and parents) readable by its owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}
