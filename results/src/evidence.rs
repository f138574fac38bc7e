//! Evidence: finding the history records a check's evidence names, and quoting them.
//!
//! Neighbours: [`crate::junit`], [`crate::terminal`] and [`crate::report`] quote evidence
//! through here; the records are `checkers::history`'s.

use splitbrain_checkers::{History, Record};

/// The record with this `index` (records are in index order; a history read from a file has
/// `records[i].index == i`, but a hand-built one may not, so fall back to a search).
pub fn record_at(h: &History, index: u64) -> Option<&Record> {
    let direct = usize::try_from(index).ok().and_then(|i| h.records.get(i));
    match direct {
        Some(r) if r.index == index => Some(r),
        _ => h.records.binary_search_by_key(&index, |r| r.index).ok().map(|i| &h.records[i]),
    }
}

/// One record as a history.jsonl line (without the newline).
pub fn line(r: &Record) -> String {
    serde_json::to_string(r).expect("a history record always serializes")
}

/// The history lines of these indices, at most `cap` of them, then a line saying how many
/// more there were; an index missing from the history is quoted as such.
pub fn lines(h: &History, indices: &[u64], cap: usize) -> Vec<String> {
    let mut out: Vec<String> = indices
        .iter()
        .take(cap)
        .map(|&i| record_at(h, i).map_or_else(|| format!("(index {i}: not in the history)"), line))
        .collect();
    if indices.len() > cap {
        out.push(format!("… and {} more", indices.len() - cap));
    }
    out
}
