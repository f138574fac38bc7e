//! The rules of the Bully algorithm, one claim per test, on the pure machine.

use super::*;
use crate::own::ElectionTiming;

const MS: Duration = Duration::from_millis(1);

fn node(me: &str, n: usize, seen: u64, now: Instant) -> Bully {
    let cfg = MachineConfig {
        me: me.to_string(),
        nodes: (1..=n).map(|i| format!("n{i}")).collect(),
        timing: ElectionTiming::default(),
        seed: 3,
    };
    Bully::new(cfg, Some(EpochState { epoch: seen }), now)
}

fn sent(actions: &[Action<BullyMsg, EpochState>]) -> Vec<(String, BullyMsg)> {
    let sends = actions.iter().filter_map(|a| match a {
        Action::Send(to, m) => Some((to.clone(), m.clone())),
        _ => None,
    });
    sends.collect()
}

fn elected(actions: &[Action<BullyMsg, EpochState>]) -> Option<Token> {
    actions.iter().find_map(|a| match a {
        Action::Elected(t, _) => Some(*t),
        _ => None,
    })
}

/// `me` made leader by a timeout with nobody answering.
fn leader(me: &str, n: usize, seen: u64, now: Instant) -> Bully {
    let mut b = node(me, n, seen, now);
    b.tick(now + 300 * MS);
    b.tick(now + 500 * MS);
    assert_eq!(b.phase(), Phase::Leader);
    b
}

#[test]
fn rank_is_the_natural_order_of_names() {
    let table = [("n2", "n1", true), ("n10", "n9", true), ("n1", "n2", false), ("n3", "n3", false)];
    for (a, b, want) in table {
        assert_eq!(outranks(a, b), want, "{a} over {b}");
    }
}

#[test]
fn a_node_waits_one_election_timeout_before_it_campaigns() {
    let now = Instant::now();
    let mut b = node("n5", 5, 0, now);
    assert!(b.tick(now + 149 * MS).is_empty());
    assert_eq!(elected(&b.tick(now + 300 * MS)), Some(1));
}

#[test]
fn an_election_goes_only_to_the_higher_nodes() {
    let now = Instant::now();
    let mut b = node("n3", 5, 0, now);
    let to: Vec<String> = sent(&b.tick(now + 300 * MS)).into_iter().map(|(to, _)| to).collect();
    assert_eq!(to, vec!["n4", "n5"]);
    assert_eq!(b.phase(), Phase::Electing { answered: false });
}

#[test]
fn the_highest_node_announces_at_once_to_everyone() {
    let now = Instant::now();
    let mut b = node("n5", 5, 4, now);
    let actions = b.tick(now + 300 * MS);
    assert_eq!(elected(&actions), Some(5));
    let to: Vec<String> = sent(&actions).into_iter().map(|(to, _)| to).collect();
    assert_eq!(to, vec!["n1", "n2", "n3", "n4"]);
}

#[test]
fn an_unanswered_candidate_becomes_coordinator_after_the_answer_timeout() {
    let now = Instant::now();
    let mut b = node("n3", 5, 0, now);
    b.tick(now + 300 * MS);
    assert!(elected(&b.tick(now + 350 * MS)).is_none(), "answers may still come");
    assert_eq!(elected(&b.tick(now + 401 * MS)), Some(1));
}

#[test]
fn an_answered_candidate_waits_for_the_coordinator_and_retries_without_one() {
    let now = Instant::now();
    let mut b = node("n3", 5, 0, now);
    b.tick(now + 300 * MS);
    b.receive(now + 301 * MS, "n5", BullyMsg::Answer { epoch: 0 });
    assert_eq!(b.phase(), Phase::Electing { answered: true });
    assert!(elected(&b.tick(now + 420 * MS)).is_none(), "no coordinator of its own");
    let retry = b.tick(now + 700 * MS);
    assert!(sent(&retry).iter().all(|(_, m)| matches!(m, BullyMsg::Election { .. })));
    assert_eq!(b.phase(), Phase::Electing { answered: false });
}

