//! Crashing the processes on nodes (SIGKILL to each process group, then reaped) and starting
//! them again with the same program, arguments, environment and data directory. Before a
//! kill the process's place readies its restart: on a host, a session waiting to start it.
//!
//! Neighbours: the processes come from [`crate::net::Net::spawn`]; `heal.rs` does not restart
//! (a controller decides whether a killed node comes back).

use crate::error::Result;
use crate::event::Event;
use crate::net::Net;
use crate::pause::names;
use serde_json::json;

/// Kills every process on `nodes`: `kill`.
pub fn kill<S: AsRef<str>>(net: &Net, nodes: &[S]) -> Result<Event> {
    net.indices(nodes)?;
    let mut count = 0;
    for n in nodes {
        for p in net.procs.on(n.as_ref()) {
            p.warm();
            count += p.kill()? as usize;
        }
    }
    Ok(Event::new("kill", json!({"nodes": names(nodes), "processes": count})))
}

/// Starts again every process on `nodes` that is not running: `restart`. (Piped stdouts are new
/// pipes: take them again from the [`crate::proc::Proc`] handles.)
pub fn restart<S: AsRef<str>>(net: &Net, nodes: &[S]) -> Result<Event> {
    net.indices(nodes)?;
    let mut count = 0;
    for n in nodes {
        for p in net.procs.on(n.as_ref()) {
            if !p.is_running() {
                p.start_again()?;
                count += 1;
            }
        }
    }
    Ok(Event::new("restart", json!({"nodes": names(nodes), "processes": count})))
}
