//! Benchmark of the `linearizable` checker on Porcupine's public test histories and on a
//! generated 100,000-operation key-value history: `cargo bench -p splitbrain-checkers --bench
//! linear`. Prints medians over several runs; times the check alone (files are read and
//! converted to operations before the clock starts), single-threaded.
//!
//! Reference (fixtures/porcupine/README.md): Porcupine checks the 102 Jepsen etcd histories
//! in about 0.6 s in total, etcd_002 alone in about 0.2 s; its kv c50 files in 0.14–0.22 s (ok)
//! and 15–26 ms (bad).

use serde_json::json;
use splitbrain_checkers::formats::{parse, Format};
use splitbrain_checkers::linear::synth::{register_history, RegisterShape};
use splitbrain_checkers::linear::{
    check_operations, from_history, verdict, FailedCas, Kv, Model, OpsOf, Options, Register,
};
use splitbrain_checkers::{History, Process, Record, Type, Verdict};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const RUNS: usize = 11;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/porcupine")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The median time of `f` over `runs` runs.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = None;
    let times = (0..runs)
        .map(|_| {
            let t = Instant::now();
            out = Some(black_box(f()));
            t.elapsed()
        })
        .collect();
    (median(times), out.expect("at least one run"))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

struct Case<M: Model> {
    name: String,
    model: M,
    ops: OpsOf<M>,
}

fn etcd() -> Vec<Case<Register>> {
    let dir = data().join("jepsen");
    let expected = std::fs::read_to_string(dir.join("EXPECTED")).expect("EXPECTED");
    expected
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).expect("an etcd log");
            let history = parse(Format::JepsenLog, &text).expect("a Jepsen log");
            let mut model = Register::with_cas(FailedCas::FoundOtherValue);
            let ops = from_history(&mut model, &history).expect("cas-register operations");
            Case { name: name.to_string(), model, ops }
        })
        .collect()
}

fn kv_case(name: &str, history: &History) -> Case<Kv> {
    let mut model = Kv::new();
    let ops = from_history(&mut model, history).expect("kv operations");
    Case { name: name.to_string(), model, ops }
}

fn bench_etcd() {
    let cases = etcd();
    let mut per: Vec<(Duration, &str, Verdict)> = Vec::new();
    let mut totals = vec![Duration::ZERO; RUNS];
    for case in &cases {
        let mut times = Vec::new();
        let mut v = Verdict::Unknown;
        for total in totals.iter_mut() {
            let mut model = case.model.clone();
            let t = Instant::now();
            v = black_box(verdict(&mut model, &case.ops, None));
            let d = t.elapsed();
            *total += d;
            times.push(d);
        }
        per.push((median(times), &case.name, v));
    }
    per.sort_by_key(|p| std::cmp::Reverse(p.0));
    let valid = per.iter().filter(|p| p.2 == Verdict::Valid).count();
    println!(
        "jepsen etcd: {} histories ({valid} linearizable, {} not), verdicts: total {} (median of {RUNS} runs)",
        cases.len(),
        per.len() - valid,
        ms(median(totals))
    );
    let slowest: Vec<String> =
        per.iter().take(8).map(|(d, n, v)| format!("{n} {} ({v})", ms(*d))).collect();
    println!("  slowest (medians): {}", slowest.join(", "));
    if let Some((d, n, v)) = per.iter().find(|p| p.1 == "etcd_002.log") {
        println!("  {n}: {} ({v}; Porcupine: about 200 ms)", ms(*d));
    }
    let (with_witness, invalid) = time(RUNS.min(5), || {
        let check = |c: &Case<Register>| {
            check_operations(&mut c.model.clone(), &c.ops, &Options::default())
        };
        cases.iter().filter(|c| check(c).verdict == Verdict::Invalid).count()
    });
    assert_eq!(invalid, per.len() - valid, "check_operations and verdict disagree");
    println!(
        "  with witnesses for the invalid ones (check_operations): total {}",
        ms(with_witness)
    );
}

