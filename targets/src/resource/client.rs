//! The client side of the resource protocol, as a node uses it: one connection per thread,
//! made on first use and again after any error, every request bounded.
//!
//! Neighbours: the node core ([`crate::node`]) writes and reads with it; [`super::server`]
//! answers.

use crate::lines::{LineConn, Timeouts};
use crate::seat::Token;
use serde_json::{json, Value};
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

/// The resource refused the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Why (`"stale-token"`).
    pub error: String,
    /// The highest token the resource had accepted, when it says.
    pub highest: Option<Token>,
}

/// The resource could not be asked, or did not answer.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// No connection: nothing was sent, so nothing happened.
    #[error("resource unavailable: {0}")]
    Unavailable(io::Error),
    /// Sent, but no answer in time: the write may or may not have been applied.
    #[error("no answer from the resource in time")]
    Timeout,
    /// Sent, then the connection failed: the write may or may not have been applied.
    #[error("resource connection failed: {0}")]
    Io(io::Error),
    /// An answer this client cannot read.
    #[error("unreadable answer from the resource: {0}")]
    Protocol(String),
}

impl ResourceError {
    /// True when the request certainly had no effect.
    pub fn definite(&self) -> bool {
        matches!(self, ResourceError::Unavailable(_))
    }
}

/// A node's connection to the resource.
#[derive(Debug)]
pub struct ResourceClient {
    addr: SocketAddr,
    node: String,
    timeouts: Timeouts,
    conn: Option<LineConn>,
}

impl ResourceClient {
    /// A client for node `node` of the resource at `addr` (connects on first use).
    pub fn new(addr: SocketAddr, node: &str, timeouts: Timeouts) -> ResourceClient {
        ResourceClient { addr, node: node.to_string(), timeouts, conn: None }
    }

    /// Writes `value` to `key` under `token`.
    pub fn write(
        &mut self,
        key: &str,
        token: Option<Token>,
        value: &Value,
    ) -> Result<Result<(), Refused>, ResourceError> {
        let req =
            json!({"op": "write", "key": key, "token": token, "node": self.node, "value": value});
        self.request(&req).map(|answer| answer.map(|_| ()))
    }

    /// Reads `key` under `token`.
    pub fn read(
        &mut self,
        key: &str,
        token: Option<Token>,
    ) -> Result<Result<Value, Refused>, ResourceError> {
        let req = json!({"op": "read", "key": key, "token": token, "node": self.node});
        self.request(&req).map(|answer| answer.map(|v| v["value"].clone()))
    }

    fn request(&mut self, req: &Value) -> Result<Result<Value, Refused>, ResourceError> {
        let result = self.exchange(req);
        if result.is_err() {
            self.conn = None;
        }
        let answer = result?;
        if answer["ok"] == json!(true) {
            return Ok(Ok(answer));
        }
        match answer["error"].as_str() {
            Some(error) => {
                Ok(Err(Refused { error: error.into(), highest: answer["highest"].as_u64() }))
            }
            None => Err(ResourceError::Protocol(answer.to_string())),
        }
    }

    fn exchange(&mut self, req: &Value) -> Result<Value, ResourceError> {
        let deadline = Instant::now() + self.timeouts.request;
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let conn = LineConn::connect(self.addr, self.timeouts.connect)
                    .map_err(ResourceError::Unavailable)?;
                self.conn.insert(conn)
            }
        };
        conn.send(req, deadline).map_err(sent_error)?;
        let line = conn.receive(deadline).map_err(sent_error)?;
        let line = line.ok_or_else(|| ResourceError::Io(io::ErrorKind::UnexpectedEof.into()))?;
        serde_json::from_slice(&line).map_err(|e| ResourceError::Protocol(e.to_string()))
    }
}

fn sent_error(e: io::Error) -> ResourceError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ResourceError::Timeout,
        _ => ResourceError::Io(e),
    }
}