#[test]
fn a_lower_nodes_election_is_answered_and_taken_over() {
    let now = Instant::now();
    let mut b = node("n4", 5, 0, now);
    let actions = sent(&b.receive(now, "n2", BullyMsg::Election { epoch: 0 }));
    assert_eq!(actions[0], ("n2".into(), BullyMsg::Answer { epoch: 0 }));
    assert_eq!(actions[1], ("n5".into(), BullyMsg::Election { epoch: 0 }));
}

#[test]
fn a_leader_answers_a_lower_election_by_repeating_its_announcement() {
    let now = Instant::now();
    let mut b = leader("n5", 5, 0, now);
    let actions = b.receive(now + 600 * MS, "n2", BullyMsg::Election { epoch: 1 });
    assert_eq!(
        sent(&actions),
        vec![
            ("n2".into(), BullyMsg::Answer { epoch: 1 }),
            ("n2".into(), BullyMsg::Coordinator { epoch: 1 })
        ]
    );
    assert!(b.leads(Some(1)), "same tenure, same token");
}

#[test]
fn a_coordinator_from_a_higher_node_is_followed() {
    let now = Instant::now();
    let mut b = node("n2", 5, 7, now);
    let actions = b.receive(now, "n4", BullyMsg::Coordinator { epoch: 3 });
    assert_eq!(b.view(), (Some("n4".into()), Some(7)));
    assert!(sent(&actions).is_empty());
}

#[test]
fn a_leader_steps_down_when_a_higher_node_announces() {
    let now = Instant::now();
    let mut b = node("n2", 3, 0, now);
    b.tick(now + 300 * MS);
    b.tick(now + 500 * MS);
    assert_eq!(b.phase(), Phase::Leader);
    let actions = b.receive(now + 600 * MS, "n3", BullyMsg::Coordinator { epoch: 1 });
    assert!(actions.contains(&Action::StepDown("higher-coordinator")));
    assert_eq!(sent(&actions), vec![("n3".into(), BullyMsg::Yield { epoch: 1 })]);
    assert_eq!(b.phase(), Phase::Follower);
}

#[test]
fn a_coordinator_from_a_lower_node_starts_an_election() {
    let now = Instant::now();
    let mut b = node("n4", 5, 0, now);
    b.receive(now, "n2", BullyMsg::Coordinator { epoch: 1 });
    assert_eq!(b.phase(), Phase::Electing { answered: false });
}

#[test]
fn each_announcement_takes_an_epoch_above_every_epoch_seen() {
    // (epoch persisted, epochs heard before the timeout, token announced)
    let table: [(u64, &[u64], u64); 4] = [(0, &[], 1), (7, &[], 8), (2, &[5, 3], 6), (9, &[4], 10)];
    for (persisted, heard, want) in table {
        let now = Instant::now();
        let mut b = node("n3", 3, persisted, now);
        for &epoch in heard {
            b.receive(now, "n1", BullyMsg::Answer { epoch });
        }
        assert_eq!(elected(&b.tick(now + 300 * MS)), Some(want), "{persisted} {heard:?}");
    }
}

#[test]
fn a_leader_shown_a_later_epoch_by_a_competing_leader_announces_again_above_it() {
    // (message from n1, new token): a lower leader's announcement or its yield outbid; an
    // epoch merely relayed does not.
    let table = [
        (BullyMsg::Coordinator { epoch: 4 }, Some(5)),
        (BullyMsg::Yield { epoch: 4 }, Some(5)),
        (BullyMsg::Election { epoch: 4 }, None),
        (BullyMsg::Coordinator { epoch: 1 }, None),
    ];
    for (msg, want) in table {
        let now = Instant::now();
        let mut b = leader("n5", 5, 0, now);
        let actions = b.receive(now + 600 * MS, "n1", msg.clone());
        assert_eq!(elected(&actions), want, "{msg:?}");
    }
}

