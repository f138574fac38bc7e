//! The node core: everything of `splitbrain-node` that is not the election. It serves the
//! client protocol, does the leader's own work, talks to the fenced resource, and (through the
//! [`Seat`]) reports `elected`/`stepdown` on stdout.
//!
//! - [`cli`]: the command line and the process's main.
//! - [`server`]: the client protocol.
//! - [`work`]: the leader's periodic writes.
//! - [`electors`]: `--elector NAME` to an [`Elector`].
//!
//! Threads: [`Node::run`] starts the elector's thread, the work thread and one thread per client
//! connection in one scope, and serves on the caller's thread; all have ended when it returns,
//! at most ~200 ms after [`Stop`] is raised (plus the elector's own resign bound).

pub mod cli;
pub mod electors;
pub mod server;
pub mod work;

use crate::bugs::{Bug, Bugs};
use crate::elector::{Elector, ElectorError};
use crate::lines::Timeouts;
use crate::own::ElectionTiming;
use crate::seat::{Reporter, Seat, Tenure, Token};
use crate::stop::Stop;
use serde_json::Value;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Everything a node is started with (the parsed command line).
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// This node's name (`n1`).
    pub id: String,
    /// Where it serves clients (TCP) and, for the own electors, peers (UDP).
    pub listen: SocketAddr,
    /// Every node's name and address, this one included.
    pub peers: Vec<(String, SocketAddr)>,
    /// The election strategy (`raft`, `paxos`, `bully`, `ring`, …).
    pub elector: String,
    /// A third-party elector's options (`--elector-opt KEY=VALUE`), see [`crate::thirdparty::build`].
    pub elector_opts: Vec<(String, String)>,
    /// Where the elector keeps its durable state.
    pub data_dir: PathBuf,
    /// The fenced resource's address.
    pub resource: SocketAddr,
    /// The planted bugs switched on.
    pub bugs: Bugs,
    /// Election timing of the own electors.
    pub timing: ElectionTiming,
    /// The leader's work interval; zero switches leader work off.
    pub work_interval: Duration,
    /// Bounds of each request to the resource.
    pub resource_timeouts: Timeouts,
    /// The longest a read waits for the elector to confirm leadership.
    pub confirm_timeout: Duration,
    /// The seed of every random choice of this node.
    pub seed: u64,
}

impl NodeConfig {
    /// A configuration with the default timing, for node `id` of `peers`.
    pub fn new(id: &str, peers: Vec<(String, SocketAddr)>, resource: SocketAddr) -> NodeConfig {
        let listen = peers.iter().find(|(n, _)| n == id).map(|(_, a)| *a);
        NodeConfig {
            id: id.to_string(),
            listen: listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            peers,
            elector: "raft".into(),
            elector_opts: Vec::new(),
            data_dir: PathBuf::from(format!("data-{id}")),
            resource,
            bugs: Bugs::none(),
            timing: ElectionTiming::default(),
            work_interval: Duration::from_millis(100),
            resource_timeouts: Timeouts::ms(250, 500),
            confirm_timeout: Duration::from_millis(300),
            seed: 0,
        }
    }
}

/// Why a node could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The options cannot work.
    #[error("{0}")]
    BadConfig(String),
    /// The client port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The elector failed.
    #[error("elector: {0}")]
    Elector(#[from] ElectorError),
}

/// A node ready to run: its configuration, elector, seat and bound client port.
pub struct Node {
    cfg: NodeConfig,
    elector: Box<dyn Elector>,
    seat: Seat,
    listener: TcpListener,
    copy: Mutex<Option<(u64, Value)>>,
    /// Held across a register operation and the copy it leaves, where reads are answered
    /// from the copy under a lease.
    order: Mutex<()>,
}

impl Node {
    /// Binds the client port of `cfg.listen` for `elector`, reporting through `reporter`.
    pub fn bind(
        cfg: NodeConfig,
        elector: Box<dyn Elector>,
        reporter: Reporter,
    ) -> Result<Node, NodeError> {
        let listen = |source| NodeError::Listen { addr: cfg.listen, source };
        let listener = TcpListener::bind(cfg.listen).map_err(listen)?;
        listener.set_nonblocking(true).map_err(listen)?;
        let seat = Seat::new(&cfg.id, reporter);
        let (copy, order) = (Mutex::new(None), Mutex::new(()));
        Ok(Node { cfg, elector, seat, listener, copy, order })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.cfg.listen)
    }

    /// The node's seat (what it believes).
    pub fn seat(&self) -> &Seat {
        &self.seat
    }

    /// Runs until `stop` is raised (or the elector fails, which raises it), then reports the
    /// end of any tenure with reason `"shutdown"`.
    pub fn run(&self, stop: &Stop) -> Result<(), NodeError> {
        std::thread::scope(|s| {
            let elector = s.spawn(|| {
                let result = self.elector.run(&self.seat, stop);
                self.seat.step_down("shutdown");
                stop.stop();
                result
            });
            s.spawn(|| work::run(self, stop));
            server::serve(self, stop, s);
            elector.join().unwrap_or_else(|_| Err(ElectorError::Service("elector panicked".into())))
        })?;
        Ok(())
    }

    /// The token this node's writes and reads carry under `tenure` (none with `no-fencing`).
    fn token_for(&self, tenure: &Tenure) -> Option<Token> {
        if self.cfg.bugs.has(Bug::NoFencing) {
            None
        } else {
            tenure.token
        }
    }

    /// Before a write: confirms leadership under `tenure` if the elector asks for it
    /// ([`Elector::confirms_writes`]); `Ok` at once otherwise.
    fn confirm_write(&self, tenure: &Tenure) -> Result<(), crate::elector::Unconfirmed> {
        if !self.elector.confirms_writes() {
            return Ok(());
        }
        let deadline = std::time::Instant::now() + self.cfg.confirm_timeout;
        self.elector.confirm(tenure.token, deadline)
    }

    /// The leader's own copy of the register, valid only for the tenure that made it.
    fn copy_of(&self, tenure: &Tenure) -> Option<Value> {
        let copy = self.copy.lock().unwrap_or_else(PoisonError::into_inner);
        copy.as_ref().filter(|(n, _)| *n == tenure.number).map(|(_, v)| v.clone())
    }

    /// With `lease-read`, one register operation at a time, so the copy each leaves is the
    /// resource's latest: concurrent ones could leave their copies in another order than the
    /// resource took them (a read's older value over a later write's), and a lease read would
    /// serve it. A Raft log applies one entry at a time for the same reason.
    fn in_order(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        let ordered = self.cfg.bugs.has(Bug::LeaseRead);
        ordered.then(|| self.order.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn keep_copy(&self, tenure: &Tenure, value: &Value) {
        let mut copy = self.copy.lock().unwrap_or_else(PoisonError::into_inner);
        *copy = Some((tenure.number, value.clone()));
    }
}
