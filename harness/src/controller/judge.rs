//! Judging a recorded run: stream its history through the checkers, explain what the options
//! mean for the verdict, write results.json, junit.xml and report.html, print the summary.
//! Memory is bounded by what the checkers keep and by the digest's caps, not by the history.
//! `splitbrain test` calls it at the end of every run, `splitbrain analyze` on a stored one.
//!
//! Neighbours: checkers by kind from `splitbrain_checkers::registry`; results files through
//! `splitbrain_results::output`; the run's parameters from [`super::options::Plan`] or, for
//! `analyze`, from the options stored in results.json.
//!
//! Which checkers ([`checkers`]): the safety checkers, `convergence` (with the run's settle
//! time and bound), `liveness` (figures; a verdict with `--max-failover`), and `linearizable`
//! on the clients' register operations. Whether the run tested anything at all is
//! `splitbrain_checkers::tested`, fed from the stored options ([`expected`]), so `analyze`
//! gives the same answer as the run did.

use super::story;
use anyhow::Context;
use serde_json::Value;
use splitbrain_checkers::registry::{self, Options};
use splitbrain_checkers::tested::{Expected, Watch};
use splitbrain_checkers::{CheckResult, CheckerKind, History, Subject, Verdict};
use splitbrain_results::digest::{tally::Tally, Digest};
use splitbrain_results::output::{self, Written};
use splitbrain_results::terminal::{self, Style};
use splitbrain_results::{RunDir, RunMeta, RunResults};
use std::io::IsTerminal;
use std::time::Duration;

/// The checkers' parameters of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Time given to settle after the final heal.
    pub settle: Duration,
    /// Convergence's bound.
    pub bound: Duration,
    /// Liveness's optional bound on failovers.
    pub max_failover: Option<Duration>,
}

impl Params {
    /// The parameters stored in a run's options (results.json), with the defaults where absent.
    pub fn from_options(options: &Value) -> Params {
        // results.json may have been edited by hand: a value no run writes is left out.
        let fits = |s: &f64| (0.0..1e9).contains(s);
        let secs = |k: &str| {
            options.get(k).and_then(Value::as_f64).filter(fits).map(Duration::from_secs_f64)
        };
        Params {
            settle: secs("settle_s").unwrap_or(Duration::ZERO),
            bound: secs("convergence_bound_s").unwrap_or(Duration::from_secs(10)),
            max_failover: secs("max_failover_s"),
        }
    }

    fn options(&self) -> Options {
        let mut o = Options::default();
        o.convergence.settle = self.settle;
        o.convergence.bound = self.bound;
        o.liveness.max_failover = self.max_failover;
        o
    }
}

/// What a run with these stored options must show to have tested anything: its first leader
/// within `--leader-timeout`, and a fault if it asked for any (a bare history's rule where the
/// options do not say).
pub fn expected(options: &Value) -> Expected {
    let faults = options.get("nemesis").and_then(Value::as_array).map_or(Vec::new(), |kinds| {
        kinds.iter().filter_map(Value::as_str).map(str::to_string).collect()
    });
    let leader_within =
        options.get("leader_timeout_s").and_then(Value::as_f64).map(Duration::from_secs_f64);
    Expected { leader_within, faults }
}

/// The checkers every run gets, in report order: the safety properties, then convergence,
/// liveness and linearizable.
pub fn checkers() -> Vec<CheckerKind> {
    let mut kinds = registry::safety_defaults();
    kinds.extend([CheckerKind::Convergence, CheckerKind::Liveness, CheckerKind::Linearizable]);
    kinds
}

