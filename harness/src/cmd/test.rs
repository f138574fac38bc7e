//! `splitbrain test`: bring up a cluster in a sandbox, break it on a schedule, record the
//! history, judge it, and exit with the verdict (0 valid, 1 invalid, 2 unknown).
//!
//! Neighbours: the arguments become a [`Plan`] here, checked completely before the sandbox is
//! entered (bad usage is 254 and starts nothing); `crate::controller::lifecycle` runs it.

use crate::cmd::values::{self, duration, millis, millis_positive, positive_duration, rate};
use crate::cmd::values::{seed, whole, whole_positive};
use crate::controller::lifecycle;
use crate::controller::nemesis::aim::Scope;
use crate::controller::nemesis::FaultKind;
use crate::controller::options::{default_name, Plan};
use crate::controller::seed;
use crate::exit::bad_input;
use splitbrain_nemesis::link::LinkKind;
use splitbrain_nemesis::{net, tools::Tools, Sandbox};
use splitbrain_results::{digest, junit, store, RunDir, RunResults, Store};
use splitbrain_targets::bugs::Bug;
use splitbrain_targets::external::{bundled, target::FileTarget};
use splitbrain_targets::launch::{self, LayoutOptions, NodeTiming, Placement};
use splitbrain_targets::resource::Mode;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `splitbrain test`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The system under test (see `splitbrain targets`).
    #[arg(long, default_value = "raft")]
    pub target: String,
    /// Number of nodes (n1…nN) [default: the target file's `nodes`, else 5].
    #[arg(long, allow_hyphen_values = true, value_parser = whole::<usize>)]
    pub nodes: Option<usize>,
    /// Faults to choose from, comma-separated: partition, pause, kill, clock, loss, delay,
    /// reorder, duplicate, slow; or none.
    #[arg(long, default_value = "partition,pause,kill")]
    pub nemesis: String,
    /// Time a fault lasts, and time between faults (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", allow_hyphen_values = true, value_parser = positive_duration)]
    pub nemesis_interval: Duration,
    /// Client workers [default: 2 per node].
    #[arg(long, allow_hyphen_values = true, value_parser = whole::<usize>)]
    pub concurrency: Option<usize>,
    /// Mean client operations per second over all workers, 0.01 to 1000000 (0: as fast as they
    /// go).
    #[arg(long, default_value_t = 200.0, allow_hyphen_values = true, value_parser = rate)]
    pub rate: f64,
    /// How long clients and faults run (e.g. 60, 60s, 2m).
    #[arg(long, default_value = "60s", allow_hyphen_values = true, value_parser = positive_duration)]
    pub time_limit: Duration,
    /// The seed of every random choice [default: a fresh one, printed].
    #[arg(long, allow_hyphen_values = true, value_parser = seed)]
    pub seed: Option<u64>,
    /// Where runs are stored.
    #[arg(long, default_value = "store")]
    pub store: PathBuf,
    /// The test's name (its folder in the store) [default: target-bug-faults].
    #[arg(long)]
    pub name: Option<String>,
    /// A planted bug of the target to switch on (see `splitbrain targets`).
    #[arg(long)]
    pub bug: Option<Bug>,
    /// The fenced resource's mode: fenced (refuses lower tokens) or open (accepts everything)
    /// [default: fenced where the election gives tokens, open where it gives none].
    #[arg(long)]
    pub resource: Option<String>,
    /// Runs to do, each with the next seed; stops at the first run that is not valid.
    #[arg(long, default_value_t = 1, allow_hyphen_values = true, value_parser = whole_positive::<u32>)]
    pub test_count: u32,
    /// Time the cluster gets after the final heal before its status is asked (then it is asked
    /// until exactly one node leads, within --convergence-bound).
    #[arg(long, default_value = "0.5s", allow_hyphen_values = true, value_parser = duration)]
    pub settle: Duration,
    /// After settling, how long the cluster may take to have exactly one leader.
    #[arg(long, default_value = "10s", allow_hyphen_values = true, value_parser = positive_duration)]
    pub convergence_bound: Duration,
    /// How long from the start of the run the first leader may take; with none by then the run
    /// skips its clients and faults and is unknown (nothing was tested).
    #[arg(long, default_value = "10s", allow_hyphen_values = true, value_parser = positive_duration)]
    pub leader_timeout: Duration,
    /// Longest acceptable failover; with it, liveness gives a verdict.
    #[arg(long, allow_hyphen_values = true, value_parser = positive_duration)]
    pub max_failover: Option<Duration>,
    /// The candidates' election timeout range in ms.
    #[arg(long, default_value = "150-300", value_name = "MIN-MAX", allow_hyphen_values = true)]
    pub election_timeout_ms: String,
    /// The leaders' heartbeat interval in ms.
    #[arg(long, default_value_t = 50, allow_hyphen_values = true, value_parser = millis)]
    pub heartbeat_ms: u64,
    /// The leaders' own periodic write in ms (0: none).
    #[arg(long, default_value_t = 100, allow_hyphen_values = true, value_parser = millis)]
    pub work_interval_ms: u64,
    /// Bound of each write of a node to the resource in ms.
    #[arg(long, default_value_t = 500, allow_hyphen_values = true, value_parser = millis_positive)]
    pub resource_timeout_ms: u64,
    /// Bound of a read's leadership confirmation in ms.
    #[arg(long, default_value_t = 300, allow_hyphen_values = true, value_parser = millis_positive)]
    pub confirm_timeout_ms: u64,
    /// Third-party targets: the lease (etcd's lease TTL, rounded up to whole seconds;
    /// k8s-lease's lease duration, with renew deadline and retry period at client-go's
    /// 15:10:2; Redis's PX) [default: the target's, see `splitbrain targets`].
    #[arg(long, allow_hyphen_values = true, value_parser = positive_duration)]
    pub lease: Option<Duration>,
    /// Third-party targets: `shared` (a candidate on every node, servers' nodes too) or
    /// `separate` (candidates only on nodes without a server) [default: the target's].
    #[arg(long, value_name = "shared|separate")]
    pub candidates: Option<String>,
    /// Redis targets: keep Redis's data across a kill (an append-only file, fsync always), so
    /// the lease and the INCR token counter survive a restart.
    #[arg(long)]
    pub durable: bool,
    /// Which nodes pause, kill and loss faults aim at: `any` (the aim deck: the leader, one
    /// node, a minority, a majority), for third-party targets `servers` (only the nodes that
    /// run the target's servers), or `leader` (always the leader; link faults then go on the
    /// leader's egress and on the other nodes' links to it).
    #[arg(long, default_value = "any", value_name = "any|servers|leader")]
    pub aim: String,
    /// Run on real hosts over SSH instead of sandbox nodes: a hosts file with one
    /// `[nodes.nI]` table per host (`ssh`, `addr`, `sudo`); see README, "Running against real
    /// hosts".
    #[arg(long, value_name = "FILE")]
    pub hosts: Option<PathBuf>,
}

