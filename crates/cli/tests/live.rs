//! heaplens on live Node processes: real programs under every Node version in HEAPLENS_NODES,
//! their real inspector, reached by pid (SIGUSR1), port and URL; snapshots, series, allocation
//! timelines, watching, profiling, and whole hunts on heaplens' example service and on the
//! shared leak scenarios.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::Value;

/// Tests that open an inspector with SIGUSR1 share Node's default port 9229: one at a time.
static DEFAULT_PORT: Mutex<()> = Mutex::new(());
static RUNS: AtomicUsize = AtomicUsize::new(0);

/// A Node program the test started; killed when dropped.
struct Running {
    child: Child,
    inspector_port: Option<u16>,
    /// The folder of the program's source, removed with it.
    _source: tempfile::TempDir,
}

impl Running {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `node [--inspect=127.0.0.1:0] PROGRAM` with `source` as the program, and waits until
/// it prints `ready` (and, with `inspect`, announces its inspector port).
fn start(node: &str, source: &str, inspect: bool) -> Running {
    let source_dir = temp_dir("program");
    let program = source_dir.path().join("program.js");
    std::fs::write(&program, source).unwrap();
    let mut command = Command::new(node);
    if inspect {
        command.arg("--inspect=127.0.0.1:0");
    }
    let mut child = command.arg(&program).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("node starts");
    let (lines, received) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
    }
    let (mut ready, mut port) = (false, None);
    while !ready || (inspect && port.is_none()) {
        let line = received.recv_timeout(Duration::from_secs(20)).expect("the program starts");
        ready |= line == "ready";
        if let Some(rest) = line.strip_prefix("Debugger listening on ws://127.0.0.1:") {
            port = rest.split('/').next().and_then(|p| p.parse().ok());
        }
    }
    Running { child, inspector_port: port, _source: source_dir }
}

/// A program holding 1000 `LiveMarker`s and nothing that grows.
const HOLDER: &str = r#"
class LiveMarker { constructor(i) { this.i = i; } }
globalThis.kept = Array.from({ length: 1000 }, (_, i) => new LiveMarker(i));
setInterval(() => {}, 1000);
console.log('ready');
"#;

/// A program that keeps 2000 more `Reading`s every 100 ms (about 1.3 MB/s).
const GROWER: &str = r#"
class Reading { constructor(i) { this.i = i; this.values = [i, i + 1, i + 2]; } }
globalThis.readings = [];
let n = 0;
setInterval(() => { for (let k = 0; k < 2000; k++) globalThis.readings.push(new Reading(n++)); }, 100);
console.log('ready');
"#;

/// A program that allocates as much as GROWER but keeps only the last 2000.
const PLATEAU: &str = r#"
class Reading { constructor(i) { this.i = i; this.values = [i, i + 1, i + 2]; } }
let recent = [];
let n = 0;
setInterval(() => { recent = []; for (let k = 0; k < 2000; k++) recent.push(new Reading(n++)); }, 100);
console.log('ready');
"#;

/// A program whose `buildRecord` allocates objects it keeps.
const ALLOCATOR: &str = r#"
const records = [];
function buildRecord(i) {
  return { id: i, name: 'record-' + i, tags: ['a', 'b', String(i)] };
}
let n = 0;
setInterval(() => { for (let k = 0; k < 3000; k++) records.push(buildRecord(n++)); }, 50);
console.log('ready');
"#;

