//! Partitions in Jepsen's grudge model: a map from each node to the nodes it won't hear from,
//! enforced by nftables rules on the receiving node (see `firewall.rs`). A symmetric cut puts
//! both directions in the grudge; a one-way cut only one.
//!
//! Shapes, as Jepsen names them: isolate one node, halves, random halves, majorities ring,
//! bridge, a given set against the rest (e.g. the current leader), one-way. A seeded RNG makes
//! every random choice, so a run can be replayed.
//!
//! Neighbours: `firewall.rs` applies the grudge; `heal.rs` calls [`heal`].

use crate::error::{Error, Result};
use crate::event::Event;
use crate::net::Net;
use rand::seq::SliceRandom;

use rand::Rng;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// Node → the nodes whose packets it drops (Jepsen's grudge). Never contains a node itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Grudge(pub BTreeMap<String, BTreeSet<String>>);

impl Grudge {
    /// True when packets from `from` to `to` are dropped.
    pub fn blocks(&self, from: &str, to: &str) -> bool {
        self.0.get(to).is_some_and(|s| s.contains(from))
    }

    /// The nodes whose packets `node` drops.
    pub fn dropped_by<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.get(node).into_iter().flatten().map(|s| s.as_str())
    }

    /// True when nothing is cut.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(|s| s.is_empty())
    }

    /// Every node drops every node outside its own component (Jepsen's `complete-grudge`).
    pub fn complete(components: &[Vec<String>]) -> Grudge {
        let mut g = Grudge::default();
        for (i, c) in components.iter().enumerate() {
            let others: BTreeSet<String> = components
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, o)| o.iter().cloned())
                .collect();
            for n in c {
                g.0.insert(n.clone(), others.clone());
            }
        }
        g.prune()
    }

    /// `to` stops hearing `from`; `from` still hears `to`.
    pub fn one_way(from: &[String], to: &[String]) -> Grudge {
        let from: BTreeSet<String> = from.iter().cloned().collect();
        Grudge(to.iter().map(|t| (t.clone(), from.clone())).collect()).prune()
    }

    /// Drops self-entries and empty sets.
    fn prune(mut self) -> Grudge {
        for (n, s) in self.0.iter_mut() {
            s.remove(n);
        }
        self.0.retain(|_, s| !s.is_empty());
        self
    }
}

/// A way to cut the network, turned into a [`Grudge`] over the actual nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// One node against the rest; `None` picks it at random.
    Isolate(Option<String>),
    /// The first ⌊n/2⌋ nodes against the rest (n1 n2 | n3 n4 n5).
    Halves,
    /// Halves after a seeded shuffle.
    RandomHalves,
    /// Each node sees a majority, and no two see the same one (a shuffled ring).
    MajoritiesRing,
    /// Random halves, with one node of the bigger half still talking to both sides.
    Bridge,
    /// These nodes against the rest (e.g. the current leader).
    Set(Vec<String>),
    /// `to` stops hearing `from` (every other node when `to` is empty); `from` still hears it.
    OneWay {
        /// The nodes whose packets are dropped.
        from: Vec<String>,
        /// The nodes that drop them.
        to: Vec<String>,
    },
    /// Exactly this grudge.
    Grudge(Grudge),
}

impl FromStr for Shape {
    type Err = Error;
    /// `isolate`, `halves`, `random-halves`, `majorities-ring`, `bridge`, `one-way` (a random
    /// node stops hearing the others), or `isolate:n2` / `set:n1,n2`.
    fn from_str(s: &str) -> Result<Shape> {
        let list = |v: &str| v.split(',').map(str::to_string).collect::<Vec<_>>();
        Ok(match s.split_once(':') {
            Some(("isolate", n)) => Shape::Isolate(Some(n.to_string())),
            Some(("set", v)) => Shape::Set(list(v)),
            None if s == "isolate" => Shape::Isolate(None),
            None if s == "halves" => Shape::Halves,
            None if s == "random-halves" => Shape::RandomHalves,
            None if s == "majorities-ring" => Shape::MajoritiesRing,
            None if s == "bridge" => Shape::Bridge,
            None if s == "one-way" => Shape::OneWay { from: vec![], to: vec![] },
            _ => return Err(Error::BadInput(format!("unknown partition shape {s:?}: use isolate, halves, random-halves, majorities-ring, bridge, one-way, isolate:NODE or set:N1,N2"))),
        })
    }
}

