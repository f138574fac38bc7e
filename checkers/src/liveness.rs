//! liveness: the figures of availability, and a verdict only when the user sets a bound.
//!
//! Neighbours: `timeline` turns records into leadership beliefs and faults (shared with
//! [`crate::convergence`]); `results` renders [`CheckResult::details`] of this checker.
//!
//! The details are a JSON object with these fields (stable: the report reads them):
//!
//! | field | meaning |
//! | --- | --- |
//! | `elections` | number of `elected` reports |
//! | `leaders` | the nodes that reported `elected`, sorted |
//! | `first_election` | index of the first `elected` report, or `null` |
//! | `first_election_ns` | `time` of the first `elected` report, or `null` |
//! | `failovers` | list of `{from, to, fault, elected, ns}`: a fault record (`fault`, an index) that named the believed leader `from`, and the next `elected` report (`elected`) by another node `to`, `ns` apart |
//! | `failover_ns` | `{count, median, max}` over `failovers` (`median`/`max` `null` when none) |
//! | `unfinished_failovers` | list of `{from, fault, ns}`: a leader removed with nobody else elected by the history's end, `ns` before it |
//! | `no_leader_ns` | total time during which no node believed it led, from time 0 to the last record |
//! | `history_ns` | `time` of the last record |
//! | `writes` | `{invoked, ok, fail, info}` over client `write` operations (no completion counts as `info`) |
//! | `write_success_share` | `ok / invoked`, or `null` when no write was invoked |
//!
//! Design decisions:
//! - A fault "removes the leader" when its record names a believed leader (see `timeline`).
//!   The failover ends at the next `elected` report: by another node it is a failover; by the
//!   same node it was none. When a fault ends (its `stop-`/`resume`/`clock-reset`, or `heal`)
//!   before anyone is elected while the leader still believes it leads, the leader outlived
//!   it and no failover is counted; a leader that stepped down during the fault did not (a
//!   holder cut off from its lock server), so that failover runs on to the next election
//!   elsewhere. A `restart` does not end a kill's failover, because a restarted node comes
//!   back as a follower.
//! - With a bound on failover time ([`LivenessConfig::max_failover`]) a failover, an unfinished
//!   failover, or a first election slower than the bound is `invalid`; without one the verdict
//!   is `valid` and only the figures speak.

pub(crate) mod recorded;
pub(crate) mod timeline;

use crate::fed::{Fed, Who};
use crate::history::{History, Type};
use crate::kind::CheckerKind;
use crate::registry::{Checker, Stream};
use crate::verdict::CheckResult;
use recorded::Recorded;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use timeline::{secs, Beliefs, Event, Phase};

/// The optional bounds of `liveness`.
#[derive(Debug, Clone, Default)]
pub struct LivenessConfig {
    /// The longest acceptable failover (and first election); `None` gives figures only.
    pub max_failover: Option<Duration>,
}

/// The `liveness` checker.
#[derive(Debug, Clone, Default)]
pub struct Liveness(pub LivenessConfig);

const NAME: CheckerKind = CheckerKind::Liveness;

/// One failover: a fault named the leader `from`, then `to` was elected.
#[derive(Debug, Clone, Serialize)]
pub struct Failover {
    /// The leader the fault removed.
    pub from: String,
    /// The node elected next.
    pub to: String,
    /// Index of the fault record.
    pub fault: u64,
    /// Index of the `elected` report.
    pub elected: u64,
    /// Nanoseconds between them.
    pub ns: u64,
}

/// A leader removed with nobody else elected by the end of the history.
#[derive(Debug, Clone, Serialize)]
pub struct Unfinished {
    /// The leader the fault removed.
    pub from: String,
    /// Index of the fault record.
    pub fault: u64,
    /// Nanoseconds from the fault to the last record.
    pub ns: u64,
}

/// Counts of client `write` operations.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Writes {
    /// Invocations.
    pub invoked: u64,
    /// `ok` completions.
    pub ok: u64,
    /// `fail` completions.
    pub fail: u64,
    /// `info` completions, and invocations never completed.
    pub info: u64,
}

/// The liveness figures; serialized as the checker's details.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// Number of `elected` reports.
    pub elections: u64,
    /// The nodes that reported `elected`.
    pub leaders: Vec<String>,
    /// Index of the first `elected` report.
    pub first_election: Option<u64>,
    /// Time of the first `elected` report.
    pub first_election_ns: Option<u64>,
    /// Every failover, in order.
    pub failovers: Vec<Failover>,
    /// Count, median and max of the failover times.
    pub failover_ns: Summary,
    /// Leaders removed and never replaced.
    pub unfinished_failovers: Vec<Unfinished>,
    /// Total time no node believed it led.
    pub no_leader_ns: u64,
    /// Time of the last record.
    pub history_ns: u64,
    /// Client writes by outcome.
    pub writes: Writes,
    /// `ok / invoked` over client writes.
    pub write_success_share: Option<f64>,
}

