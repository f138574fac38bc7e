//! results.json: a round trip loses nothing; re-checking replaces the derived part only.

use serde_json::json;
use splitbrain_checkers::{
    CheckResult, CheckerKind, History, Process, Record, Subject, Type, Verdict,
};
use splitbrain_results::summary::{RunMeta, RunResults};
use std::time::{Duration, UNIX_EPOCH};

fn op(index: u64, time: u64, kind: Type) -> Record {
    let value = json!({"value": 1});
    Record {
        index,
        time,
        process: Process::Client(0),
        kind,
        f: "write".into(),
        value,
        node: None,
        error: None,
    }
}

fn sample() -> (RunResults, History) {
    let history = History::new(vec![op(0, 0, Type::Invoke), op(1, 3_000_000, Type::Ok)]);
    let mut meta = RunMeta::new(
        "raft",
        u64::MAX,
        vec!["splitbrain".into(), "test".into(), "--seed".into(), u64::MAX.to_string()],
        UNIX_EPOCH + Duration::from_millis(1500),
    );
    meta.ended = Some("1970-01-01T00:01:00.000Z".into());
    meta.versions.insert("etcd".into(), "3.4.23".into());
    meta.options = json!({"nodes": 5, "nemesis": ["partition", "pause"]});
    meta.notes.push("interrupted by Ctrl-C after 12.3 s".into());
    let checks = vec![
        CheckResult::invalid(CheckerKind::DualWriter, "n1 wrote after n2", vec![0, 1])
            .with_details(json!({"dual_writes": 1})),
        CheckResult::valid(CheckerKind::Liveness, "figures").with_details(json!({"elections": 3})),
    ];
    (RunResults::new(meta, checks, &history), history)
}

#[test]
fn a_round_trip_through_json_loses_nothing() {
    let (r, _) = sample();
    let text = r.to_json();
    let back = RunResults::from_json(&text).expect("parse");
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(v["seed"], json!(u64::MAX), "the seed keeps every bit");
    assert_eq!(v["test"], "raft", "the run's facts sit at the top level");
    assert_eq!(v["started"], "1970-01-01T00:00:01.500Z");
    assert_eq!(v["liveness"], json!({"elections": 3}));
    assert_eq!(v["operations"][0]["ok"], 1);
    assert_eq!(v["history"]["records"], 2);
}

#[test]
fn rechecking_replaces_verdict_and_figures_but_keeps_the_facts() {
    let (mut r, h) = sample();
    let facts = r.run.clone();
    r.set_checks(vec![CheckResult::valid(CheckerKind::DualWriter, "fine")], &h);
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(r.liveness, None);
    assert_eq!(r.run, facts);
    r.set_checks(vec![CheckResult::unknown(CheckerKind::Fencing, "nothing to judge")], &h);
    assert_eq!(r.verdict, Verdict::Unknown);
}

#[test]
fn every_checker_name_an_older_or_newer_file_holds_reads_back_and_is_written_unchanged() {
    let (r, _) = sample();
    let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let names = ["run", "election-safety", "linearizable", "a-checker-from-the-future"];
    let checks: Vec<_> = names
        .iter()
        .map(|n| json!({"checker": n, "verdict": "unknown", "summary": "?", "evidence": []}))
        .collect();
    v["checks"] = json!(checks);
    let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
    let back = RunResults::from_json(&text).expect("an old file reads");
    assert_eq!(back.checks[0].checker, Subject::Run);
    assert_eq!(back.checks[2].checker, CheckerKind::Linearizable);
    let again: serde_json::Value = serde_json::from_str(&back.to_json()).unwrap();
    assert_eq!(again, v, "written back unchanged");
}

#[test]
fn unknown_fields_are_ignored_and_missing_optional_ones_default() {
    let (r, _) = sample();
    let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    v["from_the_future"] = json!(true);
    v.as_object_mut().unwrap().remove("notes");
    v.as_object_mut().unwrap().remove("liveness");
    let back: RunResults = serde_json::from_value(v).expect("tolerant");
    assert!(back.run.notes.is_empty() && back.liveness.is_none());
}

#[test]
fn the_command_line_quotes_what_a_shell_would_split() {
    let mut meta = RunMeta::new(
        "t",
        1,
        vec!["splitbrain".into(), "--bug".into(), "it's bad".into(), "".into(), "a,b".into()],
        UNIX_EPOCH,
    );
    assert_eq!(meta.command_line(), r#"splitbrain --bug 'it'\''s bad' '' a,b"#);
    meta.command = vec![];
    assert_eq!(meta.command_line(), "");
}

#[test]
fn a_run_that_tested_nothing_is_unknown_and_says_why_through_a_round_trip_and_a_recheck() {
    let (r, h) = sample();
    let why = "no node was elected within 10 s: nothing was tested";
    let mut r = r.with_nothing_tested(Some(why.into()));
    assert_eq!(r.verdict, Verdict::Unknown, "even over an invalid check");
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["nothing_tested"], why);
    assert_eq!(RunResults::from_json(&r.to_json()).unwrap(), r);
    r.set_checks(vec![CheckResult::valid(CheckerKind::DualWriter, "fine")], &h);
    assert_eq!(r.verdict, Verdict::Unknown, "re-checking keeps what the run tested");
}

#[test]
fn not_applicable_checks_neither_fail_nor_pass_a_run() {
    let (mut r, h) = sample();
    let na = CheckResult::not_applicable(CheckerKind::Fencing, "no token anywhere");
    r.set_checks(vec![na.clone(), CheckResult::valid(CheckerKind::DualWriter, "fine")], &h);
    assert_eq!(r.verdict, Verdict::Valid);
    assert_eq!(r.failures().count(), 0);
    r.set_checks(vec![na], &h);
    assert_eq!(r.verdict, Verdict::Unknown, "nothing was judged");
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["checks"][0]["verdict"], "not-applicable");
}
