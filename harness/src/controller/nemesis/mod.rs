//! The nemesis schedule: every interval it alternates between starting one fault and ending
//! it, and records each start and end in the history (process `"nemesis"`, type `info`).
//!
//! Neighbours: the faults themselves are `splitbrain_nemesis`'s (`partition`, `pause`,
//! `crash`, `clock`, `loss`); "the leader" comes from [`super::recorder::Recorder::leader`]; a
//! restarted node's reports are read again through [`super::cluster::Cluster::restarted`];
//! [`super::finale`] heals whatever is still in force at the end. [`deck`] deals the choices,
//! [`shapes`] makes the partitions, [`aim`] picks the nodes of the other faults.
//!
//! Choices come from the run's seed, dealt from shuffled decks so that even a short run covers
//! every kind of fault ([`schedule`]: from a time limit of 2 × kinds × interval on), every
//! partition shape and every aim:
//! - aims (pause, kill, clock, loss): `leader` (the node that most recently reported
//!   `elected`), `random` (one node), `minority`, `majority` (random sets), among every node or,
//!   with `--aim servers`, among a third-party target's server nodes ([`aim::Scope`]);
//! - partitions: isolate the leader, the leader in a minority, three sides, random halves,
//!   majorities ring, bridge ([`shapes::Cut`]);
//! - kills: held (the nodes stay down for the interval, then restart with their data) or a
//!   crash storm ([`storm`]: for the interval every node crash-loops on its own, as under a
//!   supervisor that restarts it at once). The storm is what exposes a node that does not
//!   persist what it promised: nodes come back in the middle of elections, some with a stale
//!   term, and meet voters that restarted since they voted.
//! - clocks of a third-party target: where its catalog says the clock decides a lease
//!   ([`clocks`]); for client-go's followers the clock fault is held through the next fault.
//! - link faults (delay, reorder, duplicate, slow): every node's egress, the leader's, one
//!   node's, both ways between halves, or one way ([`links::LinkAim`]), severity from the seed.

pub mod aim;
pub mod clocks;
pub mod deck;
mod kind;
pub mod links;
pub mod schedule;
pub mod shapes;
pub mod storm;

use super::cluster::Cluster;
use super::log::Log;
use super::recorder::Recorder;
use super::reports::Readers;
use aim::{Aim, Scope};
use clocks::ClockTargets;
use deck::Deck;
pub use kind::FaultKind;
use links::LinkAim;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use shapes::Cut;
use splitbrain_nemesis::link::{self, LinkKind};
use splitbrain_nemesis::{clock, crash, loss, partition, pause, Event, Net};
use splitbrain_results::Event as Record;
use splitbrain_targets::launch::Target;
use splitbrain_targets::stop::Stop;
use std::time::{Duration, Instant};

/// How a kill window goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillMode {
    /// Down for the whole interval.
    Hold,
    /// Every node crash-loops on its own during the interval.
    Storm,
}

/// A fault in force, and how to end it.
enum Active {
    Partition,
    Pause(Vec<String>),
    Kill(Vec<String>),
    Storm,
    Clock(Vec<String>),
    Loss,
    Link,
}

/// What a nemesis acts on and reports to.
#[derive(Clone, Copy)]
pub struct Parts<'a> {
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
}

/// The fault injector of one run.
pub struct Nemesis<'a> {
    parts: Parts<'a>,
    interval: Duration,
    rng: ChaCha8Rng,
    seed: u64,
    kinds: Vec<FaultKind>,
    cuts: Deck<Cut>,
    aims: Deck<Aim>,
    link_aims: Deck<LinkAim>,
    kills: Deck<KillMode>,
    clocks: ClockTargets,
    /// The nodes pause, kill and loss may hit (`--aim`): every node, or the servers' nodes.
    scope: Vec<String>,
    /// `--aim leader`: node faults at the leader, link faults on its links both ways.
    at_leader: bool,
    active: Option<Active>,
    /// A clock fault kept in force through the current window ([`ClockTargets::held`]); while
    /// it is, the window's fault is aimed at the leader (a pause of it, a cut of it alone), the
    /// moment a fast follower's early takeover needs.
    held: Option<Active>,
}

