//! The third-party targets by name: what each needs installed, whether it can run here, what
//! its token is, and which faults can and cannot reach it. `splitbrain targets` and the
//! controller read this; nothing here starts anything.

use std::path::{Path, PathBuf};

/// One third-party target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

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

const ETCD_SERVER_FAULTS: [FaultNote; 4] = [
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
    FaultNote {
        fault: "clock on candidates",
        reaches: false,
        note: "the candidate judges its lease on the monotonic clock, as clientv3 does; the shim \
               moves only the wall clock",
    },
];

const K8S_FAULTS: [FaultNote; 4] = [
    ETCD_SERVER_FAULTS[0],
    ETCD_SERVER_FAULTS[1],
    ETCD_SERVER_FAULTS[2],
    FaultNote {
        fault: "clock on candidates",
        reaches: true,
        note: "a candidate judges the holder's lease expired on its own wall clock: a fast clock \
               (drift) or a forward bump makes it take over early",
    },
];

const REDIS_PARTITION: FaultNote = FaultNote {
    fault: "partition",
    reaches: true,
    note: "candidates are cut off from the Redis node",
};

const REDIS_CLOCKS: [FaultNote; 2] = [
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

const REDIS_NAIVE_FAULTS: [FaultNote; 4] = [
    REDIS_PARTITION,
    FaultNote {
        fault: "pause, kill",
        reaches: true,
        note: "on redis-server and on candidates; a killed redis-server comes back empty unless \
               --durable: the lease key is gone, so another candidate acquires at once while the \
               holder still believes it leads until its next renewal (which then overwrites the \
               new holder's key: SET XX checks no owner)",
    },
    REDIS_CLOCKS[0],
    REDIS_CLOCKS[1],
];

const REDIS_CAS_FAULTS: [FaultNote; 4] = [
    REDIS_PARTITION,
    FaultNote {
        fault: "pause, kill",
        reaches: true,
        note: "on redis-server and on candidates; a killed redis-server comes back empty unless \
               --durable: the lease key is gone (another candidate acquires at once; the holder \
               learns it at its next renewal) and the INCR counter restarts at 0, so the next \
               acquisitions get tokens already handed out: two leaders on one token \
               (election-safety invalid). --durable (an append-only file, fsync always) keeps both",
    },
    REDIS_CLOCKS[0],
    REDIS_CLOCKS[1],
];

const ETCD: &[(&str, &str)] = &[("etcd", "etcd-server")];
const REDIS: &[(&str, &str)] = &[("redis-server", "redis-server")];

/// Every third-party target.
pub const ALL: [ThirdParty; 4] = [
    ThirdParty {
        name: "etcd",
        about: "etcd's election API (campaign with a lease, keep-alive, observe, resign) on a 3-member etcd cluster",
        needs: ETCD,
        token: "the leader key's create revision",
        gives_tokens: true,
        faults: &ETCD_SERVER_FAULTS,
        servers: 3,
        clock_aim: ClockAim::Nowhere,
        layout_defaults: "lease TTL 2 s (--lease, whole seconds); candidates shared: one on every node (--candidates)",
    },
    ThirdParty {
        name: "k8s-lease",
        about: "client-go's leader election (a lease record, optimistic concurrency) on etcd's KV",
        needs: ETCD,
        token: "the record's leaderTransitions",
        gives_tokens: true,
        faults: &K8S_FAULTS,
        servers: 3,
        clock_aim: ClockAim::Followers,
        layout_defaults: "lease duration 1.5 s, renew deadline 1 s, retry 0.2 s (--lease sets the duration, the others follow 15:10:2); candidates separate on 5 or more nodes, shared on fewer (--candidates)",
    },
    ThirdParty {
        name: "redis-naive",
        about: "a Redis lease as tutorials write it: SET NX PX to acquire, SET XX PX to renew without checking the owner",
        needs: REDIS,
        token: "none (null): the lease gives no token",
        gives_tokens: false,
        faults: &REDIS_NAIVE_FAULTS,
        servers: 1,
        clock_aim: ClockAim::Servers,
        layout_defaults: "lease PX 1 s (--lease); candidates separate: on every node but the Redis node (--candidates); no persistence (--durable: an append-only file, fsync always)",
    },
    ThirdParty {
        name: "redis-cas",
        about: "a Redis lease renewed and released only while the value is ours (Lua), token from INCR at each acquisition",
        needs: REDIS,
        token: "an INCR counter taken at each acquisition (kept across a kill only with --durable)",
        gives_tokens: true,
        faults: &REDIS_CAS_FAULTS,
        servers: 1,
        clock_aim: ClockAim::Servers,
        layout_defaults: "lease PX 1 s (--lease); candidates separate: on every node but the Redis node (--candidates); no persistence (--durable: an append-only file, fsync always)",
    },
];

/// The third-party target called `name`.
pub fn by_name(name: &str) -> Option<&'static ThirdParty> {
    ALL.iter().find(|t| t.name == name)
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
        let redis_server_clock =
            REDIS_CLOCKS.iter().find(|f| f.fault.contains("Redis server")).unwrap();
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
