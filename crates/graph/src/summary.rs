//! The Summary view: nodes grouped by class key (the class name, or for objects with a source
//! location that location plus the name), with count, self size, retained size without double
//! counting, and the smallest distance — DevTools' `aggregatesWithFilter`.

use std::collections::HashMap;

use heaplens_snapshot::{Location, Snapshot};

use crate::kinds::NodeKinds;
use crate::HeapGraph;

/// A class key as DevTools builds it: `,Name`, or `script,line,column,Name` for objects with a
/// source location.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClassKey {
    /// Keyed by the class name's string index.
    Name(u32),
    /// An object keyed by its source location and class name.
    Located {
        /// V8 script id.
        script_id: u32,
        /// 0-based line.
        line: u32,
        /// 0-based column.
        column: u32,
        /// Class name.
        name: String,
    },
}

/// One row of the Summary view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    /// DevTools' public class key (`,Name` or `script,line,column,Name`).
    pub key: String,
    /// Class name.
    pub name: String,
    /// The source location for location-keyed classes.
    pub location: Option<Location>,
    /// Number of instances (self size > 0).
    pub count: u64,
    /// Sum of self sizes.
    pub self_size: u64,
    /// Sum of retained sizes of instances no other instance of the class dominates.
    pub retained_size: u64,
    /// Smallest distance of an instance.
    pub distance: i32,
    /// Node ordinals of the instances, in node order.
    pub members: Vec<u32>,
}

/// Dense class ids per node: nodes with the same DevTools class key share an id.
#[derive(Debug, Clone, Default)]
pub struct ClassIds {
    /// Class id per node ordinal.
    pub of_node: Vec<u32>,
    /// The key of each class id.
    pub keys: Vec<ClassKey>,
}

impl ClassIds {
    /// Assigns ids from class indexes and object locations.
    pub(crate) fn build(s: &Snapshot, nk: &NodeKinds, locations: &[Location], classes: &[u32]) -> ClassIds {
        let n = s.node_count();
        let mut by_index: Vec<u32> = vec![u32::MAX; s.strings.len()];
        let mut by_location: HashMap<(u32, u32, u32, String), u32> = HashMap::new();
        let mut keys = Vec::new();
        let mut of_node = Vec::with_capacity(n);
        let object = nk.object;
        let mut locations = locations.iter().peekable();
        for i in 0..n {
            let class = classes[i];
            while locations.next_if(|l| (l.node as usize) < i).is_some() {}
            let located = match locations.peek() {
                Some(l) if l.node as usize == i && u16::from(s.nodes.kind[i]) == object => Some(**l),
                _ => None,
            };
            let id = match located {
                None => {
                    let slot = &mut by_index[class as usize];
                    if *slot == u32::MAX {
                        keys.push(ClassKey::Name(class));
                        *slot = keys.len() as u32 - 1;
                    }
                    *slot
                }
                Some(loc) => {
                    let name = s.strings.get(class).into_owned();
                    let key = (loc.script_id, loc.line, loc.column, name);
                    *by_location.entry(key.clone()).or_insert_with(|| {
                        keys.push(ClassKey::Located { script_id: key.0, line: key.1, column: key.2, name: key.3 });
                        keys.len() as u32 - 1
                    })
                }
            };
            of_node.push(id);
        }
        ClassIds { of_node, keys }
    }
}

/// The Summary rows for the nodes `filter` accepts (all when `None`), keyed as DevTools keys
/// them; when two internal keys print the same, the later one wins, as in DevTools.
pub(crate) fn summarize(
    g: &HeapGraph,
    ids: &ClassIds,
    classes: &[u32],
    filter: Option<&dyn Fn(u32) -> bool>,
) -> Vec<ClassSummary> {
    let s = &g.snapshot;
    let n = s.node_count();
    let accepts = |i: u32| filter.is_none_or(|f| f(i));
    let mut slot_of_class: Vec<u32> = vec![u32::MAX; ids.keys.len()];
    let mut rows: Vec<ClassSummary> = Vec::new();
    for i in 0..n as u32 {
        let size = s.nodes.self_size[i as usize];
        if size == 0 || !accepts(i) {
            continue;
        }
        let class = ids.of_node[i as usize];
        let distance = g.distance[i as usize];
        let slot = slot_of_class[class as usize];
        if slot == u32::MAX {
            slot_of_class[class as usize] = rows.len() as u32;
            let (key, name, location) = match &ids.keys[class as usize] {
                ClassKey::Name(index) => {
                    let name = s.strings.get(*index).into_owned();
                    (format!(",{name}"), s.strings.get(classes[i as usize]).into_owned(), None)
                }
                ClassKey::Located { script_id, line, column, name } => (
                    format!("{script_id},{line},{column},{name}"),
                    name.clone(),
                    Some(Location { node: i, script_id: *script_id, line: *line, column: *column }),
                ),
            };
            rows.push(ClassSummary {
                key,
                name,
                location,
                count: 1,
                self_size: u64::from(size),
                retained_size: 0,
                distance,
                members: vec![i],
            });
        } else {
            let row = &mut rows[slot as usize];
            row.count += 1;
            row.self_size += u64::from(size);
            row.distance = row.distance.min(distance);
            row.members.push(i);
        }
    }
    // Retained size per class: instances with no dominating instance of the same class.
    let mut active = vec![false; ids.keys.len()];
    let mut stack: Vec<(u32, bool)> = vec![(s.root, false)];
    while let Some((node, leaving)) = stack.pop() {
        let class = ids.of_node[node as usize];
        if leaving {
            active[class as usize] = false;
            continue;
        }
        let children = g.dominated(node);
        if !active[class as usize] && s.nodes.self_size[node as usize] != 0 && accepts(node) {
            let slot = slot_of_class[class as usize];
            rows[slot as usize].retained_size += g.retained_size[node as usize];
            if !children.is_empty() {
                active[class as usize] = true;
                stack.push((node, true));
            }
        }
        stack.extend(children.iter().map(|&c| (c, false)));
    }
    // Same printed key: the later class wins, as when DevTools fills its result object.
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut result: Vec<ClassSummary> = Vec::with_capacity(rows.len());
    for row in rows {
        match position.get(&row.key) {
            Some(&p) => result[p] = row,
            None => {
                position.insert(row.key.clone(), result.len());
                result.push(row);
            }
        }
    }
    result
}
