//! election-safety: no fencing token is claimed by two different nodes.
//!
//! Neighbours: [`super::fencing`] and [`super::dual_writer`] judge what the resource did with
//! the tokens; this one judges who held them.
//!
//! Design decisions (HISTORY.md, "What the checkers decide"):
//! - A claim is `(token, node)` from exactly three kinds of record: a node's `ok` `elected`
//!   report, a client's `ok` `write` naming `token` and `leader`, and the resource's `accept`
//!   naming `token` and `node`. Nothing else claims: a `fail`/`info` write did not happen (or
//!   may not have), a `reject` was refused, a `stepdown` gives a token up, a `status` is a belief.
//! - `"token": null` (or no integer token, or no node) claims nothing: an election without
//!   tokens cannot break this property: a history whose records say `"token": null` and never
//!   an integer is `not-applicable`; any other history without a claim (empty, or tokens only
//!   in statuses and rejects) is `unknown`, never valid.
//! - The same node claiming its own token again (a re-election, a stepdown then re-election
//!   under the same token, many writes) is no violation: only two *different* nodes are.

use super::{count, Names, Tokenless};
use crate::fed::{Fed, Who};
use crate::history::Type;
use crate::kind::CheckerKind;
use crate::registry::{Checker, Stream};
use crate::verdict::CheckResult;
use std::collections::{HashMap, HashSet};

/// The `election-safety` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct ElectionSafety;

const NAME: CheckerKind = CheckerKind::ElectionSafety;

/// One record's claim: this node (an id in [`Tally::names`]) held this token.
#[derive(Debug, Clone, Copy)]
struct Claim {
    token: i64,
    node: u32,
    index: u64,
    how: &'static str,
}

/// The claim `r` makes, if any, as the name of its node; `Err(())` for a claim-shaped record
/// with no token or node.
fn claim<'a>(r: &Fed<'a>) -> Result<Option<(i64, &'a str, &'static str)>, ()> {
    let (node, how) = match (r.process, r.kind, r.f) {
        (Who::Node(n), Type::Ok, "elected") => (Some(n), "elected"),
        (Who::Client(_), Type::Ok, "write") => (r.leader(), "write ok"),
        (Who::Resource, Type::Ok, "accept") => (r.value_node(), "accept"),
        _ => return Ok(None),
    };
    match (r.token(), node) {
        (Some(token), Some(node)) => Ok(Some((token, node, how))),
        _ => Err(()),
    }
}

/// What the records fed so far show: the first claim of each token.
#[derive(Default)]
struct Tally {
    claims: u64,
    tokenless: u64,
    names: Names,
    first: HashMap<i64, Claim>,
    conflicts: HashSet<i64>,
    witness: Option<(Claim, Claim)>,
    no_tokens: Tokenless,
    /// The position of the next record (the history's index, in a history as read).
    at: u64,
}

impl Tally {
    fn add(&mut self, c: Claim) {
        self.claims += 1;
        let first = *self.first.entry(c.token).or_insert(c);
        if first.node != c.node && self.conflicts.insert(c.token) {
            self.witness.get_or_insert((first, c));
        }
    }
}

impl Stream for Tally {
    fn feed(&mut self, r: &Fed<'_>) {
        self.no_tokens.feed(r);
        match claim(r) {
            Ok(Some((token, node, how))) => {
                let node = self.names.id(node);
                self.add(Claim { token, node, index: self.at, how });
            }
            Ok(None) => {}
            Err(()) => self.tokenless += 1,
        }
        self.at += 1;
    }

    fn finish(self: Box<Self>) -> CheckResult {
        match self.claims == 0 && self.no_tokens.holds() {
            true => CheckResult::not_applicable(NAME, NO_TOKENS),
            false => verdict(&self),
        }
    }
}

impl Checker for ElectionSafety {
    fn kind(&self) -> CheckerKind {
        NAME
    }

    fn stream(&self) -> Box<dyn Stream + '_> {
        Box::<Tally>::default()
    }
}

/// Why a history without tokens cannot be judged here.
pub const NO_TOKENS: &str = "no record carries a fencing token (the election gives none): \
     no token can be claimed twice; dual-writer judges such runs";

fn verdict(t: &Tally) -> CheckResult {
    let details = serde_json::json!({
        "claims": t.claims,
        "tokens": t.first.len(),
        "tokens_claimed_twice": t.conflicts.len(),
        "claims_without_token": t.tokenless,
    });
    let result = if let Some((a, b)) = t.witness {
        let text = format!(
            "token {} was claimed by {} (line {}, {}) and {} (line {}, {})",
            a.token,
            t.names.name(a.node),
            a.index,
            a.how,
            t.names.name(b.node),
            b.index,
            b.how
        );
        CheckResult::invalid(NAME, text, vec![a.index, b.index])
    } else if t.claims == 0 {
        CheckResult::unknown(NAME, nothing_to_judge(t.tokenless))
    } else {
        let tokens = count(t.first.len() as u64, "token");
        let text = format!("{} of {tokens}, each token by one node", count(t.claims, "claim"));
        CheckResult::valid(NAME, text)
    };
    result.with_details(details)
}

fn nothing_to_judge(tokenless: u64) -> String {
    if tokenless > 0 {
        format!(
            "no record claims a token: {tokenless} elected, write ok or accept records carry no \
             token, so there is nothing to judge"
        )
    } else {
        "no record claims a token (no elected report, ok write or accept): nothing to judge"
            .to_string()
    }
}
