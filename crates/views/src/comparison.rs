//! DevTools' Comparison view: per class, the objects a later snapshot of one process added and
//! removed since an earlier one.

use std::fmt;

use heaplens_graph::ClassDiff;
use regex::Regex;
use serde::{Serialize, Serializer};

use crate::node::JsonLocation;
use crate::table::{self, Align, Table};

/// The Comparison rows `heaplens_graph::diff` gave, filtered and ordered: `diff --json` as its
/// `Serialize`, the table as its `Display`.
pub struct Comparison {
    /// Every class that passed the filter, largest size delta first; the first `shown` are shown.
    rows: Vec<ClassDiff>,
    shown: usize,
}

impl Comparison {
    /// Keeps the classes `class` matches (all without it), largest size delta first, and shows
    /// the first `top`.
    pub fn new(mut rows: Vec<ClassDiff>, class: Option<&Regex>, top: usize) -> Comparison {
        if let Some(re) = class {
            rows.retain(|r| re.is_match(&r.name));
        }
        rows.sort_by(|a, b| {
            b.size_delta()
                .cmp(&a.size_delta())
                .then_with(|| b.count_delta().cmp(&a.count_delta()))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.key.cmp(&b.key))
        });
        Comparison { shown: top.min(rows.len()), rows }
    }
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    classes: Vec<JsonClassDiff<'a>>,
}

#[derive(Serialize)]
struct JsonClassDiff<'a> {
    name: &'a str,
    location: Option<JsonLocation>,
    added_count: u64,
    removed_count: u64,
    count_delta: i64,
    added_size: u64,
    removed_size: u64,
    size_delta: i64,
}

impl Serialize for Comparison {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let classes = self.rows[..self.shown]
            .iter()
            .map(|r| JsonClassDiff {
                name: &r.name,
                location: r.location.map(Into::into),
                added_count: r.added_count,
                removed_count: r.removed_count,
                count_delta: r.count_delta(),
                added_size: r.added_size,
                removed_size: r.removed_size,
                size_delta: r.size_delta(),
            })
            .collect();
        JsonDiff { classes }.serialize(serializer)
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            ("# New", Align::Right),
            ("# Deleted", Align::Right),
            ("# Delta", Align::Right),
            ("Alloc. Size", Align::Right),
            ("Freed Size", Align::Right),
            ("Size Delta", Align::Right),
            ("Class", Align::Left),
        ]);
        for r in &self.rows[..self.shown] {
            t.row(vec![
                r.added_count.to_string(),
                r.removed_count.to_string(),
                format!("{:+}", r.count_delta()),
                table::bytes(r.added_size),
                table::bytes(r.removed_size),
                table::signed_bytes(r.size_delta()),
                table::clip(&r.name, 80),
            ]);
        }
        write!(f, "{t}")?;
        if self.rows.len() > self.shown {
            writeln!(f, "… {} more classes (--top N shows more)", self.rows.len() - self.shown)?;
        }
        Ok(())
    }
}
