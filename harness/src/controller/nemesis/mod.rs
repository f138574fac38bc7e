//! The nemesis schedule: every interval it alternates between starting one fault and ending it,
//! choosing the kind of fault and its nodes from the seed, and records each start and end in
//! the history (process `"nemesis"`, type `info`).
//!
//! Neighbours: the faults themselves are `splitbrain_nemesis`'s (`partition`, `pause`,
//! `crash`, `clock`, `loss`); "the leader" comes from [`super::recorder::Recorder::leader`]; a
//! restarted node's reports are read again through [`super::cluster::Cluster::restarted`];
//! [`super::finale`] ends whatever fault is still in force at the end.
//!
//! Aims (how a fault picks its nodes): `leader` (the node that most recently reported
//! `elected`), `minority` (a random set of fewer than half), `majority` (a random set of more
//! than half), `random` (for a partition, a random shape; otherwise one random node). The
//! leader is aimed at more often than the rest, because a fault that misses the leader rarely
//! shows anything about an election.

use super::cluster::Cluster;
use super::log::Log;
use super::recorder::Recorder;
use super::reports::Readers;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use splitbrain_nemesis::partition::Shape;
use splitbrain_nemesis::{clock, crash, loss, partition, pause, Event, Net};
use splitbrain_results::Event as Record;
use splitbrain_targets::stop::Stop;
use std::time::{Duration, Instant};

/// A kind of fault `--nemesis` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Cut the network between nodes.
    Partition,
    /// SIGSTOP a node's processes, later SIGCONT.
    Pause,
    /// SIGKILL a node's processes, later start them again with the same data.
    Kill,
    /// Jump, strobe or skew a node's wall clock.
    Clock,
    /// Drop a share of the packets to and from some nodes.
    Loss,
}

impl FaultKind {
    /// Every kind, in `--nemesis` order.
    pub const ALL: [FaultKind; 5] =
        [FaultKind::Partition, FaultKind::Pause, FaultKind::Kill, FaultKind::Clock, FaultKind::Loss];

    /// The name `--nemesis` takes.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::Pause => "pause",
            FaultKind::Kill => "kill",
            FaultKind::Clock => "clock",
            FaultKind::Loss => "loss",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// How a fault picks its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// The node that most recently reported `elected`.
    Leader,
    /// A random shape (partitions) or one random node.
    Random,
    /// Fewer than half of the nodes, at random.
    Minority,
    /// More than half of the nodes, at random.
    Majority,
}

/// A fault in force, and how to end it.
enum Active {
    Partition,
    Pause(Vec<String>),
    Kill(Vec<String>),
    Clock(Vec<String>),
    Loss,
}

/// The fault injector of one run.
pub struct Nemesis<'a> {
    /// The node network.
    pub net: &'a Net,
    /// The target's processes.
    pub cluster: &'a Cluster,
    /// Where the fault records go.
    pub recorder: &'a Recorder,
    /// The report readers (a restarted candidate has a new stdout).
    pub readers: &'a Readers,
    /// The controller's log.
    pub log: &'a Log,
    /// The kinds to choose from.
    pub kinds: Vec<FaultKind>,
    /// Time between a fault's start and its end, and between its end and the next start.
    pub interval: Duration,
    /// The nemesis's own stream of the run's seed.
    pub rng: ChaCha8Rng,
}