impl<'a> Nemesis<'a> {
    /// A nemesis dealing faults of `kinds`, one per `interval`, from the run's `seed`.
    pub fn new(
        parts: Parts<'a>,
        kinds: Vec<FaultKind>,
        interval: Duration,
        seed: u64,
    ) -> Nemesis<'a> {
        Nemesis {
            parts,
            interval,
            rng: super::seed::stream(seed, "nemesis", 0),
            seed,
            kinds,
            cuts: Deck::new(Cut::ALL.to_vec()),
            aims: Deck::new(Aim::ALL.to_vec()),
            link_aims: Deck::new(LinkAim::ALL.to_vec()),
            // Storms twice as often as held kills: a storm is what finds lost writes to disk,
            // and a 60 s run has only three kill windows.
            kills: Deck::new(vec![KillMode::Hold, KillMode::Storm, KillMode::Storm]),
            clocks: ClockTargets::anywhere(),
            scope: parts.cluster.names(),
            at_leader: false,
            active: None,
            held: None,
        }
    }

    /// Aims clock faults where `target` judges its leases (a third-party target's catalog
    /// entry, a target file's `clock_aim`), and node faults within `scope`; says so in the log.
    pub fn for_target(mut self, target: &dyn Target, scope: Scope) -> Nemesis<'a> {
        let names = self.parts.cluster.names();
        self.clocks = ClockTargets::for_target(target, &names);
        let line = self.clocks.describe().filter(|_| self.kinds.contains(&FaultKind::Clock));
        if let Some(line) = line {
            self.parts.log.info(format!("nemesis: {line}"));
        }
        let servers = target.servers_on(&names);
        if scope == Scope::Servers && !servers.is_empty() {
            self.parts
                .log
                .info(format!("nemesis: pause, kill and loss aim at {}", servers.join(" ")));
            self.scope = servers;
        }
        if scope == Scope::Leader {
            self.parts.log.info(
                "nemesis: pause, kill and loss aim at the leader; link faults on its links (leader-links)",
            );
            self.at_leader = true;
        }
        self
    }

    /// What it acts on.
    pub fn parts(&self) -> Parts<'a> {
        self.parts
    }

    /// Runs the schedule ([`schedule::plan`]) until `until` or `stop`; a fault in force then
    /// stays in force until [`Nemesis::end_active`].
    pub fn run(&mut self, until: Instant, stop: &Stop) {
        let start = Instant::now();
        let limit = until.saturating_duration_since(start);
        let plan = schedule::plan(&self.kinds, self.interval, limit, self.seed);
        if let Some(line) = schedule::shortfall(self.kinds.len(), plan.len(), self.interval) {
            self.parts.log.info(format!("nemesis: {line}"));
        }
        for window in plan {
            if stop.sleep_until(start + window.at) {
                return;
            }
            if !self.window(window.kind, (start + window.at + self.interval).min(until), stop) {
                return;
            }
        }
        // A held clock fault stays until the time limit, as it would through further windows.
        stop.sleep_until(until);
    }

    /// One fault window until `end`; false when `stop` cut it short.
    fn window(&mut self, kind: FaultKind, end: Instant, stop: &Stop) -> bool {
        if kind == FaultKind::Clock {
            self.end_held();
        }
        self.active = self.start(kind);
        if matches!(self.active, Some(Active::Storm)) {
            storm::run(self.parts, &self.scope, end, stop, &mut self.rng);
        }
        if stop.sleep_until(end) {
            return false;
        }
        match self.active {
            Some(Active::Clock(_)) if self.clocks.held() => self.held = self.active.take(),
            _ => self.end_active(),
        }
        true
    }

    /// Ends the faults in force (a held clock fault too), if any, and records their ends.
    pub fn end_active(&mut self) {
        if let Some(a) = self.active.take() {
            self.end(a);
        }
        self.end_held();
    }

    fn end_held(&mut self) {
        if let Some(a) = self.held.take() {
            self.end(a);
        }
    }

    fn end(&mut self, a: Active) {
        let net = self.parts.net;
        let result = match a {
            Active::Partition => partition::heal(net),
            Active::Pause(nodes) => pause::resume(net, &nodes),
            Active::Kill(nodes) => self.restart(&nodes),
            Active::Storm => return,
            Active::Clock(nodes) => clock::reset(net, &nodes),
            Active::Loss => loss::stop(net),
            Active::Link => match link::stop(net) {
                Ok(evs) => return evs.into_iter().for_each(|ev| self.record(ev)),
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(ev) => self.record(ev),
            Err(e) => self.parts.log.info(format!("ending a fault failed: {e}")),
        }
    }

    /// Starts one fault of `kind`.
    fn start(&mut self, kind: FaultKind) -> Option<Active> {
        let result = match kind {
            FaultKind::Partition => self.partition(),
            FaultKind::Pause => self.on_nodes(pause::pause, Active::Pause),
            FaultKind::Kill => match self.kills.deal(&mut self.rng) {
                Some(KillMode::Storm) => Ok(Active::Storm),
                _ => self.on_nodes(crash::kill, Active::Kill),
            },
            FaultKind::Clock => self.clock(),
            FaultKind::Loss => self.loss(),
            k => self.link(k.link().expect("the other kinds are link faults")),
        };
        match result {
            Ok(active) => Some(active),
            Err(e) if kind == FaultKind::Clock && self.clocks.skips() => {
                self.parts.log.info(format!("nemesis: no clock fault this window: {e}"));
                None
            }
            Err(e) => {
                self.parts.log.info(format!("{} fault failed: {e}", kind.name()));
                None
            }
        }
    }

    /// The nodes the next aim picks.
    fn pick(&mut self) -> Vec<String> {
        let aim = self.aims.deal(&mut self.rng).unwrap_or(Aim::Random);
        let aim = if self.held.is_some() || self.at_leader { Aim::Leader } else { aim };
        let leader = self.parts.recorder.leader();
        aim.pick(&self.scope, leader.as_deref(), &mut self.rng)
    }

    fn partition(&mut self) -> splitbrain_nemesis::Result<Active> {
        let nodes = self.parts.cluster.names();
        if nodes.len() < 2 {
            return Err(splitbrain_nemesis::Error::BadInput(
                "one node cannot be partitioned".into(),
            ));
        }
        let cut = self.cuts.deal(&mut self.rng).unwrap_or(Cut::RandomHalves);
        let cut = if self.held.is_some() { Cut::IsolateLeader } else { cut };
        let leader = self.parts.recorder.leader();
        let grudge = cut.grudge(&nodes, leader.as_deref(), &mut self.rng);
        partition::apply(self.parts.net, grudge.clone())?;
        let value = json!({"shape": cut.name(), "nodes": nodes, "grudge": grudge});
        self.record(Event { f: "start-partition", value });
        Ok(Active::Partition)
    }

    fn on_nodes(
        &mut self,
        fault: impl Fn(&Net, &[String]) -> splitbrain_nemesis::Result<Event>,
        active: impl Fn(Vec<String>) -> Active,
    ) -> splitbrain_nemesis::Result<Active> {
        let nodes = self.pick();
        let ev = fault(self.parts.net, &nodes)?;
        self.record(ev);
        Ok(active(nodes))
    }

    fn restart(&self, nodes: &[String]) -> splitbrain_nemesis::Result<Event> {
        restart(self.parts, nodes)
    }

    fn clock(&mut self) -> splitbrain_nemesis::Result<Active> {
        let dealt = self.pick();
        let leader = self.parts.recorder.leader();
        let candidates: Vec<String> =
            self.parts.cluster.client_nodes().into_iter().map(|(n, _)| n).collect();
        let Some(nodes) = self.clocks.pick(dealt, &candidates, leader.as_deref()) else {
            let why = self.clocks.describe().unwrap_or_default();
            return Err(splitbrain_nemesis::Error::BadInput(why));
        };
        let net = self.parts.net;
        let ms = |r: &mut ChaCha8Rng, lo: i64, hi: i64| r.gen_range(lo..=hi) * 1_000_000;
        let kind = match self.rng.gen_range(0..3) {
            _ if self.clocks.held() => 2,
            k => k,
        };
        let ev = match kind {
            0 => {
                let sign = if self.rng.gen_bool(0.5) { 1 } else { -1 };
                clock::bump(net, &nodes, sign * ms(&mut self.rng, 200, 30_000))?
            }
            1 => {
                let delta = ms(&mut self.rng, 200, 10_000);
                let period = Duration::from_millis(self.rng.gen_range(10..=500));
                clock::strobe(net, &nodes, delta, period, self.interval)?
            }
            // A slow follower only delays a takeover (liveness); fast ones test safety.
            _ if self.clocks.held() => clock::drift(net, &nodes, self.rng.gen_range(2.0..4.0))?,
            _ => clock::drift(net, &nodes, self.rng.gen_range(0.25..4.0))?,
        };
        self.record(ev);
        Ok(Active::Clock(nodes))
    }

    fn loss(&mut self) -> splitbrain_nemesis::Result<Active> {
        let nodes = self.pick();
        let all = self.parts.cluster.names();
        let rate = self.rng.gen_range(20..=60) as f64 / 100.0;
        let ev = loss::start(self.parts.net, &nodes, &all, rate)?;
        self.record(ev);
        let back = loss::start(self.parts.net, &all, &nodes, rate)?;
        self.record(back);
        Ok(Active::Loss)
    }

    /// A link fault of `kind` on the links the next aim picks.
    fn link(&mut self, kind: LinkKind) -> splitbrain_nemesis::Result<Active> {
        let aim = self.link_aims.deal(&mut self.rng).unwrap_or(LinkAim::All);
        let aim = if self.at_leader { LinkAim::LeaderLinks } else { aim };
        let leader = self.parts.recorder.leader();
        let net = self.parts.net;
        let links = aim.links(net, &self.scope, leader.as_deref(), &mut self.rng);
        let fault = links::draw(kind, &mut self.rng);
        let mut ev = link::start(net, &links, fault, self.rng.gen())?;
        ev.value["aim"] = aim.name().into();
        self.record(ev);
        Ok(Active::Link)
    }

    fn record(&self, ev: Event) {
        record(self.parts, ev, true);
    }
}

/// Starts the processes of `nodes` again and reads their new reports.
fn restart(parts: Parts<'_>, nodes: &[String]) -> splitbrain_nemesis::Result<Event> {
    let ev = crash::restart(parts.net, nodes)?;
    parts.cluster.restarted(nodes, parts.readers);
    Ok(ev)
}

/// Records a fault event; logs it on stderr too when `loud`, else in harness.log only.
fn record(parts: Parts<'_>, ev: Event, loud: bool) {
    let line = format!("nemesis: {} {}", ev.f, ev.value);
    match loud {
        true => parts.log.info(line),
        false => parts.log.debug(line),
    }
    parts.recorder.record(Record::nemesis(ev.f, ev.value));
}
