//! convergence: once every fault has ended and the settle time has passed, some node is elected
//! within the bound, and the final `status` of every node shows exactly one leader.
//!
//! Neighbours: `liveness::timeline` supplies beliefs and fault phases; the harness
//! passes the run's settle time in [`ConvergenceConfig`].
//!
//! Design decisions:
//! - "Faults ended" is the last nemesis record, provided no fault kind is still running at the
//!   end (see the timeline's pairing of fault names); a fault that never ended makes the run
//!   impossible to judge: `unknown`. A history with no fault is judged from its start, and says so.
//! - "Some node is elected within the bound": a node believes it leads (an incumbent whose
//!   `elected` report was not undone by its `stepdown` or a `kill`, or a new `elected` report)
//!   no later than faults-ended + settle + bound. A history that ends before that deadline with
//!   no leader is `unknown`, not invalid.
//! - The final status of a node is its last `ok` `status` whose invocation came at or after
//!   faults-ended + settle (earlier ones describe the cluster before it settled). Two nodes saying
//!   they lead is `invalid` at once; none saying so when every known node answered is `invalid`;
//!   a known node with no final status leaves it `unknown` unless already invalid.

use crate::history::{History, Process, Type};
use crate::liveness::timeline::{event, known_nodes, secs, Beliefs, Event};
use crate::registry::Checker;
use crate::verdict::{CheckResult, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The parameters of `convergence`.
#[derive(Debug, Clone)]
pub struct ConvergenceConfig {
    /// How long the run let the cluster settle after the last fault ended (default 0).
    pub settle: Duration,
    /// How long after settling a node must be elected (default 10 s, HISTORY.md's).
    pub bound: Duration,
}

impl Default for ConvergenceConfig {
    fn default() -> Self {
        ConvergenceConfig { settle: Duration::ZERO, bound: Duration::from_secs(10) }
    }
}

/// The `convergence` checker.
#[derive(Debug, Clone, Default)]
pub struct Convergence(pub ConvergenceConfig);

const NAME: &str = "convergence";

/// One part's finding: its verdict, its sentence, its evidence.
struct Part {
    verdict: Verdict,
    text: String,
    evidence: Vec<u64>,
}

impl Part {
    fn new(verdict: Verdict, text: String, evidence: Vec<u64>) -> Part {
        Part { verdict, text, evidence }
    }
}

/// Where the faults ended: the last nemesis record, or the start of a run without faults.
struct Quiet {
    index: Option<usize>,
    time: u64,
}

impl Quiet {
    fn text(&self) -> String {
        match self.index {
            Some(i) => format!("the faults ended at line {i}"),
            None => "the start of the run, which had no faults,".to_string(),
        }
    }
}

impl Checker for Convergence {
    fn name(&self) -> &'static str {
        NAME
    }

    fn check(&self, h: &History) -> CheckResult {
        let known = known_nodes(h);
        let quiet = match quiet_point(h, &known) {
            Ok(q) => q,
            Err(text) => return CheckResult::unknown(NAME, text),
        };
        let settled = quiet.time + self.0.settle.as_nanos() as u64;
        let deadline = settled + self.0.bound.as_nanos() as u64;
        let election = self.election(h, &known, &quiet, deadline);
        let status = final_status(h, &known, settled);
        let details = serde_json::json!({
            "faults_ended": quiet.index,
            "faults_ended_ns": quiet.time,
            "settle_ns": self.0.settle.as_nanos() as u64,
            "bound_ns": self.0.bound.as_nanos() as u64,
        });
        combine(election, status).with_details(details)
    }
}

/// The last nemesis record, or why the run never became free of faults.
fn quiet_point(h: &History, known: &BTreeSet<&str>) -> Result<Quiet, String> {
    let mut beliefs = Beliefs::default();
    let mut last = None;
    for (i, r) in h.records.iter().enumerate().filter(|(_, r)| r.process == Process::Nemesis) {
        beliefs.apply(i, &event(r, known));
        last = Some(i);
    }
    if let Some((&(kind, node), &i)) = beliefs.faults.iter().min_by_key(|(_, &i)| i) {
        let what = node.map_or(format!("the {kind} fault"), |n| format!("the {kind} of {n}"));
        return Err(format!(
            "{what} begun at line {i} never ended, so the cluster was never free of faults: nothing to judge"
        ));
    }
    Ok(Quiet { index: last, time: last.map_or(0, |i| h.records[i].time) })
}

