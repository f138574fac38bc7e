//! The sandbox: the namespaces a test runs in, entered once at the very start of the process.
//!
//! Neighbours: [`crate::net`] builds the node network inside (it takes a `&Sandbox` as proof
//! that we are inside); `sys.rs` holds the system calls (fork, signal forwarding); `userns.rs`
//! explains, in one line with the fix, a machine that gives no working user namespace to a
//! process that is not root.
//!
//! Design: three processes, in-process `unshare` + `fork`, no re-exec.
//!
//! ```text
//!  outer (the process that was started; stays outside the PID namespace)
//!    │  unshare(user? | mount | net | pid); tmpfs on /run; fork
//!    └─ init (PID 1 in the new PID namespace): reaps orphans, forwards signals
//!         └─ controller (PID 2): `enter` returns `Ok(Sandbox)` here, and only here
//! ```
//!
//! - The user namespace is made only when not root (uid → 0 inside), and in the same `unshare`
//!   call as the others, so the mount and network namespaces belong to it.
//! - `/` is made recursively private before anything is mounted, so nothing propagates to the
//!   machine's mounts; a tmpfs on `/run` gives `ip netns` a private `/run/netns`.
//! - The PID namespace needs a fork: only children of the unsharer enter it. The first child is
//!   its PID 1, and when PID 1 ends, the kernel kills every process in the namespace and the
//!   namespaces go with them: that is the whole cleanup story, also for SIGKILL.
//! - The controller is PID 2, not PID 1: a PID 1 ignores signals it has no handler for (so
//!   SIGTERM or Ctrl-C would not stop a controller that never installed one), and PID 1 inherits
//!   every orphan (an `ip netns exec` child, a daemon's parent) whose zombie must be reaped
//!   without stealing the exit statuses of the controller's own children. The small init does
//!   the reaping; when the controller ends, init exits with its status and the kernel ends
//!   the rest.
//! - Death propagates both ways: outer dies (even by SIGKILL) → init gets SIGKILL
//!   (`PR_SET_PDEATHSIG`, with a pipe to close the race with a parent that died before the
//!   prctl) → everything inside dies. Controller dies → init exits → outer exits with the same
//!   status (a signal death becomes 128 + signal).
//! - Signals sent to outer or init with `kill` (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2) are
//!   forwarded down to the controller; ones the terminal sent are not, because the terminal sent
//!   them to the whole process group, the controller included.
//! - A fresh `/proc` is mounted for the new PID namespace, so pids in `/proc` match the pids the
//!   controller's `Child` handles report.

use crate::error::{Error, Result};
use crate::sys;
use crate::userns;
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use nix::unistd::{ForkResult, Pid};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// Where the sandbox keeps its files: on the private tmpfs, gone with the sandbox.
pub const STATE_DIR: &str = "/run/splitbrain";
/// Set in the controller's environment (and so its children's) while inside a sandbox.
pub const ENV_MARKER: &str = "SPLITBRAIN_SANDBOX";

/// Proof that this process is the controller inside a sandbox.
#[derive(Debug)]
pub struct Sandbox {
    rootless: bool,
}

impl Sandbox {
    /// Enters a new sandbox and returns in the controller, PID 2 of a new PID namespace with its
    /// own mount and network namespaces (and user namespace when not root).
    ///
    /// Call it first thing in `main`, before any thread exists (a user namespace can only be
    /// entered by a single-threaded process; this is checked) and before printing (a fork
    /// would duplicate unflushed output). The original process never returns from here: it
    /// waits for the sandbox and exits with the controller's exit status. Errors are returned
    /// in the original process before anything is forked, or in the controller.
    pub fn enter() -> Result<Sandbox> {
        Self::enter_with(true)
    }

    /// As [`Sandbox::enter`], but keeping the machine's network namespace and its `/run`: for a
    /// controller whose nodes are real hosts it reaches over SSH. The PID namespace still ends
    /// every `ssh` it started when it dies, which closes every host's connections.
    pub fn enter_keeping_network() -> Result<Sandbox> {
        Self::enter_with(false)
    }

