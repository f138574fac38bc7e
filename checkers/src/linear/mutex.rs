//! The mutex model: `acquire` and `release` of one lock, as Knossos's mutex.
//!
//! Neighbours: implements [`super::model::Model`] and [`super::model::FromHistory`]; used by
//! [`super::check_history`] for `--model mutex`.
//!
//! An `acquire` succeeds only when the lock is free and takes it; a `release` succeeds only
//! when it is held and frees it. Like Knossos, the model does not track who holds the lock: two
//! clients each acquiring with no release between is the violation it catches. A `fail`
//! acquire or release did not happen; an unknown one may have happened at any time after its
//! call, or never. Records: `acquire`/`release`, any value.

use super::model::{ConvertError, Converted, FromHistory, Model};
use crate::{Fed, Type};

/// A mutex operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutexInput {
    /// Take the lock.
    Acquire,
    /// Give it back.
    Release,
}

/// The mutex model (state: `true` when held).
#[derive(Debug, Clone, Default)]
pub struct Mutex;

impl Model for Mutex {
    type State = bool;
    type Input = MutexInput;
    type Output = ();

    fn name(&self) -> &'static str {
        "mutex"
    }

    fn init(&mut self) -> bool {
        false
    }

    fn step(&mut self, held: bool, input: &MutexInput, _out: Option<&()>) -> Option<bool> {
        match input {
            MutexInput::Acquire => (!held).then_some(true),
            MutexInput::Release => held.then_some(false),
        }
    }

    fn describe_op(&self, input: &MutexInput, out: Option<&()>) -> String {
        let unknown = if out.is_none() { " (outcome unknown)" } else { "" };
        match input {
            MutexInput::Acquire => format!("acquire{unknown}"),
            MutexInput::Release => format!("release{unknown}"),
        }
    }

    fn describe_state(&self, held: bool) -> String {
        if held { "held" } else { "free" }.to_string()
    }

    fn object(&self, _part: u32) -> String {
        "the mutex".to_string()
    }
}

impl FromHistory for Mutex {
    fn accepts(&self, f: &str) -> bool {
        matches!(f, "acquire" | "release")
    }

    fn convert(
        &mut self,
        inv: &Fed<'_>,
        done: Option<&Fed<'_>>,
    ) -> Result<Converted<Self>, ConvertError> {
        let input = if inv.f == "acquire" { MutexInput::Acquire } else { MutexInput::Release };
        Ok(match done.map(|d| d.kind) {
            Some(Type::Ok) => Some((input, Some(()))),
            Some(Type::Fail) => None,
            _ => Some((input, None)),
        })
    }
}
