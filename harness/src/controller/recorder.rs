//! The recorder: every record of a run goes through here into `history.jsonl`, and into the
//! live picture of the run (who leads, which faults are in force, counts) that the status line
//! and the nemesis's `leader` aim read.
//!
//! Neighbours: client workers ([`super::clients`]), node report readers ([`super::reports`]),
//! the resource's decision sink and the nemesis ([`super::nemesis`]) all call
//! [`Recorder::record`]; the writer is `splitbrain_results::HistoryWriter`.
//!
//! Design: one lock around "append, then observe", so the live tracker sees records in file
//! order (the writer's own lock is then never contended). An append that fails (a full disk)
//! is remembered, not panicked on: the run goes on, and the controller reports the failure at
//! the end, because a history with a hole must not be judged valid.

use splitbrain_checkers::{Record, Type};
use splitbrain_results::live::LiveTracker;
use splitbrain_results::status::Status;
use splitbrain_results::{Event, HistoryWriter};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// The history of a run and what it shows so far.
pub struct Recorder {
    writer: HistoryWriter,
    live: Mutex<LiveTracker>,
    failure: OnceLock<String>,
    first_elected: OnceLock<Duration>,
    next_process: AtomicI64,
}

impl Recorder {
    /// A recorder writing through `writer`, for a cluster of `nodes`; client processes
    /// `0..first_free` are taken by the workers, later ones come from [`Recorder::new_process`].
    pub fn new(writer: HistoryWriter, nodes: &[String], first_free: i64) -> Recorder {
        Recorder {
            writer,
            live: Mutex::new(LiveTracker::new(nodes)),
            failure: OnceLock::new(),
            first_elected: OnceLock::new(),
            next_process: AtomicI64::new(first_free),
        }
    }

    /// Appends `event` to the history; `None` when it could not be written (remembered).
    pub fn record(&self, event: Event) -> Option<Record> {
        let mut live = self.lock();
        match self.writer.append(event) {
            Ok(r) => {
                live.observe(&r);
                if r.kind == Type::Ok && r.f == "elected" && r.process.node().is_some() {
                    let _ = self.first_elected.set(Duration::from_nanos(r.time));
                }
                Some(r)
            }
            Err(e) => {
                let _ = self.failure.set(e.to_string());
                None
            }
        }
    }

    /// A client process number never used before in this run.
    pub fn new_process(&self) -> i64 {
        self.next_process.fetch_add(1, Ordering::Relaxed)
    }

    /// The node that most recently reported `elected` (and still believes it leads, if any does).
    pub fn leader(&self) -> Option<String> {
        self.lock().leader().map(str::to_string)
    }

    /// The history time of the first `elected` report, once there is one: what
    /// `splitbrain_checkers::tested` measures the leader bound against.
    pub fn first_elected(&self) -> Option<Duration> {
        // Under the lock of `record`: a report stamped but not yet noted is waited for.
        let _in_order = self.lock();
        self.first_elected.get().copied()
    }

    /// The status line's content.
    pub fn status(&self, time_limit: Duration) -> Status {
        self.lock().status(self.elapsed(), time_limit)
    }

    /// Records written so far.
    pub fn len(&self) -> u64 {
        self.writer.len()
    }

    /// Time since the test started (the history's clock).
    pub fn elapsed(&self) -> Duration {
        self.writer.start().elapsed()
    }

    /// The first append that failed, if any did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    /// Flushes the history to disk.
    pub fn sync(&self) -> std::io::Result<()> {
        self.writer.sync()
    }

    fn lock(&self) -> MutexGuard<'_, LiveTracker> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
