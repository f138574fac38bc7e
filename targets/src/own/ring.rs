//! Chang and Roberts' ring election (1979) as a pure state machine. The nodes sit on a logical
//! ring in [`super::rank::natural_cmp`] order of their names. A node that misses its leader
//! sends Election with its own id to its successor; each node forwards the higher of the id it
//! received and its own (a node already taking part drops a lower id); the node that receives
//! its own id has the highest one on the ring and sends Elected around it.
//!
//! Neighbours: driven by [`super::driver`]; tested in [`tests`](self) without sockets.
//!
//! Token: an epoch, as in [`super::bully`]: Election messages carry the highest epoch seen
//! along the ring, and the winner takes that plus one, persisted before it is sent. No quorum:
//! each side of a partition closes its own ring and elects its own highest node.
//!
//! Design notes (where the paper, which assumes no failures, is silent):
//! - Each ring message is acknowledged by its receiver; without an acknowledgement within two
//!   heartbeat intervals the sender skips that node and tries the next one on the ring. A node
//!   that reaches nobody is a ring of one, and wins its own election.
//! - The leader sends `Alive` to every node every heartbeat interval; a node that hears none
//!   for an election timeout (or whose election produced no result in that time) starts one.
//!   Only `Alive` restarts that timer: an Elected message proves nothing about its leader, who
//!   may have died since. A node forwards a given Elected once, so one whose leader no longer
//!   answers dies out after one round instead of circling forever.
//! - A leader drops a lower node's Election and sends it `Alive` instead (no new token for
//!   nothing).
//! - When a partition heals, two leaders hear each other's `Alive`: the one with the later
//!   epoch (on a tie, the higher rank) [`supersedes`] the other, which steps down and follows
//!   it; every node follows the superseding leader the same way. So the merged ring keeps the
//!   newest leader rather than holding a new election.

use super::rank::{natural_cmp, sorted};
use super::{Action, Confirm, Machine, MachineConfig};
use crate::elector::Unconfirmed;
use crate::seat::Token;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::time::Instant;

pub use super::bully::EpochState;

#[cfg(test)]
mod tests;

/// The messages between Ring nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RingMsg {
    /// The highest id so far, going round.
    Election {
        /// The candidate's name.
        candidate: String,
        /// The highest epoch seen along the way.
        epoch: u64,
        /// The sender's message id, for the acknowledgement.
        id: u64,
    },
    /// The winner, going round.
    Elected {
        /// The leader's name.
        leader: String,
        /// Its epoch (its token).
        epoch: u64,
        /// The sender's message id, for the acknowledgement.
        id: u64,
    },
    /// The receiver of a ring message got it.
    Ack {
        /// The id acknowledged.
        id: u64,
    },
    /// The leader's heartbeat, to every node.
    Alive {
        /// The leader's epoch.
        epoch: u64,
    },
}

/// A ring message waiting for its acknowledgement.
#[derive(Debug, Clone)]
struct Pending {
    msg: RingMsg,
    to: String,
    skipped: BTreeSet<String>,
    due: Instant,
}

type Actions = Vec<Action<RingMsg, EpochState>>;

/// One Ring node.
#[derive(Debug)]
pub struct Ring {
    cfg: MachineConfig,
    ring: Vec<String>,
    rng: ChaCha8Rng,
    seen: u64,
    tenure: Option<u64>,
    participant: bool,
    leader: Option<(String, u64)>,
    due: Instant,
    heartbeat_due: Instant,
    pending: Vec<Pending>,
    next_id: u64,
    dirty: bool,
    out: Actions,
}

impl Ring {
    /// A node starting at `now` from its persisted state (`None`: a fresh node); it waits one
    /// election timeout before it campaigns.
    pub fn new(cfg: MachineConfig, persisted: Option<EpochState>, now: Instant) -> Ring {
        let ring = sorted(&cfg.nodes);
        let rng = super::node_rng(cfg.seed, &cfg.me);
        let seen = persisted.unwrap_or_default().epoch;
        let mut node = Ring {
            cfg,
            ring,
            rng,
            seen,
            tenure: None,
            participant: false,
            leader: None,
            due: now,
            heartbeat_due: now,
            pending: Vec::new(),
            next_id: 0,
            dirty: false,
            out: Vec::new(),
        };
        node.restart_timer(now);
        node
    }