fn bench_kv_files() {
    let dir = data().join("kv");
    for name in ["c50-ok", "c50-bad"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.txt"))).expect("a kv log");
        let case = kv_case(name, &parse(Format::PorcupineKv, &text).expect("a kv log"));
        let (d, v) = time(RUNS, || verdict(&mut case.model.clone(), &case.ops, None));
        let (w, _) = time(RUNS.min(5), || {
            check_operations(&mut case.model.clone(), &case.ops, &Options::default())
        });
        println!("kv {name}: {} ops, {v} in {} (with witness {})", case.ops.len(), ms(d), ms(w));
    }
}

/// A linearizable key-value history: `clients` clients run `ops` operations on `keys` keys of
/// a true map, each taking effect at a random moment between its invocation and completion.
fn generate_kv(ops: usize, clients: usize, keys: usize, seed: u64) -> History {
    let mut x = seed;
    let mut rnd = move |n: u64| {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    };
    let mut map = vec![String::new(); keys];
    // Per client: 0 idle, 1 invoked, 2 applied; with the op (f, key, arg, result).
    let mut stage = vec![0u8; clients];
    let mut op: Vec<(&str, usize, String, String)> =
        vec![("get", 0, String::new(), String::new()); clients];
    let mut records = Vec::with_capacity(ops * 2);
    let (mut started, mut done) = (0, 0);
    while done < ops {
        let c = rnd(clients as u64) as usize;
        let record = |kind, f: &str, key: usize, v: &str| {
            let value = json!({"key": key.to_string(), "value": if f == "get" && kind == Type::Invoke { serde_json::Value::Null } else { json!(v) }});
            (Process::Client(c as i64), kind, f.to_string(), value)
        };
        match stage[c] {
            0 if started < ops => {
                let key = rnd(keys as u64) as usize;
                let f = match rnd(10) {
                    0..=3 => "get",
                    4..=5 => "put",
                    _ => "append",
                };
                let arg = format!("{c}.{started};");
                records.push(record(Type::Invoke, f, key, &arg));
                op[c] = (f, key, arg, String::new());
                started += 1;
                stage[c] = 1;
            }
            1 => {
                let (f, key, arg, result) = &mut op[c];
                match *f {
                    "get" => *result = map[*key].clone(),
                    "put" => map[*key] = arg.clone(),
                    _ => map[*key].push_str(arg),
                }
                stage[c] = 2;
            }
            2 => {
                let (f, key, arg, result) = &op[c];
                let v = if *f == "get" { result } else { arg };
                records.push(record(Type::Ok, f, *key, v));
                done += 1;
                stage[c] = 0;
            }
            _ => {}
        }
    }
    let records = records
        .into_iter()
        .enumerate()
        .map(|(i, (process, kind, f, value))| Record {
            index: i as u64,
            time: i as u64,
            process,
            kind,
            f,
            value,
            node: None,
            error: None,
        })
        .collect();
    History::new(records)
}

fn bench_generated_kv(keys: usize) {
    let t = Instant::now();
    let history = generate_kv(100_000, 10, keys, 7);
    let made = t.elapsed();
    let t = Instant::now();
    let case = kv_case("generated", &history);
    let converted = t.elapsed();
    let (d, v) = time(5, || verdict(&mut case.model.clone(), &case.ops, None));
    println!(
        "generated kv: {} ops, 10 clients, {keys} key(s): {v} in {} (median of 5; generating {}, reading into operations {})",
        case.ops.len(),
        ms(d),
        ms(made),
        ms(converted)
    );
}

/// The hardest shape for the key-value search: every operation on one key, 40% of them
/// appends. A wrong order of concurrent appends shows only at the next `get` that sees them,
/// and the cache cannot prune (each order makes a different string); the search's growth rule
/// refuses such orders early. The time depends on the history, so nine seeds each, one run per
/// seed, with a 5 s budget.
fn bench_one_key_kv() {
    for ops in [300, 1_000, 10_000] {
        let mut times = Vec::new();
        let mut unknown = 0;
        for seed in 1..=9 {
            let case = kv_case("one key", &generate_kv(ops, 10, 1, seed));
            let t = Instant::now();
            let deadline = Some(t + Duration::from_secs(5));
            let v = verdict(&mut case.model.clone(), &case.ops, deadline);
            times.push(t.elapsed());
            unknown += usize::from(v == Verdict::Unknown);
        }
        let max = times.iter().max().copied().unwrap_or_default();
        println!(
            "generated kv, one key (40% appends): {ops} ops, 10 clients, 9 seeds: median {}, max {}, {unknown} unknown at the 5 s budget",
            ms(median(times)),
            ms(max)
        );
    }
}

