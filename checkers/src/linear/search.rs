//! The search: Wing & Gong's depth-first search for a linearization, with Lowe's cache of
//! configurations, done the way Porcupine does it.
//!
//! Neighbours: [`super::cache`] remembers configurations; `list` holds the events; [`super::check`] runs one search per
//! partition; [`super::witness`] runs it again on prefixes, and asks for the furthest partial
//! linearization.
//!
//! Design: the calls and returns of the operations form a doubly linked list in real-time
//! order. The search walks it: at a call it tries to linearize that operation next (step the
//! model; if the (set, state) pair is new, lift the call and its return out of the list, push
//! onto the undo stack, start again from the head); at a return it has met an operation that
//! had to be linearized before this point and was not, so it undoes the last choice and tries
//! the next call after it. It succeeds when every operation with a known outcome is
//! linearized: operations of unknown outcome return at +∞, after every known return, so the
//! walk never meets their returns and they may be left out. The list is in the `list` module;
//! nothing is allocated in the loop but cache growth.
//!
//! Beyond Porcupine, four rules cut the orders tried without losing any verdict. Each keeps
//! at least one linearization when there is one (the fourth drops only states that have none):
//! - Forced reads: a read-only operation ([`Model::is_read_only`]) that can go next and that
//!   the state allows is placed at once, with no alternatives: moving it to the front of any
//!   linearization from here keeps that linearization legal.
//! - Twins: operations of unknown outcome with equal inputs are placed only in call order
//!   (exchanging two of them keeps a linearization legal).
//! - Erased unknowns: a blind operation ([`Model::is_blind`]) never goes right after an
//!   operation of unknown outcome placed by choice: that one's effect is erased unseen, and
//!   leaving it out is as good. Whether the last move was such a choice is part of the cached
//!   configuration, since it changes which moves may follow.
//! - Growth: when only reads, blind operations and operations that grow the state
//!   ([`Model::grows`], a key-value append) can come before the next read to return, a move
//!   whose state cannot grow into what that read saw ([`Model::may_reach`]) is not made. A wrong
//!   order of concurrent appends is then refused at once instead of after every order of the
//!   appends that follow it (one key, 1,000 operations, 40% appends: 0.54 s → 16 ms median).
//!
//! So the search looks only for linearizations in a canonical form (no unknown operation right
//! before a blind one, twins in call order); one exists whenever any linearization does,
//! because dropping such unknowns and exchanging twins turns any into one. The property tests
//! check the whole against brute force.

use super::cache::{fx, mix, zobrist, BitSet, Cache};
use super::list::{List, HEAD, NIL};
use super::model::Model;
use super::operation::Operation;
use std::time::Instant;

#[path = "search_rules.rs"]
mod rules;
use rules::twins;

/// What a search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A linearization exists.
    Linearizable,
    /// None exists.
    NotLinearizable,
    /// The deadline passed first.
    OutOfTime,
}

/// The longest partial linearization seen: operation numbers in order, and the final state.
#[derive(Debug, Clone)]
pub struct Furthest<S> {
    /// Positions in the searched slice, in linearization order.
    pub order: Vec<u32>,
    /// The state after them.
    pub state: Option<S>,
    /// How many of them had to be placed (the others' outcomes are unknown).
    pub placed: usize,
}

impl<S> Default for Furthest<S> {
    fn default() -> Furthest<S> {
        Furthest { order: Vec::new(), state: None, placed: 0 }
    }
}

/// One configuration on the undo stack: the call lifted, the state before it, and whether it
/// was a forced move (a read that leaves the state alone, taken without trying alternatives).
#[derive(Clone, Copy)]
struct Frame<S> {
    call: u32,
    before: S,
    forced: bool,
}

/// A search that can be run a slice at a time, so several partitions can share one thread
/// (the first to fail ends the check, as Porcupine's parallel partitions do).
pub struct Search<'a, M: Model> {
    ops: &'a [Operation<M::Input, M::Output>],
    /// Operations that must be linearized (known outcome, not droppable).
    need: Vec<bool>,
    read_only: Vec<bool>,
    blind: Vec<bool>,
    /// Operations that only extend the state ([`Model::grows`]); `any_grows` when there is one.
    grows: Vec<bool>,
    any_grows: bool,
    /// Scratch for the growth pruning: the blind calls before the next read's return.
    blind_seen: Vec<usize>,
    /// For an operation of unknown outcome, the earlier-called one with the same input, if
    /// any: twins are interchangeable, so they are linearized only in call order.
    twin: Vec<u32>,
    call_node: Vec<u32>,
    /// Each operation's bit in `set`: known outcomes first in call order, then unknown ones,
    /// so the set is a run of ones, a short mixed stretch and zeros (it stores compactly).
    bit: Vec<u32>,
    list: List,
    /// Configurations seen: (set, (state, whether the last move was a free choice of an
    /// operation of unknown outcome)); that flag changes which moves may come next.
    cache: Cache<(M::State, bool)>,
    set: BitSet,
    set_hash: u64,
    stack: Vec<Frame<M::State>>,
    state: M::State,
    at: u32,
    fresh: bool,
    required: usize,
    /// How many operations must be linearized in all.
    need_total: usize,
    /// The least depth of the stack since the furthest linearization was last copied: only
    /// the frames above it need copying at the next (amortised constant time per move).
    low: usize,
    done: Option<Found>,
    /// Loop iterations so far.
    pub steps: u64,
    /// The operation with the latest return the walk has stopped at: in some configuration
    /// every operation returning before it was linearized (a hint for the witness, which
    /// looks for the shortest prefix that cannot be).
    pub frontier: Option<u32>,
}

