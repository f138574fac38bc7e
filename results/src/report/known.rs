//! Renderings of the details of checkers whose fields are known: the liveness figures
//! (checkers/src/liveness.rs) and the linearizability witness (checkers/src/linear/witness.rs).
//! Every other checker's details, and these when their shape surprises, fall back to
//! [`super::details`].
//!
//! Neighbours: [`super::sections`] calls [`check_details`] for each check section and
//! [`liveness_tiles`] for the figures card.

use super::details;
use super::excerpt::Excerpt;
use super::fmt::{dur, esc, json_short};
use crate::liveness::Figures;
use serde_json::Value;
use splitbrain_checkers::{CheckResult, CheckerKind};
use std::fmt::Write;

/// Linearization steps shown (the last ones: where the search got stuck).
const MAX_STEPS: usize = 60;
/// Conflicting operations listed (a witness that is not minimal may name thousands).
const MAX_CONFLICTS: usize = 30;
/// Failovers listed.
const MAX_FAILOVERS: usize = 50;

/// The details of one check as HTML.
pub fn check_details(c: &CheckResult, ex: &Excerpt) -> String {
    let known = match c.checker.checker() {
        Some(CheckerKind::Liveness) => Figures::from_details(&c.details).map(|f| liveness(&f, ex)),
        Some(CheckerKind::Linearizable) => linearizable(&c.details, ex),
        _ => None,
    };
    match known {
        Some(html) => format!(
            "{html}<details><summary>all details</summary>{}</details>",
            details::details(&c.details)
        ),
        None => details::details(&c.details),
    }
}