fn inspector_listens(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Runs heaplens with `args` in the background, lets `after` pass, then acts on it with
/// `event` (a Ctrl-C, killing its target): the output once it ends, which must be a success.
fn run_until(args: &[&str], after: Duration, event: impl FnOnce(u32)) -> std::process::Output {
    let child = Command::new(env!("CARGO_BIN_EXE_heaplens"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    event(child.id());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn ctrl_c(pid: u32) {
    Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
}

fn run_ok(args: &[&str]) -> String {
    let out = heaplens(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail: exit 2, no output on stdout, and the error on one line
/// (the last of stderr; `hunt` reports its steps on the lines before).
fn run_err(args: &[&str]) -> String {
    let out = heaplens(args);
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "{args:?} printed {}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.trim().lines().collect();
    assert!(args[0] == "hunt" || lines.len() == 1, "one line: {stderr}");
    lines.last().unwrap().to_string()
}

fn class_count(file: &Path, class: &str) -> u64 {
    let pattern = format!("^{class}$");
    let summary = ok_json(&["summary", file.to_str().unwrap(), "--json", "--class", &pattern]);
    summary["classes"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn snapshot_by_pid_on_every_node_version_closes_the_inspector_it_opened() {
    let _port = DEFAULT_PORT.lock().unwrap_or_else(|e| e.into_inner());
    for node in nodes() {
        let version = version(&node);
        let mut program = start(&node, HOLDER, false);
        let dir_temp = temp_dir("pid");
        let dir = dir_temp.path();
        let file = dir.join("holder.heapsnapshot");
        let pid = program.pid().to_string();
        let printed = run_ok(&["snapshot", "--pid", &pid, "-o", file.to_str().unwrap()]);
        assert!(printed.contains(&format!("of pid {pid} (Node {version})")), "{version}: {printed}");
        assert_eq!(mode(&file), 0o600, "{version}: snapshots are owner-only");
        assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1, "{version}: no .part file is left");
        assert_eq!(class_count(&file, "LiveMarker"), 1000, "{version}");
        assert!(program.alive(), "{version}: the program survives");
        assert!(!inspector_listens(9229), "{version}: the inspector heaplens opened is closed again");
    }
}

#[test]
fn a_series_in_one_session_feeds_the_leak_finder() {
    let _port = DEFAULT_PORT.lock().unwrap_or_else(|e| e.into_inner());
    let program = start("node", GROWER, false);
    let dir_temp = temp_dir("series");
    let dir = dir_temp.path().join("snapshots");
    let pid = program.pid().to_string();
    let printed = run_ok(&["snapshot", "--pid", &pid, "--count", "3", "--every", "1", "-o", dir.to_str().unwrap()]);
    assert_eq!(printed.lines().count(), 3, "{printed}");
    assert_eq!(mode(&dir), 0o700);
    let report = ok_json(&["leaks", dir.to_str().unwrap(), "--json"]);
    assert_eq!(report["verdict"], "leak", "{report:#}");
    let group = &report["groups"][0];
    assert_eq!(group["primary_class"], "Reading");
    assert!(group["container"]["name"].as_str().unwrap().contains("readings"), "{group:#}");
    assert!(!inspector_listens(9229));

    // Three separate sessions: V8 renumbers its objects as each ends, and the leak finder
    // must refuse the series rather than compare unrelated objects.
    let separate_temp = temp_dir("separate");
    let separate = separate_temp.path();
    for _ in 0..3 {
        run_ok(&[
            "snapshot",
            "--pid",
            &pid,
            "-o",
            separate.join(format!("{}.heapsnapshot", RUNS.fetch_add(1, Ordering::Relaxed))).to_str().unwrap(),
        ]);
        std::thread::sleep(Duration::from_millis(500));
    }
    let mut files: Vec<String> =
        std::fs::read_dir(separate).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    files.sort_by_key(|f| std::fs::metadata(f).unwrap().modified().unwrap());
    let mut args = vec!["leaks"];
    args.extend(files.iter().map(String::as_str));
    let message = run_err(&args);
    assert!(message.contains("renumbered"), "{message}");
}

#[test]
fn an_inspector_opened_by_the_user_stays_open() {
    let node = nodes().pop().unwrap();
    let program = start(&node, HOLDER, true);
    let port = program.inspector_port.unwrap();
    let dir_temp = temp_dir("port");
    let dir = dir_temp.path();
    let by_port = dir.join("by-port.heapsnapshot");
    run_ok(&["snapshot", "--port", &port.to_string(), "-o", by_port.to_str().unwrap(), "--no-gc"]);
    assert_eq!(class_count(&by_port, "LiveMarker"), 1000);
    let http = format!("http://127.0.0.1:{port}");
    let by_url = dir.join("by-url.heapsnapshot");
    run_ok(&["snapshot", "--url", &http, "-o", by_url.to_str().unwrap(), "--expose-internals"]);
    assert_eq!(class_count(&by_url, "LiveMarker"), 1000);
    assert!(inspector_listens(port), "heaplens did not open this inspector, so it leaves it open");
}

#[test]
fn track_allocations_writes_a_timeline_with_allocation_stacks_on_every_node_version() {
    for node in nodes() {
        let version = version(&node);
        let program = start(&node, ALLOCATOR, true);
        let dir_temp = temp_dir("timeline");
        let dir = dir_temp.path();
        let file = dir.join("allocations.heaptimeline");
        let port = program.inspector_port.unwrap().to_string();
        run_ok(&["snapshot", "--port", &port, "--track-allocations", "--duration", "1", "-o", file.to_str().unwrap()]);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("\"trace_function_infos\":[]"), "{version}: the timeline records allocation stacks");
        assert!(text.contains("buildRecord"), "{version}");
        assert_eq!(mode(&file), 0o600);
        run_ok(&["summary", file.to_str().unwrap()]);
    }
}

/// `watch --json` for 6 s, forcing a GC every half second: the samples and the verdict.
fn watch(program: &Running, chart: &Path) -> (Vec<Value>, Value) {
    let port = program.inspector_port.unwrap().to_string();
    let printed = run_ok(&[
        "watch",
        "--port",
        &port,
        "--interval",
        "0.25",
        "--gc-every",
        "0.5",
        "--duration",
        "6",
        "--json",
        "--chart",
        chart.to_str().unwrap(),
    ]);
    let mut lines: Vec<Value> = printed.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let last = lines.pop().unwrap();
    (lines, last)
}

#[test]
fn watch_tells_a_growing_heap_from_a_plateau() {
    let dir_temp = temp_dir("watch");
    let dir = dir_temp.path();
    let growing = start("node", GROWER, true);
    let steady = start("node", PLATEAU, true);
    let (samples, verdict) = watch(&growing, &dir.join("growing.svg"));
    assert!(samples.len() >= 15, "{} samples", samples.len());
    assert!(samples.iter().filter(|s| s["sample"]["after_gc"] == true).count() >= 8);
    assert!(samples.iter().all(|s| s["sample"]["rss"].as_u64().unwrap() > s["sample"]["heap_used"].as_u64().unwrap()));
    assert_eq!(verdict["verdict"]["state"], "growing", "{verdict:#}");
    assert!(verdict["verdict"]["slope_mb_per_min"].as_f64().unwrap() > 10.0, "{verdict:#}");
    let (_, verdict) = watch(&steady, &dir.join("steady.svg"));
    assert_eq!(verdict["verdict"]["state"], "steady", "{verdict:#}");
    let chart = std::fs::read_to_string(dir.join("growing.svg")).unwrap();
    assert!(chart.starts_with("<svg") && chart.contains("heap after GC") && chart.contains("growing"));
}

#[test]
fn profile_names_the_code_whose_allocations_stay_alive_on_every_node_version() {
    for node in nodes() {
        let version = version(&node);
        let program = start(&node, ALLOCATOR, true);
        let dir_temp = temp_dir("profile");
        let dir = dir_temp.path();
        let flame = dir.join("flame.svg");
        let port = program.inspector_port.unwrap().to_string();
        let report = ok_json(&[
            "profile",
            "--port",
            &port,
            "--duration",
            "2",
            "--json",
            "--top",
            "1000",
            "--flame-graph",
            flame.to_str().unwrap(),
        ]);
        // The records stay alive: buildRecord allocates them, or the timer callback when V8
        // inlined buildRecord into it; either way the program's own line comes first.
        let top = &report["functions"][0];
        let location = top["location"].as_str().unwrap();
        assert!(
            location.ends_with("program.js:3:21") || location.ends_with("program.js:7:13"),
            "{version}: {report:#}"
        );
        assert!(top["self_bytes"].as_u64().unwrap() > 500_000, "{version}: {top}");
        assert!(
            report["functions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["function"] == "listOnTimeout" && f["total_bytes"].as_u64() > Some(500_000)),
            "{version}"
        );
        let svg = std::fs::read_to_string(&flame).unwrap();
        assert!(svg.contains("<svg") && svg.contains("program.js"), "{version}");
    }
}

#[test]
fn live_errors_are_one_line_and_exit_2() {
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = sleeper.id().to_string();
    let message = run_err(&["snapshot", "--pid", &pid]);
    assert!(message.contains("not Node.js"), "{message}");
    assert!(sleeper.try_wait().unwrap().is_none(), "heaplens did not signal a non-Node process");
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let message = run_err(&["snapshot", "--pid", &pid]);
    assert!(message.contains(&format!("no process has pid {pid}")), "{message}");
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let message = run_err(&["watch", "--port", &free, "--duration", "1"]);
    assert!(message.contains("no inspector answers"), "{message}");
    let message = run_err(&["snapshot", "--url", "ftp://example"]);
    assert!(message.contains("ws://"), "{message}");
    let message = run_err(&["hunt", "--url", "http://example.com/{i}", "--", "node", "-e", "0"]);
    assert!(message.contains("loopback"), "{message}");
    let message = run_err(&["hunt", "--url", "http://127.0.0.1:80@example.com/{i}", "--", "node", "-e", "0"]);
    assert!(message.contains("loopback"), "{message}");
    let ended = temp_dir("ended");
    let out = ended.path().display().to_string();
    let message = run_err(&["hunt", "--every", "1", "--out", &out, "--", "node", "-e", "console.log('bye')"]);
    // Node either exits before heaplens attaches or waits for the inspector to let go.
    assert!(
        (message.contains("ran to its end") || message.contains("exited (code 0)")) && message.contains("bye"),
        "{message}"
    );
    let message = run_err(&["hunt", "--every", "1", "--out", &out, "--", "node", "-e", "process.exit(3)"]);
    assert!(message.contains("exited (code 3)") || message.contains("ran to its end"), "{message}");
}

/// `heaplens hunt --json --fail-on-leak ARGS -- CMD...`: the report and the exit code.
fn hunt(args: &[&str], command: &[&str]) -> (Value, i32, tempfile::TempDir) {
    let out_dir_temp = temp_dir("hunt");
    let out_dir = out_dir_temp.path();
    let mut all: Vec<&str> = vec!["hunt", "--json", "--fail-on-leak", "--out", out_dir.to_str().unwrap()];
    all.extend(args);
    all.push("--");
    all.extend(command);
    let out = heaplens(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{all:?}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap(), out_dir_temp)
}

#[test]
fn hunt_finds_the_example_services_leak_on_every_node_version() {
    let service = repo().join("examples/hunt/rate-limited-api.js");
    for node in nodes() {
        let version = version(&node);
        let url = "http://127.0.0.1:{port}/items?client=c{i}";
        let (report, code, dir) = hunt(&["--url", url, "--requests", "500"], &[&node, service.to_str().unwrap()]);
        assert_eq!(code, 1, "{version}: --fail-on-leak exits 1 on a leak");
        let group = &report["groups"][0];
        assert_eq!(group["primary_class"], "ClientWindow", "{version}: {report:#}");
        assert_eq!(group["container"]["name"], "windows", "{version}");
        let added = added_counts(group, "ClientWindow");
        assert_eq!(added, [500, 500], "{version}: every request's window, counted exactly");
        let snapshots: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "heapsnapshot"))
            .collect();
        assert_eq!(snapshots.len(), 3);
        assert!(snapshots.iter().all(|p| mode(p) == 0o600));
        let log = std::fs::read_to_string(dir.path().join("program.log")).unwrap();
        assert!(log.contains("catalog-api listening"), "{version}: {log}");
    }
    // A launcher that is not node itself, and runs one Node process before the app (as npm
    // does): Node gets the inspector through NODE_OPTIONS, the hunt attaches to the last Node
    // to announce one, and stopping the hunt stops the whole process group.
    let shell = format!(
        "node -e 'setInterval(() => {{}}, 1000)' --marker=hunt-through-a-shell & sleep 0.5; \
         node {} --marker=hunt-through-a-shell; echo done",
        service.display()
    );
    let (report, code, _) =
        hunt(&["--url", "http://127.0.0.1:{port}/items?client=c{i}", "--requests", "300"], &["bash", "-c", &shell]);
    assert_eq!(code, 1);
    assert_eq!(report["groups"][0]["primary_class"], "ClientWindow");
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&ps.stdout).contains("--marker=hunt-through-a-shell"), "the service was stopped");
}

#[test]
fn hunt_on_the_shared_scenario_services() {
    let scenarios = scenarios();
    let service = repo().join("examples/hunt/scenario-service.js");
    let serve = |name: &str| {
        vec![
            "node".to_owned(),
            service.display().to_string(),
            scenarios.join(name).join("server.js").display().to_string(),
        ]
    };
    let command = serve("a-request-cache");
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let url = "http://127.0.0.1:{port}/quote?customer=cust-{i}&seed={i}";
    let (report, code, _) = hunt(&["--url", url, "-H", "x-request-id: req-{rand}-{i}", "--requests", "300"], &command);
    assert_eq!(code, 1);
    assert_eq!(report["groups"][0]["primary_class"], "QuoteResponse", "{report:#}");
    assert_eq!(report["groups"][0]["container"]["name"], "responseCache");

    let command = serve("h-control-lru");
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let (report, code, _) =
        hunt(&["--url", "http://127.0.0.1:{port}/images/img-{i}-{rand}", "--requests", "300"], &command);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "no leak");

    // Two requests per operation, the second using the first's answer: a script drives it.
    let driver_temp = temp_dir("driver");
    let driver = driver_temp.path().join("presence.js");
    std::fs::write(
        &driver,
        r#"
const base = `http://127.0.0.1:${process.env.PORT}`;
(async () => {
  const round = Number(process.env.HEAPLENS_ROUND);
  for (let i = 0; i < 300; i++) {
    const user = `u${round * 300 + i}`;
    const sid = await (await fetch(`${base}/connect?user=${user}`, { method: 'POST' })).text();
    await (await fetch(`${base}/disconnect?sid=${sid}`, { method: 'POST' })).text();
  }
})().catch((e) => { console.error(e); process.exit(1); });
"#,
    )
    .unwrap();
    let command = serve("d-uncleared-intervals");
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let (report, code, _) = hunt(&["--script", driver.to_str().unwrap(), "--rounds", "4"], &command);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["snapshots"].as_array().unwrap().len(), 4);
    assert_eq!(report["groups"][0]["primary_class"], "PresenceSession", "{report:#}");
    assert_eq!(report["groups"][0]["pattern"]["id"], "timer");
}

#[test]
fn ctrl_c_ends_a_watch_with_its_verdict_and_closes_the_inspector() {
    let _port = DEFAULT_PORT.lock().unwrap_or_else(|e| e.into_inner());
    let mut program = start("node", HOLDER, false);
    let chart_temp = temp_dir("ctrl-c");
    let chart = chart_temp.path().join("watch.svg");
    let pid = program.pid().to_string();
    let args = ["watch", "--pid", &pid, "--interval", "0.2", "--gc-every", "0.4", "--chart", chart.to_str().unwrap()];
    let out = run_until(&args, Duration::from_secs(3), ctrl_c);
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.lines().filter(|l| l.contains("after GC")).count() >= 3, "{printed}");
    let verdict = printed.lines().rev().nth(1).unwrap();
    assert!(verdict.starts_with("STEADY: ") || verdict.starts_with("UNKNOWN: "), "{printed}");
    assert!(chart.is_file());
    assert!(program.alive());
    assert!(!inspector_listens(9229), "Ctrl-C still closes the inspector heaplens opened");
}

