//! The run as a timeline of leadership beliefs and faults, shared by liveness and convergence.
//!
//! Neighbours: [`super`] (liveness figures) and [`crate::convergence`] walk the events that
//! [`super::recorded`] kept of a history and keep [`Beliefs`].
//!
//! Design decisions:
//! - Who leads comes from the nodes' own reports: an `elected` report makes a node a believed
//!   leader, its `stepdown` ends that, and a `kill` that names it ends it too (a dead process
//!   leads nothing and cannot report its own stepdown).
//! - HISTORY.md fixes fault names but not the shape of their `value`, so the nodes a fault
//!   touches are every string in its value (or key of an object) that names a known node.
//! - Fault names pair up by kind: `start-X`/`stop-X`, `pause`/`resume`, `kill`/`restart`,
//!   `clock-…`/`clock-reset`. Pauses and kills pair per node where their records name nodes
//!   (a `resume` of n1 leaves n2 paused); the others end as a kind. `heal` and `repair` end
//!   every kind but a kill (a healed network restarts no process). Any other nemesis record is
//!   an instant fault that needs no end.

use std::collections::BTreeMap;

/// What a nemesis record does to the set of running faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase<'h> {
    /// A fault of this kind begins.
    Begin(&'h str),
    /// Faults of this kind end.
    End(&'h str),
    /// Every fault ends.
    EndAll,
    /// A fault that is over as soon as it is done.
    Instant,
}

/// The phase of the nemesis operation `f`.
pub(crate) fn phase(f: &str) -> Phase<'_> {
    match f {
        "heal" | "repair" => Phase::EndAll,
        "pause" => Phase::Begin("pause"),
        "resume" => Phase::End("pause"),
        "kill" => Phase::Begin("kill"),
        "restart" => Phase::End("kill"),
        "clock-reset" => Phase::End("clock"),
        _ if f.starts_with("clock-") => Phase::Begin("clock"),
        _ => match (f.strip_prefix("start-"), f.strip_prefix("stop-")) {
            (Some(kind), _) => Phase::Begin(kind),
            (_, Some(kind)) => Phase::End(kind),
            _ => Phase::Instant,
        },
    }
}

/// One record, as the timeline sees it.
#[derive(Debug, Clone)]
pub(crate) enum Event<'h> {
    /// A node reports it leads.
    Elected(&'h str),
    /// A node reports it stopped leading.
    Stepdown(&'h str),
    /// A nemesis record, with the known nodes its value names.
    Fault(Phase<'h>, Vec<&'h str>),
}

/// A running fault: its kind, and the node it holds where it is a per-process fault (`pause`,
/// `kill`) that names its nodes.
pub(crate) type Running<'h> = (&'h str, Option<&'h str>);

/// Faults that stop processes one by one, and are undone one by one (`resume`, `restart`).
const PER_NODE: [&str; 2] = ["pause", "kill"];

/// The nodes that believe they lead, and the faults still running.
#[derive(Debug, Default)]
pub(crate) struct Beliefs<'h> {
    /// Believed leaders, with the index of the report that made each one.
    pub leaders: BTreeMap<&'h str, usize>,
    /// Running faults, with the index of the record that began each one.
    pub faults: BTreeMap<Running<'h>, usize>,
}

impl<'h> Beliefs<'h> {
    /// Applies the event of record `i`.
    pub fn apply(&mut self, i: usize, ev: &Event<'h>) {
        match ev {
            Event::Elected(n) => {
                self.leaders.insert(n, i);
            }
            Event::Stepdown(n) => {
                self.leaders.remove(n);
            }
            Event::Fault(phase, nodes) => self.fault(i, *phase, nodes),
        }
    }

    fn fault(&mut self, i: usize, phase: Phase<'h>, nodes: &[&'h str]) {
        let per_node = |kind: &str| PER_NODE.contains(&kind) && !nodes.is_empty();
        match phase {
            Phase::Begin(kind) if per_node(kind) => {
                for &n in nodes {
                    self.faults.entry((kind, Some(n))).or_insert(i);
                }
                if kind == "kill" {
                    self.leaders.retain(|n, _| !nodes.contains(n));
                }
            }
            Phase::Begin(kind) => {
                self.faults.entry((kind, None)).or_insert(i);
            }
            Phase::End(kind) if per_node(kind) => {
                self.faults
                    .retain(|&(k, n), _| k != kind || n.is_some_and(|n| !nodes.contains(&n)));
            }
            Phase::End(kind) => self.faults.retain(|&(k, _), _| k != kind),
            // A generic heal undoes what the network and clocks suffer, not a dead process.
            Phase::EndAll => self.faults.retain(|&(k, _), _| k == "kill"),
            Phase::Instant => {}
        }
    }
}

/// Seconds, for sentences: "1.25 s", "10 s".
pub(crate) fn secs(ns: u64) -> String {
    let s = format!("{:.3}", ns as f64 / 1e9);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} s")
}
