//! Real `splitbrain-node` processes on loopback addresses (no sandbox): elections, failover,
//! the client protocol, leader work, shutdown, bad options.

mod own_support;

use own_support::TestCluster;
use serde_json::json;
use splitbrain_targets::resource::{Mode, REGISTER_KEY, WORK_KEY};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

const SEC: Duration = Duration::from_secs(1);

/// No token was claimed by two nodes (HISTORY.md's election-safety, on the reports).
fn assert_no_token_claimed_twice(c: &TestCluster) {
    let mut owners: BTreeMap<u64, usize> = BTreeMap::new();
    for (node, token) in c.elections() {
        let owner = *owners.entry(token).or_insert(node);
        assert_eq!(owner, node, "token {token} claimed by {} and {}", c.name(owner), c.name(node));
    }
}

#[test]
fn raft_and_paxos_five_nodes_elect_exactly_one_leader_within_two_seconds() {
    for target in ["raft", "paxos"] {
        let c = TestCluster::start(target, 5, None, Mode::Fenced);
        let (leader, term) = c.one_leader(2 * SEC).expect("one leader within 2 s");
        eprintln!("{target}: {} leads {term} after {:?}", c.name(leader), c.started.elapsed());
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(c.leaders(), vec![(leader, term)], "{target}: the same single leader later");
        for i in 0..5 {
            let status = c.status(i).unwrap();
            let known = &status.0["known_leader"];
            assert_eq!(known, &json!(c.name(leader)), "{target}: {} knows the leader", c.name(i));
        }
        assert_no_token_claimed_twice(&c);
    }
}

#[test]
fn raft_and_paxos_after_the_leader_is_killed_another_leads_with_a_higher_token_within_1_s() {
    for target in ["raft", "paxos"] {
        let mut c = TestCluster::start(target, 5, None, Mode::Fenced);
        let (old, old_term) = c.one_leader(2 * SEC).expect("a first leader");
        c.kill(old);
        let killed = Instant::now();
        let (new, new_term) = c.one_leader(SEC).expect("a new leader within 1 s");
        eprintln!("{target} failover: {} {new_term} after {:?}", c.name(new), killed.elapsed());
        assert!(killed.elapsed() < SEC, "{target}");
        assert_ne!(new, old, "{target}");
        assert!(new_term > old_term, "{target}");
        assert_no_token_claimed_twice(&c);
    }
}

#[test]
fn raft_and_paxos_a_killed_node_restarts_from_its_data_directory_and_follows() {
    for target in ["raft", "paxos"] {
        let mut c = TestCluster::start(target, 3, None, Mode::Fenced);
        let (leader, term) = c.one_leader(2 * SEC).expect("a leader");
        let follower = (leader + 1) % 3;
        c.kill(follower);
        c.restart(follower);
        let known = c.wait_for(2 * SEC, |c| {
            let s = c.status(follower)?;
            (s.0["known_leader"] == json!(c.name(leader))).then_some(s.0["term"].as_u64())
        });
        assert_eq!(known, Some(Some(term)), "{target}: it rejoins under the same leader");
    }
}

fn highest_id_wins(target: &str) {
    let c = TestCluster::start(target, 5, None, Mode::Fenced);
    let settled = c.wait_for(2 * SEC, |c| match c.leaders().as_slice() {
        [(4, token)] => Some(*token),
        _ => None,
    });
    let token =
        settled.unwrap_or_else(|| panic!("{target}: n5 alone leads within 2 s: {:?}", c.leaders()));
    eprintln!("{target}: n5 leads under {token} after {:?}", c.started.elapsed());
    let all_follow = c.wait_for(SEC, |c| {
        (0..4)
            .all(|i| c.status(i).is_some_and(|s| s.0["known_leader"] == json!("n5")))
            .then_some(())
    });
    assert!(all_follow.is_some(), "{target}: every other node follows n5 within 1 s more");
    assert_eq!(c.leaders(), vec![(4, token)], "{target}: still n5 alone, same token");
}

#[test]
fn bully_elects_the_highest_id() {
    highest_id_wins("bully");
}

#[test]
fn ring_elects_the_highest_id() {
    highest_id_wins("ring");
}

