//! A block of a streamed history: the text of some lines and, for each record, where its
//! fields are in that text ([`Kept`]), or the whole [`Record`] for a line that did not parse
//! lean. Checkers see each record as a [`Fed`] view.
//!
//! Neighbours: [`super::parse`] makes the entries, [`super::Reader`] checks the rules on their
//! views and hands the block on; `crate::registry::run_path` shares it between checkers.
//!
//! Design: positions rather than borrowed strings, so a block owns its text and moves between
//! threads as one value; a view slices the text (a bounds check per field).

use crate::fed::{Facts, Fed, Parts, Who};
use crate::history::{Record, Type};

/// Where a string is in the block's text: start and end byte.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span(u32, u32);

impl Span {
    /// The span of `part`, a slice of `text`.
    pub(crate) fn of(text: &str, part: &str) -> Span {
        let start = part.as_ptr() as usize - text.as_ptr() as usize;
        Span(start as u32, (start + part.len()) as u32)
    }

    fn get(self, text: &str) -> &str {
        &text[self.0 as usize..self.1 as usize]
    }
}

/// [`Who`], with a node's name as a span.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ProcAt {
    Client(i64),
    Nemesis,
    Resource,
    Node(Span),
}

/// A record parsed lean: its fields as positions in the block's text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kept {
    pub index: u64,
    pub time: u64,
    pub process: ProcAt,
    pub kind: Type,
    pub f: Span,
    pub node: Option<Span>,
    pub error: Option<Span>,
    pub value: Option<Span>,
    pub facts: Facts<Span>,
}

impl Kept {
    /// The view of this record, whose text is `text`.
    pub(crate) fn view<'a>(&self, text: &'a str) -> Fed<'a> {
        let process = match self.process {
            ProcAt::Client(c) => Who::Client(c),
            ProcAt::Nemesis => Who::Nemesis,
            ProcAt::Resource => Who::Resource,
            ProcAt::Node(n) => Who::Node(n.get(text)),
        };
        Fed::of_parts(Parts {
            index: self.index,
            time: self.time,
            process,
            kind: self.kind,
            f: self.f.get(text),
            node: self.node.map(|s| s.get(text)),
            error: self.error.map(|s| s.get(text)),
            value: self.value.map(|s| s.get(text)),
            facts: self.facts.map(|s| s.get(text)),
        })
    }
}

/// One record of a block.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// Parsed lean.
    Kept(Kept),
    /// Parsed whole (a string with escapes, or a block that is not UTF-8).
    Whole(Box<Record>),
}

/// Records of a streamed history, in file order, every rule checked.
#[derive(Debug, Default)]
pub struct Block {
    text: String,
    entries: Vec<Entry>,
}

impl Block {
    pub(crate) fn new(text: String, entries: Vec<Entry>) -> Block {
        Block { text, entries }
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Each record's view, in file order.
    pub fn iter(&self) -> impl Iterator<Item = Fed<'_>> + '_ {
        self.entries.iter().map(|e| view(&self.text, e))
    }

    /// The records, owned (each value built from its text).
    pub fn into_records(self) -> Vec<Record> {
        let Block { text, entries } = self;
        entries
            .into_iter()
            .map(|e| match e {
                Entry::Whole(r) => *r,
                Entry::Kept(k) => k.view(&text).to_record(),
            })
            .collect()
    }
}

/// The view of an entry whose text is `text`.
pub(crate) fn view<'a>(text: &'a str, e: &'a Entry) -> Fed<'a> {
    match e {
        Entry::Kept(k) => k.view(text),
        Entry::Whole(r) => Fed::of(r),
    }
}
