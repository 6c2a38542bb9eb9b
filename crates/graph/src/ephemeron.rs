//! WeakMap ephemeron edges. V8 names the two internal edges that hold a WeakMap value
//! `N / part of key (K @k) -> value (V @v) pair in WeakMap (table @t)`: one from the table, one
//! from the key. DevTools leaves the table's edge out of dominators and takes the later of the
//! two for distances; this module recognises those names, once per string.

use std::collections::HashMap;
use std::sync::Arc;

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

/// Parses edge names lazily and remembers the answer per string index.
#[derive(Clone)]
pub(crate) struct EphemeronNames {
    pattern: Regex,
    /// Per string index: whether its raw text could be an ephemeron name at all (shared by
    /// clones).
    candidate: Arc<[bool]>,
    parsed: HashMap<u32, Option<Ephemeron>>,
}

impl EphemeronNames {
    pub(crate) fn new(strings: &StringTable) -> Self {
        // As DevTools' regular expression, with JavaScript's `.` (no line terminators) and `\d`.
        let any = r"[^\n\r\u{2028}\u{2029}]";
        let pattern = format!(
            r"^[0-9]+( / part of key \({any}*? @[0-9]+\) -> value \({any}*? @[0-9]+\) pair in WeakMap \(table @([0-9]+)\))$"
        );
        EphemeronNames {
            pattern: Regex::new(&pattern).expect("valid pattern"),
            candidate: strings.containing(b"pair in WeakMap").into(),
            parsed: HashMap::new(),
        }
    }

    /// Whether the edge name `name_index` could be an ephemeron's (a cheap test to make before
    /// [`EphemeronNames::get`]).
    #[inline]
    pub(crate) fn may_be(&self, name_index: u32) -> bool {
        self.candidate.get(name_index as usize).copied().unwrap_or(false)
    }

    /// The ephemeron behind the edge name `name_index`, if it is one.
    pub(crate) fn get(&mut self, strings: &StringTable, name_index: u32) -> Option<&Ephemeron> {
        if !self.may_be(name_index) {
            return None;
        }
        let pattern = &self.pattern;
        self.parsed
            .entry(name_index)
            .or_insert_with(|| {
                let name = strings.get(name_index);
                let caps = pattern.captures(&name)?;
                Some(Ephemeron { pair: caps[1].into(), table_id: caps[2].parse().unwrap_or(u64::MAX) })
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_ephemeron_names_only() {
        let mut re = super::EphemeronNames::new(&heaplens_snapshot::StringTable::default());
        let ok = "12 / part of key (Object @33) -> value (Foo @45) pair in WeakMap (table @77)";
        let caps = re.pattern.captures(ok).unwrap();
        assert_eq!(&caps[2], "77");
        assert!(caps[1].starts_with(" / part of key"));
        assert!(re.pattern.captures("x / part of key (a @1) -> value (b @2) pair in WeakMap (table @3)").is_none());
        assert!(re.pattern.captures("elements").is_none());
        re.parsed.clear();
    }
}
