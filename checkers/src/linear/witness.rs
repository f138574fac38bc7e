//! The witness of a history that cannot be linearized: the shortest prefix that cannot be, the
//! operation that cannot be placed at its end, a small set of operations it conflicts with, and
//! the longest partial linearization the search found (what Porcupine's visualization draws).
//!
//! Neighbours: [`super::check`] calls [`explain`] on the first partition that fails; it reruns
//! [`super::search::search`] on sub-histories, and describes operations through the model.
//!
//! Method. A prefix of the history is its first k call/return events, with the operations
//! still open at the cut treated as of unknown outcome; "prefix k cannot be linearized" only
//! grows with k, so a binary search finds the shortest, and its last event is the return of the
//! culprit. Then the other operations in it are made droppable (they may also not have
//! happened at all), in halving chunks as delta debugging does; that stays when the prefix
//! still cannot be linearized. Dropping only adds
//! freedom, so the operations left are ones that cannot all have happened as recorded, whatever
//! the others did within their own call and return.
//!
//! `details` fields (stable; the HTML report reads them):
//! - `model`: the model's name; `partition`: the key, or null.
//! - `operations`: operations in the partition.
//! - `culprit`: the operation that cannot be placed (an *op*, below).
//! - `conflicts`: the operations it conflicts with (*op*s), `conflicts_minimal`: false when the
//!   time ran out before each was tried, or trying one took too long.
//! - `prefix_end_index`: the history index that ends the shortest failing prefix;
//!   `prefix_shortest`: false when time ran out before it was found to be shortest.
//! - `longest_linearization`: the longest partial linearization of that prefix, in order, each
//!   an *op* with `state_after`; `prefix_operations`: how many operations the prefix must place.
//! - an *op*: `{"process", "call_index", "return_index" (null when it never completed), "op"}`.

use super::model::Model;
use super::operation::{Operation, OpsOf as Ops, NEVER};
use super::search::{search, Found, Furthest, Search};
use serde_json::{json, Value};
use std::time::Instant;

/// What a person reads about an unlinearizable history.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// One sentence.
    pub summary: String,
    /// The history indices of the culprit and its conflicts.
    pub evidence: Vec<u64>,
    /// The structured witness (fields in the module docs).
    pub details: Value,
}

/// The steps one try may take to show the prefix still fails, plus as many per operation;
/// past them the operations tried are kept (each droppable one doubles what may have happened,
/// which can make a search long).
const ATTEMPT_STEPS: u64 = 20_000;
const ATTEMPT_STEPS_PER_OP: u64 = 200;

/// Explains why `ops` (one partition, known not linearizable) cannot be linearized, working
/// until `deadline` at most.
pub fn explain<M: Model>(
    model: &mut M,
    part: u32,
    ops: &[Operation<M::Input, M::Output>],
    deadline: Instant,
) -> Explanation {
    let events = event_order(ops);
    let (end, shortest) = shortest_failing_prefix(model, ops, &events, deadline);
    let (prefix, culprit) = prefix(ops, &events, end);
    let (required, minimal) = minimise(model, &prefix, culprit, deadline);
    let mut furthest = Furthest::default();
    search(model, &prefix, Some(deadline), Some(&mut furthest));
    let conflicts: Vec<usize> = required.into_iter().filter(|&i| i != culprit).collect();
    let summary = sentence(model, part, &prefix, culprit, &conflicts, &furthest);
    let mut evidence: Vec<u64> = std::iter::once(culprit)
        .chain(conflicts.iter().copied())
        .flat_map(|i| std::iter::once(prefix[i].call_index).chain(prefix[i].return_index))
        .collect();
    evidence.sort_unstable();
    evidence.dedup();
    let details = json!({
        "model": model.name(),
        "partition": model.describe_partition(part),
        "operations": ops.len(),
        "culprit": op_json(model, &prefix[culprit]),
        "conflicts": conflicts.iter().map(|&i| op_json(model, &prefix[i])).collect::<Vec<_>>(),
        "conflicts_minimal": minimal,
        "prefix_end_index": prefix[culprit].return_index,
        "prefix_shortest": shortest,
        "prefix_operations": prefix.iter().filter(|o| o.is_required()).count(),
        "longest_placed": furthest.placed,
        "longest_linearization": linearization_json(model, &prefix, &furthest.order),
    });
    Explanation { summary, evidence, details }
}

/// The call and return events in the order the search walks them: (time, is_return, op).
fn event_order<I, O>(ops: &[Operation<I, O>]) -> Vec<(u64, bool, usize)> {
    let mut ev: Vec<(u64, bool, usize)> = ops
        .iter()
        .enumerate()
        .flat_map(|(i, o)| [(o.call, false, i), (o.return_time, true, i)])
        .collect();
    ev.sort_unstable();
    ev
}

/// The number of events in the shortest prefix that cannot be linearized, and whether the
/// search for it finished.
fn shortest_failing_prefix<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Input, M::Output>],
    events: &[(u64, bool, usize)],
    deadline: Instant,
) -> (usize, bool) {
    let (mut lo, mut hi) = (0, events.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        match search(model, &prefix(ops, events, mid).0, Some(deadline), None) {
            Found::Linearizable => lo = mid,
            Found::NotLinearizable => hi = mid,
            Found::OutOfTime => return (hi, false),
        }
    }
    (hi, true)
}

