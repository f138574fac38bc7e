//! Link faults end to end: `splitbrain test --nemesis delay,partition` as root and, for real,
//! as an unprivileged user (CI runs as root, so the rootless trial drops to `nobody`), with
//! the delay windows in the history and the clients' latency in them risen by the delay asked;
//! and the delay-only findings of the README: Raft's `lease-read` under `--nemesis delay
//! --aim leader` (a stale read), and `stale-vote` under `--nemesis delay` (by hand: rare).
//!
//! A trial is ignored, with the reason printed, where the machine has no sandbox, no
//! `ethtool`, or (rootless, as root) no `setpriv`; trials run one at a time.

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

mod support;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
const NOBODY: &str = "65534";

fn main() {
    let args = Arguments::from_args();
    let missing = support::sandbox_missing().or_else(|| {
        (!on_path("ethtool")).then(|| "ethtool is not installed (scripts/setup installs it)".into())
    });
    let rootless_missing = missing.clone().or_else(|| {
        (is_root() && !on_path("setpriv"))
            .then(|| "setpriv (util-linux) is missing: it runs the trial as nobody".into())
    });
    let trials = vec![
        ignore_if(
            Trial::test("delay_and_partition_as_root_delay_the_clients_by_the_delay_asked", || {
                serial(|| delay_windows(false))
            }),
            &missing.clone().or_else(|| (!is_root()).then(|| "needs root".into())),
        ),
        ignore_if(
            Trial::test(
                "delay_and_partition_rootless_delay_the_clients_by_the_delay_asked",
                || serial(|| delay_windows(true)),
            ),
            &rootless_missing,
        ),
        ignore_if(
            Trial::test("raft_lease_read_under_late_answers_serves_a_stale_read", || {
                serial(lease_read)
            }),
            &missing,
        ),
        ignore_if(
            Trial::test("raft_stale_vote_under_delay_has_two_leaders_of_one_term", || {
                serial(stale_vote)
            }),
            // Measured at 1 of 3 seeds (20 s, README "Link faults"): too rare to gate CI on;
            // `cargo test -p splitbrain --test link_findings -- --ignored` runs it by hand.
            &missing.clone().or_else(|| {
                Some(
                    "caught in 1 of 3 seeds at 20 s, too rare for CI; run it with --ignored".into(),
                )
            }),
        ),
    ];
    libtest_mimic::run(&args, trials).exit();
}

fn ignore_if(trial: Trial, reason: &Option<String>) -> Trial {
    match reason {
        Some(r) => {
            eprintln!("ignoring {}: {r}", trial.name());
            trial.with_ignored_flag(true)
        }
        None => trial,
    }
}

fn serial(f: impl FnOnce() -> Result<(), Failed>) -> Result<(), Failed> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn on_path(prog: &str) -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|d: PathBuf| d.join(prog).exists())
}

/// A folder `nobody` may use, holding a copy of the binary (the build folder may sit where
/// only root can enter) and the store.
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Place {
        let dir = tempfile::Builder::new().prefix("splitbrain-links-").tempdir().expect("tmp");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let exe = dir.path().join("splitbrain");
        std::fs::copy(support::bin(), &exe).expect("copy");
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Place { dir }
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// `splitbrain test ARGS` (as nobody when `rootless` and root), bounded.
    fn test(&self, rootless: bool, args: &[&str]) -> Result<Output, Failed> {
        let exe = self.dir.path().join("splitbrain");
        let mut cmd = match rootless && is_root() {
            true => {
                let mut c = Command::new("setpriv");
                c.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"]).arg(&exe);
                c
            }
            false => Command::new(&exe),
        };
        cmd.arg("test").args(["--store"]).arg(self.store()).args(args).stdin(Stdio::null());
        cmd.current_dir(self.dir.path());
        let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        support::finish(child, Duration::from_secs(120))
    }

    fn latest(&self, file: &str) -> Result<String, Failed> {
        let run = self.store().join("latest");
        Ok(std::fs::read_to_string(run.join(file))?)
    }
}

/// A 20 s run of `--nemesis delay,partition`: valid, its delay windows recorded, and the
/// operations sent in a window to a node whose link to the controller is delayed take at
/// least 80 % of the asked delay at the median (the reply is late).
fn delay_windows(rootless: bool) -> Result<(), Failed> {
    let place = Place::new();
    // Ten 1 s windows: five delays, which the aim deck gives every aim, `all` among them.
    let args = ["--nemesis", "delay,partition", "--nemesis-interval", "1s", "--time-limit", "20"];
    let out = place.test(rootless, &[&args[..], &["--seed", "2"]].concat())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() != Some(0) {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("exit {:?}:\n{stdout}\n{err}", out.status.code()).into());
    }
    let history: Vec<Value> = place
        .latest("history.jsonl")?
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let windows = delay_windows_of(&history);
    // A window on a follower's egress sees few operations: the clients go to the leader.
    let judged: Vec<(&Window, Vec<f64>)> = windows
        .iter()
        .map(|w| (w, latencies_in(&history, w)))
        .filter(|(_, lat)| lat.len() >= 5)
        .collect();
    if judged.is_empty() {
        return Err(format!("no delay window with 5 operations on late nodes: {windows:?}").into());
    }
    for (w, lat) in judged {
        let median = lat[lat.len() / 2];
        if median < 0.8 * w.delay_ms {
            return Err(format!("{w:?}: {} operations, median {median:.1} ms", lat.len()).into());
        }
    }
    let html = place.latest("report.html")?;
    match html.contains("links delayed") && html.contains("#1a7f37") {
        true => Ok(()),
        false => Err("report.html does not shade the delay windows".into()),
    }
}