#[test]
fn a_process_of_another_user_is_refused() {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !root || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run heaplens as another user");
        return;
    }
    let mut program = start("node", HOLDER, false);
    let out = Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_heaplens"), "snapshot", "--pid"])
        .arg(program.pid().to_string())
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(message.contains("belongs to another user"), "{message}");
    assert!(program.alive());
}

/// A program that grows for a second and a half, then exits.
const SHORT_LIVED: &str = r#"
globalThis.keep = [];
setInterval(() => { for (let i = 0; i < 1000; i++) globalThis.keep.push({ i }); }, 100);
setTimeout(() => process.exit(0), 1500);
console.log('ready');
"#;

#[test]
fn a_watch_ends_with_its_samples_when_the_process_goes_away() {
    for node in nodes() {
        let version = version(&node);
        // The program exits: Node stops answering and waits for the session to close.
        let mut program = start(&node, SHORT_LIVED, true);
        let port = program.inspector_port.unwrap().to_string();
        let chart_temp = temp_dir("gone");
        let chart = chart_temp.path().join("watch.svg");
        let printed =
            run_ok(&["watch", "--port", &port, "--interval", "0.2", "--json", "--chart", chart.to_str().unwrap()]);
        let last: Value = serde_json::from_str(printed.lines().last().unwrap()).unwrap();
        assert!(last["lost"].as_str().unwrap().contains("program has ended"), "{version}: {last}");
        assert!(last["samples"].as_u64().unwrap() >= 3, "{version}: {last}");
        assert!(chart.is_file());
        std::thread::sleep(Duration::from_millis(500));
        assert!(!program.alive(), "{version}: once heaplens lets go, the program exits");
    }
    // The process is killed outright (as by the OOM killer).
    let mut program = start("node", HOLDER, true);
    let port = program.inspector_port.unwrap().to_string();
    let chart_temp = temp_dir("killed");
    let chart = chart_temp.path().join("watch.svg");
    let args = ["watch", "--port", &port, "--interval", "0.2", "--json", "--chart", chart.to_str().unwrap()];
    let out = run_until(&args, Duration::from_secs(1), |_| program.child.kill().unwrap());
    let printed = String::from_utf8(out.stdout).unwrap();
    let last: Value = serde_json::from_str(printed.lines().last().unwrap()).unwrap();
    assert!(!last["lost"].is_null(), "{last}");
}

