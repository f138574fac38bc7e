//! One run of `splitbrain test`, from the run folder to the verdict:
//!
//! 1. the run folder, harness.log, a placeholder results.json, the history;
//! 2. the node network, the fenced resource (in this process, on the controller's bridge
//!    address), the target's processes;
//! 3. a first leader, waited for within a bound (no leader at all is a finding, not a hang);
//! 4. clients and nemesis until the time limit;
//! 5. the final phase ([`super::finale`]): heal, settle, status until converged, reads;
//! 6. stop the nodes, the resource and the network; judge ([`super::judge`]); summary.
//!
//! A SIGINT or SIGTERM at any moment cuts short the phase in progress and goes straight to the
//! heal and stop of step 5–6 (no settling, no final status): what was recorded is judged and
//! written. Every wait has a bound. Everything the run starts is owned here and stopped in one
//! place ([`Stage::teardown`]); and since the controller lives in the sandbox's PID namespace,
//! if it dies anyway the kernel ends every process it started.

use super::clients::{self, Workload};
use super::cluster::Cluster;
use super::finale;
use super::judge::{self, Params};
use super::log::Log;
use super::nemesis::{Nemesis, Parts};
use super::options::Plan;
use super::recorder::Recorder;
use super::reports::Readers;
use anyhow::Context;
use splitbrain_nemesis::{Net, Sandbox};
use splitbrain_results::{stamp, Event, HistoryWriter, RunDir, RunMeta, Store};
use splitbrain_targets::launch::{self, NodeAddr};
use splitbrain_targets::lines::Timeouts;
use splitbrain_targets::resource::{Decision, Resource};
use splitbrain_targets::stop::{self, Stop};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The exit status of its verdict (255 when it could not start, or its history could
    /// not be written).
    pub code: u8,
    /// True when a signal cut it short.
    pub interrupted: bool,
    /// Its folder in the store.
    pub run: RunDir,
    /// Why it could not start (the network, the resource or the target's processes), if so.
    pub failure: Option<anyhow::Error>,
}

/// What the phases left for the judge.
#[derive(Default)]
struct Findings {
    notes: Vec<String>,
    versions: std::collections::BTreeMap<String, String>,
    limit_reached: Option<Instant>,
    failure: Option<anyhow::Error>,
}

/// Runs `plan` once inside `sandbox`.
pub fn run(sandbox: &Sandbox, plan: &Plan) -> anyhow::Result<Outcome> {
    let started = SystemTime::now();
    let t0 = Instant::now();
    // Absolute, because the nodes' data directories live in the run folder.
    let store = std::path::absolute(&plan.store).unwrap_or_else(|_| plan.store.clone());
    let run = match &plan.run_folder {
        Some(folder) => RunDir::create_at(std::path::absolute(folder)?)?,
        None => Store::new(store).create_run(&plan.name, started)?,
    };
    let log = Arc::new(Log::new(t0));
    log.to_file(&run.harness_log()).context("creating harness.log")?;
    log.info(format!("{} (seed {}): {}", plan.name, plan.seed, run.path().display()));
    let mut meta = RunMeta::new(&plan.name, plan.seed, plan.command(), started);
    meta.splitbrain_version = env!("CARGO_PKG_VERSION").to_string();
    meta.options = plan.to_json();
    for note in unreachable_faults(plan) {
        log.info(&note);
        meta.notes.push(note);
    }
    judge::placeholder(&run, meta.clone())?;
    let writer = HistoryWriter::create_at(run.history(), t0)?;
    let names: Vec<String> = (1..=plan.nodes).map(|i| format!("n{i}")).collect();
    let recorder = Arc::new(Recorder::new(writer, &names, plan.concurrency as i64));
    let findings = drive(sandbox, plan, &run, &recorder, &log);
    let _ = recorder.sync();
    finish(plan, &run, meta, findings, &recorder, &log)
}

/// Judges what was recorded, writes the results, prints the summary.
fn finish(
    plan: &Plan,
    run: &RunDir,
    mut meta: RunMeta,
    f: Findings,
    recorder: &Recorder,
    log: &Log,
) -> anyhow::Result<Outcome> {
    let interrupted = stop::signalled();
    meta.notes.extend(f.notes);
    if let Some(e) = recorder.failure() {
        meta.notes.push(format!("the history could not be written completely: {e}"));
    }
    meta.versions = f.versions;
    meta.ended = Some(stamp::rfc3339(SystemTime::now()));
    let params = Params { settle: plan.settle, bound: plan.bound, max_failover: plan.max_failover };
    let mut judged = judge::judge(run, meta, &params)?;
    if let Some(e) = &f.failure {
        judged.could_not_start(run, &format!("{e:#}"))?;
    }
    if let Some(t) = f.limit_reached {
        log.info(format!("from the time limit to the verdict: {:.2} s", t.elapsed().as_secs_f64()));
    }
    log.finish();
    judged.print_summary();
    let failure = f
        .failure
        .map(|e| e.context(format!("the run failed (results in {})", run.path().display())));
    let code = match recorder.failure().is_some() || failure.is_some() {
        true => 255,
        false => judged.exit_code(),
    };
    Ok(Outcome { code, interrupted, run: run.clone(), failure })
}

