//! `--target etcd`: etcd's election API (campaign with a lease, keep-alive, observe, resign) on
//! a 3-member etcd cluster; token: the leader key's create revision.
//!
//! `--elector-opt` keys (defaults): `endpoints` (required, `http://HOST:2379,…`), `election`
//! (`splitbrain`), `lease-ttl-s` (2), `request-timeout-ms` (1000).
//!
//! Neighbours: the candidate is [`crate::thirdparty::etcd`], the members
//! [`crate::thirdparty::etcd_launch`]; [`super::k8s_lease`] shares these fault notes.

use super::{ClockAim, FaultNote, ThirdParty};
use crate::elector::ElectorError;
use crate::thirdparty::build::{service, Opts};
use crate::thirdparty::etcd::{EtcdElector, EtcdOptions};
use crate::thirdparty::layout::{etcd_layout, Placement};
use std::time::Duration;

/// The etcd server program, for both etcd targets.
pub(super) const NEEDS: &[(&str, &str)] = &[("etcd", "etcd-server")];

/// Partitions, pauses and kills reach members and candidates alike; so do the clock notes of
/// the servers, which `k8s-lease` shares.
pub(super) const SERVER_FAULTS: [FaultNote; 3] = [
    FaultNote {
        fault: "partition",
        reaches: true,
        note: "etcd members and candidates are cut off by node",
    },
    FaultNote { fault: "pause, kill", reaches: true, note: "on etcd members and on candidates" },
    FaultNote {
        fault: "clock on etcd servers",
        reaches: false,
        note: "etcd is a Go program: it reads the clock through the vDSO without libc, so the \
               clock shim cannot reach it; clock faults on etcd nodes are not applied",
    },
];

const FAULTS: [FaultNote; 4] = [
    SERVER_FAULTS[0],
    SERVER_FAULTS[1],
    SERVER_FAULTS[2],
    FaultNote {
        fault: "clock on candidates",
        reaches: false,
        note: "the candidate judges its lease on the monotonic clock, as clientv3 does; the shim \
               moves only the wall clock",
    },
];

pub(super) const ETCD: ThirdParty = ThirdParty {
    name: "etcd",
    about: "etcd's election API (campaign with a lease, keep-alive, observe, resign) on a 3-member etcd cluster",
    needs: NEEDS,
    token: "the leader key's create revision",
    gives_tokens: true,
    faults: &FAULTS,
    servers: 3,
    clock_aim: ClockAim::Nowhere,
    layout_defaults: "lease TTL 2 s (--lease, whole seconds); candidates shared: one on every node (--candidates)",
    // As Jepsen ran it: a candidate on every node, talking to its own member.
    placement: |_| Placement::Shared,
    layout: etcd_layout,
    lease_opts: |lease| vec![("lease-ttl-s".into(), lease.as_secs_f64().ceil().max(1.0).to_string())],
    elector: |me, o| Ok(Box::new(EtcdElector::new(me, options(o)?).map_err(service)?)),
};

fn options(o: &Opts<'_>) -> Result<EtcdOptions, ElectorError> {
    o.only(&["endpoints", "election", "lease-ttl-s", "request-timeout-ms"])?;
    let mut e = EtcdOptions::new(o.list("endpoints")?);
    e.election = o.text("election", &e.election);
    e.lease_ttl = Duration::from_secs(o.number("lease-ttl-s", e.lease_ttl.as_secs())?);
    e.request_timeout = o.ms("request-timeout-ms", e.request_timeout)?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thirdparty::build::parse_opt;

    #[test]
    fn options_are_read_with_defaults() {
        let o = ["endpoints=http://a:2379, http://b:2379", "lease-ttl-s=3"].map(parse_opt);
        let o: Vec<_> = o.into_iter().map(Result::unwrap).collect();
        let e = options(&Opts { elector: "etcd", pairs: &o }).unwrap();
        assert_eq!(e.endpoints, ["http://a:2379", "http://b:2379"]);
        assert_eq!((e.lease_ttl, e.election.as_str()), (Duration::from_secs(3), "splitbrain"));
    }
}
