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
//! the token checkers say `not-applicable` there (`Tokenless`), and leave it to dual-writer.
//! They stream: fed one record at a time, each keeps what its property needs (a claim per
//! token, the latest tenures, counts) and the few fields of the records its witness names.

pub mod dual_writer;
pub mod election_safety;
pub mod fencing;

pub use dual_writer::DualWriter;
pub use election_safety::ElectionSafety;
pub use fencing::Fencing;

use crate::fed::{Fed, Token, Who};
use crate::history::Type;
use crate::linear::cache::FxBuild;
use std::collections::HashMap;

/// Whether a history is tokenless, learnt record by record: true when some record where the
/// election hands a token on (an `elected` report, an `ok` write, a resource decision) says
/// `"token": null` (HISTORY.md: the election gives none), and no record carries an integer
/// token: the token checkers could never judge such a history. A `status` of a node that does
/// not lead says `null` in any election; an empty history says nothing either way, so it stays
/// unknown.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tokenless {
    any_token: bool,
    null_handed_on: bool,
}

impl Tokenless {
    /// Learns from the next record.
    pub(crate) fn feed(&mut self, r: &Fed<'_>) {
        if self.any_token {
            // Never tokenless again: nothing more to learn (and a lookup per record saved).
            return;
        }
        let token = r.token_field();
        self.any_token |= matches!(token, Token::Int(_));
        if !self.null_handed_on && token == Token::Null {
            self.null_handed_on = hands_on(r);
        }
    }

    /// True when the records fed are tokenless.
    pub(crate) fn holds(&self) -> bool {
        !self.any_token && self.null_handed_on
    }
}

fn hands_on(r: &Fed<'_>) -> bool {
    decision(r).is_some()
        || r.kind == Type::Ok
            && (r.f == "elected" && r.process.node().is_some() || r.is_client() && r.f == "write")
}

/// Small ids for the node names a checker meets: a run has a handful of nodes, so a checker
/// keeps each name once however many records name it. Ids are given in order of first sight.
/// The lookup hashes (FxHash of a few bytes) rather than comparing with each name: every record
/// names a node, and a `memcmp` call per known name was a fifth of a long check's time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    names: Vec<String>,
    ids: HashMap<String, u32, FxBuild>,
}

impl Names {
    /// The id of `name`, giving it one when it is new.
    pub(crate) fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The name of an id.
    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// How many names have ids (`0..len()` are the ids given).
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
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
pub(crate) fn decision(r: &Fed<'_>) -> Option<Decision> {
    if r.process != Who::Resource {
        return None;
    }
    match (r.kind, r.f) {
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
