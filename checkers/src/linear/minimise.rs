//! Narrowing an unlinearizable history down to what a person must read: the shortest prefix
//! that cannot be linearized, and the few operations in it that cannot all have happened as
//! recorded.
//!
//! Neighbours: [`super::witness`] calls [`narrow`]; it reruns [`super::search`] on
//! sub-histories.
//!
//! Method. A prefix of the history is its first k call/return events, with the operations
//! still open at the cut treated as of unknown outcome; "prefix k cannot be linearized" only
//! grows with k, so a binary search finds the shortest, and its last event is the return of the
//! culprit. Then the other operations are freed (made of unknown outcome: they may have taken
//! effect at any time after their call, or never): first all but a window of those whose calls
//! are nearest the culprit's, the window doubling until the prefix still fails; then, within
//! the window, in halving chunks as delta debugging does, each kept freed when the prefix still
//! fails. Freeing only adds freedom, so the operations left are ones that cannot all have
//! happened as recorded, whatever the others did after their call. The window keeps each try one search of the
//! prefix, so a long history's witness takes a few dozen searches, not one per operation.

use super::check::settle;
use super::model::Model;
use super::operation::{Operation, OpsOf as Ops, NEVER};
use super::search::{search, Found, Search};
use std::time::Instant;

/// The steps one try may take to show the prefix still fails, plus as many per operation;
/// past them the operations tried are kept (each freed one multiplies what may have happened,
/// which can make a search long).
const ATTEMPT_STEPS: u64 = 20_000;
const ATTEMPT_STEPS_PER_OP: u64 = 200;

/// What [`narrow`] found.
pub(crate) struct Narrowed<M: Model> {
    /// The shortest failing prefix's operations (those open at its end relaxed).
    pub(crate) prefix: Ops<M>,
    /// The position in `prefix` of the operation that cannot be placed.
    pub(crate) culprit: usize,
    /// Positions in `prefix` of the operations that must have happened for it to fail,
    /// the culprit among them.
    pub(crate) required: Vec<usize>,
    /// False when time ran out before the prefix was shown to be the shortest.
    pub(crate) shortest: bool,
    /// False when time or steps ran out before every operation was tried.
    pub(crate) minimal: bool,
}

/// Narrows `ops` (known not linearizable) down, working until `deadline` at most.
/// `frontier` is the failed search's, when known.
pub(crate) fn narrow<M: Model>(
    model: &mut M,
    ops: &Ops<M>,
    frontier: Option<u32>,
    deadline: Instant,
) -> Narrowed<M> {
    let events = event_order(ops);
    let frontier = frontier.or_else(|| frontier_of(model, ops, deadline));
    let end = frontier.and_then(|op| events.iter().position(|e| e.1 && e.2 == op as usize));
    let (end, shortest) =
        shortest_failing_prefix(model, ops, &events, end.map(|at| at + 1), deadline);
    let (prefix, culprit) = prefix(ops, &events, end);
    let (required, minimal) = minimise(model, &prefix, culprit, deadline);
    Narrowed { prefix, culprit, required, shortest, minimal }
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
    ops: &Ops<M>,
    events: &[(u64, bool, usize)],
    likely: Option<usize>,
    deadline: Instant,
) -> (usize, bool) {
    let (mut lo, mut hi) = (0, events.len());
    // The full search's frontier names the likely end: probe it and the event before it first,
    // so a long history usually needs two searches of its prefixes, not one per halving.
    if let Some(end) = likely {
        for k in [end, end - 1] {
            if k <= lo || k >= hi {
                continue;
            }
            match search(model, &settled(model, &prefix(ops, events, k).0), Some(deadline), None) {
                Found::Linearizable => lo = k,
                Found::NotLinearizable => hi = k,
                Found::OutOfTime => return (hi, false),
            }
        }
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        match search(model, &settled(model, &prefix(ops, events, mid).0), Some(deadline), None) {
            Found::Linearizable => lo = mid,
            Found::NotLinearizable => hi = mid,
            Found::OutOfTime => return (hi, false),
        }
    }
    (hi, true)
}