/// The operations called within the first `k` events (those not returned by then relaxed), and
/// the position among them of the operation whose return is event `k - 1`.
fn prefix<I: Clone, O: Clone>(
    ops: &[Operation<I, O>],
    events: &[(u64, bool, usize)],
    k: usize,
) -> (Vec<Operation<I, O>>, usize) {
    let mut returned = vec![false; ops.len()];
    let mut called = vec![false; ops.len()];
    for &(_, is_return, i) in &events[..k] {
        if is_return {
            returned[i] = true;
        } else {
            called[i] = true;
        }
    }
    let last =
        events[..k].iter().rev().find(|e| e.1 && e.0 != NEVER).map_or(events[k - 1].2, |e| e.2);
    let mut out = Vec::new();
    let mut culprit = 0;
    for (i, op) in ops.iter().enumerate().filter(|(i, _)| called[*i]) {
        if i == last {
            culprit = out.len();
        }
        let mut op = op.clone();
        if !returned[i] {
            relax(&mut op);
        }
        out.push(op);
    }
    (out, culprit)
}

fn relax<I, O>(op: &mut Operation<I, O>) {
    op.output = None;
    op.return_time = NEVER;
}

/// The operations (positions) that must have happened for the prefix to fail: the others are
/// made droppable (they may not have happened), in chunks that halve down to one operation (as
/// delta debugging does), each kept droppable when the prefix still fails. Also whether every
/// try finished before the deadline.
fn minimise<M: Model>(
    model: &mut M,
    prefix: &Ops<M>,
    culprit: usize,
    deadline: Instant,
) -> (Vec<usize>, bool) {
    let mut droppable = vec![false; prefix.len()];
    let mut minimal = true;
    let candidates = |d: &[bool]| -> Vec<usize> {
        (0..prefix.len()).filter(|&i| i != culprit && prefix[i].is_required() && !d[i]).collect()
    };
    let mut chunk = candidates(&droppable).len().div_ceil(4).max(1);
    loop {
        for group in candidates(&droppable).chunks(chunk) {
            group.iter().for_each(|&i| droppable[i] = true);
            let found = still_fails(model, prefix, &droppable);
            if found != Some(Found::NotLinearizable) {
                group.iter().for_each(|&i| droppable[i] = false);
                minimal &= found.is_some();
            }
            if Instant::now() >= deadline {
                return (required(prefix, &droppable), false);
            }
        }
        if chunk == 1 {
            return (required(prefix, &droppable), minimal);
        }
        chunk = chunk.div_ceil(2);
    }
}

/// Whether the prefix still cannot be linearized when the marked operations may not have
/// happened (`None`: the try ran out of steps). Droppable reads are simply left out: a read
/// that need not have happened constrains nothing.
fn still_fails<M: Model>(model: &mut M, prefix: &Ops<M>, droppable: &[bool]) -> Option<Found> {
    let keep: Vec<usize> = (0..prefix.len())
        .filter(|&i| {
            !(droppable[i] && model.is_read_only(&prefix[i].input, prefix[i].output.as_ref()))
        })
        .collect();
    let ops: Ops<M> = keep.iter().map(|&i| prefix[i].clone()).collect();
    let drop: Vec<bool> = keep.iter().map(|&i| droppable[i]).collect();
    let steps = ATTEMPT_STEPS + ATTEMPT_STEPS_PER_OP * ops.len() as u64;
    Search::with_droppable(model, &ops, &drop).run(model, steps, None)
}

fn required<I, O>(ops: &[Operation<I, O>], droppable: &[bool]) -> Vec<usize> {
    (0..ops.len()).filter(|&i| ops[i].is_required() && !droppable[i]).collect()
}

fn who<M: Model>(model: &M, op: &Operation<M::Input, M::Output>) -> String {
    let what = model.describe_op(&op.input, op.output.as_ref());
    format!("{what} by process {} (index {})", op.client_id, op.call_index)
}

fn sentence<M: Model>(
    model: &mut M,
    part: u32,
    ops: &Ops<M>,
    culprit: usize,
    conflicts: &[usize],
    furthest: &Furthest<M::State>,
) -> String {
    let object = model.object(part);
    let mut s = format!("{} cannot be linearized", who(model, &ops[culprit]));
    if conflicts.is_empty() {
        s += &format!(": no operation before it leaves {object} in a state that allows it");
    } else {
        let list: Vec<String> = conflicts.iter().map(|&i| who(model, &ops[i])).collect();
        s += &format!(": it conflicts with {}", list.join(", "));
    }
    if let Some(state) = furthest.state {
        let need = ops.iter().filter(|o| o.is_required()).count();
        s += &format!(
            "; the longest linearizable order places {} of its {need} operations and leaves {object} at {}",
            furthest.placed,
            model.describe_state(state)
        );
    }
    s
}

fn op_json<M: Model>(model: &M, op: &Operation<M::Input, M::Output>) -> Value {
    json!({
        "process": op.client_id,
        "call_index": op.call_index,
        "return_index": op.return_index,
        "op": model.describe_op(&op.input, op.output.as_ref()),
    })
}

fn linearization_json<M: Model>(model: &mut M, ops: &Ops<M>, order: &[u32]) -> Vec<Value> {
    let mut state = model.init();
    let mut out = Vec::with_capacity(order.len());
    for &i in order {
        let op = &ops[i as usize];
        state = model.step(state, &op.input, op.output.as_ref()).unwrap_or(state);
        let mut v = op_json(model, op);
        v["state_after"] = Value::String(model.describe_state(state));
        out.push(v);
    }
    out
}