    /// The first node after this one on the ring that is not in `skipped`, if any.
    pub fn successor(&self, skipped: &BTreeSet<String>) -> Option<String> {
        let me = self.ring.iter().position(|n| *n == self.cfg.me).unwrap_or(0);
        let mut after = self.ring.iter().cycle().skip(me + 1).take(self.ring.len() - 1);
        after.find(|n| !skipped.contains(*n)).cloned()
    }

    /// Whether this node is taking part in an election now.
    pub fn participant(&self) -> bool {
        self.participant
    }

    /// The highest epoch seen.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    fn restart_timer(&mut self, now: Instant) {
        self.due = now + self.cfg.timing.election_timeout(&mut self.rng);
    }

    fn send(&mut self, to: &str, msg: RingMsg) {
        self.out.push(Action::Send(to.to_string(), msg));
    }

    fn see(&mut self, epoch: u64) {
        if epoch > self.seen {
            self.seen = epoch;
            self.dirty = true;
        }
    }

    fn finish(&mut self) -> Actions {
        let mut actions = Vec::with_capacity(self.out.len() + 1);
        if std::mem::take(&mut self.dirty) {
            actions.push(Action::Persist(EpochState { epoch: self.seen }));
        }
        actions.append(&mut self.out);
        actions
    }

    /// Sends a ring message (`Election` or `Elected`, its id filled in here) to the successor,
    /// remembering it until acknowledged.
    fn forward(&mut self, now: Instant, msg: RingMsg) {
        self.next_id += 1;
        let msg = with_id(msg, self.next_id);
        self.pass_on(now, Pending { msg, to: String::new(), skipped: BTreeSet::new(), due: now });
    }

    fn pass_on(&mut self, now: Instant, mut p: Pending) {
        match self.successor(&p.skipped) {
            Some(to) => {
                self.send(&to, p.msg.clone());
                p.to = to;
                p.due = now + self.cfg.timing.heartbeat * 2;
                self.pending.push(p);
            }
            None => self.alone(now, &p.msg),
        }
    }

    /// Nobody else on the ring answers: this node is a ring of one.
    fn alone(&mut self, now: Instant, msg: &RingMsg) {
        if matches!(msg, RingMsg::Election { .. }) && self.tenure.is_none() {
            self.announce(now);
        }
    }

    fn start_election(&mut self, now: Instant) {
        self.participant = true;
        self.restart_timer(now);
        let election =
            RingMsg::Election { candidate: self.cfg.me.clone(), epoch: self.seen, id: 0 };
        self.forward(now, election);
    }

    fn announce(&mut self, now: Instant) {
        self.seen += 1;
        self.dirty = true;
        self.tenure = Some(self.seen);
        self.participant = false;
        self.leader = Some((self.cfg.me.clone(), self.seen));
        self.out.push(Action::Elected(self.seen, None));
        let elected = RingMsg::Elected { leader: self.cfg.me.clone(), epoch: self.seen, id: 0 };
        self.forward(now, elected);
        self.heartbeat(now);
    }

    fn heartbeat(&mut self, now: Instant) {
        self.heartbeat_due = now + self.cfg.timing.heartbeat;
        let epoch = self.tenure.unwrap_or(self.seen);
        for node in self.cfg.others().cloned().collect::<Vec<_>>() {
            self.send(&node, RingMsg::Alive { epoch });
        }
    }

    fn on_election(&mut self, now: Instant, candidate: String, epoch: u64) {
        match natural_cmp(&candidate, &self.cfg.me) {
            Ordering::Equal => self.announce(now),
            Ordering::Greater => {
                self.participant = true;
                self.restart_timer(now);
                self.forward(
                    now,
                    RingMsg::Election { candidate, epoch: self.seen.max(epoch), id: 0 },
                );
            }
            Ordering::Less if self.tenure.is_some() => {
                let epoch = self.tenure.unwrap_or(self.seen);
                self.send(&candidate, RingMsg::Alive { epoch });
            }
            Ordering::Less if !self.participant => self.start_election(now),
            Ordering::Less => {}
        }
    }

    fn on_elected(&mut self, now: Instant, leader: String, epoch: u64) {
        if leader == self.cfg.me {
            return;
        }
        let known = self.leader.as_ref();
        if known.is_some_and(|(n, e)| {
            *n == leader && *e == epoch || supersedes((n, *e), (&leader, epoch))
        }) {
            // Seen already (it went round past a leader that no longer answers), or older.
            return;
        }
        self.participant = false;
        if self.tenure.take().is_some() {
            self.out.push(Action::StepDown("superseded"));
        }
        self.leader = Some((leader.clone(), epoch));
        self.forward(now, RingMsg::Elected { leader, epoch, id: 0 });
    }

    fn on_alive(&mut self, now: Instant, from: &str, epoch: u64) {
        let newer = match &self.leader {
            None => true,
            Some((name, e)) => name == from || supersedes((from, epoch), (name, *e)),
        };
        if newer {
            self.participant = false;
            self.follow(now, from, epoch, "superseded");
        } else if let Some(tenure) = self.tenure {
            // An older leader (the other side of a healed partition): tell it about this one.
            self.send(from, RingMsg::Alive { epoch: tenure });
        }
    }

    /// Follows `leader` on its own heartbeat, the only thing that proves it alive.
    fn follow(&mut self, now: Instant, leader: &str, epoch: u64, reason: &'static str) {
        if self.tenure.take().is_some() {
            self.out.push(Action::StepDown(reason));
        }
        self.leader = Some((leader.to_string(), epoch));
        self.restart_timer(now);
    }

    fn retry_unacknowledged(&mut self, now: Instant) {
        let (late, waiting): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut self.pending).into_iter().partition(|p| now >= p.due);
        self.pending = waiting;
        for mut p in late {
            p.skipped.insert(p.to.clone());
            self.pass_on(now, p);
        }
    }
}

