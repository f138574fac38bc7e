//! Netem delay on real hosts, both ends: the controller sends each host whose delayed links
//! changed its whole delay state as one `#@delay` line over the agent's session; the agent
//! puts it in force with `tc` (removing what it had first), remembers which interfaces carry
//! it, and removes it there when it heals the host.
//!
//! Neighbours: `netem.rs` writes the line and the `tc` command lines; `link.rs` calls
//! [`apply`] where the sandbox would start its switch; `agent.rs` holds an [`AgentDelays`];
//! `nft.rs` carries the line and learns whether it failed.
//!
//! Design: only node→node links are ever delayed on hosts (`link.rs` refuses the rest): the
//! links to the controller carry SSH, the clients and the resource. The agent runs as the
//! host's agent does (under `sudo -n` where the host says `sudo = true`), so `tc` needs no
//! `sudo` of its own. Netem draws each packet's delay from the kernel's randomness: the
//! run's seed fixes each window's delay and jitter (as in the sandbox), not each packet's.

use crate::error::{Error, Result};
use crate::link::{LinkKind, CONTROLLER};
use crate::net::Net;
use crate::netem::{self, PeerDelay};
use crate::shaper::{Shaping, Spread};
use std::collections::HashMap;
use std::process::{Command, Stdio};

/// On hosts only delay exists (netem), and only on links between nodes: the controller's
/// links carry SSH, the clients and the resource, and are never faulted there.
pub(crate) fn check<S: AsRef<str>>(kind: LinkKind, links: &[(S, S)]) -> Result<()> {
    let to_controller =
        links.iter().any(|(a, b)| a.as_ref() == CONTROLLER || b.as_ref() == CONTROLLER);
    match (kind, to_controller) {
        (LinkKind::Delay, false) => Ok(()),
        (LinkKind::Delay, true) => Err(Error::BadInput(
            "delay on --hosts: the links to the controller (SSH, clients, the resource) are never delayed there; give links between nodes".into(),
        )),
        // The switch owns the sandbox bridge's ports; real hosts have no bridge of ours.
        (k, _) => Err(Error::BadInput(format!(
            "--nemesis {}: this link fault exists only in the sandbox, not on --hosts; leave it out",
            k.name()
        ))),
    }
}

/// Sends every host whose delayed peers differ from `sent` (what each host last got) its new
/// `#@delay` line; `shaped` is each faulted link's shaping, as port pairs.
pub(crate) fn apply(
    net: &Net,
    shaped: &HashMap<(usize, usize), (Shaping, u64)>,
    sent: &mut Vec<String>,
) -> Result<()> {
    let nodes = net.nodes();
    sent.resize(nodes.len(), netem::delay_line(&[]));
    for (i, had) in sent.iter_mut().enumerate() {
        let mut peers: Vec<PeerDelay> = shaped
            .iter()
            .filter(|((a, b), _)| *a == i && *b < nodes.len())
            .map(|((_, b), (s, _))| peer(nodes[*b].addr, s))
            .collect();
        peers.sort_by_key(|p| p.to);
        let line = netem::delay_line(&peers);
        if line != *had {
            net.firewall.lock().unwrap_or_else(|e| e.into_inner()).send_delay(i, &line)?;
            *had = line;
        }
    }
    Ok(())
}

fn peer(to: std::net::Ipv4Addr, s: &Shaping) -> PeerDelay {
    PeerDelay {
        to,
        delay_us: s.delay.as_micros() as u64,
        jitter_us: s.jitter.as_micros() as u64,
        normal: s.spread == Spread::Normal,
    }
}

/// The agent's delay state: the interfaces that carry splitbrain's qdisc.
#[derive(Debug, Default)]
pub struct AgentDelays {
    devs: Vec<String>,
}

impl AgentDelays {
    /// Puts the delays of a `#@delay` line's words in force in place of the earlier ones; on
    /// an error none is left in force (no half-made qdisc stays behind).
    pub fn set(&mut self, words: &str) -> std::result::Result<(), String> {
        self.clear();
        let made = self.make(words);
        if made.is_err() {
            self.clear();
        }
        made
    }

    fn make(&mut self, words: &str) -> std::result::Result<(), String> {
        let peers = netem::parse_delay_words(words).ok_or(format!("bad #@delay line {words:?}"))?;
        let mut by_dev: Vec<(String, Vec<PeerDelay>)> = Vec::new();
        for p in peers {
            let dev = dev_towards(p.to)?;
            match by_dev.iter_mut().find(|(d, _)| *d == dev) {
                Some((_, ps)) => ps.push(p),
                None => by_dev.push((dev, vec![p])),
            }
        }
        for (dev, peers) in by_dev {
            let cmds = netem::layout(&dev, &peers)?;
            self.devs.push(dev);
            cmds.iter().try_for_each(|c| tc(c))?;
        }
        Ok(())
    }

    /// Removes splitbrain's qdisc from every interface that carries it.
    pub fn clear(&mut self) {
        for dev in self.devs.drain(..) {
            let _ = tc(&netem::removal(&dev));
        }
    }
}

/// The interfaces that still carry an earlier run's qdisc (none where `tc` is missing).
pub fn leftover_devs() -> Vec<String> {
    let out = Command::new("tc").args(["qdisc", "show"]).stdin(Stdio::null()).output();
    out.map(|o| netem::ours_in(&String::from_utf8_lossy(&o.stdout))).unwrap_or_default()
}

/// The interface the host routes `to` over (`ip route get`; no packet is sent).
fn dev_towards(to: std::net::Ipv4Addr) -> std::result::Result<String, String> {
    let out = Command::new("ip")
        .args(["route", "get", &to.to_string()])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip route get {to}: {e}"))?;
    netem::route_dev(&String::from_utf8_lossy(&out.stdout))
        .ok_or(format!("ip route get {to}: no interface routes there"))
}

/// `tc ARGS…`; an error carries what it said.
fn tc(args: &[String]) -> std::result::Result<(), String> {
    let out = Command::new("tc")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("starting tc (iproute2): {e}"))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(format!(
            "`tc {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}
