//! `--elector NAME` to an [`Elector`], and which planted bugs each elector has. A new election
//! backend adds one entry to [`ELECTORS`], which carries its constructor.
//!
//! Neighbours: [`super::cli`] calls [`build`]; [`crate::launch`] lists [`ELECTORS`] as targets.

use super::{NodeConfig, NodeError};
use crate::bugs::Bug;
use crate::elector::{Elector, ElectorError};
use crate::own::bully::Bully;
use crate::own::driver::OwnElector;
use crate::own::durable::DurableFile;
use crate::own::net::PeerNet;
use crate::own::paxos::Paxos;
use crate::own::raft::Raft;
use crate::own::ring::Ring;
use crate::own::{Machine, MachineConfig};
use std::time::Instant;

/// One election strategy a node can run.
#[derive(Debug, Clone, Copy)]
pub struct ElectorInfo {
    /// The name given to `--elector`.
    pub name: &'static str,
    /// One line saying what it is.
    pub doc: &'static str,
    /// The planted bugs it accepts.
    pub bugs: &'static [Bug],
    /// Builds it for a node whose options [`build`] has checked.
    make: MakeFn,
}

/// How an own elector is built: (the node's options, now).
type MakeFn = fn(&NodeConfig, Instant) -> Result<Box<dyn Elector>, NodeError>;

/// The electors of this crate.
pub const ELECTORS: &[ElectorInfo] = &[
    ElectorInfo {
        name: "raft",
        doc: "Raft's leader election: terms, persisted votes, majority quorum; token = term",
        bugs: &Bug::RAFT,
        make: |cfg, now| {
            own(cfg, "raft.json", |mc, state| Raft::new(mc, cfg.bugs.clone(), state, now))
        },
    },
    ElectorInfo {
        name: "bully",
        doc: "the Bully algorithm: highest reachable id wins, no quorum; token = epoch",
        bugs: &[],
        make: |cfg, now| own(cfg, "bully.json", |mc, state| Bully::new(mc, state, now)),
    },
    ElectorInfo {
        name: "ring",
        doc: "Chang-Roberts ring election: highest id on the ring wins, no quorum; token = epoch",
        bugs: &[],
        make: |cfg, now| own(cfg, "ring.json", |mc, state| Ring::new(mc, state, now)),
    },
    ElectorInfo {
        name: "paxos",
        doc: "Paxos phase 1 per ballot: persisted promises, majority quorum, leases; token = round",
        bugs: &Bug::PAXOS,
        make: |cfg, now| {
            own(cfg, "paxos.json", |mc, state| Paxos::new(mc, cfg.bugs.clone(), state, now))
        },
    },
];

/// The elector named `name`, if there is one.
pub fn info(name: &str) -> Option<&'static ElectorInfo> {
    ELECTORS.iter().find(|e| e.name == name)
}

/// Builds the elector `cfg.elector` (binding its peer socket and loading its durable state),
/// after checking the options it depends on.
pub fn build(cfg: &NodeConfig) -> Result<Box<dyn Elector>, NodeError> {
    if crate::thirdparty::build::is_elector(&cfg.elector) {
        return crate::thirdparty::build::build(&cfg.elector, &cfg.id, &cfg.elector_opts).map_err(
            |e| match e {
                ElectorError::BadConfig(m) => NodeError::BadConfig(m),
                other => NodeError::Elector(other),
            },
        );
    }
    if cfg.elector == "external" {
        return crate::external::build(cfg);
    }
    let info = check(cfg)?;
    (info.make)(cfg, Instant::now())
}

fn unknown(name: &str) -> NodeError {
    let third = crate::thirdparty::catalog::ALL.iter().map(|t| t.name);
    let names: Vec<&str> =
        ELECTORS.iter().map(|e| e.name).chain(third).chain(["external"]).collect();
    NodeError::BadConfig(format!("unknown elector {name:?}: use one of {}", names.join(", ")))
}

fn check(cfg: &NodeConfig) -> Result<&'static ElectorInfo, NodeError> {
    let info = info(&cfg.elector).ok_or_else(|| unknown(&cfg.elector))?;
    if let Some(bug) = cfg.bugs.iter().find(|b| !info.bugs.contains(b)) {
        let has: Vec<&str> = info.bugs.iter().map(|b| b.name()).collect();
        let has = if has.is_empty() { "none".to_string() } else { has.join(", ") };
        return Err(NodeError::BadConfig(format!(
            "the {} elector has no bug {bug:?} (its bugs: {has})",
            cfg.elector
        )));
    }
    if !cfg.peers.iter().any(|(n, _)| *n == cfg.id) {
        return Err(NodeError::BadConfig(format!("--peers must name this node ({})", cfg.id)));
    }
    Ok(info)
}

/// An own elector: the machine `make` builds from the durable state in `file`, over UDP.
fn own<M: Machine>(
    cfg: &NodeConfig,
    file: &str,
    make: impl FnOnce(MachineConfig, Option<M::Durable>) -> M,
) -> Result<Box<dyn Elector>, NodeError> {
    let io = |what: String| move |e| NodeError::Elector(ElectorError::io(what, e));
    let durable = DurableFile::new(&cfg.data_dir, file)
        .map_err(io(format!("create data directory {}", cfg.data_dir.display())))?;
    let state = durable.load().map_err(io(format!("load {}", durable.path().display())))?;
    let net = PeerNet::bind(&cfg.id, cfg.listen, &cfg.peers)
        .map_err(io(format!("bind UDP {} for peers", cfg.listen)))?;
    let nodes = cfg.peers.iter().map(|(n, _)| n.clone()).collect();
    let mc = MachineConfig { me: cfg.id.clone(), nodes, timing: cfg.timing, seed: cfg.seed };
    Ok(Box::new(OwnElector::new(make(mc, state), net, durable)))
}
