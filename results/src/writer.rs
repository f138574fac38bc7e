//! The crash-safe history writer: appends `history.jsonl` while a run goes on.
//!
//! Neighbours: the controller's clients, node-stdout readers, the resource and the nemesis all
//! share one [`HistoryWriter`]; `checkers::reader` reads the file back; [`crate::store`] says
//! where it lives.
//!
//! Design:
//! - One lock covers "take the next index, read the clock, write the line", so `index` and
//!   `time` never go backwards in file order, which is what the contract (shared/HISTORY.md)
//!   promises every reader.
//! - Each record is one `write(2)` of one whole line on an `O_APPEND` file, with no userspace
//!   buffer: once `append` returns, the line is in the kernel's page cache and survives a
//!   SIGKILL of this process. A kill during the call leaves at most a cut-off last line, which
//!   the reader drops with a warning. (Surviving a machine crash needs [`HistoryWriter::sync`].)
//! - The JSON of everything but `index` and `time` is built before taking the lock, so the
//!   lock is held only to format two integers, copy a line and make one system call.
//! - After a failed write (a full disk) the file may end in a broken line; every later
//!   append then fails too rather than writing after it.

use serde::Serialize;
use serde_json::Value;
use splitbrain_checkers::{Process, Record, Type};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// What a caller records: a [`Record`] without the `index` and `time` the writer assigns.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Who acted.
    pub process: Process,
    /// Invocation or completion kind.
    pub kind: Type,
    /// The operation's name.
    pub f: String,
    /// What the operation carried or returned (`Value::Null` when nothing).
    pub value: Value,
    /// The node the operation was sent to, or is about.
    pub node: Option<String>,
    /// Why it failed, or why its outcome is unknown.
    pub error: Option<String>,
}

impl Event {
    /// An event with no `node` and no `error`.
    pub fn new(process: Process, kind: Type, f: impl Into<String>, value: Value) -> Event {
        Event { process, kind, f: f.into(), value, node: None, error: None }
    }

    /// A client's invocation: `process` is the client's integer number.
    pub fn invoke(process: i64, f: impl Into<String>, value: Value) -> Event {
        Event::new(Process::Client(process), Type::Invoke, f, value)
    }

    /// A client's completion (`ok`, `fail` or `info`) of its outstanding invocation.
    pub fn complete(process: i64, kind: Type, f: impl Into<String>, value: Value) -> Event {
        Event::new(Process::Client(process), kind, f, value)
    }

    /// A node's report about itself (`elected`, `stepdown`): type `ok`, process = the node.
    pub fn node_report(node: &str, f: impl Into<String>, value: Value) -> Event {
        Event::new(Process::Node(node.to_string()), Type::Ok, f, value)
    }

    /// A fenced-resource decision: `accept` (`ok`) or `reject` (`fail`).
    pub fn resource(kind: Type, f: impl Into<String>, value: Value) -> Event {
        Event::new(Process::Resource, kind, f, value)
    }

    /// A fault beginning or ending: type `info`, process `"nemesis"`.
    pub fn nemesis(f: impl Into<String>, value: Value) -> Event {
        Event::new(Process::Nemesis, Type::Info, f, value)
    }

    /// The same event, about (or sent to) `node`.
    pub fn node(mut self, node: impl Into<String>) -> Event {
        self.node = Some(node.into());
        self
    }

    /// The same event, with why it failed or why its outcome is unknown.
    pub fn error(mut self, error: impl Into<String>) -> Event {
        self.error = Some(error.into());
        self
    }
}

/// Why an append failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The history file could not be created.
    #[error("cannot create history file {path}: {source}")]
    Create {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The line could not be written (the file may now end in a cut-off line).
    #[error("cannot append to history file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// An earlier write failed, so nothing more is written after a possibly broken line.
    #[error("history file {0} is closed after an earlier failed write")]
    Broken(PathBuf),
}

