//! The Bully algorithm (Garcia-Molina, 1982) as a pure state machine: a node that misses its
//! coordinator sends Election to every higher node; a higher node answers and holds its own
//! election; a node that no higher node answers announces itself Coordinator to all. Nodes are
//! ranked by [`super::rank::natural_cmp`] of their names, so the highest reachable id wins.
//!
//! Neighbours: driven by [`super::driver`]; tested in [`tests`](self) without sockets.
//!
//! Token: an epoch. Every message carries the highest epoch its sender has seen; an announcement
//! takes the highest epoch seen plus one, persisted (fsync) before it is sent, so an epoch is
//! never reused, even across restarts. There is no quorum: the two sides of a partition each
//! elect their highest node, and the harness must show those two leaders.
//!
//! Design notes (where the textbook is silent):
//! - The coordinator repeats its announcement every heartbeat interval; a follower that hears
//!   none for an election timeout holds an election. A node also waits one election timeout at
//!   start, listening, before it campaigns (a restarted high node learns the epoch first).
//! - When a partition heals, the higher of two leaders may hold the older epoch (it led a
//!   minority side while the other side moved on), so the resource would refuse its token. A
//!   leader therefore announces again, above every epoch seen, when a competing leader shows
//!   it a later epoch directly: by an announcement of a lower node, or by `Yield`, which a
//!   leader sends to the higher node it gives way to. Epochs only relayed through followers
//!   never do: under overlapping partitions (a majorities ring) two leaders that cannot reach
//!   each other would otherwise outbid each other every heartbeat.
//! - A leader answers a lower node's Election and repeats its announcement to it, instead of
//!   holding a new election (which would change the token for nothing).
//! - "No answer" means none within two heartbeat intervals.

use super::rank::natural_cmp;
use super::{Action, Confirm, Machine, MachineConfig};
use crate::elector::Unconfirmed;
use crate::seat::Token;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::time::{Duration, Instant};

#[cfg(test)]
mod tests;

/// The messages between Bully nodes; each carries the highest epoch its sender has seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum BullyMsg {
    /// To a higher node: "I am holding an election".
    Election {
        /// The sender's highest epoch seen.
        epoch: u64,
    },
    /// To a lower node's Election: "I am alive and higher; I take over".
    Answer {
        /// The sender's highest epoch seen.
        epoch: u64,
    },
    /// "I am the coordinator under this epoch", sent at election and every heartbeat.
    Coordinator {
        /// The coordinator's epoch (its token).
        epoch: u64,
    },
    /// A leader that yields to a higher node's announcement tells it the epoch it led under.
    Yield {
        /// The epoch of the tenure given up.
        epoch: u64,
    },
}

impl BullyMsg {
    fn epoch(&self) -> u64 {
        match self {
            BullyMsg::Election { epoch }
            | BullyMsg::Answer { epoch }
            | BullyMsg::Coordinator { epoch }
            | BullyMsg::Yield { epoch } => *epoch,
        }
    }
}

/// What Bully keeps on disk: the highest epoch this node has seen or taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochState {
    /// The highest epoch seen.
    pub epoch: u64,
}

/// Where a node is in the algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Follows a coordinator, or waits for one.
    Follower,
    /// Sent Election to the higher nodes; `answered` once one of them answered (then it waits
    /// for that node's announcement).
    Electing {
        /// Whether a higher node answered.
        answered: bool,
    },
    /// The coordinator.
    Leader,
}

/// True when `a` ranks above `b`.
pub fn outranks(a: &str, b: &str) -> bool {
    natural_cmp(a, b) == Ordering::Greater
}

type Actions = Vec<Action<BullyMsg, EpochState>>;

/// One Bully node.
#[derive(Debug)]
pub struct Bully {
    cfg: MachineConfig,
    rng: ChaCha8Rng,
    seen: u64,
    tenure: Option<u64>,
    phase: Phase,
    leader: Option<String>,
    due: Instant,
    heartbeat_due: Instant,
    dirty: bool,
    out: Actions,
}

