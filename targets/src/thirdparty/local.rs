//! Running a server's [`ProcessSpec`] as a plain child process on this machine's loopback, for tests and
//! for anyone who wants a third-party server without the sandbox. The child is killed when its
//! [`LocalProcess`] is dropped, so no server outlives its owner.

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use crate::launch::ProcessSpec;

/// A running server started from a plan; killed (SIGKILL) and reaped on drop.
#[derive(Debug)]
pub struct LocalProcess {
    plan: ProcessSpec,
    child: Child,
}

impl LocalProcess {
    /// Starts `plan` with stdout and stderr appended to `log`. It does not wait for readiness:
    /// call [`LocalProcess::wait_ready`].
    pub fn start(plan: &ProcessSpec, log: &Path) -> Result<LocalProcess> {
        for dir in &plan.dirs {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("create {dir:?}"), e))?;
        }
        let out = File::options().create(true).append(true).open(log);
        let out = out.map_err(|e| Error::io(format!("open log {log:?}"), e))?;
        let err = out.try_clone().map_err(|e| Error::io("dup log", e))?;
        let child = Command::new(&plan.program)
            .args(&plan.args)
            .envs(plan.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| Error::io(format!("start {}", plan.command_line()), e))?;
        Ok(LocalProcess { plan: plan.clone(), child })
    }

    /// Waits until the server accepts a TCP connection on its ready address, or `limit` passes,
    /// or it exits.
    pub fn wait_ready(&mut self, limit: Duration) -> Result<()> {
        let Some(addr) = self.plan.ready_addr else { return Ok(()) };
        wait_for_port(addr, limit, || self.exited())
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The plan it was started from.
    pub fn plan(&self) -> &ProcessSpec {
        &self.plan
    }

    /// Sends `signal` (e.g. `Signal::SIGSTOP`) to the process.
    pub fn signal(&self, signal: Signal) -> Result<()> {
        // A pid we own and have not reaped cannot be another process's.
        nix::sys::signal::kill(Pid::from_raw(self.child.id() as i32), signal)
            .map_err(|e| Error::io(format!("{signal} to {}", self.plan.role), e.into()))
    }

    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} exited early ({status})", self.plan.role)),
            Ok(None) => None,
            Err(e) => Some(format!("{} cannot be waited for: {e}", self.plan.role)),
        }
    }
}

impl Drop for LocalProcess {
    fn drop(&mut self) {
        // SIGCONT first: a stopped process still dies of SIGKILL, but resuming keeps the reap
        // immediate on every kernel.
        let _ = self.signal(Signal::SIGCONT);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `addr` accepts a TCP connection, `limit` passes, or `gone` reports why it never
/// will.
pub fn wait_for_port(
    addr: SocketAddr,
    limit: Duration,
    mut gone: impl FnMut() -> Option<String>,
) -> Result<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(why) = gone() {
            return Err(Error::Protocol(why));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(Error::timeout(format!("a listener on {addr}"), limit))
}

/// `n` TCP ports on 127.0.0.1 that were free a moment ago (the kernel's choice), for loopback
/// tests. Another program may take one in between; tests accept that small race.
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners: std::io::Result<Vec<_>> =
        (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect();
    let listeners = listeners.map_err(|e| Error::io("bind 127.0.0.1:0", e))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(|e| Error::io("local_addr", e)))
        .collect()
}
