//! `splitbrain check HISTORY`: run checkers on a recorded history and print their verdicts.
//!
//! Neighbours: `splitbrain_checkers::reader` reads the file (its errors are bad input, 254);
//! `splitbrain_checkers::registry` builds and runs the checkers; `crate::exit` maps the outcome.
//!
//! Design: a history.jsonl is streamed through the checkers (`registry::run_path_observed`),
//! never held whole, so a history of hours is checked in bounded memory; another tool's format
//! is small and read whole.
//!
//! Output: one line per checker (`name  verdict  sentence`), warnings on stderr, then the merged
//! verdict; or with `--json` one JSON object: `{history, records, verdict, nothing_tested,
//! warnings, results}`.
//!
//! A bare history has no stored options, so of the "tested nothing" rule
//! (`splitbrain_checkers::tested`) it applies what needs none: no node ever elected, no
//! completed write. Only to splitbrain's own register histories: another tool's history, or
//! another model's operations, have no elections or no writes to look for.

use crate::cmd::values::{positive_seconds, seconds};
use crate::exit::{bad_input, printed};
use serde::Serialize;
use splitbrain_checkers::formats::Format;
use splitbrain_checkers::linear::{Census, FailedCas, ModelKind};
use splitbrain_checkers::registry::{self, Options};
use splitbrain_checkers::tested::{run_verdict, Expected, Watch};
use splitbrain_checkers::{CheckResult, Checker, CheckerKind, Fed, History, Verdict};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Arguments of `splitbrain check`.
#[derive(clap::Args)]
pub struct Args {
    /// The history file (history.jsonl), or a run's folder holding one.
    pub history: PathBuf,
    /// Checkers to run, comma-separated [default: election-safety,fencing,dual-writer; with
    /// --model or a foreign --format: linearizable].
    /// Known: election-safety, fencing, dual-writer, convergence, liveness, linearizable.
    #[arg(long = "checker", value_delimiter = ',', value_parser = checker)]
    pub checkers: Vec<CheckerKind>,
    /// Print the whole result as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// convergence: seconds the run let the cluster settle after the last fault [default: 0].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = seconds)]
    pub settle: Option<Duration>,
    /// convergence: seconds after settling within which some node must be elected
    /// [default: 10].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = positive_seconds)]
    pub bound: Option<Duration>,
    /// linearizable: the model of the client operations: register, cas-register, kv or mutex
    /// [default: register].
    #[arg(long, value_parser = ModelKind::from_str)]
    pub model: Option<ModelKind>,
    /// The file's format: history (history.jsonl), jepsen-log, jepsen-edn or porcupine-kv.
    #[arg(long, default_value = "history", value_parser = format)]
    pub format: InputFormat,
    /// liveness: longest acceptable failover in seconds (without it liveness gives figures only).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = positive_seconds)]
    pub max_failover: Option<Duration>,
}

/// The format of the file `check` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// splitbrain's history.jsonl.
    History,
    /// Another tool's history, read by `splitbrain_checkers::formats`.
    Foreign(Format),
}

impl InputFormat {
    fn foreign(self) -> Option<Format> {
        match self {
            InputFormat::History => None,
            InputFormat::Foreign(f) => Some(f),
        }
    }
}

fn format(s: &str) -> Result<InputFormat, String> {
    if s == "history" {
        return Ok(InputFormat::History);
    }
    Format::from_str(s).map(InputFormat::Foreign)
}

/// What `check` decided: the verdict, why nothing was tested (if so), every checker's result.
struct Judged {
    verdict: Verdict,
    nothing_tested: Option<String>,
    results: Vec<CheckResult>,
}

/// What `--json` prints.
#[derive(Serialize)]
struct Report<'a> {
    history: String,
    records: u64,
    verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    nothing_tested: Option<&'a str>,
    warnings: &'a [String],
    results: &'a [CheckResult],
}

/// What the pass over the history saw besides the checkers' results.
#[derive(Default)]
struct Seen {
    records: u64,
    warnings: Vec<String>,
    watch: Watch,
    census: Census,
}

impl Seen {
    fn feed(&mut self, r: &Fed<'_>) {
        self.watch.feed(r);
        self.census.feed(r);
    }
}

impl Args {
    /// `check FILE --checker <every checker>` with default parameters (the benchmark's).
    pub fn every_checker(history: PathBuf) -> Args {
        Args {
            history,
            checkers: CheckerKind::all().collect(),
            json: false,
            settle: None,
            bound: None,
            model: None,
            format: InputFormat::History,
            max_failover: None,
        }
    }
}

