//! The story of a dual write (and of a cluster that never converged), told from the history in
//! one paragraph: who led under which
//! token, what the nemesis did to it (paused, cut off), who was elected meanwhile, and when the
//! old leader wrote again. It goes into results.json's notes, so the report's flag box, the
//! terminal summary and junit all say *why* the run failed, not only which lines prove it.
//!
//! Neighbours: [`super::judge`] calls [`dual_write`] and [`non_convergence`] with the `dual-writer` checker's result,
//! whose evidence is (the old leader's last write before its successor, the successor's first
//! write, the old leader's late write); the fault records are the nemesis's (HISTORY.md).
//!
//! Design: the story only states what records show, each with its line; when no pause or
//! partition of the old leader explains the late write, it says so plainly instead of guessing.
//! It reads faults, node reports, refusals and evidence only, which a long run's digest keeps
//! whole, and finds records by index, so it tells the same story from a digest.

use serde_json::Value;
use splitbrain_checkers::{CheckResult, History, Process, Record};

/// One paragraph on the first dual write `check` found, or `None` when its evidence does not
/// name two writers.
pub fn dual_write(history: &History, check: &CheckResult) -> Option<String> {
    let evidence: Vec<&Record> =
        check.evidence.iter().filter_map(|&i| at_index(history, i)).collect();
    let late = *evidence.iter().max_by_key(|r| r.index)?;
    let old = writer(late)?;
    let first_new = *evidence.iter().find(|r| writer(r).is_some_and(|w| w != old))?;
    let new = writer(first_new)?;
    let elected = election(history, new, first_new);
    let mut s = format!("{old} led under {}", old_token_text(history, old, late));
    s += &match cause(history, old, first_new, late) {
        Cause::Paused { pause, resume } => format!(
            " until it was paused at {} (line {}); meanwhile {new} {}; {old} was resumed at {} \
             (line {}) and {} later wrote under its old token (line {}), before it learned that \
             it had been deposed",
            at(pause),
            pause.index,
            successor_text(elected, first_new),
            at(resume),
            resume.index,
            gap(resume, late),
            late.index
        ),
        Cause::CutOff { partition } => format!(
            "; a partition ({}) cut it off from {new} at {} (line {}); {new} {}, and {old}, still \
             believing it led, wrote again at {} (line {})",
            partition.value.get("shape").and_then(Value::as_str).unwrap_or("partition"),
            at(partition),
            partition.index,
            successor_text(elected, first_new),
            at(late),
            late.index
        ),
        Cause::Unexplained => format!(
            "; {new} {}, and {old} wrote again under its old token at {} (line {}) with no pause \
             or partition of {old} in between: it never noticed it was deposed",
            successor_text(elected, first_new),
            at(late),
            late.index
        ),
    };
    s.push('.');
    if late.token().is_some() && late.token() == first_new.token() {
        s += &format!(
            " Both wrote under {}: the election handed one token to two leaders.",
            token_text(late)
        );
    }
    Some(s)
}

/// One paragraph on a cluster that did not converge: which nodes still said they lead in their
/// final status, under which tokens, and whether the resource refused their writes meanwhile;
/// `None` when fewer than two final statuses say they lead (the checker's own sentence then
/// says what was wrong: no leader at all, or a node that gave no status).
pub fn non_convergence(history: &History, check: &CheckResult) -> Option<String> {
    let leaders = final_leaders(history, check);
    if leaders.len() < 2 {
        return None;
    }
    let named: Vec<String> = leaders.iter().map(FinalLeader::text).collect();
    let newest = leaders.last().map_or("?", |l| l.node);
    let deposed = deposed(&leaders);
    let mut s = format!(
        "{} each still said they lead in their final status{}",
        list(&named),
        match deposed.len() {
            0 => String::new(),
            1 => ": the leader that was deposed never stepped down".to_string(),
            n => format!(": {n} leaders that were deposed never stepped down"),
        }
    );
    s += &format!(" (the newest is {newest}{}).", newest_because(&leaders));
    s += &shared_token(&leaders);
    let older = &leaders[..leaders.len() - 1];
    let stale = rejects_of(history, older.iter().map(|l| l.node));
    if stale > 0 {
        let whose = match deposed.len() == older.len() {
            true => "the deposed leaders'".to_string(),
            false => {
                format!("{}'s", list(&older.iter().map(|l| l.node.to_string()).collect::<Vec<_>>()))
            }
        };
        s += &format!(
            " The resource refused {stale} of {whose} writes as stale, so fencing kept the data \
             safe; without convergence the bug would not show."
        );
    }
    Some(s)
}

