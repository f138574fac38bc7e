//! The witness of a history that cannot be linearized: the shortest prefix that cannot be, the
//! operation that cannot be placed at its end, a small set of operations it conflicts with, and
//! the longest partial linearization the search found (what Porcupine's visualization draws).
//!
//! Neighbours: [`super::check`] calls [`explain`] on the first partition that fails;
//! `minimise` finds the prefix and the conflicts; operations are described through the
//! model.
//!
//! Design: everything a person reads is bounded at the source, however long the history and
//! however little the minimisation could drop: the summary is one sentence of at most
//! [`SUMMARY_CHARS`] characters naming at most [`SUMMARY_CONFLICTS`] conflicts and counting the
//! rest; the evidence and `conflicts` hold the culprit and the [`SHOWN_CONFLICTS`] conflicts
//! called nearest it (at most 50 history indices); the partial linearization keeps its last
//! [`SHOWN_STEPS`] steps.
//!
//! `details` fields (stable; the HTML report reads them):
//! - `model`: the model's name; `partition`: the key, or null.
//! - `operations`: operations in the partition.
//! - `culprit`: the operation that cannot be placed (an *op*, below).
//! - `conflicts`: the operations it conflicts with nearest it (*op*s, in call order, at most
//!   [`SHOWN_CONFLICTS`]); `conflicts_total`: how many there are in all; `conflicts_minimal`:
//!   false when the time ran out before each was tried, or trying one took too long.
//! - `prefix_end_index`: the history index that ends the shortest failing prefix;
//!   `prefix_shortest`: false when time ran out before it was found to be shortest.
//! - `longest_linearization`: the end of the longest partial linearization of that prefix, in
//!   order, each an *op* with `state_after`; `longest_placed`: how many operations it places
//!   that had to be placed; `longest_omitted`: how many steps before those shown are left out;
//!   `prefix_operations`: how many operations the prefix must place.
//! - an *op*: `{"process", "context" (`via n4 under token 7`, or null), "call_index",
//!   "return_index" (null when it never completed), "op"}`.

use super::minimise::{narrow, settled};
use super::model::Model;
use super::operation::{Operation, OpsOf as Ops};
use super::search::{search, Furthest};
use serde_json::{json, Value};
use std::time::Instant;

/// What a person reads about an unlinearizable history.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// One sentence.
    pub summary: String,
    /// The history indices of the culprit and the conflicts shown (at most 50).
    pub evidence: Vec<u64>,
    /// The structured witness (fields in the module docs).
    pub details: Value,
}

/// The longest summary, in characters.
pub const SUMMARY_CHARS: usize = 400;
/// Conflicts the summary names; the rest are counted.
pub const SUMMARY_CONFLICTS: usize = 3;
/// Conflicts in the evidence and details: with the culprit, two indices each, at most 50.
pub const SHOWN_CONFLICTS: usize = 24;
/// Steps of the longest partial linearization kept in the details (its end).
pub const SHOWN_STEPS: usize = 100;
/// The longest description of one operation or state in the summary, in characters.
const OP_CHARS: usize = 40;
/// The longest description of one operation or state in the details, in characters.
const DETAIL_CHARS: usize = 200;

/// Explains why `ops` (one partition, known not linearizable) cannot be linearized, working
/// until `deadline` at most. `frontier` is the failed search's [`Search::frontier`](super::search::Search::frontier),
/// when known (it is found again otherwise).
pub fn explain<M: Model>(
    model: &mut M,
    part: u32,
    ops: &Ops<M>,
    frontier: Option<u32>,
    deadline: Instant,
) -> Explanation {
    let n = narrow(model, ops, frontier, deadline);
    let (prefix, culprit) = (&n.prefix, n.culprit);
    // The furthest order is sought among the settled operations (fewer unknowns, same verdict).
    let settled = settled(model, prefix);
    let mut furthest = Furthest::default();
    search(model, &settled, Some(deadline), Some(&mut furthest));
    let conflicts: Vec<usize> = n.required.iter().copied().filter(|&i| i != culprit).collect();
    let shown = nearest(prefix, culprit, &conflicts, SHOWN_CONFLICTS);
    // Counted among the settled operations, as the furthest order is.
    let need = settled.iter().filter(|o| o.is_required()).count();
    let summary = sentence(model, part, prefix, culprit, &conflicts, &furthest, need);
    let mut evidence: Vec<u64> = std::iter::once(culprit)
        .chain(shown.iter().copied())
        .flat_map(|i| std::iter::once(prefix[i].call_index).chain(prefix[i].return_index))
        .collect();
    evidence.sort_unstable();
    evidence.dedup();
    let (steps, omitted) = linearization_json(model, &settled, &furthest.order);
    let details = json!({
        "model": model.name(),
        "partition": model.describe_partition(part),
        "operations": ops.len(),
        "culprit": op_json(model, &prefix[culprit]),
        "conflicts": shown.iter().map(|&i| op_json(model, &prefix[i])).collect::<Vec<_>>(),
        "conflicts_total": conflicts.len(),
        "conflicts_minimal": n.minimal,
        "prefix_end_index": prefix[culprit].return_index,
        "prefix_shortest": n.shortest,
        "prefix_operations": need,
        "longest_placed": furthest.placed,
        "longest_omitted": omitted,
        "longest_linearization": steps,
    });
    Explanation { summary, evidence, details }
}