impl Convergence {
    /// Whether some node leads by the deadline.
    fn election(&self, h: &History, known: &BTreeSet<&str>, q: &Quiet, deadline: u64) -> Part {
        let allowed = secs(deadline - q.time);
        let end = h.records.last().map_or(0, |r| r.time);
        let after = |t: u64| secs(t.saturating_sub(q.time));
        match first_leader(h, known, q) {
            Some(Leader { node, index, time }) if time == q.time && q.index.is_some() => Part::new(
                Verdict::Valid,
                format!("{node} was leading when {} (elected at line {index})", q.text()),
                Vec::new(),
            ),
            Some(Leader { node, index, time }) if time <= deadline => Part::new(
                Verdict::Valid,
                format!("{node} was elected {} after {} (line {index})", after(time), q.text()),
                Vec::new(),
            ),
            Some(Leader { node, index, time }) => Part::new(
                Verdict::Invalid,
                format!(
                    "no node led until {node} was elected {} after {} (line {index}), beyond the {allowed} allowed",
                    after(time),
                    q.text()
                ),
                q.index.into_iter().chain([index]).map(|x| x as u64).collect(),
            ),
            None if end >= deadline => Part::new(
                Verdict::Invalid,
                format!("no node was elected in the {} after {} (allowed: {allowed})", after(end), q.text()),
                q.index.map(|x| x as u64).into_iter().collect(),
            ),
            None => Part::new(
                Verdict::Unknown,
                format!(
                    "the history ends {} after {}, before the {allowed} allowed for an election passed, with no leader",
                    after(end),
                    q.text()
                ),
                Vec::new(),
            ),
        }
    }
}

/// A node believed to lead: its `elected` report, and when it counts as leading.
struct Leader<'h> {
    node: &'h str,
    index: usize,
    time: u64,
}

/// The first node believed to lead at or after the quiet point: an incumbent (leading from the
/// quiet point on), or else the first one elected after it.
fn first_leader<'h>(h: &'h History, known: &BTreeSet<&'h str>, q: &Quiet) -> Option<Leader<'h>> {
    let mut beliefs = Beliefs::default();
    let from = q.index.map_or(0, |i| i + 1);
    for (i, r) in h.records[..from].iter().enumerate() {
        beliefs.apply(i, &event(r, known));
    }
    if let Some((&node, &index)) = beliefs.leaders.iter().max_by_key(|(_, &i)| i) {
        return Some(Leader { node, index, time: q.time });
    }
    h.records[from..].iter().enumerate().find_map(|(k, r)| match event(r, known) {
        Event::Elected(node) => Some(Leader { node, index: from + k, time: r.earliest() }),
        _ => None,
    })
}

/// Whether the final statuses show exactly one leader.
fn final_status(h: &History, known: &BTreeSet<&str>, settled: u64) -> Part {
    let partners = h.partners();
    let mut last: BTreeMap<&str, (usize, bool)> = BTreeMap::new();
    for (i, r) in h.records.iter().enumerate() {
        if !(r.is_client() && r.is(Type::Ok, "status")) {
            continue;
        }
        let invoked = partners[i].map_or(r.time, |p| h.records[p as usize].time);
        let (Some(node), Some(leads)) =
            (h.op_node(i, &partners), r.value.get("leader").and_then(|v| v.as_bool()))
        else {
            continue;
        };
        if invoked >= settled {
            last.insert(node, (i, leads));
        }
    }
    judge_statuses(&last, known)
}

fn judge_statuses(last: &BTreeMap<&str, (usize, bool)>, known: &BTreeSet<&str>) -> Part {
    let leaders: Vec<(&str, usize)> =
        last.iter().filter(|(_, v)| v.1).map(|(&n, v)| (n, v.0)).collect();
    let missing: Vec<&str> = known.iter().copied().filter(|n| !last.contains_key(n)).collect();
    let lines = |xs: &[(&str, usize)]| {
        xs.iter().map(|(n, i)| format!("{n} (line {i})")).collect::<Vec<_>>().join(" and ")
    };
    let evidence = |xs: &[(&str, usize)]| xs.iter().map(|x| x.1 as u64).collect::<Vec<_>>();
    if leaders.len() >= 2 {
        let text = format!("{} each said they lead in their final status", lines(&leaders));
        return Part::new(Verdict::Invalid, text, evidence(&leaders));
    }
    if last.is_empty() {
        let text =
            "no status op was answered after the settle time, so the final leader count is unknown"
                .to_string();
        return Part::new(Verdict::Unknown, text, Vec::new());
    }
    let answered: Vec<(&str, usize)> = last.iter().map(|(&n, v)| (n, v.0)).collect();
    match (leaders.first(), missing.is_empty()) {
        (Some(&(n, i)), true) => Part::new(
            Verdict::Valid,
            format!("final status: {n} alone leads (line {i})"),
            Vec::new(),
        ),
        (None, true) => Part::new(
            Verdict::Invalid,
            format!("no node said it leads in its final status: {}", lines(&answered)),
            evidence(&answered),
        ),
        (_, false) => Part::new(
            Verdict::Unknown,
            format!(
                "{} gave no final status, so whether exactly one node leads is unknown",
                missing.join(", ")
            ),
            Vec::new(),
        ),
    }
}

/// Merges the two parts: the worse verdict, both sentences, the evidence of the deciding parts.
fn combine(election: Part, status: Part) -> CheckResult {
    let verdict = election.verdict.merge(status.verdict);
    let text = format!("{}; {}", election.text, status.text);
    let evidence = [&election, &status]
        .iter()
        .filter(|p| p.verdict == verdict)
        .flat_map(|p| p.evidence.iter().copied())
        .collect();
    match verdict {
        Verdict::Valid => CheckResult::valid(NAME, text),
        Verdict::Invalid => CheckResult::invalid(NAME, text, evidence),
        // Neither part is ever not-applicable; were one, "could not decide" is the safe reading.
        Verdict::Unknown | Verdict::NotApplicable => CheckResult::unknown(NAME, text),
    }
}
