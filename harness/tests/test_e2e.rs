//! End-to-end runs of `splitbrain test` on this machine: a correct Raft cluster is judged valid,
//! a planted bug is caught (and so are Paxos's, in [`paxos`]), and a controller killed with
//! SIGKILL (or interrupted with SIGINT) leaves nothing running behind and a history that can
//! still be judged.
//!
//! Each trial runs the real `splitbrain` binary in a child process (the sandbox must be entered
//! by a process without threads). A trial is ignored, with the reason printed, where the machine
//! cannot build a sandbox (no `ip`/`nft`, no user namespaces when not root). Trials run one at a
//! time: two clusters on two cores would make each other's timing the thing under test.

use libtest_mimic::{Arguments, Failed, Trial};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

mod paxos;
mod support;

fn main() {
    let args = Arguments::from_args();
    let reason = support::sandbox_missing();
    if let Some(r) = &reason {
        eprintln!("test_e2e: ignoring the end-to-end trials: {r}");
    }
    let ignored = reason.is_some();
    let trial = |name: &'static str, f: fn() -> Result<(), Failed>| one_at_a_time(name, ignored, f);
    let paxos = paxos::TRIALS.iter().map(|t| one_at_a_time(t.name, ignored, move || paxos::run(t)));
    let mut trials = vec![
        trial("a_short_correct_raft_run_with_every_fault_is_valid", correct_raft_is_valid),
        trial("a_leader_that_never_steps_down_is_caught_by_convergence", planted_bug_is_invalid),
        trial(
            "a_deposed_leader_answering_reads_from_its_copy_is_caught_by_linearizable",
            stale_read_is_invalid,
        ),
        trial("a_sigkilled_run_leaves_nothing_running_and_a_judgeable_history", sigkill_outer),
        trial(
            "a_sigkilled_inner_controller_leaves_nothing_running_and_a_judgeable_history",
            sigkill_controller,
        ),
        trial("an_interrupted_run_heals_stops_and_judges_what_it_recorded", sigint),
        trial("a_run_whose_cluster_elects_no_leader_in_time_never_passes", no_leader_in_time),
    ];
    trials.extend(paxos);
    libtest_mimic::run(&args, trials).exit();
}

/// A trial that holds [`ONE_AT_A_TIME`] while it runs.
fn one_at_a_time(
    name: &'static str,
    ignored: bool,
    f: impl FnOnce() -> Result<(), Failed> + Send + 'static,
) -> Trial {
    Trial::test(name, move || {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        f()
    })
    .with_ignored_flag(ignored)
}

fn test_cmd(store: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(support::bin());
    c.arg("test").arg("--store").arg(store).args(extra).stdin(Stdio::null());
    c
}

