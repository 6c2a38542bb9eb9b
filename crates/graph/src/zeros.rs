//! Zero-filled arrays for steps that read an entry before they write it (counters, bit sets,
//! "not yet seen" marks). A plain `vec![0; n]` of a big array gets fresh pages that are only
//! mapped when touched: a read maps the shared zero page, and the write after it copies the
//! page and flushes it from every core's TLB, a cross-core interrupt per page. Writing the zeros
//! up front takes one ordinary fault per page instead.

/// `n` zeros, every page of them already written.
pub(crate) fn written_zeros<T: Copy + Default>(n: usize) -> Vec<T> {
    // Opaque to the optimiser, which would otherwise merge the allocation and the fill below
    // into a lazily zeroed allocation again.
    let mut zeros = std::hint::black_box(Vec::with_capacity(n));
    zeros.resize(n, T::default());
    zeros
}
