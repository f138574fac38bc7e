//! Verdicts and their evidence: the result every checker returns, and how results merge over
//! checkers.
//!
//! Neighbours: every checker module builds a [`CheckResult`]; `results` renders them; the
//! harness turns the merged [`Verdict`] into the exit status.
//!
//! Design: three values, as Porcupine and Jepsen do, because "the checker could not decide"
//! (a time budget ran out, the checker failed) must never read as "valid"; and a fourth,
//! [`Verdict::NotApplicable`], for a property this history cannot speak to at all (no token
//! anywhere: election-safety and fencing on an election that gives none). It is a variant of
//! the same enum rather than a separate status, so that results.json, `check --json` and every
//! renderer keep one field (`"verdict": "not-applicable"`) and a `match` that forgets it does
//! not compile. It is not a degree of doubt, so it is left out of the merge (HISTORY.md):
//! invalid > unknown > valid over the rest, and unknown when nothing is left. Since a merged
//! verdict is therefore never `NotApplicable`, [`Verdict::exit_code`] of it (2) is only what a
//! lone not-applicable result would mean: nothing was judged. `Ord` is not derived, so that no
//! caller merges with `max` and lets not-applicable win. Whether a run tested anything at all
//! is a rule over the run, not a checker: `crate::tested`.

use crate::subject::Subject;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a checker decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The property holds on this history.
    Valid,
    /// The checker could not decide (ran out of time, failed, or had nothing to judge).
    Unknown,
    /// The property is broken, and the evidence proves it.
    Invalid,
    /// The property does not apply to this history (the summary says why); left out of merges.
    NotApplicable,
}

impl Verdict {
    /// Merge two verdicts: invalid wins over unknown, which wins over valid; not-applicable
    /// gives way to anything.
    pub fn merge(self, other: Verdict) -> Verdict {
        match self.rank() >= other.rank() {
            true => self,
            false => other,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Verdict::NotApplicable => 0,
            Verdict::Valid => 1,
            Verdict::Unknown => 2,
            Verdict::Invalid => 3,
        }
    }

    /// The exit status of a command that gives this verdict: 0 valid, 1 invalid, 2 unknown
    /// (and 2 for not-applicable: nothing was judged).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::Unknown | Verdict::NotApplicable => 2,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Valid => "valid",
            Verdict::Unknown => "unknown",
            Verdict::Invalid => "invalid",
            Verdict::NotApplicable => "not-applicable",
        })
    }
}

/// One checker's verdict with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// What it is about: a checker (its name, as given to `--checker`), or the run itself.
    pub checker: Subject,
    /// What it decided.
    pub verdict: Verdict,
    /// One sentence a person can read: the witness when invalid, why when unknown or not
    /// applicable.
    pub summary: String,
    /// The history indices that prove the verdict (empty when valid).
    #[serde(default)]
    pub evidence: Vec<u64>,
    /// Checker-specific figures and detail, as JSON (liveness numbers, a partial linearization).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl CheckResult {
    /// A valid result with a short summary.
    pub fn valid(checker: impl Into<Subject>, summary: impl Into<String>) -> CheckResult {
        CheckResult::new(checker, Verdict::Valid, summary, Vec::new())
    }

    /// An invalid result with its witness sentence and the indices that prove it.
    pub fn invalid(
        checker: impl Into<Subject>,
        summary: impl Into<String>,
        evidence: Vec<u64>,
    ) -> CheckResult {
        CheckResult::new(checker, Verdict::Invalid, summary, evidence)
    }

    /// An unknown result, saying why.
    pub fn unknown(checker: impl Into<Subject>, why: impl Into<String>) -> CheckResult {
        CheckResult::new(checker, Verdict::Unknown, why, Vec::new())
    }

    /// A not-applicable result, saying why the property cannot be judged on this history.
    pub fn not_applicable(checker: impl Into<Subject>, why: impl Into<String>) -> CheckResult {
        CheckResult::new(checker, Verdict::NotApplicable, why, Vec::new())
    }

    fn new(
        checker: impl Into<Subject>,
        verdict: Verdict,
        summary: impl Into<String>,
        evidence: Vec<u64>,
    ) -> CheckResult {
        CheckResult {
            checker: checker.into(),
            verdict,
            summary: summary.into(),
            evidence,
            details: serde_json::Value::Null,
        }
    }

    /// The same result with checker-specific detail attached.
    pub fn with_details(mut self, details: serde_json::Value) -> CheckResult {
        self.details = details;
        self
    }
}

/// The merged verdict of several results: not-applicable ones left out, invalid > unknown >
/// valid over the rest, unknown when none is left (nothing was judged).
pub fn merge_all<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Verdict {
    match results.into_iter().fold(Verdict::NotApplicable, |v, r| v.merge(r.verdict)) {
        Verdict::NotApplicable => Verdict::Unknown,
        v => v,
    }
}
