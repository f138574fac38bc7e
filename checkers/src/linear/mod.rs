//! The `linearizable` checker: is there an order of the client operations, each placed between
//! its call and its return, that a sequential object (a model) would have produced?
//!
//! Wing & Gong's search with Lowe's cache and P-compositionality, as Porcupine does it, built
//! for speed (see [`search`] and [`cache`]); a time budget after which the verdict is
//! `unknown`, never `valid`; and, on failure, a witness a person can act on ([`witness`]).
//!
//! - [`model`]: the [`Model`] trait and how operations are read from a history
//!   ([`FromHistory`]); models: [`register`] (read/write and compare-and-set), [`kv`]
//!   (Porcupine's key-value map), [`mutex`].
//! - [`operation`]: [`Operation`] and pairing invocations with completions.
//! - [`check`]: partitions, verdict and result.
//!
//! Neighbours: [`crate::formats`] turns foreign histories (Jepsen logs and EDN, Porcupine's
//! key-value logs) into a [`History`]; the registry runs [`check_history`].

pub mod cache;
pub mod check;
pub mod checker;
pub mod kv;
mod list;
mod minimise;
pub mod model;
pub mod mutex;
pub mod operation;
pub mod register;
pub mod search;
pub mod strings;
pub mod synth;
pub mod values;
pub mod witness;

pub use check::{check_operations, partitions, verdict, Options, NAME};
pub use checker::{LinearConfig, Linearizable};
pub use kv::Kv;
pub use model::{ConvertError, Fate, FromHistory, Model};
pub use mutex::Mutex;
pub use operation::{from_history, Operation, OpsOf, NEVER};
pub use register::{FailedCas, Register};

use crate::{CheckResult, History};
use std::str::FromStr;

/// The models `--model` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// `register`: read/write.
    Register,
    /// `cas-register`: read/write/cas.
    CasRegister,
    /// `kv`: get/put/append on string keys.
    Kv,
    /// `mutex`: acquire/release.
    Mutex,
}

impl ModelKind {
    /// Every model, by its `--model` name.
    pub const ALL: [(&'static str, ModelKind); 4] = [
        ("register", ModelKind::Register),
        ("cas-register", ModelKind::CasRegister),
        ("kv", ModelKind::Kv),
        ("mutex", ModelKind::Mutex),
    ];
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ModelKind, String> {
        ModelKind::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| *m)
            .ok_or_else(|| format!("unknown model {s:?}: use register, cas-register, kv or mutex"))
    }
}

/// Checks the client operations of `history` under a model. `failed_cas` says what a `fail`
/// cas means for the cas-register (HISTORY.md: it did not happen; Jepsen's etcd logs: it found
/// another value).
pub fn check_history(
    history: &History,
    kind: ModelKind,
    failed_cas: FailedCas,
    options: &Options,
) -> Result<CheckResult, ConvertError> {
    Ok(match kind {
        ModelKind::Register => run(Register::plain(), history, options)?,
        ModelKind::CasRegister => run(Register::with_cas(failed_cas), history, options)?,
        ModelKind::Kv => run(Kv::new(), history, options)?,
        ModelKind::Mutex => run(Mutex, history, options)?,
    })
}

fn run<M: FromHistory>(
    mut model: M,
    history: &History,
    options: &Options,
) -> Result<CheckResult, ConvertError> {
    let ops = from_history(&mut model, history)?;
    Ok(check_operations(&mut model, &ops, options))
}
