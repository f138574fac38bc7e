//! `splitbrain bench check`: the memory and time of `splitbrain check` with every checker on
//! long synthetic histories (1 and 10 million records by default). Each history is written
//! once ([`crate::cmd::synth`]); each run is a fresh `splitbrain` process that checks it
//! exactly as `splitbrain check --checker <all>` does and then reports its own peak resident
//! memory (`VmHWM` of /proc/self/status) and wall time; the figures printed are the medians.
//!
//! Neighbours: `crate::cmd::bench` parses the arguments; `crate::cmd::check` is what is
//! measured; the README quotes the figures with the command.
//!
//! Design: a process per run, so one run's heap is never counted in the next one's peak, and
//! the figure is the one a CI runner's memory limit sees. A run that does not say `valid`
//! fails the benchmark: figures for a check that found something (or nothing to test) would
//! measure another path.

use crate::cmd::check;
use crate::exit::printed;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What one run measured.
#[derive(Debug, Clone, Copy)]
struct Figures {
    peak_kb: u64,
    secs: f64,
}

/// Measures `check` on histories of each size in `records`, `runs` times each; exit 0 when every
/// run said valid, 1 otherwise.
/// With `keep`, the histories are written there and left.
pub fn run(records: &[u64], runs: usize, seed: u64, keep: Option<&Path>) -> anyhow::Result<u8> {
    let dir = tempfile::Builder::new().prefix("splitbrain-bench-check-").tempdir()?;
    let folder = keep.unwrap_or(dir.path());
    std::fs::create_dir_all(folder)?;
    let mut all_valid = true;
    for &n in records {
        let file = folder.join(format!("history-{n}.jsonl"));
        let written = crate::cmd::synth::write_history(&file, n, seed)?;
        let mb = std::fs::metadata(&file)?.len() as f64 / 1e6;
        let mut figures = Vec::new();
        for _ in 0..runs {
            match one_run(&file)? {
                Ok(f) => figures.push(f),
                Err(said) => {
                    all_valid = false;
                    printed(writeln!(std::io::stdout(), "check: {n} records: {said}"))?;
                }
            }
        }
        print_figures(written, mb, &figures)?;
        if keep.is_none() {
            std::fs::remove_file(&file)?;
        }
    }
    Ok(if all_valid { 0 } else { 1 })
}

fn print_figures(records: u64, mb: f64, figures: &[Figures]) -> anyhow::Result<()> {
    if figures.is_empty() {
        return Ok(());
    }
    let peak = median(figures.iter().map(|f| f.peak_kb as f64 / 1024.0).collect());
    let secs = median(figures.iter().map(|f| f.secs).collect());
    let each: Vec<String> = figures
        .iter()
        .map(|f| format!("{:.0} MB {:.2} s", f.peak_kb as f64 / 1024.0, f.secs))
        .collect();
    printed(writeln!(
        std::io::stdout(),
        "check: {records} records ({mb:.0} MB), every checker: peak RSS {peak:.0} MB, wall {secs:.2} s (median of {}: {})",
        figures.len(),
        each.join(", ")
    ))?;
    Ok(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// One measured check in a fresh process: its figures, or what it said instead of valid.
fn one_run(file: &Path) -> anyhow::Result<Result<Figures, String>> {
    let out = Command::new(std::env::current_exe()?)
        .args(["bench", "check", "--one"])
        .arg(file)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("measured: "));
    let figures = line.and_then(|l| {
        let mut words = l.split_whitespace();
        let peak_kb = words.next()?.parse().ok()?;
        let secs = words.next()?.parse().ok()?;
        Some(Figures { peak_kb, secs })
    });
    Ok(match (out.status.code(), figures) {
        (Some(0), Some(f)) => Ok(f),
        _ => Err(format!(
            "the check said {}{}",
            text.lines().find(|l| l.starts_with("verdict:")).unwrap_or("nothing"),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    })
}

/// The measured run: `splitbrain check FILE --checker <every checker>`, its output kept quiet
/// but for the verdict, then `measured: PEAK_KB SECONDS`.
pub fn one(file: PathBuf) -> anyhow::Result<u8> {
    let started = Instant::now();
    let args = check::Args::every_checker(file);
    let status = check::run_quietly(args)?;
    let secs = started.elapsed().as_secs_f64();
    let peak_kb = peak_kb().unwrap_or(0);
    printed(writeln!(std::io::stdout(), "measured: {peak_kb} {secs:.3}"))?;
    Ok(status)
}

/// This process's peak resident memory in KiB (`VmHWM`).
fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
