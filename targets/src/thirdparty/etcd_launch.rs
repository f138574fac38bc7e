//! Launching an etcd cluster (Debian's `etcd` 3.4, one member per node) as [`ProcessSpec`]s:
//! in the sandbox each member listens on its node's own address on the standard ports; on
//! loopback every member gets its own ports on 127.0.0.1. Neighbours: [`super::etcd`] and
//! [`super::k8s_lease`] are the candidates that talk to it; [`super::local`] runs the plans
//! outside the sandbox.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::local::{free_ports, LocalProcess};
use super::within;
use crate::launch::ProcessSpec;

/// etcd's standard client port, used inside the sandbox.
pub const CLIENT_PORT: u16 = 2379;
/// etcd's standard peer port, used inside the sandbox.
pub const PEER_PORT: u16 = 2380;

/// One member: the node it runs on and where it listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdMember {
    /// Node name, also the member name (`"n1"`).
    pub node: String,
    /// The node's own address: etcd listens there (listen URLs must be IPs, not names).
    pub ip: IpAddr,
    /// Client port.
    pub client_port: u16,
    /// Peer (Raft) port.
    pub peer_port: u16,
}

/// A whole cluster: its members, where their data lives, and its Raft timing.
///
/// Timing: etcd's defaults (heartbeat 100 ms, election 1000 ms) are already test-sized; they are
/// fields so a run can shrink them. etcd raises any lease TTL below
/// ⌈1.5 × election timeout⌉ seconds to that minimum ([`EtcdCluster::min_lease_ttl`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdCluster {
    /// The members, in node order.
    pub members: Vec<EtcdMember>,
    /// Folder holding one data directory per member (`<data_root>/<node>.etcd`).
    pub data_root: PathBuf,
    /// `--heartbeat-interval`, in ms.
    pub heartbeat_ms: u32,
    /// `--election-timeout`, in ms.
    pub election_ms: u32,
}

impl EtcdCluster {
    /// A cluster with one member on each of `nodes` (name, address), on the standard ports.
    pub fn on_nodes(nodes: &[(String, IpAddr)], data_root: &Path) -> EtcdCluster {
        let members = nodes
            .iter()
            .map(|(node, ip)| EtcdMember {
                node: node.clone(),
                ip: *ip,
                client_port: CLIENT_PORT,
                peer_port: PEER_PORT,
            })
            .collect();
        EtcdCluster::with_members(members, data_root)
    }

    /// A cluster of `n` members named `n1`…`nN` on 127.0.0.1, on ports that were free just now.
    pub fn loopback(n: usize, data_root: &Path) -> Result<EtcdCluster> {
        let ports = free_ports(2 * n)?;
        let members = (0..n)
            .map(|i| EtcdMember {
                node: format!("n{}", i + 1),
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                client_port: ports[2 * i],
                peer_port: ports[2 * i + 1],
            })
            .collect();
        Ok(EtcdCluster::with_members(members, data_root))
    }

    fn with_members(members: Vec<EtcdMember>, data_root: &Path) -> EtcdCluster {
        EtcdCluster {
            members,
            data_root: data_root.to_path_buf(),
            heartbeat_ms: 100,
            election_ms: 1000,
        }
    }

    /// The client URL of every member, in member order (`http://10.0.0.1:2379`).
    pub fn client_endpoints(&self) -> Vec<String> {
        self.members.iter().map(client_url).collect()
    }

    /// The client URL of the member on `node`, if there is one.
    pub fn endpoint_on(&self, node: &str) -> Option<String> {
        self.members.iter().find(|m| m.node == node).map(client_url)
    }

    /// The shortest lease TTL etcd grants with this timing: ⌈1.5 × election timeout⌉ s, computed
    /// in heartbeat ticks as etcd does.
    pub fn min_lease_ttl(&self) -> Duration {
        let ticks = self.election_ms / self.heartbeat_ms.max(1);
        let ms = u64::from(3 * ticks / 2) * u64::from(self.heartbeat_ms);
        Duration::from_secs(ms.div_ceil(1000))
    }

    /// One plan per member, in member order.
    pub fn plans(&self) -> Vec<ProcessSpec> {
        self.members.iter().map(|m| self.plan(m)).collect()
    }

    fn plan(&self, m: &EtcdMember) -> ProcessSpec {
        let data = self.data_root.join(format!("{}.etcd", m.node));
        let peer = peer_url(m);
        let client = client_url(m);
        let mut args: Vec<String> = Vec::new();
        let mut flag = |name: &str, value: String| {
            args.push(format!("--{name}"));
            args.push(value);
        };
        flag("name", m.node.clone());
        flag("data-dir", data.display().to_string());
        flag("listen-client-urls", client.clone());
        flag("advertise-client-urls", client);
        flag("listen-peer-urls", peer.clone());
        flag("initial-advertise-peer-urls", peer);
        flag("initial-cluster", self.initial_cluster());
        // Ignored once the data directory exists, so a restarted member rejoins as itself.
        flag("initial-cluster-state", "new".into());
        flag("initial-cluster-token", "splitbrain".into());
        flag("heartbeat-interval", self.heartbeat_ms.to_string());
        flag("election-timeout", self.election_ms.to_string());
        flag("logger", "zap".into());
        flag("log-outputs", "stderr".into());
        ProcessSpec {
            node: m.node.clone(),
            role: "etcd".into(),
            program: "etcd".into(),
            args,
            env: Vec::new(),
            // etcd is Go: it reads the clock through the vDSO, which the shim cannot reach.
            clock_shim: false,
            go: true,
            ready_addr: Some(SocketAddr::new(m.ip, m.client_port)),
            dirs: vec![self.data_root.clone()],
        }
    }

