//! The `linearizable` entry of the checker registry: a [`Checker`] that reads the client
//! operations of one model out of a history and checks them.
//!
//! Neighbours: [`crate::registry`] builds it by name from its [`LinearConfig`]; the harness
//! sets the model (`--model`) and, for Jepsen's etcd logs, the reading of failed cas.

use super::check::{Options, NAME};
use super::register::FailedCas;
use super::stream::OpsStream;
use super::{check_history, name_of, ModelKind};
use super::{Kv, Mutex, Register};
use crate::kind::CheckerKind;
use crate::registry::{Checker, Stream};
use crate::{CheckResult, History};

/// What the `linearizable` checker checks, and how long it may take.
#[derive(Debug, Clone)]
pub struct LinearConfig {
    /// The model of the client operations.
    pub model: ModelKind,
    /// What a `fail` cas means (HISTORY.md: it did not happen).
    pub failed_cas: FailedCas,
    /// Time budgets.
    pub options: Options,
}

impl Default for LinearConfig {
    fn default() -> LinearConfig {
        LinearConfig {
            model: ModelKind::Register,
            failed_cas: FailedCas::DidNotHappen,
            options: Options::default(),
        }
    }
}

/// The `linearizable` checker.
#[derive(Debug, Clone, Default)]
pub struct Linearizable(pub LinearConfig);

impl Checker for Linearizable {
    fn kind(&self) -> CheckerKind {
        NAME
    }

    /// A history whose records cannot be read as the model's operations gives `unknown`, with
    /// the index and the problem.
    fn check(&self, h: &History) -> CheckResult {
        let c = &self.0;
        check_history(h, c.model, c.failed_cas, &c.options).unwrap_or_else(|e| {
            CheckResult::unknown(
                NAME,
                format!("cannot read the operations of the {} model: {e}", name_of(c.model)),
            )
        })
    }

    fn stream(&self) -> Box<dyn Stream + '_> {
        let c = &self.0;
        let (options, name) = (c.options, name_of(c.model));
        match c.model {
            ModelKind::Register => Box::new(OpsStream::new(Register::plain(), options, name)),
            ModelKind::CasRegister => {
                Box::new(OpsStream::new(Register::with_cas(c.failed_cas), options, name))
            }
            ModelKind::Kv => Box::new(OpsStream::new(Kv::new(), options, name)),
            ModelKind::Mutex => Box::new(OpsStream::new(Mutex, options, name)),
        }
    }
}
