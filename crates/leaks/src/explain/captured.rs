//! The closure variable that holds a group's bytes. V8 gives all closures made in one scope a
//! single context holding every variable any of them uses, so a small callback that outlives
//! its scope keeps a large variable alive that only a sibling closure read: the classic
//! "unused variable in a shared closure context" leak. This finds, in a sample of the group's
//! roots, the context variable whose values the group's contexts alone keep alive, and reads the
//! function's source (when the heap holds it) for whether the function uses that variable.

use heaplens_graph::{HeapGraph, Scripts};
use rustc_hash::FxHashMap;

use crate::groups::Group;

/// A closure variable holding most of a group's bytes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Captured {
    /// The variable's name.
    pub variable: String,
    /// The function whose closure context holds it.
    pub function: String,
    /// Where that function is, `file:line:column` (1-based), when the snapshot says.
    pub location: Option<String>,
    /// Bytes the variable keeps alive, per closure context that holds it (retained size).
    pub bytes_each: u64,
    /// The share of the group's bytes that the variable keeps alive (in the sample).
    pub share: f64,
    /// Whether the function's source reads the variable; `None` when the heap lacks the source.
    pub read_by_function: Option<bool>,
}

/// Roots looked at per group.
const SAMPLE: usize = 64;
/// Most nodes walked below one sampled root.
const WALK_LIMIT: usize = 20_000;
/// The least share of the group's bytes a variable must hold to be named.
const LEAST_SHARE: f64 = 0.5;

#[derive(Default)]
struct Variable {
    bytes: u64,
    contexts: u64,
    context: u32,
}

/// The variable holding most of `group`'s bytes, when one holds at least half; `preferred` is
/// the function the group is named after (its context is the one to describe when it holds
/// the variable).
pub fn find(g: &HeapGraph, scripts: &Scripts, group: &Group, preferred: u32) -> Option<Captured> {
    let s = &g.snapshot;
    let step = group.roots.len().div_ceil(SAMPLE).max(1);
    let mut total = 0u64;
    let mut variables: FxHashMap<String, Variable> = FxHashMap::default();
    let mut stack = Vec::new();
    for &root in group.roots.iter().step_by(step) {
        total += g.retained_size(root);
        stack.clear();
        stack.push(root);
        let mut walked = 0;
        while let Some(node) = stack.pop() {
            walked += 1;
            if walked > WALK_LIMIT {
                break;
            }
            stack.extend_from_slice(g.dominated(node));
            if !s.strings.eq(s.nodes.name[node as usize], "system / Context") {
                continue;
            }
            for e in s.edge_range(node) {
                let held = s.edges.to_node(e);
                if u16::from(s.edges.kind(e)) != g.edge_kinds.context || g.dominator[held as usize] != node {
                    continue;
                }
                let variable = variables.entry(g.edge_name(e as u32)).or_default();
                variable.bytes += g.retained_size(held);
                variable.contexts += 1;
                variable.context = node;
            }
        }
    }
    let (name, variable) = variables.into_iter().max_by_key(|(name, v)| (v.bytes, std::cmp::Reverse(name.clone())))?;
    let share = variable.bytes as f64 / total.max(1) as f64;
    if share < LEAST_SHARE {
        return None;
    }
    let closures: Vec<u32> = g
        .retainers()
        .of(variable.context)
        .iter()
        .filter(|&&e| s.strings.eq(s.edges.name_or_index(e as usize), "context"))
        .map(|&e| s.edge_source(e))
        .filter(|&f| u16::from(s.nodes.kind[f as usize]) == g.node_kinds.closure)
        .collect();
    let function = closures
        .iter()
        .copied()
        .find(|&f| f == super::primary::looked_through(g, scripts, preferred))
        .or(closures.first().copied());
    let position = function.and_then(|f| g.location_of(f)).map(|l| (l, scripts.resolve(g, l)));
    let read_by_function = position.as_ref().and_then(|(l, _)| {
        let source = super::source_text::script_text(g, scripts, l.script_id)?;
        let body = function_text(&source, l.line as usize, l.column as usize)?;
        Some(mentions(body, &name))
    });
    Some(Captured {
        function: function.map_or_else(|| "(a closure)".to_owned(), |f| super::primary::function_name(g, f)),
        location: position.map(|(_, p)| p.display()),
        bytes_each: variable.bytes / variable.contexts.max(1),
        share,
        read_by_function,
        variable: name,
    })
}

/// The text of the function that starts at `line` and `column` (0-based) of `source`, from its
/// start to the end of its body: a `{ … }` block, or an arrow function's expression.
pub(super) fn function_text(source: &str, line: usize, column: usize) -> Option<&str> {
    let line_start: usize = source.split_inclusive('\n').take(line).map(str::len).sum();
    let start = line_start + source.get(line_start..)?.char_indices().nth(column).map_or(0, |(i, _)| i);
    let text = source.get(start..)?;
    let bytes = text.as_bytes();
    let mut depth: i32 = 0;
    let mut body: Option<(usize, i32, bool)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'=' if bytes.get(i + 1) == Some(&b'>') && body.is_none() && depth == 0 => {
                let rest = text[i + 2..].trim_start();
                if !rest.starts_with('{') {
                    body = Some((i + 2, depth, true));
                }
                i += 1;
            }
            b'{' | b'(' | b'[' => {
                if b == b'{' && body.is_none() && depth == 0 {
                    body = Some((i, depth, false));
                }
                depth += 1;
            }
            b'}' | b')' | b']' => {
                depth -= 1;
                if let Some((_, at, expression)) = body {
                    if depth < at || (!expression && depth == at && b == b'}') {
                        return Some(&text[..i + usize::from(!expression)]);
                    }
                }
                if depth < 0 {
                    return Some(&text[..i]);
                }
            }
            b',' | b';' if body.is_some_and(|(_, at, expression)| expression && depth == at) => {
                return Some(&text[..i]);
            }
            _ => {}
        }
        i += 1;
    }
    body.map(|_| text)
}

/// Where `text` first uses the identifier `name` in code (not in a comment or a string, nor as
/// a property after a dot).
pub(super) fn mention(text: &str, name: &str) -> Option<usize> {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    let (bytes, word) = (text.as_bytes(), name.as_bytes());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4);
            }
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ if bytes[i..].starts_with(word)
                && (i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b'.'))
                && !bytes.get(i + word.len()).is_some_and(|&c| is_ident(c)) =>
            {
                return Some(i);
            }
            _ => i += 1,
        }
    }
    None
}

fn mentions(text: &str, name: &str) -> bool {
    mention(text, name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_text_ends_with_its_body() {
        let source = "const a = 1;\nregistry.on('done', function onJobDone() { return { i }; }); body();\n";
        let text = function_text(source, 1, 20).unwrap();
        assert_eq!(text, "function onJobDone() { return { i }; }");
        assert!(!mentions(text, "body") && mentions(text, "i"));
        let arrow = "list.push(() => job.id, other);";
        assert_eq!(function_text(arrow, 0, 10).unwrap(), "() => job.id");
        let block = "  x = (a, b) => {\n    // body is { not } here\n    return a.body + '}';\n  }\n rest";
        let text = function_text(block, 0, 6).unwrap();
        assert!(text.ends_with("  }") && !mentions(text, "body"), "{text}");
    }
}
