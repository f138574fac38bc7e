//! The combined JUnit of several runs (`--test-count`): one test suite per run, each with the
//! test cases of that run's own junit.xml, and totals over all of them.

use splitbrain_checkers::{CheckResult, CheckerKind, History};
use splitbrain_results::junit;
use splitbrain_results::summary::{RunMeta, RunResults};
use std::time::UNIX_EPOCH;

fn run(seed: u64, checks: Vec<CheckResult>) -> RunResults {
    let meta = RunMeta::new("raft-no-faults", seed, vec!["splitbrain".into()], UNIX_EPOCH);
    RunResults::new(meta, checks, &History::default())
}

fn series() -> Vec<RunResults> {
    vec![
        run(
            7,
            vec![
                CheckResult::valid(CheckerKind::Fencing, "ok"),
                CheckResult::valid(CheckerKind::DualWriter, "ok"),
            ],
        ),
        run(
            8,
            vec![
                CheckResult::invalid(
                    CheckerKind::Fencing,
                    "n2 wrote under token 1 after 2",
                    vec![],
                ),
                CheckResult::unknown(CheckerKind::DualWriter, "nothing to judge"),
            ],
        ),
    ]
}

fn render(runs: &[RunResults]) -> String {
    let h = History::default();
    let pairs: Vec<(&RunResults, &History)> = runs.iter().map(|r| (r, &h)).collect();
    junit::render_series(&pairs)
}

#[test]
fn a_series_is_one_testsuite_per_run_with_totals_over_all_runs() {
    let xml = render(&series());
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures"), root.attribute("errors")),
        (Some("4"), Some("1"), Some("1"))
    );
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let names: Vec<_> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(names, ["splitbrain.raft-no-faults.1", "splitbrain.raft-no-faults.2"]);
    let seeds: Vec<_> = suites
        .iter()
        .flat_map(|s| s.descendants())
        .filter(|n| n.has_tag_name("property") && n.attribute("name") == Some("seed"))
        .filter_map(|n| n.attribute("value"))
        .collect();
    assert_eq!(seeds, ["7", "8"]);
    let second: Vec<_> = suites[1].children().filter(|n| n.has_tag_name("testcase")).collect();
    let tags: Vec<_> = second
        .iter()
        .map(|c| c.first_element_child().map_or("", |e| e.tag_name().name()))
        .collect();
    assert_eq!(tags, ["failure", "error"]);
}

#[test]
fn each_suite_of_a_series_is_the_run_s_own_junit_suite_under_its_series_name() {
    let runs = series();
    let combined = render(&runs);
    for (i, r) in runs.iter().enumerate() {
        let own = junit::render(r, &History::default());
        let own_suite = suite_text(&own);
        let renamed = own_suite.replacen(
            "name=\"splitbrain.raft-no-faults\"",
            &format!("name=\"splitbrain.raft-no-faults.{}\"", i + 1),
            1,
        );
        let renamed = renamed.replace(
            "classname=\"splitbrain.raft-no-faults\"",
            &format!("classname=\"splitbrain.raft-no-faults.{}\"", i + 1),
        );
        assert!(combined.contains(&renamed), "run {}:\n{renamed}\nnot in\n{combined}", i + 1);
    }
}

#[test]
fn a_series_of_one_run_has_the_same_counts_as_its_own_junit() {
    let runs = &series()[1..];
    let doc_text = render(runs);
    let doc = roxmltree::Document::parse(&doc_text).expect("well-formed");
    let own_text = junit::render(&runs[0], &History::default());
    let own = roxmltree::Document::parse(&own_text).expect("well-formed");
    let counts = |d: &roxmltree::Document<'_>| {
        let r = d.root_element();
        ["tests", "failures", "errors"].map(|a| r.attribute(a).map(str::to_string))
    };
    assert_eq!(counts(&doc), counts(&own));
}

/// The `<testsuite>` element of a document, as text.
fn suite_text(xml: &str) -> String {
    let start = xml.find("  <testsuite ").expect("a testsuite");
    let end = xml.find("  </testsuite>").expect("its end") + "  </testsuite>\n".len();
    xml[start..end].to_string()
}
