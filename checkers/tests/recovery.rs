//! Claims about convergence and the liveness figures.

mod support;

use serde_json::json;
use splitbrain_checkers::convergence::{Convergence, ConvergenceConfig};
use splitbrain_checkers::liveness::{figures, Liveness, LivenessConfig};
use splitbrain_checkers::registry::run_one;
use splitbrain_checkers::{Record, Type, Verdict};
use std::time::Duration;
use support::mk::*;

/// Client `p` asks node `n` its status and hears `leads`.
fn ask(p: i64, n: &str, leads: bool) -> [Record; 2] {
    [invoke(p, "status", json!(null), n), status(p, leads)]
}

fn converge(records: Vec<Record>) -> splitbrain_checkers::CheckResult {
    run_one(&Convergence(ConvergenceConfig::default()), &hist(records))
}

/// n1 leads, a partition isolates it, n2 is elected, the partition heals.
fn failover() -> Vec<Record> {
    vec![
        elected("n1", Some(1)),
        nemesis("start-partition", json!({"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]})),
        at(3.0, elected("n2", Some(2))),
        at(4.0, nemesis("stop-partition", json!(null))),
        stepdown("n1", Some(1)),
    ]
}

fn with_final(mut records: Vec<Record>, leaders: [bool; 3]) -> Vec<Record> {
    for (k, (n, leads)) in ["n1", "n2", "n3"].into_iter().zip(leaders).enumerate() {
        records.extend(ask(k as i64, n, leads));
    }
    records
}

#[test]
fn a_cluster_with_one_leader_after_the_faults_ended_converges() {
    let r = converge(with_final(failover(), [false, true, false]));
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.summary);
    assert!(
        r.summary.contains("n2 was leading when the faults ended at line 3 (elected at line 2)"),
        "{}",
        r.summary
    );
}

#[test]
fn a_deposed_leader_that_never_learns_it_was_deposed_fails_convergence() {
    let mut records = failover();
    records.pop(); // n1 never steps down
    let r = converge(with_final(records, [true, true, false]));
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(r.summary.contains("n1 (line 5) and n2 (line 7) each said they lead"), "{}", r.summary);
    assert_eq!(r.evidence, vec![5, 7]);
}

#[test]
fn no_node_leading_in_the_final_statuses_fails_convergence() {
    let r = converge(with_final(failover(), [false, false, false]));
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn a_leader_elected_soon_after_a_kill_ended_converges_and_is_named_with_its_delay() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("kill", json!(["n1"])),
        nemesis("restart", json!(["n1"])),
        at(2.0, elected("n2", Some(2))),
    ];
    let r = converge(with_final(records, [false, true, false]));
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.summary);
    let said = "n2 was elected 1.7 s after the faults ended at line 2 (line 3)";
    assert!(r.summary.contains(said), "{}", r.summary);
}

#[test]
fn no_election_within_the_bound_after_the_faults_ended_fails_convergence() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("kill", json!(["n1"])),
        nemesis("restart", json!(["n1"])),
        at(30.0, elected("n2", Some(2))),
    ];
    let r = converge(with_final(records, [false, true, false]));
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(
        r.summary
            .contains("no node led until n2 was elected 29.7 s after the faults ended at line 2"),
        "{}",
        r.summary
    );
}

#[test]
fn a_kill_ends_the_killed_leaders_claim_to_lead() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("kill", json!("n1")),
        at(20.0, nemesis("restart", json!("n1"))),
    ];
    let r = converge(records);
    assert_eq!(r.verdict, Verdict::Unknown, "the history ends at the restart: {}", r.summary);
    assert!(r.summary.contains("with no leader"), "{}", r.summary);
}

#[test]
fn a_fault_that_never_ended_leaves_convergence_unknown() {
    let records = vec![elected("n1", Some(1)), nemesis("pause", json!(["n2"]))];
    let r = converge(with_final(records, [true, false, false]));
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(r.summary.contains("the pause of n2 begun at line 1 never ended"), "{}", r.summary);
}

