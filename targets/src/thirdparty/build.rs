//! `--elector NAME` for the third-party electors: their names, and their options given as
//! `--elector-opt KEY=VALUE` (repeatable), turned into a [`Hosted`] elector for the node.
//!
//! | elector | keys (defaults) |
//! | --- | --- |
//! | `etcd` | `endpoints` (required, `http://HOST:2379,…`), `election` (`splitbrain`), `lease-ttl-s` (2), `request-timeout-ms` (1000) |
//! | `k8s-lease` | `endpoints` (required), `key` (`/splitbrain/k8s-lease/leader`), `lease-duration-ms` (1500), `renew-deadline-ms` (1000), `retry-period-ms` (200), `request-timeout-ms` (500) |
//! | `redis-naive`, `redis-cas` | `url` (required, `redis://HOST:6379/`), `key` (`splitbrain:leader`), `ttl-ms` (1000), `retry-ms` (100), `request-timeout-ms` (250) |
//!
//! Neighbours: the node's elector table (`crate::node::electors`) calls [`build`];
//! [`super::layout`] writes these options for the controller.

use std::time::Duration;

use super::adapter::Hosted;
use super::error::Error;
use super::etcd::{EtcdElector, EtcdOptions};
use super::k8s_lease::{K8sLeaseElector, K8sLeaseOptions};
use super::redis::{Recipe, RedisElector, RedisOptions};
use super::ThirdPartyElector;
use crate::elector::{Elector, ElectorError};

/// The third-party electors `--elector` accepts, with one line each.
pub const ELECTORS: [(&str, &str); 4] = [
    ("etcd", "etcd's election API (campaign, keep-alive, observe, resign); token = the leader key's create revision"),
    ("k8s-lease", "client-go's lease election on etcd's KV; token = leaderTransitions"),
    ("redis-naive", "Redis SET NX PX lease renewed with SET XX PX without an owner check; no token"),
    ("redis-cas", "Redis SET NX PX lease renewed/released only while ours (Lua); token = INCR at each acquisition"),
];

/// True when `name` is one of [`ELECTORS`].
pub fn is_elector(name: &str) -> bool {
    ELECTORS.iter().any(|(n, _)| *n == name)
}

/// Parses one `--elector-opt` value, `KEY=VALUE`.
pub fn parse_opt(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("--elector-opt: expected KEY=VALUE, got {s:?}")),
    }
}

/// Builds the third-party elector `name` for node `me` from its `--elector-opt` pairs.
/// Connections are made lazily: the servers need not be up yet.
pub fn build(
    name: &str,
    me: &str,
    opts: &[(String, String)],
) -> Result<Box<dyn Elector>, ElectorError> {
    let o = Opts { elector: name, pairs: opts };
    let elector: Box<dyn ThirdPartyElector> = match name {
        "etcd" => Box::new(EtcdElector::new(me, etcd(&o)?).map_err(service)?),
        "k8s-lease" => Box::new(K8sLeaseElector::new(me, k8s(&o)?).map_err(service)?),
        _ => match Recipe::by_name(name) {
            Some(recipe) => Box::new(RedisElector::new(me, recipe, redis(&o)?).map_err(service)?),
            None => {
                return Err(ElectorError::BadConfig(format!(
                    "{name:?} is not a third-party elector"
                )))
            }
        },
    };
    Ok(Box::new(Hosted::new(me, elector).map_err(service)?))
}

fn service(e: Error) -> ElectorError {
    match e {
        Error::BadOption(m) => ElectorError::BadConfig(m),
        other => ElectorError::Service(other.to_string()),
    }
}

fn etcd(o: &Opts<'_>) -> Result<EtcdOptions, ElectorError> {
    o.only(&["endpoints", "election", "lease-ttl-s", "request-timeout-ms"])?;
    let mut e = EtcdOptions::new(o.list("endpoints")?);
    e.election = o.text("election", &e.election);
    e.lease_ttl = Duration::from_secs(o.number("lease-ttl-s", e.lease_ttl.as_secs())?);
    e.request_timeout = o.ms("request-timeout-ms", e.request_timeout)?;
    Ok(e)
}

fn k8s(o: &Opts<'_>) -> Result<K8sLeaseOptions, ElectorError> {
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

fn redis(o: &Opts<'_>) -> Result<RedisOptions, ElectorError> {
    o.only(&["url", "key", "ttl-ms", "retry-ms", "request-timeout-ms"])?;
    let url = o.required("url")?;
    let mut r = RedisOptions::new(url);
    r.key = o.text("key", &r.key);
    r.ttl = o.ms("ttl-ms", r.ttl)?;
    r.retry = o.ms("retry-ms", r.retry)?;
    r.request_timeout = o.ms("request-timeout-ms", r.request_timeout)?;
    Ok(r)
}

/// The `--elector-opt` pairs of one elector, read with one-line errors.
struct Opts<'a> {
    elector: &'a str,
    pairs: &'a [(String, String)],
}

impl Opts<'_> {
    fn bad(&self, msg: String) -> ElectorError {
        ElectorError::BadConfig(format!("--elector-opt for {}: {msg}", self.elector))
    }

    fn only(&self, keys: &[&str]) -> Result<(), ElectorError> {
        match self.pairs.iter().find(|(k, _)| !keys.contains(&k.as_str())) {
            Some((k, _)) => {
                Err(self.bad(format!("unknown key {k:?}; it takes {}", keys.join(", "))))
            }
            None => Ok(()),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn required(&self, key: &str) -> Result<&str, ElectorError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| self.bad(format!("{key}=… is required")))
    }

    fn text(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default).to_string()
    }

    fn list(&self, key: &str) -> Result<Vec<String>, ElectorError> {
        let v = self.required(key)?;
        Ok(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
    }

    fn number(&self, key: &str, default: u64) -> Result<u64, ElectorError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| self.bad(format!("{key}: expected a whole number, got {v:?}"))),
        }
    }

    fn ms(&self, key: &str, default: Duration) -> Result<Duration, ElectorError> {
        Ok(Duration::from_millis(self.number(key, default.as_millis() as u64)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[&str]) -> Vec<(String, String)> {
        items.iter().map(|s| parse_opt(s).unwrap()).collect()
    }

    #[test]
    fn options_are_read_with_defaults_and_bad_ones_are_named() {
        let o = pairs(&["endpoints=http://a:2379, http://b:2379", "lease-ttl-s=3"]);
        let e = etcd(&Opts { elector: "etcd", pairs: &o }).unwrap();
        assert_eq!(e.endpoints, ["http://a:2379", "http://b:2379"]);
        assert_eq!((e.lease_ttl, e.election.as_str()), (Duration::from_secs(3), "splitbrain"));
        let table: [(&str, &[&str], &str); 4] = [
            ("etcd", &[], "endpoints=… is required"),
            ("etcd", &["endpoints=x", "ttl-ms=5"], "unknown key \"ttl-ms\""),
            ("redis-cas", &["url=redis://x/", "ttl-ms=soon"], "expected a whole number"),
            (
                "k8s-lease",
                &["endpoints=x", "lease-duration-ms=500"],
                "greater than the renew deadline",
            ),
        ];
        for (name, given, want) in table {
            let err = build(name, "n1", &pairs(given)).err().expect(name).to_string();
            assert!(err.contains(want), "{name} {given:?}: {err}");
        }
    }

    #[test]
    fn an_option_without_an_equals_sign_is_refused() {
        assert!(parse_opt("endpoints").unwrap_err().contains("KEY=VALUE"));
        assert_eq!(parse_opt("url=redis://h:1/?a=b").unwrap().1, "redis://h:1/?a=b");
    }
}
