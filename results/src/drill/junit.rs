//! A night's `junit.xml`: one test suite per scenario; in each, a test case for the
//! expectation, one per checker, one per bound, and one per gated trend.
//!
//! Neighbours: renders a [`DrillRecord`]; escapes through [`crate::junit`] and keeps its
//! conventions (unknown is an `<error>`, not-applicable `<skipped>`).
//!
//! Design: CI must fail exactly when the drill does, so a case fails only for what fails the
//! drill. In a scenario expected invalid, the checkers that found the bug are the drill working:
//! their cases pass and say what they found; the `expect` case fails when no seed was invalid.

use super::record::{DrillRecord, Expect, ScenarioRecord};
use super::trend::TrendState;
use crate::junit::{attr, text};
use splitbrain_checkers::Verdict;
use std::fmt::Write;

/// One test case: its name, and a failure or error with a message, or a pass with output.
struct Case {
    name: String,
    fails: Option<(&'static str, String)>,
    skipped: Option<String>,
    out: String,
}

impl Case {
    fn pass(name: impl Into<String>, out: impl Into<String>) -> Case {
        Case { name: name.into(), fails: None, skipped: None, out: out.into() }
    }

    fn judged(name: impl Into<String>, verdict: Verdict, message: String) -> Case {
        let mut c = Case::pass(name, message.clone());
        match verdict {
            Verdict::Invalid => c.fails = Some(("failure", message)),
            Verdict::Unknown => c.fails = Some(("error", message)),
            Verdict::NotApplicable => c.skipped = Some(message),
            Verdict::Valid => {}
        }
        c
    }
}

/// The night's JUnit document.
pub fn render(d: &DrillRecord) -> String {
    let suites: Vec<(String, Vec<Case>)> =
        d.scenarios.iter().map(|s| (format!("drill.{}.{}", d.drill, s.name), cases(s))).collect();
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c).collect();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"splitbrain drill {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        attr(&d.drill),
        all.len(),
        count(&all, "failure"),
        count(&all, "error"),
    );
    for (name, cases) in &suites {
        suite(&mut x, name, cases);
    }
    x.push_str("</testsuites>\n");
    x
}

fn count(cases: &[&Case], tag: &str) -> usize {
    cases.iter().filter(|c| c.fails.as_ref().is_some_and(|(t, _)| *t == tag)).count()
}

fn suite(x: &mut String, name: &str, cases: &[Case]) {
    let all: Vec<&Case> = cases.iter().collect();
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        attr(name),
        cases.len(),
        count(&all, "failure"),
        count(&all, "error"),
    );
    for c in cases {
        let _ = write!(x, "    <testcase name=\"{}\" classname=\"{}\">", attr(&c.name), attr(name));
        if let Some((tag, msg)) = &c.fails {
            let _ = write!(x, "<{tag} message=\"{}\">{}</{tag}>", attr(msg), text(msg));
        } else if let Some(why) = &c.skipped {
            let _ = write!(x, "<skipped message=\"{}\"/>", attr(why));
        } else {
            let _ = write!(x, "<system-out>{}</system-out>", text(&c.out));
        }
        x.push_str("</testcase>\n");
    }
    x.push_str("  </testsuite>\n");
}

/// The cases of one scenario.
fn cases(s: &ScenarioRecord) -> Vec<Case> {
    let mut cases = vec![expectation(s)];
    cases.extend(s.checks.iter().map(|c| match s.expect {
        Expect::Valid => Case::judged(c.checker.name(), c.verdict, c.summary.clone()),
        Expect::Invalid => Case::pass(c.checker.name(), format!("{}: {}", c.verdict, c.summary)),
    }));
    cases.extend(s.bounds.iter().map(|b| Case::judged(b.bound.key(), b.verdict, b.sentence())));
    let trends = s.trends.iter().filter(|_| s.gated);
    cases.extend(trends.map(|t| {
        let name = format!("trend {}", t.figure.name());
        match t.state {
            TrendState::Regressed => Case::judged(name, Verdict::Invalid, t.sentence()),
            TrendState::Within => Case::pass(name, t.sentence()),
            _ => Case::judged(name, Verdict::NotApplicable, t.sentence()),
        }
    }));
    cases
}

fn expectation(s: &ScenarioRecord) -> Case {
    let seeds: Vec<String> =
        s.seeds.iter().map(|x| format!("seed {} {}", x.seed, x.verdict)).collect();
    let name = format!("expect {}", s.expect.name());
    let met = match s.seeds.is_empty() {
        true => None,
        false => Some(s.expect.met_by(&s.seeds.iter().map(|x| x.verdict).collect::<Vec<_>>())),
    };
    let why = s.why.first().cloned().unwrap_or_default();
    match met {
        Some(true) => Case::pass(name, seeds.join(", ")),
        Some(false) if s.unjudged() => Case::judged(name, Verdict::Unknown, why),
        Some(false) => Case::judged(name, Verdict::Invalid, why),
        None => Case::judged(name, Verdict::Unknown, "not run (the drill was interrupted)".into()),
    }
}
