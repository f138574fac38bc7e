//! Processes on nodes: start a program inside a node's network namespace, with its own process
//! group (so a signal reaches its children too), logs to files or a pipe, and optionally the
//! clock shim; then signal, pause, resume, kill, wait for and restart it with the same
//! arguments. A [`Proc`] kills its process when dropped.
//!
//! Neighbours: [`crate::net::Net::spawn`] starts them and keeps a weak table of them, which
//! `pause.rs` and `crash.rs` use to act on "the processes on node n2".

use crate::error::{Error, Result};
use crate::net::Net;
use crate::place::Place;
use crate::tools::wait_bounded;
pub use nix::sys::signal::Signal;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdout, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// Where a process's stdout or stderr goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Discarded.
    Null,
    /// The controller's own.
    Inherit,
    /// A pipe the caller takes with [`Proc::take_stdout`] / [`Proc::take_stderr`].
    Pipe,
    /// Appended to this file (created if missing), across restarts.
    File(PathBuf),
}

/// What to run on a node. Build with [`ProcSpec::new`] and the chained setters.
#[derive(Debug, Clone)]
pub struct ProcSpec {
    /// A name for events and errors (defaults to the program's file name).
    pub label: String,
    /// The program (looked up in `$PATH` when it has no slash).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Extra environment variables.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory (default: the controller's).
    pub cwd: Option<PathBuf>,
    /// Where stdout goes (default: discarded).
    pub stdout: Output,
    /// Where stderr goes (default: discarded).
    pub stderr: Output,
    /// Preload the clock shim, so clock faults on the node reach this process.
    pub clock_shim: bool,
    /// The program is written in Go: the shim can't reach it (Go reads the clock through the
    /// vDSO, not libc), so clock faults on a node with only Go processes are refused.
    pub go: bool,
    /// Folders the program needs: a node on a remote host makes them there (the sandbox shares
    /// the controller's files, so the caller has made them already).
    pub dirs: Vec<PathBuf>,
}

impl ProcSpec {
    /// A spec that runs `program` with no arguments, output discarded.
    pub fn new(program: impl Into<OsString>) -> ProcSpec {
        let program = program.into();
        let label = PathBuf::from(&program)
            .file_name()
            .map_or("process".into(), |f| f.to_string_lossy().into_owned());
        ProcSpec {
            label,
            program,
            args: vec![],
            env: vec![],
            cwd: None,
            stdout: Output::Null,
            stderr: Output::Null,
            clock_shim: false,
            go: false,
            dirs: vec![],
        }
    }
    /// Appends arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    /// Sets an environment variable.
    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }
    /// Sets where stdout and stderr go.
    pub fn output(mut self, stdout: Output, stderr: Output) -> Self {
        (self.stdout, self.stderr) = (stdout, stderr);
        self
    }
    /// Loads the clock shim.
    pub fn clock_shim(mut self) -> Self {
        self.clock_shim = true;
        self
    }
    /// Marks the program as a Go program (see [`ProcSpec::go`]).
    pub fn go(mut self) -> Self {
        self.go = true;
        self
    }
    /// Adds folders the program needs (see [`ProcSpec::dirs`]).
    pub fn dirs<I: IntoIterator<Item = P>, P: Into<PathBuf>>(mut self, dirs: I) -> Self {
        self.dirs.extend(dirs.into_iter().map(Into::into));
        self
    }
    /// Sets the label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

/// What a process needs to be started again: its spec plus where it runs.
struct Launch {
    node: String,
    index: usize,
    spec: ProcSpec,
    place: Arc<dyn Place>,
    shim_env: Vec<(OsString, OsString)>,
}

pub(crate) struct Shared {
    launch: Launch,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    child: Option<Child>,
    paused: bool,
    exited: Option<ExitStatus>,
}

/// A process on a node. Killed (with its process group) when dropped.
pub struct Proc(Arc<Shared>);

/// The weak table of every process started on a network.
#[derive(Default)]
pub(crate) struct ProcTable(Mutex<Vec<Weak<Shared>>>);

