//! The rules of Chang and Roberts' ring election, one claim per test, on the pure machine.

use super::*;
use crate::own::ElectionTiming;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn node(me: &str, n: usize, seen: u64, now: Instant) -> Ring {
    let cfg = MachineConfig {
        me: me.to_string(),
        nodes: (1..=n).map(|i| format!("n{i}")).collect(),
        timing: ElectionTiming::default(),
        seed: 5,
    };
    Ring::new(cfg, Some(EpochState { epoch: seen }), now)
}

fn sent(actions: &[Action<RingMsg, EpochState>]) -> Vec<(String, RingMsg)> {
    let sends = actions.iter().filter_map(|a| match a {
        Action::Send(to, m) => Some((to.clone(), m.clone())),
        _ => None,
    });
    sends.collect()
}

fn ring_msgs(actions: &[Action<RingMsg, EpochState>]) -> Vec<(String, RingMsg)> {
    let ring = sent(actions).into_iter();
    ring.filter(|(_, m)| matches!(m, RingMsg::Election { .. } | RingMsg::Elected { .. })).collect()
}

fn election(candidate: &str, epoch: u64) -> RingMsg {
    RingMsg::Election { candidate: candidate.into(), epoch, id: 1 }
}

fn elected(actions: &[Action<RingMsg, EpochState>]) -> Option<Token> {
    actions.iter().find_map(|a| match a {
        Action::Elected(t, _) => Some(*t),
        _ => None,
    })
}

#[test]
fn the_successor_is_the_next_name_in_natural_order_wrapping_round() {
    let now = Instant::now();
    let skip = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    // (me, nodes, skipped, successor)
    let table: [(&str, usize, &[&str], Option<&str>); 5] = [
        ("n1", 3, &[], Some("n2")),
        ("n3", 3, &[], Some("n1")),
        ("n9", 10, &[], Some("n10")),
        ("n2", 4, &["n3", "n4"], Some("n1")),
        ("n2", 3, &["n3", "n1"], None),
    ];
    for (me, n, skipped, want) in table {
        let ring = node(me, n, 0, now);
        assert_eq!(ring.successor(&skip(skipped)).as_deref(), want, "{me} of {n}, {skipped:?}");
    }
}

#[test]
fn a_node_forwards_the_higher_of_the_candidate_and_itself_and_drops_a_lower_one_once_taking_part() {
    // (me, participant already, candidate received, candidate forwarded)
    let table = [
        ("n3", false, "n5", Some("n5")),
        ("n3", true, "n5", Some("n5")),
        ("n3", false, "n1", Some("n3")),
        ("n3", true, "n1", None),
    ];
    for (me, participant, candidate, want) in table {
        let now = Instant::now();
        let mut ring = node(me, 5, 0, now);
        if participant {
            ring.tick(now + 300 * MS);
            assert!(ring.participant());
        }
        let actions = ring.receive(now + 301 * MS, "n2", election(candidate, 0));
        let forwarded = ring_msgs(&actions).into_iter().find_map(|(_, m)| match m {
            RingMsg::Election { candidate, .. } => Some(candidate),
            _ => None,
        });
        assert_eq!(forwarded.as_deref(), want, "{me} participant={participant} got {candidate}");
        assert!(sent(&actions).contains(&("n2".into(), RingMsg::Ack { id: 1 })), "acknowledged");
    }
}

#[test]
fn a_candidate_that_receives_its_own_id_leads_with_an_epoch_above_all_seen_on_the_ring() {
    let now = Instant::now();
    let mut ring = node("n5", 5, 2, now);
    let actions = ring.receive(now, "n4", election("n5", 7));
    assert_eq!(actions[0], Action::Persist(EpochState { epoch: 8 }));
    assert_eq!(elected(&actions), Some(8));
    let round = ring_msgs(&actions);
    assert_eq!(
        round,
        vec![("n1".into(), RingMsg::Elected { leader: "n5".into(), epoch: 8, id: 1 })]
    );
}

