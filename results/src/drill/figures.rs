//! The figures a drill follows across nights, per scenario: failover p50 and p99, the longest
//! time without a leader, write availability; and the bounds a scenario may set on them.
//!
//! Neighbours: [`super::record`] keeps them in drill.json; [`super::trend`] compares them with
//! earlier nights; the harness reads them out of each run's results.json through
//! [`ScenarioFigures::pool`].
//!
//! Design: a figure is a type ([`Figure`]), not a name string: its name in files, its unit, and
//! which way is worse live here once. A scenario's figures pool its seeds: failover quantiles
//! over every failover of every seed, the worst seed's time without a leader, and availability
//! as all writes that succeeded over all writes asked for.

use crate::liveness::Figures;
use serde::{Deserialize, Serialize};

/// One figure a drill follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Median failover, ms.
    FailoverP50Ms,
    /// 99th percentile failover (nearest rank), ms.
    FailoverP99Ms,
    /// The longest total time without a leader of any one seed, ms.
    LeaderlessMs,
    /// Client writes that succeeded over writes asked for, 0 to 1.
    Availability,
}

impl Figure {
    /// Every figure, in the order reports show them.
    pub const ALL: [Figure; 4] =
        [Figure::FailoverP50Ms, Figure::FailoverP99Ms, Figure::LeaderlessMs, Figure::Availability];

    /// The name in drill files and drill.json.
    pub fn name(self) -> &'static str {
        match self {
            Figure::FailoverP50Ms => "failover_p50_ms",
            Figure::FailoverP99Ms => "failover_p99_ms",
            Figure::LeaderlessMs => "leaderless_ms",
            Figure::Availability => "availability",
        }
    }

    /// The figure a name names.
    pub fn parse(name: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.name() == name)
    }

    /// A short label for one-line summaries.
    pub fn short(self) -> &'static str {
        match self {
            Figure::FailoverP50Ms => "p50",
            Figure::FailoverP99Ms => "p99",
            Figure::LeaderlessMs => "leaderless",
            Figure::Availability => "avail",
        }
    }

    /// True when a larger value is worse (times); false when smaller is (availability).
    pub fn higher_is_worse(self) -> bool {
        self != Figure::Availability
    }

    /// A value for a person: `412 ms`, `99.2 %`.
    pub fn show(self, value: f64) -> String {
        match self {
            Figure::Availability => format!("{:.1} %", value * 100.0),
            _ => format!("{value:.0} ms"),
        }
    }
}

/// A scenario's figures tonight; absent where nothing measured them (no failover happened).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioFigures {
    /// Median failover over every seed's failovers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_p50_ms: Option<f64>,
    /// p99 failover over every seed's failovers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_p99_ms: Option<f64>,
    /// The worst seed's total time without a leader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaderless_ms: Option<f64>,
    /// Writes ok over writes invoked, over every seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<f64>,
    /// How many failovers the quantiles are over.
    pub failovers: u64,
}

impl ScenarioFigures {
    /// The value of `figure`.
    pub fn get(&self, figure: Figure) -> Option<f64> {
        match figure {
            Figure::FailoverP50Ms => self.failover_p50_ms,
            Figure::FailoverP99Ms => self.failover_p99_ms,
            Figure::LeaderlessMs => self.leaderless_ms,
            Figure::Availability => self.availability,
        }
    }

    /// Pools the liveness figures of a scenario's seeds (see the module's design note).
    pub fn pool(seeds: &[Figures]) -> ScenarioFigures {
        let mut ns: Vec<u64> =
            seeds.iter().flat_map(|f| f.failovers.iter().map(|x| x.ns)).collect();
        ns.sort_unstable();
        let ms = |q: f64| quantile(&ns, q).map(|n| n as f64 / 1e6);
        let leaderless = seeds.iter().filter_map(|f| f.no_leader_ns).max();
        let writes: Vec<_> = seeds.iter().filter_map(|f| f.writes.as_ref()).collect();
        let invoked: u64 = writes.iter().map(|w| w.invoked).sum();
        let ok: u64 = writes.iter().map(|w| w.ok).sum();
        ScenarioFigures {
            failover_p50_ms: ms(0.5),
            failover_p99_ms: ms(0.99),
            leaderless_ms: leaderless.map(|n| n as f64 / 1e6),
            availability: (invoked > 0).then(|| ok as f64 / invoked as f64),
            failovers: ns.len() as u64,
        }
    }
}

/// Nearest-rank quantile of sorted values.
fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

/// A bound a scenario sets on one of its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundKind {
    /// `max_failover`: failover p99 at most this many ms.
    MaxFailover,
    /// `max_leaderless`: the worst seed's time without a leader at most this many ms.
    MaxLeaderless,
    /// `min_availability`: write availability at least this share.
    MinAvailability,
}

impl BoundKind {
    /// Every bound.
    pub const ALL: [BoundKind; 3] =
        [BoundKind::MaxFailover, BoundKind::MaxLeaderless, BoundKind::MinAvailability];

    /// The key in drill files.
    pub fn key(self) -> &'static str {
        match self {
            BoundKind::MaxFailover => "max_failover",
            BoundKind::MaxLeaderless => "max_leaderless",
            BoundKind::MinAvailability => "min_availability",
        }
    }

    /// The figure it bounds.
    pub fn figure(self) -> Figure {
        match self {
            BoundKind::MaxFailover => Figure::FailoverP99Ms,
            BoundKind::MaxLeaderless => Figure::LeaderlessMs,
            BoundKind::MinAvailability => Figure::Availability,
        }
    }

    /// Whether `value` keeps within `limit`.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self.figure().higher_is_worse() {
            true => value <= limit,
            false => value >= limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liveness::{Failover, Writes};

    fn seed(failover_ms: &[u64], no_leader_ms: u64, ok: u64, invoked: u64) -> Figures {
        let failovers = failover_ms
            .iter()
            .map(|ms| Failover { ns: ms * 1_000_000, ..Failover::default() })
            .collect();
        Figures {
            failovers,
            no_leader_ns: Some(no_leader_ms * 1_000_000),
            writes: Some(Writes { invoked, ok, ..Writes::default() }),
            ..Figures::default()
        }
    }

    #[test]
    fn seeds_pool_failovers_take_the_worst_leaderless_and_sum_writes() {
        let f =
            ScenarioFigures::pool(&[seed(&[100, 300], 900, 90, 100), seed(&[200], 400, 50, 100)]);
        assert_eq!(f.failover_p50_ms, Some(200.0));
        assert_eq!(f.failover_p99_ms, Some(300.0));
        assert_eq!(f.leaderless_ms, Some(900.0));
        assert_eq!(f.availability, Some(0.7));
        assert_eq!(f.failovers, 3);
    }

    #[test]
    fn no_failover_leaves_the_failover_figures_unmeasured() {
        let f = ScenarioFigures::pool(&[seed(&[], 0, 0, 0)]);
        assert_eq!((f.failover_p99_ms, f.availability), (None, None));
        assert_eq!(f.leaderless_ms, Some(0.0));
    }

    #[test]
    fn bounds_hold_in_the_direction_of_their_figure() {
        assert!(BoundKind::MaxFailover.holds(500.0, 500.0));
        assert!(!BoundKind::MaxFailover.holds(501.0, 500.0));
        assert!(BoundKind::MinAvailability.holds(0.99, 0.95));
        assert!(!BoundKind::MinAvailability.holds(0.9, 0.95));
    }
}