#[test]
fn ctrl_c_ends_a_profile_early_and_still_reports_it() {
    let program = start("node", ALLOCATOR, true);
    let port = program.inspector_port.unwrap().to_string();
    let flame_temp = temp_dir("profile-ctrl-c");
    let flame = flame_temp.path().join("flame.svg");
    let args = ["profile", "--port", &port, "--duration", "60", "--json", "--flame-graph", flame.to_str().unwrap()];
    let out = run_until(&args, Duration::from_secs(2), ctrl_c);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["functions"][0]["self_bytes"].as_u64().unwrap() > 100_000, "{report:#}");
    assert!(flame.is_file());
}

#[test]
fn hunt_drives_a_service_on_ipv6_loopback() {
    let program_temp = temp_dir("ipv6");
    let program = program_temp.path().join("service.js");
    std::fs::write(
        &program,
        r#"
const http = require('node:http');
const kept = [];
class Entry { constructor(url) { this.url = url; this.at = Date.now(); } }
http.createServer((req, res) => { kept.push(new Entry(req.url)); res.end('ok'); }).listen(Number(process.env.PORT), '::1');
"#,
    )
    .unwrap();
    let (report, code, _) =
        hunt(&["--url", "http://[::1]:{port}/entry/{i}", "--requests", "500"], &["node", program.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["groups"][0]["primary_class"], "Entry");
    assert_eq!(report["groups"][0]["container"]["name"], "kept");
}

/// A program with a heap large enough (about 100 MB of snapshot) that writing its snapshot
/// takes a few seconds.
const BIG: &str = r#"
const kept = [];
for (let i = 0; i < 5e5; i++) kept.push({ i, name: 'item-' + i, tags: [i, i + 1] });
setInterval(() => kept.push({ i: kept.length }), 100);
console.log('ready');
"#;

/// Waits up to `limit` for `done`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The names in `dir` that end with `.part`.
fn part_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".part"))
        .collect()
}

