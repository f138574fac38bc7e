//! The one bounded wait on file descriptors that the project uses: `poll(2)` until a deadline.
//!
//! Neighbours: `nft.rs` (an `nft -i` answer), `probe.rs` (many connects at once), `sandbox.rs`
//! (has the outer process died?), and the harness's node-report reader.
//!
//! Design: a signal that interrupts the poll counts as "nothing ready yet", so callers just loop
//! until their own deadline; each call waits at most `CAP`, so a caller also gets a chance to
//! notice a stop flag.

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

/// The longest one call waits, whatever the deadline.
const CAP: Duration = Duration::from_secs(1);

/// Waits until some of `fds` have one of `events` (or hang-up or error), or until `deadline`
/// (at most a second); returns which are ready. A deadline in the past polls once.
pub fn ready(
    fds: &[BorrowedFd<'_>],
    events: PollFlags,
    deadline: Instant,
) -> std::io::Result<Vec<bool>> {
    let mut polls: Vec<PollFd<'_>> = fds.iter().map(|fd| PollFd::new(*fd, events)).collect();
    let left = deadline.saturating_duration_since(Instant::now()).min(CAP);
    let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
    match nix::poll::poll(&mut polls, timeout) {
        Ok(_) | Err(Errno::EINTR) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(polls.iter().map(|p| p.revents().is_some_and(|r| !r.is_empty())).collect())
}

/// Whether `fd` has input (or end of file, or an error to read) before `deadline`.
pub fn readable(fd: &impl AsFd, deadline: Instant) -> std::io::Result<bool> {
    Ok(ready(&[fd.as_fd()], PollFlags::POLLIN, deadline)?[0])
}

/// Whether `fd` has input (or end of file) right now, without waiting.
pub fn readable_now(fd: &impl AsFd) -> std::io::Result<bool> {
    readable(fd, Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_empty_pipe_is_not_readable_and_the_wait_ends_at_the_deadline() {
        let (read, _write) = nix::unistd::pipe().unwrap();
        let started = Instant::now();
        assert!(!readable(&read, started + Duration::from_millis(50)).unwrap());
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(45) && waited < Duration::from_millis(900));
    }

    #[test]
    fn a_pipe_with_data_or_a_closed_writer_is_readable_at_once() {
        let (read, write) = nix::unistd::pipe().unwrap();
        std::fs::File::from(write).write_all(b"x").unwrap();
        assert!(readable_now(&read).unwrap());
        let (read, write) = nix::unistd::pipe().unwrap();
        drop(write);
        assert!(readable(&read, Instant::now() + Duration::from_secs(5)).unwrap());
    }

    #[test]
    fn a_far_deadline_waits_at_most_the_cap() {
        let (read, _write) = nix::unistd::pipe().unwrap();
        let started = Instant::now();
        assert!(!readable(&read, started + Duration::from_secs(3600)).unwrap());
        assert!(started.elapsed() < CAP + Duration::from_millis(500));
    }
}
