//! What the timeline shows, read out of a history: the nodes, who believed it led and when,
//! the faults, the resource's decisions, and where each violation's evidence lies.
//!
//! Neighbours: [`super::timeline`] draws this; [`crate::faults`] pairs the nemesis records.
//!
//! Design: a tenure (a node believing it leads under one token) begins at the node's
//! `elected` record and ends at the first of: its `stepdown`, its next `elected` (a new token),
//! the node's kill, or the end of the history. A node is the lane of every record about it:
//! its own reports, the resource's decisions naming it (`value.node`), and client completions
//! naming it (`value.leader`, else `node`).

use crate::faults::{self, Fault};
use splitbrain_checkers::{CheckResult, History, Process, Record, Subject, Type, Verdict};
use std::collections::{BTreeMap, BTreeSet};

/// Evidence records marked on the timeline per violation: the first ones, which checkers
/// list first because they matter most (a linearizability witness lists its culprit, then a
/// possibly long list of conflicts).
pub const MAX_MARKS: usize = 24;

/// How a tenure ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenureEnd {
    /// The node reported `stepdown`.
    Stepdown,
    /// The node reported `elected` again, under another token.
    Reelected,
    /// The node was killed.
    Killed,
    /// The history ended while it still led.
    RunEnd,
}

/// One stretch of time a node believed it led.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenure {
    /// The node.
    pub node: String,
    /// Its fencing token (`None`: the election gives none).
    pub token: Option<i64>,
    /// The `elected` record's time and index.
    pub start: u64,
    /// The `elected` record's index.
    pub start_index: u64,
    /// When it ended.
    pub end: u64,
    /// The record that ended it, when one did.
    pub end_index: Option<u64>,
    /// Why it ended.
    pub ended_by: TenureEnd,
}

/// One resource decision, drawn as a tick on the writer's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The writer the resource names.
    pub node: String,
    /// When.
    pub time: u64,
    /// Under which token.
    pub token: Option<i64>,
    /// The record's index.
    pub index: u64,
    /// True for an `accept`, false for a `reject`.
    pub accepted: bool,
}

/// One invalid check, numbered from 1, placed on the timeline by its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// 1, 2, … in check order.
    pub number: usize,
    /// The checker.
    pub checker: Subject,
    /// Its witness sentence.
    pub summary: String,
    /// The evidence records found in the history: (index, time, lane).
    pub marks: Vec<(u64, u64, Option<String>)>,
}

impl Violation {
    /// The time span of its evidence, when any evidence is in the history.
    pub fn span(&self) -> Option<(u64, u64)> {
        let times = self.marks.iter().map(|m| m.1);
        Some((times.clone().min()?, times.max()?))
    }
}

/// Everything the timeline draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// One lane per node, in natural order (n2 before n10).
    pub nodes: Vec<String>,
    /// The last record's time (at least 1 ns, so scales never divide by zero).
    pub end: u64,
    /// Leadership tenures, by start.
    pub tenures: Vec<Tenure>,
    /// Faults, by start.
    pub faults: Vec<Fault>,
    /// Resource decisions, in the resource's order.
    pub decisions: Vec<Decision>,
    /// Every distinct token seen, ascending: a token's color is its rank here.
    pub tokens: Vec<i64>,
    /// Invalid checks, numbered.
    pub violations: Vec<Violation>,
}

impl Timeline {
    /// Reads the timeline out of a history and the checks run on it.
    pub fn build(history: &History, checks: &[CheckResult]) -> Timeline {
        let records = &history.records;
        let nodes = node_names(records);
        let faults = faults::faults_of(records, &nodes);
        let mut tenures = tenures(records);
        clip_at_kills(&mut tenures, &faults);
        let decisions = decisions(records);
        let tokens = tokens(&tenures, &decisions);
        let end = records.iter().map(|r| r.time).max().unwrap_or(0).max(1);
        let violations = violations(history, checks);
        Timeline { nodes, end, tenures, faults, decisions, tokens, violations }
    }

    /// The rank of a token among all tokens (its color index).
    pub fn token_rank(&self, token: Option<i64>) -> Option<usize> {
        token.and_then(|t| self.tokens.binary_search(&t).ok())
    }
}

/// The lane a record belongs to, if it is about one node.
pub fn lane_of(r: &Record) -> Option<String> {
    lane_ref(r).map(str::to_string)
}

fn lane_ref(r: &Record) -> Option<&str> {
    match &r.process {
        Process::Node(n) => Some(n),
        Process::Resource => r.value_node().or(r.node.as_deref()),
        Process::Client(_) => r.leader().or(r.node.as_deref()),
        Process::Nemesis => None,
    }
}

/// Every node the history names, in natural order.
fn node_names(records: &[Record]) -> Vec<String> {
    let mut set: BTreeSet<&str> = BTreeSet::new();
    for r in records {
        set.extend(r.node.as_deref());
        // A client's `value.leader` names a node that reported `elected` (or a resource
        // decision named): reading every client value here would cost a lookup per record.
        if !r.is_client() {
            set.extend(lane_ref(r));
        }
    }
    let mut nodes: Vec<String> = set.into_iter().map(str::to_string).collect();
    nodes.sort_by(|a, b| natural_key(a).cmp(&natural_key(b)));
    nodes
}

