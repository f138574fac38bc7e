//! Claims about the safety checkers (election-safety, fencing, dual-writer), one history each.

mod support;

use serde_json::json;
use splitbrain_checkers::{Type, Verdict};
use support::check;
use support::mk::*;

fn verdict(name: &str, records: Vec<splitbrain_checkers::Record>) -> (Verdict, Vec<u64>, String) {
    let r = check(name, &hist(records));
    (r.verdict, r.evidence, r.summary)
}

#[test]
fn two_nodes_elected_under_one_token_break_election_safety() {
    let (v, ev, text) = verdict(
        "election-safety",
        vec![elected("n1", Some(7)), accept("n1", Some(7)), elected("n3", Some(7))],
    );
    assert_eq!(v, Verdict::Invalid);
    assert_eq!(ev, vec![0, 2]);
    assert_eq!(text, "token 7 was claimed by n1 (line 0, elected) and n3 (line 2, elected)");
}

#[test]
fn a_node_reclaiming_its_own_token_after_a_stepdown_is_safe() {
    let mut records = vec![
        elected("n1", Some(3)),
        accept("n1", Some(3)),
        stepdown("n1", Some(3)),
        elected("n1", Some(3)),
        accept("n1", Some(3)),
    ];
    records.extend(write_ok_pair(1, Some(3), "n1"));
    assert_eq!(verdict("election-safety", records).0, Verdict::Valid);
}

fn write_ok_pair(p: i64, token: Option<i64>, leader: &str) -> Vec<splitbrain_checkers::Record> {
    vec![invoke(p, "write", json!({"value": 1}), leader), write_ok(p, token, leader)]
}

#[test]
fn an_ok_write_naming_another_leader_under_a_held_token_breaks_election_safety() {
    let mut records = vec![elected("n1", Some(4))];
    records.extend(write_ok_pair(0, Some(4), "n2"));
    let (v, ev, _) = verdict("election-safety", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![0, 2]));
}

#[test]
fn an_accept_naming_another_node_under_a_held_token_breaks_election_safety() {
    let (v, ev, _) =
        verdict("election-safety", vec![elected("n1", Some(4)), accept("n2", Some(4))]);
    assert_eq!((v, ev), (Verdict::Invalid, vec![0, 1]));
}

#[test]
fn failed_and_unknown_writes_rejects_stepdowns_and_statuses_claim_nothing() {
    let claimed = json!({"value": 1, "token": 1, "leader": "n2"});
    let records = vec![
        elected("n1", Some(1)),
        invoke(0, "write", json!({"value": 1}), "n2"),
        done(0, Type::Fail, "write", claimed.clone()),
        invoke(1, "write", json!({"value": 1}), "n2"),
        done(1, Type::Info, "write", claimed),
        reject("n3", Some(1)),
        stepdown("n4", Some(1)),
        invoke(2, "status", json!(null), "n5"),
        done(2, Type::Ok, "status", json!({"leader": true, "token": 1})),
    ];
    assert_eq!(verdict("election-safety", records).0, Verdict::Valid);
}

#[test]
fn an_election_without_tokens_is_not_applicable_to_the_token_checkers() {
    let records = vec![elected("n1", None), elected("n2", None), accept("n1", None)];
    let (v, _, text) = verdict("election-safety", records.clone());
    assert_eq!(v, Verdict::NotApplicable);
    assert!(text.starts_with("no record carries a fencing token"), "{text}");
    let (v, _, text) = verdict("fencing", records);
    assert_eq!(v, Verdict::NotApplicable);
    assert!(text.starts_with("no write reached the resource with a fencing token"), "{text}");
}

#[test]
fn writes_that_drop_the_elections_token_leave_fencing_not_applicable_but_election_safety_judged() {
    // The no-fencing bug: n1 is elected under token 3, its writes reach the resource without it.
    let records = vec![elected("n1", Some(3)), accept("n1", None), accept("n1", None)];
    assert_eq!(verdict("fencing", records.clone()).0, Verdict::NotApplicable);
    assert_eq!(verdict("election-safety", records).0, Verdict::Valid);
}

#[test]
fn one_integer_token_anywhere_makes_the_token_checkers_apply() {
    // A stale-token reject names token 2: the election gives tokens, no accept carried one.
    let records = vec![elected("n1", None), accept("n1", None), reject("n2", Some(2))];
    let (v, _, text) = verdict("election-safety", records.clone());
    assert_eq!(v, Verdict::Unknown);
    assert!(text.contains("2 elected, write ok or accept records carry no token"), "{text}");
    assert_eq!(verdict("fencing", records).0, Verdict::Unknown);
}

#[test]
fn an_empty_history_is_unknown_to_every_safety_checker_never_valid() {
    for name in ["election-safety", "fencing", "dual-writer"] {
        assert_eq!(verdict(name, vec![]).0, Verdict::Unknown, "{name}");
    }
}

#[test]
fn rising_and_repeated_tokens_pass_fencing() {
    let records = vec![
        accept("n1", Some(1)),
        accept("n1", Some(1)),
        accept("n2", Some(2)),
        reject("n1", Some(1)),
        accept("n2", Some(2)),
        accept("n3", Some(5)),
    ];
    assert_eq!(verdict("fencing", records).0, Verdict::Valid);
}

#[test]
fn an_accept_below_an_earlier_accept_breaks_fencing() {
    let records = vec![
        accept("n1", Some(1)),
        accept("n2", Some(2)),
        accept("n2", Some(2)),
        accept("n1", Some(1)),
    ];
    let (v, ev, text) = verdict("fencing", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![2, 3]));
    assert!(text.contains("accepted token 1 from n1 (line 3) after it had accepted the higher token 2 from n2 (line 2)"), "{text}");
}

