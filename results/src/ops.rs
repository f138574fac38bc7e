//! Client operations: each invocation paired with its completion, and their latency figures.
//!
//! Neighbours: reads the records of `checkers::history`; [`crate::summary`] stores the
//! [`OpStats`] in results.json; [`crate::report`] plots the operations.
//!
//! Design: pairing follows the contract (shared/HISTORY.md): an integer process has at most
//! one invocation outstanding, so its next completion is that invocation's. An invocation with
//! no completion by the end counts as `info`. Latency quantiles are over `ok` operations only
//! (what a client waits for a write that happens); `fail` and `info` are counted, and a timeout's
//! latency would only measure the client's timeout setting. Quantiles come from an HdrHistogram
//! (microsecond resolution, 3 significant digits), so they cost the same for 100 or 10⁷ ops.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use splitbrain_checkers::{Process, Record, Type};
use std::collections::{BTreeMap, HashMap};

/// How a client operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It happened.
    Ok,
    /// It certainly did not happen.
    Fail,
    /// Unknown (a timeout, a lost connection).
    Info,
    /// No completion by the end of the history (counts as unknown).
    Open,
}

/// One client operation.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOp {
    /// The client process number.
    pub process: i64,
    /// The operation (`write`, `read`, `status`, …).
    pub f: String,
    /// The node it was sent to.
    pub node: Option<String>,
    /// The invocation's index.
    pub invoke: u64,
    /// The invocation's time (ns).
    pub start: u64,
    /// The completion's index, if any.
    pub completion: Option<u64>,
    /// The completion's time (ns), if any.
    pub end: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
}

impl ClientOp {
    /// Completion time minus invocation time, when it completed.
    pub fn latency_ns(&self) -> Option<u64> {
        self.end.map(|e| e.saturating_sub(self.start))
    }
}

/// Every client operation of the records, in invocation order.
pub fn client_ops(records: &[Record]) -> Vec<ClientOp> {
    let mut ops = Vec::new();
    let mut outstanding: HashMap<i64, usize> = HashMap::new();
    for r in records {
        let Process::Client(p) = r.process else { continue };
        if r.kind == Type::Invoke {
            outstanding.insert(p, ops.len());
            ops.push(invocation(p, r));
        } else if let Some(i) = outstanding.remove(&p) {
            complete(&mut ops[i], r);
        }
    }
    ops
}

fn invocation(process: i64, r: &Record) -> ClientOp {
    ClientOp {
        process,
        f: r.f.clone(),
        node: r.node.clone(),
        invoke: r.index,
        start: r.time,
        completion: None,
        end: None,
        outcome: Outcome::Open,
    }
}

fn complete(op: &mut ClientOp, r: &Record) {
    op.completion = Some(r.index);
    op.end = Some(r.time);
    op.outcome = match r.kind {
        Type::Ok => Outcome::Ok,
        Type::Fail => Outcome::Fail,
        _ => Outcome::Info,
    };
}

/// Counts and latency quantiles of one operation name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpStats {
    /// The operation name (`write`, `read`, …).
    pub f: String,
    /// Invocations.
    pub invoked: u64,
    /// Completed `ok`.
    pub ok: u64,
    /// Completed `fail`.
    pub fail: u64,
    /// Completed `info`, or never completed.
    pub info: u64,
    /// Latency of the `ok` ones, in milliseconds (absent when none was `ok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Quantiles>,
}

impl OpStats {
    /// The share of invocations that completed `ok` (0 when none was invoked).
    pub fn ok_share(&self) -> f64 {
        if self.invoked == 0 {
            0.0
        } else {
            self.ok as f64 / self.invoked as f64
        }
    }
}

/// Latency quantiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

/// A latency histogram in microseconds, from 1 µs to one hour.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static histogram bounds are valid")
}

/// Records a latency (ns) into a microsecond histogram.
pub fn record_ns(h: &mut Histogram<u64>, ns: u64) {
    h.saturating_record((ns / 1000).max(1));
}

/// The quantiles of a microsecond histogram, in ms; `None` when it is empty.
pub fn quantiles(h: &Histogram<u64>) -> Option<Quantiles> {
    if h.is_empty() {
        return None;
    }
    let ms = |us: u64| us as f64 / 1000.0;
    Some(Quantiles {
        p50: ms(h.value_at_quantile(0.5)),
        p90: ms(h.value_at_quantile(0.9)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
    })
}

/// Per operation name (sorted), the counts and the latency quantiles of the `ok` ones.
pub fn op_stats(ops: &[ClientOp]) -> Vec<OpStats> {
    let mut by_f: BTreeMap<&str, (OpStats, Histogram<u64>)> = BTreeMap::new();
    for op in ops {
        let (s, h) = by_f.entry(&op.f).or_insert_with(|| (empty_stats(&op.f), new_histogram()));
        s.invoked += 1;
        match op.outcome {
            Outcome::Ok => s.ok += 1,
            Outcome::Fail => s.fail += 1,
            Outcome::Info | Outcome::Open => s.info += 1,
        }
        if let (Outcome::Ok, Some(ns)) = (op.outcome, op.latency_ns()) {
            record_ns(h, ns);
        }
    }
    by_f.into_values().map(|(s, h)| OpStats { latency_ms: quantiles(&h), ..s }).collect()
}

fn empty_stats(f: &str) -> OpStats {
    OpStats { f: f.to_string(), invoked: 0, ok: 0, fail: 0, info: 0, latency_ms: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(index: u64, time: u64, p: i64, kind: Type, f: &str) -> Record {
        Record {
            index,
            time,
            process: Process::Client(p),
            kind,
            f: f.into(),
            value: json!(null),
            node: None,
            error: None,
        }
    }

    #[test]
    fn each_completion_pairs_with_its_process_outstanding_invocation() {
        let records = vec![
            rec(0, 0, 1, Type::Invoke, "write"),
            rec(1, 10, 2, Type::Invoke, "read"),
            rec(2, 2_000_000, 1, Type::Ok, "write"),
            rec(3, 3_000_000, 2, Type::Fail, "read"),
            rec(4, 4_000_000, 3, Type::Invoke, "write"),
        ];
        let ops = client_ops(&records);
        assert_eq!(ops.len(), 3);
        assert_eq!((ops[0].outcome, ops[0].latency_ns()), (Outcome::Ok, Some(2_000_000)));
        assert_eq!((ops[1].outcome, ops[1].completion), (Outcome::Fail, Some(3)));
        assert_eq!((ops[2].outcome, ops[2].end), (Outcome::Open, None));
        let stats = op_stats(&ops);
        assert_eq!(stats[1].f, "write");
        assert_eq!((stats[1].invoked, stats[1].ok, stats[1].info), (2, 1, 1));
        let q = stats[1].latency_ms.expect("one ok write");
        assert!((q.p50 - 2.0).abs() < 0.01, "{q:?}");
        assert_eq!(stats[0].latency_ms, None);
    }
}
