//! Pausing the processes on nodes (SIGSTOP to each process group) and resuming them
//! (SIGCONT): a process that is paused answers nothing, then carries on as if no time passed.
//!
//! Neighbours: the processes come from [`crate::net::Net::spawn`]; `heal.rs` resumes all.

use crate::error::Result;
use crate::event::Event;
use crate::net::Net;
use serde_json::json;

/// Stops every process on `nodes`: `pause`.
pub fn pause<S: AsRef<str>>(net: &Net, nodes: &[S]) -> Result<Event> {
    net.indices(nodes)?;
    let mut count = 0;
    for n in nodes {
        for p in net.procs.on(n.as_ref()) {
            count += p.pause()? as usize;
        }
    }
    Ok(Event::new("pause", json!({"nodes": names(nodes), "processes": count})))
}

/// Continues every paused process on `nodes`: `resume`.
pub fn resume<S: AsRef<str>>(net: &Net, nodes: &[S]) -> Result<Event> {
    net.indices(nodes)?;
    let mut count = 0;
    for n in nodes {
        for p in net.procs.on(n.as_ref()) {
            count += p.resume()? as usize;
        }
    }
    Ok(Event::new("resume", json!({"nodes": names(nodes), "processes": count})))
}

/// The nodes that have a paused process now.
pub fn paused(net: &Net) -> Vec<String> {
    net.names().into_iter().filter(|n| net.procs.on(n).iter().any(|p| p.is_paused())).collect()
}

pub(crate) fn names<S: AsRef<str>>(nodes: &[S]) -> Vec<String> {
    nodes.iter().map(|n| n.as_ref().to_string()).collect()
}
