//! A run's history as its reports need it, in bounded memory: a [`Digest`] holds the records
//! the report, JUnit and the terminal show (all of them for a short run; for a long one, a
//! sample that says what it sampled), and [`tally`] counts the figures of results.json as
//! the records stream by.
//!
//! Neighbours: the harness judges a run in passes over its history.jsonl: the checkers with a
//! [`tally::Tally`] beside them, then [`Digest::read`]; [`crate::output`] and
//! [`crate::report`] render a digest; [`sampler`] decides what a long one keeps.
//!
//! Design: a short run (up to [`sampler::SAMPLE_OPS`] client operations) keeps every record,
//! so its report is exactly what the whole history gives. A long one is read twice more:
//! once for the times of the checks' evidence (the witnesses), once for the sample; each
//! pass holds one block of records plus what it keeps, never the whole file.

pub mod sampler;
pub mod tally;

use crate::evidence;
use crate::report::excerpt::{CONTEXT, MAX_EVIDENCE};
use crate::report::model::MAX_MARKS;
use hdrhistogram::Histogram;
use sampler::{Sampler, NEAR_FAULT_NS, NEAR_WITNESS_NS};
use splitbrain_checkers::reader::{self, ReadError};
use splitbrain_checkers::{CheckResult, History, Verdict};
use std::collections::BTreeSet;
use std::path::Path;
use tally::Outline;

/// The records a run's reports show.
#[derive(Debug, Clone, Default)]
pub struct Digest {
    /// The records kept, in file order (with the reader's warnings).
    pub kept: History,
    /// What was left out, when anything was.
    pub sampling: Option<Sampling>,
}

/// What a sampled digest shows of the whole.
#[derive(Debug, Clone)]
pub struct Sampling {
    /// Client operations shown, of all.
    pub ops: (u64, u64),
    /// Resource accepts shown, of all.
    pub accepts: (u64, u64),
    /// True when the checks named any witness (evidence the timeline marks).
    pub witnesses: bool,
    /// True when every operation near a witness is among those shown.
    pub witnesses_complete: bool,
    /// True when every operation near a fault's start or end is among those shown.
    pub faults_complete: bool,
    /// Operations kept around each fault, at most (when not complete).
    pub per_fault: u64,
    /// Every `ok` operation's latency (µs): the histogram is drawn from all of them.
    pub latency_ok: Histogram<u64>,
}

impl Sampling {
    /// The sentence a report shows where it plots the sample.
    pub fn sentence(&self) -> String {
        let near_witness = match (self.witnesses, self.witnesses_complete) {
            (false, _) => String::new(),
            (true, true) => {
                format!("every operation within {} s of a witness and ", secs(NEAR_WITNESS_NS))
            }
            (true, false) => {
                format!(
                    "the first {} operations near witnesses and ",
                    thousands(sampler::WITNESS_OPS)
                )
            }
        };
        let near_fault = match self.faults_complete {
            true => format!(
                "every operation within {} s of a fault's start or end",
                secs(NEAR_FAULT_NS)
            ),
            false => format!(
                "up to {} operations around each fault's start or end",
                thousands(self.per_fault)
            ),
        };
        format!(
            "Showing {} of {} client operations, sampled evenly, and {} of {} resource accepts; \
             besides, {near_witness}{near_fault} are shown. Counts, quantiles and the \
             histogram are over every operation; the whole history is history.jsonl.",
            thousands(self.ops.1),
            thousands(self.ops.0),
            thousands(self.accepts.1),
            thousands(self.accepts.0),
        )
    }
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// `1512334` as `1,512,334`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Digest {
    /// A history held whole: nothing sampled.
    pub fn whole(history: History) -> Digest {
        Digest { kept: history, sampling: None }
    }

    /// The digest of the history file at `path`, of this `outline` (counted as the checkers
    /// read it), judged by `checks`: every record when the run is short, else a sample.
    pub fn read(
        path: &Path,
        checks: &[CheckResult],
        outline: &Outline,
    ) -> Result<Digest, ReadError> {
        if Sampler::keeps_all(outline) {
            return reader::read_path(path).map(Digest::whole);
        }
        let witnesses = witness_times(path, checks)?;
        let mut sampler = Sampler::new(outline, context(checks), &witnesses);
        let mut records = Vec::new();
        let read = reader::for_each(path, |r| {
            if sampler.keep(r) {
                records.push(r.clone());
            }
        })?;
        let sampling = Sampling {
            ops: sampler.ops,
            accepts: sampler.accepts,
            witnesses: !witnesses.is_empty(),
            witnesses_complete: !sampler.witnesses.cut,
            faults_complete: !sampler.faults.cut,
            per_fault: sampler.faults.per_span(),
            latency_ok: outline.latency_ok.clone(),
        };
        Ok(Digest { kept: History { records, warnings: read.warnings }, sampling: Some(sampling) })
    }
}

/// Only the records the checks' evidence names, with the lines around it: what JUnit quotes
/// of a run judged before. Not read at all when no check quotes any.
pub fn quoted(path: &Path, checks: &[CheckResult]) -> Result<History, ReadError> {
    let wanted = context(checks);
    let mut records = Vec::new();
    if wanted.is_empty() {
        return Ok(History::default());
    }
    let read = reader::for_each(path, |r| {
        if wanted.contains(&r.index) {
            records.push(r.clone());
        }
    })?;
    Ok(History { records, warnings: read.warnings })
}

/// The checks that quote evidence: invalid and unknown ones.
fn quoting(checks: &[CheckResult]) -> impl Iterator<Item = &CheckResult> {
    checks.iter().filter(|c| matches!(c.verdict, Verdict::Invalid | Verdict::Unknown))
}

/// The indices every renderer may quote: each check's evidence, most telling first, with the
/// lines around it.
fn context(checks: &[CheckResult]) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for c in quoting(checks) {
        for &i in evidence::ordered(c).iter().take(MAX_EVIDENCE) {
            out.extend(i.saturating_sub(CONTEXT)..=i.saturating_add(CONTEXT));
        }
    }
    out
}

/// The times of the witnesses (the evidence the timeline marks), ascending: one pass over the
/// file, skipped when there are none.
fn witness_times(path: &Path, checks: &[CheckResult]) -> Result<Vec<u64>, ReadError> {
    let wanted: BTreeSet<u64> =
        quoting(checks).flat_map(|c| evidence::ordered(c).into_iter().take(MAX_MARKS)).collect();
    let mut times = Vec::new();
    if !wanted.is_empty() {
        reader::for_each(path, |r| {
            if wanted.contains(&r.index) {
                times.push(r.time);
            }
        })?;
    }
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_says_what_was_shown_and_names_witnesses_only_when_there_were_some() {
        let mut s = Sampling {
            ops: (1_512_334, 20_000),
            accepts: (300_000, 10_000),
            witnesses: false,
            witnesses_complete: true,
            faults_complete: false,
            per_fault: 14,
            latency_ok: crate::ops::new_histogram(),
        };
        let text = s.sentence();
        assert!(text.starts_with("Showing 20,000 of 1,512,334 client operations, sampled evenly"));
        assert!(text.contains("up to 14 operations around each fault's start or end"), "{text}");
        assert!(!text.contains("witness"), "{text}");
        s.witnesses = true;
        assert!(s.sentence().contains("every operation within 1 s of a witness and up to 14"));
    }

    #[test]
    fn big_numbers_are_grouped_in_thousands() {
        assert_eq!(thousands(1_512_334), "1,512,334");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(999), "999");
    }
}