    fn enter_with(own_network: bool) -> Result<Sandbox> {
        let threads = sys::thread_count();
        if threads > 1 {
            return Err(Error::BadInput(format!(
                "Sandbox::enter must run before the process starts any thread (this one has {threads})"
            )));
        }
        let rootless = unshare_all(own_network)?;
        private_mounts(own_network)
            .map_err(|e| if rootless { userns::explain_later(e) } else { e })?;
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| Error::os("creating a pipe", e.into()))?;
        match sys::fork()? {
            ForkResult::Child => {
                drop(write); // leaves only the outer's copy, which closes when outer dies
                init(read, own_network)
            }
            ForkResult::Parent { child } => outer(child),
        }
        .map(|()| Sandbox { rootless })
    }

    /// True when the sandbox made a user namespace (it was not started as root).
    pub fn rootless(&self) -> bool {
        self.rootless
    }

    /// The directory for the sandbox's own files (on the private tmpfs).
    pub fn state_dir(&self) -> &Path {
        Path::new(STATE_DIR)
    }

    /// True when the current process runs inside a splitbrain sandbox.
    pub fn inside() -> bool {
        std::env::var_os(ENV_MARKER).is_some()
    }
}

/// Unshares every namespace at once; returns whether a user namespace was made.
fn unshare_all(own_network: bool) -> Result<bool> {
    let mut base = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID;
    if own_network {
        base |= CloneFlags::CLONE_NEWNET;
    }
    let (uid, gid) = sys::ids();
    // Root without CAP_SYS_ADMIN (a container's root) may still make them in a user namespace.
    let as_root = match uid {
        0 => match sys::unshare(base) {
            Ok(()) => return Ok(false),
            Err(e) => Some(e),
        },
        _ => None,
    };
    let off = |step: &str, e: std::io::Error| userns::off(step, &e, as_root.as_ref());
    sys::unshare(base | CloneFlags::CLONE_NEWUSER).map_err(|e| off("unshare(CLONE_NEWUSER)", e))?;
    let write = |file: &str, text: String| {
        std::fs::write(file, text).map_err(|e| off(&format!("writing {file}"), e))
    };
    write("/proc/self/setgroups", "deny".into())?;
    // Keeping the machine's network means running `ssh`, which finds ~/.ssh through the
    // passwd entry of its uid: there the user stays who they are (the namespace's capabilities
    // are the creator's whatever the mapping); the node network's tools want uid 0.
    let (inner_uid, inner_gid) = if own_network { (0, 0) } else { (uid, gid) };
    write("/proc/self/uid_map", format!("{inner_uid} {uid} 1"))?;
    write("/proc/self/gid_map", format!("{inner_gid} {gid} 1"))?;
    Ok(true)
}

/// Makes every mount private (so nothing leaks to the machine), then a tmpfs on /run.
fn private_mounts(own_run: bool) -> Result<()> {
    sys::mount(None, "/", None, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None)?;
    if !own_run {
        return Ok(());
    }
    sys::mount(
        Some("splitbrain"),
        "/run",
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=755"),
    )?;
    for dir in ["/run/netns", STATE_DIR] {
        std::fs::create_dir_all(dir).map_err(|e| Error::os(format!("creating {dir}"), e))?;
    }
    Ok(())
}

/// The original process: forward signals, wait, leave with the sandbox's status.
fn outer(init: Pid) -> ! {
    sys::forward_signals_to(init.as_raw());
    let status = sys::wait(Some(init)).map_or(255, sys::exit_code);
    sys::exit_now(status)
}

/// PID 1: make sure we die with outer, start the controller, reap until it ends.
fn init(alive: OwnedFd, own_network: bool) -> Result<()> {
    sys::die_with_parent();
    // A hang-up means outer died before the prctl took effect.
    if crate::wait::readable_now(&alive).unwrap_or(true) {
        sys::exit_now(137);
    }
    drop(alive);
    let controller = match sys::fork() {
        Ok(ForkResult::Child) => return controller_setup(own_network),
        Ok(ForkResult::Parent { child }) => child,
        Err(e) => {
            eprintln!("splitbrain: {e}");
            sys::exit_now(255)
        }
    };
    sys::forward_signals_to(controller.as_raw());
    loop {
        match sys::wait(None) {
            Ok(status) if status.pid() == Some(controller) => sys::exit_now(sys::exit_code(status)),
            Err(nix::errno::Errno::ECHILD) => sys::exit_now(255),
            _ => {}
        }
    }
}

/// The controller's first steps inside: its own /proc, lo up, the environment marker.
fn controller_setup(own_network: bool) -> Result<()> {
    sys::die_with_parent();
    if sys::parent() != 1 {
        sys::exit_now(137);
    }
    sys::mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None,
    )?;
    if own_network {
        sys::loopback_up()?;
    }
    // set_var is sound here: the process is still single-threaded.
    std::env::set_var(ENV_MARKER, "1");
    Ok(())
}

/// The directory for the sandbox's own files, for code that has no `Sandbox` at hand.
pub fn state_dir() -> PathBuf {
    PathBuf::from(STATE_DIR)
}
