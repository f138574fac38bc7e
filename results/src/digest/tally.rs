//! The figures of a run, counted as its records stream by: client operation counts and latency
//! quantiles, the history's own facts, and the outline a sample is drawn from.
//!
//! Neighbours: [`crate::summary::RunResults`] stores the [`Figures`]; [`super::sampler`] draws
//! its sample from the [`Outline`]; the harness feeds a [`Tally`] beside the checkers.
//!
//! Design: the same pairing as [`crate::ops::client_ops`] (a process's next completion is its
//! outstanding invocation's; an invocation never completed, or followed by another of the same
//! process, counts as `info`), kept per process rather than per operation, so memory is the
//! number of client processes and operation names, never the length of the history.

use crate::ops::{self, OpStats};
use crate::summary::HistoryFacts;
use hdrhistogram::Histogram;
use splitbrain_checkers::{Fed, History, Type, Who};
use std::collections::{BTreeMap, HashMap};

/// What results.json derives from the history: operation figures and the file's facts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Per operation name (sorted), counts and latency quantiles.
    pub operations: Vec<OpStats>,
    /// Records, duration, the reader's warnings.
    pub history: HistoryFacts,
}

impl Figures {
    /// The figures of a history held whole.
    pub fn of(h: &History) -> Figures {
        let mut tally = Tally::default();
        h.records.iter().for_each(|r| tally.feed(&Fed::of(r)));
        tally.figures(h.records.len() as u64, h.warnings.clone())
    }
}

/// What a sample of the history is drawn from: how much there is, and where the faults are.
#[derive(Debug, Clone)]
pub struct Outline {
    /// Client invocations.
    pub ops: u64,
    /// The resource's `accept` records.
    pub accepts: u64,
    /// The last record's index.
    pub last_index: u64,
    /// The time of every nemesis record (a fault's start or end), ascending, at most
    /// [`MAX_FAULT_TIMES`].
    pub fault_times: Vec<u64>,
    /// Every `ok` client operation's latency (µs).
    pub latency_ok: Histogram<u64>,
}

/// Nemesis records whose time a tally keeps (a fault every second for a day is 86,400).
pub const MAX_FAULT_TIMES: usize = 100_000;

/// Figures under way.
#[derive(Debug, Default)]
pub struct Tally {
    by_f: BTreeMap<String, (OpStats, Histogram<u64>)>,
    outstanding: HashMap<i64, (String, u64)>,
    accepts: u64,
    last: Option<(u64, u64)>,
    fault_times: Vec<u64>,
}

impl Tally {
    /// The next record, in file order.
    pub fn feed(&mut self, r: &Fed<'_>) {
        self.last = Some((r.index, r.time));
        match r.process {
            Who::Client(p) if r.kind == Type::Invoke => self.invoke(p, r),
            Who::Client(p) => self.complete(p, r),
            Who::Resource if r.f == "accept" => self.accepts += 1,
            Who::Nemesis if self.fault_times.len() < MAX_FAULT_TIMES => {
                self.fault_times.push(r.time)
            }
            _ => {}
        }
    }

    fn invoke(&mut self, p: i64, r: &Fed<'_>) {
        if let Some((f, _)) = self.outstanding.insert(p, (r.f.to_string(), r.time)) {
            self.stats(&f).0.info += 1; // superseded: it never completed
        }
        self.stats(r.f).0.invoked += 1;
    }

    fn complete(&mut self, p: i64, r: &Fed<'_>) {
        let Some((f, start)) = self.outstanding.remove(&p) else { return };
        let (s, h) = self.stats(&f);
        match r.kind {
            Type::Ok => {
                s.ok += 1;
                ops::record_ns(h, r.time.saturating_sub(start));
            }
            Type::Fail => s.fail += 1,
            _ => s.info += 1,
        }
    }

    fn stats(&mut self, f: &str) -> &mut (OpStats, Histogram<u64>) {
        if !self.by_f.contains_key(f) {
            let empty =
                OpStats { f: f.to_string(), invoked: 0, ok: 0, fail: 0, info: 0, latency_ms: None };
            self.by_f.insert(f.to_string(), (empty, ops::new_histogram()));
        }
        self.by_f.get_mut(f).expect("just inserted")
    }

    /// The figures of the records fed: `records` read, with the reader's `warnings`.
    pub fn figures(&self, records: u64, warnings: Vec<String>) -> Figures {
        let open = |f: &str| self.outstanding.values().filter(|(g, _)| g == f).count() as u64;
        let operations = self
            .by_f
            .values()
            .map(|(s, h)| OpStats {
                info: s.info + open(&s.f),
                latency_ms: ops::quantiles(h),
                ..s.clone()
            })
            .collect();
        let duration_ns = self.last.map_or(0, |l| l.1);
        Figures { operations, history: HistoryFacts { records, duration_ns, warnings } }
    }

    /// The outline a sample is drawn from.
    pub fn outline(&self) -> Outline {
        let mut latency_ok = ops::new_histogram();
        for (_, h) in self.by_f.values() {
            // Both have the same bounds, so adding cannot fail.
            let _ = latency_ok.add(h);
        }
        Outline {
            ops: self.by_f.values().map(|(s, _)| s.invoked).sum(),
            accepts: self.accepts,
            last_index: self.last.map_or(0, |l| l.0),
            fault_times: self.fault_times.clone(),
            latency_ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streamed_figures_are_those_of_the_whole_history() {
        let h = crate::sample::dual_writer_run(&crate::sample::SampleOptions::default()).history;
        let whole = ops::op_stats(&ops::client_ops(&h.records));
        let figures = Figures::of(&h);
        assert_eq!(figures.operations, whole);
        assert_eq!(figures.history.records, h.records.len() as u64);
        assert_eq!(figures.history.duration_ns, h.records.last().unwrap().time);
    }
}
