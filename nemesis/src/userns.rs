//! Why a process that is not root gets no working user namespace here, told in one line with
//! the setting that allows one.
//!
//! Neighbours: [`crate::sandbox`] asks when making its user namespace, or setting it up, fails.
//!
//! Design: the machine's settings are read from `/proc/sys` through a function, so every case
//! can be tested on made-up values. The settings, in the order they are looked at:
//! - `kernel.unprivileged_userns_clone=0` (Debian's and older Ubuntus' switch): `unshare`
//!   fails with EPERM;
//! - `user.max_user_namespaces=0`: `unshare` fails with ENOSPC (also when a limit of an
//!   enclosing namespace is used up, which this namespace's own value does not show);
//! - `kernel.apparmor_restrict_unprivileged_userns=1` (Ubuntu 24.04): `unshare` may succeed,
//!   but the namespace has no capabilities, so a later step fails with EPERM or EACCES;
//! - anything else (a container's seccomp profile, an LSM): the step and the OS error.
//!
//! Root makes its namespaces without a user namespace; only when that failed too (a
//! container's root without CAP_SYS_ADMIN) does it get here, and is told so.

use crate::error::Error;
use std::io;

/// The end of every message: what splitbrain needs, and the way that needs no setting.
const NEEDS: &str = "and splitbrain needs one when not run as root: run it as root, or";

/// The error for `step` failing with `e` while making or setting up the user namespace;
/// `as_root` is why root could not make the namespaces without one, when root tried.
pub(crate) fn off(step: &str, e: &io::Error, as_root: Option<&io::Error>) -> Error {
    let why = match as_root {
        Some(r) => format!("as root, the sandbox's namespaces could not be made ({r}), nor a user namespace to make them in ({step}: {e}): give this container CAP_SYS_ADMIN (e.g. docker run --privileged), or allow user namespaces in it"),
        None => explain(&read_sysctl, step, e),
    };
    Error::UserNamespacesOff { why }
}

/// The sandbox's later steps (its mounts) failed with `e` inside a fresh user namespace: when
/// a setting of the machine explains it, that is the error, else `e` stays as it is.
pub(crate) fn explain_later(e: Error) -> Error {
    let Error::Os { source, .. } = &e else { return e };
    let denied = matches!(source.raw_os_error(), Some(libc::EPERM | libc::EACCES));
    match (denied, restriction(&read_sysctl)) {
        (true, Some(why)) => Error::UserNamespacesOff { why },
        _ => e,
    }
}

fn read_sysctl(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

/// The one-line explanation, from the settings `read` gives.
fn explain(read: &dyn Fn(&str) -> Option<String>, step: &str, e: &io::Error) -> String {
    if let Some(why) = restriction(read) {
        return why;
    }
    match e.raw_os_error() {
        Some(libc::ENOSPC) => format!("no user namespace is left for this user ({step}: {e}: the limit user.max_user_namespaces, here or in an enclosing container, is used up), {NEEDS} raise that limit"),
        _ => format!("no user namespace could be made ({step}: {e}), {NEEDS} allow user namespaces (a container needs e.g. --privileged, or a seccomp profile that allows unshare)"),
    }
}

/// The setting that switches unprivileged user namespaces off or restricts them, if one does.
fn restriction(read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let is = |name: &str, value: &str| {
        read(&format!("/proc/sys/{}", name.replace('.', "/"))).as_deref() == Some(value)
    };
    let off = |name: &str, fix: &str| {
        format!("user namespaces are disabled here (sysctl {name}), {NEEDS} `sudo sysctl -w {fix}`")
    };
    if is("kernel.unprivileged_userns_clone", "0") {
        return Some(off(
            "kernel.unprivileged_userns_clone=0",
            "kernel.unprivileged_userns_clone=1",
        ));
    }
    if is("user.max_user_namespaces", "0") {
        return Some(off("user.max_user_namespaces=0", "user.max_user_namespaces=15000"));
    }
    if is("kernel.apparmor_restrict_unprivileged_userns", "1") {
        return Some(format!("unprivileged user namespaces are restricted here by AppArmor (sysctl kernel.apparmor_restrict_unprivileged_userns=1), {NEEDS} `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (or give splitbrain an AppArmor profile that allows userns)"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine whose `/proc/sys` holds only `settings`.
    fn machine(
        settings: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        move |path| settings.iter().find(|(p, _)| *p == path).map(|(_, v)| v.to_string())
    }

    #[test]
    fn each_switch_is_named_with_the_command_that_turns_it_back_on() {
        let eperm = io::Error::from_raw_os_error(libc::EPERM);
        let table: &[(&[(&str, &str)], &str)] = &[
            (
                &[("/proc/sys/kernel/unprivileged_userns_clone", "0")],
                "user namespaces are disabled here (sysctl kernel.unprivileged_userns_clone=0), and splitbrain needs one when not run as root: run it as root, or `sudo sysctl -w kernel.unprivileged_userns_clone=1`",
            ),
            (
                &[("/proc/sys/user/max_user_namespaces", "0"), ("/proc/sys/kernel/unprivileged_userns_clone", "1")],
                "user namespaces are disabled here (sysctl user.max_user_namespaces=0), and splitbrain needs one when not run as root: run it as root, or `sudo sysctl -w user.max_user_namespaces=15000`",
            ),
            (
                &[("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"), ("/proc/sys/user/max_user_namespaces", "63000")],
                "restricted here by AppArmor (sysctl kernel.apparmor_restrict_unprivileged_userns=1), and splitbrain needs one when not run as root: run it as root, or `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`",
            ),
            (
                &[("/proc/sys/user/max_user_namespaces", "63000")],
                "no user namespace could be made (unshare(CLONE_NEWUSER): Operation not permitted (os error 1)), and splitbrain needs one",
            ),
        ];
        for (settings, says) in table {
            let said = explain(&machine(settings), "unshare(CLONE_NEWUSER)", &eperm);
            assert!(said.contains(says), "{settings:?}: {said}");
            assert_eq!(said.lines().count(), 1);
        }
    }

    #[test]
    fn a_limit_used_up_elsewhere_is_told_as_a_limit() {
        let enospc = io::Error::from_raw_os_error(libc::ENOSPC);
        let said = explain(&machine(&[]), "unshare(CLONE_NEWUSER)", &enospc);
        assert!(said.starts_with("no user namespace is left for this user"), "{said}");
        assert!(said.contains("here or in an enclosing container"), "{said}");
    }

    #[test]
    fn a_later_failure_stays_itself_unless_a_setting_explains_it() {
        let later =
            Error::os("mounting a tmpfs on /run", io::Error::from_raw_os_error(libc::ENOENT));
        assert!(matches!(explain_later(later), Error::Os { .. }));
    }
}
