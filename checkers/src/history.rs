//! The history model: one [`Record`] per line of `history.jsonl`, exactly as
//! `shared/HISTORY.md` defines it.
//!
//! Neighbours: [`crate::reader`] turns a file into records and enforces the file rules;
//! every checker reads a [`History`]; `results` writes records while a run goes on.
//!
//! Design: the record keeps `value` as raw JSON, because the contract lets other tools put any
//! JSON there; the typed accessors (`token`, `leader`, …) read the leader-election vocabulary
//! out of it and return `None` where a field is absent or of another shape. Checkers must treat
//! `None` as "this record claims nothing", never as a default token.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Who acted: a client process, the nemesis, the fenced resource, or a node reporting on itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Process {
    /// An integer client process (a client thread under one number).
    Client(i64),
    /// `"nemesis"`: the fault injector.
    Nemesis,
    /// `"resource"`: the fenced resource's own log, in its serial order.
    Resource,
    /// Any other string: a node's own report, named by the node (`"n1"`).
    Node(String),
}

impl Process {
    /// The node name, when this is a node's own report.
    pub fn node(&self) -> Option<&str> {
        match self {
            Process::Node(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(p) => write!(f, "{p}"),
            Process::Nemesis => f.write_str("nemesis"),
            Process::Resource => f.write_str("resource"),
            Process::Node(n) => f.write_str(n),
        }
    }
}

impl Serialize for Process {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Process::Client(p) => s.serialize_i64(*p),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than an untagged enum: untagged enums buffer every value first,
        // which dominated the reader's profile on million-record histories.
        d.deserialize_any(ProcessVisitor)
    }
}

struct ProcessVisitor;

impl serde::de::Visitor<'_> for ProcessVisitor {
    type Value = Process;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an integer client process or a string (\"nemesis\", \"resource\", a node name)",
        )
    }

    fn visit_i64<E: serde::de::Error>(self, p: i64) -> Result<Process, E> {
        Ok(Process::Client(p))
    }

    fn visit_u64<E: serde::de::Error>(self, p: u64) -> Result<Process, E> {
        i64::try_from(p)
            .map(Process::Client)
            .map_err(|_| E::custom(format!("process {p} is too large for a 64-bit integer")))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Process, E> {
        Ok(Process::from_name(s.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Process, E> {
        Ok(Process::from_name(s))
    }
}

impl Process {
    /// The process a string names: `"nemesis"`, `"resource"`, or a node.
    pub fn from_name(s: String) -> Process {
        match s.as_str() {
            "nemesis" => Process::Nemesis,
            "resource" => Process::Resource,
            _ => Process::Node(s),
        }
    }
}

/// The four record types of Jepsen's operation model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    /// An operation began.
    Invoke,
    /// It happened.
    Ok,
    /// It certainly did not happen.
    Fail,
    /// Unknown: it may have happened at any moment after its invocation, or never.
    Info,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Invoke => "invoke",
            Type::Ok => "ok",
            Type::Fail => "fail",
            Type::Info => "info",
        })
    }
}

/// One line of a history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 0, 1, 2, … in file order, no gaps.
    pub index: u64,
    /// Nanoseconds since the test started on the controller's monotonic clock.
    pub time: u64,
    /// Who acted.
    pub process: Process,
    /// Invocation or completion kind.
    #[serde(rename = "type")]
    pub kind: Type,
    /// The operation's name.
    pub f: String,
    /// What the operation carried or returned (`null` when nothing).
    #[serde(default)]
    pub value: Value,
    /// The node the operation was sent to, or is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Why it failed, or why its outcome is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Record {
    /// The fencing token this record carries in `value.token`, if it is an integer.
    pub fn token(&self) -> Option<i64> {
        self.value.get("token").and_then(Value::as_i64)
    }

    /// The leader this record names in `value.leader` (an `ok` write says who wrote it).
    pub fn leader(&self) -> Option<&str> {
        self.value.get("leader").and_then(Value::as_str)
    }

    /// The earliest time the event could have happened: a node's report from a remote host
    /// carries `value.uncertainty_ms`, the link's delay before the controller stamped it
    /// (HISTORY.md); every other record happened at its `time`.
    pub fn earliest(&self) -> u64 {
        let ms = self.value.get("uncertainty_ms").and_then(Value::as_f64).unwrap_or(0.0);
        match self.process {
            Process::Node(_) if ms > 0.0 => self.time.saturating_sub((ms * 1e6) as u64),
            _ => self.time,
        }
    }

    /// The node a resource decision names in `value.node`.
    pub fn value_node(&self) -> Option<&str> {
        self.value.get("node").and_then(Value::as_str)
    }

    /// The payload in `value.value` (the register value of writes, reads and accepts).
    pub fn payload(&self) -> Option<&Value> {
        self.value.get("value")
    }

    /// True for a client operation (an integer process).
    pub fn is_client(&self) -> bool {
        matches!(self.process, Process::Client(_))
    }

    /// True when this record is the given type and operation name.
    pub fn is(&self, kind: Type, f: &str) -> bool {
        self.kind == kind && self.f == f
    }
}

/// A whole history, in file order, with what the reader noticed while reading it.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Every record, `records[i].index == i`.
    pub records: Vec<Record>,
    /// Things a person should know that did not stop the reading (a dropped cut-off last line).
    pub warnings: Vec<String>,
}

impl History {
    /// A history of the given records, with no warnings.
    pub fn new(records: Vec<Record>) -> History {
        History { records, warnings: Vec::new() }
    }
}

impl History {
    /// For each record, the position of its partner (its `index` in a read history): an integer process's invocation and its
    /// completion point at each other. `None` for records of other processes and for an
    /// invocation with no completion (which counts as `info`).
    ///
    /// Assumes the file rules hold (the reader enforces them); a stray completion is unpaired.
    pub fn partners(&self) -> Vec<Option<u64>> {
        let mut partner = vec![None; self.records.len()];
        let mut open: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        for (i, r) in self.records.iter().enumerate() {
            let Process::Client(p) = r.process else { continue };
            if r.kind == Type::Invoke {
                open.insert(p, i);
            } else if let Some(inv) = open.remove(&p) {
                partner[inv] = Some(i as u64);
                partner[i] = Some(inv as u64);
            }
        }
        partner
    }

    /// The node a client operation was sent to: its own `node` field, else its invocation's.
    pub fn op_node<'h>(&'h self, i: usize, partners: &[Option<u64>]) -> Option<&'h str> {
        let r = &self.records[i];
        r.node.as_deref().or_else(|| {
            let inv = partners[i]?;
            self.records[inv as usize].node.as_deref()
        })
    }
}
