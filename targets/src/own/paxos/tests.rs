//! The rules of Paxos's election, one claim per test, on the pure machine.

use super::*;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn config(me: &str, n: usize) -> MachineConfig {
    MachineConfig {
        me: me.to_string(),
        nodes: (1..=n).map(|i| format!("n{i}")).collect(),
        timing: ElectionTiming::default(),
        seed: 7,
    }
}

fn b(round: u64, rank: u64) -> Ballot {
    Ballot { round, rank }
}

fn node(me: &str, n: usize, bugs: Bugs, promised: Option<Ballot>, now: Instant) -> Paxos {
    Paxos::new(config(me, n), bugs, promised.map(|ballot| Promised { ballot }), now)
}

fn sends(actions: &[Action<PaxosMsg, Promised>]) -> Vec<(String, PaxosMsg)> {
    let sent = actions.iter().filter_map(|a| match a {
        Action::Send(to, m) => Some((to.clone(), m.clone())),
        _ => None,
    });
    sent.collect()
}

fn promise_answer(actions: &[Action<PaxosMsg, Promised>]) -> Option<bool> {
    sends(actions).into_iter().find_map(|(_, m)| match m {
        PaxosMsg::Promise { granted, .. } => Some(granted),
        _ => None,
    })
}

fn persisted(actions: &[Action<PaxosMsg, Promised>]) -> Option<Ballot> {
    actions.iter().find_map(|a| match a {
        Action::Persist(p) => Some(p.ballot),
        _ => None,
    })
}

/// `me` of `n` nodes, campaigning at its first timeout (round 1 on a fresh node).
fn candidate(me: &str, n: usize, bugs: Bugs, now: Instant) -> Paxos {
    let mut paxos = node(me, n, bugs, None, now);
    paxos.tick(now + 300 * MS);
    assert_eq!(paxos.role(), Role::Candidate);
    paxos
}

/// `me` of `n` nodes, made leader of its first ballot by the promises of the next nodes.
fn leader(me: &str, n: usize, bugs: Bugs, now: Instant) -> Paxos {
    let mut paxos = candidate(me, n, bugs, now);
    let ballot = paxos.ballot();
    let voters: Vec<String> = paxos.cfg.others().cloned().collect();
    for voter in voters.iter().take(quorum(n, false) - 1) {
        let msg = PaxosMsg::Promise { ballot, granted: true, promised: ballot };
        paxos.receive(now + 301 * MS, voter, msg);
    }
    assert_eq!(paxos.role(), Role::Leader);
    paxos
}

#[test]
fn ballots_order_by_round_then_rank_and_ranks_follow_the_natural_order_of_names() {
    assert!(b(2, 1) > b(1, 9) && b(2, 3) > b(2, 1) && Ballot::default() < b(1, 1));
    let names: Vec<String> = ["n10", "n2", "n1"].iter().map(|s| s.to_string()).collect();
    // (name, rank)
    let table = [("n1", 1), ("n2", 2), ("n10", 3), ("n7", 0)];
    for (name, rank) in table {
        assert_eq!(rank_of(&names, name), rank, "{name}");
    }
}

#[test]
fn a_promise_is_granted_for_a_higher_round_or_the_same_ballot_and_ignore_rank_widens_it() {
    // (promised, asked, granted, granted with ignore-rank)
    let table = [
        (b(0, 0), b(1, 2), true, true),
        (b(3, 1), b(4, 2), true, true),
        (b(3, 2), b(3, 2), true, true),
        (b(3, 1), b(3, 2), false, true),
        (b(3, 3), b(3, 2), false, true),
        (b(3, 1), b(2, 3), false, false),
    ];
    for (promised, asked, granted, ignoring) in table {
        assert_eq!(may_promise(promised, asked, false), granted, "{promised:?} asked {asked:?}");
        assert_eq!(may_promise(promised, asked, true), ignoring, "{promised:?} asked {asked:?}");
    }
}

#[test]
fn an_acceptor_answers_a_prepare_with_its_promise_after_it() {
    // (promised before, asked, granted, promised after)
    let table = [
        (None, b(1, 2), true, b(1, 2)),
        (Some(b(3, 3)), b(4, 2), true, b(4, 2)),
        (Some(b(3, 2)), b(3, 2), true, b(3, 2)),
        (Some(b(3, 3)), b(3, 2), false, b(3, 3)),
        (Some(b(5, 1)), b(4, 2), false, b(5, 1)),
    ];
    for (before, asked, granted, after) in table {
        let now = Instant::now();
        let mut paxos = node("n1", 3, Bugs::none(), before, now);
        let actions = paxos.receive(now, "n2", PaxosMsg::Prepare { ballot: asked });
        let answer = PaxosMsg::Promise { ballot: asked, granted, promised: after };
        assert_eq!(sends(&actions), vec![("n2".to_string(), answer)], "{before:?} {asked:?}");
        assert_eq!(paxos.promised(), after, "{before:?} asked {asked:?}");
    }
}

