//! Raft's leader election (§5.2 of the Raft paper) as a pure state machine: terms,
//! RequestVote, heartbeats (empty AppendEntries), randomized election timeouts, stepping down on
//! a higher term. The token is the term.
//!
//! Neighbours: driven by [`super::driver`]; rules tested in [`tests`](self) without sockets;
//! the planted bugs of [`crate::bugs`] that concern the election are switched here.
//!
//! Design notes:
//! - There is no log, so the "candidate's log is at least as up-to-date" check of RequestVote is
//!   vacuous; everything else follows the paper. `currentTerm` and `votedFor` are persisted (the
//!   driver fsyncs) before any answer that depends on them leaves.
//! - A candidate resends RequestVote every heartbeat interval to the peers that have not
//!   answered ("servers retry RPCs if they do not receive a response"), which matters over UDP.
//! - Every heartbeat broadcast is a numbered round; a follower echoes the round. A read is
//!   confirmed once a majority (the leader included) has acknowledged a round sent after the
//!   read arrived: the ReadIndex check of the Raft thesis (§6.4), without a log index.
//! - With `lease-read` a leader also holds a lease ([`lease`]): followers keep a promise not to
//!   vote after hearing it, heartbeats go one at a time per follower, and the node core answers
//!   reads from its copy while the lease lasts.

use super::{Action, Confirm, ElectionTiming, Machine, MachineConfig};
use crate::bugs::{Bug, Bugs};
use crate::elector::Unconfirmed;
use crate::seat::Token;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

pub mod lease;
#[cfg(test)]
mod lease_tests;
mod msg;
#[cfg(test)]
mod tests;

use lease::Lease;
pub use msg::{HardState, RaftMsg};

/// A node's role in its current term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Follows a leader, or waits for one.
    Follower,
    /// Asks for votes.
    Candidate,
    /// Leads under the current term.
    Leader,
}

/// The votes a candidate needs among `n` nodes: a majority, or ⌊N/2⌋ (at least 1) with the
/// `small-quorum` bug.
pub fn quorum(n: usize, small: bool) -> usize {
    if small {
        (n / 2).max(1)
    } else {
        n / 2 + 1
    }
}

/// Whether a node holding `hard` (already brought up to the request's term if it was higher)
/// grants its vote in `term` to `candidate`: same term, and no vote yet or the same one again.
pub fn may_grant(hard: &HardState, term: u64, candidate: &str) -> bool {
    term == hard.term && hard.voted_for.as_deref().is_none_or(|v| v == candidate)
}

/// The highest round acknowledged by `quorum` nodes, the leader's own `round` included.
pub fn quorum_round(own: u64, acks: impl Iterator<Item = u64>, quorum: usize) -> u64 {
    let mut rounds: Vec<u64> = std::iter::once(own).chain(acks).collect();
    rounds.sort_unstable_by(|a, b| b.cmp(a));
    quorum.checked_sub(1).and_then(|i| rounds.get(i)).copied().unwrap_or(0)
}

type Actions = Vec<Action<RaftMsg, HardState>>;

/// One Raft node's election state.
#[derive(Debug)]
pub struct Raft {
    cfg: MachineConfig,
    bugs: Bugs,
    rng: ChaCha8Rng,
    hard: HardState,
    role: Role,
    leader: Option<String>,
    votes: BTreeSet<String>,
    answered: BTreeSet<String>,
    election_due: Instant,
    heartbeat_due: Instant,
    round: u64,
    acked: BTreeMap<String, u64>,
    lease: Option<Lease>,
    dirty: bool,
    out: Actions,
}

impl Raft {
    /// A follower starting at `now` from the state it had persisted (`None`: a fresh node).
    pub fn new(cfg: MachineConfig, bugs: Bugs, persisted: Option<HardState>, now: Instant) -> Raft {
        let mut hard = persisted.unwrap_or_default();
        if bugs.has(Bug::ForgetVote) {
            hard.voted_for = None;
        }
        let rng = super::node_rng(cfg.seed, &cfg.me);
        let lease = bugs.has(Bug::LeaseRead).then(|| Lease::new(cfg.timing, now));
        let mut raft = Raft {
            cfg,
            bugs,
            rng,
            hard,
            role: Role::Follower,
            leader: None,
            votes: BTreeSet::new(),
            answered: BTreeSet::new(),
            election_due: now,
            heartbeat_due: now,
            round: 0,
            acked: BTreeMap::new(),
            lease,
            dirty: false,
            out: Vec::new(),
        };
        raft.reset_election(now);
        raft
    }

