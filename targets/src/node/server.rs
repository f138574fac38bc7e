//! The client protocol of a node (documented in the crate docs): `write`, `read`, `status`
//! as JSON lines over TCP, one thread per connection.
//!
//! Neighbours: [`super::Node`] holds the seat, the elector and the register copy; each
//! connection has its own [`ResourceClient`]; answers are built by [`crate::protocol`].
//!
//! Design: a write goes to the resource under the tenure's token without asking the elector
//! first: fencing, not a confirmation, is what keeps a deposed leader's write out. A read asks
//! the elector to confirm leadership first (`stale-read` skips that and answers from the
//! leader's own copy of the register, the value it last wrote or read in this tenure). While
//! the elector holds a leader lease ([`crate::elector::Elector::lease`]: Raft's `lease-read`),
//! a read is answered from that copy too, without a confirmation: that is what a lease is for.

use super::Node;
use crate::bugs::Bug;
use crate::elector::{RegisterAnswer, RegisterOp, Unconfirmed};
use crate::lines::LineConn;
use crate::protocol::{self, ErrorCode, Request};
use crate::resource::{ResourceClient, ResourceError, REGISTER_KEY};
use crate::seat::Tenure;
use crate::stop::Stop;
use serde_json::Value;
use std::io;
use std::net::TcpStream;
use std::thread::Scope;
use std::time::{Duration, Instant};

/// Accepts connections until `stop`, serving each on a thread of `scope`.
pub fn serve<'scope>(node: &'scope Node, stop: &'scope Stop, scope: &'scope Scope<'scope, '_>) {
    while !stop.is_stopped() {
        match node.listener.accept() {
            Ok((stream, _)) => {
                scope.spawn(move || connection(node, stream, stop));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                stop.sleep(Duration::from_millis(2));
            }
            Err(e) => {
                eprintln!("splitbrain-node: accept failed: {e}");
                stop.sleep(Duration::from_millis(50));
            }
        }
    }
}

fn connection(node: &Node, stream: TcpStream, stop: &Stop) {
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let cfg = &node.cfg;
    let mut resource = ResourceClient::new(cfg.resource, &cfg.id, cfg.resource_timeouts);
    let mut conn = LineConn::new(stream);
    while let Ok(Some(line)) = conn.serve_next(|| !stop.is_stopped()) {
        let answer = match serde_json::from_slice::<Request>(&line) {
            _ if stop.is_stopped() => protocol::error(ErrorCode::ShuttingDown),
            Ok(request) => handle(node, &mut resource, request),
            Err(e) => {
                let mut answer = protocol::error(ErrorCode::BadRequest);
                answer["detail"] = e.to_string().into();
                answer
            }
        };
        if conn.send(&answer, Instant::now() + Duration::from_secs(1)).is_err() {
            return;
        }
    }
}

/// The answer to one request.
pub fn handle(node: &Node, resource: &mut ResourceClient, request: Request) -> Value {
    match request {
        Request::Write { value } => write(node, resource, &value),
        Request::Read => read(node, resource),
        Request::Status => protocol::status(&node.seat.view(), &node.cfg.id),
    }
}

fn write(node: &Node, resource: &mut ResourceClient, value: &Value) -> Value {
    let Some(tenure) = node.seat.tenure() else {
        return protocol::not_leader(node.seat.view().leader.as_deref());
    };
    if let Err(e) = node.confirm_write(&tenure) {
        return unconfirmed(e);
    }
    let deadline = Instant::now() + node.cfg.confirm_timeout;
    if let Some(answer) = node.elector.register(RegisterOp::Write(value), tenure.token, deadline) {
        return registered(answer, value, tenure.token, &node.cfg.id);
    }
    let _in_order = node.in_order();
    match resource.write(REGISTER_KEY, node.token_for(&tenure), value) {
        Ok(Ok(())) => {
            node.keep_copy(&tenure, value);
            protocol::written(value, tenure.token, &node.cfg.id)
        }
        Ok(Err(_)) => protocol::error(ErrorCode::StaleToken),
        Err(e) => protocol::error(resource_error(&e)),
    }
}

fn read(node: &Node, resource: &mut ResourceClient) -> Value {
    let Some(tenure) = node.seat.tenure() else {
        return protocol::not_leader(node.seat.view().leader.as_deref());
    };
    let deadline = Instant::now() + node.cfg.confirm_timeout;
    if let Some(answer) = node.elector.register(RegisterOp::Read, tenure.token, deadline) {
        return registered(answer, &Value::Null, tenure.token, &node.cfg.id);
    }
    if let Some(copy) = leased_copy(node, &tenure) {
        return protocol::read(&copy);
    }
    if node.cfg.bugs.has(Bug::StaleRead) {
        if let Some(copy) = node.copy_of(&tenure) {
            return protocol::read(&copy);
        }
    } else {
        let deadline = Instant::now() + node.cfg.confirm_timeout;
        if let Err(e) = node.elector.confirm(tenure.token, deadline) {
            return unconfirmed(e);
        }
    }
    let _in_order = node.in_order();
    match resource.read(REGISTER_KEY, node.token_for(&tenure)) {
        Ok(Ok(value)) => {
            node.keep_copy(&tenure, &value);
            protocol::read(&value)
        }
        Ok(Err(_)) => protocol::error(ErrorCode::StaleToken),
        Err(e) => protocol::error(resource_error(&e)),
    }
}

/// The leader's copy of the register, if the elector holds a lease under `tenure`'s token
/// that has not ended.
fn leased_copy(node: &Node, tenure: &Tenure) -> Option<Value> {
    let (token, end) = node.elector.lease()?;
    (Some(token) == tenure.token && Instant::now() < end).then(|| node.copy_of(tenure))?
}

/// The client's answer for what the election's own system said of a register operation
/// (`value`: what was written; a read's answer carries its own).
fn registered(answer: RegisterAnswer, value: &Value, token: Option<u64>, me: &str) -> Value {
    match answer {
        RegisterAnswer::Written => protocol::written(value, token, me),
        RegisterAnswer::Read(v) => protocol::read(&v),
        RegisterAnswer::Refused(why) => {
            let mut answer = protocol::error(ErrorCode::RegisterRefused);
            answer["detail"] = why.into();
            answer
        }
        RegisterAnswer::Unknown => protocol::error(ErrorCode::RegisterUnknown),
    }
}

fn unconfirmed(e: Unconfirmed) -> Value {
    match e {
        Unconfirmed::NotLeader(leader) => protocol::not_leader(leader.as_deref()),
        Unconfirmed::TimedOut => protocol::error(ErrorCode::NotConfirmed),
    }
}

fn resource_error(e: &ResourceError) -> ErrorCode {
    match e {
        ResourceError::Unavailable(_) => ErrorCode::ResourceUnavailable,
        ResourceError::Timeout => ErrorCode::ResourceTimeout,
        ResourceError::Io(_) | ResourceError::Protocol(_) => ErrorCode::ResourceError,
    }
}
