//! Property tests: every history a correct leader schedule produces is valid, and swapping one
//! token or one tenure in it makes it invalid.

mod support;

use proptest::prelude::*;
use proptest::sample::Index;
use splitbrain_checkers::registry::{build_all, run, safety_defaults};
use splitbrain_checkers::verdict::merge_all;
use splitbrain_checkers::{CheckResult, CheckerKind, History, Process, Record, Type, Verdict};
use support::schedule::{build_traced, to_jsonl, Fault, Op, Schedule, Term};

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::WriteOk),
        1 => Just(Op::WriteFail),
        1 => Just(Op::WriteInfoApplied),
        1 => Just(Op::WriteInfoLost),
        1 => Just(Op::Read),
        1 => Just(Op::Status),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    let fault = prop::option::of(prop_oneof![
        Just(Fault::Partition),
        Just(Fault::Pause),
        Just(Fault::Kill)
    ]);
    (
        0..5usize,
        1..4i64,
        fault,
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::collection::vec(op(), 0..10),
    )
        .prop_map(|(leader, gap, fault, stepped_down, stale_write, rejoin, ops)| Term {
            leader,
            gap,
            fault,
            stepped_down,
            stale_write,
            rejoin,
            ops,
        })
}

fn schedule(null_tokens: bool) -> impl Strategy<Value = Schedule> {
    schedule_of(null_tokens, 1)
}

/// Schedules of at least `terms` terms (the mutations need two leaders with writes to swap).
fn schedule_of(null_tokens: bool, terms: usize) -> impl Strategy<Value = Schedule> {
    (3..6usize, 1..5usize, prop::collection::vec(term(), terms..10)).prop_map(
        move |(nodes, concurrency, terms)| Schedule { nodes, concurrency, null_tokens, terms },
    )
}

/// The history as a file would hold it, read back through the reader.
fn read_back(records: &[Record]) -> History {
    splitbrain_checkers::reader::read_str(&to_jsonl(records)).expect("a built history reads")
}

fn results(h: &History, which: &[CheckerKind]) -> Vec<CheckResult> {
    run(&build_all(which, &Default::default()), h)
}

fn every_kind() -> Vec<CheckerKind> {
    CheckerKind::all().collect()
}

fn verdict_of<'r>(rs: &'r [CheckResult], name: &str) -> &'r CheckResult {
    rs.iter().find(|r| r.checker.name() == name).expect("ran")
}

fn is(r: &Record, kind: Type, f: &str, process: fn(&Process) -> bool) -> bool {
    r.is(kind, f) && process(&r.process)
}

/// The records that claim a token, with the node claiming it.
fn claims(records: &[Record]) -> Vec<(usize, String, i64)> {
    records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let node = if is(r, Type::Ok, "elected", |p| matches!(p, Process::Node(_))) {
                r.process.node().map(str::to_string)
            } else if is(r, Type::Ok, "write", |p| matches!(p, Process::Client(_))) {
                r.leader().map(str::to_string)
            } else if is(r, Type::Ok, "accept", |p| *p == Process::Resource) {
                r.value_node().map(str::to_string)
            } else {
                None
            };
            Some((i, node?, r.token()?))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn every_history_of_a_correct_schedule_is_valid(s in schedule(false)) {
        let (records, _) = build_traced(&s);
        let h = read_back(&records);
        let rs = results(&h, &every_kind());
        let accepts = records.iter().any(|r| r.is(Type::Ok, "accept"));
        let register_ops = records.iter().any(|r| r.is_client() && (r.is(Type::Ok, "read") || r.is(Type::Ok, "write")));
        for r in &rs {
            let nothing = !accepts && ["fencing", "dual-writer"].contains(&r.checker.name())
                || !register_ops && r.checker == CheckerKind::Linearizable;
            let expected = if nothing { Verdict::Unknown } else { Verdict::Valid };
            prop_assert_eq!(r.verdict, expected, "{}: {}", r.checker, r.summary);
        }
    }

    #[test]
    fn every_history_of_a_correct_schedule_without_tokens_is_never_invalid(s in schedule(true)) {
        let (records, _) = build_traced(&s);
        let rs = results(&read_back(&records), &every_kind());
        prop_assert_ne!(merge_all(&rs), Verdict::Invalid, "{:?}", rs);
        let accepts = records.iter().any(|r| r.is(Type::Ok, "accept"));
        let dw = verdict_of(&rs, "dual-writer");
        prop_assert_eq!(dw.verdict, if accepts { Verdict::Valid } else { Verdict::Unknown }, "{}", dw.summary);
    }

    #[test]
    fn claiming_another_nodes_token_breaks_election_safety(s in schedule_of(false, 2), pick in any::<Index>(), victim in any::<Index>()) {
        let (mut records, _) = build_traced(&s);
        let cs = claims(&records);
        // A claim, and a token some other node claimed.
        let (i, node, _) = cs[pick.index(cs.len())].clone();
        let others: Vec<i64> = cs.iter().filter(|c| c.1 != node).map(|c| c.2).collect();
        prop_assume!(!others.is_empty());
        let stolen = others[victim.index(others.len())];
        records[i].value["token"] = stolen.into();
        let rs = results(&read_back(&records), &safety_defaults());
        let es = verdict_of(&rs, "election-safety");
        prop_assert_eq!(es.verdict, Verdict::Invalid, "{}", es.summary);
        prop_assert!(es.summary.starts_with(&format!("token {stolen} was claimed by")), "{}", es.summary);
    }

    #[test]
    fn swapping_one_tenure_with_the_next_is_caught(s in schedule_of(false, 3), pick in any::<Index>()) {
        swap_tenures(s, pick)?;
    }

    #[test]
    fn swapping_one_tenure_without_tokens_is_caught_by_dual_writer(s in schedule_of(true, 3), pick in any::<Index>()) {
        swap_tenures(s, pick)?;
    }
}

/// Swaps the last accept of one tenure with the first of the next (another node's), so the old
/// leader writes after the new one began. With tokens fencing always sees it (the token goes
/// down); dual-writer sees it whenever one of the two tenures had another accept around the swap.
fn swap_tenures(s: Schedule, pick: Index) -> Result<(), TestCaseError> {
    let (mut records, term_of) = build_traced(&s);
    let accepts: Vec<usize> = (0..records.len()).filter(|&i| term_of[i].is_some()).collect();
    let tenure = |i: usize| (records[i].value_node().map(str::to_string), term_of[i]);
    let seams: Vec<usize> = (0..accepts.len().saturating_sub(1))
        .filter(|&k| tenure(accepts[k]).0 != tenure(accepts[k + 1]).0)
        .collect();
    prop_assume!(!seams.is_empty());
    let k = seams[pick.index(seams.len())];
    let (a, b) = (accepts[k], accepts[k + 1]);
    let resumes = (k > 0 && tenure(accepts[k - 1]) == tenure(a))
        || (k + 2 < accepts.len() && tenure(accepts[k + 2]) == tenure(b));
    // Without tokens a swap of two lone accepts leaves no tenure resuming: nothing to catch.
    prop_assume!(resumes || !s.null_tokens);
    let (va, vb) = (records[a].value.clone(), records[b].value.clone());
    records[a].value = vb;
    records[b].value = va;
    let rs = results(&read_back(&records), &safety_defaults());
    if !s.null_tokens {
        prop_assert_eq!(verdict_of(&rs, "fencing").verdict, Verdict::Invalid);
    }
    if resumes {
        let dw = verdict_of(&rs, "dual-writer");
        prop_assert_eq!(dw.verdict, Verdict::Invalid, "{}", dw.summary);
    }
    Ok(())
}
