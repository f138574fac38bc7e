//! The kernel bridge's side of link faults: which ports there are, their fixed MAC addresses,
//! the bridge-family nftables rules that keep the bridge off the faulted links, and the
//! offloads switched off so the switch's raw sockets see real, wire-sized frames.
//!
//! Neighbours: `link.rs` drives it; `net.rs` builds the ports (a veth per node and one for the
//! controller) with these addresses.
//!
//! Design: the rules live in the controller's namespace, where the bridge is, in a table of
//! their own that each change replaces in one `nft -f` transaction (link faults change a few
//! times a run; the partition rules keep their fast per-node shells). The forward hook runs
//! once per output port, a flooded frame included, so an `iifname . oifname` pair names one
//! directed link exactly.

use crate::error::{Error, Result};
use crate::net::Net;
use crate::tools;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::Duration;

const TABLE: &str = "bridge splitbrain_links";

/// The MAC address of port `p` (node `p + 1`, or the controller after the last node).
pub(crate) fn mac(p: usize, nodes: usize) -> [u8; 6] {
    let last = if p >= nodes { 0xfe } else { (p + 1) as u8 };
    [0x02, 0x99, 0, 0, 0, last]
}

/// `mac` as `ip` writes it.
pub(crate) fn mac_text(p: usize, nodes: usize) -> String {
    let m = mac(p, nodes);
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Every port's MAC address, by port number.
pub(crate) fn port_macs(net: &Net) -> Vec<[u8; 6]> {
    let n = net.nodes().len();
    (0..=n).map(|p| mac(p, n)).collect()
}

/// Every port's bridge-side interface, by port number.
pub(crate) fn port_names(net: &Net) -> Vec<String> {
    let mut names = net.veths().to_vec();
    names.push(net.controller_port().to_string());
    names
}

/// Replaces the bridge's rules: frames on each of `links` (input port, output port) are
/// dropped by the bridge (the switch carries them); none leaves the bridge as it was.
pub(crate) fn set_rules(net: &Net, links: &[(usize, usize)]) -> Result<()> {
    let names = port_names(net);
    let mut script = format!("add table {TABLE}\ndelete table {TABLE}\n");
    if !links.is_empty() {
        script.push_str(&format!(
            "table {TABLE} {{\n chain links {{ type filter hook forward priority 0; policy accept;\n"
        ));
        for (a, b) in links {
            script
                .push_str(&format!("  iifname \"{}\" oifname \"{}\" drop\n", names[*a], names[*b]));
        }
        script.push_str(" }\n}\n");
    }
    tools::run(&net.tools().nft, &["-f", "-"], &script)
}

/// Switches checksum and segmentation offloads off where frames start (each node's `eth0`
/// and the controller's interface), once per network: with them on, a raw socket reads
/// 64 KiB segments with unfinished checksums that cannot be sent on as they are.
pub(crate) fn prepare(net: &Net) -> Result<()> {
    let ethtool = tools::find("ethtool", "ethtool")?;
    fn on(dev: &str) -> [&str; 10] {
        ["-K", dev, "tx", "off", "sg", "off", "tso", "off", "gso", "off"]
    }
    std::thread::scope(|s| {
        let jobs: Vec<_> = (0..net.nodes().len())
            .map(|i| {
                let ethtool = &ethtool;
                s.spawn(move || {
                    let mut cmd = Command::new(ethtool);
                    cmd.args(on("eth0"));
                    in_netns(&mut cmd, net, i)
                })
            })
            .collect();
        let here = tools::run(&ethtool, &on(net.controller_iface()), "");
        jobs.into_iter().map(|j| j.join().expect("ethtool thread")).chain([here]).collect()
    })
}

/// Runs `cmd` inside node `i`'s namespace, bounded.
fn in_netns(cmd: &mut Command, net: &Net, i: usize) -> Result<()> {
    let shown = format!("{cmd:?} in {}", net.nodes()[i].name);
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = crate::sys::spawn_in_netns(cmd, net.netns_fd(i).as_fd())
        .map_err(|e| Error::os(format!("starting {shown}"), e))?;
    match tools::wait_bounded(&mut child, Duration::from_secs(10)) {
        Ok(Some(s)) if s.success() => Ok(()),
        other => Err(Error::Command { command: shown, message: format!("ended {other:?}") }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_port_has_its_own_fixed_address_and_the_controller_s_ends_in_fe() {
        assert_eq!(super::mac_text(0, 3), "02:99:00:00:00:01");
        assert_eq!(super::mac_text(2, 3), "02:99:00:00:00:03");
        assert_eq!(super::mac_text(3, 3), "02:99:00:00:00:fe");
        let all: std::collections::BTreeSet<_> = (0..=250).map(|p| super::mac(p, 250)).collect();
        assert_eq!(all.len(), 251);
    }
}