/// Everything the run started, in the order it must stop.
struct Stage {
    readers: Readers,
    cluster: Option<Cluster>,
    resource: Option<Resource>,
    net: Option<Net>,
}

impl Stage {
    /// Stops the nodes (their last reports read), the resource, the network.
    fn teardown(&mut self, log: &Log) {
        if let Some(c) = &self.cluster {
            c.stop(Duration::from_secs(1));
        }
        self.readers.join(Duration::from_secs(2));
        self.cluster = None;
        self.resource = None;
        self.net = None;
        log.debug("torn down: nodes, resource, network");
    }
}

/// What every phase shares: the run's options and folder, the recorder, the log, the halt
/// flag a signal raises, and what the status line shows.
struct Ctl<'a> {
    plan: &'a Plan,
    run: &'a RunDir,
    recorder: &'a Arc<Recorder>,
    log: &'a Arc<Log>,
    halt: Stop,
    phase: Mutex<Option<String>>,
    /// When the status line's countdown ends, in ms of the history's clock.
    limit_ms: AtomicU64,
}

impl Ctl<'_> {
    fn set_phase(&self, p: Option<&str>) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = p.map(str::to_string);
    }

    /// Every 50 ms until `done`: a signal raises `halt`; the status line is redrawn.
    fn tick(&self, done: &AtomicBool) {
        while !done.load(Ordering::SeqCst) {
            if stop::signalled() && !self.halt.is_stopped() {
                self.halt.stop();
                self.log.info("interrupted: healing, stopping and judging what was recorded");
            }
            let limit = Duration::from_millis(self.limit_ms.load(Ordering::Relaxed));
            let mut status = self.recorder.status(limit);
            status.phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner).clone();
            self.log.status(&status);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn interrupted(&self, findings: &mut Findings, what: &str) {
        findings.notes.push(format!(
            "interrupted by a signal {:.1} s into the run: healed and stopped {what}",
            self.recorder.elapsed().as_secs_f64()
        ));
    }
}

/// The phases, under one ticker thread that watches for signals and draws the status line.
fn drive(
    sandbox: &Sandbox,
    plan: &Plan,
    run: &RunDir,
    recorder: &Arc<Recorder>,
    log: &Arc<Log>,
) -> Findings {
    let ctl = Ctl {
        plan,
        run,
        recorder,
        log,
        halt: Stop::new(),
        phase: Mutex::new(Some("starting".to_string())),
        limit_ms: AtomicU64::new(plan.time_limit.as_millis() as u64),
    };
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| ctl.tick(&done));
        let mut stage = Stage {
            readers: Readers::new(recorder.clone(), log.clone()),
            cluster: None,
            resource: None,
            net: None,
        };
        let mut findings = Findings::default();
        if let Err(e) = phases(&ctl, sandbox, &mut stage, &mut findings) {
            log.info(format!("error: {e:#}"));
            findings.failure = Some(e);
        }
        ctl.set_phase(Some("stopping"));
        stage.teardown(log);
        done.store(true, Ordering::SeqCst);
        findings
    })
}

/// Network, resource, target, first leader, clients and nemesis, final phase.
fn phases(
    ctl: &Ctl<'_>,
    sandbox: &Sandbox,
    stage: &mut Stage,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let (plan, log, recorder) = (ctl.plan, ctl.log.as_ref(), ctl.recorder);
    let net = stage.net.insert(Net::up(sandbox, plan.nodes).context("building the node network")?);
    log.debug(format!("network up: {} nodes, controller {}", plan.nodes, net.controller_addr()));
    let sink_recorder = recorder.clone();
    let resource = Resource::start(
        SocketAddr::from((net.controller_addr(), 0)),
        plan.resource,
        move |d: &Decision| record_decision(&sink_recorder, d),
    )
    .context("starting the fenced resource")?;
    log.debug(format!("resource ({}) at {}", plan.resource, resource.addr()));
    let config = launch_config(plan, net, resource.addr(), ctl.run);
    stage.resource = Some(resource);
    let net = stage.net.as_ref().expect("network is up");
    let cluster = Cluster::start(net, plan.target, &config, ctl.run, &stage.readers, log)?;
    let cluster = stage.cluster.insert(cluster);
    findings.versions = cluster.versions();
    ctl.set_phase(Some("waiting for a leader"));
    let parts = Parts { net, cluster, recorder, readers: &stage.readers, log };
    let mut nemesis = Nemesis::new(parts, plan.faults.clone(), plan.interval, plan.seed)
        .for_target(plan.target, plan.aim);
    if !first_leader(ctl, findings) {
        return final_phase(ctl, &mut nemesis, findings);
    }
    ctl.set_phase(None);
    log.info(format!(
        "clients ({}) and nemesis ({}) for {} s",
        plan.concurrency,
        plan.nemesis_text(),
        plan.time_limit.as_secs_f64()
    ));
    let limit = recorder.elapsed() + plan.time_limit;
    ctl.limit_ms.store(limit.as_millis() as u64, Ordering::Relaxed);
    let until = Instant::now() + plan.time_limit;
    let workload = workload(plan, cluster);
    std::thread::scope(|s| {
        // Healed the moment the time limit passes, while the clients finish their operations
        // in flight: a request to a paused or cut-off node then gets its answer at once
        // instead of running into its timeout, which would delay the verdict.
        s.spawn(|| {
            nemesis.run(until, &ctl.halt);
            nemesis.end_active();
            finale::heal_all(nemesis.parts());
        });
        clients::run(&workload, recorder, until, &ctl.halt);
    });
    if !ctl.halt.is_stopped() {
        findings.limit_reached = Some(until);
    }
    final_phase(ctl, &mut nemesis, findings)
}