/// Runs `test`: must be called before the process starts any thread.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let plan = plan(&args)?;
    let sandbox = match plan.hosts {
        Some(_) => enter_keeping_network()?,
        None => enter()?,
    };
    let mut runs = Vec::new();
    for i in 0..plan.test_count {
        let outcome = lifecycle::run(&sandbox, &plan.nth(i))?;
        runs.push(outcome.run.clone());
        let last = outcome.failure.is_some()
            || outcome.code != 0
            || outcome.interrupted
            || i + 1 == plan.test_count;
        if plan.test_count > 1 {
            eprintln!("splitbrain: {}", tally(&plan, i, &outcome));
            let path = series_junit(&runs)?;
            if last {
                let mut out = std::io::stdout().lock();
                let n = runs.len();
                let runs = if n == 1 { "1 run".to_string() } else { format!("{n} runs") };
                let _ = writeln!(out, "junit of the series ({runs}): {}", path.display());
            }
        }
        if let Some(e) = outcome.failure {
            return Err(e);
        }
        if last {
            return Ok(outcome.code);
        }
    }
    Ok(0)
}

/// Enters the sandbox every run of this process shares, with the signal handlers that let a
/// Ctrl-C heal and judge: must be called before the process starts any thread.
pub fn enter() -> anyhow::Result<Sandbox> {
    Tools::find().map_err(sandbox_error)?;
    let sandbox = Sandbox::enter().map_err(sandbox_error)?;
    splitbrain_targets::stop::install_signal_handlers()?;
    Ok(sandbox)
}

