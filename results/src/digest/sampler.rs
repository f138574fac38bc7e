//! Which records of a long history a report keeps: every record that draws the timeline or
//! tells a story (node reports, faults, the resource's refusals), every record a check's
//! evidence names with its context, every client operation near a witness or a fault's edge,
//! and an even sample of the rest.
//!
//! Neighbours: [`super::Digest::read`] streams the file through a [`Sampler`]; the counts it
//! needs come from [`super::tally::Outline`].
//!
//! Design: a client operation is kept or dropped whole, at its invocation (its completion
//! follows the decision), so the latency plot never shows a half. The even sample is every
//! n-th invocation, n fixed before the pass from the count, so it is spread over the whole run
//! and reproducible; the resource's accepts are sampled the same way on their own count.
//! Operations near a witness are kept besides, up to [`WITNESS_OPS`] (first come: witnesses
//! are few), and near faults up to [`FAULT_OPS`], shared evenly among the faults so that the
//! last hour's faults are shown as well as the first's.

use super::tally::Outline;
use splitbrain_checkers::{Process, Record, Type};
use std::collections::{BTreeSet, HashSet};

/// Client operations in the even sample, at most.
pub const SAMPLE_OPS: u64 = 10_000;
/// Resource accepts in the even sample, at most.
pub const SAMPLE_ACCEPTS: u64 = 10_000;
/// Client operations kept besides, near witnesses, at most.
pub const WITNESS_OPS: u64 = 5_000;
/// Client operations kept besides, near faults' starts and ends, at most (shared evenly among
/// the faults).
pub const FAULT_OPS: u64 = 5_000;
/// The resource's other records (refusals) kept, at most.
pub const MAX_REFUSALS: u64 = 20_000;
/// Every client operation invoked this near a witness (an evidence record) is kept (ns).
pub const NEAR_WITNESS_NS: u64 = 1_000_000_000;
/// Every client operation invoked this near a fault's start or end is kept (ns).
pub const NEAR_FAULT_NS: u64 = 200_000_000;

/// Time windows whose operations are kept, within a budget.
#[derive(Debug)]
pub struct Windows {
    spans: Vec<(u64, u64)>,
    cursor: usize,
    per_span: u64,
    in_span: u64,
    budget: u64,
    /// True when an operation inside a window was left out (a budget was spent).
    pub cut: bool,
}

impl Windows {
    /// Windows `near` each of `times`, sharing `budget` operations: `shared` evenly among the
    /// windows, else first come.
    fn new(times: &[u64], near: u64, budget: u64, shared: bool) -> Windows {
        let spans = merged(
            times.iter().map(|&t| (t.saturating_sub(near), t.saturating_add(near))).collect(),
        );
        let per_span = match shared {
            true => (budget / spans.len().max(1) as u64).max(1),
            false => budget,
        };
        Windows { spans, cursor: 0, per_span, in_span: 0, budget, cut: false }
    }

    /// Operations kept per window, at most.
    pub fn per_span(&self) -> u64 {
        self.per_span
    }

    /// True when an operation invoked at `t` (fed in time order) is kept for this window.
    fn take(&mut self, t: u64) -> bool {
        while self.spans.get(self.cursor).is_some_and(|w| w.1 < t) {
            (self.cursor, self.in_span) = (self.cursor + 1, 0);
        }
        if self.spans.get(self.cursor).is_none_or(|w| w.0 > t) {
            return false;
        }
        let keep = self.in_span < self.per_span && self.budget > 0;
        self.cut |= !keep;
        if keep {
            (self.in_span, self.budget) = (self.in_span + 1, self.budget - 1);
        }
        keep
    }
}

/// A sample under way.
#[derive(Debug)]
pub struct Sampler {
    op_stride: u64,
    accept_stride: u64,
    last_index: u64,
    context: BTreeSet<u64>,
    /// Operations near witnesses.
    pub witnesses: Windows,
    /// Operations near faults.
    pub faults: Windows,
    open: HashSet<i64>,
    /// Invocations seen, and kept.
    pub ops: (u64, u64),
    /// Accepts seen, and kept.
    pub accepts: (u64, u64),
    refusals: u64,
}

impl Sampler {
    /// A sampler for a history of this outline; `context` are the indices kept whatever they
    /// hold (evidence and the lines around it), `witness_times` the evidence records' times.
    pub fn new(outline: &Outline, context: BTreeSet<u64>, witness_times: &[u64]) -> Sampler {
        Sampler {
            op_stride: outline.ops.div_ceil(SAMPLE_OPS).max(1),
            accept_stride: outline.accepts.div_ceil(SAMPLE_ACCEPTS).max(1),
            last_index: outline.last_index,
            context,
            witnesses: Windows::new(witness_times, NEAR_WITNESS_NS, WITNESS_OPS, false),
            faults: Windows::new(&outline.fault_times, NEAR_FAULT_NS, FAULT_OPS, true),
            open: HashSet::new(),
            ops: (0, 0),
            accepts: (0, 0),
            refusals: 0,
        }
    }

    /// True when the outline is small enough that every record is kept.
    pub fn keeps_all(outline: &Outline) -> bool {
        outline.ops <= SAMPLE_OPS && outline.accepts <= SAMPLE_ACCEPTS
    }

    /// Whether to keep the next record (fed in file order).
    pub fn keep(&mut self, r: &Record) -> bool {
        let pinned = self.context.contains(&r.index) || r.index == self.last_index;
        match r.process {
            Process::Client(p) if r.kind == Type::Invoke => self.invocation(p, r, pinned),
            Process::Client(p) => self.open.remove(&p) || pinned,
            Process::Resource if r.f == "accept" => self.accept(pinned),
            Process::Resource => {
                self.refusals += 1;
                self.refusals <= MAX_REFUSALS || pinned
            }
            Process::Nemesis | Process::Node(_) => true,
        }
    }

    fn invocation(&mut self, p: i64, r: &Record, pinned: bool) -> bool {
        let even = self.ops.0.is_multiple_of(self.op_stride);
        self.ops.0 += 1;
        let keep = even || pinned || self.witnesses.take(r.time) || self.faults.take(r.time);
        match keep {
            true => {
                self.ops.1 += 1;
                self.open.insert(p);
            }
            false => drop(self.open.remove(&p)),
        }
        keep
    }

    fn accept(&mut self, pinned: bool) -> bool {
        let keep = self.accepts.0.is_multiple_of(self.accept_stride) || pinned;
        self.accepts.0 += 1;
        self.accepts.1 += keep as u64;
        keep
    }
}

/// Intervals sorted and merged where they overlap.
fn merged(mut windows: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    windows.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(windows.len());
    for w in windows {
        match out.last_mut() {
            Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
            _ => out.push(w),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_windows_merge_and_apart_ones_stay_apart() {
        assert_eq!(merged(vec![(5, 9), (0, 2), (1, 4), (10, 11)]), [(0, 4), (5, 9), (10, 11)]);
    }

    #[test]
    fn a_shared_budget_keeps_some_operations_near_every_fault_not_all_near_the_first() {
        let mut w = Windows::new(&[100, 1000], 10, 4, true);
        let kept: Vec<u64> =
            [95, 96, 97, 98, 995, 996, 997].into_iter().filter(|&t| w.take(t)).collect();
        assert_eq!(kept, [95, 96, 995, 996]);
        assert!(w.cut);
        let mut w = Windows::new(&[100], 10, 4, false);
        assert!(!w.take(50) && w.take(95) && !w.cut);
    }
}
