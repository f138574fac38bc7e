//! The third-party targets: [`ALL`], the one list of them, each a [`ThirdParty`] value that
//! carries everything the harness asks about it (what it needs installed, its token, which
//! faults reach it, whose clock decides its lease, its layout, its lease options and its
//! elector).
//!
//! Neighbours: each target is one file under `catalog/` (`etcd`, `k8s_lease`, `redis`);
//! [`super::target`] makes each value a [`crate::launch::Target`], [`super::build`] builds its
//! elector for `--elector NAME`, [`super::layout`] places it on the nodes.
//!
//! Design: adding a target is one new file here plus its line in [`ALL`]; nothing else lists
//! targets or matches on their names, so a target cannot be half-registered. A file whose value
//! is not in [`ALL`] is dead code, which this module denies: forgetting the line does not build.

#![deny(dead_code)]

mod etcd;
mod k8s_lease;
mod redis;

use super::build::Opts;
use super::layout::{Layout, LayoutOptions, Placement};
use super::ThirdPartyElector;
use crate::elector::ElectorError;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every third-party target, in the order `splitbrain targets` lists them: one line each, so
/// that a new target is one added line.
#[rustfmt::skip]
pub const ALL: &[ThirdParty] = &[
    etcd::ETCD,
    k8s_lease::K8S_LEASE,
    redis::NAIVE,
    redis::CAS,
];

/// One third-party target.
#[derive(Debug, Clone, Copy)]
pub struct ThirdParty {
    /// The name `--target` takes.
    pub name: &'static str,
    /// One line on what it is.
    pub about: &'static str,
    /// The server programs it needs: (program, Debian package).
    pub needs: &'static [(&'static str, &'static str)],
    /// What its fencing token is.
    pub token: &'static str,
    /// Whether its election gives a fencing token at all (the resource can fence only then).
    pub gives_tokens: bool,
    /// Each fault, whether it reaches this target, and how.
    pub faults: &'static [FaultNote],
    /// How many nodes, from the first, run its servers (etcd members, the redis-server).
    pub servers: usize,
    /// Whose clock decides when a lease ends, so whom a clock fault is aimed at.
    pub clock_aim: ClockAim,
    /// The defaults `--lease` and `--candidates` override, in one line.
    pub layout_defaults: &'static str,
    /// Where its candidates go when `--candidates` does not say, given the node count.
    pub placement: fn(usize) -> Placement,
    /// Its servers and candidates on the nodes ([`super::layout`] has one per server kind).
    pub layout: PlaceFn,
    /// The `--elector-opt` pairs that set a lease of this length.
    pub lease_opts: fn(Duration) -> Vec<(String, String)>,
    /// Its candidate for node `me`, from its `--elector-opt` pairs.
    pub(crate) elector: ElectorFn,
}

/// How a target places its processes: (target, nodes in order, run folder, knobs).
pub type PlaceFn =
    fn(&ThirdParty, &[(String, IpAddr)], &Path, &LayoutOptions) -> super::Result<Layout>;

/// How a target builds its candidate: (node, options).
pub(crate) type ElectorFn = fn(&str, &Opts<'_>) -> Result<Box<dyn ThirdPartyElector>, ElectorError>;

/// Where a clock fault on a target changes anything, and so where the nemesis aims it.
///
/// Design: a clock fault aimed at random nodes of a third-party target mostly lands where
/// nothing reads the clock (a candidate that times its lease on the monotonic clock), and then
/// a run "with clock faults" has tested nothing. The catalog knows whose clock decides each
/// lease; the nemesis aims there and says so in the run's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockAim {
    /// The server nodes: the server's clock decides when a lease ends (Redis's `PX` expiry).
    Servers,
    /// The candidates that are not leading: each judges the holder's lease expired on its own
    /// clock (client-go), by how long the record stayed unchanged, so only the clock's rate
    /// matters: drifts, held through the next fault, so that a fast follower meets a leader
    /// whose renewals have stopped (paused, or cut off from the servers).
    Followers,
    /// Nowhere: no clock that decides a lease can be moved (etcd: a Go server, and candidates
    /// timing their leases on the monotonic clock). Clock faults are not applied.
    Nowhere,
}

impl ClockAim {
    /// One line for `splitbrain targets` and the run's log.
    pub fn describe(self) -> &'static str {
        match self {
            ClockAim::Servers => "clock faults aim at the server node(s): the server's clock decides when a lease expires",
            ClockAim::Followers => "clock faults are fast drifts (2-4x) of the candidates that are not leading (each judges the holder's lease on its own clock), held through the next fault, which is then aimed at the leader",
            ClockAim::Nowhere => "clock faults are not applied: no clock that decides a lease can be moved here",
        }
    }
}