/// A node whose final status says it leads: its token, and its election that status follows.
struct FinalLeader<'h> {
    node: &'h str,
    token: Option<i64>,
    elected: Option<&'h Record>,
}

impl FinalLeader<'_> {
    fn text(&self) -> String {
        match self.token {
            Some(t) => format!("{} (token {t})", self.node),
            None => self.node.to_string(),
        }
    }

    /// Newer means a higher token, and under one token (or none) the later election.
    fn age(&self) -> (Option<i64>, Option<u64>) {
        (self.token, self.elected.map(|e| e.index))
    }
}

/// The statuses in `check`'s evidence that say they lead, oldest leader first.
fn final_leaders<'h>(history: &'h History, check: &CheckResult) -> Vec<FinalLeader<'h>> {
    let mut leaders: Vec<FinalLeader<'h>> = check
        .evidence
        .iter()
        .filter_map(|&i| at_index(history, i))
        .filter(|r| r.f == "status" && r.value.get("leader").and_then(Value::as_bool) == Some(true))
        .map(|r| {
            let node = writer(r).unwrap_or("?");
            FinalLeader { node, token: r.token(), elected: election(history, node, r) }
        })
        .collect();
    leaders.sort_by_key(FinalLeader::age);
    leaders
}

/// The leaders a newer token deposed: all but the newest, or, when the newest holds a token,
/// those under a lower one (two under one token were both elected: neither was deposed).
fn deposed<'a, 'h>(leaders: &'a [FinalLeader<'h>]) -> &'a [FinalLeader<'h>] {
    let Some((newest, older)) = leaders.split_last() else { return leaders };
    match newest.token {
        Some(t) => {
            &older[..older.iter().take_while(|l| !matches!(l.token, Some(x) if x >= t)).count()]
        }
        None => older,
    }
}

/// Why the newest is the newest when its token does not tell: it was elected last.
fn newest_because(leaders: &[FinalLeader<'_>]) -> String {
    let [.., before, newest] = leaders else { return String::new() };
    match (newest.token == before.token, newest.elected) {
        (true, Some(e)) => {
            format!(", elected last under {}, at {}, line {}", token_text(e), at(e), e.index)
        }
        _ => String::new(),
    }
}

/// When the newest leaders share a token, the sentence that says whose fault that is.
fn shared_token(leaders: &[FinalLeader<'_>]) -> String {
    let Some(t) = leaders.last().and_then(|l| l.token) else { return String::new() };
    let sharing: Vec<String> =
        leaders.iter().filter(|l| l.token == Some(t)).map(|l| l.node.to_string()).collect();
    let holders = list(&sharing);
    match sharing.len() {
        0 | 1 => String::new(),
        2 => {
            format!(" {holders} both hold token {t}: the election handed one token to two leaders.")
        }
        n => {
            format!(" {holders} all hold token {t}: the election handed one token to {n} leaders.")
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// How many writes of `nodes` the resource refused.
fn rejects_of<'a>(h: &History, nodes: impl Iterator<Item = &'a str>) -> usize {
    let nodes: Vec<&str> = nodes.collect();
    h.records
        .iter()
        .filter(|r| r.process == Process::Resource && r.f == "reject")
        .filter(|r| writer(r).is_some_and(|w| nodes.contains(&w)))
        .count()
}

/// Why the old leader wrote late.
enum Cause<'h> {
    /// Paused before its successor began, resumed before its late write.
    Paused { pause: &'h Record, resume: &'h Record },
    /// A partition in force at its late write kept it from hearing its successor.
    CutOff { partition: &'h Record },
    /// Nothing the nemesis did to it.
    Unexplained,
}

fn cause<'h>(h: &'h History, old: &str, first_new: &Record, late: &Record) -> Cause<'h> {
    let before_late = before(h, late.index);
    let resume = before_late.iter().rev().find(|r| is_fault(r, "resume") && names(r, old));
    if let Some(resume) = resume.filter(|r| r.index > first_new.index) {
        let pause =
            before(h, resume.index).iter().rev().find(|r| is_fault(r, "pause") && names(r, old));
        if let Some(pause) = pause {
            return Cause::Paused { pause, resume };
        }
    }
    if let Some(paused) = paused_before_successor(h, old, first_new, late) {
        return paused;
    }
    let partition = before_late
        .iter()
        .rev()
        .find(|r| is_fault(r, "start-partition") || is_fault(r, "stop-partition"))
        .filter(|r| r.f == "start-partition" && separates(r, old, writer(first_new)));
    match partition {
        Some(partition) => Cause::CutOff { partition },
        None => Cause::Unexplained,
    }
}

/// A pause of `old` during its own tenure, before its successor's first write, ended before
/// its late write (or was recorded as ended just after it). Why: a leader woken in time to see its successor's first write may still go
/// on writing for good (a lease renewed over the successor's key, as redis-naive does), so the
/// resume can come before `first_new` and the pause is still the cause.
fn paused_before_successor<'h>(
    h: &'h History,
    old: &str,
    first_new: &Record,
    late: &Record,
) -> Option<Cause<'h>> {
    let before_new = before(h, first_new.index);
    let tenure = before_new
        .iter()
        .rposition(|r| r.f == "elected" && matches!(&r.process, Process::Node(n) if n == old));
    let since = &before_new[tenure.unwrap_or(0)..];
    let pause = since.iter().rev().find(|r| is_fault(r, "pause") && names(r, old))?;
    let after_pause = from(h, pause.index);
    let resume = after_pause
        .iter()
        .take_while(|r| r.time <= late.time + RESUME_RECORD_LAG_NS)
        .find(|r| is_fault(r, "resume") && names(r, old))?;
    Some(Cause::Paused { pause, resume })
}

