//! dual-writer (mutual exclusion): no node's tenure of writes resumes after another node's
//! tenure began.
//!
//! Neighbours: [`super::fencing`] judges tokens; this one judges who wrote when, and so also
//! works where the election gives no tokens.
//!
//! Design decisions:
//! - A tenure is a run of `accept` records by one node under one token, in the resource's order
//!   (the order of its lines). When the same node and token come back after other accepts, the
//!   tenure *resumes*; if another node's tenure began in between, the old leader acted after the
//!   new one: a dual write. Witness: the old tenure's last write, the newer tenure's first, and
//!   the resumed write.
//! - Only another *node* matters: one node moving between its own tokens is fencing's business.
//! - A token names one tenure (tokens only grow from one leader to the next), so with tokens an
//!   `elected` report between does not excuse a resume. With `"token": null` the token cannot
//!   tell tenures apart, so a node's `elected` report after the other node's tenure began (and
//!   after that node's own latest `elected`) makes its next accepts a new tenure: n1, n2, then
//!   n1 again after n1 was elected again is a hand-over, not a dual write. That report must come
//!   before the accepts it explains in the file; an older one excuses nothing.
//! - An accept that names no node cannot be attributed and is counted, not judged.

use super::{count, decision, under, Decision, Names};
use crate::fed::{Fed, Who};
use crate::history::Type;
use crate::kind::CheckerKind;
use crate::registry::{Checker, Stream};
use crate::verdict::CheckResult;
use std::collections::HashMap;

/// The `dual-writer` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct DualWriter;

const NAME: CheckerKind = CheckerKind::DualWriter;

/// A tenure's identity: node and token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Tenure {
    node: u32,
    token: Option<i64>,
}

/// Where a tenure began, by which node.
#[derive(Debug, Clone, Copy)]
struct Start {
    index: usize,
    tenure: Tenure,
}

/// The first dual write: the old tenure's last write, the newer tenure's start, the resumed
/// write and its tenure.
#[derive(Debug, Clone, Copy)]
struct Witness {
    last: usize,
    other: Start,
    resumed: usize,
    tenure: Tenure,
}

#[derive(Default)]
struct Scan {
    names: Names,
    /// Each node's latest `elected` report, by node id.
    elected: HashMap<u32, usize>,
    current: Option<Tenure>,
    last_accept: HashMap<Tenure, usize>,
    /// The latest tenure start, and the latest by a node other than `newest`'s.
    newest: Option<Start>,
    newest_other: Option<Start>,
    tenures: u64,
    accepts: u64,
    unattributed: u64,
    dual_writes: u64,
    witness: Option<Witness>,
    /// The position of the next record.
    at: usize,
}

impl Scan {
    fn accept(&mut self, i: usize, node: &str, token: Option<i64>) {
        self.accepts += 1;
        let tenure = Tenure { node: self.names.id(node), token };
        if self.current != Some(tenure) {
            self.switch_to(tenure, i);
        }
        self.current = Some(tenure);
        self.last_accept.insert(tenure, i);
    }

    /// A new run of accepts begins at `i`: a tenure's first, or a resumed one.
    fn switch_to(&mut self, tenure: Tenure, i: usize) {
        let Some(&last) = self.last_accept.get(&tenure) else {
            return self.begin(Start { index: i, tenure });
        };
        let Some(other) = self.latest_start_not_by(tenure.node).filter(|s| s.index > last) else {
            return; // it resumes with no other node's tenure in between
        };
        if tenure.token.is_none() && self.re_elected(tenure.node, other) {
            self.begin(Start { index: i, tenure });
        } else {
            self.dual_writes += 1;
            self.witness.get_or_insert(Witness { last, other, resumed: i, tenure });
        }
    }

    /// Whether `node` was elected again after `other` began, and after `other`'s node was last
    /// elected: then its leadership is the newer one and its accepts begin a new tenure.
    fn re_elected(&self, node: u32, other: Start) -> bool {
        let other_elected = self.elected.get(&other.tenure.node).copied();
        self.elected
            .get(&node)
            .is_some_and(|&e| e > other.index && !matches!(other_elected, Some(o) if e <= o))
    }

    fn begin(&mut self, start: Start) {
        self.tenures += 1;
        match self.newest {
            Some(n) if n.tenure.node == start.tenure.node => {}
            previous => self.newest_other = previous,
        }
        self.newest = Some(start);
    }

    fn latest_start_not_by(&self, node: u32) -> Option<Start> {
        match self.newest {
            Some(n) if n.tenure.node != node => Some(n),
            _ => self.newest_other,
        }
    }
}

impl Stream for Scan {
    fn feed(&mut self, r: &Fed<'_>) {
        let i = self.at;
        self.at += 1;
        match (r.process, decision(r)) {
            (Who::Node(n), _) if r.is(Type::Ok, "elected") => {
                let id = self.names.id(n);
                self.elected.insert(id, i);
            }
            (_, Some(Decision::Accept)) => match r.value_node() {
                Some(node) => self.accept(i, node, r.token()),
                None => self.unattributed += 1,
            },
            _ => {}
        }
    }

    fn finish(self: Box<Self>) -> CheckResult {
        verdict(&self)
    }
}

impl Checker for DualWriter {
    fn kind(&self) -> CheckerKind {
        NAME
    }

    fn stream(&self) -> Box<dyn Stream + '_> {
        Box::<Scan>::default()
    }
}

fn verdict(s: &Scan) -> CheckResult {
    let details = serde_json::json!({
        "accepts": s.accepts,
        "tenures": s.tenures,
        "dual_writes": s.dual_writes,
        "accepts_without_node": s.unattributed,
    });
    let result = match s.witness {
        Some(w) => CheckResult::invalid(
            NAME,
            witness_text(&s.names, w),
            [w.last, w.other.index, w.resumed].iter().map(|&i| i as u64).collect(),
        ),
        None if s.accepts == 0 => CheckResult::unknown(NAME, nothing_to_judge(s.unattributed)),
        None => CheckResult::valid(
            NAME,
            format!(
                "{} in {}; no tenure resumed after another node's began",
                count(s.accepts, "accept"),
                count(s.tenures, "tenure")
            ),
        ),
    };
    result.with_details(details)
}

fn witness_text(names: &Names, w: Witness) -> String {
    let (back, between) = (w.tenure, w.other.tenure);
    let node = names.name(back.node);
    // Which of the two leaders is the stale one: by token where both have one, else by order.
    let meaning = match (back.token, between.token) {
        (Some(b), Some(n)) if b > n => "two leaders' writes interleaved",
        _ => "the old leader acted after the new one",
    };
    format!(
        "{node} wrote {} again (line {}) after {} began a tenure {} (line {}); \
         {node} had last written so at line {}: {meaning}",
        under(back.token),
        w.resumed,
        names.name(between.node),
        under(between.token),
        w.other.index,
        w.last,
    )
}

fn nothing_to_judge(unattributed: u64) -> String {
    if unattributed > 0 {
        format!(
            "no accept record names its node ({} without one): nothing to judge",
            count(unattributed, "accept")
        )
    } else {
        "no accept record (the run had no resource, or no write reached it): nothing to judge"
            .to_string()
    }
}
