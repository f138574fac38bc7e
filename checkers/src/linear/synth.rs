//! Synthetic register histories shaped like those splitbrain's clients record, for tests and
//! benchmarks of the search: workers with one operation outstanding each, unique written
//! values, reads, and writes that time out (`info`) and then take effect later, at once, or
//! never; optionally one planted stale read.
//!
//! Neighbours: the records are HISTORY.md's (`write` invoke `{"value": V}`, `read` ok
//! `{"value": V}`), as `harness/src/controller/clients.rs` writes them; [`super::register`]
//! reads them back.
//!
//! Design: a true register is kept beside the history, and each operation takes effect at a
//! random moment between its invocation and its completion, so the history is linearizable
//! unless a stale read is planted. A worker whose write timed out goes on under a new process
//! number, as the harness's workers do. One seed drives every choice.

use crate::splitmix::SplitMix64 as Rng;
use crate::{History, Process, Record, Type};
use serde_json::{json, Value};

/// The shape of a synthetic register history.
#[derive(Debug, Clone, Copy)]
pub struct RegisterShape {
    /// Completed or timed-out operations in all.
    pub ops: usize,
    /// Workers running at once.
    pub clients: usize,
    /// Percent of writes that time out (`info`); of those a third take effect before the
    /// timeout, a third later, a third never.
    pub info_percent: u64,
    /// Percent of operations that are reads.
    pub read_percent: u64,
    /// Plant one read, past the middle, that returns a value overwritten before it was called
    /// (by a write that completed before a later write was called): not linearizable.
    pub stale_read: bool,
    /// The seed of every choice.
    pub seed: u64,
}

impl RegisterShape {
    /// `ops` operations by 10 workers, half reads, 3% of writes timing out, no stale read.
    pub fn harness(ops: usize, seed: u64) -> RegisterShape {
        RegisterShape {
            ops,
            clients: 10,
            info_percent: 3,
            read_percent: 50,
            stale_read: false,
            seed,
        }
    }
}

/// Where a worker's operation is.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Idle,
    Invoked,
    Applied,
}

/// A worker's operation in flight: a read (value `None` until it takes effect) or a write.
#[derive(Clone, Copy)]
struct Op {
    write: bool,
    value: Option<u64>,
    called: usize,
    info: bool,
}

/// A write: its value, where it was called and where it completed.
struct Write {
    value: u64,
    called: usize,
    completed: Option<usize>,
}

struct Gen {
    rng: Rng,
    shape: RegisterShape,
    truth: Option<u64>,
    records: Vec<Record>,
    writes: Vec<Write>,
    later: Vec<u64>,
    planted: bool,
}

/// A synthetic history of the given shape.
pub fn register_history(shape: &RegisterShape) -> History {
    let mut g = Gen {
        rng: Rng(shape.seed),
        shape: *shape,
        truth: None,
        records: Vec::with_capacity(shape.ops * 2),
        writes: Vec::new(),
        later: Vec::new(),
        planted: false,
    };
    let mut process: Vec<i64> = (0..shape.clients as i64).collect();
    let mut next_process = shape.clients as i64;
    let mut stage = vec![Stage::Idle; shape.clients];
    let mut op = vec![Op { write: false, value: None, called: 0, info: false }; shape.clients];
    let (mut started, mut done) = (0, 0);
    while done < shape.ops {
        if !g.later.is_empty() && g.rng.below(50) == 0 {
            let i = g.rng.below(g.later.len() as u64) as usize;
            g.truth = Some(g.later.swap_remove(i));
        }
        let c = g.rng.below(shape.clients as u64) as usize;
        match stage[c] {
            Stage::Idle if started < shape.ops => {
                op[c] = g.invoke(process[c]);
                (started, stage[c]) = (started + 1, Stage::Invoked);
            }
            Stage::Invoked => {
                g.apply(&mut op[c]);
                stage[c] = Stage::Applied;
            }
            Stage::Applied => {
                g.complete(process[c], &op[c]);
                if op[c].info {
                    process[c] = next_process;
                    next_process += 1;
                }
                (done, stage[c]) = (done + 1, Stage::Idle);
            }
            _ => {}
        }
    }
    History::new(g.records)
}

impl Gen {
    fn push(&mut self, process: i64, kind: Type, f: &str, value: Value, error: Option<&str>) {
        let index = self.records.len() as u64;
        self.records.push(Record {
            index,
            time: index,
            process: Process::Client(process),
            kind,
            f: f.to_string(),
            value,
            node: None,
            error: error.map(str::to_string),
        });
    }

    fn invoke(&mut self, process: i64) -> Op {
        let called = self.records.len();
        if self.rng.below(100) < self.shape.read_percent {
            self.push(process, Type::Invoke, "read", Value::Null, None);
            return Op { write: false, value: None, called, info: false };
        }
        let value = self.writes.len() as u64 + 1;
        let info = self.rng.below(100) < self.shape.info_percent;
        self.writes.push(Write { value, called, completed: None });
        self.push(process, Type::Invoke, "write", json!({ "value": value }), None);
        Op { write: true, value: Some(value), called, info }
    }

    fn apply(&mut self, op: &mut Op) {
        match (op.write, op.info) {
            (false, _) => op.value = self.stale(op.called).or(Some(self.truth.unwrap_or(0))),
            (true, false) => self.truth = op.value,
            (true, true) => match self.rng.below(3) {
                0 => self.truth = op.value,
                1 => self.later.extend(op.value),
                _ => {}
            },
        }
    }

    /// The planted stale read's value, once, past the middle: a value whose write completed
    /// before the last write completed before `called` was itself called.
    fn stale(&mut self, called: usize) -> Option<u64> {
        if !self.shape.stale_read || self.planted || self.writes.len() < self.shape.ops / 4 {
            return None;
        }
        let done_before = |w: &&Write, at: usize| w.completed.is_some_and(|t| t < at);
        let last = self.writes.iter().rev().find(|w| done_before(w, called))?;
        let old = self.writes.iter().rev().find(|w| done_before(w, last.called))?;
        self.planted = true;
        Some(old.value)
    }

    fn complete(&mut self, process: i64, op: &Op) {
        let at = self.records.len();
        let Some(v) = op.value.filter(|_| op.write) else {
            let read = op.value.filter(|&v| v != 0).map_or(Value::Null, |v| json!(v));
            return self.push(process, Type::Ok, "read", json!({ "value": read }), None);
        };
        if op.info {
            return self.push(process, Type::Info, "write", json!({ "value": v }), Some("timeout"));
        }
        self.writes[v as usize - 1].completed = Some(at);
        self.push(process, Type::Ok, "write", json!({ "value": v }), None);
    }
}
