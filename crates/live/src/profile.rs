//! The sampling heap profiler (`HeapProfiler.startSampling`): which functions allocated the
//! memory that is still alive, as a table by function and as a flame graph.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::capture::collect_garbage;
use crate::inspector::Session;

/// A node of the profile's call tree, as the inspector sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallNode {
    /// The function.
    pub call_frame: CallFrame,
    /// Bytes of sampled objects still alive that this frame allocated itself.
    pub self_size: u64,
    /// Frames it called.
    #[serde(default)]
    pub children: Vec<CallNode>,
}

/// A function and where it is (0-based line and column, as the protocol gives them).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct CallFrame {
    /// The function's name; empty for anonymous functions.
    pub function_name: String,
    /// The script's URL or path; empty for V8's own frames.
    pub url: String,
    /// 0-based line.
    pub line_number: i64,
    /// 0-based column.
    pub column_number: i64,
}

impl CallFrame {
    /// The function's name, or `(anonymous)`.
    pub fn name(&self) -> &str {
        if self.function_name.is_empty() {
            "(anonymous)"
        } else {
            &self.function_name
        }
    }

    /// `file:line:column` (1-based), or empty for V8's own frames.
    pub fn location(&self) -> String {
        if self.url.is_empty() {
            return String::new();
        }
        let file = self.url.strip_prefix("file://").unwrap_or(&self.url);
        format!("{file}:{}:{}", self.line_number + 1, self.column_number + 1)
    }
}

/// One row of the table: a function and the live memory it allocated.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionRow {
    /// The function's name.
    pub function: String,
    /// `file:line:column`, empty for V8's own frames.
    pub location: String,
    /// Bytes it allocated itself.
    pub self_bytes: u64,
    /// Bytes it and the functions it called allocated (recursion counted once).
    pub total_bytes: u64,
}

/// How to sample.
#[derive(Debug, Clone, Copy)]
pub struct ProfileOptions {
    /// Record for this long.
    pub duration: Duration,
    /// Average bytes between samples (V8's default is 32 KiB).
    pub sampling_interval: u64,
    /// Collect garbage before reading the profile, so it shows only what survives.
    pub collect_garbage: bool,
}

/// Records the sampling heap profile of the session's process.
pub fn record(session: &mut Session, options: ProfileOptions) -> Result<CallNode> {
    session.call("HeapProfiler.enable", json!({}))?;
    session.call("HeapProfiler.startSampling", json!({ "samplingInterval": options.sampling_interval }))?;
    // Ctrl-C ends the recording, not the profile: the steps below still run (a second
    // Ctrl-C stops heaplens).
    let recorded = session.idle(options.duration).or_else(|e| {
        if e.is::<crate::Interrupted>() {
            crate::resume();
            Ok(())
        } else {
            Err(e)
        }
    });
    let gc = recorded.and_then(|()| if options.collect_garbage { collect_garbage(session) } else { Ok(()) });
    let stopped = session.call("HeapProfiler.stopSampling", json!({}));
    gc?;
    let mut reply = stopped?;
    let head = reply.pointer_mut("/profile/head").map(serde_json::Value::take).unwrap_or_default();
    let head: CallNode =
        serde_json::from_value(head).context("the inspector sent a sampling profile heaplens cannot read")?;
    session.call("HeapProfiler.disable", json!({}))?;
    Ok(head)
}

/// Functions by the live memory they allocated, largest self size first.
pub fn by_function(head: &CallNode) -> Vec<FunctionRow> {
    let mut rows: HashMap<&CallFrame, (u64, u64)> = HashMap::new();
    let mut on_stack: HashMap<&CallFrame, usize> = HashMap::new();
    fn total(node: &CallNode) -> u64 {
        node.self_size + node.children.iter().map(total).sum::<u64>()
    }
    // Iterative walk: (node, entering) pairs, so deep recursion in the profile cannot overflow.
    let mut stack: Vec<(&CallNode, bool)> = head.children.iter().map(|c| (c, true)).collect();
    while let Some((node, entering)) = stack.pop() {
        let frame = &node.call_frame;
        if !entering {
            *on_stack.get_mut(frame).expect("entered before") -= 1;
            continue;
        }
        let row = rows.entry(frame).or_default();
        row.0 += node.self_size;
        let depth = on_stack.entry(frame).or_default();
        if *depth == 0 {
            row.1 += total(node);
        }
        *depth += 1;
        stack.push((node, false));
        stack.extend(node.children.iter().map(|c| (c, true)));
    }
    let mut rows: Vec<FunctionRow> = rows
        .into_iter()
        .filter(|(_, (own, all))| *own > 0 || *all > 0)
        .map(|(frame, (self_bytes, total_bytes))| FunctionRow {
            function: frame.name().to_owned(),
            location: frame.location(),
            self_bytes,
            total_bytes,
        })
        .collect();
    rows.sort_by(|a, b| b.self_bytes.cmp(&a.self_bytes).then(b.total_bytes.cmp(&a.total_bytes)));
    rows
}

/// The profile as folded stacks (`a;b;c BYTES`), the input of flame graph tools.
pub fn folded(head: &CallNode) -> Vec<String> {
    let mut lines = Vec::new();
    let mut stack: Vec<(&CallNode, Vec<String>)> = head.children.iter().map(|c| (c, Vec::new())).collect();
    while let Some((node, mut path)) = stack.pop() {
        let frame = &node.call_frame;
        let location = frame.location();
        let label = if location.is_empty() { frame.name().to_owned() } else { format!("{} {location}", frame.name()) };
        path.push(label.replace(';', ":"));
        if node.self_size > 0 {
            lines.push(format!("{} {}", path.join(";"), node.self_size));
        }
        stack.extend(node.children.iter().map(|c| (c, path.clone())));
    }
    lines.sort();
    lines
}

/// The flame graph of the profile, as an SVG document.
pub fn flame_graph_svg(head: &CallNode, title: &str) -> Result<String> {
    let lines = folded(head);
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_owned();
    options.count_name = "bytes".to_owned();
    options.colors = inferno::flamegraph::color::Palette::Basic(inferno::flamegraph::color::BasicPalette::Mem);
    let mut svg = Vec::new();
    if lines.is_empty() {
        return Ok(format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="60"><text x="10" y="30">{}: no live allocations were sampled</text></svg>"#,
            heaplens_gctrace::chart::escape(title)
        ));
    }
    inferno::flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut svg)
        .context("cannot draw the flame graph")?;
    Ok(String::from_utf8_lossy(&svg).into_owned())
}
