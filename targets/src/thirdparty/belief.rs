//! What a third-party candidate believes about its own leadership, and the background loop that
//! keeps a lease alive. Real clients renew in the background (a goroutine, a thread) and the
//! application learns of a loss only when that loop says so; [`Loss`] is that signal and
//! [`Renewer`] that loop. Used by [`super::redis`] and [`super::k8s_lease`]; [`super::etcd`]
//! sets a [`Loss`] from its tokio tasks.

use std::ops::ControlFlow;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The first reason a tenure ended, once it has; shared between the renewal loop and the
/// candidate. The first reason wins, later ones are dropped.
#[derive(Debug, Clone, Default)]
pub struct Loss(Arc<Mutex<Option<String>>>);

impl Loss {
    /// A tenure not lost (yet).
    pub fn new() -> Loss {
        Loss::default()
    }

    /// Records that the tenure ended, for `reason`, unless it already had.
    pub fn set(&self, reason: impl Into<String>) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(reason.into());
        }
    }

    /// Why the tenure ended, if it has.
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A background thread that runs one renewal step at a time until the step says the tenure is
/// over, or [`Renewer::stop`] (or drop) ends it. Owned, never detached: stopping joins it.
#[derive(Debug)]
pub struct Renewer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Renewer {
    /// Starts a thread named `name` that calls `step` at once and then after each wait `step`
    /// asks for (`Continue(wait)`), until `step` returns `Break(reason)`, which goes into `loss`.
    pub fn spawn<F>(name: &str, loss: Loss, mut step: F) -> Renewer
    where
        F: FnMut() -> ControlFlow<String, Duration> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<()>();
        let body = move || loop {
            match step() {
                ControlFlow::Break(reason) => return loss.set(reason),
                ControlFlow::Continue(wait) => match rx.recv_timeout(wait) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                },
            }
        };
        let thread = std::thread::Builder::new().name(name.into()).spawn(body);
        // Spawning fails only when the process is out of threads: then there is no renewal,
        // which the deadline checks treat as a lost lease.
        Renewer { stop: Some(tx), thread: thread.ok() }
    }

    /// Ends the loop and joins its thread (waits at most for the step in progress).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Renewer {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn the_first_reason_for_a_loss_is_the_one_kept() {
        let loss = Loss::new();
        assert_eq!(loss.get(), None);
        loss.set("renewal failed");
        loss.set("deadline passed");
        assert_eq!(loss.get().as_deref(), Some("renewal failed"));
    }

    #[test]
    fn a_renewer_runs_until_its_step_breaks_and_records_why() {
        let loss = Loss::new();
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let r = Renewer::spawn("t", loss.clone(), move || match c.fetch_add(1, Ordering::SeqCst) {
            0..=2 => ControlFlow::Continue(Duration::from_millis(1)),
            _ => ControlFlow::Break("gone".into()),
        });
        r.stop_after_break_for_test();
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(loss.get().as_deref(), Some("gone"));
    }

    #[test]
    fn stopping_a_renewer_ends_a_long_wait_at_once() {
        let r =
            Renewer::spawn("t", Loss::new(), || ControlFlow::Continue(Duration::from_secs(3600)));
        let t = std::time::Instant::now();
        r.stop();
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    impl Renewer {
        fn stop_after_break_for_test(mut self) {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}
