//! Tests of [`super`] (`story.rs`), kept apart so the module stays readable.

use super::*;
use serde_json::json;
use splitbrain_checkers::{CheckerKind, Type};

fn rec(index: u64, ms: u64, process: Process, f: &str, value: Value) -> Record {
    let kind = if process == Process::Nemesis { Type::Info } else { Type::Ok };
    Record {
        index,
        time: ms * 1_000_000,
        process,
        kind,
        f: f.into(),
        value,
        node: None,
        error: None,
    }
}

fn accept(index: u64, ms: u64, node: &str, token: i64) -> Record {
    let v = json!({"key": "register", "node": node, "token": token, "value": index});
    rec(index, ms, Process::Resource, "accept", v)
}

fn node(n: &str) -> Process {
    Process::Node(n.into())
}

/// n2 leads under token 1, is paused, n4 is elected under 2, n2 resumes and writes.
fn paused_leader() -> History {
    let records = vec![
        rec(0, 100, node("n2"), "elected", json!({"token": 1})),
        accept(1, 5228, "n2", 1),
        rec(2, 5234, Process::Nemesis, "pause", json!({"nodes": ["n2", "n5"]})),
        rec(3, 5400, node("n4"), "elected", json!({"token": 2})),
        accept(4, 5475, "n4", 2),
        rec(5, 10233, Process::Nemesis, "resume", json!({"nodes": ["n2", "n5"]})),
        accept(6, 10234, "n2", 1),
    ];
    History { records, warnings: Vec::new() }
}

#[test]
fn a_paused_leader_that_wrote_after_its_successor_is_told_as_such() {
    let check = CheckResult::invalid(CheckerKind::DualWriter, "n2 wrote again", vec![1, 4, 6]);
    let story = dual_write(&paused_leader(), &check).unwrap();
    assert_eq!(
        story,
        "n2 led under token 1 until it was paused at 5.23 s (line 2); meanwhile n4 was \
         elected under token 2 at 5.40 s (line 3) and began to write (line 4); n2 was \
         resumed at 10.23 s (line 5) and 1 ms later wrote under its old token (line 6), \
         before it learned that it had been deposed."
    );
}

#[test]
fn a_leader_cut_off_by_a_partition_is_told_as_such() {
    let grudge = json!({"shape": "isolate-leader", "grudge": {"n2": ["n1", "n4"], "n4": ["n2"]}});
    let records = vec![
        accept(0, 100, "n2", 1),
        rec(1, 200, Process::Nemesis, "start-partition", grudge),
        accept(2, 500, "n4", 2),
        accept(3, 510, "n2", 1),
    ];
    let h = History { records, warnings: Vec::new() };
    let check = CheckResult::invalid(CheckerKind::DualWriter, "n2 wrote again", vec![0, 2, 3]);
    let story = dual_write(&h, &check).unwrap();
    assert!(
        story.contains("a partition (isolate-leader) cut it off from n4 at 0.20 s (line 1)"),
        "{story}"
    );
    assert!(story.contains("still believing it led, wrote again at 0.51 s (line 3)"), "{story}");
}

#[test]
fn two_leaders_under_one_token_are_named_as_the_election_s_fault() {
    let records = vec![accept(0, 100, "n2", 3), accept(1, 200, "n4", 3), accept(2, 300, "n2", 3)];
    let h = History { records, warnings: Vec::new() };
    let check = CheckResult::invalid(CheckerKind::DualWriter, "n2 wrote again", vec![0, 1, 2]);
    let story = dual_write(&h, &check).unwrap();
    assert!(
        story
            .ends_with(". Both wrote under token 3: the election handed one token to two leaders."),
        "{story}"
    );
}