#[test]
fn an_elected_message_makes_a_follower_and_goes_on_until_it_reaches_its_leader() {
    let now = Instant::now();
    let mut ring = node("n2", 5, 0, now);
    let actions =
        ring.receive(now, "n1", RingMsg::Elected { leader: "n5".into(), epoch: 3, id: 4 });
    assert_eq!(ring.view(), (Some("n5".into()), Some(3)));
    assert_eq!(ring_msgs(&actions).len(), 1, "forwarded to n3");
    let mut winner = node("n5", 5, 3, now);
    let back = winner.receive(now, "n4", RingMsg::Elected { leader: "n5".into(), epoch: 3, id: 9 });
    assert!(ring_msgs(&back).is_empty(), "the round ends at its leader");
}

#[test]
fn an_unacknowledged_message_skips_to_the_next_node_on_the_ring() {
    let now = Instant::now();
    let mut ring = node("n1", 4, 0, now);
    let first = ring_msgs(&ring.tick(now + 300 * MS));
    assert_eq!(first[0].0, "n2");
    assert!(ring_msgs(&ring.tick(now + 350 * MS)).is_empty(), "the ack may still come");
    let second = ring_msgs(&ring.tick(now + 401 * MS));
    assert_eq!(second[0].0, "n3");
    ring.receive(now + 402 * MS, "n3", RingMsg::Ack { id: 1 });
    assert!(ring_msgs(&ring.tick(now + 440 * MS)).is_empty(), "acknowledged: no more retries");
}

#[test]
fn a_node_that_reaches_nobody_is_a_ring_of_one_and_leads() {
    let now = Instant::now();
    let mut ring = node("n1", 3, 0, now);
    ring.tick(now + 300 * MS);
    ring.tick(now + 401 * MS);
    let actions = ring.tick(now + 502 * MS);
    assert_eq!(elected(&actions), Some(1));
}

#[test]
fn a_leader_answers_a_lower_election_with_its_heartbeat_and_keeps_its_token() {
    let now = Instant::now();
    let mut ring = node("n3", 3, 0, now);
    ring.receive(now, "n2", election("n3", 0));
    let actions = ring.receive(now, "n2", election("n1", 0));
    assert!(sent(&actions).contains(&("n1".into(), RingMsg::Alive { epoch: 1 })));
    assert!(ring_msgs(&actions).is_empty());
    assert!(ring.leads(Some(1)));
}

#[test]
fn of_two_leaders_the_later_epoch_then_the_higher_rank_supersedes() {
    // (a, b, a supersedes b)
    let table = [
        (("n1", 5), ("n3", 4), true),
        (("n3", 4), ("n1", 5), false),
        (("n3", 4), ("n1", 4), true),
        (("n1", 4), ("n3", 4), false),
    ];
    for (a, b, want) in table {
        assert_eq!(supersedes(a, b), want, "{a:?} over {b:?}");
    }
}

#[test]
fn a_leader_that_hears_a_newer_leader_steps_down_and_an_older_one_is_told() {
    let now = Instant::now();
    let mut ring = node("n3", 3, 0, now);
    ring.receive(now, "n2", election("n3", 4));
    assert!(ring.leads(Some(5)));
    let older = ring.receive(now, "n1", RingMsg::Alive { epoch: 2 });
    assert_eq!(sent(&older), vec![("n1".into(), RingMsg::Alive { epoch: 5 })]);
    let newer = ring.receive(now, "n1", RingMsg::Alive { epoch: 6 });
    assert!(newer.contains(&Action::StepDown("superseded")));
    assert_eq!(ring.view().0.as_deref(), Some("n1"));
}

#[test]
fn a_follower_without_heartbeats_starts_an_election() {
    let now = Instant::now();
    let mut ring = node("n2", 3, 0, now);
    ring.receive(now, "n3", RingMsg::Alive { epoch: 1 });
    assert!(ring_msgs(&ring.tick(now + 140 * MS)).is_empty());
    let actions = ring.tick(now + 301 * MS);
    assert_eq!(
        ring_msgs(&actions)[0],
        ("n3".into(), RingMsg::Election { candidate: "n2".into(), epoch: 1, id: 1 })
    );
}