#[test]
fn bully_and_ring_elect_the_next_highest_id_when_the_leader_dies() {
    for target in ["bully", "ring"] {
        let mut c = TestCluster::start(target, 4, None, Mode::Fenced);
        let settled = |c: &TestCluster, leader: usize| {
            let alone = matches!(c.leaders().as_slice(), [(l, _)] if *l == leader);
            let name = json!(c.name(leader));
            let followed =
                (0..leader).all(|i| c.status(i).is_some_and(|s| s.0["known_leader"] == name));
            (alone && followed).then(|| c.leaders()[0].1)
        };
        let old_token = c.wait_for(2 * SEC, |c| settled(c, 3)).expect("n4 leads, followed by all");
        c.kill(3);
        let token = c.wait_for(2 * SEC, |c| settled(c, 2)).unwrap_or_else(|| {
            let logs: Vec<String> = (0..3).map(|i| c.log(i)).collect();
            panic!(
                "{target}: n3 does not lead after n4 died: {:?}\n{}",
                c.leaders(),
                logs.join("\n")
            )
        });
        assert!(token > old_token, "{target}: token {token} after {old_token}");
    }
}

#[test]
fn a_write_through_the_leader_is_accepted_under_its_token_and_a_follower_names_the_leader() {
    let c = TestCluster::start("raft", 3, None, Mode::Fenced);
    let (leader, term) = c.one_leader(2 * SEC).expect("a leader");
    let written = c.client(leader).write(json!(42)).unwrap();
    assert_eq!(
        written.completion_value(),
        json!({"value": 42, "token": term, "leader": c.name(leader)})
    );
    let follower = (leader + 1) % 3;
    let refused = c.client(follower).write(json!(43)).unwrap();
    assert_eq!(refused.error(), Some("not-leader"));
    assert_eq!(refused.leader_name(), Some(c.name(leader)));
    assert_eq!(c.client(leader).read().unwrap().completion_value(), json!({"value": 42}));
    assert_eq!(c.client(follower).read().unwrap().error(), Some("not-leader"));
    let decisions = c.decisions.lock().unwrap();
    let accepted = decisions.iter().find(|d| d.key == REGISTER_KEY).expect("an accept");
    assert_eq!(
        (accepted.token, accepted.node.as_str(), &accepted.value),
        (Some(term), c.name(leader), &json!(42))
    );
}

#[test]
fn the_leader_writes_its_work_under_its_token_every_interval() {
    let c = TestCluster::start("raft", 3, None, Mode::Fenced);
    let (leader, term) = c.one_leader(2 * SEC).expect("a leader");
    std::thread::sleep(Duration::from_millis(550));
    let decisions = c.decisions.lock().unwrap();
    let work: Vec<_> =
        decisions.iter().filter(|d| d.key == WORK_KEY && d.token == Some(term)).collect();
    assert!(work.len() >= 4, "about 5 work writes in 550 ms, got {}", work.len());
    assert!(work.iter().all(|d| d.accepted && d.node == c.name(leader)));
    assert!(work[0].value.as_str().unwrap().starts_with(&format!("{}:", c.name(leader))));
}

#[test]
fn sigterm_stops_a_leader_within_a_second_with_a_shutdown_stepdown() {
    let mut c = TestCluster::start("raft", 3, None, Mode::Fenced);
    let (leader, term) = c.one_leader(2 * SEC).expect("a leader");
    let status = c.nodes[leader].terminate(SEC).expect("exits within 1 s");
    assert!(status.success(), "{status:?}");
    let reports = c.reports(leader);
    assert_eq!(
        reports.last(),
        Some(&json!({"type":"ok","f":"stepdown","value":{"token":term,"reason":"shutdown"}}))
    );
}

#[test]
fn bad_options_exit_2_with_one_line_naming_the_problem() {
    let table: [(&[&str], &str); 4] = [
        (&["--elector", "zab"], "unknown elector \"zab\""),
        (&["--elector", "bully", "--bug", "forget-vote"], "the bully elector has no bug"),
        (&["--bug", "nope"], "--bug: unknown bug \"nope\""),
        (&["--election-timeout-ms", "300-100"], "--election-timeout-ms: expected MIN-MAX"),
    ];
    for (extra, want) in table {
        let out = Command::new(env!("CARGO_BIN_EXE_splitbrain-node"))
            .args(["--id", "n1", "--listen", "127.0.0.1:0", "--peers", "n1=127.0.0.1:1"])
            .args(["--data-dir", "/tmp/sb-never-used", "--resource", "127.0.0.1:1"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(want) && stderr.lines().count() == 1, "{extra:?}: {stderr}");
        assert!(out.stdout.is_empty(), "nothing on stdout");
    }
}
