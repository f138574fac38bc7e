//! Link faults: delay (with jitter), reordering, duplication and a bandwidth cap on any set of
//! directed links between nodes and between a node and the controller, without netem (this
//! kernel has none) and without root. On real hosts (`--hosts`), delay alone, between nodes
//! alone, with the hosts' netem (`host_delay.rs`).
//!
//! ```no_run
//! # use splitbrain_nemesis::{link::{self, LinkFault}, shaper::Spread, Net};
//! # use std::time::Duration;
//! # fn f(net: &Net) -> splitbrain_nemesis::Result<()> {
//! let links = link::egress(net, &["n1"]);     // n1 → every other node and the controller
//! let fault = LinkFault::Delay {
//!     delay: Duration::from_millis(200),
//!     jitter: Duration::from_millis(20),
//!     spread: Spread::Normal,
//! };
//! let ev = link::start(net, &links, fault, 7)?; // `start-delay`; the seed fixes the delays
//! let evs = link::stop(net)?;                   // `stop-delay`
//! # drop((ev, evs)); Ok(()) }
//! ```
//!
//! Neighbours: `switch.rs` carries the faulted frames, `shaper.rs` shapes them, `bridge.rs`
//! keeps the kernel's bridge off those links; `heal.rs` ends them. Partitions and loss are
//! enforced inside the receiving node, after the switch, so they compose with these.
//!
//! Design: a frame on a faulted link is dropped by the kernel's bridge (an nftables rule of
//! the bridge family on that pair of ports) and carried instead by the controller's switch,
//! which read it off the input port with a raw socket. Links not faulted keep the kernel's
//! bridge and pay nothing. The controller's own address lives on a veth port of the bridge
//! like a node's (`net.rs`), so the clients' traffic crosses faulted links too: a delay on a
//! node's egress shows in client latency as netem on that node's interface would.

use crate::bridge;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::net::Net;
use crate::shaper::{Shaper, Shaping, Spread};
use crate::switch::{Plan, Switch};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// The name of the controller's end of its links (clients and the fenced resource live there).
pub const CONTROLLER: &str = "controller";
/// The longest delay a link fault takes (a longer one is a partition).
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// A kind of link fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    /// Frames arrive late.
    Delay,
    /// Some frames overtake others.
    Reorder,
    /// Some frames arrive twice.
    Duplicate,
    /// A bandwidth cap.
    Slow,
}

impl LinkKind {
    /// Every kind.
    pub const ALL: [LinkKind; 4] =
        [LinkKind::Delay, LinkKind::Reorder, LinkKind::Duplicate, LinkKind::Slow];

    /// Its name (`delay`…), which its records carry as `start-NAME` and `stop-NAME`.
    pub fn name(self) -> &'static str {
        self.names().0
    }

    /// (name, start record, stop record).
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            LinkKind::Delay => ("delay", "start-delay", "stop-delay"),
            LinkKind::Reorder => ("reorder", "start-reorder", "stop-reorder"),
            LinkKind::Duplicate => ("duplicate", "start-duplicate", "stop-duplicate"),
            LinkKind::Slow => ("slow", "start-slow", "stop-slow"),
        }
    }
}

/// What a fault does to each of its links.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LinkFault {
    /// Every frame late by `delay`, give or take `jitter`, spread as `spread`.
    Delay {
        /// The mean added latency.
        delay: Duration,
        /// How far one frame strays from it.
        jitter: Duration,
        /// How the strays are spread.
        spread: Spread,
    },
    /// A `share` of frames sent at once, the rest late by `delay` (so the first overtake).
    Reorder {
        /// The latency of the frames that are overtaken.
        delay: Duration,
        /// Share of frames that go at once (0 to 1).
        share: f64,
    },
    /// A `share` of frames sent twice.
    Duplicate {
        /// Share of frames duplicated (0 to 1).
        share: f64,
    },
    /// At most `rate` bits per second on each link; what waits more than a second is dropped.
    Slow {
        /// Bits per second.
        rate: u64,
    },
}

