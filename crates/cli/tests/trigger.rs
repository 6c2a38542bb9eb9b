//! The in-process trigger (`npm/heaplens/trigger.js`, shipped as `heaplens/trigger`) loaded with
//! `node --require` into real programs under every Node version in HEAPLENS_NODES: a leaking
//! service must leave a series that `heaplens leaks DIR` reports as a leak, owner-only, named as
//! Node names snapshots and pruned to the newest files; a steady one must leave the baseline
//! alone although major GCs run after it; asked to, Node writes one snapshot near the heap limit
//! into its diagnostic directory. Every program must end on its own: the trigger holds nothing open.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Longest a program may run: far beyond its own few seconds, short of a process kept alive.
const DEADLINE: Duration = Duration::from_secs(300);

/// What a finished program left: its exit code (None when a signal ended it), stdout, stderr.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `examples/trigger/service.js ARGS` under `node NODE_FLAGS --require <the trigger>`
/// with the trigger's variables `settings`, in `cwd`.
fn service(node: &str, node_flags: &[&str], args: &[&str], settings: &[(&str, &Path)], cwd: &Path) -> Run {
    let output = tempfile::Builder::new().prefix("heaplens-trigger-output-").tempdir().unwrap();
    let stdout = output.path().join("stdout");
    let stderr = output.path().join("stderr");
    let mut command = Command::new(node);
    command
        .args(node_flags)
        .arg("--require")
        .arg(repo().join("npm/heaplens/trigger.js"))
        .arg(repo().join("examples/trigger/service.js"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).unwrap())
        .stderr(fs::File::create(&stderr).unwrap());
    for (name, value) in settings {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("node runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().unwrap();
            panic!("{node} {args:?} still ran after {DEADLINE:?}: does the trigger keep it alive?");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Run {
        code: status.code(),
        stdout: fs::read_to_string(stdout).unwrap(),
        stderr: fs::read_to_string(stderr).unwrap(),
    }
}

fn tempdir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir().unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The files of `dir`, by name.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// The sequence number of a snapshot named as Node names them by process `pid`, or a panic
/// saying how the name differs: `Heap.YYYYMMDD.HHMMSS.PID.0.SEQ.heapsnapshot`.
fn sequence(file: &Path, pid: &str) -> u32 {
    let name = file.file_name().unwrap().to_str().unwrap();
    let parts: Vec<&str> = name.split('.').collect();
    let digits = |part: &str, width: usize| part.len() == width && part.bytes().all(|b| b.is_ascii_digit());
    let node_style = parts.len() == 7
        && parts[0] == "Heap"
        && digits(parts[1], 8)
        && digits(parts[2], 6)
        && parts[3] == pid
        && parts[4] == "0"
        && parts[5].len() >= 3
        && parts[5].parse::<u32>().is_ok()
        && parts[6] == "heapsnapshot";
    assert!(node_style, "{name} is not named Heap.YYYYMMDD.HHMMSS.{pid}.0.SEQ.heapsnapshot");
    parts[5].parse().unwrap()
}

/// The pid the trigger's notes name in the files they wrote.
fn pid_in_notes(stderr: &str) -> String {
    let wrote =
        stderr.lines().find(|l| l.starts_with("heaplens trigger: wrote ")).unwrap_or_else(|| panic!("{stderr}"));
    wrote.split(".heapsnapshot").next().unwrap().split('.').nth_back(2).unwrap().to_owned()
}

#[test]
fn leaking_service_leaves_a_series_heaplens_reports_as_a_leak() {
    for node in nodes() {
        let context = format!("Node {}", version(&node));
        let scratch = tempdir("heaplens-trigger-");
        let dir = scratch.path().join("snapshots");
        let settings: [(&str, &Path); 4] = [
            ("HEAPLENS_TRIGGER_DIR", &dir),
            ("HEAPLENS_TRIGGER_WARMUP_S", Path::new("1")),
            ("HEAPLENS_TRIGGER_STEP_MB", Path::new("2")),
            ("HEAPLENS_TRIGGER_MAX_FILES", Path::new("3")),
        ];
        let run = service(&node, &[], &["--leak", "--requests", "60000"], &settings, scratch.path());
        assert_eq!(run.code, Some(0), "{context}: {}", run.stderr);

        let notes: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("heaplens trigger: wrote ")).collect();
        assert!(notes.len() >= 4, "{context}: a baseline and at least 3 more, so the oldest went: {}", run.stderr);
        assert_eq!(run.stderr.matches("removed the oldest").count(), notes.len() - 3, "{context}: {}", run.stderr);
        let pid = pid_in_notes(&run.stderr);

        assert_eq!(mode(&dir), 0o700, "{context}: the folder is owner-only");
        let kept = files(&dir);
        let sequences: Vec<u32> = kept.iter().map(|f| sequence(f, &pid)).collect();
        let written = notes.len() as u32;
        assert_eq!(
            sequences,
            (written - 2..=written).collect::<Vec<_>>(),
            "{context}: the newest 3 are kept: {kept:?}"
        );
        for file in &kept {
            assert_eq!(mode(file), 0o600, "{context}: {} is owner-only", file.display());
        }

        let out = heaplens(&["leaks", "--json", "--fail-on-leak", dir.to_str().unwrap()]);
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{context}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!((out.status.code(), report["verdict"].as_str()), (Some(1), Some("leak")), "{context}: {report:#}");
        let first = &report["groups"][0];
        assert_eq!(first["primary_class"], "ClientSession", "{context}: {first:#}");
        assert_eq!(first["container"]["name"], "sessions", "{context}: {first:#}");
    }
}

#[test]
fn steady_service_leaves_only_the_baseline() {
    for node in nodes() {
        let context = format!("Node {}", version(&node));
        let scratch = tempdir("heaplens-trigger-");
        let dir = scratch.path().join("snapshots");
        let settings: [(&str, &Path); 3] = [
            ("HEAPLENS_TRIGGER_DIR", &dir),
            ("HEAPLENS_TRIGGER_WARMUP_S", Path::new("1")),
            ("HEAPLENS_TRIGGER_STEP_MB", Path::new("2")),
        ];
        let run = service(&node, &["--trace-gc"], &["--requests", "160000"], &settings, scratch.path());
        assert_eq!(run.code, Some(0), "{context}: {}", run.stderr);
        assert_eq!(run.stderr.matches("heaplens trigger: wrote ").count(), 1, "{context}: {}", run.stderr);
        assert_eq!(files(&dir).len(), 1, "{context}: {:?}", files(&dir));
        assert!(run.stderr.contains("; baseline;"), "{context}: {}", run.stderr);

        // The baseline's own GCs name the heap profiler; the program's major GCs after them are
        // the moments the trigger looked and found no growth.
        let majors = |line: &&str| line.contains("Mark-") && !line.contains("heap profiler");
        let after_baseline = run.stdout.lines().skip_while(|l| !l.contains("heap profiler")).filter(majors).count();
        assert!(after_baseline >= 1, "{context}: no major GC after the baseline: {}", run.stdout);
    }
}

#[test]
fn near_the_heap_limit_node_writes_one_snapshot_into_its_diagnostic_directory() {
    for node in nodes() {
        let context = format!("Node {}", version(&node));
        let scratch = tempdir("heaplens-trigger-");
        let (dir, diagnostics) = (scratch.path().join("snapshots"), scratch.path().join("diagnostics"));
        fs::create_dir(&diagnostics).unwrap();
        let diagnostic_dir = format!("--diagnostic-dir={}", diagnostics.display());
        let settings: [(&str, &Path); 3] = [
            ("HEAPLENS_TRIGGER_DIR", &dir),
            ("HEAPLENS_TRIGGER_WARMUP_S", Path::new("600")),
            ("HEAPLENS_TRIGGER_NEAR_LIMIT", Path::new("1")),
        ];
        let flags = ["--max-old-space-size=32", diagnostic_dir.as_str()];
        let args = ["--leak", "--requests", "400000", "--requests-per-tick", "1000"];
        let run = service(&node, &flags, &args, &settings, scratch.path());

        let announced =
            format!("near the heap limit Node writes one snapshot to {} (--diagnostic-dir)", diagnostics.display());
        assert!(run.stderr.contains(&announced), "{context}: {}", run.stderr);
        let written = files(&diagnostics);
        assert_eq!(written.len(), 1, "{context}: {written:?}; {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("Wrote snapshot to {}", written[0].display())),
            "{context}: {}",
            run.stderr
        );
        assert_eq!(mode(&written[0]), 0o600, "{context}");
        assert!(files(&dir).is_empty(), "{context}: the series had not started: {:?}", files(&dir));
        assert!(
            files(scratch.path()).iter().all(|f| f.is_dir()),
            "{context}: nothing lands in the working directory: {:?}",
            files(scratch.path())
        );
        let summary = heaplens(&["summary", "--json", "--top", "1", written[0].to_str().unwrap()]);
        assert!(summary.status.success(), "{context}: {}", String::from_utf8_lossy(&summary.stderr));
    }
}

#[test]
fn bad_settings_turn_the_trigger_off_with_one_line_and_the_program_runs_on() {
    let scratch = tempdir("heaplens-trigger-");
    let open = scratch.path().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).unwrap();
    let cases: [(&str, &Path, &str); 4] = [
        (
            "HEAPLENS_TRIGGER_STEP_MB",
            Path::new("lots"),
            "HEAPLENS_TRIGGER_STEP_MB must be a positive number of MB, not \"lots\"",
        ),
        (
            "HEAPLENS_TRIGGER_MAX_FILES",
            Path::new("2"),
            "HEAPLENS_TRIGGER_MAX_FILES must be a whole number of at least 3",
        ),
        ("HEAPLENS_TRIGGER_STEPS_MB", Path::new("4"), "unknown variable HEAPLENS_TRIGGER_STEPS_MB"),
        ("HEAPLENS_TRIGGER_DIR", &open, "is open to other users (mode 755)"),
    ];
    for (name, value, message) in cases {
        let run = service("node", &[], &["--requests", "20000"], &[(name, value)], scratch.path());
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: {}", run.stderr);
        assert!(lines[0].starts_with("heaplens trigger: ") && lines[0].contains(message), "{name}: {}", lines[0]);
        assert!(lines[0].ends_with("; the trigger is off"), "{}", lines[0]);
    }
    assert!(files(&open).is_empty());
}