#[test]
fn leaders_that_never_stepped_down_are_named_with_their_tokens() {
    let status = |i: u64, n: &str, t: i64| {
        let mut r = rec(
            i,
            70_000 + i,
            Process::Client(i as i64),
            "status",
            json!({"leader": true, "token": t}),
        );
        r.node = Some(n.into());
        r
    };
    let reject = rec(0, 100, Process::Resource, "reject", json!({"node": "n2", "token": 1}));
    let mut reject = reject;
    reject.kind = Type::Fail;
    let records = vec![reject, status(1, "n5", 4), status(2, "n2", 1), status(3, "n4", 2)];
    let h = History { records, warnings: Vec::new() };
    let check = CheckResult::invalid(CheckerKind::Convergence, "three leaders", vec![2, 3, 1]);
    let story = non_convergence(&h, &check).unwrap();
    assert_eq!(
        story,
        "n2 (token 1), n4 (token 2) and n5 (token 4) each still said they lead in their final \
         status: 2 leaders that were deposed never stepped down (the newest is n5). The \
         resource refused 1 of the deposed leaders' writes as stale, so fencing kept the data \
         safe; without convergence the bug would not show."
    );
}

/// redis-naive: n2 is paused, n5 takes the key, n2 wakes, renews over n5's key before n5's
/// first write, and both go on writing: the pause is still the cause.
#[test]
fn a_leader_resumed_before_its_successors_first_write_is_still_told_as_paused() {
    let pause = json!({"nodes": ["n2"]});
    let records = vec![
        rec(0, 100, node("n2"), "elected", json!({"token": null})),
        rec(1, 2640, Process::Nemesis, "pause", pause.clone()),
        rec(2, 3530, node("n5"), "elected", json!({"token": null})),
        rec(3, 5140, Process::Nemesis, "resume", pause),
        rec(4, 5200, Process::Resource, "accept", json!({"token": null, "node": "n5"})),
        rec(5, 5300, Process::Resource, "accept", json!({"token": null, "node": "n2"})),
    ];
    let h = History { records, warnings: Vec::new() };
    let check = CheckResult::invalid(CheckerKind::DualWriter, "n2 wrote again", vec![4, 5]);
    let story = dual_write(&h, &check).unwrap();
    assert!(story.contains("until it was paused at 2.64 s (line 1)"), "{story}");
    assert!(story.contains("was resumed at 5.14 s (line 3)"), "{story}");
}

#[test]
fn without_a_fault_of_the_old_leader_the_story_says_so() {
    let records = vec![accept(0, 100, "n2", 1), accept(1, 200, "n4", 2), accept(2, 300, "n2", 1)];
    let h = History { records, warnings: Vec::new() };
    let check = CheckResult::invalid(CheckerKind::DualWriter, "n2 wrote again", vec![0, 1, 2]);
    let story = dual_write(&h, &check).unwrap();
    assert!(story.contains("with no pause or partition of n2 in between"), "{story}");
    assert!(dual_write(&h, &CheckResult::invalid(CheckerKind::DualWriter, "?", vec![0])).is_none());
}

/// The golden histories of `harness/fixtures/story/` (real runs, trimmed: see its README),
/// judged by convergence with the runs' settle time and bound.
mod golden {
    use super::*;
    use splitbrain_checkers::convergence::{Convergence, ConvergenceConfig};
    use splitbrain_checkers::registry::Checker;
    use std::time::Duration;

    fn judged(name: &str) -> (History, CheckResult) {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/story").join(name);
        let h = splitbrain_checkers::reader::read_path(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let config = ConvergenceConfig {
            settle: Duration::from_millis(500),
            bound: Duration::from_secs(10),
        };
        let check = Convergence(config).check(&h);
        assert_eq!(check.verdict, splitbrain_checkers::Verdict::Invalid, "{}", check.summary);
        (h, check)
    }

    #[test]
    fn with_no_leader_at_all_no_node_is_said_to_still_lead() {
        let (h, check) = judged("no-leader-at-all.jsonl");
        assert!(check.summary.contains("no node said it leads"), "{}", check.summary);
        assert_eq!(non_convergence(&h, &check), None);
    }

    #[test]
    fn of_two_leaders_on_one_token_the_newest_is_the_one_elected_last() {
        let (h, check) = judged("small-quorum-two-leaders-one-token.jsonl");
        assert_eq!(
            non_convergence(&h, &check).as_deref(),
            Some(
                "n2 (token 5) and n1 (token 5) each still said they lead in their final status \
                 (the newest is n1, elected last under token 5, at 6.51 s, line 4). n2 and n1 \
                 both hold token 5: the election handed one token to two leaders."
            )
        );
    }
}
