//! Small formatting pieces of the report: HTML escaping, durations, colors, one-line record
//! descriptions.
//!
//! Neighbours: every other `report` module.

use serde_json::Value;
use splitbrain_checkers::{Process, Record, Verdict};

/// Escapes text for HTML content and double- or single-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A duration for a person: `850 µs`, `12.3 ms`, `4.21 s`, `2 min 5 s`.
pub fn dur(ns: u64) -> String {
    let ns_f = ns as f64;
    match ns {
        0..=999 => format!("{ns} ns"),
        1_000..=999_999 => format!("{:.0} µs", ns_f / 1e3),
        1_000_000..=9_999_999 => format!("{:.2} ms", ns_f / 1e6),
        10_000_000..=99_999_999 => format!("{:.1} ms", ns_f / 1e6),
        100_000_000..=999_999_999 => format!("{:.0} ms", ns_f / 1e6),
        1_000_000_000..=119_999_999_999 => format!("{:.2} s", ns_f / 1e9),
        _ => format!("{} min {} s", ns / 60_000_000_000, ns / 1_000_000_000 % 60),
    }
}

/// A time on the run's clock, as seconds with milliseconds: `12.345 s`.
pub fn at(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// Milliseconds with a sensible precision.
pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// Colors of tokens in rank order: neighbouring tokens get clearly different hues.
const TOKEN_COLORS: [&str; 12] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#17becf", "#e377c2", "#8c564b", "#bcbd22",
    "#393b79", "#e7969c", "#637939", "#6baed6",
];

/// The color of the token of this rank; gray for no token.
pub fn token_color(rank: Option<usize>) -> &'static str {
    rank.map_or("#8c959f", |r| TOKEN_COLORS[r % TOKEN_COLORS.len()])
}

/// A fault kind's shade.
pub fn fault_color(kind: &str) -> &'static str {
    match kind {
        "partition" => "#8250df",
        "pause" => "#0969da",
        "kill" => "#24292f",
        "clock" => "#bc4c00",
        "loss" => "#bf8700",
        "delay" => "#1a7f37",
        "reorder" => "#1b7c83",
        "duplicate" => "#a40e26",
        "slow" => "#7d4e00",
        _ => "#6e7781",
    }
}

/// The CSS class of a verdict.
pub fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "valid",
        Verdict::Invalid => "invalid",
        Verdict::Unknown => "unknown",
        Verdict::NotApplicable => "not-applicable",
    }
}

/// A verdict as a badge says it ("not applicable" in words, the others as they are).
pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::NotApplicable => "not applicable",
        _ => verdict_class(v),
    }
}

/// Compact JSON, cut to `max` characters.
pub fn json_short(v: &Value, max: usize) -> String {
    let s = v.to_string();
    cut(&s, max)
}

/// `s` cut to `max` characters with an ellipsis.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// One line saying what a record is, for tooltips: `#12 at 1.234 s: n2 elected (token 5)`.
pub fn describe(r: &Record) -> String {
    let who = match &r.process {
        Process::Client(p) => format!("client {p}"),
        other => other.to_string(),
    };
    let mut s = format!("#{} at {}: {who} {} {}", r.index, at(r.time), r.f, r.kind);
    if let Some(n) = &r.node {
        s.push_str(&format!(" node {n}"));
    }
    if !r.value.is_null() {
        s.push(' ');
        s.push_str(&json_short(&r.value, 120));
    }
    if let Some(e) = &r.error {
        s.push_str(&format!(" error: {e}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (500, "500 ns"),
            (850_000, "850 µs"),
            (1_234_567, "1.23 ms"),
            (12_345_678, "12.3 ms"),
            (300_000_000, "300 ms"),
            (4_210_000_000, "4.21 s"),
            (125_000_000_000, "2 min 5 s"),
        ];
        for (ns, text) in cases {
            assert_eq!(dur(ns), text);
        }
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(esc("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
