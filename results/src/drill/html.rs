//! `drill.html`, the night at a glance: the night's result, what failed and why, a table of the
//! scenarios (expected, got, figures, links to each run's report), and for each scenario its
//! figures tonight beside the earlier nights, with a plot. Also [`history_page`], a drill's
//! every stored night, which `serve` shows.
//!
//! Neighbours: renders a [`DrillRecord`]; shares the run report's style sheet and escaping
//! ([`crate::report`]); plots through [`super::plot`].
//!
//! Design: self-contained like report.html (inline style, inline SVG, no script); links are
//! relative to the night's folder, so the page works served or opened as a file.

use super::figures::Figure;
use super::plot;
use super::record::{DrillRecord, Outcome, ScenarioRecord};
use super::trend::{Trend, TrendState};
use crate::report::fmt::{esc, verdict_class, verdict_text};
use crate::report::STYLE;
use std::fmt::Write;

const EXTRA: &str = "svg.trend{display:block}td.num{text-align:right;white-space:nowrap}tr.bad td{background:#ffebe9}td.regressed{color:var(--invalid);font-weight:700}";

fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "valid",
        Outcome::Failed => "invalid",
        Outcome::Unknown => "unknown",
    }
}

fn head(title: &str, class: &str, badge: &str, h1: &str, meta: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · splitbrain drill</title><style>{STYLE}{EXTRA}</style></head><body><main><header class="top {class}"><div class="verdict {class}">{}</div><div class="title"><h1>{}</h1><div class="meta">{}</div></div></header>"#,
        esc(title),
        esc(badge),
        esc(h1),
        meta
    )
}