#[test]
fn a_promise_is_on_disk_before_the_answer_leaves_and_a_refusal_writes_nothing() {
    let now = Instant::now();
    let mut paxos = node("n1", 3, Bugs::none(), Some(b(2, 3)), now);
    let actions = paxos.receive(now, "n2", PaxosMsg::Prepare { ballot: b(3, 2) });
    assert_eq!(actions[0], Action::Persist(Promised { ballot: b(3, 2) }));
    assert!(matches!(actions[1], Action::Send(_, PaxosMsg::Promise { granted: true, .. })));
    let actions = paxos.receive(now, "n3", PaxosMsg::Prepare { ballot: b(3, 3) });
    assert_eq!(persisted(&actions), None);
    assert_eq!(promise_answer(&actions), Some(false));
}

#[test]
fn a_campaign_picks_a_round_above_every_round_seen_and_promises_it_before_asking() {
    let now = Instant::now();
    let mut paxos = node("n2", 3, Bugs::none(), Some(b(4, 3)), now);
    assert!(paxos.tick(now + 149 * MS).is_empty(), "no campaign before the shortest timeout");
    let actions = paxos.tick(now + 300 * MS);
    assert_eq!(actions[0], Action::Persist(Promised { ballot: b(5, 2) }));
    let asked: Vec<_> = sends(&actions).into_iter().map(|(to, _)| to).collect();
    assert_eq!(asked, vec!["n1", "n3"]);
    let refusal = PaxosMsg::Promise { ballot: b(5, 2), granted: false, promised: b(9, 1) };
    paxos.receive(now + 301 * MS, "n1", refusal);
    assert_eq!(paxos.role(), Role::Candidate, "a refusal is no promise");
    paxos.tick(now + 700 * MS);
    assert_eq!(paxos.ballot(), b(10, 2), "the next ballot beats the round the refusal showed");
}

#[test]
fn a_candidate_leads_exactly_when_a_majority_promised() {
    // (nodes, promises from others, refusals, leads)
    let table = [
        (3, 0, 2, false),
        (3, 1, 0, true),
        (5, 1, 3, false),
        (5, 2, 0, true),
        (4, 1, 2, false),
        (4, 2, 1, true),
    ];
    for (n, granted, refused, leads) in table {
        let now = Instant::now();
        let mut paxos = candidate("n1", n, Bugs::none(), now);
        let ballot = paxos.ballot();
        let others: Vec<String> = paxos.cfg.others().cloned().collect();
        let answers =
            others.iter().zip((0..granted).map(|_| true).chain((0..refused).map(|_| false)));
        for (voter, g) in answers {
            let promised = if g { ballot } else { b(ballot.round, 9) };
            paxos.receive(
                now + 301 * MS,
                voter,
                PaxosMsg::Promise { ballot, granted: g, promised },
            );
        }
        assert_eq!(paxos.role() == Role::Leader, leads, "{n} nodes, {granted} promised");
    }
}

#[test]
fn promises_for_an_older_ballot_of_this_node_do_not_count() {
    let now = Instant::now();
    let mut paxos = node("n1", 3, Bugs::none(), Some(b(5, 1)), now);
    paxos.tick(now + 300 * MS);
    let old = PaxosMsg::Promise { ballot: b(5, 1), granted: true, promised: b(5, 1) };
    paxos.receive(now + 301 * MS, "n2", old);
    assert_eq!(paxos.role(), Role::Candidate);
}

#[test]
fn a_new_leader_reports_its_round_as_token_and_sends_heartbeats_at_once() {
    let now = Instant::now();
    let mut paxos = node("n1", 3, Bugs::none(), Some(b(6, 2)), now);
    paxos.tick(now + 300 * MS);
    let ballot = b(7, 1);
    let actions = paxos.receive(
        now + 301 * MS,
        "n2",
        PaxosMsg::Promise { ballot, granted: true, promised: ballot },
    );
    assert_eq!(actions[0], Action::Elected(7, Some(7)));
    let beats =
        sends(&actions).into_iter().filter(|(_, m)| matches!(m, PaxosMsg::Heartbeat { .. }));
    assert_eq!(beats.count(), 2);
    assert!(paxos.leads(Some(7)) && !paxos.leads(Some(6)));
}

