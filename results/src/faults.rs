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
//! The nodes a record touches are read without knowing the value's shape: every string in
//! `value` (and the `node` field) that names a known node. An ending record that names no
//! node ends every node of the open faults of its kind.

use serde_json::Value;
use splitbrain_checkers::{Process, Record};
use std::collections::{BTreeMap, BTreeSet};

/// What a nemesis `f` means for pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// A fault of this kind begins.
    Start(String),
    /// Faults of this kind end.
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
        return Phase::Stop(kind.to_string());
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
    /// True for a one-off action with no window.
    pub instant: bool,
}

impl Fault {
    /// A short label for a person: `partition n1 n2`, `pause n3`.
    pub fn label(&self) -> String {
        let mut s = self.kind.clone();
        for n in &self.nodes {
            s.push(' ');
            s.push_str(n);
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
        if r.process != Process::Nemesis {
            return;
        }
        let nodes = self.nodes_named(r);
        match phase(&r.f) {
            Phase::Start(kind) => self.start(kind, r, nodes, false),
            Phase::Instant => self.start(r.f.clone(), r, nodes, true),
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
            instant,
        };
        if !instant {
            self.open.push(self.faults.len());
        }
        self.faults.push(fault);
    }

    fn stop(&mut self, kind: Option<&str>, nodes: &BTreeSet<String>, r: &Record) {
        let faults = &mut self.faults;
        self.open.retain(|&i| {
            let f = &mut faults[i];
            let matches = kind.map_or(true, |k| k == f.kind);
            !(matches && f.close(nodes, r.time, r.index))
        });
    }

    /// Every known node named by the record's `node` field or by any string in its value.
    fn nodes_named(&self, r: &Record) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        if let Some(n) = &r.node {
            found.insert(n.clone());
        }
        self.collect(&r.value, &mut found);
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

/// Pairs the faults of a whole history, knowing these nodes.
pub fn faults_of(records: &[Record], nodes: &[String]) -> Vec<Fault> {
    let mut tracker = FaultTracker::new(nodes.iter().cloned());
    records.iter().for_each(|r| tracker.observe(r));
    tracker.into_faults()
}
