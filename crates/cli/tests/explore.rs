//! Exploration commands end to end on a snapshot a real Node process writes during the test
//! (`fixtures/gen/explore-app.js`: a handler registered on a server object keeps responses in
//! a Map and a Set of its closure), and on the allocation-tracking fixture.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

/// The snapshot of explore-app.js, written once per test run by `node` from PATH.
fn app_snapshot() -> &'static Path {
    static SNAPSHOT: OnceLock<PathBuf> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let out = shared_dir().join("app.heapsnapshot");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/gen/explore-app.js");
        let status = Command::new("node").arg(&script).arg(&out).status().expect("node on PATH");
        assert!(status.success(), "explore-app.js failed");
        out
    })
}

fn app() -> &'static str {
    app_snapshot().to_str().unwrap()
}

fn first_id(v: &Value) -> String {
    format!("@{}", v["nodes"][0]["id"].as_u64().expect("a node"))
}

fn quote_response() -> String {
    first_id(&ok_json(&["find", app(), "--class", "^QuoteResponse$", "--json"]))
}

#[test]
fn path_reads_like_the_code_that_holds_the_object() {
    let id = quote_response();
    let v = ok_json(&["path", app(), &id, "--json"]);
    let steps: Vec<&str> = v["paths"][0]["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "global.server",
            "Server._events.request",
            "(closure handleRequest) context",
            "responseCache",
            "Map.get('key-0')",
            &format!("QuoteResponse {id}")
        ]
    );
    assert_eq!(v["paths"][0]["system"], false);
    // The hops are real edges, root side first, one per unit of distance.
    let hops = v["paths"][0]["hops"].as_array().unwrap();
    assert_eq!(hops.len() as i64, v["node"]["distance"].as_i64().unwrap() - 1);
    assert_eq!(hops.last().unwrap()["to"].as_u64().map(|n| format!("@{n}")), Some(id.clone()));
    assert_eq!(hops[0]["edge_name"], "server");

    // The Set holds it as well: a second path, just as short, through `seen`.
    let v = ok_json(&["path", app(), &id, "--all", "5", "--json"]);
    let paths = v["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 2);
    assert!(paths[1]["steps"].as_array().unwrap().iter().any(|s| s == "seen"));
    assert!(paths[1]["steps"].as_array().unwrap().iter().any(|s| s == "Set[…]"));

    let text = String::from_utf8(heaplens(&["path", app(), &id]).stdout).unwrap();
    assert!(text.contains("global.server\n  → Server._events.request\n  → (closure handleRequest) context"), "{text}");
}

#[test]
fn retainers_tree_and_ignoring_a_retainer() {
    let id = quote_response();
    let v = ok_json(&["retainers", app(), &id, "--depth", "3", "--json"]);
    let items = v["retainers"]["items"].as_array().unwrap();
    assert_eq!(v["retainers"]["total"], 2, "the Map's and the Set's tables");
    let holders: Vec<&str> =
        items.iter().map(|i| i["retainers"]["items"][0]["node"]["class"].as_str().unwrap()).collect();
    assert!(holders.contains(&"Map") && holders.contains(&"Set"), "{holders:?}");

    // Ignoring the closure's context cuts every retainer off from the roots.
    let context = items[0]["retainers"]["items"][0]["retainers"]["items"][0]["node"]["id"].as_u64().unwrap();
    let v = ok_json(&["retainers", app(), &id, "--ignore", &format!("@{context}"), "--json"]);
    for item in v["retainers"]["items"].as_array().unwrap() {
        assert!(item["view_distance"].as_i64().unwrap() >= 200_000_000, "{item}");
    }
    let text =
        String::from_utf8(heaplens(&["retainers", app(), &id, "--ignore", &format!("@{context}")]).stdout).unwrap();
    assert!(text.contains("(ignored)") && text.contains("cut off"), "{text}");
}

