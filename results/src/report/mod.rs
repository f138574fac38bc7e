//! `report.html`: one self-contained page (inline CSS and SVG, no script needed, no network)
//! that shows a person at a glance whether two leaders ever acted at once, and why.
//!
//! Order of the page, most important first: the verdict and the witness of each violation;
//! the timeline (one lane per node: who believed it led under which token, who was paused,
//! killed or cut off, the resource's accepts, the violations flagged); each violation up
//! close; the checks; the liveness figures and operation counts; latency over time and its
//! histogram; one section per check with its evidence and details; the history lines the
//! page links to; the facts of the run.
//!
//! Neighbours: reads [`RunResults`] and the [`History`] (or a [`Digest`]'s sample of it, and
//! then says so where it plots); [`model`] reads the timeline out of
//! the history, [`timeline`] and [`latency`] draw SVG, [`sections`] and [`details`] write the
//! text, [`excerpt`] picks the history lines; [`crate::output`] writes the file.

pub mod details;
pub mod excerpt;
pub mod fmt;
pub mod index;
pub mod known;
pub mod latency;
pub mod model;
pub mod sections;
pub mod timeline;

use crate::digest::{Digest, Sampling};
use crate::ops;
use crate::summary::RunResults;
use fmt::{esc, token_color};
use model::Timeline;
use splitbrain_checkers::History;
use std::fmt::Write;
use timeline::View;

/// The page style, shared by the report and the store's index page.
pub(crate) const STYLE: &str = include_str!("style.css");

/// A zoomed view is drawn for a violation when its window is under this share of the run.
const ZOOM_BELOW: f64 = 0.5;
/// The longest stretch of evidence a zoomed view shows (ns).
const ZOOM_SPAN: u64 = 500_000_000;

/// Renders the whole report page of a history held whole.
pub fn render(results: &RunResults, history: &History) -> String {
    page(results, history, None)
}

/// Renders the report page from a digest: for a sampled one, the plots say what they show.
pub fn render_digest(results: &RunResults, digest: &Digest) -> String {
    page(results, &digest.kept, digest.sampling.as_ref())
}

