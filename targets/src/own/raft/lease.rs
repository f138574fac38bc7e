//! The leader lease of `--bug lease-read`: a leader answers reads from its own copy, without a
//! heartbeat round, while a majority has answered it recently; followers promise not to vote
//! for an election timeout after hearing their leader, which is what the lease leans on.
//!
//! Neighbours: [`super::Raft`] feeds it what it sends, hears and is answered, and asks it for
//! the lease's end ([`crate::own::Machine::lease`]); the node core serves a read from the
//! copy while that end is in the future.
//!
//! Design (hashicorp/raft's, which Consul's default reads and Vault lean on):
//! - A follower refuses every vote request for `election_min` after a heartbeat of its
//!   leader (the Raft thesis, §4.2.3), and a node just started does the same: it may have
//!   answered a leader before its restart.
//! - The leader keeps one heartbeat in flight per follower: the next goes once the last one
//!   is answered, or after an election timeout without an answer (a synchronous RPC per
//!   follower, as hashicorp/raft's replication does). While messages are fast this is a
//!   heartbeat every interval; with a round trip longer than the interval, heartbeats slow
//!   to the round trip.
//! - The lease ends `election_min` less a tenth (the drift bound a real lease subtracts; one
//!   kernel clock serves every node here) after the last contact of a majority.
//!
//! The planted mistake: a follower's last contact is the time its answer *arrived*
//! (`lastContact`), not the time the heartbeat it answers was *sent*. The follower's promise
//! runs from when it *received* the heartbeat, so the lease outlives the promise by the
//! answer's time on the wire: nothing while messages are fast or dropped (partitions), the
//! whole delay when answers are late.

use crate::own::ElectionTiming;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One node's side of the lease: its promise as a follower, its contacts as a leader.
#[derive(Debug)]
pub struct Lease {
    timing: ElectionTiming,
    /// When this node last heard a leader (or started).
    heard: Instant,
    /// Per follower: the round in flight to it and when it left.
    in_flight: BTreeMap<String, (u64, Instant)>,
    /// Per follower: its last contact (when its last answer arrived).
    contact: BTreeMap<String, Instant>,
}

impl Lease {
    /// The lease state of a node starting at `now`: it keeps a promise from its start.
    pub fn new(timing: ElectionTiming, now: Instant) -> Lease {
        Lease { timing, heard: now, in_flight: BTreeMap::new(), contact: BTreeMap::new() }
    }

    /// How long a lease lasts after a majority's contact.
    pub fn length(&self) -> Duration {
        self.timing.election_min - self.timing.election_min / 10
    }

    /// A heartbeat of this node's leader arrived at `now`: the promise starts again.
    pub fn heard(&mut self, now: Instant) {
        self.heard = now;
    }

    /// True while this node keeps its promise not to vote.
    pub fn promised(&self, now: Instant) -> bool {
        now < self.heard + self.timing.election_min
    }

    /// This node starts leading: no contact yet, nothing in flight.
    pub fn lead(&mut self) {
        self.in_flight.clear();
        self.contact.clear();
    }

    /// True when `peer` may be sent a heartbeat at `now`: its last one was answered, or has
    /// gone unanswered for an election timeout.
    pub fn due(&self, peer: &str, now: Instant) -> bool {
        self.in_flight.get(peer).is_none_or(|&(_, at)| now >= at + self.timing.election_max)
    }

    /// Heartbeat `round` left for `peer` at `now`.
    pub fn sent(&mut self, peer: &str, round: u64, now: Instant) {
        self.in_flight.insert(peer.to_string(), (round, now));
    }

    /// `peer`'s answer to `round` arrived at `now`: its last contact is now (the mistake).
    pub fn answered(&mut self, peer: &str, round: u64, now: Instant) {
        if self.in_flight.get(peer).is_some_and(|&(r, _)| r <= round) {
            self.in_flight.remove(peer);
        }
        self.contact.insert(peer.to_string(), now);
    }

    /// When the lease of a leader that needs `quorum` nodes (itself included) ends, or `None`
    /// while too few followers have answered in this tenure.
    pub fn end(&self, quorum: usize) -> Option<Instant> {
        lease_end(self.contact.values().copied(), quorum, self.length())
    }
}

/// The end of a lease of `length` given the followers' last `contacts`: `length` after the
/// contact of the follower that completes a majority of `quorum` with the leader. `None`
/// when too few have answered, and for a single node (it needs no lease: its rounds confirm
/// at once).
pub fn lease_end(
    contacts: impl Iterator<Item = Instant>,
    quorum: usize,
    length: Duration,
) -> Option<Instant> {
    let mut recent: Vec<Instant> = contacts.collect();
    recent.sort_unstable_by(|a, b| b.cmp(a));
    let completes = quorum.checked_sub(2)?;
    recent.get(completes).map(|t| *t + length)
}
