//! Loopback clusters of `splitbrain-node` for the integration tests: each node gets its own
//! `127.a.b.i` address and one shared port (as in the sandbox), a fenced resource runs in the
//! test process, and every process is killed and reaped on drop.

#![allow(dead_code)]

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use splitbrain_targets::client::{Client, Reply};
use splitbrain_targets::launch::{
    self, Cluster, LayoutOptions, NodeAddr, NodePlan, NodeProgram, NodeTiming, ProcessSpec,
};
use splitbrain_targets::lines::Timeouts;
use splitbrain_targets::resource::{Decision, Mode, Resource};
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// One report line of a node, with when the test read it.
pub type Reports = Arc<Mutex<Vec<(Instant, Value)>>>;

/// A running node process; killed and reaped on drop.
pub struct Proc {
    pub spec: ProcessSpec,
    child: Option<Child>,
    reader: Option<JoinHandle<()>>,
    pub reports: Reports,
}

impl Proc {
    pub fn start(spec: &ProcessSpec, reports: Reports, log: &PathBuf) -> Proc {
        for dir in &spec.dirs {
            std::fs::create_dir_all(dir).unwrap();
        }
        let err = std::fs::File::options().create(true).append(true).open(log).unwrap();
        let mut child = Command::new(&spec.program)
            .args(&spec.args)
            .env("SPLITBRAIN_TRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("start splitbrain-node");
        let stdout = child.stdout.take().unwrap();
        let sink = reports.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout {line:?}: {e}"));
                sink.lock().unwrap().push((Instant::now(), value));
            }
        });
        Proc { spec: spec.clone(), child: Some(child), reader: Some(reader), reports }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn alive(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }

    /// SIGTERM, then wait up to `limit` for the exit status (SIGKILL after that).
    pub fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        status
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A cluster of nodes on loopback with its resource.
pub struct TestCluster {
    pub plans: Vec<NodePlan>,
    pub nodes: Vec<Proc>,
    pub decisions: Arc<Mutex<Vec<Decision>>>,
    pub resource: Resource,
    pub started: Instant,
    dir: tempfile::TempDir,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh `127.a.b.0` network for one cluster, unlikely to meet another test's.
fn loopback_net() -> [u8; 2] {
    let nanos =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    let mix =
        (std::process::id() as u64) << 20 ^ nanos ^ COUNTER.fetch_add(1, Ordering::SeqCst) << 8;
    let h = mix.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    [(h % 250 + 2) as u8, (h / 250 % 250 + 1) as u8]
}

/// A port free for TCP and UDP on every one of `ips`.
fn free_port(ips: &[IpAddr]) -> u16 {
    for _ in 0..50 {
        let port = TcpListener::bind((ips[0], 0)).unwrap().local_addr().unwrap().port();
        let free = ips.iter().all(|ip| {
            TcpListener::bind((*ip, port)).is_ok() && UdpSocket::bind((*ip, port)).is_ok()
        });
        if free {
            return port;
        }
    }
    panic!("no free port on {ips:?}");
}

impl TestCluster {
    /// Starts `n` nodes of `target` (with `bug`) against a resource in `mode`.
    pub fn start(target: &str, n: u8, bug: Option<&str>, mode: Mode) -> TestCluster {
        let [a, b] = loopback_net();
        let ips: Vec<IpAddr> = (1..=n).map(|i| IpAddr::from([127, a, b, i])).collect();
        let port = free_port(&ips);
        let decisions = Arc::new(Mutex::new(Vec::new()));
        let sink = decisions.clone();
        let resource = Resource::start(SocketAddr::from(([127, a, b, 254], 0)), mode, move |d| {
            sink.lock().unwrap().push(d.clone())
        })
        .unwrap();
        let dir = tempfile::Builder::new().prefix(&format!("sb-own-{a}-{b}-")).tempdir().unwrap();
        let nodes = ips.iter().enumerate();
        let nodes =
            nodes.map(|(i, ip)| NodeAddr { name: format!("n{}", i + 1), ip: *ip }).collect();
        let cluster = Cluster {
            nodes,
            port,
            resource: resource.addr(),
            data_root: dir.path().to_path_buf(),
            bug: bug.map(|b| b.parse().expect("a planted bug")),
            seed: 11,
            timing: NodeTiming::default(),
            layout: LayoutOptions::default(),
            node_program: NodeProgram::binary(env!("CARGO_BIN_EXE_splitbrain-node")),
        };
        let plans = launch::find(target).unwrap().plan(&cluster).unwrap();
        let started = Instant::now();
        let nodes = plans.iter().map(|p| start_candidate(p, dir.path())).collect();
        TestCluster { plans, nodes, decisions, resource, started, dir }
    }

    pub fn name(&self, i: usize) -> &str {
        &self.plans[i].node
    }

    pub fn client(&self, i: usize) -> Client {
        Client::new(self.plans[i].client_addr.unwrap(), Timeouts::ms(200, 1000))
    }

    /// `status` of node `i`, if it answers.
    pub fn status(&self, i: usize) -> Option<Reply> {
        if !self.nodes[i].alive() {
            return None;
        }
        self.client(i).status().ok()
    }

    /// The live nodes that say they lead, with their tokens.
    pub fn leaders(&self) -> Vec<(usize, u64)> {
        let statuses = (0..self.nodes.len()).filter_map(|i| self.status(i).map(|s| (i, s)));
        statuses.filter(|(_, s)| s.is_leader()).map(|(i, s)| (i, s.token().unwrap())).collect()
    }

    /// Polls `f` every 10 ms until it gives `Some`, or `limit` passes.
    pub fn wait_for<T>(&self, limit: Duration, mut f: impl FnMut(&Self) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(t) = f(self) {
                return Some(t);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for exactly one live node to lead; returns it and its token.
    pub fn one_leader(&self, limit: Duration) -> Option<(usize, u64)> {
        self.wait_for(limit, |c| match c.leaders().as_slice() {
            [one] => Some(*one),
            _ => None,
        })
    }

    /// Every report of node `i` so far.
    pub fn reports(&self, i: usize) -> Vec<Value> {
        self.nodes[i].reports.lock().unwrap().iter().map(|(_, v)| v.clone()).collect()
    }

    /// Every `elected` report of every node so far: (node index, token).
    pub fn elections(&self) -> Vec<(usize, u64)> {
        let all =
            (0..self.nodes.len()).flat_map(|i| self.reports(i).into_iter().map(move |r| (i, r)));
        let elected = all.filter(|(_, r)| r["f"] == "elected");
        elected.map(|(i, r)| (i, r["value"]["token"].as_u64().unwrap())).collect()
    }

    pub fn kill(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    pub fn restart(&mut self, i: usize) {
        let spec = self.plans[i].candidate.clone().unwrap();
        self.nodes[i] = Proc::start(
            &spec,
            self.nodes[i].reports.clone(),
            &self.dir.path().join(format!("{}.log", spec.node)),
        );
    }

    /// The stderr log of node `i`.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{}.log", self.plans[i].node)))
            .unwrap_or_default()
    }
}

fn start_candidate(plan: &NodePlan, dir: &std::path::Path) -> Proc {
    let spec = plan.candidate.as_ref().unwrap();
    Proc::start(spec, Reports::default(), &dir.join(format!("{}.log", spec.node)))
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
    }
}