/// Runs `check`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let (seen, judged) = judge(&args)?;
    printed(match args.json {
        true => print_json(&args.history, &seen, &judged),
        false => print_human(&args.history, &seen, &judged),
    })?;
    Ok(judged.verdict.exit_code() as u8)
}

/// Runs `check` and prints only the verdict line (the benchmark's measured run).
pub fn run_quietly(args: Args) -> anyhow::Result<u8> {
    let (seen, judged) = judge(&args)?;
    let line = format!("verdict: {} ({} records)", judged.verdict, seen.records);
    printed(writeln!(std::io::stdout(), "{line}"))?;
    Ok(judged.verdict.exit_code() as u8)
}

fn judge(args: &Args) -> anyhow::Result<(Seen, Judged)> {
    splitbrain_checkers::reader::grow_heap_in_large_steps();
    let checkers = registry::build_all(&chosen(args), &options(args));
    flags_fit_checkers(args)?;
    let linear = chosen(args).contains(&CheckerKind::Linearizable);
    let (results, seen) = match args.format.foreign() {
        Some(format) => in_memory(&checkers, read_foreign(&args.history, format)?),
        None => streamed(&checkers, &args.history).map_err(|e| format_hint(e, linear))?,
    };
    if seen.records == 0 {
        return Err(bad_input(format!(
            "{}: no records; give a history with at least one record",
            history_file(&args.history).display()
        )));
    }
    if linear {
        fits_model(args, &seen.census)?;
    }
    let nothing = match own_register_history(args) {
        true => seen.watch.nothing_tested(&Expected::bare()),
        false => None,
    };
    let verdict = run_verdict(&results, nothing.as_deref());
    Ok((seen, Judged { verdict, nothing_tested: nothing, results }))
}

/// A foreign history, read whole, checked in memory.
fn in_memory(checkers: &[Box<dyn Checker>], h: History) -> (Vec<CheckResult>, Seen) {
    let mut seen = Seen::default();
    h.records.iter().for_each(|r| seen.feed(&Fed::of(r)));
    seen.records = h.records.len() as u64;
    seen.warnings = h.warnings.clone();
    (registry::run(checkers, &h), seen)
}

/// A history.jsonl, streamed through the checkers a block at a time: memory is bounded by
/// what the checkers keep, not by the length of the file.
fn streamed(
    checkers: &[Box<dyn Checker>],
    path: &Path,
) -> anyhow::Result<(Vec<CheckResult>, Seen)> {
    let file = history_path(path)?;
    let mut seen = Seen::default();
    let (results, read) = registry::run_path_observed(checkers, &file, |r| seen.feed(r))
        .map_err(|e| bad_input(e.to_string()))?;
    seen.records = read.records;
    seen.warnings = read.warnings;
    Ok((results, seen))
}

/// True when the file is splitbrain's own history of register operations, the only kind the
/// bare "tested nothing" rule reads (elections and writes).
fn own_register_history(args: &Args) -> bool {
    args.format == InputFormat::History && matches!(args.model, None | Some(ModelKind::Register))
}

/// `--checker`'s value parser: a checker's name, or a one-line error listing every name.
fn checker(s: &str) -> Result<CheckerKind, String> {
    s.trim().parse().map_err(|_| {
        let names = splitbrain_checkers::kind::NAMES.join(", ");
        match s.trim().is_empty() {
            true => format!("an empty name in the list; use a comma list of {names}"),
            false => format!("{s}: no such checker; use a comma list of {names}"),
        }
    })
}

/// The checkers asked for, each once, in order; the safety checkers when none are.
fn chosen(args: &Args) -> Vec<CheckerKind> {
    let mut kinds: Vec<CheckerKind> = Vec::new();
    for &k in &args.checkers {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if kinds.is_empty() && (args.model.is_some() || args.format.foreign().is_some()) {
        kinds.push(CheckerKind::Linearizable);
    }
    if kinds.is_empty() {
        kinds = registry::safety_defaults();
    }
    kinds
}

fn options(args: &Args) -> Options {
    let mut o = Options::default();
    o.convergence.settle = args.settle.unwrap_or(Duration::ZERO);
    o.convergence.bound = args.bound.unwrap_or(Duration::from_secs(10));
    o.liveness.max_failover = args.max_failover;
    o.linear.model = args.model.unwrap_or(ModelKind::Register);
    // Jepsen's etcd client reports a cas that compared and found another value as :fail.
    if args.format.foreign() == Some(Format::JepsenLog) {
        o.linear.failed_cas = FailedCas::FoundOtherValue;
    }
    o
}

fn read_foreign(path: &Path, format: Format) -> anyhow::Result<History> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("{}: cannot read it: {e}", path.display())))?;
    // Other tools write a byte-order mark now and then; it is no part of the history.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    splitbrain_checkers::formats::parse(format, text).map_err(|e| {
        bad_input(format!(
            "{}: {e} (is --format right? history, jepsen-log, jepsen-edn or porcupine-kv)",
            path.display()
        ))
    })
}