impl Bully {
    /// A follower starting at `now` from its persisted state (`None`: a fresh node).
    pub fn new(cfg: MachineConfig, persisted: Option<EpochState>, now: Instant) -> Bully {
        let rng = super::node_rng(cfg.seed, &cfg.me);
        let seen = persisted.unwrap_or_default().epoch;
        let mut bully = Bully {
            cfg,
            rng,
            seen,
            tenure: None,
            phase: Phase::Follower,
            leader: None,
            due: now,
            heartbeat_due: now,
            dirty: false,
            out: Vec::new(),
        };
        bully.wait_for_coordinator(now);
        bully
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The highest epoch seen.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    fn answer_timeout(&self) -> Duration {
        self.cfg.timing.heartbeat * 2
    }

    fn wait_for_coordinator(&mut self, now: Instant) {
        self.due = now + self.cfg.timing.election_timeout(&mut self.rng);
    }

    fn send(&mut self, to: &str, msg: BullyMsg) {
        self.out.push(Action::Send(to.to_string(), msg));
    }

    fn finish(&mut self) -> Actions {
        let mut actions = Vec::with_capacity(self.out.len() + 1);
        if std::mem::take(&mut self.dirty) {
            actions.push(Action::Persist(EpochState { epoch: self.seen }));
        }
        actions.append(&mut self.out);
        actions
    }

    fn see(&mut self, epoch: u64) {
        if epoch > self.seen {
            self.seen = epoch;
            self.dirty = true;
        }
    }

    fn higher_nodes(&self) -> Vec<String> {
        self.cfg.others().filter(|n| outranks(n, &self.cfg.me)).cloned().collect()
    }

    fn start_election(&mut self, now: Instant) {
        self.leader = None;
        let higher = self.higher_nodes();
        if higher.is_empty() {
            return self.announce(now);
        }
        self.phase = Phase::Electing { answered: false };
        self.due = now + self.answer_timeout();
        for node in higher {
            self.send(&node, BullyMsg::Election { epoch: self.seen });
        }
    }

    fn announce(&mut self, now: Instant) {
        self.seen += 1;
        self.dirty = true;
        self.tenure = Some(self.seen);
        self.phase = Phase::Leader;
        self.leader = Some(self.cfg.me.clone());
        self.out.push(Action::Elected(self.seen, None));
        self.broadcast_coordinator(now);
    }

    fn broadcast_coordinator(&mut self, now: Instant) {
        self.heartbeat_due = now + self.cfg.timing.heartbeat;
        let epoch = self.tenure.unwrap_or(self.seen);
        for node in self.cfg.others().cloned().collect::<Vec<_>>() {
            self.send(&node, BullyMsg::Coordinator { epoch });
        }
    }

    fn follow(&mut self, now: Instant, leader: &str) {
        if let Some(epoch) = self.tenure.take() {
            self.out.push(Action::StepDown("higher-coordinator"));
            self.send(leader, BullyMsg::Yield { epoch });
        }
        self.phase = Phase::Follower;
        self.leader = Some(leader.to_string());
        self.wait_for_coordinator(now);
    }

    /// A competing leader showed this leader an epoch later than its own: announce above it.
    fn outbid(&mut self, now: Instant, epoch: u64) {
        if self.phase == Phase::Leader && self.tenure < Some(epoch) {
            // The seat reports the old tenure's end as "new-tenure".
            self.announce(now);
        }
    }

    fn on_election(&mut self, now: Instant, from: &str) {
        if !outranks(&self.cfg.me, from) {
            return;
        }
        self.send(from, BullyMsg::Answer { epoch: self.seen });
        match self.phase {
            Phase::Leader => {
                let epoch = self.tenure.unwrap_or(self.seen);
                self.send(from, BullyMsg::Coordinator { epoch });
            }
            Phase::Follower => self.start_election(now),
            Phase::Electing { .. } => {}
        }
    }

    fn on_answer(&mut self, now: Instant, from: &str) {
        if self.phase == (Phase::Electing { answered: false }) && outranks(from, &self.cfg.me) {
            self.phase = Phase::Electing { answered: true };
            self.wait_for_coordinator(now);
        }
    }

    fn on_coordinator(&mut self, now: Instant, from: &str, epoch: u64) {
        if outranks(from, &self.cfg.me) {
            return self.follow(now, from);
        }
        // A lower node claims to coordinate: bully it (a leader by outbidding its epoch if it
        // must; it yields on this leader's next announcement).
        match self.phase {
            Phase::Follower => self.start_election(now),
            Phase::Leader => self.outbid(now, epoch),
            Phase::Electing { .. } => {}
        }
    }
}

impl Machine for Bully {
    type Msg = BullyMsg;
    type Durable = EpochState;

    fn tick(&mut self, now: Instant) -> Actions {
        match self.phase {
            Phase::Leader if now >= self.heartbeat_due => self.broadcast_coordinator(now),
            Phase::Leader => {}
            _ if now < self.due => {}
            Phase::Electing { answered: false } => self.announce(now),
            Phase::Follower | Phase::Electing { answered: true } => self.start_election(now),
        }
        self.finish()
    }

    fn receive(&mut self, now: Instant, from: &str, msg: BullyMsg) -> Actions {
        self.see(msg.epoch());
        match msg {
            BullyMsg::Election { .. } => self.on_election(now, from),
            BullyMsg::Answer { .. } => self.on_answer(now, from),
            BullyMsg::Coordinator { epoch } => self.on_coordinator(now, from, epoch),
            BullyMsg::Yield { epoch } => self.outbid(now, epoch),
        }
        self.finish()
    }

    fn next_wake(&self) -> Instant {
        match self.phase {
            Phase::Leader => self.heartbeat_due,
            _ => self.due,
        }
    }

    fn confirm(&mut self, _now: Instant, token: Option<Token>) -> (Confirm, Actions) {
        let answer = match self.leads(token) {
            true => Ok(()),
            false => Err(Unconfirmed::NotLeader(self.leader.clone())),
        };
        (Confirm::Now(answer), Vec::new())
    }

    fn confirmed(&self) -> u64 {
        0
    }

    fn leads(&self, token: Option<Token>) -> bool {
        self.phase == Phase::Leader && token.is_some() && token == self.tenure
    }

    fn view(&self) -> (Option<String>, Option<u64>) {
        (self.leader.clone(), Some(self.seen))
    }
}
