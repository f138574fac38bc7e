//! One shutdown signal shared by every thread of a process, and the SIGTERM/SIGINT handlers
//! that raise it.
//!
//! Neighbours: the node core ([`crate::node`]) and the resource ([`crate::resource`]) hand a
//! [`Stop`] to every thread they start; electors receive it in [`crate::Elector::run`].
//!
//! Design: every loop in this crate waits through [`Stop::sleep`] or polls
//! [`Stop::is_stopped`] at least every 100 ms, so a stop ends every thread within a bound and the
//! owner can join them all: no detached threads.

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A flag that, once raised, stays raised, and wakes every thread sleeping on it.
#[derive(Debug, Default)]
pub struct Stop {
    raised: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Stop {
    /// A flag not yet raised.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Raises the flag and wakes every sleeper.
    pub fn stop(&self) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.raised.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// True once [`Stop::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }

    /// Sleeps for `d`, or less if the flag is raised meanwhile. Returns true when stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        self.sleep_until(Instant::now() + d)
    }

    /// Sleeps until `deadline`, or less if the flag is raised meanwhile. True when stopped.
    pub fn sleep_until(&self, deadline: Instant) -> bool {
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !self.is_stopped() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            guard = self.wake.wait_timeout(guard, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        self.is_stopped()
    }
}

static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: nix::libc::c_int) {
    // Only an atomic store: the one thing that is async-signal-safe and enough here.
    SIGNALLED.store(true, Ordering::SeqCst);
}

/// Installs `action` for `signal` and returns the one it replaces.
fn swap(signal: Signal, action: &SigAction) -> nix::Result<SigAction> {
    // SAFETY: the actions installed here are `on_signal` (it only stores an atomic), SIG_IGN,
    // or one the kernel returned from an earlier swap, being put back.
    unsafe { sigaction(signal, action) }
}

/// Installs handlers for SIGTERM and SIGINT that make [`signalled`] true. The process then polls
/// it and raises its [`Stop`].
pub fn install_signal_handlers() -> std::io::Result<()> {
    let action = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), SigSet::empty());
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        swap(signal, &action)?;
    }
    Ok(())
}

/// Runs `f` with SIGINT and SIGQUIT ignored, as `system(3)` does while it waits: Ctrl-C is for
/// a command started before (it keeps the default dispositions), not for this process.
pub fn ignoring_interrupts<T>(f: impl FnOnce() -> T) -> T {
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    let old = [Signal::SIGINT, Signal::SIGQUIT].map(|s| (s, swap(s, &ignore)));
    let out = f();
    for (signal, before) in old {
        if let Ok(before) = before {
            let _ = swap(signal, &before);
        }
    }
    out
}

/// True once SIGTERM or SIGINT arrived (after [`install_signal_handlers`]).
pub fn signalled() -> bool {
    SIGNALLED.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeper_wakes_as_soon_as_the_flag_is_raised() {
        let stop = Stop::new();
        let started = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(20));
                stop.stop();
            });
            assert!(stop.sleep(Duration::from_secs(5)));
        });
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_sleep_without_stop_lasts_its_duration_and_says_not_stopped() {
        let stop = Stop::new();
        let started = Instant::now();
        assert!(!stop.sleep(Duration::from_millis(30)));
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
