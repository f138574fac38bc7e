//! Checking operations: split them by partition (P-compositionality), search each part, and
//! turn the outcome into a [`CheckResult`] with a witness when the history is not linearizable.
//!
//! Neighbours: [`super::search`] does the work; [`super::witness`] explains a failure;
//! [`super::check_history`] feeds this from a splitbrain history.
//!
//! Design: the verdict is `invalid` as soon as one part cannot be linearized; `unknown` when a
//! part ran out of time (never `valid`) or there was nothing to check; `valid` otherwise.

use super::model::{Fate, Model};
use super::operation::{Operation, OpsOf};
use super::search::{Found, Search};
use super::witness::explain;
use crate::kind::CheckerKind;
use crate::{CheckResult, Verdict};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The checker's name, as given to `--checker`.
pub const NAME: CheckerKind = CheckerKind::Linearizable;

/// Limits of one check.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time for the verdict; past it the verdict is unknown. `None`: no limit.
    pub budget: Option<Duration>,
    /// Time for the witness of an invalid history, after the verdict; past it the witness is
    /// the best found so far (marked not minimal).
    pub witness_budget: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options { budget: Some(Duration::from_secs(60)), witness_budget: Duration::from_secs(5) }
    }
}

/// A partition: its key and its operations.
pub type Part<M> = (u32, OpsOf<M>);

/// The operations of each partition, in order of the partition's first operation, with what
/// the model knows of those of unknown outcome applied ([`Model::fates`]): the unseen are left
/// out, the observed get a return.
pub fn partitions<M: Model>(model: &M, ops: &[Operation<M::Input, M::Output>]) -> Vec<Part<M>> {
    let mut parts = split(model, ops);
    for (_, part) in &mut parts {
        settle(model, part);
    }
    parts
}

/// The operations of each partition as recorded (no fates applied).
fn split<M: Model>(model: &M, ops: &[Operation<M::Input, M::Output>]) -> Vec<Part<M>> {
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut parts: Vec<(u32, Vec<_>)> = Vec::new();
    for op in ops {
        let key = model.partition(&op.input);
        let at = *index.entry(key).or_insert_with(|| {
            parts.push((key, Vec::new()));
            parts.len() - 1
        });
        parts[at].1.push(op.clone());
    }
    parts
}

/// [`split`], moving the operations instead of copying them.
/// Operations of one partition (a register's, a mutex's) stay in their vector: a second would
/// hold them twice while the first is consumed.
fn split_owned<M: Model>(model: &M, mut ops: OpsOf<M>) -> Vec<Part<M>> {
    let first = ops.first().map(|op| model.partition(&op.input));
    if let Some(key) = first.filter(|&k| ops.iter().all(|op| model.partition(&op.input) == k)) {
        ops.shrink_to_fit();
        return vec![(key, ops)];
    }
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut parts: Vec<Part<M>> = Vec::new();
    for op in ops {
        let key = model.partition(&op.input);
        let at = *index.entry(key).or_insert_with(|| {
            parts.push((key, Vec::new()));
            parts.len() - 1
        });
        parts[at].1.push(op);
    }
    parts
}

/// Applies the model's fates to the operations of one partition.
pub(crate) fn settle<M: Model>(model: &M, ops: &mut OpsOf<M>) {
    let fates = model.fates(ops);
    let mut fate = fates.iter();
    ops.retain_mut(|op| match fate.next() {
        Some(Fate::Unseen) => false,
        Some(&Fate::By(t)) => {
            op.return_time = t;
            true
        }
        _ => true,
    });
}

/// One operation of a model.
type OpOf<M> = Operation<<M as Model>::Input, <M as Model>::Output>;

/// What [`settle_undoably`] changed in one partition: the operations it left out and the
/// return times it replaced, each at its position among the operations as recorded.
struct Undo<M: Model> {
    removed: Vec<(usize, OpOf<M>)>,
    returns: Vec<(usize, u64)>,
}

/// [`settle`], keeping what it takes to restore the operations as recorded (few: only those of
/// unknown outcome change), so a partition is held once, not once as recorded and once settled.
fn settle_undoably<M: Model>(model: &M, ops: &mut OpsOf<M>) -> Undo<M> {
    let fates = model.fates(ops);
    let mut undo = Undo { removed: Vec::new(), returns: Vec::new() };
    let mut at = 0;
    ops.retain_mut(|op| {
        at += 1;
        match fates.get(at - 1) {
            Some(Fate::Unseen) => {
                undo.removed.push((at - 1, op.clone()));
                false
            }
            Some(&Fate::By(t)) => {
                undo.returns.push((at - 1, op.return_time));
                op.return_time = t;
                true
            }
            _ => true,
        }
    });
    undo
}

/// The operations of a settled partition as recorded.
fn unsettle<M: Model>(settled: OpsOf<M>, undo: Undo<M>) -> OpsOf<M> {
    let mut raw = Vec::with_capacity(settled.len() + undo.removed.len());
    let mut removed = undo.removed.into_iter().peekable();
    for op in settled {
        while let Some((_, r)) = removed.next_if(|(at, _)| *at == raw.len()) {
            raw.push(r);
        }
        raw.push(op);
    }
    raw.extend(removed.map(|(_, r)| r));
    for (at, t) in undo.returns {
        raw[at].return_time = t;
    }
    raw
}

