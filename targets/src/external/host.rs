//! The candidate host: runs the user's candidate program (`/bin/sh -c COMMAND`) as the node's
//! [`Elector`]. What the candidate says on its stdout goes onto the seat; each confirmation
//! the node asks for is a request on the candidate's stdin and waits for its answer.
//!
//! Neighbours: [`super::listen`] reads the candidate's stdout on a thread of its own;
//! [`super::build`] makes a [`Host`] from `--elector external --elector-opt …`; the node core
//! ([`crate::node`]) serves clients and writes to the resource under the seat's tenure.
//!
//! Design:
//! - The candidate stays in the node's process group, so a pause or kill of the node (a signal
//!   to the group) stops or kills both in the same instant: the host never writes while its
//!   candidate is stopped, and a killed node leaves no candidate behind. It also gets
//!   `PR_SET_PDEATHSIG`, for a node that dies alone. The controller's orderly stop signals
//!   only the node, which then ends the candidate as PROTOCOL.md says: stdin closed, SIGTERM
//!   after [`GRACE`], SIGKILL after another. Whatever the candidate leaves behind in the group
//!   when it ends (its own children) is killed then, so that each life starts alone.
//! - A candidate that exits is restarted after a backoff (100 ms, doubling to 3.2 s, back to
//!   100 ms once it ran 10 s), and each exit is an `info` record `candidate-exit` in the
//!   history. Its tenure ends with the exit (`stepdown`, reason `candidate-exited`).
//! - stdin is non-blocking and each request is shorter than `PIPE_BUF`: a candidate that
//!   never reads stdin fills the pipe, after which each request fails at once instead of
//!   blocking a client thread.

use super::listen::{self, Listener};
use super::wire::{self, Reply};
use crate::elector::{Elector, ElectorError, RegisterAnswer, RegisterOp, Unconfirmed};
use crate::seat::{Seat, Token};
use crate::stop::Stop;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long the candidate gets after its stdin closes before SIGTERM, and after SIGTERM
/// before SIGKILL.
pub const GRACE: Duration = Duration::from_millis(300);
/// The first restart delay, and the longest.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_millis(3200));
/// A candidate that ran this long is restarted after the first delay again.
const STEADY: Duration = Duration::from_secs(10);

/// How to run one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOptions {
    /// The command, run with `/bin/sh -c`.
    pub command: String,
    /// Its working directory (the target file's folder); the node's when `None`.
    pub cwd: Option<PathBuf>,
    /// Its environment on top of the node's (`SPLITBRAIN_NODE`, `SPLITBRAIN_NODES`, …).
    pub env: Vec<(String, String)>,
    /// Whether the clock shim the node was started with reaches the candidate too.
    pub clock_shim: bool,
    /// Whether each write is confirmed first, as reads are.
    pub confirm_writes: bool,
    /// Whether the clients' register is the candidate's system (`register = true`).
    pub register: bool,
}

/// Where the host's own history records go (`{"type":"info","f":…,"value":…}`).
pub type NoteSink = Box<dyn Fn(Value) + Send + Sync>;

/// The notes sink of the node binary: one line on stdout, where the node's reports go.
pub fn stdout_notes() -> NoteSink {
    Box::new(|note| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{note}").and_then(|()| out.flush());
    })
}

/// A user's candidate program hosted as the node's elector. See the module docs.
pub struct Host {
    me: String,
    opts: HostOptions,
    notes: NoteSink,
    stdin: Mutex<Option<ChildStdin>>,
    waiting: Mutex<HashMap<u64, SyncSender<Reply>>>,
    next_id: AtomicU64,
}

impl Host {
    /// A host for node `me`; nothing starts before [`Elector::run`].
    pub fn new(me: &str, opts: HostOptions, notes: NoteSink) -> Host {
        Host {
            me: me.into(),
            opts,
            notes,
            stdin: Mutex::new(None),
            waiting: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }
    }

    /// Whether writes are confirmed first (`confirm_writes`).
    pub fn confirms_writes(&self) -> bool {
        self.opts.confirm_writes
    }

    fn spawn(&self) -> std::io::Result<Child> {
        // setpriv (util-linux, on every Debian) gives the candidate a parent-death signal
        // before it execs the shell, so a node that dies alone takes its candidate with it,
        // with no `pre_exec` hook of ours.
        let mut cmd = Command::new("setpriv");
        cmd.args(["--pdeathsig", "KILL", "/bin/sh"]);
        cmd.arg("-c").arg(&self.opts.command).envs(self.opts.env.iter().map(|(k, v)| (k, v)));
        cmd.env("SPLITBRAIN_PROTOCOL", wire::VERSION.to_string());
        if !self.opts.clock_shim {
            cmd.env_remove("LD_PRELOAD").env_remove("SPLITBRAIN_CLOCK_FILE");
        }
        if let Some(dir) = &self.opts.cwd {
            cmd.current_dir(dir);
        }
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        cmd.spawn()
    }

    /// One life of the candidate: start it, pass on what it says until it exits or `stop`,
    /// then end it. Its exit status, when it ended by itself.
    fn one_life(&self, seat: &Seat, stop: &Stop) -> Result<Option<ExitStatus>, ElectorError> {
        let mut child = self.spawn().map_err(|e| ElectorError::io("start /bin/sh", e))?;
        eprintln!("{}: candidate started (pid {}): {}", self.me, child.id(), self.opts.command);
        let stdout = child.stdout.take().expect("stdout is piped");
        *self.lock_stdin() = child.stdin.take().map(non_blocking);
        let listener = Listener::new(&self.me, seat, |id, reply| self.answered(id, reply));
        let status = std::thread::scope(|s| {
            let reader = s.spawn(|| listener.run(stdout));
            let status = wait_exit(&mut child, stop);
            self.lock_stdin().take();
            let status = status.or_else(|| end(&mut child));
            reap_leftovers();
            listener.finish();
            let _ = reader.join();
            status
        });
        self.fail_waiting();
        Ok(status.filter(|_| !stop.is_stopped()))
    }

