//! The timeline as inline SVG: one lane per node, a fault row on top, violations flagged.
//!
//! Neighbours: draws a [`Timeline`]; [`super::page`] places the whole-run view and one zoomed
//! view per violation; the hatch patterns it names are defined once per page by [`defs`].
//!
//! Design: static SVG with `<title>` tooltips and `<a>` links, so the report needs no script
//! to be read. Everything dense is bucketed per pixel column of the view (resource ticks) or
//! merged (fault bars), so a 100k-operation run draws a few thousand elements, not 100k.

use super::excerpt::Excerpt;
use super::fmt::{at, dur, esc, fault_color, token_color};
use super::model::{TenureEnd, Timeline};
use crate::faults::Fault;
use std::collections::BTreeMap;
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

    /// The span `a..=b` with a margin each side, within the run.
    pub fn around(tl: &Timeline, a: u64, b: u64) -> View {
        let margin = ((b - a) / 2).max(tl.end / 40).max(50_000_000);
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

/// The hatch patterns the lanes use; put once in the page.
pub fn defs() -> &'static str {
    r##"<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="p-pause" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddf4ff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#0969da" stroke-width="2.2"/></pattern>
<pattern id="p-kill" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#57606a"/><line x1="0" y1="0" x2="0" y2="6" stroke="#24292f" stroke-width="3"/></pattern>
<pattern id="p-partition" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="#fbefff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8250df" stroke-width="1.4"/></pattern>
<pattern id="p-clock" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fff1e5"/><circle cx="3" cy="3" r="1.2" fill="#bc4c00"/></pattern>
<pattern id="p-other" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f6f8fa"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8c959f" stroke-width="1"/></pattern>
</defs></svg>"##
}

fn pattern(kind: &str) -> &'static str {
    match kind {
        "pause" => "p-pause",
        "kill" => "p-kill",
        "partition" | "loss" => "p-partition",
        "clock" => "p-clock",
        _ => "p-other",
    }
}

/// What a node-state window means, for its tooltip.
fn state_word(kind: &str) -> &str {
    match kind {
        "pause" => "paused",
        "kill" => "killed",
        "partition" => "cut off",
        "loss" => "losing packets",
        "clock" => "clock skewed",
        other => other,
    }
}

