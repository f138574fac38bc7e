//! Checker details and figures as HTML: a generic key/value rendering of any JSON, and figure
//! tiles for the liveness numbers.
//!
//! Neighbours: [`super::sections`] calls these for each check's `details` and for the
//! liveness figures of [`crate::summary::RunResults`].
//!
//! Design: checkers own their `details` shapes and may add fields at any time, so nothing here
//! fails on a shape it does not know: it shows every key. Names carry units by suffix
//! (`_ns`, `_ms`, `_s`, `share`/`ratio`/`availability` in 0..1) and are formatted by them.

use super::fmt::{cut, dur, esc, ms};
use serde_json::{Map, Value};
use std::fmt::Write;

/// How much pretty JSON a nested value may show before it is cut.
const MAX_JSON: usize = 20_000;

/// A key made readable: `failover_p50_ns` → `failover p50`.
pub fn label(key: &str) -> String {
    let key = ["_ns", "_ms", "_s"].iter().fold(key, |k, suf| k.strip_suffix(suf).unwrap_or(k));
    key.replace(['_', '-'], " ")
}

/// A scalar formatted by its key's unit suffix.
pub fn scalar(key: &str, v: &Value) -> String {
    let num = v.as_f64();
    let fraction_key =
        ["share", "ratio", "availability", "fraction"].iter().any(|w| key.contains(w));
    match (num, v) {
        (Some(n), _) if key.ends_with("_ns") && n >= 0.0 => dur(n as u64),
        (Some(n), _) if key.ends_with("_ms") => ms(n),
        (Some(n), _) if key.ends_with("_s") => format!("{n:.2} s"),
        (Some(n), _) if fraction_key && (0.0..=1.0).contains(&n) => format!("{:.1}%", n * 100.0),
        (Some(n), Value::Number(_)) if n.fract() != 0.0 => format!("{n:.3}"),
        (_, Value::String(s)) => esc(s),
        (_, Value::Null) => "—".to_string(),
        _ => esc(&v.to_string()),
    }
}

/// Any JSON value as HTML: objects as key/value tables, lists of scalars inline, anything big
/// folded as pretty JSON.
pub fn value_html(key: &str, v: &Value, depth: usize) -> String {
    match v {
        Value::Object(map) if depth < 2 && map.len() <= 24 => table(map, depth + 1),
        Value::Array(items) if items.iter().all(is_scalar) && items.len() <= 40 => {
            let parts: Vec<String> = items.iter().map(|i| scalar(key, i)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(_) | Value::Array(_) => folded(v),
        _ => scalar(key, v),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

fn folded(v: &Value) -> String {
    let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
    let what = match v {
        Value::Array(a) => format!("{} items", a.len()),
        Value::Object(m) => format!("{} fields", m.len()),
        _ => String::new(),
    };
    format!(
        "<details><summary>{what}</summary><pre>{}</pre></details>",
        esc(&cut(&pretty, MAX_JSON))
    )
}

/// An object as a key/value table.
pub fn table(map: &Map<String, Value>, depth: usize) -> String {
    let mut s = String::from(r#"<table class="kv">"#);
    for (k, v) in map {
        let _ =
            write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(&label(k)), value_html(k, v, depth));
    }
    s.push_str("</table>");
    s
}

/// A checker's details: a table for an object, the value itself otherwise, nothing for null.
pub fn details(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Object(map) if map.is_empty() => String::new(),
        Value::Object(map) => table(map, 1),
        other => value_html("", other, 1),
    }
}

/// The numeric figures of an object (one level of nesting flattened: `failover.p50_ns` →
/// `failover p50`) as big tiles.
pub fn tiles(v: &Value) -> String {
    let mut figures = Vec::new();
    if let Value::Object(map) = v {
        for (k, val) in map {
            match val {
                Value::Object(inner) => figures.extend(
                    inner
                        .iter()
                        .filter(|(_, x)| is_scalar(x))
                        .map(|(ik, x)| (format!("{} {}", label(k), label(ik)), scalar(ik, x))),
                ),
                x if is_scalar(x) => figures.push((label(k), scalar(k, x))),
                _ => {}
            }
        }
    }
    let mut s = String::from(r#"<div class="tiles">"#);
    for (name, value) in figures.iter().take(16) {
        let _ = write!(s, r#"<div class="tile"><b>{value}</b><span>{}</span></div>"#, esc(name));
    }
    s.push_str("</div>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn units_are_read_from_key_suffixes() {
        assert_eq!(label("failover_p50_ns"), "failover p50");
        assert_eq!(scalar("failover_p50_ns", &json!(1_500_000_000u64)), "1.50 s");
        assert_eq!(scalar("write_availability", &json!(0.931)), "93.1%");
        assert_eq!(scalar("elections", &json!(7)), "7");
        assert_eq!(scalar("why", &json!("<b>")), "&lt;b&gt;");
    }

    #[test]
    fn any_details_shape_renders_without_loss_of_keys() {
        let v = json!({"a": 1, "nested": {"b": [1, 2]}, "deep": {"c": {"d": {"e": 1}}}, "big": vec![0; 100]});
        let html = details(&v);
        for key in ["a", "nested", "b", "deep", "big", "100 items"] {
            assert!(html.contains(key), "{key} missing from {html}");
        }
    }
}