/// Appends records to `history.jsonl`, assigning `index` and `time`. Share it with `Arc`.
#[derive(Debug)]
pub struct HistoryWriter {
    path: PathBuf,
    start: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    next: u64,
    last_time: u64,
    broken: bool,
    line: Vec<u8>,
}

/// The record's fields after `index` and `time`, in the contract's order.
#[derive(Serialize)]
struct Tail<'a> {
    process: &'a Process,
    #[serde(rename = "type")]
    kind: Type,
    f: &'a str,
    value: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl HistoryWriter {
    /// Creates a new, empty history at `path` (failing if it exists) and starts the test's
    /// clock: `time` 0 is this call.
    pub fn create(path: impl AsRef<Path>) -> Result<HistoryWriter, WriteError> {
        HistoryWriter::create_at(path, Instant::now())
    }

    /// Creates a new, empty history whose `time` 0 is `start` (the moment the test started).
    pub fn create_at(path: impl AsRef<Path>, start: Instant) -> Result<HistoryWriter, WriteError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().append(true).create_new(true).open(&path);
        let file = file.map_err(|source| WriteError::Create { path: path.clone(), source })?;
        let line = Vec::with_capacity(256);
        let inner = Inner { file, next: 0, last_time: 0, broken: false, line };
        Ok(HistoryWriter { path, start, inner: Mutex::new(inner) })
    }

    /// Appends one record and returns it with its `index` and `time`. When this returns `Ok`,
    /// the line is in the file (a SIGKILL of this process cannot lose it).
    pub fn append(&self, event: Event) -> Result<Record, WriteError> {
        let tail = tail_json(&event);
        let mut inner = self.lock();
        if inner.broken {
            return Err(WriteError::Broken(self.path.clone()));
        }
        let index = inner.next;
        // `Instant` is monotonic, but the max() keeps the promise even if the clock source
        // ever misbehaves: file order is the order that matters.
        let time = self.now_ns().max(inner.last_time);
        let result = inner.write_line(index, time, &tail);
        if let Err(source) = result {
            inner.broken = true;
            return Err(WriteError::Write { path: self.path.clone(), source });
        }
        inner.next = index + 1;
        inner.last_time = time;
        drop(inner);
        Ok(record(index, time, event))
    }

    /// Nanoseconds since the test started, on the writer's clock (the `time` of a record
    /// appended now).
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The moment `time` 0 stands for.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// How many records have been written.
    pub fn len(&self) -> u64 {
        self.lock().next
    }

    /// True when nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The history file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file to disk (`fsync`), so it survives a machine crash too. Call it at the
    /// end of a run; it is not needed against a process kill.
    pub fn sync(&self) -> io::Result<()> {
        self.lock().file.sync_data()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock cannot leave a half-written line in the
        // buffer that matters: `write_line` clears it first.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    /// Formats `{"index":I,"time":T,` + the tail without its `{`, and writes it in one call.
    fn write_line(&mut self, index: u64, time: u64, tail: &[u8]) -> io::Result<()> {
        self.line.clear();
        write!(self.line, "{{\"index\":{index},\"time\":{time},")?;
        self.line.extend_from_slice(&tail[1..]);
        self.line.push(b'\n');
        let mut file = &self.file;
        // A regular file takes the whole line in one write(2); `write_all` only loops if the
        // kernel ever returns a short count (a full disk), which then reports the error.
        file.write_all(&self.line)
    }
}

fn tail_json(event: &Event) -> Vec<u8> {
    let tail = Tail {
        process: &event.process,
        kind: event.kind,
        f: &event.f,
        value: &event.value,
        node: event.node.as_deref(),
        error: event.error.as_deref(),
    };
    // Serializing a `Value` and plain strings cannot fail.
    serde_json::to_vec(&tail).expect("a history record always serializes")
}

fn record(index: u64, time: u64, e: Event) -> Record {
    Record {
        index,
        time,
        process: e.process,
        kind: e.kind,
        f: e.f,
        value: e.value,
        node: e.node,
        error: e.error,
    }
}
