//! The end-of-run summary: a checker that does not apply says so in words, and a run that
//! tested nothing says why before the checks.

use splitbrain_checkers::{CheckResult, CheckerKind, History};
use splitbrain_results::report;
use splitbrain_results::summary::{RunMeta, RunResults};
use splitbrain_results::terminal::{summary_text, Style};
use std::time::UNIX_EPOCH;

fn tokenless_run() -> RunResults {
    let meta = RunMeta::new("redis-naive-no-faults", 1, vec!["splitbrain".into()], UNIX_EPOCH);
    let checks = vec![
        CheckResult::not_applicable(
            CheckerKind::ElectionSafety,
            "no record carries a fencing token",
        ),
        CheckResult::valid(CheckerKind::DualWriter, "3 tenures, no dual write"),
    ];
    RunResults::new(meta, checks, &History::default())
}

#[test]
fn a_checker_that_does_not_apply_is_shown_as_not_applicable_with_its_reason() {
    let text = summary_text(&tokenless_run(), &History::default(), None, Style::plain());
    assert!(text.contains("VALID"), "{text}");
    assert!(
        text.contains("  -- election-safety  not applicable: no record carries a fencing token\n"),
        "{text}"
    );
    assert!(text.contains("  ok dual-writer      valid    3 tenures"), "{text}");
}

#[test]
fn a_run_that_tested_nothing_says_why_right_under_the_verdict() {
    let why = "the clients completed no write: nothing was tested";
    let r = tokenless_run().with_nothing_tested(Some(why.into()));
    let text = summary_text(&r, &History::default(), None, Style::plain());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "splitbrain redis-naive-no-faults: UNKNOWN", "{text}");
    assert_eq!(lines[2], format!("  ?? {why}"), "{text}");
}

#[test]
fn the_report_shows_not_applicable_and_what_was_not_tested() {
    let why = "no node was elected within 2 s: nothing was tested";
    let html = report::render(&tokenless_run(), &History::default());
    assert!(html.contains(r#"<span class="badge not-applicable">not applicable</span>"#));
    assert!(html.contains("all 1 checks that apply valid"), "the valid line counts what applied");
    let untested = tokenless_run().with_nothing_tested(Some(why.into()));
    let html = report::render(&untested, &History::default());
    assert!(html.contains(why) && html.contains("UNKNOWN"));
}
