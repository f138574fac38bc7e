//! Shared helpers of the third-party integration tests: scratch folders and bounded waits.

pub mod etcd_tests;
pub mod k8s_tests;
pub mod node_tests;
pub mod redis_tests;

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// A scratch folder removed on drop.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    /// A fresh folder for test `name`.
    pub fn new(name: &str) -> Scratch {
        let prefix = format!("splitbrain-{name}-");
        Scratch(tempfile::Builder::new().prefix(&prefix).tempdir().expect("create scratch folder"))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// The next message within `limit`, or an error saying what was awaited.
pub fn next<T>(rx: &Receiver<T>, limit: Duration, what: &str) -> Result<T, String> {
    rx.recv_timeout(limit).map_err(|_| format!("no {what} within {limit:?}"))
}

/// Fails with `msg` unless `cond`.
pub fn ensure(cond: bool, msg: impl Into<String>) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(msg.into())
    }
}

/// Any displayable error as a test failure.
pub fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}
