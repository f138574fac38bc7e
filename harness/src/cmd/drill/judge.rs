//! A scenario's record from its runs: each seed's verdict, the checkers merged over the seeds,
//! the pooled figures, the bounds, and every figure's trend against the earlier nights.
//!
//! Neighbours: [`super::night`] calls [`scenario`] after a scenario's last seed (and for the
//! ones a Ctrl-C left unrun); the record types and the trend math are
//! `splitbrain_results::drill`.

use super::scenario::Planned;
use splitbrain_checkers::Verdict;
use splitbrain_results::drill::nights::earlier_values;
use splitbrain_results::drill::record::{BoundRecord, CheckRecord};
use splitbrain_results::drill::{trend, DrillRecord, Expect, Figure, ScenarioFigures};
use splitbrain_results::drill::{ScenarioRecord, SeedRecord, TrendRules};
use splitbrain_results::liveness::Figures;
use splitbrain_results::RunResults;

/// One run of a scenario as it ended: its record, and its results when it wrote them.
pub struct SeedRun {
    /// What drill.json keeps of it.
    pub record: SeedRecord,
    /// Its results.json.
    pub results: Option<RunResults>,
}

/// The scenario's record, settled (got, met, why).
pub fn scenario(
    p: &Planned,
    runs: &[SeedRun],
    earlier: &[DrillRecord],
    rules: &TrendRules,
) -> ScenarioRecord {
    let options = p.plan.to_json();
    let hash = options_hash(&options);
    let results: Vec<&RunResults> = runs.iter().filter_map(|r| r.results.as_ref()).collect();
    let liveness: Vec<Figures> = results
        .iter()
        .filter_map(|r| r.liveness.as_ref().and_then(Figures::from_details))
        .collect();
    let figures = ScenarioFigures::pool(&liveness);
    let bounds = p.spec.bounds.iter().map(|(b, l)| BoundRecord::judge(*b, *l, &figures)).collect();
    let trends = Figure::ALL
        .into_iter()
        .map(|f| {
            trend::judge(f, figures.get(f), &earlier_values(earlier, &p.spec.name, &hash, f), rules)
        })
        .collect();
    let mut record = ScenarioRecord {
        name: p.spec.name.clone(),
        options_hash: hash,
        options,
        command: p.for_seed(p.seeds[0]).command().join(" "),
        expect: p.spec.expect,
        got: None,
        met: false,
        why: Vec::new(),
        seeds: runs.iter().map(|r| r.record.clone()).collect(),
        checks: checks(runs),
        figures,
        bounds,
        trends,
        gated: p.spec.expect == Expect::Valid,
    };
    record.settle();
    record
}

/// Each checker merged over the seeds, with the summary of the seed that decided it.
fn checks(runs: &[SeedRun]) -> Vec<CheckRecord> {
    let mut out: Vec<CheckRecord> = Vec::new();
    for run in runs {
        let Some(results) = &run.results else { continue };
        for c in &results.checks {
            let summary = format!("seed {}: {}", run.record.seed, c.summary);
            match out.iter_mut().find(|o| o.checker == c.checker) {
                None => out.push(CheckRecord {
                    checker: c.checker.clone(),
                    verdict: c.verdict,
                    summary,
                }),
                Some(o) if worse(c.verdict, o.verdict) => {
                    o.verdict = c.verdict;
                    o.summary = summary;
                }
                Some(_) => {}
            }
        }
    }
    out
}

/// Whether `a` decides a merge over `b` (and so its summary is the one to show).
fn worse(a: Verdict, b: Verdict) -> bool {
    a != b && a.merge(b) == a
}

/// A stable hash of the resolved options (FNV-1a 64 over their JSON, whose keys are sorted):
/// the same options give the same hash on every machine and every version of Rust.
pub fn options_hash(options: &serde_json::Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in options.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_hash_is_stable_and_changes_with_the_options() {
        let a = serde_json::json!({"target": "raft", "nodes": 5});
        let b = serde_json::json!({"nodes": 5, "target": "raft"});
        assert_eq!(options_hash(&a), options_hash(&b));
        assert_eq!(options_hash(&a).len(), 16);
        assert_ne!(
            options_hash(&a),
            options_hash(&serde_json::json!({"target": "raft", "nodes": 3}))
        );
    }

    #[test]
    fn the_worst_verdict_decides_and_ties_keep_the_first() {
        assert!(worse(Verdict::Invalid, Verdict::Valid));
        assert!(worse(Verdict::Unknown, Verdict::Valid));
        assert!(!worse(Verdict::Valid, Verdict::Valid));
        assert!(!worse(Verdict::NotApplicable, Verdict::Valid));
    }
}