fn page(results: &RunResults, history: &History, sampling: Option<&Sampling>) -> String {
    let tl = Timeline::build(history, &results.checks);
    let ex = excerpt::select(history, &results.checks);
    let client_ops = ops::client_ops(&history.records);
    let sampled = sampling
        .map_or(String::new(), |s| format!(r#"<p class="note">⚑ {}</p>"#, esc(&s.sentence())));
    let mut p = String::with_capacity(256 * 1024);
    let _ = write!(
        p,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · {} · splitbrain</title><style>{STYLE}</style></head><body>"#,
        results.verdict.to_string().to_uppercase(),
        esc(&results.run.test)
    );
    p.push_str(timeline::defs());
    p.push_str(r#"<main>"#);
    p.push_str(&sections::header(results, &tl, &ex));
    timeline_card(&mut p, &tl, &ex, &sampled);
    card(&mut p, "checks", "Checks", &sections::checks_table(&results.checks));
    card(&mut p, "figures", "Liveness and operations", &sections::figures(results, &tl));
    let histogram = match sampling {
        Some(s) => latency::histogram_of(&s.latency_ok),
        None => latency::histogram(&client_ops),
    };
    let latency_html = format!(
        "{sampled}{}{}<h4>latency of every operation that completed ok</h4>{histogram}",
        latency::legend(),
        latency::scatter(&client_ops, &tl.faults, tl.end),
    );
    card(&mut p, "latency", "Latency of client operations", &latency_html);
    for c in &results.checks {
        p.push_str(&sections::check_section(c, history, &ex));
    }
    let hist = format!(
        r#"<p class="dim">The lines the page links to: evidence with {} lines of context, elections, stepdowns and faults ({} of {} lines). The whole history is <code>history.jsonl</code> next to this file.</p>{}"#,
        excerpt::CONTEXT,
        ex.lines.len(),
        results.history.records,
        excerpt::table(history, &ex)
    );
    card(&mut p, "history", "History lines", &hist);
    card(&mut p, "run", "The run", &sections::run_facts(results));
    p.push_str(r#"<footer>splitbrain report · self-contained: no network, no script needed</footer></main></body></html>"#);
    p
}

fn card(p: &mut String, id: &str, title: &str, body: &str) {
    let _ = write!(p, r#"<section class="card" id="{id}"><h2>{title}</h2>{body}</section>"#);
}

fn timeline_card(p: &mut String, tl: &Timeline, ex: &excerpt::Excerpt, sampled: &str) {
    let mut body = format!("{sampled}{}", legend(tl));
    let _ = write!(
        body,
        r#"<div class="scroll">{}</div>"#,
        timeline::svg(tl, View::whole(tl), "tl", ex)
    );
    for (k, (view, names)) in zooms(tl).into_iter().enumerate() {
        let _ = write!(
            body,
            r#"<h4 class="zoom">{} up close: {} → {}</h4><div class="scroll">{}</div>"#,
            esc(&names.join(", ")),
            fmt::at(view.t0),
            fmt::at(view.t1),
            timeline::svg(tl, view, &format!("tl-z{k}"), ex)
        );
    }
    card(p, "timeline", "Timeline", &body);
}

/// The views worth a closer look: each violation's evidence when it spans at most
/// [`ZOOM_SPAN`], else the last [`ZOOM_SPAN`] before its last evidence record (the act that
/// broke the property); violations that share a view share one drawing. None when the view
/// would show about as much as the whole run does.
fn zooms(tl: &Timeline) -> Vec<(View, Vec<String>)> {
    let mut out: Vec<(View, Vec<String>)> = Vec::new();
    for v in &tl.violations {
        let Some((a, b)) = v.span() else { continue };
        let a = a.max(b.saturating_sub(ZOOM_SPAN));
        let view = View::around(tl, a, b);
        if (view.t1 - view.t0) as f64 >= tl.end as f64 * ZOOM_BELOW {
            continue;
        }
        let name = format!("⚠ {} {}", v.number, v.checker);
        match out.iter_mut().find(|(w, _)| mostly_same(*w, view)) {
            Some((w, names)) => {
                *w = View { t0: w.t0.min(view.t0), t1: w.t1.max(view.t1) };
                names.push(name);
            }
            None => out.push((view, vec![name])),
        }
    }
    out
}

/// True when two views overlap by at least 80% of the shorter one.
fn mostly_same(a: View, b: View) -> bool {
    let overlap = a.t1.min(b.t1).saturating_sub(a.t0.max(b.t0));
    overlap as f64 >= 0.8 * (a.t1 - a.t0).min(b.t1 - b.t0) as f64
}

fn legend(tl: &Timeline) -> String {
    let mut s = String::from(r#"<div class="legend"><span class="dim">led under token:</span>"#);
    for (rank, t) in tl.tokens.iter().enumerate().take(24) {
        let _ = write!(
            s,
            r#"<span><i class="chip" style="background:{}"></i>{t}</span>"#,
            token_color(Some(rank))
        );
    }
    if tl.tokens.len() > 24 {
        let _ = write!(s, "<span>… {} more</span>", tl.tokens.len() - 24);
    }
    if tl.tenures.iter().any(|t| t.token.is_none()) {
        let _ = write!(
            s,
            r#"<span><i class="chip" style="background:{}"></i>no token</span>"#,
            token_color(None)
        );
    }
    s.push_str(
        r#"</div><div class="legend"><span><i class="chip pat" style="background:#ddf4ff;border-color:#0969da"></i>paused</span><span><i class="chip" style="background:#57606a"></i>killed</span><span><i class="chip" style="background:#fbefff;border-color:#8250df"></i>cut off (partition)</span><span><i class="chip" style="background:#fff1e5;border-color:#bc4c00"></i>clock skewed</span><span><i class="chip" style="background:#dafbe1;border-color:#1a7f37"></i>links delayed</span><span><i class="chip" style="background:#d8f3f5;border-color:#1b7c83"></i>reordering</span><span><i class="chip" style="background:#ffebe9;border-color:#a40e26"></i>duplicating</span><span><i class="chip" style="background:#fff8c5;border-color:#7d4e00"></i>slowed</span><span><i class="tickmark"></i>resource accepted a write (top of lane, token color)</span><span><i class="tickmark rej"></i>rejected (bottom)</span><span><i class="vdot"></i>violation evidence</span><span class="dim">hover for detail · click to jump to the history line</span></div>"#,
    );
    s
}