/// Count, median and max of a list of durations.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// How many.
    pub count: u64,
    /// The median (the lower middle of an even count).
    pub median: Option<u64>,
    /// The largest.
    pub max: Option<u64>,
}

impl Summary {
    fn of(mut xs: Vec<u64>) -> Summary {
        xs.sort_unstable();
        let median = xs.get(xs.len().saturating_sub(1) / 2).copied();
        Summary { count: xs.len() as u64, median, max: xs.last().copied() }
    }
}

/// A failover under way: the fault that named the leader.
#[derive(Clone, Copy)]
struct Pending<'h> {
    index: usize,
    time: u64,
    kind: &'h str,
}

#[derive(Default)]
struct Walk<'h> {
    figures: Figures,
    beliefs: Beliefs<'h>,
    pending: BTreeMap<&'h str, Pending<'h>>,
    leaderless_since: Option<u64>,
}

/// The liveness figures of a history being streamed: the timeline's events, and the writes
/// counted as they pass.
#[derive(Default)]
struct Streamed {
    recorded: Recorded,
    writes: Writes,
    max_failover: Option<Duration>,
}

impl Streamed {
    fn count_write(&mut self, r: &Fed<'_>) {
        if !matches!(r.process, Who::Client(_)) || r.f != "write" {
            return;
        }
        let w = &mut self.writes;
        match r.kind {
            Type::Invoke => w.invoked += 1,
            Type::Ok => w.ok += 1,
            Type::Fail => w.fail += 1,
            Type::Info => w.info += 1,
        }
    }

    fn figures(&self) -> Figures {
        let mut w = Walk { leaderless_since: Some(0), ..Walk::default() };
        w.figures.writes = self.writes.clone();
        self.recorded.walk(|i, time, ev| w.step(i, time, ev));
        w.finish(self.recorded.end)
    }
}

impl Stream for Streamed {
    fn feed(&mut self, r: &Fed<'_>) {
        self.recorded.feed(r);
        self.count_write(r);
    }

    fn finish(self: Box<Self>) -> CheckResult {
        let f = self.figures();
        let details = serde_json::to_value(&f).unwrap_or_default();
        let result = match self.max_failover {
            None => {
                CheckResult::valid(NAME, format!("figures only (no bound set): {}", describe(&f)))
            }
            Some(bound) => judge(&f, bound.as_nanos() as u64),
        };
        result.with_details(details)
    }
}

/// Computes the liveness figures of `h`.
pub fn figures(h: &History) -> Figures {
    let mut s = Streamed::default();
    h.records.iter().for_each(|r| s.feed(&crate::fed::Fed::of(r)));
    s.figures()
}

impl<'h> Walk<'h> {
    fn step(&mut self, i: usize, time: u64, ev: &Event<'h>) {
        match ev {
            Event::Elected(n) => self.elected(i, time, n),
            Event::Fault(phase, nodes) => self.fault(i, time, *phase, nodes),
            _ => {}
        }
        self.beliefs.apply(i, ev);
        self.track_leaderless(time);
    }

    fn elected(&mut self, i: usize, time: u64, node: &str) {
        let f = &mut self.figures;
        f.elections += 1;
        f.first_election.get_or_insert(i as u64);
        f.first_election_ns.get_or_insert(time);
        if !f.leaders.iter().any(|l| l == node) {
            f.leaders.push(node.to_string());
        }
        for (from, p) in std::mem::take(&mut self.pending) {
            if from != node {
                let ns = time.saturating_sub(p.time);
                let (fault, elected) = (p.index as u64, i as u64);
                f.failovers.push(Failover {
                    from: from.into(),
                    to: node.into(),
                    fault,
                    elected,
                    ns,
                });
            }
        }
    }
    fn fault(&mut self, i: usize, time: u64, phase: Phase<'h>, nodes: &[&'h str]) {
        match phase {
            Phase::Begin(kind) => {
                for n in nodes.iter().filter(|n| self.beliefs.leaders.contains_key(*n)) {
                    self.pending.entry(n).or_insert(Pending { index: i, time, kind });
                }
            }
            Phase::Instant => {}
            end => {
                // The leader outlived the fault only if it still believes it leads: one that
                // stepped down during it waits, like everyone, for the next election.
                let leading = &self.beliefs.leaders;
                self.pending.retain(|l, p| !ends(end, p.kind, nodes, l) || !leading.contains_key(l))
            }
        }
    }

    fn track_leaderless(&mut self, time: u64) {
        match (self.beliefs.leaders.is_empty(), self.leaderless_since) {
            (true, None) => self.leaderless_since = Some(time),
            (false, Some(since)) => {
                self.figures.no_leader_ns += time.saturating_sub(since);
                self.leaderless_since = None;
            }
            _ => {}
        }
    }

    fn finish(mut self, end: u64) -> Figures {
        let f = &mut self.figures;
        f.history_ns = end;
        f.no_leader_ns += self.leaderless_since.map_or(0, |since| end - since);
        f.leaders.sort();
        let w = &mut f.writes;
        w.info += w.invoked.saturating_sub(w.ok + w.fail + w.info);
        f.write_success_share = (w.invoked > 0).then(|| w.ok as f64 / w.invoked as f64);
        f.failover_ns = Summary::of(f.failovers.iter().map(|x| x.ns).collect());
        for (from, p) in self.pending {
            f.unfinished_failovers.push(Unfinished {
                from: from.into(),
                fault: p.index as u64,
                ns: end - p.time,
            });
        }
        self.figures
    }
}