#[test]
fn a_run_without_faults_is_judged_from_its_start_and_says_so() {
    let r = converge(with_final(vec![elected("n2", Some(1))], [false, true, false]));
    assert_eq!(r.verdict, Verdict::Valid);
    assert!(r.summary.contains("the start of the run, which had no faults,"), "{}", r.summary);
}

#[test]
fn without_final_statuses_convergence_is_unknown() {
    let r = converge(failover());
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(r.summary.contains("no status op was answered after the settle time"), "{}", r.summary);
}

#[test]
fn a_node_with_no_final_status_leaves_convergence_unknown() {
    let mut records = failover();
    records.splice(2..2, ask(9, "n3", false)); // n3 answers only during the fault
    records.extend(ask(0, "n1", false));
    records.extend(ask(1, "n2", true));
    let r = converge(records);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(r.summary.contains("n3 gave no final status"), "{}", r.summary);
}

#[test]
fn statuses_asked_before_the_settle_time_passed_are_not_final() {
    let mut records = with_final(failover(), [false, true, false]);
    let config =
        ConvergenceConfig { settle: Duration::from_secs(60), bound: Duration::from_secs(10) };
    records.push(at(100.0, elected("n2", Some(2))));
    let r = run_one(&Convergence(config), &hist(records));
    assert_eq!(r.verdict, Verdict::Unknown, "{}", r.summary);
}

#[test]
fn a_failover_runs_from_the_fault_that_named_the_leader_to_the_next_election_elsewhere() {
    let f = figures(&hist(failover()));
    assert_eq!(f.elections, 2);
    assert_eq!(f.failovers.len(), 1);
    let x = &f.failovers[0];
    assert_eq!(
        (x.from.as_str(), x.to.as_str(), x.fault, x.elected, x.ns),
        ("n1", "n2", 1, 2, 2_800_000_000)
    );
    assert_eq!(f.failover_ns.median, Some(2_800_000_000));
}

#[test]
fn a_fault_the_leader_outlives_counts_no_failover() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("start-partition", json!({"n1": ["n3"], "n3": ["n1"]})),
        nemesis("stop-partition", json!(null)),
        at(10.0, elected("n2", Some(2))),
    ];
    assert!(figures(&hist(records)).failovers.is_empty());
}

#[test]
fn a_leader_that_stepped_down_during_its_fault_did_not_outlive_it() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("start-partition", json!({"n1": ["n3"], "n3": ["n1"]})),
        at(0.5, stepdown("n1", Some(1))),
        at(5.0, nemesis("stop-partition", json!(null))),
        at(20.0, elected("n2", Some(2))),
    ];
    let h = hist(records);
    let f = figures(&h);
    assert_eq!(f.failovers.len(), 1, "nobody led until 20 s: one failover, from the fault");
    assert_eq!(f.failovers[0].ns, 19_800_000_000);
    let tight = LivenessConfig { max_failover: Some(Duration::from_secs(10)) };
    assert_eq!(run_one(&Liveness(tight), &h).verdict, Verdict::Invalid);
}

#[test]
fn a_restart_does_not_end_a_kills_failover() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("kill", json!("n1")),
        nemesis("restart", json!("n1")),
        at(5.0, elected("n3", Some(2))),
    ];
    let f = figures(&hist(records));
    assert_eq!(f.failovers.len(), 1);
    assert_eq!(f.failovers[0].ns, 4_800_000_000);
}

#[test]
fn a_leader_re_elected_after_its_fault_is_no_failover() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("pause", json!(["n1"])),
        elected("n1", Some(2)),
        nemesis("resume", json!(["n1"])),
    ];
    assert!(figures(&hist(records)).failovers.is_empty());
}

