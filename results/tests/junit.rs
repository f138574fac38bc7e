//! junit.xml: well-formed, one test case per checker, the witness as the failure message,
//! unknown as an error, everything escaped.

use serde_json::json;
use splitbrain_checkers::{CheckResult, CheckerKind, History, Process, Record, Type};
use splitbrain_results::junit;
use splitbrain_results::summary::{RunMeta, RunResults};
use std::time::UNIX_EPOCH;

fn nasty() -> String {
    "a <b> & \"c\" 'd'\nline two\u{1}\u{0}]]> \u{FFFF} é 🦀".to_string()
}

fn results() -> (RunResults, History) {
    let rec = Record {
        index: 0,
        time: 5,
        process: Process::Resource,
        kind: Type::Ok,
        f: "accept".into(),
        value: json!({"token": 1, "node": "n1<", "value": nasty()}),
        node: None,
        error: None,
    };
    let history = History::new(vec![rec]);
    let checks = vec![
        CheckResult::valid(CheckerKind::ElectionSafety, "fine & dandy"),
        CheckResult::invalid(CheckerKind::DualWriter, nasty(), vec![0, 99]),
        CheckResult::unknown(CheckerKind::Linearizable, "ran out of time"),
    ];
    let meta = RunMeta::new(
        "raft<&>",
        7,
        vec!["splitbrain".into(), "test".into(), "--x=\"y\"".into()],
        UNIX_EPOCH,
    );
    (RunResults::new(meta, checks, &history), history)
}

#[test]
fn each_checker_is_one_testcase_and_the_document_is_well_formed() {
    let (r, h) = results();
    let xml = junit::render(&r, &h);
    let doc =
        roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"));
    let suites: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("splitbrain.raft<&>"));
    assert_eq!(
        (suite.attribute("tests"), suite.attribute("failures"), suite.attribute("errors")),
        (Some("3"), Some("1"), Some("1"))
    );
    let cases: Vec<_> = suite.children().filter(|n| n.has_tag_name("testcase")).collect();
    let names: Vec<_> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(names, ["election-safety", "dual-writer", "linearizable"]);
    assert!(cases[0].children().all(|c| !c.has_tag_name("failure") && !c.has_tag_name("error")));
    let failure =
        cases[1].children().find(|c| c.has_tag_name("failure")).expect("invalid is a failure");
    let message = failure.attribute("message").expect("message");
    assert!(
        message.starts_with("a <b> & \"c\" 'd'\nline two"),
        "the witness survives escaping: {message:?}"
    );
    assert!(message.contains("\u{FFFD}") && message.contains("é 🦀"), "{message:?}");
    let body = failure.text().expect("body");
    assert!(
        body.contains("\"index\":0") && body.contains("(index 99: not in the history)"),
        "{body}"
    );
    let error = cases[2]
        .children()
        .find(|c| c.has_tag_name("error"))
        .expect("unknown is an error, not skipped");
    assert_eq!(error.attribute("message"), Some("ran out of time"));
    assert!(!xml.contains("<skipped"));
}

#[test]
fn the_reproducing_command_and_seed_are_properties() {
    let (r, h) = results();
    let xml = junit::render(&r, &h);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    let prop = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value").map(str::to_string))
    };
    assert_eq!(prop("seed").as_deref(), Some("7"));
    assert_eq!(prop("command").as_deref(), Some("splitbrain test '--x=\"y\"'"));
}

#[test]
fn escaping_covers_markup_quotes_and_characters_xml_forbids() {
    assert_eq!(junit::text("<a>&\"'"), "&lt;a&gt;&amp;&quot;&apos;");
    assert_eq!(junit::attr("x\ny\tz\r"), "x&#10;y&#9;z&#13;");
    assert_eq!(junit::text("x\ny"), "x\ny");
    assert_eq!(junit::text("\u{0}\u{1b}\u{FFFE}ok"), "\u{FFFD}\u{FFFD}\u{FFFD}ok");
}

#[test]
fn not_applicable_is_skipped_and_a_run_that_tested_nothing_is_one_more_error() {
    let (mut r, h) = results();
    r.checks.push(CheckResult::not_applicable(CheckerKind::Fencing, "no token anywhere"));
    let r =
        r.with_nothing_tested(Some("the clients completed no write: nothing was tested".into()));
    let xml = junit::render(&r, &h);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    let counts = ["tests", "failures", "errors", "skipped"].map(|a| suite.attribute(a).unwrap());
    assert_eq!(counts, ["5", "1", "2", "1"]);
    let case = |name: &str| {
        doc.descendants().find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
    };
    let fencing = case("fencing").expect("a case for the not-applicable checker");
    let skipped = fencing.children().find(|c| c.has_tag_name("skipped")).expect("skipped");
    assert_eq!(skipped.attribute("message"), Some("no token anywhere"));
    assert!(fencing.children().all(|c| !c.has_tag_name("error") && !c.has_tag_name("failure")));
    let tested = case("tested").expect("a case saying nothing was tested");
    let error = tested.children().find(|c| c.has_tag_name("error")).expect("an error");
    assert_eq!(
        error.attribute("message"),
        Some("the clients completed no write: nothing was tested")
    );
}
