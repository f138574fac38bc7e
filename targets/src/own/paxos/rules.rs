//! The rules of [`Paxos`](super::Paxos): what a proposer, an acceptor and a leader do on each
//! timer and message. Kept apart from the machine's state so each reads on its own.

use super::{may_follow, may_promise, Ballot, Paxos, PaxosMsg, Role};
use crate::bugs::Bug;
use crate::own::Action;
use std::collections::BTreeSet;
use std::time::Instant;

impl Paxos {
    /// Phase 1a with a ballot above every round seen, promised by this node's own acceptor
    /// first (so it is on disk before any Prepare leaves).
    pub(super) fn campaign(&mut self, now: Instant) {
        let round = self.promised.round.max(self.seen).max(self.ballot.round) + 1;
        self.ballot = Ballot { round, rank: self.rank };
        self.seen = round;
        self.promise(self.ballot);
        self.role = Role::Candidate;
        self.leader = None;
        self.promises = BTreeSet::from([self.cfg.me.clone()]);
        self.answered.clear();
        self.reset_election(now);
        self.heartbeat_due = now + self.timing().heartbeat;
        self.lease_from = now;
        if self.promises.len() >= self.quorum() {
            return self.become_leader(now);
        }
        for peer in self.others() {
            self.send(&peer, PaxosMsg::Prepare { ballot: self.ballot });
        }
    }

    /// Resends Prepare to the silent peers; with `no-quorum-check`, phase 1 ends here instead
    /// and the candidate leads on whatever promises it has.
    pub(super) fn resend_prepares(&mut self, now: Instant) {
        self.heartbeat_due = now + self.timing().heartbeat;
        if self.bugs.has(Bug::NoQuorumCheck) {
            return self.become_leader(now);
        }
        let silent: Vec<String> =
            self.others().into_iter().filter(|p| !self.answered.contains(p)).collect();
        for peer in silent {
            self.send(&peer, PaxosMsg::Prepare { ballot: self.ballot });
        }
    }

    pub(super) fn become_leader(&mut self, now: Instant) {
        self.role = Role::Leader;
        self.leader = Some(self.cfg.me.clone());
        self.acked.clear();
        self.sent.clear();
        let round = self.ballot.round;
        self.out.push(Action::Elected(round, Some(round)));
        self.broadcast_heartbeat(now);
    }

    pub(super) fn broadcast_heartbeat(&mut self, now: Instant) {
        self.round += 1;
        self.sent.insert(self.round, now);
        self.heartbeat_due = now + self.timing().heartbeat;
        for peer in self.others() {
            self.send(&peer, PaxosMsg::Heartbeat { ballot: self.ballot, round: self.round });
        }
        self.renew_lease();
    }

    /// Moves the lease to the sending time of the latest round a majority acknowledged.
    fn renew_lease(&mut self) {
        let confirmed = self.confirmed_round();
        if let Some(at) = self.sent.get(&confirmed) {
            self.lease_from = self.lease_from.max(*at);
        }
        self.sent.retain(|round, _| *round >= confirmed);
    }

    pub(super) fn on_prepare(&mut self, now: Instant, from: &str, ballot: Ballot) {
        let granted = may_promise(self.promised, ballot, self.bugs.has(Bug::IgnoreRank));
        if granted {
            if self.role != Role::Follower {
                self.yield_to(now, "higher-ballot");
            }
            self.promise(ballot);
            self.reset_election(now);
        }
        let promised = self.promised;
        self.send(from, PaxosMsg::Promise { ballot, granted, promised });
    }

    pub(super) fn on_promise(&mut self, now: Instant, from: &str, ballot: Ballot, granted: bool) {
        if self.role != Role::Candidate || ballot != self.ballot {
            return;
        }
        self.answered.insert(from.to_string());
        if granted {
            self.promises.insert(from.to_string());
        }
        let all_answered = self.answered.len() + 1 == self.cfg.nodes.len();
        if self.promises.len() >= self.quorum()
            || (all_answered && self.bugs.has(Bug::NoQuorumCheck))
        {
            self.become_leader(now);
        }
    }

    pub(super) fn on_heartbeat(&mut self, now: Instant, from: &str, ballot: Ballot, round: u64) {
        if self.role == Role::Leader && ballot.round == self.ballot.round {
            // Another leader of this very round: impossible unless a bug made it. Both go on,
            // as such a buggy node would, so the harness sees two claims of one token.
            return;
        }
        if !may_follow(self.promised, ballot) {
            let promised = self.promised;
            return self
                .send(from, PaxosMsg::HeartbeatAck { ballot, round, granted: false, promised });
        }
        if self.role != Role::Follower {
            self.yield_to(now, "higher-ballot");
        }
        self.promise(ballot);
        self.leader = Some(from.to_string());
        self.reset_election(now);
        self.send(from, PaxosMsg::HeartbeatAck { ballot, round, granted: true, promised: ballot });
    }

    pub(super) fn on_ack(&mut self, now: Instant, from: &str, ack: (Ballot, u64, bool, Ballot)) {
        let (ballot, round, granted, promised) = ack;
        if self.role != Role::Leader || ballot != self.ballot {
            return;
        }
        if granted {
            let acked = self.acked.entry(from.to_string()).or_default();
            *acked = (*acked).max(round);
            self.renew_lease();
        } else if promised.round > self.ballot.round {
            self.yield_to(now, "higher-ballot");
        }
    }
}
