//! Benchmark: parse and check a 1,000,000-record election history.
//!
//! Generates a history from a correct leader schedule (see `tests/support/schedule.rs`),
//! writes it to a temporary file, then reports records per second for reading the file and for
//! each checker, as the median over several runs.
//!
//! `cargo bench -p splitbrain-checkers --bench check` runs it. Environment:
//! `SPLITBRAIN_BENCH_RECORDS` (default 1000000), `SPLITBRAIN_BENCH_RUNS` (default 5), and
//! `SPLITBRAIN_BENCH_KEEP=path` to keep the generated file there (to time `splitbrain check`).

#[path = "../tests/support/schedule.rs"]
mod schedule;

use splitbrain_checkers::registry::{build_all, run, run_one, safety_defaults};
use splitbrain_checkers::{reader, CheckerKind, History};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A history of exactly `n` records (a cut at `n` may leave invocations open: they count as info).
fn generate(n: usize) -> String {
    let mut terms = n / 60 + 1;
    loop {
        let mut records = schedule::build(&schedule::Schedule::random(7, terms, 24));
        if records.len() >= n {
            records.truncate(n);
            return schedule::to_jsonl(&records);
        }
        terms = terms * 3 / 2 + 1;
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        times.push(start.elapsed());
        last = Some(out);
    }
    (median(times), last.expect("at least one run"))
}

fn report(what: &str, records: usize, d: Duration) {
    let rate = records as f64 / d.as_secs_f64();
    println!("{what:<18} {:>9.1} ms  {:>7.2} M records/s", d.as_secs_f64() * 1e3, rate / 1e6);
}

fn main() {
    // The allocator tuning `splitbrain check` does, so the figures match the binary's.
    splitbrain_checkers::reader::grow_heap_in_large_steps();
    let n = env_usize("SPLITBRAIN_BENCH_RECORDS", 1_000_000);
    let runs = env_usize("SPLITBRAIN_BENCH_RUNS", 5).max(1);
    let text = generate(n);
    let tmp = tempfile::Builder::new().prefix("splitbrain-bench-").suffix(".jsonl").tempfile();
    let tmp = tmp.expect("a temporary file");
    let path = match std::env::var("SPLITBRAIN_BENCH_KEEP") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => tmp.path().to_path_buf(),
    };
    std::fs::write(&path, &text).expect("write the benchmark history");
    println!("{n} records, {:.1} MB, median of {runs} runs", text.len() as f64 / 1e6);
    drop(text);
    let (d, history) =
        time(runs, || reader::read_path(&path).expect("the generated history reads"));
    report("read", n, d);
    check_each(&history, runs);
    let safety = build_all(&safety_defaults(), &Default::default());
    let (d, _) = time(runs, || run(&safety, &history));
    report("safety, parallel", n, d);
}

fn check_each(h: &History, runs: usize) {
    for kind in CheckerKind::all() {
        let (name, checker) = (kind.name(), kind.build(&Default::default()));
        let (d, result) = time(runs, || run_one(checker.as_ref(), h));
        report(name, h.records.len(), d);
        let safety = kind.is_safety();
        assert!(
            !safety || result.verdict == splitbrain_checkers::Verdict::Valid,
            "{name}: {}",
            result.summary
        );
    }
}