/// As [`enter`], for `--hosts`: the sandbox keeps the machine's network, and the node network's
/// tools are the hosts' business.
fn enter_keeping_network() -> anyhow::Result<Sandbox> {
    let sandbox = Sandbox::enter_keeping_network().map_err(sandbox_error)?;
    splitbrain_targets::stop::install_signal_handlers()?;
    Ok(sandbox)
}

/// Writes the series' combined JUnit beside its first run's folder (again after each run, so
/// a series cut short still has one); returns where.
fn series_junit(runs: &[RunDir]) -> anyhow::Result<PathBuf> {
    let mut read = Vec::new();
    for run in runs {
        let results = RunResults::read(&run.results())?;
        // Without its history a run's cases still list their evidence indices.
        let history = digest::quoted(&run.history(), &results.checks).unwrap_or_default();
        read.push((results, history));
    }
    let pairs: Vec<_> = read.iter().map(|(r, h)| (r, h)).collect();
    let path = Store::series_junit(&runs[0]);
    Ok(store::write_atomic(&path, junit::render_series(&pairs).as_bytes())?)
}

/// After run `i` of `--test-count`: how many passed, and why the series stops, if it does.
fn tally(plan: &Plan, i: u32, outcome: &lifecycle::Outcome) -> String {
    let verdict = match outcome.code {
        0 => "valid",
        1 => "invalid",
        2 => "unknown",
        _ => "failed",
    };
    let seed = plan.nth(i).seed;
    let done = format!("run {} of {} (seed {seed}) {verdict}", i + 1, plan.test_count);
    match (outcome.code, outcome.interrupted) {
        (_, true) => format!("{done}; interrupted: no further runs"),
        (0, _) if i + 1 == plan.test_count => format!("{done}; all {} runs valid", plan.test_count),
        (0, _) => done,
        _ => format!(
            "{done}; stopping at the first run that is not valid (replay with --seed {seed})"
        ),
    }
}

/// The resolved options, or a bad-input error naming what is wrong and what to do.
pub fn plan(a: &Args) -> anyhow::Result<Plan> {
    let (target, file_nodes) = target(&a.target)?;
    let hosts = crate::cmd::hosts::resolve(a.hosts.as_deref(), a.nodes)?;
    let host_count = hosts.as_ref().map(|(_, h)| h.hosts.len());
    let nodes = a.nodes.or(host_count).or(file_nodes).unwrap_or(5);
    let layout = layout(a, target, nodes)?;
    // On hosts the target's programs are the hosts' (README: "Running against real hosts").
    if hosts.is_none() {
        target.available().map_err(|e| bad_input(format!("--target {}: {e}", a.target)))?;
    }
    launch::check_bug(target, a.bug).map_err(|e| bad_input(e.to_string()))?;
    if nodes == 0 || nodes > net::MAX_NODES {
        return Err(bad_input(format!("--nodes {nodes}: give 1 to {}", net::MAX_NODES)));
    }
    let faults = faults(&a.nemesis)?;
    reachable(&a.nemesis, target, &faults)?;
    // Delay is netem's on hosts: the hosts are asked once reached (`places::delay_on_hosts`).
    let sandbox_only = |k: &&FaultKind| k.link().is_some_and(|l| l != LinkKind::Delay);
    if let (Some(_), Some(k)) = (&hosts, faults.iter().find(sandbox_only)) {
        return Err(bad_input(format!(
            "--nemesis {}: this link fault exists only in the sandbox, not on --hosts; leave it out",
            k.name()
        )));
    }
    let resource = resource(a, target)?;
    let concurrency = a.concurrency.unwrap_or(2 * nodes);
    if concurrency == 0 || concurrency > 1000 {
        return Err(bad_input(format!("--concurrency {concurrency}: give 1 to 1000 workers")));
    }
    // "open" in the name only where it was a choice: a tokenless election has no other mode.
    let open = resource == Mode::Open && target.gives_tokens(a.bug);
    let name = a.name.clone().unwrap_or_else(|| default_name(target.name(), a.bug, open, &faults));
    splitbrain_results::store::check_name("test", &name)
        .map_err(|e| bad_input(format!("--name: {e}")))?;
    if let Some(why) = crate::cmd::paths::test_folder_problem(&a.store, &name) {
        return Err(bad_input(format!("--name {name}: {why}; give another --name, or move it")));
    }
    if let Some(why) = crate::cmd::paths::store_problem(&a.store) {
        return Err(bad_input(format!(
            "--store {why}; give a folder you can write (it is made if missing)"
        )));
    }
    let timing = timing(a)?;
    if is_file_target(&a.target) {
        dry_plan(target, nodes, timing, layout)?;
    }
    Ok(Plan {
        target,
        nodes,
        faults,
        interval: a.nemesis_interval,
        concurrency,
        rate: a.rate,
        time_limit: a.time_limit,
        seed: a.seed.unwrap_or_else(seed::fresh),
        store: a.store.clone(),
        name,
        bug: a.bug,
        resource,
        test_count: a.test_count,
        settle: a.settle,
        bound: a.convergence_bound,
        leader_timeout: a.leader_timeout,
        max_failover: a.max_failover,
        timing,
        layout,
        aim: scope(a, target)?,
        run_folder: None,
        hosts,
    })
}

