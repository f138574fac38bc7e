//! The HTML pages `serve` makes itself: the store's index (the drills, and a list of runs with
//! their verdicts), a drill's nights with a plot per figure, and a listing for every folder.
//!
//! Neighbours: the index is rendered by `splitbrain_results::report::index`; `http.rs` sends
//! these pages.

use splitbrain_results::drill::{html, nights};
use splitbrain_results::Store;
use std::path::Path;

/// The store's index page (the results crate renders it; its links are relative to the root).
pub(super) fn index(root: &Path) -> String {
    let runs = Store::new(root).runs().unwrap_or_default();
    let drills = html::drills_section(&nights::drills(root));
    splitbrain_results::report::index::render_with(&root.display().to_string(), &runs, &drills)
}

/// The page of a drill's folder (`drills/<drill>/`): its nights and a plot per figure over
/// them; `None` when `dir` is not a drill with a stored night.
pub(super) fn drill(root: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(root).ok()?;
    let mut parts = rel.iter();
    let (Some(first), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    if first != nights::files::DRILLS {
        return None;
    }
    let name = name.to_str()?;
    let found = nights::DrillDir::new(root, name).ok()?.nights();
    let base = format!("/{}/{name}/", nights::files::DRILLS);
    (!found.is_empty()).then(|| html::history_page(name, &found, &base))
}

/// The page for folder `dir` inside `root`: its entries, hidden ones left out.
pub(super) fn listing(root: &Path, dir: &Path) -> String {
    let rel = dir.strip_prefix(root).unwrap_or(Path::new(""));
    let mut names: Vec<(String, bool)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    names.sort();
    let base = rel.display().to_string();
    let items: String = names
        .iter()
        .map(|(n, d)| {
            let slash = if *d { "/" } else { "" };
            let href = if base.is_empty() {
                format!("/{n}{slash}")
            } else {
                format!("/{base}/{n}{slash}")
            };
            format!("<li><a href=\"{}\">{}{slash}</a></li>", esc(&href), esc(n))
        })
        .collect();
    page(&format!("/{base}"), &format!("<p><a href=\"/\">all runs</a></p><ul>{items}</ul>"))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><meta charset=utf-8><title>{0}</title><style>body{{font:14px system-ui,sans-serif;margin:2em}}td,th{{padding:2px 10px;text-align:left}}.invalid{{color:#c00;font-weight:bold}}.valid{{color:#080}}.unknown{{color:#b80}}</style><h1>{0}</h1>{body}",
        esc(title)
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
