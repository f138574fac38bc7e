//! Finding the OS programs the node network needs (`ip`, `nft`), with the install hint when one
//! is missing, and running them.
//!
//! Neighbours: `net.rs` runs `ip`; `nft.rs` keeps `nft` shells.

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The absolute paths of the programs the node network runs.
#[derive(Debug, Clone)]
pub struct Tools {
    /// iproute2's `ip`.
    pub ip: PathBuf,
    /// nftables' `nft`.
    pub nft: PathBuf,
}

impl Tools {
    /// Finds `ip` and `nft` in `$PATH` or the sbin directories (which a normal user's `$PATH`
    /// often lacks on Debian).
    pub fn find() -> Result<Tools> {
        Ok(Tools { ip: find("ip", "iproute2")?, nft: find("nft", "nftables")? })
    }
}

pub(crate) fn find(tool: &'static str, package: &'static str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(tool))
        .find(|p| is_executable(p))
        .ok_or(Error::MissingTool { tool, package })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs `program args…` with `input` on stdin; an error carries its stderr.
pub fn run(program: &Path, args: &[&str], input: &str) -> Result<()> {
    let shown = format!("{} {}", program.display(), args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::os(format!("starting {shown}"), e))?;
    let fed = child.stdin.take().expect("piped").write_all(input.as_bytes());
    let status = wait_bounded(&mut child, Duration::from_secs(20))
        .map_err(|e| Error::os(format!("waiting for {shown}"), e))?;
    if status.is_some_and(|s| s.success()) && fed.is_ok() {
        return Ok(());
    }
    let mut err = String::new();
    let _ = child.stderr.take().expect("piped").read_to_string(&mut err);
    let message = if status.is_none() {
        "no answer in 20 s".to_string()
    } else {
        err.trim().replace('\n', "; ")
    };
    Err(Error::Command { command: shown, message })
}

/// Waits for `child` at most `limit`; kills it and returns `None` when it takes longer.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    let mut nap = Duration::from_micros(200);
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait()? {
            return Ok(Some(s));
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_tool_names_itself_and_its_package() {
        let e = super::find("splitbrain-no-such-tool", "nosuchpkg").unwrap_err();
        let msg = e.to_string();
        assert!(e.is_bad_input() && msg.contains("`splitbrain-no-such-tool` not found"), "{msg}");
        assert!(
            msg.contains("apt-get install nosuchpkg") && msg.contains("scripts/setup"),
            "{msg}"
        );
    }

    #[test]
    fn a_failing_command_reports_its_stderr() {
        let e = super::run(std::path::Path::new("/bin/sh"), &["-c", "echo broken >&2; exit 3"], "")
            .unwrap_err();
        assert!(e.to_string().contains("broken") && !e.is_bad_input(), "{e}");
    }
}
