//! The seat: what this node believes about leadership, shared between its elector (which writes
//! it) and the node core (which reads it), and the one place that reports `elected` and
//! `stepdown`.
//!
//! Neighbours: every [`crate::Elector`] calls [`Seat::elected`], [`Seat::step_down`] and
//! [`Seat::observe`]; the node core ([`crate::node`]) reads [`Seat::tenure`] before each write
//! and answers `status` from [`Seat::view`]; the reporter prints the stdout lines the controller
//! turns into history records.
//!
//! Design: reports are emitted under the seat's lock, so their order on stdout is the order in
//! which the beliefs changed, and a tenure is never reported twice nor ended without having
//! been reported. An elector only says what happened; the seat decides what to report.

use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// A fencing token: an integer that only grows from one leader to the next (HISTORY.md).
pub type Token = u64;

/// One stretch of leadership: from `elected` to `stepdown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenure {
    /// The fencing token the election gave; `None` for an election that gives none.
    pub token: Option<Token>,
    /// The election's own term or epoch, where it has one.
    pub term: Option<u64>,
    /// 1, 2, 3, … for this process's tenures, so a caller can tell a new tenure under an equal
    /// token from the one it saw before.
    pub number: u64,
    /// When the seat recorded it.
    pub since: Instant,
}

/// Everything the node believes at one moment (what `status` answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The tenure held now, if this node leads.
    pub tenure: Option<Tenure>,
    /// The leader this node believes in (itself when leading), if any.
    pub leader: Option<String>,
    /// The election's current term or epoch as this node knows it.
    pub term: Option<u64>,
}

/// A line for the controller: one change of this node's own leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The node believes it leads, under `token`.
    Elected {
        /// The fencing token.
        token: Option<Token>,
        /// The term or epoch, where the election has one.
        term: Option<u64>,
    },
    /// The node stopped acting as leader under `token`.
    Stepdown {
        /// The token of the tenure that ended.
        token: Option<Token>,
        /// Why, in a few words (`"higher-term"`, `"lease-expired"`, `"shutdown"`, …).
        reason: String,
    },
}

impl Report {
    /// The report as the JSON object printed on stdout:
    /// `{"type":"ok","f":"elected","value":{"token":T,"term":X}}` or
    /// `{"type":"ok","f":"stepdown","value":{"token":T,"reason":"…"}}`.
    pub fn to_json(&self) -> Value {
        match self {
            Report::Elected { token, term: Some(term) } => {
                json!({"type": "ok", "f": "elected", "value": {"token": token, "term": term}})
            }
            Report::Elected { token, term: None } => {
                json!({"type": "ok", "f": "elected", "value": {"token": token}})
            }
            Report::Stepdown { token, reason } => {
                json!({"type": "ok", "f": "stepdown", "value": {"token": token, "reason": reason}})
            }
        }
    }
}

/// Where reports go: called under the seat's lock, in order.
pub type Reporter = Box<dyn Fn(&Report) + Send + Sync>;

/// The reporter of the node binary: one JSON line per report on stdout, flushed at once.
pub fn stdout_reporter() -> Reporter {
    Box::new(|report| {
        let mut out = std::io::stdout().lock();
        let written = writeln!(out, "{}", report.to_json()).and_then(|()| out.flush());
        if let Err(e) = written {
            eprintln!("splitbrain-node: cannot report {report:?} on stdout: {e}");
        }
    })
}

#[derive(Debug, Default)]
struct State {
    tenure: Option<Tenure>,
    leader: Option<String>,
    term: Option<u64>,
    tenures: u64,
}

/// The shared belief of one node. See the module docs.
pub struct Seat {
    me: String,
    state: Mutex<State>,
    reporter: Reporter,
}

impl Seat {
    /// A seat for node `me` that is not leading, reporting through `reporter`.
    pub fn new(me: &str, reporter: Reporter) -> Seat {
        Seat { me: me.to_string(), state: Mutex::new(State::default()), reporter }
    }

    /// This node's name.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// The elector won: this node leads under `token`. Reports `elected`; if it was leading
    /// under another token, first reports the old tenure's `stepdown` (reason `"new-tenure"`).
    /// Does nothing when it already leads under this same token.
    pub fn elected(&self, token: Option<Token>, term: Option<u64>) {
        let mut state = self.lock();
        if let Some(t) = &state.tenure {
            if t.token == token {
                return;
            }
            self.end(&mut state, "new-tenure");
        }
        state.tenures += 1;
        let number = state.tenures;
        state.tenure = Some(Tenure { token, term, number, since: Instant::now() });
        state.leader = Some(self.me.clone());
        state.term = term.or(state.term);
        (self.reporter)(&Report::Elected { token, term });
    }

    /// The elector lost or gave up leadership. Reports `stepdown` with `reason` if this node
    /// was leading; otherwise does nothing.
    pub fn step_down(&self, reason: &str) {
        let mut state = self.lock();
        self.end(&mut state, reason);
    }

    /// What the elector believes besides its own tenure: the leader it follows (`None` when it
    /// knows none) and the current term or epoch. Never reports anything.
    pub fn observe(&self, leader: Option<&str>, term: Option<u64>) {
        let mut state = self.lock();
        if state.tenure.is_none() {
            state.leader = leader.map(str::to_string);
        }
        state.term = term;
    }

    /// The tenure held now, if this node leads.
    pub fn tenure(&self) -> Option<Tenure> {
        self.lock().tenure.clone()
    }

    /// Everything believed now.
    pub fn view(&self) -> View {
        let state = self.lock();
        View { tenure: state.tenure.clone(), leader: state.leader.clone(), term: state.term }
    }

    fn end(&self, state: &mut State, reason: &str) {
        if let Some(t) = state.tenure.take() {
            state.leader = None;
            (self.reporter)(&Report::Stepdown { token: t.token, reason: reason.to_string() });
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn recording() -> (Seat, Arc<Mutex<Vec<Value>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let seat = Seat::new("n1", Box::new(move |r| sink.lock().unwrap().push(r.to_json())));
        (seat, lines)
    }

    #[test]
    fn an_election_and_a_stepdown_give_one_report_each_in_order() {
        let (seat, lines) = recording();
        seat.elected(Some(3), Some(3));
        seat.elected(Some(3), Some(3));
        seat.step_down("higher-term");
        seat.step_down("again");
        let lines = lines.lock().unwrap();
        assert_eq!(
            *lines,
            vec![
                json!({"type":"ok","f":"elected","value":{"token":3,"term":3}}),
                json!({"type":"ok","f":"stepdown","value":{"token":3,"reason":"higher-term"}}),
            ]
        );
    }

    #[test]
    fn a_new_token_while_leading_ends_the_old_tenure_first() {
        let (seat, lines) = recording();
        seat.elected(Some(1), None);
        seat.elected(Some(2), None);
        assert_eq!(seat.tenure().map(|t| (t.token, t.number)), Some((Some(2), 2)));
        let fs: Vec<_> = lines.lock().unwrap().iter().map(|l| l["f"].clone()).collect();
        assert_eq!(fs, vec![json!("elected"), json!("stepdown"), json!("elected")]);
    }

    #[test]
    fn a_leader_names_itself_and_a_follower_names_whom_it_follows() {
        let (seat, _) = recording();
        seat.observe(Some("n3"), Some(4));
        assert_eq!(seat.view().leader.as_deref(), Some("n3"));
        seat.elected(Some(5), Some(5));
        seat.observe(None, Some(5));
        assert_eq!(seat.view().leader.as_deref(), Some("n1"));
        seat.step_down("higher-term");
        assert_eq!(seat.view().leader, None);
    }
}
