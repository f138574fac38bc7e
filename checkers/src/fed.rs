//! What a checker is fed: [`Fed`], a borrowed view of one record, the same whether the record
//! was read whole into a [`Record`] or kept as the text of its line by the streaming reader.
//!
//! Neighbours: [`crate::registry::Stream`] takes it; [`crate::reader`]'s streamed blocks
//! ([`crate::reader::Block`]) make it from a line's text without building a `serde_json::Value`
//! tree; [`Fed::of`] makes it from a [`Record`] (a history held whole, the tests).
//!
//! Design: a checker reads the leader-election vocabulary through the accessors (`token`,
//! `leader`, …), which answer from the few fields the reader picked out of `value` while
//! parsing the line, exactly as [`Record`]'s accessors answer from the tree; the whole value is
//! built only when asked for ([`Fed::value`]: nemesis records, compare-and-set inputs), so an
//! unknown shape of `value` reads as it does today. A million-record check built and freed a
//! tree per record, and looked each field up once per checker: most of its time.

use crate::history::{Process, Record, Type};
use serde_json::Value;
use std::borrow::Cow;

/// Who acted, borrowed: [`Process`] without the node name's allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who<'a> {
    /// An integer client process.
    Client(i64),
    /// `"nemesis"`.
    Nemesis,
    /// `"resource"`.
    Resource,
    /// A node's own report, named by the node.
    Node(&'a str),
}

impl<'a> Who<'a> {
    /// The borrowed form of `p`.
    pub fn of(p: &'a Process) -> Who<'a> {
        match p {
            Process::Client(c) => Who::Client(*c),
            Process::Nemesis => Who::Nemesis,
            Process::Resource => Who::Resource,
            Process::Node(n) => Who::Node(n),
        }
    }

    /// The process a string names (as [`Process::from_name`]).
    pub fn named(s: &'a str) -> Who<'a> {
        match s {
            "nemesis" => Who::Nemesis,
            "resource" => Who::Resource,
            _ => Who::Node(s),
        }
    }

    /// The node name, when this is a node's own report.
    pub fn node(self) -> Option<&'a str> {
        match self {
            Who::Node(n) => Some(n),
            _ => None,
        }
    }

    /// The owned form.
    pub fn to_process(self) -> Process {
        match self {
            Who::Client(c) => Process::Client(c),
            Who::Nemesis => Process::Nemesis,
            Who::Resource => Process::Resource,
            Who::Node(n) => Process::Node(n.to_string()),
        }
    }
}

/// What `value.token` is: absent (or `value` is no object), `null`, an integer that fits an
/// `i64`, or anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Token {
    /// No `token` field.
    #[default]
    Absent,
    /// `"token": null`.
    Null,
    /// An integer token.
    Int(i64),
    /// A token of another shape (a float, a string, …): no integer token.
    Other,
}

/// What `value.leader` is: a node's name (an `ok` write), a belief (a `status` answer), or
/// absent or of another shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Leader<S> {
    /// Absent, or neither a string nor a boolean.
    #[default]
    None,
    /// A string.
    Name(S),
    /// A boolean.
    Bool(bool),
}

/// The fields of `value` the checkers read, picked out while the line is parsed. `S` is how a
/// string is held: a span of the block's text while stored, `&str` in a view.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<S> {
    /// `value.token`.
    pub token: Token,
    /// `value.leader`.
    pub leader: Leader<S>,
    /// `value.node`, when a string.
    pub node: Option<S>,
    /// `value.uncertainty_ms`, when a number.
    pub uncertainty_ms: Option<f64>,
    /// Whether `value` is an object.
    pub object: bool,
    /// The JSON text of `value.value`.
    pub payload: Option<S>,
}

impl<S: Copy> Facts<S> {
    /// The same facts with their strings mapped.
    pub fn map<T>(self, mut f: impl FnMut(S) -> T) -> Facts<T> {
        Facts {
            token: self.token,
            leader: match self.leader {
                Leader::None => Leader::None,
                Leader::Name(s) => Leader::Name(f(s)),
                Leader::Bool(b) => Leader::Bool(b),
            },
            node: self.node.map(&mut f),
            uncertainty_ms: self.uncertainty_ms,
            object: self.object,
            payload: self.payload.map(&mut f),
        }
    }
}

/// Where a view's `value` is: in a whole record, or as the JSON text of a line (`None` for
/// an absent or `null` value), with its facts.
#[derive(Debug, Clone, Copy)]
enum Held<'a> {
    Tree(&'a Record),
    Text(Option<&'a str>, Facts<&'a str>),
}

/// One record as a checker sees it. The fields are [`Record`]'s, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Fed<'a> {
    /// 0, 1, 2, … in file order.
    pub index: u64,
    /// Nanoseconds since the test started.
    pub time: u64,
    /// Who acted.
    pub process: Who<'a>,
    /// Invocation or completion kind.
    pub kind: Type,
    /// The operation's name.
    pub f: &'a str,
    /// The node the operation was sent to, or is about.
    pub node: Option<&'a str>,
    /// Why it failed, or why its outcome is unknown.
    pub error: Option<&'a str>,
    held: Held<'a>,
}

/// The parts of a line a view is made of, as the reader keeps them.
pub(crate) struct Parts<'a> {
    pub index: u64,
    pub time: u64,
    pub process: Who<'a>,
    pub kind: Type,
    pub f: &'a str,
    pub node: Option<&'a str>,
    pub error: Option<&'a str>,
    pub value: Option<&'a str>,
    pub facts: Facts<&'a str>,
}

