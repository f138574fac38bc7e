//! What a splitbrain run leaves behind, and what a person sees while it runs.
//!
//! - [`writer`]: the crash-safe `history.jsonl` writer, shared by every recording thread.
//! - [`store`]: `store/<test>/<timestamp>/`, the `latest` links, the list of runs.
//! - [`summary`]: `results.json` ([`RunResults`]): verdicts, evidence, figures, how to
//!   reproduce.
//! - [`junit`], [`report`]: `junit.xml` for CI, `report.html` for people; [`output`] writes
//!   all three result files into a run folder.
//! - [`terminal`], [`status`], [`live`]: the end-of-run summary, the live status line, and the
//!   running state that feeds it.
//! - [`faults`], [`ops`], [`evidence`], [`stamp`]: pieces the others share (fault windows,
//!   client operations and latency, quoting history lines, timestamps).
//!
//! A controller's run, in order:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use splitbrain_results::{output, store::Store, summary::{RunMeta, RunResults}, writer::{Event, HistoryWriter}};
//! use std::{sync::Arc, time::SystemTime};
//! let started = SystemTime::now();
//! let run = Store::new("store").create_run("raft-partition", started)?;
//! let history = Arc::new(HistoryWriter::create(run.history())?);
//! let rec = history.append(Event::invoke(0, "write", serde_json::json!({"value": 1})).node("n1"))?;
//! # let _ = rec;
//! // … clients, node readers, the resource and the nemesis append; the test ends …
//! history.sync()?;
//! let h = splitbrain_checkers::History::default(); // read back with the checkers' reader
//! let meta = RunMeta::new("raft-partition", 7, std::env::args().collect(), started);
//! let results = RunResults::new(meta, Vec::new(), &h);
//! output::write_results(&run, &results, &h)?;
//! # Ok(()) }
//! ```

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