#[test]
fn an_accept_at_a_token_the_resource_rejected_as_stale_breaks_fencing() {
    let records = vec![accept("n1", Some(2)), reject("n2", Some(3)), accept("n2", Some(3))];
    let (v, ev, _) = verdict("fencing", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![1, 2]));
}

#[test]
fn fencing_follows_the_resource_order_not_the_clock() {
    // Lines in file order are the resource's order even when times tie.
    let records = vec![at(1.0, accept("n1", Some(2))), at(1.0, accept("n1", Some(1)))];
    assert_eq!(verdict("fencing", records).0, Verdict::Invalid);
}

#[test]
fn null_token_decisions_are_skipped_by_fencing() {
    let records = vec![accept("n1", Some(2)), accept("n2", None), accept("n1", Some(3))];
    assert_eq!(verdict("fencing", records).0, Verdict::Valid);
}

#[test]
fn tenures_taking_turns_are_no_dual_write() {
    let records = vec![
        accept("n1", Some(1)),
        accept("n1", Some(1)),
        accept("n2", Some(2)),
        accept("n1", Some(3)),
        accept("n1", Some(3)),
    ];
    assert_eq!(verdict("dual-writer", records).0, Verdict::Valid);
}

#[test]
fn an_old_leader_writing_after_the_new_one_began_is_a_dual_write() {
    let records = vec![
        accept("n1", Some(1)),
        accept("n1", Some(1)),
        accept("n2", Some(2)),
        accept("n1", Some(1)),
    ];
    let (v, ev, text) = verdict("dual-writer", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![1, 2, 3]));
    assert!(
        text.starts_with(
            "n1 wrote under token 1 again (line 3) after n2 began a tenure under token 2 (line 2)"
        ),
        "{text}"
    );
}

#[test]
fn one_node_moving_between_its_own_tokens_is_no_dual_write() {
    let records = vec![accept("n1", Some(1)), accept("n1", Some(2)), accept("n1", Some(1))];
    assert_eq!(verdict("dual-writer", records).0, Verdict::Valid);
}

#[test]
fn a_resume_after_several_other_tenures_is_still_a_dual_write() {
    let records = vec![
        accept("n1", Some(1)),
        accept("n1", Some(2)),
        accept("n2", Some(3)),
        accept("n1", Some(4)),
        accept("n1", Some(1)),
    ];
    let (v, ev, _) = verdict("dual-writer", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![0, 2, 4]));
}

#[test]
fn without_tokens_a_re_election_begins_a_new_tenure() {
    let records = vec![
        elected("n1", None),
        accept("n1", None),
        elected("n2", None),
        accept("n2", None),
        elected("n1", None),
        accept("n1", None),
    ];
    assert_eq!(verdict("dual-writer", records).0, Verdict::Valid);
}

#[test]
fn without_tokens_writing_on_without_a_new_election_is_a_dual_write() {
    let records = vec![
        elected("n1", None),
        accept("n1", None),
        elected("n2", None),
        accept("n2", None),
        accept("n1", None),
    ];
    let (v, ev, text) = verdict("dual-writer", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![1, 3, 4]));
    assert!(text.contains("without a token"), "{text}");
}

#[test]
fn with_tokens_a_re_election_does_not_excuse_resuming_an_old_token() {
    let records = vec![
        accept("n1", Some(1)),
        accept("n2", Some(2)),
        elected("n1", Some(1)),
        accept("n1", Some(1)),
    ];
    assert_eq!(verdict("dual-writer", records).0, Verdict::Invalid);
}

#[test]
fn rejected_writes_are_no_tenure() {
    let records = vec![
        accept("n1", Some(1)),
        accept("n2", Some(2)),
        reject("n1", Some(1)),
        accept("n2", Some(2)),
    ];
    assert_eq!(verdict("dual-writer", records).0, Verdict::Valid);
}

#[test]
fn accepts_that_name_no_node_are_counted_not_judged() {
    let mut anonymous = accept("n1", Some(1));
    anonymous.value = json!({"token": 1, "value": 3});
    let (v, _, text) = verdict("dual-writer", vec![anonymous]);
    assert_eq!(v, Verdict::Unknown);
    assert!(text.contains("1 accept without one"), "{text}");
}

#[test]
fn without_tokens_an_election_older_than_the_new_leaders_excuses_nothing() {
    // n2 re-elected after n1's tenure began, but n1 was elected after that: n2 is the stale one.
    let records = vec![
        elected("n2", None),
        accept("n2", None),
        accept("n1", None),
        elected("n2", None),
        elected("n1", None),
        accept("n2", None),
    ];
    let (v, ev, _) = verdict("dual-writer", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![1, 2, 5]));
}

#[test]
fn a_lower_token_writing_between_a_leaders_writes_is_a_dual_write_blamed_on_no_one_in_particular() {
    let records = vec![accept("n1", Some(5)), accept("n2", Some(4)), accept("n1", Some(5))];
    let (v, ev, text) = verdict("dual-writer", records);
    assert_eq!((v, ev), (Verdict::Invalid, vec![0, 1, 2]));
    assert!(text.ends_with("two leaders' writes interleaved"), "{text}");
}

#[test]
fn statuses_of_nodes_that_do_not_lead_say_nothing_about_whether_the_election_gives_tokens() {
    let records = vec![
        invoke(0, "status", json!(null), "n1"),
        done(0, Type::Ok, "status", json!({"leader": false, "token": null})),
    ];
    for name in ["election-safety", "fencing"] {
        assert_eq!(verdict(name, records.clone()).0, Verdict::Unknown, "{name}");
    }
}
