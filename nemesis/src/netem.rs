//! Netem delay on real hosts, as text: the agent's `#@delay` line (each delayed peer of one
//! host and how late), and the `tc` command lines that put it in force on one interface and
//! take it away again. Pure, so the command lines are tested here; `host_delay.rs` runs them.
//!
//! Neighbours: `host_delay.rs` sends the line (controller) and runs the commands (agent);
//! `link.rs` decides which links are late by how much, as in the sandbox.
//!
//! Design: on host A, the links A→B of a fault are one interface's egress (the one `ip route
//! get B` names) under a `prio` root qdisc of handle [`HANDLE`], with one extra band per
//! distinct delay, a `netem` child on each such band, and a `u32` filter per delayed peer
//! sending its packets (by destination address) to its band. Everything else keeps prio's
//! three ordinary bands, so the links to the controller (SSH, clients, the resource) are never
//! delayed. Jitter is netem's: uniform within ± jitter, or `distribution normal` with the
//! jitter as its deviation, as the sandbox's [`crate::shaper::Spread`] means.

use std::net::Ipv4Addr;

/// The major number of the root qdisc splitbrain adds (hex, as `tc` writes it).
pub const HANDLE: &str = "5b17";
/// The most distinct delays one interface carries (prio has 16 bands, 3 kept ordinary).
pub const MAX_DELAYS: usize = 13;

/// One delayed peer of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerDelay {
    /// The peer's data-plane address.
    pub to: Ipv4Addr,
    /// The mean added latency, in µs.
    pub delay_us: u64,
    /// How far one packet strays from it, in µs.
    pub jitter_us: u64,
    /// Normal spread (else uniform).
    pub normal: bool,
}

impl PeerDelay {
    fn same_delay(&self, other: &PeerDelay) -> bool {
        (self.delay_us, self.jitter_us, self.normal)
            == (other.delay_us, other.jitter_us, other.normal)
    }
}

/// The command that clears interface `dev` of an earlier run's qdisc.
pub fn clear_command(dev: &str) -> String {
    format!("sudo tc qdisc del dev {dev} root handle {HANDLE}:")
}

/// The agent's line for a host's whole delay state: `#@delay ADDR,DELAY,JITTER,normal|uniform
/// …` (µs); no peers means no delay.
pub fn delay_line(peers: &[PeerDelay]) -> String {
    let mut line = String::from("#@delay");
    for p in peers {
        let spread = if p.normal { "normal" } else { "uniform" };
        line.push_str(&format!(" {},{},{},{spread}", p.to, p.delay_us, p.jitter_us));
    }
    line
}

/// The peers of a `#@delay` line's words (after `#@delay`), or `None` when one is malformed.
pub fn parse_delay_words(words: &str) -> Option<Vec<PeerDelay>> {
    words.split_whitespace().map(parse_peer).collect()
}

fn parse_peer(word: &str) -> Option<PeerDelay> {
    let mut parts = word.split(',');
    let to = parts.next()?.parse().ok()?;
    let delay_us = parts.next()?.parse().ok()?;
    let jitter_us = parts.next()?.parse().ok()?;
    let normal = match parts.next()? {
        "normal" => true,
        "uniform" => false,
        _ => return None,
    };
    parts.next().is_none().then_some(PeerDelay { to, delay_us, jitter_us, normal })
}