mod simulated {
    use super::super::*;
    use crate::own::sim::Sim;
    use std::time::Duration;

    const SEC: Duration = Duration::from_secs(1);

    fn cluster(n: usize, seed: u64) -> Sim<Ring> {
        Sim::new(n, seed, |cfg, now| Ring::new(cfg, None, now))
    }

    #[test]
    fn the_highest_id_leads_and_after_it_dies_the_next_highest_with_a_higher_epoch() {
        for seed in 0..50 {
            let mut sim = cluster(4, seed);
            assert!(
                sim.run_until(SEC, |s| s.leaders() == ["n4"]),
                "seed {seed}: {:?}",
                sim.leaders()
            );
            sim.run_for(Duration::from_millis(200));
            assert_eq!(sim.leaders(), ["n4"], "seed {seed}: stable");
            let before = sim.elections.last().unwrap().1;
            sim.dead.insert("n4".into());
            let ok = sim.run_until(SEC, |s| s.leaders() == ["n3"]);
            assert!(
                ok,
                "seed {seed}: n3 leads after n4 died: {:?} {:?}",
                sim.leaders(),
                sim.elections
            );
            assert!(sim.elections.last().unwrap().1 > before, "seed {seed}");
        }
    }

    #[test]
    fn a_leader_that_dies_while_its_election_result_goes_round_is_replaced() {
        for seed in 0..50 {
            let mut sim = cluster(4, seed);
            assert!(sim.run_until(SEC, |s| !s.elections.is_empty()), "seed {seed}");
            let (first, _) = sim.elections[0].clone();
            sim.dead.insert(first.clone());
            let replaced = sim.run_until(SEC, |s| s.leaders().iter().any(|l| *l != first));
            assert!(replaced, "seed {seed}: {first} died at once; leaders {:?}", sim.leaders());
        }
    }

    #[test]
    fn each_side_of_a_partition_elects_its_highest_node_and_the_newest_leader_stays_after_healing()
    {
        for seed in 0..50 {
            let mut sim = cluster(5, seed);
            assert!(sim.run_until(SEC, |s| s.leaders() == ["n5"]), "seed {seed}");
            sim.partition(&["n1", "n2"], &["n3", "n4", "n5"]);
            let split = sim.run_until(2 * SEC, |s| s.leaders() == ["n2", "n5"]);
            assert!(split, "seed {seed}: two leaders: {:?}", sim.leaders());
            sim.cut.clear();
            let healed = sim.run_until(2 * SEC, |s| s.leaders().len() == 1);
            assert!(healed, "seed {seed}: one leader after healing: {:?}", sim.leaders());
        }
    }
}

mod overlapping_partitions {
    use super::super::*;
    use crate::own::sim::Sim;
    use std::time::Duration;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn a_majorities_ring_partition_settles_and_heals_to_one_leader() {
        for seed in 0..20 {
            let mut sim: Sim<Ring> = Sim::new(5, seed, |cfg, now| Ring::new(cfg, None, now));
            assert!(sim.run_until(SEC, |s| s.leaders() == ["n5"]), "seed {seed}");
            sim.run_for(Duration::from_millis(200));
            for (a, b) in [("n1", "n3"), ("n1", "n5"), ("n2", "n3"), ("n2", "n4"), ("n4", "n5")] {
                sim.partition(&[a], &[b]);
            }
            let before = sim.elections.len();
            sim.run_for(5 * SEC);
            let during = sim.elections.len() - before;
            assert!(during <= 10, "seed {seed}: {during} elections in 5 s");
            sim.cut.clear();
            assert!(
                sim.run_until(2 * SEC, |s| s.leaders().len() == 1),
                "seed {seed}: {:?}",
                sim.leaders()
            );
        }
    }
}