/// Runs a test to its end (bounded: a hang is a failure).
fn run_test(store: &Path, extra: &[&str], limit: Duration) -> Result<Output, Failed> {
    let mut child = test_cmd(store, extra).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let deadline = Instant::now() + limit;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(
                format!("splitbrain test did not finish within {} s", limit.as_secs()).into()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(child.wait_with_output()?)
}

fn results(store: &Path) -> Result<Value, Failed> {
    let path = store.join("latest").join("results.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

fn verdicts(r: &Value) -> String {
    let checks = r["checks"].as_array().cloned().unwrap_or_default();
    checks
        .iter()
        .map(|c| format!("{} {}: {}", c["checker"], c["verdict"], c["summary"]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn correct_raft_is_valid() -> Result<(), Failed> {
    let store = support::store("e2e", "valid");
    let args = [
        "--time-limit",
        "15",
        "--nemesis",
        "partition,pause,kill",
        "--nemesis-interval",
        "2s",
        "--seed",
        "3",
    ];
    let out = run_test(&store, &args, Duration::from_secs(90))?;
    let r = results(&store)?;
    let code = out.status.code();
    let _ = std::fs::remove_dir_all(&store);
    if code != Some(0) || r["verdict"] != "valid" {
        return Err(format!("exit {code:?}, verdict {}:\n{}", r["verdict"], verdicts(&r)).into());
    }
    let names: Vec<&str> =
        r["checks"].as_array().unwrap().iter().filter_map(|c| c["checker"].as_str()).collect();
    for must in
        ["election-safety", "fencing", "dual-writer", "convergence", "liveness", "linearizable"]
    {
        if !names.contains(&must) {
            return Err(format!("{must} did not run: {names:?}").into());
        }
    }
    Ok(())
}

fn planted_bug_is_invalid() -> Result<(), Failed> {
    let store = support::store("e2e", "bug");
    let args = [
        "--time-limit",
        "12",
        "--bug",
        "no-stepdown",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "2s",
        "--convergence-bound",
        "3s",
        "--seed",
        "5",
    ];
    let out = run_test(&store, &args, Duration::from_secs(90))?;
    let r = results(&store)?;
    let code = out.status.code();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = std::fs::remove_dir_all(&store);
    let convergence = r["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["checker"] == "convergence"))
        .cloned();
    match convergence {
        Some(c) if code == Some(1) && c["verdict"] == "invalid" && stdout.contains("INVALID") => {
            Ok(())
        }
        _ => Err(format!("exit {code:?}, verdict {}:\n{}", r["verdict"], verdicts(&r)).into()),
    }
}

/// `--bug stale-read` with the default faults: the clients that a deposed leader's refused
/// writes send home meet its successor, and a read the deposed leader answers from its copy
/// afterwards is not linearizable (seeds 1–3 at 30 s: 3 of 3 in the sandbox, 4 of 4 with seed 5
/// on the hosts).
fn stale_read_is_invalid() -> Result<(), Failed> {
    let store = support::store("e2e", "stale-read");
    let args = ["--time-limit", "20", "--bug", "stale-read", "--seed", "1"];
    let out = run_test(&store, &args, Duration::from_secs(90))?;
    let r = results(&store)?;
    let _ = std::fs::remove_dir_all(&store);
    let linear = r["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["checker"] == "linearizable"))
        .map(|c| c["verdict"].clone());
    match (out.status.code(), linear) {
        (Some(1), Some(v)) if v == "invalid" => Ok(()),
        (code, _) => {
            Err(format!("exit {code:?}, verdict {}:\n{}", r["verdict"], verdicts(&r)).into())
        }
    }
}

/// Elections that take a minute, a leader bound of 2 s: nothing can be tested, so the run is
/// unknown (exit 2) with the sentence saying so, and `analyze` says the same of it.
fn no_leader_in_time() -> Result<(), Failed> {
    let store = support::store("e2e", "no-leader");
    let args =
        ["--election-timeout-ms", "60000-60001", "--leader-timeout", "2s", "--time-limit", "5"];
    let out = run_test(&store, &args, Duration::from_secs(90))?;
    let r = results(&store)?;
    let analyzed =
        Command::new(support::bin()).arg("analyze").arg(store.join("latest")).output()?;
    let _ = std::fs::remove_dir_all(&store);
    let why = "no node was elected within 2 s: nothing was tested";
    let codes = (out.status.code(), analyzed.status.code());
    let said = String::from_utf8_lossy(&out.stdout).contains(why);
    if codes != (Some(2), Some(2)) || r["nothing_tested"] != why || !said {
        return Err(format!(
            "exit {codes:?}, nothing_tested {}:\n{}",
            r["nothing_tested"],
            verdicts(&r)
        )
        .into());
    }
    Ok(())
}

/// Starts a 60 s test and waits until its history shows a leader and some client operations.
fn start_and_wait_for_work(store: &Path) -> Result<(Child, PathBuf), Failed> {
    let child = test_cmd(store, &["--time-limit", "60", "--seed", "11"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(history) = history_with_work(store) {
            return Ok((child, history));
        }
        if Instant::now() > deadline {
            return Err("the run never recorded a leader and client operations within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn history_with_work(store: &Path) -> Option<PathBuf> {
    let run = std::fs::canonicalize(store.join("latest")).ok()?;
    let history = run.join("history.jsonl");
    let text = std::fs::read_to_string(&history).ok()?;
    (text.contains("\"elected\"") && text.matches("\"invoke\"").count() > 50).then_some(history)
}

/// The pids of processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}

/// Waits until no process mentions `needle` (bounded).
fn nothing_left(needle: &str) -> Result<(), Failed> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_mentioning(needle);
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let what: Vec<String> = left.iter().map(|p| format!("{p} {}", cmdline(*p))).collect();
            return Err(format!("still running after the controller ended: {what:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The network and mount namespaces of `pid` (None for a process gone meanwhile).
fn namespaces_of(pid: u32) -> Option<[String; 2]> {
    let ns = |kind: &str| std::fs::read_link(format!("/proc/{pid}/ns/{kind}")).ok();
    Some([ns("net")?.display().to_string(), ns("mnt")?.display().to_string()])
}

/// The namespaces the run made: those of its processes that this test process is not in.
fn run_namespaces(pids: &[u32]) -> Vec<String> {
    let ours = namespaces_of(std::process::id()).unwrap_or_default();
    let mut found: Vec<String> = pids
        .iter()
        .filter_map(|&p| namespaces_of(p))
        .flatten()
        .filter(|n| !ours.contains(n))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The processes of the whole machine that are inside any of `namespaces`.
fn processes_in(namespaces: &[String]) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            namespaces_of(pid).is_some_and(|ns| ns.iter().any(|n| namespaces.contains(n)))
        })
        .collect()
}

/// Waits until no process is inside any of `namespaces` (bounded: the kernel ends them as it
/// tears the PID namespace down, which takes a moment for the last ones).
fn nothing_inside(namespaces: &[String]) -> Result<(), Failed> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let inside = processes_in(namespaces);
        if inside.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let what: Vec<String> = inside.iter().map(|p| format!("{p} {}", cmdline(*p))).collect();
            return Err(format!("processes still inside the run's namespaces: {what:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn cmdline(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

/// The pid of the controller itself: the child of the sandbox's init (the child of `outer`)
/// that runs the same program.
fn inner_controller(outer: u32) -> Option<u32> {
    let children = |pid: u32| -> Vec<u32> {
        let path = format!("/proc/{pid}/task/{pid}/children");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.split_whitespace().filter_map(|p| p.parse().ok()).collect()
    };
    let init = *children(outer).first()?;
    let exe = std::fs::read_link(format!("/proc/{outer}/exe")).ok()?;
    children(init)
        .into_iter()
        .find(|&c| std::fs::read_link(format!("/proc/{c}/exe")).is_ok_and(|e| e == exe))
}

/// SIGKILL to the process the user started (the sandbox's outer process).
fn sigkill_outer() -> Result<(), Failed> {
    sigkill("sigkill-outer", Some)
}

/// SIGKILL to the controller inside the sandbox (PID 2 there), as the OOM killer might.
fn sigkill_controller() -> Result<(), Failed> {
    sigkill("sigkill-controller", inner_controller)
}

fn sigkill(name: &str, victim: fn(u32) -> Option<u32>) -> Result<(), Failed> {
    let store = support::store("e2e", name);
    let (mut child, history) = start_and_wait_for_work(&store)?;
    let needle = store.display().to_string();
    let running = processes_mentioning(&needle);
    // The sandbox's own network and mount namespaces, and one network namespace per node.
    let namespaces = run_namespaces(&running);
    if running.len() < 2 || namespaces.len() < 3 {
        return Err(format!(
            "expected the controller and its nodes to be running in their namespaces: pids {running:?}, namespaces {namespaces:?}"
        )
        .into());
    }
    let pid = victim(child.id()).ok_or("could not find the process to kill")?;
    // SAFETY: a plain kill(2) of a process this test started (or its descendant).
    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
    let status = child.wait()?;
    nothing_left(&needle)?;
    nothing_inside(&namespaces)?;
    if status.success() {
        return Err(format!("a SIGKILLed run exited {status}, as if it had passed").into());
    }
    let check = Command::new(support::bin()).arg("check").arg(&history).output()?;
    let analyze =
        Command::new(support::bin()).arg("analyze").arg(history.parent().unwrap()).output()?;
    let _ = std::fs::remove_dir_all(&store);
    for (what, o) in [("check", check), ("analyze", analyze)] {
        if !matches!(o.status.code(), Some(0..=2)) {
            return Err(format!(
                "{what} of the killed run's history: exit {:?}: {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            )
            .into());
        }
    }
    Ok(())
}

fn sigint() -> Result<(), Failed> {
    let store = support::store("e2e", "sigint");
    let (mut child, _) = start_and_wait_for_work(&store)?;
    let needle = store.display().to_string();
    // SAFETY: a plain kill(2) of our own child.
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("the controller did not end within 20 s of SIGINT".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    nothing_left(&needle)?;
    let r = results(&store)?;
    let _ = std::fs::remove_dir_all(&store);
    let notes = r["notes"].to_string();
    let judged =
        r["checks"].as_array().is_some_and(|c| c.iter().any(|c| c["checker"] == "election-safety"));
    if !judged || !notes.contains("interrupted") || !matches!(status.code(), Some(0..=2)) {
        return Err(
            format!("exit {:?}, notes {notes}, checks:\n{}", status.code(), verdicts(&r)).into()
        );
    }
    Ok(())
}
