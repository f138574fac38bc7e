//! How many records per second the history writer takes from several threads at once.
//!
//! Run: `cargo bench -p splitbrain-results --bench writer` (optionally `-- --quick`).
//! Each thread records client operations as a client worker does (an invocation, then its
//! completion, each with a JSON value); every trial checks that the file holds exactly the
//! records appended, in index order, so a fast but lossy writer cannot pass.
//! Prints the median records/second over the trials for each thread count, and the goal
//! (20,000 client operations per second = 40,000 records per second).

use serde_json::json;
use splitbrain_checkers::Type;
use splitbrain_results::writer::{Event, HistoryWriter};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

const TRIALS: usize = 7;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let ops_per_thread = if quick { 5_000 } else { 50_000 };
    let tmp =
        tempfile::Builder::new().prefix("splitbrain-writer-bench-").tempdir().expect("temp dir");
    let dir = tmp.path();
    println!("history writer: {TRIALS} trials per row, {ops_per_thread} client operations (2 records each) per thread");
    for threads in [1, 2, 4, 8] {
        let mut rates: Vec<f64> =
            (0..TRIALS).map(|t| trial(dir, threads, ops_per_thread, t)).collect();
        rates.sort_by(f64::total_cmp);
        let median = rates[TRIALS / 2];
        println!(
            "  {threads} writer threads: median {:>9.0} records/s = {:>9.0} client ops/s (min {:.0}, max {:.0} records/s)",
            median,
            median / 2.0,
            rates[0],
            rates[TRIALS - 1]
        );
    }
    println!("goal: >= 20000 client ops/s (40000 records/s) without dropping any");
}

/// One trial: `threads` threads each record `ops` operations; returns records per second.
fn trial(dir: &Path, threads: usize, ops: usize, n: usize) -> f64 {
    let path = dir.join(format!("h-{threads}-{n}.jsonl"));
    let _ = std::fs::remove_file(&path);
    let writer = Arc::new(HistoryWriter::create(&path).expect("create history"));
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let w = Arc::clone(&writer);
            s.spawn(move || client(&w, t as i64, ops));
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    let expected = (threads * ops * 2) as u64;
    verify(&path, expected);
    let _ = std::fs::remove_file(&path);
    expected as f64 / elapsed
}

fn client(w: &HistoryWriter, process: i64, ops: usize) {
    for i in 0..ops {
        let v = process * 1_000_000 + i as i64;
        let node = format!("n{}", i % 5 + 1);
        w.append(Event::invoke(process, "write", json!({"value": v})).node(node.clone()))
            .expect("append");
        let done = json!({"value": v, "token": 7, "leader": "n2"});
        w.append(Event::complete(process, Type::Ok, "write", done).node(node)).expect("append");
    }
}

/// The file holds `expected` whole lines with indices 0.. in order and times never decreasing.
fn verify(path: &PathBuf, expected: u64) {
    let file = std::fs::File::open(path).expect("open history");
    let (mut count, mut last_time) = (0u64, 0u64);
    for line in BufReader::new(file).lines() {
        let r: splitbrain_checkers::Record =
            serde_json::from_str(&line.expect("line")).expect("record");
        assert_eq!(r.index, count, "index out of order");
        assert!(r.time >= last_time, "time went backwards at {}", r.index);
        last_time = r.time;
        count += 1;
    }
    assert_eq!(count, expected, "records dropped");
}
