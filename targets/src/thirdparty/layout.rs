//! Where a third-party target's processes go on the sandbox's nodes: the servers (etcd members,
//! one redis-server) as [`ProcessSpec`]s, and one candidate (`splitbrain-node` with
//! `--elector NAME --elector-opt …`) per candidate node as a [`CandidatePlan`]. The controller
//! starts the servers, waits with [`Layout::wait_ready`], then starts the candidates with its
//! usual `splitbrain-node` arguments plus [`CandidatePlan::args`].
//!
//! Placement: etcd and k8s-lease put a member on each of the first three nodes; Redis puts its
//! server on the first node. [`Placement::Shared`] runs a candidate on every node (a candidate
//! on an etcd node talks to its local member only, as in Jepsen's etcd test; others talk to all
//! members); [`Placement::Separate`] runs candidates only on the nodes without a server, so a
//! pause or partition of a candidate's node touches no server. Defaults: `etcd` shared (as
//! Jepsen ran it), Redis separate, `k8s-lease` separate once there are nodes for two candidates
//! of their own (5 or more), as Kubernetes' controllers talk to an API server rather than run
//! inside etcd; shared on fewer nodes. Each [`ThirdParty`] names its layout function (one per
//! kind of server here) and its default placement.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use super::catalog::ThirdParty;
use super::error::{Error, Result};
use super::etcd_launch::{wait_for_leader, EtcdCluster};
use super::local::wait_for_port;
use super::redis_launch::RedisServer;
use crate::launch::ProcessSpec;

/// The shortest lease a layout accepts: below it, renewals (a third of the lease apart, or
/// less) come faster than a loaded machine can send them.
pub const MIN_LEASE: Duration = Duration::from_millis(100);

/// How many etcd members a target gets.
pub const ETCD_MEMBERS: usize = 3;

/// Whether candidates share nodes with the servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A candidate on every node (the default for etcd, and for k8s-lease on 3 or 4 nodes).
    Shared,
    /// Candidates only on nodes without a server (the default for Redis).
    Separate,
}

impl Placement {
    /// The placement called `name`, as `--candidates` takes it (`shared`, `separate`).
    pub fn parse(name: &str) -> Option<Placement> {
        [Placement::Shared, Placement::Separate].into_iter().find(|p| p.name() == name)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Placement::Shared => "shared",
            Placement::Separate => "separate",
        }
    }
}

/// The knobs of a layout; `None` means the target's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayoutOptions {
    /// Where candidates run.
    pub placement: Option<Placement>,
    /// The lease: etcd's lease TTL (whole seconds, rounded up), k8s-lease's lease duration
    /// (renew deadline and retry period follow client-go's 15:10:2), Redis's `PX`.
    pub lease: Option<Duration>,
    /// Redis: keep the data across a kill (an append-only file fsynced at every write), so the
    /// lease key and the `INCR` token counter survive a restart. etcd always persists.
    pub durable: bool,
}

/// One candidate process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidatePlan {
    /// The node it runs on.
    pub node: String,
    /// `--elector` value.
    pub elector: String,
    /// `--elector-opt` pairs.
    pub opts: Vec<(String, String)>,
    /// Preload the clock shim (all candidates are Rust programs the shim reaches; whether a
    /// clock fault changes anything is the target's [`super::catalog::FaultNote`]).
    pub clock_shim: bool,
}

impl CandidatePlan {
    /// The arguments to add to `splitbrain-node`'s own (`--id`, `--listen`, `--peers`, …).
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--elector".to_string(), self.elector.clone()];
        for (k, v) in &self.opts {
            args.push("--elector-opt".into());
            args.push(format!("{k}={v}"));
        }
        args
    }
}

/// Every process of one third-party target on the sandbox's nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The target (`etcd`, `k8s-lease`, `redis-naive`, `redis-cas`).
    pub target: String,
    /// Servers, to start first.
    pub servers: Vec<ProcessSpec>,
    /// Candidates, to start once the servers are ready.
    pub candidates: Vec<CandidatePlan>,
    /// etcd client URLs (empty for Redis), for the readiness check.
    pub etcd_endpoints: Vec<String>,
}

/// The layout of `target` on `nodes` (name, address, in node order), data under `run_dir`.
pub fn layout(
    target: &ThirdParty,
    nodes: &[(String, IpAddr)],
    run_dir: &Path,
    o: &LayoutOptions,
) -> Result<Layout> {
    if let Some(lease) = o.lease.filter(|l| *l < MIN_LEASE) {
        return Err(Error::BadOption(format!(
            "--lease {lease:?}: give {MIN_LEASE:?} or more; a shorter lease expires between renewals"
        )));
    }
    (target.layout)(target, nodes, run_dir, o)
}