impl<'a> Fed<'a> {
    /// The view of a whole record.
    pub fn of(r: &'a Record) -> Fed<'a> {
        Fed {
            index: r.index,
            time: r.time,
            process: Who::of(&r.process),
            kind: r.kind,
            f: &r.f,
            node: r.node.as_deref(),
            error: r.error.as_deref(),
            held: Held::Tree(r),
        }
    }

    /// The view of a line's parts.
    pub(crate) fn of_parts(p: Parts<'a>) -> Fed<'a> {
        let Parts { index, time, process, kind, f, node, error, value, facts } = p;
        Fed { index, time, process, kind, f, node, error, held: Held::Text(value, facts) }
    }

    /// `value.token` as [`Token`] says it.
    pub fn token_field(&self) -> Token {
        match self.held {
            Held::Tree(r) => match r.value.get("token") {
                None => Token::Absent,
                Some(Value::Null) => Token::Null,
                Some(t) => t.as_i64().map_or(Token::Other, Token::Int),
            },
            Held::Text(_, facts) => facts.token,
        }
    }

    /// The fencing token in `value.token`, if it is an integer ([`Record::token`]).
    pub fn token(&self) -> Option<i64> {
        match self.token_field() {
            Token::Int(t) => Some(t),
            _ => None,
        }
    }

    /// The leader `value.leader` names ([`Record::leader`]).
    pub fn leader(&self) -> Option<&'a str> {
        match self.held {
            Held::Tree(r) => r.leader(),
            Held::Text(_, facts) => match facts.leader {
                Leader::Name(n) => Some(n),
                _ => None,
            },
        }
    }

    /// `value.leader` as a boolean (a `status` answer: whether the node believes it leads).
    pub fn leads(&self) -> Option<bool> {
        match self.held {
            Held::Tree(r) => r.value.get("leader").and_then(Value::as_bool),
            Held::Text(_, facts) => match facts.leader {
                Leader::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    /// The node a resource decision names in `value.node` ([`Record::value_node`]).
    pub fn value_node(&self) -> Option<&'a str> {
        match self.held {
            Held::Tree(r) => r.value_node(),
            Held::Text(_, facts) => facts.node,
        }
    }

    /// The earliest time the event could have happened ([`Record::earliest`]).
    pub fn earliest(&self) -> u64 {
        let ms = match self.held {
            Held::Tree(r) => return r.earliest(),
            Held::Text(_, facts) => facts.uncertainty_ms.unwrap_or(0.0),
        };
        match self.process {
            Who::Node(_) if ms > 0.0 => self.time.saturating_sub((ms * 1e6) as u64),
            _ => self.time,
        }
    }

    /// The whole `value`, built from the line's text when the view holds text.
    pub fn value(&self) -> Cow<'a, Value> {
        match self.held {
            Held::Tree(r) => Cow::Borrowed(&r.value),
            Held::Text(None, _) => Cow::Owned(Value::Null),
            // The reader checked this text is JSON: it parsed it once already.
            Held::Text(Some(text), _) => Cow::Owned(serde_json::from_str(text).unwrap_or_default()),
        }
    }

    /// The register value it carries (`crate::linear::values::payload`): `value.value` when
    /// `value` is an object (`null` when it has no such field), else the whole value; as
    /// canonical JSON text (`serde_json`'s), the way the models intern values.
    pub fn payload_text(&self) -> Cow<'a, str> {
        let text = match self.held {
            Held::Tree(r) => return Cow::Owned(crate::linear::values::payload(r).to_string()),
            Held::Text(..) => self.payload_json(),
        };
        match is_canonical(text) {
            true => Cow::Borrowed(text),
            false => {
                Cow::Owned(serde_json::from_str::<Value>(text).unwrap_or_default().to_string())
            }
        }
    }

    /// [`Fed::payload_text`] as a value.
    pub fn payload_value(&self) -> Cow<'a, Value> {
        match self.held {
            Held::Tree(r) => Cow::Borrowed(crate::linear::values::payload(r)),
            Held::Text(..) => {
                Cow::Owned(serde_json::from_str(self.payload_json()).unwrap_or_default())
            }
        }
    }

    /// The JSON text of the payload, as written, of a view that holds text.
    fn payload_json(&self) -> &'a str {
        match self.held {
            Held::Text(Some(_), f) if f.object => f.payload.unwrap_or("null"),
            Held::Text(Some(text), _) => text,
            _ => "null",
        }
    }

    /// The whole record, owned.
    pub fn to_record(&self) -> Record {
        match self.held {
            Held::Tree(r) => r.clone(),
            Held::Text(..) => Record {
                index: self.index,
                time: self.time,
                process: self.process.to_process(),
                kind: self.kind,
                f: self.f.to_string(),
                value: self.value().into_owned(),
                node: self.node.map(str::to_string),
                error: self.error.map(str::to_string),
            },
        }
    }

    /// True for a client operation (an integer process).
    pub fn is_client(&self) -> bool {
        matches!(self.process, Who::Client(_))
    }

    /// True when this record is the given type and operation name.
    pub fn is(&self, kind: Type, f: &str) -> bool {
        self.kind == kind && self.f == f
    }
}

/// True when `serde_json` writes the value of this JSON text as the same text: a literal, a
/// small integer with no sign but `-`, no leading zero and no exponent, or a string without
/// escapes (the reader's texts have none of the control characters it would escape).
fn is_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    match b.first() {
        _ if matches!(text, "null" | "true" | "false") => true,
        Some(b'"') => b.len() >= 2 && b[b.len() - 1] == b'"' && !text.contains('\\'),
        Some(_) => {
            let digits = b.strip_prefix(b"-").unwrap_or(b);
            !digits.is_empty()
                && digits.len() <= 18
                && digits.iter().all(u8::is_ascii_digit)
                && (digits[0] != b'0' || digits.len() == 1)
                && text != "-0"
        }
        None => false,
    }
}
