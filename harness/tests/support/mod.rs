//! What the end-to-end tests of `splitbrain test` share: the binary under test (the controller
//! starts its nodes from it), whether this machine can open a sandbox, and a fresh store folder
//! per trial.
//!
//! Neighbours: `test_e2e.rs` (own targets) and `thirdparty_findings.rs` (etcd, Redis).

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The `splitbrain` binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_splitbrain")
}

/// Why this machine cannot run a sandbox, if it cannot.
pub fn sandbox_missing() -> Option<String> {
    let out = Command::new(bin())
        .args(["sandbox", "--nodes", "1", "--", "true"])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "`splitbrain sandbox` cannot run here: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run splitbrain: {e}")),
    }
}

/// A fresh store folder for one trial, named by the suite (`kind`) and the trial.
pub fn store(kind: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitbrain-{kind}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
