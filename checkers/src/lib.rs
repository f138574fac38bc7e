//! splitbrain's history model and checkers: pure functions from a history to a verdict with
//! evidence. No I/O but parsing, no async.
//!
//! - [`history`]: the records of `history.jsonl` (`shared/HISTORY.md`).
//! - [`reader`]: reads a file into a [`History`], enforcing the file rules.
//! - [`verdict`]: valid, invalid, unknown or not-applicable, and how results merge;
//!   [`subject`]: what a result is about (a checker, or the run itself).
//! - [`linear`]: the linearizability checker and its models; [`formats`]: foreign histories.
//! - [`safety`]: election-safety, fencing, dual-writer.
//! - [`convergence`], [`liveness`]: recovery after faults, and the figures of availability.
//! - [`registry`]: the [`Checker`] trait, checkers by name, and the runner; [`kind`]: the
//!   checkers as a type, [`CheckerKind`], in one table.
//! - [`tested`]: whether a run tested anything at all (else it is unknown, whatever the
//!   checkers say).

pub mod convergence;
pub mod fed;
pub mod formats;
pub mod history;
pub mod kind;
pub mod linear;
pub mod liveness;
pub mod reader;
pub mod registry;
pub mod safety;
pub mod splitmix;
pub mod subject;
pub mod tested;
pub mod verdict;

pub use fed::{Fed, Who};
pub use history::{History, Process, Record, Type};
pub use kind::CheckerKind;
pub use registry::Checker;
pub use subject::Subject;
pub use verdict::{CheckResult, Verdict};
