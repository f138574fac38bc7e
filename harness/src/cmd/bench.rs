//! `splitbrain bench record`: how many client operations per second the controller records,
//! with nothing else in the way: the real client workers and recorder against an in-process
//! node that answers at once, on loopback. Then the history is read back and every operation
//! counted, so "without dropping any" is checked, not assumed.
//!
//! Neighbours: the workers are `crate::controller::clients`, the recorder
//! `crate::controller::recorder`; `harness/benches/record.rs` runs this several times and
//! reports the median.

use crate::cmd::values::{positive_seconds, whole_positive};
use crate::controller::clients::{self, Workload};
use crate::controller::recorder::Recorder;
use crate::exit::{bad_input, printed};
use serde_json::{json, Value};
use splitbrain_checkers::{Process, Type};
use splitbrain_results::HistoryWriter;
use splitbrain_targets::lines::Timeouts;
use splitbrain_targets::stop::Stop;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Arguments of `splitbrain bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to measure: `record` (client operations recorded per second) or `check` (memory
    /// and time of `splitbrain check` with every checker on long synthetic histories).
    pub what: String,
    /// check: history sizes in records, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000000,10000000", value_parser = whole_positive::<u64>)]
    pub records: Vec<u64>,
    /// check: runs per size (the median is printed).
    #[arg(long, default_value_t = 3, value_parser = whole_positive::<usize>)]
    pub runs: usize,
    /// check: the seed of the synthetic histories.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// check: write the histories into this folder and keep them (to time `splitbrain check`
    /// on them by hand).
    #[arg(long, value_name = "FOLDER")]
    pub keep: Option<std::path::PathBuf>,
    /// check: measure one check of this history in this process (what each run does).
    #[arg(long, hide = true)]
    pub one: Option<std::path::PathBuf>,
    /// Client workers.
    #[arg(long, default_value_t = 8, allow_hyphen_values = true, value_parser = whole_positive::<usize>)]
    pub workers: usize,
    /// Seconds to run (at most 3600).
    #[arg(long, default_value = "3", allow_hyphen_values = true, value_parser = positive_seconds)]
    pub seconds: Duration,
}

/// Runs `bench`; prints one line of figures, exits 0 when nothing was dropped, 1 otherwise.
pub fn run(args: Args) -> anyhow::Result<u8> {
    match (args.what.as_str(), args.one.clone()) {
        ("check", Some(file)) => return crate::cmd::bench_check::one(file),
        ("check", None) => return check(&args),
        ("record", _) => {}
        _ => {
            return Err(bad_input(format!(
                "bench {:?}: the benchmarks are `record` and `check`",
                args.what
            )))
        }
    }
    if args.workers > 1000 {
        return Err(bad_input(format!("--workers {}: give 1 to 1000 workers", args.workers)));
    }
    if args.seconds > Duration::from_secs(3600) {
        return Err(bad_input(format!(
            "--seconds {}: give at most 3600",
            args.seconds.as_secs_f64()
        )));
    }
    let dir = tempfile::Builder::new().prefix("splitbrain-bench-").tempdir()?;
    let m = measure(&args, dir.path())?;
    printed(writeln!(
        std::io::stdout(),
        "record: {} client operations ({} records) in {:.2} s = {:.0} ops/s with {} workers; read back {} completed operations, {} dropped",
        m.ops, m.records, m.secs, m.ops as f64 / m.secs, args.workers, m.read_back, m.ops - m.read_back
    ))?;
    Ok(if m.read_back == m.ops && m.records == 2 * m.ops { 0 } else { 1 })
}

fn check(args: &Args) -> anyhow::Result<u8> {
    if let Some(n) = args.records.iter().find(|&&n| n > 100_000_000) {
        return Err(bad_input(format!("--records {n}: give at most 100000000 records")));
    }
    if args.runs > 99 {
        return Err(bad_input(format!("--runs {}: give 1 to 99 runs", args.runs)));
    }
    crate::cmd::bench_check::run(&args.records, args.runs, args.seed, args.keep.as_deref())
}

struct Measured {
    ops: u64,
    records: u64,
    read_back: u64,
    secs: f64,
}

fn measure(args: &Args, dir: &std::path::Path) -> anyhow::Result<Measured> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let history = dir.join("history.jsonl");
    let recorder =
        Recorder::new(HistoryWriter::create(&history)?, &["n1".into()], args.workers as i64);
    let workload = Workload {
        nodes: vec![("n1".into(), addr)],
        concurrency: args.workers,
        rate: 0.0,
        read_share: 0.5,
        timeouts: Timeouts::ms(1000, 5000),
        seed: 1,
    };
    let done = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| serve(&listener, &done));
        let until = Instant::now() + args.seconds;
        clients::run(&workload, &recorder, until, &Stop::new());
        done.store(true, Ordering::SeqCst);
    });
    let secs = started.elapsed().as_secs_f64();
    let h = splitbrain_checkers::reader::read_path(&history)?;
    let completions = |h: &splitbrain_checkers::History| {
        h.records
            .iter()
            .filter(|r| matches!(r.process, Process::Client(_)) && r.kind != Type::Invoke)
            .count() as u64
    };
    Ok(Measured {
        ops: recorder.len() / 2,
        records: recorder.len(),
        read_back: completions(&h),
        secs,
    })
}

/// A node that answers every request at once, one thread per connection.
fn serve(listener: &TcpListener, done: &AtomicBool) {
    std::thread::scope(|s| {
        while !done.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    s.spawn(move || answer(stream));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    });
}

fn answer(stream: TcpStream) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut out = stream.try_clone()?;
    let mut line = String::new();
    let mut reader = BufReader::new(stream);
    while reader.read_line(&mut line)? > 0 {
        let req: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        let reply = match req.get("op").and_then(Value::as_str) {
            Some("write") => json!({"ok": true, "value": req["value"], "token": 1, "leader": "n1"}),
            Some("read") => json!({"ok": true, "value": null}),
            _ => json!({"ok": true, "leader": true, "token": 1, "node": "n1"}),
        };
        out.write_all(format!("{reply}\n").as_bytes())?;
        line.clear();
    }
    Ok(())
}