/// The `k` conflicts called nearest the culprit, in call order.
fn nearest<I, O>(
    ops: &[Operation<I, O>],
    culprit: usize,
    conflicts: &[usize],
    k: usize,
) -> Vec<usize> {
    let at = ops[culprit].call;
    let mut near = conflicts.to_vec();
    near.sort_by_key(|&i| (ops[i].call.abs_diff(at), i));
    near.truncate(k);
    near.sort_by_key(|&i| (ops[i].call, i));
    near
}

/// `s` cut to at most `max` characters, an ellipsis marking the cut.
fn clip(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn who<M: Model>(model: &M, op: &Operation<M::Input, M::Output>) -> String {
    let what = clip(model.describe_op(&op.input, op.output.as_ref()), OP_CHARS);
    let via = op.context.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
    format!("{what} by process {}{via} (index {})", op.client_id, op.call_index)
}

/// One sentence: the culprit, the conflicts nearest it (the rest counted), and how far the
/// longest partial linearization got; at most [`SUMMARY_CHARS`] characters.
fn sentence<M: Model>(
    model: &mut M,
    part: u32,
    ops: &Ops<M>,
    culprit: usize,
    conflicts: &[usize],
    furthest: &Furthest<M::State>,
    need: usize,
) -> String {
    let object = model.object(part);
    let mut s = format!("{} cannot be linearized", who(model, &ops[culprit]));
    if conflicts.is_empty() {
        s += &format!(": no operation before it leaves {object} in a state that allows it");
    } else {
        let named = nearest(ops, culprit, conflicts, SUMMARY_CONFLICTS);
        let list: Vec<String> = named.iter().map(|&i| who(model, &ops[i])).collect();
        s += &format!(": it conflicts with {}", list.join(", "));
        if conflicts.len() > named.len() {
            s += &format!(" and {} more (in details)", conflicts.len() - named.len());
        }
    }
    if let Some(state) = furthest.state {
        let state = clip(model.describe_state(state), OP_CHARS);
        let tail = format!(
            "; the longest linearizable order places {} of its {need} operations and leaves {object} at {state}",
            furthest.placed,
        );
        // The tail is what a long sentence gives up first.
        if s.chars().count() + tail.chars().count() <= SUMMARY_CHARS {
            s += &tail;
        }
    }
    clip(s, SUMMARY_CHARS)
}

fn op_json<M: Model>(model: &M, op: &Operation<M::Input, M::Output>) -> Value {
    json!({
        "process": op.client_id,
        "context": op.context.as_deref(),
        "call_index": op.call_index,
        "return_index": op.return_index,
        "op": clip(model.describe_op(&op.input, op.output.as_ref()), DETAIL_CHARS),
    })
}

/// The last [`SHOWN_STEPS`] steps of a partial linearization, each with the state after it,
/// and how many steps before them are left out.
fn linearization_json<M: Model>(model: &mut M, ops: &Ops<M>, order: &[u32]) -> (Vec<Value>, usize) {
    let omitted = order.len().saturating_sub(SHOWN_STEPS);
    let mut state = model.init();
    let mut out = Vec::with_capacity(order.len() - omitted);
    for (k, &i) in order.iter().enumerate() {
        let op = &ops[i as usize];
        state = model.step(state, &op.input, op.output.as_ref()).unwrap_or(state);
        if k >= omitted {
            let mut v = op_json(model, op);
            v["state_after"] = Value::String(clip(model.describe_state(state), DETAIL_CHARS));
            out.push(v);
        }
    }
    (out, omitted)
}
