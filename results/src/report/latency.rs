//! Latency of client operations as inline SVG: a scatter over time and a histogram.
//!
//! Neighbours: reads [`crate::ops::ClientOp`]s; shades the faults of [`crate::faults`] behind
//! the scatter so a latency spike lines up with its cause; [`super::render`] places both.
//!
//! Design: latency spans microseconds to a client's timeout, so both charts use a log scale.
//! The scatter keeps one point per 2×2-pixel cell per outcome, then at most [`MAX_POINTS`]:
//! what the eye can tell apart, whatever the run's length.

use super::fmt::{esc, fault_color, ms};
use crate::faults::Fault;
use crate::ops::{self, ClientOp, Outcome};
use hdrhistogram::Histogram;
use std::collections::HashSet;
use std::fmt::Write;

/// The most points the scatter draws.
pub const MAX_POINTS: usize = 6000;

const W: f64 = 1200.0;
const H: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

fn outcome_style(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Ok => ("#2da44e", "ok"),
        Outcome::Fail => ("#d4a72c", "fail"),
        Outcome::Info | Outcome::Open => ("#cf222e", "info (unknown)"),
    }
}

fn same_style(a: Outcome, b: Outcome) -> bool {
    outcome_style(a).0 == outcome_style(b).0
}

/// A log scale over milliseconds, from a power of ten below the least to one above the most.
struct LogScale {
    lo: f64,
    hi: f64,
}

impl LogScale {
    fn new(values: impl Iterator<Item = f64>) -> LogScale {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for v in values {
            lo = lo.min(v.max(0.001));
            hi = hi.max(v.max(0.001));
        }
        if lo > hi {
            (lo, hi) = (0.1, 1000.0);
        }
        LogScale { lo: lo.log10().floor(), hi: hi.log10().ceil().max(lo.log10().floor() + 1.0) }
    }

    /// 0..1 along the scale.
    fn frac(&self, v: f64) -> f64 {
        ((v.max(0.001).log10() - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    fn decades(&self) -> impl Iterator<Item = f64> {
        (self.lo as i32..=self.hi as i32).map(|e| 10f64.powi(e))
    }
}

fn decade_label(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} s", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v} ms")
    } else {
        format!("{} µs", v * 1000.0)
    }
}

