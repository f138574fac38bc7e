//! How a fault picks its nodes: the leader, one random node, a random minority, a random
//! majority (never every node: a fault on all nodes at once tests nothing an election decides),
//! among the nodes the run's [`Scope`] allows.
//!
//! Neighbours: [`super::Nemesis`] deals the aims from a [`super::deck::Deck`]; the leader is
//! the node that most recently reported `elected` ([`crate::controller::recorder::Recorder::leader`]).

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Which nodes node faults (pause, kill, loss) may hit at all: `--aim`.
///
/// Design: a third-party target's safety can hang on its servers' state (redis-cas's token
/// counter lives in redis-server's memory), and a deck that aims at random nodes reaches the one
/// Redis node in only some windows; `--aim servers` makes such a finding a matter of the fault
/// kind, not of the seed. Partitions keep their shapes: they cut links, not nodes.
///
/// `--aim leader` does the same for a finding that hangs on the leader: every pause, kill and
/// loss hits it, and every link fault is on its links ([`super::links::LinkAim::LeaderLinks`]:
/// its egress and its peers' links to it): its heartbeats late, and their answers too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Any node, as the aim deck deals.
    Any,
    /// Only the nodes that run the target's servers.
    Servers,
    /// The leader (the node that most recently reported `elected`).
    Leader,
}

impl Scope {
    /// The name `--aim` takes.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Any => "any",
            Scope::Servers => "servers",
            Scope::Leader => "leader",
        }
    }

    /// The scope named `s`.
    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::Any, Scope::Servers, Scope::Leader].into_iter().find(|k| k.name() == s)
    }
}

/// Which nodes a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// The node that most recently reported `elected` (one random node when none has).
    Leader,
    /// One node at random.
    Random,
    /// Fewer than half of the nodes, at random.
    Minority,
    /// More than half of the nodes but not all, at random.
    Majority,
}

impl Aim {
    /// Every aim, one of each in a deck.
    pub const ALL: [Aim; 4] = [Aim::Leader, Aim::Random, Aim::Minority, Aim::Majority];

    /// The nodes this aim picks among `nodes` (never none while there are nodes), sorted.
    pub fn pick(self, nodes: &[String], leader: Option<&str>, rng: &mut ChaCha8Rng) -> Vec<String> {
        let n = nodes.len();
        if let (Aim::Leader, Some(l)) = (self, leader.filter(|l| nodes.iter().any(|n| n == l))) {
            return vec![l.to_string()];
        }
        let size = match self {
            Aim::Leader | Aim::Random => 1,
            Aim::Minority => rng.gen_range(1..=(n.saturating_sub(1) / 2).max(1)),
            Aim::Majority => rng.gen_range(n / 2 + 1..=(n - 1).max(n / 2 + 1)),
        };
        let mut picked: Vec<String> = nodes.choose_multiple(rng, size.min(n)).cloned().collect();
        picked.sort_by_key(|s| (s.len(), s.clone()));
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_scope_parses_back_from_its_name_and_no_other_does() {
        for scope in [Scope::Any, Scope::Servers, Scope::Leader] {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
        }
        assert_eq!(Scope::parse("leaders"), None);
    }

    #[test]
    fn each_aim_picks_the_size_it_promises() {
        let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for _ in 0..50 {
            assert_eq!(Aim::Leader.pick(&nodes, Some("n4"), &mut rng), ["n4"]);
            assert_eq!(Aim::Random.pick(&nodes, None, &mut rng).len(), 1);
            assert!((1..=2).contains(&Aim::Minority.pick(&nodes, None, &mut rng).len()));
            assert!((3..=4).contains(&Aim::Majority.pick(&nodes, None, &mut rng).len()));
        }
    }
}