/// Draws the timeline for `view`. `id` must be unique in the page (it names the clip path).
pub fn svg(tl: &Timeline, view: View, id: &str, ex: &Excerpt) -> String {
    let rows = fault_rows(&tl.faults, view);
    let row_count = rows.iter().map(|r| r.1 + 1).max().unwrap_or(0).max(1);
    let flags = flag_rows(tl, view);
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
    fault_bands(&mut s, tl, view, &g);
    node_states(&mut s, tl, view, &g);
    tenures(&mut s, tl, view, &g, ex);
    decisions(&mut s, tl, view, &g, ex);
    fault_bars(&mut s, &rows, view, &g, ex);
    violations(&mut s, tl, view, &g, ex);
    s.push_str("</g>");
    flags_svg(&mut s, tl, &flags, view);
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

/// Greedy rows for fault bars, so overlapping faults sit one above the other (at most 4).
fn fault_rows(faults: &[Fault], view: View) -> Vec<(&Fault, usize)> {
    let mut row_ends: Vec<u64> = Vec::new();
    let mut out = Vec::new();
    for f in faults.iter().filter(|f| view.overlaps(f.start, f.end.unwrap_or(view.t1))) {
        let end = f.end.unwrap_or(view.t1).max(f.start + 1);
        let row = row_ends.iter().position(|&e| e < f.start).unwrap_or(row_ends.len()).min(3);
        if row == row_ends.len() {
            row_ends.push(end);
        } else {
            row_ends[row] = row_ends[row].max(end);
        }
        out.push((f, row));
    }
    out
}

fn fault_title(f: &Fault) -> String {
    let end = match f.end {
        Some(e) if f.instant => format!("at {}", at(e)),
        Some(e) => format!("{} → {} ({})", at(f.start), at(e), dur(e - f.start)),
        None => format!("from {} to the end (never healed)", at(f.start)),
    };
    format!("{}: {} — {} (history #{})", f.f, f.label(), end, f.start_index)
}

fn fault_bands(s: &mut String, tl: &Timeline, view: View, g: &Geometry) {
    for f in tl.faults.iter().filter(|f| !f.instant) {
        let end = f.end.unwrap_or(view.t1);
        if !view.overlaps(f.start, end) {
            continue;
        }
        let (x0, x1) = (view.x(f.start), view.x(end));
        let _ = write!(
            s,
            r#"<rect x="{x0:.1}" y="{}" width="{:.1}" height="{}" fill="{}" opacity="0.07"/>"#,
            g.fault_top,
            (x1 - x0).max(1.0),
            g.bottom() - g.fault_top,
            fault_color(&f.kind)
        );
    }
}

fn fault_bars(s: &mut String, rows: &[(&Fault, usize)], view: View, g: &Geometry, ex: &Excerpt) {
    for (f, row) in rows {
        let y = g.fault_top + *row as f64 * FAULT_ROW;
        let x0 = view.x(f.start);
        let title = esc(&fault_title(f));
        let color = fault_color(&f.kind);
        let (open, close) = link(ex, f.start_index);
        s.push_str(&open);
        if f.instant {
            let _ = write!(
                s,
                r#"<path d="M{x0:.1} {y} l4 4.5 l-4 4.5 l-4 -4.5z" fill="{color}"><title>{title}</title></path>"#
            );
        } else {
            let x1 = view.x(f.end.unwrap_or(view.t1));
            let w = (x1 - x0).max(2.0);
            let _ = write!(
                s,
                r#"<rect x="{x0:.1}" y="{y}" width="{w:.1}" height="{}" rx="2" fill="{color}" opacity="0.85"><title>{title}</title></rect>"#,
                FAULT_ROW - 2.0
            );
            if w > 40.0 {
                let _ = write!(
                    s,
                    r#"<text class="bar" x="{:.1}" y="{}">{}</text>"#,
                    x0 + 3.0,
                    y + 7.5,
                    esc(&super::fmt::cut(&f.label(), (w / 5.5) as usize))
                );
            }
        }
        s.push_str(close);
    }
}

fn node_states(s: &mut String, tl: &Timeline, view: View, g: &Geometry) {
    for f in tl.faults.iter().filter(|f| !f.instant) {
        for n in &f.nodes {
            let Some(i) = lane_index(tl, n) else { continue };
            let end = f.end_for(n).unwrap_or(view.t1);
            if !view.overlaps(f.start, end) {
                continue;
            }
            let (x0, x1) = (view.x(f.start), view.x(end));
            let _ = write!(
                s,
                r#"<rect x="{x0:.1}" y="{}" width="{:.1}" height="{}" fill="url(#{})" opacity="0.8"><title>{} {}: {} → {}</title></rect>"#,
                g.lane_y(i) + 2.0,
                (x1 - x0).max(1.5),
                LANE - 4.0,
                pattern(&f.kind),
                esc(n),
                state_word(&f.kind),
                at(f.start),
                at(end)
            );
        }
    }
}

fn tenures(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
    for t in tl.tenures.iter().filter(|t| view.overlaps(t.start, t.end)) {
        let Some(i) = lane_index(tl, &t.node) else { continue };
        let (x0, x1) = (view.x(t.start), view.x(t.end));
        let y = g.lane_y(i) + 9.0;
        let token = t.token.map_or("no token".to_string(), |k| format!("token {k}"));
        let how = match t.ended_by {
            TenureEnd::Stepdown => "stepped down",
            TenureEnd::Reelected => "elected again under a new token",
            TenureEnd::Killed => "killed",
            TenureEnd::RunEnd => "still leading at the end",
        };
        let (open, close) = link(ex, t.start_index);
        let _ = write!(
            s,
            r##"{open}<rect class="tenure" x="{x0:.1}" y="{y}" width="{:.1}" height="14" rx="3" fill="{}"><title>{} led under {token}: {} → {} ({}), {how}</title></rect>"##,
            (x1 - x0).max(2.0),
            token_color(tl.token_rank(t.token)),
            esc(&t.node),
            at(t.start),
            at(t.end),
            dur(t.end - t.start)
        );
        if x1 - x0 > 34.0 {
            let label = t.token.map_or("∅".to_string(), |k| k.to_string());
            let _ = write!(
                s,
                r#"<text class="tok" x="{:.1}" y="{}">{label}</text>"#,
                x0 + 4.0,
                y + 10.5
            );
        }
        s.push_str(close);
        if t.ended_by == TenureEnd::Killed {
            let _ = write!(
                s,
                r#"<text class="killx" x="{x1:.1}" y="{}" text-anchor="middle">✕</text>"#,
                y + 11.0
            );
        }
    }
}

/// Resource decisions, one tick per (lane, pixel column, token, accepted).
fn decisions(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
    let mut buckets: BTreeMap<(usize, i64, Option<i64>, bool), (u64, u64)> = BTreeMap::new();
    for d in tl.decisions.iter().filter(|d| view.overlaps(d.time, d.time)) {
        let Some(i) = lane_index(tl, &d.node) else { continue };
        let col = view.x(d.time).round() as i64;
        let e = buckets.entry((i, col, d.token, d.accepted)).or_insert((d.index, 0));
        e.1 += 1;
    }
    for ((i, col, token, accepted), (first, count)) in buckets {
        let y = g.lane_y(i);
        let what = if accepted { "accepted" } else { "rejected" };
        let token_text = token.map_or("no token".to_string(), |k| format!("token {k}"));
        let (y0, y1, color) = if accepted {
            (y + 2.0, y + 8.0, token_color(tl.token_rank(token)))
        } else {
            (y + LANE - 8.0, y + LANE - 2.0, "#cf222e")
        };
        let (open, close) = link(ex, first);
        let _ = write!(
            s,
            r##"{open}<line x1="{col}" x2="{col}" y1="{y0}" y2="{y1}" stroke="{color}" stroke-width="1.5"><title>resource {what} {count} write(s) from {} under {token_text} (first: #{first})</title></line>{close}"##,
            esc(&tl.nodes[i])
        );
    }
}

fn violations(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
    for v in &tl.violations {
        let Some((a, b)) = v.span() else { continue };
        if !view.overlaps(a, b) {
            continue;
        }
        let (x0, x1) = (view.x(a), view.x(b));
        let _ = write!(
            s,
            r#"<rect class="vband" x="{:.1}" y="{}" width="{:.1}" height="{}"/>"#,
            x0 - 1.0,
            g.fault_top,
            (x1 - x0) + 2.0,
            g.bottom() - g.fault_top
        );
        for (index, time, lane) in &v.marks {
            let y = lane
                .as_deref()
                .and_then(|n| lane_index(tl, n))
                .map_or(g.fault_top + 4.0, |i| g.lane_y(i) + LANE / 2.0);
            let (open, close) = link(ex, *index);
            let _ = write!(
                s,
                r##"{open}<circle class="vmark" cx="{:.1}" cy="{y}" r="6"><title>violation {}: {} — history #{index} at {}</title></circle>{close}"##,
                view.x(*time),
                v.number,
                esc(&v.checker),
                at(*time)
            );
        }
    }
}

/// An `<a>` around an element when its history line is in the report, else nothing.
fn link(ex: &Excerpt, index: u64) -> (String, &'static str) {
    match ex.href(index) {
        Some(h) => (format!(r#"<a href="{h}">"#), "</a>"),
        None => (String::new(), ""),
    }
}

/// Rows of violation flags: a flag moves down a row when it would cover the previous one.
fn flag_rows(tl: &Timeline, view: View) -> Vec<(usize, usize)> {
    let mut last_x: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for (k, v) in tl.violations.iter().enumerate() {
        let Some((a, b)) = v.span() else { continue };
        if !view.overlaps(a, b) {
            continue;
        }
        let x = view.x(a);
        let row = last_x.iter().position(|&lx| x > lx + 190.0).unwrap_or(last_x.len()).min(3);
        if row == last_x.len() {
            last_x.push(x);
        } else {
            last_x[row] = x;
        }
        out.push((k, row));
    }
    out
}

fn flags_svg(s: &mut String, tl: &Timeline, flags: &[(usize, usize)], view: View) {
    for &(k, row) in flags {
        let v = &tl.violations[k];
        let Some((a, _)) = v.span() else { continue };
        let x = view.x(a).min(WIDTH - 190.0);
        let y = row as f64 * FLAG_ROW + 1.0;
        let label = format!("⚠ {} {}", v.number, v.checker);
        let w = 16.0 + label.chars().count() as f64 * 7.0;
        let _ = write!(
            s,
            r##"<a href="#violation-{}"><rect class="flag" x="{x:.1}" y="{y}" width="{w:.1}" height="{}" rx="3"><title>{}</title></rect><text class="flagt" x="{:.1}" y="{}">{}</text></a>"##,
            v.number,
            FLAG_ROW - 3.0,
            esc(&v.summary),
            x + 6.0,
            y + 12.5,
            esc(&label)
        );
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
