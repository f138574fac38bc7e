//! Where a node lives: a network namespace of the sandbox, or a real host reached over SSH.
//! The one seam between the faults and the machine: starting a node's processes, signalling
//! them, and the node's rule shell are asked of its [`Place`], so that processes, partitions,
//! pauses, kills and clocks are the same code for both.
//!
//! Neighbours: `proc.rs` starts and signals processes through it; `net.rs` builds one
//! (`SandboxPlace` here, `remote::RemotePlace` for hosts); `nft.rs` is the rule shell both give.
//!
//! Design: a trait object shared (`Arc`) by the network and every process, so a process can be
//! restarted long after the call that started it; the place knows nothing of faults.

use crate::proc::{stdio, ProcSpec, Signal};
use crate::sys;
use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// What a node's processes need from where they run.
pub(crate) trait Place: Send + Sync {
    /// Starts `spec` on node `i` (named `node`), in a process group of its own, with `env` on
    /// top of the spec's environment.
    fn start(
        &self,
        i: usize,
        node: &str,
        spec: &ProcSpec,
        env: &[(OsString, OsString)],
    ) -> crate::Result<Child>;
    /// Starts again a process that was killed, and returns once it runs (a start in the
    /// sandbox, which is a fork; on a host, the supervisor's word).
    fn restart(
        &self,
        i: usize,
        node: &str,
        spec: &ProcSpec,
        env: &[(OsString, OsString)],
    ) -> crate::Result<Child> {
        self.start(i, node, spec, env)
    }
    /// Sends `sig` to the process started as `child`: to its whole group, or to it alone.
    fn signal(&self, child: &mut Child, sig: Signal, group: bool) -> crate::Result<()>;
    /// Makes the next [`Place::start`] of this process fast: it is about to be killed and
    /// started again (nothing to do where a start is only a fork).
    fn warm(&self, _i: usize, _node: &str, _spec: &ProcSpec, _env: &[(OsString, OsString)]) {}
    /// Ends what the place holds beside the processes (once they are killed).
    fn close(&self) {}
}

/// The sandbox's node namespaces: processes start inside them, signals go straight to them.
pub(crate) struct SandboxPlace {
    pub netns: Vec<OwnedFd>,
}

impl Place for SandboxPlace {
    fn start(
        &self,
        i: usize,
        node: &str,
        s: &ProcSpec,
        env: &[(OsString, OsString)],
    ) -> crate::Result<Child> {
        let mut cmd = Command::new(&s.program);
        cmd.args(&s.args).envs(s.env.iter().map(|(k, v)| (k, v))).envs(env.iter().cloned());
        cmd.env("SPLITBRAIN_NODE", node).stdin(Stdio::null()).process_group(0);
        cmd.stdout(stdio(&s.stdout, "stdout")?).stderr(stdio(&s.stderr, "stderr")?);
        if let Some(d) = &s.cwd {
            cmd.current_dir(d);
        }
        sys::spawn_in_netns(&mut cmd, self.netns[i].as_fd())
            .map_err(|e| crate::Error::os(starting(s, node), e))
    }

    fn signal(&self, child: &mut Child, sig: Signal, group: bool) -> crate::Result<()> {
        match group {
            true => sys::kill_group(child.id(), sig),
            false => {
                sys::kill_pid(child.id() as i32, sig);
                Ok(())
            }
        }
    }
}

/// "starting LABEL on NODE (PROGRAM)", for errors.
pub(crate) fn starting(s: &ProcSpec, node: &str) -> String {
    format!("starting {} on {node} ({})", s.label, s.program.to_string_lossy())
}
