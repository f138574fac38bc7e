//! Whether a run tested anything at all: the rule that makes a run `unknown` whatever its
//! checkers say (HISTORY.md, "What the checkers decide").
//!
//! Neighbours: the harness's judge builds an [`Expected`] from the options stored in a run's
//! results.json (so `test` and `analyze` give the same answer), `splitbrain check` uses
//! [`Expected::bare`]; both merge with [`run_verdict`].
//!
//! Design decisions:
//! - Derived from the history alone, plus what the run asked for: nothing the controller saw
//!   and did not record can change it, so a stored run judged again is judged the same.
//! - Three ways to test nothing, tried in this order, the first one found named: no node was
//!   elected within the leader bound (even if one was elected later: the clients and faults
//!   never ran against a leader); the clients completed no write (the register never changed,
//!   so no fence and no dual write could be seen); faults were asked for and no fault record
//!   exists (a "test under faults" that saw none).
//! - The leader bound is measured on the history's clock, from time 0 (the start of the run),
//!   to the first `ok` `elected` record: the controller gives up waiting by the same measure.
//! - Without a bound (a bare history) only "no node was ever elected" applies.

use crate::fed::{Fed, Who};
use crate::history::{History, Type};
use crate::verdict::{merge_all, CheckResult, Verdict};
use std::time::Duration;

/// What a run asked for that the history must show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    /// The first leader must be elected by then (history time); `None`: at any time.
    pub leader_within: Option<Duration>,
    /// The fault kinds asked for (empty: `--nemesis none`, no fault expected).
    pub faults: Vec<String>,
}

impl Expected {
    /// What any leader-election history must show: a leader, and a completed write.
    pub fn bare() -> Expected {
        Expected::default()
    }
}

/// The sentence saying why the run tested nothing, or `None` when it tested something.
pub fn nothing_tested(h: &History, e: &Expected) -> Option<String> {
    let mut watch = Watch::default();
    h.records.iter().for_each(|r| watch.feed(&Fed::of(r)));
    watch.nothing_tested(e)
}

/// What a history showed, learnt record by record: when the first leader was elected, whether
/// a client write completed, whether a fault was applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct Watch {
    first_elected: Option<u64>,
    wrote: bool,
    faulted: bool,
}

impl Watch {
    /// Learns from the next record.
    pub fn feed(&mut self, r: &Fed<'_>) {
        let elected = matches!(r.process, Who::Node(_)) && r.is(Type::Ok, "elected");
        if elected && self.first_elected.is_none() {
            self.first_elected = Some(r.time);
        }
        self.wrote |= r.is_client() && r.is(Type::Ok, "write");
        self.faulted |= r.process == Who::Nemesis;
    }

    /// [`nothing_tested`] of the records fed.
    pub fn nothing_tested(&self, e: &Expected) -> Option<String> {
        no_leader(self.first_elected, e.leader_within)
            .or_else(|| (!self.wrote).then(|| "the clients completed no write".to_string()))
            .or_else(|| no_fault(self.faulted, &e.faults))
            .map(|why| format!("{why}: nothing was tested"))
    }
}

/// The verdict of a run: `unknown` when it tested nothing, else the merge of its checks.
pub fn run_verdict(checks: &[CheckResult], nothing_tested: Option<&str>) -> Verdict {
    match nothing_tested {
        Some(_) => Verdict::Unknown,
        None => merge_all(checks),
    }
}

fn no_leader(first_elected: Option<u64>, within: Option<Duration>) -> Option<String> {
    match (within, first_elected) {
        (None, None) => Some("no node was ever elected".to_string()),
        (Some(bound), None) => Some(within_text(bound)),
        (Some(bound), Some(t)) if u128::from(t) > bound.as_nanos() => Some(within_text(bound)),
        _ => None,
    }
}

fn within_text(bound: Duration) -> String {
    format!("no node was elected within {} s", bound.as_secs_f64())
}

fn no_fault(faulted: bool, asked: &[String]) -> Option<String> {
    if asked.is_empty() || faulted {
        return None;
    }
    Some(format!("faults were asked for (--nemesis {}) and none was applied", asked.join(",")))
}
