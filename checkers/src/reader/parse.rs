//! Parsing lines into records, a block at a time on every core the machine offers.
//!
//! Neighbours: [`super`] hands over blocks of whole lines and applies the rules to what comes
//! back, in file order; [`super::lean`] parses a line without building its value, and the
//! whole [`Record`] parse here reads (or refuses, with today's message) every line it cannot.

use super::block::{Kept, ProcAt, Span};
use super::{lean, Problem};
use crate::fed::Who;
use crate::history::Record;

/// One raw line, newline included if it has one.
struct RawLine<'b> {
    bytes: &'b [u8],
}

/// What one line turned out to be.
pub(super) enum Parsed {
    /// A record parsed lean: positions in the block's text.
    Kept(Kept),
    /// A whole record.
    Record(Box<Record>),
    /// Nothing but whitespace.
    Blank,
    /// Not a record: bad JSON, a missing field, a field of the wrong type.
    Bad(Problem),
}

/// Below this many lines a batch is parsed on the calling thread.
const PARALLEL_FROM: usize = 2_048;

/// Parses every line of `block`, keeping file order. Only the last line can lack a newline.
/// Returns the block as text (empty when it is not UTF-8: then every line is parsed whole) and
/// what each line is.
pub(super) fn parse_block(block: Vec<u8>) -> (String, Vec<Parsed>) {
    match String::from_utf8(block) {
        Ok(text) => {
            let parsed = parse_batch(&text, &split_lines(text.as_bytes()));
            (text, parsed)
        }
        Err(e) => (String::new(), parse_batch("", &split_lines(e.as_bytes()))),
    }
}

fn parse_batch(text: &str, batch: &[RawLine<'_>]) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let parse = |line: &RawLine<'_>| parse_line(text, line);
    if threads < 2 || batch.len() < PARALLEL_FROM {
        return batch.iter().map(parse).collect();
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(parse).collect::<Vec<_>>()))
            .collect();
        // A panic in serde_json is a bug of the tool, not of the history: let it propagate.
        handles.into_iter().flat_map(|h| h.join().expect("parser thread panicked")).collect()
    })
}

/// One line: lean when `text` (the block, if UTF-8) holds it and it parses lean, else whole.
fn parse_line(text: &str, line: &RawLine<'_>) -> Parsed {
    let bytes = line.bytes;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Parsed::Blank;
    }
    if !text.is_empty() {
        if let Some(kept) = parse_lean(text, bytes) {
            return Parsed::Kept(kept);
        }
    }
    match serde_json::from_slice::<Record>(bytes) {
        Ok(r) => Parsed::Record(Box::new(r)),
        Err(e) => Parsed::Bad(Problem::NotARecord(describe(&e))),
    }
}

/// The line `bytes`, a slice of `text`, parsed lean; `None` when it must be parsed whole.
fn parse_lean(text: &str, bytes: &[u8]) -> Option<Kept> {
    let start = bytes.as_ptr() as usize - text.as_ptr() as usize;
    let line = &text[start..start + bytes.len()];
    let l: lean::Line<'_> = serde_json::from_str(line).ok()?;
    let value = l.value.map(|v| v.get());
    let facts = match value {
        Some(v) => lean::facts(v)?,
        None => Default::default(),
    };
    let at = |s: &str| Span::of(text, s);
    Some(Kept {
        index: l.index,
        time: l.time,
        process: match l.process.0 {
            Who::Client(c) => ProcAt::Client(c),
            Who::Nemesis => ProcAt::Nemesis,
            Who::Resource => ProcAt::Resource,
            Who::Node(n) => ProcAt::Node(at(n)),
        },
        kind: l.kind,
        f: at(l.f),
        node: l.node.map(at),
        error: l.error.map(at),
        value: value.map(at),
        facts: facts.map(at),
    })
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
