//! The report's text sections: the header with the verdict and the witnesses, the checks,
//! the figures, and the facts of the run.
//!
//! Neighbours: [`super::render`] orders these; [`super::details`] renders JSON inside them;
//! links point at lines [`super::excerpt`] picked.

use super::details;
use super::excerpt::Excerpt;
use super::fmt::{cut, dur, esc, ms, verdict_class, verdict_text};

/// Characters of a witness sentence shown in the header and the checks table.
const WITNESS_CHARS: usize = 400;
/// Characters of a witness sentence shown at the top of its check's section.
const SECTION_CHARS: usize = 1200;
use super::model::Timeline;
use crate::ops::OpStats;
use crate::summary::RunResults;
use splitbrain_checkers::{CheckResult, History, Verdict};
use std::fmt::Write;

/// Links to evidence lines (`#12 #40 …`), at most `max`, then how many more.
fn evidence_links(ev: &[u64], ex: &Excerpt, max: usize) -> String {
    let mut s: String = ev
        .iter()
        .take(max)
        .map(|&i| match ex.href(i) {
            Some(h) => format!(r#"<a class="ln" href="{h}">#{i}</a> "#),
            None => format!("#{i} "),
        })
        .collect();
    if ev.len() > max {
        let _ = write!(s, "… {} more", ev.len() - max);
    }
    s
}

/// The header: the verdict big, the test, the witness of each violation.
pub fn header(r: &RunResults, tl: &Timeline, ex: &Excerpt) -> String {
    let v = r.verdict;
    let n_invalid = tl.violations.len();
    let headline = match v {
        Verdict::Valid => "VALID".to_string(),
        Verdict::Invalid if n_invalid == 1 => "INVALID · 1 violation".to_string(),
        Verdict::Invalid => format!("INVALID · {n_invalid} violations"),
        Verdict::Unknown | Verdict::NotApplicable => "UNKNOWN".to_string(),
    };
    let mut s = format!(
        r#"<header class="top {cls}"><div class="verdict {cls}">{headline}</div><div class="title"><h1>{}</h1><div class="meta">{}</div></div></header>"#,
        esc(&r.run.test),
        meta_line(r, tl),
        cls = verdict_class(v),
    );
    s.push_str(&witnesses(r, tl, ex));
    let _ = write!(
        s,
        r#"<div class="repro"><span>reproduce</span><code>{}</code></div>"#,
        esc(&r.run.command_line())
    );
    for note in r.run.notes.iter().chain(&r.history.warnings) {
        let _ = write!(s, r#"<p class="note">⚑ {}</p>"#, esc(note));
    }
    s
}

fn meta_line(r: &RunResults, tl: &Timeline) -> String {
    let ended = r.run.ended.as_deref().unwrap_or("(did not end cleanly)");
    format!(
        "started {} · ended {} · {} recorded · {} nodes · {} history lines · seed {}",
        esc(&r.run.started),
        esc(ended),
        dur(r.history.duration_ns),
        tl.nodes.len(),
        r.history.records,
        r.run.seed
    )
}

fn witnesses(r: &RunResults, tl: &Timeline, ex: &Excerpt) -> String {
    let mut s = String::from(r#"<ol class="witness">"#);
    for v in &tl.violations {
        let ev = r
            .checks
            .iter()
            .find(|c| c.checker == v.checker)
            .map_or(Vec::new(), crate::evidence::ordered);
        let _ = write!(
            s,
            r##"<li class="invalid" id="violation-{n}"><b>⚠ {n} {}</b> {} <span class="links"><a href="#timeline">timeline</a> · <a href="#check-{}">details</a> · lines {}</span></li>"##,
            esc(v.checker.name()),
            esc(&cut(&v.summary, WITNESS_CHARS)),
            esc(v.checker.name()),
            evidence_links(&ev, ex, 8),
            n = v.number,
        );
    }
    if let Some(why) = &r.nothing_tested {
        let _ = write!(s, r#"<li class="unknown"><b>? tested</b> {}</li>"#, esc(why));
    }
    for c in r.checks.iter().filter(|c| c.verdict == Verdict::Unknown) {
        let _ = write!(
            s,
            r##"<li class="unknown"><b>? {}</b> could not decide: {} <span class="links"><a href="#check-{}">details</a></span></li>"##,
            esc(c.checker.name()),
            esc(&cut(&c.summary, WITNESS_CHARS)),
            esc(c.checker.name())
        );
    }
    for c in r.checks.iter().filter(|c| c.verdict == Verdict::NotApplicable) {
        let _ = write!(
            s,
            r#"<li class="not-applicable"><b>– {}</b> not applicable: {}</li>"#,
            esc(c.checker.name()),
            esc(&cut(&c.summary, WITNESS_CHARS)),
        );
    }
    if r.checks.is_empty() {
        s.push_str(r#"<li class="unknown"><b>no checks ran</b></li>"#);
    } else if r.verdict == Verdict::Valid {
        let judged = r.checks.iter().filter(|c| c.verdict == Verdict::Valid).count();
        let all = match judged == r.checks.len() {
            true => format!("all {judged} checks valid"),
            false => format!("all {judged} checks that apply valid"),
        };
        let _ = write!(
            s,
            r#"<li class="valid"><b>✓ {all}</b> no two leaders were seen acting at once in this history</li>"#,
        );
    }
    s.push_str("</ol>");
    s
}

/// The table of every check and its verdict.
pub fn checks_table(checks: &[CheckResult]) -> String {
    let mut s = String::from(
        r#"<table class="checks"><tr><th>check</th><th>verdict</th><th>summary</th></tr>"#,
    );
    for c in checks {
        let _ = write!(
            s,
            r##"<tr><td><a href="#check-{name}">{name}</a></td><td><span class="badge {cls}">{}</span></td><td>{}</td></tr>"##,
            verdict_text(c.verdict),
            esc(&cut(&c.summary, WITNESS_CHARS)),
            name = esc(c.checker.name()),
            cls = verdict_class(c.verdict),
        );
    }
    s.push_str("</table>");
    s
}

/// One check's section: verdict, summary, evidence lines, details.
pub fn check_section(c: &CheckResult, history: &History, ex: &Excerpt) -> String {
    let cls = verdict_class(c.verdict);
    let mut s = format!(
        r#"<section class="card check {cls}" id="check-{}"><h3><span class="badge {cls}">{}</span> {}</h3><p class="summary">{}</p>"#,
        esc(c.checker.name()),
        verdict_text(c.verdict),
        esc(c.checker.name()),
        esc(&cut(&c.summary, SECTION_CHARS))
    );
    if c.summary.chars().count() > SECTION_CHARS {
        let _ = write!(
            s,
            "<details><summary>the whole sentence ({} characters)</summary><p>{}</p></details>",
            c.summary.chars().count(),
            esc(&c.summary)
        );
    }
    if !c.evidence.is_empty() {
        s.push_str(r#"<div class="evidence"><h4>evidence</h4>"#);
        for line in evidence_rows(c, history, ex) {
            s.push_str(&line);
        }
        s.push_str("</div>");
    }
    let d = super::known::check_details(c, ex);
    if !d.is_empty() {
        let _ = write!(s, "<h4>details</h4>{d}");
    }
    s.push_str("</section>");
    s
}

/// Evidence rows, most telling first: [`EVIDENCE_SHOWN`] in view, up to [`EVIDENCE_FOLDED`]
/// more folded, and a count of the rest (all of it is in results.json).
fn evidence_rows(c: &CheckResult, history: &History, ex: &Excerpt) -> Vec<String> {
    const EVIDENCE_SHOWN: usize = 12;
    const EVIDENCE_FOLDED: usize = 48;
    let ordered = crate::evidence::ordered(c);
    let row = |&i: &u64| {
        let text = crate::evidence::record_at(history, i)
            .map_or_else(|| "(not in the history)".to_string(), super::fmt::describe);
        let link = ex.href(i).map_or(format!("#{i}"), |h| format!(r#"<a href="{h}">#{i}</a>"#));
        format!(r#"<div class="evline">{link} <code>{}</code></div>"#, esc(&text))
    };
    let mut rows: Vec<String> = ordered.iter().take(EVIDENCE_SHOWN).map(row).collect();
    let folded: Vec<String> =
        ordered.iter().skip(EVIDENCE_SHOWN).take(EVIDENCE_FOLDED).map(row).collect();
    if !folded.is_empty() {
        rows.push(format!(
            "<details><summary>{} more evidence lines</summary>{}</details>",
            folded.len(),
            folded.concat()
        ));
    }
    let rest = ordered.len().saturating_sub(EVIDENCE_SHOWN + EVIDENCE_FOLDED);
    if rest > 0 {
        rows.push(format!(
            r#"<div class="evline dim">… and {rest} more (every index is in results.json)</div>"#
        ));
    }
    rows
}

/// The liveness figures and the client operations' counts and latency quantiles.
pub fn figures(r: &RunResults, tl: &Timeline) -> String {
    let mut s = String::new();
    match r.liveness.as_ref().map(|l| (l, crate::liveness::Figures::from_details(l))) {
        Some((_, Some(f))) => s.push_str(&super::known::liveness_tiles(&f)),
        Some((l, None)) => s.push_str(&details::tiles(l)),
        None => s.push_str(r#"<p class="dim">The liveness checker did not run, so there are no failover figures; below: what the history itself says.</p>"#),
    }
    let writes = r.operations.iter().find(|o| o.f == "write");
    let _ = write!(
        s,
        r#"<div class="tiles small"><div class="tile"><b>{}</b><span>leadership tenures</span></div><div class="tile"><b>{}</b><span>distinct tokens</span></div><div class="tile"><b>{}</b><span>client writes ok</span></div><div class="tile"><b>{}</b><span>faults injected</span></div></div>"#,
        tl.tenures.len(),
        tl.tokens.len(),
        writes.map_or("—".to_string(), |w| format!("{:.1}%", w.ok_share() * 100.0)),
        tl.faults.len()
    );
    s.push_str(&ops_table(&r.operations));
    s
}

fn ops_table(ops: &[OpStats]) -> String {
    if ops.is_empty() {
        return r#"<p class="dim">No client operations were recorded.</p>"#.to_string();
    }
    let mut s = String::from(
        r#"<table class="ops"><tr><th>operation</th><th>invoked</th><th>ok</th><th>fail</th><th>info</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>"#,
    );
    for o in ops {
        let q = |f: fn(&crate::ops::Quantiles) -> f64| {
            o.latency_ms.as_ref().map_or("—".into(), |q| ms(f(q)))
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{} ({:.1}%)</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&o.f),
            o.invoked,
            o.ok,
            o.ok_share() * 100.0,
            o.fail,
            o.info,
            q(|q| q.p50),
            q(|q| q.p90),
            q(|q| q.p99),
            q(|q| q.p999),
            q(|q| q.max),
        );
    }
    s.push_str("</table><p class=\"dim\">Latency quantiles are over operations that completed ok (HdrHistogram, 3 significant digits).</p>");
    s
}

/// The run's facts: command, seed, versions, options.
pub fn run_facts(r: &RunResults) -> String {
    let mut map = serde_json::Map::new();
    map.insert("test".into(), r.run.test.clone().into());
    map.insert("seed".into(), r.run.seed.into());
    map.insert("command".into(), r.run.command_line().into());
    map.insert("started".into(), r.run.started.clone().into());
    map.insert("ended".into(), r.run.ended.clone().into());
    map.insert("splitbrain version".into(), r.run.splitbrain_version.clone().into());
    let versions = r.run.versions.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
    map.insert("versions".into(), serde_json::Value::Object(versions));
    map.insert("options".into(), r.run.options.clone());
    details::table(&map, 1)
}
