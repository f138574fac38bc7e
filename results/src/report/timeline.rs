//! The timeline as inline SVG: one lane per node, a fault row on top, violations flagged.
//!
//! Neighbours: draws a [`Timeline`]; [`super::render`] places the whole-run view and one zoomed
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

/// The hatch patterns the lanes use; put once in the page.
pub fn defs() -> &'static str {
    r##"<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="p-pause" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddf4ff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#0969da" stroke-width="2.2"/></pattern>
<pattern id="p-kill" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#57606a"/><line x1="0" y1="0" x2="0" y2="6" stroke="#24292f" stroke-width="3"/></pattern>
<pattern id="p-partition" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="#fbefff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8250df" stroke-width="1.4"/></pattern>
<pattern id="p-partial" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="8" height="8" fill="#fdf8ff"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c297ff" stroke-width="1"/></pattern>
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
            let Some((pat, what)) = node_state(tl, f, n) else { continue };
            let (x0, x1) = (view.x(f.start), view.x(end));
            let _ = write!(
                s,
                r#"<rect x="{x0:.1}" y="{}" width="{:.1}" height="{}" fill="url(#{pat})" opacity="0.8"><title>{} {}: {} → {}</title></rect>"#,
                g.lane_y(i) + 2.0,
                (x1 - x0).max(1.5),
                LANE - 4.0,
                esc(n),
                esc(&what),
                at(f.start),
                at(end)
            );
        }
    }
}

