//! The history lines a report carries: every evidence line with a few lines of context, then
//! the node reports and faults the timeline links to, anchored by index (`#h123`).
//!
//! Neighbours: [`super::render`] picks the lines once with [`select`] and shows them with
//! [`table`]; [`super::timeline`] and [`super::sections`] link only to lines picked here.
//!
//! Design: a 60 s run holds ~10⁵ lines, far too many for a page a person opens, and almost all
//! are ordinary client operations. Evidence comes first (it is what a person must read), with
//! [`CONTEXT`] lines each side; the rare records that draw the timeline (elections, stepdowns,
//! faults) fill the rest, up to [`MAX_LINES`] in all. The full file sits next to the report.

use super::fmt::{at, esc, json_short};
use splitbrain_checkers::{CheckResult, History, Process, Record, Type, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Lines shown each side of an evidence line.
pub const CONTEXT: u64 = 3;
/// The most lines a report carries.
pub const MAX_LINES: usize = 3000;
/// The most evidence lines taken from one check.
pub const MAX_EVIDENCE: usize = 300;

/// The lines a report carries, and which checks each one is evidence for.
#[derive(Debug, Default)]
pub struct Excerpt {
    /// Indices shown, ascending.
    pub lines: BTreeSet<u64>,
    /// For an evidence line: the checks it is evidence for (label, verdict).
    pub marks: BTreeMap<u64, Vec<(String, Verdict)>>,
}

impl Excerpt {
    /// The link to a line when it is shown (`#h12`).
    pub fn href(&self, index: u64) -> Option<String> {
        self.lines.contains(&index).then(|| format!("#h{index}"))
    }
}

/// Picks the lines: evidence of non-valid checks with context, then elections and faults.
pub fn select(history: &History, checks: &[CheckResult]) -> Excerpt {
    let mut ex = Excerpt::default();
    let last = history.records.last().map_or(0, |r| r.index);
    let mut number = 0;
    for c in checks.iter().filter(|c| matches!(c.verdict, Verdict::Invalid | Verdict::Unknown)) {
        let label = if c.verdict == Verdict::Invalid {
            number += 1;
            format!("{number} {}", c.checker)
        } else {
            format!("? {}", c.checker)
        };
        for &i in crate::evidence::ordered(c).iter().take(MAX_EVIDENCE) {
            ex.marks.entry(i).or_default().push((label.clone(), c.verdict));
            if ex.lines.len() < MAX_LINES {
                ex.lines.extend(i.saturating_sub(CONTEXT)..=(i + CONTEXT).min(last));
            }
        }
    }
    let timeline_lines = history.records.iter().filter(|r| draws_timeline(r)).map(|r| r.index);
    for i in timeline_lines {
        if ex.lines.len() >= MAX_LINES {
            break;
        }
        ex.lines.insert(i);
    }
    ex
}

fn draws_timeline(r: &Record) -> bool {
    match &r.process {
        Process::Nemesis => true,
        // A node's own `info` records are rare notes that explain a finding (e.g. redis-naive's
        // renewal over the key another node held): shown like its elections.
        Process::Node(_) => {
            r.is(Type::Ok, "elected") || r.is(Type::Ok, "stepdown") || r.kind == Type::Info
        }
        _ => false,
    }
}

/// The lines as a table, with a row saying how many lines each gap leaves out.
pub fn table(history: &History, ex: &Excerpt) -> String {
    let mut s = String::from(
        r#"<table class="hist"><thead><tr><th>#</th><th>time</th><th>process</th><th>type</th><th>f</th><th>node</th><th>value</th><th>error</th><th>evidence for</th></tr></thead><tbody>"#,
    );
    let mut prev: Option<u64> = None;
    for &i in &ex.lines {
        let Some(r) = crate::evidence::record_at(history, i) else { continue };
        let gap = prev.map_or(i, |p| i - p - 1);
        if gap > 0 {
            let _ =
                write!(s, r#"<tr class="gap"><td colspan="9">⋯ {gap} lines not shown</td></tr>"#);
        }
        row(&mut s, r, ex.marks.get(&i));
        prev = Some(i);
    }
    s.push_str("</tbody></table>");
    s
}

fn row(s: &mut String, r: &Record, marks: Option<&Vec<(String, Verdict)>>) {
    let class = match (&r.process, marks) {
        (_, Some(_)) => "ev",
        (Process::Nemesis, _) => "nem",
        (Process::Node(_), _) => "rep",
        _ => "",
    };
    let badges: String = marks
        .map(|m| {
            m.iter()
                .map(|(l, v)| {
                    format!(
                        r#"<span class="badge {}">{}</span>"#,
                        super::fmt::verdict_class(*v),
                        esc(l)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let _ = write!(
        s,
        r##"<tr id="h{i}" class="{class}"><td><a href="#h{i}">{i}</a></td><td>{}</td><td>{}</td><td class="t-{}">{}</td><td>{}</td><td>{}</td><td class="val">{}</td><td>{}</td><td>{badges}</td></tr>"##,
        at(r.time),
        esc(&r.process.to_string()),
        r.kind,
        r.kind,
        esc(&r.f),
        esc(r.node.as_deref().unwrap_or("")),
        esc(&json_short(&r.value, 160)),
        esc(r.error.as_deref().unwrap_or("")),
        i = r.index,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(i: u64, process: Process, kind: Type, f: &str) -> Record {
        let (f, value, node, error) = (f.into(), json!(null), None, None);
        Record { index: i, time: i, process, kind, f, value, node, error }
    }

    #[test]
    fn a_nodes_own_info_note_is_shown_with_its_elections_and_client_lines_are_not() {
        let n = |s: &str| Process::Node(s.into());
        let h = History::new(vec![
            rec(0, n("n1"), Type::Ok, "elected"),
            rec(1, Process::Client(0), Type::Invoke, "write"),
            rec(2, n("n1"), Type::Info, "renew"),
            rec(3, Process::Client(0), Type::Ok, "write"),
        ]);
        let ex = select(&h, &[]);
        assert_eq!(ex.lines.iter().copied().collect::<Vec<_>>(), [0, 2]);
    }
}
