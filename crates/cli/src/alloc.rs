//! The global allocator: the system's, plus transparent huge pages for big blocks on Linux.
//!
//! heaplens keeps a few dozen arrays of hundreds of megabytes; faulting them in 4 KiB at a
//! time costs more system time than the analyses on some virtual machines. Asking for huge
//! pages on blocks of 4 MiB and more cuts the page faults by up to 512x.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large are advised to use huge pages.
#[cfg(target_os = "linux")]
const HUGE_BLOCK: usize = 4 << 20;

pub struct HeapAllocator;

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, size: usize) {
    const HUGE_PAGE: usize = 2 << 20;
    if ptr.is_null() || size < HUGE_BLOCK {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + size) & !(HUGE_PAGE - 1);
    if end > start {
        // SAFETY: the range lies inside a block this allocator just handed out; the advice
        // changes how pages are backed, never their contents.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _size: usize) {}

// SAFETY: every call is forwarded to `System` unchanged; the advice only touches memory of the
// returned block.
unsafe impl GlobalAlloc for HeapAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        advise_huge_pages(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        advise_huge_pages(ptr, layout.size());
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let ptr = System.realloc(ptr, layout, new_size);
        advise_huge_pages(ptr, new_size);
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
    }
}
