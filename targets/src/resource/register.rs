//! The fenced resource's decisions, without I/O: one register per key, the highest token
//! accepted so far (over all keys), and the rule that admits or refuses a write.
//!
//! Neighbours: [`super::server`] calls it under its lock and hands every [`Decision`] to the
//! controller in that order.
//!
//! Design: fencing needs a token to compare. A request without one (`"token": null`) is not
//! compared and is accepted in both modes, as a storage service that fences only the writers
//! that pass a token would: that is exactly how the `no-fencing` bug gets through, and the
//! history shows it (accepts with a `null` token). Only writes raise the highest token; a read
//! with a token lower than the highest is refused in fenced mode (a deposed leader cannot read
//! either), a read without one is served.

use crate::seat::Token;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use splitbrain_checkers::Type;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Whether the resource enforces tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Refuses a token lower than the highest accepted.
    Fenced,
    /// Accepts everything and only records.
    Open,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "fenced" => Ok(Mode::Fenced),
            "open" => Ok(Mode::Open),
            _ => Err(format!("unknown resource mode {s:?}: use fenced or open")),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if *self == Mode::Fenced { "fenced" } else { "open" })
    }
}

/// One write the resource applied or refused: the content of a HISTORY.md `accept`/`reject`
/// record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// True for `accept`, false for `reject`.
    pub accepted: bool,
    /// The register written (`"register"` for client writes, `"work"` for leader work).
    pub key: String,
    /// The token the writer gave.
    pub token: Option<Token>,
    /// The node that wrote.
    pub node: String,
    /// The value written.
    pub value: Value,
}

impl Decision {
    /// The record's `f`: `"accept"` or `"reject"`.
    pub fn f(&self) -> &'static str {
        if self.accepted {
            "accept"
        } else {
            "reject"
        }
    }

    /// The record's `type`: `ok` for an accept, `fail` for a reject.
    pub fn kind(&self) -> Type {
        if self.accepted {
            Type::Ok
        } else {
            Type::Fail
        }
    }

    /// The record's `error`: `"stale-token"` for a reject.
    pub fn error(&self) -> Option<&'static str> {
        (!self.accepted).then_some("stale-token")
    }

    /// The record's `value`: `{"token":T,"node":"n2","value":V,"key":K}`.
    pub fn record_value(&self) -> Value {
        json!({"token": self.token, "node": self.node, "value": self.value, "key": self.key})
    }

    /// The whole record without `index` and `time`, as the standalone resource prints it:
    /// `{"type":"ok","f":"accept","value":{…}}` (plus `"error"` for a reject).
    pub fn to_json(&self) -> Value {
        let mut record = json!({"type": self.kind(), "f": self.f(), "value": self.record_value()});
        if let Some(error) = self.error() {
            record["error"] = json!(error);
        }
        record
    }
}

/// Whether a write or read under `token` passes, given the highest token accepted so far.
pub fn admits(mode: Mode, highest: Option<Token>, token: Option<Token>) -> bool {
    match (mode, token, highest) {
        (Mode::Open, _, _) | (Mode::Fenced, None, _) | (Mode::Fenced, Some(_), None) => true,
        (Mode::Fenced, Some(t), Some(h)) => t >= h,
    }
}

/// The registers and the highest token accepted.
#[derive(Debug, Clone)]
pub struct Register {
    mode: Mode,
    highest: Option<Token>,
    values: BTreeMap<String, Value>,
}

impl Register {
    /// Empty registers (every key reads `null`).
    pub fn new(mode: Mode) -> Register {
        Register { mode, highest: None, values: BTreeMap::new() }
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The highest token accepted so far, over all keys.
    pub fn highest(&self) -> Option<Token> {
        self.highest
    }

    /// Applies or refuses a write of `value` to `key` by `node` under `token`.
    pub fn write(&mut self, key: &str, token: Option<Token>, node: &str, value: Value) -> Decision {
        let accepted = admits(self.mode, self.highest, token);
        if accepted {
            self.highest = self.highest.max(token);
            self.values.insert(key.to_string(), value.clone());
        }
        Decision { accepted, key: key.to_string(), token, node: node.to_string(), value }
    }

    /// The value of `key` (`null` when never written), or `Err(highest)` when the token is
    /// stale in fenced mode.
    pub fn read(&self, key: &str, token: Option<Token>) -> Result<Value, Option<Token>> {
        if !admits(self.mode, self.highest, token) {
            return Err(self.highest);
        }
        Ok(self.values.get(key).cloned().unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_mode_refuses_exactly_the_tokens_below_the_highest_accepted() {
        // (mode, highest, token, admitted)
        let table = [
            (Mode::Fenced, None, Some(1), true),
            (Mode::Fenced, Some(3), Some(3), true),
            (Mode::Fenced, Some(3), Some(4), true),
            (Mode::Fenced, Some(3), Some(2), false),
            (Mode::Fenced, Some(3), None, true),
            (Mode::Open, Some(3), Some(2), true),
            (Mode::Open, Some(3), None, true),
        ];
        for (mode, highest, token, want) in table {
            assert_eq!(admits(mode, highest, token), want, "{mode} {highest:?} {token:?}");
        }
    }

    #[test]
    fn the_highest_token_spans_all_keys() {
        let mut r = Register::new(Mode::Fenced);
        assert!(r.write("work", Some(5), "n2", json!("n2:1")).accepted);
        let refused = r.write("register", Some(4), "n1", json!(7));
        assert!(!refused.accepted);
        assert_eq!(r.read("register", None), Ok(Value::Null), "a refused write changes nothing");
        assert_eq!(r.read("register", Some(4)), Err(Some(5)), "a stale reader is refused too");
    }

    #[test]
    fn open_mode_accepts_a_lower_token_and_it_overwrites() {
        let mut r = Register::new(Mode::Open);
        r.write("register", Some(5), "n2", json!(1));
        assert!(r.write("register", Some(4), "n1", json!(2)).accepted);
        assert_eq!(r.read("register", Some(1)), Ok(json!(2)));
    }

    #[test]
    fn a_decision_is_the_history_record_of_the_contract() {
        let mut r = Register::new(Mode::Fenced);
        r.write("register", Some(5), "n2", json!(1));
        let d = r.write("register", Some(4), "n1", json!(2));
        assert_eq!(
            d.to_json(),
            json!({"type":"fail","f":"reject","error":"stale-token",
                   "value":{"token":4,"node":"n1","value":2,"key":"register"}})
        );
    }
}