/// The run's history, judged and written: results.json, junit.xml, report.html. The history
/// is streamed, never held whole: once through the checkers with the figures counted beside
/// them, then for the digest the reports show (all of a short run; a sample of a long one).
pub fn judge(run: &RunDir, mut meta: RunMeta, params: &Params) -> anyhow::Result<Judged> {
    splitbrain_checkers::reader::grow_heap_in_large_steps();
    let path = run.history();
    let reading = || format!("reading {}", path.display());
    let checkers = registry::build_all(&checkers(), &params.options());
    let (mut tally, mut watch) = (Tally::default(), Watch::default());
    let (checks, read) = registry::run_path_observed(&checkers, &path, |r| {
        tally.feed(r);
        watch.feed(r);
    })
    .with_context(reading)?;
    let digest = Digest::read(&path, &checks, &tally.outline()).with_context(reading)?;
    meta.notes.extend(explain(&meta.options, &checks, &digest.kept));
    let nothing = watch.nothing_tested(&expected(&meta.options));
    let figures = tally.figures(read.records, read.warnings);
    let results = RunResults::with_figures(meta, checks, figures).with_nothing_tested(nothing);
    let written = output::write_results(run, &results, &digest)?;
    Ok(Judged { results, digest, written })
}

/// A judged run.
pub struct Judged {
    /// What results.json now holds.
    pub results: RunResults,
    /// The records its reports show.
    pub digest: Digest,
    /// Where the result files are.
    pub written: Written,
}

impl Judged {
    /// Prints the end-of-run summary on stdout.
    pub fn print_summary(&self) {
        let style = Style::for_terminal(std::io::stdout().is_terminal());
        let mut out = std::io::stdout().lock();
        let report = Some(self.written.report.as_path());
        let _ = terminal::print_summary(&mut out, &self.results, &self.digest.kept, report, style);
    }

    /// The exit status of the verdict.
    pub fn exit_code(&self) -> u8 {
        self.results.verdict.exit_code() as u8
    }

    /// For a run that could not start: leads its results with the cause in one line, as a
    /// check of its own (`run`, unknown) and a note (which `analyze` keeps), so the summary,
    /// results.json and junit.xml name it first, not only the checkers' "nothing to judge".
    pub fn could_not_start(&mut self, run: &RunDir, cause: &str) -> anyhow::Result<()> {
        let cause = format!("the run could not start: {cause}").replace('\n', " ");
        self.results.run.notes.push(cause.clone());
        let mut checks = vec![CheckResult::unknown(Subject::Run, cause)];
        checks.append(&mut self.results.checks);
        self.results.replace_checks(checks);
        self.written = output::write_results(run, &self.results, &self.digest)?;
        Ok(())
    }
}

/// A results.json for a run that has begun: its facts, and an `unknown` verdict until the run
/// is judged, so that a run killed before the end still says who ran what, and is not taken
/// for a valid one.
pub fn placeholder(run: &RunDir, meta: RunMeta) -> anyhow::Result<()> {
    let pending = CheckResult::unknown(
        Subject::Run,
        "the run has not ended, or was killed before it was judged: `splitbrain analyze` this folder",
    );
    let results = RunResults::new(meta, vec![pending], &History::default());
    run.write_atomic(splitbrain_results::store::files::RESULTS, results.to_json().as_bytes())?;
    Ok(())
}

/// How the notes [`explain`] derives from the checks begin (`analyze` drops them before it
/// judges again, so they are not doubled).
pub const DERIVED_NOTES: [&str; 3] =
    ["the resource ran open", "how the dual write happened:", "why the cluster did not converge:"];

/// True for a note [`explain`] made (as opposed to one about the run itself).
pub fn is_derived(note: &str) -> bool {
    DERIVED_NOTES.iter().any(|p| note.starts_with(p))
}