fn line_link(ex: &Excerpt, index: Option<u64>) -> String {
    match index {
        Some(i) => ex.href(i).map_or(format!("#{i}"), |h| format!(r#"<a href="{h}">#{i}</a>"#)),
        None => "—".to_string(),
    }
}

/// The headline figures as tiles.
pub fn liveness_tiles(f: &Figures) -> String {
    let opt = |v: Option<u64>| v.map_or("—".to_string(), dur);
    let no_leader = match (f.no_leader_ns, f.no_leader_share()) {
        (Some(ns), Some(share)) => format!("{} <small>({:.1}%)</small>", dur(ns), share * 100.0),
        (ns, _) => opt(ns),
    };
    let writes = match (f.write_success_share, &f.writes) {
        (Some(s), Some(w)) => format!("{:.1}% <small>({}/{})</small>", s * 100.0, w.ok, w.invoked),
        (Some(s), None) => format!("{:.1}%", s * 100.0),
        _ => "—".to_string(),
    };
    let tiles = [
        (f.elections.map_or("—".into(), |e| e.to_string()), "elections"),
        (opt(f.failover_p50()), "failover p50"),
        (opt(f.failover_quantile(0.99)), "failover p99"),
        (opt(f.failover_max()), "failover max"),
        (no_leader, "time without a leader"),
        (writes, "write availability"),
        (opt(f.first_election_ns), "first leader after"),
        (f.unfinished_failovers.len().to_string(), "leaders never replaced"),
    ];
    let mut s = String::from(r#"<div class="tiles">"#);
    for (value, name) in tiles {
        let _ = write!(s, r#"<div class="tile"><b>{value}</b><span>{name}</span></div>"#);
    }
    s.push_str("</div>");
    s
}

fn liveness(f: &Figures, ex: &Excerpt) -> String {
    let mut s = liveness_tiles(f);
    if f.failovers.is_empty() {
        return s;
    }
    s.push_str(r#"<table class="checks"><tr><th>leader lost</th><th>fault</th><th>next leader</th><th>elected</th><th>failover</th></tr>"#);
    for fo in f.failovers.iter().take(MAX_FAILOVERS) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&fo.from),
            line_link(ex, fo.fault),
            esc(&fo.to),
            line_link(ex, fo.elected),
            dur(fo.ns)
        );
    }
    s.push_str("</table>");
    if f.failovers.len() > MAX_FAILOVERS {
        let _ = write!(
            s,
            r#"<p class="dim">… and {} more failovers</p>"#,
            f.failovers.len() - MAX_FAILOVERS
        );
    }
    s
}

/// An *op* of the witness: `{process, context, call_index, return_index, op}`.
fn op_row(op: &Value, ex: &Excerpt, extra: &str) -> String {
    let what = op.get("op").map_or(String::new(), |o| match o {
        Value::String(s) => s.clone(),
        other => json_short(other, 160),
    });
    // Where it ran and under which token (`via n4 under token 7`), when the history says.
    let context = op
        .get("context")
        .and_then(Value::as_str)
        .map_or(String::new(), |c| format!(r#" <span class="dim">{}</span>"#, esc(c)));
    format!(
        "<tr><td>{}</td><td><code>{}</code>{context}</td><td>{}</td><td>{}</td>{extra}</tr>",
        esc(&op.get("process").map_or(String::new(), |p| p.to_string())),
        esc(&what),
        line_link(ex, op.get("call_index").and_then(Value::as_u64)),
        line_link(ex, op.get("return_index").and_then(Value::as_u64)),
    )
}

/// The conflicts whose call is nearest the culprit's, in call order.
fn nearest<'a>(culprit: &Value, conflicts: &[&'a Value]) -> Vec<&'a Value> {
    let call = |o: &Value| o.get("call_index").and_then(Value::as_u64).unwrap_or(0);
    let anchor = call(culprit);
    let mut near: Vec<&Value> = conflicts.to_vec();
    near.sort_by_key(|c| call(c).abs_diff(anchor));
    near.truncate(MAX_CONFLICTS);
    near.sort_by_key(|c| call(c));
    near
}

fn linearizable(v: &Value, ex: &Excerpt) -> Option<String> {
    let culprit = v.get("culprit")?;
    let mut s = String::from(
        r#"<h4>the operation that cannot be placed, and what it conflicts with</h4><table class="checks"><tr><th>process</th><th>operation</th><th>call</th><th>return</th><th></th></tr>"#,
    );
    s.push_str(&op_row(
        culprit,
        ex,
        r#"<td><span class="badge invalid">cannot be placed</span></td>"#,
    ));
    let all: Vec<&Value> =
        v.get("conflicts").and_then(Value::as_array).into_iter().flatten().collect();
    for c in nearest(culprit, &all) {
        s.push_str(&op_row(c, ex, "<td>conflicts</td>"));
    }
    s.push_str("</table>");
    // The checker ships at most a few conflicts; `conflicts_total` says how many there are.
    let total = v.get("conflicts_total").and_then(Value::as_u64).unwrap_or(all.len() as u64);
    let shown = all.len().min(MAX_CONFLICTS);
    if total > shown as u64 {
        let _ = write!(
            s,
            r#"<p class="dim">The {shown} conflicting operations nearest the culprit, of {total}.</p>"#
        );
    }
    if v.get("conflicts_minimal") == Some(&Value::Bool(false)) {
        s.push_str(r#"<p class="dim">Not minimal: the witness search ran out of time before it could drop every operation the conflict does not need.</p>"#);
    }
    if let Some(steps) = v.get("longest_linearization").and_then(Value::as_array) {
        let skip = steps.len().saturating_sub(MAX_STEPS);
        // The checker keeps only the end of a long linearization: `longest_placed` is its length.
        let placed = v.get("longest_placed").and_then(Value::as_u64).unwrap_or(steps.len() as u64);
        let shown = steps.len() - skip;
        let _ = write!(
            s,
            r#"<h4>longest partial linearization: {} of {} operations placed{}</h4><table class="checks"><tr><th>process</th><th>operation</th><th>call</th><th>return</th><th>state after</th></tr>"#,
            placed,
            v.get("prefix_operations").map_or("?".to_string(), |p| p.to_string()),
            if (shown as u64) < placed {
                format!(" (the last {shown} shown)")
            } else {
                String::new()
            }
        );
        for step in &steps[skip..] {
            let state = step.get("state_after").map_or(String::new(), |st| json_short(st, 80));
            s.push_str(&op_row(step, ex, &format!("<td><code>{}</code></td>", esc(&state))));
        }
        s.push_str("</table>");
    }
    Some(s)
}
