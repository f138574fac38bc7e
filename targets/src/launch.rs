//! What the controller needs to start a target on its nodes, as plain data: for each node the
//! server processes (none for the own electors; etcd or Redis members for third-party ones)
//! and the candidate process (the node program with its arguments), plus whether a target can
//! run here and which planted bugs it has.
//!
//! Neighbours: the controller (`harness`) picks a [`Target`] with [`find`], asks
//! [`Target::available`], gets the [`NodePlan`]s from [`Target::plan`] and starts each
//! [`ProcessSpec`] through the nemesis sandbox on its node; [`crate::node::electors`] lists
//! the own electors this module turns into targets.
//!
//! Design: a plan is data, not a `Command`, because the sandbox starts processes inside node
//! namespaces and loads the clock shim itself; the same plan runs on loopback in tests (give
//! each node a `127.x.y.z` address). A restart after a kill uses the same spec: the data
//! directory is kept, so the node resumes from its durable state. The node program is part of
//! the [`Cluster`] the caller describes, not looked up here: the controller is its own node
//! (`splitbrain node …`, [`NodeProgram::this_executable`]), while this crate's tests run the
//! `splitbrain-node` binary cargo builds for them ([`NodeProgram::binary`]).

use crate::bugs::Bug;
use crate::node::electors::{ElectorInfo, ELECTORS};
pub use crate::process::ProcessSpec;
use crate::thirdparty::catalog::{self, ClockAim};
pub use crate::thirdparty::layout::{LayoutOptions, Placement};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The client port every node uses unless told otherwise (each node has its own address).
pub const DEFAULT_PORT: u16 = 7000;

/// A node of the sandbox: its name and its own address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddr {
    /// `n1`, `n2`, …
    pub name: String,
    /// The node's address (its namespace's, or a loopback address in tests).
    pub ip: IpAddr,
}

/// The candidates' timing, passed to every node (the defaults are the node's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeTiming {
    /// Election timeout range in ms (default 150–300).
    pub election_ms: (u64, u64),
    /// Heartbeat interval in ms (default 50).
    pub heartbeat_ms: u64,
    /// Leader work interval in ms (default 100; 0 switches leader work off).
    pub work_interval_ms: u64,
    /// Bound of each request to the resource in ms (default 500).
    pub resource_timeout_ms: u64,
    /// Bound of a read's leadership confirmation in ms (default 300).
    pub confirm_timeout_ms: u64,
}

impl Default for NodeTiming {
    fn default() -> NodeTiming {
        NodeTiming {
            election_ms: (150, 300),
            heartbeat_ms: 50,
            work_interval_ms: 100,
            resource_timeout_ms: 500,
            confirm_timeout_ms: 300,
        }
    }
}

impl NodeTiming {
    /// A client request timeout long enough for the node's own definite answers to arrive
    /// first: resource timeout + confirmation timeout + 200 ms.
    pub fn client_request_ms(&self) -> u64 {
        self.resource_timeout_ms + self.confirm_timeout_ms + 200
    }
}

/// Everything a target needs to know about the cluster it runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The nodes, in order.
    pub nodes: Vec<NodeAddr>,
    /// The port of every node's client protocol (and own electors' UDP peer traffic).
    pub port: u16,
    /// Where the controller's fenced resource listens, as the nodes reach it.
    pub resource: SocketAddr,
    /// A folder of this run: each node's data directory is `<data_root>/<node>`.
    pub data_root: PathBuf,
    /// The planted bug to switch on, if any.
    pub bug: Option<Bug>,
    /// The run's seed.
    pub seed: u64,
    /// The candidates' timing.
    pub timing: NodeTiming,
    /// Where third-party candidates run and their lease; must be the default for own targets.
    pub layout: LayoutOptions,
    /// The program every candidate runs.
    pub node_program: NodeProgram,
}

/// The program that runs a candidate, and the arguments that come before the node's own
/// (`--id`, `--listen`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeProgram {
    /// An absolute path.
    pub program: PathBuf,
    /// Arguments before the node's own (`["node"]` for `splitbrain node …`).
    pub args_prefix: Vec<String>,
}

impl NodeProgram {
    /// The running executable's `node` subcommand: the `splitbrain` binary is its own node, so
    /// installing or running it is all a test needs. Its path as `/proc/self/exe` names it, or
    /// that link itself when the file is gone (replaced by a rebuild while it runs).
    pub fn this_executable() -> NodeProgram {
        let named = std::env::current_exe().ok().filter(|p| p.is_file());
        NodeProgram {
            program: named.unwrap_or_else(|| PathBuf::from("/proc/self/exe")),
            args_prefix: vec!["node".into()],
        }
    }

