//! The clients: a generator of register operations and the workers that send them to nodes,
//! recording each invocation before it is sent and its completion after it arrives.
//!
//! Neighbours: operations and their outcomes are the node protocol's
//! (`splitbrain_targets::client`, whose [`completion`] maps an outcome onto a history record);
//! records go through [`super::recorder::Recorder`]; [`super::finale`] reuses [`Session`] for
//! the final `status` and `read` of every node.
//!
//! Design (Jepsen's client model):
//! - A worker is one thread with one outstanding operation, under a process number. When an
//!   operation's outcome is unknown (`info`: a timeout, a connection lost after sending), that
//!   process is finished for good and the worker carries on under a fresh number.
//! - Each worker starts at its home node (worker i → node i mod n) and follows a `not-leader`
//!   answer's hint to the leader it names; after a timeout or a refused connection it goes
//!   back home (or to the next node). A `stale-token` answer sends it home too: that node
//!   leads in its own mind, but the resource has seen a newer leader's token, so a client that
//!   stayed (every worker that had followed the hints to it, its writes all refused) would
//!   never meet the successor, and a deposed leader's stale read would have nothing newer to
//!   contradict. Which node each operation went to is in its `node` field.
//! - Written values are unique (worker w's k-th write is `k·W + w + 1`), which keeps the
//!   linearizability search small and makes every read point at exactly one write.
//! - The pace is a mean rate over all workers, with exponential gaps drawn from the seed.

use super::recorder::Recorder;
use super::seed;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use splitbrain_checkers::Type;
use splitbrain_results::Event;
use splitbrain_targets::client::{completion, Client, ClientError, Reply};
use splitbrain_targets::lines::Timeouts;
use splitbrain_targets::protocol::{ErrorCode, Request};
use splitbrain_targets::stop::Stop;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What the workers do.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The nodes that serve clients.
    pub nodes: Vec<(String, SocketAddr)>,
    /// Number of workers.
    pub concurrency: usize,
    /// Mean operations per second over all workers (0: as fast as they go).
    pub rate: f64,
    /// Share of reads among operations.
    pub read_share: f64,
    /// Bounds of each request.
    pub timeouts: Timeouts,
    /// The run's seed.
    pub seed: u64,
}

/// Runs the workers until `until` or until `stop` is raised; returns when every worker has
/// finished its operation in flight (at most one request timeout later).
pub fn run(w: &Workload, recorder: &Recorder, until: Instant, stop: &Stop) {
    if w.nodes.is_empty() || w.concurrency == 0 {
        return;
    }
    std::thread::scope(|s| {
        for i in 0..w.concurrency {
            let worker = Worker::new(w, i, recorder);
            let spawned = std::thread::Builder::new()
                .name(format!("client-{i}"))
                .spawn_scoped(s, move || worker.run(until, stop));
            if spawned.is_err() {
                break; // fewer workers; the run goes on with those that started
            }
        }
    });
}

/// One client process at a time talking to any node, with its connections.
pub struct Session<'a> {
    recorder: &'a Recorder,
    /// The current process number.
    pub process: i64,
    timeouts: Timeouts,
    conns: HashMap<String, Client>,
}

impl<'a> Session<'a> {
    /// A session under process number `process`.
    pub fn new(recorder: &'a Recorder, process: i64, timeouts: Timeouts) -> Session<'a> {
        Session { recorder, process, timeouts, conns: HashMap::new() }
    }

    /// Invokes `req` on `node`, recording before and after; an `info` outcome moves the session
    /// to a fresh process number. Returns the outcome.
    pub fn call(
        &mut self,
        node: &str,
        addr: SocketAddr,
        req: &Request,
    ) -> Result<Reply, ClientError> {
        let f = req.f();
        self.recorder.record(Event::invoke(self.process, f, req.invoked_value()).node(node));
        let timeouts = self.timeouts;
        let client =
            self.conns.entry(node.to_string()).or_insert_with(|| Client::new(addr, timeouts));
        let outcome = client.request(req);
        let c = completion(req, &outcome);
        let mut event = Event::complete(self.process, c.kind, f, c.value).node(node);
        if let Some(e) = c.error {
            event = event.error(e);
        }
        self.recorder.record(event);
        if c.kind == Type::Info {
            self.process = self.recorder.new_process();
        }
        outcome
    }
}

struct Worker<'a> {
    w: &'a Workload,
    index: usize,
    session: Session<'a>,
    rng: ChaCha8Rng,
    target: usize,
    writes: u64,
}

impl<'a> Worker<'a> {
    fn new(w: &'a Workload, index: usize, recorder: &'a Recorder) -> Worker<'a> {
        Worker {
            w,
            index,
            session: Session::new(recorder, index as i64, w.timeouts),
            rng: seed::stream(w.seed, "clients", index as u64),
            target: index % w.nodes.len(),
            writes: 0,
        }
    }

    fn run(mut self, until: Instant, stop: &Stop) {
        let mut next = Instant::now();
        loop {
            next += self.gap();
            if stop.sleep_until(next.min(until)) || Instant::now() >= until {
                return;
            }
            let req = self.next_request();
            let (node, addr) = self.w.nodes[self.target].clone();
            let outcome = self.session.call(&node, addr, &req);
            self.follow(&outcome);
            next = next.max(Instant::now() - Duration::from_millis(100));
        }
    }

    /// The wait before the next operation: exponential around the per-worker mean.
    fn gap(&mut self) -> Duration {
        if self.w.rate <= 0.0 {
            return Duration::ZERO;
        }
        let mean = self.w.concurrency as f64 / self.w.rate;
        let u: f64 = self.rng.gen_range(f64::EPSILON..1.0);
        Duration::from_secs_f64((-u.ln() * mean).min(mean * 10.0))
    }

    fn next_request(&mut self) -> Request {
        if self.rng.gen_bool(self.w.read_share.clamp(0.0, 1.0)) {
            return Request::Read;
        }
        self.writes += 1;
        let value = self.writes * self.w.concurrency as u64 + self.index as u64 + 1;
        Request::Write { value: json!(value) }
    }

    /// Where the next operation goes, after this outcome.
    fn follow(&mut self, outcome: &Result<Reply, ClientError>) {
        let home = self.index % self.w.nodes.len();
        match outcome {
            Ok(r) if r.error() == Some(ErrorCode::NotLeader.as_str()) => {
                let hint = r.leader_name();
                self.target = match self.w.nodes.iter().position(|(n, _)| Some(n.as_str()) == hint)
                {
                    Some(i) => i,
                    None => (self.target + 1) % self.w.nodes.len(),
                };
            }
            Ok(r) if r.error() == Some(ErrorCode::StaleToken.as_str()) => self.target = home,
            Ok(_) => {}
            Err(ClientError::Connect(_)) if self.target == home => {
                self.target = (self.target + 1) % self.w.nodes.len();
            }
            Err(_) => self.target = home,
        }
    }
}
