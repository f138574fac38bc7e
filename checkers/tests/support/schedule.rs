//! Histories from a correct leader schedule: tokens rise, tenures take turns, clients make
//! noise (failed, unknown and concurrent operations), the nemesis removes leaders, and the
//! fenced resource refuses the deposed leader's stale writes.
//!
//! Neighbours: the property tests build [`Schedule`]s with proptest; the benchmark builds a
//! large one with [`Schedule::random`]. Both turn it into records with [`build`].
//!
//! Design: a schedule is plain data so proptest can shrink it; [`build`] is deterministic.

#![allow(dead_code)]

use serde_json::{json, Value};
pub use splitbrain_checkers::splitmix::SplitMix64 as Rng;
use splitbrain_checkers::{Process, Record, Type};

/// A fault that removes the old leader before the next election.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Isolate it (a grudge map naming every node).
    Partition,
    /// SIGSTOP it.
    Pause,
    /// SIGKILL it (it then reports no stepdown).
    Kill,
}

/// How a client operation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A write the resource accepts and the client hears of.
    WriteOk,
    /// A write refused by a follower (`not-leader`).
    WriteFail,
    /// A write the resource accepts but whose reply is lost (`info`).
    WriteInfoApplied,
    /// A write lost before the resource (`info`).
    WriteInfoLost,
    /// A read of the register.
    Read,
    /// A status question to the op's node.
    Status,
}

/// One leader's tenure.
#[derive(Debug, Clone)]
pub struct Term {
    /// Index of the leading node (`n{leader+1}`), taken modulo the node count.
    pub leader: usize,
    /// How much the token rises over the previous term's (at least 1).
    pub gap: i64,
    /// A fault done to the previous leader before this election.
    pub fault: Option<Fault>,
    /// Whether the previous leader knew to step down before this election (else it learns
    /// late, after it, or never when killed).
    pub stepped_down: bool,
    /// Whether the deposed leader tries a stale write that the resource rejects.
    pub stale_write: bool,
    /// Whether the leader steps down and is re-elected under the same token mid-term.
    pub rejoin: bool,
    /// Client operations during the term.
    pub ops: Vec<Op>,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Number of nodes (n1…).
    pub nodes: usize,
    /// Client operations in flight at once.
    pub concurrency: usize,
    /// Whether the election gives no tokens (`"token": null`).
    pub null_tokens: bool,
    /// The tenures, in turn.
    pub terms: Vec<Term>,
}

impl Schedule {
    /// A random schedule of `terms` terms with about `ops` operations each.
    pub fn random(seed: u64, terms: usize, ops: usize) -> Schedule {
        let mut rng = Rng(seed);
        let all = [
            Op::WriteOk,
            Op::WriteOk,
            Op::WriteOk,
            Op::WriteFail,
            Op::WriteInfoApplied,
            Op::WriteInfoLost,
            Op::Read,
            Op::Status,
        ];
        let faults = [None, Some(Fault::Partition), Some(Fault::Pause), Some(Fault::Kill)];
        let terms = (0..terms)
            .map(|_| Term {
                leader: rng.below(5) as usize,
                gap: 1 + rng.below(3) as i64,
                fault: faults[rng.below(4) as usize],
                stepped_down: rng.below(2) == 0,
                stale_write: rng.below(2) == 0,
                rejoin: rng.below(8) == 0,
                ops: (0..ops).map(|_| all[rng.below(all.len() as u64) as usize]).collect(),
            })
            .collect();
        Schedule { nodes: 5, concurrency: 4, null_tokens: false, terms }
    }
}

fn node(i: usize) -> String {
    format!("n{}", i + 1)
}

/// Builds records one by one, stamping indices and rising times.
struct Builder<'s> {
    s: &'s Schedule,
    records: Vec<Record>,
    time: u64,
    next_process: i64,
    free: Vec<i64>,
    value: i64,
    last_written: Option<i64>,
    /// For each record, the term whose leader it belongs to (accepts only).
    term_of: Vec<Option<usize>>,
    term: usize,
}

