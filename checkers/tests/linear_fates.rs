//! Claims about writes of unknown outcome in register histories: what the reads say of them
//! (left out when nobody saw them, bound to the first read that saw them) keeps every verdict,
//! and makes histories shaped like the harness's (thousands of operations, unique values, a few
//! timed-out writes) quick to check.

mod support;

use splitbrain_checkers::linear::synth::{register_history, RegisterShape};
use splitbrain_checkers::linear::{
    check_history, from_history, partitions, FailedCas, Fate, Model, ModelKind, Options, Register,
};
use splitbrain_checkers::{CheckResult, History, Verdict};

/// A history from compact lines `process type f value`, one per record.
fn h(lines: &[&str]) -> History {
    support::edn(lines)
}

fn check(model: ModelKind, history: &History) -> CheckResult {
    check_history(history, model, FailedCas::DidNotHappen, &Options::default()).unwrap()
}

fn fates(lines: &[&str]) -> Vec<Fate> {
    let mut model = Register::with_cas(FailedCas::DidNotHappen);
    let ops = from_history(&mut model, &h(lines)).unwrap();
    model.fates(&ops)
}

#[test]
fn the_fates_of_unknown_writes_follow_the_reads_and_keep_the_verdict() {
    use Fate::*;
    use Verdict::*;
    let table: &[(&str, &[&str], Verdict, &[Fate])] = &[
        (
            "a timed-out write nobody read is left out",
            &["0 invoke write 1", "0 info write 1", "1 invoke read", "1 ok read nil"],
            Valid,
            &[Unseen, Open],
        ),
        (
            "a timed-out write that a read saw took effect before that read returned",
            &[
                "0 invoke write 1",
                "0 info write 1",
                "1 invoke read",
                "1 ok read 1",
                "1 invoke read",
                "1 ok read nil",
            ],
            Invalid,
            &[By(3), Open, Open],
        ),
        (
            "seen only after a later write: it took effect late",
            &[
                "0 invoke write 1",
                "0 info write 1",
                "1 invoke write 2",
                "1 ok write 2",
                "1 invoke read",
                "1 ok read 1",
            ],
            Valid,
            &[By(5), Open, Open],
        ),
        (
            "a value written twice names no one write: nothing is said",
            &[
                "0 invoke write 1",
                "0 ok write 1",
                "1 invoke write 1",
                "1 info write 1",
                "2 invoke read",
                "2 ok read 1",
                "2 invoke write 3",
                "2 ok write 3",
                "2 invoke read",
                "2 ok read 3",
                "2 invoke read",
                "2 ok read 1",
            ],
            Valid,
            &[Open, Open, Open, Open, Open, Open],
        ),
        (
            "a read of nil may be the initial value, not the write of nil",
            &["0 invoke write nil", "0 info write nil", "1 invoke read", "1 ok read nil"],
            Valid,
            &[Open, Open],
        ),
        (
            "a failed cas that did not happen observes nothing",
            &[
                "0 invoke write 1",
                "0 ok write 1",
                "1 invoke write 2",
                "1 info write 2",
                "2 invoke cas [1 3]",
                "2 fail cas [1 3]",
            ],
            Valid,
            &[Open, Unseen],
        ),
    ];
    for (claim, lines, verdict, want) in table {
        let got = check(ModelKind::CasRegister, &h(lines));
        assert_eq!(got.verdict, *verdict, "{claim}: {}", got.summary);
        assert_eq!(fates(lines), *want, "{claim}");
    }
}

#[test]
fn a_failed_cas_keeps_an_unseen_write_that_it_may_have_found() {
    // Jepsen's reading: the failed cas found a value other than 1, so write 2 took effect.
    let lines = [
        "0 invoke write 1",
        "0 ok write 1",
        "1 invoke write 2",
        "1 info write 2",
        "2 invoke cas [1 3]",
        "2 fail cas [1 3]",
    ];
    let r = check_history(
        &h(&lines),
        ModelKind::CasRegister,
        FailedCas::FoundOtherValue,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.summary);
    let mut model = Register::with_cas(FailedCas::FoundOtherValue);
    let ops = from_history(&mut model, &h(&lines)).unwrap();
    assert_eq!(model.fates(&ops), [Fate::Open; 3]);
}

#[test]
fn a_harness_shaped_history_with_timed_out_writes_is_valid_and_its_unseen_writes_left_out() {
    for (ops, info, seed) in [(5_000, 1, 1), (5_000, 5, 2), (20_000, 3, 3)] {
        let shape = RegisterShape { info_percent: info, ..RegisterShape::harness(ops, seed) };
        let history = register_history(&shape);
        let r = check(ModelKind::Register, &history);
        assert_eq!(r.verdict, Verdict::Valid, "{ops} ops, {info}% info: {}", r.summary);
        let mut model = Register::plain();
        let all = from_history(&mut model, &history).unwrap();
        let unknown = all.iter().filter(|o| !o.is_required()).count();
        let left: usize = partitions(&model, &all).iter().map(|p| p.1.len()).sum();
        let still_unknown: usize =
            partitions(&model, &all).iter().flat_map(|p| &p.1).filter(|o| !o.is_required()).count();
        assert!(unknown * 100 >= ops * info as usize / 4, "{unknown} unknown of {ops}");
        assert!(
            left < all.len() && still_unknown == 0,
            "{unknown} unknown, {} left, {still_unknown} still unknown",
            all.len() - left
        );
    }
}

#[test]
fn a_harness_shaped_history_with_a_stale_read_is_invalid_and_names_it() {
    let shape = RegisterShape { stale_read: true, ..RegisterShape::harness(5_000, 4) };
    let r = check(ModelKind::Register, &register_history(&shape));
    assert_eq!(r.verdict, Verdict::Invalid, "{}", r.summary);
    assert!(r.summary.starts_with("read of "), "{}", r.summary);
    assert!(r.evidence.len() <= 50, "{:?}", r.evidence);
    eprintln!(
        "DEBUG {}\n{:?}\n{}",
        r.summary,
        r.evidence,
        serde_json::to_string(&r.details).unwrap().chars().take(1500).collect::<String>()
    );
}

/// However little time the witness gets (here none, so nothing is narrowed), what a person
/// reads stays bounded: one sentence of at most 400 characters, at most 50 history indices, at
/// most 24 conflicts and 100 steps in the details, with the counts of the rest.
#[test]
fn an_unnarrowed_witness_is_still_bounded_at_the_source() {
    let shape = RegisterShape { stale_read: true, ..RegisterShape::harness(5_000, 4) };
    let options = Options { witness_budget: std::time::Duration::ZERO, ..Options::default() };
    let history = register_history(&shape);
    let r =
        check_history(&history, ModelKind::Register, FailedCas::DidNotHappen, &options).unwrap();
    assert_eq!(r.verdict, Verdict::Invalid, "{}", r.summary);
    let d = &r.details;
    assert!(d["conflicts_total"].as_u64().unwrap() > 24, "{d}");
    assert!(
        r.summary.chars().count() <= 400 && r.summary.contains(" more (in details)"),
        "{}",
        r.summary
    );
    assert!(r.evidence.len() <= 50, "{} indices", r.evidence.len());
    assert!(d["conflicts"].as_array().unwrap().len() <= 24);
    assert!(d["longest_linearization"].as_array().unwrap().len() <= 100);
    assert_eq!(d["conflicts_minimal"], false);
}
