//! What the run looks like so far, kept up to date from the records as they are written: the
//! nodes that believe they lead, the faults in force, operation and violation counts.
//!
//! Neighbours: the controller passes every [`Record`] that [`crate::writer::HistoryWriter`]
//! returns to [`LiveTracker::observe`], and shows [`LiveTracker::status`] through
//! [`crate::status::StatusLine`]; it may also ask [`LiveTracker::leader`] where a fault
//! targets "the leader". Faults are paired by [`crate::faults`], as in the report.
//!
//! Design: the violation count here is an early warning from two checks that cost O(1) per
//! record — a token claimed by two different nodes (election safety) and an accept under a
//! lower token than an earlier accept (fencing), each counted once per node and token. The verdict is the checkers' alone; this
//! count only tells a person watching that something is already wrong.

use crate::faults::FaultTracker;
use crate::status::Status;
use splitbrain_checkers::{Process, Record, Type};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The state of a run so far.
#[derive(Debug, Clone, Default)]
pub struct LiveTracker {
    faults: FaultTracker,
    /// Nodes that believe they lead: node → (token, the index of its `elected`).
    leading: HashMap<String, (Option<i64>, u64)>,
    last_elected: Option<String>,
    token_owner: HashMap<i64, String>,
    highest_accept: Option<i64>,
    /// (node, token) pairs already counted for writing below the highest accepted token.
    stale_writers: HashSet<(String, i64)>,
    ops: u64,
    violations: u64,
}

impl LiveTracker {
    /// A tracker for a cluster of these nodes.
    pub fn new(nodes: &[String]) -> LiveTracker {
        LiveTracker { faults: FaultTracker::new(nodes.iter().cloned()), ..LiveTracker::default() }
    }

    /// Takes the next record, in the order the writer wrote them.
    pub fn observe(&mut self, r: &Record) {
        self.faults.observe(r);
        match &r.process {
            Process::Node(n) if r.is(Type::Ok, "elected") => self.elected(n, r),
            Process::Node(n) if r.is(Type::Ok, "stepdown") => {
                self.leading.remove(n);
            }
            Process::Nemesis if r.f == "kill" => {
                let killed: Vec<String> = self
                    .faults
                    .open()
                    .filter(|f| f.kind == "kill")
                    .flat_map(|f| f.nodes.clone())
                    .collect();
                killed.iter().for_each(|n| {
                    self.leading.remove(n);
                });
            }
            Process::Resource if r.is(Type::Ok, "accept") => self.accepted(r),
            Process::Client(_) if r.kind != Type::Invoke => {
                self.ops += 1;
                if let (Type::Ok, Some(t), Some(l)) = (r.kind, r.token(), r.leader()) {
                    self.claim(t, l);
                }
            }
            _ => {}
        }
    }

    fn elected(&mut self, node: &str, r: &Record) {
        self.leading.insert(node.to_string(), (r.token(), r.index));
        self.last_elected = Some(node.to_string());
        if let Some(t) = r.token() {
            self.claim(t, node);
        }
    }

    fn accepted(&mut self, r: &Record) {
        if let (Some(t), Some(n)) = (r.token(), r.value_node()) {
            self.claim(t, n);
        }
        if let Some(t) = r.token() {
            let writer = r.value_node().unwrap_or_default().to_string();
            // A deposed leader writes many times under its old token: count it once.
            if self.highest_accept.is_some_and(|h| t < h) && self.stale_writers.insert((writer, t))
            {
                self.violations += 1;
            }
            self.highest_accept = self.highest_accept.max(Some(t));
        }
    }

    /// Counts a violation the first time a token is claimed by a second node.
    fn claim(&mut self, token: i64, node: &str) {
        let owner = self.token_owner.entry(token).or_insert_with(|| node.to_string());
        if owner != node {
            self.violations += 1;
            *owner = node.to_string(); // count each change of hands once
        }
    }

    /// The node that most recently reported `elected` and still believes it leads; else the
    /// one that most recently reported `elected` at all.
    pub fn leader(&self) -> Option<&str> {
        let believing = self.leading.iter().max_by_key(|(_, (_, index))| *index).map(|(n, _)| n);
        believing.or(self.last_elected.as_ref()).map(String::as_str)
    }

    /// The early-warning violation count (see the module's design note).
    pub fn violations(&self) -> u64 {
        self.violations
    }

    /// Client operations completed so far.
    pub fn ops(&self) -> u64 {
        self.ops
    }

    /// The status line's content at `elapsed` into a test of `time_limit`.
    pub fn status(&self, elapsed: Duration, time_limit: Duration) -> Status {
        let mut leaders: Vec<(&String, &(Option<i64>, u64))> = self.leading.iter().collect();
        leaders.sort_by_key(|(_, (_, index))| std::cmp::Reverse(*index));
        Status {
            elapsed,
            time_limit,
            leaders: leaders.into_iter().map(|(n, (t, _))| (n.clone(), *t)).collect(),
            faults: self.faults.open().map(|f| f.label()).collect(),
            ops: self.ops,
            violations: self.violations,
            phase: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn rec(index: u64, process: Process, kind: Type, f: &str, value: Value) -> Record {
        Record {
            index,
            time: index * 10,
            process,
            kind,
            f: f.into(),
            value,
            node: None,
            error: None,
        }
    }

    #[test]
    fn the_tracker_follows_leaders_faults_and_early_violations() {
        let nodes: Vec<String> = ["n1", "n2", "n3"].map(String::from).to_vec();
        let mut t = LiveTracker::new(&nodes);
        let n = |s: &str| Process::Node(s.into());
        let records = [
            rec(0, n("n1"), Type::Ok, "elected", json!({"token": 1})),
            rec(1, Process::Nemesis, Type::Info, "pause", json!({"nodes": ["n1"]})),
            rec(2, n("n2"), Type::Ok, "elected", json!({"token": 2})),
            rec(
                3,
                Process::Resource,
                Type::Ok,
                "accept",
                json!({"token": 2, "node": "n2", "value": 1}),
            ),
            rec(
                4,
                Process::Resource,
                Type::Ok,
                "accept",
                json!({"token": 1, "node": "n1", "value": 2}),
            ),
            rec(5, n("n3"), Type::Ok, "elected", json!({"token": 2})),
            rec(
                6,
                Process::Resource,
                Type::Ok,
                "accept",
                json!({"token": 1, "node": "n1", "value": 3}),
            ),
        ];
        records.iter().take(3).for_each(|r| t.observe(r));
        let s = t.status(Duration::from_secs(5), Duration::from_secs(60));
        assert_eq!(s.leaders, vec![("n2".into(), Some(2)), ("n1".into(), Some(1))]);
        assert_eq!(s.faults, vec!["pause n1".to_string()]);
        assert_eq!(t.leader(), Some("n2"));
        records.iter().skip(3).for_each(|r| t.observe(r));
        assert_eq!(
            t.violations(),
            2,
            "a lower accept (counted once for n1), then token 2 claimed by n3"
        );
    }
}
