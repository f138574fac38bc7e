//! Delay on the hosts: refused naming each host whose kernel lacks netem (the real `tc`), and,
//! on a lab whose `tc` records its calls (`lab.rs`), the netem plumbing: each host's qdisc
//! and filters are exactly its delay windows' links, and every one is deleted, at a window's
//! end or when the controller is killed. Netem's effect itself is not tested here: this
//! machine's kernel has none (OS-FACTS.md).
//!
//! Neighbours: `main.rs` registers these trials and holds the run helpers.

use super::{controller, expect_exit, history, run, support, Lab};
use libtest_mimic::Failed;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

/// The lab's hosts share this machine's kernel: where it has no netem (OS-FACTS.md), every
/// host is named; where it has, the refusal cannot be shown here and the trial says so.
pub fn without_netem_refused(lab: &Lab) -> Result<(), Failed> {
    let probe = ["netns", "exec", &lab.host(1), "sh", "-c", splitbrain_nemesis::NETEM_PROBE];
    if Command::new("ip").args(probe).output()?.status.success() {
        println!("skipped: this kernel has netem, so no host lacks it and nothing is refused");
        return Ok(());
    }
    let store = support::store("hosts", "delay");
    let args = ["--nemesis", "delay", "--time-limit", "5"];
    let out = run(lab, &store, &args, Duration::from_secs(120))?;
    expect_exit(&out, 254)?;
    let said = String::from_utf8_lossy(&out.stderr);
    let named = |i: usize| said.contains(&format!("n{i} (root@10.97.0.{i}:22)"));
    match said.contains("sch_netem") && (1..=lab.n).all(named) {
        true => Ok(()),
        false => Err(format!("stderr: {said}").into()),
    }
}

/// A valid raft run with delay windows: each host's recorded `tc` calls are, window by window,
/// a root qdisc, a netem of the window's delay and a filter for each of its peers in the
/// window's links (no other address, never the controller's), each deleted again.
pub fn qdiscs_follow_the_windows(lab: &Lab) -> Result<(), Failed> {
    let store = support::store("hosts", "netem");
    let args = ["--nemesis", "delay", "--nemesis-interval", "1s", "--time-limit", "10"];
    let out = run(lab, &store, &[&args[..], &["--seed", "2"]].concat(), Duration::from_secs(150))?;
    expect_exit(&out, 0)?;
    let h = history(&store)?;
    let starts: Vec<&Value> = h.iter().filter(|r| r["f"] == "start-delay").collect();
    if starts.is_empty() || !h.iter().any(|r| r["f"] == "stop-delay") {
        return Err("no start-delay and stop-delay records: the check would prove nothing".into());
    }
    for i in 1..=lab.n {
        let want = expected(&starts, i);
        let (got, deleted) = recorded(&lab.tc_log(i));
        if got != want || deleted != got.len() {
            return Err(format!(
                "host n{i}: windows {want:?}, tc made {got:?} and deleted {deleted}:\n{}",
                lab.tc_log(i)
            )
            .into());
        }
    }
    Ok(())
}

/// Host `i`'s delay windows from the history: the peers' addresses and the delay in µs.
fn expected(starts: &[&Value], i: usize) -> Vec<(BTreeSet<String>, u64)> {
    let me = format!("n{i}");
    let mut windows = Vec::new();
    for r in starts {
        let links = r["value"]["links"].as_array().cloned().unwrap_or_default();
        let peers: BTreeSet<String> = links
            .iter()
            .filter(|l| l[0] == me.as_str())
            .filter_map(|l| l[1].as_str()?.strip_prefix('n').map(|n| format!("10.97.0.{n}")))
            .collect();
        let us = (r["value"]["delay_ms"].as_f64().unwrap_or(0.0) * 1000.0).round() as u64;
        if !peers.is_empty() {
            windows.push((peers, us));
        }
    }
    windows
}