/// The full search's frontier (see [`Search::frontier`]): every prefix ending before its
/// return is linearizable (a configuration linearized all that returned before it), so that
/// return is the likely end of the shortest prefix that is not.
fn frontier_of<M: Model>(model: &mut M, ops: &Ops<M>, deadline: Instant) -> Option<u32> {
    let mut s = Search::new(model, ops);
    while s.run(model, 1 << 14, None).is_none() {
        if Instant::now() >= deadline {
            return None;
        }
    }
    s.frontier
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

/// The operations with the model's fates applied (those open at a cut are of unknown outcome,
/// and most of a register's drop out): the same verdict, found faster.
pub(crate) fn settled<M: Model>(model: &M, ops: &Ops<M>) -> Ops<M> {
    let mut out = ops.clone();
    settle(model, &mut out);
    out
}

fn relax<I, O>(op: &mut Operation<I, O>) {
    op.output = None;
    op.return_time = NEVER;
}

/// The operations (positions) that must have happened for the prefix to fail: the others are
/// freed (see [`still_fails`]): all but the smallest window nearest the culprit that still
/// fails, then within it in chunks that halve down to one operation (as delta debugging
/// does), each kept freed when the prefix still fails. Also whether every
/// try finished before the deadline.
fn minimise<M: Model>(
    model: &mut M,
    prefix: &Ops<M>,
    culprit: usize,
    deadline: Instant,
) -> (Vec<usize>, bool) {
    let (mut droppable, mut minimal) = window(model, prefix, culprit, deadline);
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

/// Whether the prefix still cannot be linearized when the marked operations are freed: they
/// may have taken effect at any time after their call, or never (`None`: the try ran out of
/// steps). Freed reads are simply left out (a read that need not have happened constrains
/// nothing), and the model's fates apply to the others, so that a register's freed writes that
/// no remaining read saw drop out too: each try stays about as small as what it keeps.
fn still_fails<M: Model>(model: &mut M, prefix: &Ops<M>, droppable: &[bool]) -> Option<Found> {
    let mut ops: Ops<M> = Vec::with_capacity(prefix.len());
    for (op, &free) in prefix.iter().zip(droppable) {
        if free && model.is_read_only(&op.input, op.output.as_ref()) {
            continue;
        }
        let mut op = op.clone();
        if free {
            relax(&mut op);
        }
        ops.push(op);
    }
    settle(model, &mut ops);
    let steps = ATTEMPT_STEPS + ATTEMPT_STEPS_PER_OP * ops.len() as u64;
    Search::new(model, &ops).run(model, steps, None)
}

/// All operations but the smallest window of those called nearest the culprit marked
/// freed, such that the prefix still fails (windows of 4, 8, 16, … operations); and
/// whether every try finished.
fn window<M: Model>(
    model: &mut M,
    prefix: &Ops<M>,
    culprit: usize,
    deadline: Instant,
) -> (Vec<bool>, bool) {
    let at = prefix[culprit].call;
    let mut near: Vec<usize> =
        (0..prefix.len()).filter(|&i| i != culprit && prefix[i].is_required()).collect();
    near.sort_by_key(|&i| (prefix[i].call.abs_diff(at), i));
    let (mut width, mut minimal) = (4, true);
    while width < near.len() && Instant::now() < deadline {
        let mut droppable = vec![false; prefix.len()];
        near[width..].iter().for_each(|&i| droppable[i] = true);
        match still_fails(model, prefix, &droppable) {
            Some(Found::NotLinearizable) => return (droppable, minimal),
            found => minimal &= found.is_some(),
        }
        width *= 2;
    }
    (vec![false; prefix.len()], minimal && width >= near.len())
}

fn required<I, O>(ops: &[Operation<I, O>], droppable: &[bool]) -> Vec<usize> {
    (0..ops.len()).filter(|&i| ops[i].is_required() && !droppable[i]).collect()
}
