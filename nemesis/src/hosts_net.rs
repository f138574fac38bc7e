//! A [`Net`] whose nodes are real hosts: a master connection to each, the binary (and a
//! target's folder) copied to a run folder on each, a host agent started on each (its session
//! is the node's rule shell), and the clock offsets of the hosts measured over the same links.
//!
//! Neighbours: `remote.rs` makes the `ssh` commands; `install.rs` copies the files; `agent.rs`
//! is what runs at the other end; `net.rs` is the same network type the sandbox builds, so
//! every fault works unchanged.

use crate::error::{Error, Result};
use crate::firewall::Firewall;
use crate::install;
use crate::net::{Net, Node, UP};
use crate::nft::NftShell;
use crate::node_clock::NodeClock;
use crate::proc::ProcTable;
use crate::remote::{quote, Hosts, Remote, RemotePlace};
use crate::sandbox::Sandbox;
use serde_json::{json, Value};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

impl Net {
    /// Reaches every host of `hosts` over SSH: copies this executable (and `folder`, a target
    /// file's folder, whole) into a new run folder on each and starts its host agent there.
    /// `data_root` is the controller's folder of node data, which becomes the run folder's
    /// `nodes` on the hosts; `folder` becomes its `target`.
    pub fn over_ssh(
        _sandbox: &Sandbox,
        hosts: &Hosts,
        data_root: &Path,
        folder: Option<&Path>,
    ) -> Result<Net> {
        if hosts.hosts.is_empty() {
            return Err(Error::BadInput("the hosts file names no hosts: add [nodes.n1] …".into()));
        }
        if let Some(f) = folder {
            install::check_folder(f)?;
        }
        let remote = Remote::new(hosts, data_root, folder)?;
        let controller = match hosts.controller {
            Some(a) => a,
            None => route_source(hosts.hosts[0].addr)?,
        };
        if UP.swap(true, Ordering::SeqCst) {
            return Err(Error::BadInput("a node network is already up: drop it first".into()));
        }
        let nodes: Vec<Node> =
            remote.hosts.iter().map(|h| Node { name: h.name.clone(), addr: h.addr }).collect();
        let clock = |_: &Node| {
            let path = remote.run.join("clock");
            Mutex::new(NodeClock::There { path, state: Default::default() })
        };
        let mut net = Net {
            clocks: nodes.iter().map(clock).collect(),
            nodes,
            veths: Vec::new(),
            controller_veth: Default::default(),
            tools: None,
            netns: Vec::new(),
            place: Arc::new(RemotePlace::new(remote.clone())),
            firewall: Mutex::new(Firewall::default()),
            procs: ProcTable::default(),
            links: Mutex::default(),
            shim: remote.run.join(crate::clock::SHIM_FILE),
            controller,
            hosts_mounted: false,
            remote: Some(remote),
        };
        let shells = net.start_agents()?;
        net.firewall = Mutex::new(Firewall::new(shells));
        Ok(net)
    }

    /// Connects to every host, copies the binary there and starts its agent, all hosts at once.
    fn start_agents(&self) -> Result<Vec<NftShell>> {
        let remote = self.remote.as_ref().expect("a network of hosts");
        std::thread::scope(|s| {
            let jobs: Vec<_> =
                (0..remote.hosts.len()).map(|i| s.spawn(move || start_agent(remote, i))).collect();
            jobs.into_iter().map(|j| j.join().expect("agent thread")).collect()
        })
    }

    /// Each host's clock offset from the controller's real-time clock, with the uncertainty of
    /// the round trip it was measured over: the node and the value of its `clock-offset` record
    /// (none in the sandbox, whose nodes share the controller's clock).
    pub fn clock_offsets(&self) -> Vec<(String, Value)> {
        let Some(remote) = self.remote.as_ref() else { return Vec::new() };
        std::thread::scope(|s| {
            let jobs: Vec<_> =
                (0..remote.hosts.len()).map(|i| s.spawn(move || offset(remote, i))).collect();
            jobs.into_iter().map(|j| j.join().expect("offset thread")).collect()
        })
    }
}

fn start_agent(remote: &Remote, i: usize) -> Result<NftShell> {
    let host = &remote.hosts[i];
    remote.open_master(i)?;
    install::binary(remote, i)?;
    if let Some(folder) = remote.folder() {
        install::folder(remote, i, folder)?;
    }
    let line = format!(
        "exec {}{} host-agent {}",
        remote.sudo(i),
        quote(remote.bin().as_os_str()),
        quote(remote.run.as_os_str())
    );
    let child = remote
        .ssh(i, &line)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::os(format!("starting ssh to {} ({})", host.name, host.ssh), e))?;
    NftShell::agent(child, &host.name)
}

