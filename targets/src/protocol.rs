//! The client protocol of a node, as types: the requests, the answers, and the error codes
//! with whether each is definite. The crate docs give the protocol in full.
//!
//! Neighbours: the node's server ([`crate::node`]) builds answers with these functions; the
//! client library ([`crate::client`]) reads them back.

use crate::seat::{Token, View};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A request from a client, one JSON line: `{"op":"write","value":V}`, `{"op":"read"}`,
/// `{"op":"status"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Request {
    /// Have the leader write `value` to the register under its token.
    Write {
        /// Any JSON value.
        value: Value,
    },
    /// Read the register through the leader.
    Read,
    /// What this node believes about its own leadership.
    Status,
}

impl Request {
    /// The history's `f` for this request.
    pub fn f(&self) -> &'static str {
        match self {
            Request::Write { .. } => "write",
            Request::Read => "read",
            Request::Status => "status",
        }
    }

    /// The history's invocation `value`: `{"value":V}` for a write, `null` otherwise.
    pub fn invoked_value(&self) -> Value {
        match self {
            Request::Write { value } => json!({"value": value}),
            Request::Read | Request::Status => Value::Null,
        }
    }
}

/// Why a request failed, and whether that failure is definite (nothing happened: the history's
/// `fail`) or not (it may have happened: `info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// This node does not lead; the answer names the leader it believes in (or `null`).
    NotLeader,
    /// The resource refused the leader's token: a newer leader has written.
    StaleToken,
    /// A read: the leader could not confirm its leadership in time.
    NotConfirmed,
    /// The resource could not be reached: nothing was sent to it.
    ResourceUnavailable,
    /// The resource did not answer in time: the write may or may not have been applied.
    ResourceTimeout,
    /// The resource connection failed after sending: the write may or may not have been applied.
    ResourceError,
    /// The election's own system refused the register operation (`register = true`).
    RegisterRefused,
    /// The election's own system did not answer the register operation in time.
    RegisterUnknown,
    /// The request was not understood.
    BadRequest,
    /// The node is stopping.
    ShuttingDown,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::NotLeader,
        ErrorCode::StaleToken,
        ErrorCode::NotConfirmed,
        ErrorCode::ResourceUnavailable,
        ErrorCode::ResourceTimeout,
        ErrorCode::ResourceError,
        ErrorCode::RegisterRefused,
        ErrorCode::RegisterUnknown,
        ErrorCode::BadRequest,
        ErrorCode::ShuttingDown,
    ];

    /// The code as it appears in `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotLeader => "not-leader",
            ErrorCode::StaleToken => "stale-token",
            ErrorCode::NotConfirmed => "not-confirmed",
            ErrorCode::ResourceUnavailable => "resource-unavailable",
            ErrorCode::ResourceTimeout => "resource-timeout",
            ErrorCode::ResourceError => "resource-error",
            ErrorCode::RegisterRefused => "register-refused",
            ErrorCode::RegisterUnknown => "register-unknown",
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::ShuttingDown => "shutting-down",
        }
    }

    /// The code named `s`, if known.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// True when the request certainly had no effect.
    pub fn definite(self) -> bool {
        !matches!(
            self,
            ErrorCode::ResourceTimeout | ErrorCode::ResourceError | ErrorCode::RegisterUnknown
        )
    }
}

/// `{"ok":false,"error":CODE,"definite":bool}`.
pub fn error(code: ErrorCode) -> Value {
    json!({"ok": false, "error": code.as_str(), "definite": code.definite()})
}

/// `{"ok":false,"error":"not-leader","definite":true,"leader":"n3"|null}`.
pub fn not_leader(leader: Option<&str>) -> Value {
    let mut answer = error(ErrorCode::NotLeader);
    answer["leader"] = json!(leader);
    answer
}

/// `{"ok":true,"value":V,"token":T,"leader":"n2"}`: the resource accepted V from leader `me`.
pub fn written(value: &Value, token: Option<Token>, me: &str) -> Value {
    json!({"ok": true, "value": value, "token": token, "leader": me})
}

/// `{"ok":true,"value":V}`.
pub fn read(value: &Value) -> Value {
    json!({"ok": true, "value": value})
}

/// `{"ok":true,"leader":bool,"token":T|null,"term":X|null,"known_leader":"n3"|null,"node":"n1"}`.
pub fn status(view: &View, me: &str) -> Value {
    let token = view.tenure.as_ref().and_then(|t| t.token);
    json!({
        "ok": true,
        "leader": view.tenure.is_some(),
        "token": token,
        "term": view.term,
        "known_leader": view.leader,
        "node": me,
    })
}