/// The pattern and words for what a fault did to one node. A partition's cut sets tell a
/// node cut off from the majority (strong hatch) from one that only lost some peers (light).
/// `None` for a node a partition names but does not cut (a bridge).
fn node_state(tl: &Timeline, f: &Fault, node: &str) -> Option<(&'static str, String)> {
    if f.kind != "partition" || f.cut.is_empty() {
        return Some((pattern(&f.kind), state_word(&f.kind).to_string()));
    }
    let cut = f.cut.get(node)?;
    let peers: Vec<&str> = cut.iter().map(String::as_str).collect();
    let total = tl.nodes.len().max(f.cut.len());
    let reach = total.saturating_sub(1 + cut.len()) + 1;
    Some(if reach < total / 2 + 1 {
        ("p-partition", format!("cut off from the majority (no packets with {})", peers.join(", ")))
    } else {
        ("p-partial", format!("cut off from {} (still reaches a majority)", peers.join(", ")))
    })
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

/// Resource decisions: per lane, token and outcome, neighbouring pixel columns merge into one
/// strip, so a steady writer draws one element per stretch of writing, not one per write.
fn decisions(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
    let mut groups: BTreeMap<(usize, Option<i64>, bool), Vec<Strip>> = BTreeMap::new();
    for d in tl.decisions.iter().filter(|d| view.overlaps(d.time, d.time)) {
        let Some(i) = lane_index(tl, &d.node) else { continue };
        let col = view.x(d.time);
        let strips = groups.entry((i, d.token, d.accepted)).or_default();
        match strips.last_mut() {
            Some(last) if col - last.x1 <= 2.0 && col >= last.x0 => last.extend(col, d.time),
            _ => strips.push(Strip {
                x0: col,
                x1: col,
                t0: d.time,
                t1: d.time,
                first: d.index,
                count: 1,
            }),
        }
    }
    for ((i, token, accepted), strips) in groups {
        let y = g.lane_y(i);
        let (y0, color) = if accepted {
            (y + 2.0, token_color(tl.token_rank(token)))
        } else {
            (y + LANE - 8.0, "#cf222e")
        };
        for st in strips {
            strip(s, &st, (y0, color), (&tl.nodes[i], token, accepted), ex);
        }
    }
}

/// A run of resource decisions close together on one lane.
struct Strip {
    x0: f64,
    x1: f64,
    t0: u64,
    t1: u64,
    first: u64,
    count: u64,
}

impl Strip {
    fn extend(&mut self, x: f64, t: u64) {
        self.x1 = self.x1.max(x);
        self.t1 = self.t1.max(t);
        self.count += 1;
    }
}

fn strip(
    s: &mut String,
    st: &Strip,
    (y0, color): (f64, &str),
    who: (&str, Option<i64>, bool),
    ex: &Excerpt,
) {
    let (node, token, accepted) = who;
    let what = if accepted { "accepted" } else { "rejected" };
    let token_text = token.map_or("no token".to_string(), |k| format!("token {k}"));
    let when = if st.count == 1 { at(st.t0) } else { format!("{} → {}", at(st.t0), at(st.t1)) };
    let (open, close) = link(ex, st.first);
    let _ = write!(
        s,
        r#"{open}<rect x="{:.1}" y="{y0}" width="{:.1}" height="6" fill="{color}"><title>resource {what} {} write(s) from {} under {token_text}, {when} (first: #{})</title></rect>{close}"#,
        st.x0 - 0.75,
        (st.x1 - st.x0) + 1.5,
        st.count,
        esc(node),
        st.first
    );
}

/// Each violation: a light band over its evidence, a red line at its last evidence record
/// (the act that broke the property), and a ring on each evidence record's lane, joined in
/// time order so the story (n1 writes, n2 writes, n1 writes again) reads along the line.
fn violations(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
    for v in &tl.violations {
        let Some((a, b)) = v.span() else { continue };
        if !view.overlaps(a, b) {
            continue;
        }
        let (x0, x1) = (view.x(a), view.x(b));
        if view.t0 == 0 && view.t1 >= tl.end {
            let _ = write!(
                s,
                r#"<rect class="vband" x="{:.1}" y="{}" width="{:.1}" height="{}"/>"#,
                x0 - 1.0,
                g.fault_top,
                (x1 - x0) + 2.0,
                g.bottom() - g.fault_top,
            );
        }
        if view.overlaps(b, b) {
            let _ = write!(
                s,
                r#"<line class="vline" x1="{x1:.1}" x2="{x1:.1}" y1="0" y2="{}"/>"#,
                g.bottom()
            );
        }
        let mut marks: Vec<(f64, f64, u64, u64)> = v
            .marks
            .iter()
            .filter(|m| view.overlaps(m.1, m.1))
            .map(|(index, time, lane)| {
                let y = lane.as_deref().and_then(|n| lane_index(tl, n));
                (
                    view.x(*time),
                    y.map_or(g.fault_top + 4.0, |i| g.lane_y(i) + LANE / 2.0),
                    *index,
                    *time,
                )
            })
            .collect();
        marks.sort_by_key(|m| (m.3, m.2));
        // A line through a few marks tells a story (n1, then n2, then n1 again); through
        // many it is only a scribble.
        if marks.len() <= 4 {
            let points: Vec<String> =
                marks.iter().map(|m| format!("{:.1},{:.1}", m.0, m.1)).collect();
            let _ = write!(s, r#"<polyline class="vpath" points="{}"/>"#, points.join(" "));
        }
        for (x, y, index, time) in marks {
            let (open, close) = link(ex, index);
            let _ = write!(
                s,
                r#"{open}<circle class="vmark" cx="{x:.1}" cy="{y:.1}" r="6"><title>violation {}: {} — history #{index} at {}</title></circle>{close}"#,
                v.number,
                esc(&v.checker),
                at(time)
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

/// Violation flags: violations whose last evidence falls within a few pixels share one
/// flag; a flag moves down a row when it would cover the previous one.
fn flag_rows(tl: &Timeline, view: View) -> Vec<(Vec<usize>, usize)> {
    let mut groups: Vec<(f64, Vec<usize>)> = Vec::new();
    for (k, v) in tl.violations.iter().enumerate() {
        let Some((a, b)) = v.span() else { continue };
        if !view.overlaps(a, b) || !view.overlaps(b, b) {
            continue;
        }
        let x = view.x(b);
        match groups.iter_mut().find(|(gx, _)| (gx - x).abs() < 8.0) {
            Some((_, ks)) => ks.push(k),
            None => groups.push((x, vec![k])),
        }
    }
    let mut last_x: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for (x, ks) in groups {
        let row = last_x.iter().position(|&lx| x > lx + 260.0).unwrap_or(last_x.len()).min(3);
        if row == last_x.len() {
            last_x.push(x);
        } else {
            last_x[row] = x;
        }
        out.push((ks, row));
    }
    out
}

fn flags_svg(s: &mut String, tl: &Timeline, flags: &[(Vec<usize>, usize)], view: View) {
    for (ks, row) in flags {
        let vs: Vec<&super::model::Violation> = ks.iter().map(|&k| &tl.violations[k]).collect();
        let Some((_, b)) = vs[0].span() else { continue };
        let y = *row as f64 * FLAG_ROW + 1.0;
        let names: Vec<String> = vs.iter().map(|v| format!("{} {}", v.number, v.checker)).collect();
        let chars = 2 + names.iter().map(|n| n.chars().count() + 3).sum::<usize>();
        let w = 14.0 + chars as f64 * 6.6;
        let title: Vec<String> =
            vs.iter().map(|v| format!("{}: {}", v.number, v.summary)).collect();
        // The flag hangs right of the red line, or left of it near the right edge.
        let line_x = view.x(b);
        let x = if line_x + w > WIDTH - RIGHT { line_x - w } else { line_x };
        let _ = write!(
            s,
            r#"<rect class="flag" x="{x:.1}" y="{y}" width="{w:.1}" height="{}" rx="3"><title>{}</title></rect><text class="flagt" x="{:.1}" y="{}">⚠"#,
            FLAG_ROW - 3.0,
            esc(&title.join("\n")),
            x + 6.0,
            y + 12.5,
        );
        for (k, (v, name)) in vs.iter().zip(&names).enumerate() {
            let sep = if k == 0 { " " } else { " · " };
            let _ = write!(s, r##"{sep}<a href="#violation-{}">{}</a>"##, v.number, esc(name));
        }
        s.push_str("</text>");
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
