//! Packet loss: packets from some nodes to others are dropped at random, at a given rate
//! (nftables `numgen random`, on the receiving node). The kernel here has no netem, so there is
//! no delay fault.
//!
//! Neighbours: `firewall.rs` renders the rules next to the partition's; `heal.rs` ends it.

use crate::error::{Error, Result};
use crate::event::Event;
use crate::net::Net;
use serde_json::json;

/// One loss rule: packets from `from` to `to` are dropped with probability `rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Loss {
    /// Senders.
    pub from: Vec<String>,
    /// Receivers.
    pub to: Vec<String>,
    /// Between 0 and 1.
    pub rate: f64,
}

impl Loss {
    pub(crate) fn per_10000(&self) -> u32 {
        (self.rate * 10_000.0).round() as u32
    }
}

/// Starts dropping packets from `from` to `to` at `rate` (0 < rate ≤ 1), on top of any loss
/// already in force. A node's traffic to itself is never dropped.
pub fn start<S: AsRef<str>>(net: &Net, from: &[S], to: &[S], rate: f64) -> Result<Event> {
    if !(rate > 0.0 && rate <= 1.0) {
        return Err(Error::BadInput(format!(
            "loss rate {rate}: give a number above 0 and at most 1"
        )));
    }
    net.indices(from)?;
    net.indices(to)?;
    let names = |s: &[S]| s.iter().map(|n| n.as_ref().to_string()).collect::<Vec<_>>();
    let loss = Loss { from: names(from), to: names(to), rate };
    let mut fw = net.firewall.lock().unwrap_or_else(|e| e.into_inner());
    fw.losses.push(loss.clone());
    if let Err(e) = fw.sync(net.nodes()) {
        fw.losses.pop();
        let _ = fw.sync(net.nodes());
        return Err(e);
    }
    Ok(Event::new("start-loss", json!({"nodes": loss.to, "from": loss.from, "rate": rate})))
}

/// Starts loss at `rate` among all of `nodes`, both ways.
pub fn between<S: AsRef<str>>(net: &Net, nodes: &[S], rate: f64) -> Result<Event> {
    start(net, nodes, nodes, rate)
}

/// Ends every loss rule (the partition, if any, stays).
pub fn stop(net: &Net) -> Result<Event> {
    let mut fw = net.firewall.lock().unwrap_or_else(|e| e.into_inner());
    fw.losses.clear();
    let changed = fw.sync(net.nodes())?;
    Ok(Event::new("stop-loss", json!({"nodes": changed})))
}
