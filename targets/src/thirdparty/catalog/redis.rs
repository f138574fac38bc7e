//! `--target redis-naive` and `--target redis-cas`: a Redis lease as tutorials write it (no
//! owner check, no token), and renewed and released only while ours, with a token from `INCR`.
//! One file for both: they share the server, the layout, the options and most fault notes.
//!
//! `--elector-opt` keys (defaults), both: `url` (required, `redis://HOST:6379/`), `key`
//! (`splitbrain:leader`), `ttl-ms` (1000), `retry-ms` (100), `request-timeout-ms` (250).
//!
//! Neighbours: the candidates are [`crate::thirdparty::redis`], the server
//! [`crate::thirdparty::redis_launch`].

use super::{ClockAim, FaultNote, ThirdParty};
use crate::elector::ElectorError;
use crate::thirdparty::build::{service, Opts};
use crate::thirdparty::layout::{redis_layout, Placement};
use crate::thirdparty::redis::{Recipe, RedisElector, RedisOptions};
use crate::thirdparty::ThirdPartyElector;
use std::time::Duration;

const NEEDS: &[(&str, &str)] = &[("redis-server", "redis-server")];

const PARTITION: FaultNote = FaultNote {
    fault: "partition",
    reaches: true,
    note: "candidates are cut off from the Redis node",
};

const CLOCKS: [FaultNote; 2] = [
    FaultNote {
        fault: "clock on the Redis server",
        reaches: true,
        note:
            "the clock shim is preloaded into redis-server: a forward bump makes keys expire early",
    },
    FaultNote {
        fault: "clock on candidates",
        reaches: false,
        note: "a candidate judges its own lease deadline on the monotonic clock; the shim moves \
               only the wall clock",
    },
];

const NAIVE_FAULTS: [FaultNote; 4] = [
    PARTITION,
    FaultNote {
        fault: "pause, kill",
        reaches: true,
        note: "on redis-server and on candidates; a killed redis-server comes back empty unless \
               --durable: the lease key is gone, so another candidate acquires at once while the \
               holder still believes it leads until its next renewal (which then overwrites the \
               new holder's key: SET XX checks no owner)",
    },
    CLOCKS[0],
    CLOCKS[1],
];

const CAS_FAULTS: [FaultNote; 4] = [
    PARTITION,
    FaultNote {
        fault: "pause, kill",
        reaches: true,
        note: "on redis-server and on candidates; a killed redis-server comes back empty unless \
               --durable: the lease key is gone (another candidate acquires at once; the holder \
               learns it at its next renewal) and the INCR counter restarts at 0, so the next \
               acquisitions get tokens already handed out: two leaders on one token \
               (election-safety invalid). --durable (an append-only file, fsync always) keeps both",
    },
    CLOCKS[0],
    CLOCKS[1],
];

const DEFAULTS: &str = "lease PX 1 s (--lease); candidates separate: on every node but the Redis node (--candidates); no persistence (--durable: an append-only file, fsync always)";

pub(super) const NAIVE: ThirdParty = ThirdParty {
    name: "redis-naive",
    about: "a Redis lease as tutorials write it: SET NX PX to acquire, SET XX PX to renew without checking the owner",
    needs: NEEDS,
    token: "none (null): the lease gives no token",
    gives_tokens: false,
    faults: &NAIVE_FAULTS,
    servers: 1,
    clock_aim: ClockAim::Servers,
    layout_defaults: DEFAULTS,
    placement: |_| Placement::Separate,
    layout: redis_layout,
    lease_opts,
    elector: |me, o| elector(me, Recipe::Naive, o),
};

pub(super) const CAS: ThirdParty = ThirdParty {
    name: "redis-cas",
    about: "a Redis lease renewed and released only while the value is ours (Lua), token from INCR at each acquisition",
    token: "an INCR counter taken at each acquisition (kept across a kill only with --durable)",
    gives_tokens: true,
    faults: &CAS_FAULTS,
    elector: |me, o| elector(me, Recipe::Cas, o),
    ..NAIVE
};

fn lease_opts(lease: Duration) -> Vec<(String, String)> {
    vec![("ttl-ms".into(), lease.as_millis().max(1).to_string())]
}

fn elector(
    me: &str,
    recipe: Recipe,
    o: &Opts<'_>,
) -> Result<Box<dyn ThirdPartyElector>, ElectorError> {
    Ok(Box::new(RedisElector::new(me, recipe, options(o)?).map_err(service)?))
}

fn options(o: &Opts<'_>) -> Result<RedisOptions, ElectorError> {
    o.only(&["url", "key", "ttl-ms", "retry-ms", "request-timeout-ms"])?;
    let url = o.required("url")?;
    let mut r = RedisOptions::new(url);
    r.key = o.text("key", &r.key);
    r.ttl = o.ms("ttl-ms", r.ttl)?;
    r.retry = o.ms("retry-ms", r.retry)?;
    r.request_timeout = o.ms("request-timeout-ms", r.request_timeout)?;
    Ok(r)
}
