//! A figure over nights as a small inline SVG: one dot per night joined by a line, tonight's
//! dot marked, the regression limit as a dashed line; each dot's value in its tooltip.
//!
//! Neighbours: [`super::html`] puts one beside each figure's trend, and on the drill's page
//! that `serve` shows over every stored night.
//!
//! Design: plain SVG elements and `<title>` tooltips, no script and no external resource, so
//! the page stays self-contained. The vertical scale starts at 0 so that a change reads at its
//! true size.

use super::figures::Figure;
use crate::report::fmt::esc;
use std::fmt::Write;

const W: f64 = 260.0;
const H: f64 = 64.0;
const PAD: f64 = 6.0;

/// The plot of `points` (night stamp, value), oldest first; the last one is tonight when
/// `last_is_tonight`.
pub fn svg(
    figure: Figure,
    points: &[(String, f64)],
    limit: Option<f64>,
    last_is_tonight: bool,
) -> String {
    if points.is_empty() {
        return r#"<span class="dim">no nights yet</span>"#.into();
    }
    let top = points.iter().map(|p| p.1).chain(limit).fold(f64::MIN_POSITIVE, f64::max) * 1.1;
    let x = |i: usize| match points.len() {
        1 => W / 2.0,
        n => PAD + i as f64 * (W - 2.0 * PAD) / (n - 1) as f64,
    };
    let y = |v: f64| H - PAD - v / top * (H - 2.0 * PAD);
    let mut s = format!(
        r#"<svg class="trend" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{} over {} nights">"#,
        figure.name(),
        points.len()
    );
    let _ = write!(s, r##"<rect width="{W}" height="{H}" fill="#f6f8fa"/>"##);
    if let Some(l) = limit {
        let _ = write!(
            s,
            r##"<line x1="0" x2="{W}" y1="{0:.1}" y2="{0:.1}" stroke="#cf222e" stroke-dasharray="4 3"><title>regression limit {1}</title></line>"##,
            y(l),
            esc(&figure.show(l))
        );
    }
    let line: Vec<String> =
        points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1))).collect();
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="{}"/>"##,
        line.join(" ")
    );
    for (i, (night, v)) in points.iter().enumerate() {
        let tonight = last_is_tonight && i + 1 == points.len();
        let (r, fill) = if tonight { (4.0, "#1f2328") } else { (2.5, "#0969da") };
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{r}" fill="{fill}"><title>{}: {}</title></circle>"#,
            x(i),
            y(*v),
            esc(night),
            esc(&figure.show(*v))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plot_has_a_dot_per_night_and_the_limit_and_no_script() {
        let points: Vec<(String, f64)> =
            (0..3).map(|i| (format!("n{i}"), 100.0 * i as f64)).collect();
        let s = svg(Figure::FailoverP99Ms, &points, Some(300.0), true);
        assert_eq!(s.matches("<circle").count(), 3);
        assert!(s.contains("regression limit 300 ms"));
        assert!(s.contains("n2: 200 ms"));
        assert!(!s.contains("<script"));
    }
}
