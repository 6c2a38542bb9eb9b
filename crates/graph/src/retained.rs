//! Retained sizes per node, in five bytes each: the low 32 bits and a high byte, enough for
//! heaps up to a terabyte at 5/8 of the memory of `u64`s.

use heaplens_snapshot::Snapshot;

use crate::memory::{refilled, written_zeros};

/// Retained size per node ordinal.
pub(crate) struct RetainedSizes {
    low: Vec<u32>,
    high: Vec<u8>,
}

impl RetainedSizes {
    /// Each node's transferred self size plus its dominator subtree's, summed children first
    /// (`preorder` lists every node after its dominator `idom`). The low bits fill `buffer`.
    pub(crate) fn of(s: &Snapshot, idom: &[u32], preorder: &[u32], buffer: Vec<u32>) -> RetainedSizes {
        let low = refilled(buffer, s.nodes.self_size.iter());
        let mut sizes = RetainedSizes { low, high: written_zeros(s.node_count()) };
        for &v in preorder.iter().skip(1).rev() {
            let dom = idom[v as usize];
            sizes.set(dom, sizes.get(dom) + sizes.get(v));
        }
        sizes
    }

    /// The retained size of `node`.
    #[inline]
    pub(crate) fn get(&self, node: u32) -> u64 {
        let i = node as usize;
        u64::from(self.high[i]) << 32 | u64::from(self.low[i])
    }

    #[inline]
    fn set(&mut self, node: u32, size: u64) {
        let i = node as usize;
        // Retained sizes are sums of a heap's own bytes: no V8 heap comes near a terabyte.
        let size = size.min((1 << 40) - 1);
        (self.low[i], self.high[i]) = (size as u32, (size >> 32) as u8);
    }
}