#[test]
fn show_gives_the_source_line_and_the_edges() {
    let id = quote_response();
    let v = ok_json(&["show", app(), &id, "--json"]);
    let location = &v["location"];
    assert!(location["script"].as_str().unwrap().ends_with("explore-app.js"), "{location}");
    assert!(location["display"].as_str().unwrap().contains("explore-app.js:"));
    assert_eq!(location["source_line"].as_str().unwrap().trim(), "constructor(i) {");
    let edges: Vec<&str> = v["edges"].as_array().unwrap().iter().map(|e| e["edge_name"].as_str().unwrap()).collect();
    assert!(edges.contains(&"body") && edges.contains(&"__proto__"), "{edges:?}");
    assert_eq!(v["retainer_count"], 2);

    let handler = first_id(&ok_json(&["find", app(), "--name", "^handleRequest$", "--class", "^Function$", "--json"]));
    let v = ok_json(&["show", app(), &handler, "--json"]);
    assert_eq!(v["location"]["source_line"].as_str().unwrap().trim(), "function handleRequest(i) {");
    assert_eq!(v["location"]["line"].as_u64().unwrap() + 1, 23, "0-based in JSON, line 23 of the file");
}

#[test]
fn find_pages_and_filters() {
    let all = ok_json(&["find", app(), "--class", "^QuoteResponse$", "--json", "--limit", "1000"]);
    assert_eq!(all["total"], 50);
    let page = ok_json(&["find", app(), "--class", "^QuoteResponse$", "--json", "--limit", "10", "--offset", "45"]);
    assert_eq!(page["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(page["nodes"][0], all["nodes"][45]);
    let retained: Vec<u64> =
        all["nodes"].as_array().unwrap().iter().map(|n| n["retained_size"].as_u64().unwrap()).collect();
    assert!(retained.windows(2).all(|w| w[0] >= w[1]));
    let big = ok_json(&["find", app(), "--min-retained", "1MB", "--json"]);
    assert!(big["nodes"].as_array().unwrap().iter().all(|n| n["retained_size"].as_u64().unwrap() >= 1_000_000));
    let id = quote_response();
    let one = ok_json(&["find", app(), "--id", &id, "--json"]);
    assert_eq!(one["total"], 1);
}

#[test]
fn dominators_list_and_chain() {
    let v = ok_json(&["dominators", app(), "--top", "5", "--json"]);
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    assert!(nodes.iter().all(|n| n["type"] != "synthetic"));
    let id = quote_response();
    let v = ok_json(&["dominators", app(), &id, "--json"]);
    let chain = v["chain"].as_array().unwrap();
    assert_eq!(format!("@{}", chain[0]["id"]), id);
    // Each node's dominator is the next one; the chain ends at the root.
    for pair in chain.windows(2) {
        assert_eq!(pair[0]["dominator"], pair[1]["id"]);
    }
    assert_eq!(chain.last().unwrap()["type"], "synthetic");
}

#[test]
fn strings_groups_duplicates() {
    let v = ok_json(&["strings", app(), "--json"]);
    let groups = v["groups"].as_array().unwrap();
    let labels = groups.iter().find(|g| g["value"] == "duplicated-label").expect("the program's 20 labels");
    assert_eq!(labels["count"], 20);
    assert_eq!(labels["ids"].as_array().unwrap().len(), 20);
    assert!(labels["wasted_size"].as_u64().unwrap() < labels["total_self_size"].as_u64().unwrap());
}

#[test]
fn allocation_stacks_come_from_the_timeline() {
    // Node 24 dropped the nodes' trace_node_id field; Node 20 still writes it.
    let file = fixture("timeline-node20.heaptimeline.gz");
    let file = file.to_str().unwrap();
    let found = ok_json(&["find", file, "--class", "^Order$", "--json", "--limit", "1"]);
    let v = ok_json(&["show", file, &first_id(&found), "--json"]);
    let stack = v["allocation_stack"].as_array().unwrap();
    assert!(!stack.is_empty(), "{v}");
    assert!(
        stack.iter().any(|f| f["script"].as_str().unwrap().ends_with("timeline.js") && f["line"].as_u64().unwrap() > 0),
        "{stack:?}"
    );
}

#[test]
fn unknown_ids_and_bad_regexes_are_one_line_errors() {
    for (args, needle) in [
        (vec!["show", app(), "@999999999"], "no node with id @999999999"),
        (vec!["path", app(), "@4294967295"], "no node with id"),
        (vec!["retainers", app(), "@1", "--ignore", "@999999999"], "no node with id @999999999"),
        (vec!["find", app(), "--class", "("], "--class \"(\" is not a valid regular expression"),
        (vec!["find", app(), "--name", "[z-a]"], "--name"),
        (vec!["show", app(), "@abc"], "not a node id"),
    ] {
        let out = heaplens(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(needle), "{args:?}: {err}");
        if !needle.contains("node id") {
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        }
    }
}
