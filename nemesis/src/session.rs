//! One process's session on a host, from the controller's side: the `go` that starts it, and
//! the relay of its stdout, whose first line is the supervisor's word that the program is
//! starting ([`STARTED`]), so that a restart can return once the process runs again.
//!
//! Neighbours: `remote.rs` opens the sessions (`ssh … host-exec`); `agent.rs` writes
//! [`STARTED`] before it starts the program; `spare.rs` keeps sessions opened ahead.
//!
//! Design: the session's stdout is always a pipe to the controller; a thread here reads the
//! first line a byte at a time (nothing after it is read ahead), reports it, then copies the
//! rest to where the process's spec sends its stdout (a file, nothing, the controller's own, or
//! a new pipe put back into the `Child` for the caller to take).

use crate::error::{Error, Result};
use crate::proc::Output;
use std::fs::File;
use std::io::{Read, Write};
use std::process::{Child, ChildStdout};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

/// The supervisor's first stdout line: the program is starting.
pub const STARTED: &str = "splitbrain-host-exec: started";

/// How long a restart waits for its process to start (a new connection included).
pub(crate) const START_LIMIT: Duration = Duration::from_secs(15);

/// Tells the session's supervisor to start its program and relays its stdout to `out`; the
/// receiver hears once, when the program starts or the session ends first.
pub(crate) fn go(session: &mut Child, out: &Output) -> Result<Receiver<()>> {
    let from = session.stdout.take().ok_or(Error::BadInput("a session without stdout".into()))?;
    let to: Box<dyn Write + Send> = match out {
        Output::Pipe => {
            // Close-on-exec: a later child holding the write end would keep its reader open.
            let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
                .map_err(|e| Error::os("making a pipe", e.into()))?;
            session.stdout = Some(ChildStdout::from(r));
            Box::new(File::from(w))
        }
        Output::Null => Box::new(std::io::sink()),
        Output::Inherit => Box::new(std::io::stdout()),
        Output::File(p) => Box::new(log_file(p)?),
    };
    if let Some(stdin) = session.stdin.as_mut() {
        let _ = writeln!(stdin, "go").and_then(|()| stdin.flush());
    }
    let (told, heard) = channel();
    std::thread::spawn(move || {
        relay(from, to, move || {
            let _ = told.send(());
        })
    });
    Ok(heard)
}

/// The log file at `p`, appended to (made with its folder when missing), as for a local process.
fn log_file(p: &std::path::Path) -> Result<File> {
    if let Some(dir) = p.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let f = std::fs::OpenOptions::new().create(true).append(true).open(p);
    f.map_err(|e| Error::os(format!("opening stdout log {}", p.display()), e))
}

/// Passes the first line on unless it is [`STARTED`], says so, then copies the rest.
fn relay(mut from: impl Read, mut to: impl Write, started: impl FnOnce()) {
    let first = first_line(&mut from);
    if first.strip_suffix(b"\n") != Some(STARTED.as_bytes()) {
        let _ = to.write_all(&first).and_then(|()| to.flush());
    }
    started();
    let mut buf = [0u8; 8192];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).and_then(|()| to.flush()).is_err() {
            break;
        }
    }
}

/// Bytes up to and with the first newline (or to the end), read one at a time.
fn first_line(from: &mut impl Read) -> Vec<u8> {
    let mut line = Vec::new();
    let mut b = [0u8];
    while line.len() < 4096 && from.read(&mut b).is_ok_and(|n| n == 1) {
        line.push(b[0]);
        if b[0] == b'\n' {
            break;
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_started_line_is_heard_and_dropped_and_the_rest_passes_unchanged() {
        let input = format!("{STARTED}\n{{\"elected\":1}}\npartial");
        let (mut out, mut heard) = (Vec::new(), false);
        relay(input.as_bytes(), &mut out, || heard = true);
        assert!(heard);
        assert_eq!(out, b"{\"elected\":1}\npartial");
    }

    #[test]
    fn output_without_the_started_line_is_passed_on_whole() {
        let mut out = Vec::new();
        relay(&b"no marker\nmore"[..], &mut out, || ());
        assert_eq!(out, b"no marker\nmore");
    }
}
