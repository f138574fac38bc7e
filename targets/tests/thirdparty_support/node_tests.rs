//! The third-party targets end to end on loopback, exactly as the controller would start them:
//! `ThirdParty::plan_with` gives the servers and the `splitbrain-node` candidates; the
//! servers run on `127.a.b.i` at their standard ports, the fenced resource in this process.
//! A leader's work must reach the resource under its token; after the leader is killed,
//! another must lead under a higher token.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use serde_json::Value;
use splitbrain_targets::launch::{Cluster, NodeAddr, NodeProgram, NodeTiming, ProcessSpec};
use splitbrain_targets::resource::{Decision, Mode, Resource};
use splitbrain_targets::thirdparty::catalog;
use splitbrain_targets::thirdparty::layout::LayoutOptions;
use splitbrain_targets::thirdparty::local::LocalProcess;

use super::{ensure, fail, Scratch};

pub fn trials() -> Vec<Trial> {
    let t = |program, name, f| crate::needs(program, name, f);
    vec![
        t(
            "etcd",
            "etcd_nodes_elect_write_under_the_revision_and_fail_over_to_a_higher_one",
            || failover("etcd", 3),
        ),
        t("etcd", "k8s_lease_nodes_write_under_the_transition_count_and_fail_over", || {
            failover("k8s-lease", 3)
        }),
        t("redis-server", "redis_cas_nodes_write_under_the_incr_token_and_fail_over", || {
            failover("redis-cas", 3)
        }),
    ]
}

/// A candidate process whose stdout reports are collected; killed on drop.
struct Candidate {
    node: String,
    child: Child,
    reader: Option<JoinHandle<()>>,
    reports: Arc<Mutex<Vec<Value>>>,
}

