//! The key-value model of Porcupine's etcd tests: a map from string keys to string registers,
//! with `get`, `put` and `append`, partitioned by key.
//!
//! Neighbours: implements [`super::model::Model`] and [`super::model::FromHistory`]; used by
//! [`super::check_history`] for `--model kv`.
//!
//! Every key starts as the empty string; `get` returns the key's string, `put v` sets it,
//! `append v` concatenates. Records: invoke value `{"key": K, "value": V}` (`get`: value `null`),
//! `get` ok `{"value": V}`. A `get` with an unknown outcome constrains nothing and is dropped.
//!
//! Design: strings are hash-consed ([`super::strings`]), and so is every string an append
//! builds, so a state is a `u32` and comparing a `get` with the state is one integer comparison
//! however long the strings grow.

use super::model::{ConvertError, Converted, FromHistory, Model};
use super::strings::Strings;
use super::values::{key_of, text_of, Values};
use crate::{Fed, Type};

/// What a key-value operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvOp {
    /// Read the key's string.
    Get,
    /// Set the key's string.
    Put,
    /// Concatenate to the key's string.
    Append,
}

/// A key-value operation's input: strings and keys are ids in the model's interners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvInput {
    /// The operation.
    pub op: KvOp,
    /// The key's id.
    pub key: u32,
    /// The argument's id (the empty string for `get`).
    pub arg: u32,
}

/// A key-value operation's output: what a `get` returned (`None` for put/append).
pub type KvOutput = Option<u32>;

/// The key-value model.
#[derive(Debug, Clone)]
pub struct Kv {
    keys: Values,
    strings: Strings,
    empty: u32,
}

impl Default for Kv {
    fn default() -> Kv {
        let mut strings = Strings::default();
        let empty = strings.id("");
        Kv { keys: Values::strings(), strings, empty }
    }
}

impl Kv {
    /// An empty model.
    pub fn new() -> Kv {
        Kv::default()
    }

    /// The input of an operation on `key` with the string `arg`, interning both.
    pub fn input(&mut self, op: KvOp, key: &str, arg: &str) -> KvInput {
        KvInput { op, key: self.keys.intern(key.to_string()), arg: self.strings.id(arg) }
    }

    /// The output of a `get` that returned `value`.
    pub fn got(&mut self, value: &str) -> KvOutput {
        Some(self.strings.id(value))
    }
}

impl Model for Kv {
    type State = u32;
    type Input = KvInput;
    type Output = KvOutput;

    fn name(&self) -> &'static str {
        "kv"
    }

    fn init(&mut self) -> u32 {
        self.empty
    }

    fn step(&mut self, s: u32, input: &KvInput, out: Option<&KvOutput>) -> Option<u32> {
        match input.op {
            KvOp::Get => match out {
                Some(Some(v)) => (*v == s).then_some(s),
                _ => Some(s),
            },
            KvOp::Put => Some(input.arg),
            KvOp::Append => Some(self.strings.concat(s, input.arg)),
        }
    }

    fn is_read_only(&self, input: &KvInput, out: Option<&KvOutput>) -> bool {
        input.op == KvOp::Get && matches!(out, Some(Some(_)))
    }

    fn is_blind(&self, input: &KvInput) -> bool {
        input.op == KvOp::Put
    }

    fn grows(&self, input: &KvInput) -> bool {
        input.op == KvOp::Append
    }

    /// A `get` that must come after appends only must see a string the state begins.
    fn may_reach(&mut self, s: u32, input: &KvInput, out: Option<&KvOutput>) -> bool {
        match (input.op, out) {
            (KvOp::Get, Some(Some(v))) => self.strings.is_prefix(s, *v),
            _ => true,
        }
    }

    fn partition(&self, input: &KvInput) -> u32 {
        input.key
    }

    fn describe_partition(&self, part: u32) -> Option<String> {
        Some(self.keys.text(part).to_string())
    }

    fn describe_op(&self, input: &KvInput, out: Option<&KvOutput>) -> String {
        let key = self.keys.text(input.key);
        let arg = self.strings.text(input.arg);
        let unknown = if out.is_none() { " (outcome unknown)" } else { "" };
        match (input.op, out) {
            (KvOp::Get, Some(Some(v))) => format!("get {key:?} of {:?}", self.strings.text(*v)),
            (KvOp::Get, _) => format!("get {key:?}"),
            (KvOp::Put, _) => format!("put {key:?} {arg:?}{unknown}"),
            (KvOp::Append, _) => format!("append {key:?} {arg:?}{unknown}"),
        }
    }

    fn describe_state(&self, s: u32) -> String {
        format!("{:?}", self.strings.text(s))
    }

    fn object(&self, part: u32) -> String {
        format!("key {:?}", self.keys.text(part))
    }
}

impl FromHistory for Kv {
    fn accepts(&self, f: &str) -> bool {
        matches!(f, "get" | "put" | "append")
    }

    fn convert(
        &mut self,
        inv: &Fed<'_>,
        done: Option<&Fed<'_>>,
    ) -> Result<Converted<Self>, ConvertError> {
        let key = key_of(inv).ok_or_else(|| {
            ConvertError::new(inv.index, format!("a {} needs a value.key", inv.f))
        })?;
        let op = match inv.f {
            "get" => KvOp::Get,
            "put" => KvOp::Put,
            _ => KvOp::Append,
        };
        let arg = if op == KvOp::Get { String::new() } else { kv_text(&inv.payload_value()) };
        let input = self.input(op, &key, &arg);
        Ok(match (op, done.map(|d| d.kind)) {
            (KvOp::Get, Some(Type::Ok)) => {
                let got = done.map(|d| kv_text(&d.payload_value())).unwrap_or_default();
                Some((input, Some(self.got(&got))))
            }
            (KvOp::Get, _) | (_, Some(Type::Fail)) => None,
            (_, Some(Type::Ok)) => Some((input, Some(None))),
            _ => Some((input, None)),
        })
    }
}

/// A value as a string of the model: nil reads as the empty string a key starts with.
fn kv_text(value: &serde_json::Value) -> String {
    if value.is_null() {
        String::new()
    } else {
        text_of(value)
    }
}
