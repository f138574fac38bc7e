//! The target on the nodes: turns the target's plain-data plan (`splitbrain_targets::launch`)
//! into processes on the sandbox's nodes, waits until they serve, and stops them at the end.
//! This is the one module that knows what a target is made of.
//!
//! Neighbours: processes start through `splitbrain_nemesis::Net::spawn`; each candidate's
//! stdout goes to [`super::reports::Readers`]; the nemesis finds the processes through the
//! `Net`, so a kill or pause reaches servers and candidates alike.
//!
//! Files, in `nodes/<node>/` of the run: `<role>.log` (stderr, and stdout of servers),
//! `reports.jsonl` (a candidate's raw reports), and the node's data directory's files.

use super::log::Log;
use super::reports::Readers;
use anyhow::{anyhow, Context};
use splitbrain_nemesis::{Net, Output, Proc};
use splitbrain_results::RunDir;
use splitbrain_targets::launch::{self, NodePlan, ProcessSpec, Target};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections.
const SERVER_READY: Duration = Duration::from_secs(20);
/// How long a candidate may take to accept connections.
const CANDIDATE_READY: Duration = Duration::from_secs(5);

/// One node's processes.
pub struct Member {
    /// The node.
    pub name: String,
    /// Where clients reach it (`None`: no candidate here).
    pub client_addr: Option<SocketAddr>,
    servers: Vec<Proc>,
    candidate: Option<Proc>,
    dir: PathBuf,
}

/// The running target.
pub struct Cluster {
    members: Vec<Member>,
    programs: Vec<PathBuf>,
}

impl Cluster {
    /// Starts `target` on the nodes of `net` as `config` describes: every node's servers
    /// first (waiting for each), then every candidate, whose reports `readers` read.
    pub fn start(
        net: &Net,
        target: &dyn Target,
        config: &launch::Cluster,
        run: &RunDir,
        readers: &Readers,
        log: &Log,
    ) -> anyhow::Result<Cluster> {
        let plans = target.plan(config).map_err(|e| anyhow!("planning {}: {e}", target.name()))?;
        let mut cluster = Cluster { members: Vec::new(), programs: programs_of(&plans) };
        log_commands(&plans, log);
        for plan in &plans {
            let dir = run.node_dir(&plan.node)?;
            let servers = plan
                .servers
                .iter()
                .map(|s| spawn(net, s, &dir, false))
                .collect::<anyhow::Result<Vec<_>>>()?;
            cluster.members.push(Member {
                name: plan.node.clone(),
                client_addr: plan.client_addr,
                servers,
                candidate: None,
                dir,
            });
        }
        for spec in plans.iter().flat_map(|p| &p.servers) {
            wait_ready(spec, SERVER_READY)?;
        }
        log.debug(format!("servers up: {}", count(&plans, |p| p.servers.len())));
        for (plan, member) in plans.iter().zip(&mut cluster.members) {
            if let Some(spec) = &plan.candidate {
                member.candidate = Some(spawn(net, spec, &member.dir, true)?);
            }
        }
        for spec in plans.iter().filter_map(|p| p.candidate.as_ref()) {
            wait_ready(spec, CANDIDATE_READY)?;
        }
        for m in &cluster.members {
            m.watch_reports(readers);
        }
        log.debug(format!("candidates up: {}", count(&plans, |p| p.candidate.is_some() as usize)));
        Ok(cluster)
    }

    /// The nodes clients talk to, with their addresses.
    pub fn client_nodes(&self) -> Vec<(String, SocketAddr)> {
        self.members.iter().filter_map(|m| Some((m.name.clone(), m.client_addr?))).collect()
    }

    /// The nodes, in order.
    pub fn names(&self) -> Vec<String> {
        self.members.iter().map(|m| m.name.clone()).collect()
    }

    /// After `nodes` were restarted: read their candidates' new stdout pipes.
    pub fn restarted(&self, nodes: &[String], readers: &Readers) {
        for m in self.members.iter().filter(|m| nodes.contains(&m.name)) {
            m.watch_reports(readers);
        }
    }

    /// The nodes with a process that is not running (killed, or ended by itself).
    pub fn down(&self) -> Vec<String> {
        let down = |m: &&Member| m.procs().any(|p| !p.is_running());
        self.members.iter().filter(down).map(|m| m.name.clone()).collect()
    }

