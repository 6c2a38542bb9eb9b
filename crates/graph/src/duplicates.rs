//! Duplicated strings, grouped as DevTools' "Duplicated strings" filter groups them: string and
//! concatenated-string nodes with the same text (a cons string by its first 1024+ characters;
//! strings V8 wrote truncated also by their length and hash), biggest retained total first.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::HeapGraph;

/// Strings with the same content held more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateString {
    /// The text (a cons string's first 1024+ characters; V8's prefix of a truncated string).
    pub value: String,
    /// Whether V8 wrote these strings truncated (grouped by length and hash too).
    pub truncated: bool,
    /// Node ordinals holding this text, in node order.
    pub nodes: Vec<u32>,
    /// Sum of their self sizes.
    pub total_self_size: u64,
    /// Sum of their retained sizes.
    pub total_retained_size: u64,
}

impl DuplicateString {
    /// Bytes that one shared copy would save: all copies but the largest.
    pub fn wasted_size(&self, g: &HeapGraph) -> u64 {
        let largest = self.nodes.iter().map(|&n| u64::from(g.snapshot.nodes.self_size[n as usize])).max().unwrap_or(0);
        self.total_self_size - largest
    }
}

/// Groups in the order they are first seen, keyed by `K`.
struct Groups<K> {
    index: HashMap<K, usize>,
    groups: Vec<DuplicateString>,
}

impl<K: std::hash::Hash + Eq> Groups<K> {
    fn new() -> Self {
        Groups { index: HashMap::new(), groups: Vec::new() }
    }

    fn add(&mut self, key: K, value: &str, truncated: bool, g: &HeapGraph, node: u32) {
        let next = self.groups.len();
        let at = *self.index.entry(key).or_insert(next);
        if at == next {
            let group = DuplicateString {
                value: value.to_owned(),
                truncated,
                nodes: Vec::new(),
                total_self_size: 0,
                total_retained_size: 0,
            };
            self.groups.push(group);
        }
        let group = &mut self.groups[at];
        group.nodes.push(node);
        group.total_self_size += u64::from(g.snapshot.nodes.self_size[node as usize]);
        group.total_retained_size += g.retained_size[node as usize];
    }
}

/// Every duplicated string, largest total retained size first (ties in first-seen order).
pub fn duplicate_strings(g: &HeapGraph) -> Vec<DuplicateString> {
    let s = &g.snapshot;
    let nk = &g.node_kinds;
    let mut whole: Groups<Cow<'_, str>> = Groups::new();
    // Truncated strings: grouped by text first (in first-seen order), then by length and hash.
    let mut truncated: Groups<(usize, Option<i64>, Option<i64>)> = Groups::new();
    let mut truncated_names: HashMap<Cow<'_, str>, usize> = HashMap::new();
    let mut truncated_name_order: Vec<usize> = Vec::new();
    for node in 0..s.node_count() as u32 {
        let kind = u16::from(s.nodes.kind[node as usize]);
        if kind != nk.string && kind != nk.cons_string {
            continue;
        }
        if s.nodes.self_size[node as usize] == 0 || is_flat_cons_string(g, node) {
            continue;
        }
        let name: Cow<'_, str> = if kind == nk.cons_string {
            Cow::Owned(g.display_name(node))
        } else {
            s.strings.get(s.nodes.name[node as usize])
        };
        if is_truncated_string(g, node) {
            let next = truncated_names.len();
            let name_order = *truncated_names.entry(name.clone()).or_insert(next);
            let length = internal_target(g, node, "length").and_then(|n| int_value(g, n));
            let hash = internal_target(g, node, "hash").and_then(|n| int_value(g, n));
            let before = truncated.groups.len();
            truncated.add((name_order, length, hash), &name, true, g, node);
            if truncated.groups.len() > before {
                truncated_name_order.push(name_order);
            }
        } else {
            whole.add(name.clone(), &name, false, g, node);
        }
    }
    let mut truncated_groups: Vec<(usize, DuplicateString)> =
        truncated_name_order.into_iter().zip(truncated.groups).collect();
    truncated_groups.sort_by_key(|(name_order, _)| *name_order);
    let mut all: Vec<DuplicateString> = whole.groups;
    all.extend(truncated_groups.into_iter().map(|(_, group)| group));
    all.retain(|group| group.nodes.len() > 1);
    all.sort_by_key(|group| std::cmp::Reverse(group.total_retained_size));
    all
}

/// The target of `node`'s first internal edge named `name`.
fn internal_target(g: &HeapGraph, node: u32, name: &str) -> Option<u32> {
    let s = &g.snapshot;
    s.edge_range(node)
        .find(|&e| u16::from(s.edges.kind[e]) == g.edge_kinds.internal && s.strings.eq(s.edges.name_or_index[e], name))
        .map(|e| s.edges.to_node[e])
}

/// A cons string one of whose halves is empty: V8 already flattened it.
fn is_flat_cons_string(g: &HeapGraph, node: u32) -> bool {
    let s = &g.snapshot;
    if u16::from(s.nodes.kind[node as usize]) != g.node_kinds.cons_string {
        return false;
    }
    s.edge_range(node).any(|e| {
        u16::from(s.edges.kind[e]) == g.edge_kinds.internal
            && (s.strings.eq(s.edges.name_or_index[e], "first") || s.strings.eq(s.edges.name_or_index[e], "second"))
            && g.display_name(s.edges.to_node[e]).is_empty()
    })
}

/// V8 writes a long string's prefix with an internal `truncated` edge to a `bool` node `true`.
fn is_truncated_string(g: &HeapGraph, node: u32) -> bool {
    internal_target(g, node, "truncated").is_some_and(|flag| {
        let s = &g.snapshot;
        u16::from(s.nodes.kind[flag as usize]) == g.node_kinds.number
            && s.strings.eq(s.nodes.name[flag as usize], "bool")
            && internal_target(g, flag, "value").is_some_and(|v| s.strings.eq(s.nodes.name[v as usize], "true"))
    })
}

/// The value of an `int` number node (its internal `value` edge names the digits).
fn int_value(g: &HeapGraph, node: u32) -> Option<i64> {
    let s = &g.snapshot;
    if u16::from(s.nodes.kind[node as usize]) != g.node_kinds.number
        || !s.strings.eq(s.nodes.name[node as usize], "int")
    {
        return None;
    }
    let value = internal_target(g, node, "value")?;
    crate::distances::parse_int_prefix(&s.strings.get(s.nodes.name[value as usize]))
}