    /// The persisted state as it is now.
    pub fn hard_state(&self) -> &HardState {
        &self.hard
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    fn timing(&self) -> ElectionTiming {
        self.cfg.timing
    }

    fn quorum(&self) -> usize {
        quorum(self.cfg.nodes.len(), self.bugs.has(Bug::SmallQuorum))
    }

    fn others(&self) -> Vec<String> {
        self.cfg.others().cloned().collect()
    }

    fn send(&mut self, to: &str, msg: RaftMsg) {
        self.out.push(Action::Send(to.to_string(), msg));
    }

    /// This step's actions: the durable state first when it changed, so nothing that depends on
    /// it leaves before it is on disk.
    fn finish(&mut self) -> Actions {
        let mut actions = Vec::with_capacity(self.out.len() + 1);
        if std::mem::take(&mut self.dirty) {
            let mut durable = self.hard.clone();
            if self.bugs.has(Bug::ForgetVote) {
                durable.voted_for = None;
            }
            actions.push(Action::Persist(durable));
        }
        actions.append(&mut self.out);
        actions
    }

    fn reset_election(&mut self, now: Instant) {
        let timeout = self.timing().election_timeout(&mut self.rng);
        self.election_due = now + timeout;
    }

    /// Moves to a higher `term` as a follower with no vote, stepping down if leading.
    fn adopt(&mut self, now: Instant, term: u64) {
        self.hard = HardState { term, voted_for: None };
        self.dirty = true;
        if self.role == Role::Leader {
            self.out.push(Action::StepDown("higher-term"));
            self.reset_election(now);
        }
        self.role = Role::Follower;
        self.leader = None;
    }

    fn start_election(&mut self, now: Instant) {
        self.hard = HardState { term: self.hard.term + 1, voted_for: Some(self.cfg.me.clone()) };
        self.dirty = true;
        self.role = Role::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.cfg.me.clone()]);
        self.answered.clear();
        self.reset_election(now);
        self.heartbeat_due = now + self.timing().heartbeat;
        if self.votes.len() >= self.quorum() {
            return self.become_leader(now);
        }
        for peer in self.others() {
            self.send(&peer, RaftMsg::RequestVote { term: self.hard.term });
        }
    }

    fn resend_vote_requests(&mut self, now: Instant) {
        self.heartbeat_due = now + self.timing().heartbeat;
        let silent: Vec<String> =
            self.others().into_iter().filter(|p| !self.answered.contains(p)).collect();
        for peer in silent {
            self.send(&peer, RaftMsg::RequestVote { term: self.hard.term });
        }
    }

    fn become_leader(&mut self, now: Instant) {
        self.role = Role::Leader;
        self.leader = Some(self.cfg.me.clone());
        self.acked.clear();
        if let Some(lease) = &mut self.lease {
            lease.lead();
        }
        self.out.push(Action::Elected(self.hard.term, Some(self.hard.term)));
        self.broadcast_heartbeat(now);
    }

    fn broadcast_heartbeat(&mut self, now: Instant) {
        self.round += 1;
        self.heartbeat_due = now + self.timing().heartbeat;
        for peer in self.others() {
            if self.lease.as_ref().is_some_and(|l| !l.due(&peer, now)) {
                continue;
            }
            if let Some(lease) = &mut self.lease {
                lease.sent(&peer, self.round, now);
            }
            self.send(&peer, RaftMsg::Heartbeat { term: self.hard.term, round: self.round });
        }
    }

    fn on_request_vote(&mut self, now: Instant, from: &str, term: u64) {
        let granted = may_grant(&self.hard, term, from);
        if granted {
            if self.hard.voted_for.is_none() {
                self.hard.voted_for = Some(from.to_string());
                self.dirty = true;
            }
            self.reset_election(now);
        }
        self.send(from, RaftMsg::Vote { term: self.hard.term, granted });
    }

    fn on_vote(&mut self, now: Instant, from: &str, term: u64, granted: bool) {
        let stale = term != self.hard.term && !self.bugs.has(Bug::StaleVote);
        if self.role != Role::Candidate || stale {
            return;
        }
        self.answered.insert(from.to_string());
        if granted {
            self.votes.insert(from.to_string());
        }
        if self.votes.len() >= self.quorum() {
            self.become_leader(now);
        }
    }

    fn on_heartbeat(&mut self, now: Instant, from: &str, term: u64, round: u64) {
        if term < self.hard.term {
            return self.send(from, RaftMsg::HeartbeatAck { term: self.hard.term, round });
        }
        if self.role == Role::Leader {
            // Another leader in this very term: impossible unless a bug (small-quorum) made it.
            // Both go on, as such a buggy node would, so the harness sees two claims of a term.
            return;
        }
        self.role = Role::Follower;
        self.leader = Some(from.to_string());
        self.reset_election(now);
        if let Some(lease) = &mut self.lease {
            lease.heard(now);
        }
        self.send(from, RaftMsg::HeartbeatAck { term, round });
    }

    fn on_ack(&mut self, now: Instant, from: &str, term: u64, round: u64) {
        if self.role == Role::Leader && term == self.hard.term {
            let acked = self.acked.entry(from.to_string()).or_default();
            *acked = (*acked).max(round);
            if let Some(lease) = &mut self.lease {
                lease.answered(from, round, now);
            }
        }
    }

    /// True for a vote request this node must not even look at: it promised its leader, by
    /// the lease, not to vote so soon after hearing it.
    fn keeps_promise(&self, now: Instant, msg: &RaftMsg) -> bool {
        let promised = self.lease.as_ref().is_some_and(|l| l.promised(now));
        promised && self.role != Role::Leader && matches!(msg, RaftMsg::RequestVote { .. })
    }

    /// The `no-stepdown` leader's answer to a message of a higher term: its own term, as if the
    /// higher one did not exist.
    fn ignore_higher(&mut self, from: &str, msg: &RaftMsg) {
        let term = self.hard.term;
        match *msg {
            RaftMsg::RequestVote { .. } => self.send(from, RaftMsg::Vote { term, granted: false }),
            RaftMsg::Heartbeat { round, .. } => {
                self.send(from, RaftMsg::HeartbeatAck { term, round })
            }
            RaftMsg::Vote { .. } | RaftMsg::HeartbeatAck { .. } => {}
        }
    }
}

