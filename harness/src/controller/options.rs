//! The options of a run as the controller resolved them ([`Plan`]): checked, defaults filled
//! in, the seed drawn. Also the exact command that reproduces a run, and the options as JSON for
//! results.json (which `analyze` reads back for the checkers' parameters).
//!
//! Neighbours: `cmd::test` builds a [`Plan`] from its arguments before entering the sandbox;
//! [`super::lifecycle`] runs it; [`super::judge`] reads the checker parameters.

use super::nemesis::aim::Scope;
use super::nemesis::FaultKind;
use serde_json::{json, Value};
use splitbrain_targets::bugs::Bug;
use splitbrain_targets::launch::{LayoutOptions, NodeTiming, Target};
use splitbrain_targets::resource::Mode;
use std::path::PathBuf;
use std::time::Duration;

/// Everything one `splitbrain test` run does.
#[derive(Clone)]
pub struct Plan {
    /// The system under test.
    pub target: &'static dyn Target,
    /// Number of nodes.
    pub nodes: usize,
    /// The fault kinds the nemesis chooses from (empty: none).
    pub faults: Vec<FaultKind>,
    /// Time between a fault's start and end, and between an end and the next start.
    pub interval: Duration,
    /// Client workers.
    pub concurrency: usize,
    /// Mean client operations per second over all workers.
    pub rate: f64,
    /// How long clients and nemesis run.
    pub time_limit: Duration,
    /// The seed of every random choice.
    pub seed: u64,
    /// The store folder.
    pub store: PathBuf,
    /// The test's name: the store's folder for its runs.
    pub name: String,
    /// The planted bug, if any.
    pub bug: Option<Bug>,
    /// The fenced resource's mode.
    pub resource: Mode,
    /// Runs to do, stopping at the first that is not valid.
    pub test_count: u32,
    /// Time the cluster is given after the final heal before its status is asked.
    pub settle: Duration,
    /// How long after settling some node must lead (convergence's bound).
    pub bound: Duration,
    /// How long to wait for the first leader before calling it a finding.
    pub leader_timeout: Duration,
    /// Longest acceptable failover (liveness gives a verdict only with it).
    pub max_failover: Option<Duration>,
    /// The candidates' timing.
    pub timing: NodeTiming,
    /// Third-party targets: where candidates run, their lease (`None`: the target's), and
    /// whether the servers persist.
    pub layout: LayoutOptions,
    /// Which nodes pause, kill and loss faults aim at.
    pub aim: Scope,
    /// The exact run folder (a drill's `runs/<scenario>/<seed>/`); `None`: a new timestamped
    /// folder of the test in the store.
    pub run_folder: Option<PathBuf>,
}

impl Plan {
    /// The same plan for the `i`-th of `--test-count` runs: seed + i, and one run.
    pub fn nth(&self, i: u32) -> Plan {
        Plan { seed: self.seed.wrapping_add(u64::from(i)), test_count: 1, ..self.clone() }
    }

    /// The command that runs exactly this plan again.
    pub fn command(&self) -> Vec<String> {
        let t = &self.timing;
        let mut c: Vec<String> = vec!["splitbrain".into(), "test".into()];
        let mut opt = |k: &str, v: String| c.extend([format!("--{k}"), v]);
        opt("target", self.target.argument());
        opt("nodes", self.nodes.to_string());
        opt("nemesis", self.nemesis_text());
        opt("nemesis-interval", secs(self.interval));
        opt("concurrency", self.concurrency.to_string());
        opt("rate", self.rate.to_string());
        opt("time-limit", secs(self.time_limit));
        opt("seed", self.seed.to_string());
        opt("store", self.store.display().to_string());
        opt("name", self.name.clone());
        if let Some(b) = self.bug {
            opt("bug", b.name().into());
        }
        opt("resource", self.resource.to_string());
        opt("settle", secs(self.settle));
        opt("convergence-bound", secs(self.bound));
        opt("leader-timeout", secs(self.leader_timeout));
        if let Some(m) = self.max_failover {
            opt("max-failover", secs(m));
        }
        opt("election-timeout-ms", format!("{}-{}", t.election_ms.0, t.election_ms.1));
        opt("heartbeat-ms", t.heartbeat_ms.to_string());
        opt("work-interval-ms", t.work_interval_ms.to_string());
        opt("resource-timeout-ms", t.resource_timeout_ms.to_string());
        opt("confirm-timeout-ms", t.confirm_timeout_ms.to_string());
        if let Some(lease) = self.layout.lease {
            opt("lease", secs(lease));
        }
        if let Some(p) = self.layout.placement {
            opt("candidates", p.name().into());
        }
        if self.aim != Scope::Any {
            opt("aim", self.aim.name().into());
        }
        if self.layout.durable {
            c.push("--durable".into());
        }
        c
    }

    /// `partition,pause,kill`, or `none`.
    pub fn nemesis_text(&self) -> String {
        match self.faults.is_empty() {
            true => "none".into(),
            false => self.faults.iter().map(|k| k.name()).collect::<Vec<_>>().join(","),
        }
    }

    /// The options as results.json keeps them.
    pub fn to_json(&self) -> Value {
        let t = &self.timing;
        json!({
            "target": self.target.name(),
            "nodes": self.nodes,
            "nemesis": self.faults.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "nemesis_interval_s": self.interval.as_secs_f64(),
            "concurrency": self.concurrency,
            "rate": self.rate,
            "time_limit_s": self.time_limit.as_secs_f64(),
            "bug": self.bug.map(Bug::name),
            "resource": self.resource.to_string(),
            "settle_s": self.settle.as_secs_f64(),
            "convergence_bound_s": self.bound.as_secs_f64(),
            "leader_timeout_s": self.leader_timeout.as_secs_f64(),
            "max_failover_s": self.max_failover.map(|d| d.as_secs_f64()),
            "timing": {
                "election_ms": [t.election_ms.0, t.election_ms.1],
                "heartbeat_ms": t.heartbeat_ms,
                "work_interval_ms": t.work_interval_ms,
                "resource_timeout_ms": t.resource_timeout_ms,
                "confirm_timeout_ms": t.confirm_timeout_ms,
            },
            "lease_s": self.layout.lease.map(|d| d.as_secs_f64()),
            "candidates": self.layout.placement.map(|p| p.name()),
            "durable": self.layout.durable,
            "aim": self.aim.name(),
        })
    }
}

/// `5s`, `0.5s`.
fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// The default test name: the target, the bug, an open resource, the faults
/// (`raft-partition-pause-kill`, `raft-forget-vote-kill`, `raft-open-pause`).
pub fn default_name(target: &str, bug: Option<Bug>, open: bool, faults: &[FaultKind]) -> String {
    let mut parts = vec![target.to_string()];
    parts.extend(bug.map(|b| b.name().to_string()));
    if open {
        parts.push("open".into());
    }
    match faults.is_empty() {
        true => parts.push("no-faults".into()),
        false => parts.extend(faults.iter().map(|k| k.name().to_string())),
    }
    parts.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_says_target_bug_and_faults() {
        let f = [FaultKind::Partition, FaultKind::Kill];
        assert_eq!(default_name("raft", None, false, &f), "raft-partition-kill");
        assert_eq!(
            default_name("raft", Some(Bug::ForgetVote), false, &[]),
            "raft-forget-vote-no-faults"
        );
        assert_eq!(default_name("raft", None, true, &f[..1]), "raft-open-partition");
    }
}
