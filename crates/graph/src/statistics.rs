//! The Statistics view: how the heap splits into code, strings, JS arrays, typed arrays, system
//! objects and native memory, as DevTools' `calculateStatistics` adds it up.

use heaplens_snapshot::{SizeColumn, Snapshot};

use crate::kinds::{EdgeKinds, NodeKinds};
use crate::memory::written_zeros;

/// Totals of the Statistics view, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statistics {
    /// Total size (root's retained size plus extra native bytes).
    pub total: u64,
    /// Native (embedder) objects and extra native bytes.
    pub native_total: u64,
    /// ArrayBuffer backing stores (`system / JSArrayBufferData`).
    pub typed_arrays: u64,
    /// Everything in the V8 heap: `total - native_total`.
    pub v8heap_total: u64,
    /// Compiled code.
    pub code: u64,
    /// JS arrays with their elements store when they alone hold it.
    pub js_arrays: u64,
    /// Strings of every kind.
    pub strings: u64,
    /// Hidden (system) objects.
    pub system: u64,
}

impl Statistics {
    /// Completes the view with the total size (known once retained sizes are).
    pub(crate) fn with_total(mut self, total: u64) -> Statistics {
        self.total = total;
        self.v8heap_total = total.wrapping_sub(self.native_total);
        self
    }
}

/// Adds up the view, all but the totals ([`Statistics::with_total`]).
pub(crate) fn statistics(s: &Snapshot, nk: &NodeKinds, ek: &EdgeKinds, self_size: &SizeColumn) -> Statistics {
    let retainer_counts = retainer_counts(s);
    let mut st = Statistics { native_total: s.extra_native_bytes, ..Statistics::default() };
    let array_names = s.strings.indexes_of("Array");
    let buffer_data_names = s.strings.indexes_of("system / JSArrayBufferData");
    let elements_names = s.strings.indexes_of("elements");
    for i in 0..s.node_count() {
        let size = u64::from(self_size.get(i));
        let kind = u16::from(s.nodes.kind[i]);
        let name = s.nodes.name[i];
        if kind == nk.hidden {
            st.system += size;
        } else if kind == nk.native {
            st.native_total += size;
            if buffer_data_names.contains(&name) {
                st.typed_arrays += size;
            }
        } else if kind == nk.code {
            st.code += size;
        } else if kind == nk.cons_string || kind == nk.sliced_string || kind == nk.string {
            st.strings += size;
        } else if array_names.contains(&name) {
            st.js_arrays += size;
            let elements = s.edge_range(i as u32).find(|&e| {
                u16::from(s.edges.kind(e)) == ek.internal && elements_names.contains(&s.edges.name_or_index(e))
            });
            if let Some(e) = elements {
                let target = s.edges.to_node(e) as usize;
                if retainer_counts[target] == 1 {
                    st.js_arrays += u64::from(self_size.get(target));
                }
            }
        }
    }
    st
}

/// Number of retaining edges per node, saturating at 255.
fn retainer_counts(s: &Snapshot) -> Vec<u8> {
    let mut counts: Vec<u8> = written_zeros(s.node_count());
    for to in s.edges.targets() {
        let c = &mut counts[to as usize];
        *c = c.saturating_add(1);
    }
    counts
}
