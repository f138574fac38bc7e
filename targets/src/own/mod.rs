//! splitbrain's own electors: Raft, Paxos, Bully and Ring, each a pure state machine ([`Machine`])
//! driven by one shared event loop ([`driver::OwnElector`]) over UDP between the nodes.
//!
//! Neighbours: [`crate::node`] builds one of these from `--elector`; they publish on the
//! [`crate::Seat`]. Each machine is tested without sockets: feed it messages and ticks, read its
//! [`Action`]s.
//!
//! Design: a machine never reads the clock, never sleeps and never does I/O. It is given `now`
//! and returns what to do, in order: `Persist` the durable state (the driver writes and fsyncs
//! it before doing anything after it, so no answer that depends on a vote leaves before the
//! vote is on disk), `Send` a message, report `Elected` / `StepDown`. Randomness (election
//! timeouts) comes from a ChaCha generator seeded by `--seed` and the node's name.

pub mod bully;
pub mod driver;
pub mod durable;
pub mod net;
pub mod paxos;
pub mod raft;
pub mod rank;
pub mod ring;
#[cfg(test)]
pub mod sim;

use crate::elector::Unconfirmed;
use crate::seat::Token;
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;
use std::time::{Duration, Instant};

/// One thing a machine asks its driver to do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<M, D> {
    /// Write and fsync this durable state before any later action.
    Persist(D),
    /// Send `msg` to the peer named `to`.
    Send(String, M),
    /// This node now leads under `token` (with the election's term, where it has one).
    Elected(Token, Option<u64>),
    /// This node stopped leading, for this reason.
    StepDown(&'static str),
}

/// How a confirmation of leadership goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Settled at once.
    Now(Result<(), Unconfirmed>),
    /// Confirmed once [`Machine::confirmed`] reaches this round (while still leading).
    Round(u64),
}

/// The actions of one step of machine `M`.
pub type Steps<M> = Vec<Action<<M as Machine>::Msg, <M as Machine>::Durable>>;

/// An election protocol as a pure state machine. See the module docs.
pub trait Machine: Send + 'static {
    /// The messages between nodes.
    type Msg: Serialize + DeserializeOwned + Send + Debug;
    /// The state that must survive a restart.
    type Durable: Serialize + DeserializeOwned + Send;

    /// Runs the timers due at `now`.
    fn tick(&mut self, now: Instant) -> Steps<Self>;
    /// Handles `msg` from the peer `from`.
    fn receive(&mut self, now: Instant, from: &str, msg: Self::Msg) -> Steps<Self>;
    /// When [`Machine::tick`] must next be called.
    fn next_wake(&self) -> Instant;
    /// Starts confirming that this node leads under `token`.
    fn confirm(&mut self, now: Instant, token: Option<Token>) -> (Confirm, Steps<Self>);
    /// The highest confirmation round a quorum has acknowledged (0 for none).
    fn confirmed(&self) -> u64;
    /// True when this node leads under `token` now.
    fn leads(&self, token: Option<Token>) -> bool;
    /// The leader this node believes in, and its term or epoch.
    fn view(&self) -> (Option<String>, Option<u64>);
    /// The lease this node holds as leader, if its protocol has one: its token and when it
    /// ends. While it lasts, the node core answers reads without a confirmation.
    fn lease(&self) -> Option<(Token, Instant)> {
        None
    }
}

/// The timing of the own electors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElectionTiming {
    /// The shortest election timeout (default 150 ms).
    pub election_min: Duration,
    /// The longest election timeout, exclusive (default 300 ms).
    pub election_max: Duration,
    /// How often a leader sends heartbeats (default 50 ms).
    pub heartbeat: Duration,
}

impl Default for ElectionTiming {
    fn default() -> ElectionTiming {
        ElectionTiming {
            election_min: Duration::from_millis(150),
            election_max: Duration::from_millis(300),
            heartbeat: Duration::from_millis(50),
        }
    }
}

impl ElectionTiming {
    /// A random election timeout in `[election_min, election_max)`.
    pub fn election_timeout(&self, rng: &mut ChaCha8Rng) -> Duration {
        let (lo, hi) = (self.election_min.as_micros() as u64, self.election_max.as_micros() as u64);
        Duration::from_micros(if hi > lo { rng.gen_range(lo..hi) } else { lo })
    }
}

/// The generator of one node: the run's seed mixed with the node's name, so nodes differ and a
/// run can be replayed.
pub fn node_rng(seed: u64, me: &str) -> ChaCha8Rng {
    let name = me
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    ChaCha8Rng::seed_from_u64(seed ^ name)
}

/// What every own elector is built from.
#[derive(Debug, Clone)]
pub struct MachineConfig {
    /// This node's name.
    pub me: String,
    /// Every node's name, this one included.
    pub nodes: Vec<String>,
    /// Timeouts and heartbeats.
    pub timing: ElectionTiming,
    /// The run's seed.
    pub seed: u64,
}

impl MachineConfig {
    /// The other nodes' names.
    pub fn others(&self) -> impl Iterator<Item = &String> {
        self.nodes.iter().filter(move |n| **n != self.me)
    }
}
