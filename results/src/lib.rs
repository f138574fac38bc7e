//! What a splitbrain run leaves behind, and what a person sees while it runs.
//!
//! - [`writer`]: the crash-safe `history.jsonl` writer, shared by every recording thread.
//! - [`store`]: `store/<test>/<timestamp>/`, the `latest` links, the list of runs.
//! - [`summary`]: `results.json` ([`RunResults`]): verdicts, evidence, figures, how to
//!   reproduce.
//! - [`junit`], [`report`]: `junit.xml` for CI, `report.html` for people (and
//!   [`report::index`], the store's index page for `serve`); [`output`] writes the three
//!   result files into a run folder.
//! - [`terminal`], [`status`], [`live`]: the end-of-run summary, the live status line, and the
//!   running state that feeds it.
//! - [`digest`]: the records the reports show, in bounded memory (a long run's sampled), and
//!   the figures counted as the history streams by.
//! - [`drill`]: a drill's nights (drill.json, drill.html, its JUnit, trends across nights).
//! - [`faults`], [`ops`], [`evidence`], [`liveness`], [`stamp`]: pieces the others share
//!   (fault windows, client operations and latency, quoting evidence, the liveness figures,
//!   timestamps). [`sample`]: a synthetic run for demos and tests.
//!
//! # A controller's run, in order
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use splitbrain_results::{live::LiveTracker, output, status::StatusLine, terminal};
//! use splitbrain_results::{Event, HistoryWriter, RunMeta, RunResults, Store};
//! use std::time::{Duration, SystemTime};
//! let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
//! let started = SystemTime::now();
//! // 1. The run folder (both `latest` links now point at it) and the history.
//! let run = Store::new("store").create_run("raft-partition", started)?;
//! let history = HistoryWriter::create(run.history())?; // time 0 is now
//! let log_dir = run.node_dir("n1")?; // nodes/n1/: put n1's process output here
//! # let _ = log_dir;
//! // 2. Record as things happen, from any thread (share the writer with Arc), and show it.
//! let mut live = LiveTracker::new(&nodes);
//! let mut line = StatusLine::stderr(Duration::from_secs(5));
//! let rec = history.append(Event::invoke(0, "write", serde_json::json!({"value": 1})).node("n1"))?;
//! live.observe(&rec); // in file order: hold one lock around append + observe
//! line.update(&live.status(history.start().elapsed(), Duration::from_secs(60)))?;
//! // 3. At the end: flush, read back, check, write the results, print the summary.
//! line.finish()?;
//! history.sync()?;
//! let h = splitbrain_checkers::reader::read_path(run.history())?;
//! let checks = Vec::new(); // splitbrain_checkers::registry::run(&checkers, &h)
//! let mut meta = RunMeta::new("raft-partition", 7, std::env::args().collect(), started);
//! meta.ended = Some(splitbrain_results::stamp::rfc3339(SystemTime::now()));
//! let results = RunResults::new(meta, checks, &h);
//! // A long run streams instead: the checkers with a `digest::tally::Tally` beside them
//! // (`RunResults::with_figures`), then `digest::Digest::read` keeps a sample.
//! let digest = splitbrain_results::digest::Digest::whole(h);
//! let written = output::write_results(&run, &results, &digest)?;
//! let style = terminal::Style::stderr();
//! let report = Some(written.report.as_path());
//! terminal::print_summary(&mut std::io::stderr(), &results, &digest.kept, report, style)?;
//! std::process::exit(results.verdict.exit_code());
//! # }
//! ```
//!
//! `analyze DIR`: [`store::RunDir::open`], [`RunResults::read`] of `results.json`, read the
//! history, re-run the checkers, [`RunResults::set_checks`], [`output::write_results`].
//! `serve`: [`Store::runs`] and [`report::index::render`] for `/`, the store's files for the
//! rest.
//!
//! # What the caller must keep to
//!
//! - One [`HistoryWriter`] per run, created before the first record; every record of the run
//!   goes through it (it alone assigns `index` and `time`). Its clock starts at
//!   [`HistoryWriter::create`] (or at the `Instant` given to [`HistoryWriter::create_at`]).
//! - [`LiveTracker::observe`](live::LiveTracker::observe) wants records in file order: observe
//!   under the same lock as the append (the writer's own lock is then uncontended).
//! - [`RunMeta::command`](summary::RunMeta::command) is the command that reproduces the run:
//!   include `--seed` with the seed actually used, and every option that changed anything.
//! - Write results only after the writer is done (and synced); `write_results` may be called
//!   again (`analyze`): each file is replaced whole.
//! - [`status::StatusLine`] writes to stderr; print other output through
//!   [`StatusLine::log`](status::StatusLine::log) while it is shown, and call `finish` before
//!   the summary.

pub mod digest;
pub mod drill;
pub mod evidence;
pub mod faults;
pub mod junit;
pub mod live;
pub mod liveness;
pub mod ops;
pub mod output;
pub mod report;
pub mod sample;
pub mod stamp;
pub mod status;
pub mod store;
pub mod summary;
pub mod terminal;
pub mod writer;

pub use store::{RunDir, Store};
pub use summary::{RunMeta, RunResults};
pub use writer::{Event, HistoryWriter};
