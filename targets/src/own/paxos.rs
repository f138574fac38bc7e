//! Leader election by Paxos (phase 1 of single-decree Paxos per ballot) as a pure state machine:
//! ballots above any seen, a majority of promises makes the proposer leader for its ballot,
//! heartbeats keep it, a lease or a higher ballot ends it. The token is the ballot's round.
//!
//! Neighbours: driven by [`super::driver`] beside [`super::raft`] (whose quorum arithmetic it
//! shares); rules tested in [`tests`](self) without sockets; the planted bugs
//! `forget-promise`, `no-quorum-check` and `ignore-rank` of [`crate::bugs`] are switched here.
//!
//! Design:
//! - A ballot is (round, rank): the rank is the node's place in the natural order of the names,
//!   so a ballot names its proposer and no two nodes share one. An acceptor promises a ballot
//!   only of a round above the round it promised, or the very ballot it promised (a resend).
//!   The rank never breaks a tie: two proposers of one round split the acceptors, at most one
//!   gets a majority, and the other tries again above. So at most one node ever leads a round,
//!   and the round itself is the fencing token (with the textbook total order, round then rank,
//!   `(5,n1)` and then `(5,n2)` could both lead round 5, and the token would have to encode the
//!   rank as well).
//! - Phase 2 is not needed. Classic Paxos needs it to choose a value consistent with values
//!   accepted under lower ballots; here the value ("the proposer of ballot b leads") is fixed by
//!   the ballot, and what makes leadership exclusive is phase 1 alone: once a majority promised
//!   round r, no lower round can gather a majority. Heartbeats play Accept's part for liveness
//!   and reads: an acceptor follows a heartbeat of its promised round or a higher one (raising
//!   its promise, durably, for a higher one; a heartbeat shows its ballot won phase 1, so the
//!   rival of the same round cannot win any more), and refuses a lower one with its promise.
//!   Nothing else is persisted: the promise is the whole durable state, written and fsynced
//!   before any answer that depends on it. A proposer's own acceptor promises its ballot first,
//!   so a restarted proposer picks its rounds above every one it used.
//! - A read is confirmed as in Raft's ReadIndex check: a majority (the leader included) has
//!   acknowledged a heartbeat round sent after the read arrived, so no higher round had a
//!   majority of promises before that.
//! - The leader steps down when no majority acknowledged a heartbeat round sent within the last
//!   election timeout (`election_max`: "lease-expired"), or when an answer or a message shows a
//!   higher round ("higher-ballot"). A candidate resends Prepare every heartbeat interval to the
//!   peers that have not answered, as Raft's candidate does over UDP.

use super::raft::{quorum, quorum_round};
use super::{Action, Confirm, ElectionTiming, Machine, MachineConfig};
use crate::bugs::{Bug, Bugs};
use crate::elector::Unconfirmed;
use crate::seat::Token;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

mod rules;
#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod tests;

/// A Paxos ballot: a round and the proposer's rank (its 1-based place in the natural order of
/// the node names). `(0, 0)` is below every real ballot.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Ballot {
    /// The round: what proposers raise, and the leader's fencing token.
    pub round: u64,
    /// The proposer's rank.
    pub rank: u64,
}

/// What an acceptor keeps on disk: the ballot it promised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promised {
    /// The promised ballot (`(0, 0)`: none yet).
    pub ballot: Ballot,
}

/// The messages between Paxos nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PaxosMsg {
    /// Phase 1a: a proposer asks for promises for `ballot`.
    Prepare {
        /// The proposer's ballot.
        ballot: Ballot,
    },
    /// Phase 1b: the answer to a Prepare, with the acceptor's promise after it.
    Promise {
        /// The ballot answered.
        ballot: Ballot,
        /// True when the acceptor promised `ballot`.
        granted: bool,
        /// The acceptor's promise, so a refused proposer learns the round to beat.
        promised: Ballot,
    },
    /// A leader's heartbeat, numbered by `round` (a heartbeat round, not the ballot's).
    Heartbeat {
        /// The leader's ballot.
        ballot: Ballot,
        /// The heartbeat round.
        round: u64,
    },
    /// The answer to a heartbeat.
    HeartbeatAck {
        /// The ballot answered.
        ballot: Ballot,
        /// The heartbeat round answered.
        round: u64,
        /// True when the acceptor follows `ballot`.
        granted: bool,
        /// The acceptor's promise.
        promised: Ballot,
    },
}

