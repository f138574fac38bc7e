//! The per-line rules of `history.jsonl`: indices without gaps, time that never decreases, and
//! Jepsen's rules for integer processes.
//!
//! Neighbours: [`super`] calls [`Rules::check`] on each parsed record, in file order, before
//! keeping it.
//!
//! Design: only what HISTORY.md states is enforced. Node, nemesis and resource records have no
//! pairing rules (a node reports `elected` with no invocation), and unknown operation names pass:
//! other tools may record operations this crate does not know.

use crate::fed::{Fed, Who};
use crate::history::Type;
use crate::safety::Names;
use std::collections::HashMap;

/// A broken rule of the history format. Line numbers inside are 1-based file lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Not a JSON record of the history's shape.
    #[error("not a history record: {0}")]
    NotARecord(String),
    /// A blank line before more records.
    #[error("blank line (a history has exactly one JSON record per line)")]
    Blank,
    /// `index` is not the next number.
    #[error(
        "index is {found}, expected {expected} (indices run 0, 1, 2, … in file order with no gaps)"
    )]
    Index {
        /// The index the line has.
        found: u64,
        /// The index it should have.
        expected: u64,
    },
    /// `time` is smaller than on the line before.
    #[error("time goes backwards ({time} ns, after {previous} ns on the line before)")]
    TimeBackwards {
        /// This line's time.
        time: u64,
        /// The previous line's time.
        previous: u64,
    },
    /// An integer process invokes while its last invocation is still outstanding.
    #[error("process {process} invokes {f:?} while its {open_f:?} from line {open_line} is still outstanding (a process has at most one invocation outstanding)")]
    AlreadyInvoking {
        /// The client process.
        process: i64,
        /// What it invokes now.
        f: String,
        /// What it invoked before.
        open_f: String,
        /// Where it invoked it.
        open_line: u64,
    },
    /// A completion names another operation than its invocation.
    #[error("process {process} completes {f:?} but invoked {open_f:?} at line {open_line} (a completion carries its invocation's f)")]
    WrongCompletion {
        /// The client process.
        process: i64,
        /// What the completion names.
        f: String,
        /// What was invoked.
        open_f: String,
        /// Where it was invoked.
        open_line: u64,
    },
    /// A completion with nothing outstanding on its process.
    #[error("process {process} completes {f:?} ({kind}) with no invocation outstanding")]
    NoInvocation {
        /// The client process.
        process: i64,
        /// The completion's operation.
        f: String,
        /// The completion's type.
        kind: Type,
    },
    /// A process invokes again after one of its operations ended `info`.
    #[error("process {process} invokes {f:?} after its operation ended info at line {info_line} (such a process never invokes again; its thread goes on under a new number)")]
    InvokeAfterInfo {
        /// The client process.
        process: i64,
        /// What it invokes.
        f: String,
        /// Where its operation ended `info`.
        info_line: u64,
    },
}

/// What is known of an integer process: an invocation outstanding (its line's index and the
/// position of its `f` in the rules' names), or its last operation ended `info`.
#[derive(Clone, Copy)]
enum Client {
    Open(u64, u32),
    Crashed(u64),
}

/// The rules' memory: one entry per integer process, the previous record's time, and the
/// operation names seen (a history has a handful: each is kept once, not copied per invocation).
#[derive(Default)]
pub(super) struct Rules {
    clients: HashMap<i64, Client>,
    seen: u64,
    last_time: Option<u64>,
    names: Names,
}

impl Rules {
    /// Checks the next record in file order.
    pub(super) fn check(&mut self, r: &Fed<'_>) -> Result<(), Problem> {
        let expected = self.seen;
        if r.index != expected {
            return Err(Problem::Index { found: r.index, expected });
        }
        if let Some(previous) = self.last_time.filter(|&t| r.time < t) {
            return Err(Problem::TimeBackwards { time: r.time, previous });
        }
        match r.process {
            Who::Client(p) if r.kind == Type::Invoke => self.invoke(p, r)?,
            Who::Client(p) => self.complete(p, r)?,
            _ => {}
        }
        self.seen += 1;
        self.last_time = Some(r.time);
        Ok(())
    }

    fn invoke(&mut self, p: i64, r: &Fed<'_>) -> Result<(), Problem> {
        let f = self.names.id(r.f);
        match self.clients.insert(p, Client::Open(r.index, f)) {
            None => Ok(()),
            Some(Client::Open(i, open_f)) => Err(Problem::AlreadyInvoking {
                process: p,
                f: r.f.to_string(),
                open_f: self.names.name(open_f).to_string(),
                open_line: i + 1,
            }),
            Some(Client::Crashed(i)) => {
                Err(Problem::InvokeAfterInfo { process: p, f: r.f.to_string(), info_line: i + 1 })
            }
        }
    }

    fn complete(&mut self, p: i64, r: &Fed<'_>) -> Result<(), Problem> {
        let Some(Client::Open(i, open_f)) = self.clients.get(&p).copied() else {
            return Err(Problem::NoInvocation { process: p, f: r.f.to_string(), kind: r.kind });
        };
        let open_f = self.names.name(open_f);
        if open_f != r.f {
            return Err(Problem::WrongCompletion {
                process: p,
                f: r.f.to_string(),
                open_f: open_f.to_string(),
                open_line: i + 1,
            });
        }
        if r.kind == Type::Info {
            self.clients.insert(p, Client::Crashed(r.index));
        } else {
            self.clients.remove(&p);
        }
        Ok(())
    }
}
