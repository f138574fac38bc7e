//! The timeline of a streamed history, kept compactly: only the records that change beliefs
//! (`elected`, `stepdown`, nemesis records), with names as small ids, and the set of known
//! nodes, so liveness and convergence can walk [`super::timeline`]'s events at the end without
//! the history.
//!
//! Neighbours: [`super::Liveness`] and [`crate::convergence::Convergence`] feed it every
//! record and call [`Recorded::walk`] when the stream ends; [`super::timeline::event`] is the
//! same reading of a record for a whole history.
//!
//! Design: which strings of a nemesis record name nodes depends on every node the history
//! names, later ones too, so a fault keeps every string its value holds and the node filter is
//! applied at the end. A record that is not an event changes no belief and no leaderless span
//! (those change only where an event does), so leaving it out of the walk changes no figure.

use super::timeline::{phase, Event};
use crate::fed::{Fed, Who};
use crate::history::Type;
use crate::safety::Names;
use serde_json::Value;

/// One event record: its position, its time and what it does.
#[derive(Debug, Clone)]
struct Kept {
    index: usize,
    time: u64,
    what: What,
}

#[derive(Debug, Clone)]
enum What {
    Elected(u32),
    Stepdown(u32),
    /// A nemesis record: its `f`, and every string of its value and its `node` field.
    Fault(u32, Vec<u32>),
}

/// The events of the records fed so far, the strings they use, and which name nodes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorded {
    strings: Names,
    known: Vec<bool>,
    kept: Vec<Kept>,
    at: usize,
    /// The time of the last record.
    pub end: u64,
}

impl Recorded {
    /// Learns from the next record.
    pub(crate) fn feed(&mut self, r: &Fed<'_>) {
        self.know(r);
        let what = match r.process {
            Who::Node(n) if r.is(Type::Ok, "elected") => Some(What::Elected(self.id(n))),
            Who::Node(n) if r.is(Type::Ok, "stepdown") => Some(What::Stepdown(self.id(n))),
            Who::Nemesis => Some(self.fault(r)),
            _ => None,
        };
        if let Some(what) = what {
            // A remote node's election may have happened up to its link's delay earlier.
            let time = match what {
                What::Elected(_) => r.earliest(),
                _ => r.time,
            };
            self.kept.push(Kept { index: self.at, time, what });
        }
        self.at += 1;
        self.end = r.time;
    }

    /// Every node the history names: reporting nodes, `node` fields, write leaders, accept
    /// nodes (as `timeline::known_nodes` reads them).
    fn know(&mut self, r: &Fed<'_>) {
        let named = [
            r.process.node(),
            r.node,
            match r.process == Who::Resource {
                true => r.value_node(),
                false => r.is(Type::Ok, "write").then(|| r.leader()).flatten(),
            },
        ];
        for n in named.into_iter().flatten() {
            let id = self.id(n) as usize;
            self.known[id] = true;
        }
    }

    fn fault(&mut self, r: &Fed<'_>) -> What {
        let mut strings = Vec::new();
        self.strings_in(&r.value(), &mut strings);
        strings.extend(r.node.map(|n| self.id(n)));
        What::Fault(self.id(r.f), strings)
    }

    fn strings_in(&mut self, v: &Value, out: &mut Vec<u32>) {
        match v {
            Value::String(s) => out.push(self.id(s)),
            Value::Array(items) => items.iter().for_each(|x| self.strings_in(x, out)),
            Value::Object(map) => {
                for (k, x) in map {
                    out.push(self.id(k));
                    self.strings_in(x, out);
                }
            }
            _ => {}
        }
    }

    fn id(&mut self, s: &str) -> u32 {
        let id = self.strings.id(s);
        if id as usize == self.known.len() {
            self.known.push(false);
        }
        id
    }

    fn name(&self, id: u32) -> &str {
        self.strings.name(id)
    }

    /// The known nodes, sorted.
    pub(crate) fn known(&self) -> std::collections::BTreeSet<&str> {
        let ids = (0..self.strings.len() as u32).filter(|&i| self.known[i as usize]);
        ids.map(|i| self.name(i)).collect()
    }

    /// Calls `f` with the position, time and event of every event record, in file order.
    pub(crate) fn walk<'s>(&'s self, mut f: impl FnMut(usize, u64, &Event<'s>)) {
        for k in &self.kept {
            f(k.index, k.time, &self.event(&k.what));
        }
    }

    fn event(&self, what: &What) -> Event<'_> {
        match what {
            What::Elected(n) => Event::Elected(self.name(*n)),
            What::Stepdown(n) => Event::Stepdown(self.name(*n)),
            What::Fault(f, strings) => {
                let known = |&&id: &&u32| self.known[id as usize];
                let mut named: Vec<&str> =
                    strings.iter().filter(known).map(|&id| self.name(id)).collect();
                named.sort_unstable();
                named.dedup();
                Event::Fault(phase(self.name(*f)), named)
            }
        }
    }
}
