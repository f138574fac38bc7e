//! The kinds of fault `--nemesis` names: one registry, the names and the link faults among
//! them.
//!
//! Neighbours: [`super::Nemesis`] starts a window of each; [`super::schedule`] deals them;
//! `cmd/test.rs` parses `--nemesis` with [`FaultKind::parse`].
//!
//! Design: a link fault's name is the nemesis crate's ([`LinkKind::name`]), so the names the
//! history carries (`start-delay`, …) and the ones `--nemesis` takes cannot drift apart.

use splitbrain_nemesis::link::LinkKind;

/// A kind of fault `--nemesis` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Cut the network between nodes.
    Partition,
    /// SIGSTOP a node's processes, later SIGCONT.
    Pause,
    /// SIGKILL a node's processes, and start them again with the same data.
    Kill,
    /// Jump, strobe or skew a node's wall clock.
    Clock,
    /// Drop a share of the packets to and from some nodes.
    Loss,
    /// Deliver the packets of some links late (with jitter).
    Delay,
    /// Let some packets of some links overtake others.
    Reorder,
    /// Deliver some packets of some links twice.
    Duplicate,
    /// Cap the bandwidth of some links.
    Slow,
}

impl FaultKind {
    /// Every kind, in `--nemesis` order.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::Partition,
        FaultKind::Pause,
        FaultKind::Kill,
        FaultKind::Clock,
        FaultKind::Loss,
        FaultKind::Delay,
        FaultKind::Reorder,
        FaultKind::Duplicate,
        FaultKind::Slow,
    ];

    /// The name `--nemesis` takes.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::Pause => "pause",
            FaultKind::Kill => "kill",
            FaultKind::Clock => "clock",
            FaultKind::Loss => "loss",
            k => k.link().map_or("", LinkKind::name),
        }
    }

    /// The link fault it is, if it is one.
    pub fn link(self) -> Option<LinkKind> {
        match self {
            FaultKind::Delay => Some(LinkKind::Delay),
            FaultKind::Reorder => Some(LinkKind::Reorder),
            FaultKind::Duplicate => Some(LinkKind::Duplicate),
            FaultKind::Slow => Some(LinkKind::Slow),
            _ => None,
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_kind_parses_back_from_its_name() {
        for k in FaultKind::ALL {
            assert_eq!(FaultKind::parse(k.name()), Some(k));
        }
        assert_eq!(FaultKind::parse("netem"), None);
    }
}