    fn initial_cluster(&self) -> String {
        let each = self.members.iter().map(|m| format!("{}={}", m.node, peer_url(m)));
        each.collect::<Vec<_>>().join(",")
    }
}

fn client_url(m: &EtcdMember) -> String {
    format!("http://{}", SocketAddr::new(m.ip, m.client_port))
}

fn peer_url(m: &EtcdMember) -> String {
    format!("http://{}", SocketAddr::new(m.ip, m.peer_port))
}

/// A cluster running as local processes (loopback); every member is killed on drop.
#[derive(Debug)]
pub struct LocalEtcd {
    /// What was started.
    pub cluster: EtcdCluster,
    /// One process per member, in member order.
    pub members: Vec<LocalProcess>,
}

impl LocalEtcd {
    /// Starts every member of `cluster` (logs in `<data_root>/<node>.log`) and waits, up to
    /// `limit`, until the cluster has a Raft leader.
    pub fn start(cluster: EtcdCluster, limit: Duration) -> Result<LocalEtcd> {
        let deadline = Instant::now() + limit;
        std::fs::create_dir_all(&cluster.data_root)
            .map_err(|e| Error::io(format!("create {:?}", cluster.data_root), e))?;
        let mut members = Vec::new();
        for plan in cluster.plans() {
            let log = cluster.data_root.join(format!("{}.log", plan.node));
            members.push(LocalProcess::start(&plan, &log)?);
        }
        for m in &mut members {
            m.wait_ready(deadline.saturating_duration_since(Instant::now()))?;
        }
        let endpoints = cluster.client_endpoints();
        wait_for_leader(&endpoints, deadline.saturating_duration_since(Instant::now()))?;
        Ok(LocalEtcd { cluster, members })
    }
}

/// Waits, up to `limit`, until some member among `endpoints` reports a Raft leader.
pub fn wait_for_leader(endpoints: &[String], limit: Duration) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let rt = rt.map_err(|e| Error::io("tokio runtime", e))?;
    let found = within(&rt, limit, async {
        loop {
            if has_leader(endpoints).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    found.map_err(|_| Error::timeout("an etcd Raft leader", limit))
}

async fn has_leader(endpoints: &[String]) -> bool {
    let opts = etcd_client::ConnectOptions::new().with_connect_timeout(Duration::from_millis(500));
    let Ok(mut client) = etcd_client::Client::connect(endpoints, Some(opts)).await else {
        return false;
    };
    let status = tokio::time::timeout(Duration::from_millis(500), client.status()).await;
    matches!(status, Ok(Ok(s)) if s.leader() != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> EtcdCluster {
        let nodes: Vec<(String, IpAddr)> =
            (1..=3).map(|i| (format!("n{i}"), format!("10.77.0.{i}").parse().unwrap())).collect();
        EtcdCluster::on_nodes(&nodes, Path::new("/run/x"))
    }

    #[test]
    fn every_member_names_all_peers_by_address_and_listens_on_its_own() {
        let plans = three().plans();
        let want = "n1=http://10.77.0.1:2380,n2=http://10.77.0.2:2380,n3=http://10.77.0.3:2380";
        for (i, p) in plans.iter().enumerate() {
            let at =
                |flag: &str| p.args[p.args.iter().position(|a| a == flag).unwrap() + 1].clone();
            assert_eq!(at("--initial-cluster"), want);
            assert_eq!(at("--listen-client-urls"), format!("http://10.77.0.{}:2379", i + 1));
            assert_eq!(at("--data-dir"), format!("/run/x/n{}.etcd", i + 1));
            assert!(!p.clock_shim, "the shim cannot reach a Go program");
        }
    }

    #[test]
    fn the_minimum_lease_is_one_and_a_half_election_timeouts_rounded_up() {
        let mut c = three();
        for (election_ms, secs) in [(1000, 2), (500, 1), (2000, 3)] {
            c.election_ms = election_ms;
            assert_eq!(c.min_lease_ttl(), Duration::from_secs(secs), "{election_ms}");
        }
    }

    #[test]
    fn loopback_members_get_distinct_ports() {
        let c = EtcdCluster::loopback(3, Path::new("/tmp/x")).unwrap();
        let mut ports: Vec<u16> =
            c.members.iter().flat_map(|m| [m.client_port, m.peer_port]).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 6);
    }
}
