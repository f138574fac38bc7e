//! Parsing lines into records, a block at a time on every core the machine offers.
//!
//! Neighbours: [`super`] hands over blocks of whole lines and applies the rules to what comes
//! back, in file order.

use super::Problem;
use crate::history::Record;

/// One raw line, newline included if it has one.
struct RawLine<'b> {
    bytes: &'b [u8],
}

/// What one line turned out to be.
pub(super) enum Parsed {
    /// A whole record.
    Record(Record),
    /// Nothing but whitespace.
    Blank,
    /// Not a record: bad JSON, a missing field, a field of the wrong type.
    Bad(Problem),
}

/// Below this many lines a batch is parsed on the calling thread.
const PARALLEL_FROM: usize = 2_048;

/// Parses every line of `block`, keeping file order. Only the last line can lack a newline.
pub(super) fn parse_block(block: &[u8]) -> Vec<Parsed> {
    parse_batch(&split_lines(block))
}

fn parse_batch(batch: &[RawLine<'_>]) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    if threads < 2 || batch.len() < PARALLEL_FROM {
        return batch.iter().map(parse_line).collect();
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(parse_line).collect::<Vec<_>>()))
            .collect();
        // A panic in serde_json is a bug of the tool, not of the history: let it propagate.
        handles.into_iter().flat_map(|h| h.join().expect("parser thread panicked")).collect()
    })
}

fn parse_line(line: &RawLine<'_>) -> Parsed {
    let bytes = line.bytes;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Parsed::Blank;
    }
    match serde_json::from_slice::<Record>(bytes) {
        Ok(r) => Parsed::Record(r),
        Err(e) => Parsed::Bad(Problem::NotARecord(describe(&e))),
    }
}

/// serde_json's message without its "at line 1 column N" tail (every line is line 1 to it).
fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&tail) {
        Some(head) => format!("{head} (column {})", e.column()),
        None => full,
    }
}

fn split_lines(block: &[u8]) -> Vec<RawLine<'_>> {
    let mut lines = Vec::with_capacity(block.len() / 100 + 1);
    let mut rest = block;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
        lines.push(RawLine { bytes: &rest[..end] });
        rest = &rest[end..];
    }
    lines
}
