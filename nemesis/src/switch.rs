//! The link switch: a thread of the controller that carries the frames of faulted links from
//! one bridge port to another itself, late, out of order, twice or slowly, as each link's
//! [`Shaper`] says.
//!
//! Neighbours: `link.rs` starts it after opening its [`PacketSocket`]s and before the bridge
//! rules that stop the kernel's bridge from also forwarding those frames; `shaper.rs` decides
//! each frame's fate.
//!
//! Design: every port's MAC address is fixed (`02:99:00:00:00:NN`, see `net.rs`), so a frame's
//! output port is read off its destination address, with no learning; a broadcast or multicast
//! frame goes to every faulted link out of its input port (the bridge forwards it on the
//! others). One thread polls every listening socket and sleeps until the next frame is due
//! (`ppoll`, nanosecond timeout), so a frame leaves within the scheduler's wake-up latency of
//! its time. Stopping drains: frames already taken off the wire still leave at their time
//! (a link's fault ends for new frames, not by losing the ones on the wire).

use crate::packet::PacketSocket;
use crate::shaper::Shaper;
use nix::poll::{PollFd, PollFlags};
use nix::sys::time::TimeSpec;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest one poll sleeps: how soon a stop is seen without a wake-up.
const TICK: Duration = Duration::from_millis(20);
/// Room for the longest frame (offloads are off, so frames fit the MTU; this is ample).
const FRAME: usize = 65_536;

/// A frame waiting for its time.
struct Pending {
    due: Instant,
    seq: u64,
    port: usize,
    frame: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(o.due, o.seq))
    }
}

/// What the switch counted, for the benchmark and the log.
#[derive(Debug, Default)]
pub struct Counts {
    /// Frames taken off a faulted link.
    pub taken: AtomicU64,
    /// Copies sent out (more than taken when duplicating).
    pub sent: AtomicU64,
    /// Frames dropped (a full cap, a refused send).
    pub dropped: AtomicU64,
}

impl Counts {
    /// (taken, sent, dropped).
    pub fn read(&self) -> [u64; 3] {
        [&self.taken, &self.sent, &self.dropped].map(|c| c.load(Ordering::Relaxed))
    }
}

/// The switch's ports and links.
pub(crate) struct Plan {
    /// Every port's socket, by port number (`None`: not on any faulted link).
    pub sockets: Vec<Option<PacketSocket>>,
    /// Every port's MAC address, by port number.
    pub macs: Vec<[u8; 6]>,
    /// The faulted directed links (input port, output port) and their shapers.
    pub links: HashMap<(usize, usize), Shaper>,
}

/// A running switch; dropping it stops taking frames, lets the taken ones leave, and joins.
pub(crate) struct Switch {
    stop: Arc<AtomicBool>,
    wake: OwnedFd,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
}

impl Switch {
    /// Starts the switch's thread on `plan`.
    pub fn start(plan: Plan) -> std::io::Result<Switch> {
        let (wake_read, wake) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        let mut run = Run { plan, wake: wake_read, stop: stop.clone(), counts: counts.clone() };
        let thread =
            std::thread::Builder::new().name("link-switch".into()).spawn(move || run.serve())?;
        Ok(Switch { stop, wake, thread: Some(thread), counts })
    }

    /// Its counters.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Stops taking frames at once; the ones taken still leave at their time.
    pub fn finish(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = nix::unistd::write(&self.wake, &[1]);
    }

