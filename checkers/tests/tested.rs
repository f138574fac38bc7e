//! Claims about the "tested nothing" rule: which runs are unknown whatever their checkers say.

mod support;

use serde_json::json;
use splitbrain_checkers::tested::{nothing_tested, run_verdict, Expected};
use splitbrain_checkers::{CheckResult, CheckerKind, Record, Verdict};
use std::time::Duration;
use support::mk::*;

fn wrote(p: i64, n: &str) -> Vec<Record> {
    vec![invoke(p, "write", json!({"value": 1}), n), write_ok(p, Some(1), n)]
}

/// n1 elected at `secs`, then one completed write and one fault.
fn run_elected_at(secs: f64) -> Vec<Record> {
    let mut records = vec![at(secs, elected("n1", Some(1)))];
    records.extend(wrote(0, "n1"));
    records.push(nemesis("pause", json!({"nodes": ["n1"]})));
    records
}

fn asked(leader_s: Option<f64>, faults: &[&str]) -> Expected {
    Expected {
        leader_within: leader_s.map(Duration::from_secs_f64),
        faults: faults.iter().map(|f| f.to_string()).collect(),
    }
}

#[test]
fn each_way_of_testing_nothing_is_named_in_one_sentence() {
    let no_write = vec![elected("n1", Some(1)), nemesis("pause", json!({}))];
    let no_fault = {
        let mut r = vec![elected("n1", Some(1))];
        r.extend(wrote(0, "n1"));
        r
    };
    let only_a_read = vec![
        elected("n1", Some(1)),
        invoke(0, "read", json!(null), "n1"),
        done(0, splitbrain_checkers::Type::Ok, "read", json!({"value": null})),
    ];
    let table: Vec<(&str, Vec<Record>, Expected, Option<&str>)> = vec![
        ("a healthy run", run_elected_at(1.0), asked(Some(10.0), &["pause"]), None),
        (
            "a leader after the bound",
            run_elected_at(12.0),
            asked(Some(10.0), &["pause"]),
            Some("no node was elected within 10 s: nothing was tested"),
        ),
        (
            "no leader at all",
            vec![nemesis("pause", json!({}))],
            asked(Some(2.0), &[]),
            Some("no node was elected within 2 s: nothing was tested"),
        ),
        (
            "a bare history without a leader",
            wrote(0, "n1"),
            Expected::bare(),
            Some("no node was ever elected: nothing was tested"),
        ),
        ("a bare history with a late leader", run_elected_at(99.0), Expected::bare(), None),
        (
            "no completed write",
            no_write,
            asked(Some(10.0), &["pause"]),
            Some("the clients completed no write: nothing was tested"),
        ),
        (
            "reads only",
            only_a_read,
            Expected::bare(),
            Some("the clients completed no write: nothing was tested"),
        ),
        (
            "faults asked for, none applied",
            no_fault.clone(),
            asked(Some(10.0), &["clock", "pause"]),
            Some(
                "faults were asked for (--nemesis clock,pause) and none was applied: nothing was \
                 tested",
            ),
        ),
        ("no faults asked for (--nemesis none)", no_fault, asked(Some(10.0), &[]), None),
    ];
    for (what, records, expected, want) in table {
        let got = nothing_tested(&hist(records), &expected);
        assert_eq!(got.as_deref(), want, "{what}");
    }
}

#[test]
fn a_leader_exactly_at_the_bound_is_in_time() {
    let e = asked(Some(10.0), &["pause"]);
    assert_eq!(nothing_tested(&hist(run_elected_at(10.0)), &e), None);
}

#[test]
fn a_run_that_tested_nothing_is_unknown_whatever_the_checkers_say() {
    let valid = CheckResult::valid(CheckerKind::DualWriter, "fine");
    let invalid = CheckResult::invalid(CheckerKind::Fencing, "token 1 after 2", vec![1, 2]);
    let why = Some("the clients completed no write: nothing was tested");
    assert_eq!(run_verdict(std::slice::from_ref(&valid), why), Verdict::Unknown);
    assert_eq!(run_verdict(&[valid.clone(), invalid.clone()], why), Verdict::Unknown);
    assert_eq!(run_verdict(&[valid.clone(), invalid], None), Verdict::Invalid);
    assert_eq!(run_verdict(&[valid], None), Verdict::Valid);
}

#[test]
fn not_applicable_results_are_left_out_of_the_merge_and_alone_merge_to_unknown() {
    use splitbrain_checkers::verdict::merge_all;
    use Verdict::*;
    let table: &[(&[Verdict], Verdict)] = &[
        (&[], Unknown),
        (&[NotApplicable, NotApplicable], Unknown),
        (&[NotApplicable, Valid], Valid),
        (&[Valid, NotApplicable, Unknown], Unknown),
        (&[Unknown, NotApplicable, Invalid, Valid], Invalid),
        (&[Valid, Valid], Valid),
    ];
    for (verdicts, want) in table {
        let checks: Vec<CheckResult> = verdicts
            .iter()
            .map(|v| {
                let mut c = CheckResult::valid(CheckerKind::Convergence, "s");
                c.verdict = *v;
                c
            })
            .collect();
        assert_eq!(merge_all(&checks), *want, "{verdicts:?}");
    }
}

#[test]
fn not_applicable_is_written_as_not_applicable() {
    let c = CheckResult::not_applicable(CheckerKind::Fencing, "no tokens");
    let text = serde_json::to_string(&c).unwrap();
    assert!(text.contains(r#""verdict":"not-applicable""#), "{text}");
    assert_eq!(Verdict::NotApplicable.to_string(), "not-applicable");
    assert_eq!(serde_json::from_str::<CheckResult>(&text).unwrap(), c);
}
