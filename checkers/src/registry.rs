//! Checkers by name, and the runner that runs them: the one way the harness (`check`, `test`,
//! `analyze`) turns a history into results.
//!
//! Neighbours: every checker module implements [`Checker`]; the harness parses `--checker` into
//! names and calls [`build`] and [`run`]; `results` renders what [`run`] returns.
//!
//! Design: the runner runs each checker on its own scoped thread and turns a panic into
//! `unknown`, never `valid` (HISTORY.md: a checker that fails says unknown). Results come back in
//! the order asked, whatever order the threads finish in.

use crate::convergence::{Convergence, ConvergenceConfig};
use crate::history::History;
use crate::linear::{LinearConfig, Linearizable};
use crate::liveness::{Liveness, LivenessConfig};
use crate::safety::{DualWriter, ElectionSafety, Fencing};
use crate::verdict::CheckResult;

/// A property of a history: a pure function from a history to a verdict with evidence.
pub trait Checker: Send + Sync {
    /// The name `--checker` takes, and the `checker` field of its results.
    fn name(&self) -> &'static str;
    /// Decides the property on `h`.
    fn check(&self, h: &History) -> CheckResult;
}

/// Every checker name [`build`] knows, in the order `check` lists them.
pub const NAMES: &[&str] =
    &["election-safety", "fencing", "dual-writer", "convergence", "liveness", "linearizable"];

/// The checkers `splitbrain check` runs when none are named: the safety properties.
pub const SAFETY_DEFAULTS: &[&str] = &["election-safety", "fencing", "dual-writer"];

/// Every checker name [`build`] knows.
pub fn names() -> &'static [&'static str] {
    NAMES
}

/// The names of the safety checkers, run by default.
pub fn safety_defaults() -> &'static [&'static str] {
    SAFETY_DEFAULTS
}

/// The parameters of the checkers that take any; the defaults are HISTORY.md's.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Settle time and bound of `convergence`.
    pub convergence: ConvergenceConfig,
    /// The optional bounds of `liveness`.
    pub liveness: LivenessConfig,
    /// The model and budgets of `linearizable`.
    pub linear: LinearConfig,
}

/// The checker called `name`, with default parameters.
pub fn by_name(name: &str) -> Option<Box<dyn Checker>> {
    build(name, &Options::default())
}

/// The checker called `name`, with the given parameters.
pub fn build(name: &str, options: &Options) -> Option<Box<dyn Checker>> {
    Some(match name {
        "election-safety" => Box::new(ElectionSafety),
        "fencing" => Box::new(Fencing),
        "dual-writer" => Box::new(DualWriter),
        "convergence" => Box::new(Convergence(options.convergence.clone())),
        "liveness" => Box::new(Liveness(options.liveness.clone())),
        "linearizable" => Box::new(Linearizable(options.linear.clone())),
        _ => return None,
    })
}

/// The checkers called `names`, or the first unknown name.
pub fn build_all(names: &[&str], options: &Options) -> Result<Vec<Box<dyn Checker>>, String> {
    names.iter().map(|n| build(n, options).ok_or_else(|| n.to_string())).collect()
}

/// Runs every checker on `h`, in parallel, each on its own thread; results in the given order.
/// A checker that panics gives `unknown`.
pub fn run(checkers: &[Box<dyn Checker>], h: &History) -> Vec<CheckResult> {
    std::thread::scope(|s| {
        let handles: Vec<_> =
            checkers.iter().map(|c| (c.name(), s.spawn(move || c.check(h)))).collect();
        handles.into_iter().map(|(name, handle)| settle(name, handle.join())).collect()
    })
}

/// Runs one checker on the calling thread; a panic gives `unknown`.
pub fn run_one(checker: &dyn Checker, h: &History) -> CheckResult {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| checker.check(h)));
    settle(checker.name(), outcome)
}

fn settle(name: &str, outcome: std::thread::Result<CheckResult>) -> CheckResult {
    match outcome {
        Ok(mut r) => {
            r.checker = name.to_string();
            r
        }
        Err(panic) => CheckResult::unknown(
            name,
            format!("the checker failed: {}", panic_text(panic.as_ref())),
        ),
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "it panicked".to_string()
    }
}