impl Machine for Raft {
    type Msg = RaftMsg;
    type Durable = HardState;

    fn tick(&mut self, now: Instant) -> Actions {
        match self.role {
            Role::Leader if now >= self.heartbeat_due => self.broadcast_heartbeat(now),
            Role::Leader => {}
            _ if now >= self.election_due => self.start_election(now),
            Role::Candidate if now >= self.heartbeat_due => self.resend_vote_requests(now),
            _ => {}
        }
        self.finish()
    }

    fn receive(&mut self, now: Instant, from: &str, msg: RaftMsg) -> Actions {
        if self.keeps_promise(now, &msg) {
            return self.finish();
        }
        if msg.term() > self.hard.term {
            if self.role == Role::Leader && self.bugs.has(Bug::NoStepdown) {
                self.ignore_higher(from, &msg);
                return self.finish();
            }
            self.adopt(now, msg.term());
        }
        match msg {
            RaftMsg::RequestVote { term } => self.on_request_vote(now, from, term),
            RaftMsg::Vote { term, granted } => self.on_vote(now, from, term, granted),
            RaftMsg::Heartbeat { term, round } => self.on_heartbeat(now, from, term, round),
            RaftMsg::HeartbeatAck { term, round } => self.on_ack(now, from, term, round),
        }
        self.finish()
    }

    fn next_wake(&self) -> Instant {
        match self.role {
            Role::Leader => self.heartbeat_due,
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
        let acks = self.cfg.others().map(|p| self.acked.get(p).copied().unwrap_or(0));
        quorum_round(self.round, acks, self.quorum())
    }

    fn leads(&self, token: Option<Token>) -> bool {
        self.role == Role::Leader && token == Some(self.hard.term)
    }

    fn view(&self) -> (Option<String>, Option<u64>) {
        (self.leader.clone(), Some(self.hard.term))
    }

    fn lease(&self) -> Option<(Token, Instant)> {
        let lease = self.lease.as_ref().filter(|_| self.role == Role::Leader)?;
        lease.end(self.quorum()).map(|end| (self.hard.term, end))
    }
}
