//! The fenced resource: a storage service with one register per key that leaders write to
//! under their token. In fenced mode it refuses a token lower than the highest it has accepted
//! (over all keys); in open mode it accepts everything and only records. Every write decision
//! goes to the controller in the resource's serial order.
//!
//! - [`register`]: the decisions, without I/O.
//! - [`server`]: the TCP server the controller runs on a thread it owns ([`Resource`]).
//! - [`client`]: what nodes use to talk to it.
//! - [`cli`]: the resource as a process of its own (`splitbrain resource`).
//!
//! # Protocol (line-delimited JSON over TCP, one request per line, answers in order)
//!
//! ```text
//! {"op":"write","key":K,"token":T|null,"node":"n2","value":V}
//!     -> {"ok":true}
//!     |  {"ok":false,"error":"stale-token","highest":H}
//! {"op":"read","key":K,"token":T|null,"node":"n2"}
//!     -> {"ok":true,"value":V}                 (null when never written)
//!     |  {"ok":false,"error":"stale-token","highest":H}
//! anything else
//!     -> {"ok":false,"error":"bad-request","detail":"…"}
//! ```
//!
//! Keys in use: `"register"` for the clients' writes and reads (the register whose history the
//! linearizability checker reads), `"work"` for the leaders' own periodic writes, so leader work
//! never disturbs the clients' register. A token-less request is admitted unchecked
//! ([`register`] says why).

pub mod cli;
pub mod client;
pub mod register;
pub mod server;

pub use client::{Refused, ResourceClient, ResourceError};
pub use register::{Decision, Mode, Register};
pub use server::Resource;

/// The key of the clients' register.
pub const REGISTER_KEY: &str = "register";
/// The key of the leaders' own work.
pub const WORK_KEY: &str = "work";
