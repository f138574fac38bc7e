//! The `linearizable` checker fed record by record: each client operation of the model becomes
//! an [`Operation`] when it completes (its invocation is the only record kept until then), so
//! what stays is the operations, small and index-based, never the history.
//!
//! Neighbours: [`super::checker::Linearizable`] makes one per model; [`super::operation`] is
//! the same pairing over a whole history ([`super::from_history`]), and the two must agree
//! operation for operation; [`super::check`] decides once the stream ends.
//!
//! Design: an operation's context (`via n2 under token 7`) is made as it completes, from a
//! table of the few (node, leader, token) triples a run has, each text made once and shared,
//! since no history is left to look it up in when a witness needs it.

use super::cache::FxBuild;
use super::check::{check_owned, Options, NAME};
use super::model::{ConvertError, FromHistory};
use super::operation::{context, Operation, OpsOf, NEVER};
use crate::registry::Stream;
use crate::safety::Names;
use crate::{CheckResult, Fed, Record, Type, Who};
use std::collections::HashMap;
use std::sync::Arc;

/// The operations of `M` read so far, and the invocations still open.
pub(crate) struct OpsStream<M: FromHistory> {
    model: M,
    options: Options,
    ops: OpsOf<M>,
    open: HashMap<i64, Record, FxBuild>,
    error: Option<ConvertError>,
    contexts: Contexts,
    /// The model's `--model` name, for the sentence when the records do not fit it.
    model_name: &'static str,
}

impl<M: FromHistory> OpsStream<M> {
    pub(crate) fn new(model: M, options: Options, model_name: &'static str) -> OpsStream<M> {
        let (ops, open, error) = (Vec::new(), HashMap::default(), None);
        let contexts = Contexts::default();
        OpsStream { model, options, ops, open, error, contexts, model_name }
    }

    fn take(&mut self, p: i64, r: &Fed<'_>) -> Result<(), ConvertError> {
        if r.kind == Type::Invoke {
            // The invocation outlives its block: it is kept whole until it completes.
            if let Some(prev) = self.open.insert(p, r.to_record()) {
                let what = format!(
                    "process {p} invokes {} while its {} of index {} has not completed",
                    r.f, prev.f, prev.index
                );
                return Err(ConvertError::new(r.index, what));
            }
            return Ok(());
        }
        let inv = self.open.remove(&p).ok_or_else(|| {
            ConvertError::new(r.index, format!("process {p} completes a {} it never invoked", r.f))
        })?;
        if inv.f != r.f {
            let what = format!(
                "process {p} completes {} but invoked {} at index {}",
                r.f, inv.f, inv.index
            );
            return Err(ConvertError::new(r.index, what));
        }
        self.push(p, &Fed::of(&inv), Some(r))
    }

    fn push(
        &mut self,
        client_id: i64,
        inv: &Fed<'_>,
        done: Option<&Fed<'_>>,
    ) -> Result<(), ConvertError> {
        let Some((input, output)) = self.model.convert(inv, done)? else { return Ok(()) };
        let known = output.is_some();
        let return_index = done.map(|d| d.index);
        self.ops.push(Operation {
            client_id,
            input,
            call: inv.index,
            output,
            return_time: if known { return_index.unwrap_or(NEVER) } else { NEVER },
            call_index: inv.index,
            return_index,
            context: self.contexts.of(inv, done),
        });
        Ok(())
    }

    /// The operations still open at the end, in file order, as operations of unknown outcome.
    fn close(&mut self) -> Result<(), ConvertError> {
        let mut pending: Vec<(i64, Record)> = std::mem::take(&mut self.open).into_iter().collect();
        pending.sort_by_key(|(_, r)| r.index);
        for (p, inv) in pending {
            self.push(p, &Fed::of(&inv), None)?;
        }
        // Calls are distinct, so an unstable sort gives the same order without a scratch half
        // as large as the operations.
        self.ops.sort_unstable_by_key(|o| o.call);
        // The vector grew by doubling: up to half of it is room no operation will use.
        self.ops.shrink_to_fit();
        Ok(())
    }
}

impl<M: FromHistory> Stream for OpsStream<M> {
    fn feed(&mut self, r: &Fed<'_>) {
        let Who::Client(p) = r.process else { return };
        if self.error.is_some() || !self.model.accepts(r.f) {
            return;
        }
        if let Err(e) = self.take(p, r) {
            self.error = Some(e);
        }
    }

    fn finish(mut self: Box<Self>) -> CheckResult {
        if let Some(e) = self.error.take().map_or_else(|| self.close().err(), Some) {
            let why = format!("cannot read the operations of the {} model: {e}", self.model_name);
            return CheckResult::unknown(NAME, why);
        }
        let OpsStream { mut model, ops, options, .. } = *self;
        check_owned(&mut model, ops, &options, |_| {})
    }
}

/// Node asked, leader that wrote when another, token.
type ContextKey = (u32, Option<u32>, Option<i64>);

/// The contexts made so far, by (node asked, leader that wrote when another, token).
#[derive(Default)]
struct Contexts {
    names: Names,
    made: HashMap<ContextKey, Arc<str>, FxBuild>,
}

impl Contexts {
    fn of(&mut self, inv: &Fed<'_>, done: Option<&Fed<'_>>) -> Option<Arc<str>> {
        let node = inv.node?;
        let leader = done.and_then(Fed::leader).filter(|l| *l != node);
        let token = done.and_then(Fed::token);
        let key = (self.names.id(node), leader.map(|l| self.names.id(l)), token);
        let made = self.made.entry(key).or_insert_with(|| context(node, leader, token));
        Some(made.clone())
    }
}
