//! The streaming reader: turns `history.jsonl` into a [`History`], or hands its records over
//! block by block without keeping them ([`for_each`], [`for_each_block`]), enforcing every
//! file rule of `shared/HISTORY.md` and reporting the first one broken, with its line number.
//!
//! Neighbours: [`crate::history`] holds the model it builds; `rules` holds the per-line rules
//! (indices, time, integer processes); every checker reads what this returns; the harness maps a
//! [`ReadError`] to exit status 254.
//!
//! Design decisions:
//! - Line numbers in errors are 1-based file lines (what `sed -n 17p` and editors count), so
//!   `history.jsonl:17:` is the record whose `index` should be 16.
//! - A run that dies mid-write leaves a last line with no newline that is not a whole record:
//!   crash residue, dropped with a warning. Every other unreadable line is an error, because a
//!   checker that skips what it cannot read could call a broken history valid.
//! - Unknown fields are ignored: the contract grows only by adding optional fields.
//! - A UTF-8 byte-order mark at the very start is skipped: editors and other tools write one
//!   now and then, and it is no part of the first record.
//! - Lines are parsed in batches on two threads (the machine has two cores); the rules are then
//!   checked in file order on one, so the first broken rule is the one reported.
//! - The rules remember the previous record's time and each process's open invocation, never
//!   the records themselves, so a streamed read holds one block at a time however long the file.

mod block;
mod lean;
mod parse;
mod rules;

pub use block::Block;
pub use rules::Problem;

use crate::fed::Fed;
use crate::history::{History, Record};
use block::Entry;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Tunes the allocator for reading a long history on this machine's two cores: the heap grows
/// 4 MiB at a time instead of glibc's 128 KiB (a million-record history is about a gigabyte of
/// small allocations, one system call per step otherwise), and at most two arenas serve the
/// reader's and checkers' threads (glibc gives each thread its own, up to eight per core, and
/// every arena keeps its freed blocks: a streamed check then held twice the memory it used).
/// Freed memory is kept up to 16 MiB instead of handed back at once, and allocations up to
/// 16 MiB come from the heap: each block's text and records (a few MiB) were otherwise mapped,
/// faulted in page by page and unmapped again, 1,200 times for ten million records (3.5 s of
/// system time of a 10 s check; 1.0 s kept).
/// Call it once, early (`splitbrain check` and the check benchmark do).
pub fn grow_heap_in_large_steps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes tuning parameters of the allocator; any value is valid.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 4 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 16 << 20);
    }
}

/// Why a history could not be read. Its message is one line: `FILE:LINE: problem`.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read it: {source}")]
    Io {
        /// The file as the user named it.
        file: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// A line breaks a rule of the history format.
    #[error("{file}:{line}: {problem}")]
    Rule {
        /// The file as the user named it.
        file: String,
        /// The 1-based line number in the file.
        line: u64,
        /// Which rule is broken, and how.
        problem: Problem,
    },
}

impl ReadError {
    /// The broken rule, when the error is one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ReadError::Rule { problem, .. } => Some(problem),
            ReadError::Io { .. } => None,
        }
    }
}

/// Reads the history file at `path`.
pub fn read_path(path: impl AsRef<Path>) -> Result<History, ReadError> {
    let path = path.as_ref();
    let mut records = Vec::new();
    // Growing a million-record vector copies it several times; reserving is only address space.
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    records.reserve((size / BYTES_PER_RECORD_AT_LEAST) as usize);
    let read = for_each_block(path, |block| records.extend(block.into_records()))?;
    Ok(History { records, warnings: read.warnings })
}

/// A lower bound on a record's line length, for reserving room before reading a file.
const BYTES_PER_RECORD_AT_LEAST: u64 = 64;

/// Reads a history from a string; errors name the file `history.jsonl`.
pub fn read_str(text: &str) -> Result<History, ReadError> {
    from_reader(text.as_bytes(), "history.jsonl")
}

/// Reads a history from any buffered reader; `name` is the file name errors and warnings show.
pub fn from_reader(input: impl BufRead, name: &str) -> Result<History, ReadError> {
    let mut records = Vec::new();
    let read =
        Reader::new(input, name, |block: Block| records.extend(block.into_records())).read_all()?;
    Ok(History { records, warnings: read.warnings })
}

/// What a streamed read saw besides the records it handed over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streamed {
    /// How many records were read.
    pub records: u64,
    /// What [`History::warnings`] would hold.
    pub warnings: Vec<String>,
}

/// Reads the history file at `path` and hands over each record in file order, holding no
/// more than a block of records at a time. On a broken rule it stops with the error; records
/// before it may have been handed over.
pub fn for_each(path: impl AsRef<Path>, mut f: impl FnMut(&Record)) -> Result<Streamed, ReadError> {
    for_each_block(path, |block| block.into_records().iter().for_each(&mut f))
}

/// [`for_each`], each record shown as a [`Fed`] view: no value is built (what checkers read).
pub fn for_each_fed(
    path: impl AsRef<Path>,
    mut f: impl FnMut(&Fed<'_>),
) -> Result<Streamed, ReadError> {
    for_each_block(path, |block| block.iter().for_each(|r| f(&r)))
}

/// [`for_each`] a block at a time: each block holds the records of some megabytes of the file,
/// in file order, every rule checked.
pub fn for_each_block(
    path: impl AsRef<Path>,
    sink: impl FnMut(Block),
) -> Result<Streamed, ReadError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|source| ReadError::Io { file: name.clone(), source })?;
    Reader::new(BufReader::with_capacity(1 << 20, file), &name, sink).read_all()
}

