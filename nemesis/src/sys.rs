//! Thin safe wrappers over the few Linux calls the sandbox makes directly (namespaces, mounts,
//! signals, fork), so `unsafe` stays in this one file.
//!
//! Neighbours: `sandbox.rs` (unshare, mount, fork), `net.rs` (setns), `proc.rs` (signals).

use crate::error::{Error, Result};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::Path;

fn cstr(s: &str) -> CString {
    CString::new(s).expect("paths here have no NUL byte")
}

fn check(r: libc::c_int, what: impl FnOnce() -> String) -> Result<()> {
    if r < 0 {
        Err(Error::last_os(what()))
    } else {
        Ok(())
    }
}

/// `unshare(2)`; the raw OS error so the caller can tell EPERM from EINVAL.
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare takes no pointers.
    if unsafe { libc::unshare(flags) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `mount(2)` with an optional source, type and data string.
pub fn mount(
    src: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<()> {
    let (src, target, fstype, data) =
        (src.map(cstr), cstr(target), fstype.map(cstr), data.map(cstr));
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: every pointer is null or a live NUL-terminated string.
    let r = unsafe {
        libc::mount(
            ptr(&src),
            target.as_ptr(),
            ptr(&fstype),
            flags,
            ptr(&data) as *const libc::c_void,
        )
    };
    check(r, || {
        format!(
            "mounting {} on {}",
            fstype
                .as_ref()
                .or(src.as_ref())
                .map_or("".into(), |c| c.to_string_lossy().into_owned()),
            target.to_string_lossy()
        )
    })
}

/// Detaches the mount at `target` (lazily, so open files don't block it).
pub fn umount(target: &Path) -> Result<()> {
    let t = cstr(&target.to_string_lossy());
    // SAFETY: t is a live NUL-terminated string.
    check(unsafe { libc::umount2(t.as_ptr(), libc::MNT_DETACH) }, || {
        format!("unmounting {}", target.display())
    })
}

/// `setns(2)` into a network namespace given by an open `/run/netns/NAME` file.
pub fn setns_net(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: fd is a live descriptor; setns takes no pointers.
    if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Sends `sig` to a process group (`pgid` > 0); a group that is already gone is not an error.
pub fn kill_group(pgid: u32, sig: libc::c_int) -> Result<()> {
    // SAFETY: kill takes no pointers.
    if unsafe { libc::kill(-(pgid as libc::pid_t), sig) } < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ESRCH) {
            return Err(Error::os(format!("sending signal {sig} to process group {pgid}"), e));
        }
    }
    Ok(())
}

/// Sends `sig` to one process; one that is already gone is not an error.
pub fn kill_pid(pid: i32, sig: libc::c_int) {
    // SAFETY: kill takes no pointers.
    unsafe { libc::kill(pid, sig) };
}

/// Asks the kernel to send SIGKILL to this process when its parent (thread) exits.
pub fn die_with_parent() {
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) };
}

/// The number of threads of this process, from /proc.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(1, |d| d.count())
}

/// Effective user and group ids.
pub fn ids() -> (u32, u32) {
    // SAFETY: no arguments.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

/// `_exit(2)`: leave without running destructors or flushing buffers that a fork duplicated.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: always sound.
    unsafe { libc::_exit(code) }
}

/// The exit code a shell would report for a `waitpid` status: the code, or 128 + signal.
pub fn exit_code(status: libc::c_int) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        255
    }
}

/// Sets the loopback interface of the current network namespace up (no `ip` needed).
pub fn loopback_up() -> Result<()> {
    // SAFETY: a plain socket and two ioctls on a zeroed, correctly sized ifreq.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(Error::last_os("opening a socket to set lo up"));
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        req.ifr_name[..2].copy_from_slice(&[b'l' as libc::c_char, b'o' as libc::c_char]);
        let ok = libc::ioctl(s, libc::SIOCGIFFLAGS, &mut req) >= 0 && {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(s, libc::SIOCSIFFLAGS, &req) >= 0
        };
        let err = io::Error::last_os_error();
        libc::close(s);
        if ok {
            Ok(())
        } else {
            Err(Error::os("setting lo up", err))
        }
    }
}