#[derive(Debug)]
struct Window {
    start: u64,
    end: u64,
    delay_ms: f64,
    /// The nodes whose replies to the clients are late.
    late: Vec<String>,
}

fn delay_windows_of(history: &[Value]) -> Vec<Window> {
    let mut out = Vec::new();
    let mut open: Option<(u64, f64, Vec<String>)> = None;
    for r in history.iter().filter(|r| r["process"] == "nemesis") {
        let t = r["time"].as_u64().unwrap_or(0);
        match r["f"].as_str() {
            Some("start-delay") => {
                let late = r["value"]["links"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|l| l[1] == "controller")
                    .filter_map(|l| l[0].as_str().map(String::from))
                    .collect();
                open = Some((t, r["value"]["delay_ms"].as_f64().unwrap_or(0.0), late));
            }
            Some("stop-delay") => {
                if let Some((start, delay_ms, late)) = open.take() {
                    out.push(Window { start, end: t, delay_ms, late });
                }
            }
            _ => {}
        }
    }
    out
}

/// The latencies (ms, sorted) of the client operations invoked in the window (after its
/// first 100 ms, when every link has been switched) that a node with late replies answered.
fn latencies_in(history: &[Value], w: &Window) -> Vec<f64> {
    let mut invoked = std::collections::HashMap::new();
    let mut lat = Vec::new();
    for r in history.iter().filter(|r| r["process"].is_u64()) {
        let (p, t) = (r["process"].as_u64(), r["time"].as_u64().unwrap_or(0));
        match r["type"].as_str() {
            Some("invoke") => {
                invoked.insert(p, t);
            }
            Some("ok" | "fail") if w.late.iter().any(|n| r["node"] == n.as_str()) => {
                if let Some(t0) =
                    invoked.remove(&p).filter(|t0| *t0 > w.start + 100_000_000 && *t0 < w.end)
                {
                    lat.push((t - t0) as f64 / 1e6);
                }
            }
            Some(_) => {
                invoked.remove(&p);
            }
            None => {}
        }
    }
    lat.sort_by(f64::total_cmp);
    lat
}

/// Raft with `stale-vote` under delays: two leaders of one term (election-safety invalid),
/// in one of seeds 1–3 (a probabilistic finding, as in byo_findings.rs).
fn stale_vote() -> Result<(), Failed> {
    let mut seen = Vec::new();
    for seed in ["1", "2", "3"] {
        match stale_vote_seed(seed) {
            Ok(()) => return Ok(()),
            Err(e) => seen.push(format!("seed {seed}: {}", e.message().unwrap_or_default())),
        }
    }
    Err(seen.join("; ").into())
}

fn stale_vote_seed(seed: &str) -> Result<(), Failed> {
    let args = ["--bug", "stale-vote", "--nemesis", "delay", "--nemesis-interval", "2.5s"];
    invalid_by(&[&args[..], &["--time-limit", "20", "--seed", seed]].concat(), "election-safety")
}

/// Raft with `lease-read`, every delay on the leader's links (`--aim leader`), election
/// timeouts of 0.5–1 s so that the delays drawn (50–500 ms) straddle half of one: a deposed
/// leader serves a read from its lease after its successor's write (linearizable invalid).
/// The README's finding at 60 s, seeds 1–3 in turn until one run is invalid: measured 3 of 3
/// at 60 s, but only 2 of 6 at 20 s (2 s windows), too rare for a 20 s trial.
fn lease_read() -> Result<(), Failed> {
    let mut seen = Vec::new();
    for seed in ["1", "2", "3"] {
        match lease_read_seed(seed) {
            Ok(()) => return Ok(()),
            Err(e) => seen.push(format!("seed {seed}: {}", e.message().unwrap_or_default())),
        }
    }
    Err(seen.join("; ").into())
}

fn lease_read_seed(seed: &str) -> Result<(), Failed> {
    let args = [
        "--bug",
        "lease-read",
        "--nemesis",
        "delay",
        "--aim",
        "leader",
        "--election-timeout-ms",
        "500-1000",
        "--heartbeat-ms",
        "150",
    ];
    let run = ["--nemesis-interval", "1s", "--time-limit", "60", "--seed", seed];
    invalid_by(&[&args[..], &run[..]].concat(), "linearizable")
}

/// `splitbrain test ARGS` exits 1 with `checker` invalid.
fn invalid_by(args: &[&str], checker: &str) -> Result<(), Failed> {
    let store = support::store("links", args[1]);
    let child = Command::new(support::bin())
        .args(["test", "--store"])
        .arg(&*store)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = support::finish(child, Duration::from_secs(120))?;
    let results = std::fs::read_to_string(store.join("latest").join("results.json"))?;
    let results: Value = serde_json::from_str(&results)?;
    let verdict = results["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["checker"] == checker))
        .map(|c| c["verdict"].clone());
    match (out.status.code(), verdict) {
        (Some(1), Some(v)) if v == "invalid" => Ok(()),
        (code, v) => Err(format!("exit {code:?}, {checker} {v:?}").into()),
    }
}
