//! The store's index page: every stored run, newest first, with its verdict and a link to its
//! report. `serve` sends it for `/`, and serves the store folder for the rest.
//!
//! Neighbours: lists what [`crate::store::Store::runs`] returns; links are relative to the
//! store's folder (`<test>/<timestamp>/report.html`), so the page works served or opened as a
//! file placed at the store's root.

use super::fmt::{esc, verdict_class};
use crate::store::{files, RunEntry};
use std::fmt::Write;

/// The index page of a store holding `runs` (in the order given). `title` names the store.
pub fn render(title: &str, runs: &[RunEntry]) -> String {
    render_with(title, runs, "")
}

/// The index page with `sections` (HTML, such as the store's drills) above the list of runs.
pub fn render_with(title: &str, runs: &[RunEntry], sections: &str) -> String {
    let verdicts: Vec<_> = runs.iter().map(RunEntry::verdict).collect();
    let count =
        |class: &str| verdicts.iter().filter(|v| v.map_or("none", verdict_class) == class).count();
    let mut p = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · splitbrain runs</title><style>{}</style></head><body><main><header class="top"><div class="title"><h1>splitbrain runs</h1><div class="meta">{} · {} runs · {} valid · {} invalid · {} unknown · {} without results</div></div></header>{}<section class="card"><table class="checks"><tr><th>verdict</th><th>test</th><th>started (UTC)</th><th>files</th></tr>"#,
        esc(title),
        super::STYLE,
        esc(title),
        runs.len(),
        count("valid"),
        count("invalid"),
        count("unknown"),
        count("none"),
        sections,
    );
    for (run, verdict) in runs.iter().zip(&verdicts) {
        let badge = match verdict {
            Some(v) => format!(r#"<span class="badge {}">{v}</span>"#, verdict_class(*v)),
            None => r#"<span class="badge none">no results</span>"#.to_string(),
        };
        let base = format!("{}/{}", esc(&run.test), esc(&run.stamp));
        let link = |name: &str| {
            if run.dir.path().join(name).is_file() {
                format!(r#"<a href="{base}/{name}">{name}</a>"#)
            } else {
                String::new()
            }
        };
        let report = link(files::REPORT);
        let first = if report.is_empty() {
            esc(&run.test)
        } else {
            format!(r#"<a href="{base}/{}">{}</a>"#, files::REPORT, esc(&run.test))
        };
        let _ = write!(
            p,
            "<tr><td>{badge}</td><td>{first}</td><td>{}</td><td>{} {} {} {}</td></tr>",
            esc(&run.stamp),
            report,
            link(files::RESULTS),
            link(files::HISTORY),
            link(files::HARNESS_LOG),
        );
    }
    if runs.is_empty() {
        p.push_str(r#"<tr><td colspan="4" class="dim">No runs stored yet: run <code>splitbrain test</code>.</td></tr>"#);
    }
    p.push_str("</table></section><footer>splitbrain</footer></main></body></html>");
    p
}
