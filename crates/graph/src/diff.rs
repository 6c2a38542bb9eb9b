//! The Comparison view: per class, which objects (by node id) a snapshot added and removed
//! relative to a base snapshot of the same process — DevTools' `calculateSnapshotDiff`, with the
//! base classified by the current snapshot's interface definitions.

use std::collections::HashMap;

use heaplens_snapshot::Location;

use crate::classes::{self, ProvisionalNames};
use crate::summary::{ClassIds, ClassSummary};
use crate::HeapGraph;

/// One row of the Comparison view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDiff {
    /// DevTools' public class key.
    pub key: String,
    /// Class name.
    pub name: String,
    /// Source location of location-keyed classes.
    pub location: Option<Location>,
    /// Objects present only in the current snapshot.
    pub added_count: u64,
    /// Objects present only in the base snapshot.
    pub removed_count: u64,
    /// Their self sizes.
    pub added_size: u64,
    /// Self sizes of removed objects (as in the base).
    pub removed_size: u64,
    /// Ordinals of the added objects in the current snapshot, in id order.
    pub added: Vec<u32>,
    /// Ordinals of the removed objects in the base snapshot, in id order.
    pub removed: Vec<u32>,
}

impl ClassDiff {
    /// `added_count - removed_count`.
    pub fn count_delta(&self) -> i64 {
        self.added_count as i64 - self.removed_count as i64
    }

    /// `added_size - removed_size`.
    pub fn size_delta(&self) -> i64 {
        self.added_size as i64 - self.removed_size as i64
    }

    fn add(&mut self, (_, size, node): (u32, u64, u32)) {
        self.added_count += 1;
        self.added_size += size;
        self.added.push(node);
    }

    fn remove(&mut self, (_, size, node): (u32, u64, u32)) {
        self.removed_count += 1;
        self.removed_size += size;
        self.removed.push(node);
    }
}

struct Side<'a> {
    graph: &'a HeapGraph,
    rows: HashMap<String, ClassSummary>,
}

impl Side<'_> {
    /// Members of a class as (id, self size, ordinal), sorted by id.
    fn members(&self, key: &str) -> Vec<(u32, u64, u32)> {
        let s = &self.graph.snapshot;
        let mut m: Vec<(u32, u64, u32)> = self.rows.get(key).map_or_else(Vec::new, |r| {
            r.members
                .iter()
                .map(|&i| (s.nodes.id.get(i as usize), u64::from(s.nodes.self_size.get(i as usize)), i))
                .collect()
        });
        m.sort_unstable_by_key(|&(id, _, _)| id);
        m
    }
}

/// `base`'s classes under `current`'s interface definitions, as the Comparison classifies the
/// base (DevTools' own). Found while both graphs are shared; see [`PendingClasses::name_in`].
pub struct PendingClasses {
    classes: Vec<u32>,
    new_names: ProvisionalNames,
}

/// [`PendingClasses`] whose interface names are in the base's string table.
pub struct ForeignClasses(Vec<u32>);

impl PendingClasses {
    /// Classifies `base`'s objects with `current`'s interface definitions (the long part).
    pub fn classify(base: &HeapGraph, current: &HeapGraph) -> PendingClasses {
        let mut classes = base.class_indexes();
        let new_names = classes::match_interfaces(
            &base.snapshot,
            &base.node_kinds,
            &base.edge_kinds,
            &current.interfaces,
            &base.interface_names,
            &mut classes,
            base.snapshot.strings.len() as u32,
        );
        PendingClasses { classes, new_names }
    }

    /// Adds the interface names `base` did not have to its string table (a short step, the
    /// only one that changes the base).
    pub fn name_in(mut self, base: &mut HeapGraph) -> ForeignClasses {
        self.new_names.intern(&mut base.snapshot, &mut base.interface_names, &mut self.classes);
        ForeignClasses(self.classes)
    }
}

/// Compares `current` with `base`. `base` is classified with `current`'s interface
/// definitions for the comparison, as DevTools does.
pub fn diff(base: &mut HeapGraph, current: &HeapGraph) -> Vec<ClassDiff> {
    let foreign = PendingClasses::classify(base, current).name_in(base);
    diff_classified(base, current, &foreign)
}

/// [`diff`] with the base already classified for `current`.
pub fn diff_classified(base: &HeapGraph, current: &HeapGraph, foreign: &ForeignClasses) -> Vec<ClassDiff> {
    let foreign_classes = &foreign.0;
    let base_ids = ClassIds::build(&base.snapshot, &base.node_kinds, &base.locations, foreign_classes.clone());
    let base_rows = crate::summary::summarize(base, &base_ids, None, crate::Members::Listed);
    let base_side = Side { graph: base, rows: base_rows.into_iter().map(|r| (r.key.clone(), r)).collect() };
    let current_rows = current.summary(None, crate::Members::Listed);
    let order: Vec<String> = current_rows.iter().map(|r| r.key.clone()).collect();
    let current_side = Side { graph: current, rows: current_rows.into_iter().map(|r| (r.key.clone(), r)).collect() };

    let mut keys: Vec<&String> = base_side.rows.keys().collect();
    keys.sort();
    keys.extend(order.iter().filter(|k| !base_side.rows.contains_key(*k)));
    let mut result = Vec::new();
    for key in keys {
        let old = base_side.members(key);
        let new = current_side.members(key);
        let mut d = ClassDiff {
            key: key.clone(),
            name: String::new(),
            location: None,
            added_count: 0,
            removed_count: 0,
            added_size: 0,
            removed_size: 0,
            added: Vec::new(),
            removed: Vec::new(),
        };
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < new.len() {
            if old[i].0 < new[j].0 {
                d.remove(old[i]);
                i += 1;
            } else if old[i].0 > new[j].0 {
                d.add(new[j]);
                j += 1;
            } else {
                i += 1;
                j += 1;
            }
        }
        old[i..].iter().for_each(|&m| d.remove(m));
        new[j..].iter().for_each(|&m| d.add(m));
        if d.added_count == 0 && d.removed_count == 0 {
            continue;
        }
        match current_side.rows.get(key) {
            Some(row) => {
                d.name = row.name.clone();
                d.location = row.location;
            }
            None => {
                let row = &base_side.rows[key];
                // DevTools names a class gone from the current snapshot after the base's own
                // classification of its last instance by id.
                let last = row.members.iter().copied().max_by_key(|&m| base.snapshot.nodes.id.get(m as usize));
                d.name = last.map_or_else(String::new, |m| base.class_name(m).into_owned());
                d.location = row.location;
            }
        }
        result.push(d);
    }
    result
}
