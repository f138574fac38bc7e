//! A synthetic run for demos, tests and the screenshot script (never used by a real run):
//! the textbook fencing case. n1 leads under token 1 and is paused; n2 is elected under
//! token 2 and writes; n1 wakes up and, before it learns of n2, has one more write accepted
//! under token 1 by an unfenced resource; a later read returns that stale value. Then a
//! partition isolates n3, n2 is killed and n3 takes over under token 3, and n4's clock jumps.
//!
//! Neighbours: builds a [`History`] of `checkers::history` records, runs the checkers of
//! `checkers::registry` on it (fencing and dual-writer find the stale write; liveness gives
//! its figures; `linearizable` finds the stale read), and makes a [`RunMeta`];
//! `examples/sample_report.rs` writes them as a run folder.
//!
//! Design: deterministic from a seed (xorshift), scaled by duration and operation rate, so the
//! same call gives the same history, and a 60 s, 100k-operation run tests the report's weight.

use crate::summary::RunMeta;
use serde_json::{json, Value};
use splitbrain_checkers::{CheckResult, History, Process, Record, Type};
use std::time::{Duration, SystemTime};

/// How big a sample to make.
#[derive(Debug, Clone, Copy)]
pub struct SampleOptions {
    /// Length of the run.
    pub seconds: u64,
    /// Client operations per second, over all clients.
    pub ops_per_second: u64,
    /// Client workers.
    pub clients: i64,
    /// Seed of every random choice.
    pub seed: u64,
    /// A fenced resource: it refuses the woken leader's stale token, and the run is valid.
    pub fenced: bool,
    /// Run the linearizability checker too (slow on long histories in debug builds).
    pub linearizable: bool,
}

impl Default for SampleOptions {
    fn default() -> SampleOptions {
        SampleOptions {
            seconds: 20,
            ops_per_second: 400,
            clients: 10,
            seed: 7,
            fenced: false,
            linearizable: true,
        }
    }
}

/// A synthetic run: its history, the checks on it, and its facts.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The history, indexed.
    pub history: History,
    /// Check results as the checkers would give them.
    pub checks: Vec<CheckResult>,
    /// The run's facts.
    pub meta: RunMeta,
}