/// From a recorded `tc` log: each root qdisc's filtered addresses and netem delay (µs), and
/// how many root qdiscs were deleted. The netem probe (on `lo`) is left out.
fn recorded(log: &str) -> (Vec<(BTreeSet<String>, u64)>, usize) {
    let (mut made, mut deleted) = (Vec::new(), 0);
    for line in log.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let after = |key: &str| w.iter().position(|x| *x == key).and_then(|p| w.get(p + 1));
        match (w.first(), w.get(1)) {
            (Some(&"qdisc"), Some(&"add")) if line.contains("root handle 5b17:") => {
                made.push((BTreeSet::new(), 0))
            }
            (Some(&"qdisc"), Some(&"add"))
                if line.contains("netem") && !line.contains("dev lo") =>
            {
                let us = after("delay").and_then(|d| d.strip_suffix("us")?.parse().ok());
                if let (Some(last), Some(us)) = (made.last_mut(), us) {
                    last.1 = us;
                }
            }
            (Some(&"filter"), Some(&"add")) => {
                let dst = after("dst").map(|d| d.trim_end_matches("/32").to_string());
                if let (Some(last), Some(dst)) = (made.last_mut(), dst) {
                    last.0.insert(dst);
                }
            }
            (Some(&"qdisc"), Some(&"del")) if line.contains("root handle 5b17:") => deleted += 1,
            _ => {}
        }
    }
    (made, deleted)
}

/// SIGKILL to the controller while a delay is in force (a host's `tc` made a root qdisc and
/// has not deleted it); within 20 s every host's agent has deleted its qdisc and nothing of
/// the run is left on any host.
pub fn kill_removes_the_qdiscs(lab: &Lab) -> Result<(), Failed> {
    let store = support::store("hosts", "netem-kill");
    let args = ["--nemesis", "delay", "--nemesis-interval", "1s", "--time-limit", "60"];
    let mut child = controller(lab, &store, &[&args[..], &["--seed", "3"]].concat())?;
    let in_force =
        || (1..=lab.n).any(|i| recorded(&lab.tc_log(i)).0.len() > recorded(&lab.tc_log(i)).1);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !in_force() {
        if Instant::now() > deadline || child.try_wait()?.is_some() {
            let _ = child.kill();
            return Err("no host's tc made a delay qdisc".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill()?;
    child.wait()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<String> = (1..=lab.n).flat_map(|i| lab.leftovers(i)).collect();
        if left.is_empty() && !in_force() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = (1..=lab.n).map(|i| lab.tc_log(i)).collect();
            return Err(format!("20 s after the SIGKILL: left {left:?}, tc logs {logs:?}").into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A host whose `tc qdisc show` lists splitbrain's root qdisc (an earlier run's) is refused,
/// naming the command that clears it.
pub fn leftover_qdisc_refused(lab: &Lab) -> Result<(), Failed> {
    lab.plant_qdisc_listing(3, "qdisc prio 5b17: dev eth0 root refcnt 2 bands 4\n")?;
    let store = support::store("hosts", "netem-leftover");
    let out = run(lab, &store, &["--time-limit", "5"], Duration::from_secs(120))?;
    let said = String::from_utf8_lossy(&out.stderr);
    match !out.status.success() && said.contains("sudo tc qdisc del dev eth0 root handle 5b17:") {
        true => Ok(()),
        false => Err(format!("exit {:?}, stderr: {said}", out.status.code()).into()),
    }
}

/// Hosts whose `tc` refuses netem after the probe passed: each delay window fails with what
/// `tc` said, no `start-delay` is recorded, the run goes on, and each root qdisc it made was
/// deleted by the end.
pub fn a_failing_tc_is_reported_and_leaves_no_qdisc(lab: &Lab) -> Result<(), Failed> {
    (1..=lab.n).try_for_each(|i| lab.refuse_netem(i))?;
    let store = support::store("hosts", "netem-fails");
    let args = ["--nemesis", "delay", "--nemesis-interval", "1s", "--time-limit", "6"];
    let out = run(lab, &store, &args, Duration::from_secs(120))?;
    let said = String::from_utf8_lossy(&out.stderr);
    let h = history(&store)?;
    let half_made = (1..=lab.n).map(|i| recorded(&lab.tc_log(i))).any(|(m, d)| m.len() != d);
    let told =
        said.contains("delay fault failed") && said.contains("Specified qdisc kind is unknown");
    match told && !half_made && !h.iter().any(|r| r["f"] == "start-delay") {
        true => Ok(()),
        false => Err(format!(
            "half-made qdisc: {half_made}; exit {:?}, stderr: {said}",
            out.status.code()
        )
        .into()),
    }
}