/// Latency (y, log) of every completed client operation against its invocation time (x).
pub fn scatter(ops: &[ClientOp], faults: &[Fault], end: u64) -> String {
    let done: Vec<(&ClientOp, f64)> =
        ops.iter().filter_map(|o| Some((o, o.latency_ns()? as f64 / 1e6))).collect();
    let scale = LogScale::new(done.iter().map(|d| d.1));
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |t: u64| LEFT + t as f64 / end.max(1) as f64 * pw;
    let y = |v: f64| TOP + ph - scale.frac(v) * ph;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="latency over time">"#
    );
    for f in faults.iter().filter(|f| !f.instant) {
        let (x0, x1) = (x(f.start), x(f.end.unwrap_or(end)));
        let _ = write!(
            s,
            r#"<rect x="{x0:.1}" y="{TOP}" width="{:.1}" height="{ph}" fill="{}" opacity="0.08"/>"#,
            (x1 - x0).max(1.0),
            fault_color(&f.kind)
        );
    }
    for d in scale.decades() {
        let yy = y(d);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            decade_label(d)
        );
    }
    time_axis(&mut s, end, &x);
    let points = thin(&done, |o, v| ((x(o.start) / 2.0) as i32, (y(v) / 2.0) as i32));
    // One path per outcome of zero-length segments with round caps: a dot costs ~14 bytes.
    for outcome in [Outcome::Ok, Outcome::Fail, Outcome::Info] {
        let (color, name) = outcome_style(outcome);
        let mut d = String::new();
        for (o, v) in points.iter().filter(|(o, _)| same_style(o.outcome, outcome)) {
            let _ = write!(d, "M{:.0} {:.0}h0", x(o.start), y(*v));
        }
        if !d.is_empty() {
            let _ = write!(
                s,
                r#"<path d="{d}" stroke="{color}" stroke-width="3.4" stroke-linecap="round" stroke-opacity="0.6" fill="none"><title>{name}</title></path>"#
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn time_axis(s: &mut String, end: u64, x: &dyn Fn(u64) -> f64) {
    let secs = end / 1_000_000_000;
    let step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].into_iter().find(|st| secs / st <= 12);
    let step = step.unwrap_or(secs / 10 + 1).max(1);
    for k in (0..=secs).step_by(step as usize) {
        let xx = x(k * 1_000_000_000);
        let _ = write!(
            s,
            r#"<text class="tick" x="{xx:.1}" y="{}" text-anchor="middle">{k} s</text>"#,
            H - 8.0
        );
    }
}

/// One point per (cell, outcome), then every n-th to stay under [`MAX_POINTS`]. Unknown and
/// failed operations go first, so thinning drops the plentiful `ok` points before them.
fn thin<'a>(
    done: &[(&'a ClientOp, f64)],
    cell: impl Fn(&ClientOp, f64) -> (i32, i32),
) -> Vec<(&'a ClientOp, f64)> {
    let mut seen = HashSet::new();
    let mut kept: Vec<(&ClientOp, f64)> = Vec::new();
    let mut order: Vec<&(&ClientOp, f64)> = done.iter().collect();
    order.sort_by_key(|(o, _)| o.outcome == Outcome::Ok);
    for &&(o, v) in &order {
        if seen.insert((cell(o, v), o.outcome == Outcome::Ok, o.outcome == Outcome::Fail)) {
            kept.push((o, v));
        }
    }
    let stride = kept.len().div_ceil(MAX_POINTS).max(1);
    kept.into_iter().step_by(stride).collect()
}

/// A histogram of `ok` latencies on log-spaced bins, with the p50, p99 and max marked.
pub fn histogram(ops: &[ClientOp]) -> String {
    let lat: Vec<(f64, u64)> = ops
        .iter()
        .filter(|o| o.outcome == Outcome::Ok)
        .filter_map(|o| Some((o.latency_ns()? as f64 / 1e6, 1)))
        .collect();
    let mut h = ops::new_histogram();
    lat.iter().for_each(|&(v, _)| ops::record_ns(&mut h, (v * 1e6) as u64));
    counted(&lat, &h)
}

/// The same histogram, of latencies already counted in a microsecond histogram (a long run's,
/// whose operations are not all held).
pub fn histogram_of(h: &Histogram<u64>) -> String {
    let lat: Vec<(f64, u64)> = h
        .iter_recorded()
        .map(|v| (v.value_iterated_to() as f64 / 1000.0, v.count_at_value()))
        .collect();
    counted(&lat, h)
}

/// The histogram of latencies (ms) with their counts; `h` gives the quantiles marked.
fn counted(lat: &[(f64, u64)], h: &Histogram<u64>) -> String {
    let Some(q) = ops::quantiles(h) else {
        return r#"<p class="dim">No client operation completed ok.</p>"#.to_string();
    };
    let scale = LogScale::new(lat.iter().map(|l| l.0));
    const BINS: usize = 60;
    let mut counts = [0u64; BINS];
    for &(v, n) in lat {
        counts[((scale.frac(v) * BINS as f64) as usize).min(BINS - 1)] += n;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64;
    let (pw, ph) = (W - LEFT - RIGHT, 200.0 - TOP - BOTTOM);
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {W} 200" width="{W}" height="200" role="img" aria-label="latency histogram">"#
    );
    let bw = pw / BINS as f64;
    for (i, &c) in counts.iter().enumerate().filter(|c| *c.1 > 0) {
        let bh = (c as f64 / top * ph).max(1.0);
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="#2da44e" opacity="0.8"><title>{c} operations</title></rect>"##,
            LEFT + i as f64 * bw + 0.5,
            TOP + ph - bh,
            bw - 1.0
        );
    }
    let x = |v: f64| LEFT + scale.frac(v) * pw;
    for d in scale.decades() {
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x(d),
            200.0 - 8.0,
            decade_label(d)
        );
    }
    for (name, v) in [("p50", q.p50), ("p99", q.p99), ("max", q.max)] {
        let xx = x(v);
        // Near the right edge the label goes left of its line, so it is never cut off.
        let (tx, anchor) =
            if xx > W - RIGHT - 90.0 { (xx - 3.0, "end") } else { (xx + 3.0, "start") };
        let _ = write!(
            s,
            r#"<line class="qline" x1="{xx:.1}" x2="{xx:.1}" y1="{TOP}" y2="{}"/><text class="qtext" x="{tx:.1}" y="{}" text-anchor="{anchor}">{name} {}</text>"#,
            TOP + ph,
            TOP + 10.0,
            esc(&ms(v))
        );
    }
    s.push_str("</svg>");
    s
}

/// The legend of the scatter's colors.
pub fn legend() -> String {
    let mut s = String::from(r#"<div class="legend">"#);
    for o in [Outcome::Ok, Outcome::Fail, Outcome::Info] {
        let (color, name) = outcome_style(o);
        let _ = write!(s, r#"<span><i class="dot" style="background:{color}"></i>{name}</span>"#);
    }
    s.push_str("<span class=\"dim\">shaded: fault windows · y: latency (log) · x: invocation time</span></div>");
    s
}
