//! Fault windows: pairs the nemesis records of a history into faults with a start, an end and
//! the nodes they touched.
//!
//! Neighbours: [`crate::report`] shades these windows on the timeline; [`crate::live`] shows
//! the open ones on the status line. The nemesis (nemesis/src) writes the records.
//!
//! Design: the pairing reads only `f`, so a new fault needs no change here as long as it
//! follows the naming of shared/HISTORY.md:
//! - `start-X` … `stop-X` (partition, loss, …), `pause` … `resume`, `kill` … `restart`,
//!   `clock-bump`/`clock-strobe`/… … `clock-reset`; `heal` ends every open fault;
//! - any other name is an instant: shown, never left open.
//!
//! The nodes a record touches are `value.nodes` (the nemesis always writes it, see
//! nemesis/src/event.rs) plus the `node` field; for a value of another shape, every string in
//! it that names a known node. `stop-X` ends every open fault of kind X (it heals the whole
//! partition or loss, whichever nodes it names); `resume`, `restart` and `clock-reset` end the
//! fault for the nodes they name, or for all when they name none.
//!
//! A fault whose value has `duration_ms` (`clock-strobe`) ends by itself that long after it
//! began, unless something ends it sooner.
//!
//! A partition's `value.grudge` (node → the nodes whose packets it drops) is read into
//! [`Fault::cut`], so the report can tell a node cut off from the majority from one that only
//! lost a few peers.

use serde_json::Value;
use splitbrain_checkers::{Process, Record};
use std::collections::{BTreeMap, BTreeSet};

/// What a nemesis `f` means for pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// A fault of this kind begins.
    Start(String),
    /// Every open fault of this kind ends.
    StopKind(String),
    /// Faults of this kind end for the nodes named (all, when none is).
    Stop(String),
    /// Every open fault ends.
    HealAll,
    /// A one-off action (no window).
    Instant,
}

/// Reads what a nemesis operation name means.
pub fn phase(f: &str) -> Phase {
    if let Some(kind) = f.strip_prefix("start-") {
        return Phase::Start(kind.to_string());
    }
    if let Some(kind) = f.strip_prefix("stop-") {
        return Phase::StopKind(kind.to_string());
    }
    match f {
        "pause" => Phase::Start("pause".into()),
        "resume" => Phase::Stop("pause".into()),
        "kill" => Phase::Start("kill".into()),
        "restart" => Phase::Stop("kill".into()),
        "clock-reset" => Phase::Stop("clock".into()),
        "heal" | "heal-all" | "repair" => Phase::HealAll,
        _ if f.starts_with("clock-") => Phase::Start("clock".into()),
        _ => Phase::Instant,
    }
}

/// One fault, from its starting record to the record that ended it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The kind pairing used: `partition`, `pause`, `kill`, `clock`, … (the `f` for instants).
    pub kind: String,
    /// The starting record's `f` (`start-partition`, `clock-bump`, …).
    pub f: String,
    /// The nodes it touched (known node names found in the record), sorted.
    pub nodes: Vec<String>,
    /// The starting record's time.
    pub start: u64,
    /// The starting record's index.
    pub start_index: u64,
    /// When it ended for each of its nodes (`None`: still open).
    pub node_end: BTreeMap<String, u64>,
    /// When the whole fault ended: its last node's end (`None`: still open).
    pub end: Option<u64>,
    /// The record that ended it last.
    pub end_index: Option<u64>,
    /// The starting record's value, as the nemesis wrote it.
    pub value: Value,
    /// For a partition: each node and the nodes it cannot exchange packets with (either way).
    pub cut: BTreeMap<String, BTreeSet<String>>,
    /// True for a one-off action with no window.
    pub instant: bool,
    /// When it ends by itself (`value.duration_ms` after its start), if it does.
    pub expires: Option<u64>,
}

impl Fault {
    /// A short label for a person: `partition (halves)`, `pause n3`, `kill n1 n2`.
    pub fn label(&self) -> String {
        let mut s = if self.instant { self.f.clone() } else { self.kind.clone() };
        if let Some(shape) = self.value.get("shape").and_then(Value::as_str) {
            s.push_str(&format!(" ({shape})"));
            if !self.cut.is_empty() {
                return s;
            }
        }
        for n in &self.nodes {
            s.push(' ');
            s.push_str(n);
        }
        if let Some(ms) = self.value.get("delta_ms").and_then(Value::as_f64) {
            s.push_str(&format!(" {ms:+} ms"));
        }
        if let Some(rate) = self.value.get("rate").and_then(Value::as_f64) {
            s.push_str(&format!(" ×{rate}"));
        }
        if let Some(ms) = self.value.get("delay_ms").and_then(Value::as_f64) {
            s.push_str(&format!(" +{ms} ms"));
        }
        if let Some(share) = self.value.get("share").and_then(Value::as_f64) {
            s.push_str(&format!(" {:.0}%", share * 100.0));
        }
        if let Some(bps) = self.value.get("rate_bps").and_then(Value::as_f64) {
            s.push_str(&format!(" {:.0} kbit/s", bps / 1e3));
        }
        s
    }

