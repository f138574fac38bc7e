//! `lease-read` in the simulated network: a leader's lease against the other leaders of
//! higher terms, under partitions and under late links.

use super::*;
use crate::own::sim::Sim;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// How a fault window treats the links.
#[derive(Clone, Copy)]
enum Fault {
    /// Random halves cut both ways.
    Halves,
    /// Every link to and from the leader late by this many ms.
    LeaderLinks(u64),
}

/// True when a node holds a lease while another leads a higher term: a read it answers from
/// its copy may miss the other's writes.
fn lease_overlaps_a_newer_leader(sim: &Sim<Raft>) -> bool {
    let live = || sim.nodes.iter().filter(|(n, _)| !sim.dead.contains(n));
    let leases: Vec<(&String, u64)> = live()
        .filter_map(|(n, m)| m.lease().filter(|(_, end)| *end > sim.now).map(|(t, _)| (n, t)))
        .collect();
    let leading = live().filter(|(n, m)| m.view().0.as_deref() == Some(n.as_str()));
    let leaders: Vec<(&String, u64)> = leading.map(|(n, m)| (n, m.view().1.unwrap_or(0))).collect();
    leases.iter().any(|(a, t)| leaders.iter().any(|(b, u)| a != b && u > t))
}

/// Ten 2.5 s windows of `fault` after 2.5 s quiet each, on 5 nodes with `lease-read`; how
/// many windows had a moment of [`lease_overlaps_a_newer_leader`].
fn windows_with_overlap(seed: u64, fault: Fault) -> usize {
    let bugs = Bugs::of([Bug::LeaseRead]);
    let mut sim: Sim<Raft> = Sim::new(5, seed, |cfg, now| Raft::new(cfg, bugs.clone(), None, now));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let names: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
    let mut hit = 0;
    for _ in 0..10 {
        sim.run_for(2500 * MS);
        let leader = sim.leaders().first().cloned().unwrap_or_else(|| "n1".into());
        match fault {
            Fault::Halves => {
                let mut shuffled = names.clone();
                shuffled.shuffle(&mut rng);
                let (a, b) = shuffled.split_at(2);
                let (a, b): (Vec<&str>, Vec<&str>) = (
                    a.iter().map(String::as_str).collect(),
                    b.iter().map(String::as_str).collect(),
                );
                sim.partition(&a, &b);
            }
            Fault::LeaderLinks(ms) => {
                for other in names.iter().filter(|n| **n != leader) {
                    sim.delay.insert((leader.clone(), other.clone()), Duration::from_millis(ms));
                    sim.delay.insert((other.clone(), leader.clone()), Duration::from_millis(ms));
                }
            }
        }
        let mut seen = false;
        for _ in 0..2500 {
            sim.run_for(MS);
            seen |= lease_overlaps_a_newer_leader(&sim);
        }
        hit += usize::from(seen);
        sim.cut.clear();
        sim.delay.clear();
    }
    hit
}

#[test]
fn bug_lease_read_under_partitions_no_lease_outlives_the_followers_promise() {
    for seed in 1..=6 {
        assert_eq!(windows_with_overlap(seed, Fault::Halves), 0, "seed {seed}");
    }
}

#[test]
fn bug_lease_read_with_late_answers_a_deposed_leader_still_holds_its_lease() {
    // Delays between half the election timeout and the whole of it: the round trip outgrows
    // the followers' promise, and their late answers renew the lease.
    for ms in [75, 100, 125] {
        let hits: Vec<usize> =
            (1..=3).map(|seed| windows_with_overlap(seed, Fault::LeaderLinks(ms))).collect();
        assert!(hits.iter().all(|h| *h >= 8), "{ms} ms: windows of 10 with an overlap {hits:?}");
    }
}
