//! The link faults a nemesis window starts: which links (a deck of aims) and how badly
//! (drawn from the run's seed).
//!
//! Neighbours: [`super::Nemesis`] deals a [`LinkAim`] per link window and starts the fault
//! with `splitbrain_nemesis::link`; the leader comes from the recorder.
//!
//! Design: the aims are the ones Jepsen users point netem at, as directed link sets:
//! - `all`: every node's egress, so every node-to-node message and every reply to a client is
//!   late (netem on every node's interface);
//! - `leader` / `one`: the egress of the leader (its heartbeats, its lease renewals, its
//!   replies) or of one random node;
//! - `halves`: both ways between two random halves (each side sees the other late, clients
//!   see no change);
//! - `one-way`: from one random half to the other only (an asymmetric link);
//! - `leader-links`, only with `--aim leader` (not in the deck): the leader's egress (as
//!   `leader`) and the other nodes' links to it: its heartbeats are late and so are their
//!   answers, and its replies; the clients' requests are not (netem on the leader's
//!   interface, and on its peers' towards it).
//!
//! Delays are 50–500 ms with 10 % normal jitter, the range in which lease and election
//! timeouts of real systems live; reordering holds back the rest of the frames 20–100 ms;
//! shares are 20–50 %; caps 100 kbit/s – 1 Mbit/s.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use splitbrain_nemesis::link::{self, LinkFault, LinkKind};
use splitbrain_nemesis::shaper::Spread;
use splitbrain_nemesis::Net;
use std::time::Duration;

/// Which links a link fault is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAim {
    /// Every node's egress.
    All,
    /// The leader's egress (a random node's when none leads).
    Leader,
    /// One random node's egress.
    One,
    /// Both ways between two random halves.
    Halves,
    /// One way from one random half to the other.
    OneWay,
    /// The leader's egress and the other nodes' links to it (a random node's when none leads).
    LeaderLinks,
}

impl LinkAim {
    /// Every aim the deck deals (`leader-links` is `--aim leader`'s alone).
    pub const ALL: [LinkAim; 5] =
        [LinkAim::All, LinkAim::Leader, LinkAim::One, LinkAim::Halves, LinkAim::OneWay];

    /// Its name in the fault's record (`aim`).
    pub fn name(self) -> &'static str {
        match self {
            LinkAim::All => "all",
            LinkAim::Leader => "leader",
            LinkAim::One => "one",
            LinkAim::Halves => "halves",
            LinkAim::OneWay => "one-way",
            LinkAim::LeaderLinks => "leader-links",
        }
    }

    /// The directed links it picks among `nodes`.
    pub fn links(
        self,
        net: &Net,
        nodes: &[String],
        leader: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(String, String)> {
        let one = |rng: &mut ChaCha8Rng| nodes.choose(rng).cloned().into_iter().collect::<Vec<_>>();
        match self {
            LinkAim::All => link::egress(net, nodes),
            LinkAim::Leader => match leader {
                Some(l) => link::egress(net, &[l]),
                None => link::egress(net, &one(rng)),
            },
            LinkAim::One => link::egress(net, &one(rng)),
            LinkAim::Halves => {
                let (a, b) = halves(nodes, rng);
                link::between(&a, &b)
            }
            LinkAim::OneWay => {
                let (a, b) = halves(nodes, rng);
                link::one_way(&a, &b)
            }
            LinkAim::LeaderLinks => {
                let leader = leader.map(str::to_string).into_iter().collect::<Vec<_>>();
                let leader = if leader.is_empty() { one(rng) } else { leader };
                let mut links = link::egress(net, &leader);
                links.extend(link::one_way(nodes, &leader));
                links
            }
        }
    }
}

/// Two random halves of `nodes` (the first the smaller when the count is odd).
fn halves(nodes: &[String], rng: &mut ChaCha8Rng) -> (Vec<String>, Vec<String>) {
    let mut shuffled = nodes.to_vec();
    shuffled.shuffle(rng);
    let b = shuffled.split_off(nodes.len() / 2);
    (shuffled, b)
}

/// A fault of `kind` with its severity drawn from `rng`.
pub fn draw(kind: LinkKind, rng: &mut ChaCha8Rng) -> LinkFault {
    let share = |r: &mut ChaCha8Rng| r.gen_range(20..=50) as f64 / 100.0;
    match kind {
        LinkKind::Delay => {
            let delay = Duration::from_millis(rng.gen_range(50..=500));
            LinkFault::Delay { delay, jitter: delay / 10, spread: Spread::Normal }
        }
        LinkKind::Reorder => LinkFault::Reorder {
            delay: Duration::from_millis(rng.gen_range(20..=100)),
            share: share(rng),
        },
        LinkKind::Duplicate => LinkFault::Duplicate { share: share(rng) },
        LinkKind::Slow => LinkFault::Slow { rate: rng.gen_range(100..=1_000) * 1_000 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn halves_split_every_node_into_two_disjoint_sides() {
        let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
        let (a, b) = halves(&nodes, &mut ChaCha8Rng::seed_from_u64(4));
        assert_eq!((a.len(), b.len()), (2, 3));
        let mut all = [a, b].concat();
        all.sort();
        assert_eq!(all, nodes);
    }

    #[test]
    fn every_drawn_severity_is_within_its_documented_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..200 {
            for kind in LinkKind::ALL {
                match draw(kind, &mut rng) {
                    LinkFault::Delay { delay, jitter, .. } => {
                        assert!((50..=500).contains(&delay.as_millis()) && jitter == delay / 10)
                    }
                    LinkFault::Reorder { delay, share } => {
                        assert!((20..=100).contains(&delay.as_millis()) && share >= 0.2)
                    }
                    LinkFault::Duplicate { share } => assert!((0.2..=0.5).contains(&share)),
                    LinkFault::Slow { rate } => assert!((100_000..=1_000_000).contains(&rate)),
                }
            }
        }
    }
}