    /// When this fault ended for `node`, if it did.
    pub fn end_for(&self, node: &str) -> Option<u64> {
        self.node_end.get(node).copied().or(self.end)
    }

    fn close(&mut self, nodes: &BTreeSet<String>, time: u64, index: u64) -> bool {
        for n in &self.nodes {
            if nodes.is_empty() || nodes.contains(n) {
                self.node_end.entry(n.clone()).or_insert(time);
            }
        }
        let done = nodes.is_empty() || self.nodes.iter().all(|n| self.node_end.contains_key(n));
        if done {
            self.end = Some(time);
            self.end_index = Some(index);
        }
        done
    }
}

/// Pairs nemesis records into [`Fault`]s as they come (live) or over a whole history.
#[derive(Debug, Clone, Default)]
pub struct FaultTracker {
    known: BTreeSet<String>,
    faults: Vec<Fault>,
    open: Vec<usize>,
}

impl FaultTracker {
    /// A tracker that recognises these node names in nemesis values.
    pub fn new(nodes: impl IntoIterator<Item = String>) -> FaultTracker {
        FaultTracker { known: nodes.into_iter().collect(), ..FaultTracker::default() }
    }

    /// Learns a node name (the tracker also learns every node that reports on itself).
    pub fn know(&mut self, node: &str) {
        if !self.known.contains(node) {
            self.known.insert(node.to_string());
        }
    }

    /// Takes the next record in file order; only nemesis records change the faults.
    pub fn observe(&mut self, r: &Record) {
        if let Process::Node(n) = &r.process {
            self.know(n);
        }
        self.expire(r.time);
        if r.process != Process::Nemesis {
            return;
        }
        let nodes = self.nodes_named(r);
        match phase(&r.f) {
            Phase::Start(kind) => self.start(kind, r, nodes, false),
            Phase::Instant => self.start(r.f.clone(), r, nodes, true),
            Phase::StopKind(kind) => self.stop(Some(&kind), &BTreeSet::new(), r),
            Phase::Stop(kind) => self.stop(Some(&kind), &nodes, r),
            Phase::HealAll => self.stop(None, &BTreeSet::new(), r),
        }
    }

    /// The faults still open, oldest first.
    pub fn open(&self) -> impl Iterator<Item = &Fault> {
        self.open.iter().map(|&i| &self.faults[i])
    }

    /// Every fault seen so far, in start order.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Every fault, in start order.
    pub fn into_faults(self) -> Vec<Fault> {
        self.faults
    }

    fn start(&mut self, kind: String, r: &Record, nodes: BTreeSet<String>, instant: bool) {
        let fault = Fault {
            kind,
            f: r.f.clone(),
            nodes: nodes.into_iter().collect(),
            start: r.time,
            start_index: r.index,
            node_end: BTreeMap::new(),
            end: instant.then_some(r.time),
            end_index: instant.then_some(r.index),
            value: r.value.clone(),
            cut: cut_sets(&r.value),
            instant,
            expires: r
                .value
                .get("duration_ms")
                .and_then(Value::as_f64)
                .map(|ms| r.time + (ms.max(0.0) * 1e6) as u64),
        };
        if !instant {
            self.open.push(self.faults.len());
        }
        self.faults.push(fault);
    }

    /// Ends the faults that expire by `now`, at their expiry.
    fn expire(&mut self, now: u64) {
        let faults = &mut self.faults;
        self.open.retain(|&i| {
            let f = &mut faults[i];
            match f.expires {
                Some(t) if t <= now => !f.close(&BTreeSet::new(), t, f.start_index),
                _ => true,
            }
        });
    }

    fn stop(&mut self, kind: Option<&str>, nodes: &BTreeSet<String>, r: &Record) {
        let faults = &mut self.faults;
        self.open.retain(|&i| {
            let f = &mut faults[i];
            let matches = kind.is_none() || kind == Some(f.kind.as_str());
            !(matches && f.close(nodes, r.time, r.index))
        });
    }

    /// The nodes a record names: `node` and `value.nodes`, or else every known node name in
    /// its value.
    fn nodes_named(&self, r: &Record) -> BTreeSet<String> {
        let mut found: BTreeSet<String> = r.node.iter().cloned().collect();
        match r.value.get("nodes") {
            Some(Value::Array(list)) => {
                found.extend(list.iter().filter_map(Value::as_str).map(str::to_string))
            }
            Some(Value::String(one)) => {
                found.insert(one.clone());
            }
            _ => self.collect(&r.value, &mut found),
        }
        found
    }

