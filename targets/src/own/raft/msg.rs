//! What Raft keeps on disk and what its nodes say to each other.
//!
//! Neighbours: [`super::Raft`] reads and writes these; the driver serialises them as JSON
//! (the durable file, the UDP datagrams).

use serde::{Deserialize, Serialize};

/// What Raft keeps on disk: `currentTerm` and `votedFor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardState {
    /// The latest term this node has seen.
    pub term: u64,
    /// The candidate it voted for in `term`, if any.
    pub voted_for: Option<String>,
}

/// The messages between Raft nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RaftMsg {
    /// A candidate asks for a vote in `term`.
    RequestVote {
        /// The candidate's term.
        term: u64,
    },
    /// The answer to a RequestVote.
    Vote {
        /// The voter's term.
        term: u64,
        /// True when the vote is granted.
        granted: bool,
    },
    /// A leader's heartbeat (an empty AppendEntries), numbered by `round`.
    Heartbeat {
        /// The leader's term.
        term: u64,
        /// The heartbeat round.
        round: u64,
    },
    /// The answer to a heartbeat: success when `term` equals the leader's term.
    HeartbeatAck {
        /// The follower's term.
        term: u64,
        /// The round answered.
        round: u64,
    },
}

impl RaftMsg {
    /// The term the message carries.
    pub fn term(&self) -> u64 {
        match self {
            RaftMsg::RequestVote { term }
            | RaftMsg::Vote { term, .. }
            | RaftMsg::Heartbeat { term, .. }
            | RaftMsg::HeartbeatAck { term, .. } => *term,
        }
    }
}
