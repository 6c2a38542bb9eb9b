//! WeakMap ephemeron edges. V8 names the two internal edges that hold a WeakMap value
//! `N / part of key (K @k) -> value (V @v) pair in WeakMap (table @t)`: one from the table, one
//! from the key. DevTools leaves the table's edge out of dominators and takes the later of the
//! two for distances; this module recognises those names, once per string.

use std::collections::HashMap;

use heaplens_snapshot::StringTable;
use regex::Regex;

/// What an ephemeron edge name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ephemeron {
    /// The name without its leading number: the same for both edges of a pair.
    pub pair: Box<str>,
    /// Node id of the WeakMap's table.
    pub table_id: u64,
}

/// The ephemeron names of a snapshot, each parsed once, up front and on every core: the
/// strings that could be one are few (two per WeakMap entry), and the searches that ask meet
/// each many times.
pub(crate) struct EphemeronNames {
    /// Per string index: whether its raw text could be an ephemeron name at all.
    candidate: Vec<bool>,
    parsed: HashMap<u32, Ephemeron>,
}

impl Ephemeron {
    /// What `name` says, if `pattern` (see [`pattern`]) matches it. Only whether it matches
    /// needs the regular expression, which answers that far faster than it gives groups: a
    /// match fixes both groups, the name after its leading digits (which end at its first
    /// space) and the digits before its final ')' (after its last '@').
    fn parse(name: &str, pattern: &Regex) -> Option<Ephemeron> {
        if !pattern.is_match(name) {
            return None;
        }
        let pair = &name[name.find(' ')?..];
        let body = name.strip_suffix(')')?;
        let table_id = body[body.rfind('@')? + 1..].parse().unwrap_or(u64::MAX);
        Some(Ephemeron { pair: pair.into(), table_id })
    }
}

impl EphemeronNames {
    pub(crate) fn new(strings: &StringTable) -> Self {
        use rayon::prelude::*;
        let pattern = pattern();
        let candidate = strings.containing(b"pair in WeakMap");
        let indexes: Vec<u32> = (0..candidate.len() as u32).filter(|&i| candidate[i as usize]).collect();
        let parsed = indexes
            .par_iter()
            .filter_map(|&index| Some((index, Ephemeron::parse(&strings.get(index), &pattern)?)))
            .collect();
        EphemeronNames { candidate, parsed }
    }

    /// The ephemeron behind the edge name `name_index`, if it is one: most names are ruled out
    /// by a flag per string before the map is asked.
    #[inline]
    pub(crate) fn get(&self, name_index: u32) -> Option<&Ephemeron> {
        if !self.candidate.get(name_index as usize).copied().unwrap_or(false) {
            return None;
        }
        self.parsed.get(&name_index)
    }
}

/// DevTools' regular expression for ephemeron edge names, with JavaScript's `.` (no line
/// terminators) and `\d`.
fn pattern() -> Regex {
    let any = r"[^\n\r\u{2028}\u{2029}]";
    let pattern = format!(
        r"^[0-9]+( / part of key \({any}*? @[0-9]+\) -> value \({any}*? @[0-9]+\) pair in WeakMap \(table @([0-9]+)\))$"
    );
    Regex::new(&pattern).expect("valid pattern")
}

#[cfg(test)]
mod tests {
    use super::{pattern, Ephemeron};

    /// What DevTools' regular expression's groups say of `name`.
    fn by_groups(name: &str) -> Option<Ephemeron> {
        let caps = pattern().captures(name)?;
        Some(Ephemeron { pair: caps[1].into(), table_id: caps[2].parse().unwrap_or(u64::MAX) })
    }

    #[test]
    fn parses_names_as_the_regular_expression_groups_do() {
        let names = [
            "12 / part of key (Object @33) -> value (Foo @45) pair in WeakMap (table @77)",
            "1 / part of key (a @1) -> value (b) -> value (c @2) pair in WeakMap (table @3)",
            "1 / part of key (a @1) -> value (b @2) pair in WeakMap (table @3) pair in WeakMap (table @4)",
            "1 / part of key ( @1 @2) -> value (@ @ @3) pair in WeakMap (table @99999999999999999999999)",
            "1 / part of key (a\\n @1) -> value (b @2) pair in WeakMap (table @3)",
            "1 / part of key (a\n @1) -> value (b @2) pair in WeakMap (table @3)",
            "1 / part of key (a @1) -> value (b\r @2) pair in WeakMap (table @3)",
            "1 / part of key (a @1) -> value (b\u{2028} @2) pair in WeakMap (table @3)",
            "1 / part of key (a @) -> value (b @2) pair in WeakMap (table @3)",
            "1 / part of key (a @1) -> value (b @2) pair in WeakMap (table @)",
            " / part of key (a @1) -> value (b @2) pair in WeakMap (table @3)",
            "1 / part of key (a @1) -> value (b @2) pair in WeakMap (table @3) ",
            "1 / part of key (a @1)-> value (b @2) pair in WeakMap (table @3)",
            "pair in WeakMap",
        ];
        for name in names {
            assert_eq!(Ephemeron::parse(name, &pattern()), by_groups(name), "{name:?}");
        }
        assert_eq!(names.iter().filter(|name| by_groups(name).is_some()).count(), 5);
    }

    #[test]
    fn recognises_ephemeron_names_only() {
        let pattern = super::pattern();
        let ok = "12 / part of key (Object @33) -> value (Foo @45) pair in WeakMap (table @77)";
        let caps = pattern.captures(ok).unwrap();
        assert_eq!(&caps[2], "77");
        assert!(caps[1].starts_with(" / part of key"));
        assert!(pattern.captures("x / part of key (a @1) -> value (b @2) pair in WeakMap (table @3)").is_none());
        assert!(pattern.captures("elements").is_none());
    }
}
