//! What the end-to-end tests of `splitbrain test` share: the binary under test (the controller
//! starts its nodes from it), whether this machine can open a sandbox, and a fresh store folder
//! per trial.
//!
//! Neighbours: `test_e2e.rs` (own targets) and `thirdparty_findings.rs` (etcd, Redis).

use std::path::{Path, PathBuf};
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

/// A store path for one trial, named by the suite (`kind`) and the trial: not made yet (the
/// run makes it), inside a fresh temporary folder that goes when this is dropped.
pub fn store(kind: &str, name: &str) -> Store {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("splitbrain-{kind}-{name}-"))
        .tempdir()
        .expect("a temporary folder");
    let path = tmp.path().join("store");
    Store { _tmp: tmp, path }
}

/// See [`store`]; it reads as the store's `Path`.
pub struct Store {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl std::ops::Deref for Store {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Store {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for Store {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}