impl Candidate {
    fn start(spec: &ProcessSpec, log: &std::path::Path) -> Result<Candidate, String> {
        spec.dirs.iter().try_for_each(std::fs::create_dir_all).map_err(fail)?;
        let err = std::fs::File::options().create(true).append(true).open(log).map_err(fail)?;
        let mut child = Command::new(&spec.program)
            .args(&spec.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("start {}: {e}", spec.program.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let reports = Arc::new(Mutex::new(Vec::new()));
        let sink = reports.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        Ok(Candidate { node: spec.node.clone(), child, reader: Some(reader), reports })
    }

    /// Tokens of its `elected` reports so far.
    fn elected(&self) -> Vec<u64> {
        let reports = self.reports.lock().unwrap();
        reports
            .iter()
            .filter(|r| r["f"] == "elected")
            .filter_map(|r| r["value"]["token"].as_u64())
            .collect()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

impl Drop for Candidate {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Addresses `127.a.b.1..=n` of this trial alone. The servers listen on their standard ports,
/// so two trials of one run must never share an address: `a` comes from the process id, `b`
/// from a counter of trials. (A clock-derived choice once gave two trials the same addresses,
/// and the k8s-lease candidates campaigned on the etcd trial's cluster until it was stopped.)
fn loopback_ips(n: u8) -> Vec<IpAddr> {
    static TRIALS: AtomicU8 = AtomicU8::new(0);
    let a = (std::process::id() % 200 + 30) as u8;
    let b = TRIALS.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    (1..=n).map(|i| IpAddr::from([127, a, b, i])).collect()
}

/// Fails unless every server address is free: a listener already there would answer the
/// readiness probe in place of ours.
fn ensure_free(addrs: &[SocketAddr]) -> Result<(), String> {
    for addr in addrs {
        TcpListener::bind(addr)
            .map_err(|e| format!("{addr} is taken ({e}): another server runs there"))?;
    }
    Ok(())
}

fn failover(target: &str, n: u8) -> Result<(), String> {
    let scratch = Scratch::new(&format!("e2e-{target}"));
    let ips = loopback_ips(n);
    let port = TcpListener::bind((ips[0], 0)).map_err(fail)?.local_addr().map_err(fail)?.port();
    let decisions: Arc<Mutex<Vec<Decision>>> = Arc::default();
    let sink = decisions.clone();
    let resource_at = SocketAddr::new(ips[0], 0);
    let resource =
        Resource::start(resource_at, Mode::Fenced, move |d| sink.lock().unwrap().push(d.clone()))
            .map_err(fail)?;
    let nodes =
        ips.iter().enumerate().map(|(i, ip)| NodeAddr { name: format!("n{}", i + 1), ip: *ip });
    let cluster = Cluster {
        nodes: nodes.collect(),
        port,
        resource: resource.addr(),
        data_root: scratch.path().to_path_buf(),
        bug: None,
        seed: 3,
        timing: NodeTiming::default(),
        layout: LayoutOptions::default(),
        node_program: NodeProgram::binary(env!("CARGO_BIN_EXE_splitbrain-node")),
    };
    let t = catalog::by_name(target).ok_or("unknown target")?;
    let (plans, layout) = t.plan_with(&cluster, &LayoutOptions::default()).map_err(fail)?;
    let log = |node: &str, role: &str| scratch.path().join(format!("{node}.{role}.log"));
    ensure_free(&layout.server_addrs())?;
    let mut servers = Vec::new();
    for s in &layout.servers {
        servers.push(LocalProcess::start(s, &log(&s.node, &s.role)).map_err(fail)?);
    }
    for s in &mut servers {
        s.wait_ready(Duration::from_secs(20)).map_err(fail)?; // ours, not a stranger's
    }
    layout.wait_ready(Duration::from_secs(20)).map_err(fail)?;
    let mut candidates = Vec::new();
    for spec in plans.iter().filter_map(|p| p.candidate.as_ref()) {
        candidates.push(Candidate::start(spec, &log(&spec.node, "candidate"))?);
    }
    let checked = check_failover(&mut candidates, &decisions);
    drop(candidates);
    resource.stop();
    checked.map_err(|e| format!("{target}: {e}"))
}

/// How long a leader (first, or after the kill) may take to appear.
const LEADER_BOUND: Duration = Duration::from_secs(30);

fn check_failover(
    candidates: &mut [Candidate],
    decisions: &Mutex<Vec<Decision>>,
) -> Result<(), String> {
    // Generous bounds: this claims who leads and under which token, not how fast; the trials
    // share two cores with other clusters, and a 10 s bound was once missed under that load.
    let (first, t1) = wait_leader(candidates, None, LEADER_BOUND)?;
    wait_work(decisions, &candidates[first].node, t1)?;
    candidates[first].kill();
    let (second, t2) = wait_leader(candidates, Some(first), LEADER_BOUND)?;
    ensure(t2 > t1, format!("{} leads under {t2}, not above {t1}", candidates[second].node))?;
    wait_work(decisions, &candidates[second].node, t2)
}

/// The one candidate (other than `dead`) whose latest report is `elected`, and its token.
fn wait_leader(
    candidates: &[Candidate],
    dead: Option<usize>,
    limit: Duration,
) -> Result<(usize, u64), String> {
    let deadline = Instant::now() + limit;
    loop {
        let leading: Vec<(usize, u64)> = (0..candidates.len())
            .filter(|&i| Some(i) != dead && leads(&candidates[i]))
            .filter_map(|i| candidates[i].elected().last().map(|t| (i, *t)))
            .collect();
        match leading.as_slice() {
            [one] => return Ok(*one),
            many if many.len() > 1 => return Err(format!("several leaders at once: {many:?}")),
            _ if Instant::now() > deadline => {
                return Err(format!("no leader within {limit:?} (dead: {dead:?})"))
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn leads(c: &Candidate) -> bool {
    let reports = c.reports.lock().unwrap();
    reports
        .iter()
        .rev()
        .find(|r| r["f"] == "elected" || r["f"] == "stepdown")
        .is_some_and(|r| r["f"] == "elected")
}

/// Waits until the resource accepted leader work from `node` under `token`.
fn wait_work(decisions: &Mutex<Vec<Decision>>, node: &str, token: u64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let seen = decisions
            .lock()
            .unwrap()
            .iter()
            .any(|d| d.accepted && d.node == node && d.token == Some(token));
        if seen {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("the resource accepted no write from {node} under {token}"))
}
