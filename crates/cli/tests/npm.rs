//! `heaplens leaks` on programs built on popular npm libraries (examples/npm/), misused as
//! those libraries' issue trackers and docs describe, and on controls that use the same
//! libraries correctly, under every Node version in HEAPLENS_NODES. The libraries come from
//! npm (scripts/test.sh installs examples/npm/package-lock.json). Each leak must be named by
//! the program's thing, the container as the library names it, the package and the library's
//! own advice; each control must get "no leak".

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use serde_json::Value;

/// The corpus folder, with its libraries installed.
fn corpus() -> PathBuf {
    let dir = repo().join("examples/npm");
    assert!(
        dir.join("node_modules/express-session/package.json").is_file(),
        "the npm corpus is not installed: run `npm ci --prefix examples/npm` (scripts/test.sh does)"
    );
    dir
}

/// Runs `program` (with `--fixed` for its control) under `node` and returns the report and
/// the exit code of `heaplens leaks --json --fail-on-leak` on what it wrote.
fn run(node: &str, program: &str, fixed: bool) -> (Value, i32) {
    let out = tempfile::Builder::new().prefix("heaplens-npm-").tempdir().unwrap();
    let mut command = Command::new(node);
    command.arg("--expose-gc").arg(corpus().join(format!("{program}.js"))).arg("--out").arg(out.path());
    // Express's stack keeps compiling for a while: a longer warm-up lets V8's code settle.
    command.args(["--ops", "300", "--warmup", "1000"]);
    if fixed {
        command.arg("--fixed");
    }
    let done = command.output().expect("node runs");
    assert!(done.status.success(), "{program}: {}", String::from_utf8_lossy(&done.stderr));
    let result = heaplens(&["leaks", "--json", "--fail-on-leak", out.path().to_str().unwrap()]);
    let report = serde_json::from_slice(&result.stdout)
        .unwrap_or_else(|_| panic!("{program}: {}", String::from_utf8_lossy(&result.stderr)));
    (report, result.status.code().unwrap())
}

/// What the first group of a leak program's report must say.
struct Expected<'a> {
    program: &'a str,
    primary: &'a str,
    container: &'a str,
    package: &'a str,
    advice: &'a str,
}

/// The leak program under every Node version, then its control.
fn misuse(expected: Expected<'_>) {
    for node in nodes() {
        let (report, code) = run(&node, expected.program, false);
        let context = format!("{} on Node {}: {report:#}", expected.program, version(&node));
        assert_eq!((code, report["verdict"].as_str()), (1, Some("leak")), "{context}");
        let first = &report["groups"][0];
        assert_eq!(first["leak"], true, "{context}");
        assert_eq!(first["primary_name"], expected.primary, "{context}");
        assert!(first["container"]["name"].as_str().unwrap().starts_with(expected.container), "{context}");
        let package = &first["container"]["package"];
        assert_eq!(package["name"], expected.package, "{context}");
        let found = package["version"].as_str().expect("the version from the package's package.json");
        let installed: Value = serde_json::from_str(
            &std::fs::read_to_string(corpus().join("node_modules").join(expected.package).join("package.json"))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(found, installed["version"], "{context}");
        assert!(first["pattern"]["fix"].as_str().unwrap().contains(expected.advice), "{context}");
        assert!(first["pattern"]["title"].as_str().unwrap().contains("a known misuse of"), "{context}");

        let (report, code) = run(&node, expected.program, true);
        let context = format!("{} --fixed on Node {}: {report:#}", expected.program, version(&node));
        assert_eq!((code, report["verdict"].as_str()), (0, Some("no leak")), "{context}");
        assert!(report["groups"].as_array().unwrap().iter().all(|g| g["leak"] == false), "{context}");
        assert!(!grows_unexplained(&report), "a control's growth is explained: {context}");
    }
}

#[test]
fn express_session_memory_store_keeps_every_session() {
    misuse(Expected {
        program: "express-session-memorystore",
        primary: "session (JSON string)",
        container: "store.sessions",
        package: "express-session",
        advice: "saveUninitialized: false",
    });
}

#[test]
fn a_dataloader_shared_across_requests_caches_every_key() {
    misuse(Expected {
        program: "dataloader-shared",
        primary: "UserRecord",
        container: "sharedLoader._cacheMap",
        package: "dataloader",
        advice: "new DataLoader per request",
    });
}

#[test]
fn lodash_memoize_over_request_keys_keeps_every_result() {
    misuse(Expected {
        program: "lodash-memoize",
        primary: "PriceQuote",
        container: "quote.cache",
        package: "lodash",
        advice: "_.memoize.Cache",
    });
}

#[test]
fn ajv_compiling_a_schema_per_call_caches_every_validator() {
    misuse(Expected {
        program: "ajv-compile-per-call",
        primary: "compiled schema",
        container: "ajv",
        package: "ajv",
        advice: "compile each schema once",
    });
}

#[test]
fn rxjs_subscriptions_never_unsubscribed_keep_their_carts() {
    misuse(Expected {
        program: "rxjs-subscriptions",
        primary: "CartView",
        container: "priceUpdates",
        package: "rxjs",
        advice: "unsubscribe()",
    });
}

#[test]
fn prom_client_labels_with_user_ids_grow_the_registry() {
    misuse(Expected {
        program: "prom-client-labels",
        primary: "label series",
        container: "requests.hashMap",
        package: "prom-client",
        advice: "small fixed set",
    });
}

#[test]
fn a_bounded_lru_cache_is_no_leak() {
    for node in nodes() {
        let (report, code) = run(&node, "lru-cache-bounded", false);
        assert_eq!((code, report["verdict"].as_str()), (0, Some("no leak")), "Node {}: {report:#}", version(&node));
        assert!(!grows_unexplained(&report), "Node {}: {report:#}", version(&node));
    }
}