impl Shape {
    /// The shape's name in events.
    pub fn name(&self) -> &'static str {
        match self {
            Shape::Isolate(_) => "isolate",
            Shape::Halves => "halves",
            Shape::RandomHalves => "random-halves",
            Shape::MajoritiesRing => "majorities-ring",
            Shape::Bridge => "bridge",
            Shape::Set(_) => "set",
            Shape::OneWay { .. } => "one-way",
            Shape::Grudge(_) => "grudge",
        }
    }

    /// The grudge this shape gives over `nodes`, drawing any random choice from `rng`.
    pub fn grudge(&self, nodes: &[String], rng: &mut impl Rng) -> Result<Grudge> {
        if nodes.is_empty() {
            return Ok(Grudge::default());
        }
        let check = |names: &[String]| match names.iter().find(|n| !nodes.contains(n)) {
            Some(n) => Err(Error::BadInput(format!(
                "no node {n:?} to partition: nodes are {}",
                nodes.join(" ")
            ))),
            None => Ok(()),
        };
        let mut shuffled = || {
            let mut v = nodes.to_vec();
            v.shuffle(rng);
            v
        };
        Ok(match self {
            Shape::Isolate(Some(n)) => {
                check(std::slice::from_ref(n))?;
                Grudge::complete(&split_off(nodes, std::slice::from_ref(n)))
            }
            Shape::Isolate(None) => Grudge::complete(&split_off(nodes, &shuffled()[..1])),
            Shape::Halves => Grudge::complete(&halves(nodes)),
            Shape::RandomHalves => Grudge::complete(&halves(&shuffled())),
            Shape::MajoritiesRing => majorities_ring(&shuffled()),
            Shape::Bridge => bridge(&shuffled()),
            Shape::Set(set) => {
                check(set)?;
                Grudge::complete(&split_off(nodes, set))
            }
            Shape::OneWay { from, to } if from.is_empty() && to.is_empty() => {
                let victim = shuffled()[0].clone();
                let rest: Vec<String> = nodes.iter().filter(|n| **n != victim).cloned().collect();
                Grudge::one_way(&rest, &[victim])
            }
            Shape::OneWay { from, to } => {
                check(from)?;
                check(to)?;
                let to = if to.is_empty() {
                    nodes.iter().filter(|n| !from.contains(n)).cloned().collect()
                } else {
                    to.clone()
                };
                Grudge::one_way(from, &to)
            }
            Shape::Grudge(g) => {
                check(
                    &g.0.keys().cloned().chain(g.0.values().flatten().cloned()).collect::<Vec<_>>(),
                )?;
                g.clone().prune()
            }
        })
    }
}

/// `set` against everyone else.
fn split_off(nodes: &[String], set: &[String]) -> Vec<Vec<String>> {
    let rest = nodes.iter().filter(|n| !set.contains(n)).cloned().collect();
    vec![set.to_vec(), rest]
}

/// Jepsen's `bisect`: the first ⌊n/2⌋ against the rest.
fn halves(nodes: &[String]) -> Vec<Vec<String>> {
    let (a, b) = nodes.split_at(nodes.len() / 2);
    vec![a.to_vec(), b.to_vec()]
}

/// Jepsen's `majorities-ring` over nodes already in ring order: node i sees the majority
/// window centred on it, and drops everyone else.
fn majorities_ring(ring: &[String]) -> Grudge {
    let n = ring.len();
    let m = n / 2 + 1;
    let mut g = Grudge::default();
    for start in 0..n {
        let window: BTreeSet<String> = (0..m).map(|k| ring[(start + k) % n].clone()).collect();
        let centre = ring[(start + m / 2) % n].clone();
        g.0.insert(centre, ring.iter().filter(|x| !window.contains(*x)).cloned().collect());
    }
    g.prune()
}