/// The `tc` argument lists that delay `peers` (all routed over `dev`), in order: the root
/// qdisc, a netem per distinct delay, a filter per peer. An error names what is too much.
pub fn layout(dev: &str, peers: &[PeerDelay]) -> Result<Vec<Vec<String>>, String> {
    let mut bands: Vec<PeerDelay> = Vec::new();
    for p in peers {
        if !bands.iter().any(|b| b.same_delay(p)) {
            bands.push(*p);
        }
    }
    if bands.len() > MAX_DELAYS {
        return Err(format!(
            "{} distinct delays on {dev}: netem on hosts takes at most {MAX_DELAYS} per interface",
            bands.len()
        ));
    }
    let root = format!("qdisc add dev {dev} root handle {HANDLE}: prio bands {}", bands.len() + 3);
    let mut cmds = vec![words(&root)];
    for (k, b) in bands.iter().enumerate() {
        cmds.push(words(&format!(
            "qdisc add dev {dev} parent {HANDLE}:{:x} handle {:x}: netem{}",
            k + 4,
            0x5b18 + k,
            netem_args(b)
        )));
    }
    for p in peers {
        let band = bands.iter().position(|b| b.same_delay(p)).expect("every peer has a band");
        cmds.push(words(&format!(
            "filter add dev {dev} parent {HANDLE}: protocol ip prio 1 u32 match ip dst {}/32 flowid {HANDLE}:{:x}",
            p.to,
            band + 4
        )));
    }
    Ok(cmds)
}

/// ` delay Dus [Jus [distribution normal]]`.
fn netem_args(p: &PeerDelay) -> String {
    match (p.jitter_us, p.normal) {
        (0, _) => format!(" delay {}us", p.delay_us),
        (j, true) => format!(" delay {}us {j}us distribution normal", p.delay_us),
        (j, false) => format!(" delay {}us {j}us", p.delay_us),
    }
}

/// The `tc` arguments that remove splitbrain's qdisc from `dev` (and only splitbrain's: the
/// kernel refuses a root of another handle).
pub fn removal(dev: &str) -> Vec<String> {
    words(&format!("qdisc del dev {dev} root handle {HANDLE}:"))
}

/// The interfaces carrying splitbrain's root qdisc in a `tc qdisc show` listing.
pub fn ours_in(listing: &str) -> Vec<String> {
    let mine = format!("{HANDLE}:");
    let dev = |line: &str| {
        let w: Vec<&str> = line.split_whitespace().collect();
        let ours = w.get(2) == Some(&mine.as_str()) && w.contains(&"root");
        let at = w.iter().position(|x| *x == "dev")?;
        ours.then(|| w.get(at + 1).map(|d| d.to_string()))?
    };
    listing.lines().filter_map(dev).collect()
}