/// Sorts `n2` before `n10`: the text before the trailing digits, then their value.
fn natural_key(s: &str) -> (&str, u64, &str) {
    let digits = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, tail) = s.split_at(s.len() - digits);
    (head, tail.parse().unwrap_or(0), s)
}

fn tenures(records: &[Record]) -> Vec<Tenure> {
    let end = records.last().map_or(0, |r| r.time);
    let mut open: BTreeMap<String, Tenure> = BTreeMap::new();
    let mut done = Vec::new();
    for r in records {
        let Process::Node(node) = &r.process else { continue };
        let elected = r.is(Type::Ok, "elected");
        if !elected && !r.is(Type::Ok, "stepdown") {
            continue;
        }
        if elected && open.get(node).is_some_and(|t| t.token == r.token()) {
            continue; // the same tenure, announced again
        }
        if let Some(mut t) = open.remove(node) {
            t.end = r.time;
            t.end_index = Some(r.index);
            t.ended_by = if elected { TenureEnd::Reelected } else { TenureEnd::Stepdown };
            done.push(t);
        }
        if elected {
            open.insert(node.clone(), open_tenure(node, r, end));
        }
    }
    done.extend(open.into_values());
    done.sort_by_key(|t| (t.start, t.start_index));
    done
}

fn open_tenure(node: &str, r: &Record, end: u64) -> Tenure {
    Tenure {
        node: node.to_string(),
        token: r.token(),
        start: r.time,
        start_index: r.index,
        end,
        end_index: None,
        ended_by: TenureEnd::RunEnd,
    }
}

/// A killed process leads no more: end each tenure at its node's first kill after it began.
fn clip_at_kills(tenures: &mut [Tenure], faults: &[Fault]) {
    for f in faults.iter().filter(|f| f.kind == "kill") {
        for t in tenures.iter_mut().filter(|t| f.nodes.contains(&t.node)) {
            if f.start >= t.start && f.start < t.end {
                t.end = f.start;
                t.end_index = Some(f.start_index);
                t.ended_by = TenureEnd::Killed;
            }
        }
    }
}

fn decisions(records: &[Record]) -> Vec<Decision> {
    let is_decision = |r: &&Record| r.process == Process::Resource && r.f != "info";
    records
        .iter()
        .filter(is_decision)
        .filter_map(|r| {
            Some(Decision {
                node: lane_of(r)?,
                time: r.time,
                token: r.token(),
                index: r.index,
                accepted: r.f == "accept",
            })
        })
        .collect()
}

fn tokens(tenures: &[Tenure], decisions: &[Decision]) -> Vec<i64> {
    let mut set: BTreeSet<i64> = tenures.iter().filter_map(|t| t.token).collect();
    set.extend(decisions.iter().filter_map(|d| d.token));
    set.into_iter().collect()
}

fn violations(history: &History, checks: &[CheckResult]) -> Vec<Violation> {
    let invalid = checks.iter().filter(|c| c.verdict == Verdict::Invalid);
    invalid
        .enumerate()
        .map(|(i, c)| Violation {
            number: i + 1,
            checker: c.checker.clone(),
            summary: c.summary.clone(),
            marks: crate::evidence::ordered(c)
                .iter()
                .take(MAX_MARKS)
                .filter_map(|&ix| crate::evidence::record_at(history, ix))
                .map(|r| (r.index, r.time, lane_of(r)))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(time: u64, process: Process, kind: Type, f: &str, value: serde_json::Value) -> Record {
        Record { index: 0, time, process, kind, f: f.into(), value, node: None, error: None }
    }

    fn node(n: &str) -> Process {
        Process::Node(n.into())
    }

    fn history(mut records: Vec<Record>) -> History {
        records.iter_mut().enumerate().for_each(|(i, r)| r.index = i as u64);
        History::new(records)
    }

    #[test]
    fn a_tenure_ends_at_stepdown_reelection_kill_or_the_end() {
        let h = history(vec![
            rec(10, node("n1"), Type::Ok, "elected", json!({"token": 1})),
            rec(20, node("n1"), Type::Ok, "stepdown", json!({"token": 1})),
            rec(30, node("n2"), Type::Ok, "elected", json!({"token": 2})),
            rec(40, node("n2"), Type::Ok, "elected", json!({"token": 3})),
            rec(50, Process::Nemesis, Type::Info, "kill", json!({"nodes": ["n2"]})),
            rec(60, node("n10"), Type::Ok, "elected", json!({"token": 4})),
            rec(70, Process::Nemesis, Type::Info, "restart", json!({"nodes": ["n2"]})),
        ]);
        let t = Timeline::build(&h, &[]);
        assert_eq!(t.nodes, ["n1", "n2", "n10"]);
        let ends: Vec<_> = t.tenures.iter().map(|t| (t.node.as_str(), t.end, t.ended_by)).collect();
        assert_eq!(
            ends,
            [
                ("n1", 20, TenureEnd::Stepdown),
                ("n2", 40, TenureEnd::Reelected),
                ("n2", 50, TenureEnd::Killed),
                ("n10", 70, TenureEnd::RunEnd),
            ]
        );
        assert_eq!(t.tokens, [1, 2, 3, 4]);
        assert_eq!(t.faults[0].end, Some(70));
    }
}
