//! The register and compare-and-set register models.
//!
//! Neighbours: implements [`super::model::Model`] and [`super::model::FromHistory`]; used by
//! [`super::check_history`] for `--model register` and `--model cas-register`.
//!
//! The model (`fixtures/porcupine/README.md`): a register holding a value or nil, starting at
//! nil. `read` returns the current value; `write v` sets it; `cas [from to]` sets it to `to` when
//! it holds `from`. An `ok` cas did so. A `fail` cas did not happen (HISTORY.md) unless the
//! model is built with [`FailedCas::FoundOtherValue`], the reading of Jepsen's etcd test and of
//! Porcupine, where a failed cas compared and found another value. A read whose outcome is
//! unknown constrains nothing and is dropped; a write or cas whose outcome is unknown may take
//! effect at any time after its call, or never.
//!
//! Records (HISTORY.md): `write` invoke `{"value": V}`; `read` invoke `null`, ok `{"value": V}`;
//! `cas` invoke `{"from": A, "to": B}` or `[A, B]`. Bare values (Jepsen's) are read too.

use super::model::{ConvertError, Converted, Fate, FromHistory, Model};
use super::operation::{Operation, NEVER};
use super::values::Values;
use crate::{Fed, Type};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

/// The id of nil, the register's initial value.
const NIL: u32 = 0;

/// What a `fail` completion of a `cas` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedCas {
    /// It did not happen: the operation is dropped (HISTORY.md, Knossos).
    DidNotHappen,
    /// It compared and found a value other than `from` (Jepsen's etcd client, Porcupine).
    FoundOtherValue,
}

/// A register operation's input. Values are ids in the model's [`Values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterInput {
    /// Read the value.
    Read,
    /// Write a value.
    Write(u32),
    /// Set `to` when the register holds `from`.
    Cas {
        /// The expected value.
        from: u32,
        /// The new value.
        to: u32,
    },
}

/// A register operation's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutput {
    /// A read returned this value.
    Read(u32),
    /// A write was done.
    Written,
    /// A cas applied (`true`) or found another value (`false`).
    Cas(bool),
}

/// The register (read/write) or, with `cas`, the compare-and-set register.
#[derive(Debug, Clone)]
pub struct Register {
    /// The interned values; id 0 is nil.
    pub values: Values,
    cas: bool,
    failed_cas: FailedCas,
}

impl Register {
    /// A read/write register: `cas` records are an error.
    pub fn plain() -> Register {
        Register { values: Values::default(), cas: false, failed_cas: FailedCas::DidNotHappen }
    }

    /// A compare-and-set register, reading `fail` cas completions as `failed_cas` says.
    pub fn with_cas(failed_cas: FailedCas) -> Register {
        Register { values: Values::default(), cas: true, failed_cas }
    }

    fn cas_input(&mut self, r: &Fed<'_>) -> Result<RegisterInput, ConvertError> {
        let value = r.value();
        let (from, to) = match value.as_ref() {
            Value::Array(a) if a.len() == 2 => (&a[0], &a[1]),
            Value::Object(m) if m.contains_key("from") && m.contains_key("to") => {
                (&m["from"], &m["to"])
            }
            other => {
                let what = format!("a cas needs [from, to] or {{\"from\", \"to\"}}, not {other}");
                return Err(ConvertError::new(r.index, what));
            }
        };
        Ok(RegisterInput::Cas { from: self.values.id(from), to: self.values.id(to) })
    }
}

impl Model for Register {
    type State = u32;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn name(&self) -> &'static str {
        if self.cas {
            "cas-register"
        } else {
            "register"
        }
    }

    fn init(&mut self) -> u32 {
        0
    }

    fn step(&mut self, s: u32, input: &RegisterInput, out: Option<&RegisterOutput>) -> Option<u32> {
        match (*input, out) {
            (RegisterInput::Read, Some(&RegisterOutput::Read(v))) => (s == v).then_some(s),
            (RegisterInput::Read, _) => Some(s),
            (RegisterInput::Write(v), _) => Some(v),
            (RegisterInput::Cas { from, to }, Some(&RegisterOutput::Cas(true))) => {
                (s == from).then_some(to)
            }
            (RegisterInput::Cas { from, .. }, Some(&RegisterOutput::Cas(false))) => {
                (s != from).then_some(s)
            }
            (RegisterInput::Cas { from, to }, _) => Some(if s == from { to } else { s }),
        }
    }

    fn is_read_only(&self, input: &RegisterInput, out: Option<&RegisterOutput>) -> bool {
        matches!(
            (input, out),
            (RegisterInput::Read, Some(RegisterOutput::Read(_)))
                | (RegisterInput::Cas { .. }, Some(RegisterOutput::Cas(false)))
        )
    }

    fn is_blind(&self, input: &RegisterInput) -> bool {
        matches!(input, RegisterInput::Write(_))
    }

    /// Writes of unknown outcome, by what the reads say of their values (see [`Fate`]):
    /// - no operation observes the value (no read returns it, no `ok` cas expects it), and no
    ///   cas in the partition is failed or unknown: [`Fate::Unseen`]. In any linearization the
    ///   operation right after such a write can only be another write (every other one needs
    ///   a different state), which erases it unseen.
    /// - its value is written by no other operation and is not the initial nil, and completed
    ///   operations observe it: [`Fate::By`] the first of their returns. Each needs the state
    ///   only this write makes, so it came first; anything called after that return comes
    ///   after the write.
    fn fates(&self, ops: &[Operation<RegisterInput, RegisterOutput>]) -> Vec<Fate> {
        let seen = Sightings::of(ops);
        ops.iter()
            .map(|op| match (op.input, &op.output) {
                (RegisterInput::Write(v), None) => seen.fate(v, op.call),
                _ => Fate::Open,
            })
            .collect()
    }

    fn describe_op(&self, input: &RegisterInput, out: Option<&RegisterOutput>) -> String {
        let v = |id: u32| self.values.show(id);
        match (input, out) {
            (RegisterInput::Read, Some(RegisterOutput::Read(x))) => format!("read of {}", v(*x)),
            (RegisterInput::Read, _) => "read".to_string(),
            (RegisterInput::Write(x), None) => format!("write {} (outcome unknown)", v(*x)),
            (RegisterInput::Write(x), _) => format!("write {}", v(*x)),
            (RegisterInput::Cas { from, to }, o) => {
                let how = match o {
                    Some(RegisterOutput::Cas(false)) => " (found another value)",
                    None => " (outcome unknown)",
                    _ => "",
                };
                format!("cas {}→{}{how}", v(*from), v(*to))
            }
        }
    }

    fn describe_state(&self, s: u32) -> String {
        self.values.show(s).to_string()
    }

    fn object(&self, _part: u32) -> String {
        "the register".to_string()
    }
}