#[test]
fn a_higher_epoch_seen_is_on_disk_before_anything_is_sent() {
    let now = Instant::now();
    let mut b = node("n4", 5, 0, now);
    let actions = b.receive(now, "n2", BullyMsg::Election { epoch: 6 });
    assert_eq!(actions[0], Action::Persist(EpochState { epoch: 6 }));
}

#[test]
fn a_follower_without_announcements_holds_an_election() {
    let now = Instant::now();
    let mut b = node("n2", 3, 0, now);
    b.receive(now, "n3", BullyMsg::Coordinator { epoch: 1 });
    b.receive(now + 100 * MS, "n3", BullyMsg::Coordinator { epoch: 1 });
    assert!(b.tick(now + 240 * MS).is_empty(), "within the timeout of the last announcement");
    b.tick(now + 401 * MS);
    assert_eq!(b.phase(), Phase::Electing { answered: false });
}

mod simulated {
    use super::*;
    use crate::own::sim::Sim;

    const SEC: Duration = Duration::from_secs(1);

    fn cluster(n: usize, seed: u64) -> Sim<Bully> {
        Sim::new(n, seed, |cfg, now| Bully::new(cfg, None, now))
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
            sim.run_for(Duration::from_millis(300));
            assert_eq!(sim.leaders(), ["n4"], "seed {seed}: stable");
            let before = sim.elections.last().unwrap().1;
            sim.dead.insert("n4".into());
            assert!(
                sim.run_until(SEC, |s| s.leaders() == ["n3"]),
                "seed {seed}: {:?}",
                sim.leaders()
            );
            assert!(sim.elections.last().unwrap().1 > before, "seed {seed}");
        }
    }

    #[test]
    fn each_side_of_a_partition_elects_its_highest_node_and_one_leader_stays_after_healing() {
        for seed in 0..50 {
            let mut sim = cluster(5, seed);
            assert!(sim.run_until(SEC, |s| s.leaders() == ["n5"]), "seed {seed}");
            sim.partition(&["n1", "n2"], &["n3", "n4", "n5"]);
            let split = sim.run_until(2 * SEC, |s| s.leaders() == ["n2", "n5"]);
            assert!(split, "seed {seed}: two leaders: {:?}", sim.leaders());
            sim.cut.clear();
            assert!(
                sim.run_until(2 * SEC, |s| s.leaders() == ["n5"]),
                "seed {seed}: {:?}",
                sim.leaders()
            );
            let last = sim.elections.last().unwrap();
            let highest = sim.elections.iter().map(|e| e.1).max().unwrap();
            assert_eq!(last.1, highest, "seed {seed}: the leader holds the newest epoch");
        }
    }
}

mod overlapping_partitions {
    use super::*;
    use crate::own::sim::Sim;

    const SEC: Duration = Duration::from_secs(1);

    /// Jepsen's "majorities ring" on 5 nodes: each node reaches a majority, no two the same.
    fn majorities_ring(sim: &mut Sim<Bully>) {
        for (a, b) in [("n1", "n3"), ("n1", "n5"), ("n2", "n3"), ("n2", "n4"), ("n4", "n5")] {
            sim.partition(&[a], &[b]);
        }
    }

    #[test]
    fn a_majorities_ring_does_not_make_leaders_outbid_each_other_forever() {
        for seed in 0..20 {
            let mut sim: Sim<Bully> = Sim::new(5, seed, |cfg, now| Bully::new(cfg, None, now));
            assert!(sim.run_until(SEC, |s| s.leaders() == ["n5"]), "seed {seed}");
            sim.run_for(Duration::from_millis(200));
            majorities_ring(&mut sim);
            let before = sim.elections.len();
            sim.run_for(5 * SEC);
            let during = sim.elections.len() - before;
            assert!(during <= 6, "seed {seed}: {during} elections in 5 s");
            sim.cut.clear();
            assert!(
                sim.run_until(2 * SEC, |s| s.leaders() == ["n5"]),
                "seed {seed}: {:?}",
                sim.leaders()
            );
        }
    }
}
