//! The liveness figures, read out of the `liveness` checker's details for the report and the
//! terminal: elections, failover p50/p99/max, time without a leader, write availability.
//!
//! Neighbours: the fields are the ones checkers/src/liveness.rs documents as stable; the
//! report ([`crate::report`]) and the summary ([`crate::terminal`]) show [`Figures`].
//!
//! Design: every field is optional here, so details of an older or newer checker still read
//! (a missing figure shows as "—"); p99 is not among the checker's figures, so it is computed
//! from its list of failovers (nearest rank).

use serde::Deserialize;
use serde_json::Value;

/// One failover: a fault named the leader `from`, then `to` was elected, `ns` later.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Failover {
    /// The leader the fault removed.
    pub from: String,
    /// The node elected next.
    pub to: String,
    /// Index of the fault record.
    pub fault: Option<u64>,
    /// Index of the `elected` report.
    pub elected: Option<u64>,
    /// Nanoseconds between them.
    pub ns: u64,
}

/// Counts of client writes by outcome.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Writes {
    /// Invocations.
    pub invoked: u64,
    /// `ok` completions.
    pub ok: u64,
    /// `fail` completions.
    pub fail: u64,
    /// `info` completions and invocations never completed.
    pub info: u64,
}

/// Count, median and max of the failover times.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FailoverSummary {
    /// How many failovers.
    pub count: u64,
    /// Their median.
    pub median: Option<u64>,
    /// The longest.
    pub max: Option<u64>,
}

/// The liveness checker's details.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Figures {
    /// Number of `elected` reports.
    pub elections: Option<u64>,
    /// Time of the first `elected` report.
    pub first_election_ns: Option<u64>,
    /// Every failover.
    pub failovers: Vec<Failover>,
    /// Count, median, max of failover times.
    pub failover_ns: FailoverSummary,
    /// Leaders removed and never replaced: `{from, fault, ns}`.
    pub unfinished_failovers: Vec<Value>,
    /// Total time no node believed it led.
    pub no_leader_ns: Option<u64>,
    /// Time of the last record.
    pub history_ns: Option<u64>,
    /// Client writes by outcome.
    pub writes: Option<Writes>,
    /// `ok / invoked` over client writes.
    pub write_success_share: Option<f64>,
}

impl Figures {
    /// Reads the figures out of the details; `None` when they are not an object of that shape.
    pub fn from_details(details: &Value) -> Option<Figures> {
        details.is_object().then(|| serde_json::from_value(details.clone()).ok()).flatten()
    }

    /// The failover time at quantile `q` (nearest rank) over the listed failovers.
    pub fn failover_quantile(&self, q: f64) -> Option<u64> {
        let mut ns: Vec<u64> = self.failovers.iter().map(|f| f.ns).collect();
        ns.sort_unstable();
        let rank = ((q * ns.len() as f64).ceil() as usize).clamp(1, ns.len().max(1));
        ns.get(rank - 1).copied()
    }

    /// The median failover: the checker's own, else computed from the list.
    pub fn failover_p50(&self) -> Option<u64> {
        self.failover_ns.median.or_else(|| self.failover_quantile(0.5))
    }

    /// The longest failover.
    pub fn failover_max(&self) -> Option<u64> {
        self.failover_ns.max.or_else(|| self.failovers.iter().map(|f| f.ns).max())
    }

    /// The share of the run without a leader.
    pub fn no_leader_share(&self) -> Option<f64> {
        let (none, total) = (self.no_leader_ns?, self.history_ns?);
        (total > 0).then(|| none as f64 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn figures_read_the_checkers_details_and_compute_p99() {
        let failovers: Vec<Value> = (1..=100)
            .map(
                |i| json!({"from": "n1", "to": "n2", "fault": i, "elected": i + 1, "ns": i * 1000}),
            )
            .collect();
        let details = json!({
            "elections": 101, "leaders": ["n1", "n2"], "failovers": failovers,
            "failover_ns": {"count": 100, "median": 50_000, "max": 100_000},
            "no_leader_ns": 5, "history_ns": 20, "write_success_share": 0.9,
            "writes": {"invoked": 10, "ok": 9, "fail": 1, "info": 0}, "unknown_future_field": 1
        });
        let f = Figures::from_details(&details).expect("figures");
        assert_eq!(f.elections, Some(101));
        assert_eq!(f.failover_p50(), Some(50_000));
        assert_eq!(f.failover_quantile(0.99), Some(99_000));
        assert_eq!(f.failover_max(), Some(100_000));
        assert_eq!(f.no_leader_share(), Some(0.25));
        assert_eq!(Figures::from_details(&json!(null)), None);
        assert_eq!(Figures::from_details(&json!({})).map(|f| f.elections), Some(None));
    }
}
