//! Partition shapes as the schedule deals them, each turned into a grudge over the actual
//! nodes (`splitbrain_nemesis::partition::Grudge`): Jepsen's shapes plus the ones aimed at the
//! leader and a split into three sides.
//!
//! Why three sides: an election without a quorum (Bully, Ring) elects one new leader on every
//! side that lost the old one. With two sides only the side without the leader elects; with
//! three, two sides elect at once from the same last-seen epoch, which is how a quorum-less
//! election ends up handing one token to two nodes.
//!
//! Neighbours: [`super::Nemesis`] applies the grudge with `partition::apply` and records it.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use splitbrain_nemesis::partition::{Grudge, Shape};

/// A way to cut the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The leader alone against the rest.
    IsolateLeader,
    /// The leader and fewer than half of the others against the rest.
    LeaderMinority,
    /// Three sides: the leader alone, the others split in two.
    ThreeWay,
    /// Jepsen's random halves.
    RandomHalves,
    /// Jepsen's majorities ring (each node sees a different majority).
    MajoritiesRing,
    /// Jepsen's bridge (one node talks to both halves).
    Bridge,
}

impl Cut {
    /// Every cut, one of each in a deck.
    pub const ALL: [Cut; 6] = [
        Cut::IsolateLeader,
        Cut::LeaderMinority,
        Cut::ThreeWay,
        Cut::RandomHalves,
        Cut::MajoritiesRing,
        Cut::Bridge,
    ];

    /// Its name in the `start-partition` record.
    pub fn name(self) -> &'static str {
        match self {
            Cut::IsolateLeader => "isolate-leader",
            Cut::LeaderMinority => "leader-minority",
            Cut::ThreeWay => "three-way",
            Cut::RandomHalves => "random-halves",
            Cut::MajoritiesRing => "majorities-ring",
            Cut::Bridge => "bridge",
        }
    }

    /// The grudge over `nodes` (at least two), around `leader` where the cut aims at it (a
    /// random node when no leader is known).
    pub fn grudge(self, nodes: &[String], leader: Option<&str>, rng: &mut ChaCha8Rng) -> Grudge {
        let mut others: Vec<String> = nodes.to_vec();
        others.shuffle(rng);
        let leader = leader.filter(|l| nodes.iter().any(|n| n == l)).map(str::to_string);
        let leader = leader.unwrap_or_else(|| others[0].clone());
        others.retain(|n| *n != leader);
        let jepsen = |s: Shape, rng: &mut ChaCha8Rng| s.grudge(nodes, rng).unwrap_or_default();
        match self {
            Cut::IsolateLeader => Grudge::complete(&[vec![leader], others]),
            Cut::LeaderMinority => {
                let extra =
                    rng.gen_range(0..=(nodes.len().saturating_sub(1) / 2).saturating_sub(1));
                let mut side = vec![leader];
                side.extend(others.drain(..extra.min(others.len())));
                Grudge::complete(&[side, others])
            }
            Cut::ThreeWay if others.len() >= 2 => {
                let cut = rng.gen_range(1..others.len());
                let rest = others.split_off(cut);
                Grudge::complete(&[vec![leader], others, rest])
            }
            Cut::ThreeWay => Grudge::complete(&[vec![leader], others]),
            Cut::RandomHalves => jepsen(Shape::RandomHalves, rng),
            Cut::MajoritiesRing => jepsen(Shape::MajoritiesRing, rng),
            Cut::Bridge => jepsen(Shape::Bridge, rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn five() -> Vec<String> {
        (1..=5).map(|i| format!("n{i}")).collect()
    }

    /// The sides of a complete grudge: who hears whom.
    fn hears(g: &Grudge, a: &str, b: &str) -> bool {
        !g.blocks(a, b) && !g.blocks(b, a)
    }

    #[test]
    fn the_leader_aimed_cuts_leave_the_leader_without_a_majority() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for cut in [Cut::IsolateLeader, Cut::LeaderMinority, Cut::ThreeWay] {
            for _ in 0..20 {
                let g = cut.grudge(&five(), Some("n3"), &mut rng);
                let with_leader = five().iter().filter(|n| hears(&g, n, "n3")).count();
                assert!(with_leader <= 2, "{cut:?}: n3 hears {with_leader} of 5");
            }
        }
    }

    #[test]
    fn a_three_way_cut_has_three_sides() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let g = Cut::ThreeWay.grudge(&five(), Some("n5"), &mut rng);
        let mut sides: Vec<Vec<String>> = Vec::new();
        for n in five() {
            match sides.iter_mut().find(|s| hears(&g, &s[0], &n)) {
                Some(s) => s.push(n),
                None => sides.push(vec![n]),
            }
        }
        assert_eq!(sides.len(), 3, "{sides:?}");
        assert!(sides.contains(&vec!["n5".to_string()]));
    }
}
