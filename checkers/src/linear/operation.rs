//! Operations: an invocation paired with its completion, as Porcupine's `Operation`, and how
//! they are read out of a splitbrain [`History`].
//!
//! Neighbours: [`super::model::FromHistory`] reads each pair's input and output;
//! [`super::search`] orders the operations' calls and returns; [`super::witness`] names them by
//! their history indices.
//!
//! Design: `call` and `return_time` are positions in real-time order. From a history they are
//! the records' indices (the file order is the order the controller saw things happen, finer
//! than the timestamps); at equal positions a call sorts before a return, so operations that
//! touch are concurrent. An operation whose outcome is unknown has `return_time = u64::MAX`
//! (+∞) and `output = None`: it may take effect at any time after its call, or never.

use super::model::{ConvertError, FromHistory, Model};
use crate::{Fed, History, Process, Record, Type};
use std::collections::HashMap;
use std::sync::Arc;

/// The return time of an operation whose outcome is unknown: +∞.
pub const NEVER: u64 = u64::MAX;

/// One operation: what a client asked, when, and what it got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The client process that ran it.
    pub client_id: i64,
    /// What it asked for.
    pub input: I,
    /// When it was called (a position in real-time order).
    pub call: u64,
    /// What it returned; `None` when the outcome is unknown.
    pub output: Option<O>,
    /// When it returned; [`NEVER`] when the outcome is unknown.
    pub return_time: u64,
    /// The history index of its invocation.
    pub call_index: u64,
    /// The history index of its completion, when it has one.
    pub return_index: Option<u64>,
    /// Where it ran, for the witness a person reads: `via n4`, `via n5 under token 26`,
    /// `via n2, written by n5 under token 26`; `None` when the history names no node.
    pub context: Option<Arc<str>>,
}

/// The operations of a model.
pub type OpsOf<M> = Vec<Operation<<M as Model>::Input, <M as Model>::Output>>;

impl<I, O> Operation<I, O> {
    /// True when the operation must be linearized (its outcome is known).
    pub fn is_required(&self) -> bool {
        self.return_time != NEVER
    }
}

/// The operations of `model` in a history: client records whose `f` the model accepts, paired
/// per process; `fail` ones and those the model drops are left out.
pub fn from_history<M: FromHistory>(
    model: &mut M,
    history: &History,
) -> Result<OpsOf<M>, ConvertError> {
    let mut open: HashMap<i64, &Record> = HashMap::new();
    let mut ops = Vec::new();
    for r in &history.records {
        let Process::Client(p) = r.process else { continue };
        if !model.accepts(&r.f) {
            continue;
        }
        if r.kind == Type::Invoke {
            if let Some(prev) = open.insert(p, r) {
                let what = format!(
                    "process {p} invokes {} while its {} of index {} has not completed",
                    r.f, prev.f, prev.index
                );
                return Err(ConvertError::new(r.index, what));
            }
            continue;
        }
        let inv = open.remove(&p).ok_or_else(|| {
            ConvertError::new(r.index, format!("process {p} completes a {} it never invoked", r.f))
        })?;
        if inv.f != r.f {
            let what = format!(
                "process {p} completes {} but invoked {} at index {}",
                r.f, inv.f, inv.index
            );
            return Err(ConvertError::new(r.index, what));
        }
        push(model, &mut ops, p, inv, Some(r))?;
    }
    let mut pending: Vec<(i64, &Record)> = open.into_iter().collect();
    pending.sort_by_key(|(_, r)| r.index);
    for (p, inv) in pending {
        push(model, &mut ops, p, inv, None)?;
    }
    ops.sort_by_key(|o| o.call);
    Ok(ops)
}

fn push<M: FromHistory>(
    model: &mut M,
    ops: &mut Vec<Operation<M::Input, M::Output>>,
    client_id: i64,
    inv: &Record,
    done: Option<&Record>,
) -> Result<(), ConvertError> {
    let done_fed = done.map(Fed::of);
    let Some((input, output)) = model.convert(&Fed::of(inv), done_fed.as_ref())? else {
        return Ok(());
    };
    let known = output.is_some();
    let return_index = done.map(|d| d.index);
    ops.push(Operation {
        client_id,
        input,
        call: inv.index,
        output,
        return_time: if known { return_index.unwrap_or(NEVER) } else { NEVER },
        call_index: inv.index,
        return_index,
        context: None,
    });
    Ok(())
}

/// Fills in each operation's [`Operation::context`] from its records in `history` (where it
/// ran, under which token). Only a witness reads it, so the checker does this for the one
/// partition that failed, not for every operation of a long history.
pub fn add_contexts<I, O>(ops: &mut [Operation<I, O>], history: &History) {
    let record = |index: u64| {
        let at = history.records.binary_search_by_key(&index, |r| r.index).ok()?;
        history.records.get(at)
    };
    let mut contexts = Contexts::default();
    for op in ops.iter_mut() {
        let Some(inv) = record(op.call_index) else { continue };
        op.context = contexts.of(inv, op.return_index.and_then(record));
    }
}

/// The contexts made so far: a run has few (nodes × leaders × tokens), so each is made once
/// and shared.
#[derive(Default)]
struct Contexts<'h>(HashMap<Where<'h>, Arc<str>>);

/// The node asked, the leader that wrote when another, and the token.
type Where<'h> = (&'h str, Option<&'h str>, Option<i64>);

impl<'h> Contexts<'h> {
    fn of(&mut self, inv: &'h Record, done: Option<&'h Record>) -> Option<Arc<str>> {
        let node = inv.node.as_deref()?;
        let leader = done.and_then(Record::leader).filter(|l| *l != node);
        let token = done.and_then(Record::token);
        let made =
            self.0.entry((node, leader, token)).or_insert_with(|| context(node, leader, token));
        Some(made.clone())
    }
}

/// `via n2`, plus who wrote under which token when the completion says so.
pub(crate) fn context(node: &str, leader: Option<&str>, token: Option<i64>) -> Arc<str> {
    let mut s = format!("via {node}");
    if let Some(leader) = leader {
        s += &format!(", written by {leader}");
    }
    if let Some(token) = token {
        s += &format!(" under token {token}");
    }
    s.into()
}