impl LinkFault {
    /// Its kind.
    pub fn kind(&self) -> LinkKind {
        match self {
            LinkFault::Delay { .. } => LinkKind::Delay,
            LinkFault::Reorder { .. } => LinkKind::Reorder,
            LinkFault::Duplicate { .. } => LinkKind::Duplicate,
            LinkFault::Slow { .. } => LinkKind::Slow,
        }
    }

    /// What it does to a link, or what is wrong with it.
    fn shaping(&self) -> Result<Shaping> {
        let share_ok = |s: f64| s > 0.0 && s <= 1.0;
        let bad = |what: String| Err(Error::BadInput(what));
        match *self {
            LinkFault::Delay { delay, .. } | LinkFault::Reorder { delay, .. }
                if delay > MAX_DELAY =>
            {
                bad(format!("delay {delay:?}: give at most {MAX_DELAY:?} (longer is a partition)"))
            }
            LinkFault::Delay { delay, jitter, spread }
                if jitter <= delay * 4 || delay.is_zero() =>
            {
                Ok(Shaping { delay, jitter, spread, ..Shaping::NONE })
            }
            LinkFault::Delay { jitter, .. } => {
                bad(format!("jitter {jitter:?}: keep it within 4 × the delay"))
            }
            LinkFault::Reorder { delay, share } if share_ok(share) => {
                Ok(Shaping { delay, reorder: share, ..Shaping::NONE })
            }
            LinkFault::Duplicate { share } if share_ok(share) => {
                Ok(Shaping { duplicate: share, ..Shaping::NONE })
            }
            LinkFault::Slow { rate } if rate >= 8_000 => Ok(Shaping { rate, ..Shaping::NONE }),
            LinkFault::Slow { rate } => bad(format!("rate {rate} bit/s: give at least 8000")),
            _ => bad(format!("{self:?}: give a share above 0 and at most 1")),
        }
    }

    /// The record's fields that say what it does.
    fn describe(&self) -> Value {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        match *self {
            LinkFault::Delay { delay, jitter, spread } => json!({
                "delay_ms": ms(delay), "jitter_ms": ms(jitter),
                "distribution": format!("{spread:?}").to_lowercase()}),
            LinkFault::Reorder { delay, share } => json!({"delay_ms": ms(delay), "share": share}),
            LinkFault::Duplicate { share } => json!({"share": share}),
            LinkFault::Slow { rate } => json!({"rate_bps": rate}),
        }
    }
}

/// One fault in force: its links (as port pairs) and what it does on them.
#[derive(Debug, Clone)]
struct InForce {
    kind: LinkKind,
    shaping: Shaping,
    links: Vec<(usize, usize)>,
    seed: u64,
}

/// The link faults of one network, and the switch carrying them.
#[derive(Default)]
pub(crate) struct Links {
    faults: Vec<InForce>,
    switch: Option<Switch>,
    /// Switches replaced or stopped that still send the frames they took (joined once done,
    /// or when the network is dropped), so a fault's end is recorded when it ends for new frames.
    draining: Vec<Switch>,
    prepared: bool,
    /// On hosts: each host's last `#@delay` line.
    sent: Vec<String>,
}

