//! Paxos in the simulated network of [`crate::own::sim`]: whole clusters under kills,
//! partitions and crash-restarts, many seeds, and the one property that makes the round a
//! fencing token: no round is ever led by two nodes. Each planted bug breaks it here.

use super::*;
use crate::own::sim::{config, Sim};
use rand::{Rng, SeedableRng};
use std::time::Duration;

const SEC: Duration = Duration::from_secs(1);

fn cluster(n: usize, seed: u64, bugs: Bugs) -> Sim<Paxos> {
    Sim::new(n, seed, move |cfg, now| Paxos::new(cfg, bugs.clone(), None, now))
}

/// The rounds led by more than one node (from the `Elected` actions).
fn rounds_led_twice(sim: &Sim<Paxos>) -> Vec<u64> {
    let mut owners: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for (node, round) in &sim.elections {
        owners.entry(*round).or_default().insert(node.clone());
    }
    owners.into_iter().filter(|(_, o)| o.len() > 1).map(|(r, _)| r).collect()
}

#[test]
fn five_nodes_elect_one_leader_and_after_it_dies_another_with_a_higher_round() {
    for seed in 0..50 {
        let mut sim = cluster(5, seed, Bugs::none());
        assert!(sim.run_until(SEC, |s| s.leaders().len() == 1), "seed {seed}");
        sim.run_for(Duration::from_millis(500));
        let leaders = sim.leaders();
        assert_eq!(leaders.len(), 1, "seed {seed}: one stable leader");
        let old_round = sim.elections.last().unwrap().1;
        sim.dead.insert(leaders[0].clone());
        assert!(sim.run_until(SEC, |s| s.leaders().len() == 1), "seed {seed}: a new leader");
        assert!(sim.elections.last().unwrap().1 > old_round, "seed {seed}");
        assert!(rounds_led_twice(&sim).is_empty(), "seed {seed}");
    }
}

#[test]
fn a_partitioned_minority_never_elects_its_old_leader_steps_down_and_one_leads_after_healing() {
    for seed in 0..30 {
        let mut sim = cluster(5, seed, Bugs::none());
        assert!(sim.run_until(SEC, |s| s.leaders().len() == 1), "seed {seed}");
        let old = sim.leaders()[0].clone();
        let others: Vec<String> =
            sim.nodes.iter().map(|(n, _)| n.clone()).filter(|n| *n != old).collect();
        let minority = [old.as_str(), others[0].as_str()];
        let majority: Vec<&str> = others[1..].iter().map(String::as_str).collect();
        sim.partition(&minority, &majority);
        let elected = sim.elections.len();
        sim.run_for(3 * SEC);
        let later = &sim.elections[elected..];
        assert!(
            later.iter().all(|(n, _)| majority.contains(&n.as_str())),
            "seed {seed}: {later:?}"
        );
        assert!(!later.is_empty(), "seed {seed}: the majority elects");
        assert!(!sim.leaders().contains(&old), "seed {seed}: the lease ended the old leader");
        sim.cut.clear();
        assert!(sim.run_until(SEC, |s| s.leaders().len() == 1), "seed {seed}: one after healing");
        assert!(rounds_led_twice(&sim).is_empty(), "seed {seed}");
    }
}

/// Crash-restarts of random nodes (down 0–300 ms, one every 100–400 ms) for `secs` simulated
/// seconds, each restart from what the node had persisted; the rounds that two nodes led.
fn crash_restarts(seed: u64, bugs: Bugs, secs: u64) -> usize {
    let mut sim = cluster(5, seed, bugs.clone());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut down: Vec<(usize, Instant)> = Vec::new();
    let end = sim.now + Duration::from_secs(secs);
    while sim.now < end {
        sim.run_for(Duration::from_millis(rng.gen_range(100..400)));
        let victim = rng.gen_range(0..5);
        if !down.iter().any(|(i, _)| *i == victim) {
            sim.dead.insert(sim.nodes[victim].0.clone());
            down.push((victim, sim.now + Duration::from_millis(rng.gen_range(0..300))));
        }
        let now = sim.now;
        for (i, _) in down.iter().filter(|(_, at)| *at <= now) {
            let cfg = config(i + 1, 5, seed + *i as u64);
            let promised = sim.disk[*i];
            let name = sim.nodes[*i].0.clone();
            sim.replace(&name, Paxos::new(cfg, bugs.clone(), promised, now));
        }
        down.retain(|(_, at)| *at > now);
    }
    rounds_led_twice(&sim).len()
}

/// Random two-way partitions (a random subset against the rest, 0.5–1.5 s each, healed
/// between) for `secs` simulated seconds; the rounds that two nodes led.
fn random_partitions(seed: u64, bugs: Bugs, secs: u64) -> usize {
    let mut sim = cluster(5, seed, bugs);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let names: Vec<String> = sim.nodes.iter().map(|(n, _)| n.clone()).collect();
    let end = sim.now + Duration::from_secs(secs);
    while sim.now < end {
        let (a, b): (Vec<&String>, Vec<&String>) = names.iter().partition(|_| rng.gen_bool(0.5));
        let a: Vec<&str> = a.into_iter().map(String::as_str).collect();
        let b: Vec<&str> = b.into_iter().map(String::as_str).collect();
        sim.partition(&a, &b);
        sim.run_for(Duration::from_millis(rng.gen_range(500..1500)));
        sim.cut.clear();
        sim.run_for(Duration::from_millis(rng.gen_range(200..800)));
    }
    rounds_led_twice(&sim).len()
}

#[test]
fn correct_paxos_never_has_two_leaders_in_a_round_under_crash_restarts_or_partitions() {
    for seed in 0..10 {
        assert_eq!(crash_restarts(seed, Bugs::none(), 60), 0, "crash-restarts, seed {seed}");
        assert_eq!(random_partitions(seed, Bugs::none(), 60), 0, "partitions, seed {seed}");
    }
}

/// Runs `faults` for 10 seeds of 60 simulated seconds with `bug`; asserts at least `min` runs
/// had a round led twice.
fn shows(bug: Bug, faults: fn(u64, Bugs, u64) -> usize, min: usize) {
    let runs: Vec<usize> = (0..10).map(|seed| faults(seed, Bugs::of([bug]), 60)).collect();
    eprintln!("{bug}: rounds led twice per 60 s run: {runs:?}");
    assert!(runs.iter().filter(|n| **n > 0).count() >= min, "{bug}: {runs:?}");
}

#[test]
fn bug_forget_promise_gives_two_leaders_in_a_round_under_crash_restarts() {
    shows(Bug::ForgetPromise, crash_restarts, 2);
}

#[test]
fn bug_no_quorum_check_gives_two_leaders_in_a_round_under_partitions() {
    shows(Bug::NoQuorumCheck, random_partitions, 5);
}

#[test]
fn bug_ignore_rank_gives_two_leaders_in_a_round_under_partitions() {
    shows(Bug::IgnoreRank, random_partitions, 2);
}