/// How the search of all partitions ended.
enum Parts {
    /// Every partition is linearizable.
    Linearizable,
    /// This partition is not.
    Fails(usize, Option<u32>),
    /// Time ran out with these partitions undecided.
    OutOfTime(Vec<usize>),
}

/// Searches every partition, a slice of steps each in turn with slices that double, so that
/// one partition that fails quickly ends the check even when another would take long (as
/// Porcupine's goroutine per partition does, on one thread).
fn search_parts<M: Model>(model: &mut M, parts: &[Part<M>], deadline: Option<Instant>) -> Parts {
    let mut open: Vec<(usize, Search<'_, M>)> =
        parts.iter().enumerate().map(|(i, (_, ops))| (i, Search::new(model, ops))).collect();
    let mut slice = 1u64 << 12;
    while !open.is_empty() {
        let mut k = 0;
        while k < open.len() {
            match open[k].1.run(model, slice, None) {
                None => k += 1,
                Some(Found::Linearizable) => drop(open.swap_remove(k)),
                Some(_) => return Parts::Fails(open[k].0, open[k].1.frontier),
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Parts::OutOfTime(open.iter().map(|(i, _)| *i).collect());
            }
        }
        slice = (slice * 2).min(1 << 20);
    }
    Parts::Linearizable
}

/// The verdict alone, without a witness: the fast path (benchmarks, quick gates).
pub fn verdict<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Input, M::Output>],
    deadline: Option<Instant>,
) -> Verdict {
    let parts = partitions(model, ops);
    match search_parts(model, &parts, deadline) {
        Parts::Linearizable => Verdict::Valid,
        Parts::Fails(..) => Verdict::Invalid,
        Parts::OutOfTime(_) => Verdict::Unknown,
    }
}

/// Checks `ops` under `model`: the verdict, a sentence, and on failure the witness.
pub fn check_operations<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Input, M::Output>],
    options: &Options,
) -> CheckResult {
    check_and_explain(model, ops, options, |_| {})
}

/// [`check_operations`], with `enrich` applied to the operations of a failing partition before
/// its witness is made (the history's names for them cost time only where they are read).
pub(crate) fn check_and_explain<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Input, M::Output>],
    options: &Options,
    enrich: impl FnOnce(&mut [Operation<M::Input, M::Output>]),
) -> CheckResult {
    check_owned(model, ops.to_vec(), options, enrich)
}

/// [`check_and_explain`] of operations it may keep: each is held once, in its partition.
pub(crate) fn check_owned<M: Model>(
    model: &mut M,
    ops: OpsOf<M>,
    options: &Options,
    enrich: impl FnOnce(&mut [Operation<M::Input, M::Output>]),
) -> CheckResult {
    let start = Instant::now();
    let deadline = options.budget.map(|b| start + b);
    if !ops.iter().any(|o| o.is_required()) {
        let why = format!("no completed {} operations to check", model.name());
        return CheckResult::unknown(NAME, why);
    }
    let count = ops.len();
    let mut parts = split_owned(model, ops);
    let mut undo: Vec<Undo<M>> = parts.iter_mut().map(|(_, p)| settle_undoably(model, p)).collect();
    let timed_out = match search_parts(model, &parts, deadline) {
        Parts::Linearizable => Vec::new(),
        Parts::OutOfTime(open) => open,
        Parts::Fails(i, frontier) => {
            // The witness works on the operations as recorded: a fate holds for the whole
            // partition, not for the few operations a witness keeps.
            let call = frontier.map(|f| parts[i].1[f as usize].call_index);
            let (key, settled) = parts.swap_remove(i);
            let mut part = unsettle(settled, undo.swap_remove(i));
            drop((parts, undo));
            enrich(&mut part);
            let frontier = call.and_then(|c| part.iter().position(|o| o.call_index == c));
            let deadline = Instant::now() + options.witness_budget;
            let w = explain(model, key, &part, frontier.map(|f| f as u32), deadline);
            return CheckResult::invalid(NAME, w.summary, w.evidence).with_details(w.details);
        }
    };
    let figures = json!({
        "model": model.name(),
        "operations": count,
        "partitions": parts.len(),
        "unseen_unknowns_left_out": count - parts.iter().map(|p| p.1.len()).sum::<usize>(),
        "seconds": start.elapsed().as_secs_f64(),
    });
    if let Some(&first) = timed_out.first() {
        let part = model
            .describe_partition(parts[first].0)
            .map(|k| format!(" (first: key {k:?})"))
            .unwrap_or_default();
        let why = format!(
            "the search ran out of its {:?} budget on {} of {} partitions{part}; no verdict",
            options.budget.unwrap_or_default(),
            timed_out.len(),
            parts.len()
        );
        return CheckResult::unknown(NAME, why).with_details(figures);
    }
    let parts_note = match parts.len() {
        1 => String::new(),
        n => format!(", checked as {n} independent partitions"),
    };
    let summary = format!(
        "{} operations have a linearization under the {} model{parts_note}",
        count,
        model.name()
    );
    CheckResult::valid(NAME, summary).with_details(figures)
}
