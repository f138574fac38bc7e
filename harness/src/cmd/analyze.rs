//! `splitbrain analyze DIR`: judge a stored run again (with this build's checkers) and rewrite
//! its results.json, junit.xml and report.html; exit with the verdict.
//!
//! Neighbours: the judging is `crate::controller::judge`, the same as at the end of a test;
//! the run's facts (seed, command, options) come from its results.json, which a run writes
//! when it begins, so even a run whose controller was killed can be analyzed.

use crate::controller::judge::{self, Params};
use crate::exit::bad_input;
use splitbrain_results::{RunDir, RunMeta, RunResults};
use std::path::PathBuf;
use std::time::SystemTime;

/// Arguments of `splitbrain analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The run's folder (`store/<test>/<timestamp>`, or `store/latest`).
    pub dir: PathBuf,
}

/// Runs `analyze`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.dir.is_file() {
        return Err(bad_input(format!(
            "{}: is a file; give the run's folder (the one that holds history.jsonl)",
            args.dir.display()
        )));
    }
    let run = RunDir::open(&args.dir).map_err(|e| {
        bad_input(format!(
            "{e}; give a run folder such as store/latest or store/<test>/<timestamp>"
        ))
    })?;
    if !run.history().is_file() {
        return Err(bad_input(format!("{}: no history.jsonl to analyze", run.path().display())));
    }
    refuse_empty(&run)?;
    if let Some(e) = crate::cmd::paths::unwritable(run.path()) {
        return Err(bad_input(format!(
            "{}: cannot write the new results there: {e}; analyze it as the user who owns it, or analyze a copy (cp -r)",
            run.path().display()
        )));
    }
    let mut meta = meta_of(&run);
    // Notes derived from the checks are made again by the judge; keep only the run's own.
    meta.notes.retain(|n| !judge::is_derived(n));
    let params = Params::from_options(&meta.options);
    let judged =
        judge::judge(&run, meta, &params).map_err(|e| match e
            .downcast_ref::<splitbrain_checkers::reader::ReadError>()
        {
            Some(_) => bad_input(crate::exit::one_line_chain(&e)),
            None => e,
        })?;
    judged.print_summary();
    Ok(judged.exit_code())
}

/// A history without a record (a run that ended before it recorded anything) has nothing to
/// judge again; its results.json, which says why, is left as it is.
fn refuse_empty(run: &RunDir) -> anyhow::Result<()> {
    let size = std::fs::metadata(run.history()).map_or(1, |m| m.len());
    match size {
        0 => Err(bad_input(format!("{}: no records; nothing to analyze", run.history().display()))),
        _ => Ok(()),
    }
}

/// The run's facts from its results.json, or, without one, what the folder itself says.
fn meta_of(run: &RunDir) -> RunMeta {
    if let Ok(r) = RunResults::read(&run.results()) {
        return r.run;
    }
    let test = run
        .path()
        .parent()
        .and_then(|p| p.file_name())
        .map_or("unknown".into(), |n| n.to_string_lossy().into_owned());
    let mut meta = RunMeta::new(&test, 0, Vec::new(), SystemTime::now());
    meta.notes
        .push("results.json was missing: the seed and the command of this run are unknown".into());
    meta
}
