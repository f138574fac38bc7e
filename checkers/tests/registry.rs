//! Claims about the registry and the runner.

use splitbrain_checkers::registry::{
    build_all, by_name, run, run_one, run_path, safety_defaults, Options,
};
use splitbrain_checkers::{CheckResult, Checker, CheckerKind, History, Verdict};

struct Panics;

impl Checker for Panics {
    fn kind(&self) -> CheckerKind {
        CheckerKind::Linearizable
    }
    fn check(&self, _: &History) -> CheckResult {
        panic!("index out of range in a checker")
    }
}

struct Misnamed;

impl Checker for Misnamed {
    fn kind(&self) -> CheckerKind {
        CheckerKind::Convergence
    }
    fn check(&self, _: &History) -> CheckResult {
        CheckResult::valid(CheckerKind::Liveness, "fine")
    }
}

#[test]
fn a_panicking_checker_says_unknown_never_valid() {
    let r = run_one(&Panics, &History::default());
    assert_eq!(r.verdict, Verdict::Unknown);
    assert_eq!(r.checker, CheckerKind::Linearizable);
    assert!(r.summary.contains("index out of range in a checker"), "{}", r.summary);
}

#[test]
fn the_parallel_runner_also_turns_a_panic_into_unknown_and_keeps_the_order() {
    let checkers: Vec<Box<dyn Checker>> =
        vec![Box::new(Panics), by_name("fencing").unwrap(), Box::new(Misnamed)];
    let rs = run(&checkers, &History::default());
    let got: Vec<(&str, Verdict)> = rs.iter().map(|r| (r.checker.name(), r.verdict)).collect();
    assert_eq!(
        got,
        vec![
            ("linearizable", Verdict::Unknown),
            ("fencing", Verdict::Unknown),
            ("convergence", Verdict::Valid)
        ]
    );
}

#[test]
fn every_kind_builds_a_checker_of_that_kind_and_its_name_builds_the_same() {
    let kinds: Vec<CheckerKind> = CheckerKind::all().collect();
    for (kind, checker) in kinds.iter().zip(build_all(&kinds, &Options::default())) {
        assert_eq!(checker.kind(), *kind);
        assert_eq!(by_name(kind.name()).map(|c| c.kind()), Some(*kind));
    }
    let safety: Vec<&str> = safety_defaults().iter().map(|k| k.name()).collect();
    assert_eq!(safety, ["election-safety", "fencing", "dual-writer"]);
}

#[test]
fn an_unknown_name_builds_nothing_and_its_error_lists_the_known_ones() {
    assert!(by_name("linearisable-typo").is_none());
    let err = "nope".parse::<CheckerKind>().unwrap_err();
    assert!(err.contains("election-safety, fencing, dual-writer"), "{err}");
}

#[test]
fn the_file_runner_turns_a_panic_into_unknown_keeps_the_order_and_counts_the_records() {
    let checkers: Vec<Box<dyn Checker>> =
        vec![Box::new(Panics), by_name("election-safety").unwrap(), Box::new(Misnamed)];
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("history.jsonl");
    let line = |i: u64, n: &str, t: i64| {
        format!(
            r#"{{"index":{i},"time":{i},"process":"{n}","type":"ok","f":"elected","value":{{"token":{t}}}}}"#
        )
    };
    std::fs::write(&path, [line(0, "n1", 1), line(1, "n2", 1)].join("\n") + "\n").unwrap();
    let (rs, read) = run_path(&checkers, &path).expect("it reads");
    let got: Vec<(&str, Verdict)> = rs.iter().map(|r| (r.checker.name(), r.verdict)).collect();
    assert_eq!(
        got,
        vec![
            ("linearizable", Verdict::Unknown),
            ("election-safety", Verdict::Invalid),
            ("convergence", Verdict::Valid)
        ]
    );
    assert_eq!(read.records, 2);
}

#[test]
fn the_file_runner_stops_at_the_first_broken_rule() {
    let checkers: Vec<Box<dyn Checker>> = vec![by_name("fencing").unwrap()];
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("history.jsonl");
    std::fs::write(&path, "{\"index\":1}\n").unwrap();
    let err = run_path(&checkers, &path).err().map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains(":1: ")), "a read error naming line 1");
}
