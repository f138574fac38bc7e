//! Leadership on the timeline: each tenure as a bar in its node's lane, colored by token, and
//! the resource's decisions as strips along the top (accepts) or bottom (rejects) of the
//! writer's lane.
//!
//! Neighbours: [`super`] lays out the lanes; [`crate::report::model`] reads the tenures.

use super::{lane_index, link, Geometry, View, LANE};
use crate::report::excerpt::Excerpt;
use crate::report::fmt::{at, dur, esc, token_color};
use crate::report::model::{TenureEnd, Timeline};
use std::collections::BTreeMap;
use std::fmt::Write;

pub(super) fn tenures(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
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
pub(super) fn decisions(s: &mut String, tl: &Timeline, view: View, g: &Geometry, ex: &Excerpt) {
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