/// Host `i`'s clock against the controller's: over a connection that is open already (its
/// first `date` answers the handshake), one line asks for the host's `date +%s%N`, timed
/// from before the question to after the answer.
fn offset(remote: &Remote, i: usize) -> (String, Value) {
    let name = remote.hosts[i].name.clone();
    match measure(remote, i) {
        Ok((theirs, before, after)) => {
            let value = json!({
                "offset_ms": ms(theirs - before / 2 - after / 2),
                "uncertainty_ms": ms((after - before) / 2),
                "rtt_ms": ms(after - before),
            });
            (name, value)
        }
        Err(e) => (name, json!({"error": e})),
    }
}

/// (host's time, controller's time before, controller's time after), in ns since the epoch.
fn measure(remote: &Remote, i: usize) -> std::result::Result<(i64, i64, i64), String> {
    let mut child = remote
        .ssh(i, "date +%s%N; read go; date +%s%N")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting ssh: {e}"))?;
    let timed = ask_time(&mut child);
    if crate::tools::wait_bounded(&mut child, Duration::from_secs(5)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let (said, before, after) = timed?;
    let theirs = said.trim().parse::<i64>().map_err(|_| format!("`date +%s%N` said {said:?}"))?;
    Ok((theirs, before, after))
}

/// Waits for the first answer (the handshake is over then), then times one question.
fn ask_time(child: &mut std::process::Child) -> std::result::Result<(String, i64, i64), String> {
    use std::io::{BufRead, BufReader, Write};
    let (mut stdin, stdout) =
        (child.stdin.take().expect("piped"), child.stdout.take().expect("piped"));
    let mut lines = BufReader::new(stdout).lines();
    let mut next = || lines.next().and_then(|l| l.ok()).ok_or("no answer from `date +%s%N`");
    next()?;
    let before = crate::clock::real_ns();
    writeln!(stdin, "go").map_err(|e| format!("asking the time: {e}"))?;
    let said = next()?;
    Ok((said, before, crate::clock::real_ns()))
}

fn ms(ns: i64) -> f64 {
    (ns as f64 / 1e3).round() / 1e3
}

/// The local address the kernel would send from to reach `to` (no packet is sent).
fn route_source(to: Ipv4Addr) -> Result<Ipv4Addr> {
    let sock = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|s| s.connect((to, 9)).map(|()| s))
        .map_err(|e| Error::os(format!("finding the controller's address towards {to}"), e))?;
    match sock.local_addr() {
        Ok(std::net::SocketAddr::V4(a)) => Ok(*a.ip()),
        _ => Err(Error::BadInput(format!(
            "no IPv4 route to {to}: set `controller = \"ADDR\"` in the hosts file"
        ))),
    }
}

/// What shows whether a host's kernel can delay packets: a netem qdisc on the loopback of a
/// scratch network namespace, so that none of the host's own interfaces is touched.
pub const NETEM_PROBE: &str = "unshare -n tc qdisc add dev lo root netem delay 1ms";

impl Net {
    /// The hosts whose kernel cannot delay packets with netem, each with its name and what
    /// [`NETEM_PROBE`] said there (run under `sudo -n` where the host has `sudo = true`); empty
    /// when every host can, and in the sandbox.
    pub fn hosts_without_netem(&self) -> Vec<(String, String)> {
        let Some(remote) = self.remote.as_ref() else { return Vec::new() };
        std::thread::scope(|s| {
            let jobs: Vec<_> =
                (0..remote.hosts.len()).map(|i| s.spawn(move || netem_probe(remote, i))).collect();
            let said: Vec<Option<String>> =
                jobs.into_iter().map(|j| j.join().expect("probe thread")).collect();
            let names = remote.hosts.iter().map(|h| format!("{} ({})", h.name, h.ssh));
            names.zip(said).filter_map(|(n, s)| Some((n, s?))).collect()
        })
    }
}

/// `None` when host `i` made a netem qdisc; else what the probe printed.
fn netem_probe(remote: &Remote, i: usize) -> Option<String> {
    let line = format!("{}{NETEM_PROBE} 2>&1", remote.sudo(i));
    let child = remote.ssh(i, &line).stdin(Stdio::null()).stdout(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Some(format!("starting ssh: {e}")),
    };
    let status = crate::tools::wait_bounded(&mut child, Duration::from_secs(15));
    let mut said = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut out, &mut said);
    }
    match status {
        Ok(Some(s)) if s.success() => None,
        Ok(Some(_)) => Some(said.trim().to_string()),
        _ => Some("no answer within 15 s".into()),
    }
}