/// Bytes read and parsed per block: large enough that thread start-up is noise, small enough
/// that a broken line early in a huge file is reported before the rest is parsed, and that the
/// few blocks a streamed check has in flight stay a few megabytes of records (1 MiB: 139 MB
/// peak for a million records with every checker, against 244 MB with 4 MiB blocks).
const BLOCK_BYTES: usize = 1 << 20;

struct Reader<R, S> {
    input: R,
    name: String,
    line_no: u64,
    rules: rules::Rules,
    sink: S,
    read: Streamed,
    blank_at: Option<u64>,
    at_start: bool,
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A block being parsed on its own thread, and whether its last line ended with a newline.
type Pending<'s> = (bool, std::thread::ScopedJoinHandle<'s, (String, Vec<parse::Parsed>)>);

impl<R: BufRead, S: FnMut(Block)> Reader<R, S> {
    fn new(input: R, name: &str, sink: S) -> Self {
        Reader {
            input,
            name: name.to_string(),
            line_no: 0,
            rules: rules::Rules::default(),
            sink,
            read: Streamed::default(),
            blank_at: None,
            at_start: true,
        }
    }

    /// Reads block after block; while the rules run over one block, the next is being parsed.
    fn read_all(mut self) -> Result<Streamed, ReadError> {
        let mut carry = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
        std::thread::scope(|s| {
            let mut pending: Option<Pending<'_>> = None;
            loop {
                let (block, eof) = self.next_block(&mut carry)?;
                let ended = block.last() == Some(&b'\n');
                let next = (!block.is_empty())
                    .then(|| (ended, s.spawn(move || parse::parse_block(block))));
                if let Some(done) = std::mem::replace(&mut pending, next) {
                    self.take_block(done)?;
                }
                if eof {
                    return pending.map_or(Ok(()), |done| self.take_block(done));
                }
            }
        })?;
        if let Some(line) = self.blank_at {
            self.warn(line, "blank lines at the end of the file were ignored".to_string());
        }
        Ok(self.read)
    }

    /// The next block of whole lines (at the end of the input, whatever is left), and whether
    /// the input has ended.
    fn next_block(&mut self, carry: &mut Vec<u8>) -> Result<(Vec<u8>, bool), ReadError> {
        let eof = self.fill(carry)?;
        if std::mem::take(&mut self.at_start) && carry.starts_with(BOM) {
            carry.drain(..BOM.len());
        }
        let whole = match carry.iter().rposition(|&b| b == b'\n') {
            _ if eof => carry.len(),
            Some(i) => i + 1,
            None => 0,
        };
        let rest = carry.split_off(whole);
        Ok((std::mem::replace(carry, rest), eof))
    }

    /// Reads until `buf` holds a block and a newline, or the input ends (then returns true).
    fn fill(&mut self, buf: &mut Vec<u8>) -> Result<bool, ReadError> {
        loop {
            let name = &self.name;
            let chunk = self
                .input
                .fill_buf()
                .map_err(|source| ReadError::Io { file: name.clone(), source })?;
            if chunk.is_empty() {
                return Ok(true);
            }
            let n = chunk.len();
            buf.extend_from_slice(chunk);
            self.input.consume(n);
            if buf.len() >= BLOCK_BYTES && buf[buf.len() - n..].contains(&b'\n') {
                return Ok(false);
            }
        }
    }

    /// Applies the rules, in file order, to a block parsed on another thread.
    fn take_block(&mut self, (last_ended, parsing): Pending<'_>) -> Result<(), ReadError> {
        // A panic in serde_json is a bug of the tool, not of the history: let it propagate.
        let (text, parsed) = parsing.join().expect("parser thread panicked");
        let n = parsed.len();
        let mut entries = Vec::with_capacity(n);
        for (k, line) in parsed.into_iter().enumerate() {
            self.line_no += 1;
            entries.extend(self.take_line(&text, k + 1 < n || last_ended, line)?);
        }
        self.read.records += entries.len() as u64;
        (self.sink)(Block::new(text, entries));
        Ok(())
    }

    /// The record on the current line, once the rules hold for it; `None` for a line that
    /// holds none (blank, or the cut-off last line).
    fn take_line(
        &mut self,
        text: &str,
        ended: bool,
        parsed: parse::Parsed,
    ) -> Result<Option<Entry>, ReadError> {
        let entry = match parsed {
            parse::Parsed::Blank => {
                self.blank_at.get_or_insert(self.line_no);
                return Ok(None);
            }
            parse::Parsed::Bad(_) if !ended => return self.drop_residue().map(|()| None),
            _ if self.blank_at.is_some() => return Err(self.blank_before()),
            parse::Parsed::Kept(k) => Entry::Kept(k),
            parse::Parsed::Record(r) => Entry::Whole(r),
            parse::Parsed::Bad(problem) => return Err(self.rule(problem)),
        };
        self.rules.check(&block::view(text, &entry)).map_err(|p| self.rule(p))?;
        Ok(Some(entry))
    }

    /// A line follows a blank line: the blank line is the first broken rule.
    fn blank_before(&self) -> ReadError {
        let line = self.blank_at.unwrap_or(self.line_no);
        ReadError::Rule { file: self.name.clone(), line, problem: Problem::Blank }
    }

    /// The last line has no newline and is not a whole record: the writer died mid-line.
    fn drop_residue(&mut self) -> Result<(), ReadError> {
        let line = self.line_no;
        self.warn(
            line,
            "the last line was cut off mid-write (crash residue) and was dropped".to_string(),
        );
        Ok(())
    }

    fn warn(&mut self, line: u64, what: String) {
        self.read.warnings.push(format!("{}:{line}: {what}", self.name));
    }

    fn rule(&self, problem: Problem) -> ReadError {
        ReadError::Rule { file: self.name.clone(), line: self.line_no, problem }
    }
}