/// A history.jsonl that does not read, checked for linearizability: perhaps another tool's.
fn format_hint(e: anyhow::Error, linear: bool) -> anyhow::Error {
    let text = format!("{e:#}");
    match linear && text.contains("not a history record") {
        true => bad_input(format!(
            "{text} (another tool's history? give --format jepsen-log, jepsen-edn or porcupine-kv)"
        )),
        false => e,
    }
}

/// The linearizable checker's model reads the history's client operations as well as any
/// model does: else `--model` is missing or wrong (bad input, naming the one to give).
fn fits_model(args: &Args, census: &Census) -> anyhow::Result<()> {
    let kind = options(args).linear.model;
    match census.misfit(kind) {
        Some(m) => Err(bad_input(format!("{}: {m}", args.history.display()))),
        None => Ok(()),
    }
}

/// The file a history path names: the path itself, or a run folder's history.jsonl.
fn history_file(path: &Path) -> PathBuf {
    match path.is_dir() {
        true => path.join("history.jsonl"),
        false => path.to_path_buf(),
    }
}

/// A flag that only one checker reads, given without that checker, would be silently ignored.
fn flags_fit_checkers(args: &Args) -> anyhow::Result<()> {
    let chosen = chosen(args);
    let flags = [
        ("--model", args.model.is_some(), CheckerKind::Linearizable),
        ("--settle", args.settle.is_some(), CheckerKind::Convergence),
        ("--bound", args.bound.is_some(), CheckerKind::Convergence),
        ("--max-failover", args.max_failover.is_some(), CheckerKind::Liveness),
    ];
    match flags.iter().find(|(_, given, checker)| *given && !chosen.contains(checker)) {
        Some((flag, _, checker)) => Err(bad_input(format!(
            "{flag} is for the {checker} checker, which this check does not run; add {checker} to --checker, or leave {flag} out"
        ))),
        None => Ok(()),
    }
}

/// The history file `path` names (itself, or a run folder's history.jsonl), or why there is
/// none to read.
fn history_path(path: &Path) -> anyhow::Result<PathBuf> {
    let inside = path.join("history.jsonl");
    if path.is_dir() && inside.is_file() {
        return Ok(inside); // a run's folder
    }
    if path.is_dir() {
        return Err(bad_input(format!(
            "{}: is a folder without a history.jsonl; give a history file, or a run folder that holds one",
            path.display()
        )));
    }
    if !path.exists() {
        return Err(bad_input(format!(
            "{}: no such file; give the path of a recorded history.jsonl",
            path.display()
        )));
    }
    Ok(path.to_path_buf())
}

fn print_human(path: &Path, h: &Seen, j: &Judged) -> std::io::Result<()> {
    for w in &h.warnings {
        eprintln!("warning: {w}");
    }
    let mut out = std::io::stdout().lock();
    let width = j.results.iter().map(|r| r.checker.name().len()).max().unwrap_or(0);
    for r in &j.results {
        let verdict = match r.verdict {
            Verdict::NotApplicable => "not applicable:".to_string(),
            v => format!("{:7} ", v.to_string()),
        };
        writeln!(out, "{:width$}  {verdict} {}", r.checker.name(), r.summary)?;
    }
    let n = h.records;
    let tested = j.nothing_tested.as_ref().map_or(String::new(), |why| format!(": {why}"));
    writeln!(out, "verdict: {}{tested} ({}, {n} records)", j.verdict, path.display())?;
    Ok(())
}

fn print_json(path: &Path, h: &Seen, j: &Judged) -> std::io::Result<()> {
    let report = Report {
        history: path.display().to_string(),
        records: h.records,
        verdict: j.verdict,
        nothing_tested: j.nothing_tested.as_deref(),
        warnings: &h.warnings,
        results: &j.results,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
