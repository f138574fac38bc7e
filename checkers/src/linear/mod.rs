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
//! - [`check`]: partitions, the model's [`Fate`]s of operations of unknown outcome (a
//!   register's unseen timed-out writes left out, seen ones bound to the read that saw them),
//!   verdict and result.
//! - [`witness`]: the sentence and details of a failure; `minimise` narrows it down.
//! - `stream`: the checker fed record by record, keeping only operations.
//! - [`synth`]: synthetic register histories shaped like the harness's, for tests and benches.
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
mod stream;
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

/// The model that reads more of a history's client operations than the one chosen, when
/// there is one: a sign that `--model` is missing or wrong (a plain register would leave a
/// history's `cas` operations out, and a key-value history has no register operations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// The model chosen.
    pub chosen: ModelKind,
    /// The model that reads the most.
    pub better: ModelKind,
    /// How many client invocations it reads.
    pub better_reads: usize,
    /// How many the chosen model reads.
    pub chosen_reads: usize,
    /// The operation names (`f`) the better model reads and the chosen one does not.
    pub missed: Vec<String>,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (better, chosen) = (name_of(self.better), name_of(self.chosen));
        write!(
            f,
            "{} client operations fit the {better} model but only {} the {chosen} model, which has no {} operations: give --model {better}",
            self.better_reads,
            self.chosen_reads,
            self.missed.join(", "),
        )
    }
}

/// A model's `--model` name.
pub fn name_of(kind: ModelKind) -> &'static str {
    ModelKind::ALL.iter().find(|(_, k)| *k == kind).map_or("?", |(n, _)| n)
}

fn accepts(kind: ModelKind, f: &str) -> bool {
    match kind {
        ModelKind::Register => Register::plain().accepts(f),
        ModelKind::CasRegister => Register::with_cas(FailedCas::DidNotHappen).accepts(f),
        ModelKind::Kv => Kv::new().accepts(f),
        ModelKind::Mutex => Mutex.accepts(f),
    }
}

/// The model that reads more of `history`'s client invocations than `kind` does, if any.
pub fn misfit(history: &History, kind: ModelKind) -> Option<Misfit> {
    let mut census = Census::default();
    history.records.iter().for_each(|r| census.feed(&crate::Fed::of(r)));
    census.misfit(kind)
}

/// How many client invocations a history has of each operation name, learnt record by record.
#[derive(Debug, Clone, Default)]
pub struct Census(std::collections::BTreeMap<String, usize>);

impl Census {
    /// Counts the next record.
    pub fn feed(&mut self, r: &crate::Fed<'_>) {
        if r.kind == crate::Type::Invoke && r.is_client() {
            match self.0.get_mut(r.f) {
                Some(n) => *n += 1,
                None => drop(self.0.insert(r.f.to_string(), 1)),
            }
        }
    }

    /// [`misfit`] of the records counted.
    pub fn misfit(&self, kind: ModelKind) -> Option<Misfit> {
        let fs = &self.0;
        let reads = |k: ModelKind| fs.iter().filter(|(f, _)| accepts(k, f)).map(|(_, n)| n).sum();
        let chosen_reads: usize = reads(kind);
        // On a tie the first model named wins (`max_by_key` keeps the last of equals).
        let (better, better_reads) =
            ModelKind::ALL.iter().rev().map(|&(_, k)| (k, reads(k))).max_by_key(|&(_, n)| n)?;
        let missed = fs.keys().filter(|f| accepts(better, f) && !accepts(kind, f));
        let missed: Vec<String> = missed.cloned().collect();
        (better_reads > chosen_reads).then_some(Misfit {
            chosen: kind,
            better,
            better_reads,
            chosen_reads,
            missed,
        })
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
    let enrich = |part: &mut [Operation<_, _>]| operation::add_contexts(part, history);
    Ok(check::check_and_explain(&mut model, &ops, options, enrich))
}
