//! Evidence: finding the history records a check's evidence names, and quoting them.
//!
//! Neighbours: [`crate::junit`], [`crate::terminal`] and [`crate::report`] quote evidence
//! through here; the records are `checkers::history`'s.

use splitbrain_checkers::{CheckResult, History, Record};

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

/// A check's evidence, most telling first. Checkers list evidence as they like; a
/// linearizability witness lists its indices in file order, with the operation that cannot be
/// placed (`details.culprit`) somewhere among possibly thousands of conflicts. So when the
/// details name a culprit, its call and return come first, then the rest nearest to it first;
/// otherwise the checker's order stands.
pub fn ordered(c: &CheckResult) -> Vec<u64> {
    let culprit = c.details.get("culprit");
    let index = |key: &str| culprit.and_then(|o| o.get(key)).and_then(serde_json::Value::as_u64);
    let focus: Vec<u64> =
        [index("call_index"), index("return_index")].into_iter().flatten().collect();
    let Some(&anchor) = focus.first() else { return c.evidence.clone() };
    let mut rest: Vec<u64> = c.evidence.iter().copied().filter(|i| !focus.contains(i)).collect();
    rest.sort_by_key(|&i| i.abs_diff(anchor));
    focus.into_iter().chain(rest).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use splitbrain_checkers::CheckerKind;

    #[test]
    fn a_culprit_comes_first_then_what_is_nearest_to_it() {
        let plain = CheckResult::invalid(CheckerKind::DualWriter, "x", vec![9, 3, 5]);
        assert_eq!(ordered(&plain), [9, 3, 5]);
        let culprit = json!({"culprit": {"call_index": 50, "return_index": 52}});
        let lin = CheckResult::invalid(CheckerKind::Linearizable, "x", vec![1, 2, 48, 50, 52, 60])
            .with_details(culprit);
        assert_eq!(ordered(&lin), [50, 52, 48, 60, 2, 1]);
    }
}