impl PaxosMsg {
    /// The highest round the message shows.
    pub fn round_seen(&self) -> u64 {
        match self {
            PaxosMsg::Prepare { ballot } | PaxosMsg::Heartbeat { ballot, .. } => ballot.round,
            PaxosMsg::Promise { ballot, promised, .. }
            | PaxosMsg::HeartbeatAck { ballot, promised, .. } => ballot.round.max(promised.round),
        }
    }
}

/// A node's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Follows a leader, or waits for one.
    Follower,
    /// Runs phase 1 for its ballot.
    Candidate,
    /// Leads under its ballot.
    Leader,
}

/// Whether an acceptor that promised `promised` promises `ballot`: a higher round, or the same
/// ballot again. With `ignore_rank` (the `ignore-rank` bug) any ballot of the promised round
/// counts as the same one.
pub fn may_promise(promised: Ballot, ballot: Ballot, ignore_rank: bool) -> bool {
    ballot.round > promised.round
        || ballot == promised
        || (ignore_rank && ballot.round == promised.round)
}

/// Whether an acceptor that promised `promised` follows a heartbeat of `ballot`: one of its
/// promised round or a higher one (only the ballot that won phase 1 sends heartbeats).
pub fn may_follow(promised: Ballot, ballot: Ballot) -> bool {
    ballot.round >= promised.round
}

/// The rank of `me` among `nodes`: 1 + its place in their natural order.
pub fn rank_of(nodes: &[String], me: &str) -> u64 {
    let sorted = super::rank::sorted(nodes);
    sorted.iter().position(|n| n == me).map_or(0, |i| i as u64 + 1)
}

type Actions = Vec<Action<PaxosMsg, Promised>>;

/// One Paxos node: proposer, acceptor and (when it wins) leader.
#[derive(Debug)]
pub struct Paxos {
    cfg: MachineConfig,
    bugs: Bugs,
    rng: ChaCha8Rng,
    rank: u64,
    promised: Ballot,
    seen: u64,
    ballot: Ballot,
    role: Role,
    leader: Option<String>,
    promises: BTreeSet<String>,
    answered: BTreeSet<String>,
    election_due: Instant,
    heartbeat_due: Instant,
    round: u64,
    sent: BTreeMap<u64, Instant>,
    lease_from: Instant,
    acked: BTreeMap<String, u64>,
    dirty: bool,
    out: Actions,
}

impl Paxos {
    /// A follower starting at `now` from the promise it had persisted (`None`: a fresh node).
    pub fn new(cfg: MachineConfig, bugs: Bugs, persisted: Option<Promised>, now: Instant) -> Paxos {
        let promised = persisted.unwrap_or_default().ballot;
        let rng = super::node_rng(cfg.seed, &cfg.me);
        let rank = rank_of(&cfg.nodes, &cfg.me);
        let mut paxos = Paxos {
            cfg,
            bugs,
            rng,
            rank,
            promised,
            seen: promised.round,
            ballot: Ballot::default(),
            role: Role::Follower,
            leader: None,
            promises: BTreeSet::new(),
            answered: BTreeSet::new(),
            election_due: now,
            heartbeat_due: now,
            round: 0,
            sent: BTreeMap::new(),
            lease_from: now,
            acked: BTreeMap::new(),
            dirty: false,
            out: Vec::new(),
        };
        paxos.reset_election(now);
        paxos
    }

    /// The ballot this node promised.
    pub fn promised(&self) -> Ballot {
        self.promised
    }

