//! `junit.xml`: the run as one JUnit test suite, one test case per checker, for CI systems;
//! and [`render_series`], several runs in one document, one test suite each (`--test-count`'s
//! combined file, and the shape a drill's file takes).
//!
//! Neighbours: renders a [`RunResults`]; quotes history lines through [`crate::evidence`].
//!
//! Design decisions:
//! - `invalid` is a `<failure>` whose `message` is the witness sentence and whose body is the
//!   sentence followed by the evidence lines, exactly as they are in history.jsonl.
//! - `unknown` is an `<error>`, not `<skipped>`: Jenkins, GitLab, GitHub's JUnit reporters and
//!   Azure DevOps all count an error as a test that did not pass, while most treat a skipped
//!   case as harmless. A CI gate must not pass on "the checker could not decide".
//! - `not-applicable` is `<skipped message="why"/>`: the property does not apply to this
//!   target, which is neither a failure nor an error, and must not fail a healthy run.
//! - A run that tested nothing gets one more case, `tested`, an `<error>` with the sentence:
//!   whatever the checkers said, CI must see that this run proved nothing.
//! - Text that is not allowed in XML 1.0 (control characters other than tab, newline and
//!   carriage return) becomes U+FFFD; newlines in attributes are written as `&#10;` so the
//!   witness keeps its lines through attribute normalization.

use crate::evidence;
use crate::summary::RunResults;
use splitbrain_checkers::{CheckResult, History, Subject, Verdict};
use std::fmt::Write;

/// Characters of the witness in a `message` attribute (CI tools show it on one line); the
/// body has the whole sentence.
pub const MESSAGE_CHARS: usize = 1000;

/// Evidence lines quoted per failing case; the rest are counted.
pub const MAX_EVIDENCE_LINES: usize = 50;

/// Renders the JUnit XML document of a run. `history` supplies the evidence lines (pass an
/// empty one when it could not be read: the indices are still listed).
pub fn render(results: &RunResults, history: &History) -> String {
    let suite = format!("splitbrain.{}", results.run.test);
    document(&[(suite, results, history)])
}

/// Renders several runs as one JUnit document: one `<testsuite>` per run, in the order given,
/// each named `splitbrain.<test>.<n>` (from 1) with the run's seed among its properties, and
/// its test cases exactly as in that run's own `junit.xml`.
pub fn render_series(runs: &[(&RunResults, &History)]) -> String {
    let suites: Vec<_> = runs
        .iter()
        .enumerate()
        .map(|(i, (r, h))| (format!("splitbrain.{}.{}", r.run.test, i + 1), *r, *h))
        .collect();
    document(&suites)
}

/// A run's test cases: `tested` first when it tested nothing, then one per checker.
fn cases(results: &RunResults) -> Vec<CheckResult> {
    let tested =
        results.nothing_tested.as_ref().map(|why| CheckResult::unknown(Subject::Tested, why));
    tested.into_iter().chain(results.checks.iter().cloned()).collect()
}

/// How many of `cases` have verdict `v`.
fn count(cases: &[CheckResult], v: Verdict) -> usize {
    cases.iter().filter(|c| c.verdict == v).count()
}

/// The document: totals over every suite, then each suite (its name, results, history).
fn document(suites: &[(String, &RunResults, &History)]) -> String {
    let all: Vec<CheckResult> = suites.iter().flat_map(|(_, r, _)| cases(r)).collect();
    let seconds: f64 = suites.iter().map(|(_, r, _)| r.history.duration_ns as f64 / 1e9).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"splitbrain\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
        all.len(),
        count(&all, Verdict::Invalid),
        count(&all, Verdict::Unknown),
        count(&all, Verdict::NotApplicable),
    );
    for (suite, results, history) in suites {
        testsuite(&mut x, suite, results, history);
    }
    x.push_str("</testsuites>\n");
    x
}

fn testsuite(x: &mut String, suite: &str, results: &RunResults, history: &History) {
    let cases = cases(results);
    let seconds = results.history.duration_ns as f64 / 1e9;
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\" timestamp=\"{}\">",
        attr(suite),
        cases.len(),
        count(&cases, Verdict::Invalid),
        count(&cases, Verdict::Unknown),
        count(&cases, Verdict::NotApplicable),
        attr(results.run.started.trim_end_matches('Z')),
    );
    properties(x, results);
    for check in &cases {
        testcase(x, suite, check, history);
    }
    x.push_str("  </testsuite>\n");
}

fn properties(x: &mut String, results: &RunResults) {
    let run = &results.run;
    let mut props = vec![
        ("verdict".to_string(), results.verdict.to_string()),
        ("seed".to_string(), run.seed.to_string()),
        ("command".to_string(), run.command_line()),
        ("started".to_string(), run.started.clone()),
    ];
    props.extend(run.versions.iter().map(|(k, v)| (format!("version.{k}"), v.clone())));
    x.push_str("    <properties>\n");
    for (name, value) in props {
        let _ =
            writeln!(x, "      <property name=\"{}\" value=\"{}\"/>", attr(&name), attr(&value));
    }
    x.push_str("    </properties>\n");
}

fn testcase(x: &mut String, suite: &str, check: &CheckResult, h: &History) {
    let _ = write!(
        x,
        "    <testcase name=\"{}\" classname=\"{}\"",
        attr(check.checker.name()),
        attr(suite)
    );
    let tag = match check.verdict {
        Verdict::Valid => {
            let _ = writeln!(x, ">\n      <system-out>{}</system-out>", text(&check.summary));
            x.push_str("    </testcase>\n");
            return;
        }
        Verdict::NotApplicable => {
            let why = attr(&crate::report::fmt::cut(&check.summary, MESSAGE_CHARS));
            let _ = writeln!(x, ">\n      <skipped message=\"{why}\"/>\n    </testcase>");
            return;
        }
        Verdict::Invalid => "failure",
        Verdict::Unknown => "error",
    };
    let mut body = check.summary.clone();
    let lines = evidence::lines(h, &evidence::ordered(check), MAX_EVIDENCE_LINES);
    if !lines.is_empty() {
        body.push_str("\n\nevidence (history.jsonl lines):\n");
        body.push_str(&lines.join("\n"));
    }
    let _ = writeln!(
        x,
        ">\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n    </testcase>",
        attr(&crate::report::fmt::cut(&check.summary, MESSAGE_CHARS)),
        check.verdict,
        text(&body),
    );
}

/// Escapes text content.
pub fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (double-quoted), keeping newlines and tabs as references.
pub fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, in_attr: bool) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if in_attr => out.push_str("&#10;"),
            '\r' if in_attr => out.push_str("&#13;"),
            '\t' if in_attr => out.push_str("&#9;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if allowed_in_xml(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// XML 1.0's `Char` production (Rust strings hold no surrogates).
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
