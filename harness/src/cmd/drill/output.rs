//! A night's files (drill.json first, then drill.html and junit.xml, each replaced whole) and
//! its summary on stdout: a line per scenario with what it expected, what it got, its key
//! figures and the link to its report, then what failed and the night's result.
//!
//! Neighbours: [`super::night`] writes after every scenario; [`super`] prints the summary at
//! the end; the renderers are `splitbrain_results::drill`.

use splitbrain_results::drill::nights::files;
use splitbrain_results::drill::{html, junit, DrillRecord, Figure, ScenarioRecord};
use splitbrain_results::store::write_atomic;
use std::io::Write;
use std::path::Path;

/// Writes drill.json, drill.html and junit.xml into the night's folder.
pub fn write(night: &Path, d: &DrillRecord) -> anyhow::Result<()> {
    write_atomic(&night.join(files::RECORD), d.to_json().as_bytes())?;
    write_atomic(&night.join(files::PAGE), html::render(d).as_bytes())?;
    write_atomic(&night.join(files::JUNIT), junit::render(d).as_bytes())?;
    Ok(())
}

/// Prints the night's summary on stdout.
pub fn summary(night: &Path, d: &DrillRecord, pruned: &[String]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "\ndrill {} · night {} · {} scenarios", d.drill, d.night, d.scenarios.len())?;
    for s in &d.scenarios {
        writeln!(out, "  {}", line(night, s))?;
    }
    for s in d.scenarios.iter().filter(|s| !s.met) {
        for why in &s.why {
            writeln!(out, "  FAILED {}: {why}", s.name)?;
        }
    }
    if !pruned.is_empty() {
        writeln!(out, "  kept the newest nights (keep_nights); deleted {}", pruned.join(", "))?;
    }
    let met = d.scenarios.iter().filter(|s| s.met).count();
    writeln!(
        out,
        "drill {}: {met} of {} scenarios met their expectations{}",
        d.outcome.name(),
        d.scenarios.len(),
        if d.interrupted { " (interrupted)" } else { "" }
    )?;
    writeln!(out, "  page:  {}", night.join(files::PAGE).display())?;
    writeln!(out, "  junit: {}", night.join(files::JUNIT).display())
}

/// `ok     raft-partition  expected valid, got valid  p50 210 ms  p99 480 ms …  runs/…/report.html`.
fn line(night: &Path, s: &ScenarioRecord) -> String {
    let got = s.got.map_or("not run".to_string(), |v| v.to_string());
    let figures: Vec<String> = Figure::ALL
        .iter()
        .filter_map(|f| s.figures.get(*f).map(|v| format!("{} {}", f.short(), f.show(v))))
        .collect();
    let report = s
        .seeds
        .first()
        .map_or(String::new(), |x| night.join(&x.run).join("report.html").display().to_string());
    format!(
        "{:<6} {:<24} expected {:<7} got {:<8} {}  {report}",
        if s.met { "ok" } else { "FAILED" },
        s.name,
        s.expect.name(),
        got,
        figures.join("  ")
    )
}
