//! Where a run's nodes live: the sandbox's node network, or the real hosts of `--hosts`; and,
//! for hosts, the clock offsets recorded at the start and end of the run.
//!
//! Neighbours: `lifecycle.rs` calls these; `splitbrain_nemesis::Net` is the same type for
//! both, so nothing else in the controller knows which it is.
//!
//! Design: hosts are reached before the history's clock starts (see `lifecycle::run`).

use super::options::Plan;
use super::recorder::Recorder;
use anyhow::Context;
use splitbrain_checkers::history::{Process, Type};
use splitbrain_nemesis::{Net, Sandbox};
use splitbrain_results::{Event, RunDir};

/// The sandbox's node network, or the hosts of `--hosts`.
pub fn network(plan: &Plan, sandbox: &Sandbox, run: &RunDir) -> anyhow::Result<Net> {
    match &plan.hosts {
        None => Net::up(sandbox, plan.nodes).context("building the node network"),
        Some((file, hosts)) => Net::over_ssh(sandbox, hosts, &run.nodes(), plan.target.folder())
            .with_context(|| format!("reaching the hosts of {}", file.display())),
    }
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