const MS: u64 = 1_000_000;
const NODES: [&str; 5] = ["n1", "n2", "n3", "n4", "n5"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The scenario's moments, as fractions of the run.
struct Plan {
    d: u64,
}

impl Plan {
    fn at(&self, frac: f64) -> u64 {
        (self.d as f64 * frac) as u64
    }

    /// Who leads at `t` (node, token), as clients see it; `None` while there is no leader.
    fn leader(&self, t: u64) -> Option<(&'static str, i64)> {
        match t {
            t if t < self.at(0.015) => None,
            t if t < self.at(0.25) => Some(("n1", 1)),
            t if t < self.at(0.31) => None,
            t if t < self.at(0.75) => Some(("n2", 2)),
            t if t < self.at(0.805) => None,
            _ => Some(("n3", 3)),
        }
    }
}

struct Builder {
    events: Vec<(u64, u64, Record)>,
    seq: u64,
}

impl Builder {
    fn push(
        &mut self,
        time: u64,
        process: Process,
        kind: Type,
        f: &str,
        value: Value,
    ) -> &mut Record {
        let r =
            Record { index: 0, time, process, kind, f: f.into(), value, node: None, error: None };
        self.seq += 1;
        self.events.push((time, self.seq, r));
        &mut self.events.last_mut().expect("just pushed").2
    }

    fn nemesis(&mut self, time: u64, f: &str, value: Value) {
        self.push(time, Process::Nemesis, Type::Info, f, value);
    }

    fn report(&mut self, time: u64, node: &str, f: &str, value: Value) {
        self.push(time, Process::Node(node.into()), Type::Ok, f, value);
    }
}

/// Builds the sample run.
pub fn dual_writer_run(o: &SampleOptions) -> Sample {
    let plan = Plan { d: o.seconds.max(5) * 1_000_000_000 };
    let mut b = Builder { events: Vec::new(), seq: 0 };
    let mut rng = Rng(o.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    scenario(&plan, &mut b, o.fenced);
    clients(&plan, o, &mut rng, &mut b);
    b.events.sort_by_key(|(t, seq, _)| (*t, *seq));
    let mut records: Vec<Record> = b.events.into_iter().map(|e| e.2).collect();
    records.iter_mut().enumerate().for_each(|(i, r)| r.index = i as u64);
    fill_reads(&mut records);
    let history = History::new(records);
    let checks = checks(&history, o.linearizable);
    let resource = if o.fenced { "fenced" } else { "open" };
    let command = format!(
        "splitbrain test --target raft --nodes 5 --nemesis partition,pause,kill,clock --resource {resource} --time-limit {} --seed {}",
        o.seconds, o.seed
    );
    let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_777_303_812);
    let mut meta = RunMeta::new(
        &format!("raft-{resource}-pause"),
        o.seed,
        command.split(' ').map(String::from).collect(),
        started,
    );
    meta.ended = Some(crate::stamp::rfc3339(
        started + Duration::from_nanos(plan.d) + Duration::from_millis(1400),
    ));
    meta.splitbrain_version = env!("CARGO_PKG_VERSION").to_string();
    meta.versions.insert("splitbrain-node".into(), env!("CARGO_PKG_VERSION").into());
    meta.options = json!({"target": "raft", "nodes": 5, "nemesis": ["partition", "pause", "kill", "clock"], "resource": resource, "time_limit_s": o.seconds, "concurrency": o.clients});
    Sample { history, checks, meta }
}

fn scenario(p: &Plan, b: &mut Builder, fenced: bool) {
    b.report(p.at(0.015), "n1", "elected", json!({"token": 1, "term": 1}));
    b.nemesis(p.at(0.25), "pause", json!({"nodes": ["n1"], "processes": 1}));
    b.report(p.at(0.31), "n2", "elected", json!({"token": 2, "term": 2}));
    b.nemesis(p.at(0.45), "resume", json!({"nodes": ["n1"]}));
    // The paused leader's write, sent before the pause, lands after it wakes: the dual write.
    stale_write(p, b, fenced);
    b.report(p.at(0.46), "n1", "stepdown", json!({"token": 1, "reason": "saw term 2"}));
    let grudge = json!({"n3": ["n1", "n2", "n4", "n5"], "n1": ["n3"], "n2": ["n3"], "n4": ["n3"], "n5": ["n3"]});
    b.nemesis(
        p.at(0.55),
        "start-partition",
        json!({"shape": "isolate", "nodes": NODES, "grudge": grudge}),
    );
    b.nemesis(p.at(0.68), "stop-partition", json!({"nodes": NODES}));
    b.nemesis(p.at(0.75), "kill", json!({"nodes": ["n2"], "processes": 1}));
    b.report(p.at(0.805), "n3", "elected", json!({"token": 3, "term": 3}));
    b.nemesis(p.at(0.85), "restart", json!({"nodes": ["n2"]}));
    b.nemesis(p.at(0.9), "clock-bump", json!({"nodes": ["n4"], "delta_ms": 2500.0}));
    b.nemesis(p.at(0.95), "clock-reset", json!({"nodes": ["n4"]}));
    for (k, n) in NODES.iter().enumerate() {
        let t = p.at(0.985) + k as u64 * MS;
        let proc = Process::Client(900 + k as i64);
        b.push(t, proc.clone(), Type::Invoke, "status", Value::Null).node = Some(n.to_string());
        let leading = *n == "n3";
        let v =
            if leading { json!({"leader": true, "token": 3}) } else { json!({"leader": false}) };
        b.push(t + 2 * MS, proc, Type::Ok, "status", v).node = Some(n.to_string());
    }
}

fn stale_write(p: &Plan, b: &mut Builder, fenced: bool) {
    let proc = Process::Client(899);
    let value = 424_242;
    b.push(p.at(0.25) - 2 * MS, proc.clone(), Type::Invoke, "write", json!({"value": value}))
        .node = Some("n1".into());
    if fenced {
        let refused = json!({"token": 1, "node": "n1", "value": value});
        b.push(p.at(0.45) + 4 * MS, Process::Resource, Type::Fail, "reject", refused).error =
            Some("stale-token".into());
        let r = b.push(p.at(0.45) + 6 * MS, proc, Type::Fail, "write", json!({"value": value}));
        r.node = Some("n1".into());
        r.error = Some("stale-token".into());
        return;
    }
    let accept = json!({"token": 1, "node": "n1", "value": value});
    b.push(p.at(0.45) + 4 * MS, Process::Resource, Type::Ok, "accept", accept);
    let done = json!({"value": value, "token": 1, "leader": "n1"});
    b.push(p.at(0.45) + 6 * MS, proc, Type::Ok, "write", done).node = Some("n1".into());
    // The woken leader also serves a read from its own state: the value it knew before the
    // pause, though newer writes have completed since (a stale read; set in `fill_reads`).
    b.push(p.at(0.45) + 2 * MS, Process::Client(898), Type::Invoke, "read", Value::Null).node =
        Some("n1".into());
    b.push(p.at(0.45) + 3 * MS, Process::Client(898), Type::Ok, "read", Value::Null).node =
        Some("n1".into());
}

fn clients(p: &Plan, o: &SampleOptions, rng: &mut Rng, b: &mut Builder) {
    let gap = 1_000_000_000 * o.clients.max(1) as u64 / o.ops_per_second.max(1);
    let mut next_value = 1;
    for c in 0..o.clients.max(1) {
        let mut process = c;
        let mut t = rng.below(gap);
        while t < p.at(0.98) {
            let node = NODES[rng.below(5) as usize];
            let end = if rng.below(10) < 7 {
                next_value += 1;
                write(p, b, rng, (process, node, t), next_value)
            } else {
                read(p, b, rng, (process, node, t))
            };
            if end.1 {
                process += o.clients; // an unknown outcome: the thread goes on as a new process
            }
            t = end.0 + gap / 2 + rng.below(gap);
        }
    }
}

/// One write; returns when it completed and whether its outcome was unknown.
fn write(
    p: &Plan,
    b: &mut Builder,
    rng: &mut Rng,
    (c, node, t): (i64, &str, u64),
    v: i64,
) -> (u64, bool) {
    b.push(t, Process::Client(c), Type::Invoke, "write", json!({"value": v})).node =
        Some(node.into());
    match p.leader(t) {
        Some((leader, token)) => {
            let lat = MS + rng.below(3 * MS) + rng.below(4) * rng.below(6 * MS);
            b.push(
                t + lat * 6 / 10,
                Process::Resource,
                Type::Ok,
                "accept",
                json!({"token": token, "node": leader, "value": v}),
            );
            let done = json!({"value": v, "token": token, "leader": leader});
            b.push(t + lat, Process::Client(c), Type::Ok, "write", done).node = Some(node.into());
            (t + lat, false)
        }
        // Refused without a leader; unknown outcomes come from reads (see `read`), since a
        // write of unknown outcome may take effect at any later moment, which makes a
        // linearizability search much harder than a sample needs.
        None => {
            let lat = MS / 2 + rng.below(2 * MS);
            let r = b.push(t + lat, Process::Client(c), Type::Fail, "write", json!({"value": v}));
            r.node = Some(node.into());
            r.error = Some("not-leader".into());
            (t + lat, false)
        }
    }
}

fn read(p: &Plan, b: &mut Builder, rng: &mut Rng, (c, node, t): (i64, &str, u64)) -> (u64, bool) {
    b.push(t, Process::Client(c), Type::Invoke, "read", Value::Null).node = Some(node.into());
    let (lat, kind, value, error) = match p.leader(t) {
        Some(_) => (MS / 2 + rng.below(2 * MS), Type::Ok, json!({"value": null}), None),
        None if rng.below(10) < 6 => {
            (MS / 2 + rng.below(2 * MS), Type::Fail, Value::Null, Some("not-leader"))
        }
        None => (1000 * MS, Type::Info, Value::Null, Some("timeout")),
    };
    let r = b.push(t + lat, Process::Client(c), kind, "read", value);
    r.node = Some(node.into());
    r.error = error.map(str::to_string);
    (t + lat, kind == Type::Info)
}

/// Reads return the register's value: the last accepted one, in the resource's order; the
/// deposed leader's read (process 898) returns the value from before n2's first write.
fn fill_reads(records: &mut [Record]) {
    let mut register = Value::Null;
    let mut before_n2: Option<Value> = None;
    for r in records.iter_mut() {
        if r.is(Type::Ok, "accept") && r.process == Process::Resource {
            if r.token() == Some(2) && before_n2.is_none() {
                before_n2 = Some(register.clone());
            }
            register = r.payload().cloned().unwrap_or(Value::Null);
        } else if r.is(Type::Ok, "read") && r.is_client() {
            let stale = r.process == Process::Client(898);
            let seen =
                if stale { before_n2.clone().unwrap_or(Value::Null) } else { register.clone() };
            r.value = json!({ "value": seen });
        }
    }
}

/// The checkers' own results on the sample: every checker of the registry, as `splitbrain test`
/// runs them; `linearizable` only when asked (it is slow on long histories in debug builds).
fn checks(h: &History, linearizable: bool) -> Vec<CheckResult> {
    use splitbrain_checkers::{registry, CheckerKind};
    let kinds: Vec<CheckerKind> =
        CheckerKind::all().filter(|k| linearizable || *k != CheckerKind::Linearizable).collect();
    let checkers = registry::build_all(&kinds, &Default::default());
    registry::run(&checkers, h)
}