/// Starts `fault` on the directed `links` (pairs of node names or [`CONTROLLER`]), on top of
/// any link faults in force; `seed` fixes every random choice it makes on each link.
pub fn start<S: AsRef<str>>(
    net: &Net,
    links: &[(S, S)],
    fault: LinkFault,
    seed: u64,
) -> Result<Event> {
    if net.remote.is_some() {
        crate::host_delay::check(fault.kind(), links)?;
    }
    let shaping = fault.shaping()?;
    let ports = links
        .iter()
        .map(|(a, b)| Ok((port(net, a.as_ref())?, port(net, b.as_ref())?)))
        .collect::<Result<Vec<_>>>()?;
    if ports.is_empty() || ports.iter().any(|(a, b)| a == b) {
        return Err(Error::BadInput(
            "link fault: give at least one link, between two different ends".into(),
        ));
    }
    let mut state = net.links.lock().unwrap_or_else(|e| e.into_inner());
    if !state.prepared && net.remote.is_none() {
        bridge::prepare(net)?;
        state.prepared = true;
    }
    state.faults.push(InForce { kind: fault.kind(), shaping, links: ports.clone(), seed });
    if let Err(e) = apply(net, &mut state) {
        state.faults.pop();
        let _ = apply(net, &mut state);
        return Err(e);
    }
    let (_, f, _) = fault.kind().names();
    let mut value = json!({"nodes": node_names(net, &ports), "links": link_names(net, &ports)});
    merge(&mut value, fault.describe());
    Ok(Event::new(f, value))
}

/// Ends every link fault; one `stop-KIND` record per kind that was in force.
pub fn stop(net: &Net) -> Result<Vec<Event>> {
    let mut state = net.links.lock().unwrap_or_else(|e| e.into_inner());
    let mut kinds: HashMap<LinkKind, Vec<(usize, usize)>> = HashMap::new();
    for f in state.faults.drain(..) {
        kinds.entry(f.kind).or_default().extend(f.links);
    }
    apply(net, &mut state)?;
    let mut events: Vec<(LinkKind, Event)> = kinds
        .into_iter()
        .map(|(k, ports)| (k, Event::new(k.names().2, json!({"nodes": node_names(net, &ports)}))))
        .collect();
    events.sort_by_key(|(k, _)| *k);
    Ok(events.into_iter().map(|(_, e)| e).collect())
}

/// How many frames the switch has taken off faulted links, sent on (copies), and dropped,
/// since the link faults in force last changed; zeros when none is in force.
pub fn carried(net: &Net) -> [u64; 3] {
    let state = net.links.lock().unwrap_or_else(|e| e.into_inner());
    state.switch.as_ref().map_or([0; 3], |s| s.counts().read())
}

/// True while some link fault is in force.
pub fn in_force(net: &Net) -> bool {
    !net.links.lock().unwrap_or_else(|e| e.into_inner()).faults.is_empty()
}

/// The links out of each of `nodes` to every other node and to the controller: netem on
/// those nodes' interfaces. On hosts, to every other node only (the controller's links are
/// never faulted there).
pub fn egress<S: AsRef<str>>(net: &Net, nodes: &[S]) -> Vec<(String, String)> {
    let mut ends = net.names();
    if net.remote.is_none() {
        ends.push(CONTROLLER.to_string());
    }
    let from: Vec<String> = nodes.iter().map(|n| n.as_ref().to_string()).collect();
    one_way(&from, &ends)
}

/// Every link from one of `a` to one of `b` (a node's link to itself left out).
pub fn one_way<S: AsRef<str>>(a: &[S], b: &[S]) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for x in a {
        for y in b.iter().filter(|y| y.as_ref() != x.as_ref()) {
            links.push((x.as_ref().to_string(), y.as_ref().to_string()));
        }
    }
    links
}

/// Every link between `a` and `b`, both ways.
pub fn between<S: AsRef<str>>(a: &[S], b: &[S]) -> Vec<(String, String)> {
    let mut links = one_way(a, b);
    links.extend(one_way(b, a));
    links
}