    fn collect(&self, v: &Value, found: &mut BTreeSet<String>) {
        match v {
            Value::String(s) if self.known.contains(s) => {
                found.insert(s.clone());
            }
            Value::Array(items) => items.iter().for_each(|i| self.collect(i, found)),
            Value::Object(map) => {
                for (k, i) in map {
                    if self.known.contains(k) {
                        found.insert(k.clone());
                    }
                    self.collect(i, found);
                }
            }
            _ => {}
        }
    }
}

/// Reads a grudge (node → nodes whose packets it drops) into symmetric cut sets.
fn cut_sets(value: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut cut: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let Some(Value::Object(grudge)) = value.get("grudge") else { return cut };
    for (node, dropped) in grudge {
        for other in dropped.as_array().into_iter().flatten().filter_map(Value::as_str) {
            cut.entry(node.clone()).or_default().insert(other.to_string());
            cut.entry(other.to_string()).or_default().insert(node.clone());
        }
    }
    cut
}

/// Pairs the faults of a whole history, knowing these nodes.
pub fn faults_of(records: &[Record], nodes: &[String]) -> Vec<Fault> {
    let mut tracker = FaultTracker::new(nodes.iter().cloned());
    records.iter().for_each(|r| tracker.observe(r));
    tracker.into_faults()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use splitbrain_checkers::Type;

    fn nem(index: u64, f: &str, value: Value) -> Record {
        let p = Process::Nemesis;
        Record {
            index,
            time: index * 100,
            process: p,
            kind: Type::Info,
            f: f.into(),
            value,
            node: None,
            error: None,
        }
    }

    fn nodes() -> Vec<String> {
        (1..=5).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn names_pair_into_windows() {
        let cases = [
            ("start-partition", Phase::Start("partition".into())),
            ("stop-partition", Phase::StopKind("partition".into())),
            ("pause", Phase::Start("pause".into())),
            ("resume", Phase::Stop("pause".into())),
            ("kill", Phase::Start("kill".into())),
            ("restart", Phase::Stop("kill".into())),
            ("clock-bump", Phase::Start("clock".into())),
            ("clock-reset", Phase::Stop("clock".into())),
            ("heal", Phase::HealAll),
            ("shuffle-leader", Phase::Instant),
        ];
        for (f, want) in cases {
            assert_eq!(phase(f), want, "{f}");
        }
    }

    #[test]
    fn a_resume_ends_the_pause_only_for_the_nodes_it_names() {
        let faults = faults_of(
            &[
                nem(0, "pause", json!({"nodes": ["n1", "n2"]})),
                nem(1, "resume", json!({"nodes": ["n1"]})),
                nem(2, "resume", json!({"nodes": ["n2"]})),
            ],
            &nodes(),
        );
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].end_for("n1"), Some(100));
        assert_eq!(faults[0].end_for("n2"), Some(200));
        assert_eq!(faults[0].end, Some(200));
    }

    #[test]
    fn a_stop_partition_heals_it_whatever_nodes_it_names() {
        let grudge = json!({"n1": ["n3", "n4", "n5"], "n2": ["n3", "n4", "n5"]});
        let value =
            json!({"shape": "halves", "nodes": ["n1", "n2", "n3", "n4", "n5"], "grudge": grudge});
        let mut t = FaultTracker::new(nodes());
        t.observe(&nem(0, "start-partition", value));
        assert_eq!(t.open().count(), 1);
        t.observe(&nem(1, "stop-partition", json!({"nodes": ["n1"]})));
        assert_eq!(t.open().count(), 0);
        let f = &t.faults()[0];
        assert_eq!(f.end, Some(100));
        assert_eq!(f.cut["n3"], ["n1", "n2"].map(String::from).into_iter().collect());
        assert_eq!(f.cut["n1"].len(), 3);
    }

    #[test]
    fn a_strobe_ends_by_itself_after_its_duration() {
        let strobe =
            json!({"nodes": ["n2"], "delta_ms": 200.0, "period_ms": 10.0, "duration_ms": 0.00015});
        let mut t = FaultTracker::new(nodes());
        t.observe(&nem(0, "clock-strobe", strobe));
        t.observe(&nem(1, "pause", json!({"nodes": ["n1"]})));
        assert_eq!(t.open().count(), 2, "the strobe runs until 150 ns");
        t.observe(&nem(2, "resume", json!({"nodes": ["n1"]})));
        assert_eq!(t.open().count(), 0);
        assert_eq!(t.faults()[0].end, Some(150));
        assert_eq!(t.faults()[0].label(), "clock n2 +200 ms");
    }

    #[test]
    fn values_of_unknown_shape_still_name_their_nodes() {
        let faults = faults_of(
            &[nem(0, "shuffle", json!({"victims": {"n2": "x"}, "note": "n4"}))],
            &nodes(),
        );
        assert_eq!(faults[0].nodes, ["n2", "n4"]);
        assert!(faults[0].instant);
    }
}
