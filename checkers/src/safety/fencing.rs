//! fencing: over the resource's `accept` records in their order, tokens never decrease, and no
//! `accept` follows a `reject` of a token at least as high.
//!
//! Neighbours: [`super::election_safety`] judges who held a token; this one judges whether the
//! resource let a stale holder through. An open (unfenced) resource fails here by design.
//!
//! Design decisions:
//! - The order judged is the order of the `"resource"` lines in the file, which HISTORY.md makes
//!   the resource's own serial order; `time` plays no part.
//! - Equal tokens in a row are fine: one leader writes many times under its token.
//! - A `reject` is a refusal as stale (the vocabulary defines it so): having refused token T, the
//!   resource knew of a holder newer than T, so accepting T or less afterwards lets a stale
//!   holder through.
//! - Decisions with `"token": null` cannot be ordered and are skipped; if no accept carries a
//!   token there is nothing to judge: `not-applicable` when every decision came without a
//!   token (the election gives none, or a `no-fencing` writer drops it) or the history's records
//!   say `"token": null` and never an integer; else `unknown` (no write reached the resource).

use super::{count, decision, node_text, Decision, Names, Tokenless};
use crate::fed::Fed;
use crate::kind::CheckerKind;
use crate::registry::{Checker, Stream};
use crate::verdict::CheckResult;

/// The `fencing` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fencing;

const NAME: CheckerKind = CheckerKind::Fencing;

/// The highest token seen so far in one kind of decision, and the latest line that had it
/// (with the node it names, for the witness).
#[derive(Clone, Copy)]
struct High {
    token: i64,
    index: usize,
    node: Option<u32>,
}

impl High {
    fn raise(high: &mut Option<High>, next: High) {
        if !matches!(high, Some(h) if next.token < h.token) {
            *high = Some(next);
        }
    }
}

#[derive(Default)]
struct Scan {
    accepts: u64,
    tokenless: u64,
    rejects: u64,
    accepted: Option<High>,
    rejected: Option<High>,
    violations: u64,
    witness: Option<(String, Vec<u64>)>,
    names: Names,
    no_tokens: Tokenless,
    at: usize,
}

impl Scan {
    fn accept(&mut self, now: High) {
        let stale = match (self.accepted, self.rejected) {
            (Some(a), _) if now.token < a.token => Some(self.below_accept(now, a)),
            (_, Some(x)) if now.token <= x.token => Some(self.after_reject(now, x)),
            _ => None,
        };
        if let Some(w) = stale {
            self.violations += 1;
            self.witness.get_or_insert(w);
        }
        High::raise(&mut self.accepted, now);
    }

    fn node(&self, h: High) -> &str {
        node_text(h.node.map(|n| self.names.name(n)))
    }

    fn below_accept(&self, now: High, a: High) -> (String, Vec<u64>) {
        let text = format!(
            "the resource accepted token {} from {} (line {}) after it had accepted the higher token {} from {} (line {})",
            now.token,
            self.node(now),
            now.index,
            a.token,
            self.node(a),
            a.index
        );
        (text, vec![a.index as u64, now.index as u64])
    }

    fn after_reject(&self, now: High, x: High) -> (String, Vec<u64>) {
        let text = format!(
            "the resource accepted token {} from {} (line {}) after it had rejected token {} from {} as stale (line {})",
            now.token,
            self.node(now),
            now.index,
            x.token,
            self.node(x),
            x.index
        );
        (text, vec![x.index as u64, now.index as u64])
    }
}

impl Stream for Scan {
    fn feed(&mut self, r: &Fed<'_>) {
        self.no_tokens.feed(r);
        let high = |s: &mut Scan, token| High {
            token,
            index: s.at,
            node: r.value_node().map(|n| s.names.id(n)),
        };
        match (decision(r), r.token()) {
            (Some(Decision::Accept), Some(t)) => {
                self.accepts += 1;
                let now = high(self, t);
                self.accept(now);
            }
            (Some(Decision::Reject), Some(t)) => {
                self.rejects += 1;
                let now = high(self, t);
                High::raise(&mut self.rejected, now);
            }
            (Some(_), None) => self.tokenless += 1,
            (None, _) => {}
        }
        self.at += 1;
    }

    fn finish(self: Box<Self>) -> CheckResult {
        let judged = self.accepts + self.rejects;
        match judged == 0 && (self.tokenless > 0 || self.no_tokens.holds()) {
            true => CheckResult::not_applicable(NAME, NO_TOKENS),
            false => verdict(*self),
        }
    }
}

impl Checker for Fencing {
    fn kind(&self) -> CheckerKind {
        NAME
    }

    fn stream(&self) -> Box<dyn Stream + '_> {
        Box::<Scan>::default()
    }
}

/// Why a history without tokens cannot be judged here.
pub const NO_TOKENS: &str = "no write reached the resource with a fencing token (the election \
     gives none, or the writers drop it): there is no order of tokens to keep; dual-writer judges \
     such runs";

fn verdict(s: Scan) -> CheckResult {
    let details = serde_json::json!({
        "accepts": s.accepts,
        "rejects": s.rejects,
        "decisions_without_token": s.tokenless,
        "violations": s.violations,
    });
    let result = match s.witness {
        Some((text, evidence)) => CheckResult::invalid(NAME, text, evidence),
        None if s.accepts == 0 => CheckResult::unknown(NAME, nothing_to_judge(s.tokenless)),
        None => CheckResult::valid(
            NAME,
            format!(
                "{} in order of rising tokens, none at or below a token refused as stale ({})",
                count(s.accepts, "accept"),
                count(s.rejects, "reject")
            ),
        ),
    };
    result.with_details(details)
}

fn nothing_to_judge(tokenless: u64) -> String {
    if tokenless > 0 {
        format!("no accept record carries a token ({tokenless} resource decisions carry none): nothing to judge")
    } else {
        "no accept record (the run had no fenced resource, or no write reached it): nothing to judge".to_string()
    }
}
