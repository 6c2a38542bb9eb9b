//! Live Node.js processes, through the inspector protocol, with no change to the program.
//!
//! [`target`] finds and opens a process's inspector (`--pid` sends SIGUSR1 and closes the
//! inspector again afterwards), [`inspector`] speaks the protocol, and over one session:
//! [`capture`] streams heap snapshots and allocation timelines to owner-only files,
//! [`watch`] samples memory and judges the heap that survives GC, [`profile`] records the
//! sampling heap profiler. [`program`] starts a program under the inspector, [`workload`]
//! drives it (HTTP load on loopback or a user script), and [`hunt`] runs the whole leak hunt
//! up to the snapshot files that the leak finder then reads.

pub mod capture;
pub mod hunt;
pub mod inspector;
pub mod profile;
pub mod program;
pub mod target;
pub mod watch;
pub mod workload;

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Asks every running operation to stop at its next check (call it from a Ctrl-C handler).
/// Returns whether a request was already pending, so that a second Ctrl-C can end at once.
pub fn interrupt() -> bool {
    INTERRUPTED.swap(true, Ordering::Relaxed)
}

/// Withdraws a pending interrupt, for an operation whose Ctrl-C only ends one phase (the
/// recording of a profile) and that goes on to finish.
pub fn resume() {
    INTERRUPTED.store(false, Ordering::Relaxed);
}

/// The error an operation stopped by [`interrupt`] returns.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// `Err(Interrupted)` once [`interrupt`] was called.
pub fn check_interrupt() -> anyhow::Result<()> {
    if INTERRUPTED.load(Ordering::Relaxed) {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// Sleeps for `duration`, waking early with `Err(Interrupted)` on Ctrl-C.
pub fn sleep(duration: std::time::Duration) -> anyhow::Result<()> {
    let end = std::time::Instant::now() + duration;
    loop {
        check_interrupt()?;
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(100)));
    }
}