/// Sentences that say what the run's options mean for what was found, and how the first dual
/// write came about ([`super::story`]).
pub fn explain(options: &Value, checks: &[CheckResult], history: &History) -> Vec<String> {
    let failed = |kind: CheckerKind| {
        checks.iter().find(|c| c.checker == kind && c.verdict == Verdict::Invalid)
    };
    let open = options.get("resource").and_then(Value::as_str) == Some("open");
    let story = failed(CheckerKind::DualWriter).and_then(|c| story::dual_write(history, c));
    let mut notes = Vec::new();
    match (open, story) {
        (true, Some(story)) => notes.push(format!(
            "the resource ran open (--resource open) and accepted every write whatever its \
             token: {story} {}",
            fencing_moral(checks)
        )),
        (true, None)
            if failed(CheckerKind::DualWriter).is_some()
                || failed(CheckerKind::Fencing).is_some() =>
        {
            notes.push(format!(
                "the resource ran open (--resource open): it accepted every write whatever its \
                 token. A deposed leader (paused or cut off) wrote after its successor had begun \
                 to write, before it learned that it was deposed. {}",
                fencing_moral(checks)
            ))
        }
        (true, None) if tokenless(checks) => notes.push(
            "the resource ran open: the writes carried no token (the election gives none, or \
             the writers drop it), so there was nothing to fence; this run shows what the \
             election alone guarantees."
                .to_string(),
        ),
        (true, None) => notes.push(
            "the resource ran open (--resource open): nothing was fenced, so this run shows \
             what the election alone guarantees."
                .to_string(),
        ),
        (false, Some(story)) => notes.push(format!("how the dual write happened: {story}")),
        (false, None) => {}
    }
    if let Some(story) =
        failed(CheckerKind::Convergence).and_then(|c| story::non_convergence(history, c))
    {
        notes.push(format!("why the cluster did not converge: {story}"));
    }
    notes
}

/// True when fencing did not apply: no write reached the resource with a token.
fn tokenless(checks: &[CheckResult]) -> bool {
    checks.iter().any(|c| c.checker == CheckerKind::Fencing && c.verdict == Verdict::NotApplicable)
}

/// What fencing would have done: refuse the lower token, unless the writes carried none.
fn fencing_moral(checks: &[CheckResult]) -> &'static str {
    match tokenless(checks) {
        true => {
            "Election alone cannot prevent this; a fencing token can, but these writes \
                 carried none, so not even a fenced resource could have refused them."
        }
        false => {
            "Election alone cannot prevent this; a fencing token can: with --resource \
                  fenced the resource refuses the lower token."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_open_resource_with_a_dual_write_is_explained_as_the_case_for_fencing() {
        let bad = CheckResult::invalid(CheckerKind::DualWriter, "n1 wrote after n2", vec![3, 9]);
        let none = History::default();
        let notes = explain(&json!({"resource": "open"}), std::slice::from_ref(&bad), &none);
        assert!(notes[0].contains("fencing token"), "{notes:?}");
        assert!(notes.iter().all(|n| is_derived(n)));
        assert!(explain(&json!({"resource": "fenced"}), &[bad], &none).is_empty());
    }

    #[test]
    fn an_open_resource_without_tokens_is_explained_as_the_only_mode_there_is() {
        let na = CheckResult::not_applicable(CheckerKind::Fencing, "no token");
        let notes = explain(&json!({"resource": "open"}), &[na], &History::default());
        assert!(notes[0].contains("the writes carried no token"), "{notes:?}");
        assert!(!notes[0].contains("--resource"), "{notes:?}");
        assert!(notes.iter().all(|n| is_derived(n)));
    }

    #[test]
    fn what_a_run_must_show_comes_back_from_stored_options() {
        let e = expected(&json!({"leader_timeout_s": 2.0, "nemesis": ["pause", "kill"]}));
        assert_eq!(e.leader_within, Some(Duration::from_secs(2)));
        assert_eq!(e.faults, ["pause", "kill"]);
        assert_eq!(expected(&json!({})), Expected::bare());
    }

    #[test]
    fn parameters_come_back_from_stored_options() {
        let p = Params::from_options(&json!({"settle_s": 1.5, "convergence_bound_s": 4.0}));
        assert_eq!(
            (p.settle, p.bound, p.max_failover),
            (Duration::from_millis(1500), Duration::from_secs(4), None)
        );
    }
}
