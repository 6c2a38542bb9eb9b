//! The node and edge types DevTools gives meaning to, looked up by name once per snapshot.
//! A type the snapshot does not have gets an index no node can carry, so comparisons simply fail.

use heaplens_snapshot::Snapshot;
use rayon::prelude::*;

use crate::memory::written_zeros;

const ABSENT: u16 = u16::MAX;

fn lookup(names: &[String], name: &str) -> u16 {
    names.iter().position(|t| t == name).map_or(ABSENT, |i| i as u16)
}

/// Node type indexes (`u16::MAX` when the snapshot lacks the type).
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub struct NodeKinds {
    pub hidden: u16,
    pub array: u16,
    pub string: u16,
    pub object: u16,
    pub code: u16,
    pub closure: u16,
    pub regexp: u16,
    pub number: u16,
    pub native: u16,
    pub synthetic: u16,
    pub cons_string: u16,
    pub sliced_string: u16,
}

/// Edge type indexes (`u16::MAX` when the snapshot lacks the type).
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub struct EdgeKinds {
    pub context: u16,
    pub element: u16,
    pub property: u16,
    pub internal: u16,
    pub hidden: u16,
    pub shortcut: u16,
    pub weak: u16,
    pub invisible: u16,
}

impl NodeKinds {
    pub(crate) fn of(s: &Snapshot) -> NodeKinds {
        let t = &s.node_types;
        NodeKinds {
            hidden: lookup(t, "hidden"),
            array: lookup(t, "array"),
            string: lookup(t, "string"),
            object: lookup(t, "object"),
            code: lookup(t, "code"),
            closure: lookup(t, "closure"),
            regexp: lookup(t, "regexp"),
            number: lookup(t, "number"),
            native: lookup(t, "native"),
            synthetic: lookup(t, "synthetic"),
            cons_string: lookup(t, "concatenated string"),
            sliced_string: lookup(t, "sliced string"),
        }
    }
}

impl EdgeKinds {
    pub(crate) fn of(s: &Snapshot) -> EdgeKinds {
        let t = &s.edge_types;
        EdgeKinds {
            context: lookup(t, "context"),
            element: lookup(t, "element"),
            property: lookup(t, "property"),
            internal: lookup(t, "internal"),
            hidden: lookup(t, "hidden"),
            shortcut: lookup(t, "shortcut"),
            weak: lookup(t, "weak"),
            invisible: lookup(t, "invisible"),
        }
    }

    /// Whether an edge of this type names its target with a string (DevTools: all but element
    /// and hidden edges).
    pub fn has_string_name(&self, kind: u8) -> bool {
        let k = u16::from(kind);
        k != self.element && k != self.hidden
    }
}

/// A compact set of ordinals.
#[derive(Debug, Clone, Default)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    /// An empty set able to hold `0..len`.
    pub fn new(len: usize) -> BitSet {
        BitSet { words: written_zeros(len.div_ceil(64)) }
    }

    /// Adds `i`.
    #[inline]
    pub fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    /// Whether `i` is in the set.
    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// The set as words, bit `i % 64` of word `i / 64` for `i`.
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    /// The members, in ascending order.
    pub(crate) fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &word)| {
            std::iter::successors(Some(word), |&w| Some(w & w.wrapping_sub(1)))
                .take_while(|&w| w != 0)
                .map(move |w| k * 64 + w.trailing_zeros() as usize)
        })
    }

    /// The set of the `i` in `0..len` that `member` accepts, asked on every core. The indexes go
    /// in chunks of whole words, each in ascending order with a state `start` makes from the
    /// chunk's first index (a cursor, a cache, what the chunk found on the way); the chunks'
    /// states come back with the set, in chunk order.
    pub(crate) fn par_from_fn<S: Send>(
        len: usize,
        start: impl Fn(usize) -> S + Sync,
        member: impl Fn(&mut S, usize) -> bool + Sync,
    ) -> (BitSet, Vec<S>) {
        const WORDS_PER_CHUNK: usize = 1 << 14;
        let mut set = BitSet::new(len);
        let states = set
            .words
            .par_chunks_mut(WORDS_PER_CHUNK)
            .enumerate()
            .map(|(chunk, words)| {
                let first = chunk * WORDS_PER_CHUNK * 64;
                let mut state = start(first);
                for i in first..(first + words.len() * 64).min(len) {
                    if member(&mut state, i) {
                        let bit = i - first;
                        words[bit / 64] |= 1 << (bit % 64);
                    }
                }
                state
            })
            .collect();
        (set, states)
    }
}
