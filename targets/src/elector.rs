//! The elector abstraction: the one trait every way of electing a leader implements, whether it
//! runs its own protocol between the nodes (Raft, Bully, Ring in [`crate::own`]) or asks an
//! external service (etcd, a Redis lease, a Kubernetes-style lease record).
//!
//! Neighbours: the node core ([`crate::node`]) runs one elector on a thread of its own, reads
//! what it decided from the [`Seat`], and calls [`Elector::confirm`] before serving a read.
//! [`crate::node::electors::build`] maps `--elector NAME` to an implementation.
//!
//! Design: an elector only elects. It never talks to clients or to the fenced resource, so a
//! new election backend is one file that implements two methods:
//!
//! - [`Elector::run`] campaigns until this node leads, then holds leadership, and gives it up
//!   when it must, publishing every change on the seat: `seat.elected(token, term)` when it wins
//!   (the token is whatever the election hands out: a Raft term, an etcd key's create revision,
//!   a counter a Redis script increments), `seat.step_down(reason)` the moment it knows or
//!   must assume it lost (a higher term, a lease that expired under it by its own clock, a
//!   keep-alive that failed, a key that vanished), and `seat.observe(leader, term)` for whom
//!   it follows. It returns once `stop` is raised, after resigning (deleting its key, revoking
//!   its lease) within a bounded time. A backend built on tokio owns its runtime inside `run`
//!   and drops it before returning; no task outlives `run`.
//! - [`Elector::confirm`] is asked before each read: does this node still lead under `token`,
//!   by the election's own source of truth, now? Raft answers with a heartbeat round
//!   acknowledged by a majority; an etcd elector with a linearizable read of its leader key; an
//!   election with no such check (Bully, Ring) answers from its current belief.

use crate::seat::{Seat, Token};
use crate::stop::Stop;
use std::time::Instant;

/// One way of electing a leader. See the module docs for the contract.
pub trait Elector: Send + Sync {
    /// Campaigns, leads and resigns until `stop` is raised, publishing every change on `seat`.
    /// Returns `Err` only for a failure after which this node must not go on (its durable state
    /// cannot be written); the node then exits.
    fn run(&self, seat: &Seat, stop: &Stop) -> Result<(), ElectorError>;

    /// Confirms, before `deadline`, that this node still leads under `token`.
    fn confirm(&self, token: Option<Token>, deadline: Instant) -> Result<(), Unconfirmed>;

    /// Whether the node confirms leadership before each write too, not only before reads
    /// (a candidate whose recipe checks its lock before acting: `confirm_writes`).
    fn confirms_writes(&self) -> bool {
        false
    }

    /// The leader lease this node holds now, if its election has one: the token it holds it
    /// under and when it ends. While it lasts, a read is answered from the leader's copy of
    /// the register without [`Elector::confirm`].
    fn lease(&self) -> Option<(Token, Instant)> {
        None
    }

    /// Where the election's own system keeps the clients' register (a target file's
    /// `register = true`: Sentinel's clients write the Redis master itself), `op` on it under
    /// `token`, answered before `deadline`; `None`: the register is the fenced resource's.
    fn register(
        &self,
        op: RegisterOp<'_>,
        token: Option<Token>,
        deadline: Instant,
    ) -> Option<RegisterAnswer> {
        let _ = (op, token, deadline);
        None
    }
}

/// A client's operation on a register the election's own system keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOp<'a> {
    /// Write this value.
    Write(&'a serde_json::Value),
    /// Read the value.
    Read,
}

/// What the system answered for a [`RegisterOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterAnswer {
    /// The write was acknowledged.
    Written,
    /// The read returned this value.
    Read(serde_json::Value),
    /// Certainly not done, and why (`NOREPLICAS`, `READONLY`, …).
    Refused(String),
    /// No answer in time: a write may or may not have been applied.
    Unknown,
}

/// Why leadership could not be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unconfirmed {
    /// This node does not lead (any more) under that token; it names the leader it believes in.
    #[error("not the leader (leader: {0:?})")]
    NotLeader(Option<String>),
    /// No answer from a quorum or the service before the deadline.
    #[error("leadership not confirmed in time")]
    TimedOut,
}

/// A failure that stops an elector.
#[derive(Debug, thiserror::Error)]
pub enum ElectorError {
    /// Reading or writing the durable state, or a socket, failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The options cannot work (an unknown peer, a bug this elector does not have, …).
    #[error("{0}")]
    BadConfig(String),
    /// The external service failed in a way the elector cannot recover from.
    #[error("{0}")]
    Service(String),
}

impl ElectorError {
    /// An [`ElectorError::Io`] with a description of what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> ElectorError {
        ElectorError::Io { what: what.into(), source }
    }
}
