//! Spare sessions: for a process on a host that the nemesis has killed, [`DEPTH`] `host-exec`
//! sessions (at most [`PER_HOST`] on a host) opened ahead of its next starts and waiting for
//! `go`, so that a restart is one line over an open session, as fast as in the sandbox,
//! instead of a new session.
//!
//! Neighbours: `remote.rs` (`RemotePlace`) takes and makes them; `agent.rs` is the supervisor
//! at the other end, which starts nothing until `go` and ends at once when its stdin closes.
//!
//! Design: why. A new session costs a login shell and an exec on the host (0.28–0.44 s over a
//! master on this 2-core machine under load, 0.57–0.66 s with a connection of its own); a
//! crash storm keeps a node down 20–400 ms, so a restart that waited for a new session came
//! seconds late, and the storm's next kill of that node waited for it too (with a connection
//! per start: 61 kills and restarts in two 5 s storms, against 267 in the sandbox, and
//! forget-vote uncaught). Keyed by the exact `host-exec` line, so a spare only ever starts what
//! the restart asked for. Unused spares are closed at the end (their stdin closes, so their
//! supervisor ends) and die with the controller like every session.

use crate::tools::wait_bounded;
use std::collections::{HashMap, VecDeque};
use std::process::Child;
use std::sync::Mutex;
use std::time::Duration;

/// Spares kept per process: a storm restarts a node every 20–400 ms after its kill, sooner than
/// one session is set up under load, so the next spare is opened a whole cycle ahead.
pub(crate) const DEPTH: usize = 2;

/// Spares kept per host at most: sshd allows 10 sessions on one connection (`MaxSessions`),
/// and the agent, the processes and the clock-offset question need theirs.
pub(crate) const PER_HOST: usize = 4;

/// The open spare sessions of each `host-exec` line (with its host), oldest first.
#[derive(Default)]
pub(crate) struct Spares(Mutex<HashMap<String, (usize, VecDeque<Child>)>>);

impl Spares {
    /// The oldest live spare for `line` (ended ones are dropped).
    pub fn take(&self, line: &str) -> Option<Child> {
        let mut all = self.lock();
        let (_, queue) = all.get_mut(line)?;
        while let Some(mut spare) = queue.pop_front() {
            if let Ok(None) = spare.try_wait() {
                return Some(spare);
            }
        }
        None
    }

    /// How many more spares `line` on host `i` may have.
    pub fn room(&self, i: usize, line: &str) -> usize {
        let all = self.lock();
        let on_host: usize = all.values().filter(|(h, _)| *h == i).map(|(_, q)| q.len()).sum();
        let mine = all.get(line).map_or(0, |(_, q)| q.len());
        DEPTH.saturating_sub(mine).min(PER_HOST.saturating_sub(on_host))
    }

    /// Keeps `spare` for `line` on host `i`.
    pub fn put(&self, i: usize, line: String, spare: Child) {
        self.lock().entry(line).or_insert_with(|| (i, VecDeque::new())).1.push_back(spare);
    }

    /// Closes every spare: their supervisors end without starting anything.
    pub fn close_all(&self) {
        let all: Vec<Child> = self.lock().drain().flat_map(|(_, (_, q))| q).collect();
        close(all);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (usize, VecDeque<Child>)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Closes the sessions' stdins, then gives each 5 s to end before its `ssh` is killed.
fn close(mut sessions: Vec<Child>) {
    for s in &mut sessions {
        drop(s.stdin.take());
    }
    for mut s in sessions {
        let _ = wait_bounded(&mut s, Duration::from_secs(5));
    }
}
