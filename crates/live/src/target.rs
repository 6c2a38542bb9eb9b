//! Reaching a Node process's inspector: by pid (SIGUSR1 opens it; heaplens closes it again),
//! by port (`/json/list` names the target), or by WebSocket URL.
//!
//! An open inspector port runs any code sent to it, so a [`Connection`] that opened the
//! inspector closes it when dropped, whatever happened in between.

use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use crate::inspector::{evaluate, Session};

/// How long a process gets to open its inspector after SIGUSR1.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an HTTP probe of a port may take.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Where the inspector is.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A Node process by pid; its inspector is opened with SIGUSR1 when closed.
    Pid(u32),
    /// An inspector already listening on 127.0.0.1:PORT.
    Port(u16),
    /// `ws://...` (a target) or `http://host:port` (an inspector, asked for its target).
    Url(String),
}

/// A session with a process's inspector.
pub struct Connection {
    /// The session.
    pub session: Session,
    /// The process's pid, as it reports it.
    pub pid: u32,
    /// Node's version (`v20.20.2`).
    pub node_version: String,
    /// True when heaplens opened the inspector and will close it.
    pub opened_inspector: bool,
}

impl Connection {
    /// Connects to the inspector at `endpoint`.
    pub fn open(endpoint: &Endpoint) -> Result<Connection> {
        let (url, opened_inspector) = match endpoint {
            Endpoint::Pid(pid) => open_by_pid(*pid)?,
            Endpoint::Port(port) => (target_url(&format!("127.0.0.1:{port}"))?, false),
            Endpoint::Url(url) if url.starts_with("ws://") => (url.clone(), false),
            Endpoint::Url(url) => {
                let host = url.strip_prefix("http://").map(|rest| rest.trim_end_matches('/'));
                let host =
                    host.ok_or_else(|| anyhow!("{url}: give a ws:// target URL or an http://HOST:PORT inspector"))?;
                (target_url(host)?, false)
            }
        };
        match Connection::attach(&url) {
            Ok(mut connection) => {
                connection.opened_inspector = opened_inspector;
                Ok(connection)
            }
            Err(e) => {
                if opened_inspector {
                    close_unconnected(&url);
                }
                Err(e)
            }
        }
    }

    /// Connects to a target's WebSocket URL and asks the process for its pid and version.
    pub fn attach(url: &str) -> Result<Connection> {
        let mut session = Session::connect(url)?;
        // Ask Node to say when the program ends: it then stops answering and waits for us to
        // let go. Node versions without the domain refuse, and only lose that early notice.
        let _ = session.call("NodeRuntime.notifyWhenWaitingForDisconnect", json!({ "enabled": true }));
        let mut connection = Connection { session, pid: 0, node_version: String::new(), opened_inspector: false };
        let facts = evaluate(&mut connection.session, "({ pid: process.pid, version: process.version })")?;
        connection.pid = facts.get("pid").and_then(Value::as_u64).unwrap_or(0) as u32;
        connection.node_version = facts.get("version").and_then(Value::as_str).unwrap_or("").to_owned();
        Ok(connection)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.opened_inspector {
            close_inspector(&mut self.session);
        }
    }
}

/// Asks the target to close its inspector (Node's `process._debugEnd`, what `inspector.close()`
/// calls). The target ends the session without a reply.
fn close_inspector(session: &mut Session) {
    let expression = "process._debugEnd()";
    if session.send("Runtime.evaluate", json!({ "expression": expression })).is_ok() {
        session.wait_closed(Duration::from_secs(5));
    }
}

/// heaplens opened the inspector but its session failed: try a fresh one just to close it.
fn close_unconnected(url: &str) {
    if let Ok(mut session) = Session::connect(url) {
        close_inspector(&mut session);
    }
}

/// The `webSocketDebuggerUrl` of the Node target behind the inspector at `host` (`127.0.0.1:9229`).
fn target_url(host: &str) -> Result<String> {
    let body = http_get(host, "/json/list").with_context(|| format!("no inspector answers at {host}"))?;
    let targets: Value = serde_json::from_str(&body)
        .map_err(|_| anyhow!("{host} answered /json/list with something that is not JSON: not an inspector"))?;
    let url = targets
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("webSocketDebuggerUrl").and_then(Value::as_str))
        .next()
        .ok_or_else(|| anyhow!("the inspector at {host} lists no target to attach to"))?;
    // Node names the target at the address it was asked on; anything else is not followed.
    if !url.strip_prefix("ws://").is_some_and(|rest| rest.starts_with(&format!("{host}/"))) {
        bail!("the inspector at {host} points elsewhere ({url}); heaplens does not follow it");
    }
    Ok(url.to_owned())
}

