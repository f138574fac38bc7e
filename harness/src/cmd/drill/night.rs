//! One night of a drill: every scenario's seeds run one after another in the sandbox, with a
//! progress line, and the night's files written again after each scenario (so a night cut
//! short, or killed, still has its record of what ran).
//!
//! Neighbours: `crate::controller::lifecycle` runs each seed as `test` would; [`super::judge`]
//! makes each scenario's record; [`super::output`] writes the files and the summary.
//!
//! Design: a Ctrl-C (or SIGTERM) is caught by the run in progress, which heals, stops and
//! judges what it recorded; the night then runs nothing more, and the scenarios left are
//! recorded as not run, which never meets an expectation.

use super::judge::{self, SeedRun};
use super::output;
use super::scenario::Planned;
use crate::controller::lifecycle;
use splitbrain_checkers::Verdict;
use splitbrain_nemesis::Sandbox;
use splitbrain_results::drill::{DrillRecord, SeedRecord};
use splitbrain_results::RunResults;
use splitbrain_targets::stop;
use std::path::Path;
use std::time::{Duration, Instant};

/// What a night needs beside its scenarios.
pub struct Night<'a> {
    /// The night's folder.
    pub dir: &'a Path,
    /// The record being filled (scenarios pushed as they finish).
    pub record: DrillRecord,
    /// The earlier nights of the drill, oldest first.
    pub earlier: Vec<DrillRecord>,
}

/// Time a run takes beyond its time limit (start-up, settling, checking), until measured.
const FIRST_GUESS: Duration = Duration::from_secs(5);

/// Runs every scenario; returns the night's record, settled.
pub fn run(sandbox: &Sandbox, planned: &[Planned], night: &mut Night<'_>) -> anyhow::Result<()> {
    let mut clock = Progress { overhead: FIRST_GUESS, runs: 0 };
    for (k, p) in planned.iter().enumerate() {
        let mut runs = Vec::new();
        for (i, seed) in p.seeds.iter().enumerate() {
            if stop::signalled() {
                break;
            }
            eprintln!("splitbrain drill: {}", clock.line(planned, k, i));
            let started = Instant::now();
            runs.push(one(sandbox, p, *seed, night.dir));
            clock.ran(started.elapsed(), p.plan.time_limit);
        }
        night.record.interrupted |= stop::signalled();
        let done = judge::scenario(p, &runs, &night.earlier, &night.record.trends);
        night.record.scenarios.push(done);
        night.record.settle();
        output::write(night.dir, &night.record)?;
    }
    Ok(())
}

/// One seed of a scenario.
fn one(sandbox: &Sandbox, p: &Planned, seed: u64, night: &Path) -> SeedRun {
    let plan = p.for_seed(seed);
    let folder = plan.run_folder.clone().unwrap_or_default();
    let rel = folder.strip_prefix(night).unwrap_or(&folder).display().to_string();
    let mut record = SeedRecord { seed, verdict: Verdict::Unknown, run: rel, note: None };
    let outcome = match lifecycle::run(sandbox, &plan) {
        Ok(o) => o,
        Err(e) => {
            record.note = Some(format!("the run failed: {}", crate::exit::one_line_chain(&e)));
            return SeedRun { record, results: None };
        }
    };
    let results = RunResults::read(&outcome.run.results()).ok();
    record.verdict = results.as_ref().map_or(Verdict::Unknown, |r| r.verdict);
    record.note = match (&outcome.failure, outcome.interrupted) {
        (Some(e), _) => Some(crate::exit::one_line_chain(e)),
        (None, true) => Some("interrupted by a signal: judged what was recorded".into()),
        (None, false) => None,
    };
    SeedRun { record, results }
}

/// The estimate of the time left.
struct Progress {
    overhead: Duration,
    runs: u32,
}

impl Progress {
    /// The mean time a run took beyond its time limit, so far.
    fn ran(&mut self, took: Duration, limit: Duration) {
        let extra = took.saturating_sub(limit);
        let n = self.runs;
        self.overhead = match n {
            0 => extra,
            _ => (self.overhead * n + extra) / (n + 1),
        };
        self.runs += 1;
    }

    /// `scenario 2/5 raft-partition, seed 8 (2 of 3), ~3 min 10 s left`.
    fn line(&self, planned: &[Planned], k: usize, i: usize) -> String {
        let p = &planned[k];
        let left_here = p.seeds.len() - i;
        let later = planned[k + 1..].iter().map(|q| (q.seeds.len(), q.plan.time_limit));
        let runs = std::iter::once((left_here, p.plan.time_limit)).chain(later);
        let left: Duration = runs.map(|(n, t)| (t + self.overhead) * n as u32).sum();
        format!(
            "scenario {}/{} {}, seed {} ({} of {}), ~{} left",
            k + 1,
            planned.len(),
            p.spec.name,
            p.seeds[i],
            i + 1,
            p.seeds.len(),
            human(left)
        )
    }
}

/// `45 s`, `3 min 10 s`, `1 h 5 min`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s / 60 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_the_units_a_person_uses() {
        assert_eq!(human(Duration::from_secs(45)), "45 s");
        assert_eq!(human(Duration::from_secs(190)), "3 min 10 s");
        assert_eq!(human(Duration::from_secs(3900)), "1 h 5 min");
    }

    #[test]
    fn the_overhead_is_the_mean_time_beyond_the_limit() {
        let mut p = Progress { overhead: FIRST_GUESS, runs: 0 };
        p.ran(Duration::from_secs(12), Duration::from_secs(10));
        p.ran(Duration::from_secs(14), Duration::from_secs(10));
        assert_eq!(p.overhead, Duration::from_secs(3));
    }
}
