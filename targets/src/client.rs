//! The client library of the node protocol, for the controller's client workers: one
//! connection to one node, every request bounded, and the mapping of each outcome onto the
//! history's completion record (HISTORY.md).
//!
//! Neighbours: speaks to [`crate::node`]'s server; answers are those of [`crate::protocol`].
//!
//! Outcomes: an answer with `"ok":true` is `ok`; an answer with an error is `fail` when the
//! error is definite (nothing happened) and `info` otherwise; a connection that could not be
//! made is `fail` (nothing was sent); a timeout or a connection lost after sending is `info`.
//! After any error the connection is dropped and the next request reconnects, so a late answer
//! is never taken for the next request's.

use crate::lines::{LineConn, Timeouts};
use crate::protocol::{ErrorCode, Request};
use serde_json::{Map, Value};
use splitbrain_checkers::Type;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

/// An answer of a node: the JSON object it sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply(pub Map<String, Value>);

impl Reply {
    /// `"ok"`.
    pub fn ok(&self) -> bool {
        self.0.get("ok") == Some(&Value::Bool(true))
    }

    /// `"error"`, on a failed request.
    pub fn error(&self) -> Option<&str> {
        self.0.get("error").and_then(Value::as_str)
    }

    /// Whether a failed request certainly had no effect: `"definite"` where the node says, or
    /// else what this crate's error codes mean (an unknown code counts as indefinite).
    pub fn definite(&self) -> bool {
        match self.0.get("definite").and_then(Value::as_bool) {
            Some(definite) => definite,
            None => self.error().and_then(ErrorCode::parse).is_some_and(ErrorCode::definite),
        }
    }

    /// `"token"`.
    pub fn token(&self) -> Option<u64> {
        self.0.get("token").and_then(Value::as_u64)
    }

    /// `"leader"` as a name: who wrote (an ok write) or whom the node believes in (not-leader).
    pub fn leader_name(&self) -> Option<&str> {
        self.0.get("leader").and_then(Value::as_str)
    }

    /// `"leader"` as a flag: whether the node leads (a status answer).
    pub fn is_leader(&self) -> bool {
        self.0.get("leader") == Some(&Value::Bool(true))
    }

    /// The answer without `"ok"`: the `value` of the history's `ok` completion
    /// (`{"value":V,"token":T,"leader":"n2"}` for a write, `{"value":V}` for a read).
    pub fn completion_value(&self) -> Value {
        let mut fields = self.0.clone();
        fields.remove("ok");
        Value::Object(fields)
    }
}

/// A request that got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No connection: nothing was sent.
    #[error("connect failed: {0}")]
    Connect(io::Error),
    /// Sent, no answer within the request timeout.
    #[error("timeout")]
    Timeout,
    /// Sent, then the connection failed.
    #[error("connection failed: {0}")]
    Io(io::Error),
    /// An answer that is not a JSON object.
    #[error("unreadable answer: {0}")]
    Protocol(String),
}

impl ClientError {
    /// True when the request certainly had no effect (it was never sent).
    pub fn definite(&self) -> bool {
        matches!(self, ClientError::Connect(_))
    }

    /// The history's `error` for it.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::Connect(_) => "connect-failed",
            ClientError::Timeout => "timeout",
            ClientError::Io(_) => "connection-lost",
            ClientError::Protocol(_) => "bad-answer",
        }
    }
}

/// What the history records when a request completes.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// `ok`, `fail` or `info`.
    pub kind: Type,
    /// The answer's value for `ok`; the invocation's value otherwise.
    pub value: Value,
    /// Why, for `fail` and `info`.
    pub error: Option<String>,
}

/// The completion record of `request` given its outcome.
pub fn completion(request: &Request, outcome: &Result<Reply, ClientError>) -> Completion {
    let failed = |definite: bool, error: &str| Completion {
        kind: if definite { Type::Fail } else { Type::Info },
        value: request.invoked_value(),
        error: Some(error.to_string()),
    };
    match outcome {
        Ok(reply) if reply.ok() => {
            Completion { kind: Type::Ok, value: reply.completion_value(), error: None }
        }
        Ok(reply) => failed(reply.definite(), reply.error().unwrap_or("unknown")),
        Err(e) => failed(e.definite(), e.code()),
    }
}