/// A minimal HTTP/1.0 GET on a loopback inspector port (the inspector speaks no more than that).
fn http_get(host: &str, path: &str) -> Result<String> {
    let address: SocketAddr = host
        .parse()
        .or_else(|_| host.replacen("localhost", "127.0.0.1", 1).parse())
        .map_err(|_| anyhow!("{host}: not a HOST:PORT address"))?;
    let mut stream = TcpStream::connect_timeout(&address, PROBE_TIMEOUT)?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT))?;
    stream.set_write_timeout(Some(PROBE_TIMEOUT))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    // The inspector keeps the connection open after its answer: read the head, then exactly
    // Content-Length bytes.
    let mut reader = std::io::BufReader::new(stream.take(1 << 20));
    let mut status = String::new();
    reader.read_line(&mut status)?;
    if !status.starts_with("HTTP/1.") || status.split(' ').nth(1) != Some("200") {
        bail!("{host}{path}: {}", if status.trim().is_empty() { "no HTTP answer" } else { status.trim() });
    }
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let length = length.ok_or_else(|| anyhow!("{host}{path}: an answer without Content-Length"))?;
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Opens the inspector of `pid` (or finds it open); returns the target URL and whether
/// heaplens opened it.
fn open_by_pid(pid: u32) -> Result<(String, bool)> {
    check_signalable(pid)?;
    let before = listening_ports(pid)?;
    if mentions_inspect(pid) {
        if let Some(url) = before.iter().find_map(|port| target_url(&format!("127.0.0.1:{port}")).ok()) {
            return Ok((url, false));
        }
    }
    kill(Pid::from_raw(pid as i32), Signal::SIGUSR1).with_context(|| format!("cannot signal pid {pid}"))?;
    let opened = |before: &HashSet<u16>| -> Option<String> {
        let now = listening_ports(pid).ok()?;
        now.difference(before).find_map(|port| target_url(&format!("127.0.0.1:{port}")).ok())
    };
    let start = Instant::now();
    while start.elapsed() < OPEN_TIMEOUT {
        if let Some(url) = opened(&before) {
            return Ok((url, true));
        }
        if crate::check_interrupt().is_err() {
            // Ctrl-C while Node opens its inspector: close it if it came up meanwhile.
            std::thread::sleep(Duration::from_millis(300));
            if let Some(url) = opened(&before) {
                close_unconnected(&url);
            }
            return Err(crate::Interrupted.into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // inspector.open() in the program's own code, or an --inspect that the command line hides.
    if let Some(url) = before.iter().find_map(|port| target_url(&format!("127.0.0.1:{port}")).ok()) {
        return Ok((url, false));
    }
    bail!(
        "pid {pid} did not open its inspector within {} s of SIGUSR1 (is port 9229 taken by another process? the \
         program's stderr says why)",
        OPEN_TIMEOUT.as_secs()
    )
}

/// Fails unless `pid` is a Node process heaplens may signal (SIGUSR1 kills most other programs).
fn check_signalable(pid: u32) -> Result<()> {
    if pid == 0 || pid > i32::MAX as u32 {
        bail!("{pid} is not a process id");
    }
    match kill(Pid::from_raw(pid as i32), None) {
        Ok(()) => {}
        Err(Errno::ESRCH) => bail!("no process has pid {pid}"),
        Err(Errno::EPERM) => {
            bail!("pid {pid} belongs to another user: heaplens may not signal it (run heaplens as that user)")
        }
        Err(e) => bail!("cannot signal pid {pid}: {e}"),
    }
    let exe = fs::read_link(format!("/proc/{pid}/exe"))
        .with_context(|| format!("cannot tell what pid {pid} runs (/proc/{pid}/exe)"))?;
    let name = exe.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !name.starts_with("node") {
        bail!("pid {pid} runs {}, not Node.js: heaplens signals only Node processes", exe.display());
    }
    Ok(())
}

/// True when the command line or NODE_OPTIONS of `pid` asks for an inspector.
fn mentions_inspect(pid: u32) -> bool {
    ["cmdline", "environ"]
        .iter()
        .filter_map(|f| fs::read(format!("/proc/{pid}/{f}")).ok())
        .any(|bytes| bytes.windows(9).any(|w| w == b"--inspect"))
}

/// TCP ports `pid` listens on (IPv4 and IPv6), from its socket descriptors and /proc/net/tcp*.
fn listening_ports(pid: u32) -> Result<HashSet<u16>> {
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).with_context(|| format!("cannot list pid {pid}'s open files"))?;
    let inodes: HashSet<u64> = fds
        .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect();
    let mut ports = HashSet::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/{table}")) else { continue };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (fields.get(1), fields.get(3), fields.get(9)) else {
                continue;
            };
            let listening = *state == "0A";
            if listening && inode.parse().is_ok_and(|i: u64| inodes.contains(&i)) {
                if let Some(port) = local.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok()) {
                    ports.insert(port);
                }
            }
        }
    }
    Ok(ports)
}
