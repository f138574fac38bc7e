//! The end-of-run summary on the terminal: the verdict per checker, the witness of each
//! violation with its evidence lines, the figures, how to reproduce, and where the report is.
//!
//! Neighbours: renders a [`RunResults`]; [`crate::status`] is the live line during the run.
//!
//! Design: plain text that reads the same in a CI log as on a terminal; color only when
//! [`Style`] says so (a terminal, and `NO_COLOR` unset, as no-color.org asks).

use crate::evidence;
use crate::liveness::Figures;
use crate::report::fmt::dur;
use crate::summary::RunResults;
use splitbrain_checkers::{CheckResult, History, Verdict};
use std::io::{self, IsTerminal, Write};
use std::path::Path;

/// Characters of a witness sentence printed (the whole is in results.json and the report).
pub const SUMMARY_CHARS: usize = 400;

/// Evidence lines quoted per check on the terminal.
pub const EVIDENCE_LINES: usize = 6;

/// Whether to color the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Use ANSI colors.
    pub color: bool,
}

impl Style {
    /// No colors.
    pub fn plain() -> Style {
        Style { color: false }
    }

    /// Colors when stderr is a terminal and `NO_COLOR` is unset.
    pub fn stderr() -> Style {
        Style::for_terminal(io::stderr().is_terminal())
    }

    /// Colors when `is_terminal`, `NO_COLOR` is unset and `TERM` is not `dumb`.
    pub fn for_terminal(is_terminal: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Style { color: is_terminal && !no_color && !dumb }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A verdict word in its color (green, red, yellow).
    pub fn verdict(&self, v: Verdict) -> String {
        let code = match v {
            Verdict::Valid => "1;32",
            Verdict::Invalid => "1;31",
            Verdict::Unknown => "1;33",
            Verdict::NotApplicable => "2",
        };
        self.paint(code, &v.to_string())
    }

    /// Dimmed text.
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Writes the summary to `out`.
pub fn print_summary(
    out: &mut dyn Write,
    results: &RunResults,
    history: &History,
    report: Option<&Path>,
    style: Style,
) -> io::Result<()> {
    out.write_all(summary_text(results, history, report, style).as_bytes())?;
    out.flush()
}

/// The summary as text (every line ends with a newline).
pub fn summary_text(
    r: &RunResults,
    history: &History,
    report: Option<&Path>,
    style: Style,
) -> String {
    let mut s =
        format!("\n{} {}: {}\n", "splitbrain", r.run.test, style.verdict(r.verdict).to_uppercase());
    if let Some(why) = &r.nothing_tested {
        s += &format!("  ?? {}\n", style.paint("1;33", why));
    }
    let width = r.checks.iter().map(|c| c.checker.name().len()).max().unwrap_or(0);
    for c in &r.checks {
        s += &check_line(c, width, style);
        if matches!(c.verdict, Verdict::Invalid | Verdict::Unknown) {
            for line in evidence::lines(history, &evidence::ordered(c), EVIDENCE_LINES) {
                s += &format!("       {}\n", style.dim(&line));
            }
        }
    }
    if r.checks.is_empty() {
        s += "  ?? no checks ran\n";
    }
    s += &figures(r);
    for note in r.run.notes.iter().chain(&r.history.warnings) {
        s += &format!("  note: {note}\n");
    }
    s += &format!("  seed {} · reproduce: {}\n", r.run.seed, r.run.command_line());
    if let Some(p) = report {
        s += &format!("  report: {}\n", p.display());
    }
    s
}

/// `  ok fencing  valid  …`, or `  -- fencing  not applicable: …`.
fn check_line(c: &CheckResult, width: usize, style: Style) -> String {
    let summary = crate::report::fmt::cut(&c.summary, SUMMARY_CHARS);
    let mark = match c.verdict {
        Verdict::Valid => "ok",
        Verdict::Invalid => "!!",
        Verdict::Unknown => "??",
        Verdict::NotApplicable => {
            let label = style.dim("not applicable");
            return format!("  -- {:width$}  {label}: {summary}\n", c.checker.name());
        }
    };
    format!("  {mark} {:width$}  {:7}  {summary}\n", c.checker.name(), style.verdict(c.verdict))
}

/// The liveness figures and the operation counts.
fn figures(r: &RunResults) -> String {
    let mut s = String::new();
    let figures = r.liveness.as_ref().map(|l| (Figures::from_details(l), l));
    match figures {
        Some((Some(f), _)) => s += &format!("  liveness: {}\n", liveness_line(&f)),
        Some((None, l)) => s += &format!("  liveness: {}\n", generic_line(l)),
        None => {}
    }
    let ops: Vec<String> = r.operations.iter().map(op_text).collect();
    if !ops.is_empty() {
        s += &format!("  operations: {}\n", ops.join(" · "));
    }
    s
}

fn op_text(o: &crate::ops::OpStats) -> String {
    let lat = o
        .latency_ms
        .map_or(String::new(), |q| format!(", p50 {:.1} ms, p99 {:.1} ms", q.p50, q.p99));
    format!("{} {} (ok {:.1}%{lat})", o.f, o.invoked, o.ok_share() * 100.0)
}

/// `7 elections · failover p50 1.20 s, p99 3.10 s, max 3.40 s · no leader 4.20 s (7.0%) · writes ok 93.1%`
fn liveness_line(f: &Figures) -> String {
    let d = |v: Option<u64>| v.map_or("—".to_string(), dur);
    let mut parts = vec![match f.elections {
        Some(1) => "1 election".to_string(),
        Some(e) => format!("{e} elections"),
        None => "? elections".to_string(),
    }];
    if f.failovers.is_empty() {
        parts.push("no failover".to_string());
    } else {
        parts.push(format!(
            "failover p50 {}, p99 {}, max {}",
            d(f.failover_p50()),
            d(f.failover_quantile(0.99)),
            d(f.failover_max())
        ));
    }
    if let Some(ns) = f.no_leader_ns {
        let share = f.no_leader_share().map_or(String::new(), |s| format!(" ({:.1}%)", s * 100.0));
        parts.push(format!("no leader {}{share}", dur(ns)));
    }
    if let Some(w) = f.write_success_share {
        parts.push(format!("writes ok {:.1}%", w * 100.0));
    }
    if !f.unfinished_failovers.is_empty() {
        parts.push(format!("{} leader(s) never replaced", f.unfinished_failovers.len()));
    }
    parts.join(" · ")
}

/// Top-level scalars of details of a shape this version does not know.
fn generic_line(v: &serde_json::Value) -> String {
    let Some(map) = v.as_object() else { return v.to_string() };
    let parts: Vec<String> = map
        .iter()
        .filter(|(_, x)| !x.is_object() && !x.is_array())
        .map(|(k, x)| format!("{} {}", plain_label(k), plain_scalar(k, x)))
        .collect();
    parts.join(" · ")
}

fn plain_label(key: &str) -> String {
    crate::report::details::label(key)
}

/// Like the report's scalar, without HTML escaping (the terminal shows text as is).
fn plain_scalar(key: &str, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        _ => crate::report::details::scalar(key, v),
    }
}
