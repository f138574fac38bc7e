//! What a run puts on each host before anything starts there: this executable, and the target
//! file's folder when the target has one (the scripts and programs a bring-your-own target's
//! commands run). Both go into the run folder, which the host agent removes at the end.
//!
//! Neighbours: `hosts_net.rs` calls these for each host; `remote.rs` maps the controller's
//! paths in every command to these copies.
//!
//! Design: the folder is copied whole (`tar` at both ends), not the files a command names: a
//! command's first word is all that can be read from it, and scripts run other files of
//! their folder (`pg_server.sh` from a TOML, a Python module imported by the candidate), so
//! on a host each command sees the same folder as in the sandbox. A folder over
//! [`FOLDER_LIMIT`] is refused (a target file in a big folder, such as a home directory).

use crate::error::{Error, Result};
use crate::remote::{quote, Remote};
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long one copy to a host may take.
const COPY_LIMIT: Duration = Duration::from_secs(120);

/// The largest target folder copied to the hosts.
pub const FOLDER_LIMIT: u64 = 64 << 20;

/// `cat` of this executable into `run/splitbrain` on host `i`, made executable.
pub(crate) fn binary(remote: &Remote, i: usize) -> Result<()> {
    let (run, bin) = (quote(remote.run.as_os_str()), quote(remote.bin().as_os_str()));
    let line = format!(
        "mkdir -p {run} && cat > {bin}.part && chmod 755 {bin}.part && mv {bin}.part {bin}"
    );
    let exe =
        File::open(std::env::current_exe().map_err(|e| Error::os("finding this executable", e))?)
            .map_err(|e| Error::os("opening this executable", e))?;
    let child = spawn(remote, i, remote.ssh(i, &line).stdin(exe))?;
    finish(remote, i, child, "splitbrain")
}

/// `folder`, whole, into `run/target` on host `i`: `tar -c` here into `tar -x` there.
pub(crate) fn folder(remote: &Remote, i: usize, folder: &Path) -> Result<()> {
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(folder)
        .args(["-cf", "-", "."])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::os("starting tar (is it installed?)", e))?;
    let dest = quote(remote.target_dir().as_os_str());
    let line = format!("mkdir -p {dest} && tar -C {dest} -xf -");
    let stream = tar.stdout.take().expect("piped");
    let child = spawn(remote, i, remote.ssh(i, &line).stdin(stream));
    let _ = crate::tools::wait_bounded(&mut tar, COPY_LIMIT);
    finish(remote, i, child?, &format!("the target's folder {}", folder.display()))
}

/// Refuses a folder too big to copy to every host (254).
pub fn check_folder(folder: &Path) -> Result<()> {
    let size = size_of(folder);
    match size <= FOLDER_LIMIT {
        true => Ok(()),
        false => Err(Error::BadInput(format!(
            "{} holds {} MB, and a target file's folder is copied whole to every host (at most {} MB): put the target file and the files its commands run in a folder of their own",
            folder.display(),
            size >> 20,
            FOLDER_LIMIT >> 20
        ))),
    }
}

/// The bytes of the files under `dir` (symbolic links not followed).
fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut total = 0;
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => total += size_of(&e.path()),
            Ok(_) => total += e.metadata().map_or(0, |m| m.len()),
            Err(_) => {}
        }
    }
    total
}

fn spawn(remote: &Remote, i: usize, cmd: &mut Command) -> Result<Child> {
    let host = &remote.hosts[i];
    cmd.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::os(format!("starting ssh to {} ({})", host.name, host.ssh), e))
}

/// Waits for a copy of `what` to host `i`; its failure, with what ssh said.
fn finish(remote: &Remote, i: usize, mut child: Child, what: &str) -> Result<()> {
    let host = &remote.hosts[i];
    let status = crate::tools::wait_bounded(&mut child, COPY_LIMIT)
        .map_err(|e| Error::os(format!("copying {what} to {}", host.name), e))?;
    if status.is_some_and(|s| s.success()) {
        return Ok(());
    }
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut err);
    Err(Error::Command {
        command: format!("ssh {} (copying {what} to {})", host.ssh, host.name),
        message: format!("{} — check that `ssh {}` works without a password", err.trim(), host.ssh),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_folder_over_the_limit_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let big = std::fs::File::create(dir.path().join("sub/big")).unwrap();
        big.set_len(super::FOLDER_LIMIT + 1).unwrap();
        let err = super::check_folder(dir.path()).unwrap_err();
        assert!(err.is_bad_input());
        assert!(err.to_string().contains(&dir.path().display().to_string()), "{err}");
        std::fs::remove_file(dir.path().join("sub/big")).unwrap();
        assert!(super::check_folder(dir.path()).is_ok());
    }
}
