//! Claims about the registry and the runner.

use splitbrain_checkers::registry::{
    build_all, by_name, names, run, run_one, run_path, safety_defaults, Options,
};
use splitbrain_checkers::{CheckResult, Checker, History, Verdict};

struct Panics;

impl Checker for Panics {
    fn name(&self) -> &'static str {
        "panics"
    }
    fn check(&self, _: &History) -> CheckResult {
        panic!("index out of range in a checker")
    }
}

struct Misnamed;

impl Checker for Misnamed {
    fn name(&self) -> &'static str {
        "misnamed"
    }
    fn check(&self, _: &History) -> CheckResult {
        CheckResult::valid("something-else", "fine")
    }
}

#[test]
fn a_panicking_checker_says_unknown_never_valid() {
    let r = run_one(&Panics, &History::default());
    assert_eq!(r.verdict, Verdict::Unknown);
    assert_eq!(r.checker, "panics");
    assert!(r.summary.contains("index out of range in a checker"), "{}", r.summary);
}

#[test]
fn the_parallel_runner_also_turns_a_panic_into_unknown_and_keeps_the_order() {
    let checkers: Vec<Box<dyn Checker>> =
        vec![Box::new(Panics), by_name("fencing").unwrap(), Box::new(Misnamed)];
    let rs = run(&checkers, &History::default());
    let got: Vec<(&str, Verdict)> = rs.iter().map(|r| (r.checker.as_str(), r.verdict)).collect();
    assert_eq!(
        got,
        vec![
            ("panics", Verdict::Unknown),
            ("fencing", Verdict::Unknown),
            ("misnamed", Verdict::Valid)
        ]
    );
}

#[test]
fn every_listed_name_builds_a_checker_of_that_name() {
    for name in names() {
        assert_eq!(by_name(name).map(|c| c.name()), Some(*name));
    }
    assert!(safety_defaults().iter().all(|n| names().contains(n)));
    assert_eq!(safety_defaults(), ["election-safety", "fencing", "dual-writer"]);
}

#[test]
fn an_unknown_name_builds_nothing_and_is_named_back() {
    assert!(by_name("linearisable-typo").is_none());
    let err = build_all(&["fencing", "nope"], &Options::default()).err();
    assert_eq!(err.as_deref(), Some("nope"));
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
    let got: Vec<(&str, Verdict)> = rs.iter().map(|r| (r.checker.as_str(), r.verdict)).collect();
    assert_eq!(
        got,
        vec![
            ("panics", Verdict::Unknown),
            ("election-safety", Verdict::Invalid),
            ("misnamed", Verdict::Valid)
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