    /// Stops every process: SIGTERM to the candidates (so a leader reports its stepdown), then
    /// to the servers, each group given `limit` before SIGKILL. A candidate's SIGTERM goes to
    /// the node process alone: a node hosting a user's candidate ends it itself, in the order
    /// PROTOCOL.md promises (stdin closed, then SIGTERM, then SIGKILL).
    pub fn stop(&self, limit: Duration) {
        let candidates: Vec<&Proc> =
            self.members.iter().filter_map(|m| m.candidate.as_ref()).collect();
        terminate(&candidates, limit, false);
        let servers: Vec<&Proc> = self.members.iter().flat_map(|m| &m.servers).collect();
        terminate(&servers, limit, true);
    }

    /// `program --version` of each distinct program of the target (bounded, best effort).
    pub fn versions(&self) -> BTreeMap<String, String> {
        self.programs.iter().filter_map(|p| Some((file_name(p), version_of(p)?))).collect()
    }
}

impl Member {
    fn procs(&self) -> impl Iterator<Item = &Proc> {
        self.servers.iter().chain(&self.candidate)
    }

    fn watch_reports(&self, readers: &Readers) {
        if let Some(stdout) = self.candidate.as_ref().and_then(Proc::take_stdout) {
            readers.watch(&self.name, stdout, self.dir.join("reports.jsonl"));
        }
    }
}

/// Starts one process: a candidate's stdout is piped to the report reader, everything else
/// goes to `<role>.log` in the node's folder.
fn spawn(net: &Net, spec: &ProcessSpec, dir: &Path, candidate: bool) -> anyhow::Result<Proc> {
    spec.prepare().with_context(|| format!("creating {:?}", spec.dirs))?;
    let log = Output::File(dir.join(format!("{}.log", spec.role)));
    let stdout = if candidate { Output::Pipe } else { log.clone() };
    net.spawn(&spec.node, spec.proc_spec().output(stdout, log))
        .with_context(|| format!("starting the {} on {}", spec.role, spec.node))
}

/// Every process's command line, so a run's log says exactly what ran (lease, placement, …).
fn log_commands(plans: &[NodePlan], log: &Log) {
    for spec in plans.iter().flat_map(|p| p.servers.iter().chain(&p.candidate)) {
        let args = spec.args.join(" ");
        log.debug(format!("{} on {}: {} {args}", spec.role, spec.node, spec.program.display()));
    }
}

/// Waits until `spec.ready_addr` accepts a connection.
fn wait_ready(spec: &ProcessSpec, limit: Duration) -> anyhow::Result<()> {
    let Some(addr) = spec.ready_addr else { return Ok(()) };
    let deadline = Instant::now() + limit;
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            return Err(anyhow!(
                "the {} on {} did not accept connections at {addr} within {} s (see nodes/{}/{}.log)",
                spec.role,
                spec.node,
                limit.as_secs(),
                spec.node,
                spec.role
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// SIGTERM to each (to its whole group, or to the process alone), then SIGKILL to the group of
/// those still running after `limit`.
fn terminate(procs: &[&Proc], limit: Duration, group: bool) {
    for p in procs {
        let term = splitbrain_nemesis::proc::Signal::SIGTERM;
        let _ = match (group, p.pid()) {
            (true, _) => p.signal(term).map(drop).map_err(drop),
            (false, Some(pid)) => {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), term).map_err(drop)
            }
            (false, None) => Ok(()),
        };
    }
    let deadline = Instant::now() + limit;
    for p in procs {
        let left = deadline.saturating_duration_since(Instant::now());
        if p.is_running() && p.wait_timeout(left).is_none() {
            let _ = p.kill();
        }
    }
}

fn programs_of(plans: &[NodePlan]) -> Vec<PathBuf> {
    let mut programs: Vec<PathBuf> = Vec::new();
    for spec in plans.iter().flat_map(|p| p.servers.iter().chain(&p.candidate)) {
        if !programs.contains(&spec.program) {
            programs.push(spec.program.clone());
        }
    }
    programs
}

fn count(plans: &[NodePlan], f: impl Fn(&NodePlan) -> usize) -> usize {
    plans.iter().map(f).sum()
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |f| f.to_string_lossy().into_owned())
}

/// The first line `program --version` prints, within 2 s.
fn version_of(program: &Path) -> Option<String> {
    let mut child = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let status =
        splitbrain_nemesis::tools::wait_bounded(&mut child, Duration::from_secs(2)).ok()??;
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
    let line = out.lines().next()?.trim().to_string();
    (status.success() && !line.is_empty()).then_some(line)
}
