//! The one error type of the third-party targets: what went wrong talking to etcd or Redis, or
//! starting them. Electors turn most of these into "not leader" and try again; launchers and
//! tests report them.

use std::time::Duration;

/// Why a third-party operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The etcd client failed (connect, RPC, stream).
    #[error("etcd: {0}")]
    Etcd(#[from] etcd_client::Error),
    /// The Redis client failed (connect, command, script).
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A bounded wait ran out.
    #[error("{what} did not finish within {limit:?}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// The bound that ran out.
        limit: Duration,
    },
    /// Starting or stopping a local process, or preparing its files, failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A server answered something this code cannot interpret (a corrupt lease record, …).
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// Another service's client library failed: a new target's client needs no variant of
    /// its own.
    #[error("{service}: {source}")]
    Client {
        /// The service (`"zookeeper"`).
        service: &'static str,
        /// The client's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A caller gave options that cannot work (an empty endpoint list, a zero TTL, …).
    #[error("bad option: {0}")]
    BadOption(String),
}

impl Error {
    /// An [`Error::Io`] with a description of what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { what: what.into(), source }
    }

    /// An [`Error::Timeout`] for `what` after `limit`.
    pub fn timeout(what: impl Into<String>, limit: Duration) -> Error {
        Error::Timeout { what: what.into(), limit }
    }
}

/// The result of third-party operations.
pub type Result<T> = std::result::Result<T, Error>;
