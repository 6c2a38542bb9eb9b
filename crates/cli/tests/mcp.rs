//! `heaplens mcp`, the MCP server for coding agents, end to end: driven by the official MCP
//! TypeScript SDK's client as agents' hosts drive it (tests/mcp/client.mjs) on a real leaking
//! series, and over the raw protocol for what a client library never sends: malformed messages,
//! every protocol version, signals, and the live tools on real Node processes.
//!
//! Needs @modelcontextprotocol/sdk (HEAPLENS_MCP_SDK, a folder whose node_modules holds it;
//! scripts/test.sh installs it under target/).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{heaplens, repo, temp_dir};
use serde_json::{json, Value};

/// How long the server may take to answer one message.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// Writes a series of examples/leaks/audit-array.js (a leak) into `dir`, oldest first.
fn audit_series(dir: &Path) -> Vec<PathBuf> {
    let script = repo().join("examples/leaks/audit-array.js");
    let out = Command::new("node")
        .args(["--expose-gc", script.to_str().unwrap(), "--out", dir.to_str().unwrap()])
        .args(["--ops", "300", "--warmup", "100"])
        .output()
        .expect("node runs");
    assert!(out.status.success(), "audit-array.js: {}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    files
}

/// What the CLI prints for `args`: stdout when it succeeds, else its one-line error without
/// the `heaplens: ` prefix.
fn cli(args: &[&str]) -> String {
    let out = heaplens(args);
    if out.status.success() {
        String::from_utf8(out.stdout).unwrap()
    } else {
        let message = String::from_utf8(out.stderr).unwrap();
        message.trim_end().strip_prefix("heaplens: ").unwrap_or_else(|| panic!("{args:?}: {message}")).to_owned()
    }
}

fn cli_json(args: &[&str]) -> Value {
    serde_json::from_str(&cli(args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn an_agent_host_finds_a_leak_follows_it_up_and_survives_bad_input() {
    let sdk =
        std::env::var("HEAPLENS_MCP_SDK").unwrap_or_else(|_| repo().join("target/mcp-test").display().to_string());
    assert!(
        Path::new(&sdk).join("node_modules/@modelcontextprotocol/sdk").is_dir(),
        "@modelcontextprotocol/sdk is not installed under {sdk} (scripts/test.sh installs it)"
    );
    let temp = temp_dir("mcp");
    let series = temp.path().join("series");
    let files = audit_series(&series);
    let last = files.last().unwrap().to_str().unwrap();
    let corrupt = temp.path().join("corrupt.heapsnapshot");
    std::fs::write(&corrupt, &std::fs::read(last).unwrap()[..4096]).unwrap();
    let missing = temp.path().join("missing.heapsnapshot");
    let (corrupt, missing) = (corrupt.to_str().unwrap(), missing.to_str().unwrap());
    let out = Command::new("node")
        .arg(repo().join("tests/mcp/client.mjs"))
        .args([env!("CARGO_BIN_EXE_heaplens"), series.to_str().unwrap(), last, corrupt, missing])
        .env("HEAPLENS_MCP_SDK", &sdk)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "the SDK's client: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).expect("the client's transcript");
    assert_eq!(got["server"]["name"], "heaplens");

    let names: Vec<&str> = got["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["find_leaks", "summary", "diff", "retainers", "path", "show", "take_snapshot", "hunt"]);
    for tool in got["tools"].as_array().unwrap() {
        assert_eq!(tool["input"]["type"], "object", "{}", tool["name"]);
        assert_eq!(tool["output"]["type"], "object", "{}", tool["name"]);
    }
    let retainers_schema = &got["tools"][3]["input"];
    assert_eq!(retainers_schema["required"], json!(["path", "node_id"]), "{retainers_schema:#}");

    // find_leaks answers with `heaplens leaks`'s text and `leaks --json`'s report.
    let leaks = &got["find_leaks"];
    assert_eq!(leaks["isError"], false, "{leaks:#}");
    let series_dir = series.to_str().unwrap();
    assert_eq!(leaks["structured"], cli_json(&["leaks", series_dir, "--json"]));
    assert_eq!(leaks["structured"]["verdict"], "leak");
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let expected = format!(
        "Snapshots in time order: {} (node ids are the last one's)\n\n{}",
        names.join(", "),
        cli(&["leaks", series_dir])
    );
    assert_eq!(leaks["text"], expected);

    // The follow-up on the example the report names: the CLI's Retainers, from memory.
    let id = format!("@{}", got["example"]);
    for retainers in [&got["retainers"], &got["retainers_by_text_id"]] {
        assert_eq!(retainers["isError"], false, "{retainers:#}");
        assert_eq!(retainers["structured"], cli_json(&["retainers", last, &id, "--json"]));
        assert_eq!(retainers["text"], cli(&["retainers", last, &id]));
    }
    eprintln!(
        "find_leaks round trip {:.3} s, retainers follow-up {:.3} s",
        leaks["seconds"].as_f64().unwrap(),
        got["retainers"]["seconds"].as_f64().unwrap()
    );

    // Bad input: a tool error with the CLI's message, and the server answers afterwards.
    let bad = &got["bad"];
    let expected = [
        ("missing_file", cli(&["leaks", missing, missing, missing])),
        ("corrupt_file", cli(&["summary", corrupt])),
        ("unknown_node", cli(&["retainers", last, "@4294967295"])),
        (
            "node_id_of_wrong_type",
            "retainers: invalid value for node_id: expected a number or a string, got true".into(),
        ),
        (
            "path_of_wrong_type",
            "summary: invalid value for path: invalid type: integer `42`, expected path string".into(),
        ),
        ("missing_argument", "show: missing field `path`".into()),
        (
            "unknown_tool",
            "unknown tool \"no_such_tool\" (the tools are find_leaks, summary, diff, retainers, path, show, \
             take_snapshot, hunt)"
                .into(),
        ),
    ];
    for (what, message) in expected {
        assert_eq!(bad[what]["isError"], true, "{what}: {:#}", bad[what]);
        assert_eq!(bad[what]["text"], message, "{what}");
        assert_eq!(bad[what]["alive"], true, "{what}: the server still answers");
    }
}

/// A `heaplens mcp` spoken to line by line; killed when dropped.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// The notifications received so far.
    notifications: Vec<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_heaplens"))
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("heaplens mcp starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Server { stdin: child.stdin.take(), child, lines, notifications: Vec::new() }
    }

    /// A session begun with `initialize` for `version`; the server's answer.
    fn initialized(version: &str) -> (Server, Value) {
        let mut server = Server::start();
        let answer = server.request(
            1,
            "initialize",
            json!({ "protocolVersion": version, "capabilities": {}, "clientInfo": { "name": "raw", "version": "1" } }),
        );
        server.send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }).to_string());
        (server, answer)
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").and_then(|()| stdin.flush()).expect("the server reads its input");
    }

    fn receive(&self) -> Value {
        let line = self.lines.recv_timeout(ANSWER_TIMEOUT).expect("the server answers");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {line}"))
    }

    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string());
        loop {
            let message = self.receive();
            if message.get("id").is_none() && message.get("method").is_some() {
                self.notifications.push(message);
                continue;
            }
            assert_eq!(message["id"], id, "{message}");
            return message;
        }
    }

    /// A tool's result.
    fn call(&mut self, id: u64, tool: &str, arguments: Value) -> Value {
        let answer = self.request(id, "tools/call", json!({ "name": tool, "arguments": arguments }));
        answer["result"].clone()
    }

    /// Closes stdin and waits for the server to end on its own.
    fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server ends when its input does");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn malformed_messages_get_json_rpc_errors_and_the_server_goes_on() {
    let mut server = Server::start();
    // Before the session: a stray notification is dropped, a ping answered.
    server.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    assert_eq!(server.request(0, "ping", json!({}))["result"], json!({}));
    server.send("this is not JSON");
    let answer = server.receive();
    assert_eq!((answer["id"].clone(), answer["error"]["code"].clone()), (Value::Null, json!(-32700)), "{answer}");
    let answer = server.request(
        1,
        "initialize",
        json!({ "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "raw", "version": "1" } }),
    );
    assert_eq!(answer["result"]["protocolVersion"], "2025-06-18", "{answer}");
    assert_eq!(answer["result"]["serverInfo"]["name"], "heaplens");
    assert!(answer["result"]["capabilities"]["tools"].is_object(), "{answer}");
    server.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);

    server.send(r#"{"jsonrpc":"2.0","id":2,"method":42}"#);
    assert_eq!(server.receive()["error"]["code"], -32600, "a message that is not a request is an invalid request");
    server.send("{\"jsonrpc\":\"2.0\",\"id\":3,");
    assert_eq!(server.receive()["error"]["code"], -32700, "half a message is a parse error");
    assert_eq!(server.request(4, "no/such/method", json!({}))["error"]["code"], -32601);
    assert_eq!(server.request(5, "ping", json!({}))["result"], json!({}));
    let tools = server.request(6, "tools/list", json!({}));
    assert_eq!(tools["result"]["tools"].as_array().unwrap().len(), 8);
    let result = server.call(7, "retainers", json!({ "path": "-", "node_id": 1 }));
    assert_eq!(result["isError"], true);
    assert_eq!(
        result["content"][0]["text"],
        "-: the server's standard input carries the MCP messages; name a snapshot file"
    );
    assert!(server.finish().success());
}

#[test]
fn initialize_answers_with_the_clients_version_when_known_else_the_latest() {
    for (asked, answered) in [
        ("2024-11-05", "2024-11-05"),
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("1999-01-01", "2025-11-25"),
    ] {
        let (server, answer) = Server::initialized(asked);
        assert_eq!(answer["result"]["protocolVersion"], answered, "{asked}: {answer}");
        assert!(server.finish().success());
    }
}

#[test]
fn requests_of_2026_07_28_carry_their_version_and_need_no_handshake() {
    let mut server = Server::start();
    let meta = json!({ "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} });
    let tools = server.request(1, "tools/list", json!({ "_meta": meta }));
    assert_eq!(tools["result"]["tools"].as_array().map(Vec::len), Some(8), "{tools}");
    let fixture = common::fixture("mixed-node20.heapsnapshot.gz");
    let params = json!({ "name": "summary", "arguments": { "path": fixture, "top": 1 }, "_meta": meta });
    let answer = server.request(2, "tools/call", params);
    let fixture = fixture.to_str().unwrap();
    assert_eq!(answer["result"]["structuredContent"], cli_json(&["summary", fixture, "--top", "1", "--json"]));
    assert!(server.finish().success());
}

#[test]
fn a_signal_ends_the_server_cleanly() {
    let (server, _) = Server::initialized("2025-11-25");
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(server.finish().success(), "SIGTERM ends the server with status 0");
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A Node program that keeps 2000 more `Reading`s every 100 ms, with its inspector port set to
/// `port` for SIGUSR1 to open; killed when dropped.
struct Grower(Child);

impl Grower {
    fn start(port: u16) -> Grower {
        let source = "class Reading { constructor(i) { this.i = i; this.values = [i, i + 1, i + 2]; } }\n\
                      globalThis.readings = []; let n = 0;\n\
                      setInterval(() => { for (let k = 0; k < 2000; k++) readings.push(new Reading(n++)); }, 100);\n\
                      console.log('ready');";
        let mut child = Command::new("node")
            .args([&format!("--inspect-port=127.0.0.1:{port}"), "-e", source])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready");
        Grower(child)
    }
}

impl Drop for Grower {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn take_snapshot_by_pid_closes_the_inspector_and_its_series_feeds_find_leaks() {
    let port = free_port();
    let program = Grower::start(port);
    let temp = temp_dir("mcp-live");
    let out = temp.path().join("series");
    let (mut server, _) = Server::initialized("2025-11-25");
    let args = json!({ "pid": program.0.id(), "output": out, "count": 3, "every": 0.5 });
    let result = server.call(2, "take_snapshot", args);
    assert_eq!(result["isError"], false, "{result:#}");
    let snapshots = result["structuredContent"]["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 3, "{result:#}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the inspector heaplens opened is closed again");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains(&format!("of pid {}", program.0.id())), "{text}");

    let result = server.call(3, "find_leaks", json!({ "paths": [out] }));
    assert_eq!(result["isError"], false, "{result:#}");
    assert_eq!(result["structuredContent"]["verdict"], "leak", "{:#}", result["structuredContent"]);

    // This test's own process is not Node: refused before any signal, as the CLI refuses it.
    let not_node = std::process::id();
    let result = server.call(4, "take_snapshot", json!({ "pid": not_node, "output": out }));
    assert_eq!(result["isError"], true);
    let message = cli(&["snapshot", "--pid", &not_node.to_string(), "-o", out.to_str().unwrap()]);
    assert_eq!(result["content"][0]["text"], message, "the CLI's refusal");
    assert!(server.finish().success());
}

#[test]
fn hunt_runs_the_example_service_reports_its_steps_and_names_its_leak() {
    let temp = temp_dir("mcp-hunt");
    let out = temp.path().join("hunt");
    let (mut server, _) = Server::initialized("2025-11-25");
    let service = repo().join("examples/hunt/rate-limited-api.js");
    let args = json!({
        "command": ["node", service],
        "url": "http://127.0.0.1:{port}/items?client=c{i}",
        "requests": 500,
        "out": out,
    });
    let params = json!({ "name": "hunt", "arguments": args, "_meta": { "progressToken": "the-hunt" } });
    let result = server.request(2, "tools/call", params)["result"].clone();
    assert_eq!(result["isError"], false, "{result:#}");
    let progress: Vec<&str> = server
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/progress" && n["params"]["progressToken"] == "the-hunt")
        .map(|n| n["params"]["message"].as_str().unwrap())
        .collect();
    assert!(progress.first().is_some_and(|m| m.starts_with("started pid")), "{progress:?}");
    assert!(progress.last().is_some_and(|m| m.starts_with("stopped the program")), "{progress:?}");
    assert_eq!(result["structuredContent"]["verdict"], "leak");
    assert_eq!(result["structuredContent"]["groups"][0]["container"]["name"], "windows");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("finding leaks in 3 snapshots"), "{text}");

    let result = server.call(3, "hunt", json!({ "command": ["node", service], "script": "drive.js", "every": 1 }));
    assert_eq!(result["content"][0]["text"], "hunt: give one workload: url, script or every");
    assert!(server.finish().success());
}
