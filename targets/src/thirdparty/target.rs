//! The third-party targets as [`crate::launch::Target`]s: per node, the servers of
//! [`super::layout`] and a node-program candidate with the usual arguments plus
//! `--elector NAME --elector-opt …`. They have no planted bugs: the recipes are what is tested.
//!
//! Neighbours: [`crate::launch::targets`] lists these after the own electors; the controller
//! calls [`crate::launch::Target::plan`] and starts the [`ProcessSpec`]s through `nemesis`.

use std::net::SocketAddr;

use super::catalog::{self, Availability, ThirdParty};
use super::layout::{layout, Layout, LayoutOptions};
use super::plan::ServerPlan;
use crate::launch::{node_args, peer_list, Cluster, LaunchError, NodePlan, ProcessSpec, Target};

/// One third-party target.
#[derive(Debug)]
pub struct ThirdPartyTarget {
    info: &'static ThirdParty,
}

/// Every third-party target, in catalog order.
pub static TARGETS: [ThirdPartyTarget; 4] = [
    ThirdPartyTarget { info: &catalog::ALL[0] },
    ThirdPartyTarget { info: &catalog::ALL[1] },
    ThirdPartyTarget { info: &catalog::ALL[2] },
    ThirdPartyTarget { info: &catalog::ALL[3] },
];

impl ThirdPartyTarget {
    /// The target called `name`, if it is a third-party one.
    pub fn find(name: &str) -> Option<&'static ThirdPartyTarget> {
        TARGETS.iter().find(|t| t.info.name == name)
    }

    /// What the catalog says about it (token, faults).
    pub fn info(&self) -> &'static ThirdParty {
        self.info
    }

    /// [`Target::plan`] with explicit layout knobs in place of `cluster.layout`, and the
    /// [`Layout`] it came from (its
    /// [`Layout::wait_ready`] waits for the servers, etcd's Raft leader included).
    pub fn plan_with(
        &self,
        cluster: &Cluster,
        options: &LayoutOptions,
    ) -> Result<(Vec<NodePlan>, Layout), LaunchError> {
        if let Some(bug) = &cluster.bug {
            let (target, bug, known) = (self.info.name.into(), bug.clone(), "none".into());
            return Err(LaunchError::UnknownBug { target, bug, known });
        }
        let nodes: Vec<_> = cluster.nodes.iter().map(|n| (n.name.clone(), n.ip)).collect();
        let layout = layout(self.info.name, &nodes, &cluster.data_root, options)
            .map_err(|e| LaunchError::BadCluster(e.to_string()))?;
        let peers = peer_list(cluster);
        let plans = cluster.nodes.iter().map(|node| {
            let addr = SocketAddr::new(node.ip, cluster.port);
            let servers =
                layout.servers.iter().filter(|s| s.node == node.name).map(server_spec).collect();
            let candidate = layout.candidates.iter().find(|c| c.node == node.name).map(|c| {
                let data = cluster.data_root.join(&node.name);
                let mut args = node_args(self.info.name, cluster, node, &peers, &data);
                args.extend(
                    c.opts
                        .iter()
                        .flat_map(|(k, v)| ["--elector-opt".to_string(), format!("{k}={v}")]),
                );
                ProcessSpec {
                    node: node.name.clone(),
                    role: "candidate".into(),
                    program: cluster.node_program.program.clone(),
                    args: cluster.node_program.args(args),
                    env: Vec::new(),
                    clock_shim: c.clock_shim,
                    ready_addr: Some(addr),
                    dirs: vec![data],
                }
            });
            let client_addr = candidate.as_ref().map(|_| addr);
            NodePlan { node: node.name.clone(), servers, candidate, client_addr }
        });
        Ok((plans.collect(), layout))
    }
}

fn server_spec(s: &ServerPlan) -> ProcessSpec {
    ProcessSpec {
        node: s.node.clone(),
        role: s.role.clone(),
        program: s.program.clone().into(),
        args: s.args.clone(),
        env: s.env.clone(),
        clock_shim: s.clock_shim,
        ready_addr: Some(s.ready_addr),
        dirs: s.dirs.clone(),
    }
}

impl Target for ThirdPartyTarget {
    fn name(&self) -> &'static str {
        self.info.name
    }

    fn doc(&self) -> &'static str {
        self.info.about
    }

    fn bugs(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    fn available(&self) -> Result<(), String> {
        match self.info.availability() {
            Availability::Missing { programs, install } => {
                Err(format!("{} not installed: {install}", programs.join(", ")))
            }
            _ => Ok(()),
        }
    }

    fn plan(&self, cluster: &Cluster) -> Result<Vec<NodePlan>, LaunchError> {
        self.plan_with(cluster, &cluster.layout).map(|(plans, _)| plans)
    }

    fn unreachable_faults(&self) -> Vec<String> {
        self.info.unreachable_faults().map(|f| format!("{}: {}", f.fault, f.note)).collect()
    }

    fn gives_tokens(&self, _bug: Option<&str>) -> bool {
        self.info.gives_tokens
    }
}