/// An etcd cluster on the first [`ETCD_MEMBERS`] nodes, and the target's candidates.
pub(crate) fn etcd_layout(
    tp: &ThirdParty,
    nodes: &[(String, IpAddr)],
    run_dir: &Path,
    o: &LayoutOptions,
) -> Result<Layout> {
    let target = tp.name;
    if o.durable {
        return Err(Error::BadOption(format!(
            "--durable is for the Redis targets: {target}'s etcd members always persist their data; leave it out"
        )));
    }
    let placement = o.placement.unwrap_or((tp.placement)(nodes.len()));
    let hosts = enough(target, nodes, ETCD_MEMBERS, placement)?;
    let cluster = EtcdCluster::on_nodes(&nodes[..ETCD_MEMBERS], &run_dir.join("etcd"));
    let all = cluster.client_endpoints().join(",");
    let mut candidates = Vec::new();
    for (node, _) in candidate_nodes(nodes, hosts, placement) {
        let endpoints = cluster.endpoint_on(node).unwrap_or_else(|| all.clone());
        let mut opts = vec![("endpoints".to_string(), endpoints)];
        opts.extend(o.lease.map(tp.lease_opts).unwrap_or_default());
        candidates.push(CandidatePlan {
            node: node.clone(),
            elector: target.into(),
            opts,
            clock_shim: true,
        });
    }
    let etcd_endpoints = cluster.client_endpoints();
    Ok(Layout { target: target.into(), servers: cluster.plans(), candidates, etcd_endpoints })
}

/// One redis-server on the first node, and the target's candidates.
pub(crate) fn redis_layout(
    tp: &ThirdParty,
    nodes: &[(String, IpAddr)],
    run_dir: &Path,
    o: &LayoutOptions,
) -> Result<Layout> {
    let target = tp.name;
    let placement = o.placement.unwrap_or((tp.placement)(nodes.len()));
    let hosts = enough(target, nodes, 1, placement)?;
    let (node, ip) = &nodes[0];
    let server = RedisServer {
        durable: o.durable,
        ..RedisServer::on_node(node, *ip, &run_dir.join("redis"))
    };
    let mut opts = vec![("url".to_string(), server.url())];
    opts.extend(o.lease.map(tp.lease_opts).unwrap_or_default());
    let candidates = candidate_nodes(nodes, hosts, placement)
        .map(|(n, _)| CandidatePlan {
            node: n.clone(),
            elector: target.into(),
            opts: opts.clone(),
            clock_shim: true,
        })
        .collect();
    Ok(Layout {
        target: target.into(),
        servers: vec![server.plan()],
        candidates,
        etcd_endpoints: Vec::new(),
    })
}

/// Checks there are nodes for `servers` servers and at least one candidate.
fn enough(
    target: &str,
    nodes: &[(String, IpAddr)],
    servers: usize,
    placement: Placement,
) -> Result<usize> {
    let need = if placement == Placement::Separate { servers + 1 } else { servers };
    if nodes.len() < need {
        let how = if placement == Placement::Separate {
            " with candidates on nodes of their own"
        } else {
            ""
        };
        return Err(Error::BadOption(format!(
            "{target} needs at least {need} nodes{how}; give --nodes {need} or more"
        )));
    }
    Ok(servers)
}

fn candidate_nodes(
    nodes: &[(String, IpAddr)],
    hosts: usize,
    placement: Placement,
) -> impl Iterator<Item = &(String, IpAddr)> {
    let skip = if placement == Placement::Separate { hosts } else { 0 };
    nodes.iter().skip(skip)
}

impl Layout {
    /// Waits, up to `limit`, until every server accepts connections and, for etcd, the cluster
    /// has a Raft leader. Call from a place that reaches the nodes (the controller).
    pub fn wait_ready(&self, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        for addr in self.server_addrs() {
            wait_for_port(addr, deadline.saturating_duration_since(Instant::now()), || None)?;
        }
        if self.etcd_endpoints.is_empty() {
            return Ok(());
        }
        wait_for_leader(&self.etcd_endpoints, deadline.saturating_duration_since(Instant::now()))
    }