    fn answered(&self, id: u64, reply: Reply) {
        if let Some(tx) = self.lock_waiting().remove(&id) {
            let _ = tx.try_send(reply);
        }
    }

    fn fail_waiting(&self) {
        for (_, tx) in self.lock_waiting().drain() {
            let _ = tx.try_send(Reply::Gone);
        }
    }

    /// Sends the request line `line(id)` and waits for its answer until `deadline`.
    fn ask(&self, line: impl FnOnce(u64) -> String, deadline: Instant) -> Option<Reply> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = sync_channel(1);
        self.lock_waiting().insert(id, tx);
        let answer = match self.send(&line(id)) {
            true => rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok(),
            false => None,
        };
        self.lock_waiting().remove(&id);
        answer
    }

    /// Writes one request line; false when there is no candidate or its pipe is full.
    fn send(&self, line: &str) -> bool {
        let mut stdin = self.lock_stdin();
        let Some(pipe) = stdin.as_mut() else { return false };
        pipe.write_all(line.as_bytes()).is_ok()
    }

    fn note_exit(&self, status: ExitStatus, delay: Duration) {
        let how = describe(status);
        eprintln!("{}: candidate exited ({how}); restarting in {} ms", self.me, delay.as_millis());
        let value = json!({"status": how, "restart_in_ms": delay.as_millis() as u64});
        (self.notes)(json!({"type": "info", "f": "candidate-exit", "value": value}));
    }

    fn lock_stdin(&self) -> MutexGuard<'_, Option<ChildStdin>> {
        self.stdin.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_waiting(&self) -> MutexGuard<'_, HashMap<u64, SyncSender<Reply>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Elector for Host {
    fn run(&self, seat: &Seat, stop: &Stop) -> Result<(), ElectorError> {
        let mut delay = BACKOFF.0;
        while !stop.is_stopped() {
            let started = Instant::now();
            let status = self.one_life(seat, stop)?;
            seat.step_down(if stop.is_stopped() { "shutdown" } else { "candidate-exited" });
            let Some(status) = status else { break };
            if started.elapsed() >= STEADY {
                delay = BACKOFF.0;
            }
            self.note_exit(status, delay);
            stop.sleep(delay);
            delay = (delay * 2).min(BACKOFF.1);
        }
        Ok(())
    }

    fn confirm(&self, token: Option<Token>, deadline: Instant) -> Result<(), Unconfirmed> {
        match self.ask(|id| wire::confirm_request(id, token), deadline) {
            Some(Reply::Confirmed(true)) => Ok(()),
            Some(_) => Err(Unconfirmed::NotLeader(None)),
            None => Err(Unconfirmed::TimedOut),
        }
    }

    fn confirms_writes(&self) -> bool {
        self.opts.confirm_writes
    }

    fn register(
        &self,
        op: RegisterOp<'_>,
        token: Option<Token>,
        deadline: Instant,
    ) -> Option<RegisterAnswer> {
        if !self.opts.register {
            return None;
        }
        // A candidate that ended mid-request may have written: unknown, like no answer.
        Some(match self.ask(|id| wire::register_request(id, op, token), deadline) {
            Some(Reply::Register(answer)) => answer,
            Some(Reply::Confirmed(_)) => {
                RegisterAnswer::Refused("answered as a confirmation".into())
            }
            Some(Reply::Gone) | None => RegisterAnswer::Unknown,
        })
    }
}

fn non_blocking(stdin: ChildStdin) -> ChildStdin {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    if let Ok(flags) = fcntl(&stdin, FcntlArg::F_GETFL) {
        let _ =
            fcntl(&stdin, FcntlArg::F_SETFL(OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK));
    }
    stdin
}

/// Waits until the child exits (its status) or `stop` is raised (`None`).
fn wait_exit(child: &mut Child, stop: &Stop) -> Option<ExitStatus> {
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if stop.sleep(listen::POLL_SLICE) {
            return None;
        }
    }
}

/// Ends a candidate whose stdin was just closed: [`GRACE`], SIGTERM, [`GRACE`], SIGKILL.
fn end(child: &mut Child) -> Option<ExitStatus> {
    if let Some(status) = wait_for(child, GRACE) {
        return Some(status);
    }
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
    if let Some(status) = wait_for(child, GRACE) {
        return Some(status);
    }
    let _ = child.kill();
    child.wait().ok()
}

/// Kills what an ended candidate left in the node's process group (children it did not end),
/// so that the next life starts alone, as after a kill of the node. Only where the node leads
/// its own group, as the sandbox starts it: elsewhere the group is not the node's to empty.
fn reap_leftovers() {
    let me = std::process::id() as i32;
    if nix::unistd::getpgrp().as_raw() != me {
        return;
    }
    let Ok(dir) = std::fs::read_dir("/proc") else { return };
    let pids = dir.flatten().filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok());
    for pid in pids.filter(|&p| p != me && group_of(p) == Some(me)) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// The process group of `pid`, from /proc (`pid (comm) state ppid pgrp …`).
fn group_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.split(' ').nth(2)?.parse().ok()
}

fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

/// `exit 3` or `signal 9`.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => status.to_string(),
    }
}
