//! The events of a search: every call and return in real-time order, as a doubly linked list
//! whose calls (with their returns) are lifted out when an operation is linearized and put
//! back on undo, as in Porcupine.
//!
//! Neighbours: [`super::search`] walks and edits it.
//!
//! Design: nodes are `u32`s in one array (node 0 the head, the last the tail, so unlinking
//! needs no checks); at equal times a call sorts before a return, so operations that touch are
//! concurrent; returns at +∞ (unknown outcomes) sort after every known one.

use super::operation::Operation;

/// No node.
pub(crate) const NIL: u32 = u32::MAX;
/// The head sentinel.
pub(crate) const HEAD: u32 = 0;

/// One call or return event.
#[derive(Clone, Copy)]
pub(crate) struct Node {
    pub(crate) next: u32,
    pub(crate) prev: u32,
    pub(crate) op: u32,
    /// The return node of a call; NIL for a return (and the sentinels).
    pub(crate) mate: u32,
}

/// The events in real-time order, as a doubly linked list with sentinels.
pub(crate) struct List {
    pub(crate) nodes: Vec<Node>,
}

impl List {
    pub(crate) fn new<I, O>(ops: &[Operation<I, O>]) -> List {
        let mut events: Vec<(u64, bool, u32)> = Vec::with_capacity(ops.len() * 2);
        for (i, o) in ops.iter().enumerate() {
            events.push((o.call, false, i as u32));
            events.push((o.return_time, true, i as u32));
        }
        events.sort_unstable();
        let len = events.len() as u32;
        let node = |k: u32, op: u32| Node { next: k + 1, prev: k.wrapping_sub(1), op, mate: NIL };
        let mut nodes: Vec<Node> = Vec::with_capacity(events.len() + 2);
        nodes.push(node(0, NIL));
        let mut ret_node = vec![NIL; ops.len()];
        for (k, &(_, is_return, op)) in events.iter().enumerate() {
            nodes.push(node(k as u32 + 1, op));
            if is_return {
                ret_node[op as usize] = k as u32 + 1;
            }
        }
        nodes.push(Node { next: NIL, prev: len, op: NIL, mate: NIL });
        for (k, node) in nodes.iter_mut().enumerate().skip(1).take(len as usize) {
            if ret_node[node.op as usize] != k as u32 {
                node.mate = ret_node[node.op as usize];
            }
        }
        List { nodes }
    }

    #[inline]
    fn unlink(&mut self, k: u32) {
        let Node { next, prev, .. } = self.nodes[k as usize];
        self.nodes[prev as usize].next = next;
        self.nodes[next as usize].prev = prev;
    }

    #[inline]
    fn relink(&mut self, k: u32) {
        let Node { next, prev, .. } = self.nodes[k as usize];
        self.nodes[prev as usize].next = k;
        self.nodes[next as usize].prev = k;
    }

    #[inline]
    pub(crate) fn lift(&mut self, call: u32) {
        self.unlink(call);
        self.unlink(self.nodes[call as usize].mate);
    }

    #[inline]
    pub(crate) fn unlift(&mut self, call: u32) {
        self.relink(self.nodes[call as usize].mate);
        self.relink(call);
    }
}
