//! The third-party targets as [`crate::launch::Target`]s: per node, the servers of
//! [`super::layout`] and a node-program candidate with the usual arguments plus
//! `--elector NAME --elector-opt …`. They have no planted bugs: the recipes are what is tested.
//!
//! Neighbours: [`crate::launch::builtin`] lists [`super::catalog::ALL`] after the own
//! electors; the controller calls [`crate::launch::Target::plan`] and starts the
//! [`ProcessSpec`]s through `nemesis`.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use super::catalog::{Availability, ClockAim, ThirdParty};
use super::layout::{layout, Layout, LayoutOptions};
use crate::launch::{
    check_bug, node_args, peer_list, Cluster, LaunchError, NodeAddr, NodePlan, ProcessSpec, Target,
};

impl ThirdParty {
    /// [`Target::plan`] with explicit layout knobs in place of `cluster.layout`, and the
    /// [`Layout`] it came from (its [`Layout::wait_ready`] waits for the servers, etcd's Raft
    /// leader included).
    pub fn plan_with(
        &self,
        cluster: &Cluster,
        options: &LayoutOptions,
    ) -> Result<(Vec<NodePlan>, Layout), LaunchError> {
        check_bug(self, cluster.bug)?;
        let nodes: Vec<_> = cluster.nodes.iter().map(|n| (n.name.clone(), n.ip)).collect();
        let layout = layout(self, &nodes, &cluster.data_root, options)
            .map_err(|e| LaunchError::BadCluster(e.to_string()))?;
        let plans = cluster.nodes.iter().map(|node| self.node_plan(cluster, node, &layout));
        Ok((plans.collect(), layout))
    }

    fn node_plan(&self, cluster: &Cluster, node: &NodeAddr, layout: &Layout) -> NodePlan {
        let addr = SocketAddr::new(node.ip, cluster.port);
        let servers = layout.servers.iter().filter(|s| s.node == node.name).cloned().collect();
        let candidate = layout.candidates.iter().find(|c| c.node == node.name).map(|c| {
            let data = cluster.data_root.join(&node.name);
            let mut args = node_args(self.name, cluster, node, &peer_list(cluster), &data);
            args.extend(
                c.opts.iter().flat_map(|(k, v)| ["--elector-opt".to_string(), format!("{k}={v}")]),
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
                go: false,
            }
        });
        let client_addr = candidate.as_ref().map(|_| addr);
        NodePlan { node: node.name.clone(), servers, candidate, client_addr }
    }
}

impl Target for ThirdParty {
    fn name(&self) -> &'static str {
        self.name
    }

    fn doc(&self) -> &'static str {
        self.about
    }

    fn available(&self) -> Result<(), String> {
        match self.availability() {
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
        self.unreachable_faults().map(|f| format!("{}: {}", f.fault, f.note)).collect()
    }

    fn gives_tokens(&self, _bug: Option<crate::bugs::Bug>) -> bool {
        self.gives_tokens
    }

    fn clock_aim(&self, nodes: &[String]) -> Option<(ClockAim, Vec<String>)> {
        Some((self.clock_aim, self.server_nodes(nodes)))
    }

    fn servers_on(&self, nodes: &[String]) -> Vec<String> {
        self.server_nodes(nodes)
    }

    fn never_reached(&self, kind: &str) -> Vec<String> {
        let notes = ThirdParty::never_reached(self, kind);
        notes.into_iter().map(|f| format!("{}: {}", f.fault, f.note)).collect()
    }

    fn check_layout(&self, nodes: usize, options: &LayoutOptions) -> Result<(), LaunchError> {
        let nodes: Vec<_> =
            (1..=nodes).map(|i| (format!("n{i}"), IpAddr::from([10, 0, 0, 1]))).collect();
        let checked = layout(self, &nodes, Path::new("."), options);
        checked.map(drop).map_err(|e| LaunchError::BadCluster(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::{NodeProgram, NodeTiming, DEFAULT_PORT};
    use crate::thirdparty::catalog::{by_name, ALL};

    fn cluster(n: u8) -> Cluster {
        let nodes = (1..=n).map(|i| NodeAddr { name: format!("n{i}"), ip: [10, 0, 0, i].into() });
        Cluster {
            nodes: nodes.collect(),
            port: DEFAULT_PORT,
            resource: SocketAddr::from(([10, 0, 0, 254], 9000)),
            data_root: "/run/x".into(),
            bug: None,
            seed: 1,
            timing: NodeTiming::default(),
            layout: LayoutOptions::default(),
            node_program: NodeProgram::binary("/bin/sb"),
        }
    }

    #[test]
    fn etcd_members_reach_the_sandbox_as_go_programs_without_the_shim() {
        for name in ["etcd", "k8s-lease"] {
            let plans = by_name(name).unwrap().plan(&cluster(5)).unwrap();
            let members: Vec<_> = plans.iter().flat_map(|p| &p.servers).collect();
            assert_eq!(members.len(), 3, "{name}");
            for spec in members.into_iter().map(ProcessSpec::proc_spec) {
                assert!(spec.go && !spec.clock_shim, "{name}: {spec:?}");
            }
        }
    }

    #[test]
    fn redis_servers_reach_the_sandbox_with_the_shim_and_not_as_go() {
        let plans = by_name("redis-cas").unwrap().plan(&cluster(3)).unwrap();
        let spec = plans[0].servers[0].proc_spec();
        assert!(spec.clock_shim && !spec.go, "{spec:?}");
    }

    #[test]
    fn every_catalog_target_names_the_servers_its_plan_starts() {
        let names: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
        for tp in ALL {
            let plans = tp.plan(&cluster(5)).unwrap();
            let with: Vec<String> =
                plans.iter().filter(|p| !p.servers.is_empty()).map(|p| p.node.clone()).collect();
            assert_eq!(with, tp.servers_on(&names), "{}", tp.name);
        }
    }
}