    /// The servers' addresses, for logs.
    pub fn server_addrs(&self) -> Vec<SocketAddr> {
        self.servers.iter().filter_map(|s| s.ready_addr).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thirdparty::catalog::{by_name, ALL};

    fn layout(
        target: &str,
        nodes: &[(String, IpAddr)],
        run_dir: &Path,
        o: &LayoutOptions,
    ) -> Result<Layout> {
        super::layout(by_name(target).expect("a catalog target"), nodes, run_dir, o)
    }

    fn nodes(n: usize) -> Vec<(String, IpAddr)> {
        (1..=n).map(|i| (format!("n{i}"), format!("10.99.0.{i}").parse().unwrap())).collect()
    }

    fn on(l: &Layout) -> Vec<&str> {
        l.candidates.iter().map(|c| c.node.as_str()).collect()
    }

    /// (target, nodes, placement, servers wanted, candidate nodes wanted)
    type Case = (&'static str, usize, Option<Placement>, usize, &'static [&'static str]);

    #[test]
    fn placement_decides_which_nodes_get_candidates() {
        let run = Path::new("/run/t");
        let table: [Case; 6] = [
            ("etcd", 5, None, 3, &["n1", "n2", "n3", "n4", "n5"]),
            ("etcd", 5, Some(Placement::Separate), 3, &["n4", "n5"]),
            ("k8s-lease", 3, None, 3, &["n1", "n2", "n3"]),
            ("k8s-lease", 5, None, 3, &["n4", "n5"]),
            ("redis-cas", 4, None, 1, &["n2", "n3", "n4"]),
            ("redis-naive", 2, Some(Placement::Shared), 1, &["n1", "n2"]),
        ];
        for (target, n, placement, servers, want) in table {
            let l = layout(
                target,
                &nodes(n),
                run,
                &LayoutOptions { placement, ..LayoutOptions::default() },
            )
            .unwrap();
            assert_eq!(
                (l.servers.len(), on(&l)),
                (servers, want.to_vec()),
                "{target} {n} {placement:?}"
            );
        }
    }

    #[test]
    fn an_etcd_candidate_on_a_member_talks_to_that_member_only() {
        let l = layout("etcd", &nodes(4), Path::new("/r"), &LayoutOptions::default()).unwrap();
        let endpoints = |i: usize| l.candidates[i].opts[0].1.clone();
        assert_eq!(endpoints(1), "http://10.99.0.2:2379");
        assert_eq!(
            endpoints(3),
            "http://10.99.0.1:2379,http://10.99.0.2:2379,http://10.99.0.3:2379"
        );
    }

    #[test]
    fn the_lease_option_becomes_each_targets_own_knobs() {
        let o =
            LayoutOptions { lease: Some(Duration::from_millis(1500)), ..LayoutOptions::default() };
        let args = |t: &str| {
            layout(t, &nodes(3), Path::new("/r"), &o).unwrap().candidates[0].args().join(" ")
        };
        assert!(args("etcd").ends_with("--elector-opt lease-ttl-s=2"), "{}", args("etcd"));
        let k8s = args("k8s-lease");
        assert!(
            k8s.contains("lease-duration-ms=1500") && k8s.contains("renew-deadline-ms=1000"),
            "{k8s}"
        );
        assert!(k8s.contains("retry-period-ms=200"), "{k8s}");
        assert!(args("redis-cas").ends_with("--elector-opt ttl-ms=1500"));
    }

    #[test]
    fn the_catalog_names_the_nodes_the_layout_puts_servers_on() {
        let names: Vec<String> = nodes(5).into_iter().map(|(n, _)| n).collect();
        for tp in ALL {
            let l = layout(tp.name, &nodes(5), Path::new("/r"), &LayoutOptions::default()).unwrap();
            let mut on: Vec<String> = l.servers.iter().map(|s| s.node.clone()).collect();
            on.dedup();
            assert_eq!(on, tp.server_nodes(&names), "{}", tp.name);
        }
    }

    #[test]
    fn too_few_nodes_is_a_clear_error() {
        let o = LayoutOptions { placement: Some(Placement::Separate), ..LayoutOptions::default() };
        let err = layout("etcd", &nodes(3), Path::new("/r"), &o).unwrap_err().to_string();
        assert!(err.contains("needs at least 4 nodes"), "{err}");
    }

    #[test]
    fn durable_turns_on_redis_persistence_and_is_refused_for_etcd() {
        let o = LayoutOptions { durable: true, ..LayoutOptions::default() };
        let l = layout("redis-cas", &nodes(3), Path::new("/r"), &o).unwrap();
        let args = l.servers[0].args.join(" ");
        assert!(args.contains("--appendonly yes --appendfsync always"), "{args}");
        let err = layout("etcd", &nodes(3), Path::new("/r"), &o).unwrap_err().to_string();
        assert!(err.contains("--durable is for the Redis targets"), "{err}");
    }
}