impl FromHistory for Register {
    fn accepts(&self, f: &str) -> bool {
        matches!(f, "read" | "write") || (self.cas && f == "cas")
    }

    fn convert(
        &mut self,
        inv: &Fed<'_>,
        done: Option<&Fed<'_>>,
    ) -> Result<Converted<Self>, ConvertError> {
        let kind = done.map(|d| d.kind).unwrap_or(Type::Info);
        if kind == Type::Fail && inv.f == "write" {
            // It did not happen: its value is not interned (a long run refuses millions).
            return Ok(None);
        }
        let input = match inv.f {
            "read" => RegisterInput::Read,
            "write" => RegisterInput::Write(self.values.intern_str(&inv.payload_text())),
            _ => self.cas_input(inv)?,
        };
        Ok(match (input, kind) {
            (RegisterInput::Read, Type::Ok) => {
                let read = done.map_or(Cow::Borrowed("null"), |d| d.payload_text());
                Some((input, Some(RegisterOutput::Read(self.values.intern_str(&read)))))
            }
            (RegisterInput::Read, _) => None,
            (RegisterInput::Cas { .. }, Type::Fail)
                if self.failed_cas == FailedCas::FoundOtherValue =>
            {
                Some((input, Some(RegisterOutput::Cas(false))))
            }
            (_, Type::Fail) => None,
            (_, Type::Info | Type::Invoke) => Some((input, None)),
            (RegisterInput::Write(_), Type::Ok) => Some((input, Some(RegisterOutput::Written))),
            (RegisterInput::Cas { .. }, Type::Ok) => Some((input, Some(RegisterOutput::Cas(true)))),
        })
    }
}

/// Who writes and who observes each value, in one partition of register operations.
#[derive(Default)]
struct Sightings {
    /// Operations that may set the value: writes and cas ops not known to have failed.
    makers: HashMap<u32, usize>,
    /// For each value some operation observes, the first return of a completed observer
    /// (`NEVER` when only operations of unknown outcome observe it).
    first_seen: HashMap<u32, u64>,
    /// A failed or unknown cas: it observes a state by inequality, which the rules above do
    /// not follow, so no write is left out.
    uncertain_cas: bool,
}

impl Sightings {
    fn of(ops: &[Operation<RegisterInput, RegisterOutput>]) -> Sightings {
        let mut s = Sightings::default();
        for op in ops {
            match (op.input, &op.output) {
                (RegisterInput::Write(v), _) => s.made(v),
                (RegisterInput::Read, Some(RegisterOutput::Read(v))) => s.seen(*v, op.return_time),
                (RegisterInput::Cas { from, to }, Some(RegisterOutput::Cas(true))) => {
                    s.made(to);
                    s.seen(from, op.return_time);
                }
                (RegisterInput::Cas { to, .. }, out) => {
                    s.uncertain_cas = true;
                    if out.is_none() {
                        s.made(to);
                    }
                }
                _ => {}
            }
        }
        s
    }

    fn made(&mut self, v: u32) {
        *self.makers.entry(v).or_default() += 1;
    }

    fn seen(&mut self, v: u32, at: u64) {
        let first = self.first_seen.entry(v).or_insert(NEVER);
        *first = (*first).min(at);
    }

    fn fate(&self, v: u32, call: u64) -> Fate {
        match self.first_seen.get(&v) {
            None if !self.uncertain_cas => Fate::Unseen,
            Some(&t) if v != NIL && self.makers.get(&v) == Some(&1) && t != NEVER && t > call => {
                Fate::By(t)
            }
            _ => Fate::Open,
        }
    }
}
