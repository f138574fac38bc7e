//! report.html: the violations are marked where a person looks first, the page needs nothing
//! from outside, it stays light for long runs, and odd input never breaks it.

use serde_json::json;
use splitbrain_checkers::{CheckResult, CheckerKind, History, Process, Record, Subject, Type};
use splitbrain_results::report;
use splitbrain_results::sample::{dual_writer_run, SampleOptions};
use splitbrain_results::summary::{RunMeta, RunResults};
use std::time::UNIX_EPOCH;

fn render(options: &SampleOptions) -> (String, RunResults) {
    let s = dual_writer_run(options);
    let results = RunResults::new(s.meta, s.checks, &s.history);
    (report::render(&results, &s.history), results)
}

#[test]
fn each_violation_is_marked_in_the_header_and_on_the_timeline_with_links_to_its_lines() {
    let (html, results) = render(&SampleOptions::default());
    let timeline = html.find(r#"id="timeline""#).expect("a timeline section");
    let invalid: Vec<&CheckResult> = results
        .checks
        .iter()
        .filter(|c| c.verdict == splitbrain_checkers::Verdict::Invalid)
        .collect();
    assert!(
        invalid.iter().any(|c| c.checker == CheckerKind::DualWriter),
        "the sample is a dual-writer run: {:?}",
        results.checks
    );
    for (k, c) in invalid.iter().enumerate() {
        let n = k + 1;
        let witness = html.find(&format!(r#"id="violation-{n}""#)).expect("witness in the header");
        assert!(witness < timeline, "violation {n} is in the header, above the timeline");
        let start =
            splitbrain_results::report::fmt::cut(&c.summary, 200).trim_end_matches('…').to_string();
        assert!(html[witness..timeline].contains(&splitbrain_results::report::fmt::esc(&start)));
        assert!(
            html[timeline..].contains(&format!(r##"href="#violation-{n}""##)),
            "a flag on the timeline"
        );
        for i in splitbrain_results::evidence::ordered(c).iter().take(20) {
            assert!(html.contains(&format!(r#"<tr id="h{i}""#)), "history line {i} is in the page");
            assert!(html.contains(&format!(r##"href="#h{i}""##)), "something links to line {i}");
        }
    }
    assert!(html.contains(r#"class="vmark""#) && html.contains(r#"class="vline""#));
    assert!(html.contains("up close"), "a zoomed view of the violation");
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
}

#[test]
fn the_page_is_self_contained() {
    let (html, _) = render(&SampleOptions::default());
    let lower = html.to_lowercase();
    for outside in ["http://", "https://", "<link", "<script src", "src=", "@import", "//cdn"] {
        assert!(!lower.contains(outside), "the page refers to something outside: {outside}");
    }
    let urls = lower.matches("url(").count();
    assert_eq!(urls, lower.matches("url(#").count(), "every url() is a fragment of the page");
}

#[test]
fn a_long_run_with_100k_operations_stays_light() {
    let options = SampleOptions {
        seconds: 60,
        ops_per_second: 3200,
        clients: 30,
        seed: 3,
        fenced: false,
        linearizable: false,
    };
    let s = dual_writer_run(&options);
    let ops = s.history.records.iter().filter(|r| r.is_client() && r.kind == Type::Invoke).count();
    assert!(ops >= 100_000, "the sample has {ops} operations");
    let results = RunResults::new(s.meta, s.checks, &s.history);
    let html = report::render(&results, &s.history);
    assert!(html.len() < 700_000, "report is {} bytes", html.len());
    let lines = html.matches(r#"<tr id="h"#).count();
    assert!(lines <= report::excerpt::MAX_LINES, "{lines} history lines inlined");
    let dots = html.matches("h0").count();
    assert!(dots <= report::latency::MAX_POINTS + 50, "{dots} scatter points");
}

fn rec(index: u64, process: Process, kind: Type, f: &str, value: serde_json::Value) -> Record {
    Record {
        index,
        time: index * 1_000,
        process,
        kind,
        f: f.into(),
        value,
        node: None,
        error: None,
    }
}

#[test]
fn odd_histories_and_results_still_render() {
    let meta = RunMeta::new("odd", 0, vec![], UNIX_EPOCH);
    let empty = History::default();
    let html = report::render(&RunResults::new(meta.clone(), vec![], &empty), &empty);
    assert!(html.contains("no checks ran"));
    let h = History::new(vec![
        rec(0, Process::Nemesis, Type::Info, "start-partition", json!("n1")),
        rec(1, Process::Node("n1".into()), Type::Ok, "elected", json!({"token": null})),
        rec(2, Process::Nemesis, Type::Info, "weird-thing", json!([1, {"a": "n1"}])),
        rec(3, Process::Resource, Type::Ok, "accept", json!({"node": "n1"})),
        rec(4, Process::Client(-3), Type::Ok, "write", json!(42)),
        rec(5, Process::Nemesis, Type::Info, "resume", json!(null)),
    ]);
    let checks = vec![
        CheckResult::invalid(
            Subject::Unrecognised("x<script>".into()),
            "<script>alert(1)</script>",
            vec![3, 1000],
        )
        .with_details(json!([1, 2])),
        CheckResult::unknown(CheckerKind::Liveness, "?")
            .with_details(json!({"elections": "many", "failovers": 3})),
        CheckResult::invalid(CheckerKind::Linearizable, "no", vec![])
            .with_details(json!({"culprit": 5})),
    ];
    let html = report::render(&RunResults::new(meta, checks, &h), &h);
    assert!(!html.contains("<script>"), "text is escaped");
    assert!(html.contains("x&lt;script&gt;"));
}

#[test]
fn a_valid_run_shows_no_violation_marks() {
    let (html, results) = render(&SampleOptions { fenced: true, ..SampleOptions::default() });
    assert_eq!(results.verdict, splitbrain_checkers::Verdict::Valid, "{:?}", results.checks);
    assert!(html.contains(r#"<div class="verdict valid">VALID</div>"#));
    assert!(!html.contains(r#"class="vmark""#) && !html.contains("violation-1"));
}

#[test]
fn a_linearizability_witness_shows_the_culprit_and_each_conflict_with_its_node_and_token() {
    let options = SampleOptions { linearizable: true, seconds: 5, ..SampleOptions::default() };
    let (html, results) = render(&options);
    let linear =
        results.checks.iter().find(|c| c.checker == CheckerKind::Linearizable).expect("it ran");
    assert_eq!(linear.verdict, splitbrain_checkers::Verdict::Invalid, "{}", linear.summary);
    assert!(html.contains("cannot be placed"), "the culprit's row");
    let culprit = &linear.details["culprit"];
    let context = culprit["context"].as_str().expect("a sample history names its nodes");
    let row = format!(r#"<span class="dim">{}</span>"#, report::fmt::esc(context));
    assert!(html.contains(&row), "the culprit's node and token: {row}");
}
