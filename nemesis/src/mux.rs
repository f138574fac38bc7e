//! The run's own multiplexed SSH connection to each host (`ssh -M`, OpenSSH's ControlMaster):
//! every other `ssh` of the run (the copy, the agent, each process's session, the clock
//! offsets) opens a session over it instead of a connection of its own.
//!
//! Neighbours: `remote.rs` makes the commands and points them at [`Masters::socket`];
//! `hosts_net.rs` opens the masters before anything else and keeps them to the end.
//!
//! Design: why. A new connection costs a key exchange and a login (0.57–0.66 s to a lab host
//! on this 2-core machine under load, against 0.28–0.44 s for a session over a master), and a
//! crash storm restarts a node every few hundred ms. The masters are children of the
//! controller like every `ssh`, so when it dies they die, and every session on the hosts ends
//! with them (their supervisors and agents then clean up as before). A session whose master
//! has gone connects on its own (`ssh` falls back when the socket is missing).

use crate::error::{Error, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a master may take to connect and log in.
const CONNECT_LIMIT: Duration = Duration::from_secs(20);

/// One master connection per host, and the folder of their sockets.
#[derive(Debug)]
pub(crate) struct Masters {
    dir: tempfile::TempDir,
    children: Mutex<Vec<Child>>,
}

impl Masters {
    /// A new private folder for the sockets: a random name, as the controller's pid is the
    /// same small number in every sandbox; short, as a socket's path is limited to about 100
    /// bytes.
    pub fn new() -> Result<Masters> {
        let dir = tempfile::Builder::new()
            .prefix("splitbrain-ssh-")
            .tempdir()
            .map_err(|e| Error::os("creating a folder for the ssh sockets", e))?;
        Ok(Masters { dir, children: Mutex::default() })
    }

    /// The control socket of host `i`.
    pub fn socket(&self, i: usize) -> PathBuf {
        self.dir.path().join(i.to_string())
    }

    /// Starts `master` (an `ssh -M -N` for host `i`, named `who` in errors) and waits until
    /// its socket is there.
    pub fn open(&self, i: usize, who: &str, mut master: Command) -> Result<()> {
        let mut child = master
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::os(format!("starting ssh to {who}"), e))?;
        let deadline = Instant::now() + CONNECT_LIMIT;
        while !self.socket(i).exists() {
            let ended = child.try_wait().ok().flatten().is_some();
            if ended || Instant::now() > deadline {
                return Err(failed(&mut child, who));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.children.lock().unwrap_or_else(|e| e.into_inner()).push(child);
        Ok(())
    }
}

/// The error of a master that did not come up, with what it said.
fn failed(child: &mut Child, who: &str) -> Error {
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    Error::Command {
        command: format!("ssh {who}"),
        message: format!(
            "{} — check that `ssh` to it works without a password",
            err.trim().lines().last().unwrap_or("no connection within 20 s")
        ),
    }
}

impl Drop for Masters {
    /// Ends the connections (and so every session left on them); the sockets' folder goes
    /// with the `TempDir`.
    fn drop(&mut self) {
        for c in self.children.get_mut().unwrap_or_else(|e| e.into_inner()).iter_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
