//! `splitbrain drill FILE.toml`: a night's scenarios, one result for the night, trends across
//! nights. Exit 0 when every scenario met its expectation (and its bounds, and no gated figure
//! regressed), 1 when one did not, 2 when nothing could be judged, 254 for a bad drill file.
//!
//! Neighbours: [`file`](mod@file) reads the drill file, [`scenario`] plans each scenario with `test`'s own
//! parser and planner, [`night`] runs them in one sandbox, [`judge`] makes each scenario's
//! record, [`output`] writes the night's files and prints its summary. The records, trends and
//! renderers are `splitbrain_results::drill`.
//!
//! Design: every scenario is planned before the sandbox is entered, so a mistake anywhere in
//! the file is a 254 that starts nothing. The night's folder is made only then.

mod file;
mod judge;
mod night;
mod output;
mod scenario;

use crate::exit::bad_input;
use splitbrain_results::drill::{DrillDir, DrillRecord, Outcome};
use splitbrain_results::stamp;
use std::path::PathBuf;
use std::time::SystemTime;

/// Arguments of `splitbrain drill`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The drill file (TOML): its scenarios, expectations, bounds and trend rules.
    pub file: PathBuf,
    /// Where nights are stored (`<store>/drills/<drill>/<night>/`); keep it between nights.
    #[arg(long, default_value = "store")]
    pub store: PathBuf,
    /// The drill's seed: scenarios that name no seed run from it [default: a fresh one].
    #[arg(long, allow_hyphen_values = true, value_parser = crate::cmd::values::seed)]
    pub seed: Option<u64>,
}

/// Runs `drill`: must be called before the process starts any thread.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let f = file::DrillFile::load(&args.file).map_err(|e| bad_input(e.to_string()))?;
    if let Some(why) = crate::cmd::paths::store_problem(&args.store) {
        return Err(bad_input(format!(
            "--store {why}; give a folder you can write (it is made if missing)"
        )));
    }
    let dir = DrillDir::new(&std::path::absolute(&args.store)?, &f.name)
        .map_err(|e| bad_input(e.to_string()))?;
    let started = SystemTime::now();
    let stamp = DrillDir::stamp(started);
    let night_dir = dir.path().join(&stamp);
    let runs = scenario::runs_folder(&night_dir);
    let seed = args.seed.unwrap_or_else(crate::controller::seed::fresh);
    let mut planned = Vec::new();
    for spec in f.scenarios {
        planned.push(scenario::plan(&f.path, spec, &runs, seed)?);
    }
    let sandbox = crate::cmd::test::enter()?;
    let night_dir = dir.create_night(&stamp)?;
    eprintln!(
        "splitbrain drill: {} ({} scenarios, seed {seed}): {}",
        f.name,
        planned.len(),
        night_dir.display()
    );
    let record = DrillRecord {
        format: splitbrain_results::drill::record::FORMAT,
        drill: f.name.clone(),
        file: f.path.display().to_string(),
        night: stamp,
        started: stamp::rfc3339(started),
        ended: None,
        seed,
        interrupted: false,
        outcome: Outcome::Unknown,
        trends: f.rules,
        scenarios: Vec::new(),
    };
    let mut n = night::Night { dir: &night_dir, record, earlier: dir.nights() };
    night::run(&sandbox, &planned, &mut n)?;
    n.record.ended = Some(stamp::rfc3339(SystemTime::now()));
    n.record.settle();
    output::write(&night_dir, &n.record)?;
    let pruned = match f.keep_nights {
        Some(keep) => dir.prune(keep)?,
        None => Vec::new(),
    };
    crate::exit::printed(output::summary(&night_dir, &n.record, &pruned))?;
    Ok(n.record.outcome.exit_code())
}

#[cfg(test)]
mod tests;