/// The night's page.
pub fn render(d: &DrillRecord) -> String {
    let class = outcome_class(d.outcome);
    let met = d.scenarios.iter().filter(|s| s.met).count();
    let meta = format!(
        "night {} · {} · {met} of {} scenarios met their expectations · seed {}{}",
        esc(&d.night),
        esc(&d.file),
        d.scenarios.len(),
        d.seed,
        if d.interrupted { " · <b>interrupted</b>" } else { "" }
    );
    let badge = d.outcome.name().to_uppercase();
    let mut p = head(
        &format!("{badge} · {}", d.drill),
        class,
        &badge,
        &format!("drill {}", d.drill),
        &meta,
    );
    failures(&mut p, d);
    p.push_str(r#"<section class="card"><h2>Scenarios</h2><div class="scroll">"#);
    p.push_str(&table(d));
    p.push_str("</div></section>");
    for s in &d.scenarios {
        scenario_card(&mut p, s);
    }
    p.push_str(r#"<footer>splitbrain drill · self-contained: no network, no script needed</footer></main></body></html>"#);
    p
}

fn failures(p: &mut String, d: &DrillRecord) {
    let bad: Vec<&ScenarioRecord> = d.scenarios.iter().filter(|s| !s.met).collect();
    if bad.is_empty() {
        return;
    }
    p.push_str(r#"<ol class="witness">"#);
    for s in bad {
        for why in &s.why {
            let _ = write!(
                p,
                r##"<li><b><a href="#s-{0}">{0}</a></b>{1}</li>"##,
                esc(&s.name),
                esc(why)
            );
        }
    }
    p.push_str("</ol>");
}

fn table(d: &DrillRecord) -> String {
    let mut t = String::from(
        r#"<table class="checks"><tr><th>scenario</th><th>expected</th><th>got</th><th>result</th><th>seeds (run reports)</th>"#,
    );
    for f in Figure::ALL {
        let _ = write!(t, r#"<th class="num">{}</th>"#, f.name());
    }
    t.push_str("</tr>");
    for s in &d.scenarios {
        let got = s.got.map_or(r#"<span class="badge none">not run</span>"#.to_string(), |v| {
            format!(r#"<span class="badge {}">{}</span>"#, verdict_class(v), verdict_text(v))
        });
        let result = match s.met {
            true => r#"<span class="badge valid">met</span>"#,
            false => r#"<span class="badge invalid">FAILED</span>"#,
        };
        let _ = write!(
            t,
            r##"<tr class="{class}"><td><a href="#s-{name}">{name}</a></td><td>{expect}</td><td>{got}</td><td>{result}</td><td>{seeds}</td>"##,
            class = if s.met { "" } else { "bad" },
            name = esc(&s.name),
            expect = s.expect.name(),
            seeds = seed_links(s)
        );
        for f in Figure::ALL {
            let v = s.figures.get(f).map_or("—".into(), |v| f.show(v));
            let _ = write!(t, r#"<td class="num">{}</td>"#, esc(&v));
        }
        t.push_str("</tr>");
    }
    t.push_str("</table>");
    t
}

fn seed_links(s: &ScenarioRecord) -> String {
    let link = |x: &super::record::SeedRecord| {
        format!(
            r#"<a href="{}/report.html" title="{}"><span class="badge {}">{}</span></a>"#,
            esc(&x.run),
            esc(x.note.as_deref().unwrap_or(verdict_text(x.verdict))),
            verdict_class(x.verdict),
            x.seed
        )
    };
    s.seeds.iter().map(link).collect::<Vec<_>>().join(" ")
}

fn scenario_card(p: &mut String, s: &ScenarioRecord) {
    let _ = write!(
        p,
        r#"<section class="card" id="s-{0}"><h3>{0}</h3><p class="dim"><code>{1}</code> · options {2}{3}</p>"#,
        esc(&s.name),
        esc(&s.command),
        esc(&s.options_hash),
        if s.gated { "" } else { " · trends shown, not gated (expected invalid)" }
    );
    for b in &s.bounds {
        let _ = write!(
            p,
            r#"<p><span class="badge {}">{}</span> {}</p>"#,
            verdict_class(b.verdict),
            verdict_text(b.verdict),
            esc(&b.sentence())
        );
    }
    p.push_str(r#"<table class="checks"><tr><th>figure</th><th>earlier nights (oldest first)</th><th class="num">tonight</th><th class="num">median</th><th class="num">limit</th><th>trend</th><th>over the nights</th></tr>"#);
    for t in &s.trends {
        trend_row(p, t);
    }
    p.push_str("</table></section>");
}

fn trend_row(p: &mut String, t: &Trend) {
    let f = t.figure;
    let show = |v: Option<f64>| v.map_or("—".into(), |v| f.show(v));
    let earlier: Vec<String> = t
        .previous
        .iter()
        .map(|pt| format!(r#"<span title="{}">{}</span>"#, esc(&pt.night), esc(&f.show(pt.value))))
        .collect();
    let mut points: Vec<(String, f64)> =
        t.previous.iter().map(|pt| (pt.night.clone(), pt.value)).collect();
    points.extend(t.tonight.map(|v| ("tonight".to_string(), v)));
    let state = t.state.text();
    let _ = write!(
        p,
        r#"<tr><td>{}</td><td>{}</td><td class="num"><b>{}</b></td><td class="num">{}</td><td class="num">{}</td><td class="{}">{state}</td><td>{}</td></tr>"#,
        f.name(),
        if earlier.is_empty() { "—".into() } else { earlier.join(" · ") },
        esc(&show(t.tonight)),
        esc(&show(t.baseline)),
        esc(&show(t.limit)),
        if t.state == TrendState::Regressed { "regressed" } else { "" },
        plot::svg(f, &points, t.limit, t.tonight.is_some())
    );
}

/// The store index's section of drills: each drill, its latest night's result, and links to
/// its nights' page (`/drills/<drill>/`) and its latest drill.html.
pub fn drills_section(drills: &[(String, Vec<DrillRecord>)]) -> String {
    if drills.is_empty() {
        return String::new();
    }
    let mut p = String::from(
        r#"<section class="card"><h2>Drills</h2><table class="checks"><tr><th>latest night</th><th>drill</th><th>nights</th><th>latest page</th></tr>"#,
    );
    for (name, nights) in drills {
        let Some(last) = nights.last() else { continue };
        let _ = write!(
            p,
            r#"<tr><td><span class="badge {}">{}</span></td><td><a href="/drills/{name}/">{name}</a></td><td>{}</td><td><a href="/drills/{name}/{night}/drill.html">{night}</a></td></tr>"#,
            outcome_class(last.outcome),
            last.outcome.name(),
            nights.len(),
            name = esc(name),
            night = esc(&last.night)
        );
    }
    p.push_str("</table></section>");
    p
}

/// A drill's every stored night (oldest first): a list of nights with links to their pages,
/// and each scenario's figures plotted over them. Links start with `base` (the drill's folder
/// as served, `/drills/<drill>/`).
pub fn history_page(drill: &str, nights: &[DrillRecord], base: &str) -> String {
    let last = nights.last().map_or(Outcome::Unknown, |n| n.outcome);
    let meta = format!("{} nights stored", nights.len());
    let mut p = head(
        drill,
        outcome_class(last),
        &last.name().to_uppercase(),
        &format!("drill {drill}"),
        &meta,
    );
    p.push_str(r#"<section class="card"><h2>Nights</h2><table class="checks"><tr><th>night</th><th>result</th><th>scenarios met</th><th>files</th></tr>"#);
    for n in nights.iter().rev() {
        let met = n.scenarios.iter().filter(|s| s.met).count();
        let _ = write!(
            p,
            r#"<tr><td><a href="{b}{0}/drill.html">{0}</a></td><td><span class="badge {1}">{2}</span></td><td>{met} of {3}</td><td><a href="{b}{0}/junit.xml">junit.xml</a> <a href="{b}{0}/drill.json">drill.json</a></td></tr>"#,
            esc(&n.night),
            outcome_class(n.outcome),
            n.outcome.name(),
            n.scenarios.len(),
            b = esc(base)
        );
    }
    p.push_str("</table></section>");
    for name in scenario_names(nights) {
        let _ = write!(p, r#"<section class="card"><h3>{}</h3><table class="checks">"#, esc(&name));
        for f in Figure::ALL {
            let points: Vec<(String, f64)> = nights
                .iter()
                .filter_map(|n| {
                    let s = n.scenarios.iter().find(|s| s.name == name)?;
                    Some((n.night.clone(), s.figures.get(f)?))
                })
                .collect();
            if points.is_empty() {
                continue;
            }
            let _ = write!(
                p,
                "<tr><td>{}</td><td>{}</td></tr>",
                f.name(),
                plot::svg(f, &points, None, false)
            );
        }
        p.push_str("</table></section>");
    }
    p.push_str("<footer>splitbrain drill history</footer></main></body></html>");
    p
}

/// Scenario names over the nights, in first-seen order.
fn scenario_names(nights: &[DrillRecord]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in nights.iter().flat_map(|n| &n.scenarios) {
        if !names.contains(&s.name) {
            names.push(s.name.clone());
        }
    }
    names
}