#[test]
fn time_with_no_leader_counts_from_the_start_and_after_stepdowns_and_kills() {
    let records = vec![
        at(1.0, elected("n1", Some(1))),
        at(2.0, stepdown("n1", Some(1))),
        at(2.5, elected("n2", Some(2))),
        at(3.0, nemesis("kill", json!(["n2"]))),
        at(4.0, nemesis("restart", json!(["n2"]))),
    ];
    assert_eq!(figures(&hist(records)).no_leader_ns, 1_000_000_000 + 500_000_000 + 1_000_000_000);
}

#[test]
fn the_write_success_share_counts_unanswered_writes_as_unknown() {
    let records = vec![
        invoke(0, "write", json!({"value": 1}), "n1"),
        write_ok(0, Some(1), "n1"),
        invoke(1, "write", json!({"value": 2}), "n1"),
        done(1, Type::Fail, "write", json!({"value": 2})),
        invoke(2, "write", json!({"value": 3}), "n1"),
        invoke(0, "write", json!({"value": 4}), "n2"),
        done(0, Type::Info, "write", json!({"value": 4})),
    ];
    let f = figures(&hist(records));
    assert_eq!((f.writes.invoked, f.writes.ok, f.writes.fail, f.writes.info), (4, 1, 1, 2));
    assert_eq!(f.write_success_share, Some(0.25));
}

#[test]
fn liveness_gives_figures_only_unless_a_bound_is_set() {
    let h = hist(failover());
    assert_eq!(run_one(&Liveness::default(), &h).verdict, Verdict::Valid);
    let tight = LivenessConfig { max_failover: Some(Duration::from_secs(1)) };
    let r = run_one(&Liveness(tight), &h);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert_eq!(r.evidence, vec![1, 2]);
    let loose = LivenessConfig { max_failover: Some(Duration::from_secs(5)) };
    assert_eq!(run_one(&Liveness(loose), &h).verdict, Verdict::Valid);
}

#[test]
fn liveness_details_carry_the_documented_field_names() {
    let r = run_one(&Liveness::default(), &hist(failover()));
    for field in [
        "elections",
        "leaders",
        "first_election",
        "first_election_ns",
        "failovers",
        "failover_ns",
        "unfinished_failovers",
        "no_leader_ns",
        "history_ns",
        "writes",
        "write_success_share",
    ] {
        assert!(r.details.get(field).is_some(), "missing {field}");
    }
}

#[test]
fn resuming_one_paused_node_leaves_the_other_paused() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("pause", json!({"nodes": ["n2"]})),
        nemesis("pause", json!({"nodes": ["n3"]})),
        nemesis("resume", json!({"nodes": ["n2"]})),
    ];
    let r = converge(with_final(records, [true, false, false]));
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(r.summary.contains("the pause of n3 begun at line 2 never ended"), "{}", r.summary);
}

#[test]
fn a_resume_of_every_paused_node_ends_the_pauses() {
    let records = vec![
        elected("n1", Some(1)),
        nemesis("pause", json!({"nodes": ["n2"]})),
        nemesis("pause", json!({"nodes": ["n3"]})),
        nemesis("resume", json!({"nodes": ["n2", "n3"]})),
    ];
    assert_eq!(converge(with_final(records, [true, false, false])).verdict, Verdict::Valid);
}

#[test]
fn a_remote_node_s_report_counts_from_the_earliest_moment_its_link_delay_allows() {
    let run = |uncertainty_ms: Option<f64>| {
        let mut late = at(11.0, elected("n2", Some(2)));
        if let Some(ms) = uncertainty_ms {
            late.value["uncertainty_ms"] = json!(ms);
        }
        let records = vec![
            elected("n1", Some(1)),
            nemesis("kill", json!(["n1"])),
            nemesis("restart", json!(["n1"])),
            late,
        ];
        converge(with_final(records, [false, true, false])).verdict
    };
    assert_eq!(run(None), Verdict::Invalid);
    assert_eq!(run(Some(2000.0)), Verdict::Valid);
}
