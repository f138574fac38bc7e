//! Writing a run's result files: results.json, junit.xml and report.html, each atomically.
//!
//! Neighbours: renders through [`crate::junit`] and [`crate::report`]; writes into a
//! [`RunDir`] of [`crate::store`]. The controller calls [`write_results`] at the end of a run;
//! `analyze` calls it again after re-checking.
//!
//! Design: results.json is written first, so a run interrupted while rendering still has its
//! verdict; each file replaces the old one by rename, so a browser or CI never reads half.

use crate::digest::Digest;
use crate::store::{files, RunDir, StoreError};
use crate::summary::RunResults;
use crate::{junit, report};
use std::path::PathBuf;

/// Where the result files went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// results.json.
    pub results: PathBuf,
    /// junit.xml.
    pub junit: PathBuf,
    /// report.html.
    pub report: PathBuf,
}

/// Writes results.json, junit.xml and report.html of a run into its folder; `digest` holds the
/// records they quote and plot.
pub fn write_results(
    run: &RunDir,
    results: &RunResults,
    digest: &Digest,
) -> Result<Written, StoreError> {
    let results_path = run.write_atomic(files::RESULTS, results.to_json().as_bytes())?;
    let junit = junit::render(results, &digest.kept);
    let junit_path = run.write_atomic(files::JUNIT, junit.as_bytes())?;
    let html = report::render_digest(results, digest);
    let report_path = run.write_atomic(files::REPORT, html.as_bytes())?;
    Ok(Written { results: results_path, junit: junit_path, report: report_path })
}
