//! Violations on the timeline: a band over each one's evidence, a red line at its act, rings
//! on the evidence records, and flags on top that link to the witness in the page's header.
//!
//! Neighbours: [`super`] lays out the lanes; [`crate::report::model::Violation`] places them.

use super::{lane_index, link, Geometry, View, FLAG_ROW, LANE, RIGHT, WIDTH};
use crate::report::excerpt::Excerpt;
use crate::report::fmt::{at, esc};
use crate::report::model::{Timeline, Violation};
use std::fmt::Write;

/// Each violation: a light band over its evidence, a red line at its last evidence record
/// (the act that broke the property), and a ring on each evidence record's lane, joined in
/// time order so the story (n1 writes, n2 writes, n1 writes again) reads along the line.
pub(super) fn violations(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
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
                esc(v.checker.name()),
                at(time)
            );
        }
    }
}

/// Violation flags: violations whose last evidence falls within a few pixels share one
/// flag; a flag moves down a row when it would cover the previous one.
pub(super) fn flag_rows(tl: &Timeline, view: View) -> Vec<(Vec<usize>, usize)> {
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

pub(super) fn flags_svg(s: &mut String, tl: &Timeline, flags: &[(Vec<usize>, usize)], view: View) {
    for (ks, row) in flags {
        let vs: Vec<&Violation> = ks.iter().map(|&k| &tl.violations[k]).collect();
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