#[test]
fn a_snapshot_interrupted_mid_capture_leaves_nothing_behind() {
    let program = start("node", BIG, true);
    let port = program.inspector_port.unwrap().to_string();
    for (signal, times) in [("INT", 1), ("TERM", 1), ("INT", 2), ("TERM", 2)] {
        let dir = temp_dir("interrupted");
        let file = dir.path().join("big.heapsnapshot");
        let mut capture = Command::new(env!("CARGO_BIN_EXE_heaplens"))
            .args(["snapshot", "--port", &port, "--no-gc", "-o", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let part = dir.path().join("big.heapsnapshot.part");
        // V8 may still be writing the snapshot the previous round interrupted (for no one) before
        // it takes this one; with the other tests running beside it, that took over a minute.
        // A capture that ends before it is interrupted fails here at once, saying why.
        let streaming = wait_for(Duration::from_secs(180), || {
            part.metadata().is_ok_and(|m| m.len() > 0) || capture.try_wait().unwrap().is_some()
        });
        if let Some(status) = capture.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut capture.stderr.take().unwrap(), &mut stderr).unwrap();
            panic!("SIG{signal}: the capture ended ({status}) before it was interrupted: {stderr}");
        }
        assert!(streaming, "SIG{signal}: the capture starts writing within 180 s");
        for _ in 0..times {
            Command::new("kill").args([&format!("-{signal}"), &capture.id().to_string()]).status().unwrap();
            std::thread::sleep(Duration::from_millis(30));
        }
        let status = capture.wait().unwrap();
        assert!(!status.success(), "SIG{signal} x{times}: an interrupted capture is not a success");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "SIG{signal} x{times}: no .part file and no partial snapshot: {left:?}");
    }
    drop(program);
}

