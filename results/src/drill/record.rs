//! `drill.json`: one night of a drill, everything its reports and the next nights' trends need.
//!
//! Neighbours: the harness builds a [`DrillRecord`] as scenarios finish; [`super::html`] and
//! [`super::junit`] render it; [`super::nights`] reads earlier ones back for trends and for
//! `serve`.
//!
//! Design: a scenario's expectation, its seeds' verdicts, its bounds and its trends are kept
//! apart, each with its own verdict, so a report can say exactly which failed; whether the
//! scenario met its expectation is derived from them in one place ([`ScenarioRecord::settle`]).
//! Unknown fields are ignored on reading, so older nights still read.

use super::figures::{BoundKind, ScenarioFigures};
use super::trend::{Trend, TrendRules, TrendState};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use splitbrain_checkers::{Subject, Verdict};

/// The shape version this code writes.
pub const FORMAT: u32 = 1;

/// What a scenario must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Every seed valid.
    Valid,
    /// At least one seed invalid (a planted bug or a known finding is still caught).
    Invalid,
}

impl Expect {
    /// `valid` or `invalid`.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Valid => "valid",
            Expect::Invalid => "invalid",
        }
    }

    /// Whether the seeds' verdicts meet it; an unknown seed never meets `valid`.
    pub fn met_by(self, verdicts: &[Verdict]) -> bool {
        match self {
            Expect::Valid => !verdicts.is_empty() && verdicts.iter().all(|v| *v == Verdict::Valid),
            Expect::Invalid => verdicts.contains(&Verdict::Invalid),
        }
    }
}

/// The night as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every scenario met its expectation and no figure regressed (exit 0).
    Passed,
    /// Some scenario did not, or a figure regressed (exit 1).
    Failed,
    /// Nothing could be judged: every scenario unknown or not run (exit 2).
    Unknown,
}

impl Outcome {
    /// `passed`, `failed`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }

    /// The exit status of the drill.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::Unknown => 2,
        }
    }
}

/// One seed of a scenario: one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRecord {
    /// The seed.
    pub seed: u64,
    /// The run's verdict; `unknown` when it could not start.
    pub verdict: Verdict,
    /// The run folder, relative to the night's folder (`runs/<scenario>/<seed>`).
    pub run: String,
    /// Why it failed to start or was cut short, if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One checker over a scenario's seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    /// The checker (or the run itself, when it could not start).
    pub checker: Subject,
    /// Its verdicts merged over the seeds.
    pub verdict: Verdict,
    /// The summary of the seed that decided the merge, prefixed with the seed.
    pub summary: String,
}

/// A bound a scenario set, tonight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundRecord {
    /// Which bound.
    pub bound: BoundKind,
    /// Its limit (ms, or a share for availability).
    pub limit: f64,
    /// The figure tonight, if measured.
    pub value: Option<f64>,
    /// valid: within; invalid: past it; unknown: not measured.
    pub verdict: Verdict,
}

impl BoundRecord {
    /// The bound judged against tonight's figures.
    pub fn judge(bound: BoundKind, limit: f64, figures: &ScenarioFigures) -> BoundRecord {
        let value = figures.get(bound.figure());
        let verdict = match value {
            None => Verdict::Unknown,
            Some(v) if bound.holds(v, limit) => Verdict::Valid,
            Some(_) => Verdict::Invalid,
        };
        BoundRecord { bound, limit, value, verdict }
    }

    /// `max_failover 500 ms: failover_p99_ms was 812 ms`.
    pub fn sentence(&self) -> String {
        let f = self.bound.figure();
        let got = self.value.map_or("not measured (no failover happened)".into(), |v| f.show(v));
        format!("{} {}: {} was {got}", self.bound.key(), f.show(self.limit), f.name())
    }
}

/// One scenario of the night.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRecord {
    /// Its unique name in the drill file (trends join on it).
    pub name: String,
    /// A hash of its resolved options (seeds aside): a change starts a new trend.
    pub options_hash: String,
    /// Its resolved options, as results.json keeps a run's.
    pub options: Value,
    /// The command that runs its first seed again.
    pub command: String,
    /// What it must give.
    pub expect: Expect,
    /// The seeds' verdicts merged (`None`: it did not run).
    pub got: Option<Verdict>,
    /// Whether it met its expectation, its bounds and its trends.
    pub met: bool,
    /// Why not, one sentence each.
    #[serde(default)]
    pub why: Vec<String>,
    /// Its seeds, in the order they ran.
    pub seeds: Vec<SeedRecord>,
    /// Every checker over the seeds.
    #[serde(default)]
    pub checks: Vec<CheckRecord>,
    /// Its figures tonight.
    pub figures: ScenarioFigures,
    /// Its bounds tonight.
    #[serde(default)]
    pub bounds: Vec<BoundRecord>,
    /// Every figure's trend.
    #[serde(default)]
    pub trends: Vec<Trend>,
    /// Whether its trends gate (only scenarios expected valid: a planted bug's figures are
    /// not the system's).
    pub gated: bool,
}