    /// The ballot this node proposed last (`(0, 0)` before its first campaign).
    pub fn ballot(&self) -> Ballot {
        self.ballot
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    fn timing(&self) -> ElectionTiming {
        self.cfg.timing
    }

    fn quorum(&self) -> usize {
        quorum(self.cfg.nodes.len(), false)
    }

    fn others(&self) -> Vec<String> {
        self.cfg.others().cloned().collect()
    }

    fn send(&mut self, to: &str, msg: PaxosMsg) {
        self.out.push(Action::Send(to.to_string(), msg));
    }

    /// This step's actions: the promise first when it changed, so nothing that depends on it
    /// leaves before it is on disk (with `forget-promise`, what reaches the disk is no promise).
    fn finish(&mut self) -> Actions {
        let mut actions = Vec::with_capacity(self.out.len() + 1);
        if std::mem::take(&mut self.dirty) {
            let ballot =
                if self.bugs.has(Bug::ForgetPromise) { Ballot::default() } else { self.promised };
            actions.push(Action::Persist(Promised { ballot }));
        }
        actions.append(&mut self.out);
        actions
    }

    fn reset_election(&mut self, now: Instant) {
        let timeout = self.timing().election_timeout(&mut self.rng);
        self.election_due = now + timeout;
    }

    /// Promises `ballot` (durably, when it is a new promise).
    fn promise(&mut self, ballot: Ballot) {
        if ballot != self.promised {
            self.promised = ballot;
            self.dirty = true;
        }
    }

    /// Gives up leading or campaigning: `reason` is reported when this node led.
    fn yield_to(&mut self, now: Instant, reason: &'static str) {
        if self.role == Role::Leader {
            self.out.push(Action::StepDown(reason));
            self.reset_election(now);
        }
        self.role = Role::Follower;
        self.leader = None;
    }

    /// The highest heartbeat round a majority (this node included) acknowledged.
    fn confirmed_round(&self) -> u64 {
        let acks = self.cfg.others().map(|p| self.acked.get(p).copied().unwrap_or(0));
        quorum_round(self.round, acks, self.quorum())
    }

    /// Confirmed leadership holds when a majority acknowledged a round sent within the lease.
    fn lease_lapsed(&self, now: Instant) -> bool {
        now >= self.lease_from + self.timing().election_max
    }
}

impl Machine for Paxos {
    type Msg = PaxosMsg;
    type Durable = Promised;

    fn tick(&mut self, now: Instant) -> Actions {
        match self.role {
            Role::Leader if self.lease_lapsed(now) => self.yield_to(now, "lease-expired"),
            Role::Leader if now >= self.heartbeat_due => self.broadcast_heartbeat(now),
            Role::Leader => {}
            _ if now >= self.election_due => self.campaign(now),
            Role::Candidate if now >= self.heartbeat_due => self.resend_prepares(now),
            _ => {}
        }
        self.finish()
    }

    fn receive(&mut self, now: Instant, from: &str, msg: PaxosMsg) -> Actions {
        self.seen = self.seen.max(msg.round_seen());
        match msg {
            PaxosMsg::Prepare { ballot } => self.on_prepare(now, from, ballot),
            PaxosMsg::Promise { ballot, granted, .. } => {
                self.on_promise(now, from, ballot, granted)
            }
            PaxosMsg::Heartbeat { ballot, round } => self.on_heartbeat(now, from, ballot, round),
            PaxosMsg::HeartbeatAck { ballot, round, granted, promised } => {
                self.on_ack(now, from, (ballot, round, granted, promised))
            }
        }
        self.finish()
    }

    fn next_wake(&self) -> Instant {
        match self.role {
            Role::Leader => self.heartbeat_due.min(self.lease_from + self.timing().election_max),
            Role::Candidate => self.election_due.min(self.heartbeat_due),
            Role::Follower => self.election_due,
        }
    }

    fn confirm(&mut self, now: Instant, token: Option<Token>) -> (Confirm, Actions) {
        if !self.leads(token) {
            return (Confirm::Now(Err(Unconfirmed::NotLeader(self.leader.clone()))), Vec::new());
        }
        self.broadcast_heartbeat(now);
        (Confirm::Round(self.round), self.finish())
    }

    fn confirmed(&self) -> u64 {
        self.confirmed_round()
    }

    fn leads(&self, token: Option<Token>) -> bool {
        self.role == Role::Leader && token == Some(self.ballot.round)
    }

    fn view(&self) -> (Option<String>, Option<u64>) {
        (self.leader.clone(), Some(self.seen.max(self.promised.round)))
    }
}
