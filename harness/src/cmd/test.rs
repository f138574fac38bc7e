//! `splitbrain test`: bring up a cluster in a sandbox, break it on a schedule, record the
//! history, judge it, and exit with the verdict (0 valid, 1 invalid, 2 unknown).
//!
//! Neighbours: the arguments become a [`Plan`] here, checked completely before the sandbox is
//! entered (bad usage is 254 and starts nothing); `crate::controller::lifecycle` runs it.

use crate::controller::lifecycle;
use crate::controller::nemesis::FaultKind;
use crate::controller::options::{default_name, parse_duration, Plan};
use crate::controller::seed;
use crate::exit::bad_input;
use splitbrain_nemesis::{net, Sandbox};
use splitbrain_targets::external::{bundled, target::FileTarget};
use splitbrain_targets::launch::{self, LayoutOptions, NodeTiming, Placement};
use splitbrain_targets::resource::Mode;
use splitbrain_targets::thirdparty::{catalog, layout};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `splitbrain test`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The system under test (see `splitbrain targets`), or a target file (TOML; see
    /// PROTOCOL.md).
    #[arg(long, default_value = "raft")]
    pub target: String,
    /// Number of nodes (n1…nN) [default: the target file's `nodes`, else 5].
    #[arg(long)]
    pub nodes: Option<usize>,
    /// Faults to choose from, comma-separated: partition, pause, kill, clock, loss; or none.
    #[arg(long, default_value = "partition,pause,kill")]
    pub nemesis: String,
    /// Time a fault lasts, and time between faults (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub nemesis_interval: Duration,
    /// Client workers [default: 2 per node].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Mean client operations per second over all workers (0: as fast as they go).
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// How long clients and faults run (e.g. 60, 60s, 2m).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub time_limit: Duration,
    /// The seed of every random choice [default: a fresh one, printed].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Where runs are stored.
    #[arg(long, default_value = "store")]
    pub store: PathBuf,
    /// The test's name (its folder in the store) [default: target-bug-faults].
    #[arg(long)]
    pub name: Option<String>,
    /// A planted bug of the target to switch on (see `splitbrain targets`).
    #[arg(long)]
    pub bug: Option<String>,
    /// The fenced resource's mode: fenced (refuses lower tokens) or open (accepts everything)
    /// [default: fenced, or open for a target file with `tokens = false`].
    #[arg(long)]
    pub resource: Option<String>,
    /// Runs to do, each with the next seed; stops at the first run that is not valid.
    #[arg(long, default_value_t = 1)]
    pub test_count: u32,
    /// Time the cluster gets after the final heal before its status is asked (then it is asked
    /// until exactly one node leads, within --convergence-bound).
    #[arg(long, default_value = "0.5s", value_parser = parse_duration)]
    pub settle: Duration,
    /// After settling, how long the cluster may take to have exactly one leader.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub convergence_bound: Duration,
    /// How long to wait for the first leader before reporting that none was elected.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub leader_timeout: Duration,
    /// Longest acceptable failover; with it, liveness gives a verdict.
    #[arg(long, value_parser = parse_duration)]
    pub max_failover: Option<Duration>,
    /// The candidates' election timeout range in ms.
    #[arg(long, default_value = "150-300", value_name = "MIN-MAX")]
    pub election_timeout_ms: String,
    /// The leaders' heartbeat interval in ms.
    #[arg(long, default_value_t = 50)]
    pub heartbeat_ms: u64,
    /// The leaders' own periodic write in ms (0: none).
    #[arg(long, default_value_t = 100)]
    pub work_interval_ms: u64,
    /// Bound of each write of a node to the resource in ms.
    #[arg(long, default_value_t = 500)]
    pub resource_timeout_ms: u64,
    /// Bound of a read's leadership confirmation in ms.
    #[arg(long, default_value_t = 300)]
    pub confirm_timeout_ms: u64,
    /// Third-party targets: the lease (etcd's lease TTL, rounded up to whole seconds;
    /// k8s-lease's lease duration, with renew deadline and retry period at client-go's
    /// 15:10:2; Redis's PX) [default: the target's, see `splitbrain targets`].
    #[arg(long, value_parser = parse_duration)]
    pub lease: Option<Duration>,
    /// Third-party targets: `shared` (a candidate on every node, servers' nodes too) or
    /// `separate` (candidates only on nodes without a server) [default: the target's].
    #[arg(long, value_name = "shared|separate")]
    pub candidates: Option<String>,
}

/// Runs `test`: must be called before the process starts any thread.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let plan = plan(&args)?;
    let sandbox = Sandbox::enter().map_err(sandbox_error)?;
    splitbrain_targets::stop::install_signal_handlers()?;
    let mut code = 0;
    for i in 0..plan.test_count {
        let outcome = lifecycle::run(&sandbox, &plan.nth(i))?;
        code = outcome.code;
        if plan.test_count > 1 {
            eprintln!("splitbrain: {}", tally(&plan, i, outcome));
        }
        if code != 0 || outcome.interrupted {
            break;
        }
    }
    Ok(code)
}