impl Nemesis<'_> {
    /// Runs the schedule until `until` or `stop`; a fault in force then is left for the final
    /// heal.
    pub fn run(&mut self, until: Instant, stop: &Stop) {
        if self.kinds.is_empty() {
            return;
        }
        let mut next = Instant::now();
        loop {
            next += self.interval;
            if stop.sleep_until(next.min(until)) || Instant::now() >= until {
                return;
            }
            let active = self.start();
            next += self.interval;
            if stop.sleep_until(next.min(until)) || Instant::now() >= until {
                return;
            }
            if let Some(a) = active {
                self.end(a);
            }
        }
    }

    /// Starts one fault of a kind chosen from the seed.
    fn start(&mut self) -> Option<Active> {
        let kind = *self.kinds.choose(&mut self.rng)?;
        let aim = self.aim();
        let result = match kind {
            FaultKind::Partition => self.partition(aim),
            FaultKind::Pause => self.on_nodes(aim, |net, n| pause::pause(net, n), Active::Pause),
            FaultKind::Kill => self.on_nodes(aim, |net, n| crash::kill(net, n), Active::Kill),
            FaultKind::Clock => self.clock(aim),
            FaultKind::Loss => self.loss(aim),
        };
        match result {
            Ok(active) => Some(active),
            Err(e) => {
                self.log.info(format!("{} fault failed: {e}", kind.name()));
                None
            }
        }
    }

    /// Ends the fault `a`.
    fn end(&mut self, a: Active) {
        let result = match a {
            Active::Partition => partition::heal(self.net),
            Active::Pause(nodes) => pause::resume(self.net, &nodes),
            Active::Kill(nodes) => crash::restart(self.net, &nodes).inspect(|_| {
                self.cluster.restarted(&nodes, self.readers);
            }),
            Active::Clock(nodes) => clock::reset(self.net, &nodes),
            Active::Loss => loss::stop(self.net),
        };
        match result {
            Ok(ev) => self.record(ev),
            Err(e) => self.log.info(format!("ending a fault failed: {e}")),
        }
    }

    fn aim(&mut self) -> Aim {
        const AIMS: [(Aim, u32); 4] =
            [(Aim::Leader, 4), (Aim::Random, 2), (Aim::Minority, 2), (Aim::Majority, 1)];
        AIMS.choose_weighted(&mut self.rng, |(_, w)| *w).map_or(Aim::Random, |(a, _)| *a)
    }

    /// The nodes `aim` picks (never empty while there are nodes).
    fn pick(&mut self, aim: Aim) -> Vec<String> {
        let mut names = self.cluster.names();
        let n = names.len();
        names.shuffle(&mut self.rng);
        let leader = self.recorder.leader().filter(|l| names.contains(l));
        let size = match aim {
            Aim::Leader if leader.is_some() => return vec![leader.unwrap_or_default()],
            Aim::Leader | Aim::Random => 1,
            Aim::Minority => self.rng.gen_range(1..=((n.max(2) - 1) / 2).max(1)),
            Aim::Majority => self.rng.gen_range(n / 2 + 1..=n.max(1)),
        };
        names.truncate(size.min(n));
        names.sort_by_key(|s| (s.len(), s.clone()));
        names
    }

    fn partition(&mut self, aim: Aim) -> splitbrain_nemesis::Result<Active> {
        let shape = match aim {
            Aim::Random => {
                let shapes =
                    [Shape::RandomHalves, Shape::MajoritiesRing, Shape::Bridge, Shape::Isolate(None)];
                shapes.choose(&mut self.rng).cloned().unwrap_or(Shape::RandomHalves)
            }
            _ => Shape::Set(self.pick(aim)),
        };
        let ev = partition::start(self.net, &shape, &mut self.rng)?;
        self.record(ev);
        Ok(Active::Partition)
    }

    fn on_nodes(
        &mut self,
        aim: Aim,
        fault: impl Fn(&Net, &[String]) -> splitbrain_nemesis::Result<Event>,
        active: impl Fn(Vec<String>) -> Active,
    ) -> splitbrain_nemesis::Result<Active> {
        let nodes = self.pick(aim);
        let ev = fault(self.net, &nodes)?;
        self.record(ev);
        Ok(active(nodes))
    }

    fn clock(&mut self, aim: Aim) -> splitbrain_nemesis::Result<Active> {
        let nodes = self.pick(aim);
        let ms = |r: &mut ChaCha8Rng, lo: i64, hi: i64| r.gen_range(lo..=hi) * 1_000_000;
        let ev = match self.rng.gen_range(0..3) {
            0 => {
                let sign = if self.rng.gen_bool(0.5) { 1 } else { -1 };
                clock::bump(self.net, &nodes, sign * ms(&mut self.rng, 200, 30_000))?
            }
            1 => {
                let delta = ms(&mut self.rng, 200, 10_000);
                let period = Duration::from_millis(self.rng.gen_range(10..=500));
                clock::strobe(self.net, &nodes, delta, period, self.interval)?
            }
            _ => clock::drift(self.net, &nodes, self.rng.gen_range(0.25..4.0))?,
        };
        self.record(ev);
        Ok(Active::Clock(nodes))
    }

    fn loss(&mut self, aim: Aim) -> splitbrain_nemesis::Result<Active> {
        let nodes = self.pick(aim);
        let all = self.cluster.names();
        let rate = self.rng.gen_range(20..=60) as f64 / 100.0;
        let ev = loss::start(self.net, &nodes, &all, rate)?;
        self.record(ev);
        let back = loss::start(self.net, &all, &nodes, rate)?;
        self.record(back);
        Ok(Active::Loss)
    }

    fn record(&self, ev: Event) {
        self.log.info(format!("nemesis: {} {}", ev.f, ev.value));
        self.recorder.record(Record::nemesis(ev.f, ev.value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_kind_parses_back_from_its_name() {
        for k in FaultKind::ALL {
            assert_eq!(FaultKind::parse(k.name()), Some(k));
        }
        assert_eq!(FaultKind::parse("delay"), None);
    }
}