/// Heal (whatever is still in force); unless interrupted: settle, status rounds, reads.
fn final_phase(
    ctl: &Ctl<'_>,
    nemesis: &mut Nemesis<'_>,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let (plan, log, recorder) = (ctl.plan, ctl.log, ctl.recorder);
    ctl.set_phase(Some("healing"));
    nemesis.end_active();
    let cluster = nemesis.parts().cluster;
    finale::heal_all(nemesis.parts());
    if ctl.halt.is_stopped() {
        ctl.interrupted(findings, "without the final status round");
        return Ok(());
    }
    ctl.set_phase(Some("settling"));
    let settled = Instant::now() + plan.settle;
    if ctl.halt.sleep_until(settled) {
        ctl.interrupted(findings, "while settling, without the final status round");
        return Ok(());
    }
    ctl.set_phase(Some("final status"));
    let nodes = cluster.client_nodes();
    let timeouts = client_timeouts(plan);
    let c = finale::status_rounds(&nodes, recorder, timeouts, settled + plan.bound);
    log.info(match c.ok() {
        true => format!("converged: {} leads ({} status round(s))", c.leaders[0], c.rounds),
        false => format!(
            "not converged after {} status round(s): leaders {:?}, no answer from {:?}",
            c.rounds, c.leaders, c.silent
        ),
    });
    finale::final_reads(&nodes, recorder, timeouts);
    Ok(())
}

/// Waits for the first `elected` report; false (with a note) when none came in time. "In
/// time" is measured as `splitbrain_checkers::tested` measures it, on the history's clock from
/// the start of the run, so the verdict and what the run did agree.
fn first_leader(ctl: &Ctl<'_>, findings: &mut Findings) -> bool {
    let (plan, recorder, log, halt) = (ctl.plan, ctl.recorder, ctl.log, &ctl.halt);
    let bound = plan.leader_timeout;
    while recorder.first_elected().is_none() && recorder.elapsed() <= bound {
        if halt.is_stopped() {
            return false;
        }
        halt.sleep(Duration::from_millis(5));
    }
    // Read again after the clock passed the bound: no later report can be stamped within it.
    if recorder.first_elected().is_some_and(|t| t <= bound) {
        log.info(format!("first leader: {}", recorder.leader().unwrap_or_default()));
        return true;
    }
    let note = format!(
        "no node was elected within {} s of the start (--leader-timeout): the run skipped its clients and faults",
        bound.as_secs_f64()
    );
    log.info(&note);
    findings.notes.push(note);
    false
}

/// What the faults asked for cannot do to this target (a Go server's clock, …), one line each.
fn unreachable_faults(plan: &Plan) -> Vec<String> {
    let asked = |note: &String| plan.faults.iter().any(|k| note.starts_with(k.name()));
    let notes = plan.target.unreachable_faults().into_iter().filter(asked);
    notes.map(|n| format!("does not reach {}: {n}", plan.target.name())).collect()
}

fn record_decision(recorder: &Recorder, d: &Decision) {
    let mut event = Event::resource(d.kind(), d.f(), d.record_value()).node(d.node.clone());
    if let Some(e) = d.error() {
        event = event.error(e);
    }
    recorder.record(event);
}

fn launch_config(plan: &Plan, net: &Net, resource: SocketAddr, run: &RunDir) -> launch::Cluster {
    launch::Cluster {
        nodes: net
            .nodes()
            .iter()
            .map(|n| NodeAddr { name: n.name.clone(), ip: n.addr.into() })
            .collect(),
        port: launch::DEFAULT_PORT,
        resource,
        data_root: run.nodes(),
        bug: plan.bug,
        seed: plan.seed,
        timing: plan.timing,
        layout: plan.layout,
        node_program: launch::NodeProgram::this_executable(),
    }
}

fn client_timeouts(plan: &Plan) -> Timeouts {
    Timeouts::ms(500, plan.timing.client_request_ms())
}

fn workload(plan: &Plan, cluster: &Cluster) -> Workload {
    Workload {
        nodes: cluster.client_nodes(),
        concurrency: plan.concurrency,
        rate: plan.rate,
        read_share: 0.5,
        timeouts: client_timeouts(plan),
        seed: plan.seed,
    }
}