    /// A program that takes the node's arguments directly (the `splitbrain-node` binary).
    pub fn binary(program: impl Into<PathBuf>) -> NodeProgram {
        NodeProgram { program: program.into(), args_prefix: Vec::new() }
    }

    /// The candidate's whole argument list: the prefix, then `node_args`.
    pub(crate) fn args(&self, node_args: Vec<String>) -> Vec<String> {
        self.args_prefix.iter().cloned().chain(node_args).collect()
    }
}

/// What runs on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePlan {
    /// The node.
    pub node: String,
    /// Servers to start first (and wait for), in order.
    pub servers: Vec<ProcessSpec>,
    /// The candidate (the [`NodeProgram`]), if one runs on this node.
    pub candidate: Option<ProcessSpec>,
    /// Where clients send operations for this node.
    pub client_addr: Option<SocketAddr>,
}

/// Why a target cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// No target has this name.
    #[error("unknown target {name:?}: use one of {known}")]
    UnknownTarget {
        /// The name asked for.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// The target has no such bug.
    #[error("--bug {bug}: {}", no_such_bug(target, known))]
    UnknownBug {
        /// The target.
        target: String,
        /// The bug asked for.
        bug: Bug,
        /// Its bugs.
        known: &'static [Bug],
    },
    /// Something it needs is missing here.
    #[error("{0}")]
    NotAvailable(String),
    /// The cluster description cannot work (no nodes, …).
    #[error("{0}")]
    BadCluster(String),
}

fn no_such_bug(target: &str, known: &[Bug]) -> String {
    match known.is_empty() {
        true => format!("target {target} has no planted bugs; leave out --bug, or pick a target with bugs (see `splitbrain targets`)"),
        false => format!("target {target} has no such bug; use one of {}", Bug::list(known)),
    }
}

/// `bug` is one of `target`'s planted bugs (or none is asked for): the one check, whoever asks.
pub fn check_bug(target: &dyn Target, bug: Option<Bug>) -> Result<(), LaunchError> {
    match bug {
        Some(bug) if !target.bugs().contains(&bug) => {
            Err(LaunchError::UnknownBug { target: target.name().into(), bug, known: target.bugs() })
        }
        _ => Ok(()),
    }
}

/// A system under test, as the controller sees it.
pub trait Target: Sync {
    /// The name `--target` takes.
    fn name(&self) -> &'static str;
    /// One line on what it is.
    fn doc(&self) -> &'static str;
    /// Its planted bugs.
    fn bugs(&self) -> &'static [Bug] {
        &[]
    }
    /// `Ok` when it can run here; otherwise what is missing and how to get it, in one line.
    fn available(&self) -> Result<(), String>;
    /// The processes to start on each node.
    fn plan(&self, cluster: &Cluster) -> Result<Vec<NodePlan>, LaunchError>;
    /// The faults that cannot reach this target or change nothing in it, one line each
    /// (`"clock on etcd servers: etcd is a Go program: …"`), for `splitbrain targets` and the
    /// run's log. Empty when every fault reaches it.
    fn unreachable_faults(&self) -> Vec<String> {
        Vec::new()
    }
    /// The folder its commands run from and may read files of (a target file's), which a run
    /// on hosts copies to each; none for a target that runs only installed programs.
    fn folder(&self) -> Option<&std::path::Path> {
        None
    }
    /// What `--target` takes to run it again (its name; a target file's path).
    fn argument(&self) -> String {
        self.name().to_string()
    }
    /// Whether its election, with the planted bug `bug` (if any) switched on, hands the
    /// resource fencing tokens: only then can a fenced resource refuse a stale leader, and
    /// only then do election-safety and fencing apply. A bug says so by
    /// [`Bug::removes_tokens`].
    fn gives_tokens(&self, bug: Option<Bug>) -> bool {
        !bug.is_some_and(Bug::removes_tokens)
    }
    /// Whose clock decides a lease, and its server nodes among `nodes`, where the target says
    /// so (a third-party target's catalog entry, a target file's `clock_aim`); `None`: the
    /// nemesis deals clock faults like any other.
    fn clock_aim(&self, _nodes: &[String]) -> Option<(ClockAim, Vec<String>)> {
        None
    }
    /// The nodes among `nodes` that run its servers (none: every node is a candidate).
    fn servers_on(&self, _nodes: &[String]) -> Vec<String> {
        Vec::new()
    }
    /// The notes of the fault `kind` (`"clock"`) when it reaches this target nowhere, one line
    /// each; empty when it reaches somewhere, or the target does not say.
    fn never_reached(&self, _kind: &str) -> Vec<String> {
        Vec::new()
    }
    /// Whether it can honour the layout knobs `options` on `nodes` nodes (`--lease`,
    /// `--candidates`, `--durable`); by default it takes none of them.
    fn check_layout(&self, _nodes: usize, options: &LayoutOptions) -> Result<(), LaunchError> {
        match *options == LayoutOptions::default() {
            true => Ok(()),
            false => Err(LaunchError::BadCluster(format!(
                "--lease, --candidates and --durable are for third-party targets ({}); {} runs no servers and holds no lease, so leave them out",
                catalog::names(),
                self.name()
            ))),
        }
    }
}

