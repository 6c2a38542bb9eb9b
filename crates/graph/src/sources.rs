//! Source code behind nodes: a location's script id resolved to the script's name (closures
//! reach their `Script` through their shared function info) and, when the heap holds the
//! script's source, the line itself; and a node's allocation stack from the allocation tracker.

use std::collections::HashMap;

use heaplens_snapshot::Location;

use crate::HeapGraph;

/// A location made readable. `line` and `column` stay 0-based as in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePosition {
    /// The location as the snapshot gives it.
    pub location: Location,
    /// The script's name or URL, when the snapshot holds its `Script`.
    pub script: Option<String>,
    /// The text of the line, when the snapshot holds the script's source.
    pub source_line: Option<String>,
}

impl SourcePosition {
    /// `file:line:column` with 1-based line and column, as editors take it.
    pub fn display(&self) -> String {
        let l = &self.location;
        let script = self.script.clone().unwrap_or_else(|| format!("script {}", l.script_id));
        format!("{script}:{}:{}", l.line + 1, l.column + 1)
    }
}

/// One frame of an allocation stack; `line` and `column` are 1-based, 0 when unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFrame {
    /// Function name (empty for anonymous functions).
    pub function: String,
    /// Script name or URL.
    pub script: String,
    /// V8 script id.
    pub script_id: u32,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

impl StackFrame {
    /// `script:line:column`, or the script alone when the line is unknown.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.script.clone()
        } else {
            format!("{}:{}:{}", self.script, self.line, self.column)
        }
    }
}

/// The `Script` node of every script id that some closure with a location points into.
#[derive(Debug, Default)]
pub struct Scripts {
    by_id: HashMap<u32, u32>,
}

impl Scripts {
    /// Finds scripts through the closures the snapshot gives locations for.
    pub fn build(g: &HeapGraph) -> Scripts {
        let s = &g.snapshot;
        let mut by_id = HashMap::new();
        for location in g.locations.iter() {
            if by_id.contains_key(&location.script_id)
                || u16::from(s.nodes.kind[location.node as usize]) != g.node_kinds.closure
            {
                continue;
            }
            let script = g
                .internal_edge_target(location.node, &["shared"])
                .and_then(|shared| g.internal_edge_target(shared, &["script_or_debug_info", "script"]));
            if let Some(script) = script {
                by_id.insert(location.script_id, script);
            }
        }
        Scripts { by_id }
    }

    /// The readable form of `location`.
    pub fn resolve(&self, g: &HeapGraph, location: Location) -> SourcePosition {
        let script = self.by_id.get(&location.script_id).copied();
        let name = script.map(|node| {
            let s = &g.snapshot;
            g.internal_edge_target(node, &["name"])
                .map_or_else(|| s.strings.get(s.nodes.name[node as usize]).into_owned(), |n| g.display_name(n))
        });
        let source_line = self.source(g, location.script_id).and_then(|source| {
            source.split('\n').nth(location.line as usize).map(|l| l.trim_end_matches('\r').to_owned())
        });
        SourcePosition { location, script: name.filter(|n| !n.is_empty()), source_line }
    }

    /// The source text of script `script_id`, when the heap holds it.
    pub fn source(&self, g: &HeapGraph, script_id: u32) -> Option<String> {
        let script = self.by_id.get(&script_id).copied()?;
        g.internal_edge_target(script, &["source"]).map(|source| g.display_name(source))
    }
}

/// Where `node` was allocated, innermost frame first; empty without allocation tracking.
pub fn allocation_stack(g: &HeapGraph, node: u32) -> Vec<StackFrame> {
    let s = &g.snapshot;
    let trace_id = s.trace_node_id(node);
    let tree = &s.trace_tree;
    let Some(mut at) = (trace_id != 0).then(|| tree.id.iter().position(|&id| id == trace_id)).flatten() else {
        return Vec::new();
    };
    let mut frames = Vec::new();
    loop {
        let function = s.trace_functions.get(tree.function[at] as usize);
        // The tree's top entries are V8's `(root)` and an unnamed entry frame, not code.
        let is_code = |f: &&heaplens_snapshot::TraceFunction| {
            f.script_id != 0 || !(s.strings.eq(f.name, "(root)") || s.strings.eq(f.name, ""))
        };
        if let Some(f) = function.filter(is_code) {
            frames.push(StackFrame {
                function: s.strings.get(f.name).into_owned(),
                script: s.strings.get(f.script_name).into_owned(),
                script_id: f.script_id,
                line: f.line,
                column: f.column,
            });
        }
        match tree.parent[at] {
            u32::MAX => break,
            parent => at = parent as usize,
        }
    }
    frames
}
