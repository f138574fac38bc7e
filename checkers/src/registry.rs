//! Checkers by kind, and the runner that runs them: the one way the harness (`check`, `test`,
//! `analyze`) turns a history into results.
//!
//! Neighbours: every checker module implements [`Checker`]; the harness parses `--checker` into
//! [`CheckerKind`]s and calls [`build_all`] and [`run`]; `results` renders what [`run`] returns.
//!
//! Design: the runner runs each checker on its own scoped thread and turns a panic into
//! `unknown`, never `valid` (HISTORY.md: a checker that fails says unknown). Results come back in
//! the order asked, whatever order the threads finish in. [`run_path`] streams a file: the
//! reader's blocks are shared by every checker's thread, and each checker's [`Stream`] keeps
//! only what its property needs, so memory is bounded by tokens, tenures and open operations,
//! not by the length of the history.

use crate::convergence::ConvergenceConfig;
use crate::fed::Fed;
use crate::history::{History, Record};
pub use crate::kind::CheckerKind;
use crate::linear::LinearConfig;
use crate::liveness::LivenessConfig;
use crate::reader::{self, Block, ReadError, Streamed};
use crate::verdict::CheckResult;
use std::sync::Arc;

/// A property of a history: a pure function from a history to a verdict with evidence.
///
/// A checker implements [`Checker::stream`] (it is fed the records one at a time and keeps
/// only what its property needs), or [`Checker::check`] on a whole history; each method's
/// default is made of the other, so one of the two must be implemented.
pub trait Checker: Send + Sync {
    /// Which checker it is: its name is what `--checker` takes and its results carry.
    fn kind(&self) -> CheckerKind;

    /// Decides the property on `h`: by default, streams its records.
    fn check(&self, h: &History) -> CheckResult {
        let mut stream = self.stream();
        h.records.iter().for_each(|r| stream.feed(&Fed::of(r)));
        stream.finish()
    }

    /// A fresh decision of the property, to be fed a history's records in file order: by
    /// default, one that keeps every record and calls [`Checker::check`] at the end.
    fn stream(&self) -> Box<dyn Stream + '_> {
        Box::new(Collect { checker: self, records: Vec::new() })
    }
}

/// A checker's decision under way: fed every record of a history in file order, then asked.
pub trait Stream {
    /// The next record.
    fn feed(&mut self, r: &Fed<'_>);
    /// The verdict on the records fed.
    fn finish(self: Box<Self>) -> CheckResult;
}

/// The stream of a checker that needs the whole history: it keeps every record.
struct Collect<'c, C: ?Sized> {
    checker: &'c C,
    records: Vec<Record>,
}

impl<C: Checker + ?Sized> Stream for Collect<'_, C> {
    fn feed(&mut self, r: &Fed<'_>) {
        self.records.push(r.to_record());
    }

    fn finish(self: Box<Self>) -> CheckResult {
        self.checker.check(&History::new(self.records))
    }
}

/// The checkers `splitbrain check` runs when none are named: the safety properties, in table
/// order.
pub fn safety_defaults() -> Vec<CheckerKind> {
    CheckerKind::all().filter(|k| k.is_safety()).collect()
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

/// The checker a name names, with default parameters (for tests and tools that hold names).
pub fn by_name(name: &str) -> Option<Box<dyn Checker>> {
    name.parse::<CheckerKind>().ok().map(|kind| kind.build(&Options::default()))
}

/// The checkers of these kinds, with the given parameters, in the order given.
pub fn build_all(kinds: &[CheckerKind], options: &Options) -> Vec<Box<dyn Checker>> {
    kinds.iter().map(|k| k.build(options)).collect()
}

/// Runs every checker on `h`, in parallel, each on its own thread; results in the given order.
/// A checker that panics gives `unknown`.
pub fn run(checkers: &[Box<dyn Checker>], h: &History) -> Vec<CheckResult> {
    std::thread::scope(|s| {
        let handles: Vec<_> =
            checkers.iter().map(|c| (c.kind(), s.spawn(move || c.check(h)))).collect();
        handles.into_iter().map(|(name, handle)| settle(name, handle.join())).collect()
    })
}

/// Runs every checker on the history file at `path`, each on its own thread, fed block by block
/// as the reader checks them (so no more than a few blocks of records are held at a time);
/// results in the given order, and what the reader saw. A checker that panics gives `unknown`.
pub fn run_path(
    checkers: &[Box<dyn Checker>],
    path: &std::path::Path,
) -> Result<(Vec<CheckResult>, Streamed), ReadError> {
    run_path_observed(checkers, path, |_| {})
}

/// [`run_path`], with `observe` also shown every record, in file order, on the calling thread
/// (for what is not a checker but needs the records too: whether the run tested anything,
/// which model fits).
pub fn run_path_observed(
    checkers: &[Box<dyn Checker>],
    path: &std::path::Path,
    mut observe: impl FnMut(&Fed<'_>),
) -> Result<(Vec<CheckResult>, Streamed), ReadError> {
    std::thread::scope(|s| {
        let (feeds, handles): (Vec<_>, Vec<_>) = checkers
            .iter()
            .map(|c| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Block>>(BLOCKS_IN_FLIGHT);
                (tx, (c.kind(), s.spawn(move || fed(c.as_ref(), rx))))
            })
            .unzip();
        let read = reader::for_each_block(path, |block| {
            block.iter().for_each(|r| observe(&r));
            let block = Arc::new(block);
            // A checker that panicked has dropped its end: its result says so at the join.
            feeds.iter().for_each(|tx| drop(tx.send(block.clone())));
        });
        drop(feeds);
        let results = handles.into_iter().map(|(name, h)| settle(name, h.join())).collect();
        read.map(|read| (results, read))
    })
}

/// Blocks queued for each checker: enough to keep the threads busy, few enough that memory
/// stays a handful of blocks (each the records of a few megabytes of the file).
const BLOCKS_IN_FLIGHT: usize = 2;

/// One checker's stream, fed every block that arrives.
fn fed(checker: &dyn Checker, blocks: std::sync::mpsc::Receiver<Arc<Block>>) -> CheckResult {
    let mut stream = checker.stream();
    for block in blocks {
        block.iter().for_each(|r| stream.feed(&r));
    }
    stream.finish()
}

/// Runs one checker on the calling thread; a panic gives `unknown`.
pub fn run_one(checker: &dyn Checker, h: &History) -> CheckResult {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| checker.check(h)));
    settle(checker.kind(), outcome)
}

fn settle(kind: CheckerKind, outcome: std::thread::Result<CheckResult>) -> CheckResult {
    match outcome {
        Ok(mut r) => {
            r.checker = kind.into();
            r
        }
        Err(panic) => CheckResult::unknown(
            kind,
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
