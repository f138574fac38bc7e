//! What a fault reports: the history record the caller writes for it.
//!
//! Neighbours: every fault module returns an [`Event`]; the controller stamps it with its
//! monotonic clock and writes `{"process": "nemesis", "type": "info", "f": f, "value": value}`
//! (shared/HISTORY.md).

use serde::Serialize;
use serde_json::Value;

/// A fault began or ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The record's `f`: `start-partition`, `stop-partition`, `start-loss`, `stop-loss`,
    /// `pause`, `resume`, `kill`, `restart`, `clock-bump`, `clock-strobe`, `clock-drift`,
    /// `clock-reset`, and `start-`/`stop-` `delay`, `reorder`, `duplicate`, `slow`.
    pub f: &'static str,
    /// The record's `value`: what was done to which nodes (always has `"nodes"`).
    pub value: Value,
}

impl Event {
    pub(crate) fn new(f: &'static str, value: Value) -> Event {
        Event { f, value }
    }
}