/// How far a `resume` record may trail the late write: the nemesis records a resume once
/// SIGCONT has been sent, so a woken process can act a few milliseconds before its record.
const RESUME_RECORD_LAG_NS: u64 = 100_000_000;

/// The record with this index. The history may be a long run's digest, which holds every
/// fault, node report and refusal but only a sample of the rest: so records are found by
/// their index, never by their position.
fn at_index(h: &History, index: u64) -> Option<&Record> {
    splitbrain_results::evidence::record_at(h, index)
}

/// The records before the one with this index.
fn before(h: &History, index: u64) -> &[Record] {
    &h.records[..h.records.partition_point(|r| r.index < index)]
}

/// The records from the one with this index on.
fn from(h: &History, index: u64) -> &[Record] {
    &h.records[h.records.partition_point(|r| r.index < index)..]
}

/// The node a resource decision or client write is about.
fn writer(r: &Record) -> Option<&str> {
    r.value.get("node").and_then(Value::as_str).or(r.node.as_deref())
}

/// The `elected` report of `node` that its first write followed.
fn election<'h>(h: &'h History, node: &str, first: &Record) -> Option<&'h Record> {
    let token = first.token();
    before(h, first.index).iter().rev().find(|r| {
        r.f == "elected"
            && matches!(&r.process, Process::Node(n) if n == node)
            && (token.is_none() || r.token() == token)
    })
}

/// The old leader's token: its writes', or else its own election's (a writer without tokens).
fn old_token_text(h: &History, old: &str, late: &Record) -> String {
    if late.token().is_some() {
        return token_text(late);
    }
    match election(h, old, late).filter(|e| e.token().is_some()) {
        Some(e) => format!("{} (line {}), though its writes carried none", token_text(e), e.index),
        None => "no token".to_string(),
    }
}

fn successor_text(elected: Option<&Record>, first: &Record) -> String {
    match elected {
        Some(e) => format!(
            "was elected under {} at {} (line {}) and began to write (line {})",
            token_text(e),
            at(e),
            e.index,
            first.index
        ),
        None => format!("began to write under {} (line {})", token_text(first), first.index),
    }
}

fn is_fault(r: &Record, f: &str) -> bool {
    r.process == Process::Nemesis && r.f == f
}

/// True when the fault record's `nodes` include `node`.
fn names(r: &Record, node: &str) -> bool {
    let nodes = r.value.get("nodes").and_then(Value::as_array);
    nodes.is_some_and(|ns| ns.iter().any(|n| n.as_str() == Some(node)))
}

/// True when the partition's grudge drops traffic between `a` and `b` (either way).
fn separates(r: &Record, a: &str, b: Option<&str>) -> bool {
    let Some(b) = b else { return false };
    let drops = |x: &str, y: &str| {
        let list = r.value.get("grudge").and_then(|g| g.get(x)).and_then(Value::as_array);
        list.is_some_and(|l| l.iter().any(|n| n.as_str() == Some(y)))
    };
    drops(a, b) || drops(b, a)
}

fn token_text(r: &Record) -> String {
    match r.token() {
        Some(t) => format!("token {t}"),
        None => "no token".to_string(),
    }
}

fn at(r: &Record) -> String {
    format!("{:.2} s", r.time as f64 / 1e9)
}

fn gap(from: &Record, to: &Record) -> String {
    let ms = to.time.saturating_sub(from.time) as f64 / 1e6;
    match ms < 1.0 {
        true => "under 1 ms".to_string(),
        false => format!("{ms:.0} ms"),
    }
}

#[cfg(test)]
#[path = "story_tests.rs"]
mod tests;
