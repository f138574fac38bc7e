//! The timeline as inline SVG: one lane per node, a fault row on top, violations flagged.
//!
//! Neighbours: draws a [`Timeline`]; [`super::render`] places the whole-run view and one zoomed
//! view per violation; the hatch patterns it names are defined once per page by [`defs`].
//! `faults` draws the fault row and the node states, `leaders` the tenures and the
//! resource's decisions, `marks` the violations.
//!
//! Design: static SVG with `<title>` tooltips and `<a>` links, so the report needs no script
//! to be read. Everything dense is bucketed per pixel column of the view (resource ticks) or
//! merged (fault bars), so a 100k-operation run draws a few thousand elements, not 100k.

mod faults;
mod leaders;
mod marks;

pub use faults::defs;

use super::excerpt::Excerpt;
use super::fmt::esc;
use super::model::Timeline;
use std::fmt::Write;

const WIDTH: f64 = 1200.0;
const LABEL: f64 = 70.0;
const RIGHT: f64 = 14.0;
const PLOT: f64 = WIDTH - LABEL - RIGHT;
const LANE: f64 = 32.0;
const FAULT_ROW: f64 = 11.0;
const FLAG_ROW: f64 = 20.0;
const AXIS: f64 = 24.0;

/// The time range a view shows, in ns on the run's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// First instant shown.
    pub t0: u64,
    /// Last instant shown (> t0).
    pub t1: u64,
}

impl View {
    /// The whole run.
    pub fn whole(tl: &Timeline) -> View {
        View { t0: 0, t1: tl.end.max(1) }
    }

    /// The span `a..=b` with a margin each side (half the span, at least 150 ms), within
    /// the run.
    pub fn around(tl: &Timeline, a: u64, b: u64) -> View {
        let margin = ((b - a) / 2).max(150_000_000);
        View { t0: a.saturating_sub(margin), t1: (b + margin).min(tl.end.max(b + 1)) }
    }

    fn x(&self, t: u64) -> f64 {
        let frac = (t as f64 - self.t0 as f64) / (self.t1 - self.t0) as f64;
        (LABEL + frac * PLOT).clamp(LABEL - 2.0, LABEL + PLOT + 2.0)
    }

    fn overlaps(&self, a: u64, b: u64) -> bool {
        a <= self.t1 && b >= self.t0
    }
}

/// Draws the timeline for `view`. `id` must be unique in the page (it names the clip path).
pub fn svg(tl: &Timeline, view: View, id: &str, ex: &Excerpt) -> String {
    let rows = faults::fault_rows(&tl.faults, view);
    let row_count = rows.iter().map(|r| r.1 + 1).max().unwrap_or(0).max(1);
    let flags = marks::flag_rows(tl, view);
    let flag_count = flags.iter().map(|f| f.1 + 1).max().unwrap_or(0);
    let g = Geometry {
        top_lanes: flag_count as f64 * FLAG_ROW + row_count as f64 * FAULT_ROW + 8.0,
        fault_top: flag_count as f64 * FLAG_ROW + 2.0,
        lanes: tl.nodes.len().max(1),
    };
    let height = g.top_lanes + g.lanes as f64 * LANE + AXIS;
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        r#"<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="timeline"><clipPath id="{id}-clip"><rect x="{LABEL}" y="0" width="{PLOT}" height="{height}"/></clipPath>"#
    );
    lanes(&mut s, tl, &g);
    axis(&mut s, view, &g, height);
    let _ = write!(s, r#"<g clip-path="url(#{id}-clip)">"#);
    faults::fault_bands(&mut s, tl, view, &g);
    faults::node_states(&mut s, tl, view, &g);
    leaders::tenures(&mut s, tl, view, &g, ex);
    leaders::decisions(&mut s, tl, view, &g, ex);
    faults::fault_bars(&mut s, &rows, view, &g, ex);
    marks::violations(&mut s, tl, view, &g, ex);
    s.push_str("</g>");
    marks::flags_svg(&mut s, tl, &flags, view);
    s.push_str("</svg>");
    s
}

struct Geometry {
    top_lanes: f64,
    fault_top: f64,
    lanes: usize,
}

impl Geometry {
    fn lane_y(&self, i: usize) -> f64 {
        self.top_lanes + i as f64 * LANE
    }

    fn bottom(&self) -> f64 {
        self.top_lanes + self.lanes as f64 * LANE
    }
}

fn lane_index(tl: &Timeline, node: &str) -> Option<usize> {
    tl.nodes.iter().position(|n| n == node)
}

fn lanes(s: &mut String, tl: &Timeline, g: &Geometry) {
    let _ = write!(
        s,
        r#"<text class="lbl dim" x="{}" y="{}" text-anchor="end">faults</text>"#,
        LABEL - 8.0,
        g.fault_top + 9.0
    );
    for (i, n) in tl.nodes.iter().enumerate() {
        let y = g.lane_y(i);
        let _ = write!(
            s,
            r#"<rect class="lane" x="{LABEL}" y="{}" width="{PLOT}" height="{}"/><text class="lbl" x="{}" y="{}" text-anchor="end">{}</text>"#,
            y + 2.0,
            LANE - 4.0,
            LABEL - 8.0,
            y + LANE / 2.0 + 4.0,
            esc(n)
        );
    }
}

fn axis(s: &mut String, view: View, g: &Geometry, height: f64) {
    let step = nice_step(view.t1 - view.t0);
    let mut t = view.t0.div_ceil(step) * step;
    while t <= view.t1 {
        let x = view.x(t);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{x:.1}" x2="{x:.1}" y1="{}" y2="{}"/><text class="tick" x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
            g.fault_top,
            g.bottom(),
            height - 8.0,
            tick_label(t, step)
        );
        t += step;
    }
}

/// The smallest 1-2-5 step that cuts `span` into at most 12 ticks.
fn nice_step(span: u64) -> u64 {
    let mut base = 1_000u64;
    loop {
        for m in [1, 2, 5] {
            if span / (base * m) <= 12 {
                return base * m;
            }
        }
        base *= 10;
    }
}

fn tick_label(t: u64, step: u64) -> String {
    match step {
        s if s >= 1_000_000_000 => format!("{} s", t / 1_000_000_000),
        s if s >= 100_000_000 => format!("{:.1} s", t as f64 / 1e9),
        s if s >= 10_000_000 => format!("{:.2} s", t as f64 / 1e9),
        _ => format!("{:.3} s", t as f64 / 1e9),
    }
}

/// An `<a>` around an element when its history line is in the report, else nothing.
fn link(ex: &Excerpt, index: u64) -> (String, &'static str) {
    match ex.href(index) {
        Some(h) => (format!(r#"<a href="{h}">"#), "</a>"),
        None => (String::new(), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cut_any_span_into_at_most_twelve() {
        for span in [10_000, 7_777_777, 60_000_000_000, 3_600_000_000_000] {
            let step = nice_step(span);
            assert!(span / step <= 12 && span / step >= 2, "span {span} step {step}");
        }
    }
}
