//! The model trait: what a sequential object does, step by step, and how its operations are
//! read out of a splitbrain [`History`](crate::History).
//!
//! Neighbours: [`super::register`], [`super::kv`] and [`super::mutex`] implement it;
//! [`super::search`] drives `step`; [`super::operation`] uses [`FromHistory`] to build the
//! operations; [`super::witness`] uses the `describe_*` methods for the sentence a person reads.
//!
//! Design: states are small `Copy` values (values and strings are interned to `u32` ids by the
//! model), so the search can keep them in its undo stack and cache without allocating. `step`
//! takes `&mut self` so a model may intern the values it creates (the key-value model builds the
//! strings that appends make). An output of `None` means the outcome is unknown (an `info` or
//! never-completed operation): the model must then accept every effect the operation could have
//! had, and return the state it leaves if it took effect.

use super::operation::Operation;
use crate::Fed;
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification: the states of an object and the effect of each operation.
pub trait Model {
    /// The object's state; small and `Copy` (intern anything bigger).
    type State: Copy + Eq + Hash + Debug;
    /// What an operation asks for.
    type Input: Clone + Debug + PartialEq;
    /// What an operation returned.
    type Output: Clone + Debug;

    /// The model's name, as given to `--model`.
    fn name(&self) -> &'static str;

    /// The state before any operation.
    fn init(&mut self) -> Self::State;

    /// The state after `input` is applied in `state` and returns `output` (`None`: the outcome is
    /// unknown), or `None` when that cannot happen in `state`.
    fn step(
        &mut self,
        state: Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// True when this operation, with this output, never changes any state (a read, a cas
    /// that found another value): the search may then place it as soon as the state allows.
    fn is_read_only(&self, _input: &Self::Input, _output: Option<&Self::Output>) -> bool {
        false
    }

    /// True when this input, whatever its output, is allowed in every state and leaves a state
    /// that does not depend on the state before it (a write, a put): an operation of unknown
    /// outcome placed just before it then changed nothing anyone saw, so the search need not
    /// try that order.
    fn is_blind(&self, _input: &Self::Input) -> bool {
        false
    }

    /// True when this input only extends the state, whatever it is (an append): from a state
    /// `s`, any sequence of such operations and reads leaves a state that
    /// [`Model::may_reach`] can test against a read to come.
    fn grows(&self, _input: &Self::Input) -> bool {
        false
    }

    /// Whether a read with this output may still succeed after operations that only grow the
    /// state have been applied to `state` (false only when it certainly cannot: the search
    /// then abandons the state at once instead of trying every order of the growth first).
    fn may_reach(
        &mut self,
        _state: Self::State,
        _input: &Self::Input,
        _output: Option<&Self::Output>,
    ) -> bool {
        true
    }

    /// What the other operations of one partition say about each operation of unknown
    /// outcome in `ops` (one entry per operation; known ones are [`Fate::Open`]). Each fate
    /// must keep the verdict exact: a history has a linearization exactly when it has one with
    /// the fates applied. Nothing is said unless overridden.
    fn fates(&self, ops: &[Operation<Self::Input, Self::Output>]) -> Vec<Fate> {
        vec![Fate::Open; ops.len()]
    }

    /// The independent part of the object this input touches (P-compositionality: the history
    /// is linearizable when each part's sub-history is). One part unless overridden.
    fn partition(&self, _input: &Self::Input) -> u32 {
        0
    }

    /// A name for a part, when there are several (a key).
    fn describe_partition(&self, _part: u32) -> Option<String> {
        None
    }

    /// An operation in words: `read of 3`, `write 5`, `cas 1→2 (failed)`.
    fn describe_op(&self, input: &Self::Input, output: Option<&Self::Output>) -> String;

    /// A state in words: `3`, `nil`, `"x 1 y"`, `held`.
    fn describe_state(&self, state: Self::State) -> String;

    /// What the object is called in a sentence: `the register`, `key "k"`, `the mutex`.
    fn object(&self, _part: u32) -> String {
        "the object".to_string()
    }
}

/// What is known of an operation of unknown outcome from the operations around it, so the
/// search need not try every moment it might have taken effect.
///
/// Design: a register's writes carry unique values in most tests (splitbrain's clients write
/// each value once), so a read names the one write it saw. A timed-out write that no read saw
/// changed nothing anyone observed and may be left out; one that a read saw took effect before
/// that read returned, so it becomes an operation with a known return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Nothing more is known: it took effect at some time after its call, or never.
    Open,
    /// No operation could have observed its effect: leaving it out loses no linearization.
    Unseen,
    /// It took effect no later than this position in real-time order (the return of an
    /// operation that observed it).
    By(u64),
}

/// The result of reading one operation out of its records: its input and output (`None` when
/// the outcome is unknown), or `None` when the operation constrains nothing and is dropped.
pub type Converted<M> = Option<(<M as Model>::Input, Option<<M as Model>::Output>)>;

/// A model whose operations can be read out of a splitbrain history.
pub trait FromHistory: Model {
    /// True when records with this `f` are this model's operations (others are ignored).
    fn accepts(&self, f: &str) -> bool;

    /// Reads one operation from its invocation and completion (`None`: it never completed).
    /// A `fail` completion means the operation did not happen: drop it unless the model
    /// documents otherwise.
    fn convert(
        &mut self,
        invoke: &Fed<'_>,
        completion: Option<&Fed<'_>>,
    ) -> Result<Converted<Self>, ConvertError>;
}

/// A record that cannot be read as an operation of the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("history index {index}: {what}")]
pub struct ConvertError {
    /// The record's history index.
    pub index: u64,
    /// What is wrong with it, and what to do.
    pub what: String,
}

impl ConvertError {
    /// An error about the record at `index`.
    pub fn new(index: u64, what: impl Into<String>) -> ConvertError {
        ConvertError { index, what: what.into() }
    }
}
