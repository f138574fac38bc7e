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

use crate::fed::{Fed, Who};
use crate::history::Type;
use crate::kind::CheckerKind;
use crate::liveness::recorded::Recorded;
use crate::liveness::timeline::{secs, Beliefs, Event};
use crate::registry::{Checker, Stream};
use crate::safety::Names;
use crate::verdict::{CheckResult, Verdict};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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

const NAME: CheckerKind = CheckerKind::Convergence;

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

/// A convergence decision under way: the timeline's events, and for each node the statuses
/// that may still be its final one.
#[derive(Default)]
struct Streamed {
    config: ConvergenceConfig,
    recorded: Recorded,
    statuses: Statuses,
}

impl Stream for Streamed {
    fn feed(&mut self, r: &Fed<'_>) {
        self.recorded.feed(r);
        if r.process == Who::Nemesis {
            // The faults end no earlier than this record: a status invoked before it settled
            // can never be a final one.
            self.statuses.floor = r.time + self.config.settle.as_nanos() as u64;
        }
        self.statuses.feed(r);
    }

    fn finish(self: Box<Self>) -> CheckResult {
        let known = self.recorded.known();
        let quiet = match quiet_point(&self.recorded) {
            Ok(q) => q,
            Err(text) => return CheckResult::unknown(NAME, text),
        };
        let c = &self.config;
        let settled = quiet.time + c.settle.as_nanos() as u64;
        let deadline = settled + c.bound.as_nanos() as u64;
        let election = election(&self.recorded, &quiet, deadline);
        let status = judge_statuses(&self.statuses.last(settled), &known);
        let details = serde_json::json!({
            "faults_ended": quiet.index,
            "faults_ended_ns": quiet.time,
            "settle_ns": c.settle.as_nanos() as u64,
            "bound_ns": c.bound.as_nanos() as u64,
        });
        combine(election, status).with_details(details)
    }
}

impl Checker for Convergence {
    fn kind(&self) -> CheckerKind {
        NAME
    }

    fn stream(&self) -> Box<dyn Stream + '_> {
        Box::new(Streamed { config: self.0.clone(), ..Streamed::default() })
    }
}

/// The last nemesis record, or why the run never became free of faults.
fn quiet_point(rec: &Recorded) -> Result<Quiet, String> {
    let mut beliefs = Beliefs::default();
    let mut last = None;
    rec.walk(|i, time, ev| {
        if let Event::Fault(..) = ev {
            beliefs.apply(i, ev);
            last = Some((i, time));
        }
    });
    if let Some((&(kind, node), &i)) = beliefs.faults.iter().min_by_key(|(_, &i)| i) {
        let what = node.map_or(format!("the {kind} fault"), |n| format!("the {kind} of {n}"));
        return Err(format!(
            "{what} begun at line {i} never ended, so the cluster was never free of faults: nothing to judge"
        ));
    }
    Ok(Quiet { index: last.map(|l| l.0), time: last.map_or(0, |l| l.1) })
}

/// Whether some node leads by the deadline.
fn election(rec: &Recorded, q: &Quiet, deadline: u64) -> Part {
    let allowed = secs(deadline - q.time);
    let end = rec.end;
    let after = |t: u64| secs(t.saturating_sub(q.time));
    match first_leader(rec, q) {
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

/// A node believed to lead: its `elected` report, and when it counts as leading.
struct Leader<'h> {
    node: &'h str,
    index: usize,
    time: u64,
}

/// The first node believed to lead at or after the quiet point: an incumbent (leading from the
/// quiet point on), or else the first one elected after it.
fn first_leader<'r>(rec: &'r Recorded, q: &Quiet) -> Option<Leader<'r>> {
    let mut beliefs = Beliefs::default();
    let from = q.index.map_or(0, |i| i + 1);
    let mut elected = None;
    rec.walk(|i, time, ev| match ev {
        _ if i < from => beliefs.apply(i, ev),
        Event::Elected(node) if elected.is_none() => {
            elected = Some(Leader { node, index: i, time })
        }
        _ => {}
    });
    if let Some((&node, &index)) = beliefs.leaders.iter().max_by_key(|(_, &i)| i) {
        return Some(Leader { node, index, time: q.time });
    }
    elected
}

/// The statuses that may be a node's final one: for each node, those answered so far that no
/// later answer to a status invoked no earlier replaces (a final status is the last answered
/// of those invoked after the settle time, which is known only at the end).
#[derive(Default)]
struct Statuses {
    /// Each client process's outstanding invocation: its time and the node it was sent to.
    open: HashMap<i64, (u64, Option<u32>)>,
    names: Names,
    /// Per node: (invoked, position, says it leads), invocation times falling from the first.
    kept: BTreeMap<u32, Vec<(u64, usize, bool)>>,
    /// Statuses invoked before this are not final ones whatever the end.
    floor: u64,
    at: usize,
}

impl Statuses {
    fn feed(&mut self, r: &Fed<'_>) {
        let i = self.at;
        self.at += 1;
        let Who::Client(p) = r.process else { return };
        let own = r.node.map(|n| self.names.id(n));
        if r.kind == Type::Invoke {
            self.open.insert(p, (r.time, own));
            return;
        }
        let partner = self.open.remove(&p);
        if !r.is(Type::Ok, "status") {
            return;
        }
        let leads = r.leads();
        if let (Some(node), Some(leads)) = (own.or(partner.and_then(|x| x.1)), leads) {
            self.keep(node, partner.map_or(r.time, |x| x.0), i, leads);
        }
    }

    fn keep(&mut self, node: u32, invoked: u64, i: usize, leads: bool) {
        let floor = self.floor;
        let kept = self.kept.entry(node).or_default();
        // A status invoked no later than this one and answered before it is never final.
        while kept.last().is_some_and(|&(t, ..)| t <= invoked || t < floor) {
            kept.pop();
        }
        if invoked >= floor {
            kept.push((invoked, i, leads));
        }
    }

    /// Each node's final status: the last answered of those invoked at or after `settled`.
    fn last(&self, settled: u64) -> BTreeMap<&str, (usize, bool)> {
        let final_of = |kept: &Vec<(u64, usize, bool)>| {
            kept.iter().rev().find(|&&(t, ..)| t >= settled).map(|&(_, i, leads)| (i, leads))
        };
        let each =
            self.kept.iter().filter_map(|(&n, kept)| Some((self.names.name(n), final_of(kept)?)));
        each.collect()
    }
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