/// One client connection to one node.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    timeouts: Timeouts,
    conn: Option<LineConn>,
}

impl Client {
    /// A client of the node at `addr` (connects on first use, and again after an error).
    pub fn new(addr: SocketAddr, timeouts: Timeouts) -> Client {
        Client { addr, timeouts, conn: None }
    }

    /// The node's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends `request` and waits for its answer, within the timeouts.
    pub fn request(&mut self, request: &Request) -> Result<Reply, ClientError> {
        let result = self.exchange(request);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    /// `{"op":"write","value":V}`.
    pub fn write(&mut self, value: Value) -> Result<Reply, ClientError> {
        self.request(&Request::Write { value })
    }

    /// `{"op":"read"}`.
    pub fn read(&mut self) -> Result<Reply, ClientError> {
        self.request(&Request::Read)
    }

    /// `{"op":"status"}`.
    pub fn status(&mut self) -> Result<Reply, ClientError> {
        self.request(&Request::Status)
    }

    fn exchange(&mut self, request: &Request) -> Result<Reply, ClientError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let conn = LineConn::connect(self.addr, self.timeouts.connect)
                    .map_err(ClientError::Connect)?;
                self.conn.insert(conn)
            }
        };
        let deadline = Instant::now() + self.timeouts.request;
        conn.send(request, deadline).map_err(sent_error)?;
        let line = conn.receive(deadline).map_err(sent_error)?;
        let line = line.ok_or_else(|| ClientError::Io(io::ErrorKind::UnexpectedEof.into()))?;
        match serde_json::from_slice(&line) {
            Ok(Value::Object(map)) => Ok(Reply(map)),
            Ok(other) => Err(ClientError::Protocol(other.to_string())),
            Err(e) => Err(ClientError::Protocol(e.to_string())),
        }
    }
}

fn sent_error(e: io::Error) -> ClientError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ClientError::Timeout,
        _ => ClientError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(v: Value) -> Reply {
        let Value::Object(map) = v else { panic!("not an object") };
        Reply(map)
    }

    type Row = (Result<Reply, ClientError>, Type, Value, Option<&'static str>);

    #[test]
    fn each_outcome_maps_onto_its_history_completion() {
        let write = Request::Write { value: json!(3) };
        let table: Vec<Row> = vec![
            (
                Ok(reply(json!({"ok":true,"value":3,"token":5,"leader":"n2"}))),
                Type::Ok,
                json!({"value":3,"token":5,"leader":"n2"}),
                None,
            ),
            (
                Ok(reply(json!({"ok":false,"error":"not-leader","definite":true,"leader":null}))),
                Type::Fail,
                json!({"value":3}),
                Some("not-leader"),
            ),
            (
                Ok(reply(json!({"ok":false,"error":"resource-timeout","definite":false}))),
                Type::Info,
                json!({"value":3}),
                Some("resource-timeout"),
            ),
            (
                Ok(reply(json!({"ok":false,"error":"stale-token"}))),
                Type::Fail,
                json!({"value":3}),
                Some("stale-token"),
            ),
            (
                Ok(reply(json!({"ok":false,"error":"weird"}))),
                Type::Info,
                json!({"value":3}),
                Some("weird"),
            ),
            (Err(ClientError::Timeout), Type::Info, json!({"value":3}), Some("timeout")),
            (
                Err(ClientError::Connect(io::ErrorKind::ConnectionRefused.into())),
                Type::Fail,
                json!({"value":3}),
                Some("connect-failed"),
            ),
        ];
        for (outcome, kind, value, error) in table {
            let c = completion(&write, &outcome);
            assert_eq!(
                (c.kind, &c.value, c.error.as_deref()),
                (kind, &value, error),
                "{outcome:?}"
            );
        }
    }
}
