//! Class names as DevTools shows them: `(system)`, `(compiled code)`, `Function`, `<div>`,
//! constructor names, and inferred interface names like `{id, name, email}` for plain objects.
//! Also the names DevTools gives single nodes (a plain object's `{a, b, …, z}`, a cons string's
//! text).

use std::borrow::Cow;
use std::collections::HashMap;

use heaplens_snapshot::Snapshot;
use rustc_hash::FxHashMap;

use crate::kinds::{EdgeKinds, NodeKinds};

/// After this many properties, an inferred interface name stops growing past
/// [`MAX_INTERFACE_NAME_LENGTH`].
const MIN_INTERFACE_PROPERTY_COUNT: usize = 1;
const MAX_INTERFACE_NAME_LENGTH: usize = 120;
const MIN_OBJECT_COUNT_PER_INTERFACE: f64 = 2.0;
const MIN_OBJECT_PROPORTION_PER_INTERFACE: f64 = 1000.0;

/// A named set of properties: a plain object with all of them (and maybe more) belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDefinition {
    /// The class name shown, like `{a, b}`.
    pub name: String,
    /// The property names, in the order of the object that defined it.
    pub properties: Vec<String>,
}

/// Length of a string in UTF-16 code units, as JavaScript's `length` counts.
pub(crate) fn js_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// DevTools' `formatPropertyName`: names with `,'"{}` are shown as JSON strings.
pub fn format_property_name(name: &str) -> Cow<'_, str> {
    if name.contains([',', '\'', '"', '{', '}']) {
        Cow::Owned(serde_json_string(name))
    } else {
        Cow::Borrowed(name)
    }
}

/// `JSON.stringify` of a string.
fn serde_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// DevTools' first class index per node (before interfaces), and the synthetic class names
/// DevTools adds to the string table, in its order, so class identity matches DevTools' exactly.
/// Only reads the snapshot: the names get provisional indexes, made theirs by
/// [`ProvisionalNames::push_into`]. The indexes fill `buffer` (an array another step is done
/// with: its pages are mapped already).
pub(crate) fn base_class_indexes(s: &Snapshot, nk: &NodeKinds, buffer: Vec<u32>) -> (Vec<u32>, ProvisionalNames) {
    let mut names = ProvisionalNames::new(s.strings.len() as u32);
    let mut intern = |name: String| names.index_of(&name);
    let system = intern("(system)".into());
    let code = intern("(compiled code)".into());
    let function = intern("Function".into());
    let regexp = intern("RegExp".into());
    // An object's class depends on its name alone, any other node's on its type: each worked
    // out once, in the order nodes first show it (the order names are interned in).
    const UNSEEN: u32 = u32::MAX;
    let mut by_type: Vec<u32> = vec![UNSEEN; s.node_types.len()];
    let mut by_name: Vec<u32> = vec![UNSEEN; s.strings.len()];
    let n = s.node_count();
    let mut classes = buffer;
    classes.clear();
    classes.reserve(n);
    for i in 0..n {
        let kind = u16::from(s.nodes.kind[i]);
        let class = if kind == nk.hidden {
            system
        } else if kind == nk.object || kind == nk.native {
            let name_index = s.nodes.name[i];
            match by_name[name_index as usize] {
                UNSEEN => {
                    let class = object_class(s, name_index, &mut intern);
                    by_name[name_index as usize] = class;
                    class
                }
                class => class,
            }
        } else if kind == nk.code {
            code
        } else if kind == nk.closure {
            function
        } else if kind == nk.regexp {
            regexp
        } else {
            match by_type[kind as usize] {
                UNSEEN => {
                    let class = intern(format!("({})", s.node_types[kind as usize]));
                    by_type[kind as usize] = class;
                    class
                }
                class => class,
            }
        };
        classes.push(class);
    }
    (classes, names)
}

/// The class of an object or native node named `name_index`: the name, or for a DOM-like
/// `<div class=...>` (detached or not) its tag alone.
fn object_class(s: &Snapshot, name_index: u32, intern: &mut impl FnMut(String) -> u32) -> u32 {
    let tag_end = if s.strings.starts_with(name_index, "<") {
        0
    } else if s.strings.starts_with(name_index, "Detached <") {
        10
    } else {
        return name_index;
    };
    let name = s.strings.get(name_index);
    let short = match name[tag_end..].find(' ') {
        Some(space) => format!("{}>", &name[..tag_end + space]),
        None => name.into_owned(),
    };
    intern(short)
}

