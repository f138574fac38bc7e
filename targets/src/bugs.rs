//! The planted bugs: switches (`--bug NAME`) that break a correct elector's safety in one known way,
//! each a bug people have shipped. A planted bug must be caught by the harness; the same run
//! without it must pass.
//!
//! Neighbours: the Raft and Paxos electors ([`crate::own::raft`], [`crate::own::paxos`]) read
//! the election bugs (and `lease-read`'s lease); the node core
//! ([`crate::node`]) reads `stale-read` and `no-fencing`; [`crate::launch`] lists them per target.

use std::collections::BTreeSet;
use std::fmt;

/// One planted bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `votedFor` lives only in memory: a node restarted mid-term votes a second time in it.
    ForgetVote,
    /// A candidate wins with ⌊N/2⌋ votes instead of a majority: two leaders in one term.
    SmallQuorum,
    /// A leader ignores higher terms and goes on leading (and writing) forever.
    NoStepdown,
    /// The leader answers reads from its own copy without confirming it still leads.
    StaleRead,
    /// Writes reach the resource without a token, so the resource cannot fence them.
    NoFencing,
    /// Paxos promises live only in memory: a restarted acceptor promises a lower ballot.
    ForgetPromise,
    /// A Paxos proposer leads once phase 1 ends (all answered, or a heartbeat interval passed)
    /// without counting its promises.
    NoQuorumCheck,
    /// A Paxos acceptor compares ballots by round only, so another node's Prepare of the round
    /// it promised looks like a resend and is promised too: two leaders of one round. The `>=`
    /// that Tencent's phxpaxos uses on ballots is right only because its ballot carries the
    /// node id (phxpaxos issues 34 and 107 ask why); the same `>=` on rounds alone is this bug.
    IgnoreRank,
    /// A Raft candidate counts a vote without checking its term: a grant for its previous
    /// candidacy that arrives late counts in the current one. Harmless while messages are
    /// fast or lost (partitions); with delays above half the election timeout two candidates
    /// win one term.
    StaleVote,
    /// The Raft leader answers reads from its own copy while it holds a lease, and times the
    /// lease from when a majority's heartbeat answers *arrive*, not from when the heartbeats
    /// were sent (hashicorp/raft's `lastContact`). The followers keep their side (no vote for
    /// an election timeout after hearing the leader), so it holds while messages are fast or
    /// lost; with late answers the lease outlives the followers' promise by the delay.
    LeaseRead,
}

impl Bug {
    /// Every bug, in documentation order.
    pub const ALL: [Bug; 10] = [
        Bug::ForgetVote,
        Bug::SmallQuorum,
        Bug::NoStepdown,
        Bug::StaleRead,
        Bug::NoFencing,
        Bug::ForgetPromise,
        Bug::NoQuorumCheck,
        Bug::IgnoreRank,
        Bug::StaleVote,
        Bug::LeaseRead,
    ];

    /// The bugs of the Raft elector: its election bugs and the node core's.
    pub const RAFT: [Bug; 7] = [
        Bug::ForgetVote,
        Bug::SmallQuorum,
        Bug::NoStepdown,
        Bug::StaleRead,
        Bug::NoFencing,
        Bug::StaleVote,
        Bug::LeaseRead,
    ];

    /// The bugs of the Paxos elector: its election bugs and the node core's.
    pub const PAXOS: [Bug; 5] =
        [Bug::ForgetPromise, Bug::NoQuorumCheck, Bug::IgnoreRank, Bug::StaleRead, Bug::NoFencing];

    /// The name given to `--bug`.
    pub fn name(self) -> &'static str {
        match self {
            Bug::ForgetVote => "forget-vote",
            Bug::SmallQuorum => "small-quorum",
            Bug::NoStepdown => "no-stepdown",
            Bug::StaleRead => "stale-read",
            Bug::NoFencing => "no-fencing",
            Bug::ForgetPromise => "forget-promise",
            Bug::NoQuorumCheck => "no-quorum-check",
            Bug::IgnoreRank => "ignore-rank",
            Bug::StaleVote => "stale-vote",
            Bug::LeaseRead => "lease-read",
        }
    }

    /// One line saying what the bug does.
    pub fn doc(self) -> &'static str {
        match self {
            Bug::ForgetVote => {
                "votedFor is kept only in memory: a node restarted mid-term votes twice in that term"
            }
            Bug::SmallQuorum => "a candidate wins with floor(N/2) votes: two leaders in one term",
            Bug::NoStepdown => "a leader ignores higher terms and goes on leading and writing",
            Bug::StaleRead => {
                "the leader answers reads from its own copy without confirming it still leads"
            }
            Bug::NoFencing => "writes reach the resource without a token, so it cannot fence them",
            Bug::ForgetPromise => {
                "promises are kept only in memory: a restarted acceptor promises a lower ballot"
            }
            Bug::NoQuorumCheck => {
                "a proposer leads when phase 1 ends without counting promises: leaders of one round"
            }
            Bug::IgnoreRank => {
                "acceptors compare ballots by round only: two proposers of one round both win it"
            }
            Bug::StaleVote => {
                "a candidate counts late votes of its earlier candidacy: two leaders of one term under delay"
            }
            Bug::LeaseRead => {
                "reads are served on a lease timed from when heartbeat answers arrive: stale reads under delay"
            }
        }
    }

    /// True for a bug that takes the fencing tokens away from the writes: with it the
    /// resource can only run open, and the token checkers do not apply.
    pub fn removes_tokens(self) -> bool {
        self == Bug::NoFencing
    }

    /// The bug named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// A `--bug` value that names no planted bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown bug {0:?}: use one of {names}", names = Bug::names())]
pub struct UnknownBug(pub String);

impl Bug {
    /// Every bug's name, comma-separated, for messages.
    pub fn names() -> String {
        Bug::ALL.map(Bug::name).join(", ")
    }

    /// `bugs`' names, comma-separated, or `none`.
    pub fn list(bugs: &[Bug]) -> String {
        match bugs.is_empty() {
            true => "none".into(),
            false => bugs.iter().map(|b| b.name()).collect::<Vec<_>>().join(", "),
        }
    }
}

/// The one parse of a bug's name, for every command line that takes `--bug`.
impl std::str::FromStr for Bug {
    type Err = UnknownBug;

    fn from_str(name: &str) -> Result<Bug, UnknownBug> {
        Bug::parse(name).ok_or_else(|| UnknownBug(name.into()))
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of bugs switched on in one node (usually zero or one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bugs(BTreeSet<Bug>);

impl Bugs {
    /// No bug: the correct behaviour.
    pub fn none() -> Bugs {
        Bugs::default()
    }

    /// Exactly these bugs.
    pub fn of(bugs: impl IntoIterator<Item = Bug>) -> Bugs {
        Bugs(bugs.into_iter().collect())
    }

    /// True when `bug` is switched on.
    pub fn has(&self, bug: Bug) -> bool {
        self.0.contains(&bug)
    }

    /// The bugs switched on.
    pub fn iter(&self) -> impl Iterator<Item = Bug> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_parses_back_from_its_name() {
        for bug in Bug::ALL {
            assert_eq!(Bug::parse(bug.name()), Some(bug));
        }
        assert_eq!(Bug::parse("no-such-bug"), None);
    }

    #[test]
    fn an_unknown_name_is_refused_with_every_bug_listed() {
        let err = "nope".parse::<Bug>().unwrap_err().to_string();
        assert!(err.starts_with("unknown bug \"nope\": use one of forget-vote, "), "{err}");
        assert!(Bug::ALL.iter().all(|b| err.contains(b.name())), "{err}");
    }
}
