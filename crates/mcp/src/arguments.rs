//! The tools' arguments: what each tool takes (its `inputSchema` is derived from these types,
//! their doc comments becoming the descriptions), node ids and sizes as numbers or as people
//! write them, and argument errors that name the tool and the argument.

use std::borrow::Cow;
use std::path::PathBuf;

use heaplens_views::input::{parse_bytes, parse_node_id, parse_seconds, parse_seconds_or_zero};
use heaplens_views::summary::SortKey;
use rmcp::model::JsonObject;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::ToolError;

/// The arguments of `tool`, or an error naming the argument at fault.
pub fn parse<A: DeserializeOwned>(tool: &str, arguments: Option<JsonObject>) -> Result<A, ToolError> {
    serde_path_to_error::deserialize(Value::Object(arguments.unwrap_or_default())).map_err(|e| {
        let at = e.path().to_string();
        let reason = e.into_inner().to_string();
        ToolError::Arguments {
            tool: tool.to_owned(),
            reason: if at == "." { reason } else { format!("invalid value for {at}: {reason}") },
        }
    })
}

/// A node id: `12345`, or `"@12345"` as DevTools and heaplens's text write it.
#[derive(Debug, Clone, Copy)]
pub struct NodeId(pub u32);

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        number_or_text(deserializer, |text| parse_node_id(text).map(NodeId), |n| u32::try_from(n).ok().map(NodeId))
    }
}

impl JsonSchema for NodeId {
    fn schema_name() -> Cow<'static, str> {
        "NodeId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A node id: 12345, or \"@12345\" as heaplens writes it.",
            "anyOf": [{ "type": "integer", "minimum": 0 }, { "type": "string", "pattern": "^@?[0-9]+$" }]
        })
    }
}

/// A size in bytes: `16384`, or `"16KiB"`, `"1.5MB"` as people write it.
#[derive(Debug, Clone, Copy)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        number_or_text(deserializer, |text| parse_bytes(text).map(Size), |n| Some(Size(n)))
    }
}

impl JsonSchema for Size {
    fn schema_name() -> Cow<'static, str> {
        "Size".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Bytes: 16384, or a size such as \"16KiB\" or \"1.5MB\" (kB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024).",
            "anyOf": [{ "type": "integer", "minimum": 0 }, { "type": "string" }]
        })
    }
}

/// A value given as a whole number or as text, read by `parse_text` or `from_number`.
fn number_or_text<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse_text: impl Fn(&str) -> Result<T, heaplens_views::Error>,
    from_number: impl Fn(u64) -> Option<T>,
) -> Result<T, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(text) => parse_text(&text).map_err(D::Error::custom),
        Value::Number(n) => {
            n.as_u64().and_then(from_number).ok_or_else(|| D::Error::custom(format!("{n} is out of range")))
        }
        other => Err(D::Error::custom(format!("expected a number or a string, got {other}"))),
    }
}

/// Seconds (more than zero, or also zero) as a flag takes them, with the flag's error.
pub fn seconds(value: f64, zero_allowed: bool) -> Result<f64, heaplens_views::Error> {
    let text = value.to_string();
    if zero_allowed {
        parse_seconds_or_zero(&text)
    } else {
        parse_seconds(&text)
    }
}

/// The order of the Summary's classes.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Retained size (the default).
    #[default]
    Retained,
    /// Self (shallow) size.
    #[serde(rename = "self")]
    SelfSize,
    /// Number of objects.
    Count,
}

impl From<Sort> for SortKey {
    fn from(sort: Sort) -> SortKey {
        match sort {
            Sort::Retained => SortKey::Retained,
            Sort::SelfSize => SortKey::SelfSize,
            Sort::Count => SortKey::Count,
        }
    }
}

/// `find_leaks`: the leak finder over snapshots of one process taken over time.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindLeaksArgs {
    /// Snapshots of one process in time order (baseline, target, final, more), or one folder of
    /// them (ordered by Node's `Heap.<date>.<time>.<pid>.<tid>.<seq>` names, else by time).
    pub paths: Vec<PathBuf>,
    /// Least growth per interval, still alive in the last snapshot, that counts as a leak
    /// (default 16KiB).
    pub min_growth: Option<Size>,
    /// How many groups that grew without being leaks to report besides the leaks (default 3).
    pub suspects: Option<usize>,
}

/// `summary`: DevTools' Summary view.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryArgs {
    /// The snapshot file (.heapsnapshot, .heaptimeline, gzipped or not).
    pub path: PathBuf,
    /// Show only the first N classes (default 25).
    pub top: Option<usize>,
    /// Order of the classes (default: retained).
    #[serde(default)]
    pub sort: Sort,
    /// Only classes whose name matches this regular expression.
    pub class: Option<String>,
    /// Only objects allocated after the snapshot at this path, of the same process, was taken
    /// (DevTools' "Objects allocated between").
    pub between: Option<PathBuf>,
}