impl Checker for Liveness {
    fn kind(&self) -> CheckerKind {
        NAME
    }

    fn stream(&self) -> Box<dyn Stream + '_> {
        Box::new(Streamed { max_failover: self.0.max_failover, ..Streamed::default() })
    }
}
/// One sentence of figures.
/// Whether the end `phase` ends a fault of `kind` that named `leader`: a kill lasts to the next
/// election (a restarted node comes back a follower), and a resume naming its nodes ends only
/// their pauses.
fn ends(phase: Phase<'_>, kind: &str, nodes: &[&str], leader: &str) -> bool {
    match phase {
        _ if kind == "kill" => false,
        Phase::End("pause") if !nodes.is_empty() => kind == "pause" && nodes.contains(&leader),
        Phase::End(k) => k == kind,
        Phase::EndAll => true,
        Phase::Begin(_) | Phase::Instant => false,
    }
}

fn describe(f: &Figures) -> String {
    let failover = match (f.failover_ns.median, f.failover_ns.max) {
        (Some(med), Some(max)) => {
            let n = crate::safety::count(f.failover_ns.count, "failover");
            format!("failover median {} (max {}, {n})", secs(med), secs(max))
        }
        _ => "no failover".to_string(),
    };
    let writes = match f.write_success_share {
        Some(share) => format!("{:.1}% of {} writes succeeded", share * 100.0, f.writes.invoked),
        None => "no writes".to_string(),
    };
    let elections = crate::safety::count(f.elections, "election");
    format!("{elections}; {failover}; {} with no leader; {writes}", secs(f.no_leader_ns))
}

fn judge(f: &Figures, bound: u64) -> CheckResult {
    if let Some(slow) = f.failovers.iter().find(|x| x.ns > bound) {
        let text = format!(
            "{} was elected {} after the fault at line {} removed leader {} (line {}), over the {} bound",
            slow.to, secs(slow.ns), slow.fault, slow.from, slow.elected, secs(bound)
        );
        return CheckResult::invalid(NAME, text, vec![slow.fault, slow.elected]);
    }
    if let Some(stuck) = f.unfinished_failovers.iter().find(|x| x.ns > bound) {
        let text = format!(
            "no node but {} was elected in the {} between the fault at line {} that removed it and the end of the history, over the {} bound",
            stuck.from, secs(stuck.ns), stuck.fault, secs(bound)
        );
        return CheckResult::invalid(NAME, text, vec![stuck.fault]);
    }
    first_election(f, bound)
}

fn first_election(f: &Figures, bound: u64) -> CheckResult {
    match f.first_election_ns {
        Some(t) if t > bound => CheckResult::invalid(
            NAME,
            format!(
                "the first election came {} into the run, over the {} bound",
                secs(t),
                secs(bound)
            ),
            f.first_election.into_iter().collect(),
        ),
        None if f.history_ns > bound => CheckResult::invalid(
            NAME,
            format!(
                "no node was elected in the {} of the run, over the {} bound",
                secs(f.history_ns),
                secs(bound)
            ),
            Vec::new(),
        ),
        _ if !f.unfinished_failovers.is_empty() || f.first_election_ns.is_none() => {
            CheckResult::unknown(
                NAME,
                format!(
                    "the history ends before the {} bound could pass: {}",
                    secs(bound),
                    describe(f)
                ),
            )
        }
        _ => CheckResult::valid(NAME, format!("within the {} bound: {}", secs(bound), describe(f))),
    }
}
