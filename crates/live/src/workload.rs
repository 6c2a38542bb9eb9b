//! What drives a hunted program between snapshots: built-in HTTP load (loopback only), a
//! user script run once per round, or plain waiting for a program that works on its own.
//!
//! HTTP templates take `{i}` (the request's number, counted across rounds, so keys never
//! repeat), `{rand}` (16 random hex digits) and `{port}` (the port the hunt gave the program).

use std::io::Read;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// Built-in HTTP load: `requests` requests per round, `concurrency` at a time.
#[derive(Debug, Clone)]
pub struct HttpLoad {
    /// URL template; its host must be loopback.
    pub url: String,
    /// HTTP method.
    pub method: String,
    /// Headers, values being templates.
    pub headers: Vec<(String, String)>,
    /// Body template, if any.
    pub body: Option<String>,
    /// Requests per round.
    pub requests: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// What runs in each round.
#[derive(Debug, Clone)]
pub enum Workload {
    /// Built-in HTTP load.
    Http(HttpLoad),
    /// A script (`node FILE` for `.js`, `.mjs`, `.cjs`; else run as is), once per round.
    Script(PathBuf),
    /// Nothing: the program works on its own for this long.
    Wait(Duration),
}

/// What a round did.
#[derive(Debug, Clone, Default)]
pub struct RoundStats {
    /// Requests sent (HTTP load only).
    pub requests: usize,
    /// Requests that failed or got a status of 400 or more.
    pub failed: usize,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
    /// Wall time of the round.
    pub elapsed: Duration,
}

/// The values a round fills templates and the script's environment with.
#[derive(Debug, Clone)]
pub struct RoundContext {
    /// 0 for the warm-up round, then 1, 2, ...
    pub round: usize,
    /// Rounds in all.
    pub rounds: usize,
    /// The port given to the program as `PORT`.
    pub port: u16,
    /// The program's pid.
    pub pid: u32,
}

impl Workload {
    /// Runs one round.
    pub fn run(&self, context: &RoundContext) -> Result<RoundStats> {
        let start = Instant::now();
        let mut stats = match self {
            Workload::Http(load) => load.run(context)?,
            Workload::Script(path) => {
                run_script(path, context)?;
                RoundStats::default()
            }
            Workload::Wait(duration) => {
                crate::sleep(*duration)?;
                RoundStats::default()
            }
        };
        stats.elapsed = start.elapsed();
        Ok(stats)
    }
}

impl HttpLoad {
    /// Checks the URL template before anything starts: http, loopback host.
    pub fn check(&self) -> Result<()> {
        let url = fill(&self.url, 0, 1, "0");
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            anyhow!("--url {}: the built-in load speaks plain http:// only (use --script for more)", self.url)
        })?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
        if authority.contains('@') || !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            bail!("--url {}: the built-in load sends requests to this machine's loopback only (127.0.0.1, localhost, [::1])", self.url);
        }
        Ok(())
    }

    fn run(&self, context: &RoundContext) -> Result<RoundStats> {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .max_idle_connections_per_host(self.concurrency)
            .redirects(0)
            .build();
        let first_index = context.round * self.requests;
        let next = AtomicUsize::new(0);
        let failed = AtomicUsize::new(0);
        let first_failure = Mutex::new(None);
        let port = context.port.to_string();
        std::thread::scope(|scope| {
            for worker in 0..self.concurrency.max(1) {
                let (agent, next, failed, first_failure, port) = (&agent, &next, &failed, &first_failure, &port);
                scope.spawn(move || {
                    let mut random = Random::new(worker as u64);
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= self.requests || crate::check_interrupt().is_err() {
                            break;
                        }
                        if let Err(e) = self.send(agent, first_index + n, &mut random, port) {
                            failed.fetch_add(1, Ordering::Relaxed);
                            first_failure.lock().expect("not poisoned").get_or_insert(e);
                        }
                    }
                });
            }
        });
        crate::check_interrupt()?;
        let stats = RoundStats {
            requests: self.requests,
            failed: failed.into_inner(),
            first_failure: first_failure.into_inner().expect("not poisoned"),
            elapsed: Duration::ZERO,
        };
        if stats.requests > 0 && stats.failed == stats.requests {
            bail!(
                "every request of round {} failed, the first with: {}",
                context.round,
                stats.first_failure.unwrap_or_default()
            );
        }
        Ok(stats)
    }

    fn send(&self, agent: &ureq::Agent, index: usize, random: &mut Random, port: &str) -> Result<(), String> {
        let rand = random.hex();
        let url = fill(&self.url, index, rand, port);
        let mut request = agent.request(&self.method, &url);
        for (name, value) in &self.headers {
            request = request.set(name, &fill(value, index, rand, port));
        }
        let response = match &self.body {
            Some(body) => request.send_string(&fill(body, index, rand, port)),
            None => request.call(),
        };
        match response {
            Ok(response) => {
                // Read the body to the end so the connection is kept for the next request.
                let _ = std::io::copy(&mut response.into_reader().take(64 << 20), &mut std::io::sink());
                Ok(())
            }
            Err(ureq::Error::Status(code, _)) => Err(format!("{} {url}: status {code}", self.method)),
            Err(e) => Err(format!("{} {url}: {e}", self.method)),
        }
    }
}

/// `template` with `{i}`, `{rand}` and `{port}` filled in.
pub fn fill(template: &str, index: usize, rand: impl std::fmt::LowerHex, port: &str) -> String {
    template.replace("{i}", &index.to_string()).replace("{rand}", &format!("{rand:016x}")).replace("{port}", port)
}

fn run_script(path: &PathBuf, context: &RoundContext) -> Result<()> {
    let is_js = path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "js" | "mjs" | "cjs"));
    let mut command = if is_js {
        let mut node = Command::new("node");
        node.arg(path);
        node
    } else {
        Command::new(path)
    };
    // The script's output goes to stderr: stdout carries heaplens's report.
    let to_stderr =
        || std::io::stderr().as_fd().try_clone_to_owned().map(Stdio::from).unwrap_or_else(|_| Stdio::inherit());
    let status = command
        .env("PORT", context.port.to_string())
        .env("HEAPLENS_ROUND", context.round.to_string())
        .env("HEAPLENS_ROUNDS", context.rounds.to_string())
        .env("HEAPLENS_PID", context.pid.to_string())
        .stdin(Stdio::null())
        .stdout(to_stderr())
        .stderr(to_stderr())
        .status()
        .with_context(|| format!("cannot run the script {}", path.display()))?;
    if !status.success() {
        bail!("the script {} failed in round {} ({status})", path.display(), context.round);
    }
    Ok(())
}

/// xorshift64*, seeded from the clock: `{rand}` needs distinct tokens, not secrecy.
struct Random(u64);

impl Random {
    fn new(stream: u64) -> Random {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        Random((nanos ^ (stream.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    fn hex(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