/// Makes the switch and the bridge's rules match the faults in force: the new switch is up
/// before the rules move frames to it, and the old one drains after.
fn apply(net: &Net, state: &mut Links) -> Result<()> {
    state.draining.retain(|s| !s.done());
    let shaped = combined(&state.faults);
    if net.remote.is_some() {
        return crate::host_delay::apply(net, &shaped, &mut state.sent);
    }
    let old = state.switch.take();
    if shaped.is_empty() {
        bridge::set_rules(net, &[])?;
        state.draining.extend(old.inspect(Switch::finish));
        return Ok(());
    }
    let plan = plan(net, &shaped)?;
    let switch = Switch::start(plan).map_err(|e| Error::os("starting the link switch", e))?;
    state.switch = Some(switch);
    let pairs: Vec<(usize, usize)> = shaped.keys().copied().collect();
    bridge::set_rules(net, &pairs)?;
    state.draining.extend(old.inspect(Switch::finish));
    Ok(())
}

/// Each faulted link's shaping (faults on one link add up: delays sum, shares and caps take
/// the strongest) and seed.
fn combined(faults: &[InForce]) -> HashMap<(usize, usize), (Shaping, u64)> {
    let mut out: HashMap<(usize, usize), (Shaping, u64)> = HashMap::new();
    for f in faults {
        for l in &f.links {
            let (s, seed) = out.entry(*l).or_insert((Shaping::NONE, 0));
            *seed = seed.rotate_left(17) ^ f.seed;
            add(s, &f.shaping);
        }
    }
    out
}

fn add(s: &mut Shaping, more: &Shaping) {
    s.delay += more.delay;
    s.jitter = s.jitter.max(more.jitter);
    if !more.jitter.is_zero() {
        s.spread = more.spread;
    }
    s.reorder = s.reorder.max(more.reorder);
    s.duplicate = s.duplicate.max(more.duplicate);
    s.rate = match (s.rate, more.rate) {
        (0, r) | (r, 0) => r,
        (a, b) => a.min(b),
    };
}

/// The switch's sockets and shapers for these links.
fn plan(net: &Net, shaped: &HashMap<(usize, usize), (Shaping, u64)>) -> Result<Plan> {
    let names = bridge::port_names(net);
    let listen: BTreeSet<usize> = shaped.keys().map(|(a, _)| *a).collect();
    let send: BTreeSet<usize> = shaped.keys().map(|(_, b)| *b).collect();
    let sockets = (0..names.len())
        .map(|p| match (listen.contains(&p), send.contains(&p)) {
            (false, false) => Ok(None),
            (l, _) => crate::packet::PacketSocket::open(&names[p], l).map(Some),
        })
        .collect::<Result<_>>()?;
    let links = shaped
        .iter()
        .map(|(&(a, b), &(s, seed))| {
            let stream = seed ^ ((a as u64) << 40) ^ ((b as u64) << 20);
            ((a, b), Shaper::new(s, ChaCha8Rng::seed_from_u64(stream)))
        })
        .collect();
    Ok(Plan { sockets, macs: bridge::port_macs(net), links })
}

/// The port of end `name`: a node's number from 0, or the controller's after the nodes.
fn port(net: &Net, name: &str) -> Result<usize> {
    match name {
        CONTROLLER => Ok(net.nodes().len()),
        _ => net.index(name),
    }
}

fn port_name(net: &Net, p: usize) -> String {
    net.nodes().get(p).map_or(CONTROLLER.to_string(), |n| n.name.clone())
}

/// The nodes sending on `ports` (the ones netem would be on), in node order.
fn node_names(net: &Net, ports: &[(usize, usize)]) -> Vec<String> {
    let set: BTreeSet<usize> = ports.iter().map(|(a, _)| *a).collect();
    set.into_iter().filter(|p| *p < net.nodes().len()).map(|p| port_name(net, p)).collect()
}

fn link_names(net: &Net, ports: &[(usize, usize)]) -> Vec<[String; 2]> {
    ports.iter().map(|(a, b)| [port_name(net, *a), port_name(net, *b)]).collect()
}

fn merge(into: &mut Value, more: Value) {
    if let (Some(a), Value::Object(b)) = (into.as_object_mut(), more) {
        a.extend(b);
    }
}
