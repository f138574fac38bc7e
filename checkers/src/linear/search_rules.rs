//! Two of the search's rules, apart from the walk itself (see [`super`]'s module docs): twins
//! (interchangeable operations of unknown outcome, placed only in call order) and growth
//! (a move whose state cannot grow into what the next read saw is not made).

use super::{Search, HEAD, NIL};
use crate::linear::model::Model;
use crate::linear::operation::Operation;

impl<M: Model> Search<'_, M> {
    /// Growth pruning: after the move by the call at `k` to `next`, walks the list to the first
    /// return of a read. When every call before it is a read, grows the state, or is blind,
    /// only those can come before that read, so the read must be reachable by growth
    /// ([`Model::may_reach`]) from `next` or from the state a blind one leaves; otherwise
    /// nothing is claimed. Sound for every order, so it keeps the verdict; it saves trying every
    /// order of concurrent appends whose wrong order only the next read can tell.
    pub(super) fn next_read_reachable(&mut self, model: &mut M, next: M::State, k: u32) -> bool {
        let skip = self.list.nodes[k as usize].mate;
        let mut n = self.list.nodes[HEAD as usize].next;
        let mut blind = std::mem::take(&mut self.blind_seen);
        blind.clear();
        let found = loop {
            let node = self.list.nodes[n as usize];
            let id = node.op as usize;
            if n != k && n != skip {
                if node.mate != NIL {
                    if self.blind[id] {
                        blind.push(id);
                    } else if !(self.read_only[id] || self.grows[id]) {
                        break true;
                    }
                } else if node.op == NIL {
                    break true;
                } else if self.read_only[id] {
                    break self.reachable(model, next, &blind, id);
                }
            }
            n = node.next;
        };
        self.blind_seen = blind;
        found
    }

    /// Whether read `id` may succeed after growth from `next` or from a blind one's state.
    fn reachable(&self, model: &mut M, next: M::State, blind: &[usize], id: usize) -> bool {
        let read = &self.ops[id];
        if model.may_reach(next, &read.input, read.output.as_ref()) {
            return true;
        }
        blind.iter().any(|&b| {
            let op = &self.ops[b];
            let after = model.step(next, &op.input, op.output.as_ref());
            after.is_none_or(|s| model.may_reach(s, &read.input, read.output.as_ref()))
        })
    }
}

/// For each operation of unknown outcome, the last one called before it with the same input.
/// Swapping two such twins in a linearization keeps it legal (same effect, and the earlier-called
/// one may go wherever the later one went), so the search only uses them in call order.
pub(super) fn twins<I: PartialEq, O>(ops: &[Operation<I, O>]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..ops.len()).filter(|&i| !ops[i].is_required()).collect();
    order.sort_by_key(|&i| ops[i].call);
    let mut twin = vec![NIL; ops.len()];
    for (n, &i) in order.iter().enumerate() {
        if let Some(&j) = order[..n].iter().rev().find(|&&j| ops[j].input == ops[i].input) {
            twin[i] = j as u32;
        }
    }
    twin
}
