//! Duplicated strings, grouped as DevTools' "Duplicated strings" filter groups them: string and
//! concatenated-string nodes with the same text (a cons string by its first 1024+ characters;
//! strings V8 wrote truncated also by their length and hash), biggest retained total first.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

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
        let largest =
            self.nodes.iter().map(|&n| u64::from(g.snapshot.nodes.self_size.get(n as usize))).max().unwrap_or(0);
        self.total_self_size - largest
    }
}

/// Keys seen so far, numbered in first-seen order, with the nodes that carry each.
struct Keys<K> {
    ids: FxHashMap<K, u32>,
    counts: Vec<u32>,
    /// (key id, node) in node order.
    members: Vec<(u32, u32)>,
}

impl<K: std::hash::Hash + Eq> Keys<K> {
    fn new() -> Self {
        Keys { ids: FxHashMap::default(), counts: Vec::new(), members: Vec::new() }
    }

    /// Records `node` under `key`; returns the key's id and whether it is new.
    fn add(&mut self, key: K, node: u32) -> (u32, bool) {
        let next = self.counts.len() as u32;
        let id = *self.ids.entry(key).or_insert(next);
        let new = id == next;
        if new {
            self.counts.push(0);
        }
        self.counts[id as usize] += 1;
        self.members.push((id, node));
        (id, new)
    }

    /// Groups of the keys held by more than one node, in key order; `value(id)` gives the text.
    fn groups(self, g: &HeapGraph, truncated: bool, value: impl Fn(u32) -> String) -> Vec<(u32, DuplicateString)> {
        let mut group_of = vec![u32::MAX; self.counts.len()];
        let mut groups: Vec<(u32, DuplicateString)> = Vec::new();
        for (id, &count) in self.counts.iter().enumerate() {
            if count > 1 {
                group_of[id] = groups.len() as u32;
                let group = DuplicateString {
                    value: value(id as u32),
                    truncated,
                    nodes: Vec::with_capacity(count as usize),
                    total_self_size: 0,
                    total_retained_size: 0,
                };
                groups.push((id as u32, group));
            }
        }
        for (id, node) in self.members {
            if let Some((_, group)) = groups.get_mut(group_of[id as usize] as usize) {
                group.nodes.push(node);
                group.total_self_size += u64::from(g.snapshot.nodes.self_size.get(node as usize));
                group.total_retained_size += g.retained_size(node);
            }
        }
        groups
    }
}

/// Every duplicated string, largest total retained size first (ties in first-seen order).
pub fn duplicate_strings(g: &HeapGraph) -> Vec<DuplicateString> {
    let s = &g.snapshot;
    let nk = &g.node_kinds;
    let truncated_edge_names = s.strings.indexes_of("truncated");
    let mut whole: Keys<&str> = Keys::new();
    let mut whole_values: Vec<&str> = Vec::new();
    // Truncated strings group by text first (in first-seen order), then by length and hash.
    let mut names: FxHashMap<&str, u32> = FxHashMap::default();
    let mut truncated: Keys<(u32, Option<i64>, Option<i64>)> = Keys::new();
    // Per truncated key id: its text's first-seen order and the text.
    let mut truncated_keys: Vec<(u32, &str)> = Vec::new();
    // Texts first, on every core (cons strings are assembled from their parts), then grouping.
    let texts: Vec<(u32, Cow<'_, str>)> = (0..s.node_count() as u32)
        .into_par_iter()
        .filter_map(|node| {
            let kind = u16::from(s.nodes.kind[node as usize]);
            if kind != nk.string && kind != nk.cons_string {
                return None;
            }
            if s.nodes.self_size.get(node as usize) == 0 || is_flat_cons_string(g, node) {
                return None;
            }
            let text = if kind == nk.cons_string {
                Cow::Owned(g.display_name(node))
            } else {
                s.strings.get(s.nodes.name[node as usize])
            };
            Some((node, text))
        })
        .collect();
    whole.ids.reserve(texts.len());
    for (node, name) in &texts {
        let (node, name) = (*node, name.as_ref());
        if !truncated_edge_names.is_empty() && is_truncated_string(g, node, &truncated_edge_names) {
            let next = names.len() as u32;
            let name_id = *names.entry(name).or_insert(next);
            let length = g.internal_edge_target(node, &["length"]).and_then(|n| int_value(g, n));
            let hash = g.internal_edge_target(node, &["hash"]).and_then(|n| int_value(g, n));
            if truncated.add((name_id, length, hash), node).1 {
                truncated_keys.push((name_id, name));
            }
        } else if whole.add(name, node).1 {
            whole_values.push(name);
        }
    }
    let mut all: Vec<DuplicateString> =
        whole.groups(g, false, |id| whole_values[id as usize].to_owned()).into_iter().map(|(_, group)| group).collect();
    let mut by_name = truncated.groups(g, true, |id| truncated_keys[id as usize].1.to_owned());
    by_name.sort_by_key(|&(id, _)| (truncated_keys[id as usize].0, id));
    all.extend(by_name.into_iter().map(|(_, group)| group));
    all.sort_by_key(|group| std::cmp::Reverse(group.total_retained_size));
    all
}

/// A cons string one of whose halves is empty: V8 already flattened it.
fn is_flat_cons_string(g: &HeapGraph, node: u32) -> bool {
    let s = &g.snapshot;
    if u16::from(s.nodes.kind[node as usize]) != g.node_kinds.cons_string {
        return false;
    }
    s.edge_range(node).any(|e| {
        u16::from(s.edges.kind(e)) == g.edge_kinds.internal
            && (s.strings.eq(s.edges.name_or_index(e), "first") || s.strings.eq(s.edges.name_or_index(e), "second"))
            && g.display_name(s.edges.to_node(e)).is_empty()
    })
}

/// V8 writes a long string's prefix with an internal `truncated` edge to a `bool` node `true`;
/// `names` are the string indexes of "truncated".
fn is_truncated_string(g: &HeapGraph, node: u32, names: &[u32]) -> bool {
    let s = &g.snapshot;
    let flag = s
        .edge_range(node)
        .find(|&e| u16::from(s.edges.kind(e)) == g.edge_kinds.internal && names.contains(&s.edges.name_or_index(e)));
    flag.map(|e| s.edges.to_node(e)).is_some_and(|flag| {
        u16::from(s.nodes.kind[flag as usize]) == g.node_kinds.number
            && s.strings.eq(s.nodes.name[flag as usize], "bool")
            && g.internal_edge_target(flag, &["value"]).is_some_and(|v| s.strings.eq(s.nodes.name[v as usize], "true"))
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
    let value = g.internal_edge_target(node, &["value"])?;
    crate::distances::parse_int_prefix(&s.strings.get(s.nodes.name[value as usize]))
}