#[test]
fn a_leader_steps_down_when_it_meets_a_higher_round() {
    let ballot = b(1, 1);
    let messages = [
        PaxosMsg::Prepare { ballot: b(2, 3) },
        PaxosMsg::Heartbeat { ballot: b(2, 3), round: 1 },
        PaxosMsg::HeartbeatAck { ballot, round: 1, granted: false, promised: b(2, 3) },
    ];
    for msg in messages {
        let now = Instant::now();
        let mut paxos = leader("n1", 3, Bugs::none(), now);
        let actions = paxos.receive(now + 320 * MS, "n3", msg.clone());
        assert_eq!(paxos.role(), Role::Follower, "{msg:?}");
        assert!(actions.contains(&Action::StepDown("higher-ballot")), "{msg:?}");
        assert!(!paxos.leads(Some(1)), "{msg:?}");
    }
}

#[test]
fn a_leader_steps_down_when_no_majority_acknowledged_a_round_within_its_lease() {
    let now = Instant::now();
    let (mut kept, mut lost) =
        (leader("n1", 3, Bugs::none(), now), leader("n1", 3, Bugs::none(), now));
    let mut lost_at = None;
    for ms in (350..650).step_by(50) {
        let at = now + ms * MS;
        kept.tick(at);
        if lost.tick(at).contains(&Action::StepDown("lease-expired")) {
            lost_at.get_or_insert(ms);
        }
        let (ballot, round) = (b(1, 1), kept.round);
        kept.receive(
            at + MS,
            "n2",
            PaxosMsg::HeartbeatAck { ballot, round, granted: true, promised: ballot },
        );
    }
    assert_eq!(kept.role(), Role::Leader, "acknowledged heartbeats keep the lease");
    assert_eq!(lost_at, Some(600), "silence for election_max after the campaign began ends it");
    assert_eq!(lost.role(), Role::Follower);
}

#[test]
fn a_follower_follows_a_heartbeat_of_its_round_or_a_higher_one_and_refuses_a_lower() {
    // (promised, heartbeat ballot, followed, promised after)
    let table = [
        (b(3, 2), b(3, 2), true, b(3, 2)),
        (b(3, 3), b(3, 2), true, b(3, 2)),
        (b(3, 3), b(4, 2), true, b(4, 2)),
        (b(5, 3), b(4, 2), false, b(5, 3)),
    ];
    for (before, ballot, followed, after) in table {
        let now = Instant::now();
        let mut paxos = node("n1", 3, Bugs::none(), Some(before), now);
        let actions = paxos.receive(now, "n2", PaxosMsg::Heartbeat { ballot, round: 4 });
        let ack = PaxosMsg::HeartbeatAck { ballot, round: 4, granted: followed, promised: after };
        assert_eq!(sends(&actions), vec![("n2".to_string(), ack)], "{before:?} {ballot:?}");
        assert_eq!(paxos.view().0.is_some(), followed, "{before:?} {ballot:?}");
    }
}

#[test]
fn heartbeats_from_the_leader_keep_a_follower_from_campaigning() {
    let now = Instant::now();
    let mut paxos = node("n1", 3, Bugs::none(), None, now);
    for i in 1..20u64 {
        let at = now + Duration::from_millis(100 * i);
        paxos.receive(at, "n2", PaxosMsg::Heartbeat { ballot: b(1, 2), round: i });
        paxos.tick(at);
        assert_eq!(paxos.role(), Role::Follower);
    }
}

#[test]
fn a_read_is_confirmed_only_once_a_majority_acknowledged_a_round_sent_after_it() {
    let now = Instant::now();
    let mut paxos = leader("n1", 5, Bugs::none(), now);
    let ack =
        |round| PaxosMsg::HeartbeatAck { ballot: b(1, 1), round, granted: true, promised: b(1, 1) };
    for peer in ["n2", "n3", "n4", "n5"] {
        paxos.receive(now + 302 * MS, peer, ack(1));
    }
    let (confirm, actions) = paxos.confirm(now + 303 * MS, Some(1));
    let Confirm::Round(round) = confirm else { panic!("a leader waits for a round") };
    assert_eq!(sends(&actions).len(), 4, "the round goes to every peer at once");
    assert!(paxos.confirmed() < round, "acks of earlier rounds confirm nothing");
    paxos.receive(now + 304 * MS, "n2", ack(round));
    assert!(paxos.confirmed() < round, "2 of 5 is no majority");
    let refusal =
        PaxosMsg::HeartbeatAck { ballot: b(1, 1), round, granted: false, promised: b(1, 1) };
    paxos.receive(now + 304 * MS, "n3", refusal);
    assert!(paxos.confirmed() < round, "a refusal is no acknowledgement");
    paxos.receive(now + 304 * MS, "n4", ack(round));
    assert!(paxos.confirmed() >= round, "3 of 5 is");
}