/// The target `--target` names, and a target file's default node count.
fn target(arg: &str) -> anyhow::Result<(&'static dyn launch::Target, Option<usize>)> {
    let file = match bundled::load(arg) {
        Some(built_in) => built_in,
        None if FileTarget::names_a_file(arg) => FileTarget::load(Path::new(arg)),
        None => return Ok((launch::find(arg).map_err(|e| bad_input(e.to_string()))?, None)),
    };
    let file = file.map_err(|e| bad_input(e.to_string()))?;
    Ok((file, file.file().nodes))
}

/// Whether `--target` is read as a target file: a path, or a built-in one (`zookeeper`).
fn is_file_target(arg: &str) -> bool {
    FileTarget::names_a_file(arg) || bundled::names().contains(&arg)
}

/// Plans a target file's processes on stand-in addresses, so that what it asks of the run
/// (more nodes than `--nodes`, a `{lease_ms}` without a lease, …) is bad input here, before the
/// sandbox, with the file and line, rather than a failed run.
fn dry_plan(
    target: &dyn launch::Target,
    nodes: usize,
    timing: NodeTiming,
    layout: LayoutOptions,
) -> anyhow::Result<()> {
    let addr = |i: usize| IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8 + 1]);
    let nodes = (0..nodes).map(|i| launch::NodeAddr { name: format!("n{}", i + 1), ip: addr(i) });
    let cluster = launch::Cluster {
        nodes: nodes.collect(),
        port: launch::DEFAULT_PORT,
        resource: std::net::SocketAddr::from(([10, 0, 0, 254], 1)),
        data_root: PathBuf::from("nodes"),
        bug: None,
        seed: 0,
        timing,
        layout,
        node_program: launch::NodeProgram::this_executable(),
    };
    target.plan(&cluster).map(drop).map_err(|e| bad_input(e.to_string()))
}

/// `--aim`: the deck's aims anywhere, or the target's server nodes only.
fn scope(a: &Args, target: &dyn launch::Target) -> anyhow::Result<Scope> {
    let scope = Scope::parse(&a.aim).ok_or_else(|| {
        bad_input(format!("--aim {:?}: give any (the aim deck: leader, one node, a minority, a majority), servers (the nodes that run the target's servers) or leader (every node fault at the leader, every link fault on its links)", a.aim))
    })?;
    let names: Vec<String> = (1..=net::MAX_NODES).map(|i| format!("n{i}")).collect();
    if scope == Scope::Servers && target.servers_on(&names).is_empty() {
        return Err(bad_input(format!(
            "--aim servers: {} runs no servers (every node is a candidate); leave it out or pick a third-party target",
            target.name()
        )));
    }
    Ok(scope)
}

/// The third-party layout knobs, checked against the target and the node count.
fn layout(a: &Args, target: &dyn launch::Target, nodes: usize) -> anyhow::Result<LayoutOptions> {
    let placement = a.candidates.as_deref().map(placement).transpose()?;
    let options = LayoutOptions { placement, lease: a.lease, durable: a.durable };
    target.check_layout(nodes, &options).map_err(|e| bad_input(e.to_string()))?;
    Ok(options)
}

