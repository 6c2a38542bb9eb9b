//! How the analyses use memory, in one place: zero-filled arrays for steps that read an entry
//! before they write it (counters, bit sets, "not yet seen" marks), arrays one step is done
//! with filled again by the next, and prefetch hints for loops that jump around big arrays.
//!
//! Zero-filled arrays: A plain `vec![0; n]` of a big array gets fresh pages that are only
//! mapped when touched: a read maps the shared zero page, and the write after it copies the
//! page and flushes it from every core's TLB, a cross-core interrupt per page. Writing the zeros
//! up front takes one ordinary fault per page instead.

/// `buffer` emptied and filled with `values`: the pages of an array another step is done with
/// are mapped already, so refilling it costs no fault per page as fresh memory does.
pub(crate) fn refilled<T>(mut buffer: Vec<T>, values: impl IntoIterator<Item = T>) -> Vec<T> {
    buffer.clear();
    buffer.extend(values);
    buffer
}

/// `n` zeros in `buffer`'s memory, whose pages another step has touched, when it has room for
/// them; else in fresh memory, every page of it written.
pub(crate) fn zeros_in<T: Copy + Default>(buffer: Vec<T>, n: usize) -> Vec<T> {
    if buffer.capacity() < n {
        return written_zeros(n);
    }
    refilled(buffer, std::iter::repeat_n(T::default(), n))
}

/// `n` zeros, every page of them already written.
pub(crate) fn written_zeros<T: Copy + Default>(n: usize) -> Vec<T> {
    // Opaque to the optimiser, which would otherwise merge the allocation and the fill below
    // into a lazily zeroed allocation again.
    let mut zeros = std::hint::black_box(Vec::with_capacity(n));
    zeros.resize(n, T::default());
    zeros
}

/// Asks the processor to start loading `value`, which a loop will read a little later.
#[inline]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::zeros_in;

    #[test]
    fn zeros_go_in_the_buffer_given_when_it_has_room() {
        let mut buffer = vec![7u32; 10];
        buffer.truncate(4);
        let memory = buffer.as_ptr();
        let zeros = zeros_in(buffer, 10);
        assert_eq!(zeros, vec![0; 10]);
        assert_eq!(zeros.as_ptr(), memory, "the buffer's memory, not fresh memory");
        assert_eq!(zeros_in(vec![7u32; 3], 5), vec![0; 5]);
    }
}
