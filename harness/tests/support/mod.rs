//! What the end-to-end tests of `splitbrain test` share: the binary under test (the controller
//! starts its nodes from it), whether this machine can open a sandbox, and a fresh store folder
//! per trial.
//!
//! Neighbours: `test_e2e.rs` (own targets) and `thirdparty_findings.rs` (etcd, Redis).
//!
//! Design: each test binary includes this module and uses part of it, so unused items are
//! allowed here rather than marked one by one.

#![allow(dead_code)]

use libtest_mimic::Failed;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Runs `cmd` to its end with its output captured, bounded: a hang is a failure.
pub fn run_bounded(mut cmd: Command, limit: Duration) -> Result<Output, Failed> {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    finish(child, limit)
}

/// Waits for `child` within `limit`, then collects its output; past the limit it is killed and
/// the wait is a failure.
pub fn finish(mut child: Child, limit: Duration) -> Result<Output, Failed> {
    let deadline = Instant::now() + limit;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("splitbrain did not end within {} s", limit.as_secs()).into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(child.wait_with_output()?)
}

/// The `results.json` of the run folder `run`.
pub fn results(run: &Path) -> Result<Value, Failed> {
    let text = std::fs::read_to_string(run.join("results.json"))?;
    Ok(serde_json::from_str(&text)?)
}

/// Ok when the run's `checker` said invalid.
pub fn checker_invalid(run: &Path, checker: &str) -> Result<(), Failed> {
    let r = results(run)?;
    let checks = r["checks"].as_array().cloned().unwrap_or_default();
    match checks.iter().find(|c| c["checker"] == checker) {
        Some(c) if c["verdict"] == "invalid" => Ok(()),
        other => Err(format!("{checker} is not invalid: {other:?}").into()),
    }
}

/// Ok when the run's dual-writer checker said invalid.
pub fn dual_writer_invalid(run: &Path) -> Result<(), Failed> {
    checker_invalid(run, "dual-writer")
}

/// `trial`, ignored with a printed reason when there is no sandbox or a program in `needs` is
/// missing.
pub fn ignore_unless(
    trial: libtest_mimic::Trial,
    sandbox: &Option<String>,
    needs: &[&str],
) -> libtest_mimic::Trial {
    let missing: Vec<&str> = needs.iter().copied().filter(|n| !installed(n)).collect();
    let reason = match (sandbox, missing.is_empty()) {
        (Some(r), _) => r.clone(),
        (None, false) => format!("{} not installed (run scripts/setup)", missing.join(", ")),
        (None, true) => return trial,
    };
    eprintln!("ignoring {}: {reason}", trial.name());
    trial.with_ignored_flag(true)
}

/// A program in PATH, or `python3:MODULE`: a module /usr/bin/python3 imports.
pub fn installed(need: &str) -> bool {
    let quiet = |c: &mut Command| c.stdout(Stdio::null()).stderr(Stdio::null()).status();
    match need.split_once(':') {
        Some((_, module)) => {
            quiet(Command::new("/usr/bin/python3").args(["-c", &format!("import {module}")]))
                .is_ok_and(|s| s.success())
        }
        None => quiet(Command::new("sh").args(["-c", &format!("command -v {need}")]))
            .is_ok_and(|s| s.success()),
    }
}

/// The processes of a run in `store` (this one aside): those whose command line or
/// environment names the store, or who work in it (redis-server, redis-sentinel and
/// PostgreSQL's backends rewrite their command lines into titles, but stay in their folder).
pub fn processes_of(store: &Path) -> Vec<(u32, String)> {
    let me = std::process::id();
    let needle = store.display().to_string();
    let pids = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    let named = |pid: u32, file: &str| {
        let raw = std::fs::read(format!("/proc/{pid}/{file}")).unwrap_or_default();
        String::from_utf8_lossy(&raw).replace('\0', " ")
    };
    pids.filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter_map(|pid| {
            let cmdline = named(pid, "cmdline");
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
            let ours = cmdline.contains(&needle)
                || named(pid, "environ").contains(&needle)
                || cwd.starts_with(store);
            ours.then_some((pid, cmdline))
        })
        .collect()
}

/// Err naming what of the run in `store` still runs, once 5 s have passed.
pub fn nothing_left(store: &Path, when: &str) -> Result<(), Failed> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_of(store);
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("still running {when}: {left:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