/// Every built-in target of this crate, the embedded default (`raft`) first: the own electors
/// (a node-program candidate on every node, no servers), then the third-party catalog.
pub fn builtin() -> Vec<&'static dyn Target> {
    let own = ELECTORS.iter().map(|t| t as &dyn Target);
    own.chain(catalog::ALL.iter().map(|t| t as &dyn Target)).collect()
}

/// Every target: the built-in ones, then the target files loaded in this process
/// ([`crate::external::target::FileTarget::load`]).
pub fn targets() -> Vec<&'static dyn Target> {
    let files = crate::external::target::loaded().into_iter().map(|t| t as &dyn Target);
    builtin().into_iter().chain(files).collect()
}

/// The target named `name`.
pub fn find(name: &str) -> Result<&'static dyn Target, LaunchError> {
    let all = targets();
    let known = all.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ");
    all.into_iter()
        .find(|t| t.name() == name)
        .ok_or(LaunchError::UnknownTarget { name: name.into(), known })
}

impl Target for ElectorInfo {
    fn name(&self) -> &'static str {
        self.name
    }

    fn doc(&self) -> &'static str {
        self.doc
    }

    fn bugs(&self) -> &'static [Bug] {
        self.bugs
    }

    fn available(&self) -> Result<(), String> {
        Ok(())
    }

    fn plan(&self, cluster: &Cluster) -> Result<Vec<NodePlan>, LaunchError> {
        self.check(cluster)?;
        let peers = peer_list(cluster);
        let plans = cluster.nodes.iter().map(|node| {
            let addr = SocketAddr::new(node.ip, cluster.port);
            let data = cluster.data_root.join(&node.name);
            let args = node_args(self.name, cluster, node, &peers, &data);
            let candidate = ProcessSpec {
                node: node.name.clone(),
                role: "candidate".into(),
                program: cluster.node_program.program.clone(),
                args: cluster.node_program.args(args),
                env: Vec::new(),
                clock_shim: true,
                ready_addr: Some(addr),
                dirs: vec![data],
                go: false,
            };
            NodePlan {
                node: node.name.clone(),
                servers: Vec::new(),
                candidate: Some(candidate),
                client_addr: Some(addr),
            }
        });
        Ok(plans.collect())
    }
}

impl ElectorInfo {
    fn check(&self, cluster: &Cluster) -> Result<(), LaunchError> {
        if cluster.nodes.is_empty() {
            return Err(LaunchError::BadCluster("a cluster needs at least one node".into()));
        }
        self.check_layout(cluster.nodes.len(), &cluster.layout)?;
        check_bug(self, cluster.bug)
    }
}

/// `n1=IP:PORT,n2=IP:PORT,…`
pub(crate) fn peer_list(cluster: &Cluster) -> String {
    let peer = |n: &NodeAddr| format!("{}={}", n.name, SocketAddr::new(n.ip, cluster.port));
    cluster.nodes.iter().map(peer).collect::<Vec<_>>().join(",")
}

pub(crate) fn node_args(
    elector: &str,
    cluster: &Cluster,
    node: &NodeAddr,
    peers: &str,
    data: &Path,
) -> Vec<String> {
    let t = &cluster.timing;
    let mut args = vec![
        "--id".into(),
        node.name.clone(),
        "--listen".into(),
        SocketAddr::new(node.ip, cluster.port).to_string(),
        "--peers".into(),
        peers.into(),
        "--elector".into(),
        elector.into(),
        "--data-dir".into(),
        data.display().to_string(),
        "--resource".into(),
        cluster.resource.to_string(),
        "--election-timeout-ms".into(),
        format!("{}-{}", t.election_ms.0, t.election_ms.1),
        "--heartbeat-ms".into(),
        t.heartbeat_ms.to_string(),
        "--work-interval-ms".into(),
        t.work_interval_ms.to_string(),
        "--resource-timeout-ms".into(),
        t.resource_timeout_ms.to_string(),
        "--confirm-timeout-ms".into(),
        t.confirm_timeout_ms.to_string(),
        "--seed".into(),
        cluster.seed.to_string(),
    ];
    if let Some(bug) = cluster.bug {
        args.extend(["--bug".into(), bug.name().into()]);
    }
    args
}

#[cfg(test)]
#[path = "launch_tests.rs"]
mod tests;
