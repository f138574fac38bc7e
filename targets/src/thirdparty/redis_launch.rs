//! Launching one `redis-server` (Debian's 7.0) on one node as a [`ProcessSpec`]: no persistence
//! (as a cache or a lock server is usually run) unless asked to be durable, bound to the node's
//! own address, protected mode off (the sandbox has no route out), and the
//! clock shim requested, so clock faults reach the server's expiry clock. Neighbours:
//! [`super::redis`] holds the electors that use it; [`super::local`] runs the plan on loopback.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::Result;
use super::local::{free_ports, LocalProcess};
use crate::launch::ProcessSpec;

/// Redis's standard port, used inside the sandbox.
pub const REDIS_PORT: u16 = 6379;

/// One Redis server: its node, address, and working folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisServer {
    /// The node it runs on (`"n1"`).
    pub node: String,
    /// The address it binds.
    pub ip: IpAddr,
    /// Its port.
    pub port: u16,
    /// Its working folder (`--dir`): the append-only file when durable; otherwise nothing is
    /// persisted there, but Redis insists on one.
    pub dir: PathBuf,
    /// Keep the data across a kill: an append-only file, fsynced before each write is answered
    /// (`appendfsync always`). A process kill keeps the kernel's page cache, so `everysec`
    /// would look the same here; only a machine crash tells them apart (it loses up to a second
    /// of writes under `everysec`, nothing under `always`).
    pub durable: bool,
    /// Whether to ask for the clock shim (true by default: clock bumps on the server are the
    /// fault that makes Redis leases expire early).
    pub clock_shim: bool,
}

impl RedisServer {
    /// A server on `node` at `ip`, standard port, working in `dir`.
    pub fn on_node(node: &str, ip: IpAddr, dir: &Path) -> RedisServer {
        let dir = dir.to_path_buf();
        RedisServer {
            node: node.into(),
            ip,
            port: REDIS_PORT,
            dir,
            clock_shim: true,
            durable: false,
        }
    }

    /// A server named `n1` on 127.0.0.1, on a port that was free just now.
    pub fn loopback(dir: &Path) -> Result<RedisServer> {
        let port = free_ports(1)?[0];
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        Ok(RedisServer { port, ..RedisServer::on_node("n1", ip, dir) })
    }

    /// The URL clients connect to (`redis://10.0.0.1:6379/`).
    pub fn url(&self) -> String {
        format!("redis://{}/", SocketAddr::new(self.ip, self.port))
    }

    /// The process plan.
    pub fn plan(&self) -> ProcessSpec {
        // Never RDB snapshots; an AOF only when durable: otherwise a killed server comes back
        // empty, as a cache does.
        let aof: &[(&str, &str)] = match self.durable {
            true => &[("--appendonly", "yes"), ("--appendfsync", "always")],
            false => &[("--appendonly", "no")],
        };
        let aof = aof.iter().map(|(k, v)| (*k, v.to_string()));
        let args = [
            ("--bind", self.ip.to_string()),
            ("--port", self.port.to_string()),
            ("--save", String::new()),
        ]
        .into_iter()
        .chain(aof)
        .chain([
            ("--protected-mode", "no".into()),
            ("--daemonize", "no".into()),
            ("--dir", self.dir.display().to_string()),
            ("--logfile", String::new()),
        ]);
        ProcessSpec {
            node: self.node.clone(),
            role: "redis".into(),
            program: "redis-server".into(),
            args: args.flat_map(|(k, v)| [k.to_string(), v]).collect(),
            env: Vec::new(),
            clock_shim: self.clock_shim,
            go: false,
            ready_addr: Some(SocketAddr::new(self.ip, self.port)),
            dirs: vec![self.dir.clone()],
        }
    }
}

/// A server running as a local process; killed on drop.
#[derive(Debug)]
pub struct LocalRedis {
    /// What was started.
    pub server: RedisServer,
    /// The process.
    pub process: LocalProcess,
}

impl LocalRedis {
    /// Starts `server` with `extra_env` added (e.g. the clock shim's `LD_PRELOAD` and control
    /// file, which a local run must supply itself: the sandbox would), logging to
    /// `<dir>/redis.log`, and waits up to `limit` for its port.
    pub fn start(
        server: RedisServer,
        extra_env: &[(String, String)],
        limit: Duration,
    ) -> Result<LocalRedis> {
        let mut plan = server.plan();
        plan.env.extend_from_slice(extra_env);
        std::fs::create_dir_all(&server.dir)
            .map_err(|e| super::error::Error::io("create redis dir", e))?;
        let mut process = LocalProcess::start(&plan, &server.dir.join("redis.log"))?;
        process.wait_ready(limit)?;
        Ok(LocalRedis { server, process })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_persists_nothing_binds_its_node_and_wants_the_shim() {
        let s = RedisServer::on_node("n2", "10.77.0.2".parse().unwrap(), Path::new("/run/r"));
        let p = s.plan();
        let at = |flag: &str| p.args[p.args.iter().position(|a| a == flag).unwrap() + 1].clone();
        assert_eq!(at("--save"), "");
        assert_eq!(at("--appendonly"), "no");
        assert_eq!(at("--bind"), "10.77.0.2");
        assert_eq!(at("--protected-mode"), "no");
        assert!(p.clock_shim);
        assert_eq!(s.url(), "redis://10.77.0.2:6379/");
        assert_eq!(p.command_line().matches("''").count(), 2, "{}", p.command_line());
    }
}
