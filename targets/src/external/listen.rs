//! The candidate's stdout, line by line, onto the seat: `elected`, `stepdown` and `follower`
//! change what the node believes, `confirm_ok`/`confirm_fail` answer a waiting confirmation,
//! anything else is logged (the first 20 lines of each life, then at each power of two,
//! with the count) and skipped.
//!
//! Neighbours: [`super::host::Host`] runs [`Listener::run`] on a thread of its own for each
//! life of the candidate and calls [`Listener::finish`] once the candidate has ended.
//!
//! Design: the pipe is polled in [`POLL_SLICE`]s so the thread sees `finish`; after it, what
//! the pipe still holds is read for at most 500 ms (a candidate's own child may hold the
//! pipe open for ever). A line longer than [`wire::MAX_LINE`] is skipped whole, so a flood
//! costs the host a read buffer, never memory without bound.

use super::wire::{self, Reply, Said};
use crate::seat::Seat;
use std::io::Read;
use std::os::fd::AsFd;
use std::process::ChildStdout;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the reader and the host look up whether they should end.
pub const POLL_SLICE: Duration = Duration::from_millis(10);
/// The longest the pipe is read once the candidate has ended.
const DRAIN: Duration = Duration::from_millis(500);
/// Ignored lines logged in full per life of the candidate; after them, the 32nd, 64th, ….
const LOGGED: u64 = 20;

/// Reads one life's stdout. See the module docs.
pub struct Listener<'a, F> {
    me: &'a str,
    seat: &'a Seat,
    answered: F,
    done: AtomicBool,
    ignored: AtomicU64,
}

impl<'a, F: Fn(u64, Reply) + Sync> Listener<'a, F> {
    /// A reader for node `me` that reports on `seat` and passes answers to `answered`.
    pub fn new(me: &'a str, seat: &'a Seat, answered: F) -> Listener<'a, F> {
        Listener { me, seat, answered, done: AtomicBool::new(false), ignored: AtomicU64::new(0) }
    }

    /// The candidate has ended: read what is left (bounded), then return from [`Listener::run`].
    pub fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
    }

    /// Reads `stdout` until end of file, or until drained after [`Listener::finish`].
    pub fn run(&self, mut stdout: ChildStdout) {
        let mut line: Vec<u8> = Vec::new();
        let mut skipping = false;
        let mut buf = [0u8; 8192];
        let mut drain_until: Option<Instant> = None;
        loop {
            if self.done.load(Ordering::SeqCst) && drain_until.is_none() {
                drain_until = Some(Instant::now() + DRAIN);
            }
            if drain_until.is_some_and(|t| Instant::now() >= t) {
                break;
            }
            match readable(&stdout) {
                Some(true) => {}
                Some(false) if drain_until.is_some() => break,
                Some(false) => continue,
                None => break,
            }
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for &b in &buf[..n] {
                match b {
                    b'\n' if skipping => skipping = false,
                    b'\n' => self.line(&std::mem::take(&mut line)),
                    _ if skipping => {}
                    _ if line.len() >= wire::MAX_LINE => {
                        self.skipped(&format!("a line longer than {} bytes", wire::MAX_LINE));
                        (line, skipping) = (Vec::new(), true);
                    }
                    _ => line.push(b),
                }
            }
        }
        if !line.is_empty() && !skipping {
            self.line(&line);
        }
    }

    fn line(&self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        match wire::parse(text) {
            Said::Elected(token) => self.seat.elected(token, None),
            Said::Stepdown { reason, .. } => self.seat.step_down(&reason),
            Said::Follower(leader) => self.seat.observe(leader.as_deref(), None),
            Said::Confirmed { id, ok } => (self.answered)(id, Reply::Confirmed(ok)),
            Said::Register { id, answer } => (self.answered)(id, Reply::Register(answer)),
            Said::Ignored(why) => self.skipped(&format!("{why}: {}", clip(text))),
        }
    }

    fn skipped(&self, what: &str) {
        let n = self.ignored.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= LOGGED || n.is_power_of_two() {
            eprintln!("{}: candidate line ignored (#{n}): {what}", self.me);
        }
    }
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Whether `fd` has data (or end of file) within one slice; `None` on a poll error.
fn readable(fd: &impl AsFd) -> Option<bool> {
    splitbrain_nemesis::wait::readable(fd, Instant::now() + POLL_SLICE).ok()
}
