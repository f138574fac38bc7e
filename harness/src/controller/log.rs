//! The controller's voice: `harness.log` in the run folder (everything, timestamped from the
//! test's start), the same important lines on stderr, and the live status line under them.
//!
//! Neighbours: every phase of [`super::lifecycle`] logs here; the status thread of
//! [`super::lifecycle`] feeds [`Log::status`] from [`super::recorder::Recorder::status`].
//!
//! Design: one lock for the status line, so a log line printed "above" it never tears it; the
//! log file is opened in append mode and written line by line without a userspace buffer, so
//! a killed controller leaves every line it logged.

use splitbrain_results::status::{Status, StatusLine};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The log of one run.
pub struct Log {
    start: Instant,
    file: Mutex<Option<File>>,
    line: Mutex<StatusLine>,
}

impl Log {
    /// A log that writes to stderr only, its times counted from `start`.
    pub fn new(start: Instant) -> Log {
        Log {
            start,
            file: Mutex::new(None),
            line: Mutex::new(StatusLine::stderr(Duration::from_secs(5))),
        }
    }

    /// Also writes every line to `path` (created, appended to).
    pub fn to_file(&self, path: &Path) -> std::io::Result<()> {
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        *self.file.lock().unwrap_or_else(PoisonError::into_inner) = Some(f);
        Ok(())
    }

    /// A line for a person: harness.log and stderr.
    pub fn info(&self, msg: impl AsRef<str>) {
        let msg = msg.as_ref();
        self.file_line(msg);
        let _ = self.lock_line().log(&format!("splitbrain: {msg}"));
    }

    /// A line for harness.log only.
    pub fn debug(&self, msg: impl AsRef<str>) {
        self.file_line(msg.as_ref());
    }

    /// Redraws the status line (at most as often as [`StatusLine`] allows).
    pub fn status(&self, status: &Status) {
        let _ = self.lock_line().update(status);
    }

    /// Removes the status line, before the summary is printed.
    pub fn finish(&self) {
        let _ = self.lock_line().finish();
    }

    fn lock_line(&self) -> std::sync::MutexGuard<'_, StatusLine> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn file_line(&self, msg: &str) {
        let mut f = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(f) = f.as_mut() {
            let t = self.start.elapsed().as_secs_f64();
            let _ = f.write_all(format!("[{t:9.3}s] {msg}\n").as_bytes());
        }
    }
}
