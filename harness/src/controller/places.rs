//! Where a run's nodes live: the sandbox's node network, or the real hosts of `--hosts`; and,
//! for hosts, the clock offsets recorded at the start and end of the run.
//!
//! Neighbours: `lifecycle.rs` calls these; `splitbrain_nemesis::Net` is the same type for
//! both, so nothing else in the controller knows which it is.
//!
//! Design: hosts are reached before the history's clock starts (see `lifecycle::run`).

use super::options::Plan;
use super::recorder::Recorder;
use crate::exit::bad_input;
use anyhow::Context;
use splitbrain_checkers::history::{Process, Type};
use splitbrain_nemesis::link::LinkKind;
use splitbrain_nemesis::{Net, Sandbox, NETEM_PROBE};
use splitbrain_results::{Event, RunDir};

/// The sandbox's node network, or the hosts of `--hosts`.
pub fn network(plan: &Plan, sandbox: &Sandbox, run: &RunDir) -> anyhow::Result<Net> {
    match &plan.hosts {
        None => Net::up(sandbox, plan.nodes).context("building the node network"),
        Some((file, hosts)) => {
            let net = Net::over_ssh(sandbox, hosts, &run.nodes(), plan.target.folder())
                .with_context(|| format!("reaching the hosts of {}", file.display()))?;
            delay_on_hosts(plan, &net)?;
            Ok(net)
        }
    }
}

/// `--nemesis delay` on hosts needs netem in every host's kernel: refused (254) naming each
/// host that lacks it and what the probe said there. Where every host has it, the delay
/// windows are netem's on the links between nodes (README: "Running against real hosts").
fn delay_on_hosts(plan: &Plan, net: &Net) -> anyhow::Result<()> {
    if !plan.faults.iter().any(|k| k.link() == Some(LinkKind::Delay)) {
        return Ok(());
    }
    let lacking = net.hosts_without_netem();
    if lacking.is_empty() {
        return Ok(());
    }
    let hosts: Vec<String> = lacking.iter().map(|(h, said)| format!("{h}: {said:?}")).collect();
    Err(bad_input(format!(
        "--nemesis delay: netem delay needs the sch_netem qdisc in each host's kernel, and `{NETEM_PROBE}` failed on {}; load it there (`sudo modprobe sch_netem`) or leave delay out",
        hosts.join(", ")
    )))
}

/// One `clock-offset` record per remote host (HISTORY.md), at the run's `start` or `end`;
/// returns each measured host's round trip in ms.
pub fn record_offsets(net: &Net, recorder: &Recorder, at: &str) -> Vec<(String, f64)> {
    let mut rtts = Vec::new();
    for (node, mut value) in net.clock_offsets() {
        value["at"] = serde_json::json!(at);
        if let Some(rtt) = value["rtt_ms"].as_f64() {
            rtts.push((node.clone(), rtt));
        }
        recorder.record(Event::new(Process::Node(node), Type::Info, "clock-offset", value));
    }
    rtts
}