/// Jepsen's `bridge`: halves, but the first node of the second half talks to both sides.
fn bridge(nodes: &[String]) -> Grudge {
    let parts = halves(nodes);
    let Some(bridge) = parts[1].first().cloned() else { return Grudge::default() };
    let mut g = Grudge::complete(&parts);
    g.0.remove(&bridge);
    for s in g.0.values_mut() {
        s.remove(&bridge);
    }
    g.prune()
}

/// Cuts the network into `shape` (replacing any partition in force) and returns the
/// `start-partition` event, whose value names the shape and the exact grudge.
pub fn start(net: &Net, shape: &Shape, rng: &mut impl Rng) -> Result<Event> {
    let grudge = shape.grudge(&net.names(), rng)?;
    apply(net, grudge.clone())?;
    let nodes: BTreeSet<&String> = grudge.0.keys().chain(grudge.0.values().flatten()).collect();
    Ok(Event::new(
        "start-partition",
        json!({"shape": shape.name(), "nodes": nodes, "grudge": grudge}),
    ))
}

/// Puts `grudge` in force (the empty grudge heals).
pub fn apply(net: &Net, grudge: Grudge) -> Result<Vec<String>> {
    let mut fw = net.firewall.lock().unwrap_or_else(|e| e.into_inner());
    let old = std::mem::replace(&mut fw.grudge, grudge);
    fw.sync(net.nodes()).inspect_err(|_| fw.grudge = old)
}

/// Ends the partition in force (loss rules stay): `stop-partition`, naming the nodes healed.
pub fn heal(net: &Net) -> Result<Event> {
    let changed = apply(net, Grudge::default())?;
    Ok(Event::new("stop-partition", json!({"nodes": changed})))
}

/// The grudge in force now.
pub fn current(net: &Net) -> Grudge {
    net.firewall.lock().unwrap_or_else(|e| e.into_inner()).grudge.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn five() -> Vec<String> {
        (1..=5).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn halves_cut_the_first_two_from_the_last_three_both_ways() {
        let g =
            Shape::Halves.grudge(&five(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(1)).unwrap();
        assert!(
            g.blocks("n1", "n3")
                && g.blocks("n3", "n1")
                && !g.blocks("n1", "n2")
                && !g.blocks("n4", "n5")
        );
    }

    #[test]
    fn a_majorities_ring_leaves_every_node_a_distinct_majority() {
        let g = Shape::MajoritiesRing
            .grudge(&five(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(7))
            .unwrap();
        let seen: BTreeSet<Vec<String>> = five()
            .iter()
            .map(|n| five().into_iter().filter(|m| !g.blocks(m, n)).collect::<Vec<_>>())
            .inspect(|v| assert_eq!(v.len(), 3))
            .collect();
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn a_bridge_node_hears_and_is_heard_by_everyone() {
        let g =
            Shape::Bridge.grudge(&five(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(3)).unwrap();
        let bridge: Vec<String> = five()
            .into_iter()
            .filter(|b| five().iter().all(|n| !g.blocks(b, n) && !g.blocks(n, b)))
            .collect();
        assert_eq!(bridge.len(), 1);
        assert!(!g.is_empty());
    }

    #[test]
    fn one_way_blocks_only_one_direction() {
        let g = Shape::OneWay { from: vec!["n1".into()], to: vec!["n2".into()] }
            .grudge(&five(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(0))
            .unwrap();
        assert!(g.blocks("n1", "n2") && !g.blocks("n2", "n1"));
    }

    #[test]
    fn the_same_seed_gives_the_same_random_halves() {
        let a = Shape::RandomHalves
            .grudge(&five(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(9))
            .unwrap();
        let b = Shape::RandomHalves
            .grudge(&five(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(9))
            .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn an_unknown_node_is_bad_input() {
        let e = Shape::Isolate(Some("n9".into()))
            .grudge(&five(), &mut rand_chacha::ChaCha8Rng::seed_from_u64(0))
            .unwrap_err();
        assert!(e.is_bad_input() && e.to_string().contains("n9"));
    }
}
