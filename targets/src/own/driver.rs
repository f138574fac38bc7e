//! The event loop that runs any [`Machine`] as an [`Elector`]: it feeds the machine the
//! messages that arrive and its timers, carries out its actions in order (persist with fsync,
//! send, report on the seat), and answers confirmations.
//!
//! Neighbours: [`super::net`] carries the messages, [`super::durable`] the persisted state;
//! [`super::raft`], [`super::paxos`], [`super::bully`] and [`super::ring`] are the machines.
//!
//! With `SPLITBRAIN_TRACE=1` in its environment, a node logs every message it receives and
//! every action it takes on stderr.
//!
//! Threads: [`Elector::run`] runs the loop on the caller's thread and one receiving thread in a
//! scope, so both have ended when it returns. Confirmations from the node core's threads enter
//! the loop through its channel.

use super::durable::DurableFile;
use super::net::PeerNet;
use super::{Action, Confirm, Machine};
use crate::elector::{Elector, ElectorError, Unconfirmed};
use crate::seat::{Seat, Token};
use crate::stop::Stop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest the loop waits before looking at the stop flag again.
const POLL: Duration = Duration::from_millis(50);

enum Event<M> {
    Msg(String, M),
    Confirm(Option<Token>, Instant, Sender<Result<(), Unconfirmed>>),
}

struct Waiter {
    token: Option<Token>,
    round: u64,
    deadline: Instant,
    reply: Sender<Result<(), Unconfirmed>>,
}

/// A [`Machine`] with its peer network and durable file: an [`Elector`].
pub struct OwnElector<M: Machine> {
    machine: Mutex<Option<M>>,
    net: PeerNet,
    durable: DurableFile,
    inbox: Mutex<Option<Sender<Event<M::Msg>>>>,
    /// The machine's lease as of its last step, for the node core's reads.
    lease: Mutex<Option<(Token, Instant)>>,
    trace: bool,
    started: Instant,
}

impl<M: Machine> OwnElector<M> {
    /// An elector running `machine` (built from the state `durable` held) over `net`.
    pub fn new(machine: M, net: PeerNet, durable: DurableFile) -> OwnElector<M> {
        let trace = std::env::var_os("SPLITBRAIN_TRACE").is_some_and(|v| v == "1");
        let (machine, inbox) = (Mutex::new(Some(machine)), Mutex::new(None));
        let lease = Mutex::new(None);
        OwnElector { machine, net, durable, inbox, lease, trace, started: Instant::now() }
    }

    fn event_loop(
        &self,
        machine: &mut M,
        rx: &Receiver<Event<M::Msg>>,
        seat: &Seat,
        stop: &Stop,
    ) -> Result<(), ElectorError> {
        let mut waiters = Vec::new();
        while !stop.is_stopped() {
            let wait = machine.next_wake().saturating_duration_since(Instant::now()).min(POLL);
            let actions = match rx.recv_timeout(wait) {
                Ok(Event::Msg(from, msg)) => {
                    if self.trace {
                        eprintln!("trace {:?} <- {from}: {msg:?}", self.started.elapsed());
                    }
                    machine.receive(Instant::now(), &from, msg)
                }
                Ok(Event::Confirm(token, deadline, reply)) => {
                    let (confirm, actions) = machine.confirm(Instant::now(), token);
                    match confirm {
                        Confirm::Now(result) => drop(reply.send(result)),
                        Confirm::Round(round) => {
                            waiters.push(Waiter { token, round, deadline, reply })
                        }
                    }
                    actions
                }
                Err(RecvTimeoutError::Timeout) => Vec::new(),
                Err(RecvTimeoutError::Disconnected) => break,
            };
            self.execute(actions, seat)?;
            if Instant::now() >= machine.next_wake() {
                self.execute(machine.tick(Instant::now()), seat)?;
            }
            let (leader, term) = machine.view();
            seat.observe(leader.as_deref(), term);
            *self.lease.lock().unwrap_or_else(PoisonError::into_inner) = machine.lease();
            settle(&mut waiters, machine);
        }
        *self.lease.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(())
    }

    fn execute(
        &self,
        actions: Vec<Action<M::Msg, M::Durable>>,
        seat: &Seat,
    ) -> Result<(), ElectorError> {
        for action in actions {
            match action {
                Action::Persist(state) => self.durable.store(&state).map_err(|e| {
                    ElectorError::io(format!("persist {}", self.durable.path().display()), e)
                })?,
                Action::Send(to, msg) => self.net.send(&to, &msg),
                Action::Elected(token, term) => seat.elected(Some(token), term),
                Action::StepDown(reason) => seat.step_down(reason),
            }
        }
        Ok(())
    }
}

/// Answers the waiters whose round a quorum acknowledged, or whose leadership ended; forgets
/// those whose caller gave up.
fn settle<M: Machine>(waiters: &mut Vec<Waiter>, machine: &M) {
    let now = Instant::now();
    waiters.retain(|w| {
        let answer = if !machine.leads(w.token) {
            Some(Err(Unconfirmed::NotLeader(machine.view().0)))
        } else if machine.confirmed() >= w.round {
            Some(Ok(()))
        } else {
            None
        };
        match answer {
            Some(answer) => {
                let _ = w.reply.send(answer);
                false
            }
            None => now < w.deadline,
        }
    });
}

impl<M: Machine> Elector for OwnElector<M> {
    fn run(&self, seat: &Seat, stop: &Stop) -> Result<(), ElectorError> {
        let taken = self.machine.lock().unwrap_or_else(PoisonError::into_inner).take();
        let mut machine =
            taken.ok_or_else(|| ElectorError::BadConfig("an elector runs only once".into()))?;
        let (tx, rx) = mpsc::channel();
        *self.inbox.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx.clone());
        let done = AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                let running = || !stop.is_stopped() && !done.load(Ordering::SeqCst);
                self.net.receive_loop(running, |from, msg| tx.send(Event::Msg(from, msg)).is_ok())
            });
            let result = self.event_loop(&mut machine, &rx, seat, stop);
            done.store(true, Ordering::SeqCst);
            result
        });
        *self.inbox.lock().unwrap_or_else(PoisonError::into_inner) = None;
        result
    }

    fn lease(&self) -> Option<(Token, Instant)> {
        *self.lease.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn confirm(&self, token: Option<Token>, deadline: Instant) -> Result<(), Unconfirmed> {
        let inbox = self.inbox.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let inbox = inbox.ok_or(Unconfirmed::NotLeader(None))?;
        let (reply, answer) = mpsc::channel();
        inbox.send(Event::Confirm(token, deadline, reply)).map_err(|_| Unconfirmed::TimedOut)?;
        let left = deadline.saturating_duration_since(Instant::now());
        answer.recv_timeout(left).unwrap_or(Err(Unconfirmed::TimedOut))
    }
}
