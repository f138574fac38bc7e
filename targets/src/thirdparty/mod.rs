//! Third-party targets: leader election built on servers people run in production, to find the
//! dual writers their usual recipes allow.
//!
//! - [`etcd`]: etcd's election API; token: the leader key's create revision.
//! - [`k8s_lease`]: client-go's lease-record algorithm on etcd's KV; token: `leaderTransitions`.
//! - [`redis`]: `redis-naive` (`SET NX PX`, renew with `SET XX PX`, no token) and `redis-cas`
//!   (renew and release only while the value is ours, token from `INCR`).
//!
//! The servers are described by [`crate::launch::ProcessSpec`]s ([`etcd_launch`],
//! [`redis_launch`]) that the controller starts inside the sandbox, or [`local`] starts on
//! loopback. [`catalog`] is the one list of these targets: each entry says what the target
//! needs, whether it can run here, which faults reach it, how it is laid out and how its elector
//! is built.
//!
//! Every elector here implements [`ThirdPartyElector`]; each renews in the background the way
//! its real-world client does, and the candidate learns of a loss only when that loop reports
//! it. That delay is faithful on purpose: it is where the known findings come from.

pub mod adapter;
pub mod belief;
pub mod build;
pub mod catalog;
pub mod error;
pub mod etcd;
pub mod etcd_launch;
pub mod k8s_lease;
pub mod k8s_record;
pub mod layout;
pub mod local;
pub mod redis;
pub mod redis_launch;
pub mod target;

use std::time::Duration;

pub use catalog::{Availability, ThirdParty};
pub use error::{Error, Result};

/// A fencing token as the node reports it: `None` where the election gives none.
pub type Token = Option<u64>;

/// A candidate in an election run by an outside service.
///
/// Lifecycle: [`campaign`](ThirdPartyElector::campaign) until it returns a token, then poll
/// [`lost`](ThirdPartyElector::lost) while acting as leader; once lost, campaign again.
/// [`resign`](ThirdPartyElector::resign) gives leadership up on purpose. Every call is bounded
/// in time. [`adapter::Hosted`] runs any of these as the node's [`crate::Elector`].
pub trait ThirdPartyElector: Send {
    /// Tries to become leader for at most `limit`, giving up early once `give_up()` is true
    /// (it is polled at least every 100 ms). `Ok(Some(token))` when it now leads;
    /// `Ok(None)` when it does not yet.
    fn campaign(&mut self, limit: Duration, give_up: &dyn Fn() -> bool) -> Result<Option<Token>>;

    /// While leading: `None` as long as it believes it leads; `Some(reason)` once its tenure
    /// has ended. `None` when not leading. A reason is `"code: detail"`; the code (what the
    /// `stepdown` report carries) is one of `lease-expired`, `keepalive-deadline`,
    /// `other-leader`, `lease-lost` (etcd), `renew-deadline` (k8s-lease), `renewal-refused`,
    /// `lease-deadline` (Redis).
    fn lost(&mut self) -> Option<String>;

    /// Gives leadership up (deletes its key or empties the record's holder, as the recipe
    /// does) and stops renewing. Bounded; a failure still leaves the candidate not leading.
    fn resign(&mut self) -> Result<()>;

    /// What it did since the last call that the history should show besides `elected` and
    /// `stepdown` (e.g. `redis-naive`'s renewal over the key another candidate holds).
    fn notes(&mut self) -> Vec<Note> {
        Vec::new()
    }

    /// Blocks until [`lost`](ThirdPartyElector::lost) reports a reason or `limit` passes.
    fn wait_lost(&mut self, limit: Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(reason) = self.lost() {
                return Some(reason);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
    }

    /// A separate reader of the election's own source of truth (its own connection), usable
    /// from other threads while this candidate campaigns or leads.
    fn confirmer(&self) -> Result<Box<dyn Confirmer>>;
}

/// Reads who the election service says leads, now.
pub trait Confirmer: Send + Sync {
    /// The leader's identity and token by a fresh read (linearizable where the service has
    /// such reads), or `None` when nobody holds the election; bounded by `limit`.
    fn leader(&self, limit: Duration) -> Result<Option<(String, Token)>>;
}

/// Something a candidate did that the history should show: the node reports it as an `info`
/// record of its own (`{"type":"info","f":F,"value":V}`), which checkers pass over and a report
/// shows next to the dual writes it explains.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The record's `f`, e.g. `"renew"`.
    pub f: &'static str,
    /// The record's value, e.g. `{"token": null, "key": "splitbrain:leader", "overwrote": "n2"}`.
    pub value: serde_json::Value,
    /// One line for the node's log.
    pub text: String,
}

impl Note {
    /// The report line the node prints on stdout.
    pub fn report(&self) -> serde_json::Value {
        serde_json::json!({"type": "info", "f": self.f, "value": self.value})
    }
}

/// A [`Token`] from a service's signed integer (revisions and counters are never negative).
pub(crate) fn token(n: i64) -> Token {
    u64::try_from(n).ok()
}

/// Sleeps `d` in slices of at most 50 ms; true (early) once `give_up()` is.
pub(crate) fn nap(d: Duration, give_up: &dyn Fn() -> bool) -> bool {
    let until = std::time::Instant::now() + d;
    loop {
        if give_up() {
            return true;
        }
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// Runs `f` on `rt` for at most `limit` (the timer is made inside the runtime, as tokio needs).
pub(crate) fn within<F: std::future::Future>(
    rt: &tokio::runtime::Runtime,
    limit: Duration,
    f: F,
) -> std::result::Result<F::Output, tokio::time::error::Elapsed> {
    rt.block_on(async move { tokio::time::timeout(limit, f).await })
}
