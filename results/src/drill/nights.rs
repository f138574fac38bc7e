//! A drill's nights in the store: where they live, reading the earlier ones back, keeping only
//! the newest `keep_nights`.
//!
//! Layout:
//!
//! ```text
//! store/drills/<drill>/<night>/           e.g. 20261202T020000.000Z
//!   drill.json drill.html junit.xml
//!   runs/<scenario>/<seed>/               each a normal run folder (report.html, …)
//! ```
//!
//! Neighbours: the harness creates a night with [`DrillDir::create_night`]; [`super::trend`]
//! gets its earlier values from [`earlier_values`]; `serve` lists drills with [`drills`].
//!
//! Design: a night counts for trends only once its drill.json is written (a night killed before
//! then is skipped); nights sort by their folder stamp, which sorts by time.

use super::figures::Figure;
use super::record::DrillRecord;
use super::trend::Point;
use crate::stamp;
use crate::store::{check_name, StoreError};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The file names of a night.
pub mod files {
    /// The night's record.
    pub const RECORD: &str = "drill.json";
    /// The night's page.
    pub const PAGE: &str = "drill.html";
    /// The night's JUnit.
    pub const JUNIT: &str = "junit.xml";
    /// The folder of its runs.
    pub const RUNS: &str = "runs";
    /// The folder of every drill in a store.
    pub const DRILLS: &str = "drills";
}

/// One drill's folder: `store/drills/<drill>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillDir {
    path: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

impl DrillDir {
    /// The folder of drill `name` in `store` (not created).
    pub fn new(store: &Path, name: &str) -> Result<DrillDir, StoreError> {
        check_name("drill", name)?;
        Ok(DrillDir { path: store.join(files::DRILLS).join(name) })
    }

    /// The drill's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stamp a night started at `started` gets.
    pub fn stamp(started: SystemTime) -> String {
        stamp::folder_stamp(started)
    }

    /// Creates the night's folder `<stamp>/` (with `runs/`) and returns it.
    pub fn create_night(&self, stamp: &str) -> Result<PathBuf, StoreError> {
        let night = self.path.join(stamp);
        let runs = night.join(files::RUNS);
        fs::create_dir_all(&runs).map_err(io_err(&runs))?;
        Ok(night)
    }

    /// Every night with a readable drill.json, oldest first.
    pub fn nights(&self) -> Vec<DrillRecord> {
        let mut nights: Vec<DrillRecord> = self
            .stamps()
            .iter()
            .filter_map(|s| fs::read_to_string(self.path.join(s).join(files::RECORD)).ok())
            .filter_map(|text| DrillRecord::from_json(&text).ok())
            .collect();
        nights.sort_by(|a, b| a.night.cmp(&b.night));
        nights
    }

    /// The night folders' stamps, oldest first.
    fn stamps(&self) -> Vec<String> {
        let mut stamps: Vec<String> = fs::read_dir(&self.path)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| stamp::is_folder_stamp(n))
            .collect();
        stamps.sort();
        stamps
    }

    /// Deletes every night but the newest `keep`; returns the stamps deleted.
    pub fn prune(&self, keep: usize) -> Result<Vec<String>, StoreError> {
        let stamps = self.stamps();
        let old = &stamps[..stamps.len().saturating_sub(keep)];
        for s in old {
            let dir = self.path.join(s);
            fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        }
        Ok(old.to_vec())
    }
}

/// The values of `figure` for scenario `name` with options hash `hash` over `nights` (those
/// before tonight, oldest first), skipping nights where it did not run or did not measure it.
pub fn earlier_values(
    nights: &[DrillRecord],
    name: &str,
    hash: &str,
    figure: Figure,
) -> Vec<Point> {
    let value = |n: &DrillRecord| {
        let s = n.scenarios.iter().find(|s| s.name == name && s.options_hash == hash)?;
        let v = s.figures.get(figure)?;
        Some(Point { night: n.night.clone(), value: v })
    };
    nights.iter().filter_map(value).collect()
}

/// Every drill in `store`: its name and its nights, oldest first (drills without a readable
/// night left out).
pub fn drills(store: &Path) -> Vec<(String, Vec<DrillRecord>)> {
    let root = store.join(files::DRILLS);
    let mut names: Vec<String> = fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| check_name("drill", n).is_ok())
        .collect();
    names.sort();
    let with_nights = |n: String| {
        let nights = DrillDir { path: root.join(&n) }.nights();
        (!nights.is_empty()).then_some((n, nights))
    };
    names.into_iter().filter_map(with_nights).collect()
}
