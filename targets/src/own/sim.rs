//! A deterministic simulated network for the own electors' tests: every node's machine in one
//! process, messages delivered after a fixed latency, time advanced by hand, nodes killed and
//! partitioned at will. What the loopback tests show with real processes, this shows
//! repeatably, with many seeds.

use super::{Action, ElectionTiming, Machine, MachineConfig};
use crate::seat::Token;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// One simulated cluster of machines of type `M`.
pub struct Sim<M: Machine> {
    /// (name, machine) of every node, dead ones included.
    pub nodes: Vec<(String, M)>,
    /// Nodes that receive nothing and run no timers.
    pub dead: BTreeSet<String>,
    /// Pairs (from, to) whose messages are dropped.
    pub cut: BTreeSet<(String, String)>,
    /// Pairs (from, to) whose messages take this long on top of the latency.
    pub delay: BTreeMap<(String, String), Duration>,
    /// Every `Elected` so far: (node, token).
    pub elections: Vec<(String, Token)>,
    /// What each node last persisted (by node index), for restarts.
    pub disk: Vec<Option<M::Durable>>,
    queue: Vec<(Instant, String, String, M::Msg)>,
    /// Simulated time now.
    pub now: Instant,
    start: Instant,
}

/// The configuration of node `me` of `n`, with default timing.
pub fn config(me: usize, n: usize, seed: u64) -> MachineConfig {
    MachineConfig {
        me: format!("n{me}"),
        nodes: (1..=n).map(|i| format!("n{i}")).collect(),
        timing: ElectionTiming::default(),
        seed,
    }
}

const LATENCY: Duration = Duration::from_millis(1);

impl<M: Machine> Sim<M> {
    /// `n` nodes built by `make(config, start)`.
    pub fn new(n: usize, seed: u64, make: impl Fn(MachineConfig, Instant) -> M) -> Sim<M> {
        let start = Instant::now();
        let nodes = (1..=n).map(|i| (format!("n{i}"), make(config(i, n, seed), start))).collect();
        let (dead, cut, delay, elections, queue) = Default::default();
        let disk = (0..n).map(|_| None).collect();
        Sim { nodes, dead, cut, delay, elections, disk, queue, now: start, start }
    }

    /// Time since the simulation began.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Runs for `d` in steps of 1 ms.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += Duration::from_millis(1);
            self.step();
        }
    }

    /// Runs until `done` holds (checked every ms) or `limit` passes; true if it held.
    pub fn run_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.now += Duration::from_millis(1);
            self.step();
        }
        done(self)
    }

    /// The live nodes that believe they lead.
    pub fn leaders(&self) -> Vec<String> {
        let live = self.nodes.iter().filter(|(n, _)| !self.dead.contains(n));
        live.filter(|(n, m)| m.view().0.as_deref() == Some(n)).map(|(n, _)| n.clone()).collect()
    }

    /// Replaces node `name` by a fresh machine (a restart), alive.
    pub fn replace(&mut self, name: &str, machine: M) {
        let slot = self.nodes.iter_mut().find(|(n, _)| n == name).expect("known node");
        slot.1 = machine;
        self.dead.remove(name);
    }

    /// Cuts both directions between every node of `a` and every node of `b`.
    pub fn partition(&mut self, a: &[&str], b: &[&str]) {
        for x in a {
            for y in b {
                self.cut.insert((x.to_string(), y.to_string()));
                self.cut.insert((y.to_string(), x.to_string()));
            }
        }
    }

    fn step(&mut self) {
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.queue).into_iter().partition(|m| m.0 <= now);
        self.queue = later;
        for (_, from, to, msg) in due {
            if self.dead.contains(&to) || self.cut.contains(&(from.clone(), to.clone())) {
                continue;
            }
            let i = self.index(&to);
            let actions = self.nodes[i].1.receive(now, &from, msg);
            self.apply(i, actions);
        }
        for i in 0..self.nodes.len() {
            if !self.dead.contains(&self.nodes[i].0) && self.nodes[i].1.next_wake() <= now {
                let actions = self.nodes[i].1.tick(now);
                self.apply(i, actions);
            }
        }
    }

    fn index(&self, name: &str) -> usize {
        self.nodes.iter().position(|(n, _)| n == name).expect("known node")
    }

    fn apply(&mut self, i: usize, actions: Vec<Action<M::Msg, M::Durable>>) {
        let me = self.nodes[i].0.clone();
        for action in actions {
            match action {
                Action::Send(to, msg) => {
                    let late = self.delay.get(&(me.clone(), to.clone())).copied();
                    let at = self.now + LATENCY + late.unwrap_or_default();
                    self.queue.push((at, me.clone(), to, msg))
                }
                Action::Elected(token, _) => self.elections.push((me.clone(), token)),
                Action::Persist(state) => self.disk[i] = Some(state),
                Action::StepDown(_) => {}
            }
        }
    }
}
