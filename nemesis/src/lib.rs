//! splitbrain's nemesis: the sandbox a test runs in, the node network inside it, processes on
//! nodes, and every fault done to them.
//!
//! ```no_run
//! use splitbrain_nemesis::{partition::{self, Shape}, Net, ProcSpec, Sandbox};
//! use rand::SeedableRng;
//! # fn main() -> Result<(), splitbrain_nemesis::Error> {
//! let sandbox = Sandbox::enter()?;            // first thing in main: before any thread
//! let net = Net::up(&sandbox, 5)?;            // n1…n5, 10.99.0.1…5, controller 10.99.0.254
//! let redis = net.spawn("n1", ProcSpec::new("redis-server").args(["--port", "6379"]).clock_shim())?;
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
//! let ev = partition::start(&net, &Shape::Halves, &mut rng)?; // log ev.f, ev.value
//! let evs = splitbrain_nemesis::heal::all(&net)?;             // idempotent
//! # drop((redis, ev, evs)); Ok(()) }
//! ```
//!
//! For the controller of `splitbrain test` (constraints that the types can't enforce):
//! - Call [`Sandbox::enter`] first in `main`, before any thread and before printing. The
//!   process that was started never returns from it: it waits and exits with the controller's
//!   status. Everything the sandbox holds (processes, namespaces, rules, files under
//!   `/run/splitbrain`) ends with the controller, however it ends; SIGTERM and SIGINT sent to
//!   the outer process with `kill` are forwarded to the controller.
//! - [`Net`] is `Send + Sync`: share `&Net` with client and nemesis threads (`thread::scope`)
//!   or put it in an `Arc`. One `Net` at a time per sandbox; drop it before building another.
//! - Keep every [`Proc`]: dropping one kills its process. Faults act on all processes of a node.
//! - Every fault returns an [`Event`]; write it as `{"process": "nemesis", "type": "info",
//!   "f": event.f, "value": event.value}`. At the end call [`heal::all`] and log its events.
//! - Clock faults reach only processes started with [`ProcSpec::clock_shim`]; Go programs
//!   (etcd) can't be reached: mark them [`ProcSpec::go`] and clock faults on their nodes fail
//!   with [`Error::ClockUnreachable`] instead of silently doing nothing.
//! - Clients that must live on a node (so partitions apply to them) open their sockets inside
//!   [`Net::run_in`]; sockets opened by the controller itself are never partitioned.
//! - Errors: [`Error::is_bad_input`] tells 254 from 255.
//!
//! Modules, one role each: [`sandbox`] (namespaces, PID 1), [`net`] (bridge, node namespaces,
//! hosts), [`proc`] (processes on nodes), the faults [`partition`], [`loss`], [`link`] (delay,
//! reordering, duplication, bandwidth), [`pause`], [`crash`], [`clock`], the undo-everything
//! [`heal`], [`probe`] (what the network really does), and [`wait`] (the one bounded poll on
//! descriptors). [`remote`] and [`agent`] put the nodes on real hosts over SSH instead
//! ([`Net::over_ssh`]), behind the same `Net`. Every fault returns an [`Event`] for the history.

pub mod agent;
mod bridge;
pub mod clock;
pub mod crash;
mod error;
pub mod event;
mod firewall;
pub mod heal;
mod host_delay;
mod hosts_net;
mod install;
pub mod link;
pub mod loss;
mod mux;
pub mod net;
pub mod netem;
mod nft;
mod node_clock;
mod packet;
pub mod partition;
pub mod pause;
mod place;
pub mod probe;
pub mod proc;
pub mod remote;
pub mod sandbox;
mod session;
pub mod shaper;
mod spare;
mod switch;
mod sys;
pub mod tools;
mod userns;
pub mod wait;

pub use error::{Error, Result};
pub use event::Event;
pub use hosts_net::NETEM_PROBE;
pub use net::{Net, Node};
pub use proc::{Output, Proc, ProcSpec};
pub use sandbox::Sandbox;