impl ProcTable {
    fn add(&self, p: &Arc<Shared>) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        t.retain(|w| w.strong_count() > 0);
        t.push(Arc::downgrade(p));
    }

    /// The live handles of the processes on `node`.
    pub fn on(&self, node: &str) -> Vec<Arc<Shared>> {
        let t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        t.iter().filter_map(Weak::upgrade).filter(|p| p.launch.node == node).collect()
    }

    pub fn kill_all(&self) {
        let all: Vec<_> = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for p in all {
            let _ = p.kill();
        }
    }
}

impl Net {
    /// Starts `spec` on node `node`. The process gets `SPLITBRAIN_NODE=<node>` in its
    /// environment, and with [`ProcSpec::clock_shim`] also `LD_PRELOAD` and
    /// `SPLITBRAIN_CLOCK_FILE` for the node's clock.
    pub fn spawn(&self, node: &str, spec: ProcSpec) -> Result<Proc> {
        let i = self.index(node)?;
        if spec.clock_shim && spec.go {
            return Err(Error::ClockUnreachable(format!("{}: the clock shim can't reach a Go program (Go reads the clock through the vDSO, not libc); start it without the shim", spec.label)));
        }
        let mut shim_env = vec![];
        if spec.clock_shim {
            let preload = match std::env::var_os("LD_PRELOAD") {
                Some(p) if !p.is_empty() => {
                    format!("{}:{}", self.shim_path().display(), p.to_string_lossy())
                }
                _ => self.shim_path().display().to_string(),
            };
            let clock = self.clock_path(i);
            shim_env.push(("LD_PRELOAD".into(), preload.into()));
            shim_env.push(("SPLITBRAIN_CLOCK_FILE".into(), clock.into()));
        }
        let place = self.place.clone();
        let shared = Arc::new(Shared {
            launch: Launch { node: node.into(), index: i, spec, place, shim_env },
            state: Mutex::new(State::default()),
        });
        shared.start()?;
        self.procs.add(&shared);
        Ok(Proc(shared))
    }
}

pub(crate) fn stdio(o: &Output, what: &str) -> Result<Stdio> {
    Ok(match o {
        Output::Null => Stdio::null(),
        Output::Inherit => Stdio::inherit(),
        Output::Pipe => Stdio::piped(),
        Output::File(p) => {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| Error::os(format!("opening {what} log {}", p.display()), e))?;
            Stdio::from(f)
        }
    })
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn node(&self) -> &str {
        &self.launch.node
    }

    pub(crate) fn spec(&self) -> &ProcSpec {
        &self.launch.spec
    }

    /// Starts the process.
    fn start(&self) -> Result<()> {
        let l = &self.launch;
        let child = l.place.start(l.index, &l.node, &l.spec, &l.shim_env)?;
        *self.lock() = State { child: Some(child), paused: false, exited: None };
        Ok(())
    }

    /// Starts the process again, returning once it runs (see [`Place::restart`]).
    pub(crate) fn start_again(&self) -> Result<()> {
        let l = &self.launch;
        let child = l.place.restart(l.index, &l.node, &l.spec, &l.shim_env)?;
        *self.lock() = State { child: Some(child), paused: false, exited: None };
        Ok(())
    }

    /// Readies a quick start again, before a kill the nemesis will undo (see [`Place::warm`]).
    pub(crate) fn warm(&self) {
        let l = &self.launch;
        l.place.warm(l.index, &l.node, &l.spec, &l.shim_env);
    }

    fn pid(&self) -> Option<u32> {
        let mut st = self.lock();
        reap(&mut st);
        st.child.as_ref().filter(|_| st.exited.is_none()).map(|c| c.id())
    }

    /// Signals the process group (or the process alone); false when there is no live process.
    pub(crate) fn signal_to(&self, sig: Signal, group: bool) -> Result<bool> {
        let mut st = self.lock();
        reap(&mut st);
        let running = st.exited.is_none();
        match st.child.as_mut().filter(|_| running) {
            Some(c) => self.launch.place.signal(c, sig, group).map(|()| true),
            None => Ok(false),
        }
    }

    /// Signals the process group; false when there is no live process.
    pub(crate) fn signal(&self, sig: Signal) -> Result<bool> {
        self.signal_to(sig, true)
    }

    pub(crate) fn pause(&self) -> Result<bool> {
        let sent = self.signal(Signal::SIGSTOP)?;
        self.lock().paused |= sent;
        Ok(sent)
    }

    pub(crate) fn resume(&self) -> Result<bool> {
        let was = std::mem::take(&mut self.lock().paused);
        self.signal(Signal::SIGCONT)?;
        Ok(was)
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.lock().paused
    }

    /// SIGKILLs the group and reaps the process; false when it was not running.
    pub(crate) fn kill(&self) -> Result<bool> {
        let sent = self.signal(Signal::SIGKILL)?;
        let mut st = self.lock();
        st.paused = false;
        if st.exited.is_none() {
            if let Some(c) = st.child.as_mut() {
                st.exited = wait_bounded(c, Duration::from_secs(10)).ok().flatten();
            }
        }
        Ok(sent)
    }

    pub(crate) fn is_running(&self) -> bool {
        self.pid().is_some()
    }
}

