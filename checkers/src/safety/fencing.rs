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

use super::{count, decision, node_text, tokenless, Decision};
use crate::history::{History, Record};
use crate::registry::Checker;
use crate::verdict::CheckResult;

/// The `fencing` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fencing;

const NAME: &str = "fencing";

/// The highest token seen so far in one kind of decision, and the latest line that had it.
#[derive(Clone, Copy)]
struct High {
    token: i64,
    index: usize,
}

impl High {
    fn raise(high: &mut Option<High>, token: i64, index: usize) {
        if !matches!(high, Some(h) if token < h.token) {
            *high = Some(High { token, index });
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
}

impl Scan {
    fn accept(&mut self, h: &History, i: usize, token: i64) {
        let r = &h.records[i];
        let stale = match (self.accepted, self.rejected) {
            (Some(a), _) if token < a.token => Some(below_accept(h, r, a, i)),
            (_, Some(x)) if token <= x.token => Some(after_reject(h, r, x, i)),
            _ => None,
        };
        if let Some(w) = stale {
            self.violations += 1;
            self.witness.get_or_insert(w);
        }
        High::raise(&mut self.accepted, token, i);
    }
}

fn below_accept(h: &History, r: &Record, a: High, i: usize) -> (String, Vec<u64>) {
    let earlier = &h.records[a.index];
    let text = format!(
        "the resource accepted token {} from {} (line {i}) after it had accepted the higher token {} from {} (line {})",
        r.token().unwrap_or_default(),
        node_text(r.value_node()),
        a.token,
        node_text(earlier.value_node()),
        a.index
    );
    (text, vec![a.index as u64, i as u64])
}

fn after_reject(h: &History, r: &Record, x: High, i: usize) -> (String, Vec<u64>) {
    let earlier = &h.records[x.index];
    let text = format!(
        "the resource accepted token {} from {} (line {i}) after it had rejected token {} from {} as stale (line {})",
        r.token().unwrap_or_default(),
        node_text(r.value_node()),
        x.token,
        node_text(earlier.value_node()),
        x.index
    );
    (text, vec![x.index as u64, i as u64])
}

impl Checker for Fencing {
    fn name(&self) -> &'static str {
        NAME
    }

    fn check(&self, h: &History) -> CheckResult {
        let mut s = Scan::default();
        for (i, r) in h.records.iter().enumerate() {
            match (decision(r), r.token()) {
                (Some(Decision::Accept), Some(t)) => {
                    s.accepts += 1;
                    s.accept(h, i, t);
                }
                (Some(Decision::Reject), Some(t)) => {
                    s.rejects += 1;
                    High::raise(&mut s.rejected, t, i);
                }
                (Some(_), None) => s.tokenless += 1,
                (None, _) => {}
            }
        }
        let judged = s.accepts + s.rejects;
        match judged == 0 && (s.tokenless > 0 || tokenless(h)) {
            true => CheckResult::not_applicable(NAME, NO_TOKENS),
            false => verdict(s),
        }
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