#[test]
fn a_hunt_interrupted_mid_capture_keeps_only_its_finished_snapshots() {
    let source = temp_dir("hunt-big");
    let script = source.path().join("big.js");
    std::fs::write(&script, BIG).unwrap();
    for signal in ["INT", "TERM"] {
        let out = temp_dir("hunt-interrupted");
        let hunt = Command::new(env!("CARGO_BIN_EXE_heaplens"))
            .args(["hunt", "--every", "0.2", "--settle", "0", "--rounds", "3", "--out", out.path().to_str().unwrap()])
            .args(["--", "node", script.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Interrupt while the second snapshot is being written.
        let snapshots = |dir: &Path| {
            std::fs::read_dir(dir)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".heapsnapshot"))
                .count()
        };
        let second =
            wait_for(Duration::from_secs(120), || snapshots(out.path()) == 1 && !part_files(out.path()).is_empty());
        assert!(second, "SIG{signal}: the hunt writes its second snapshot");
        Command::new("kill").args([&format!("-{signal}"), &hunt.id().to_string()]).status().unwrap();
        let done = hunt.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(!done.status.success(), "SIG{signal}: {stderr}");
        assert_eq!(part_files(out.path()), Vec::<String>::new(), "SIG{signal}: {stderr}");
        assert_eq!(snapshots(out.path()), 1, "SIG{signal}: the finished snapshot stays: {stderr}");
        let pid: u32 = stderr
            .split("started pid ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the hunt names its program: {stderr}"));
        let stopped = wait_for(Duration::from_secs(10), || !Path::new(&format!("/proc/{pid}")).exists());
        assert!(stopped, "SIG{signal}: the hunt stops the program it started");
    }
}
