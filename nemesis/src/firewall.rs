//! The rules inside each node namespace, as one state: the current grudge plus the current
//! packet-loss rules, rendered per node and applied only to the nodes whose rules changed.
//!
//! Everything is enforced on the *receiving* node's input hook. That is what a real network
//! failure looks like to programs (the sender sees silence, never a local "operation not
//! permitted", which a drop in the output hook would give), and it is exactly Jepsen's grudge:
//! node → the nodes it won't hear from. The controller's traffic is never dropped.
//!
//! Neighbours: `partition.rs` and `loss.rs` change the state; `nft.rs` applies it.

use crate::error::Result;
use crate::loss::Loss;
use crate::net::Node;
use crate::nft::NftShell;
use crate::partition::Grudge;

/// The firewall of every node, and what each currently has.
#[derive(Default)]
pub(crate) struct Firewall {
    shells: Vec<NftShell>,
    applied: Vec<Vec<String>>,
    /// The partition in force (empty: none).
    pub grudge: Grudge,
    /// The loss rules in force.
    pub losses: Vec<Loss>,
}

impl Firewall {
    pub fn new(shells: Vec<NftShell>) -> Firewall {
        let applied = vec![Vec::new(); shells.len()];
        Firewall { shells, applied, ..Firewall::default() }
    }

    /// Sends node `i`'s clock state to its host agent (remote nodes only).
    pub fn send_clock(&mut self, i: usize, s: &crate::clock::ClockState) -> Result<()> {
        self.shells[i].send_clock(s)
    }

    /// Sends node `i`'s `#@delay` line to its host agent (remote nodes only).
    pub fn send_delay(&mut self, i: usize, line: &str) -> Result<()> {
        self.shells[i].send_delay(line)
    }

    /// The input rules of `node` under the current state.
    fn rules_for(&self, node: &Node, nodes: &[Node]) -> Vec<String> {
        let addr = |name: &str| nodes.iter().find(|n| n.name == name).map(|n| n.addr.to_string());
        let set = |names: Vec<String>| format!("{{ {} }}", names.join(", "));
        let mut rules = Vec::new();
        let dropped: Vec<String> = self.grudge.dropped_by(&node.name).filter_map(addr).collect();
        if !dropped.is_empty() {
            rules.push(format!("ip saddr {} drop", set(dropped)));
        }
        for loss in &self.losses {
            if !loss.to.contains(&node.name) {
                continue;
            }
            let from: Vec<String> =
                loss.from.iter().filter(|f| **f != node.name).filter_map(|f| addr(f)).collect();
            if !from.is_empty() {
                rules.push(format!(
                    "ip saddr {} numgen random mod 10000 < {} drop",
                    set(from),
                    loss.per_10000()
                ));
            }
        }
        rules
    }

    /// Brings every node's rules to the current state, all changed nodes at once (one thread
    /// per node: the kernel applies each node's transaction independently); returns the nodes
    /// that changed. A node whose change failed keeps its old rules and is retried next time.
    pub fn sync(&mut self, nodes: &[Node]) -> Result<Vec<String>> {
        let wanted: Vec<Vec<String>> = nodes.iter().map(|n| self.rules_for(n, nodes)).collect();
        let results: Vec<(usize, Result<()>)> = std::thread::scope(|s| {
            let jobs: Vec<_> = self
                .shells
                .iter_mut()
                .zip(&self.applied)
                .zip(&wanted)
                .enumerate()
                .filter(|(_, ((_, applied), want))| applied != want)
                .map(|(i, ((shell, _), want))| (i, s.spawn(move || shell.set_input_rules(want))))
                .collect();
            jobs.into_iter().map(|(i, j)| (i, j.join().expect("nft thread"))).collect()
        });
        let (mut changed, mut failure) = (Vec::new(), None);
        for (i, r) in results {
            match r {
                Ok(()) => {
                    self.applied[i] = wanted[i].clone();
                    changed.push(nodes[i].name.clone());
                }
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        failure.map_or(Ok(changed), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn nodes() -> Vec<Node> {
        (1..=3).map(|i| Node { name: format!("n{i}"), addr: Ipv4Addr::new(10, 99, 0, i) }).collect()
    }

    #[test]
    fn each_node_drops_exactly_what_its_grudge_and_losses_say() {
        let grudge = Grudge(
            [("n1".to_string(), ["n2".to_string(), "n3".to_string()].into())].into_iter().collect(),
        );
        let loss = Loss { from: vec!["n1".into(), "n2".into()], to: vec!["n2".into()], rate: 0.25 };
        let fw = Firewall { grudge, losses: vec![loss], ..Firewall::default() };
        let ns = nodes();
        let table = [
            ("n1", vec!["ip saddr { 10.99.0.2, 10.99.0.3 } drop"]),
            ("n2", vec!["ip saddr { 10.99.0.1 } numgen random mod 10000 < 2500 drop"]),
            ("n3", vec![]),
        ];
        for (node, want) in table {
            let n = ns.iter().find(|n| n.name == node).unwrap();
            assert_eq!(fw.rules_for(n, &ns), want, "{node}");
        }
    }
}