impl<'a, M: Model> Search<'a, M> {
    /// A search of `ops` from the model's initial state.
    pub fn new(model: &mut M, ops: &'a [Operation<M::Input, M::Output>]) -> Search<'a, M> {
        Search::with_droppable(model, ops, &[])
    }

    /// A search where the operations marked in `droppable` (by position; missing means false)
    /// may also not have happened: if one is not linearized by its return, it is dropped.
    pub fn with_droppable(
        model: &mut M,
        ops: &'a [Operation<M::Input, M::Output>],
        droppable: &[bool],
    ) -> Search<'a, M> {
        let need: Vec<bool> = ops
            .iter()
            .enumerate()
            .map(|(i, o)| o.is_required() && !droppable.get(i).copied().unwrap_or(false))
            .collect();
        let required = need.iter().filter(|&&n| n).count();
        let read_only = ops
            .iter()
            .zip(&need)
            .map(|(o, &n)| n && model.is_read_only(&o.input, o.output.as_ref()))
            .collect();
        let list = List::new(ops);
        let mut call_node = vec![NIL; ops.len()];
        for (k, node) in list.nodes.iter().enumerate().filter(|(_, n)| n.mate != NIL) {
            call_node[node.op as usize] = k as u32;
        }
        let at = list.nodes[HEAD as usize].next;
        let grows: Vec<bool> = ops.iter().map(|o| model.grows(&o.input)).collect();
        Search {
            any_grows: grows.contains(&true),
            blind_seen: Vec::new(),
            grows,
            twin: twins(ops),
            bit: bits(ops),
            blind: ops.iter().map(|o| model.is_blind(&o.input)).collect(),
            ops,
            need,
            read_only,
            call_node,
            list,
            cache: Cache::new(ops.len()),
            set: BitSet::new(ops.len()),
            set_hash: 0,
            stack: Vec::with_capacity(ops.len()),
            state: model.init(),
            at,
            fresh: true,
            required,
            need_total: required,
            low: 0,
            done: (required == 0).then_some(Found::Linearizable),
            steps: 0,
            frontier: None,
        }
    }

    /// Runs up to `steps` more iterations; the outcome once there is one. `furthest`, when
    /// given, must be the same record at every call of one search (it is extended, not
    /// rebuilt).
    pub fn run(
        &mut self,
        model: &mut M,
        steps: u64,
        mut furthest: Option<&mut Furthest<M::State>>,
    ) -> Option<Found> {
        let end = self.steps + steps;
        while self.done.is_none() && self.steps < end {
            self.steps += 1;
            if self.fresh {
                self.fresh = false;
                if self.forced_read(model) {
                    self.track(furthest.as_deref_mut());
                    continue;
                }
            }
            let node = self.list.nodes[self.at as usize];
            if node.mate == NIL {
                self.reach(node.op);
                if node.op == NIL || self.need[node.op as usize] || !self.drop(node.op as usize) {
                    self.backtrack();
                } else {
                    self.track(furthest.as_deref_mut());
                }
            } else if self.try_linearize(model, self.at, false) {
                self.track(furthest.as_deref_mut());
            } else {
                self.at = node.next;
            }
        }
        self.done
    }

    /// Notes that the walk stopped at the return of `op`.
    #[inline]
    fn reach(&mut self, op: u32) {
        let later = |f: u32| self.ops[op as usize].return_time > self.ops[f as usize].return_time;
        if op != NIL && self.frontier.is_none_or(later) {
            self.frontier = Some(op);
        }
    }

    /// At a new configuration, linearizes a read that the state allows, if one can go next:
    /// placing it now loses nothing (it changes no state and nothing must precede it), so its
    /// alternatives need not be tried. True when it moved (forward, or back when the read's
    /// configuration was explored already).
    fn forced_read(&mut self, model: &mut M) -> bool {
        let mut k = self.list.nodes[HEAD as usize].next;
        while self.list.nodes[k as usize].mate != NIL {
            let id = self.list.nodes[k as usize].op as usize;
            if self.read_only[id] {
                let op = &self.ops[id];
                if model.step(self.state, &op.input, op.output.as_ref()).is_some() {
                    if !self.try_linearize(model, k, true) {
                        self.backtrack();
                    }
                    return true;
                }
            }
            k = self.list.nodes[k as usize].next;
        }
        false
    }