    /// True once it has stopped and sent everything it took.
    pub fn done(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.finish();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thread's state.
struct Run {
    plan: Plan,
    wake: OwnedFd,
    stop: Arc<AtomicBool>,
    counts: Arc<Counts>,
}

impl Run {
    fn serve(&mut self) {
        let mut queue = BinaryHeap::new();
        let mut buf = vec![0u8; FRAME];
        let mut seq = 0u64;
        loop {
            let stopping = self.stop.load(Ordering::SeqCst);
            if stopping && queue.is_empty() {
                return;
            }
            let next = queue.peek().map(|Reverse(p): &Reverse<Pending>| p.due);
            let ready = self.wait(next, stopping);
            for port in ready {
                self.take(port, &mut buf, &mut queue, &mut seq);
            }
            self.send_due(&mut queue);
        }
    }

    /// Sleeps until a frame arrives or the next one is due; returns the ports with input
    /// (none once stopping).
    fn wait(&self, next: Option<Instant>, stopping: bool) -> Vec<usize> {
        let left = next.map_or(TICK, |d| d.saturating_duration_since(Instant::now()).min(TICK));
        let ports: Vec<usize> = match stopping {
            true => Vec::new(),
            false => (0..self.plan.sockets.len()).filter(|p| self.listens(*p)).collect(),
        };
        let mut fds: Vec<PollFd<'_>> = ports
            .iter()
            .filter_map(|p| self.plan.sockets[*p].as_ref())
            .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
            .collect();
        if !stopping {
            fds.push(PollFd::new(self.wake.as_fd(), PollFlags::POLLIN));
        }
        let _ = nix::poll::ppoll(&mut fds, Some(TimeSpec::from_duration(left)), None);
        let has_input = |f: &PollFd<'_>| f.revents().is_some_and(|r| r.contains(PollFlags::POLLIN));
        ports.into_iter().zip(&fds).filter(|(_, f)| has_input(f)).map(|(p, _)| p).collect()
    }

    /// True when port `p` is the input of some faulted link.
    fn listens(&self, p: usize) -> bool {
        self.plan.links.keys().any(|(from, _)| *from == p)
    }

    /// Takes every frame waiting on `port` and queues its copies on its faulted links.
    fn take(
        &mut self,
        port: usize,
        buf: &mut [u8],
        queue: &mut BinaryHeap<Reverse<Pending>>,
        seq: &mut u64,
    ) {
        let Some(sock) = self.plan.sockets[port].as_ref() else { return };
        while let Some(n) = sock.recv(buf) {
            let frame = &buf[..n];
            let now = Instant::now();
            for out in outputs(&self.plan.macs, port, frame) {
                let Some(shaper) = self.plan.links.get_mut(&(port, out)) else { continue };
                self.counts.taken.fetch_add(1, Ordering::Relaxed);
                let dues = shaper.schedule(now, n);
                if dues.is_empty() {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                }
                for due in dues {
                    *seq += 1;
                    queue.push(Reverse(Pending {
                        due,
                        seq: *seq,
                        port: out,
                        frame: frame.to_vec(),
                    }));
                }
            }
        }
    }

    /// Sends every frame whose time has come.
    fn send_due(&self, queue: &mut BinaryHeap<Reverse<Pending>>) {
        let now = Instant::now();
        while queue.peek().is_some_and(|Reverse(p)| p.due <= now) {
            let Some(Reverse(p)) = queue.pop() else { break };
            let sent = self.plan.sockets[p.port].as_ref().is_some_and(|s| s.send(&p.frame));
            let counter = if sent { &self.counts.sent } else { &self.counts.dropped };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The ports a frame from `input` goes out of: the one owning its destination address, or
/// every other port for a broadcast, multicast or unknown address.
fn outputs(macs: &[[u8; 6]], input: usize, frame: &[u8]) -> Vec<usize> {
    let Some(dst) = frame.get(..6) else { return Vec::new() };
    match macs.iter().position(|m| m == dst) {
        Some(p) if p != input => vec![p],
        Some(_) => Vec::new(),
        None => (0..macs.len()).filter(|p| *p != input).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::outputs;

    #[test]
    fn a_frame_goes_to_the_port_of_its_destination_and_a_broadcast_to_every_other_port() {
        let macs = [[2, 0x99, 0, 0, 0, 1], [2, 0x99, 0, 0, 0, 2], [2, 0x99, 0, 0, 0, 0xfe]];
        let to = |dst: [u8; 6]| [&dst[..], &[0u8; 8]].concat();
        assert_eq!(outputs(&macs, 0, &to(macs[2])), [2]);
        assert_eq!(outputs(&macs, 1, &to([0xff; 6])), [0, 2]);
        assert!(outputs(&macs, 0, &to(macs[0])).is_empty(), "never back out of its input");
        assert!(outputs(&macs, 0, &[1, 2]).is_empty(), "a runt goes nowhere");
    }
}