/// `diff`: DevTools' Comparison view.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffArgs {
    /// The earlier snapshot of the same process.
    pub base: PathBuf,
    /// The later snapshot.
    pub path: PathBuf,
    /// Show only the first N classes (default 25).
    pub top: Option<usize>,
    /// Only classes whose name matches this regular expression.
    pub class: Option<String>,
}

/// `retainers`: DevTools' Retainers tree of a node.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetainersArgs {
    /// The snapshot file that holds the node (for a node `find_leaks` named: the series' last).
    pub path: PathBuf,
    /// The node.
    pub node_id: NodeId,
    /// Levels of retainers to show (default 4).
    pub depth: Option<usize>,
    /// Retainers shown per node, the closest ones (default 8).
    pub width: Option<usize>,
    /// Retainers to ignore (DevTools' "ignore this retainer"): distances are recomputed without
    /// passing through them.
    #[serde(default)]
    pub ignore: Vec<NodeId>,
}

/// `path`: the shortest retaining paths to a node.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathArgs {
    /// The snapshot file that holds the node.
    pub path: PathBuf,
    /// The node.
    pub node_id: NodeId,
    /// Up to this many different shortest paths, best first (default 1).
    pub all: Option<usize>,
}

/// `show`: one node in full.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowArgs {
    /// The snapshot file that holds the node.
    pub path: PathBuf,
    /// The node.
    pub node_id: NodeId,
    /// Outgoing edges to list, largest retained first (default 25).
    pub edges: Option<usize>,
}

/// `take_snapshot`: heap snapshots of a running Node process.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeSnapshotArgs {
    /// The Node process: heaplens checks that it is Node and the user's, opens its inspector
    /// (SIGUSR1) and closes it again when done (an inspector it finds open stays open).
    pub pid: u32,
    /// The file to write, or a folder to write Node-style names
    /// (`Heap.<date>.<time>.<pid>.0.<seq>.heapsnapshot`) into; a series always goes to a folder.
    pub output: PathBuf,
    /// How many snapshots, in one inspector session, so that `find_leaks` can read them as a
    /// series (default 1).
    pub count: Option<u32>,
    /// Seconds between two snapshots of a series (default 30).
    pub every: Option<f64>,
    /// Do not collect garbage first (the snapshot then holds garbage too).
    #[serde(default)]
    pub no_gc: bool,
    /// Include V8's internal objects (DevTools' "expose internals").
    #[serde(default)]
    pub expose_internals: bool,
}

/// `hunt`: the whole leak hunt on a program.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuntArgs {
    /// The program to start and its arguments: `["node", "server.js"]`, `["npm", "start"]`. A
    /// `node` command gets `--inspect=127.0.0.1:0`, any other `NODE_OPTIONS`; the program gets a
    /// free loopback port in `$PORT`.
    pub command: Vec<String>,
    /// Drive the program with HTTP requests to this loopback URL each round; `{port}` is the
    /// program's port, `{i}` the request's number, `{rand}` a random token.
    pub url: Option<String>,
    /// Requests per round, with `url` (default 1000).
    pub requests: Option<usize>,
    /// Requests in flight at once, with `url` (default 8).
    pub concurrency: Option<usize>,
    /// HTTP method of the requests, with `url` (default GET).
    pub method: Option<String>,
    /// Request headers, `NAME: VALUE`, with `url`.
    #[serde(default)]
    pub headers: Vec<String>,
    /// A request body, with `url`.
    pub body: Option<String>,
    /// Drive the program by running this script once per round (`node FILE` for .js files),
    /// with PORT, HEAPLENS_ROUND, HEAPLENS_ROUNDS and HEAPLENS_PID set.
    pub script: Option<PathBuf>,
    /// The program works on its own: wait this many seconds each round (the default, 10 s,
    /// without `url` or `script`).
    pub every: Option<f64>,
    /// Rounds of the workload, each followed by a snapshot (at least 3, default 3): the first
    /// is the warm-up before the baseline snapshot.
    pub rounds: Option<usize>,
    /// Folder for the snapshots and the program's log (default: `heaplens-hunt.<date>.<time>`
    /// in the server's folder).
    pub out: Option<PathBuf>,
    /// Seconds the program may take to open its inspector and its port (default 30).
    pub ready_timeout: Option<f64>,
    /// Seconds to wait after each round before the snapshot (default 0.5).
    pub settle: Option<f64>,
    /// Least growth per interval that counts as a leak (default 16KiB).
    pub min_growth: Option<Size>,
    /// How many groups that grew without being leaks to report besides the leaks (default 3).
    pub suspects: Option<usize>,
}