impl Builder<'_> {
    fn push(
        &mut self,
        process: Process,
        kind: Type,
        f: &str,
        value: Value,
        node: Option<String>,
        error: Option<&str>,
    ) -> usize {
        self.time += 1_000_000 + (self.records.len() as u64 * 7919) % 5_000_000;
        let index = self.records.len() as u64;
        let error = error.map(str::to_string);
        let record =
            Record { index, time: self.time, process, kind, f: f.to_string(), value, node, error };
        let accept = record.process == Process::Resource && kind == Type::Ok;
        self.term_of.push(accept.then_some(self.term));
        self.records.push(record);
        index as usize
    }

    fn token(&self, t: i64) -> Value {
        if self.s.null_tokens {
            Value::Null
        } else {
            json!(t)
        }
    }

    fn report(&mut self, n: usize, f: &str, value: Value) {
        self.push(Process::Node(node(n)), Type::Ok, f, value, None, None);
    }

    fn nemesis(&mut self, f: &str, value: Value) {
        self.push(Process::Nemesis, Type::Info, f, value, None, None);
    }

    fn resource(&mut self, kind: Type, f: &str, token: i64, n: usize, v: i64, error: Option<&str>) {
        let value = json!({"token": self.token(token), "node": node(n), "value": v});
        self.push(Process::Resource, kind, f, value, None, error);
    }

    fn process(&mut self) -> i64 {
        self.free.pop().unwrap_or_else(|| {
            self.next_process += 1;
            self.next_process - 1
        })
    }

    fn fault_value(&self, fault: Fault, old: usize) -> Value {
        match fault {
            Fault::Partition => {
                let others: Vec<String> =
                    (0..self.s.nodes).filter(|&i| i != old).map(node).collect();
                let mut grudge = serde_json::Map::new();
                grudge.insert(node(old), json!(others));
                for o in &others {
                    grudge.insert(o.clone(), json!([node(old)]));
                }
                Value::Object(grudge)
            }
            Fault::Pause => json!([node(old)]),
            Fault::Kill => json!(node(old)),
        }
    }
}

const FAULT_NAMES: [(Fault, &str, &str); 3] = [
    (Fault::Partition, "start-partition", "stop-partition"),
    (Fault::Pause, "pause", "resume"),
    (Fault::Kill, "kill", "restart"),
];

fn names(fault: Fault) -> (&'static str, &'static str) {
    let (_, begin, end) =
        FAULT_NAMES.iter().find(|(f, _, _)| *f == fault).copied().unwrap_or(FAULT_NAMES[0]);
    (begin, end)
}

/// The records of a run that follows `s`: a valid history by construction.
pub fn build(s: &Schedule) -> Vec<Record> {
    build_traced(s).0
}

/// The records of a run that follows `s`, and for each `accept` record the term it belongs to.
pub fn build_traced(s: &Schedule) -> (Vec<Record>, Vec<Option<usize>>) {
    let mut b = Builder {
        s,
        records: Vec::new(),
        time: 0,
        next_process: 0,
        free: Vec::new(),
        value: 0,
        last_written: None,
        term_of: Vec::new(),
        term: 0,
    };
    let mut token = 0i64;
    let mut old: Option<usize> = None;
    for (k, term) in s.terms.iter().enumerate() {
        b.term = k;
        let leader = term.leader % s.nodes;
        let prev_token = token;
        token += term.gap.max(1);
        hand_over(&mut b, term, old, leader, prev_token, token);
        if term.rejoin {
            b.report(
                leader,
                "stepdown",
                json!({"token": b.token(token), "reason": "lease-renewal"}),
            );
            b.report(leader, "elected", json!({"token": b.token(token)}));
        }
        for batch in term.ops.chunks(s.concurrency.max(1)) {
            run_batch(&mut b, batch, leader, token);
        }
        old = Some(leader);
    }
    finish(&mut b, old, token);
    (b.records, b.term_of)
}

/// From the old leader to the new one: stepdown or not, the fault, the election, the old
/// leader's stale write, the fault's end, and its late stepdown.
fn hand_over(
    b: &mut Builder<'_>,
    term: &Term,
    old: Option<usize>,
    leader: usize,
    prev: i64,
    token: i64,
) {
    let Some(old) = old else {
        b.report(leader, "elected", json!({"token": b.token(token)}));
        return;
    };
    // A fault before a node's own re-election would have it elected while stopped or dead.
    let fault = term.fault.filter(|_| old != leader);
    let killed = fault == Some(Fault::Kill);
    if term.stepped_down && !killed {
        b.report(old, "stepdown", json!({"token": b.token(prev), "reason": "lost-lease"}));
    }
    if let Some(f) = fault {
        let value = b.fault_value(f, old);
        b.nemesis(names(f).0, value);
    }
    b.report(leader, "elected", json!({"token": b.token(token)}));
    if old != leader && term.stale_write && !term.stepped_down && !killed && !b.s.null_tokens {
        stale_write(b, old, prev);
    }
    if let Some(f) = fault {
        let value = b.fault_value(f, old);
        b.nemesis(names(f).1, value);
    }
    if old != leader && !term.stepped_down && !killed {
        b.report(old, "stepdown", json!({"token": b.token(prev), "reason": "saw-higher-term"}));
    }
}

