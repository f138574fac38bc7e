//! Helpers shared by the integration tests: a temporary folder removed on drop.

#![allow(dead_code)]

use std::path::Path;

/// A fresh folder under the system's temporary directory, removed when dropped.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let prefix = format!("splitbrain-results-{tag}-");
        TempDir(tempfile::Builder::new().prefix(&prefix).tempdir().expect("create temp dir"))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}