/// Whether node `i` is a plain JavaScript `Object`.
pub(crate) fn is_plain_object(s: &Snapshot, nk: &NodeKinds, i: usize) -> bool {
    u16::from(s.nodes.kind[i]) == nk.object && s.strings.eq(s.nodes.name[i], "Object")
}

/// [`is_plain_object`] for passes over every node: the name's string index is compared with
/// those that spell `Object`, found once.
struct PlainObjects {
    object: u16,
    names: Vec<u32>,
}

impl PlainObjects {
    fn of(s: &Snapshot, nk: &NodeKinds) -> PlainObjects {
        PlainObjects { object: nk.object, names: s.strings.indexes_of("Object") }
    }

    #[inline]
    fn contains(&self, s: &Snapshot, i: usize) -> bool {
        u16::from(s.nodes.kind[i]) == self.object && self.names.contains(&s.nodes.name[i])
    }
}

/// Groups plain objects by their sequence of property-edge names (string indexes), keeping the
/// first object of each sequence and how many objects share it.
fn property_sequences(s: &Snapshot, nk: &NodeKinds, ek: &EdgeKinds) -> (Vec<(Vec<u32>, usize, usize)>, usize) {
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut sequences: Vec<(Vec<u32>, usize, usize)> = Vec::new();
    let mut props: Vec<u32> = Vec::new();
    let mut total = 0;
    let plain = PlainObjects::of(s, nk);
    for i in 0..s.node_count() {
        if !plain.contains(s, i) {
            continue;
        }
        total += 1;
        props.clear();
        for e in s.edge_range(i as u32) {
            if u16::from(s.edges.kind(e)) == ek.property {
                props.push(s.edges.name_or_index(e));
            }
        }
        match index.get(props.as_slice()) {
            Some(&k) => sequences[k].2 += 1,
            None => {
                index.insert(props.clone(), sequences.len());
                sequences.push((props.clone(), i, 1));
            }
        }
    }
    (sequences, total)
}

/// DevTools' `inferInterfaceDefinitions`: property sets that at least max(2, objects/1000)
/// plain objects start with, most popular first.
pub(crate) fn infer_interfaces(s: &Snapshot, nk: &NodeKinds, ek: &EdgeKinds) -> Vec<InterfaceDefinition> {
    let (sequences, total) = property_sequences(s, nk, ek);
    // name -> (definition, count, first object)
    let mut candidates: HashMap<String, (InterfaceDefinition, usize, usize)> = HashMap::new();
    for (props, first, count) in &sequences {
        let mut name = String::from("{");
        let mut name_len = 1;
        let mut properties = Vec::new();
        for &p in props {
            let prop = s.strings.get(p);
            if prop == "__proto__" {
                continue;
            }
            let formatted = format_property_name(&prop);
            let formatted_len = js_len(&formatted);
            if name_len > MIN_INTERFACE_PROPERTY_COUNT && name_len + formatted_len > MAX_INTERFACE_NAME_LENGTH {
                break;
            }
            if name_len != 1 {
                name.push_str(", ");
                name_len += 2;
            }
            name.push_str(&formatted);
            name_len += formatted_len;
            properties.push(prop.into_owned());
        }
        if properties.is_empty() {
            continue;
        }
        name.push('}');
        let entry =
            candidates.entry(name.clone()).or_insert_with(|| (InterfaceDefinition { name, properties }, 0, *first));
        entry.1 += count;
        entry.2 = entry.2.min(*first);
    }
    let mut sorted: Vec<(InterfaceDefinition, usize, usize)> = candidates.into_values().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let min_count = MIN_OBJECT_COUNT_PER_INTERFACE.max(total as f64 / MIN_OBJECT_PROPORTION_PER_INTERFACE);
    sorted.into_iter().take_while(|c| c.1 as f64 >= min_count).map(|c| c.0).collect()
}

/// Whether the sorted multiset `needles` is contained in the sorted multiset `haystack`.
fn is_sub_multiset(needles: &[String], haystack: &[String]) -> bool {
    let mut h = haystack.iter();
    'outer: for n in needles {
        for candidate in h.by_ref() {
            if candidate == n {
                continue 'outer;
            }
        }
        return false;
    }
    true
}

