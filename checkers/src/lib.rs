//! splitbrain's history model and checkers: pure functions from a history to a verdict with
//! evidence. No I/O but parsing, no async.
//!
//! - [`history`]: the records of `history.jsonl` (`shared/HISTORY.md`).
//! - [`reader`]: reads a file into a [`History`], enforcing the file rules.
//! - [`verdict`]: the three-way result and how results merge.
//! - [`linear`]: the linearizability checker and its models; [`formats`]: foreign histories.
//! - [`safety`]: election-safety, fencing, dual-writer.
//! - [`convergence`], [`liveness`]: recovery after faults, and the figures of availability.
//! - [`registry`]: the [`Checker`] trait, checkers by name, and the runner.

pub mod convergence;
pub mod formats;
pub mod history;
pub mod linear;
pub mod liveness;
pub mod reader;
pub mod registry;
pub mod safety;
pub mod verdict;

pub use history::{History, Process, Record, Type};
pub use registry::Checker;
pub use verdict::{CheckResult, Verdict};