fn reap(st: &mut State) {
    if st.exited.is_none() {
        if let Some(c) = st.child.as_mut() {
            st.exited = c.try_wait().ok().flatten();
        }
    }
}

impl Proc {
    /// The node it runs on.
    pub fn node(&self) -> &str {
        self.0.node()
    }
    /// Its spec.
    pub fn spec(&self) -> &ProcSpec {
        self.0.spec()
    }
    /// Its pid (also its process group id), while it runs; on a remote host, the pid of the
    /// local `ssh` that carries it.
    pub fn pid(&self) -> Option<u32> {
        self.0.pid()
    }
    /// Sends `sig` to its process group; false when it is not running.
    pub fn signal(&self, sig: Signal) -> Result<bool> {
        self.0.signal(sig)
    }
    /// Sends `sig` to the process alone, not its group; false when it is not running.
    pub fn signal_alone(&self, sig: Signal) -> Result<bool> {
        self.0.signal_to(sig, false)
    }
    /// Stops it (SIGSTOP to the group).
    pub fn pause(&self) -> Result<bool> {
        self.0.pause()
    }
    /// Continues it (SIGCONT to the group).
    pub fn resume(&self) -> Result<bool> {
        self.0.resume()
    }
    /// True between [`Proc::pause`] and [`Proc::resume`].
    pub fn is_paused(&self) -> bool {
        self.0.is_paused()
    }
    /// SIGKILLs the group and reaps the process.
    pub fn kill(&self) -> Result<bool> {
        self.0.kill()
    }
    /// Kills it if it runs, then starts it again with the same spec (log files are appended
    /// to; a piped stdout is a new pipe: take it again).
    pub fn restart(&self) -> Result<()> {
        self.0.kill()?;
        self.0.start_again()
    }
    /// True while it runs (paused counts as running).
    pub fn is_running(&self) -> bool {
        self.0.is_running()
    }
    /// Its exit status once it has ended.
    pub fn try_wait(&self) -> Option<ExitStatus> {
        let mut st = self.0.lock();
        reap(&mut st);
        st.exited
    }
    /// Waits at most `limit` for it to end.
    pub fn wait_timeout(&self, limit: Duration) -> Option<ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    /// The read end of its stdout, when [`Output::Pipe`] (once per start).
    pub fn take_stdout(&self) -> Option<ChildStdout> {
        self.0.lock().child.as_mut()?.stdout.take()
    }
    /// The read end of its stderr, when [`Output::Pipe`] (once per start).
    pub fn take_stderr(&self) -> Option<ChildStderr> {
        self.0.lock().child.as_mut()?.stderr.take()
    }
    /// Its scheduler state from /proc (`R`, `S`, `T` stopped, `Z`…), while it runs.
    pub fn state(&self) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()?)).ok()?;
        stat.rsplit_once(") ")?.1.chars().next()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}