    /// Linearizes the operation of call node `k` next, when the model allows it and the
    /// configuration it leads to is new.
    #[inline]
    fn try_linearize(&mut self, model: &mut M, k: u32, forced: bool) -> bool {
        let id = self.list.nodes[k as usize].op as usize;
        let twin = self.twin[id];
        if twin != NIL && !self.has(self.bit[twin as usize]) {
            return false;
        }
        if self.blind[id] && self.overwrites_unknown() {
            return false;
        }
        let op = &self.ops[id];
        let Some(next) = model.step(self.state, &op.input, op.output.as_ref()) else {
            return false;
        };
        // Only a move that changes the state can make the next read unreachable.
        let changes = self.grows[id] || self.blind[id];
        if self.any_grows && changes && !self.next_read_reachable(model, next, k) {
            return false;
        }
        let key = (next, !forced && !self.need[id]);
        let h = mix(self.set_hash ^ zobrist(id), fx(&key));
        if !self.cache.insert(h, key, &self.set, self.bit[id] as usize) {
            return false;
        }
        self.stack.push(Frame { call: k, before: self.state, forced });
        self.state = next;
        self.flip(self.bit[id]);
        self.set_hash ^= zobrist(id);
        self.list.lift(k);
        if self.need[id] {
            self.required -= 1;
            if self.required == 0 {
                self.done = Some(Found::Linearizable);
            }
        }
        self.at = self.list.nodes[HEAD as usize].next;
        self.fresh = true;
        true
    }

    /// At the return of a droppable operation not linearized: it did not happen. The only way
    /// on from here, so undoing it goes further back. False when that configuration was seen.
    fn drop(&mut self, id: usize) -> bool {
        let key = (self.state, false);
        let h = mix(self.set_hash ^ zobrist(id), fx(&key));
        if !self.cache.insert(h, key, &self.set, self.bit[id] as usize) {
            return false;
        }
        let call = self.call_node[id];
        self.stack.push(Frame { call, before: self.state, forced: true });
        self.flip(self.bit[id]);
        self.set_hash ^= zobrist(id);
        self.list.lift(call);
        self.at = self.list.nodes[HEAD as usize].next;
        self.fresh = true;
        true
    }

    #[inline]
    fn has(&self, bit: u32) -> bool {
        self.set.has(bit)
    }

    #[inline]
    fn flip(&mut self, bit: u32) {
        self.set.flip(bit);
    }

    /// True when the last move placed, by free choice, an operation that may also not have
    /// happened (unknown outcome, or droppable): a blind operation right after it erases its
    /// effect, an order no better than leaving it out.
    #[inline]
    fn overwrites_unknown(&self) -> bool {
        self.stack.last().is_some_and(|f| {
            let id = self.list.nodes[f.call as usize].op as usize;
            !f.forced && !self.need[id]
        })
    }

    /// Undoes moves up to and including the last free choice, and goes on after it.
    fn backtrack(&mut self) {
        while let Some(Frame { call, before, forced }) = self.stack.pop() {
            let id = self.list.nodes[call as usize].op as usize;
            self.state = before;
            self.flip(self.bit[id]);
            self.set_hash ^= zobrist(id);
            if self.need[id] {
                self.required += 1;
            }
            self.list.unlift(call);
            self.low = self.low.min(self.stack.len());
            if !forced {
                self.at = self.list.nodes[call as usize].next;
                self.fresh = false;
                return;
            }
        }
        self.done = Some(Found::NotLinearizable);
    }

    fn track(&mut self, furthest: Option<&mut Furthest<M::State>>) {
        let Some(f) = furthest else { return };
        let placed = self.need_total - self.required;
        if placed > f.placed || f.state.is_none() {
            f.placed = placed;
            f.order.truncate(self.low);
            let above = &self.stack[self.low.min(self.stack.len())..];
            f.order.extend(above.iter().map(|fr| self.list.nodes[fr.call as usize].op));
            f.state = Some(self.state);
            self.low = self.stack.len();
        }
    }
}

/// Each operation's bit: those of known outcome first, in call order, then the others.
fn bits<I, O>(ops: &[Operation<I, O>]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (!ops[i].is_required(), ops[i].call, i));
    let mut bit = vec![0; ops.len()];
    for (b, &i) in order.iter().enumerate() {
        bit[i] = b as u32;
    }
    bit
}

/// Searches for a linearization of `ops` under `model`, giving up at `deadline`; records the
/// furthest partial linearization in `furthest` when asked.
pub fn search<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Input, M::Output>],
    deadline: Option<Instant>,
    mut furthest: Option<&mut Furthest<M::State>>,
) -> Found {
    let mut s = Search::new(model, ops);
    loop {
        if let Some(found) = s.run(model, 1 << 14, furthest.as_deref_mut()) {
            return found;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Found::OutOfTime;
        }
    }
}
