//! Benchmarks of the controller (`cargo bench -p splitbrain`), medians over several runs:
//!
//! - `record`: client operations recorded per second by the real workers and recorder against
//!   an in-process node that answers at once (`splitbrain bench record`), each run reading its
//!   history back to count that none was dropped. Goal: at least 20,000 ops/s.
//! - `verdict`: for a 60 s `splitbrain test` of the default target, the time from the time
//!   limit to the verdict (heal, settle, final status, stop, check, results), as the run logs
//!   it. Goal: at most 2 s. Needs a sandbox (root or user namespaces); skipped with the reason
//!   otherwise, or when `SPLITBRAIN_BENCH_QUICK` is set (it takes a few minutes).

use std::process::{Command, Stdio};

const RECORD_RUNS: usize = 5;
const VERDICT_RUNS: usize = 3;

fn main() {
    // `cargo bench` passes `--bench`; nothing here takes arguments.
    record();
    match verdict_skip_reason() {
        Some(why) => println!("verdict: skipped: {why}"),
        None => verdict(),
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_splitbrain")
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn record() {
    let mut rates = Vec::new();
    for _ in 0..RECORD_RUNS {
        let out = Command::new(bin())
            .args(["bench", "record", "--workers", "8", "--seconds", "3"])
            .output()
            .expect("running splitbrain bench record");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        print!("  {text}");
        assert!(out.status.success(), "operations were dropped: {text}");
        let rate = text
            .split(" = ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse::<f64>().ok())
            .expect("an ops/s figure");
        rates.push(rate);
    }
    let m = median(rates.clone());
    println!("record: median {m:.0} client ops/s over {RECORD_RUNS} runs (min {:.0}, max {:.0}); goal >= 20000", 
        rates.iter().cloned().fold(f64::MAX, f64::min), rates.iter().cloned().fold(0.0, f64::max));
}

fn verdict_skip_reason() -> Option<String> {
    if std::env::var_os("SPLITBRAIN_BENCH_QUICK").is_some() {
        return Some("SPLITBRAIN_BENCH_QUICK is set".into());
    }
    let ok = Command::new(bin())
        .args(["sandbox", "--nodes", "1", "--", "true"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!ok).then(|| {
        "this machine cannot build a sandbox (needs root or user namespaces, ip and nft)".into()
    })
}

fn verdict() {
    let tmp =
        tempfile::Builder::new().prefix("splitbrain-bench-verdict-").tempdir().expect("temp dir");
    let store = tmp.path().join("store");
    let mut secs = Vec::new();
    for i in 0..VERDICT_RUNS {
        let out = Command::new(bin())
            .args(["test", "--time-limit", "60", "--seed"])
            .arg((100 + i).to_string())
            .arg("--store")
            .arg(&store)
            .stdin(Stdio::null())
            .output()
            .expect("running splitbrain test");
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        let s = log
            .lines()
            .find_map(|l| l.split("from the time limit to the verdict: ").nth(1))
            .and_then(|s| s.trim_end_matches(" s").trim().parse::<f64>().ok());
        match s {
            Some(s) => {
                println!("  run {i}: exit {:?}, time limit to verdict {s:.2} s", out.status.code());
                secs.push(s);
            }
            None => println!("  run {i}: exit {:?}, no timing in its log", out.status.code()),
        }
    }
    if !secs.is_empty() {
        println!("verdict: median {:.2} s from the time limit to the verdict over {} runs of 60 s; goal <= 2 s", median(secs.clone()), secs.len());
    }
}
