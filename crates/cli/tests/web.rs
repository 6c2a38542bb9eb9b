//! The web app and the HTML report, end to end: `heaplens serve` on real snapshots of the shared
//! request-cache scenario (and of a process holding hostile strings), driven in headless
//! Chromium by tests/web/ui.mjs; the server's guards checked over raw HTTP; and serve under
//! the load of many concurrent clients on two 10 M-node snapshots (tests/web/load.mjs).
//!
//! Needs playwright-core (HEAPLENS_PLAYWRIGHT, a folder whose node_modules holds it; scripts/test.sh
//! installs it under target/) and Chromium (HEAPLENS_CHROMIUM, default /usr/bin/chromium).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{heaplens, repo, scenarios, temp_dir};

/// The load test measures latencies on a 2-core machine: while it measures, the other tests of
/// this file (Chromium, more servers) wait; they run side by side otherwise.
static MEASURING: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Held by a test while it runs, so that it does not run while the load test measures.
fn not_while_measuring() -> std::sync::RwLockReadGuard<'static, ()> {
    MEASURING.read().unwrap_or_else(|e| e.into_inner())
}

/// A running `heaplens serve`, stopped when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn start(files: &[PathBuf]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_heaplens"))
            .arg("serve")
            .args(files)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("heaplens serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut first).unwrap();
        let url = first.split_whitespace().find(|w| w.starts_with("http://")).expect("serve prints its URL").to_owned();
        Serve { child, url }
    }

    fn port(&self) -> u16 {
        self.url.trim_start_matches("http://127.0.0.1:").split('/').next().unwrap().parse().unwrap()
    }

    fn token(&self) -> &str {
        self.url.split("token=").nth(1).unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the screenshots of each view go (kept for people to look at).
fn shots() -> PathBuf {
    let dir = repo().join("target/web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn node(args: &[&str]) {
    let out = Command::new("node").args(args).output().expect("node runs");
    assert!(out.status.success(), "node {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The request-cache scenario's baseline, target and final snapshots, and a --trace-gc log with
/// major collections in it, in a folder removed when dropped.
fn scenario_files() -> (tempfile::TempDir, Vec<PathBuf>) {
    let temp = temp_dir("web-scenario");
    let dir = temp.path();
    let program = scenarios().join("a-request-cache/server.js");
    node(&[
        "--expose-gc",
        program.to_str().unwrap(),
        "--ops",
        "300",
        "--warmup",
        "300",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let log = dir.join("gc.log");
    let out = Command::new("node")
        .args([
            "--trace-gc",
            "--expose-gc",
            "-e",
            "const a = []; for (let i = 0; i < 3e5; i++) { a.push({ i, s: 'x' + i }); if (i % 1e5 === 0) gc(); }",
        ])
        .output()
        .unwrap();
    std::fs::write(&log, out.stdout).unwrap();
    let mut files: Vec<PathBuf> =
        ["baseline", "target", "final"].iter().map(|n| dir.join(format!("{n}.heapsnapshot"))).collect();
    files.push(log);
    (temp, files)
}

/// Snapshots of a process holding hostile strings, in a folder removed when dropped.
fn hostile_files() -> (tempfile::TempDir, Vec<PathBuf>) {
    let temp = temp_dir("web-hostile");
    let dir = temp.path();
    node(&["--expose-gc", repo().join("tests/web/hostile.js").to_str().unwrap(), dir.to_str().unwrap()]);
    let files = ["1", "2", "3"].iter().map(|n| dir.join(format!("{n}.heapsnapshot"))).collect();
    (temp, files)
}

/// Runs tests/web/ui.mjs in `mode` against `url`.
fn browse(mode: &str, url: &str) {
    let playwright =
        std::env::var("HEAPLENS_PLAYWRIGHT").unwrap_or_else(|_| repo().join("target/web-test").display().to_string());
    assert!(
        Path::new(&playwright).join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed under {playwright} (scripts/test.sh installs it)"
    );
    let out = Command::new("node")
        .arg(repo().join("tests/web/ui.mjs"))
        .args([mode, url, shots().to_str().unwrap()])
        .env("HEAPLENS_PLAYWRIGHT", &playwright)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{mode} in Chromium: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn summary_retainers_leaks_comparison_and_timeline_in_chromium() {
    let _quiet = not_while_measuring();
    let (_dir, files) = scenario_files();
    let serve = Serve::start(&files);
    browse("app", &serve.url);
}

#[test]
fn heap_strings_show_as_text_and_never_run() {
    let _quiet = not_while_measuring();
    let (dir, files) = hostile_files();
    let serve = Serve::start(&files);
    browse("hostile", &serve.url);
    let report = dir.path().join("hostile.html");
    let mut args = vec!["report".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.extend(["-o".to_owned(), report.display().to_string()]);
    let out = heaplens(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.contains("<img src=x"), "the report escapes heap strings");
    assert!(!html.contains("</script><script>"), "the report escapes heap strings");
    browse("report", &format!("file://{}", report.display()));
}

#[test]
fn leaks_writes_a_self_contained_report() {
    let _quiet = not_while_measuring();
    let (dir, files) = scenario_files();
    let report = dir.path().join("request-cache.html");
    let mut args = vec!["leaks".to_owned(), "--report".to_owned(), report.display().to_string()];
    args.extend(files[..3].iter().map(|f| f.display().to_string()));
    let out = heaplens(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    for outside in ["src=\"http", "href=\"http", "src=\"/", "url(", "@import", "<script", "<link"] {
        assert!(!html.contains(outside), "the report loads nothing from outside: found {outside}");
    }
    assert!(html.contains("QuoteResponse") && html.contains("responseCache"));
    browse("report", &format!("file://{}", report.display()));
}

/// A raw HTTP GET: the status code.
fn status(port: u16, target: &str, host: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_server_wants_its_token_and_its_own_host_name() {
    let _quiet = not_while_measuring();
    let (_dir, files) = hostile_files();
    let serve = Serve::start(&files[..1]);
    assert!(serve.url.starts_with("http://127.0.0.1:"), "loopback only: {}", serve.url);
    let (port, token) = (serve.port(), serve.token().to_owned());
    let host = format!("127.0.0.1:{port}");
    assert_eq!(status(port, &format!("/api/status?token={token}"), &host), 200);
    assert_eq!(status(port, &format!("/?token={token}"), &format!("localhost:{port}")), 200);
    assert_eq!(status(port, "/api/status", &host), 403, "no token");
    assert_eq!(status(port, "/api/status?token=0123", &host), 403, "wrong token");
    assert_eq!(status(port, "/", &host), 403, "the page too needs the token");
    assert_eq!(
        status(port, &format!("/api/status?token={token}"), &format!("attacker.example:{port}")),
        403,
        "rebinding"
    );
    assert_eq!(status(port, &format!("/api/nodes?token={token}"), &host), 404);
    assert_eq!(status(port, &format!("/api/summary?token={token}&s=9"), &host), 409);
}

#[test]
fn serve_refuses_a_file_it_cannot_show_with_exit_code_2() {
    let _quiet = not_while_measuring();
    let dir = temp_dir("web-bad");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello\n").unwrap();
    let out = heaplens(&["serve", text.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("notes.txt") && stderr.lines().count() == 1, "{stderr}");
}

/// The process's resident set, in KiB (from /proc).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A GET of `target` on 127.0.0.1:`port`: the response's body.
fn body(port: u16, target: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

#[test]
fn serve_holds_under_concurrent_clients_on_two_10m_node_snapshots() {
    // Two generated snapshots of about 10 M nodes each (bench/gen-big.js, as bench/web.sh uses).
    let dir = temp_dir("web-load");
    let files: Vec<PathBuf> = [("a", "450", "42"), ("b", "460", "7")]
        .iter()
        .map(|(name, megabytes, seed)| {
            let file = dir.path().join(format!("{name}.heapsnapshot"));
            node(&[
                "--expose-gc",
                "--max-old-space-size=16384",
                repo().join("bench/gen-big.js").to_str().unwrap(),
                megabytes,
                file.to_str().unwrap(),
                "--seed",
                seed,
            ]);
            file
        })
        .collect();
    let _measuring = MEASURING.write().unwrap_or_else(|e| e.into_inner());
    let serve = Serve::start(&files);
    let status = format!("/api/status?token={}", serve.token());
    let prepared = (0..600).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(500));
        body(serve.port(), &status).contains("\"prepared\":true")
    });
    assert!(prepared, "serve loads both snapshots and computes its views ahead: {}", body(serve.port(), &status));
    let nodes: serde_json::Value = serde_json::from_str(&body(serve.port(), &status)).unwrap();
    for snapshot in nodes["snapshots"].as_array().unwrap() {
        assert!(snapshot["figures"]["node_count"].as_u64().unwrap() > 9_000_000, "{snapshot}");
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    let idle = rss_kib(serve.pid());
    // The server's resident set while the clients run, sampled every 50 ms.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (done, pid) = (done.clone(), serve.pid());
        std::thread::spawn(move || {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(rss_kib(pid));
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            most
        })
    };
    let out = Command::new("node")
        .arg(repo().join("tests/web/load.mjs"))
        .args([&serve.url, "--clients", "16", "--requests", "4000"])
        .output()
        .expect("node runs");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let most = sampler.join().unwrap();
    assert!(out.status.success(), "load.mjs: {}", String::from_utf8_lossy(&out.stderr));
    let load: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("serve under load: idle RSS {} MiB, at most {} MiB while loaded; {load:#}", idle >> 10, most >> 10);
    assert_eq!(load["requests"], 4000, "{load:#}");
    assert_eq!(load["failures"], 0, "no request fails: {load:#}");
    assert!(most * 10 <= idle * 12, "RSS {most} KiB under load, over 1.2x its idle {idle} KiB");
    let p99 = load["computed_views"]["p99_ms"].as_f64().unwrap();
    assert!(p99 < 50.0, "p99 of the views computed ahead is {p99:.1} ms: {load:#}");
    for (name, refusal) in load["refusals"].as_object().unwrap() {
        assert_eq!(refusal["statuses"], serde_json::json!([refusal["expected"]]), "{name}: {refusal}");
        assert!(refusal["count"].as_u64().unwrap() > 10, "{name}: {refusal}");
        // Quickly, as the views are answered: p95, as a few dozen of each leave p99 one sample.
        let (p50, p95) = (refusal["p50_ms"].as_f64().unwrap(), refusal["p95_ms"].as_f64().unwrap());
        assert!(p50 < 50.0 && p95 < 250.0, "{name} is refused quickly: {refusal}");
    }
}
