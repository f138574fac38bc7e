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
//! Modules, one role each: [`sandbox`] (namespaces, PID 1), [`net`] (bridge, node namespaces,
//! hosts), [`proc`] (processes on nodes), the faults [`partition`], [`loss`], [`pause`],
//! [`crash`], [`clock`], the undo-everything [`heal`], and [`probe`] (what the network really
//! does). Every fault returns an [`Event`] for the history.

pub mod clock;
pub mod crash;
mod error;
pub mod event;
mod firewall;
pub mod heal;
pub mod loss;
pub mod net;
mod nft;
pub mod partition;
pub mod pause;
pub mod probe;
pub mod proc;
pub mod sandbox;
mod sys;
pub mod tools;

pub use error::{Error, Result};
pub use event::Event;
pub use net::{Net, Node};
pub use proc::{Output, Proc, ProcSpec};
pub use sandbox::Sandbox;
