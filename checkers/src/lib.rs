//! splitbrain's history model and checkers: pure functions from a history to a verdict with
//! evidence. No I/O but parsing, no async.
//!
//! - [`history`]: the records of `history.jsonl` (`shared/HISTORY.md`).
//! - [`verdict`]: the three-way result and how results merge.

pub mod history;
pub mod verdict;

pub use history::{History, Process, Record, Type};
pub use verdict::{CheckResult, Verdict};
