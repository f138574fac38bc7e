//! heal-all: undo every fault in force (resume paused processes, lift the partition and the
//! packet loss and the link faults, reset the clocks). Callable at any time, and again: a second call finds nothing
//! to do and reports nothing. Killed processes are not restarted (that is `crash::restart`).
//!
//! Neighbours: the fault modules it undoes.

use crate::error::Result;
use crate::event::Event;
use crate::net::Net;
use crate::{clock, link, loss, partition, pause};

/// Undoes every fault in force; returns one stop event per kind of fault that was in force.
pub fn all(net: &Net) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    let paused = pause::paused(net);
    if !paused.is_empty() {
        events.push(pause::resume(net, &paused)?);
    }
    let (grudge, losses) = {
        let fw = net.firewall.lock().unwrap_or_else(|e| e.into_inner());
        (!fw.grudge.is_empty(), !fw.losses.is_empty())
    };
    if grudge {
        events.push(partition::heal(net)?);
    }
    if losses {
        events.push(loss::stop(net)?);
    }
    if link::in_force(net) {
        events.extend(link::stop(net)?);
    }
    let skewed = clock::skewed(net);
    if !skewed.is_empty() {
        events.push(clock::reset(net, &skewed)?);
    }
    Ok(events)
}