/// After run `i` of `--test-count`: how many passed, and why the series stops, if it does.
fn tally(plan: &Plan, i: u32, outcome: lifecycle::Outcome) -> String {
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
    let nodes = a.nodes.or(file_nodes).unwrap_or(5);
    let layout = layout(a, target, nodes)?;
    target.available().map_err(|e| bad_input(format!("--target {}: {e}", a.target)))?;
    if let Some(bug) = &a.bug {
        let bugs: Vec<&str> = target.bugs().iter().map(|b| b.0).collect();
        if !bugs.contains(&bug.as_str()) {
            return Err(bad_input(match bugs.is_empty() {
                true => format!(
                    "--bug {bug}: target {} has no planted bugs; leave out --bug, or pick a target with bugs (see `splitbrain targets`)",
                    a.target
                ),
                false => format!(
                    "--bug {bug}: target {} has no such bug; use one of {}",
                    a.target,
                    bugs.join(", ")
                ),
            }));
        }
    }
    if nodes == 0 || nodes > net::MAX_NODES {
        return Err(bad_input(format!("--nodes {nodes}: give 1 to {}", net::MAX_NODES)));
    }
    let faults = faults(&a.nemesis)?;
    let resource = a.resource.as_deref().unwrap_or(match target.gives_tokens() {
        true => "fenced",
        false => "open",
    });
    let resource: Mode = resource.parse().map_err(|e| bad_input(format!("--resource: {e}")))?;
    positive("--time-limit", a.time_limit)?;
    if !faults.is_empty() {
        positive("--nemesis-interval", a.nemesis_interval)?;
    }
    if !(a.rate.is_finite() && a.rate >= 0.0) {
        return Err(bad_input(format!("--rate {}: give operations per second, 0 or more", a.rate)));
    }
    let concurrency = a.concurrency.unwrap_or(2 * nodes);
    if concurrency == 0 || concurrency > 1000 {
        return Err(bad_input(format!("--concurrency {concurrency}: give 1 to 1000 workers")));
    }
    if a.test_count == 0 {
        return Err(bad_input("--test-count 0: give 1 or more runs"));
    }
    let name = a.name.clone().unwrap_or_else(|| {
        default_name(target.name(), a.bug.as_deref(), resource == Mode::Open, &faults)
    });
    splitbrain_results::store::check_name("test", &name)
        .map_err(|e| bad_input(format!("--name: {e}")))?;
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
        bug: a.bug.clone(),
        resource,
        test_count: a.test_count,
        settle: a.settle,
        bound: a.convergence_bound,
        leader_timeout: a.leader_timeout,
        max_failover: a.max_failover,
        timing,
        layout,
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
    };
    target.plan(&cluster).map(drop).map_err(|e| bad_input(e.to_string()))
}

/// The third-party layout knobs, checked against the target and the node count.
fn layout(a: &Args, target: &dyn launch::Target, nodes: usize) -> anyhow::Result<LayoutOptions> {
    let placement = a.candidates.as_deref().map(placement).transpose()?;
    if let Some(lease) = a.lease {
        positive("--lease", lease)?;
    }
    let options = LayoutOptions { placement, lease: a.lease };
    if is_file_target(&a.target) {
        return match placement {
            Some(_) => Err(bad_input(format!("--candidates: the target file {} says where its candidates run ([candidate] nodes); leave --candidates out", a.target))),
            None => Ok(options),
        };
    }
    if catalog::by_name(target.name()).is_none() {
        if options != LayoutOptions::default() {
            return Err(bad_input(format!(
                "--lease and --candidates are for third-party targets (etcd, k8s-lease, redis-naive, redis-cas); {} holds no lease, so leave them out",
                target.name()
            )));
        }
        return Ok(options);
    }
    let nodes: Vec<_> =
        (1..=nodes).map(|i| (format!("n{i}"), IpAddr::from([10, 0, 0, 1]))).collect();
    let checked = layout::layout(target.name(), &nodes, Path::new("."), &options);
    checked.map_err(|e| bad_input(e.to_string()))?;
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
    let mut kinds = Vec::new();
    for n in names {
        let k = FaultKind::parse(n).ok_or_else(|| {
            bad_input(format!("--nemesis: unknown fault {n:?}; use a comma list of partition, pause, kill, clock, loss, or none"))
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

fn positive(flag: &str, d: Duration) -> anyhow::Result<()> {
    match d.is_zero() {
        true => Err(bad_input(format!("{flag} 0: give a duration above 0, e.g. 5s"))),
        false => Ok(()),
    }
}

fn timing(a: &Args) -> anyhow::Result<NodeTiming> {
    let bad = || {
        bad_input(format!(
            "--election-timeout-ms {:?}: give MIN-MAX in ms with 0 < MIN <= MAX, e.g. 150-300",
            a.election_timeout_ms
        ))
    };
    let (lo, hi) = a.election_timeout_ms.split_once('-').ok_or_else(bad)?;
    let (lo, hi): (u64, u64) =
        (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
    if lo == 0 || lo > hi {
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
        resource_timeout_ms: a.resource_timeout_ms.max(1),
        confirm_timeout_ms: a.confirm_timeout_ms.max(1),
    })
}

/// A seed: a whole number from 0 to 2^64 - 1.
fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?}: give a whole number from 0 to {}, e.g. 7", u64::MAX))
}

/// A nemesis error: the user's to fix (254) or the tool's (255).
fn sandbox_error(e: splitbrain_nemesis::Error) -> anyhow::Error {
    match e.is_bad_input() {
        true => bad_input(e.to_string()),
        false => anyhow::Error::new(e),
    }
}
