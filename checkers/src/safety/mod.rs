//! The safety checkers: properties whose violation means two leaders acted at once.
//!
//! - [`election_safety`]: no token is claimed by two different nodes.
//! - [`fencing`]: the resource's accepted tokens never go down, nor below a stale one it refused.
//! - [`dual_writer`]: no node's tenure of writes resumes after another node's began.
//!
//! Neighbours: [`crate::registry`] builds them by name; they read the leader-election vocabulary
//! through the accessors of [`crate::history::Record`].
//!
//! Design: each reports its *first* violation in file order as the witness (the earliest proof
//! is the one a person can follow), and counts every violation in its details. A history with
//! `"token": null` records and no integer token in any comes from an election that gives none:
//! the token checkers say `not-applicable` there (`tokenless`), and leave it to dual-writer.

pub mod dual_writer;
pub mod election_safety;
pub mod fencing;

pub use dual_writer::DualWriter;
pub use election_safety::ElectionSafety;
pub use fencing::Fencing;

use crate::history::{History, Process, Record, Type};

/// True when some record where the election hands a token on (an `elected` report, an `ok`
/// write, a resource decision) says `"token": null` (HISTORY.md: the election gives none), and
/// no record carries an integer token: the token checkers could never judge such a history. A
/// `status` of a node that does not lead says `null` in any election; an empty history says
/// nothing either way, so it stays unknown.
pub(crate) fn tokenless(h: &History) -> bool {
    let hands_on = |r: &Record| {
        decision(r).is_some()
            || r.kind == Type::Ok
                && (r.f == "elected" && r.process.node().is_some()
                    || r.is_client() && r.f == "write")
    };
    let null =
        |r: &Record| hands_on(r) && r.value.get("token").is_some_and(serde_json::Value::is_null);
    h.records.iter().all(|r| r.token().is_none()) && h.records.iter().any(null)
}

/// A resource decision: an `accept` (`ok`) or a `reject` (`fail`) by `"resource"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The resource applied the write.
    Accept,
    /// The resource refused it as stale.
    Reject,
}

/// The resource decision `r` records, if it is one.
pub(crate) fn decision(r: &Record) -> Option<Decision> {
    if r.process != Process::Resource {
        return None;
    }
    match (r.kind, r.f.as_str()) {
        (Type::Ok, "accept") => Some(Decision::Accept),
        (Type::Fail, "reject") => Some(Decision::Reject),
        _ => None,
    }
}

/// "under token 7", or "without a token" for `null`.
pub(crate) fn under(token: Option<i64>) -> String {
    match token {
        Some(t) => format!("under token {t}"),
        None => "without a token".to_string(),
    }
}

/// "1 accept", "3 accepts": a count with its noun.
pub(crate) fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "`n2`" for a named node, "an unnamed node" where the record names none.
pub(crate) fn node_text(node: Option<&str>) -> &str {
    node.unwrap_or("an unnamed node")
}