/// Whether leader `a` (name, epoch) supersedes leader `b`: a later epoch, or the same epoch
/// (two sides of a partition can pick the same one) and a higher rank.
pub fn supersedes(a: (&str, u64), b: (&str, u64)) -> bool {
    a.1 > b.1 || (a.1 == b.1 && natural_cmp(a.0, b.0) == Ordering::Greater)
}

fn with_id(msg: RingMsg, id: u64) -> RingMsg {
    match msg {
        RingMsg::Election { candidate, epoch, .. } => RingMsg::Election { candidate, epoch, id },
        RingMsg::Elected { leader, epoch, .. } => RingMsg::Elected { leader, epoch, id },
        other => other,
    }
}

impl Machine for Ring {
    type Msg = RingMsg;
    type Durable = EpochState;

    fn tick(&mut self, now: Instant) -> Actions {
        self.retry_unacknowledged(now);
        if self.tenure.is_some() {
            if now >= self.heartbeat_due {
                self.heartbeat(now);
            }
        } else if now >= self.due {
            self.start_election(now);
        }
        self.finish()
    }

    fn receive(&mut self, now: Instant, from: &str, msg: RingMsg) -> Actions {
        match msg {
            RingMsg::Election { candidate, epoch, id } => {
                self.send(from, RingMsg::Ack { id });
                self.see(epoch);
                self.on_election(now, candidate, epoch);
            }
            RingMsg::Elected { leader, epoch, id } => {
                self.send(from, RingMsg::Ack { id });
                self.see(epoch);
                self.on_elected(now, leader, epoch);
            }
            RingMsg::Ack { id } => self.pending.retain(|p| msg_id(&p.msg) != id || p.to != from),
            RingMsg::Alive { epoch } => {
                self.see(epoch);
                self.on_alive(now, from, epoch);
            }
        }
        self.finish()
    }

    fn next_wake(&self) -> Instant {
        let timer = if self.tenure.is_some() { self.heartbeat_due } else { self.due };
        self.pending.iter().map(|p| p.due).fold(timer, Instant::min)
    }

    fn confirm(&mut self, _now: Instant, token: Option<Token>) -> (Confirm, Actions) {
        let answer = match self.leads(token) {
            true => Ok(()),
            false => Err(Unconfirmed::NotLeader(self.view().0)),
        };
        (Confirm::Now(answer), Vec::new())
    }

    fn confirmed(&self) -> u64 {
        0
    }

    fn leads(&self, token: Option<Token>) -> bool {
        token.is_some() && self.tenure == token
    }

    fn view(&self) -> (Option<String>, Option<u64>) {
        (self.leader.as_ref().map(|(n, _)| n.clone()), Some(self.seen))
    }
}

fn msg_id(msg: &RingMsg) -> u64 {
    match msg {
        RingMsg::Election { id, .. } | RingMsg::Elected { id, .. } | RingMsg::Ack { id } => *id,
        RingMsg::Alive { .. } => 0,
    }
}