impl ScenarioRecord {
    /// Decides `got`, `met` and `why` from the seeds, bounds and trends.
    pub fn settle(&mut self) {
        let verdicts: Vec<Verdict> = self.seeds.iter().map(|s| s.verdict).collect();
        self.got = (!verdicts.is_empty())
            .then(|| verdicts.iter().fold(Verdict::NotApplicable, |a, v| a.merge(*v)));
        self.why.clear();
        if verdicts.is_empty() {
            self.why.push("not run (the drill was interrupted)".into());
        } else if !self.expect.met_by(&verdicts) {
            self.why.push(self.expectation_sentence(&verdicts));
        }
        let bounds = self.bounds.iter().filter(|b| b.verdict != Verdict::Valid);
        self.why.extend(bounds.map(BoundRecord::sentence));
        if self.gated {
            let regressed = self.trends.iter().filter(|t| t.state == TrendState::Regressed);
            self.why.extend(regressed.map(|t| format!("regression: {}", t.sentence())));
        }
        self.met = self.why.is_empty();
    }

    fn expectation_sentence(&self, verdicts: &[Verdict]) -> String {
        let list: Vec<String> =
            self.seeds.iter().map(|s| format!("seed {} {}", s.seed, s.verdict)).collect();
        let what = match (self.expect, verdicts.iter().all(|v| *v == Verdict::Unknown)) {
            (Expect::Invalid, false) => "not caught by any seed",
            (_, true) => "nothing could be judged",
            (Expect::Valid, false) => "not every seed was valid",
        };
        format!("expected {}, {what}: {}", self.expect.name(), list.join(", "))
    }

    /// Whether nothing in it could be judged (not run, or every seed unknown).
    pub fn unjudged(&self) -> bool {
        self.seeds.iter().all(|s| s.verdict == Verdict::Unknown)
    }
}

/// One night of a drill: drill.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillRecord {
    /// The shape version ([`FORMAT`]).
    pub format: u32,
    /// The drill's name (its folder under `drills/`).
    pub drill: String,
    /// The drill file as given.
    pub file: String,
    /// The night's folder stamp.
    pub night: String,
    /// When it started and ended (RFC 3339 UTC).
    pub started: String,
    /// When it ended (absent while it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// The drill's seed: the first seed of every scenario that names none.
    pub seed: u64,
    /// True when a signal cut it short.
    pub interrupted: bool,
    /// The night's result.
    pub outcome: Outcome,
    /// The trend rules it was judged by.
    pub trends: TrendRules,
    /// Its scenarios, in the file's order.
    pub scenarios: Vec<ScenarioRecord>,
}

impl DrillRecord {
    /// Decides the outcome from the scenarios (each settled first).
    pub fn settle(&mut self) {
        for s in &mut self.scenarios {
            s.settle();
        }
        self.outcome = match self.scenarios.iter().all(ScenarioRecord::unjudged) {
            true => Outcome::Unknown,
            false if self.scenarios.iter().all(|s| s.met) => Outcome::Passed,
            false => Outcome::Failed,
        };
    }

    /// drill.json's text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a drill record serializes") + "\n"
    }

    /// Reads drill.json's text.
    pub fn from_json(text: &str) -> serde_json::Result<DrillRecord> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_is_met_by_one_invalid_seed_and_unknown_meets_nothing() {
        use Verdict::{Invalid, Unknown, Valid};
        assert!(Expect::Invalid.met_by(&[Valid, Invalid, Valid]));
        assert!(!Expect::Invalid.met_by(&[Valid, Unknown]));
        assert!(Expect::Valid.met_by(&[Valid, Valid]));
        assert!(!Expect::Valid.met_by(&[Valid, Unknown]));
        assert!(!Expect::Valid.met_by(&[]));
    }

    #[test]
    fn an_unmeasured_bound_is_unknown_and_a_crossed_one_names_its_figure() {
        let f = ScenarioFigures { failover_p99_ms: Some(812.0), ..ScenarioFigures::default() };
        let b = BoundRecord::judge(BoundKind::MaxFailover, 500.0, &f);
        assert_eq!(b.verdict, Verdict::Invalid);
        assert_eq!(b.sentence(), "max_failover 500 ms: failover_p99_ms was 812 ms");
        let b = BoundRecord::judge(BoundKind::MinAvailability, 0.9, &f);
        assert_eq!(b.verdict, Verdict::Unknown);
    }
}
