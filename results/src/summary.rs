//! `results.json`: everything a run decided and everything needed to reproduce it.
//!
//! Neighbours: the controller builds a [`RunResults`] after checking; `analyze` reads it back,
//! replaces the checks with [`RunResults::set_checks`] and writes it again; [`crate::junit`],
//! [`crate::report`] and [`crate::terminal`] render it; `serve` reads only its `verdict`.
//!
//! Design: one struct that serializes both ways, with the run's own facts ([`RunMeta`],
//! flattened to the top level) kept apart from what is derived from the history and the
//! checks, so re-checking recomputes the derived part and cannot lose the facts. Unknown
//! fields are ignored on reading, so a newer file still reads; `format` says which shape wrote
//! it. Times are RFC 3339 UTC text (a person reads this file too).

use crate::digest::tally::Figures;
use crate::ops::OpStats;
use crate::stamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use splitbrain_checkers::tested::run_verdict;
use splitbrain_checkers::{CheckResult, CheckerKind, History, Verdict};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// The shape version this code writes.
pub const FORMAT: u32 = 1;

/// The run's own facts: who ran what, when, and how to run it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// The test's name (the store folder).
    pub test: String,
    /// The seed that fed every random choice.
    pub seed: u64,
    /// The exact command that reproduces the run, one argument per item (with `--seed`).
    pub command: Vec<String>,
    /// When the test started (RFC 3339 UTC): use [`stamp::rfc3339`].
    pub started: String,
    /// When it ended (absent while it runs, or when it died).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// The version of splitbrain that ran it.
    pub splitbrain_version: String,
    /// Versions of the target's binaries, by binary name (`etcd` → `3.4.23`).
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    /// The options of the run as the controller resolved them (nodes, nemesis, time limit, …).
    #[serde(default)]
    pub options: Value,
    /// Things a person must know about the run as a whole: "no leader was ever elected",
    /// "interrupted by Ctrl-C after 12.3 s".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl RunMeta {
    /// The facts of a run started now with this command; the rest is filled by the caller.
    pub fn new(test: &str, seed: u64, command: Vec<String>, started: SystemTime) -> RunMeta {
        RunMeta {
            test: test.to_string(),
            seed,
            command,
            started: stamp::rfc3339(started),
            ended: None,
            splitbrain_version: String::new(),
            versions: BTreeMap::new(),
            options: Value::Object(Default::default()),
            notes: Vec::new(),
        }
    }

    /// The command as one line a shell runs as it was given (arguments quoted where needed).
    pub fn command_line(&self) -> String {
        shell_line(&self.command)
    }
}

/// What results.json holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// The shape version ([`FORMAT`]).
    pub format: u32,
    /// The run's verdict: `unknown` when it tested nothing ([`RunResults::nothing_tested`]), else
    /// the merge of every check (not-applicable left out; invalid > unknown > valid).
    pub verdict: Verdict,
    /// Why the run tested nothing, when it did ("no node was elected within 10 s: nothing was
    /// tested"): then the verdict is `unknown` whatever the checks say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nothing_tested: Option<String>,
    /// The run's own facts.
    #[serde(flatten)]
    pub run: RunMeta,
    /// Every checker's result, in the order they ran.
    pub checks: Vec<CheckResult>,
    /// The liveness figures (a copy of the `liveness` check's `details`), when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Value>,
    /// Client operation counts and latency quantiles, per operation name.
    #[serde(default)]
    pub operations: Vec<OpStats>,
    /// Facts about the history file itself.
    pub history: HistoryFacts,
}

/// Facts about the recorded history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryFacts {
    /// Records read.
    pub records: u64,
    /// The last record's time (ns since the test started).
    pub duration_ns: u64,
    /// What the reader noticed (a cut-off last line dropped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Why results.json could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a results.json this version understands.
    #[error("{path}: not a splitbrain results.json: {source}")]
    Parse {
        /// The file.
        path: String,
        /// The cause.
        source: serde_json::Error,
    },
}

impl RunResults {
    /// The results of a run: its facts, its checks, and what the history (held whole) says.
    pub fn new(run: RunMeta, checks: Vec<CheckResult>, history: &History) -> RunResults {
        RunResults::with_figures(run, checks, Figures::of(history))
    }

    /// The results of a run whose figures were counted as its history streamed by.
    pub fn with_figures(run: RunMeta, checks: Vec<CheckResult>, figures: Figures) -> RunResults {
        let mut results = RunResults {
            format: FORMAT,
            verdict: Verdict::Unknown,
            nothing_tested: None,
            run,
            checks: Vec::new(),
            liveness: None,
            operations: figures.operations,
            history: figures.history,
        };
        results.replace_checks(checks);
        results
    }

    /// Replaces the checks (after re-checking) and recomputes everything derived from them and
    /// from the history: the verdict, the liveness copy, the operation figures.
    pub fn set_checks(&mut self, checks: Vec<CheckResult>, history: &History) {
        let figures = Figures::of(history);
        (self.operations, self.history) = (figures.operations, figures.history);
        self.replace_checks(checks);
    }

    /// Replaces the checks and what is derived from them alone (the verdict, the liveness
    /// copy), keeping the figures of the history.
    pub fn replace_checks(&mut self, checks: Vec<CheckResult>) {
        self.verdict = run_verdict(&checks, self.nothing_tested.as_deref());
        self.liveness =
            checks.iter().find(|c| c.checker == CheckerKind::Liveness).map(|c| c.details.clone());
        self.checks = checks;
    }

    /// The same results, judged as a run that tested nothing when `why` says so
    /// (`splitbrain_checkers::tested`): the verdict is then `unknown`.
    pub fn with_nothing_tested(mut self, why: Option<String>) -> RunResults {
        self.nothing_tested = why;
        self.verdict = run_verdict(&self.checks, self.nothing_tested.as_deref());
        self
    }

    /// The results that are invalid or unknown, in check order (not the not-applicable ones).
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| matches!(c.verdict, Verdict::Invalid | Verdict::Unknown))
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("results always serialize");
        s.push('\n');
        s
    }

    /// Parses results.json text.
    pub fn from_json(text: &str) -> Result<RunResults, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Reads a results.json file.
    pub fn read(path: &Path) -> Result<RunResults, ResultsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ResultsError::Io { path: name.clone(), source })?;
        RunResults::from_json(&text).map_err(|source| ResultsError::Parse { path: name, source })
    }
}

/// Joins arguments into one shell line, quoting each that a POSIX shell would split or expand.
pub fn shell_line(args: &[String]) -> String {
    args.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
