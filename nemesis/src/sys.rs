//! Thin wrappers over the Linux calls the sandbox makes directly (namespaces, mounts, signals,
//! fork), on `nix`'s typed calls, with our error type.
//!
//! Neighbours: `sandbox.rs` (unshare, mount, fork, signal forwarding), `net.rs` (setns),
//! `proc.rs` and `nft.rs` (programs started inside a node), `wait.rs` (poll).
//!
//! Design: where `nix` has a safe call it is used as is. What it cannot make safe (fork,
//! installing a signal handler and reading its `siginfo`, the ioctl that sets lo up, `_exit`)
//! is here, behind safe functions whose preconditions they check or own; the crate's only
//! other such block is the shared mapping in `clock.rs`. A program starts inside a node from a
//! thread that entered the node's namespace, so no pre-exec hook is needed.

use crate::error::{Error, Result};
use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::wait::WaitStatus;
use nix::unistd::{ForkResult, Pid};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicI32, Ordering};

/// `unshare(2)`; the raw OS error so the caller can tell EPERM from EINVAL.
pub fn unshare(flags: CloneFlags) -> io::Result<()> {
    Ok(nix::sched::unshare(flags)?)
}

/// `mount(2)` with an optional source, type and data string.
pub fn mount(
    src: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<()> {
    nix::mount::mount(src, target, fstype, flags, data).map_err(|e| {
        let what = fstype.or(src).unwrap_or("");
        Error::os(format!("mounting {what} on {target}"), e.into())
    })
}

/// Detaches the mount at `target` (lazily, so open files don't block it).
pub fn umount(target: &Path) -> Result<()> {
    nix::mount::umount2(target, MntFlags::MNT_DETACH)
        .map_err(|e| Error::os(format!("unmounting {}", target.display()), e.into()))
}

/// `setns(2)` into a network namespace given by an open `/run/netns/NAME` file.
pub fn setns_net(fd: BorrowedFd<'_>) -> io::Result<()> {
    Ok(nix::sched::setns(fd, CloneFlags::CLONE_NEWNET)?)
}

/// Starts `cmd` inside the network namespace `netns`: from a short-lived thread that entered
/// it, since a child starts in the namespaces of the thread that forked it (no pre-exec hook).
pub fn spawn_in_netns(cmd: &mut Command, netns: BorrowedFd<'_>) -> io::Result<Child> {
    std::thread::scope(|s| {
        s.spawn(|| {
            setns_net(netns)?;
            cmd.spawn()
        })
        .join()
        .expect("the spawning thread does not panic")
    })
}

/// Sends `sig` to a process group (`pgid` > 0); a group that is already gone is not an error.
pub fn kill_group(pgid: u32, sig: Signal) -> Result<()> {
    match nix::sys::signal::killpg(Pid::from_raw(pgid as i32), sig) {
        Ok(()) | Err(Errno::ESRCH) => Ok(()),
        Err(e) => Err(Error::os(format!("sending {sig} to process group {pgid}"), e.into())),
    }
}

/// Sends `sig` to one process; one that is already gone is not an error.
pub fn kill_pid(pid: i32, sig: Signal) {
    let _ = nix::sys::signal::kill(Pid::from_raw(pid), sig);
}

/// Asks the kernel to send SIGKILL to this process when its parent (thread) exits.
pub fn die_with_parent() {
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
}

/// The number of threads of this process, from /proc.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(1, |d| d.count())
}

/// Effective user and group ids.
pub fn ids() -> (u32, u32) {
    (nix::unistd::geteuid().as_raw(), nix::unistd::getegid().as_raw())
}

/// The parent's pid.
pub fn parent() -> i32 {
    nix::unistd::getppid().as_raw()
}

/// `_exit(2)`: leave without running destructors or flushing buffers that a fork duplicated.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit takes no pointers and never returns; nix has no wrapper for it.
    unsafe { libc::_exit(code) }
}

/// `fork(2)`, refused unless this process has a single thread (the child of a multi-threaded
/// fork may only make async-signal-safe calls; ours runs ordinary code).
pub fn fork() -> Result<ForkResult> {
    let threads = thread_count();
    if threads > 1 {
        return Err(Error::BadInput(format!(
            "fork: the process must be single-threaded (this one has {threads} threads)"
        )));
    }
    // SAFETY: checked just above: no other thread can hold a lock the child would need.
    unsafe { nix::unistd::fork() }.map_err(|e| Error::os("forking into the sandbox", e.into()))
}

/// Waits for `pid` (`None`: any child), retrying on interruption.
pub fn wait(pid: Option<Pid>) -> nix::Result<WaitStatus> {
    loop {
        match nix::sys::wait::waitpid(pid, None) {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

/// The exit code a shell would report for a wait status: the code, or 128 + signal.
pub fn exit_code(status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(_, code) => code,
        WaitStatus::Signaled(_, sig, _) => 128 + sig as i32,
        _ => 255,
    }
}

/// The pid signals are forwarded to (0 until it exists).
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to SA_SIGINFO handlers.
    let from_terminal = unsafe { (*info).si_code } == libc::SI_KERNEL;
    let pid = FORWARD_TO.load(Ordering::Relaxed);
    if !from_terminal && pid > 0 {
        if let Ok(sig) = Signal::try_from(sig) {
            kill_pid(pid, sig);
        }
    }
}

/// Forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to `pid`, unless the terminal
/// sent them (then it sent them to `pid`'s process group too).
pub fn forward_signals_to(pid: i32) {
    FORWARD_TO.store(pid, Ordering::Relaxed);
    let action =
        SigAction::new(SigHandler::SigAction(forward), SaFlags::SA_RESTART, SigSet::empty());
    for sig in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        // SAFETY: `forward` only loads an atomic and calls kill(2), both async-signal-safe.
        let _ = unsafe { nix::sys::signal::sigaction(sig, &action) };
    }
}

nix::ioctl_readwrite_bad!(get_if_flags, libc::SIOCGIFFLAGS, libc::ifreq);
nix::ioctl_write_ptr_bad!(set_if_flags, libc::SIOCSIFFLAGS, libc::ifreq);

/// Sets the loopback interface of the current network namespace up (no `ip` needed).
pub fn loopback_up() -> Result<()> {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
    let s = socket(AddressFamily::Inet, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| Error::os("opening a socket to set lo up", e.into()))?;
    // SAFETY: an all-zero ifreq is valid (an empty name and union); it is named "lo" and lives
    // across both ioctls, which read and write only that struct, on a socket we own.
    let r = unsafe {
        let mut req: libc::ifreq = std::mem::zeroed();
        req.ifr_name[..2].copy_from_slice(&[b'l' as libc::c_char, b'o' as libc::c_char]);
        get_if_flags(s.as_raw_fd(), &mut req).and_then(|_| {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            set_if_flags(s.as_raw_fd(), &req)
        })
    };
    r.map(drop).map_err(|e| Error::os("setting lo up", e.into()))
}
