//! The faults on the timeline: the hatch patterns, the fault row on top (one bar per fault,
//! stacked when they overlap), the light bands across every lane, and each node's state
//! (paused, killed, cut off, clock skewed) in its own lane.
//!
//! Neighbours: [`super`] lays out the lanes; [`crate::faults`] pairs the records.

use super::{lane_index, link, Geometry, View, FAULT_ROW, LANE};
use crate::faults::Fault;
use crate::report::excerpt::Excerpt;
use crate::report::fmt::{at, cut, dur, esc, fault_color};
use crate::report::model::Timeline;
use std::fmt::Write;

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
        "delay" => "p-delay",
        "reorder" => "p-reorder",
        "duplicate" => "p-duplicate",
        "slow" => "p-slow",
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
        "delay" => "links delayed",
        "reorder" => "links reordering",
        "duplicate" => "links duplicating",
        "slow" => "links slowed",
        other => other,
    }
}

/// Greedy rows for fault bars, so overlapping faults sit one above the other (at most 4).
pub(super) fn fault_rows(faults: &[Fault], view: View) -> Vec<(&Fault, usize)> {
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

pub(super) fn fault_bands(s: &mut String, tl: &Timeline, view: View, g: &Geometry) {
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

pub(super) fn fault_bars(
    s: &mut String,
    rows: &[(&Fault, usize)],
    view: View,
    g: &Geometry,
    ex: &Excerpt,
) {
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
                    esc(&cut(&f.label(), (w / 5.5) as usize))
                );
            }
        }
        s.push_str(close);
    }
}

pub(super) fn node_states(s: &mut String, tl: &Timeline, view: View, g: &Geometry) {
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
