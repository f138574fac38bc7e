//! A run killed with SIGKILL while it records leaves a history the checkers' reader accepts:
//! every line it returned from `append` is there, whole, and at most the last line is cut.
//!
//! The test re-runs its own binary as the child that records (with `SPLITBRAIN_CRASH_CHILD` set
//! to the history path), lets it write from several threads, kills it at a varying moment and
//! reads the file back. `harness = false` (libtest-mimic), so `main` can be the child.

mod common;

use common::TempDir;
use libtest_mimic::{Arguments, Trial};
use serde_json::json;
use splitbrain_checkers::{reader, Type};
use splitbrain_results::writer::{Event, HistoryWriter};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "SPLITBRAIN_CRASH_CHILD";

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    let args = Arguments::from_args();
    let trial = Trial::test("a_sigkilled_recorder_leaves_a_history_the_reader_accepts", || {
        for round in 0..5u64 {
            kill_and_read(round)?;
        }
        Ok(())
    });
    libtest_mimic::run(&args, vec![trial]).exit();
}

/// Records from four threads until killed (or for 30 s at most, so it can never linger).
fn child(path: &str) {
    let writer = Arc::new(HistoryWriter::create(path).expect("create"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let w = Arc::clone(&writer);
            std::thread::spawn(move || {
                let mut i = 0i64;
                while Instant::now() < deadline {
                    let big = "x".repeat((i % 7 * 300) as usize); // lines of varied length
                    w.append(Event::invoke(t, "write", json!({"value": i, "pad": big})))
                        .expect("append");
                    w.append(Event::complete(t, Type::Ok, "write", json!({"value": i})))
                        .expect("append");
                    i += 1;
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().expect("thread"));
}

fn kill_and_read(round: u64) -> Result<(), libtest_mimic::Failed> {
    let dir = TempDir::new("crash");
    let path = dir.path().join("history.jsonl");
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe).env(CHILD_ENV, &path).stdout(Stdio::null()).spawn()?;
    // Wait until it has written a fair amount (bounded), then a varying extra moment.
    let start = Instant::now();
    while std::fs::metadata(&path).map_or(0, |m| m.len()) < 200_000 {
        if start.elapsed() > Duration::from_secs(10) {
            child.kill()?;
            child.wait()?;
            return Err("the child wrote less than 200 kB in 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(3 + round * 7));
    child.kill()?; // SIGKILL
    child.wait()?;
    let h =
        reader::read_path(&path).map_err(|e| format!("round {round}: the reader refused: {e}"))?;
    if h.warnings.len() > 1 {
        return Err(format!("round {round}: more than one warning: {:?}", h.warnings).into());
    }
    if h.records.len() < 100 {
        return Err(format!("round {round}: only {} records", h.records.len()).into());
    }
    Ok(())
}