/// A linearizable register history: `clients` clients write values 1–5 and read, each
/// operation taking effect at a random moment between its invocation and completion.
fn generate_register(ops: usize, clients: usize, seed: u64) -> History {
    let mut x = seed | 1;
    let mut rnd = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let (mut truth, mut stage, mut op) =
        (0u64, vec![0u8; clients], vec![(false, 0u64, 0u64); clients]);
    let (mut records, mut started, mut done) = (Vec::with_capacity(ops * 2), 0, 0);
    while done < ops {
        let c = rnd(clients as u64) as usize;
        let mut push = |kind, f: &str, value| {
            let index = records.len() as u64;
            let process = Process::Client(c as i64);
            records.push(Record {
                index,
                time: index,
                process,
                kind,
                f: f.into(),
                value,
                node: None,
                error: None,
            });
        };
        match stage[c] {
            0 if started < ops => {
                op[c] = (rnd(2) == 0, 1 + rnd(5), 0);
                match op[c].0 {
                    true => push(Type::Invoke, "write", json!({ "value": op[c].1 })),
                    false => push(Type::Invoke, "read", serde_json::Value::Null),
                }
                (started, stage[c]) = (started + 1, 1);
            }
            1 => {
                match op[c].0 {
                    true => truth = op[c].1,
                    false => op[c].2 = truth,
                }
                stage[c] = 2;
            }
            2 => {
                let read = if op[c].2 == 0 { serde_json::Value::Null } else { json!(op[c].2) };
                match op[c].0 {
                    true => push(Type::Ok, "write", json!({ "value": op[c].1 })),
                    false => push(Type::Ok, "read", json!({ "value": read })),
                }
                (done, stage[c]) = (done + 1, 0);
            }
            _ => {}
        }
    }
    History::new(records)
}

fn bench_generated_register() {
    let history = generate_register(100_000, 10, 7);
    let mut model = Register::plain();
    let ops = from_history(&mut model, &history).expect("register operations");
    let (d, v) = time(5, || verdict(&mut model.clone(), &ops, None));
    println!(
        "generated register: {} ops, 10 clients, one register: {v} in {} (median of 5)",
        ops.len(),
        ms(d)
    );
}

/// Histories shaped like the harness's: 10 workers, unique written values, half reads, some
/// writes timing out (`info`), optionally one stale read; checked in full (verdict, and the
/// witness when invalid).
fn bench_harness_shaped() {
    for (ops, info, stale) in [
        (5_000, 1, false),
        (5_000, 5, false),
        (20_000, 5, false),
        (5_000, 3, true),
        (20_000, 3, true),
    ] {
        let shape = RegisterShape {
            info_percent: info,
            stale_read: stale,
            ..RegisterShape::harness(ops, 11)
        };
        let history = register_history(&shape);
        let mut model = Register::plain();
        let all = from_history(&mut model, &history).expect("register operations");
        let unknown = all.iter().filter(|o| !o.is_required()).count();
        let (d, r) = time(5, || check_operations(&mut model.clone(), &all, &Options::default()));
        let what = if stale { "a stale read" } else { "no stale read" };
        println!(
            "harness-shaped register: {ops} ops, 10 clients, {info}% of writes info ({unknown} unknown), {what}: {} in {} (median of 5, with witness); evidence {} indices, summary {} chars",
            r.verdict,
            ms(d),
            r.evidence.len(),
            r.summary.chars().count()
        );
    }
}

fn main() {
    // `cargo test --benches` runs this once quickly; `cargo bench` passes --bench.
    if !std::env::args().any(|a| a == "--bench") {
        println!("linear bench: run with `cargo bench -p splitbrain-checkers --bench linear`");
        return;
    }
    bench_etcd();
    bench_kv_files();
    bench_generated_kv(100);
    bench_one_key_kv();
    bench_generated_register();
    bench_harness_shaped();
}