/// The interface in an `ip route get ADDR` answer (`10.0.0.2 dev eth0 src …`).
pub fn route_dev(answer: &str) -> Option<String> {
    let w: Vec<&str> = answer.split_whitespace().collect();
    let at = w.iter().position(|x| *x == "dev")?;
    w.get(at + 1).map(|d| d.to_string())
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(last: u8, delay_us: u64, jitter_us: u64, normal: bool) -> PeerDelay {
        PeerDelay { to: Ipv4Addr::new(10, 0, 0, last), delay_us, jitter_us, normal }
    }

    fn joined(cmds: &[Vec<String>]) -> Vec<String> {
        cmds.iter().map(|c| c.join(" ")).collect()
    }

    #[test]
    fn each_distinct_delay_gets_a_band_and_each_peer_a_filter_to_its_band() {
        let cases: [(&[PeerDelay], &[&str]); 3] = [
            (
                &[peer(2, 200_000, 20_000, true)],
                &[
                    "qdisc add dev eth0 root handle 5b17: prio bands 4",
                    "qdisc add dev eth0 parent 5b17:4 handle 5b18: netem delay 200000us 20000us distribution normal",
                    "filter add dev eth0 parent 5b17: protocol ip prio 1 u32 match ip dst 10.0.0.2/32 flowid 5b17:4",
                ],
            ),
            (
                &[peer(2, 50_000, 0, true), peer(3, 50_000, 0, true)],
                &[
                    "qdisc add dev eth0 root handle 5b17: prio bands 4",
                    "qdisc add dev eth0 parent 5b17:4 handle 5b18: netem delay 50000us",
                    "filter add dev eth0 parent 5b17: protocol ip prio 1 u32 match ip dst 10.0.0.2/32 flowid 5b17:4",
                    "filter add dev eth0 parent 5b17: protocol ip prio 1 u32 match ip dst 10.0.0.3/32 flowid 5b17:4",
                ],
            ),
            (
                &[peer(2, 100, 10, false), peer(3, 300, 30, true), peer(4, 100, 10, false)],
                &[
                    "qdisc add dev eth0 root handle 5b17: prio bands 5",
                    "qdisc add dev eth0 parent 5b17:4 handle 5b18: netem delay 100us 10us",
                    "qdisc add dev eth0 parent 5b17:5 handle 5b19: netem delay 300us 30us distribution normal",
                    "filter add dev eth0 parent 5b17: protocol ip prio 1 u32 match ip dst 10.0.0.2/32 flowid 5b17:4",
                    "filter add dev eth0 parent 5b17: protocol ip prio 1 u32 match ip dst 10.0.0.3/32 flowid 5b17:5",
                    "filter add dev eth0 parent 5b17: protocol ip prio 1 u32 match ip dst 10.0.0.4/32 flowid 5b17:4",
                ],
            ),
        ];
        for (peers, want) in cases {
            assert_eq!(joined(&layout("eth0", peers).unwrap()), want, "{peers:?}");
        }
    }

    #[test]
    fn more_distinct_delays_than_prio_has_bands_are_refused() {
        let peers: Vec<PeerDelay> = (1..=14).map(|i| peer(i, 1000 * i as u64, 0, true)).collect();
        assert!(layout("eth0", &peers).unwrap_err().contains("at most 13"));
        assert_eq!(layout("eth0", &peers[..13]).unwrap()[0].last().unwrap(), "16");
    }

    #[test]
    fn the_delay_line_comes_back_as_the_same_peers_and_a_bad_word_spoils_it() {
        let peers = [peer(2, 200_000, 20_000, true), peer(9, 5, 0, false)];
        let line = delay_line(&peers);
        assert_eq!(line, "#@delay 10.0.0.2,200000,20000,normal 10.0.0.9,5,0,uniform");
        let words = line.strip_prefix("#@delay").unwrap();
        assert_eq!(parse_delay_words(words).unwrap(), peers);
        assert_eq!(parse_delay_words("").unwrap(), []);
        for bad in ["10.0.0.2,1,2", "10.0.0.2,1,2,pareto", "x,1,2,normal", "10.0.0.2,1,2,normal,3"]
        {
            assert_eq!(parse_delay_words(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_splitbrain_s_root_qdisc_is_found_in_a_listing_and_removed_by_its_handle() {
        let listing = "qdisc noqueue 0: dev lo root refcnt 2\n\
            qdisc prio 5b17: dev eth0 root refcnt 2 bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n\
            qdisc netem 5b18: dev eth0 parent 5b17:4 limit 1000 delay 200ms\n\
            qdisc prio 1: dev eth1 root refcnt 2 bands 3\n\
            qdisc fq_codel 0: dev eth2 root refcnt 2 limit 10240p\n";
        assert_eq!(ours_in(listing), ["eth0"]);
        assert_eq!(removal("eth0").join(" "), "qdisc del dev eth0 root handle 5b17:");
        assert_eq!(clear_command("eth0"), "sudo tc qdisc del dev eth0 root handle 5b17:");
    }

    #[test]
    fn the_interface_is_read_from_ip_route_get() {
        let answer = "10.97.0.2 dev eth0 src 10.97.0.1 uid 0 \n    cache \n";
        assert_eq!(route_dev(answer).as_deref(), Some("eth0"));
        assert_eq!(
            route_dev("10.0.0.2 via 10.0.0.1 dev ens3 src 10.0.0.5").as_deref(),
            Some("ens3")
        );
        assert_eq!(route_dev("RTNETLINK answers: Network is unreachable"), None);
    }
}
