//! The command line of a node (`splitbrain node …`, or the `splitbrain-node` binary) and its
//! main: parse, check, build the elector, bind, run until SIGTERM or SIGINT.
//!
//! Exit status: 0 after a clean stop, 2 for bad options (one line on stderr naming what is
//! wrong), 1 when the node failed while running (its elector could not persist its state, …).

use super::{electors, Node, NodeConfig, NodeError};
use crate::bugs::{Bug, Bugs};
use crate::lines::Timeouts;
use crate::own::ElectionTiming;
use crate::seat::stdout_reporter;
use crate::stop::{self, Stop};
use clap::Parser;
use std::ffi::OsString;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// One candidate of a splitbrain test: elects, serves clients, writes to the fenced resource.
/// Reports `elected`/`stepdown` as JSON lines on stdout; logs on stderr.
#[derive(Debug, Parser)]
#[command(name = "splitbrain-node", version)]
pub struct Args {
    /// This node's name; must appear in --peers.
    #[arg(long)]
    pub id: String,
    /// Where to serve clients (TCP) and peers (UDP, same port).
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: String,
    /// Every node's name and address, this one included: n1=HOST:PORT,n2=HOST:PORT,…
    #[arg(long, value_name = "NAME=HOST:PORT,…")]
    pub peers: String,
    /// The election strategy.
    #[arg(long, default_value = "raft", value_name = "NAME")]
    pub elector: String,
    /// A third-party elector's option (repeatable), e.g. `endpoints=http://10.0.0.1:2379`
    /// for `etcd`; see the `thirdparty::build` module for the keys.
    #[arg(long = "elector-opt", value_name = "KEY=VALUE")]
    pub elector_opts: Vec<String>,
    /// Where the elector keeps its durable state (created when missing).
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The fenced resource's address.
    #[arg(long, value_name = "HOST:PORT")]
    pub resource: String,
    /// A planted bug to switch on (repeatable).
    #[arg(long = "bug", value_name = "NAME")]
    pub bugs: Vec<String>,
    /// Election timeout range, drawn uniformly per timeout.
    #[arg(long, default_value = "150-300", value_name = "MIN-MAX")]
    pub election_timeout_ms: String,
    /// Leader heartbeat interval.
    #[arg(long, default_value_t = 50, value_name = "MS")]
    pub heartbeat_ms: u64,
    /// Leader work interval (a write to the resource's "work" key); 0 switches it off.
    #[arg(long, default_value_t = 100, value_name = "MS")]
    pub work_interval_ms: u64,
    /// Bound of each request to the resource.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub resource_timeout_ms: u64,
    /// Bound of the leadership confirmation before a read.
    #[arg(long, default_value_t = 300, value_name = "MS")]
    pub confirm_timeout_ms: u64,
    /// Seed of every random choice (mixed with --id).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Args {
    /// The configuration these options describe, or a one-line reason they cannot work.
    pub fn config(&self) -> Result<NodeConfig, String> {
        let peers = parse_peers(&self.peers)?;
        let resource = resolve(&self.resource).map_err(|e| format!("--resource: {e}"))?;
        let mut cfg = NodeConfig::new(&self.id, peers, resource);
        cfg.listen = resolve(&self.listen).map_err(|e| format!("--listen: {e}"))?;
        cfg.elector = self.elector.clone();
        let opts = self.elector_opts.iter().map(|o| crate::thirdparty::build::parse_opt(o));
        cfg.elector_opts = opts.collect::<Result<_, _>>()?;
        cfg.data_dir = self.data_dir.clone();
        cfg.bugs = parse_bugs(&self.bugs)?;
        cfg.timing = self.timing()?;
        cfg.work_interval = Duration::from_millis(self.work_interval_ms);
        cfg.resource_timeouts =
            Timeouts::ms(self.resource_timeout_ms.min(250), self.resource_timeout_ms);
        cfg.confirm_timeout = Duration::from_millis(self.confirm_timeout_ms);
        cfg.seed = self.seed;
        Ok(cfg)
    }

    fn timing(&self) -> Result<ElectionTiming, String> {
        let bad = || {
            format!(
                "--election-timeout-ms: expected MIN-MAX in ms (like 150-300), got {:?}",
                self.election_timeout_ms
            )
        };
        let (lo, hi) = self.election_timeout_ms.split_once('-').ok_or_else(bad)?;
        let (lo, hi): (u64, u64) =
            (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
        if lo == 0 || hi < lo {
            return Err(bad());
        }
        if self.heartbeat_ms == 0 || self.heartbeat_ms >= lo {
            return Err(format!(
                "--heartbeat-ms must be above 0 and below the shortest election timeout ({lo}), got {}",
                self.heartbeat_ms
            ));
        }
        Ok(ElectionTiming {
            election_min: Duration::from_millis(lo),
            election_max: Duration::from_millis(hi),
            heartbeat: Duration::from_millis(self.heartbeat_ms),
        })
    }
}

/// Parses `n1=HOST:PORT,n2=HOST:PORT,…`, resolving each host.
pub fn parse_peers(s: &str) -> Result<Vec<(String, SocketAddr)>, String> {
    let mut peers: Vec<(String, SocketAddr)> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, addr) = item
            .split_once('=')
            .filter(|(n, _)| !n.is_empty())
            .ok_or_else(|| format!("--peers: expected NAME=HOST:PORT, got {item:?}"))?;
        if peers.iter().any(|(n, _)| n == name) {
            return Err(format!("--peers: {name} is named twice"));
        }
        let addr = resolve(addr).map_err(|e| format!("--peers: {name}: {e}"))?;
        peers.push((name.to_string(), addr));
    }
    if peers.is_empty() {
        return Err("--peers: no node given; expected n1=HOST:PORT,n2=HOST:PORT,…".into());
    }
    Ok(peers)
}

fn parse_bugs(names: &[String]) -> Result<Bugs, String> {
    let parse = |name: &String| name.parse::<Bug>().map_err(|e| format!("--bug: {e}"));
    Ok(Bugs::of(names.iter().map(parse).collect::<Result<Vec<_>, _>>()?))
}

/// Resolves `HOST:PORT` (a name or an address), preferring IPv4.
pub fn resolve(s: &str) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {s:?} (expected HOST:PORT): {e}"))?
        .collect();
    let v4 = addrs.iter().find(|a| a.is_ipv4());
    v4.or(addrs.first()).copied().ok_or_else(|| format!("{s:?} resolves to no address"))
}

/// The whole `splitbrain-node` process.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// The whole node process, given its command line (the first item names the program, as
/// `argv[0]` does; `splitbrain node` passes its own words there).
pub fn main_from<I, T>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match args.config().map_err(NodeError::BadConfig).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("splitbrain-node: {e}");
            ExitCode::from(if matches!(e, NodeError::BadConfig(_)) { 2 } else { 1 })
        }
    }
}

fn run(cfg: NodeConfig) -> Result<(), NodeError> {
    stop::install_signal_handlers()
        .map_err(|e| NodeError::BadConfig(format!("cannot install signal handlers: {e}")))?;
    let elector = electors::build(&cfg)?;
    eprintln!(
        "splitbrain-node {}: {} on {}, resource {}, bugs {:?}",
        cfg.id, cfg.elector, cfg.listen, cfg.resource, cfg.bugs
    );
    let node = Node::bind(cfg, elector, stdout_reporter())?;
    let stop = Stop::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.sleep(Duration::from_millis(20)) {
                if stop::signalled() {
                    stop.stop();
                }
            }
        });
        let result = node.run(&stop);
        stop.stop();
        result
    })
}
