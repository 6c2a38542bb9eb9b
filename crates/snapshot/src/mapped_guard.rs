//! What happens when a mapped snapshot file shrinks under heaplens: reading a mapped page past the
//! file's new end raises SIGBUS, which would kill the process without a word. Each mapped window
//! is listed here with the line to say about its file; a SIGBUS whose address falls in a listed
//! window prints that line (`heaplens: FILE: the file became shorter while it was being read`)
//! and exits with code 2, as any other unreadable input does. Nothing else of the process runs
//! after that: half a result is never printed. A SIGBUS anywhere else keeps its usual effect.

use std::ops::Range;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Once};

/// A listed window, for as long as the value lives (it keeps the message alive as long).
pub(crate) struct Listed {
    slot: Option<usize>,
    _message: Arc<Message>,
}

impl Drop for Listed {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            let entry = &WINDOWS[slot];
            entry.message.store(std::ptr::null_mut(), Ordering::SeqCst);
            entry.end.store(0, Ordering::SeqCst);
            entry.start.store(0, Ordering::SeqCst);
            entry.taken.store(0, Ordering::SeqCst);
        }
    }
}

/// One listed window: the addresses it covers and the line to print.
struct Entry {
    taken: AtomicUsize,
    start: AtomicUsize,
    end: AtomicUsize,
    message: AtomicPtr<Message>,
}

/// The line to print, bytes and all, where a signal handler can read it.
pub(crate) struct Message {
    bytes: Box<[u8]>,
}

impl Message {
    /// The line heaplens prints when `file` shrinks while mapped.
    pub(crate) fn for_file(file: &str) -> Arc<Message> {
        let line = format!("heaplens: {file}: the file became shorter while it was being read\n");
        Arc::new(Message { bytes: line.into_bytes().into_boxed_slice() })
    }
}

/// Windows mapped at once: three files of a leak search, a few more in a server.
const SLOTS: usize = 64;

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Entry = Entry {
    taken: AtomicUsize::new(0),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    message: AtomicPtr::new(std::ptr::null_mut()),
};

static WINDOWS: [Entry; SLOTS] = [FREE; SLOTS];

/// Lists the window at `addresses`, to be named by `message` if its file shrinks. With every
/// slot taken the window goes unlisted (a shrinking file then ends the process as SIGBUS does).
pub(crate) fn list(addresses: Range<usize>, message: &Arc<Message>) -> Listed {
    install();
    let slot =
        WINDOWS.iter().position(|entry| entry.taken.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst).is_ok());
    if let Some(slot) = slot {
        let entry = &WINDOWS[slot];
        entry.start.store(addresses.start, Ordering::SeqCst);
        entry.end.store(addresses.end, Ordering::SeqCst);
        entry.message.store(Arc::as_ptr(message).cast_mut(), Ordering::SeqCst);
    }
    Listed { slot, _message: Arc::clone(message) }
}

#[cfg(unix)]
fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: the action is zeroed, then given a handler that only reads atomics and calls
        // the async-signal-safe write and _exit (or restores the default action).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

#[cfg(not(unix))]
fn install() {}

#[cfg(unix)]
extern "C" fn on_sigbus(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    for entry in &WINDOWS {
        let message = entry.message.load(Ordering::SeqCst);
        if !message.is_null()
            && (entry.start.load(Ordering::SeqCst)..entry.end.load(Ordering::SeqCst)).contains(&address)
        {
            // SAFETY: a listed window's message lives until the window is taken off the list;
            // write and _exit are async-signal-safe.
            unsafe {
                let bytes = &(*message).bytes;
                libc::write(2, bytes.as_ptr().cast(), bytes.len());
                libc::_exit(2);
            }
        }
    }
    // Not a mapped snapshot: the default action, as if no handler were there.
    // SAFETY: restoring the default action and raising the signal again are async-signal-safe.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}
