//! `--elector NAME` for the third-party electors: their options given as
//! `--elector-opt KEY=VALUE` (repeatable), turned into a [`Hosted`] elector for the node by the
//! constructor of the [`catalog`] entry so named (each entry's file lists its keys).
//!
//! Neighbours: the node's elector table (`crate::node::electors`) calls [`build`];
//! [`super::layout`] writes these options for the controller.

use std::time::Duration;

use super::adapter::Hosted;
use super::catalog;
use super::error::Error;
use crate::elector::{Elector, ElectorError};

/// True when `name` is a third-party elector (one of [`catalog::ALL`]).
pub fn is_elector(name: &str) -> bool {
    catalog::by_name(name).is_some()
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
    let tp = catalog::by_name(name)
        .ok_or_else(|| ElectorError::BadConfig(format!("{name:?} is not a third-party elector")))?;
    let elector = (tp.elector)(me, &Opts { elector: name, pairs: opts })?;
    Ok(Box::new(Hosted::new(me, elector).map_err(service)?))
}

/// A service error as an elector's: bad options are the user's to fix.
pub(crate) fn service(e: Error) -> ElectorError {
    match e {
        Error::BadOption(m) => ElectorError::BadConfig(m),
        other => ElectorError::Service(other.to_string()),
    }
}

/// The `--elector-opt` pairs of one elector, read with one-line errors.
pub(crate) struct Opts<'a> {
    pub(crate) elector: &'a str,
    pub(crate) pairs: &'a [(String, String)],
}

impl Opts<'_> {
    fn bad(&self, msg: String) -> ElectorError {
        ElectorError::BadConfig(format!("--elector-opt for {}: {msg}", self.elector))
    }

    pub(crate) fn only(&self, keys: &[&str]) -> Result<(), ElectorError> {
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

    pub(crate) fn required(&self, key: &str) -> Result<&str, ElectorError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| self.bad(format!("{key}=… is required")))
    }

    pub(crate) fn text(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default).to_string()
    }

    pub(crate) fn list(&self, key: &str) -> Result<Vec<String>, ElectorError> {
        let v = self.required(key)?;
        Ok(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
    }

    pub(crate) fn number(&self, key: &str, default: u64) -> Result<u64, ElectorError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| self.bad(format!("{key}: expected a whole number, got {v:?}"))),
        }
    }

    pub(crate) fn ms(&self, key: &str, default: Duration) -> Result<Duration, ElectorError> {
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
    fn bad_options_are_named_for_every_kind_of_elector() {
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
    fn every_catalog_target_is_an_elector_that_asks_for_its_servers() {
        for tp in catalog::ALL {
            assert!(is_elector(tp.name), "{}", tp.name);
            let err = build(tp.name, "n1", &[]).err().expect(tp.name).to_string();
            assert!(err.contains("=… is required"), "{}: {err}", tp.name);
        }
        assert!(!is_elector("raft"));
    }

    #[test]
    fn an_option_without_an_equals_sign_is_refused() {
        assert!(parse_opt("endpoints").unwrap_err().contains("KEY=VALUE"));
        assert_eq!(parse_opt("url=redis://h:1/?a=b").unwrap().1, "redis://h:1/?a=b");
    }
}