/// Class names given to classes before they are in the string table, by steps that only read
/// the snapshot: the `k`th distinct name has the provisional index `first + k`.
#[derive(Debug)]
pub(crate) struct ProvisionalNames {
    first: u32,
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl ProvisionalNames {
    /// No names yet; the first one will have index `first`.
    pub(crate) fn new(first: u32) -> ProvisionalNames {
        ProvisionalNames { first, names: Vec::new(), index: HashMap::new() }
    }

    /// The provisional index of `name`, given on its first call.
    pub(crate) fn index_of(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.end();
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }

    /// The index after the last one given: where names still to come may start.
    pub(crate) fn end(&self) -> u32 {
        self.first + self.names.len() as u32
    }

    /// Appends the names to the string table in order, where their provisional indexes were
    /// reserved: nothing may have been added to the table since `first` was its length.
    pub(crate) fn push_into(self, s: &mut Snapshot) {
        assert_eq!(s.strings.len() as u32, self.first, "strings were added while names were provisional");
        for name in self.names {
            s.strings.push(name);
        }
    }

    /// Gives interface names string indexes (once: a name another call interned meanwhile keeps
    /// its index) and puts them in place of the provisional ones in `classes`.
    pub(crate) fn intern(self, s: &mut Snapshot, interface_names: &mut HashMap<String, u32>, classes: &mut [u32]) {
        let mut moved = false;
        let mut final_index = Vec::with_capacity(self.names.len());
        for (k, name) in self.names.into_iter().enumerate() {
            let index = *interface_names.entry(name).or_insert_with_key(|name| s.strings.push(name.clone()));
            moved |= index != self.first + k as u32;
            final_index.push(index);
        }
        if moved {
            let provisional = self.first..self.first + final_index.len() as u32;
            for class in classes.iter_mut().filter(|c| provisional.contains(c)) {
                *class = final_index[(*class - self.first) as usize];
            }
        }
    }
}

/// DevTools' `applyInterfaceDefinitions`: each plain object takes the name of the definition with
/// the most properties it has (ties: the more popular one); others keep `Object`. Only reads the
/// snapshot: names not yet in `interface_names` get provisional indexes from `first` on (the
/// string table's length, or past names still to be pushed), for [`ProvisionalNames::intern`].
pub(crate) fn match_interfaces(
    s: &Snapshot,
    nk: &NodeKinds,
    ek: &EdgeKinds,
    definitions: &[InterfaceDefinition],
    interface_names: &HashMap<String, u32>,
    classes: &mut [u32],
    first: u32,
) -> ProvisionalNames {
    let sorted_defs: Vec<Vec<String>> = definitions
        .iter()
        .map(|d| {
            let mut p = d.properties.clone();
            p.sort();
            p
        })
        .collect();
    let mut new_names = ProvisionalNames::new(first);
    // The best definition per list of property names, and the class index per definition,
    // each worked out once.
    let mut resolved: FxHashMap<Vec<u32>, Option<usize>> = FxHashMap::default();
    let mut class_of_definition: Vec<Option<u32>> = vec![None; definitions.len()];
    let mut props: Vec<u32> = Vec::new();
    let plain = PlainObjects::of(s, nk);
    for (i, class) in classes.iter_mut().enumerate() {
        if !plain.contains(s, i) {
            continue;
        }
        props.clear();
        for e in s.edge_range(i as u32) {
            if u16::from(s.edges.kind(e)) == ek.property {
                props.push(s.edges.name_or_index(e));
            }
        }
        let matched = match resolved.get(props.as_slice()) {
            Some(&m) => m,
            None => {
                let mut names: Vec<String> = props.iter().map(|&p| s.strings.get(p).into_owned()).collect();
                names.sort();
                let mut best: Option<usize> = None;
                for (d, def_props) in sorted_defs.iter().enumerate() {
                    let better = best.is_none_or(|b| def_props.len() > sorted_defs[b].len());
                    if better && is_sub_multiset(def_props, &names) {
                        best = Some(d);
                    }
                }
                resolved.insert(props.clone(), best);
                best
            }
        };
        *class = match matched {
            None => s.nodes.name[i],
            Some(d) => *class_of_definition[d].get_or_insert_with(|| {
                let name = definitions[d].name.as_str();
                match interface_names.get(name) {
                    Some(&c) => c,
                    None => new_names.index_of(name),
                }
            }),
        };
    }
    new_names
}

/// The name DevTools shows for node `i`: a cons string's text (first 1024+ characters), a plain
/// object's `{a, b, …, y, z}`, otherwise the raw name.
pub fn node_display_name(s: &Snapshot, nk: &NodeKinds, ek: &EdgeKinds, i: u32) -> String {
    let kind = u16::from(s.nodes.kind[i as usize]);
    if kind == nk.cons_string {
        return cons_string_text(s, nk, ek, i);
    }
    if is_plain_object(s, nk, i as usize) {
        return plain_object_name(s, ek, i);
    }
    s.strings.get(s.nodes.name[i as usize]).into_owned()
}

fn cons_string_text(s: &Snapshot, nk: &NodeKinds, ek: &EdgeKinds, i: u32) -> String {
    let mut stack = vec![i];
    let mut text = String::new();
    let mut text_len = 0;
    // DevTools loops forever on a cons string that contains itself; heaplens stops.
    let mut visits_left = 1 << 16;
    while let Some(node) = stack.pop() {
        if text_len >= 1024 || visits_left == 0 {
            break;
        }
        visits_left -= 1;
        if u16::from(s.nodes.kind[node as usize]) != nk.cons_string {
            let piece = s.strings.get(s.nodes.name[node as usize]);
            text_len += js_len(&piece);
            text.push_str(&piece);
            continue;
        }
        let (mut first, mut second) = (None, None);
        for e in s.edge_range(node) {
            if first.is_some() && second.is_some() {
                break;
            }
            if u16::from(s.edges.kind(e)) != ek.internal {
                continue;
            }
            let name = s.edges.name_or_index(e);
            if s.strings.eq(name, "first") {
                first = Some(s.edges.to_node(e));
            } else if s.strings.eq(name, "second") {
                second = Some(s.edges.to_node(e));
            }
        }
        // DevTools reads a missing part as node index 0, the first node.
        stack.push(second.unwrap_or(0));
        stack.push(first.unwrap_or(0));
    }
    text
}

fn plain_object_name(s: &Snapshot, ek: &EdgeKinds, i: u32) -> String {
    let range = s.edge_range(i);
    let property = |e: usize| -> Option<Cow<'_, str>> {
        if u16::from(s.edges.kind(e)) != ek.property {
            return None;
        }
        let name = s.strings.get(s.edges.name_or_index(e));
        (name != "__proto__").then_some(name)
    };
    let mut start = String::from("{");
    let mut start_len = 1;
    let mut end_parts: Vec<String> = Vec::new();
    let mut end_len = 1;
    let (mut from_start, mut from_end) = (range.start as isize, range.end as isize - 1);
    let mut next_from_end = false;
    while from_start <= from_end {
        let e = if next_from_end { from_end } else { from_start } as usize;
        let Some(name) = property(e) else {
            if next_from_end {
                from_end -= 1;
            } else {
                from_start += 1;
            }
            continue;
        };
        let formatted = format_property_name(&name).into_owned();
        let formatted_len = js_len(&formatted);
        if start_len > 1 && start_len + end_len + formatted_len > 100 {
            break;
        }
        if next_from_end {
            from_end -= 1;
            if end_len > 1 {
                end_len += 2;
            }
            end_len += formatted_len;
            end_parts.push(formatted);
        } else {
            from_start += 1;
            if start_len > 1 {
                start.push_str(", ");
                start_len += 2;
            }
            start.push_str(&formatted);
            start_len += formatted_len;
        }
        next_from_end = !next_from_end;
    }
    if from_start <= from_end {
        start.push_str(", …");
    }
    if end_len > 1 {
        start.push_str(", ");
    }
    end_parts.reverse();
    start.push_str(&end_parts.join(", "));
    start.push('}');
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_property_names_like_devtools() {
        assert_eq!(format_property_name("plain"), "plain");
        assert_eq!(format_property_name("a,b"), "\"a,b\"");
        assert_eq!(format_property_name("say \"hi\"\n{x}"), "\"say \\\"hi\\\"\\n{x}\"");
    }

    #[test]
    fn sub_multisets() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(is_sub_multiset(&v(&["a", "c"]), &v(&["a", "b", "c"])));
        assert!(!is_sub_multiset(&v(&["a", "a"]), &v(&["a", "b"])));
        assert!(is_sub_multiset(&v(&[]), &v(&["a"])));
    }
}