fn placement(name: &str) -> anyhow::Result<Placement> {
    Placement::parse(name).ok_or_else(|| {
        bad_input(format!("--candidates {name:?}: give shared (a candidate on every node) or separate (candidates only on nodes without a server)"))
    })
}

fn faults(list: &str) -> anyhow::Result<Vec<FaultKind>> {
    let names: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if names == ["none"] {
        return Ok(Vec::new());
    }
    if names.contains(&"none") {
        return Err(bad_input(format!("--nemesis {list}: none means no faults and cannot be mixed with faults; give none alone, or only faults")));
    }
    let mut kinds = Vec::new();
    for n in names {
        let k = FaultKind::parse(n).ok_or_else(|| {
            let all: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
            bad_input(format!(
                "--nemesis: unknown fault {n:?}; use a comma list of {}, or none",
                all.join(", ")
            ))
        })?;
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if kinds.is_empty() {
        return Err(bad_input("--nemesis: empty; give e.g. partition,pause,kill or none"));
    }
    Ok(kinds)
}

/// The resource's mode: as asked, else fenced where the election gives tokens and open where
/// it gives none; fenced without tokens is bad input (nothing could be fenced).
fn resource(a: &Args, target: &dyn launch::Target) -> anyhow::Result<Mode> {
    let tokens = target.gives_tokens(a.bug);
    let Some(text) = &a.resource else {
        return Ok(if tokens { Mode::Fenced } else { Mode::Open });
    };
    let mode: Mode = text.parse().map_err(|e| bad_input(format!("--resource: {e}")))?;
    if mode == Mode::Fenced && !tokens {
        let why = match a.bug {
            Some(bug) if target.gives_tokens(None) => {
                format!("--bug {bug} takes the fencing tokens off the writes")
            }
            _ => format!("target {} gives no fencing token", target.name()),
        };
        return Err(bad_input(format!(
            "--resource fenced: {why}, so there is nothing to fence; use --resource open (the default here)"
        )));
    }
    Ok(mode)
}

/// Faults were asked for, and none of them can reach this target: the run would test nothing.
fn reachable(
    nemesis: &str,
    target: &dyn launch::Target,
    faults: &[FaultKind],
) -> anyhow::Result<()> {
    let notes: Vec<_> = faults.iter().map(|k| target.never_reached(k.name())).collect();
    if faults.is_empty() || notes.iter().any(Vec::is_empty) {
        return Ok(());
    }
    let why: Vec<String> = notes.into_iter().flatten().collect();
    Err(bad_input(format!(
        "--nemesis {nemesis}: no fault asked for reaches {} ({}), so the run would test nothing; add one that does, e.g. pause",
        target.name(),
        why.join("; ")
    )))
}

fn timing(a: &Args) -> anyhow::Result<NodeTiming> {
    let bad = || {
        bad_input(format!(
            "--election-timeout-ms {:?}: give MIN-MAX in ms with 0 < MIN <= MAX <= {}, e.g. 150-300",
            a.election_timeout_ms,
            values::LONGEST_MS
        ))
    };
    let (lo, hi) = a.election_timeout_ms.split_once('-').ok_or_else(bad)?;
    let (lo, hi): (u64, u64) =
        (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
    if lo == 0 || lo > hi || hi > values::LONGEST_MS {
        return Err(bad());
    }
    if a.heartbeat_ms == 0 || a.heartbeat_ms >= lo {
        return Err(bad_input(format!(
            "--heartbeat-ms {}: give a heartbeat above 0 and below the election timeout ({lo} ms)",
            a.heartbeat_ms
        )));
    }
    Ok(NodeTiming {
        election_ms: (lo, hi),
        heartbeat_ms: a.heartbeat_ms,
        work_interval_ms: a.work_interval_ms,
        resource_timeout_ms: a.resource_timeout_ms,
        confirm_timeout_ms: a.confirm_timeout_ms,
    })
}

/// A nemesis error: the user's to fix (254) or the tool's (255).
fn sandbox_error(e: splitbrain_nemesis::Error) -> anyhow::Error {
    match e.is_bad_input() {
        true => bad_input(e.to_string()),
        false => anyhow::Error::new(e),
    }
}
