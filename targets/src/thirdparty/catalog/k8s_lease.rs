//! `--target k8s-lease`: client-go's leader election (a lease record, optimistic concurrency)
//! on etcd's KV; token: the record's `leaderTransitions`.
//!
//! `--elector-opt` keys (defaults): `endpoints` (required), `key`
//! (`/splitbrain/k8s-lease/leader`), `lease-duration-ms` (1500), `renew-deadline-ms` (1000),
//! `retry-period-ms` (200), `request-timeout-ms` (500).
//!
//! Neighbours: the candidate is [`crate::thirdparty::k8s_lease`], on the members of
//! [`super::etcd`] (whose server fault notes it shares).

use super::etcd::{NEEDS, SERVER_FAULTS};
use super::{ClockAim, FaultNote, ThirdParty};
use crate::elector::ElectorError;
use crate::thirdparty::build::{service, Opts};
use crate::thirdparty::k8s_lease::{K8sLeaseElector, K8sLeaseOptions};
use crate::thirdparty::layout::{etcd_layout, Placement, ETCD_MEMBERS};
use std::time::Duration;

const FAULTS: [FaultNote; 4] = [
    SERVER_FAULTS[0],
    SERVER_FAULTS[1],
    SERVER_FAULTS[2],
    FaultNote {
        fault: "clock on candidates",
        reaches: true,
        note: "a candidate judges the holder's lease expired on its own wall clock: a fast clock \
               (drift) or a forward bump makes it take over early",
    },
];

pub(super) const K8S_LEASE: ThirdParty = ThirdParty {
    name: "k8s-lease",
    about: "client-go's leader election (a lease record, optimistic concurrency) on etcd's KV",
    needs: NEEDS,
    token: "the record's leaderTransitions",
    gives_tokens: true,
    faults: &FAULTS,
    servers: ETCD_MEMBERS,
    clock_aim: ClockAim::Followers,
    layout_defaults: "lease duration 1.5 s, renew deadline 1 s, retry 0.2 s (--lease sets the duration, the others follow 15:10:2); candidates separate on 5 or more nodes, shared on fewer (--candidates)",
    placement,
    layout: etcd_layout,
    lease_opts,
    elector: |me, o| Ok(Box::new(K8sLeaseElector::new(me, options(o)?).map_err(service)?)),
};

/// Kubernetes' controllers talk to an API server rather than run inside etcd: candidates get
/// nodes of their own once there are nodes for two of them.
fn placement(nodes: usize) -> Placement {
    match nodes >= ETCD_MEMBERS + 2 {
        true => Placement::Separate,
        false => Placement::Shared,
    }
}

/// The lease duration; renew deadline and retry period follow client-go's 15:10:2.
fn lease_opts(lease: Duration) -> Vec<(String, String)> {
    let ms = |d: Duration| d.as_millis().max(1).to_string();
    vec![
        ("lease-duration-ms".into(), ms(lease)),
        ("renew-deadline-ms".into(), ms(lease * 2 / 3)),
        ("retry-period-ms".into(), ms(lease * 2 / 15)),
    ]
}

fn options(o: &Opts<'_>) -> Result<K8sLeaseOptions, ElectorError> {
    let keys = [
        "endpoints",
        "key",
        "lease-duration-ms",
        "renew-deadline-ms",
        "retry-period-ms",
        "request-timeout-ms",
    ];
    o.only(&keys)?;
    let mut k = K8sLeaseOptions::new(o.list("endpoints")?);
    k.key = o.text("key", &k.key);
    k.lease_duration = o.ms("lease-duration-ms", k.lease_duration)?;
    k.renew_deadline = o.ms("renew-deadline-ms", k.renew_deadline)?;
    k.retry_period = o.ms("retry-period-ms", k.retry_period)?;
    k.request_timeout = o.ms("request-timeout-ms", k.request_timeout)?;
    Ok(k)
}