/// Whether one kind of fault reaches a target, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultNote {
    /// The nemesis name (`"clock"`, `"pause"`, …) and where (`"on servers"`, `"on candidates"`).
    pub fault: &'static str,
    /// Whether it has any effect.
    pub reaches: bool,
    /// Why, in one line.
    pub note: &'static str,
}

/// Whether a target can run on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Every program it needs was found (program → path).
    Ready(Vec<(String, PathBuf)>),
    /// Some program is missing; `install` says how to get it.
    Missing {
        /// The programs not found in `PATH`.
        programs: Vec<String>,
        /// The command that installs them.
        install: String,
    },
}

/// The third-party target called `name`.
pub fn by_name(name: &str) -> Option<&'static ThirdParty> {
    ALL.iter().find(|t| t.name == name)
}

/// Every third-party target's name, comma-separated, for messages.
pub fn names() -> String {
    ALL.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

impl ThirdParty {
    /// Whether its programs are installed here, looked up in `PATH`.
    pub fn availability(&self) -> Availability {
        self.availability_in(&std::env::var_os("PATH").unwrap_or_default())
    }

    fn availability_in(&self, path: &std::ffi::OsStr) -> Availability {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for (program, _) in self.needs {
            match find_program(program, path) {
                Some(p) => found.push((program.to_string(), p)),
                None => missing.push(program.to_string()),
            }
        }
        if missing.is_empty() {
            return Availability::Ready(found);
        }
        let packages: Vec<&str> = self.needs.iter().map(|(_, pkg)| *pkg).collect();
        let install = format!("apt-get install {} (or run scripts/setup)", packages.join(" "));
        Availability::Missing { programs: missing, install }
    }

    /// The nodes among `nodes` (in node order) that run its servers.
    pub fn server_nodes(&self, nodes: &[String]) -> Vec<String> {
        nodes.iter().take(self.servers).cloned().collect()
    }

    /// The faults that cannot reach it, one line each, for the run's log and `splitbrain targets`.
    pub fn unreachable_faults(&self) -> impl Iterator<Item = &'static FaultNote> {
        self.faults.iter().filter(|f| !f.reaches)
    }

    /// The notes of the fault `kind` (`"clock"`) when it reaches this target nowhere: every note
    /// naming it says it changes nothing. Empty when it reaches somewhere.
    pub fn never_reached(&self, kind: &str) -> Vec<&'static FaultNote> {
        let notes: Vec<_> = self.faults.iter().filter(|f| f.fault.contains(kind)).collect();
        match notes.iter().all(|f| !f.reaches) {
            true => notes,
            false => Vec::new(),
        }
    }
}

/// `program` in one of the folders of `path` (a `PATH`-style list), if it is an executable file.
pub fn find_program(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path).map(|dir| dir.join(program)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_whose_server_is_missing_says_what_to_install() {
        let etcd = by_name("etcd").unwrap();
        match etcd.availability_in(std::ffi::OsStr::new("/nonexistent")) {
            Availability::Missing { programs, install } => {
                assert_eq!(programs, ["etcd"]);
                assert!(install.contains("apt-get install etcd-server"), "{install}");
            }
            other => panic!("expected Missing, got {other:?}"),
        }
    }

    #[test]
    fn the_shim_is_said_not_to_reach_etcd_but_to_reach_redis() {
        let says_go = |t: &str| {
            by_name(t).unwrap().unreachable_faults().any(|f| f.note.contains("Go program"))
        };
        assert!(says_go("etcd") && says_go("k8s-lease"));
        assert!(!says_go("redis-cas"));
        let faults = by_name("redis-cas").unwrap().faults;
        let redis_server_clock = faults.iter().find(|f| f.fault.contains("Redis server")).unwrap();
        assert!(redis_server_clock.reaches);
    }

    #[test]
    fn clock_faults_reach_etcd_nowhere_and_the_others_somewhere() {
        let nowhere = |t: &str, kind: &str| !by_name(t).unwrap().never_reached(kind).is_empty();
        assert!(nowhere("etcd", "clock"));
        assert!(!nowhere("k8s-lease", "clock") && !nowhere("redis-cas", "clock"));
        assert!(!nowhere("etcd", "pause") && !nowhere("etcd", "loss"));
    }

    #[test]
    fn only_redis_naive_gives_no_token() {
        let tokenless: Vec<_> = ALL.iter().filter(|t| !t.gives_tokens).map(|t| t.name).collect();
        assert_eq!(tokenless, ["redis-naive"]);
    }

    #[test]
    fn every_target_has_a_distinct_name() {
        let mut names: Vec<_> = ALL.iter().map(|t| t.name).collect();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(by_name("zookeeper").is_none());
    }
}
