//! The tools an agent sees: their names, descriptions and schemas, and the call that runs one.

use std::fmt::Display;
use std::sync::{Arc, RwLock};

use heaplens_graph::HeapGraph;
use heaplens_snapshot::NodeIds;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::arguments::{
    parse, DiffArgs, FindLeaksArgs, HuntArgs, PathArgs, RetainersArgs, ShowArgs, SummaryArgs, TakeSnapshotArgs,
};
use crate::cache::Cache;
use crate::{schemas, ToolError};

/// The tools, in the order `tools/list` gives them.
pub const NAMES: [&str; 8] = ["find_leaks", "summary", "diff", "retainers", "path", "show", "take_snapshot", "hunt"];

/// Analysed snapshots kept besides the pinned one of the latest `find_leaks` or `hunt`
/// (a 300 MB snapshot takes about 300 MB analysed).
const GRAPHS_KEPT: usize = 3;
/// Node ids of earlier snapshots kept (about 8 bytes a node).
const IDS_KEPT: usize = 8;

/// Where a live tool reports each step, in the words the CLI prints on stderr.
pub type Steps<'a> = &'a mut dyn FnMut(&str);

/// A tool's answer: text for the agent to read, and the CLI's `--json` document.
pub struct Answer {
    pub text: String,
    pub structured: Value,
}

impl Answer {
    /// A view's text and JSON.
    pub fn of(view: &(impl Serialize + Display)) -> Answer {
        Answer::with_text(view.to_string(), view)
    }

    /// `text`, and `document` as the structured content.
    pub fn with_text(text: String, document: &impl Serialize) -> Answer {
        let structured = serde_json::to_value(document).expect("views serialise to JSON");
        Answer { text, structured }
    }
}

/// What the tools share: the snapshots read so far.
pub struct Toolbox {
    /// Analysed snapshots, behind a lock for the Comparison (it adds names to its base).
    pub graphs: Cache<RwLock<HeapGraph>>,
    /// Node ids of snapshots read as the earlier ones of a series.
    pub ids: Cache<NodeIds>,
}

impl Toolbox {
    /// An empty toolbox.
    pub fn new() -> Arc<Toolbox> {
        Arc::new(Toolbox { graphs: Cache::new(GRAPHS_KEPT + 1), ids: Cache::new(IDS_KEPT) })
    }

    /// Runs the tool `name` on `arguments`; live tools tell `steps` each step as they go.
    pub fn call(&self, name: &str, arguments: Option<JsonObject>, steps: Steps) -> Result<Answer, ToolError> {
        match name {
            "find_leaks" => self.find_leaks(parse::<FindLeaksArgs>(name, arguments)?),
            "summary" => self.summary(parse::<SummaryArgs>(name, arguments)?),
            "diff" => self.diff(parse::<DiffArgs>(name, arguments)?),
            "retainers" => self.retainers(parse::<RetainersArgs>(name, arguments)?),
            "path" => self.path(parse::<PathArgs>(name, arguments)?),
            "show" => self.show(parse::<ShowArgs>(name, arguments)?),
            "take_snapshot" => self.take_snapshot(parse::<TakeSnapshotArgs>(name, arguments)?, steps),
            "hunt" => self.hunt(parse::<HuntArgs>(name, arguments)?, steps),
            _ => Err(ToolError::UnknownTool(name.to_owned())),
        }
    }
}

fn tool<A: JsonSchema + 'static>(name: &'static str, description: &'static str, output: Map<String, Value>) -> Tool {
    Tool::new(name, description, JsonObject::new()).with_input_schema::<A>().with_raw_output_schema(Arc::new(output))
}

fn reads_files() -> ToolAnnotations {
    ToolAnnotations::new().read_only(true).idempotent(true).open_world(false)
}

/// Every tool with its schemas, in the order of [`NAMES`].
pub fn list() -> Vec<Tool> {
    vec![
        tool::<FindLeaksArgs>(
            "find_leaks",
            "Finds memory leaks in 3 or more heap snapshots of one Node.js process taken over time (or a folder of \
             them), as `heaplens leaks` does: the verdict (leak, no leak, unexplained growth) and, for each group \
             that grows, the class, the container and the path that holds it, the leak pattern, the source lines \
             and the fix. The text reads like `heaplens leaks`; the structured content is `heaplens leaks --json`. \
             Each group's example id is a node of the last snapshot: ask `retainers`, `path` or `show` about it \
             (answered from memory).",
            schemas::leak_report(),
        )
        .annotate(reads_files()),
        tool::<SummaryArgs>(
            "summary",
            "DevTools' Summary view of a heap snapshot (`heaplens summary`): objects grouped by class with count, \
             self and retained size, largest retained first.",
            schemas::summary(),
        )
        .annotate(reads_files()),
        tool::<DiffArgs>(
            "diff",
            "DevTools' Comparison view (`heaplens diff`): per class, the objects a later snapshot of the same \
             process added and removed since an earlier one, largest size delta first.",
            schemas::comparison(),
        )
        .annotate(reads_files()),
        tool::<RetainersArgs>(
            "retainers",
            "DevTools' Retainers tree of a node (`heaplens retainers`): who holds it, closest to the roots first, \
             with \"ignore this retainer\".",
            schemas::retainers(),
        )
        .annotate(reads_files()),
        tool::<PathArgs>(
            "path",
            "The shortest retaining paths from a GC root to a node, in words as code would name them \
             (`heaplens path`).",
            schemas::paths(),
        )
        .annotate(reads_files()),
        tool::<ShowArgs>(
            "show",
            "One node in full (`heaplens show`): sizes, distance, dominator, source location and line, allocation \
             stack, and its outgoing edges.",
            schemas::show(),
        )
        .annotate(reads_files()),
        tool::<TakeSnapshotArgs>(
            "take_snapshot",
            "Takes heap snapshots of a running Node.js process by pid (`heaplens snapshot --pid`): forces a full \
             GC, streams each snapshot to an owner-only file, and closes the inspector it opened. With `count`, a \
             series in one inspector session that `find_leaks` can read.",
            schemas::snapshots(),
        )
        .annotate(ToolAnnotations::new().read_only(false).destructive(false).idempotent(false).open_world(false)),
        tool::<HuntArgs>(
            "hunt",
            "The whole leak hunt (`heaplens hunt`): starts the program under the inspector, warms it up, drives it \
             each round (HTTP load on loopback, a script, or waiting), snapshots it after each round, stops it, and \
             finds its leaks as `find_leaks` does. The text names the snapshots (the last one holds the example \
             nodes).",
            schemas::leak_report(),
        )
        .annotate(ToolAnnotations::new().read_only(false).destructive(false).idempotent(false).open_world(false)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_listed_with_object_schemas() {
        let tools = list();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, NAMES);
        for tool in &tools {
            assert_eq!(tool.input_schema.get("type"), Some(&Value::from("object")), "{}", tool.name);
            let output = tool.output_schema.as_ref().expect("an output schema");
            assert_eq!(output.get("type"), Some(&Value::from("object")), "{}", tool.name);
        }
    }
}