#[test]
fn a_read_under_another_token_or_on_a_follower_is_refused_at_once() {
    let now = Instant::now();
    let mut paxos = leader("n1", 3, Bugs::none(), now);
    assert!(matches!(paxos.confirm(now, Some(2)).0, Confirm::Now(Err(_))));
    let mut follower = node("n2", 3, Bugs::none(), None, now);
    assert!(matches!(follower.confirm(now, Some(1)).0, Confirm::Now(Err(_))));
}

#[test]
fn a_single_node_elects_itself_at_its_first_timeout() {
    let now = Instant::now();
    let mut paxos = node("n1", 1, Bugs::none(), None, now);
    let actions = paxos.tick(now + 300 * MS);
    assert!(actions.contains(&Action::Elected(1, Some(1))));
}

#[test]
fn a_restarted_acceptor_never_promises_below_what_it_promised() {
    let now = Instant::now();
    let mut before = node("n3", 3, Bugs::none(), None, now);
    let actions = before.receive(now, "n2", PaxosMsg::Prepare { ballot: b(4, 2) });
    let on_disk = persisted(&actions);
    let mut after = node("n3", 3, Bugs::none(), on_disk, now);
    let actions = after.receive(now, "n1", PaxosMsg::Prepare { ballot: b(4, 1) });
    assert_eq!(promise_answer(&actions), Some(false));
}

#[test]
fn bug_forget_promise_a_restarted_acceptor_promises_a_lower_ballot() {
    let bugs = Bugs::of([Bug::ForgetPromise]);
    let now = Instant::now();
    let mut before = node("n3", 3, bugs.clone(), None, now);
    let actions = before.receive(now, "n2", PaxosMsg::Prepare { ballot: b(4, 2) });
    assert_eq!(promise_answer(&actions), Some(true));
    assert_eq!(persisted(&actions), Some(Ballot::default()), "the promise never reaches the disk");
    let mut after = node("n3", 3, bugs, persisted(&actions), now);
    let actions = after.receive(now, "n1", PaxosMsg::Prepare { ballot: b(4, 1) });
    assert_eq!(promise_answer(&actions), Some(true), "round 4 promised to a second proposer");
}

#[test]
fn bug_no_quorum_check_a_candidate_leads_on_refusals_or_on_silence() {
    let bugs = Bugs::of([Bug::NoQuorumCheck]);
    let now = Instant::now();
    let mut refused = candidate("n1", 3, bugs.clone(), now);
    for peer in ["n2", "n3"] {
        let msg = PaxosMsg::Promise { ballot: b(1, 1), granted: false, promised: b(1, 3) };
        refused.receive(now + 301 * MS, peer, msg);
    }
    assert_eq!(refused.role(), Role::Leader, "every peer answered, none promised");
    let mut alone = candidate("n1", 5, bugs, now);
    alone.tick(now + 350 * MS);
    assert_eq!(alone.role(), Role::Leader, "nobody answered within a heartbeat interval");
    let mut correct = candidate("n1", 5, Bugs::none(), now);
    correct.tick(now + 350 * MS);
    assert_eq!(correct.role(), Role::Candidate);
}

#[test]
fn bug_ignore_rank_two_proposers_of_one_round_both_lead() {
    for (bugs, both) in [(Bugs::of([Bug::IgnoreRank]), true), (Bugs::none(), false)] {
        let now = Instant::now();
        let mut p1 = candidate("n1", 3, bugs.clone(), now);
        let mut p2 = candidate("n2", 3, bugs.clone(), now);
        let mut acceptor = node("n3", 3, bugs, None, now);
        for (name, p) in [("n1", &mut p1), ("n2", &mut p2)] {
            let ballot = p.ballot();
            let actions = acceptor.receive(now + 301 * MS, name, PaxosMsg::Prepare { ballot });
            let granted = promise_answer(&actions).unwrap();
            let promised = acceptor.promised();
            p.receive(now + 302 * MS, "n3", PaxosMsg::Promise { ballot, granted, promised });
        }
        let leaders = [&p1, &p2].iter().filter(|p| p.leads(Some(1))).count();
        assert_eq!(leaders, if both { 2 } else { 1 });
    }
}