/// The deposed leader writes under its old token; the fenced resource refuses it.
fn stale_write(b: &mut Builder<'_>, old: usize, prev: i64) {
    let p = b.process();
    b.value += 1;
    let v = b.value;
    b.push(Process::Client(p), Type::Invoke, "write", json!({"value": v}), Some(node(old)), None);
    b.resource(Type::Fail, "reject", prev, old, v, Some("stale-token"));
    b.push(
        Process::Client(p),
        Type::Fail,
        "write",
        json!({"value": v}),
        Some(node(old)),
        Some("stale-token"),
    );
    b.free.push(p);
}

/// A batch of concurrent operations: every invocation, then each outcome in turn.
fn run_batch(b: &mut Builder<'_>, batch: &[Op], leader: usize, token: i64) {
    let mut open = Vec::new();
    for (k, &op) in batch.iter().enumerate() {
        let p = b.process();
        b.value += 1;
        let target = (b.value as usize + k) % b.s.nodes;
        let (f, value) = match op {
            Op::Read => ("read", Value::Null),
            Op::Status => ("status", Value::Null),
            _ => ("write", json!({"value": b.value})),
        };
        b.push(Process::Client(p), Type::Invoke, f, value, Some(node(target)), None);
        open.push((p, op, target, b.value));
    }
    for (p, op, target, v) in open {
        complete(b, p, op, target, v, leader, token);
    }
}

fn complete(b: &mut Builder<'_>, p: i64, op: Op, target: usize, v: i64, leader: usize, token: i64) {
    let client = Process::Client(p);
    let to = Some(node(target));
    let applied = matches!(op, Op::WriteOk | Op::WriteInfoApplied);
    if applied {
        b.resource(Type::Ok, "accept", token, leader, v, None);
        b.last_written = Some(v);
    }
    let retired = matches!(op, Op::WriteInfoApplied | Op::WriteInfoLost);
    match op {
        Op::WriteOk => {
            let value = json!({"value": v, "token": b.token(token), "leader": node(leader)});
            b.push(client, Type::Ok, "write", value, to, None)
        }
        Op::WriteFail => {
            b.push(client, Type::Fail, "write", json!({"value": v}), to, Some("not-leader"))
        }
        Op::WriteInfoApplied | Op::WriteInfoLost => {
            b.push(client, Type::Info, "write", json!({"value": v}), to, Some("timeout"))
        }
        Op::Read => b.push(client, Type::Ok, "read", json!({"value": b.last_written}), to, None),
        Op::Status => {
            let value = status_value(b, target == leader, token);
            b.push(client, Type::Ok, "status", value, to, None)
        }
    };
    if !retired {
        b.free.push(p);
    }
}

fn status_value(b: &Builder<'_>, leads: bool, token: i64) -> Value {
    if leads {
        json!({"leader": true, "token": b.token(token)})
    } else {
        json!({"leader": false})
    }
}

/// Every node is asked its status at the end: only the last leader says it leads.
fn finish(b: &mut Builder<'_>, leader: Option<usize>, token: i64) {
    for n in 0..b.s.nodes {
        let p = b.process();
        b.push(Process::Client(p), Type::Invoke, "status", Value::Null, Some(node(n)), None);
        let value = status_value(b, Some(n) == leader, token);
        b.push(Process::Client(p), Type::Ok, "status", value, Some(node(n)), None);
        b.free.push(p);
    }
}

/// The records as `history.jsonl` text.
pub fn to_jsonl(records: &[Record]) -> String {
    let mut out = String::with_capacity(records.len() * 150);
    for r in records {
        out.push_str(&serde_json::to_string(r).expect("a record serializes"));
        out.push('\n');
    }
    out
}
